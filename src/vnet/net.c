/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The network model: life cycle, names, UUIDs, subnets and the checks the
 * model alone can make (DHCP ranges and hosts inside their subnet). */
#include <arpa/inet.h>
#include <ctype.h>
#include <sys/random.h>

#include "mac.h"

#include "kvmnet/vnet.h"
#include "macro.h"
#include "net-private.h"
#include "string-table.h"

static const char *const kn_net_forward_table[_KN_NET_FORWARD_MAX] = {
        [KN_NET_ISOLATED] = NULL, /* no <forward>: never parsed as a mode */
        [KN_NET_NAT] = "nat",
        [KN_NET_ROUTE] = "route",
        [KN_NET_OPEN] = "open",
};
DEFINE_STRING_TABLE_LOOKUP(kn_net_forward, kn_net_forward)

kn_net *kn_net_new(const char *name) {
        kn_net *n = kn_xcalloc(1, sizeof *n);
        n->name = name ? kn_xstrdup(name) : NULL;
        n->stp = -1;
        n->delay = -1;
        return n;
}

static void ip_done(kn_net_ip *ip) {
        for (size_t k = 0; k < ip->n_hosts; k++)
                free(ip->hosts[k].name);
        free(ip->hosts);
        free(ip->ranges);
}

kn_net *kn_net_free(kn_net *n) {
        if (!n)
                return NULL;
        free(n->name);
        free(n->forward_dev);
        free(n->domain);
        for (size_t k = 0; k < n->n_ips; k++)
                ip_done(&n->ips[k]);
        free(n->ips);
        for (size_t k = 0; k < n->n_dns_hosts; k++)
                kn_strv_free(n->dns_hosts[k].hostnames, n->dns_hosts[k].n_hostnames);
        free(n->dns_hosts);
        free(n);
        return NULL;
}

static char *dup0(const char *s) {
        return s ? kn_xstrdup(s) : NULL;
}

static void *dupmem(const void *p, size_t n, size_t size) {
        if (!n)
                return NULL;
        void *q = kn_xmalloc(n * size);
        memcpy(q, p, n * size);
        return q;
}

kn_net *kn_net_copy(const kn_net *n) {
        kn_net *c = kn_xmalloc(sizeof *c);
        *c = *n;
        c->name = dup0(n->name);
        c->forward_dev = dup0(n->forward_dev);
        c->domain = dup0(n->domain);
        c->ips = dupmem(n->ips, n->n_ips, sizeof *n->ips);
        for (size_t k = 0; k < n->n_ips; k++) {
                kn_net_ip *ip = &c->ips[k];
                ip->ranges = dupmem(ip->ranges, ip->n_ranges, sizeof *ip->ranges);
                ip->hosts = dupmem(ip->hosts, ip->n_hosts, sizeof *ip->hosts);
                for (size_t h = 0; h < ip->n_hosts; h++)
                        ip->hosts[h].name = dup0(ip->hosts[h].name);
        }
        c->dns_hosts = dupmem(n->dns_hosts, n->n_dns_hosts, sizeof *n->dns_hosts);
        for (size_t k = 0; k < c->n_dns_hosts; k++) {
                kn_net_dns_host *d = &c->dns_hosts[k];
                char **v = kn_xcalloc(d->n_hostnames ? d->n_hostnames : 1, sizeof *v);
                for (size_t h = 0; h < d->n_hostnames; h++)
                        v[h] = kn_xstrdup(d->hostnames[h]);
                d->hostnames = v;
        }
        return c;
}

void kn_net_uuid_format(const uint8_t u[16], char out[37]) {
        snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
                 u[13], u[14], u[15]);
}

/* libvirt's UUID type: 32 hex digits, dashes anywhere between pairs are
 * accepted (the canonical 8-4-4-4-12 is what kvmnet prints). */
int kn_net_uuid_parse(const char *s, uint8_t u[16]) {
        size_t k = 0;
        if (!s)
                return -EINVAL;
        for (const char *p = s; *p;) {
                if (*p == '-' && k > 0) {
                        p++;
                        continue;
                }
                if (k == 16 || !isxdigit((unsigned char) p[0]) || !isxdigit((unsigned char) p[1]))
                        return -EINVAL;
                unsigned v;
                sscanf(p, "%2x", &v);
                u[k++] = (uint8_t) v;
                p += 2;
        }
        return k == 16 ? 0 : -EINVAL;
}

void kn_net_uuid_generate(uint8_t u[16]) {
        if (getrandom(u, 16, 0) != 16)
                abort();
        u[6] = (uint8_t) ((u[6] & 0x0f) | 0x40); /* version 4 */
        u[8] = (uint8_t) ((u[8] & 0x3f) | 0x80); /* RFC 4122 variant */
}

/* ---- subnets ---- */

typedef struct addr {
        int family;
        uint8_t b[16];
} addr;

static int addr_parse(int family, const char *s, addr *a) {
        *a = (addr){.family = family};
        return inet_pton(family, s, a->b) == 1 ? 0 : -EINVAL;
}

static bool addr_in(const addr *x, const addr *net, unsigned prefix) {
        for (unsigned k = 0; k < 16 && prefix > 0; k++) {
                unsigned bits = prefix >= 8 ? 8 : prefix;
                uint8_t m = (uint8_t) (0xff00u >> bits);
                if ((x->b[k] & m) != (net->b[k] & m))
                        return false;
                prefix -= bits;
        }
        return true;
}

