/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The model -> one ifcfg file, edited in place.
 *
 * Mapping (what initscripts and netcf users expect):
 *  - DEVICE=name always; a new file is ifcfg-NAME.  TYPE=Ethernet, Bridge,
 *    Bond (+ BONDING_MASTER=yes) or Vlan (+ VLAN=yes).
 *  - start onboot: ONBOOT=yes; none: ONBOOT=no; hotplug: ONBOOT=no +
 *    HOTPLUG=yes; not given: no ONBOOT.  Ports and slaves have no start
 *    mode of their own in the XML: they get their top-level master's
 *    ONBOOT/HOTPLUG (and MTU), so that the master comes up whole.
 *  - <mac>: HWADDR for an Ethernet device (it selects the NIC), MACADDR
 *    for a bridge, bond or vlan (it sets the address; a file that already
 *    says HWADDR there keeps that key).
 *  - IPv4: BOOTPROTO=dhcp or none (static and bootp are read, and kept
 *    when they still mean the same); addresses IPADDR/PREFIX, IPADDR1/
 *    PREFIX1, ... (an existing file's numbering is reused, and a NETMASKn
 *    it uses instead of PREFIXn stays a netmask); <route gateway> is
 *    GATEWAY, <dhcp peerdns> PEERDNS.
 *  - IPv6: IPV6INIT=yes, IPV6_AUTOCONF=yes|no always (initscripts turns
 *    autoconf on when it is not given), DHCPV6C=yes, the first address
 *    IPV6ADDR=a/p, the rest IPV6ADDR_SECONDARIES="a/p b/p", gateway
 *    IPV6_DEFAULTGW, <dhcp peerdns> IPV6_PEERDNS (as NetworkManager).
 *  - bridge: STP=on|off, DELAY=seconds; a port says BRIDGE=master.
 *  - bond: BONDING_OPTS="mode=NAME miimon= downdelay= updelay= use_carrier=
 *    | arp_interval= arp_ip_target= arp_validate= primary=FIRST-SLAVE"
 *    (primary only for the modes that use it, with two slaves or more);
 *    options kvmnet has no field for stay, after its own.  A slave says
 *    MASTER=bond SLAVE=yes.
 *  - vlan: DEVICE=PARENT.TAG needs nothing more; any other name gets
 *    PHYSDEV= and VLAN_ID=.
 *  - A key whose value already means what the model says is left exactly
 *    as written (ONBOOT=true, HWADDR in capitals, 255.255.255.0 netmasks).
 *  - Keys kvmnet owns (read by ifcfg-read.c) that the new definition does
 *    not use are removed; all other lines stay, in order. */

#include <arpa/inet.h>
#include <stdlib.h>
#include <strings.h>

#include "ifcfg-private.h"
#include "macro.h"
#include "rootfs.h"
#include "strbuf.h"

typedef bool (*equiv_fn)(const char *old, const char *new);

typedef struct writer {
        kn_ifcfg_file *f;
        char **set; /* keys this definition uses */
        size_t n_set, alloc_set;
        bool ethernet;
} writer;

static void put(writer *w, const char *key, const char *value, equiv_fn eq) {
        if (!value)
                return;
        GREEDY_REALLOC(w->set, w->alloc_set, w->n_set + 1);
        w->set[w->n_set++] = kn_xstrdup(key);
        const kn_ifcfg_line *l = kn_ifcfg_file_find(w->f, key);
        if (l && !l->dynamic && eq && eq(l->value, value))
                return;
        kn_ifcfg_file_set(w->f, key, value);
}

static bool has(const writer *w, const char *key) {
        const char *v = kn_ifcfg_file_get(w->f, key);
        return v && *v;
}

static bool eq_bool(const char *a, const char *b) {
        kn_tristate x = kn_ifcfg_parse_bool(a);
        return x && x == kn_ifcfg_parse_bool(b);
}

static bool eq_case(const char *a, const char *b) {
        return strcasecmp(a, b) == 0;
}

static bool is_dhcp(const char *s) {
        return strcasecmp(s, "dhcp") == 0 || strcasecmp(s, "bootp") == 0;
}

static bool eq_bootproto(const char *a, const char *b) {
        bool static_a = strcasecmp(a, "none") == 0 || strcasecmp(a, "static") == 0;
        return is_dhcp(a) ? is_dhcp(b) : static_a && !is_dhcp(b);
}

static bool eq_num(const char *a, const char *b) {
        char *ea, *eb;
        double x = strtod(a, &ea), y = strtod(b, &eb);
        return ea != a && !*ea && eb != b && !*eb && x == y;
}

