/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* net-update: add or delete one DHCP host or DNS host of a network model.
 * The element is checked by the same walker and rules as in a document. */
#include <arpa/inet.h>

#include "kvmnet/vnet.h"
#include "macro.h"
#include "net-private.h"

#define L(...) ((const char *const[]){__VA_ARGS__, NULL})
static const kn_xml_rule dhcp_rules[] = {
        {.where = "host", .attrs = L("mac", "name", "ip")},
};
static const kn_xml_rule dns_rules[] = {
        {.where = "host", .attrs = L("ip"), .children = L("hostname"), .repeat = L("hostname")},
        {.where = "hostname"},
};
#undef L

static int family_of(const char *ip) {
        uint8_t b[16];
        return inet_pton(AF_INET, ip, b) == 1 ? AF_INET : AF_INET6;
}

static bool host_match(const kn_net_dhcp_host *a, const kn_net_dhcp_host *b) {
        if (a->has_mac && b->has_mac)
                return memcmp(a->mac, b->mac, 6) == 0;
        if (a->name && b->name)
                return streq(a->name, b->name);
        return streq(a->ip, b->ip);
}

static int update_dhcp(kn_net *n, bool add, kn_net_dhcp_host *h, kn_error *err) {
        int fam = family_of(h->ip);
        for (size_t k = 0; k < n->n_ips; k++) {
                kn_net_ip *ip = &n->ips[k];
                if (ip->family != fam ||
                    !kn_net_subnets_overlap(fam, h->ip, fam == AF_INET ? 32 : 128, ip->address,
                                            ip->prefix))
                        continue;
                for (size_t j = 0; j < ip->n_hosts; j++) {
                        kn_net_dhcp_host *o = &ip->hosts[j];
                        if (add && (host_match(o, h) || streq(o->ip, h->ip)))
                                return kn_error_set(err, EEXIST,
                                                    "network %s: a DHCP host for %s is already "
                                                    "there (%s)",
                                                    n->name, h->ip, o->name ? o->name : o->ip);
                        if (!add && host_match(o, h)) {
                                free(o->name);
                                memmove(o, o + 1, (ip->n_hosts - j - 1) * sizeof *o);
                                ip->n_hosts--;
                                free(h->name);
                                return 0;
                        }
                }
                if (!add)
                        break;
                ip->dhcp = true;
                ip->hosts = kn_xrealloc(ip->hosts, (ip->n_hosts + 1) * sizeof *ip->hosts);
                ip->hosts[ip->n_hosts++] = *h;
                return kn_net_validate(n, err);
        }
        free(h->name);
        if (!add)
                return kn_error_set(err, ENOENT, "network %s has no such DHCP host (%s)", n->name,
                                    h->ip);
        return kn_error_set(err, EINVAL, "network %s: no <ip> subnet holds %s", n->name, h->ip);
}

static int update_dns(kn_net *n, bool add, kn_net_dns_host *d, kn_error *err) {
        for (size_t k = 0; k < n->n_dns_hosts; k++) {
                kn_net_dns_host *o = &n->dns_hosts[k];
                if (!streq(o->ip, d->ip))
                        continue;
                kn_strv_free(d->hostnames, d->n_hostnames);
                if (add)
                        return kn_error_set(err, EEXIST,
                                            "network %s: a DNS host for %s is already there",
                                            n->name, d->ip);
                kn_strv_free(o->hostnames, o->n_hostnames);
                memmove(o, o + 1, (n->n_dns_hosts - k - 1) * sizeof *o);
                n->n_dns_hosts--;
                return 0;
        }
        if (!add) {
                kn_strv_free(d->hostnames, d->n_hostnames);
                return kn_error_set(err, ENOENT, "network %s has no DNS host %s", n->name, d->ip);
        }
        n->dns_hosts = kn_xrealloc(n->dns_hosts, (n->n_dns_hosts + 1) * sizeof *d);
        n->dns_hosts[n->n_dns_hosts++] = *d;
        return 0;
}

int kn_net_update(kn_net *n, bool add, kn_net_section section, const char *xml, kn_error *err) {
        kn_xml x = {.source = "net-update XML", .err = err};
        _cleanup_xmldoc_ xmlDoc *doc = NULL;
        int r = kn_xml_read(&x, xml, strlen(xml), &doc);
        if (r < 0)
                return r;
        xmlNode *root = xmlDocGetRootElement(doc);
        bool dhcp = section == KN_NET_SECTION_DHCP_HOST;
        if (!kn_xml_is(root, "host"))
                return kn_error_set(err, EINVAL, "net-update: the element must be <host>, not <%s>",
                                    root ? (const char *) root->name : "");
        if (dhcp) {
                kn_net_dhcp_host h;
                if ((r = kn_xml_check_tree(&x, root, dhcp_rules, ELEMENTSOF(dhcp_rules))) < 0 ||
                    (r = kn_net_parse_dhcp_host(&x, root, AF_UNSPEC, &h)) < 0)
                        return r;
                return update_dhcp(n, add, &h, err);
        }
        kn_net_dns_host d;
        if ((r = kn_xml_check_tree(&x, root, dns_rules, ELEMENTSOF(dns_rules))) < 0 ||
            (r = kn_net_parse_dns_host(&x, root, &d)) < 0)
                return r;
        return update_dns(n, add, &d, err);
}
