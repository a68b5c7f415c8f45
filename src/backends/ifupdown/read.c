/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* From stanzas to interfaces.
 *
 * All stanzas of a name make one interface (interfaces(5) allows several;
 * ifupdown applies them in order).  Per family: "static" stanzas give
 * addresses (several `address` lines in one stanza are read too, though
 * ifupdown 0.8 only applies the first), "dhcp" gives <dhcp/>, inet6 "auto"
 * or `autoconf 1` gives <autoconf/>, "manual" nothing.  Link options
 * (hwaddress, mtu, bridge_*, bond-*, vlan-raw-device) may sit in any stanza
 * of the interface.
 *
 * What is a duplicated stanza (an error naming both places; the interface
 * is not listed until it is fixed or redefined):
 *  - two stanzas of one interface with the same family and the same method,
 *    unless the method is "static": a second dhcp/auto/manual stanza adds
 *    nothing but a second DHCP client or a repeated setup (an exact repeat,
 *    e.g. a file sourced twice, always falls here or under the next rule);
 *  - the same address in two static stanzas (or lines) of one family;
 *  - an option kvmnet owns given twice in one stanza (ifupdown 0.8 joins the
 *    values into one broken multi-line value), or given in two stanzas with
 *    different values (gateway per family; link options per interface).
 * Not duplicates: "dhcp" plus "static" stanzas of one family (ifupdown runs
 * both and the model has <dhcp/> and <ip/> side by side), and several
 * "static" stanzas with different addresses (how ifupdown 0.8 takes more
 * than one address). */

#include <arpa/inet.h>
#include <stdarg.h>

#include "ifupdown.h"

typedef enum scope { SCOPE_STANZA, SCOPE_FAMILY, SCOPE_LINK } scope;

static const struct {
        const char *key;
        scope scope;
} opts[_IFU_O_MAX] = {
        [IFU_O_ADDRESS] = {"address", SCOPE_STANZA},
        [IFU_O_NETMASK] = {"netmask", SCOPE_STANZA},
        [IFU_O_GATEWAY] = {"gateway", SCOPE_FAMILY},
        [IFU_O_AUTOCONF] = {"autoconf", SCOPE_STANZA},
        [IFU_O_HWADDRESS] = {"hwaddress", SCOPE_LINK},
        [IFU_O_MTU] = {"mtu", SCOPE_LINK},
        [IFU_O_BRIDGE_PORTS] = {"bridge_ports", SCOPE_LINK},
        [IFU_O_BRIDGE_STP] = {"bridge_stp", SCOPE_LINK},
        [IFU_O_BRIDGE_FD] = {"bridge_fd", SCOPE_LINK},
        [IFU_O_BOND_SLAVES] = {"bond-slaves", SCOPE_LINK},
        [IFU_O_BOND_MODE] = {"bond-mode", SCOPE_LINK},
        [IFU_O_BOND_PRIMARY] = {"bond-primary", SCOPE_LINK},
        [IFU_O_BOND_MIIMON] = {"bond-miimon", SCOPE_LINK},
        [IFU_O_BOND_DOWNDELAY] = {"bond-downdelay", SCOPE_LINK},
        [IFU_O_BOND_UPDELAY] = {"bond-updelay", SCOPE_LINK},
        [IFU_O_BOND_USE_CARRIER] = {"bond-use-carrier", SCOPE_LINK},
        [IFU_O_BOND_ARP_INTERVAL] = {"bond-arp-interval", SCOPE_LINK},
        [IFU_O_BOND_ARP_IP_TARGET] = {"bond-arp-ip-target", SCOPE_LINK},
        [IFU_O_BOND_ARP_VALIDATE] = {"bond-arp-validate", SCOPE_LINK},
        [IFU_O_BOND_MASTER] = {"bond-master", SCOPE_LINK},
        [IFU_O_VLAN_RAW_DEVICE] = {"vlan-raw-device", SCOPE_LINK},
};

int ifu_opt_lookup(const char *key, ifu_family family) {
        for (size_t k = 0; k < _IFU_O_MAX; k++)
                if (ifu_key_eq(opts[k].key, key)) {
                        /* autoconf is an inet6 option; address & co. only mean
                         * something to inet and inet6 */
                        if (k == IFU_O_AUTOCONF && family != IFU_INET6)
                                return -1;
                        if (opts[k].scope != SCOPE_LINK && family != IFU_INET &&
                            family != IFU_INET6)
                                return -1;
                        return (int)k;
                }
        return -1;
}

const char *ifu_opt_key(ifu_opt o) {
        return opts[o].key;
}

int ifu_vlan_name(const char *name, char parent[KN_IFNAME_MAX + 1], int *tag) {
        const char *dot = strrchr(name, '.');
        const char *digits = dot ? dot + 1 : NULL;
        int kind = 1;
        if (!dot && strncmp(name, "vlan", 4) == 0) {
                digits = name + 4;
                kind = 2;
        }
        if (!digits || !*digits || strspn(digits, "0123456789") != strlen(digits))
                return 0;
        long t = 0;
        for (const char *p = digits; *p && t <= 100000; p++)
                t = t * 10 + (*p - '0');
        *tag = (int)(t > 100000 ? 100000 : t);
        if (kind == 2) {
                parent[0] = '\0';
                return 2;
        }
        if (dot == name)
                return -EINVAL;
        snprintf(parent, KN_IFNAME_MAX + 1, "%.*s", (int)(dot - name), name);
        return 1;
}

