/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Dumps into a snapshot of flat records.  Listing asks the kernel for
 * everything once; apply and read ask only about the links concerned
 * (RTM_GETLINK by name, link dumps filtered by IFLA_MASTER, address and
 * route dumps filtered by ifindex/RTA_OIF with NETLINK_GET_STRICT_CHK), so
 * their cost does not grow with the number of links in the namespace. */

#include <arpa/inet.h>
#include <linux/if_link.h>
#include <linux/ip.h>
#include <linux/rtnetlink.h>

#include "live-internal.h"

void kn_snap_done(kn_nl_snap *s) {
        free(s->links);
        free(s->addrs);
        free(s->routes);
        *s = (kn_nl_snap){0};
}

int kn_nl_parse_link(struct nlmsghdr *h, kn_nl_link *l) {
        if (h->nlmsg_type != RTM_NEWLINK && h->nlmsg_type != RTM_DELLINK)
                return -ENOENT;
        struct ifinfomsg *ifi = nlmsg_data(h);
        struct nlattr *tb[IFLA_MAX + 1];
        if (nlmsg_parse(h, sizeof *ifi, tb, IFLA_MAX, NULL) < 0 || !tb[IFLA_IFNAME])
                return -ENOENT;
        *l = (kn_nl_link){
                .ifindex = ifi->ifi_index,
                .flags = ifi->ifi_flags,
                .ops = &kn_kind_ethernet,
                .first_addr = -1,
                .first_route = -1,
                .first_child = -1,
                .next_sibling = -1,
                .promote_secondaries = -1,
        };
        nla_strlcpy(l->name, tb[IFLA_IFNAME], sizeof l->name);
        if (tb[IFLA_MTU])
                l->mtu = nla_get_u32(tb[IFLA_MTU]);
        if (tb[IFLA_OPERSTATE])
                l->operstate = nla_get_u8(tb[IFLA_OPERSTATE]);
        if (tb[IFLA_ADDRESS] && nla_len(tb[IFLA_ADDRESS]) == 6) {
                const uint8_t *b = nla_data(tb[IFLA_ADDRESS]);
                snprintf(l->mac, sizeof l->mac, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2],
                         b[3], b[4], b[5]);
        }
        if (tb[IFLA_MASTER])
                l->master = (int) nla_get_u32(tb[IFLA_MASTER]);
        if (tb[IFLA_LINK] && !tb[IFLA_LINK_NETNSID])
                l->link = (int) nla_get_u32(tb[IFLA_LINK]);
        if (tb[IFLA_GROUP])
                l->group = nla_get_u32(tb[IFLA_GROUP]);
        if (tb[IFLA_AF_SPEC]) {
                /* AF_INET { IFLA_INET_CONF: u32 per IPV4_DEVCONF_*, from 1 } */
                struct nlattr *inet =
                        nla_find(nla_data(tb[IFLA_AF_SPEC]), nla_len(tb[IFLA_AF_SPEC]), AF_INET);
                struct nlattr *conf =
                        inet ? nla_find(nla_data(inet), nla_len(inet), IFLA_INET_CONF) : NULL;
                if (conf && nla_len(conf) >= IPV4_DEVCONF_PROMOTE_SECONDARIES * 4)
                        l->promote_secondaries =
                                ((uint32_t *) nla_data(
                                        conf))[IPV4_DEVCONF_PROMOTE_SECONDARIES - 1] != 0;
        }
        if (tb[IFLA_LINKINFO]) {
                struct nlattr *li[IFLA_INFO_MAX + 1];
                if (nla_parse_nested(li, IFLA_INFO_MAX, tb[IFLA_LINKINFO], NULL) == 0 &&
                    li[IFLA_INFO_KIND]) {
                        nla_strlcpy(l->kind, li[IFLA_INFO_KIND], sizeof l->kind);
                        l->ops = kn_live_kind_by_info(l->kind);
                        if (li[IFLA_INFO_DATA] && l->ops->parse)
                                l->ops->parse(l, li[IFLA_INFO_DATA]);
                }
        }
        return 0;
}

