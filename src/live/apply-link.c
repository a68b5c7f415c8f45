/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Link-level phases of kn_live_apply.  Every step names its undo right
 * where it is made. */

#include <strings.h>

#include "apply.h"

static const char *type_name(kn_iface_type t) {
        return kn_iface_type_to_string(t);
}

/* IFLA_LINKINFO { IFLA_INFO_KIND, IFLA_INFO_DATA { options } } into fwd, the
 * live values into undo.  Returns how many options differ. */
static int put_linkinfo(struct nl_msg *fwd, struct nl_msg *undo, const kn_live_kind *ops,
                        const kn_iface *w, const kn_nl_link *live, const kn_nl_snap *s) {
        struct nl_msg *m[2] = {fwd, undo};
        struct nlattr *li[2] = {NULL, NULL}, *data[2] = {NULL, NULL};
        for (int k = 0; k < 2 && m[k]; k++) {
                li[k] = nla_nest_start(m[k], IFLA_LINKINFO);
                if (!li[k] || nla_put_string(m[k], IFLA_INFO_KIND, ops->kind) < 0 ||
                    !(data[k] = nla_nest_start(m[k], IFLA_INFO_DATA)))
                        abort();
        }
        int n = ops->put_options ? ops->put_options(w, live, s, fwd, undo) : 0;
        for (int k = 0; k < 2 && m[k]; k++) {
                nla_nest_end(m[k], data[k]);
                nla_nest_end(m[k], li[k]);
        }
        return n;
}

int kn_apply_create(kn_apply *a, const kn_iface *w) {
        for (size_t k = 0; k < w->n_children; k++) {
                int r = kn_apply_create(a, w->children[k]);
                if (r < 0)
                        return r;
        }
        if (kn_apply_link(a, w->name))
                return 0;
        const kn_live_kind *ops = kn_live_kind_by_type(w->type);
        struct nl_msg *m = kn_msg_link(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0, w->name);
        int r = ops->put_create ? ops->put_create(w, &a->s, m, a->err) : 0;
        if (r >= 0 && w->mac[0] && kn_msg_put_mac(m, w->mac) < 0)
                r = kn_error_set(a->err, EINVAL, "%s: bad mac '%s'", w->name, w->mac);
        if (r < 0) {
                nlmsg_free(m);
                return r;
        }
        put_linkinfo(m, NULL, ops, w, NULL, &a->s);
        /* NLM_F_ECHO: the kernel (>= 6.1) answers with the new link, which
         * saves reading it back; older ones don't, then it is read. */
        nlmsg_hdr(m)->nlmsg_flags |= NLM_F_ECHO;
        r = kn_txn_call(a->ns, a->t, m, kn_msg_link(RTM_DELLINK, 0, 0, w->name), kn_snap_on_link,
                        &a->s, a->err, "create %s %s", type_name(w->type), w->name);
        if (r < 0)
                return r;
        int k = kn_snap_get_link(a->ns, &a->s, w->name, 0, a->err);
        if (k < 0)
                return kn_error_set(a->err, -k, "%s: created, but cannot be read back", w->name);
        a->s.links[k].have_addrs = true; /* new: no addresses, no routes */
        return 0;
}

static int set_mac(kn_apply *a, kn_nl_link *l, const char *mac) {
        kn_error e = {0};
        int r = kn_txn_do(a->ns, a->t, kn_msg_link_mac(l->ifindex, mac),
                          kn_msg_link_mac(l->ifindex, l->mac), &e, "set mac of %s to %s", l->name,
                          mac);
        if (r == -EBUSY && (l->flags & IFF_UP)) {
                /* This driver changes its MAC only while down. */
                r = kn_txn_do(a->ns, a->t, kn_msg_link_up(l->ifindex, false),
                              kn_msg_link_up(l->ifindex, true), a->err,
                              "bring %s down to change its mac", l->name);
                if (r >= 0)
                        r = kn_txn_do(a->ns, a->t, kn_msg_link_mac(l->ifindex, mac),
                                      kn_msg_link_mac(l->ifindex, l->mac), a->err,
                                      "set mac of %s to %s", l->name, mac);
                if (r >= 0)
                        r = kn_txn_do(a->ns, a->t, kn_msg_link_up(l->ifindex, true),
                                      kn_msg_link_up(l->ifindex, false), a->err, "bring %s up",
                                      l->name);
        } else if (r < 0)
                kn_error_set(a->err, e.code, "%s", e.message);
        if (r >= 0)
                snprintf(l->mac, sizeof l->mac, "%s", mac);
        return r;
}

static bool has_child(const kn_iface *w, const char *name) {
        for (size_t k = 0; k < w->n_children; k++)
                if (streq(w->children[k]->name, name))
                        return true;
        return false;
}