typedef struct loc {
        const ifu_file *f;
        unsigned line;
} loc;

typedef struct node {
        const ifu_entry *e;
        bool skip;       /* not kvmnet's business: loopback, names it can't hold */
        bool bad;        /* has a diagnostic */
        kn_iface *iface; /* own settings, no children */
        loc at;          /* first stanza */
        bool bridge, bond_opts, named_master;
        char **ports; /* bridge ports or bond slaves, in order */
        size_t n_ports, alloc_ports;
        loc ports_at;
        const char *master_name; /* bond-master */
        loc master_at;
        const char *primary;
        struct node *master;
        bool listed; /* reached while building a tree */
} node;

typedef struct reader {
        ifu_backend *u;
        kn_iface_list *out;
        node *nodes; /* by entry id */
} reader;

_printf_(4, 5) static void diag(reader *r, node *n, loc at, const char *fmt, ...) {
        char msg[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        kn_iface_list_diag(r->out, at.f ? at.f->shown : "", at.line, n ? n->e->name : NULL, "%s",
                           msg);
        if (n)
                n->bad = true;
}

/* The node of NAME if it has stanzas (or had, in a file with errors). */
static node *node_of(reader *r, const char *name) {
        ifu_entry *e = ifu_index_get(&r->u->index, name);
        if (!e || (!ifu_entry_first(e, IFU_REF_STANZA) && !ifu_entry_first(e, IFU_REF_BROKEN)))
                return NULL;
        return &r->nodes[e->id];
}

/* The node of NAME, with stanzas or not (a port may have none). */
static node *node_any(reader *r, const char *name) {
        ifu_entry *e = ifu_index_get(&r->u->index, name);
        return e ? &r->nodes[e->id] : NULL;
}

static loc ports_loc(const node *n) {
        return n->ports_at.f ? n->ports_at : n->at;
}

typedef struct slot {
        const char *value;
        loc at;
} slot;

typedef struct stanza_ctx {
        reader *r;
        node *n;
        kn_protocol *proto[2];
        slot link[_IFU_O_MAX];
        slot gateway[2];
        /* addresses seen per family, for the duplicate check */
        struct {
                char address[46];
                loc at;
        } * seen[2];
        size_t n_seen[2];
} stanza_ctx;

/* Same key twice, or two values for one setting. */
static bool check_slot(stanza_ctx *c, slot *s, const char *key, const char *value, loc at,
                       bool same_stanza) {
        if (!s->value) {
                *s = (slot){value, at};
                return true;
        }
        if (same_stanza)
                diag(c->r, c->n, at, "iface %s: '%s' is given twice in one stanza (also at %s:%u)",
                     c->n->e->name, key, s->at.f->shown, s->at.line);
        else if (!streq(s->value, value))
                diag(c->r, c->n, at,
                     "iface %s: '%s %s' conflicts with '%s %s' at %s:%u (one interface, one "
                     "value)",
                     c->n->e->name, key, value, key, s->value, s->at.f->shown, s->at.line);
        else
                return true;
        return false;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *ret) {
        char *end;
        if (!s || !*s || *s == '-' || *s == '+')
                return -EINVAL;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (errno || *end || v > max)
                return -EINVAL;
        *ret = v;
        return 0;
}

/* A netmask as a prefix length: dotted quad (contiguous) or bits. */
int ifu_netmask_prefix(int family, const char *s) {
        unsigned long bits;
        if (parse_uint(s, family == AF_INET ? 32 : 128, &bits) >= 0)
                return (int)bits;
        struct in_addr a;
        if (family != AF_INET || inet_pton(AF_INET, s, &a) != 1)
                return -EINVAL;
        uint32_t m = ntohl(a.s_addr);
        int n = 0;
        while (n < 32 && (m & (1u << (31 - n))))
                n++;
        if (n < 32 && (m << n) != 0)
                return -EINVAL; /* not contiguous */
        return n;
}

static void read_address(stanza_ctx *c, int fi, const ifu_line *l, loc at, const char *netmask,
                         loc netmask_at) {
        int family = fi == 0 ? AF_INET : AF_INET6;
        const char *name = c->n->e->name;
        _cleanup_free_ char *addr = kn_xstrdup(l->value);
        int prefix = -1;
        char *slash = strchr(addr, '/');
        if (slash) {
                unsigned long p;
                *slash = '\0';
                if (parse_uint(slash + 1, family == AF_INET ? 32 : 128, &p) < 0) {
                        diag(c->r, c->n, at, "iface %s: bad prefix length in 'address %s'", name,
                             l->value);
                        return;
                }
                prefix = (int)p;
        } else if (netmask) {
                prefix = ifu_netmask_prefix(family, netmask);
                if (prefix < 0) {
                        diag(c->r, c->n, netmask_at, "iface %s: bad netmask '%s' (valid: %s)", name,
                             netmask,
                             family == AF_INET ? "a dotted quad like 255.255.255.0 or 0-32"
                                               : "0-128");
                        return;
                }
        }
        kn_error e = {0};
        if (kn_protocol_add_ip(c->proto[fi], family, addr, prefix, &e) < 0) {
                diag(c->r, c->n, at, "iface %s: %s", name, e.message);
                return;
        }
        const char *canon = c->proto[fi]->ips[c->proto[fi]->n_ips - 1].address;
        for (size_t k = 0; k < c->n_seen[fi]; k++)
                if (streq(c->seen[fi][k].address, canon)) {
                        diag(c->r, c->n, at, "iface %s: duplicated address %s (also at %s:%u)",
                             name, canon, c->seen[fi][k].at.f->shown, c->seen[fi][k].at.line);
                        return;
                }
        c->seen[fi] = kn_xrealloc(c->seen[fi], (c->n_seen[fi] + 1) * sizeof *c->seen[fi]);
        snprintf(c->seen[fi][c->n_seen[fi]].address, 46, "%s", canon);
        c->seen[fi][c->n_seen[fi]++].at = at;
}

static void read_stanza(stanza_ctx *c, const ifu_file *f, const ifu_stanza *s) {
        node *n = c->n;
        const char *name = n->e->name;
        loc sat = {f, f->lines[s->first].lineno};
        const ifu_line *hdr = &f->lines[s->first];

        for (size_t w = 3; w < hdr->n_words; w++)
                if (streq(hdr->words[w], "inherits")) {
                        diag(c->r, n, sat,
                             "iface %s: templates ('inherits') are not supported by kvmnet", name);
                        return;
                }
        if (s->method && streq(s->method, "loopback")) {
                n->skip = true;
                return;
        }
        if (s->family != IFU_INET && s->family != IFU_INET6) {
                diag(c->r, n, sat, "iface %s: address family %s is not supported by kvmnet", name,
                     ifu_family_to_string(s->family));
                return;
        }
        int fi = s->family == IFU_INET ? 0 : 1;
        kn_protocol *p = c->proto[fi];
        bool is_static = streq(s->method, "static"), dhcp = streq(s->method, "dhcp"),
             autom = fi == 1 && streq(s->method, "auto"), manual = streq(s->method, "manual");
        if (!is_static && !dhcp && !autom && !manual) {
                diag(c->r, n, sat,
                     "iface %s: method '%s %s' is not supported by kvmnet (it handles static, "
                     "dhcp, manual%s)",
                     name, ifu_family_to_string(s->family), s->method, fi ? ", auto" : "");
                return;
        }

        slot local[_IFU_O_MAX] = {0};
        const ifu_line *addrs[64];
        loc addr_at[64];
        size_t n_addrs = 0;
        for (size_t i = s->first + 1; i < s->end; i++) {
                const ifu_line *l = &f->lines[i];
                if (l->kind != IFU_OPTION)
                        continue;
                int o = ifu_opt_lookup(l->words[0], s->family);
                if (o < 0)
                        continue;
                loc at = {f, l->lineno};
                if (o == IFU_O_ADDRESS) {
                        if (n_addrs == ELEMENTSOF(addrs)) {
                                diag(c->r, n, at, "iface %s: too many addresses in one stanza",
                                     name);
                                return;
                        }
                        addr_at[n_addrs] = at;
                        addrs[n_addrs++] = l;
                        continue;
                }
                if (!check_slot(c, &local[o], l->words[0], l->value, at, true))
                        return;
                if (opts[o].scope == SCOPE_FAMILY &&
                    !check_slot(c, &c->gateway[fi], l->words[0], l->value, at, false))
                        return;
                if (opts[o].scope == SCOPE_LINK &&
                    !check_slot(c, &c->link[o], l->words[0], l->value, at, false))
                        return;
        }

        if (is_static) {
                if (n_addrs == 0) {
                        diag(c->r, n, sat,
                             "iface %s: '%s static' without an address line (ifup would fail)",
                             name, ifu_family_to_string(s->family));
                        return;
                }
                for (size_t k = 0; k < n_addrs && !n->bad; k++)
                        read_address(c, fi, addrs[k], addr_at[k], local[IFU_O_NETMASK].value,
                                     local[IFU_O_NETMASK].at);
        }
        if (is_static || dhcp || autom)
                p->present = true;
        if (dhcp)
                p->dhcp = true;
        if (autom || (fi == 1 && !manual && local[IFU_O_AUTOCONF].value &&
                      streq(local[IFU_O_AUTOCONF].value, "1")))
                p->autoconf = true;
}

int ifu_bond_mode_parse(const char *s) {
        static const char *const numbers[] = {"0", "1", "2", "3", "4", "5", "6"};
        for (size_t k = 0; k < ELEMENTSOF(numbers); k++)
                if (streq(s, numbers[k]))
                        return (int)k + KN_BOND_BALANCE_RR;
        return kn_bond_mode_from_string(s);
}

int ifu_arp_validate_parse(const char *s) {
        static const char *const numbers[] = {"0", "1", "2", "3"};
        for (size_t k = 0; k < ELEMENTSOF(numbers); k++)
                if (streq(s, numbers[k]))
                        return (int)k + KN_ARP_VALIDATE_NONE;
        return kn_arp_validate_from_string(s);
}

/* A port list: "none", or interface names. */
static bool read_ports(stanza_ctx *c, const slot *s) {
        node *n = c->n;
        if (streq(s->value, "none"))
                return true;
        _cleanup_free_ char *copy = kn_xstrdup(s->value);
        char *save = NULL;
        for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                if (!ifu_port_word(w)) {
                        diag(c->r, n, s->at,
                             "iface %s: '%s' in a port list is not supported by kvmnet (list "
                             "the interfaces by name, or 'none')",
                             n->e->name, w);
                        return false;
                }
                GREEDY_REALLOC(n->ports, n->alloc_ports, n->n_ports + 1);
                n->ports[n->n_ports++] = kn_xstrdup(w);
        }
        n->ports_at = s->at;
        return true;
}