int kn_nl_parse_addr(struct nlmsghdr *h, kn_nl_addr *a) {
        if (h->nlmsg_type != RTM_NEWADDR && h->nlmsg_type != RTM_DELADDR)
                return -ENOENT;
        struct ifaddrmsg *ifa = nlmsg_data(h);
        struct nlattr *tb[IFA_MAX + 1];
        if (nlmsg_parse(h, sizeof *ifa, tb, IFA_MAX, NULL) < 0)
                return -ENOENT;
        if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
                return -ENOENT;
        /* IPv4: IFA_LOCAL is the address, IFA_ADDRESS the peer. */
        struct nlattr *x = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
        if (!x || nla_len(x) != (ifa->ifa_family == AF_INET ? 4 : 16))
                return -ENOENT;
        *a = (kn_nl_addr){
                .ifindex = (int) ifa->ifa_index,
                .family = ifa->ifa_family,
                .prefix = ifa->ifa_prefixlen,
                .scope = ifa->ifa_scope,
                .flags = tb[IFA_FLAGS] ? nla_get_u32(tb[IFA_FLAGS]) : ifa->ifa_flags,
                .next = -1,
        };
        inet_ntop(a->family, nla_data(x), a->address, sizeof a->address);
        return 0;
}

int kn_snap_on_link(struct nlmsghdr *h, void *userdata) {
        kn_nl_snap *s = userdata;
        GREEDY_REALLOC(s->links, s->alloc_links, s->n_links + 1);
        kn_nl_link *l = &s->links[s->n_links];
        if (kn_nl_parse_link(h, l) < 0)
                return 0;
        l->order = (int) s->n_links++;
        s->indexed = false;
        return 0;
}

static int on_addr(struct nlmsghdr *h, void *userdata) {
        kn_nl_snap *s = userdata;
        GREEDY_REALLOC(s->addrs, s->alloc_addrs, s->n_addrs + 1);
        if (kn_nl_parse_addr(h, &s->addrs[s->n_addrs]) == 0)
                s->n_addrs++;
        s->indexed = false;
        return 0;
}

static int on_route(struct nlmsghdr *h, void *userdata) {
        kn_nl_snap *s = userdata;
        if (h->nlmsg_type != RTM_NEWROUTE)
                return 0;
        struct rtmsg *rtm = nlmsg_data(h);
        struct nlattr *tb[RTA_MAX + 1];
        if (nlmsg_parse(h, sizeof *rtm, tb, RTA_MAX, NULL) < 0)
                return 0;
        uint32_t table = tb[RTA_TABLE] ? nla_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
        if (rtm->rtm_dst_len != 0 || table != RT_TABLE_MAIN || rtm->rtm_type != RTN_UNICAST ||
            !tb[RTA_OIF])
                return 0;
        GREEDY_REALLOC(s->routes, s->alloc_routes, s->n_routes + 1);
        kn_nl_route *r = &s->routes[s->n_routes++];
        *r = (kn_nl_route){
                .oif = (int) nla_get_u32(tb[RTA_OIF]),
                .family = rtm->rtm_family,
                .protocol = rtm->rtm_protocol,
                .priority = tb[RTA_PRIORITY] ? nla_get_u32(tb[RTA_PRIORITY]) : 0,
                .next = -1,
        };
        if (tb[RTA_GATEWAY] && nla_len(tb[RTA_GATEWAY]) == (r->family == AF_INET ? 4 : 16))
                inet_ntop(r->family, nla_data(tb[RTA_GATEWAY]), r->gateway, sizeof r->gateway);
        s->indexed = false;
        return 0;
}

/* A dump the kernel flags as interrupted (the table changed while it was
 * read) is read again; after a few tries its result is taken as it is. */
static int dump(kn_netns *ns, kn_nl_snap *s, struct nl_msg *m, kn_nl_reply_fn fn, kn_error *err,
                const char *what) {
        size_t links = s->n_links, addrs = s->n_addrs, routes = s->n_routes;
        int r;
        for (int attempt = 0;; attempt++) {
                nlmsg_get(m);
                r = kn_nl_call(ns, NULL, m, fn, s, err, "%s", what);
                if (r != -EINTR || attempt == 4)
                        break;
                s->n_links = links;
                s->n_addrs = addrs;
                s->n_routes = routes;
        }
        nlmsg_free(m);
        return r == -EINTR ? 0 : r;
}

int kn_snap_dump_links(kn_netns *ns, kn_nl_snap *s, int master, kn_error *err) {
        struct nl_msg *m = kn_msg_link(RTM_GETLINK, NLM_F_DUMP, 0, NULL);
        if (nla_put_u32(m, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS) < 0 ||
            (master && nla_put_u32(m, IFLA_MASTER, (uint32_t) master) < 0))
                abort();
        return dump(ns, s, m, kn_snap_on_link, err, "read links");
}

