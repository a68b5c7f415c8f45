/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Moving a link's IP configuration to another link without losing a
 * packet: the raw rtnetlink records of its addresses, routes and
 * neighbours are read once and re-sent with the other ifindex, so every
 * attribute the kernel reported (flags, lifetimes, metric, source, scope,
 * protocol, table) is kept, including those kvmnet's model has no field
 * for.  Used by iface-bridge and iface-unbridge (bridge.c). */

#include <linux/if_addr.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include "bridge-move.h"

static int keep(struct nlmsghdr *h, void *userdata) {
        kn_ipconf *c = userdata;
        struct nlmsghdr **list;
        size_t *n;
        int ifindex = c->ifindex;
        if (h->nlmsg_type == RTM_NEWADDR) {
                struct ifaddrmsg *a = nlmsg_data(h);
                if ((int) a->ifa_index != ifindex)
                        return 0;
                list = c->addrs, n = &c->n_addrs;
                if (*n == ELEMENTSOF(c->addrs))
                        return -E2BIG;
        } else if (h->nlmsg_type == RTM_NEWROUTE) {
                struct rtmsg *rt = nlmsg_data(h);
                struct nlattr *tb[RTA_MAX + 1];
                if (nlmsg_parse(h, sizeof *rt, tb, RTA_MAX, NULL) < 0)
                        return 0;
                /* The kernel's own (prefix, local, multicast, cache) come back by
                 * themselves with the addresses; its prefix routes are kept
                 * apart (kroutes), to be taken off a link ahead of its
                 * addresses. */
                if (rt->rtm_table == RT_TABLE_LOCAL || (rt->rtm_flags & RTM_F_CLONED) ||
                    rt->rtm_type != RTN_UNICAST)
                        return 0;
                bool kernel = rt->rtm_protocol == RTPROT_KERNEL;
                if (kernel && rt->rtm_family == AF_INET6 && rt->rtm_dst_len == 64 && tb[RTA_DST] &&
                    ((uint8_t *) nla_data(tb[RTA_DST]))[0] == 0xfe)
                        return 0; /* fe80::/64: every link has its own */
                if (tb[RTA_MULTIPATH] && !tb[RTA_OIF]) {
                        c->multipath = true;
                        return 0;
                }
                if (!tb[RTA_OIF] || (int) nla_get_u32(tb[RTA_OIF]) != ifindex)
                        return 0;
                list = kernel ? c->kroutes : c->routes;
                n = kernel ? &c->n_kroutes : &c->n_routes;
                if (*n == (kernel ? ELEMENTSOF(c->kroutes) : ELEMENTSOF(c->routes)))
                        return -E2BIG;
        } else if (h->nlmsg_type == RTM_NEWNEIGH) {
                struct ndmsg *nd = nlmsg_data(h);
                if (nd->ndm_ifindex != ifindex ||
                    !(nd->ndm_state &
                      (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT)))
                        return 0;
                list = c->neighs, n = &c->n_neighs;
                if (*n == ELEMENTSOF(c->neighs))
                        return 0; /* only a head start for ARP: the rest resolve as usual */
        } else
                return 0;
        list[*n] = kn_xmalloc(h->nlmsg_len);
        memcpy(list[*n], h, h->nlmsg_len);
        (*n)++;
        return 0;
}

static int dump(kn_netns *ns, int type, int family, kn_ipconf *c, kn_error *err, const char *what) {
        struct nl_msg *m = nlmsg_alloc_simple(type, NLM_F_DUMP);
        if (!m)
                abort();
        int r;
        if (type == RTM_GETADDR) {
                struct ifaddrmsg h = {.ifa_family = (uint8_t) family,
                                      .ifa_index = (unsigned) c->ifindex};
                r = nlmsg_append(m, &h, sizeof h, NLMSG_ALIGNTO);
        } else if (type == RTM_GETROUTE) {
                struct rtmsg h = {.rtm_family = (uint8_t) family};
                r = nlmsg_append(m, &h, sizeof h, NLMSG_ALIGNTO);
        } else {
                struct ndmsg h = {.ndm_family = (uint8_t) family};
                r = nlmsg_append(m, &h, sizeof h, NLMSG_ALIGNTO);
        }
        if (r < 0)
                abort();
        r = kn_nl_call(ns, NULL, m, keep, c, err, "%s of %s", what, c->name);
        return r == -E2BIG ? kn_error_set(err, E2BIG, "%s: too many %s", c->name, what) : r;
}

int kn_ipconf_read(kn_netns *ns, const char *name, int ifindex, kn_ipconf *c, kn_error *err) {
        int r;
        /* A dump the kernel flags as interrupted (something changed
         * meanwhile) is read again from the start. */
        for (int attempt = 0; attempt < 5; attempt++) {
                kn_ipconf_done(c);
                snprintf(c->name, sizeof c->name, "%s", name);
                c->ifindex = ifindex;
                r = dump(ns, RTM_GETADDR, AF_UNSPEC, c, err, "addresses");
                if (r >= 0)
                        r = dump(ns, RTM_GETROUTE, AF_INET, c, err, "IPv4 routes");
                if (r >= 0)
                        r = dump(ns, RTM_GETROUTE, AF_INET6, c, err, "IPv6 routes");
                if (r >= 0)
                        r = dump(ns, RTM_GETNEIGH, AF_INET, c, err, "neighbours");
                if (r >= 0)
                        r = dump(ns, RTM_GETNEIGH, AF_INET6, c, err, "neighbours");
                if (r != -EINTR)
                        return r;
        }
        return kn_error_set(err, EAGAIN, "%s: its addresses and routes keep changing", name);
}