#define BAD_VALUE(o, valid)                                                                        \
        do {                                                                                       \
                diag(c->r, n, c->link[o].at, "iface %s: bad value '%s' for %s (valid: %s)",        \
                     n->e->name, c->link[o].value, opts[o].key, valid);                            \
                return;                                                                            \
        } while (0)

static void read_link(stanza_ctx *c) {
        node *n = c->n;
        kn_iface *i = n->iface;
        const slot *L = c->link;
        unsigned long v;

        if (L[IFU_O_MTU].value) {
                if (parse_uint(L[IFU_O_MTU].value, 65535, &v) < 0 || v == 0)
                        BAD_VALUE(IFU_O_MTU, "1-65535");
                i->mtu = (unsigned)v;
        }
        if (L[IFU_O_HWADDRESS].value) {
                const char *m = L[IFU_O_HWADDRESS].value;
                if (strncmp(m, "ether", 5) == 0 && (m[5] == ' ' || m[5] == '\t'))
                        m += strspn(m + 5, " \t") + 5;
                if (kn_mac_parse(m, i->mac) < 0)
                        BAD_VALUE(IFU_O_HWADDRESS, "[ether] aa:bb:cc:dd:ee:ff");
        }
        if (L[IFU_O_BRIDGE_PORTS].value) {
                n->bridge = true;
                if (!read_ports(c, &L[IFU_O_BRIDGE_PORTS]))
                        return;
        }
        if (L[IFU_O_BRIDGE_STP].value) {
                const char *s = L[IFU_O_BRIDGE_STP].value;
                i->stp = streq(s, "on") || streq(s, "yes") ? KN_YES : KN_NO;
        }
        if (L[IFU_O_BRIDGE_FD].value) {
                char *end;
                double d = strtod(L[IFU_O_BRIDGE_FD].value, &end);
                if (*end || d < 0 || d != d)
                        BAD_VALUE(IFU_O_BRIDGE_FD, "seconds, >= 0");
                i->delay = d;
        }
        n->master_name = L[IFU_O_BOND_MASTER].value;
        n->master_at = L[IFU_O_BOND_MASTER].at;
        if (n->master_name && (L[IFU_O_BOND_SLAVES].value || n->bridge)) {
                diag(c->r, n, n->master_at, "iface %s: bond-master with %s", n->e->name,
                     n->bridge ? "bridge_ports" : "bond-slaves");
                return;
        }
        if (n->master_name)
                return; /* a slave: its other bond-* options are the master's business */
        if (L[IFU_O_BOND_SLAVES].value) {
                if (n->bridge) {
                        diag(c->r, n, L[IFU_O_BOND_SLAVES].at,
                             "iface %s: both bridge_ports and bond-slaves", n->e->name);
                        return;
                }
                n->bond_opts = true;
                if (!read_ports(c, &L[IFU_O_BOND_SLAVES]))
                        return;
        }
        if (L[IFU_O_BOND_MODE].value) {
                int m = ifu_bond_mode_parse(L[IFU_O_BOND_MODE].value);
                if (m < 0)
                        BAD_VALUE(IFU_O_BOND_MODE, "balance-rr, active-backup, balance-xor, "
                                                   "broadcast, 802.3ad, balance-tlb, "
                                                   "balance-alb or 0-6");
                i->bond_mode = (kn_bond_mode)m;
                n->bond_opts = true;
        }
        if (L[IFU_O_BOND_PRIMARY].value) {
                n->primary = L[IFU_O_BOND_PRIMARY].value;
                n->bond_opts = true;
        }
        unsigned long miimon = 0, arp = 0;
        if (L[IFU_O_BOND_MIIMON].value &&
            parse_uint(L[IFU_O_BOND_MIIMON].value, 1000000000, &miimon) < 0)
                BAD_VALUE(IFU_O_BOND_MIIMON, "milliseconds");
        if (L[IFU_O_BOND_ARP_INTERVAL].value &&
            parse_uint(L[IFU_O_BOND_ARP_INTERVAL].value, 1000000000, &arp) < 0)
                BAD_VALUE(IFU_O_BOND_ARP_INTERVAL, "milliseconds");
        n->bond_opts |= L[IFU_O_BOND_MIIMON].value || L[IFU_O_BOND_ARP_INTERVAL].value;
        /* As ifenslave: with both, bond-arp-interval is ignored. */
        if (miimon > 0) {
                i->monitor = KN_MON_MIIMON;
                i->miimon_freq = (unsigned)miimon;
                if (L[IFU_O_BOND_DOWNDELAY].value) {
                        if (parse_uint(L[IFU_O_BOND_DOWNDELAY].value, 1000000000, &v) < 0)
                                BAD_VALUE(IFU_O_BOND_DOWNDELAY, "milliseconds");
                        i->miimon_downdelay = (long)v;
                }
                if (L[IFU_O_BOND_UPDELAY].value) {
                        if (parse_uint(L[IFU_O_BOND_UPDELAY].value, 1000000000, &v) < 0)
                                BAD_VALUE(IFU_O_BOND_UPDELAY, "milliseconds");
                        i->miimon_updelay = (long)v;
                }
                if (L[IFU_O_BOND_USE_CARRIER].value) {
                        const char *s = L[IFU_O_BOND_USE_CARRIER].value;
                        if (!streq(s, "0") && !streq(s, "1"))
                                BAD_VALUE(IFU_O_BOND_USE_CARRIER, "0 (ioctl) or 1 (netif)");
                        i->miimon_carrier = streq(s, "1") ? KN_CARRIER_NETIF : KN_CARRIER_IOCTL;
                }
        } else if (arp > 0) {
                i->monitor = KN_MON_ARPMON;
                i->arpmon_interval = (unsigned)arp;
                const char *t = L[IFU_O_BOND_ARP_IP_TARGET].value;
                char buf[46];
                if (!t) {
                        diag(c->r, n, L[IFU_O_BOND_ARP_INTERVAL].at,
                             "iface %s: bond-arp-interval without bond-arp-ip-target", n->e->name);
                        return;
                }
                if (kn_ip_canonical(AF_INET, t, buf) < 0 || strlen(buf) >= 16)
                        BAD_VALUE(IFU_O_BOND_ARP_IP_TARGET, "one IPv4 address");
                snprintf(i->arpmon_target, sizeof i->arpmon_target, "%s", buf);
                if (L[IFU_O_BOND_ARP_VALIDATE].value) {
                        int a = ifu_arp_validate_parse(L[IFU_O_BOND_ARP_VALIDATE].value);
                        if (a < 0)
                                BAD_VALUE(IFU_O_BOND_ARP_VALIDATE,
                                          "none, active, backup, all or 0-3");
                        i->arpmon_validate = (kn_arp_validate)a;
                }
        }
}

