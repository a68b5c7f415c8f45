/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* One ifcfg file -> the model.  What each key means is initscripts'
 * reading of it (NetworkManager's ifcfg-rh plugin agrees on these keys);
 * where the two regimes differ, see the mapping notes in ifcfg-write.c. */

#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <strings.h>

#include "ifcfg-private.h"
#include "macro.h"

_printf_(4, 5) static int problem(kn_ifcfg_problem *p, kn_ifcfg_which which, unsigned line,
                                  const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        p->which = which;
        p->line = line;
        vsnprintf(p->message, sizeof p->message, fmt, ap);
        va_end(ap);
        return -EINVAL;
}

void kn_ifcfg_info_done(kn_ifcfg_info *info) {
        kn_iface_free(info->iface);
        *info = (kn_ifcfg_info){0};
}

/* 1 and *ret if KEY has a non-empty literal value, 0 if it is absent or
 * empty (initscripts reads KEY= as unset), < 0 if only a shell could tell. */
static int lookup(const kn_ifcfg_file *f, const char *key, const kn_ifcfg_line **ret,
                  kn_ifcfg_problem *p) {
        const kn_ifcfg_line *l = kn_ifcfg_file_find(f, key);
        *ret = l;
        if (!l || !*l->value)
                return 0;
        if (l->dynamic)
                return problem(p, KN_IFCFG_MAIN, l->lineno,
                               "%s=%s needs a shell to expand it; kvmnet reads literal values "
                               "only",
                               key, l->value);
        return 1;
}

kn_tristate kn_ifcfg_parse_bool(const char *s) {
        static const char *const yes[] = {"yes", "y", "true", "on", "1"};
        static const char *const no[] = {"no", "n", "false", "off", "0"};
        for (size_t k = 0; k < ELEMENTSOF(yes); k++) {
                if (strcasecmp(s, yes[k]) == 0)
                        return KN_YES;
                if (strcasecmp(s, no[k]) == 0)
                        return KN_NO;
        }
        return KN_UNSET;
}

static int get_bool(const kn_ifcfg_file *f, const char *key, kn_tristate *ret,
                    kn_ifcfg_problem *p) {
        const kn_ifcfg_line *l;
        int r = lookup(f, key, &l, p);
        *ret = KN_UNSET;
        if (r <= 0)
                return r;
        *ret = kn_ifcfg_parse_bool(l->value);
        if (!*ret)
                return problem(p, KN_IFCFG_MAIN, l->lineno, "%s=%s: expected yes or no", key,
                               l->value);
        return 1;
}

static bool parse_ulong(const char *s, unsigned long max, unsigned long *ret) {
        if (!isdigit((unsigned char) *s))
                return false;
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (errno || *end || v > max)
                return false;
        *ret = v;
        return true;
}

static int get_ulong(const kn_ifcfg_file *f, const char *key, unsigned long min, unsigned long max,
                     unsigned long *ret, kn_ifcfg_problem *p) {
        const kn_ifcfg_line *l;
        int r = lookup(f, key, &l, p);
        if (r <= 0)
                return r;
        if (!parse_ulong(l->value, max, ret) || *ret < min)
                return problem(p, KN_IFCFG_MAIN, l->lineno,
                               "%s=%s: expected a number from %lu to %lu", key, l->value, min, max);
        return 1;
}

int kn_ifcfg_read_name(const kn_ifcfg_file *f, const char *suffix, char *name,
                       kn_ifcfg_problem *p) {
        const kn_ifcfg_line *l;
        int r = lookup(f, "DEVICE", &l, p);
        if (r < 0)
                return r;
        const char *n = r > 0 ? l->value : suffix;
        kn_error e = {0};
        if (kn_ifname_validate(n, NULL, &e) < 0)
                return problem(p, KN_IFCFG_MAIN, r > 0 ? l->lineno : 0, "%s%s",
                               r > 0 ? "DEVICE: "
                                     : "no DEVICE= and the file name gives no interface "
                                       "name: ",
                               e.message);
        snprintf(name, KN_IFNAME_MAX + 1, "%s", n);
        return 0;
}

bool kn_ifcfg_vlan_name_split(const char *name, char *parent, int *tag) {
        const char *dot = strrchr(name, '.');
        unsigned long t;
        if (!dot || dot == name || (size_t) (dot - name) > KN_IFNAME_MAX || strlen(dot + 1) > 5 ||
            !parse_ulong(dot + 1, 99999, &t))
                return false;
        memcpy(parent, name, (size_t) (dot - name));
        parent[dot - name] = '\0';
        *tag = (int) t;
        return true;
}

static int read_type(const kn_ifcfg_file *f, kn_iface_type *ret, kn_ifcfg_problem *p) {
        static const struct {
                const char *name;
                kn_iface_type type;
        } types[] = {
                {"Ethernet", KN_IFACE_ETHERNET},
                {"Bridge", KN_IFACE_BRIDGE},
                {"Bond", KN_IFACE_BOND},
                {"Vlan", KN_IFACE_VLAN},
        };
        const kn_ifcfg_line *t, *opts;
        kn_tristate vlan, bonding_master;
        int r = lookup(f, "TYPE", &t, p);
        if (r < 0 || (r = get_bool(f, "VLAN", &vlan, p)) < 0 ||
            (r = get_bool(f, "BONDING_MASTER", &bonding_master, p)) < 0 ||
            (r = lookup(f, "BONDING_OPTS", &opts, p)) < 0)
                return r;
        *ret = KN_IFACE_ETHERNET;
        if (t && *t->value) {
                size_t k = 0;
                while (k < ELEMENTSOF(types) && strcasecmp(t->value, types[k].name) != 0)
                        k++;
                if (k == ELEMENTSOF(types))
                        return problem(p, KN_IFCFG_MAIN, t->lineno,
                                       "TYPE=%s is not managed by kvmnet (valid: Ethernet, "
                                       "Bridge, Bond, Vlan)",
                                       t->value);
                *ret = types[k].type;
        }
        /* Hand-written files say VLAN=yes or give BONDING_OPTS and leave
         * TYPE out (or at Ethernet). */
        if (*ret == KN_IFACE_ETHERNET) {
                if (vlan == KN_YES)
                        *ret = KN_IFACE_VLAN;
                else if (bonding_master == KN_YES || opts)
                        *ret = KN_IFACE_BOND;
        }
        return 0;
}

static int read_master(const kn_ifcfg_file *f, kn_iface *i, kn_ifcfg_info *info,
                       kn_ifcfg_problem *p) {
        const kn_ifcfg_line *bridge, *master;
        kn_tristate slave;
        int r;
        if ((r = lookup(f, "BRIDGE", &bridge, p)) < 0 ||
            (r = lookup(f, "MASTER", &master, p)) < 0 || (r = get_bool(f, "SLAVE", &slave, p)) < 0)
                return r;
        if (slave == KN_NO) /* initscripts enslaves only with SLAVE=yes */
                master = NULL;
        if (master && !*master->value)
                master = NULL;
        if (bridge && !*bridge->value)
                bridge = NULL;
        if (bridge && master)
                return problem(p, KN_IFCFG_MAIN, master->lineno,
                               "both BRIDGE=%s and MASTER=%s: a device is a bridge port or a "
                               "bond slave, not both",
                               bridge->value, master->value);
        const kn_ifcfg_line *l = bridge ? bridge : master;
        if (!l)
                return 0;
        if (bridge && i->type == KN_IFACE_BRIDGE)
                return problem(p, KN_IFCFG_MAIN, l->lineno,
                               "BRIDGE=%s: a bridge cannot be a port of another bridge", l->value);
        if (master && i->type != KN_IFACE_ETHERNET)
                return problem(p, KN_IFCFG_MAIN, l->lineno,
                               "MASTER=%s: only Ethernet devices can be bond slaves, %s is a %s",
                               l->value, i->name, kn_iface_type_to_string(i->type));
        kn_error e = {0};
        if (kn_ifname_validate(l->value, NULL, &e) < 0)
                return problem(p, KN_IFCFG_MAIN, l->lineno, "%s: %s", l->key, e.message);
        snprintf(info->master, sizeof info->master, "%s", l->value);
        info->master_type = bridge ? KN_IFACE_BRIDGE : KN_IFACE_BOND;
        info->master_line = l->lineno;
        return 0;
}

static int read_mac(const kn_ifcfg_file *f, kn_iface *i, kn_ifcfg_problem *p) {
        const kn_ifcfg_line *l;
        /* HWADDR names the NIC a file is for; a virtual device gets its
         * address from MACADDR (older files put HWADDR there too). */
        int r = i->type == KN_IFACE_ETHERNET ? 0 : lookup(f, "MACADDR", &l, p);
        if (r == 0)
                r = lookup(f, "HWADDR", &l, p);
        if (r <= 0)
                return r;
        if (kn_mac_parse(l->value, i->mac) < 0)
                return problem(p, KN_IFCFG_MAIN, l->lineno,
                               "%s=%s is not a MAC address (expected aa:bb:cc:dd:ee:ff)", l->key,
                               l->value);
        return 0;
}

static int read_start(const kn_ifcfg_file *f, kn_iface *i, kn_ifcfg_problem *p) {
        kn_tristate onboot, hotplug;
        int r;
        if ((r = get_bool(f, "ONBOOT", &onboot, p)) < 0 ||
            (r = get_bool(f, "HOTPLUG", &hotplug, p)) < 0)
                return r;
        if (onboot == KN_YES)
                i->start = KN_START_ONBOOT;
        else if (onboot == KN_NO)
                i->start = hotplug == KN_YES ? KN_START_HOTPLUG : KN_START_NONE;
        return 0;
}

static int add_ip(kn_protocol *proto, int family, const kn_ifcfg_line *l, const char *address,
                  int prefix, kn_ifcfg_problem *p) {
        kn_error e = {0};
        if (kn_protocol_add_ip(proto, family, address, prefix, &e) < 0)
                return problem(p, KN_IFCFG_MAIN, l->lineno, "%s: %s", l->key, e.message);
        return 0;
}

static int netmask_to_prefix(const char *s) {
        struct in_addr a;
        if (inet_pton(AF_INET, s, &a) != 1)
                return -1;
        uint32_t m = ntohl(a.s_addr);
        int prefix = 0;
        while (prefix < 32 && (m & (1u << (31 - prefix))))
                prefix++;
        if (prefix < 32 && (m << prefix) != 0)
                return -1; /* not contiguous */
        return prefix;
}

/* The prefix of address number SFX (PREFIXn, else NETMASKn), -1 if none. */
static int read_prefix(const kn_ifcfg_file *f, const char *sfx, int *ret, kn_ifcfg_problem *p) {
        char key[32];
        const kn_ifcfg_line *l;
        unsigned long v = 0;
        snprintf(key, sizeof key, "PREFIX%s", sfx);
        int r = get_ulong(f, key, 0, 32, &v, p);
        if (r != 0) {
                *ret = (int) v;
                return r < 0 ? r : 0;
        }
        snprintf(key, sizeof key, "NETMASK%s", sfx);
        r = lookup(f, key, &l, p);
        *ret = -1;
        if (r <= 0)
                return r;
        *ret = netmask_to_prefix(l->value);
        if (*ret < 0)
                return problem(p, KN_IFCFG_MAIN, l->lineno,
                               "%s=%s is not a netmask (expected e.g. 255.255.255.0)", key,
                               l->value);
        return 0;
}

/* IPADDR, then IPADDR0, IPADDR1, ... in numeric order (-1 is the
 * unnumbered one). */
static int cmp_long(const void *a, const void *b) {
        long x = *(const long *) a, y = *(const long *) b;
        return x < y ? -1 : x > y;
}

size_t kn_ifcfg_address_indexes(const kn_ifcfg_file *f, long **ret) {
        long *v = NULL;
        size_t n = 0, alloc = 0;
        for (size_t k = 0; k < f->n; k++) {
                const char *key = f->lines[k].key;
                unsigned long idx;
                if (!key || strncmp(key, "IPADDR", 6) != 0)
                        continue;
                long i = -1;
                if (key[6]) {
                        if (strlen(key + 6) > 4 || !parse_ulong(key + 6, 9999, &idx))
                                continue;
                        i = (long) idx;
                }
                bool seen = false;
                for (size_t j = 0; j < n && !seen; j++)
                        seen = v[j] == i;
                if (seen)
                        continue;
                GREEDY_REALLOC(v, alloc, n + 1);
                v[n++] = i;
        }
        if (n > 1)
                qsort_safe(v, n, sizeof *v, cmp_long);
        *ret = v;
        return n;
}

static int read_ipv4(const kn_ifcfg_file *f, const kn_ifcfg_file *route, kn_protocol *proto,
                     kn_ifcfg_problem *p) {
        const kn_ifcfg_line *l;
        int r = lookup(f, "BOOTPROTO", &l, p);
        if (r < 0)
                return r;
        if (r > 0) {
                if (strcasecmp(l->value, "dhcp") == 0 || strcasecmp(l->value, "bootp") == 0)
                        proto->dhcp = true;
                else if (strcasecmp(l->value, "none") != 0 && strcasecmp(l->value, "static") != 0)
                        return problem(p, KN_IFCFG_MAIN, l->lineno,
                                       "BOOTPROTO=%s is not supported (valid: none, static, "
                                       "dhcp, bootp)",
                                       l->value);
        }

        _cleanup_free_ long *idx = NULL;
        size_t n = kn_ifcfg_address_indexes(f, &idx);
        for (size_t k = 0; k < n; k++) {
                char sfx[24] = "", key[40];
                if (idx[k] >= 0)
                        snprintf(sfx, sizeof sfx, "%ld", idx[k]);
                snprintf(key, sizeof key, "IPADDR%s", sfx);
                int prefix;
                if ((r = lookup(f, key, &l, p)) < 0)
                        return r;
                if (r == 0)
                        continue;
                if ((r = read_prefix(f, sfx, &prefix, p)) < 0 ||
                    (r = add_ip(proto, AF_INET, l, l->value, prefix, p)) < 0)
                        return r;
        }

        if ((r = lookup(f, "GATEWAY", &l, p)) < 0)
                return r;
        if (r > 0) {
                if (kn_ip_canonical(AF_INET, l->value, proto->gateway) < 0)
                        return problem(p, KN_IFCFG_MAIN, l->lineno,
                                       "GATEWAY=%s is not an IPv4 address", l->value);
        } else if (route && (r = kn_ifcfg_route_gateway(route, AF_INET, proto->gateway, p)) < 0)
                return r;

        if (proto->dhcp && (r = get_bool(f, "PEERDNS", &proto->peerdns, p)) < 0)
                return r;
        proto->present = proto->dhcp || proto->n_ips || proto->gateway[0];
        return 0;
}

static int add_ip6(kn_protocol *proto, const kn_ifcfg_line *l, const char *s, kn_ifcfg_problem *p) {
        char addr[64];
        const char *slash = strchr(s, '/');
        unsigned long prefix;
        int pl = -1;
        if (slash) {
                if (!parse_ulong(slash + 1, 128, &prefix))
                        return problem(p, KN_IFCFG_MAIN, l->lineno,
                                       "%s: '%s' has a bad prefix length (valid: 0-128)", l->key,
                                       s);
                pl = (int) prefix;
        }
        snprintf(addr, sizeof addr, "%.*s", (int) (slash ? (size_t) (slash - s) : strlen(s)), s);
        return add_ip(proto, AF_INET6, l, addr, pl, p);
}

static int read_ipv6(const kn_ifcfg_file *f, const kn_ifcfg_file *route, kn_protocol *proto,
                     kn_ifcfg_problem *p) {
        const kn_ifcfg_line *l;
        kn_tristate init, autoconf, forwarding, dhcp;
        int r;
        if ((r = get_bool(f, "IPV6INIT", &init, p)) < 0)
                return r;
        if (init != KN_YES)
                return 0; /* initscripts ignores every other IPV6 key then */
        proto->present = true;
        if ((r = get_bool(f, "IPV6_AUTOCONF", &autoconf, p)) < 0 ||
            (r = get_bool(f, "IPV6FORWARDING", &forwarding, p)) < 0 ||
            (r = get_bool(f, "DHCPV6C", &dhcp, p)) < 0)
                return r;
        /* initscripts: autoconf unless told otherwise or forwarding */
        proto->autoconf = autoconf ? autoconf == KN_YES : forwarding != KN_YES;
        proto->dhcp = dhcp == KN_YES;

        if ((r = lookup(f, "IPV6ADDR", &l, p)) < 0 ||
            (r > 0 && (r = add_ip6(proto, l, l->value, p)) < 0))
                return r;
        if ((r = lookup(f, "IPV6ADDR_SECONDARIES", &l, p)) < 0)
                return r;
        if (r > 0) {
                _cleanup_free_ char *copy = kn_xstrdup(l->value);
                char *save = NULL;
                for (char *t = strtok_r(copy, " \t", &save); t; t = strtok_r(NULL, " \t", &save))
                        if ((r = add_ip6(proto, l, t, p)) < 0)
                                return r;
        }

        if ((r = lookup(f, "IPV6_DEFAULTGW", &l, p)) < 0)
                return r;
        if (r > 0) {
                /* fe80::1%eth0: the scope is the interface itself */
                _cleanup_free_ char *gw = kn_xstrndup(l->value, strcspn(l->value, "%"));
                if (kn_ip_canonical(AF_INET6, gw, proto->gateway) < 0)
                        return problem(p, KN_IFCFG_MAIN, l->lineno,
                                       "IPV6_DEFAULTGW=%s is not an IPv6 address", l->value);
        } else if (route && (r = kn_ifcfg_route_gateway(route, AF_INET6, proto->gateway, p)) < 0)
                return r;

        if (proto->dhcp && (r = get_bool(f, "IPV6_PEERDNS", &proto->peerdns, p)) < 0)
                return r;
        return 0;
}

static int read_bridge(const kn_ifcfg_file *f, kn_iface *i, kn_ifcfg_problem *p) {
        const kn_ifcfg_line *l;
        int r;
        if ((r = get_bool(f, "STP", &i->stp, p)) < 0 || (r = lookup(f, "DELAY", &l, p)) < 0)
                return r;
        if (r > 0) {
                char *end;
                double d = strtod(l->value, &end);
                char range[96];
                if (*end || end == l->value || !kn_limit_ok(KN_LIMIT_BRIDGE_DELAY, d))
                        return problem(
                                p, KN_IFCFG_MAIN, l->lineno,
                                "DELAY=%s: expected a forward delay in seconds, like 0 "
                                "or 2.5 (valid: %s)",
                                l->value,
                                kn_limit_describe(KN_LIMIT_BRIDGE_DELAY, range, sizeof range));
                i->delay = d;
        }
        return 0;
}

/* "mode=1", "mode=active-backup" */
static int enum_value(const char *v, int (*from_string)(const char *), int max) {
        unsigned long n;
        if (parse_ulong(v, (unsigned long) max - 1, &n))
                return (int) n + 1;
        return from_string(v);
}

static int bond_mode_from(const char *s) {
        return kn_bond_mode_from_string(s);
}
static int arp_validate_from(const char *s) {
        return kn_arp_validate_from_string(s);
}

int kn_ifcfg_bond_opts_parse(const char *opts, kn_iface *i, char *primary, char *why,
                             size_t why_len) {
        _cleanup_free_ char *copy = kn_xstrdup(opts);
        char *save = NULL;
        bool have_miimon = false;
        unsigned long miimon = 0, v;
        i->monitor = KN_MON_NONE;
        i->arpmon_interval = 0;
        for (char *t = strtok_r(copy, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
                char *val = strchr(t, '=');
                if (!val || val == t) {
                        snprintf(why, why_len, "BONDING_OPTS: '%s' is not option=value", t);
                        return -EINVAL;
                }
                *val++ = '\0';
                int e;
                bool ok = true;
                if (streq(t, "mode")) {
                        e = enum_value(val, bond_mode_from, _KN_BOND_MODE_MAX - 1);
                        ok = e > 0;
                        if (ok)
                                i->bond_mode = (kn_bond_mode) e;
                } else if (streq(t, "miimon")) {
                        /* 0 turns the MII monitor off, as no miimon= */
                        ok = parse_ulong(val, ULONG_MAX, &miimon) &&
                             (miimon == 0 || kn_limit_ok(KN_LIMIT_MIIMON_FREQ, (double) miimon));
                        have_miimon = ok && miimon > 0;
                } else if (streq(t, "downdelay") || streq(t, "updelay")) {
                        ok = parse_ulong(val, ULONG_MAX, &v) &&
                             kn_limit_ok(KN_LIMIT_MIIMON_DELAY, (double) v);
                        if (ok)
                                *(t[0] == 'd' ? &i->miimon_downdelay : &i->miimon_updelay) =
                                        (long) v;
                } else if (streq(t, "use_carrier")) {
                        ok = streq(val, "0") || streq(val, "1");
                        i->miimon_carrier = streq(val, "1") ? KN_CARRIER_NETIF : KN_CARRIER_IOCTL;
                } else if (streq(t, "arp_interval")) {
                        ok = parse_ulong(val, ULONG_MAX, &v) &&
                             (v == 0 || kn_limit_ok(KN_LIMIT_ARPMON_INTERVAL, (double) v));
                        i->arpmon_interval = ok ? (unsigned) v : 0;
                } else if (streq(t, "arp_ip_target")) {
                        if (*val == '+')
                                val++;
                        if (strchr(val, ',')) {
                                snprintf(why, why_len,
                                         "BONDING_OPTS: arp_ip_target=%s: kvmnet's model "
                                         "holds one ARP target",
                                         val);
                                return -EINVAL;
                        }
                        ok = kn_ip_canonical(AF_INET, val, i->arpmon_target) >= 0 &&
                             strlen(i->arpmon_target) < sizeof i->arpmon_target;
                } else if (streq(t, "arp_validate")) {
                        e = enum_value(val, arp_validate_from, _KN_ARP_VALIDATE_MAX - 1);
                        ok = e > 0;
                        if (ok)
                                i->arpmon_validate = (kn_arp_validate) e;
                } else if (streq(t, "primary")) {
                        ok = kn_ifname_validate(val, NULL, NULL) >= 0;
                        if (ok && primary)
                                snprintf(primary, KN_IFNAME_MAX + 1, "%s", val);
                }
                if (!ok) {
                        snprintf(why, why_len, "BONDING_OPTS: %s=%s is not a valid value", t, val);
                        return -EINVAL;
                }
        }
        if (i->arpmon_interval > 0) {
                if (have_miimon && miimon > 0) {
                        snprintf(why, why_len,
                                 "BONDING_OPTS: both miimon and arp_interval are set; the "
                                 "bonding driver uses one link monitor");
                        return -EINVAL;
                }
                if (!i->arpmon_target[0]) {
                        snprintf(why, why_len, "BONDING_OPTS: arp_interval needs an arp_ip_target");
                        return -EINVAL;
                }
                i->monitor = KN_MON_ARPMON;
        } else if (have_miimon) {
                i->monitor = KN_MON_MIIMON;
                i->miimon_freq = (unsigned) miimon;
        }
        /* Options of the monitor not in use mean nothing to the model. */
        if (i->monitor != KN_MON_MIIMON) {
                i->miimon_downdelay = i->miimon_updelay = -1;
                i->miimon_carrier = KN_CARRIER_UNSET;
        }
        if (i->monitor != KN_MON_ARPMON) {
                i->arpmon_interval = 0;
                i->arpmon_target[0] = '\0';
                i->arpmon_validate = KN_ARP_VALIDATE_UNSET;
        }
        return 0;
}

static int read_bond(const kn_ifcfg_file *f, kn_iface *i, kn_ifcfg_info *info,
                     kn_ifcfg_problem *p) {
        const kn_ifcfg_line *l;
        int r = lookup(f, "BONDING_OPTS", &l, p);
        if (r <= 0)
                return r;
        char why[256];
        if (kn_ifcfg_bond_opts_parse(l->value, i, info->primary, why, sizeof why) < 0)
                return problem(p, KN_IFCFG_MAIN, l->lineno, "%s", why);
        return 0;
}

static int read_vlan(const kn_ifcfg_file *f, kn_iface *i, kn_ifcfg_problem *p) {
        const kn_ifcfg_line *physdev, *where = kn_ifcfg_file_find(f, "VLAN");
        unsigned long id;
        int r;
        if (!where)
                where = kn_ifcfg_file_find(f, "TYPE");
        unsigned line = where ? where->lineno : 0;
        if (!kn_ifcfg_vlan_name_split(i->name, i->vlan_parent, &i->vlan_tag) &&
            strncmp(i->name, "vlan", 4) == 0 && parse_ulong(i->name + 4, 99999, &id))
                i->vlan_tag = (int) id; /* vlan42 + PHYSDEV=eth0 */
        if ((r = lookup(f, "PHYSDEV", &physdev, p)) < 0)
                return r;
        if (r > 0) {
                kn_error e = {0};
                if (kn_ifname_validate(physdev->value, NULL, &e) < 0)
                        return problem(p, KN_IFCFG_MAIN, physdev->lineno, "PHYSDEV: %s", e.message);
                snprintf(i->vlan_parent, sizeof i->vlan_parent, "%s", physdev->value);
        }
        if ((r = get_ulong(f, "VLAN_ID", 0, 4095, &id, p)) < 0)
                return r;
        if (r > 0)
                i->vlan_tag = (int) id;
        if (!i->vlan_parent[0])
                return problem(p, KN_IFCFG_MAIN, line,
                               "vlan %s has no parent device: name the device PARENT.TAG "
                               "(like eth0.42) or set PHYSDEV=",
                               i->name);
        if (i->vlan_tag < 0)
                return problem(p, KN_IFCFG_MAIN, line,
                               "vlan %s has no VLAN tag: name the device PARENT.TAG (like "
                               "eth0.42) or set VLAN_ID=",
                               i->name);
        if (i->vlan_tag > 4095)
                return problem(p, KN_IFCFG_MAIN, line,
                               "vlan %s: tag %d is out of range (valid: 0-4095)", i->name,
                               i->vlan_tag);
        kn_error e = {0};
        if (kn_ifname_validate(i->vlan_parent, NULL, &e) < 0)
                return problem(p, KN_IFCFG_MAIN, line, "vlan %s: parent: %s", i->name, e.message);
        return 0;
}

int kn_ifcfg_read(const kn_ifcfg_file *f, const char *name,
                  const kn_ifcfg_file *const routes[_KN_IFCFG_WHICH_MAX], kn_ifcfg_info *info,
                  kn_ifcfg_problem *p) {
        kn_iface_type type;
        int r = read_type(f, &type, p);
        if (r < 0)
                return r;
        _cleanup_iface_ kn_iface *i = kn_iface_new(type, name);
        *info = (kn_ifcfg_info){0};
        if ((r = read_master(f, i, info, p)) < 0 || (r = read_mac(f, i, p)) < 0)
                return r;
        /* A port's start mode, MTU and addresses are its master's business
         * (interface.rng has no place for them). */
        if (!info->master[0]) {
                unsigned long mtu;
                const kn_limit *lim = kn_limit_get(KN_LIMIT_MTU);
                if ((r = read_start(f, i, p)) < 0 ||
                    (r = get_ulong(f, "MTU", (unsigned long) lim->min, (unsigned long) lim->max,
                                   &mtu, p)) < 0)
                        return r;
                if (r > 0)
                        i->mtu = (unsigned) mtu;
                if ((r = read_ipv4(f, routes[KN_IFCFG_ROUTE4], &i->ipv4, p)) < 0 ||
                    (r = read_ipv6(f, routes[KN_IFCFG_ROUTE6], &i->ipv6, p)) < 0)
                        return r;
        }
        switch (type) {
        case KN_IFACE_BRIDGE: r = read_bridge(f, i, p); break;
        case KN_IFACE_BOND: r = read_bond(f, i, info, p); break;
        case KN_IFACE_VLAN: r = read_vlan(f, i, p); break;
        default: break;
        }
        if (r < 0)
                return r;
        info->iface = TAKE_PTR(i);
        return 0;
}