void kn_ipconf_done(kn_ipconf *c) {
        for (size_t k = 0; k < c->n_addrs; k++)
                free(c->addrs[k]);
        for (size_t k = 0; k < c->n_routes; k++)
                free(c->routes[k]);
        for (size_t k = 0; k < c->n_kroutes; k++)
                free(c->kroutes[k]);
        for (size_t k = 0; k < c->n_neighs; k++)
                free(c->neighs[k]);
        *c = (kn_ipconf){0};
}

bool kn_ipconf_addr_is_link_local(const struct nlmsghdr *h) {
        const struct ifaddrmsg *a = nlmsg_data(h);
        return a->ifa_family == AF_INET6 && a->ifa_scope == RT_SCOPE_LINK;
}

static void put_attr(struct nl_msg *m, int type, const struct nlattr *a) {
        if (a && nla_put(m, type, nla_len(a), nla_data(a)) < 0)
                abort();
}

/* An IFA_LABEL names its link ("eth0", "eth0:1"): rename it for `to`, or
 * leave it out if the alias would not fit. */
static void put_label(struct nl_msg *m, const struct nlattr *a, const char *from, const char *to) {
        if (!a)
                return;
        const char *label = nla_data(a);
        size_t n = strlen(from);
        if (strncmp(label, from, n) != 0)
                return;
        char buf[IFNAMSIZ];
        if (snprintf(buf, sizeof buf, "%s%s", to, label + n) >= (int) sizeof buf)
                return;
        if (nla_put_string(m, IFA_LABEL, buf) < 0)
                abort();
}

struct nl_msg *kn_ipconf_addr_msg(const struct nlmsghdr *h, int type, int ifindex, const char *from,
                                  const char *to, bool nodad) {
        const struct ifaddrmsg *src = nlmsg_data(h);
        struct nlattr *tb[IFA_MAX + 1];
        if (nlmsg_parse((struct nlmsghdr *) h, sizeof *src, tb, IFA_MAX, NULL) < 0)
                return NULL;
        struct nl_msg *m =
                nlmsg_alloc_simple(type, type == RTM_NEWADDR ? NLM_F_CREATE | NLM_F_REPLACE : 0);
        struct ifaddrmsg ifa = *src;
        ifa.ifa_index = (unsigned) ifindex;
        if (!m || nlmsg_append(m, &ifa, sizeof ifa, NLMSG_ALIGNTO) < 0)
                abort();
        put_attr(m, IFA_LOCAL, tb[IFA_LOCAL]);
        put_attr(m, IFA_ADDRESS, tb[IFA_ADDRESS]);
        if (type == RTM_NEWADDR) {
                uint32_t flags = tb[IFA_FLAGS] ? nla_get_u32(tb[IFA_FLAGS]) : src->ifa_flags;
                /* The address is in use on this very link already: a second
                 * duplicate detection would only hold it tentative. */
                if (nodad && src->ifa_family == AF_INET6)
                        flags |= IFA_F_NODAD;
                flags &= ~(uint32_t) (IFA_F_SECONDARY | IFA_F_TENTATIVE | IFA_F_DADFAILED |
                                      IFA_F_DEPRECATED | IFA_F_PERMANENT);
                if (nla_put_u32(m, IFA_FLAGS, flags) < 0)
                        abort();
                put_attr(m, IFA_BROADCAST, tb[IFA_BROADCAST]);
                put_attr(m, IFA_RT_PRIORITY, tb[IFA_RT_PRIORITY]);
                put_label(m, tb[IFA_LABEL], from, to);
                if (tb[IFA_CACHEINFO]) {
                        /* Remaining lifetimes: a DHCP address keeps its expiry. */
                        const struct ifa_cacheinfo *ci = nla_data(tb[IFA_CACHEINFO]);
                        struct ifa_cacheinfo set = {.ifa_prefered = ci->ifa_prefered,
                                                    .ifa_valid = ci->ifa_valid};
                        if (nla_put(m, IFA_CACHEINFO, sizeof set, &set) < 0)
                                abort();
                }
        }
        return m;
}