int kn_snap_get_link(kn_netns *ns, kn_nl_snap *s, const char *name, int ifindex, kn_error *err) {
        for (size_t k = 0; k < s->n_links; k++)
                if (name ? streq(s->links[k].name, name) : s->links[k].ifindex == ifindex)
                        return (int) k;
        struct nl_msg *m = kn_msg_link(RTM_GETLINK, 0, name ? 0 : ifindex, name);
        if (nla_put_u32(m, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS) < 0)
                abort();
        size_t before = s->n_links;
        kn_error e = {0};
        int r = kn_nl_call(ns, NULL, m, kn_snap_on_link, s, &e, "read link %s", name ? name : "");
        if (r == -ENODEV || (r == 0 && s->n_links == before))
                return -ENODEV;
        if (r < 0) {
                kn_error_set(err, e.code, "%s", e.message);
                return r;
        }
        return (int) before;
}

int kn_snap_dump_addrs(kn_netns *ns, kn_nl_snap *s, int ifindex, kn_error *err) {
        struct nl_msg *m = nlmsg_alloc_simple(RTM_GETADDR, NLM_F_DUMP);
        struct ifaddrmsg ifa = {.ifa_family = AF_UNSPEC, .ifa_index = (uint32_t) ifindex};
        if (!m || nlmsg_append(m, &ifa, sizeof ifa, NLMSG_ALIGNTO) < 0)
                abort();
        return dump(ns, s, m, on_addr, err, "read addresses");
}

static int dump_routes(kn_netns *ns, kn_nl_snap *s, int family, int oif, kn_error *err) {
        struct nl_msg *m = nlmsg_alloc_simple(RTM_GETROUTE, NLM_F_DUMP);
        struct rtmsg rtm = {.rtm_family = (uint8_t) family};
        if (!m || nlmsg_append(m, &rtm, sizeof rtm, NLMSG_ALIGNTO) < 0 ||
            nla_put_u32(m, RTA_TABLE, RT_TABLE_MAIN) < 0 ||
            (oif && nla_put_u32(m, RTA_OIF, (uint32_t) oif) < 0))
                abort();
        kn_error e = {0};
        int r = dump(ns, s, m, on_route, &e,
                     family == AF_INET ? "read IPv4 routes" : "read IPv6 routes");
        /* IPv6 may be disabled in the namespace, and a table nothing was
         * ever put in (a new namespace's main table, lo still down) does
         * not exist yet: the kernel says ENOENT.  No routes, either way. */
        if (r == -EAFNOSUPPORT || r == -ENOENT)
                return 0;
        if (r < 0)
                kn_error_set(err, e.code, "%s", e.message);
        return r;
}

int kn_snap_dump_routes(kn_netns *ns, kn_nl_snap *s, int family, int oif, kn_error *err) {
        int r = 0;
        if (family != AF_INET6)
                r = dump_routes(ns, s, AF_INET, oif, err);
        if (r >= 0 && family != AF_INET)
                r = dump_routes(ns, s, AF_INET6, oif, err);
        return r;
}

static int cmp_link(const void *a, const void *b) {
        const kn_nl_link *x = a, *y = b;
        if (x->ifindex != y->ifindex)
                return x->ifindex < y->ifindex ? -1 : 1;
        return x->order < y->order ? 1 : x->order > y->order ? -1 : 0; /* newest first */
}

void kn_snap_index(kn_nl_snap *s) {
        bool sorted = true;
        for (size_t k = 1; k < s->n_links && sorted; k++)
                sorted = s->links[k - 1].ifindex < s->links[k].ifindex;
        if (!sorted) {
                qsort_safe(s->links, s->n_links, sizeof *s->links, cmp_link);
                size_t w = 0; /* drop older duplicates */
                for (size_t k = 0; k < s->n_links; k++)
                        if (w == 0 || s->links[w - 1].ifindex != s->links[k].ifindex)
                                s->links[w++] = s->links[k];
                s->n_links = w;
        }
        for (size_t k = 0; k < s->n_links; k++)
                s->links[k].first_addr = s->links[k].first_route = s->links[k].first_child =
                        s->links[k].next_sibling = -1;
        s->indexed = true;
        /* Walk backwards and prepend, so every chain keeps kernel order. */
        for (size_t k = s->n_links; k-- > 0;) {
                int m = s->links[k].master ? kn_snap_find(s, s->links[k].master) : -1;
                if (m >= 0 && (size_t) m != k) {
                        s->links[k].next_sibling = s->links[m].first_child;
                        s->links[m].first_child = (int) k;
                }
        }
        for (size_t k = s->n_addrs; k-- > 0;) {
                int l = kn_snap_find(s, s->addrs[k].ifindex);
                if (l >= 0) {
                        s->addrs[k].next = s->links[l].first_addr;
                        s->links[l].first_addr = (int) k;
                }
        }
        for (size_t k = s->n_routes; k-- > 0;) {
                int l = kn_snap_find(s, s->routes[k].oif);
                if (l >= 0) {
                        s->routes[k].next = s->links[l].first_route;
                        s->links[l].first_route = (int) k;
                }
        }
}

