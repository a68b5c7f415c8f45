/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a definition becomes: the stanzas ("wants") of each interface of the
 * tree, with the options kvmnet owns, in the order they are written. */

#include <stdarg.h>

#include "write.h"

_printf_(3, 4) static void push_opt(want *w, kn_ifupdown_opt o, const char *fmt, ...) {
        va_list ap;
        char *v;
        va_start(ap, fmt);
        v = kn_xvasprintf(fmt, ap);
        va_end(ap);
        w->opts = kn_xrealloc(w->opts, (w->n_opts + 1) * sizeof *w->opts);
        w->opts[w->n_opts++] = (opt){o, v};
}

static want *push_want(wnode *n, kn_ifupdown_family family, const char *method) {
        n->w = kn_xrealloc(n->w, (n->n_w + 1) * sizeof *n->w);
        want *w = &n->w[n->n_w++];
        *w = (want){.family = family, .method = method};
        return w;
}

static void push_addr(want *w, const kn_ipaddr *a) {
        if (a->prefix >= 0)
                push_opt(w, IFU_O_ADDRESS, "%s/%d", a->address, a->prefix);
        else
                push_opt(w, IFU_O_ADDRESS, "%s", a->address);
}

static void want_protocols(wnode *n) {
        const kn_iface *i = n->i;
        const kn_protocol *p4 = &i->ipv4, *p6 = &i->ipv6;
        if (p4->present) {
                if (p4->dhcp) {
                        want *w = push_want(n, IFU_INET, "dhcp");
                        if (p4->n_ips == 0 && p4->gateway[0])
                                push_opt(w, IFU_O_GATEWAY, "%s", p4->gateway);
                }
                for (size_t k = 0; k < p4->n_ips; k++) {
                        want *w = push_want(n, IFU_INET, "static");
                        push_addr(w, &p4->ips[k]);
                        if (k == 0 && p4->gateway[0])
                                push_opt(w, IFU_O_GATEWAY, "%s", p4->gateway);
                }
        }
        if (p6->present) {
                /* IPv6 on, link-local only: "auto" with router
                 * advertisements off (ifupdown sets accept_ra=0; "manual"
                 * would leave the kernel's default, which takes them). */
                if (!p6->dhcp && !p6->autoconf && !p6->n_ips)
                        push_opt(push_want(n, IFU_INET6, "auto"), IFU_O_ACCEPT_RA, "0");
                if (p6->dhcp || p6->autoconf) {
                        want *w = push_want(n, IFU_INET6, p6->dhcp ? "dhcp" : "auto");
                        if (p6->dhcp && p6->autoconf)
                                push_opt(w, IFU_O_AUTOCONF, "1");
                        if (p6->n_ips == 0 && p6->gateway[0])
                                push_opt(w, IFU_O_GATEWAY, "%s", p6->gateway);
                }
                for (size_t k = 0; k < p6->n_ips; k++) {
                        want *w = push_want(n, IFU_INET6, "static");
                        push_addr(w, &p6->ips[k]);
                        if (k == 0 && p6->gateway[0])
                                push_opt(w, IFU_O_GATEWAY, "%s", p6->gateway);
                        if (p6->autoconf)
                                push_opt(w, IFU_O_AUTOCONF, "1");
                }
        }
}

static void child_names(kn_strbuf *b, const wnode *nodes, size_t n_nodes, const wnode *master) {
        for (size_t k = 0; k < n_nodes; k++)
                if (nodes[k].master == master) {
                        if (b->len)
                                kn_strbuf_putc(b, ' ');
                        kn_strbuf_puts(b, nodes[k].name);
                }
        if (!b->len)
                kn_strbuf_puts(b, "none");
}

static void want_link(want *w, const wnode *n, const wnode *nodes, size_t n_nodes) {
        const kn_iface *i = n->i;
        _cleanup_strbuf_ kn_strbuf ports = {0};
        /* A bridge's MAC: bridge-utils sets bridge_hw when it creates the
         * bridge, for any method (hwaddress belongs to the method). */
        if (i->mac[0])
                push_opt(w, i->type == KN_IFACE_BRIDGE ? IFU_O_BRIDGE_HW : IFU_O_HWADDRESS, "%s",
                         i->mac);
        if (i->mtu)
                push_opt(w, IFU_O_MTU, "%u", i->mtu);
        switch (i->type) {
        case KN_IFACE_BRIDGE:
                child_names(&ports, nodes, n_nodes, n);
                push_opt(w, IFU_O_BRIDGE_PORTS, "%s", ports.s);
                if (i->stp)
                        push_opt(w, IFU_O_BRIDGE_STP, "%s", i->stp == KN_YES ? "on" : "off");
                if (i->delay >= 0)
                        push_opt(w, IFU_O_BRIDGE_FD, "%.15g", i->delay);
                break;
        case KN_IFACE_BOND:
                child_names(&ports, nodes, n_nodes, n);
                push_opt(w, IFU_O_BOND_SLAVES, "%s", ports.s);
                if (i->bond_mode)
                        push_opt(w, IFU_O_BOND_MODE, "%s", kn_bond_mode_to_string(i->bond_mode));
                if (i->bond_mode == KN_BOND_ACTIVE_BACKUP && i->n_children)
                        for (size_t k = 0; k < n_nodes; k++)
                                if (nodes[k].i == i->children[0]) {
                                        push_opt(w, IFU_O_BOND_PRIMARY, "%s", nodes[k].name);
                                        break;
                                }
                if (i->monitor == KN_MON_MIIMON) {
                        push_opt(w, IFU_O_BOND_MIIMON, "%u", i->miimon_freq);
                        if (i->miimon_downdelay >= 0)
                                push_opt(w, IFU_O_BOND_DOWNDELAY, "%ld", i->miimon_downdelay);
                        if (i->miimon_updelay >= 0)
                                push_opt(w, IFU_O_BOND_UPDELAY, "%ld", i->miimon_updelay);
                        if (i->miimon_carrier)
                                push_opt(w, IFU_O_BOND_USE_CARRIER, "%d",
                                         i->miimon_carrier == KN_CARRIER_NETIF);
                } else if (i->monitor == KN_MON_ARPMON) {
                        push_opt(w, IFU_O_BOND_ARP_INTERVAL, "%u", i->arpmon_interval);
                        if (i->arpmon_target[0])
                                push_opt(w, IFU_O_BOND_ARP_IP_TARGET, "%s", i->arpmon_target);
                        if (i->arpmon_validate)
                                push_opt(w, IFU_O_BOND_ARP_VALIDATE, "%s",
                                         kn_arp_validate_to_string(i->arpmon_validate));
                }
                break;
        case KN_IFACE_VLAN: {
                char parent[KN_IFNAME_MAX + 1];
                int tag;
                if (kn_ifupdown_vlan_name(n->name, parent, &tag) == 2)
                        push_opt(w, IFU_O_VLAN_RAW_DEVICE, "%s", i->vlan_parent);
                break;
        }
        default: break;
        }
        if (n->master && n->master->i->type == KN_IFACE_BOND)
                push_opt(w, IFU_O_BOND_MASTER, "%s", n->master->name);
}