static bool eq_ip(int family, const char *a, const char *b) {
        char x[46], y[46];
        return kn_ip_canonical(family, a, x) >= 0 && kn_ip_canonical(family, b, y) >= 0 &&
               streq(x, y);
}

static bool eq_ip4(const char *a, const char *b) {
        return eq_ip(AF_INET, a, b);
}

/* "addr/prefix" */
static bool eq_ip6_prefixed(const char *a, const char *b) {
        size_t la = strcspn(a, "/"), lb = strcspn(b, "/");
        _cleanup_free_ char *x = kn_xstrndup(a, la), *y = kn_xstrndup(b, lb);
        return eq_ip(AF_INET6, x, y) && streq(a + la, b + lb);
}

static bool eq_ip6_list(const char *a, const char *b) {
        _cleanup_free_ char *x = kn_xstrdup(a), *y = kn_xstrdup(b);
        char *sx = NULL, *sy = NULL;
        char *tx = strtok_r(x, " \t", &sx), *ty = strtok_r(y, " \t", &sy);
        for (; tx && ty; tx = strtok_r(NULL, " \t", &sx), ty = strtok_r(NULL, " \t", &sy))
                if (!eq_ip6_prefixed(tx, ty))
                        return false;
        return !tx && !ty;
}

/* IPV6_DEFAULTGW=fe80::1%eth0 */
static bool eq_ip6_gw(const char *a, const char *b) {
        _cleanup_free_ char *x = kn_xstrndup(a, strcspn(a, "%"));
        return eq_ip(AF_INET6, x, b);
}

static bool eq_netmask(const char *a, const char *b) {
        return eq_ip4(a, b);
}

static const char *yes_no(bool b) {
        return b ? "yes" : "no";
}

static void write_start(writer *w, kn_start_mode start) {
        if (start == KN_START_ONBOOT)
                put(w, "ONBOOT", "yes", eq_bool);
        else if (start == KN_START_NONE || start == KN_START_HOTPLUG)
                put(w, "ONBOOT", "no", eq_bool);
        if (start == KN_START_HOTPLUG)
                put(w, "HOTPLUG", "yes", eq_bool);
}

static void write_ipv4(writer *w, const kn_protocol *p) {
        put(w, "BOOTPROTO", p->dhcp ? "dhcp" : "none", eq_bootproto);

        /* Reuse the numbers the file has (IPADDR0 stays IPADDR0). */
        _cleanup_free_ long *idx = NULL;
        size_t n_idx = kn_ifcfg_address_indexes(w->f, &idx);
        long next = n_idx ? idx[n_idx - 1] + 1 : 1;
        if (next == 0)
                next = 1;
        for (size_t k = 0; k < p->n_ips; k++) {
                long n = k < n_idx ? idx[k] : k == 0 ? -1 : next++;
                char sfx[24] = "", key[40], mask_key[40], value[24];
                if (n >= 0)
                        snprintf(sfx, sizeof sfx, "%ld", n);
                snprintf(key, sizeof key, "IPADDR%s", sfx);
                put(w, key, p->ips[k].address, eq_ip4);
                int prefix = p->ips[k].prefix;
                if (prefix < 0)
                        continue;
                snprintf(mask_key, sizeof mask_key, "NETMASK%s", sfx);
                snprintf(key, sizeof key, "PREFIX%s", sfx);
                if (has(w, mask_key) && !has(w, key)) {
                        struct in_addr a = {
                                .s_addr = htonl(prefix ? ~0u << (32 - prefix) : 0),
                        };
                        inet_ntop(AF_INET, &a, value, sizeof value);
                        put(w, mask_key, value, eq_netmask);
                } else {
                        snprintf(value, sizeof value, "%d", prefix);
                        put(w, key, value, eq_num);
                }
        }
        put(w, "GATEWAY", p->gateway[0] ? p->gateway : NULL, eq_ip4);
        if (p->dhcp && p->peerdns)
                put(w, "PEERDNS", yes_no(p->peerdns == KN_YES), eq_bool);
}

static char *ip6_text(const kn_ipaddr *a) {
        if (a->prefix < 0)
                return kn_xstrdup(a->address);
        return kn_xasprintf("%s/%d", a->address, a->prefix);
}