int kn_snap_find(const kn_nl_snap *s, int ifindex) {
        size_t lo = 0, hi = s->n_links;
        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (s->links[mid].ifindex == ifindex)
                        return (int) mid;
                if (s->links[mid].ifindex < ifindex)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return -1;
}

int kn_snap_find_name(const kn_nl_snap *s, const char *name) {
        for (size_t k = 0; k < s->n_links; k++)
                if (streq(s->links[k].name, name))
                        return (int) k;
        return -1;
}

/* Addresses of link k, and its default routes if asked. */
static int read_addrs(kn_netns *ns, kn_nl_snap *s, int k, bool routes, kn_error *err) {
        if (s->links[k].have_addrs)
                return 0;
        s->links[k].have_addrs = true;
        int ifindex = s->links[k].ifindex;
        kn_error e = {0};
        int r = kn_snap_dump_addrs(ns, s, ifindex, &e);
        if (r >= 0 && routes)
                r = kn_snap_dump_routes(ns, s, 0, ifindex, &e);
        /* The link went after it was listed (a guest's tap leaving the
         * bridge, read meanwhile): it is shown as listed, without
         * addresses, and its bridge is no less there (bench/load). */
        if (r == -ENODEV)
                return 0;
        if (r < 0 && e.code)
                return kn_error_set(err, e.code, "%s", e.message);
        return r;
}

int kn_snap_read_def(kn_netns *ns, kn_nl_snap *s, const kn_iface *w, bool extra_ports,
                     kn_error *err) {
        int k = kn_snap_get_link(ns, s, w->name, 0, err);
        if (k < 0 && k != -ENODEV)
                return k;
        if (k >= 0) {
                s->links[k].aux = false;
                int r = read_addrs(ns, s, k, w->ipv4.gateway[0] || w->ipv6.gateway[0], err);
                if (r >= 0 && extra_ports && s->links[k].ops->has_ports)
                        r = kn_snap_dump_links(ns, s, s->links[k].ifindex, err);
                if (r < 0)
                        return r;
        }
        if (w->type == KN_IFACE_VLAN && w->vlan_parent[0]) {
                int p = kn_snap_get_link(ns, s, w->vlan_parent, 0, err);
                if (p < 0 && p != -ENODEV)
                        return p;
                if (p >= 0 && !s->links[p].have_addrs)
                        s->links[p].aux = true;
        }
        for (size_t c = 0; c < w->n_children; c++) {
                int r = kn_snap_read_def(ns, s, w->children[c], extra_ports, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int read_below(kn_netns *ns, kn_nl_snap *s, int k, kn_error *err) {
        if (s->links[k].ops->has_ports) {
                size_t first = s->n_links;
                int r = kn_snap_dump_links(ns, s, s->links[k].ifindex, err);
                if (r < 0)
                        return r;
                for (size_t p = first, end = s->n_links; p < end; p++) {
                        r = read_below(ns, s, (int) p, err);
                        if (r < 0)
                                return r;
                }
        }
        int parent = s->links[k].ops->type == KN_IFACE_VLAN ? s->links[k].link : 0;
        if (parent) {
                int p = kn_snap_get_link(ns, s, NULL, parent, err);
                if (p < 0 && p != -ENODEV)
                        return p;
                if (p >= 0 && !s->links[p].have_addrs)
                        s->links[p].aux = true;
        }
        return 0;
}

int kn_snap_read_tree(kn_netns *ns, kn_nl_snap *s, const char *name, bool speeds, kn_error *err) {
        int k = kn_snap_get_link(ns, s, name, 0, err);
        if (k < 0)
                return k;
        int r = read_below(ns, s, k, err);
        for (size_t i = 0; r >= 0 && i < s->n_links; i++)
                if (!s->links[i].aux)
                        r = read_addrs(ns, s, (int) i, true, err);
        if (r < 0)
                return r;
        kn_snap_index(s);
        for (size_t i = 0; speeds && i < s->n_links; i++)
                if (!s->links[i].aux && s->links[i].operstate == IF_OPER_UP)
                        kn_snap_read_speeds(ns, s, s->links[i].ifindex);
        return 0;
}
