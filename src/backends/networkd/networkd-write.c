/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The model -> networkd files (the mapping is in networkd-read.c).  Every
 * key is only rewritten when the file does not already say the same thing
 * (STP=true stays STP=true, MIIMonitorSec=0.1s stays), so a define of
 * unchanged XML changes no byte. */

#include <arpa/inet.h>

#include "macro.h"
#include "networkd.h"

static void set_bool(kn_ini *ini, const char *section, const char *key, kn_tristate v) {
        if (v == KN_UNSET) {
                kn_ini_set(ini, section, key, NULL);
                return;
        }
        if (kn_ini_parse_bool(kn_ini_get(ini, section, key)) == (v == KN_YES))
                return;
        kn_ini_set(ini, section, key, v == KN_YES ? "yes" : "no");
}

static bool same_usec(const kn_ini *ini, const char *section, const char *key,
                      unsigned long long usec) {
        unsigned long long cur;
        const char *s = kn_ini_get(ini, section, key);
        return s && kn_networkd_parse_timespan_usec(s, &cur) >= 0 && cur == usec;
}

/* Bond timers, in milliseconds as the model has them; ms < 0 removes. */
static void set_ms(kn_ini *ini, const char *key, long ms) {
        if (ms < 0)
                kn_ini_set(ini, "Bond", key, NULL);
        else if (!same_usec(ini, "Bond", key, (unsigned long long) ms * 1000))
                kn_ini_setf(ini, "Bond", key, ms ? "%ldms" : "%ld", ms);
}

static void set_seconds(kn_ini *ini, const char *section, const char *key, double sec) {
        if (sec < 0) {
                kn_ini_set(ini, section, key, NULL);
                return;
        }
        /* rounded, without libm */
        unsigned long long usec = (unsigned long long) (sec * 1e6 + 0.5);
        if (same_usec(ini, section, key, usec))
                return;
        if (usec % 1000000 == 0)
                kn_ini_setf(ini, section, key, "%llu", usec / 1000000);
        else if (usec % 1000 == 0)
                kn_ini_setf(ini, section, key, "%llums", usec / 1000);
        else
                kn_ini_setf(ini, section, key, "%lluus", usec);
}

static void set_mac(kn_ini *ini, const char *section, const char *mac) {
        char cur[KN_MAC_STRLEN + 1];
        if (!*mac)
                kn_ini_set(ini, section, "MACAddress", NULL);
        else if (kn_mac_parse(kn_ini_get(ini, section, "MACAddress"), cur) < 0 || !streq(cur, mac))
                kn_ini_set(ini, section, "MACAddress", mac);
}

static void set_mtu(kn_ini *ini, const char *section, unsigned mtu) {
        unsigned long long cur;
        if (!mtu)
                kn_ini_set(ini, section, "MTUBytes", NULL);
        else if (kn_networkd_parse_bytes(kn_ini_get(ini, section, "MTUBytes"), &cur) < 0 ||
                 cur != mtu)
                kn_ini_setf(ini, section, "MTUBytes", "%u", mtu);
}

static bool policy_down(const char *p) {
        return p && (streq(p, "manual") || streq(p, "down") || streq(p, "always-down"));
}

static void write_start(kn_ini *ini, kn_start_mode want) {
        if (want == KN_START_UNSET)
                want = KN_START_ONBOOT;
        if (kn_networkd_read_start(ini) == want)
                return;
        bool rfo_no = kn_ini_parse_bool(kn_ini_get(ini, "Link", "RequiredForOnline")) == 0;
        if (want == KN_START_NONE) {
                kn_ini_set(ini, "Link", "ActivationPolicy", "manual");
                /* manual implies it: a leftover of hotplug would only confuse. */
                if (rfo_no)
                        kn_ini_set(ini, "Link", "RequiredForOnline", NULL);
                return;
        }
        if (policy_down(kn_ini_get(ini, "Link", "ActivationPolicy")))
                kn_ini_set(ini, "Link", "ActivationPolicy", NULL);
        if (want == KN_START_HOTPLUG)
                kn_ini_set(ini, "Link", "RequiredForOnline", "no");
        else if (rfo_no)
                kn_ini_set(ini, "Link", "RequiredForOnline", NULL);
}