static void read_node(reader *r, node *n) {
        const ifu_entry *e = n->e;
        if (kn_ifname_validate(e->name, NULL) < 0 || streq(e->name, "lo")) {
                n->skip = true; /* aliases (eth0:1), long logical names, loopback */
                return;
        }
        const ifu_ref *broken = ifu_entry_first(e, IFU_REF_BROKEN);
        if (broken) {
                diag(r, n, (loc){broken->file, broken->file->err_line},
                     "iface %s is not loaded: %s:%u: %s", e->name, broken->file->shown,
                     broken->file->err_line, broken->file->err);
                return;
        }
        n->iface = kn_iface_new(KN_IFACE_ETHERNET, e->name);
        stanza_ctx c = {.r = r, .n = n, .proto = {&n->iface->ipv4, &n->iface->ipv6}};
        struct {
                const ifu_file *f;
                const ifu_stanza *s;
        } seen[32];
        size_t n_seen = 0;
        for (size_t k = 0; k < e->n_refs && !n->bad && !n->skip; k++) {
                const ifu_ref *ref = &e->refs[k];
                if (ref->kind != IFU_REF_STANZA)
                        continue;
                const ifu_file *f = ref->file;
                const ifu_stanza *s = &f->stanzas[ref->idx];
                loc at = {f, f->lines[s->first].lineno};
                if (!n->at.f)
                        n->at = at;
                for (size_t j = 0; j < n_seen; j++) {
                        const ifu_stanza *o = seen[j].s;
                        if (s->method && o->family == s->family &&
                            streq_ptr(o->method, s->method) && !streq(s->method, "static"))
                                diag(r, n, at,
                                     "duplicated stanza 'iface %s %s %s': here and at %s:%u",
                                     e->name, ifu_family_to_string(s->family), s->method,
                                     seen[j].f->shown, seen[j].f->lines[o->first].lineno);
                }
                if (n->bad)
                        break;
                if (n_seen == ELEMENTSOF(seen)) {
                        diag(r, n, at, "iface %s: more than %zu stanzas", e->name, n_seen);
                        break;
                }
                seen[n_seen].f = f;
                seen[n_seen++].s = s;
                read_stanza(&c, f, s);
        }
        if (!n->bad && !n->skip) {
                for (int fi = 0; fi < 2; fi++) {
                        const slot *g = &c.gateway[fi];
                        if (!g->value || !c.proto[fi]->present)
                                continue;
                        if (kn_ip_canonical(fi ? AF_INET6 : AF_INET, g->value,
                                            c.proto[fi]->gateway) < 0) {
                                diag(r, n, g->at, "iface %s: gateway '%s' is not an %s address",
                                     e->name, g->value, fi ? "IPv6" : "IPv4");
                                break;
                        }
                }
        }
        if (!n->bad && !n->skip)
                read_link(&c);
        free(c.seen[0]);
        free(c.seen[1]);

        kn_start_mode start = KN_START_NONE;
        for (size_t k = 0; k < e->n_refs; k++) {
                const ifu_ref *ref = &e->refs[k];
                if (ref->kind != IFU_REF_START)
                        continue;
                const char *w = ref->file->lines[ref->idx].words[0];
                if (streq(w, "auto") || streq(w, "allow-auto"))
                        start = KN_START_ONBOOT;
                else if (streq(w, "allow-hotplug") && start != KN_START_ONBOOT)
                        start = KN_START_HOTPLUG;
        }
        n->iface->start = start;
}

