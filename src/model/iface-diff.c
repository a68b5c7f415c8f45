/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which fields of a definition come back otherwise (kn_iface_diff): the
 * define-time warnings for what a backend cannot store are made from it,
 * so they name exactly what the backend's normalize() changes. */

#include <stdio.h>

#include "kvmnet/iface.h"
#include "macro.h"

typedef struct diff {
        kn_iface_diff_fn fn;
        void *userdata;
        const char *name;
} diff;

_printf_(3, 4) static char *fmt(char *buf, size_t len, const char *f, ...) {
        va_list ap;
        va_start(ap, f);
        vsnprintf(buf, len, f, ap);
        va_end(ap);
        return buf;
}

static void report(diff *d, const char *want, const char *got) {
        d->fn(d->name, want, got, d->userdata);
}

static const char *tristate(kn_tristate t, const char *yes, const char *no) {
        return t == KN_YES ? yes : no;
}

static const char *delay_text(double v, char *buf, size_t len) {
        for (int prec = 1; prec <= 17; prec++) {
                snprintf(buf, len, "%.*g", prec, v);
                if (strtod(buf, NULL) == v)
                        break;
        }
        return buf;
}

static bool has_ip(const kn_protocol *p, const kn_ipaddr *a) {
        for (size_t k = 0; k < p->n_ips; k++)
                if (streq(p->ips[k].address, a->address) && p->ips[k].prefix == a->prefix)
                        return true;
        return false;
}

static void diff_protocol(diff *d, const kn_protocol *w, const kn_protocol *g, const char *fam) {
        char a[160], b[160];
        if (!w->present)
                return;
        if (!g->present) {
                report(d, fmt(a, sizeof a, "<protocol family='%s'>", fam), NULL);
                return;
        }
        if (w->dhcp && !g->dhcp)
                report(d, fmt(a, sizeof a, "<dhcp/> (%s)", fam), NULL);
        if (w->dhcp && g->dhcp && w->peerdns && w->peerdns != g->peerdns)
                report(d,
                       fmt(a, sizeof a, "<dhcp peerdns='%s'/> (%s)",
                           tristate(w->peerdns, "yes", "no"), fam),
                       g->peerdns ? fmt(b, sizeof b, "<dhcp peerdns='%s'/>",
                                        tristate(g->peerdns, "yes", "no"))
                                  : NULL);
        if (w->autoconf && !g->autoconf)
                report(d, "<autoconf/> (ipv6)", NULL);
        if (!w->dhcp && g->dhcp)
                report(d, fmt(a, sizeof a, "no <dhcp/> (%s)", fam), "<dhcp/>");
        if (!w->autoconf && g->autoconf)
                report(d, "no <autoconf/> (ipv6)", "<autoconf/>");
        for (size_t k = 0; k < w->n_ips; k++)
                if (!has_ip(g, &w->ips[k]))
                        report(d,
                               fmt(a, sizeof a, "<ip address='%s' prefix='%d'/>", w->ips[k].address,
                                   w->ips[k].prefix),
                               NULL);
        bool same_order = w->n_ips == g->n_ips;
        for (size_t k = 0; k < w->n_ips && same_order; k++)
                same_order = streq(w->ips[k].address, g->ips[k].address) &&
                             w->ips[k].prefix == g->ips[k].prefix;
        if (!same_order && w->n_ips == g->n_ips)
                report(d, fmt(a, sizeof a, "the order of the <ip> elements (%s)", fam),
                       "another order");
        if (w->gateway[0] && !streq(w->gateway, g->gateway))
                report(d, fmt(a, sizeof a, "<route gateway='%s'/>", w->gateway),
                       g->gateway[0] ? fmt(b, sizeof b, "<route gateway='%s'/>", g->gateway)
                                     : NULL);
}

static void diff_bond(diff *d, const kn_iface *w, const kn_iface *g) {
        char a[160], b[160];
        if (w->bond_mode && w->bond_mode != g->bond_mode)
                report(d,
                       fmt(a, sizeof a, "<bond mode='%s'>", kn_bond_mode_to_string(w->bond_mode)),
                       g->bond_mode ? fmt(b, sizeof b, "<bond mode='%s'>",
                                          kn_bond_mode_to_string(g->bond_mode))
                                    : NULL);
        if (w->monitor == KN_MON_MIIMON) {
                if (g->monitor != KN_MON_MIIMON) {
                        report(d, fmt(a, sizeof a, "<miimon freq='%u'/>", w->miimon_freq), NULL);
                        return;
                }
                if (w->miimon_freq != g->miimon_freq)
                        report(d, fmt(a, sizeof a, "<miimon freq='%u'/>", w->miimon_freq),
                               fmt(b, sizeof b, "<miimon freq='%u'/>", g->miimon_freq));
                if (w->miimon_downdelay >= 0 && w->miimon_downdelay != g->miimon_downdelay)
                        report(d,
                               fmt(a, sizeof a, "<miimon downdelay='%ld'/>", w->miimon_downdelay),
                               g->miimon_downdelay >= 0
                                       ? fmt(b, sizeof b, "<miimon downdelay='%ld'/>",
                                             g->miimon_downdelay)
                                       : NULL);
                if (w->miimon_updelay >= 0 && w->miimon_updelay != g->miimon_updelay)
                        report(d, fmt(a, sizeof a, "<miimon updelay='%ld'/>", w->miimon_updelay),
                               g->miimon_updelay >= 0 ? fmt(b, sizeof b, "<miimon updelay='%ld'/>",
                                                            g->miimon_updelay)
                                                      : NULL);
                if (w->miimon_carrier && w->miimon_carrier != g->miimon_carrier)
                        report(d,
                               fmt(a, sizeof a, "<miimon carrier='%s'/>",
                                   kn_miimon_carrier_to_string(w->miimon_carrier)),
                               g->miimon_carrier
                                       ? fmt(b, sizeof b, "<miimon carrier='%s'/>",
                                             kn_miimon_carrier_to_string(g->miimon_carrier))
                                       : NULL);
        } else if (w->monitor == KN_MON_ARPMON) {
                if (g->monitor != KN_MON_ARPMON) {
                        report(d, fmt(a, sizeof a, "<arpmon interval='%u'/>", w->arpmon_interval),
                               NULL);
                        return;
                }
                if (w->arpmon_interval != g->arpmon_interval)
                        report(d, fmt(a, sizeof a, "<arpmon interval='%u'/>", w->arpmon_interval),
                               fmt(b, sizeof b, "<arpmon interval='%u'/>", g->arpmon_interval));
                if (!streq(w->arpmon_target, g->arpmon_target))
                        report(d, fmt(a, sizeof a, "<arpmon target='%s'/>", w->arpmon_target),
                               fmt(b, sizeof b, "<arpmon target='%s'/>", g->arpmon_target));
                if (w->arpmon_validate && w->arpmon_validate != g->arpmon_validate)
                        report(d,
                               fmt(a, sizeof a, "<arpmon validate='%s'/>",
                                   kn_arp_validate_to_string(w->arpmon_validate)),
                               g->arpmon_validate
                                       ? fmt(b, sizeof b, "<arpmon validate='%s'/>",
                                             kn_arp_validate_to_string(g->arpmon_validate))
                                       : NULL);
        }
}

