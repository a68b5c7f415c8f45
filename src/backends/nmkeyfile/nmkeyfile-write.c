/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The model -> one NetworkManager profile (the mapping is in
 * nmkeyfile-read.c).  As for networkd, a key is only rewritten when the
 * file does not already say the same thing, and keys kvmnet does not own
 * ([proxy], ipv6.addr-gen-mode, ...) stay as they are. */

#include <arpa/inet.h>
#include <ctype.h>

#include "macro.h"
#include "nmkeyfile.h"

static void set_bool(kn_ini *ini, const char *section, const char *key, kn_tristate v) {
        if (v == KN_UNSET)
                kn_ini_set(ini, section, key, NULL);
        else if (kn_nmkeyfile_parse_bool(kn_ini_get(ini, section, key)) != (v == KN_YES))
                kn_ini_set(ini, section, key, v == KN_YES ? "true" : "false");
}

/* v < 0 removes the key. */
static void set_num(kn_ini *ini, const char *section, const char *key, long v) {
        const char *cur = kn_ini_get(ini, section, key);
        char *end;
        if (v < 0)
                kn_ini_set(ini, section, key, NULL);
        else if (!cur || !isdigit((unsigned char) *cur) || strtol(cur, &end, 10) != v || *end)
                kn_ini_setf(ini, section, key, "%ld", v);
}

static bool has_keys(const kn_ini *ini, const char *section) {
        return kn_ini_next(ini, section, NULL, 0) < ini->n;
}

static void set_mac(kn_ini *ini, const char *section, const char *key, const char *mac) {
        char cur[KN_MAC_STRLEN + 1];
        if (!*mac)
                kn_ini_set(ini, section, key, NULL);
        else if (kn_mac_parse(kn_ini_get(ini, section, key), cur) < 0 || !streq(cur, mac))
                kn_ini_set(ini, section, key, mac);
}

static void write_ethernet(kn_ini *ini, const kn_iface *i, kn_nmkeyfile_role role) {
        const char *eth = kn_nmkeyfile_eth_section(ini);
        bool had = has_keys(ini, eth);
        /* <mac> is the interface's MAC (libvirt, netcf): cloned-mac-address
         * sets it.  An ethernet's mac-address= only binds the profile to a
         * device (a NIC with another MAC never activates it): kept as the
         * file has it, unless the model has no MAC at all. */
        const char *cloned = kn_ini_get(ini, eth, "cloned-mac-address");
        /* preserve, permanent, random, stable: not a MAC, not the model's. */
        if (i->mac[0] || kn_mac_parse(cloned, NULL) >= 0)
                set_mac(ini, eth, "cloned-mac-address", i->mac);
        if (i->type == KN_IFACE_ETHERNET) {
                if (!i->mac[0])
                        kn_ini_set(ini, eth, "mac-address", NULL);
        } else {
                const char *old = kn_ini_get(ini, "bridge", "mac-address");
                char cur[KN_MAC_STRLEN + 1];
                if (old && (kn_mac_parse(old, cur) < 0 || !streq(cur, i->mac)))
                        kn_ini_set(ini, "bridge", "mac-address", NULL);
        }
        if (role == NM_TOP)
                set_num(ini, eth, "mtu", i->mtu ? (long) i->mtu : -1);
        if (had)
                kn_ini_prune(ini, eth);
}