static void write_ipv6(writer *w, const kn_protocol *p) {
        if (!p->present) {
                /* An explicit IPV6INIT stays explicit. */
                if (has(w, "IPV6INIT"))
                        put(w, "IPV6INIT", "no", eq_bool);
                return;
        }
        put(w, "IPV6INIT", "yes", eq_bool);
        put(w, "IPV6_AUTOCONF", yes_no(p->autoconf), eq_bool);
        if (p->dhcp)
                put(w, "DHCPV6C", "yes", eq_bool);
        if (p->n_ips) {
                _cleanup_free_ char *first = ip6_text(&p->ips[0]);
                put(w, "IPV6ADDR", first, eq_ip6_prefixed);
        }
        if (p->n_ips > 1) {
                _cleanup_strbuf_ kn_strbuf b = {0};
                for (size_t k = 1; k < p->n_ips; k++) {
                        _cleanup_free_ char *t = ip6_text(&p->ips[k]);
                        kn_strbuf_printf(&b, "%s%s", k > 1 ? " " : "", t);
                }
                put(w, "IPV6ADDR_SECONDARIES", b.s, eq_ip6_list);
        }
        put(w, "IPV6_DEFAULTGW", p->gateway[0] ? p->gateway : NULL, eq_ip6_gw);
        if (p->dhcp && p->peerdns)
                put(w, "IPV6_PEERDNS", yes_no(p->peerdns == KN_YES), eq_bool);
}

static const char *const bond_known[] = {
        "mode",         "miimon",        "downdelay",    "updelay", "use_carrier",
        "arp_interval", "arp_ip_target", "arp_validate", "primary",
};

static bool bond_known_option(const char *tok) {
        size_t n = strcspn(tok, "=");
        for (size_t k = 0; k < ELEMENTSOF(bond_known); k++)
                if (strlen(bond_known[k]) == n && strncmp(tok, bond_known[k], n) == 0)
                        return true;
        return false;
}

/* kvmnet's options in a fixed order, then the others of `old` as they were. */
static char *bond_opts(const kn_iface *i, const char *primary, const char *old) {
        kn_strbuf b = {0};
        kn_strbuf_puts(&b, "");
        if (i->bond_mode)
                kn_strbuf_printf(&b, " mode=%s", kn_bond_mode_to_string(i->bond_mode));
        if (i->monitor == KN_MON_MIIMON) {
                kn_strbuf_printf(&b, " miimon=%u", i->miimon_freq);
                if (i->miimon_downdelay >= 0)
                        kn_strbuf_printf(&b, " downdelay=%ld", i->miimon_downdelay);
                if (i->miimon_updelay >= 0)
                        kn_strbuf_printf(&b, " updelay=%ld", i->miimon_updelay);
                if (i->miimon_carrier)
                        kn_strbuf_printf(&b, " use_carrier=%d",
                                         i->miimon_carrier == KN_CARRIER_NETIF);
        } else if (i->monitor == KN_MON_ARPMON) {
                kn_strbuf_printf(&b, " arp_interval=%u arp_ip_target=%s", i->arpmon_interval,
                                 i->arpmon_target);
                if (i->arpmon_validate)
                        kn_strbuf_printf(&b, " arp_validate=%s",
                                         kn_arp_validate_to_string(i->arpmon_validate));
        }
        if (primary && *primary)
                kn_strbuf_printf(&b, " primary=%s", primary);
        if (old) {
                _cleanup_free_ char *copy = kn_xstrdup(old);
                char *save = NULL;
                for (char *t = strtok_r(copy, " \t", &save); t; t = strtok_r(NULL, " \t", &save))
                        if (!bond_known_option(t))
                                kn_strbuf_printf(&b, " %s", t);
        }
        char *s = kn_strbuf_steal(&b);
        memmove(s, s + (*s == ' '), strlen(s + (*s == ' ')) + 1);
        return s;
}

static bool eq_bond(const char *old, const char *new) {
        _cleanup_iface_ kn_iface *tmp = kn_iface_new(KN_IFACE_BOND, NULL);
        char primary[KN_IFNAME_MAX + 1] = "", why[256];
        if (kn_ifcfg_bond_opts_parse(old, tmp, primary, why, sizeof why) < 0)
                return false;
        _cleanup_free_ char *canon = bond_opts(tmp, primary, old);
        return streq(canon, new);
}

static void write_bond(writer *w, const kn_iface *i) {
        const char *primary = NULL;
        if ((i->bond_mode == KN_BOND_ACTIVE_BACKUP || i->bond_mode == KN_BOND_BALANCE_TLB ||
             i->bond_mode == KN_BOND_BALANCE_ALB) &&
            i->n_children > 1)
                primary = i->children[0]->name;
        _cleanup_free_ char *opts = bond_opts(i, primary, kn_ifcfg_file_get(w->f, "BONDING_OPTS"));
        put(w, "BONDING_OPTS", *opts ? opts : NULL, eq_bond);
}