/* Does the method apply these link options?  (ifupdown 0.8's dhcp method
 * has no mtu, inet6 auto has neither mtu nor hwaddress; bridge and bond
 * options are hook scripts, run for any method.) */
static bool method_takes_link(const want *w, const kn_iface *i) {
        if (streq(w->method, "static") || streq(w->method, "manual"))
                return true;
        bool mac = i->mac[0] && i->type != KN_IFACE_BRIDGE;
        if (streq(w->method, "dhcp"))
                return !i->mtu;
        return !i->mtu && !mac;
}

void kn_ifupdown_want_node(wnode *n, const wnode *nodes, size_t n_nodes) {
        if (!n->master)
                want_protocols(n);
        if (n->n_w == 0 || !method_takes_link(&n->w[0], n->i)) {
                push_want(n, IFU_INET, "manual");
                memmove(n->w + 1, n->w, (n->n_w - 1) * sizeof *n->w);
                n->w[0] = (want){.family = IFU_INET, .method = "manual"};
        }
        /* link options after what the first stanza has (address, gateway) */
        want tmp = {0};
        want_link(&tmp, n, nodes, n_nodes);
        want *w = &n->w[0];
        w->opts = kn_xrealloc(w->opts, (w->n_opts + tmp.n_opts + 1) * sizeof *w->opts);
        if (tmp.n_opts)
                memcpy(w->opts + w->n_opts, tmp.opts, tmp.n_opts * sizeof *tmp.opts);
        w->n_opts += tmp.n_opts;
        free(tmp.opts);
}

/* --- the tree being defined ------------------------------------------- */

int kn_ifupdown_node_name(const kn_iface *i, char out[KN_IFNAME_MAX + 1], kn_error *err) {
        char parent[KN_IFNAME_MAX + 1];
        int tag;
        if (i->type != KN_IFACE_VLAN) {
                if (i->type == KN_IFACE_ETHERNET &&
                    kn_ifupdown_vlan_name(i->name, parent, &tag) != 0)
                        return kn_error_set(err, EINVAL,
                                            "ethernet %s: ifupdown would take this name for a "
                                            "vlan (PARENT.ID or vlanID); name it otherwise",
                                            i->name);
                snprintf(out, KN_IFNAME_MAX + 1, "%s", i->name);
                return 0;
        }
        if (isempty(i->name)) {
                char buf[64];
                snprintf(buf, sizeof buf, "%s.%d", i->vlan_parent, i->vlan_tag);
                if (strlen(buf) > KN_IFNAME_MAX)
                        return kn_error_set(err, EINVAL,
                                            "vlan %d on %s: its ifupdown name %s is longer than "
                                            "%d characters; give it a name (vlan%d)",
                                            i->vlan_tag, i->vlan_parent, buf, KN_IFNAME_MAX,
                                            i->vlan_tag);
                memcpy(out, buf, strlen(buf) + 1);
                return 0;
        }
        int v = kn_ifupdown_vlan_name(i->name, parent, &tag);
        if (v <= 0)
                return kn_error_set(err, EINVAL,
                                    "vlan %s: ifupdown takes a vlan's id from its name: name it "
                                    "%s.%d or vlan%d",
                                    i->name, i->vlan_parent, i->vlan_tag, i->vlan_tag);
        if (tag != i->vlan_tag || (v == 1 && !streq(parent, i->vlan_parent)))
                return kn_error_set(err, EINVAL,
                                    "vlan %s: the name says %s%s%d, the definition says parent "
                                    "%s, tag %d",
                                    i->name, v == 1 ? "parent " : "", v == 1 ? parent : "tag ",
                                    v == 1 ? tag : tag, i->vlan_parent, i->vlan_tag);
        snprintf(out, KN_IFNAME_MAX + 1, "%s", i->name);
        return 0;
}
