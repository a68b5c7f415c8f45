/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* kn_live_verify: a definition against a live model, field by field.
 * Only what the definition gives is compared; every difference is one
 * line naming the interface and the field. */

#include <arpa/inet.h>
#include <strings.h>

#include "live-internal.h"

static bool same_ip(int family, const char *a, const char *b) {
        unsigned char x[16], y[16];
        if (inet_pton(family, a, x) != 1 || inet_pton(family, b, y) != 1)
                return false;
        return memcmp(x, y, family == AF_INET ? 4 : 16) == 0;
}

static bool link_local(int family, const char *address) {
        struct in6_addr a;
        return family == AF_INET6 && inet_pton(AF_INET6, address, &a) == 1 &&
               IN6_IS_ADDR_LINKLOCAL(&a);
}

static int plen(int family, int prefix) {
        return prefix >= 0 ? prefix : family == AF_INET ? 32 : 128;
}

static void verify_protocol(const kn_iface *want, const kn_iface *live, int family, kn_strbuf *b) {
        const kn_protocol *p = family == AF_INET ? &want->ipv4 : &want->ipv6;
        const kn_protocol *q = family == AF_INET ? &live->ipv4 : &live->ipv6;
        const char *fam = family == AF_INET ? "ipv4" : "ipv6";
        if (!p->present)
                return;
        for (size_t k = 0; k < p->n_ips; k++) {
                const kn_ipaddr *w = &p->ips[k];
                const kn_ipaddr *other = NULL;
                bool found = false;
                for (size_t j = 0; j < q->n_ips && !found; j++) {
                        if (!same_ip(family, w->address, q->ips[j].address))
                                continue;
                        if (w->prefix < 0 || w->prefix == q->ips[j].prefix)
                                found = true;
                        else
                                other = &q->ips[j];
                }
                if (found)
                        continue;
                if (other)
                        kn_report(b, want->name, "%s address %s has prefix %d, asked %d", fam,
                                  w->address, other->prefix, w->prefix);
                else
                        kn_report(b, want->name, "%s address %s/%d is missing", fam, w->address,
                                  plen(family, w->prefix));
        }
        if (!p->dhcp && !(family == AF_INET6 && p->autoconf)) {
                for (size_t j = 0; j < q->n_ips; j++) {
                        const kn_ipaddr *x = &q->ips[j];
                        bool asked = link_local(family, x->address);
                        for (size_t k = 0; k < p->n_ips && !asked; k++)
                                asked = same_ip(family, p->ips[k].address, x->address);
                        if (!asked)
                                kn_report(b, want->name, "%s address %s/%d was not asked for", fam,
                                          x->address, x->prefix);
                }
        }
        if (p->dhcp) {
                size_t global = 0;
                for (size_t j = 0; j < q->n_ips; j++)
                        global += !link_local(family, q->ips[j].address);
                if (!q->dhcp)
                        kn_report(b, want->name, "%s DHCP client is not running", fam);
                else if (!global)
                        kn_report(b, want->name, "%s DHCP gave no address", fam);
        }
        if (p->gateway[0] && !same_ip(family, p->gateway, q->gateway)) {
                if (q->gateway[0])
                        kn_report(b, want->name, "%s default route is via %s, asked %s", fam,
                                  q->gateway, p->gateway);
                else
                        kn_report(b, want->name, "%s default route is missing, asked via %s", fam,
                                  p->gateway);
        }
}

static const kn_iface *child(const kn_iface *i, const char *name) {
        for (size_t k = 0; k < i->n_children; k++)
                if (streq(i->children[k]->name, name))
                        return i->children[k];
        return NULL;
}

static void verify_iface(const kn_iface *want, const kn_iface *live, kn_strbuf *b) {
        const char *n = want->name;
        if (want->type != live->type)
                kn_report(b, n, "type is %s, asked %s", kn_iface_type_to_string(live->type),
                          kn_iface_type_to_string(want->type));
        if (want->mtu && want->mtu != live->mtu)
                kn_report(b, n, "mtu is %u, asked %u", live->mtu, want->mtu);
        if (want->mac[0] && strcasecmp(want->mac, live->mac) != 0)
                kn_report(b, n, "mac is %s, asked %s", live->mac[0] ? live->mac : "(none)",
                          want->mac);
        verify_protocol(want, live, AF_INET, b);
        verify_protocol(want, live, AF_INET6, b);
        const kn_live_kind *ops = kn_live_kind_by_type(want->type);
        if (want->type == live->type && ops->verify)
                ops->verify(want, live, b);
        const char *role = want->type == KN_IFACE_BOND ? "slave" : "port";
        for (size_t k = 0; k < want->n_children; k++) {
                const kn_iface *w = want->children[k];
                const kn_iface *l = child(live, w->name);
                if (!l)
                        kn_report(b, n, "%s %s is missing", role, w->name);
                else
                        verify_iface(w, l, b);
        }
        for (size_t k = 0; ops->has_ports && k < live->n_children; k++)
                if (!child(want, live->children[k]->name))
                        kn_report(b, n, "%s %s was not asked for", role, live->children[k]->name);
}

int kn_live_verify(const kn_iface *want, const kn_iface *live, char **report) {
        kn_strbuf b = {0};
        verify_iface(want, live, &b);
        int n = 0;
        for (size_t k = 0; k < b.len; k++)
                n += b.s[k] == '\n';
        if (report)
                *report = n ? kn_strbuf_steal(&b) : NULL;
        kn_strbuf_done(&b);
        return n;
}
