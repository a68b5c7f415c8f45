/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Bond: IFLA_BOND_* in IFLA_INFO_DATA.  The mode is fixed once the bond
 * has slaves (the kernel refuses), so a different mode is an error, not a
 * change.  The kernel's BOND_MODE_* are kn_bond_mode - 1, its
 * BOND_ARP_VALIDATE_* are kn_arp_validate - 1. */

#include <arpa/inet.h>

#include "live-internal.h"

static void bond_parse(kn_nl_link *l, struct nlattr *data) {
        struct nlattr *tb[IFLA_BOND_MAX + 1];
        l->u.bond.mode = -1;
        l->u.bond.use_carrier = -1;
        if (nla_parse_nested(tb, IFLA_BOND_MAX, data, NULL) < 0)
                return;
        if (tb[IFLA_BOND_MODE])
                l->u.bond.mode = nla_get_u8(tb[IFLA_BOND_MODE]);
        if (tb[IFLA_BOND_MIIMON])
                l->u.bond.miimon = nla_get_u32(tb[IFLA_BOND_MIIMON]);
        if (tb[IFLA_BOND_UPDELAY])
                l->u.bond.updelay = nla_get_u32(tb[IFLA_BOND_UPDELAY]);
        if (tb[IFLA_BOND_DOWNDELAY])
                l->u.bond.downdelay = nla_get_u32(tb[IFLA_BOND_DOWNDELAY]);
        if (tb[IFLA_BOND_USE_CARRIER])
                l->u.bond.use_carrier = nla_get_u8(tb[IFLA_BOND_USE_CARRIER]);
        if (tb[IFLA_BOND_ARP_INTERVAL])
                l->u.bond.arp_interval = nla_get_u32(tb[IFLA_BOND_ARP_INTERVAL]);
        if (tb[IFLA_BOND_ARP_VALIDATE])
                l->u.bond.arp_validate = nla_get_u32(tb[IFLA_BOND_ARP_VALIDATE]);
        if (tb[IFLA_BOND_PRIMARY])
                l->u.bond.primary = (int) nla_get_u32(tb[IFLA_BOND_PRIMARY]);
        if (tb[IFLA_BOND_ARP_IP_TARGET]) {
                struct nlattr *t;
                int rem;
                nla_for_each_nested(t, tb[IFLA_BOND_ARP_IP_TARGET], rem) {
                        if (nla_len(t) == 4) {
                                inet_ntop(AF_INET, nla_data(t), l->u.bond.arp_target,
                                          sizeof l->u.bond.arp_target);
                                break;
                        }
                }
        }
}

static void bond_to_model(const kn_nl_link *l, const kn_nl_snap *s, kn_iface *i) {
        if (l->u.bond.mode >= 0 && l->u.bond.mode + 1 < _KN_BOND_MODE_MAX)
                i->bond_mode = (kn_bond_mode) (l->u.bond.mode + 1);
        if (l->u.bond.miimon) {
                i->monitor = KN_MON_MIIMON;
                i->miimon_freq = l->u.bond.miimon;
                i->miimon_updelay = l->u.bond.updelay;
                i->miimon_downdelay = l->u.bond.downdelay;
                if (l->u.bond.use_carrier >= 0)
                        i->miimon_carrier =
                                l->u.bond.use_carrier ? KN_CARRIER_NETIF : KN_CARRIER_IOCTL;
        } else if (l->u.bond.arp_interval) {
                i->monitor = KN_MON_ARPMON;
                i->arpmon_interval = l->u.bond.arp_interval;
                snprintf(i->arpmon_target, sizeof i->arpmon_target, "%s", l->u.bond.arp_target);
                if (l->u.bond.arp_validate + 1 < _KN_ARP_VALIDATE_MAX)
                        i->arpmon_validate = (kn_arp_validate) (l->u.bond.arp_validate + 1);
        }
        /* The primary slave comes first, as in the XML. */
        int p = l->u.bond.primary ? kn_snap_find(s, l->u.bond.primary) : -1;
        for (size_t k = 1; p >= 0 && k < i->n_children; k++)
                if (streq(i->children[k]->name, s->links[p].name)) {
                        kn_iface *c = i->children[k];
                        memmove(i->children + 1, i->children, k * sizeof *i->children);
                        i->children[0] = c;
                        break;
                }
}