static char *format_address(const kn_ipaddr *a) {
        return a->prefix >= 0 ? kn_xasprintf("%s/%d", a->address, a->prefix)
                              : kn_xstrdup(a->address);
}

typedef struct strv {
        char **v;
        size_t n;
} strv;

static void strv_add(strv *s, char *x) {
        s->v = kn_xrealloc(s->v, (s->n + 1) * sizeof *s->v);
        s->v[s->n++] = x;
}

static void strv_done(strv *s) {
        for (size_t k = 0; k < s->n; k++)
                free(s->v[k]);
        free(s->v);
}

static void write_addresses(kn_ini *ini, const kn_iface *i) {
        strv want = {0};
        const kn_protocol *ps[] = {&i->ipv4, &i->ipv6};
        for (size_t p = 0; p < 2; p++)
                for (size_t k = 0; k < ps[p]->n_ips; k++)
                        strv_add(&want, format_address(&ps[p]->ips[k]));
        /* Compared canonically: 2001:DB8::1/64 is 2001:db8::1/64. */
        size_t n = 0;
        bool same = true;
        KN_INI_FOREACH(k, ini, "Network", "Address") {
                kn_ipaddr a;
                int family;
                if (n >= want.n || kn_networkd_parse_address(ini->lines[k].value, &family,
                                                             a.address, &a.prefix) < 0) {
                        same = false;
                        break;
                }
                _cleanup_free_ char *c = format_address(&a);
                same = same && streq(c, want.v[n++]);
        }
        if (!same || n != want.n)
                kn_ini_set_list(ini, "Network", "Address", want.v, want.n);
        strv_done(&want);
}

static void write_gateways(kn_ini *ini, const kn_iface *i) {
        strv want = {0}, cur = {0}, special = {0};
        if (i->ipv4.gateway[0])
                strv_add(&want, kn_xstrdup(i->ipv4.gateway));
        if (i->ipv6.gateway[0])
                strv_add(&want, kn_xstrdup(i->ipv6.gateway));
        KN_INI_FOREACH(k, ini, "Network", "Gateway") {
                const char *s = ini->lines[k].value;
                char c[46];
                if (s[0] == '_')
                        strv_add(&special, kn_xstrdup(s));
                else
                        strv_add(&cur,
                                 kn_xstrdup(kn_ip_canonical(strchr(s, ':') ? AF_INET6 : AF_INET, s,
                                                            c) < 0
                                                    ? s
                                                    : c));
        }
        bool same = cur.n == want.n;
        for (size_t k = 0; same && k < want.n; k++)
                same = streq(cur.v[k], want.v[k]);
        if (!same) {
                /* _dhcp4, _ipv6ra are not the model's: they stay. */
                for (size_t k = 0; k < special.n; k++)
                        strv_add(&want, TAKE_PTR(special.v[k]));
                kn_ini_set_list(ini, "Network", "Gateway", want.v, want.n);
        }
        strv_done(&want);
        strv_done(&cur);
        strv_done(&special);
}

static kn_tristate usedns(const kn_ini *ini, const char *section, const char *fallback) {
        const char *s = kn_ini_get(ini, section, "UseDNS");
        if (!s && fallback)
                s = kn_ini_get(ini, fallback, "UseDNS");
        int r = kn_ini_parse_bool(s);
        return r < 0 ? KN_UNSET : r ? KN_YES : KN_NO;
}

static void write_usedns(kn_ini *ini, const char *section, const char *fallback, kn_tristate want) {
        if (usedns(ini, section, fallback) == want)
                return;
        if (fallback)
                kn_ini_set(ini, fallback, "UseDNS", NULL);
        set_bool(ini, section, "UseDNS", want);
}