static void addr_mask(addr *a, unsigned prefix) {
        for (unsigned k = 0; k < 16; k++) {
                unsigned keep = prefix > k * 8 ? prefix - k * 8 : 0;
                if (keep < 8)
                        a->b[k] &= (uint8_t) (0xff00u >> keep);
        }
}

void kn_net_ip_subnet(const kn_net_ip *ip, char *buf, size_t size) {
        addr a;
        char t[46] = "?";
        if (addr_parse(ip->family, ip->address, &a) == 0) {
                addr_mask(&a, ip->prefix);
                inet_ntop(ip->family, a.b, t, sizeof t);
        }
        snprintf(buf, size, "%s/%u", t, ip->prefix);
}

bool kn_net_subnets_overlap(int family, const char *a, unsigned pa, const char *b, unsigned pb) {
        addr x, y;
        if (addr_parse(family, a, &x) < 0 || addr_parse(family, b, &y) < 0)
                return false;
        unsigned p = pa < pb ? pa : pb;
        return addr_in(&x, &y, p);
}

static bool in_subnet(const kn_net_ip *ip, const char *s) {
        addr x, net;
        return addr_parse(ip->family, s, &x) == 0 &&
               addr_parse(ip->family, ip->address, &net) == 0 && addr_in(&x, &net, ip->prefix);
}

static int addr_cmp(int family, const char *a, const char *b) {
        addr x, y;
        if (addr_parse(family, a, &x) < 0 || addr_parse(family, b, &y) < 0)
                return 0;
        return memcmp(x.b, y.b, 16);
}

/* ---- validation ---- */

static int validate_ip(const kn_net_ip *ip, kn_error *err) {
        char subnet[64];
        kn_net_ip_subnet(ip, subnet, sizeof subnet);
        for (size_t k = 0; k < ip->n_ranges; k++) {
                const kn_net_range *r = &ip->ranges[k];
                for (const char *s = r->start; s; s = s == r->start ? r->end : NULL)
                        if (!in_subnet(ip, s))
                                return kn_error_set(err, EINVAL,
                                                    "DHCP range %s-%s: %s is outside the subnet %s",
                                                    r->start, r->end, s, subnet);
                if (addr_cmp(ip->family, r->start, r->end) > 0)
                        return kn_error_set(err, EINVAL,
                                            "DHCP range %s-%s: the start is after the end",
                                            r->start, r->end);
                if (addr_cmp(ip->family, r->start, ip->address) <= 0 &&
                    addr_cmp(ip->family, ip->address, r->end) <= 0)
                        return kn_error_set(err, EINVAL,
                                            "DHCP range %s-%s holds the bridge's own address %s",
                                            r->start, r->end, ip->address);
        }
        for (size_t k = 0; k < ip->n_hosts; k++) {
                const kn_net_dhcp_host *h = &ip->hosts[k];
                char mac[KN_MAC_STR];
                kn_mac_to_string(h->mac, mac);
                if (!in_subnet(ip, h->ip))
                        return kn_error_set(err, EINVAL,
                                            "DHCP host %s: %s is outside the subnet %s",
                                            h->name ? h->name : mac, h->ip, subnet);
                for (size_t j = 0; j < k; j++) {
                        const kn_net_dhcp_host *o = &ip->hosts[j];
                        if (streq(o->ip, h->ip))
                                return kn_error_set(err, EEXIST,
                                                    "two DHCP hosts have the address %s", h->ip);
                        if (h->has_mac && o->has_mac && memcmp(h->mac, o->mac, 6) == 0)
                                return kn_error_set(err, EEXIST,
                                                    "two DHCP hosts of %s have the same MAC",
                                                    subnet);
                }
        }
        return 0;
}

int kn_net_validate(const kn_net *n, kn_error *err) {
        int r = kn_object_name_validate(n->name, "network", err);
        if (r < 0)
                return r;
        if (n->port_start > n->port_end)
                return kn_error_set(err, EINVAL,
                                    "network %s: NAT port range %u-%u: the start is after the end",
                                    n->name, n->port_start, n->port_end);
        bool dhcp[2] = {false, false};
        for (size_t k = 0; k < n->n_ips; k++) {
                const kn_net_ip *ip = &n->ips[k];
                bool v6 = ip->family == AF_INET6;
                if (ip->dhcp && dhcp[v6])
                        return kn_error_set(err, EINVAL,
                                            "network %s: DHCP on more than one %s subnet", n->name,
                                            v6 ? "IPv6" : "IPv4");
                dhcp[v6] |= ip->dhcp;
                for (size_t j = 0; j < k; j++)
                        if (n->ips[j].family == ip->family &&
                            kn_net_subnets_overlap(ip->family, ip->address, ip->prefix,
                                                   n->ips[j].address, n->ips[j].prefix))
                                return kn_error_set(err, EINVAL,
                                                    "network %s: <ip address='%s'> overlaps '%s'",
                                                    n->name, ip->address, n->ips[j].address);
                if ((r = validate_ip(ip, err)) < 0) {
                        kn_error_prefix(err, "network %s", n->name);
                        return r;
                }
        }
        return 0;
}