static int enslave(kn_apply *a, const kn_iface *w, const kn_nl_link *master) {
        int ifindex = master->ifindex;
        bool down_first = master->ops->port_down_to_enslave;
        for (size_t k = 0; k < w->n_children; k++) {
                kn_nl_link *p = kn_apply_link(a, w->children[k]->name);
                if (p->master == ifindex)
                        continue;
                int r = 0;
                if (down_first && (p->flags & IFF_UP)) {
                        r = kn_txn_do(a->ns, a->t, kn_msg_link_up(p->ifindex, false),
                                      kn_msg_link_up(p->ifindex, true), a->err,
                                      "bring %s down to enslave it to %s", p->name, w->name);
                        p->flags &= ~IFF_UP;
                }
                if (r >= 0)
                        r = kn_txn_do(
                                a->ns, a->t,
                                kn_msg_link_u32(p->ifindex, IFLA_MASTER, (uint32_t) ifindex),
                                kn_msg_link_u32(p->ifindex, IFLA_MASTER, (uint32_t) p->master),
                                a->err, "enslave %s to %s", p->name, w->name);
                if (r < 0)
                        return r;
                p->master = ifindex;
        }
        /* Ports the definition no longer has. */
        for (size_t k = 0; k < a->s.n_links; k++) {
                kn_nl_link *p = &a->s.links[k];
                if (p->master != ifindex || has_child(w, p->name))
                        continue;
                int r = kn_txn_do(a->ns, a->t, kn_msg_link_u32(p->ifindex, IFLA_MASTER, 0),
                                  kn_msg_link_u32(p->ifindex, IFLA_MASTER, (uint32_t) ifindex),
                                  a->err, "release %s from %s", p->name, w->name);
                if (r < 0)
                        return r;
                p->master = 0;
        }
        return 0;
}

int kn_apply_configure(kn_apply *a, const kn_iface *w) {
        for (size_t k = 0; k < w->n_children; k++) {
                int r = kn_apply_configure(a, w->children[k]);
                if (r < 0)
                        return r;
        }
        kn_nl_link *l = kn_apply_link(a, w->name);
        int r = enslave(a, w, l);
        if (r < 0)
                return r;
        /* A bridge's MTU goes to the ports that ask none, as bridge-utils,
         * networkd and NetworkManager do at boot: else the first port
         * that comes later drags the bridge back to its own MTU. */
        if (w->type == KN_IFACE_BRIDGE && w->mtu)
                for (size_t k = 0; k < w->n_children; k++) {
                        const kn_iface *c = w->children[k];
                        kn_nl_link *p = c->mtu ? NULL : kn_apply_link(a, c->name);
                        if (!p || p->mtu == w->mtu)
                                continue;
                        r = kn_txn_do(a->ns, a->t, kn_msg_link_u32(p->ifindex, IFLA_MTU, w->mtu),
                                      kn_msg_link_u32(p->ifindex, IFLA_MTU, p->mtu), a->err,
                                      "set mtu of %s to %u (was %u), its bridge %s's", c->name,
                                      w->mtu, p->mtu, w->name);
                        if (r < 0)
                                return r;
                        p->mtu = w->mtu;
                }
        /* After enslaving: a bridge adjusts its MTU to its ports'. */
        if (w->mtu && w->mtu != l->mtu) {
                r = kn_txn_do(a->ns, a->t, kn_msg_link_u32(l->ifindex, IFLA_MTU, w->mtu),
                              kn_msg_link_u32(l->ifindex, IFLA_MTU, l->mtu), a->err,
                              "set mtu of %s to %u (was %u)", w->name, w->mtu, l->mtu);
                if (r < 0)
                        return r;
                l->mtu = w->mtu;
        }
        if (w->mac[0] && strcasecmp(w->mac, l->mac) != 0) {
                r = set_mac(a, l, w->mac);
                if (r < 0)
                        return r;
        }
        if (l->ops->kind) {
                struct nl_msg *fwd = kn_msg_link(RTM_NEWLINK, 0, l->ifindex, NULL);
                struct nl_msg *undo = kn_msg_link(RTM_NEWLINK, 0, l->ifindex, NULL);
                if (put_linkinfo(fwd, undo, l->ops, w, l, &a->s) == 0) {
                        nlmsg_free(fwd);
                        nlmsg_free(undo);
                } else {
                        r = kn_txn_do(a->ns, a->t, fwd, undo, a->err, "set %s options of %s",
                                      l->ops->kind, w->name);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int up(kn_apply *a, kn_nl_link *l, const char *why) {
        if (l->flags & IFF_UP)
                return 0;
        int r = kn_txn_do(a->ns, a->t, kn_msg_link_up(l->ifindex, true),
                          kn_msg_link_up(l->ifindex, false), a->err, "bring %s up%s", l->name, why);
        if (r >= 0)
                l->flags |= IFF_UP;
        return r;
}

int kn_apply_up(kn_apply *a, const kn_iface *w) {
        for (size_t k = 0; k < w->n_children; k++) {
                int r = kn_apply_up(a, w->children[k]);
                if (r < 0)
                        return r;
        }
        if (w->type == KN_IFACE_VLAN) {
                kn_nl_link *p = kn_apply_link(a, w->vlan_parent);
                int r = p ? up(a, p, " (vlan parent)") : 0;
                if (r < 0)
                        return r;
        }
        return up(a, kn_apply_link(a, w->name), "");
}
