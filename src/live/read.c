/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Snapshot records -> kn_iface models: kn_live_read and kn_live_list. */

#include "live-internal.h"

static void add_ip(kn_protocol *p, const kn_nl_addr *a) {
        p->present = true;
        p->ips = kn_xrealloc(p->ips, (p->n_ips + 1) * sizeof *p->ips);
        kn_ipaddr *x = &p->ips[p->n_ips++];
        memcpy(x->address, a->address, sizeof x->address);
        x->prefix = a->prefix;
}

static void model_addresses(kn_netns *ns, const kn_nl_snap *s, const kn_nl_link *l, kn_iface *i) {
        for (int a = l->first_addr; a >= 0; a = s->addrs[a].next)
                add_ip(s->addrs[a].family == AF_INET ? &i->ipv4 : &i->ipv6, &s->addrs[a]);

        /* The default route that wins: lowest metric. */
        const kn_nl_route *best[2] = {NULL, NULL};
        for (int r = l->first_route; r >= 0; r = s->routes[r].next) {
                const kn_nl_route *x = &s->routes[r];
                int f = x->family == AF_INET6;
                if (x->gateway[0] && (!best[f] || x->priority < best[f]->priority))
                        best[f] = x;
        }
        for (int f = 0; f < 2; f++) {
                kn_protocol *p = f ? &i->ipv6 : &i->ipv4;
                if (best[f]) {
                        p->present = true;
                        memcpy(p->gateway, best[f]->gateway, sizeof p->gateway);
                }
        }
        if (ns && kn_dhcp_running(ns, l->name, AF_INET) > 0)
                i->ipv4.present = i->ipv4.dhcp = true;
}

static kn_link_state link_state(const kn_nl_link *l) {
        return l->operstate <= IF_OPER_UP ? (kn_link_state) (l->operstate + 1) : KN_LINK_UNSET;
}

/* Only what interface.rng allows (so virt-xml-validate accepts the live
 * XML, as it accepts libvirt's): a MAC on ethernet (and in the model of a
 * bridge, which the XML does not print; verify compares it), <link> on all but
 * bridges, and on ports and slaves no <mtu> or <protocol>.  kn_live_list
 * has operstate and MAC of every link besides. */
static kn_iface *model(kn_netns *ns, const kn_nl_snap *s, int k, bool port) {
        const kn_nl_link *l = &s->links[k];
        kn_iface *i = kn_iface_new(l->ops->type, l->name);
        if (i->type == KN_IFACE_ETHERNET || i->type == KN_IFACE_BRIDGE)
                memcpy(i->mac, l->mac, sizeof i->mac);
        if (i->type != KN_IFACE_BRIDGE) {
                i->link_state = link_state(l);
                i->link_speed = l->speed;
        }
        if (!port) {
                i->mtu = l->mtu;
                model_addresses(ns, s, l, i);
        }
        for (int c = l->first_child; c >= 0; c = s->links[c].next_sibling)
                kn_iface_add_child(i, model(ns, s, c, true));
        if (l->ops->to_model)
                l->ops->to_model(l, s, i);
        return i;
}

kn_iface *kn_snap_model(kn_netns *ns, const kn_nl_snap *s, int k) {
        return model(ns, s, k, false);
}

int kn_live_read(kn_netns *ns, const char *name, kn_iface **ret, kn_error *err) {
        int r = kn_ifname_validate(name, NULL, err);
        if (r < 0)
                return r;
        _cleanup_snap_ kn_nl_snap s = {0};
        r = kn_snap_read_tree(ns, &s, name, true, err);
        if (r == -ENODEV)
                return kn_error_set(err, ENODEV, "no interface named '%s'%s%s", name,
                                    ns->name[0] ? " in network namespace " : "", ns->name);
        if (r < 0)
                return r;
        *ret = kn_snap_model(ns, &s, kn_snap_find_name(&s, name));
        return 0;
}

int kn_live_list(kn_netns *ns, kn_live_link **ret, size_t *n_ret, kn_error *err) {
        _cleanup_snap_ kn_nl_snap s = {0};
        int r = kn_snap_dump_links(ns, &s, 0, err);
        if (r >= 0)
                r = kn_snap_dump_addrs(ns, &s, 0, err);
        if (r >= 0)
                r = kn_snap_dump_routes(ns, &s, 0, 0, err);
        if (r < 0)
                return r;
        kn_snap_index(&s);
        kn_snap_read_speeds(ns, &s, 0);

        kn_live_link *links = kn_xcalloc(s.n_links, sizeof *links);
        for (size_t k = 0; k < s.n_links; k++) {
                const kn_nl_link *l = &s.links[k];
                links[k] = (kn_live_link){
                        .iface = kn_snap_model(ns, &s, (int) k),
                        .ifindex = l->ifindex,
                        .flags = l->flags,
                        .active = l->flags & IFF_UP,
                        .state = link_state(l),
                        .speed = l->speed,
                        .master = l->master,
                };
                memcpy(links[k].kind, l->kind, sizeof links[k].kind);
                memcpy(links[k].mac, l->mac, sizeof links[k].mac);
        }
        *ret = links;
        *n_ret = s.n_links;
        return 0;
}

void kn_live_links_free(kn_live_link *links, size_t n) {
        for (size_t k = 0; links && k < n; k++)
                kn_iface_free(links[k].iface);
        free(links);
}
