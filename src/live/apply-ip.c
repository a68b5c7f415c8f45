/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Address, route and DHCP phases of kn_live_apply. */

#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

#include "apply.h"

#define V6_DEFAULT_METRIC 1024 /* what the kernel gives a metric-0 IPv6 route */

static bool same_ip(int family, const char *a, const char *b) {
        unsigned char x[16], y[16];
        if (inet_pton(family, a, x) != 1 || inet_pton(family, b, y) != 1)
                return false;
        return memcmp(x, y, family == AF_INET ? 4 : 16) == 0;
}

/* Kernel-managed: IPv6 link-local addresses are never added or removed. */
static bool unmanaged(const kn_nl_addr *x) {
        return x->family == AF_INET6 && x->scope == RT_SCOPE_LINK;
}

static const kn_ipaddr *wanted(const kn_protocol *p, int family, const kn_nl_addr *x,
                               bool any_prefix) {
        for (size_t k = 0; k < p->n_ips; k++)
                if (same_ip(family, p->ips[k].address, x->address) &&
                    (any_prefix || p->ips[k].prefix < 0 || p->ips[k].prefix == x->prefix))
                        return &p->ips[k];
        return NULL;
}

/* Removing a link's last IPv4 address takes its routes with it: put the
 * default routes in the journal first, so that undo brings them back
 * (after the address, since undo runs backwards). */
static int save_routes(kn_apply *a, int ifindex, int family, const char *ifname) {
        _cleanup_snap_ kn_nl_snap rs = {0};
        int r = kn_snap_dump_routes(a->ns, &rs, family, ifindex, a->err);
        if (r < 0)
                return r;
        for (size_t k = 0; k < rs.n_routes; k++) {
                const kn_nl_route *o = &rs.routes[k];
                if (o->oif != ifindex || !o->gateway[0])
                        continue;
                kn_txn_note(a->t,
                            kn_msg_default_route(RTM_NEWROUTE, ifindex, family, o->gateway,
                                                 o->priority, o->protocol),
                            "keep default route via %s on %s for undo", o->gateway, ifname);
        }
        return 0;
}

static int remove_addr(kn_apply *a, kn_nl_link *l, kn_nl_addr *x, bool *saved) {
        if (!*saved) {
                int r = save_routes(a, l->ifindex, x->family, l->name);
                if (r < 0)
                        return r;
                *saved = true;
        }
        int r = kn_txn_do(a->ns, a->t,
                          kn_msg_addr(RTM_DELADDR, l->ifindex, x->family, x->address, x->prefix),
                          kn_msg_addr(RTM_NEWADDR, l->ifindex, x->family, x->address, x->prefix),
                          a->err, "remove address %s/%u from %s", x->address, x->prefix, l->name);
        if (r >= 0)
                x->ifindex = -1;
        return r;
}

static int family_addresses(kn_apply *a, kn_nl_link *l, const kn_protocol *p, int family) {
        bool keep_extra = p->dhcp || (family == AF_INET6 && p->autoconf);
        bool saved = false;
        /* Same address, other prefix: IPv6 cannot hold both, so it goes first. */
        for (size_t k = 0; k < a->s.n_addrs; k++) {
                kn_nl_addr *x = &a->s.addrs[k];
                if (x->ifindex != l->ifindex || x->family != family || unmanaged(x))
                        continue;
                if (!wanted(p, family, x, false) && wanted(p, family, x, true)) {
                        int r = remove_addr(a, l, x, &saved);
                        if (r < 0)
                                return r;
                }
        }
        /* Add before removing the rest: the routes via the link stay up. */
        for (size_t i = 0; i < p->n_ips; i++) {
                const kn_ipaddr *w = &p->ips[i];
                bool have = false;
                for (size_t k = 0; k < a->s.n_addrs && !have; k++) {
                        kn_nl_addr *x = &a->s.addrs[k];
                        have = x->ifindex == l->ifindex && x->family == family &&
                               same_ip(family, w->address, x->address) &&
                               (w->prefix < 0 || w->prefix == x->prefix);
                }
                if (have)
                        continue;
                int r = kn_txn_do(
                        a->ns, a->t,
                        kn_msg_addr(RTM_NEWADDR, l->ifindex, family, w->address, w->prefix),
                        kn_msg_addr(RTM_DELADDR, l->ifindex, family, w->address, w->prefix), a->err,
                        "add address %s/%d to %s", w->address,
                        w->prefix >= 0      ? w->prefix
                        : family == AF_INET ? 32
                                            : 128,
                        l->name);
                if (r < 0)
                        return r;
        }
        bool promoted = false;
        /* IPv4 secondaries before primaries: deleting a primary takes its
         * secondaries along, and their undo would be lost. */
        for (int pass = 0; !keep_extra && pass < 2; pass++)
                for (size_t k = 0; k < a->s.n_addrs; k++) {
                        kn_nl_addr *x = &a->s.addrs[k];
                        bool secondary = family == AF_INET && (x->flags & IFA_F_SECONDARY);
                        if (x->ifindex != l->ifindex || x->family != family || unmanaged(x) ||
                            wanted(p, family, x, false) || secondary != (pass == 0))
                                continue;
                        /* Deleting an IPv4 primary deletes its secondaries too
                         * (the address just added may be one), unless the link
                         * promotes them: so it does while kvmnet removes. */
                        if (family == AF_INET && p->n_ips && l->promote_secondaries == 0 &&
                            !promoted) {
                                int r = kn_txn_do(
                                        a->ns, a->t,
                                        kn_msg_link_promote_secondaries(l->ifindex, true),
                                        kn_msg_link_promote_secondaries(l->ifindex, false), a->err,
                                        "turn promote_secondaries on for %s", l->name);
                                if (r < 0)
                                        return r;
                                promoted = true;
                        }
                        int r = remove_addr(a, l, x, &saved);
                        if (r < 0)
                                return r;
                }
        if (promoted)
                return kn_txn_do(a->ns, a->t, kn_msg_link_promote_secondaries(l->ifindex, false),
                                 kn_msg_link_promote_secondaries(l->ifindex, true), a->err,
                                 "turn promote_secondaries off again for %s", l->name);
        return 0;
}

