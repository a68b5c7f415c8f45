/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the served namespace already has that a network would collide
 * with: addresses of its links and routes of its main table, read inside
 * the namespace (links through the live layer, routes from the thread's
 * own /proc view, which is the namespace's while kn_netns_run runs). */
#include <arpa/inet.h>
#include <stdio.h>

#include "kvmnet/live.h"
#include "kvmnet/vnet.h"
#include "macro.h"
#include "net-host.h"

typedef struct routes {
        kn_net_host_item *items;
        size_t n;
} routes;

static void push(kn_net_host_item **v, size_t *n, int family, const char *addr, unsigned prefix,
                 const char *dev, bool route) {
        *v = kn_xrealloc(*v, (*n + 1) * sizeof **v);
        kn_net_host_item *it = &(*v)[(*n)++];
        *it = (kn_net_host_item){.family = family, .prefix = prefix, .route = route};
        snprintf(it->address, sizeof it->address, "%s", addr);
        snprintf(it->dev, sizeof it->dev, "%s", dev);
}

static void read_v4(routes *rt) {
        _cleanup_fclose_ FILE *f = fopen("/proc/thread-self/net/route", "re");
        char line[512], dev[64];
        unsigned dst, gw, flags, refcnt, use, metric, mask;
        if (!f || !fgets(line, sizeof line, f))
                return;
        while (fgets(line, sizeof line, f))
                if (sscanf(line, "%63s %x %x %x %u %u %u %x", dev, &dst, &gw, &flags, &refcnt, &use,
                           &metric, &mask) == 8 &&
                    mask != 0) {
                        char a[INET_ADDRSTRLEN];
                        inet_ntop(AF_INET, &dst, a, sizeof a); /* already network order */
                        push(&rt->items, &rt->n, AF_INET, a, (unsigned) __builtin_popcount(mask),
                             dev, true);
                }
}

static void read_v6(routes *rt) {
        _cleanup_fclose_ FILE *f = fopen("/proc/thread-self/net/ipv6_route", "re");
        char line[512], hex[33], dev[64];
        unsigned prefix;
        while (f && fgets(line, sizeof line, f)) {
                if (sscanf(line, "%32s %x %*s %*s %*s %*s %*s %*s %*s %63s", hex, &prefix, dev) !=
                            3 ||
                    prefix == 0 || streq(dev, "lo"))
                        continue;
                uint8_t b[16];
                for (int k = 0; k < 16; k++) {
                        unsigned v;
                        sscanf(hex + 2 * k, "%2x", &v);
                        b[k] = (uint8_t) v;
                }
                /* link-local and multicast are on every link */
                if ((b[0] == 0xfe && (b[1] & 0xc0) == 0x80) || b[0] == 0xff)
                        continue;
                char a[INET6_ADDRSTRLEN];
                inet_ntop(AF_INET6, b, a, sizeof a);
                push(&rt->items, &rt->n, AF_INET6, a, prefix, dev, true);
        }
}

static int read_routes(void *data) {
        read_v4(data);
        read_v6(data);
        return 0;
}

int kn_net_host_read(kn_netns *ns, kn_net_host_item **ret, size_t *n_ret, kn_error *err) {
        kn_live_link *links = NULL;
        size_t nl = 0;
        int r = kn_live_list(ns, &links, &nl, err);
        if (r < 0)
                return r;
        routes rt = {0};
        for (size_t k = 0; k < nl; k++) {
                const kn_iface *i = links[k].iface;
                const kn_protocol *p[2] = {&i->ipv4, &i->ipv6};
                for (int f = 0; f < 2; f++)
                        for (size_t a = 0; a < p[f]->n_ips; a++) {
                                const kn_ipaddr *ip = &p[f]->ips[a];
                                if (f == 1 && startswith(ip->address, "fe80:"))
                                        continue;
                                push(&rt.items, &rt.n, f ? AF_INET6 : AF_INET, ip->address,
                                     ip->prefix < 0 ? (f ? 128 : 32) : (unsigned) ip->prefix,
                                     i->name, false);
                        }
        }
        kn_live_links_free(links, nl);
        if ((r = kn_netns_run(ns, read_routes, &rt, err)) < 0) {
                free(rt.items);
                return r;
        }
        *ret = rt.items;
        *n_ret = rt.n;
        return 0;
}

const kn_net_host_item *kn_net_host_overlap(const kn_net_host_item *items, size_t n, int family,
                                            const char *address, unsigned prefix,
                                            const char *except_dev) {
        for (size_t k = 0; k < n; k++)
                if (items[k].family == family && !(except_dev && streq(items[k].dev, except_dev)) &&
                    kn_net_subnets_overlap(family, address, prefix, items[k].address,
                                           items[k].route ? items[k].prefix : prefix))
                        return &items[k];
        return NULL;
}

int kn_net_host_check(const kn_net *n, const kn_net_host_item *items, size_t n_items,
                      kn_error *err) {
        for (size_t k = 0; k < n->n_ips; k++) {
                const kn_net_ip *ip = &n->ips[k];
                const kn_net_host_item *it = kn_net_host_overlap(
                        items, n_items, ip->family, ip->address, ip->prefix, n->bridge);
                if (!it)
                        continue;
                char subnet[64];
                kn_net_ip_subnet(ip, subnet, sizeof subnet);
                if (it->route)
                        return kn_error_set(err, EADDRINUSE,
                                            "network %s: subnet %s overlaps the host's route "
                                            "%s/%u dev %s",
                                            n->name, subnet, it->address, it->prefix, it->dev);
                return kn_error_set(err, EADDRINUSE,
                                    "network %s: subnet %s overlaps the host's address %s/%u on %s",
                                    n->name, subnet, it->address, it->prefix, it->dev);
        }
        return 0;
}

struct kn_net_probe {
        kn_net_host_item *items;
        size_t n;
        char text[128];
};

int kn_net_probe_open(kn_netns *ns, kn_net_probe **ret, kn_error *err) {
        kn_net_probe *p = kn_xcalloc(1, sizeof *p);
        int r = kn_net_host_read(ns, &p->items, &p->n, err);
        if (r < 0) {
                free(p);
                return r;
        }
        *ret = p;
        return 0;
}

kn_net_probe *kn_net_probe_free(kn_net_probe *p) {
        if (p) {
                free(p->items);
                free(p);
        }
        return NULL;
}

static const kn_net_host_item *probe_find(const kn_net_probe *p, const char *address,
                                          unsigned prefix) {
        uint8_t b[16];
        int family = inet_pton(AF_INET, address, b) == 1 ? AF_INET : AF_INET6;
        return kn_net_host_overlap(p->items, p->n, family, address, prefix, NULL);
}

bool kn_net_probe_overlaps(const kn_net_probe *p, const char *address, unsigned prefix) {
        return probe_find(p, address, prefix) != NULL;
}

const char *kn_net_probe_describe(kn_net_probe *p, const char *address, unsigned prefix) {
        const kn_net_host_item *it = probe_find(p, address, prefix);
        if (!it)
                snprintf(p->text, sizeof p->text, "nothing");
        else
                snprintf(p->text, sizeof p->text, "%s %s/%u %s %s",
                         it->route ? "the route" : "the address", it->address, it->prefix,
                         it->route ? "dev" : "on", it->dev);
        return p->text;
}