static void read_kind(reader *r, node *n);

/* Settings of another kind's options (bridge_fd on a bond, bond-mode on an
 * ethernet) mean nothing to ifupdown there, and a rewrite drops them. */
static void keep_kind_settings(kn_iface *i) {
        if (i->type != KN_IFACE_BRIDGE) {
                i->stp = KN_UNSET;
                i->delay = -1;
        }
        if (i->type != KN_IFACE_BOND) {
                i->bond_mode = KN_BOND_UNSET;
                i->monitor = KN_MON_NONE;
                i->miimon_freq = 0;
                i->miimon_downdelay = i->miimon_updelay = -1;
                i->miimon_carrier = KN_CARRIER_UNSET;
                i->arpmon_interval = 0;
                i->arpmon_target[0] = '\0';
                i->arpmon_validate = KN_ARP_VALIDATE_UNSET;
        }
}

/* bridge, bond, vlan or ethernet, and the vlan's parent and tag. */
static void read_type(reader *r, node *n) {
        read_kind(r, n);
        keep_kind_settings(n->iface);
}

static void read_kind(reader *r, node *n) {
        kn_iface *i = n->iface;
        const char *name = n->e->name;
        char parent[KN_IFNAME_MAX + 1];
        int tag;
        const ifu_line *raw_line = NULL;
        const char *raw = NULL;
        for (size_t k = 0; k < n->e->n_refs && !raw; k++) {
                const ifu_ref *ref = &n->e->refs[k];
                if (ref->kind == IFU_REF_STANZA)
                        raw = ifu_stanza_option(ref->file, &ref->file->stanzas[ref->idx],
                                                "vlan-raw-device", &raw_line);
        }
        if (n->named_master && (n->bridge || n->master_name)) {
                const ifu_ref *ref = ifu_entry_first(n->e, IFU_REF_SLAVE);
                const ifu_stanza *st = &ref->file->stanzas[ref->idx];
                diag(r, n, n->at, "iface %s: %s names it as bond-master (%s:%u), but it is %s",
                     name, st->name, ref->file->shown, ref->file->lines[st->first].lineno,
                     n->bridge ? "a bridge" : "a bond slave itself");
                return;
        }
        if (n->bridge) {
                i->type = KN_IFACE_BRIDGE;
                return;
        }
        if (!n->master_name && (n->bond_opts || n->named_master)) {
                i->type = KN_IFACE_BOND;
                return;
        }
        int v = ifu_vlan_name(name, parent, &tag);
        if (v < 0) {
                diag(r, n, n->at, "vlan %s: no parent interface (name it PARENT.ID)", name);
                return;
        }
        if (v == 0 && raw) {
                diag(r, n, n->at,
                     "vlan %s: vlan-raw-device %s is given, but ifupdown takes the vlan id from "
                     "the name (PARENT.ID, or vlanID with vlan-raw-device)",
                     name, raw);
                return;
        }
        if (v == 0)
                return;
        if (v == 2 && !raw) {
                diag(r, n, n->at,
                     "vlan %s: missing parent: a vlan named vlanID needs 'vlan-raw-device "
                     "PARENT'",
                     name);
                return;
        }
        if (tag > 4095) {
                diag(r, n, n->at, "vlan %s: vlan id %d is out of range (valid: 0-4095)", name, tag);
                return;
        }
        if (v == 2 && kn_ifname_validate(raw, NULL) < 0) {
                diag(r, n, n->at, "vlan %s: vlan-raw-device '%s' is not an interface name", name,
                     raw);
                return;
        }
        i->type = KN_IFACE_VLAN;
        i->vlan_tag = tag;
        snprintf(i->vlan_parent, sizeof i->vlan_parent, "%s", v == 2 ? raw : parent);
}