static void write_bond(kn_ini *ini, const kn_iface *i) {
        const char *cur = kn_ini_get(ini, "bond", "mode");
        char *end = NULL;
        kn_bond_mode m = _KN_BOND_MODE_INVALID;
        if (cur && isdigit((unsigned char) *cur)) {
                long n = strtol(cur, &end, 10);
                if (!*end && n >= 0 && n <= 6)
                        m = (kn_bond_mode) (n + 1);
        } else if (cur)
                m = kn_bond_mode_from_string(cur);
        if (!i->bond_mode)
                kn_ini_set(ini, "bond", "mode", NULL);
        else if (m != i->bond_mode)
                kn_ini_set(ini, "bond", "mode", kn_bond_mode_to_string(i->bond_mode));

        bool mii = i->monitor == KN_MON_MIIMON, arp = i->monitor == KN_MON_ARPMON;
        set_num(ini, "bond", "miimon", mii ? (long) i->miimon_freq : -1);
        set_num(ini, "bond", "updelay", mii ? i->miimon_updelay : -1);
        set_num(ini, "bond", "downdelay", mii ? i->miimon_downdelay : -1);
        set_num(ini, "bond", "use_carrier",
                mii && i->miimon_carrier ? i->miimon_carrier == KN_CARRIER_NETIF : -1);
        set_num(ini, "bond", "arp_interval", arp ? (long) i->arpmon_interval : -1);
        if (arp) {
                char first[64] = "", canon[46];
                cur = kn_ini_get(ini, "bond", "arp_ip_target");
                if (cur)
                        sscanf(cur, "%63[^,]", first);
                if (kn_ip_canonical(AF_INET, first, canon) < 0 || !streq(canon, i->arpmon_target))
                        kn_ini_set(ini, "bond", "arp_ip_target", i->arpmon_target);
                cur = kn_ini_get(ini, "bond", "arp_validate");
                if (!i->arpmon_validate) {
                        if (!cur || !strstr(cur, "filter"))
                                kn_ini_set(ini, "bond", "arp_validate", NULL);
                } else if (!cur || (kn_arp_validate_from_string(cur) != i->arpmon_validate &&
                                    !(isdigit((unsigned char) *cur) &&
                                      atoi(cur) + 1 == (int) i->arpmon_validate)))
                        kn_ini_set(ini, "bond", "arp_validate",
                                   kn_arp_validate_to_string(i->arpmon_validate));
        } else {
                kn_ini_set(ini, "bond", "arp_ip_target", NULL);
                kn_ini_set(ini, "bond", "arp_validate", NULL);
        }
        /* The model's primary is the first slave of an active-backup bond. */
        kn_ini_set(ini, "bond", "primary",
                   i->bond_mode == KN_BOND_ACTIVE_BACKUP && i->n_children ? i->children[0]->name
                                                                          : NULL);
}

static void write_type(kn_nmkeyfile_backend *b, kn_ini *ini, const kn_iface *i) {
        switch (i->type) {
        case KN_IFACE_BRIDGE:
                set_bool(ini, "bridge", "stp", i->stp);
                /* NetworkManager ignores a forward-delay below its minimum of
                 * 2 (it keeps 15 s); with STP off (the only way such a delay
                 * passes the define check) the kernel does not use it.  Not
                 * silently: kn_nmkeyfile_normalize() says so, which names it in a
                 * warning at define time. */
                set_num(ini, "bridge", "forward-delay", i->delay >= 2 ? (long) i->delay : -1);
                break;
        case KN_IFACE_BOND: write_bond(ini, i); break;
        case KN_IFACE_VLAN: {
                set_num(ini, "vlan", "id", i->vlan_tag);
                const char *cur = kn_ini_get(ini, "vlan", "parent");
                if (!cur || !streq(kn_nmkeyfile_resolve(b, cur), i->vlan_parent))
                        kn_ini_set(ini, "vlan", "parent", i->vlan_parent);
                break;
        }
        default: break;
        }
}

/* What a method says by itself, as model flags. */
enum { P = 1, D = 2, A = 4 };

static int method_flags(const char *m, bool v6) {
        if (streq(m, "auto"))
                return v6 ? P | A : P | D;
        if (v6 && streq(m, "dhcp"))
                return P | D;
        if (streq(m, "manual") || streq(m, "link-local") || streq(m, "shared"))
                return P;
        return 0;
}