int kn_apply_addresses(kn_apply *a, const kn_iface *w, bool top) {
        static const kn_protocol none = {.present = true};
        kn_nl_link *l = kn_apply_link(a, w->name);
        for (int f = 0; f < 2; f++) {
                const kn_protocol *p = f ? &w->ipv6 : &w->ipv4;
                /* A family the definition leaves out is not managed, except on
                 * ports: a port's addresses move to its master. */
                if (!p->present && top)
                        continue;
                int r = family_addresses(a, l, p->present ? p : &none, f ? AF_INET6 : AF_INET);
                if (r < 0)
                        return r;
        }
        for (size_t k = 0; k < w->n_children; k++) {
                int r = kn_apply_addresses(a, w->children[k], false);
                if (r < 0)
                        return r;
        }
        return 0;
}

static const char *link_name(kn_apply *a, int ifindex, char *buf, size_t size) {
        for (size_t k = 0; k < a->s.n_links; k++)
                if (a->s.links[k].ifindex == ifindex)
                        return a->s.links[k].name;
        snprintf(buf, size, "ifindex %d", ifindex);
        return buf;
}

static int family_route(kn_apply *a, const kn_nl_link *l, const char *gateway, int family) {
        _cleanup_snap_ kn_nl_snap rs = {0};
        int r = kn_snap_dump_routes(a->ns, &rs, family, 0, a->err);
        if (r < 0)
                return r;
        uint32_t prio = family == AF_INET ? 0 : V6_DEFAULT_METRIC;
        bool have = false;
        for (size_t k = 0; k < rs.n_routes; k++)
                have |= rs.routes[k].oif == l->ifindex &&
                        same_ip(family, rs.routes[k].gateway, gateway);
        if (!have) {
                char buf[32];
                /* The add replaces a default route of the same metric. */
                for (size_t k = 0; k < rs.n_routes; k++) {
                        const kn_nl_route *o = &rs.routes[k];
                        if (o->priority != prio)
                                continue;
                        kn_txn_note(a->t,
                                    kn_msg_default_route(RTM_NEWROUTE, o->oif, family, o->gateway,
                                                         o->priority, o->protocol),
                                    "replace default route via %s on %s",
                                    o->gateway[0] ? o->gateway : "(none)",
                                    link_name(a, o->oif, buf, sizeof buf));
                }
                r = kn_txn_do(a->ns, a->t,
                              kn_msg_default_route(RTM_NEWROUTE, l->ifindex, family, gateway, prio,
                                                   RTPROT_STATIC),
                              kn_msg_default_route(RTM_DELROUTE, l->ifindex, family, gateway, prio,
                                                   RTPROT_STATIC),
                              a->err, "add default route via %s on %s", gateway, l->name);
                if (r < 0)
                        return r;
        }
        /* Other default routes through this link. */
        for (size_t k = 0; k < rs.n_routes; k++) {
                const kn_nl_route *o = &rs.routes[k];
                if (o->oif != l->ifindex || same_ip(family, o->gateway, gateway) ||
                    (!have && o->priority == prio))
                        continue;
                r = kn_txn_do(a->ns, a->t,
                              kn_msg_default_route(RTM_DELROUTE, o->oif, family, o->gateway,
                                                   o->priority, o->protocol),
                              kn_msg_default_route(RTM_NEWROUTE, o->oif, family, o->gateway,
                                                   o->priority, o->protocol),
                              a->err, "remove default route via %s on %s", o->gateway, l->name);
                if (r < 0)
                        return r;
        }
        return 0;
}

int kn_apply_routes(kn_apply *a, const kn_iface *w) {
        for (size_t k = 0; k < w->n_children; k++) {
                int r = kn_apply_routes(a, w->children[k]);
                if (r < 0)
                        return r;
        }
        for (int f = 0; f < 2; f++) {
                const kn_protocol *p = f ? &w->ipv6 : &w->ipv4;
                if (!p->present || p->dhcp || !p->gateway[0])
                        continue;
                int r = family_route(a, kn_apply_link(a, w->name), p->gateway,
                                     f ? AF_INET6 : AF_INET);
                if (r < 0)
                        return r;
        }
        return 0;
}

int kn_apply_dhcp(kn_apply *a, const kn_iface *w) {
        for (size_t k = 0; k < w->n_children; k++) {
                int r = kn_apply_dhcp(a, w->children[k]);
                if (r < 0)
                        return r;
        }
        if (!w->ipv4.present || !w->ipv4.dhcp || kn_dhcp_running(a->ns, w->name, AF_INET) > 0)
                return 0;
        int r = kn_dhcp_start(a->ns, w->name, AF_INET, a->err);
        if (r < 0)
                return r;
        char what[64];
        snprintf(what, sizeof what, "start DHCP client on %s", w->name);
        kn_txn_record(a->t, what, kn_dhcp_stop_undo, w->name);
        return 0;
}