static bool claim(reader *r, node *master, node *port, loc at) {
        if (port->master && port->master != master) {
                diag(r, master, at, "iface %s: %s is already a port of %s (%s:%u)", master->e->name,
                     port->e->name, port->master->e->name, port->master->at.f->shown,
                     port->master->at.line);
                return false;
        }
        port->master = master;
        return true;
}

static void link_nodes(reader *r) {
        size_t n_all = r->u->index.n_all;
        for (size_t k = 0; k < n_all; k++) {
                node *n = &r->nodes[k];
                for (size_t j = 0; n->iface && !n->skip && j < n->n_ports; j++) {
                        node *p = node_any(r, n->ports[j]);
                        if (p && p->skip) {
                                diag(r, n, n->ports_at, "iface %s: %s cannot be a port", n->e->name,
                                     n->ports[j]);
                                break;
                        }
                        if (p == n) {
                                diag(r, n, n->ports_at, "iface %s: lists itself as a port",
                                     n->e->name);
                                break;
                        }
                        if (p && !claim(r, n, p, n->ports_at))
                                break;
                }
        }
        for (size_t k = 0; k < n_all; k++) {
                node *s = &r->nodes[k];
                if (!s->iface || s->skip || !s->master_name)
                        continue;
                node *m = node_of(r, s->master_name);
                if (!m || m->skip || !m->iface || m->iface->type != KN_IFACE_BOND || m == s)
                        diag(r, s, s->master_at,
                             "iface %s: bond-master %s: there is no bond %s (an 'iface %s' "
                             "stanza with bond-slaves or bond-* options)",
                             s->e->name, s->master_name, s->master_name, s->master_name);
        }
        /* Slaves naming a bond as bond-master, in reading order, even those
         * with errors: they are part of the bond as the writer sees it. */
        for (size_t k = 0; k < n_all; k++) {
                node *m = &r->nodes[k];
                if (!m->iface || m->skip || m->bad || m->iface->type != KN_IFACE_BOND)
                        continue;
                for (size_t j = 0; j < m->e->n_refs; j++) {
                        const ifu_ref *ref = &m->e->refs[j];
                        if (ref->kind != IFU_REF_SLAVE)
                                continue;
                        const ifu_stanza *st = &ref->file->stanzas[ref->idx];
                        node *s = node_any(r, st->name);
                        loc at = {ref->file, ref->file->lines[st->first].lineno};
                        if (s && s->skip) {
                                diag(r, m, at, "iface %s: %s cannot be a slave", m->e->name,
                                     st->name);
                                break;
                        }
                        if (!s || s == m || s->master == m)
                                continue;
                        if (!claim(r, m, s, at))
                                break;
                        GREEDY_REALLOC(m->ports, m->alloc_ports, m->n_ports + 1);
                        m->ports[m->n_ports++] = kn_xstrdup(st->name);
                }
        }
}