static bool same_addresses(const kn_ini *ini, const char *sect, const kn_protocol *want,
                           bool *legacy_gw) {
        _cleanup_free_ size_t *lines = NULL;
        size_t n = kn_nmkeyfile_address_keys(ini, sect, &lines);
        *legacy_gw = false;
        if (n != want->n_ips)
                return false;
        for (size_t k = 0; k < n; k++) {
                const char *v = ini->lines[lines[k]].value;
                char addr[64] = "", canon[46];
                int prefix = -1;
                sscanf(v, "%63[^/,]", addr);
                const char *slash = strchr(v, '/'), *comma = strchr(v, ',');
                if (slash && (!comma || slash < comma))
                        prefix = atoi(slash + 1);
                if (comma)
                        *legacy_gw = true;
                if (kn_ip_canonical(strchr(addr, ':') ? AF_INET6 : AF_INET, addr, canon) < 0 ||
                    !streq(canon, want->ips[k].address) || prefix != want->ips[k].prefix)
                        return false;
        }
        return true;
}

static void write_ip(kn_ini *ini, bool v6, const kn_protocol *p) {
        const char *sect = v6 ? "ipv6" : "ipv4";
        int want = p->present ? P | (p->autoconf ? A : p->dhcp ? D : 0) : 0;
        const char *method = !p->present   ? (v6 ? "ignore" : "disabled")
                             : p->autoconf ? "auto"
                             : p->dhcp     ? (v6 ? "dhcp" : "auto")
                             : p->n_ips    ? "manual"
                             : v6          ? "link-local"
                                           : "disabled";
        const char *cur = kn_ini_get(ini, sect, "method");
        if (!cur)
                cur = "auto";
        bool keep = method_flags(cur, v6) == want;
        if (streq(cur, "manual"))
                keep = keep && p->n_ips > 0;
        else if (streq(cur, "link-local") || streq(cur, "shared"))
                keep = keep && p->n_ips == 0;
        if (!keep || !kn_ini_get(ini, sect, "method"))
                kn_ini_set(ini, sect, "method", method);

        bool legacy_gw;
        if (!same_addresses(ini, sect, p, &legacy_gw) ||
            (legacy_gw && !kn_ini_get(ini, sect, "gateway"))) {
                _cleanup_free_ size_t *lines = NULL;
                size_t n = kn_nmkeyfile_address_keys(ini, sect, &lines);
                _cleanup_free_ char **keys = kn_xcalloc(n ? n : 1, sizeof *keys);
                for (size_t k = 0; k < n; k++)
                        keys[k] = kn_xstrdup(ini->lines[lines[k]].key);
                for (size_t k = 0; k < n; k++) {
                        kn_ini_set(ini, sect, keys[k], NULL);
                        free(keys[k]);
                }
                for (size_t k = 0; k < p->n_ips; k++) {
                        char key[32];
                        snprintf(key, sizeof key, "address%zu", k + 1);
                        if (p->ips[k].prefix >= 0)
                                kn_ini_setf(ini, sect, key, "%s/%d", p->ips[k].address,
                                            p->ips[k].prefix);
                        else
                                kn_ini_set(ini, sect, key, p->ips[k].address);
                }
        }
        const char *gw = kn_ini_get(ini, sect, "gateway");
        char canon[46];
        /* method=disabled takes no gateway (NetworkManager refuses the
         * profile): kn_nmkeyfile_normalize() leaves such a protocol out */
        if (!p->gateway[0] || !p->present || (!v6 && !p->dhcp && !p->n_ips))
                kn_ini_set(ini, sect, "gateway", NULL);
        else if (!gw || kn_ip_canonical(v6 ? AF_INET6 : AF_INET, gw, canon) < 0 ||
                 !streq(canon, p->gateway))
                kn_ini_set(ini, sect, "gateway", p->gateway);
        if (p->dhcp)
                set_bool(ini, sect, "ignore-auto-dns",
                         p->peerdns == KN_UNSET ? KN_UNSET
                         : p->peerdns == KN_NO  ? KN_YES
                                                : KN_NO);
}

static const char *const type_sections[] = {"bridge", "bond", "vlan"};