static void write_protocols(kn_ini *ini, const kn_iface *i) {
        bool w4 = i->ipv4.dhcp, w6 = i->ipv6.dhcp, c4 = false, c6 = false;
        const char *cur = kn_ini_get(ini, "Network", "DHCP");
        bool same =
                cur ? kn_networkd_parse_dhcp(cur, &c4, &c6) && c4 == w4 && c6 == w6 : !w4 && !w6;
        if (!same)
                kn_ini_set(ini, "Network", "DHCP",
                           w4 && w6 ? "yes"
                           : w4     ? "ipv4"
                           : w6     ? "ipv6"
                                    : NULL);
        if (!i->ipv6.present)
                kn_ini_set(ini, "Network", "IPv6AcceptRA", NULL);
        else
                set_bool(ini, "Network", "IPv6AcceptRA", i->ipv6.autoconf ? KN_YES : KN_NO);
        write_addresses(ini, i);
        write_gateways(ini, i);
        /* peerdns belongs to <dhcp>: without DHCP, UseDNS= is left alone. */
        if (w4)
                write_usedns(ini, "DHCPv4", "DHCP", i->ipv4.peerdns);
        if (w6)
                write_usedns(ini, "DHCPv6", NULL, i->ipv6.peerdns);
}

static void strip_protocols(kn_ini *ini) {
        static const char *const keys[] = {"DHCP", "Address", "Gateway", "IPv6AcceptRA"};
        for (size_t k = 0; k < ELEMENTSOF(keys); k++)
                kn_ini_set(ini, "Network", keys[k], NULL);
        kn_ini_set(ini, "DHCPv4", "UseDNS", NULL);
        kn_ini_set(ini, "DHCPv6", "UseDNS", NULL);
        kn_ini_set(ini, "DHCP", "UseDNS", NULL);
}

static void prune(kn_ini *ini) {
        static const char *const sections[] = {"Link", "Network", "DHCPv4", "DHCPv6", "DHCP"};
        for (size_t k = 0; k < ELEMENTSOF(sections); k++)
                kn_ini_prune(ini, sections[k]);
}

void kn_networkd_write_network(kn_ini *ini, const kn_iface *node, kn_networkd_role role,
                               const kn_iface *master, bool primary, bool created) {
        if (created)
                kn_ini_set(ini, "Match", "Name", node->name);
        kn_ini_remove_comment(ini, ND_STUB_MARK);
        set_mac(ini, "Link", node->mac);
        /* A port keeps its MTU (but for a bridge's, below) and activation
         * settings (the model has none for ports), but never addresses:
         * they belong to the master. */
        if (role == ND_TOP) {
                set_mtu(ini, "Link", node->mtu);
                write_start(ini, node->start);
                write_protocols(ini, node);
        } else {
                strip_protocols(ini);
                /* The kernel lowers a bridge to its smallest port's MTU when a
                 * port joins, and networkd does not set the bridge's again:
                 * the ports carry it too (as bridge-utils does). */
                if (role == ND_PORT && master->type == KN_IFACE_BRIDGE && master->mtu)
                        set_mtu(ini, "Link", master->mtu);
        }
        kn_ini_set(ini, "Network", "Bridge", role == ND_PORT ? master->name : NULL);
        kn_ini_set(ini, "Network", "Bond", role == ND_SLAVE ? master->name : NULL);
        set_bool(ini, "Network", "PrimarySlave", primary ? KN_YES : KN_UNSET);
        prune(ini);
}

void kn_networkd_strip_network(kn_ini *ini) {
        static const char *const link[] = {"MACAddress", "MTUBytes", "ActivationPolicy",
                                           "RequiredForOnline"};
        for (size_t k = 0; k < ELEMENTSOF(link); k++)
                kn_ini_set(ini, "Link", link[k], NULL);
        strip_protocols(ini);
        kn_ini_set(ini, "Network", "Bridge", NULL);
        kn_ini_set(ini, "Network", "Bond", NULL);
        kn_ini_set(ini, "Network", "PrimarySlave", NULL);
        prune(ini);
}

void kn_networkd_write_stub(kn_ini *ini) {
        kn_networkd_strip_network(ini);
        kn_ini_add_comment(ini, ND_STUB_MARK);
}

static const char *kind_section(kn_iface_type t) {
        switch (t) {
        case KN_IFACE_BRIDGE: return "Bridge";
        case KN_IFACE_BOND: return "Bond";
        case KN_IFACE_VLAN: return "VLAN";
        default: return NULL;
        }
}