/* A port or slave of a master that has errors (or isn't kvmnet's) is not
 * listed, alone or in another master: defining it would take it from that
 * master. */
static void orphans(reader *r) {
        for (size_t k = 0; k < r->u->index.n_all; k++) {
                node *n = &r->nodes[k];
                if (n->skip || n->bad || (!n->iface && !n->master))
                        continue;
                for (size_t j = 0; j < n->e->n_refs; j++) {
                        const ifu_ref *ref = &n->e->refs[j];
                        const char *m = NULL;
                        if (ref->kind == IFU_REF_PORT_OF)
                                m = ref->file->stanzas[ref->idx].name;
                        else if (ref->kind == IFU_REF_STANZA)
                                m = ifu_stanza_option(ref->file, &ref->file->stanzas[ref->idx],
                                                      "bond-master", NULL);
                        node *c = m ? node_of(r, m) : NULL;
                        if (!c || c == n || c == n->master || (!c->bad && !c->skip))
                                continue;
                        loc at = {ref->file,
                                  ref->file->lines[ref->file->stanzas[ref->idx].first].lineno};
                        diag(r, n, at, "iface %s is a port or slave of %s, which %s", n->e->name, m,
                             c->skip ? "kvmnet does not manage" : "has errors");
                        break;
                }
        }
}

static bool port_type_ok(kn_iface_type master, kn_iface_type port) {
        if (master == KN_IFACE_BRIDGE)
                return port != KN_IFACE_BRIDGE;
        return port == KN_IFACE_ETHERNET;
}