int kn_nmkeyfile_write_conn(kn_nmkeyfile_backend *b, kn_ini *ini, const kn_iface *node,
                            kn_nmkeyfile_role role, const kn_iface *master, bool created,
                            kn_error *err) {
        const char *type = kn_iface_type_to_string(node->type);
        if (node->type == KN_IFACE_BRIDGE && node->delay >= 0 &&
            (node->delay != (double) (long) node->delay || node->delay > 30 ||
             (node->delay < 2 && node->stp != KN_NO)))
                return kn_error_set(err, EINVAL,
                                    "bridge %s: NetworkManager takes the forward delay in whole "
                                    "seconds, 2 to 30 (0 too with stp='off'); delay='%g' is not "
                                    "one",
                                    node->name, node->delay);
        if (created) {
                char uuid[37];
                kn_nmkeyfile_uuid_for(node->name, uuid);
                kn_ini_set(ini, "connection", "id", node->name);
                kn_ini_set(ini, "connection", "uuid", uuid);
                kn_ini_set(ini, "connection", "type", type);
                kn_ini_set(ini, "connection", "interface-name", node->name);
        } else {
                const char *cur = kn_ini_get(ini, "connection", "type");
                kn_iface_type t = streq_ptr(cur, "802-3-ethernet") ? KN_IFACE_ETHERNET
                                  : cur                            ? kn_iface_type_from_string(cur)
                                                                   : _KN_IFACE_TYPE_INVALID;
                if (t != node->type) {
                        kn_ini_set(ini, "connection", "type", type);
                        for (size_t k = 0; k < ELEMENTSOF(type_sections); k++)
                                if (!streq(type_sections[k], type))
                                        kn_ini_remove_section(ini, type_sections[k]);
                }
                if (!streq_ptr(kn_ini_get(ini, "connection", "interface-name"), node->name))
                        kn_ini_set(ini, "connection", "interface-name", node->name);
        }
        int ac = kn_nmkeyfile_parse_bool(kn_ini_get(ini, "connection", "autoconnect"));
        if (role == NM_TOP && node->start == KN_START_NONE) {
                if (ac != 0)
                        kn_ini_set(ini, "connection", "autoconnect", "false");
        } else if (ac == 0)
                kn_ini_set(ini, "connection", "autoconnect", NULL);

        /* Newer releases say controller= and port-type=: keep their words. */
        const char *mkey = kn_ini_find(ini, "connection", "controller") ? "controller" : "master";
        const char *tkey = kn_ini_find(ini, "connection", "port-type") ? "port-type" : "slave-type";
        if (role == NM_TOP) {
                kn_ini_set(ini, "connection", mkey, NULL);
                kn_ini_set(ini, "connection", tkey, NULL);
        } else {
                const char *cur = kn_ini_get(ini, "connection", mkey);
                if (!cur || !streq(kn_nmkeyfile_resolve(b, cur), master->name))
                        kn_ini_set(ini, "connection", mkey, master->name);
                kn_ini_set(ini, "connection", tkey, role == NM_PORT ? "bridge" : "bond");
        }
        /* Port settings of a role the profile no longer has would make
         * NetworkManager reject it. */
        if (role != NM_PORT)
                kn_ini_remove_section(ini, "bridge-port");
        if (role != NM_SLAVE)
                kn_ini_remove_section(ini, "bond-port");

        write_ethernet(ini, node, role);
        /* NetworkManager gives a bridge's ports none of its MTU, and the
         * kernel lowers a bridge to its smallest port's: the ports carry
         * it, as networkd's and bridge-utils' do. */
        if (role == NM_PORT && master->mtu)
                set_num(ini, kn_nmkeyfile_eth_section(ini), "mtu", (long) master->mtu);
        write_type(b, ini, node);
        if (role == NM_TOP) {
                write_ip(ini, false, &node->ipv4);
                write_ip(ini, true, &node->ipv6);
        } else {
                kn_ini_remove_section(ini, "ipv4");
                kn_ini_remove_section(ini, "ipv6");
        }
        return 0;
}