static void write_vlan(writer *w, const kn_iface *i) {
        char parent[KN_IFNAME_MAX + 1], tag[16];
        int t;
        bool implied = kn_ifcfg_vlan_name_split(i->name, parent, &t) &&
                       streq(parent, i->vlan_parent) && t == i->vlan_tag;
        snprintf(tag, sizeof tag, "%d", i->vlan_tag);
        /* Redundant PHYSDEV/VLAN_ID that agree are kept. */
        if (!implied || has(w, "PHYSDEV"))
                put(w, "PHYSDEV", i->vlan_parent, NULL);
        if (!implied || has(w, "VLAN_ID"))
                put(w, "VLAN_ID", tag, eq_num);
}

static const char *const owned_keys[] = {
        "DEVICE",
        "TYPE",
        "HWADDR",
        "ONBOOT",
        "HOTPLUG",
        "BOOTPROTO",
        "GATEWAY",
        "PEERDNS",
        "IPV6INIT",
        "IPV6_AUTOCONF",
        "DHCPV6C",
        "IPV6ADDR",
        "IPV6ADDR_SECONDARIES",
        "IPV6_DEFAULTGW",
        "IPV6_PEERDNS",
        "MTU",
        "STP",
        "DELAY",
        "BONDING_OPTS",
        "BONDING_MASTER",
        "VLAN",
        "PHYSDEV",
        "VLAN_ID",
        "BRIDGE",
        "MASTER",
        "SLAVE",
};

static bool is_numbered(const char *key, const char *prefix) {
        size_t n = strlen(prefix);
        if (strncmp(key, prefix, n) != 0)
                return false;
        return strspn(key + n, "0123456789") == strlen(key + n);
}

static bool drop_unused(const char *key, void *userdata) {
        writer *w = userdata;
        bool owned = is_numbered(key, "IPADDR") || is_numbered(key, "PREFIX") ||
                     is_numbered(key, "NETMASK") || (!w->ethernet && streq(key, "MACADDR"));
        for (size_t k = 0; !owned && k < ELEMENTSOF(owned_keys); k++)
                owned = streq(key, owned_keys[k]);
        if (!owned)
                return false;
        for (size_t k = 0; k < w->n_set; k++)
                if (streq(w->set[k], key))
                        return false;
        return true;
}

void kn_ifcfg_write(kn_ifcfg_file *f, const kn_iface *node, const kn_iface *top,
                    const kn_iface *master) {
        static const char *const type_names[_KN_IFACE_TYPE_MAX] = {
                [KN_IFACE_ETHERNET] = "Ethernet",
                [KN_IFACE_BRIDGE] = "Bridge",
                [KN_IFACE_BOND] = "Bond",
                [KN_IFACE_VLAN] = "Vlan",
        };
        writer w = {.f = f, .ethernet = node->type == KN_IFACE_ETHERNET};

        put(&w, "DEVICE", node->name, NULL);
        put(&w, "TYPE", type_names[node->type], eq_case);
        if (node->type == KN_IFACE_BOND)
                put(&w, "BONDING_MASTER", "yes", eq_bool);
        if (node->type == KN_IFACE_VLAN) {
                put(&w, "VLAN", "yes", eq_bool);
                write_vlan(&w, node);
        }
        if (node->mac[0]) {
                const char *key = "HWADDR";
                if (!w.ethernet && (has(&w, "MACADDR") || !has(&w, "HWADDR")))
                        key = "MACADDR";
                put(&w, key, node->mac, eq_case);
        }
        write_start(&w, top->start);
        if (master && master->type == KN_IFACE_BRIDGE)
                put(&w, "BRIDGE", master->name, NULL);
        else if (master) {
                put(&w, "MASTER", master->name, NULL);
                put(&w, "SLAVE", "yes", eq_bool);
        }
        if (node == top) {
                write_ipv4(&w, &node->ipv4);
                write_ipv6(&w, &node->ipv6);
        }
        if (top->mtu) {
                char mtu[16];
                snprintf(mtu, sizeof mtu, "%u", top->mtu);
                put(&w, "MTU", mtu, eq_num);
        }
        if (node->type == KN_IFACE_BRIDGE) {
                if (node->stp)
                        put(&w, "STP", node->stp == KN_YES ? "on" : "off", eq_bool);
                if (node->delay >= 0) {
                        char delay[32];
                        /* shortest form that reads back the same */
                        for (int prec = 1; prec <= 17; prec++) {
                                snprintf(delay, sizeof delay, "%.*g", prec, node->delay);
                                if (strtod(delay, NULL) == node->delay)
                                        break;
                        }
                        put(&w, "DELAY", delay, eq_num);
                }
        }
        if (node->type == KN_IFACE_BOND)
                write_bond(&w, node);

        kn_ifcfg_file_remove_if(f, drop_unused, &w);
        kn_strv_free(w.set, w.n_set);
}