/* The tree under n, or NULL (with a diagnostic) if any part of it is bad. */
static kn_iface *build(reader *r, node *n, bool top, unsigned depth) {
        if (n->bad || !n->iface || depth > 3 || n->listed)
                return NULL;
        n->listed = true;
        /* each node is in one tree at most: the tree takes its model */
        kn_iface *i = TAKE_PTR(n->iface);
        if (!top) { /* a port carries no addresses, start mode or mtu */
                free(i->ipv4.ips);
                free(i->ipv6.ips);
                i->ipv4 = i->ipv6 = (kn_protocol){0};
                i->start = KN_START_UNSET;
                i->mtu = 0;
        }
        const char *what = i->type == KN_IFACE_BOND ? "slave" : "port";
        for (size_t k = 0; k < n->n_ports; k++) {
                node *p = node_any(r, n->ports[k]);
                kn_iface *c;
                if (p && (p->iface || p->bad)) {
                        c = build(r, p, false, depth + 1);
                        if (!c) {
                                diag(r, n, ports_loc(n), "iface %s: %s %s has errors", n->e->name,
                                     what, n->ports[k]);
                                return kn_iface_free(i);
                        }
                } else {
                        char parent[KN_IFNAME_MAX + 1];
                        int tag;
                        const ifu_ref *slave = p ? ifu_entry_first(p->e, IFU_REF_SLAVE) : NULL;
                        if (slave) {
                                /* ifenslave would make it a bond; kvmnet
                                 * wants the bond's own stanza */
                                const ifu_stanza *ss = &slave->file->stanzas[slave->idx];
                                diag(r, n, ports_loc(n),
                                     "iface %s: %s %s has no stanza, but %s names it as "
                                     "bond-master (%s:%u)",
                                     n->e->name, what, n->ports[k], ss->name, slave->file->shown,
                                     slave->file->lines[ss->first].lineno);
                                return kn_iface_free(i);
                        }
                        int v = ifu_vlan_name(n->ports[k], parent, &tag);
                        if (v == 1 && tag <= 4095) {
                                c = kn_iface_new(KN_IFACE_VLAN, n->ports[k]);
                                c->vlan_tag = tag;
                                snprintf(c->vlan_parent, sizeof c->vlan_parent, "%s", parent);
                        } else if (v != 0) {
                                diag(r, n, ports_loc(n),
                                     "iface %s: vlan %s: missing parent (no 'iface %s' stanza "
                                     "with vlan-raw-device, and no PARENT.ID name)",
                                     n->e->name, n->ports[k], n->ports[k]);
                                return kn_iface_free(i);
                        } else
                                c = kn_iface_new(KN_IFACE_ETHERNET, n->ports[k]);
                }
                if (!port_type_ok(i->type, c->type)) {
                        diag(r, n, ports_loc(n), "iface %s: a %s cannot be a %s of a %s (%s)",
                             n->e->name, kn_iface_type_to_string(c->type), what,
                             kn_iface_type_to_string(i->type), c->name);
                        kn_iface_free(c);
                        return kn_iface_free(i);
                }
                /* bond-primary: the first slave is the primary */
                if (n->primary && i->type == KN_IFACE_BOND && streq(c->name, n->primary) &&
                    i->n_children > 0) {
                        kn_iface_add_child(i, c);
                        memmove(i->children + 1, i->children,
                                (i->n_children - 1) * sizeof *i->children);
                        i->children[0] = c;
                } else
                        kn_iface_add_child(i, c);
        }
        return i;
}

void ifu_list(ifu_backend *u, kn_iface_list *out) {
        for (size_t k = 0; k < u->load_diags.n_diags; k++) {
                const kn_diag *d = &u->load_diags.diags[k];
                kn_iface_list_diag(out, d->file, d->line, d->iface, "%s", d->message);
        }
        /* Files with a syntax error: one diagnostic each, naming the place. */
        for (size_t k = 0; k < u->n_files; k++) {
                const ifu_file *f = u->files[k];
                if (ifu_file_broken(f))
                        kn_iface_list_diag(out, f->shown, f->err_line, NULL, "%s", f->err);
        }

        size_t n_all = u->index.n_all;
        reader r = {.u = u, .out = out, .nodes = kn_xcalloc(n_all, sizeof(node))};
        for (size_t k = 0; k < n_all; k++)
                r.nodes[k].e = u->index.all[k];
        for (size_t k = 0; k < n_all; k++) {
                node *n = &r.nodes[k];
                if (ifu_entry_count(n->e, IFU_REF_STANZA) || ifu_entry_first(n->e, IFU_REF_BROKEN))
                        read_node(&r, n);
        }
        for (size_t k = 0; k < n_all; k++) /* as ifenslave, which makes it a bond */
                r.nodes[k].named_master = ifu_entry_first(r.nodes[k].e, IFU_REF_SLAVE) != NULL;
        for (size_t k = 0; k < n_all; k++) {
                node *n = &r.nodes[k];
                if (n->iface && !n->skip && !n->bad)
                        read_type(&r, n);
        }
        link_nodes(&r);
        orphans(&r);
        for (size_t k = 0; k < n_all; k++) {
                node *n = &r.nodes[k];
                if (!n->iface || n->skip || n->master)
                        continue;
                kn_iface *i = build(&r, n, true, 0);
                if (i)
                        kn_iface_list_add(out, i);
        }
        for (size_t k = 0; k < n_all; k++) {
                kn_iface_free(r.nodes[k].iface);
                kn_strv_free(r.nodes[k].ports, r.nodes[k].n_ports);
        }
        free(r.nodes);
}