static const kn_iface *find_child(const kn_iface *g, const char *name) {
        for (size_t k = 0; k < g->n_children; k++)
                if (streq(g->children[k]->name, name))
                        return g->children[k];
        return NULL;
}

static void diff_iface(const kn_iface *w, const kn_iface *g, kn_iface_diff_fn fn, void *userdata) {
        diff d = {fn, userdata, w->name};
        char a[160], b[160];
        if (w->type != g->type) {
                report(&d, fmt(a, sizeof a, "type='%s'", kn_iface_type_to_string(w->type)),
                       fmt(b, sizeof b, "type='%s'", kn_iface_type_to_string(g->type)));
                return;
        }
        if (w->start && w->start != g->start)
                report(&d,
                       fmt(a, sizeof a, "<start mode='%s'/>", kn_start_mode_to_string(w->start)),
                       g->start ? fmt(b, sizeof b, "<start mode='%s'/>",
                                      kn_start_mode_to_string(g->start))
                                : NULL);
        if (w->mac[0] && !streq(w->mac, g->mac))
                report(&d, fmt(a, sizeof a, "<mac address='%s'/>", w->mac),
                       g->mac[0] ? fmt(b, sizeof b, "<mac address='%s'/>", g->mac) : NULL);
        if (w->mtu && w->mtu != g->mtu)
                report(&d, fmt(a, sizeof a, "<mtu size='%u'/>", w->mtu),
                       g->mtu ? fmt(b, sizeof b, "<mtu size='%u'/>", g->mtu) : NULL);
        diff_protocol(&d, &w->ipv4, &g->ipv4, "ipv4");
        diff_protocol(&d, &w->ipv6, &g->ipv6, "ipv6");
        if (w->type == KN_IFACE_BRIDGE) {
                char x[32], y[32];
                if (w->stp && w->stp != g->stp)
                        report(&d,
                               fmt(a, sizeof a, "<bridge stp='%s'>", tristate(w->stp, "on", "off")),
                               g->stp ? fmt(b, sizeof b, "<bridge stp='%s'>",
                                            tristate(g->stp, "on", "off"))
                                      : NULL);
                if (w->delay >= 0 && (g->delay < 0 || w->delay != g->delay))
                        report(&d,
                               fmt(a, sizeof a, "<bridge delay='%s'>",
                                   delay_text(w->delay, x, sizeof x)),
                               g->delay >= 0 ? fmt(b, sizeof b, "<bridge delay='%s'>",
                                                   delay_text(g->delay, y, sizeof y))
                                             : NULL);
        }
        if (w->type == KN_IFACE_BOND)
                diff_bond(&d, w, g);
        if (w->type == KN_IFACE_VLAN &&
            (w->vlan_tag != g->vlan_tag || !streq(w->vlan_parent, g->vlan_parent)))
                report(&d, fmt(a, sizeof a, "<vlan tag='%d'> on %s", w->vlan_tag, w->vlan_parent),
                       fmt(b, sizeof b, "<vlan tag='%d'> on %s", g->vlan_tag, g->vlan_parent));
        bool same_order = w->n_children == g->n_children;
        for (size_t k = 0; k < w->n_children; k++) {
                const kn_iface *c = find_child(g, w->children[k]->name);
                if (!c) {
                        report(&d,
                               fmt(a, sizeof a, "its %s %s",
                                   w->type == KN_IFACE_BOND ? "slave" : "port",
                                   w->children[k]->name),
                               NULL);
                        same_order = false;
                        continue;
                }
                same_order = same_order && c == g->children[k];
                diff_iface(w->children[k], c, fn, userdata);
        }
        if (!same_order && w->n_children == g->n_children)
                report(&d,
                       fmt(a, sizeof a, "the order of its %s",
                           w->type == KN_IFACE_BOND ? "slaves" : "ports"),
                       "another order");
}

void kn_iface_diff(const kn_iface *want, const kn_iface *got, kn_iface_diff_fn fn, void *userdata) {
        diff_iface(want, got, fn, userdata);
}
