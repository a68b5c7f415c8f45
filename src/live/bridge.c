/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* iface-bridge and iface-unbridge, live: a NIC becomes a bridge port (and
 * back) while the host keeps every packet.  What keeps traffic flowing is
 * the order:
 *
 *   bridge:   create br (nic's MAC and MTU) -> nic's neighbours -> br up ->
 *             nic's addresses on br -> enslave nic -> routes on br ->
 *             routes off nic -> addresses off nic -> DHCP client to br
 *   unbridge: neighbours, addresses, routes back on nic (still a port) ->
 *             release nic and take br down in one netlink batch -> DHCP
 *             client to nic -> delete br (while the client gets its lease)
 *
 * Until nic is enslaved it receives as before; from then on frames reach
 * br, which already holds the addresses; nic keeps transmitting until its
 * routes go, and br's are in place by then.  The one instant where a
 * packet could go nowhere (nic released while br still routes) is a
 * single batch the kernel handles without a packet in between.
 *
 * Undo steps only what outlives the bridge: br's own addresses, routes
 * and neighbours go with it when it is deleted. */

#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <pthread.h>

#include "bridge-move.h"

static const char *in_ns(const kn_netns *ns) {
        static _Thread_local char buf[256];
        if (!ns->name[0])
                return "";
        snprintf(buf, sizeof buf, " in network namespace %s", ns->name);
        return buf;
}

/* ---- Checks ---- */

typedef struct wireless_probe {
        const kn_netns *ns;
        const char *name;
        int r; /* 1 wireless, 0 not, < 0 unknown */
} wireless_probe;

/* /proc/net/wireless lists the wireless links of the reader's namespace:
 * read it from a thread that enters ns, so the caller's stays as it is. */
static void *probe_wireless(void *data) {
        wireless_probe *p = data;
        p->r = kn_netns_enter(p->ns);
        if (p->r < 0)
                return NULL;
        _cleanup_fclose_ FILE *f = fopen("/proc/thread-self/net/wireless", "re");
        char line[256];
        size_t n = strlen(p->name);
        p->r = 0;
        while (f && fgets(line, sizeof line, f)) {
                const char *s = line + strspn(line, " ");
                if (strncmp(s, p->name, n) == 0 && s[n] == ':')
                        p->r = 1;
        }
        return NULL;
}

static bool is_wireless(const kn_netns *ns, const char *name) {
        wireless_probe p = {.ns = ns, .name = name, .r = -1};
        pthread_t t;
        if (pthread_create(&t, NULL, probe_wireless, &p) != 0)
                return false;
        pthread_join(t, NULL);
        return p.r == 1;
}

static const kn_nl_link *link_by_index(const kn_nl_snap *s, int ifindex) {
        int k = kn_snap_find(s, ifindex);
        return k >= 0 ? &s->links[k] : NULL;
}

static int check_nic(kn_netns *ns, const kn_nl_snap *s, const char *nic, const char *br,
                     const kn_live_bridge_opts *o, kn_error *err) {
        int k = kn_snap_find_name(s, nic);
        if (k < 0)
                return kn_error_set(err, ENODEV, "no interface named '%s'%s", nic, in_ns(ns));
        const kn_nl_link *l = &s->links[k];
        int b = kn_snap_find_name(s, br);
        if (b >= 0)
                return kn_error_set(err, EEXIST, "'%s' exists already (a%s %s link)%s", br,
                                    s->links[b].kind[0] ? "" : "n",
                                    s->links[b].kind[0] ? s->links[b].kind : "ethernet", in_ns(ns));
        if (l->master) {
                const kn_nl_link *m = link_by_index(s, l->master);
                bool bond = m && m->ops == &kn_kind_bond;
                return kn_error_set(
                        err, EBUSY, "'%s' is already a %s of %s '%s'", nic, bond ? "slave" : "port",
                        m ? (m->kind[0] ? m->kind : "link") : "link", m ? m->name : "?");
        }
        if (l->ops == &kn_kind_bridge)
                return kn_error_set(err, EINVAL, "'%s' is a bridge itself: give its port instead",
                                    nic);
        if (streq(l->kind, "tun"))
                return kn_error_set(err, EINVAL, "'%s' is a tap (a guest NIC), not a host NIC",
                                    nic);
        if (is_wireless(ns, nic))
                return kn_error_set(err, EOPNOTSUPP,
                                    "'%s' is a wireless interface: an access point drops frames "
                                    "from the guests' MACs, so it cannot be a bridge port (use a "
                                    "NAT network instead)",
                                    nic);
        _cleanup_strbuf_ kn_strbuf vlans = {0};
        for (size_t j = 0; j < s->n_links; j++)
                if (s->links[j].link == l->ifindex && s->links[j].ifindex != l->ifindex)
                        kn_strbuf_printf(&vlans, "%s%s %s", vlans.len ? ", " : "",
                                         s->links[j].kind[0] ? s->links[j].kind : "link",
                                         s->links[j].name);
        if (vlans.len && !o->force)
                return kn_error_set(err, EBUSY,
                                    "'%s' carries %s: they would stay on '%s' outside the bridge; "
                                    "bridge them separately or pass --force",
                                    nic, vlans.s, nic);
        return 0;
}

/* Leased addresses only kvmnet's own client (or the network manager that
 * makes the move) can renew once they are on the bridge. */
static int check_dhcp(kn_netns *ns, const kn_ipconf *c, bool force, bool managed, bool *ours,
                      kn_error *err) {
        *ours = kn_dhcp_running(ns, c->name, AF_INET) > 0;
        if (c->multipath && !force)
                return kn_error_set(err, EOPNOTSUPP,
                                    "'%s' is a nexthop of a multipath route, which kvmnet does "
                                    "not move: the host could lose that route; pass --force to go "
                                    "ahead",
                                    c->name);
        for (size_t k = 0; k < c->n_addrs && !*ours && !force && !managed; k++)
                if (kn_ipconf_addr_is_dynamic(c->addrs[k])) {
                        char a[64];
                        kn_ipconf_describe_addr(c->addrs[k], a, sizeof a);
                        return kn_error_set(err, EBUSY,
                                            "'%s' has the leased address %s from a DHCP client "
                                            "kvmnet does not run: on the bridge nothing would "
                                            "renew it and the host would lose it; stop that "
                                            "client and use kvmnet's (<dhcp/> in the "
                                            "definition), or pass --force",
                                            c->name, a);
                }
        return 0;
}

/* ---- Messages ---- */

static struct nl_msg *bridge_create_msg(const char *name, int ifindex, const char *mac,
                                        unsigned mtu, int stp, double delay) {
        struct nl_msg *m = kn_msg_link(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, ifindex, name);
        if (mac[0] && kn_msg_put_mac(m, mac) < 0) {
                nlmsg_free(m);
                return NULL;
        }
        if (mtu && nla_put_u32(m, IFLA_MTU, mtu) < 0)
                abort();
        _cleanup_iface_ kn_iface *w = kn_iface_new(KN_IFACE_BRIDGE, name);
        w->stp = stp < 0 ? KN_UNSET : stp ? KN_YES : KN_NO;
        w->delay = delay;
        struct nlattr *info = nla_nest_start(m, IFLA_LINKINFO);
        if (!info || nla_put_string(m, IFLA_INFO_KIND, "bridge") < 0)
                abort();
        struct nlattr *data = nla_nest_start(m, IFLA_INFO_DATA);
        if (!data)
                abort();
        kn_kind_bridge.put_options(w, NULL, NULL, m, NULL);
        nla_nest_end(m, data);
        nla_nest_end(m, info);
        return m;
}

static struct nl_msg *set_master(int ifindex, int master) {
        return kn_msg_link_u32(ifindex, IFLA_MASTER, (uint32_t) master);
}

static int read_link(kn_netns *ns, const char *name, kn_nl_link *out, kn_error *err) {
        _cleanup_snap_ kn_nl_snap s = {0};
        int k = kn_snap_get_link(ns, &s, name, 0, err);
        if (k < 0)
                return kn_error_set(err, -k, "%s: cannot be read back%s", name, in_ns(ns));
        *out = s.links[k];
        return 0;
}

/* IPv6 first, then IPv4 secondaries (deleting a primary would take them
 * along), then IPv4 primaries: the kernel flushes a link's ARP cache with
 * its last IPv4 address, so only the last step of all does that. */
static int remove_addresses(kn_netns *ns, kn_live_txn *t, const kn_ipconf *c, kn_error *err) {
        for (int pass = 0; pass < 3; pass++)
                for (size_t k = 0; k < c->n_addrs; k++) {
                        const struct nlmsghdr *h = c->addrs[k];
                        const struct ifaddrmsg *a = nlmsg_data(h);
                        int want = a->ifa_family != AF_INET           ? 0
                                   : (a->ifa_flags & IFA_F_SECONDARY) ? 1
                                                                      : 2;
                        if (kn_ipconf_addr_is_link_local(h) || want != pass)
                                continue;
                        char d[64];
                        kn_ipconf_describe_addr(h, d, sizeof d);
                        int r = kn_txn_do(ns, t,
                                          kn_ipconf_addr_msg(h, RTM_DELADDR, c->ifindex, c->name,
                                                             c->name, false),
                                          kn_ipconf_addr_msg(h, RTM_NEWADDR, c->ifindex, c->name,
                                                             c->name, true),
                                          err, "remove address %s from %s", d, c->name);
                        if (r < 0)
                                return r;
                }
        return 0;
}

/* Copy c's addresses to (ifindex, name); undo deletes them unless
 * `owned` (a link kvmnet deletes on undo takes them along). */
static int copy_addresses(kn_netns *ns, kn_live_txn *t, const kn_ipconf *c, int ifindex,
                          const char *name, bool owned, kn_error *err) {
        for (size_t k = 0; k < c->n_addrs; k++) {
                const struct nlmsghdr *h = c->addrs[k];
                if (kn_ipconf_addr_is_link_local(h))
                        continue; /* the kernel makes the same one from the same MAC */
                char d[64];
                kn_ipconf_describe_addr(h, d, sizeof d);
                int r = kn_txn_do(
                        ns, t, kn_ipconf_addr_msg(h, RTM_NEWADDR, ifindex, c->name, name, true),
                        owned ? NULL
                              : kn_ipconf_addr_msg(h, RTM_DELADDR, ifindex, c->name, name, false),
                        err, "add address %s to %s", d, name);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int copy_routes(kn_netns *ns, kn_live_txn *t, const kn_ipconf *c, int ifindex,
                       const char *name, bool owned, kn_error *err) {
        for (size_t k = 0; k < c->n_routes; k++) {
                char d[128];
                kn_ipconf_describe_route(c->routes[k], d, sizeof d);
                int r = kn_txn_do(ns, t, kn_ipconf_route_msg(c->routes[k], RTM_NEWROUTE, ifindex),
                                  owned ? NULL
                                        : kn_ipconf_route_msg(c->routes[k], RTM_DELROUTE, ifindex),
                                  err, "add route %s on %s", d, name);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int remove_route_list(kn_netns *ns, kn_live_txn *t, const kn_ipconf *c,
                             struct nlmsghdr *const *routes, size_t n, kn_error *err) {
        for (size_t k = 0; k < n; k++) {
                char d[128];
                kn_ipconf_describe_route(routes[k], d, sizeof d);
                int r = kn_txn_do(ns, t, kn_ipconf_route_msg(routes[k], RTM_DELROUTE, c->ifindex),
                                  kn_ipconf_route_msg(routes[k], RTM_NEWROUTE, c->ifindex), err,
                                  "remove route %s from %s", d, c->name);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int remove_routes(kn_netns *ns, kn_live_txn *t, const kn_ipconf *c, kn_error *err) {
        return remove_route_list(ns, t, c, c->routes, c->n_routes, err);
}

static void copy_neighbours(kn_netns *ns, kn_live_txn *t, const kn_ipconf *c, int ifindex,
                            const char *name) {
        /* A head start for the new link's ARP/ND cache; a refused entry only
         * means one address is resolved again. */
        for (size_t k = 0; k < c->n_neighs; k++) {
                kn_error e = {0};
                (void) kn_txn_do(ns, t, kn_ipconf_neigh_msg(c->neighs[k], ifindex), NULL, &e,
                                 "copy a neighbour of %s to %s", c->name, name);
        }
}

static int undo_on_failure(kn_netns *ns, kn_live_txn *t, size_t mark, int r, kn_error *err) {
        if (r >= 0)
                return r;
        size_t n = t->n - mark;
        kn_error e = {0};
        size_t len = strlen(err->message);
        if (kn_live_txn_rollback_to(ns, t, mark, &e) < 0)
                snprintf(err->message + len, sizeof err->message - len,
                         "; undoing the %zu steps done failed: %s", n, e.message);
        else if (n)
                snprintf(err->message + len, sizeof err->message - len,
                         "; the %zu step%s done %s undone", n, n == 1 ? "" : "s",
                         n == 1 ? "was" : "were");
        return r;
}

/* ---- iface-bridge ---- */

/* On undo, once the NIC has its addresses and routes back, the bridge's
 * prefix routes go before the NIC is released, so that the host already
 * sends through the NIC when the bridge stops forwarding. */
static int undo_sends_through(kn_netns *ns, kn_live_txn *t, const kn_nl_link *b, kn_error *err) {
        _cleanup_free_ kn_ipconf *bc = kn_xcalloc(1, sizeof *bc);
        int r = kn_ipconf_read(ns, b->name, b->ifindex, bc, err);
        for (size_t k = 0; r >= 0 && k < bc->n_kroutes; k++)
                kn_txn_note(t, kn_ipconf_route_msg(bc->kroutes[k], RTM_DELROUTE, b->ifindex),
                            "take the prefix routes off %s first on undo", b->name);
        kn_ipconf_done(bc);
        return r;
}

static int bridge_steps(kn_netns *ns, const kn_nl_link *nic, const char *br,
                        const kn_live_bridge_opts *o, const kn_ipconf *c, bool dhcp, kn_live_txn *t,
                        kn_error *err) {
        int r = kn_txn_do(ns, t, bridge_create_msg(br, 0, nic->mac, nic->mtu, o->stp, o->delay),
                          kn_msg_link(RTM_DELLINK, 0, 0, br), err,
                          "create bridge %s with the mac %s and mtu %u of %s", br, nic->mac,
                          nic->mtu, nic->name);
        if (r < 0)
                return r;
        kn_nl_link b = {0};
        r = read_link(ns, br, &b, err);
        if (r < 0)
                return r;
        copy_neighbours(ns, t, c, b.ifindex, br);
        r = kn_txn_do(ns, t, kn_msg_link_up(b.ifindex, true), NULL, err, "bring %s up", br);
        if (r >= 0)
                r = copy_addresses(ns, t, c, b.ifindex, br, true, err);
        if (r < 0)
                return r;
        if (dhcp) {
                /* Its undo (the client back to the NIC) must run once the NIC
                 * is released, so it goes in before the enslave. */
                char arg[2 * IFNAMSIZ + 2];
                snprintf(arg, sizeof arg, "%s %s", nic->name, br);
                kn_txn_record(t, "move the DHCP client back", kn_dhcp_move_undo, arg);
        }
        /* Undone in one batch with br going down: br's routes vanish in the
         * same instant the NIC receives for itself again. */
        r = kn_txn_batch(ns, t, set_master(nic->ifindex, b.ifindex), NULL,
                         set_master(nic->ifindex, 0), kn_msg_link_up(b.ifindex, false), err,
                         "make %s a port of %s", nic->name, br);
        if (r >= 0)
                r = undo_sends_through(ns, t, &b, err);
        if (r >= 0)
                r = copy_routes(ns, t, c, b.ifindex, br, false, err);
        if (r >= 0)
                r = remove_routes(ns, t, c, err);
        if (r >= 0)
                r = remove_addresses(ns, t, c, err);
        /* The NIC's neighbours went with its last IPv4 address, the last
         * step above.  On undo they come back before its addresses: else
         * its first reply waits for ARP, and the answer to a request sent
         * while the NIC is still a port reaches the bridge, not the NIC
         * (seen: 0.5 s of silence). */
        for (size_t k = 0; r >= 0 && k < c->n_neighs; k++)
                kn_txn_note(t, kn_ipconf_neigh_msg(c->neighs[k], nic->ifindex),
                            "give %s a neighbour back first on undo", nic->name);
        if (r >= 0 && dhcp)
                r = kn_dhcp_move(ns, nic->name, br, err);
        return r;
}

/* The refusals, with the links and the NIC's configuration read. */
static int prepare(kn_netns *ns, const char *nic, const char *br, const kn_live_bridge_opts *o,
                   kn_nl_snap *s, kn_ipconf *c, bool *dhcp, kn_error *err) {
        int r = kn_ifname_validate(nic, NULL, err);
        if (r >= 0)
                r = kn_ifname_validate(br, "bridge", err);
        if (r >= 0)
                r = kn_snap_dump_links(ns, s, 0, err);
        if (r < 0)
                return r;
        kn_snap_index(s);
        r = check_nic(ns, s, nic, br, o, err);
        if (r < 0)
                return r;
        const kn_nl_link *l = &s->links[kn_snap_find_name(s, nic)];
        r = kn_ipconf_read(ns, nic, l->ifindex, c, err);
        return r < 0 ? r : check_dhcp(ns, c, o->force, o->managed, dhcp, err);
}

int kn_live_bridge_check(kn_netns *ns, const char *nic, const char *br,
                         const kn_live_bridge_opts *o, kn_error *err) {
        _cleanup_snap_ kn_nl_snap s = {0};
        _cleanup_free_ kn_ipconf *c = kn_xcalloc(1, sizeof *c);
        bool dhcp;
        int r = prepare(ns, nic, br, o, &s, c, &dhcp, err);
        kn_ipconf_done(c);
        return r;
}

int kn_live_bridge(kn_netns *ns, const char *nic, const char *br, const kn_live_bridge_opts *o,
                   kn_live_txn *t, kn_error *err) {
        _cleanup_snap_ kn_nl_snap s = {0};
        _cleanup_free_ kn_ipconf *c = kn_xcalloc(1, sizeof *c);
        bool dhcp = false;
        int r = prepare(ns, nic, br, o, &s, c, &dhcp, err);
        if (r < 0) {
                kn_ipconf_done(c);
                return r;
        }
        const kn_nl_link *l = &s.links[kn_snap_find_name(&s, nic)];
        size_t mark = t->n;
        r = bridge_steps(ns, l, br, o, c, dhcp, t, err);
        kn_ipconf_done(c);
        return undo_on_failure(ns, t, mark, r, err);
}

/* ---- iface-unbridge ---- */

static int find_port(kn_netns *ns, const kn_nl_snap *s, const kn_nl_link *b, bool force,
                     const kn_nl_link **ret, kn_strbuf *taps, kn_error *err) {
        const kn_nl_link *nic = NULL;
        _cleanup_strbuf_ kn_strbuf others = {0};
        for (size_t k = 0; k < s->n_links; k++) {
                const kn_nl_link *p = &s->links[k];
                if (p->master != b->ifindex)
                        continue;
                if (streq(p->kind, "tun"))
                        kn_strbuf_printf(taps, "%s%s", taps->len ? ", " : "", p->name);
                else {
                        kn_strbuf_printf(&others, "%s%s", others.len ? ", " : "", p->name);
                        nic = nic ? b : p; /* b: marks "more than one" */
                }
        }
        if (!nic)
                return kn_error_set(err, ENODEV,
                                    "bridge '%s' has no port to give its configuration back to",
                                    b->name);
        if (nic == b)
                return kn_error_set(err, EBUSY,
                                    "bridge '%s' has several ports (%s): iface-unbridge gives its "
                                    "configuration back to one NIC",
                                    b->name, others.s);
        if (taps->len && !force)
                return kn_error_set(err, EBUSY,
                                    "guest NICs %s sit on bridge '%s' and would lose their "
                                    "network: detach them first, or pass --force",
                                    taps->s, b->name);
        *ret = nic;
        return 0;
}

static int unbridge_steps(kn_netns *ns, const kn_nl_snap *s, const kn_nl_link *b,
                          const kn_nl_link *nic, const kn_ipconf *c, kn_live_txn *t,
                          kn_error *err) {
        bool dhcp = kn_dhcp_running(ns, b->name, AF_INET) > 0;
        copy_neighbours(ns, t, c, nic->ifindex, nic->name);
        int r = copy_addresses(ns, t, c, nic->ifindex, nic->name, false, err);
        if (r >= 0)
                r = copy_routes(ns, t, c, nic->ifindex, nic->name, false, err);
        if (r < 0)
                return r;
        if (dhcp) {
                char arg[2 * IFNAMSIZ + 2];
                snprintf(arg, sizeof arg, "%s %s", b->name, nic->name);
                kn_txn_record(t, "move the DHCP client back", kn_dhcp_move_undo, arg);
        }
        /* What the bridge loses by going down and away, put back on undo
         * once it is up again (these run after the batch's undo). */
        for (size_t k = 0; k < c->n_addrs; k++)
                if (!kn_ipconf_addr_is_link_local(c->addrs[k]))
                        kn_txn_note(t,
                                    kn_ipconf_addr_msg(c->addrs[k], RTM_NEWADDR, b->ifindex,
                                                       b->name, b->name, true),
                                    "keep an address of %s for undo", b->name);
        for (size_t k = 0; k < c->n_routes; k++)
                kn_txn_note(t, kn_ipconf_route_msg(c->routes[k], RTM_NEWROUTE, b->ifindex),
                            "keep a route of %s for undo", b->name);
        /* Every route off the bridge while the NIC still forwards for it:
         * from here the host sends through the NIC, which has the same
         * routes, and receives through the bridge, which has the addresses;
         * so the release below leaves no instant with nowhere to send. */
        r = remove_routes(ns, t, c, err);
        if (r >= 0)
                r = remove_route_list(ns, t, c, c->kroutes, c->n_kroutes, err);
        if (r < 0)
                return r;
        for (size_t k = 0; k < s->n_links; k++)
                if (s->links[k].master == b->ifindex && s->links[k].ifindex != nic->ifindex)
                        kn_txn_note(t, set_master(s->links[k].ifindex, b->ifindex),
                                    "keep %s on %s for undo", s->links[k].name, b->name);
        r = kn_txn_batch(ns, t, set_master(nic->ifindex, 0), kn_msg_link_up(b->ifindex, false),
                         kn_msg_link_up(b->ifindex, true), set_master(nic->ifindex, b->ifindex),
                         err, "release %s from %s and take %s down", nic->name, b->name, b->name);
        kn_dhcp_client client = {.pid = -1, .pidfd = -1};
        if (r >= 0 && dhcp)
                r = kn_dhcp_move_begin(ns, b->name, nic->name, &client, err);
        if (r < 0)
                return r;
        /* Recreated with the same ifindex on undo, so every later undo
         * message still names the right link.  The kernel takes tens of ms
         * to delete a link (RCU grace periods); the client's DHCP exchange
         * on the NIC, which already has the address, runs meanwhile. */
        r = kn_txn_do(ns, t, kn_msg_link(RTM_DELLINK, 0, b->ifindex, NULL),
                      bridge_create_msg(b->name, b->ifindex, b->mac, b->mtu, b->u.br.stp,
                                        b->u.br.fwd_delay >= 0 ? b->u.br.fwd_delay / 100.0 : -1),
                      err, "delete bridge %s", b->name);
        if (dhcp) {
                kn_error e = {0};
                int rc = kn_dhcp_move_end(ns, &client, r < 0 ? &e : err);
                if (r >= 0)
                        r = rc;
        }
        return r;
}

int kn_live_unbridge(kn_netns *ns, const char *br, bool force, kn_live_txn *t, char *ret_nic,
                     kn_error *err) {
        int r = kn_ifname_validate(br, "bridge", err);
        if (r < 0)
                return r;
        _cleanup_snap_ kn_nl_snap s = {0};
        r = kn_snap_dump_links(ns, &s, 0, err);
        if (r < 0)
                return r;
        kn_snap_index(&s);
        int k = kn_snap_find_name(&s, br);
        if (k < 0)
                return kn_error_set(err, ENODEV, "no interface named '%s'%s", br, in_ns(ns));
        const kn_nl_link *b = &s.links[k];
        if (b->ops != &kn_kind_bridge)
                return kn_error_set(err, EINVAL, "'%s' is not a bridge (it is a%s %s link)", br,
                                    b->kind[0] ? "" : "n", b->kind[0] ? b->kind : "ethernet");
        const kn_nl_link *nic = NULL;
        _cleanup_strbuf_ kn_strbuf taps = {0};
        r = find_port(ns, &s, b, force, &nic, &taps, err);
        if (r < 0)
                return r;
        _cleanup_free_ kn_ipconf *c = kn_xcalloc(1, sizeof *c);
        r = kn_ipconf_read(ns, br, b->ifindex, c, err);
        if (r < 0) {
                kn_ipconf_done(c);
                return r;
        }
        size_t mark = t->n;
        r = unbridge_steps(ns, &s, b, nic, c, t, err);
        kn_ipconf_done(c);
        if (r >= 0 && ret_nic)
                snprintf(ret_nic, IFNAMSIZ, "%s", nic->name);
        return undo_on_failure(ns, t, mark, r, err);
}