static void put_target(struct nl_msg *m, const char *target) {
        struct in_addr a;
        if (inet_pton(AF_INET, target, &a) != 1)
                return;
        struct nlattr *n = nla_nest_start(m, IFLA_BOND_ARP_IP_TARGET);
        if (!n || nla_put(m, 0, 4, &a) < 0)
                abort();
        nla_nest_end(m, n);
}

#define PUT_IF_DIFFERENT(attr, put, wanted, livevalue)                                             \
        do {                                                                                       \
                if (!live || (livevalue) != (wanted)) {                                            \
                        if (put(fwd, attr, wanted) < 0)                                            \
                                abort();                                                           \
                        if (undo && put(undo, attr, livevalue) < 0)                                \
                                abort();                                                           \
                        n++;                                                                       \
                }                                                                                  \
        } while (0)

static int bond_put_options(const kn_iface *want, const kn_nl_link *live, const kn_nl_snap *s,
                            struct nl_msg *fwd, struct nl_msg *undo) {
        int n = 0;
        if (!live && want->bond_mode) {
                if (nla_put_u8(fwd, IFLA_BOND_MODE, (uint8_t) (want->bond_mode - 1)) < 0)
                        abort();
                n++;
        }
        const kn_nl_link none = {0};
        const kn_nl_link *l = live ? live : &none;
        if (want->monitor == KN_MON_MIIMON) {
                PUT_IF_DIFFERENT(IFLA_BOND_MIIMON, nla_put_u32, want->miimon_freq,
                                 l->u.bond.miimon);
                if (want->miimon_updelay >= 0)
                        PUT_IF_DIFFERENT(IFLA_BOND_UPDELAY, nla_put_u32,
                                         (uint32_t) want->miimon_updelay, l->u.bond.updelay);
                if (want->miimon_downdelay >= 0)
                        PUT_IF_DIFFERENT(IFLA_BOND_DOWNDELAY, nla_put_u32,
                                         (uint32_t) want->miimon_downdelay, l->u.bond.downdelay);
                if (want->miimon_carrier)
                        PUT_IF_DIFFERENT(IFLA_BOND_USE_CARRIER, nla_put_u8,
                                         (uint8_t) (want->miimon_carrier == KN_CARRIER_NETIF),
                                         (uint8_t) l->u.bond.use_carrier);
        } else if (want->monitor == KN_MON_ARPMON) {
                PUT_IF_DIFFERENT(IFLA_BOND_ARP_INTERVAL, nla_put_u32, want->arpmon_interval,
                                 l->u.bond.arp_interval);
                if (!live || !streq(want->arpmon_target, l->u.bond.arp_target)) {
                        put_target(fwd, want->arpmon_target);
                        if (undo)
                                put_target(undo, l->u.bond.arp_target);
                        n++;
                }
                if (want->arpmon_validate)
                        PUT_IF_DIFFERENT(IFLA_BOND_ARP_VALIDATE, nla_put_u32,
                                         (uint32_t) (want->arpmon_validate - 1),
                                         l->u.bond.arp_validate);
        }
        /* The first slave is the primary, where the mode has one.  Set once
         * it is a slave: the create message comes before the enslaving. */
        bool has_primary = want->bond_mode == KN_BOND_ACTIVE_BACKUP ||
                           want->bond_mode == KN_BOND_BALANCE_TLB ||
                           want->bond_mode == KN_BOND_BALANCE_ALB;
        int first = live && has_primary && want->n_children
                            ? kn_snap_find_name(s, want->children[0]->name)
                            : -1;
        if (first >= 0 && s->links[first].master == live->ifindex &&
            live->u.bond.primary != s->links[first].ifindex) {
                if (nla_put_u32(fwd, IFLA_BOND_PRIMARY, (uint32_t) s->links[first].ifindex) < 0 ||
                    (undo &&
                     nla_put_u32(undo, IFLA_BOND_PRIMARY, (uint32_t) live->u.bond.primary) < 0))
                        abort();
                n++;
        }
        return n;
}