struct nl_msg *kn_ipconf_route_msg(const struct nlmsghdr *h, int type, int ifindex) {
        const struct rtmsg *src = nlmsg_data(h);
        struct nlattr *tb[RTA_MAX + 1];
        if (nlmsg_parse((struct nlmsghdr *) h, sizeof *src, tb, RTA_MAX, NULL) < 0)
                return NULL;
        /* IPv4 keeps the first of equal routes in use, so the copy is
         * appended behind the original; IPv6 makes gateway routes of equal
         * metric siblings, which is as good once both links forward. */
        int flags = type == RTM_NEWROUTE
                            ? NLM_F_CREATE | (src->rtm_family == AF_INET ? NLM_F_APPEND : 0)
                            : 0;
        struct nl_msg *m = nlmsg_alloc_simple(type, flags);
        struct rtmsg rt = *src;
        rt.rtm_flags &= RTNH_F_ONLINK;
        if (!m || nlmsg_append(m, &rt, sizeof rt, NLMSG_ALIGNTO) < 0)
                abort();
        static const int kept[] = {RTA_DST,     RTA_SRC,     RTA_GATEWAY, RTA_PRIORITY,
                                   RTA_PREFSRC, RTA_METRICS, RTA_TABLE,   RTA_PREF,
                                   RTA_FLOW,    RTA_VIA,     RTA_EXPIRES};
        for (size_t k = 0; k < ELEMENTSOF(kept); k++)
                if (type == RTM_NEWROUTE || kept[k] != RTA_METRICS)
                        put_attr(m, kept[k], tb[kept[k]]);
        if (nla_put_u32(m, RTA_OIF, (uint32_t) ifindex) < 0)
                abort();
        return m;
}

struct nl_msg *kn_ipconf_neigh_msg(const struct nlmsghdr *h, int ifindex) {
        const struct ndmsg *src = nlmsg_data(h);
        struct nlattr *tb[NDA_MAX + 1];
        if (nlmsg_parse((struct nlmsghdr *) h, sizeof *src, tb, NDA_MAX, NULL) < 0 ||
            !tb[NDA_DST] || !tb[NDA_LLADDR])
                return NULL;
        struct nl_msg *m = nlmsg_alloc_simple(RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE);
        /* Stale: used at once, confirmed by the kernel on first use. */
        struct ndmsg nd = {.ndm_family = src->ndm_family,
                           .ndm_ifindex = ifindex,
                           .ndm_state =
                                   (src->ndm_state & NUD_PERMANENT) ? NUD_PERMANENT : NUD_STALE};
        if (!m || nlmsg_append(m, &nd, sizeof nd, NLMSG_ALIGNTO) < 0)
                abort();
        put_attr(m, NDA_DST, tb[NDA_DST]);
        put_attr(m, NDA_LLADDR, tb[NDA_LLADDR]);
        return m;
}

void kn_ipconf_describe_addr(const struct nlmsghdr *h, char *buf, size_t size) {
        const struct ifaddrmsg *a = nlmsg_data(h);
        struct nlattr *tb[IFA_MAX + 1];
        buf[0] = '\0';
        if (nlmsg_parse((struct nlmsghdr *) h, sizeof *a, tb, IFA_MAX, NULL) < 0)
                return;
        struct nlattr *x = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
        char ip[INET6_ADDRSTRLEN] = "?";
        if (x)
                inet_ntop(a->ifa_family, nla_data(x), ip, sizeof ip);
        snprintf(buf, size, "%s/%u", ip, a->ifa_prefixlen);
}

void kn_ipconf_describe_route(const struct nlmsghdr *h, char *buf, size_t size) {
        const struct rtmsg *rt = nlmsg_data(h);
        struct nlattr *tb[RTA_MAX + 1];
        buf[0] = '\0';
        if (nlmsg_parse((struct nlmsghdr *) h, sizeof *rt, tb, RTA_MAX, NULL) < 0)
                return;
        char dst[INET6_ADDRSTRLEN] = "default", gw[INET6_ADDRSTRLEN] = "";
        if (tb[RTA_DST])
                inet_ntop(rt->rtm_family, nla_data(tb[RTA_DST]), dst, sizeof dst);
        if (tb[RTA_GATEWAY])
                inet_ntop(rt->rtm_family, nla_data(tb[RTA_GATEWAY]), gw, sizeof gw);
        uint32_t table = tb[RTA_TABLE] ? nla_get_u32(tb[RTA_TABLE]) : rt->rtm_table;
        uint32_t metric = tb[RTA_PRIORITY] ? nla_get_u32(tb[RTA_PRIORITY]) : 0;
        if (tb[RTA_DST])
                snprintf(dst + strlen(dst), sizeof dst - strlen(dst), "/%u", rt->rtm_dst_len);
        snprintf(buf, size, "%s%s%s table %u metric %u", dst, gw[0] ? " via " : "", gw, table,
                 metric);
}

bool kn_ipconf_addr_is_dynamic(const struct nlmsghdr *h) {
        const struct ifaddrmsg *a = nlmsg_data(h);
        struct nlattr *tb[IFA_MAX + 1];
        if (a->ifa_family != AF_INET ||
            nlmsg_parse((struct nlmsghdr *) h, sizeof *a, tb, IFA_MAX, NULL) < 0 ||
            !tb[IFA_CACHEINFO])
                return false;
        const struct ifa_cacheinfo *ci = nla_data(tb[IFA_CACHEINFO]);
        return ci->ifa_valid != 0xFFFFFFFFu;
}