static void write_bond(kn_ini *ini, const kn_iface *i) {
        if (!i->bond_mode)
                kn_ini_set(ini, "Bond", "Mode", NULL);
        else if (kn_bond_mode_from_string(kn_ini_get(ini, "Bond", "Mode")) != i->bond_mode)
                kn_ini_set(ini, "Bond", "Mode", kn_bond_mode_to_string(i->bond_mode));
        bool mii = i->monitor == KN_MON_MIIMON, arp = i->monitor == KN_MON_ARPMON;
        set_ms(ini, "MIIMonitorSec", mii ? (long) i->miimon_freq : -1);
        set_ms(ini, "UpDelaySec", mii ? i->miimon_updelay : -1);
        set_ms(ini, "DownDelaySec", mii ? i->miimon_downdelay : -1);
        set_ms(ini, "ARPIntervalSec", arp ? (long) i->arpmon_interval : -1);
        if (!arp) {
                kn_ini_set(ini, "Bond", "ARPIPTargets", NULL);
                kn_ini_set(ini, "Bond", "ARPValidate", NULL);
                return;
        }
        /* The model's one target is the first one; more stay. */
        char first[64] = "", canon[46] = "";
        const char *cur = kn_ini_get(ini, "Bond", "ARPIPTargets");
        if (cur)
                sscanf(cur, "%63s", first);
        if (kn_ip_canonical(AF_INET, first, canon) < 0 || !streq(canon, i->arpmon_target))
                kn_ini_set(ini, "Bond", "ARPIPTargets", i->arpmon_target);
        cur = kn_ini_get(ini, "Bond", "ARPValidate");
        if (!i->arpmon_validate) {
                if (!cur || !strstr(cur, "filter")) /* filter*: not in the model, kept */
                        kn_ini_set(ini, "Bond", "ARPValidate", NULL);
        } else if (!cur || kn_arp_validate_from_string(cur) != i->arpmon_validate)
                kn_ini_set(ini, "Bond", "ARPValidate",
                           kn_arp_validate_to_string(i->arpmon_validate));
}

int kn_networkd_write_netdev(kn_ini *ini, const kn_iface *node, kn_networkd_role role, bool created,
                             kn_error *err) {
        if (node->type == KN_IFACE_BOND && node->monitor == KN_MON_MIIMON &&
            node->miimon_carrier == KN_CARRIER_IOCTL)
                return kn_error_set(err, EOPNOTSUPP,
                                    "bond %s: systemd-networkd has no setting for <miimon "
                                    "carrier='ioctl'> (the kernel then uses the netif carrier "
                                    "state); remove the attribute or use carrier='netif'",
                                    node->name);
        const char *kind = kn_iface_type_to_string(node->type);
        const char *old = kn_ini_get(ini, "NetDev", "Kind");
        if (created)
                kn_ini_set(ini, "NetDev", "Name", node->name);
        /* A kind change drops the old kind's settings. */
        if (old && !streq(old, kind))
                for (kn_iface_type t = KN_IFACE_BRIDGE; t <= KN_IFACE_VLAN; t++)
                        if (t != node->type)
                                kn_ini_remove_section(ini, kind_section(t));
        kn_ini_set(ini, "NetDev", "Kind", kind);
        set_mac(ini, "NetDev", node->mac);
        if (role == ND_TOP)
                set_mtu(ini, "NetDev", node->mtu);
        switch (node->type) {
        case KN_IFACE_BRIDGE:
                set_bool(ini, "Bridge", "STP", node->stp);
                set_seconds(ini, "Bridge", "ForwardDelaySec", node->delay);
                break;
        case KN_IFACE_BOND: write_bond(ini, node); break;
        case KN_IFACE_VLAN: {
                const char *cur = kn_ini_get(ini, "VLAN", "Id");
                char *end = NULL;
                if (!cur || strtol(cur, &end, 10) != node->vlan_tag || *end || !*cur)
                        kn_ini_setf(ini, "VLAN", "Id", "%d", node->vlan_tag);
                break;
        }
        default: break;
        }
        for (kn_iface_type t = KN_IFACE_BRIDGE; t <= KN_IFACE_VLAN; t++)
                kn_ini_prune(ini, kind_section(t));
        return 0;
}