static int bond_check(const kn_iface *want, const kn_nl_link *live, const kn_nl_snap *s,
                      kn_error *err) {
        if (live && want->bond_mode && live->u.bond.mode >= 0 &&
            live->u.bond.mode + 1 != want->bond_mode)
                return kn_error_set(err, EEXIST,
                                    "%s: bond mode is %s, asked %s; the mode of a live bond "
                                    "cannot change: destroy it first",
                                    want->name,
                                    kn_bond_mode_to_string((kn_bond_mode) (live->u.bond.mode + 1)),
                                    kn_bond_mode_to_string(want->bond_mode));
        return 0;
}

static void bond_verify(const kn_iface *want, const kn_iface *live, kn_strbuf *report) {
        const char *n = want->name;
        if (want->bond_mode && want->bond_mode != live->bond_mode)
                kn_report(report, n, "bond mode is %s, asked %s",
                          live->bond_mode ? kn_bond_mode_to_string(live->bond_mode) : "unknown",
                          kn_bond_mode_to_string(want->bond_mode));
        if (want->monitor == KN_MON_MIIMON) {
                if (live->monitor != KN_MON_MIIMON || live->miimon_freq != want->miimon_freq)
                        kn_report(report, n, "miimon freq is %u, asked %u",
                                  live->monitor == KN_MON_MIIMON ? live->miimon_freq : 0,
                                  want->miimon_freq);
                if (want->miimon_updelay >= 0 && want->miimon_updelay != live->miimon_updelay)
                        kn_report(report, n, "miimon updelay is %ld, asked %ld",
                                  live->miimon_updelay, want->miimon_updelay);
                if (want->miimon_downdelay >= 0 && want->miimon_downdelay != live->miimon_downdelay)
                        kn_report(report, n, "miimon downdelay is %ld, asked %ld",
                                  live->miimon_downdelay, want->miimon_downdelay);
                if (want->miimon_carrier && want->miimon_carrier != live->miimon_carrier)
                        kn_report(report, n, "miimon carrier is %s, asked %s",
                                  live->miimon_carrier
                                          ? kn_miimon_carrier_to_string(live->miimon_carrier)
                                          : "unknown",
                                  kn_miimon_carrier_to_string(want->miimon_carrier));
        } else if (want->monitor == KN_MON_ARPMON) {
                if (live->monitor != KN_MON_ARPMON ||
                    live->arpmon_interval != want->arpmon_interval)
                        kn_report(report, n, "arpmon interval is %u, asked %u",
                                  live->monitor == KN_MON_ARPMON ? live->arpmon_interval : 0,
                                  want->arpmon_interval);
                if (!streq(want->arpmon_target, live->arpmon_target))
                        kn_report(report, n, "arpmon target is '%s', asked '%s'",
                                  live->arpmon_target, want->arpmon_target);
                if (want->arpmon_validate && want->arpmon_validate != live->arpmon_validate)
                        kn_report(report, n, "arpmon validate is %s, asked %s",
                                  live->arpmon_validate
                                          ? kn_arp_validate_to_string(live->arpmon_validate)
                                          : "unknown",
                                  kn_arp_validate_to_string(want->arpmon_validate));
        }
}

const kn_live_kind kn_kind_bond = {
        .type = KN_IFACE_BOND,
        .kind = "bond",
        .has_ports = true,
        .port_down_to_enslave = true,
        .parse = bond_parse,
        .to_model = bond_to_model,
        .put_options = bond_put_options,
        .check = bond_check,
        .verify = bond_verify,
};
