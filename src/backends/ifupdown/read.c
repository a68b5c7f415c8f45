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
 * Several stanzas of one interface and family are what interfaces(5) allows
 * (ifupdown runs each, in order): "dhcp" plus "static" (<dhcp/> and <ip/>
 * side by side), several "static" ones (how ifupdown 0.8 takes more than
 * one address), two "dhcp" ones.  What is only a warning (the interface is
 * listed, read as if the repeat were not there):
 *  - a stanza repeated word for word (a file sourced twice);
 *  - the same address with the same prefix twice.
 * What is an error naming both places (the interface is not listed until
 * it is fixed or redefined):
 *  - the same address with two different prefixes;
 *  - an option kvmnet owns given twice in one stanza (ifupdown 0.8 joins the
 *    values into one broken multi-line value), or given in two stanzas with
 *    different values (gateway per family; link options per interface). */

#include <arpa/inet.h>
#include <limits.h>
#include <stdarg.h>

#include "read.h"

_printf_(4, 5) void kn_ifupdown_diag(reader *r, node *n, loc at, const char *fmt, ...) {
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

/* A warning: the interface is still listed. */
_printf_(4, 5) void kn_ifupdown_warn(reader *r, node *n, loc at, const char *fmt, ...) {
        char msg[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        kn_iface_list_warn(r->out, at.f ? at.f->shown : "", at.line, n ? n->e->name : NULL, "%s",
                           msg);
}

/* The node of NAME if it has stanzas (or had, in a file with errors). */
node *kn_ifupdown_node_of(reader *r, const char *name) {
        kn_ifupdown_entry *e = kn_ifupdown_index_get(&r->u->index, name);
        if (!e || (!kn_ifupdown_entry_first(e, IFU_REF_STANZA) &&
                   !kn_ifupdown_entry_first(e, IFU_REF_BROKEN)))
                return NULL;
        return &r->nodes[e->id];
}

/* The node of NAME, with stanzas or not (a port may have none). */
node *kn_ifupdown_node_any(reader *r, const char *name) {
        kn_ifupdown_entry *e = kn_ifupdown_index_get(&r->u->index, name);
        return e ? &r->nodes[e->id] : NULL;
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
                int prefix;
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
                kn_ifupdown_diag(c->r, c->n, at,
                                 "iface %s: '%s' is given twice in one stanza (also at %s:%u)",
                                 c->n->e->name, key, s->at.f->shown, s->at.line);
        else if (!streq(s->value, value))
                kn_ifupdown_diag(
                        c->r, c->n, at,
                        "iface %s: '%s %s' conflicts with '%s %s' at %s:%u (one interface, one "
                        "value)",
                        c->n->e->name, key, value, key, s->value, s->at.f->shown, s->at.line);
        else
                return true;
        return false;
}

static void read_address(stanza_ctx *c, int fi, const kn_ifupdown_line *l, loc at,
                         const char *netmask, loc netmask_at) {
        int family = fi == 0 ? AF_INET : AF_INET6;
        const char *name = c->n->e->name;
        _cleanup_free_ char *addr = kn_xstrdup(l->value);
        int prefix = -1;
        char *slash = strchr(addr, '/');
        if (slash) {
                unsigned long p;
                *slash = '\0';
                if (kn_ifupdown_parse_uint(slash + 1, family == AF_INET ? 32 : 128, &p) < 0) {
                        kn_ifupdown_diag(c->r, c->n, at,
                                         "iface %s: bad prefix length in 'address %s'", name,
                                         l->value);
                        return;
                }
                prefix = (int) p;
        } else if (netmask) {
                prefix = kn_ifupdown_netmask_prefix(family, netmask);
                if (prefix < 0) {
                        kn_ifupdown_diag(c->r, c->n, netmask_at,
                                         "iface %s: bad netmask '%s' (valid: %s)", name, netmask,
                                         family == AF_INET
                                                 ? "a dotted quad like 255.255.255.0 or 0-32"
                                                 : "0-128");
                        return;
                }
        }
        kn_error e = {0};
        if (kn_protocol_add_ip(c->proto[fi], family, addr, prefix, &e) < 0) {
                kn_ifupdown_diag(c->r, c->n, at, "iface %s: %s", name, e.message);
                return;
        }
        kn_protocol *p = c->proto[fi];
        const kn_ipaddr *added = &p->ips[p->n_ips - 1];
        for (size_t k = 0; k < c->n_seen[fi]; k++) {
                if (!streq(c->seen[fi][k].address, added->address))
                        continue;
                /* ifupdown runs both; the second `ip addr add` of the same
                 * address and prefix changes nothing: kept once */
                if (c->seen[fi][k].prefix == added->prefix) {
                        kn_ifupdown_warn(c->r, c->n, at,
                                         "iface %s: address %s is given again (also at %s:%u); "
                                         "read once",
                                         name, l->value, c->seen[fi][k].at.f->shown,
                                         c->seen[fi][k].at.line);
                        p->n_ips--;
                        return;
                }
                kn_ifupdown_diag(
                        c->r, c->n, at,
                        "iface %s: duplicated address %s, with another prefix (also at %s:%u)",
                        name, added->address, c->seen[fi][k].at.f->shown, c->seen[fi][k].at.line);
                return;
        }
        const char *canon = added->address;
        c->seen[fi] = kn_xrealloc(c->seen[fi], (c->n_seen[fi] + 1) * sizeof *c->seen[fi]);
        snprintf(c->seen[fi][c->n_seen[fi]].address, 46, "%s", canon);
        c->seen[fi][c->n_seen[fi]].prefix = added->prefix;
        c->seen[fi][c->n_seen[fi]++].at = at;
}

static void read_stanza(stanza_ctx *c, const kn_ifupdown_file *f, const kn_ifupdown_stanza *s) {
        node *n = c->n;
        const char *name = n->e->name;
        loc sat = {f, f->lines[s->first].lineno};
        const kn_ifupdown_line *hdr = &f->lines[s->first];

        for (size_t w = 3; w < hdr->n_words; w++)
                if (streq(hdr->words[w], "inherits")) {
                        kn_ifupdown_diag(
                                c->r, n, sat,
                                "iface %s: templates ('inherits') are not supported by kvmnet",
                                name);
                        return;
                }
        if (s->method && streq(s->method, "loopback")) {
                n->skip = true;
                return;
        }
        if (s->family != IFU_INET && s->family != IFU_INET6) {
                kn_ifupdown_diag(c->r, n, sat,
                                 "iface %s: address family %s is not supported by kvmnet", name,
                                 kn_ifupdown_family_to_string(s->family));
                return;
        }
        int fi = s->family == IFU_INET ? 0 : 1;
        kn_protocol *p = c->proto[fi];
        bool is_static = streq(s->method, "static"), dhcp = streq(s->method, "dhcp"),
             autom = fi == 1 && streq(s->method, "auto"), manual = streq(s->method, "manual");
        if (!is_static && !dhcp && !autom && !manual) {
                kn_ifupdown_diag(
                        c->r, n, sat,
                        "iface %s: method '%s %s' is not supported by kvmnet (it handles static, "
                        "dhcp, manual%s)",
                        name, kn_ifupdown_family_to_string(s->family), s->method,
                        fi ? ", auto" : "");
                return;
        }

        slot local[_IFU_O_MAX] = {0};
        const kn_ifupdown_line *addrs[64];
        loc addr_at[64];
        size_t n_addrs = 0;
        for (size_t i = s->first + 1; i < s->end; i++) {
                const kn_ifupdown_line *l = &f->lines[i];
                if (l->kind != IFU_OPTION)
                        continue;
                int o = kn_ifupdown_opt_lookup(l->words[0], s->family);
                if (o < 0)
                        continue;
                loc at = {f, l->lineno};
                if (o == IFU_O_ADDRESS) {
                        if (n_addrs == ELEMENTSOF(addrs)) {
                                kn_ifupdown_diag(c->r, n, at,
                                                 "iface %s: too many addresses in one stanza",
                                                 name);
                                return;
                        }
                        addr_at[n_addrs] = at;
                        addrs[n_addrs++] = l;
                        continue;
                }
                if (!check_slot(c, &local[o], l->words[0], l->value, at, true))
                        return;
                if (kn_ifupdown_opt_scope(o) == IFU_SCOPE_FAMILY &&
                    !check_slot(c, &c->gateway[fi], l->words[0], l->value, at, false))
                        return;
                if (kn_ifupdown_opt_scope(o) == IFU_SCOPE_LINK &&
                    !check_slot(c, &c->link[o], l->words[0], l->value, at, false))
                        return;
        }

        if (is_static) {
                if (n_addrs == 0) {
                        kn_ifupdown_diag(
                                c->r, n, sat,
                                "iface %s: '%s static' without an address line (ifup would fail)",
                                name, kn_ifupdown_family_to_string(s->family));
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
        /* "auto" with accept_ra 0 takes no router advertisement: IPv6
         * with its link-local address only */
        bool no_ra = local[IFU_O_ACCEPT_RA].value && streq(local[IFU_O_ACCEPT_RA].value, "0");
        if ((autom && !no_ra) || (fi == 1 && !manual && local[IFU_O_AUTOCONF].value &&
                                  streq(local[IFU_O_AUTOCONF].value, "1")))
                p->autoconf = true;
}

/* A port list: "none", or interface names. */
static bool read_ports(stanza_ctx *c, const slot *s) {
        node *n = c->n;
        if (streq(s->value, "none"))
                return true;
        _cleanup_free_ char *copy = kn_xstrdup(s->value);
        char *save = NULL;
        for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                if (!kn_ifupdown_port_word(w)) {
                        kn_ifupdown_diag(
                                c->r, n, s->at,
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
                kn_ifupdown_diag(c->r, n, c->link[o].at,                                           \
                                 "iface %s: bad value '%s' for %s (valid: %s)", n->e->name,        \
                                 c->link[o].value, kn_ifupdown_opt_key(o), valid);                 \
                return;                                                                            \
        } while (0)

static void read_link(stanza_ctx *c) {
        node *n = c->n;
        kn_iface *i = n->iface;
        const slot *L = c->link;
        unsigned long v;

        char range[96];
        if (L[IFU_O_MTU].value) {
                if (kn_ifupdown_parse_uint(L[IFU_O_MTU].value, ULONG_MAX, &v) < 0 ||
                    !kn_limit_ok(KN_LIMIT_MTU, (double) v))
                        BAD_VALUE(IFU_O_MTU, kn_limit_describe(KN_LIMIT_MTU, range, sizeof range));
                i->mtu = (unsigned) v;
        }
        if (L[IFU_O_HWADDRESS].value) {
                const char *m = L[IFU_O_HWADDRESS].value;
                if (strncmp(m, "ether", 5) == 0 && (m[5] == ' ' || m[5] == '\t'))
                        m += strspn(m + 5, " \t") + 5;
                if (kn_mac_parse(m, i->mac) < 0)
                        BAD_VALUE(IFU_O_HWADDRESS, "[ether] aa:bb:cc:dd:ee:ff");
        }
        /* bridge_hw may also name a device whose MAC bridge-utils copies:
         * not a MAC the model can hold, kept in the file as it is.  The
         * method's hwaddress, applied later, wins. */
        if (L[IFU_O_BRIDGE_HW].value && !i->mac[0] &&
            kn_mac_parse(L[IFU_O_BRIDGE_HW].value, i->mac) < 0)
                i->mac[0] = '\0';
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
                if (*end || end == L[IFU_O_BRIDGE_FD].value ||
                    !kn_limit_ok(KN_LIMIT_BRIDGE_DELAY, d))
                        BAD_VALUE(IFU_O_BRIDGE_FD,
                                  kn_limit_describe(KN_LIMIT_BRIDGE_DELAY, range, sizeof range));
                i->delay = d;
        }
        n->master_name = L[IFU_O_BOND_MASTER].value;
        n->master_at = L[IFU_O_BOND_MASTER].at;
        if (n->master_name && (L[IFU_O_BOND_SLAVES].value || n->bridge)) {
                kn_ifupdown_diag(c->r, n, n->master_at, "iface %s: bond-master with %s", n->e->name,
                                 n->bridge ? "bridge_ports" : "bond-slaves");
                return;
        }
        if (n->master_name)
                return; /* a slave: its other bond-* options are the master's business */
        if (L[IFU_O_BOND_SLAVES].value) {
                if (n->bridge) {
                        kn_ifupdown_diag(c->r, n, L[IFU_O_BOND_SLAVES].at,
                                         "iface %s: both bridge_ports and bond-slaves", n->e->name);
                        return;
                }
                n->bond_opts = true;
                if (!read_ports(c, &L[IFU_O_BOND_SLAVES]))
                        return;
        }
        if (L[IFU_O_BOND_MODE].value) {
                int m = kn_ifupdown_bond_mode_parse(L[IFU_O_BOND_MODE].value);
                if (m < 0)
                        BAD_VALUE(IFU_O_BOND_MODE, "balance-rr, active-backup, balance-xor, "
                                                   "broadcast, 802.3ad, balance-tlb, "
                                                   "balance-alb or 0-6");
                i->bond_mode = (kn_bond_mode) m;
                n->bond_opts = true;
        }
        if (L[IFU_O_BOND_PRIMARY].value) {
                n->primary = L[IFU_O_BOND_PRIMARY].value;
                n->bond_opts = true;
        }
        /* 0 turns a monitor off; else the model's one range */
        unsigned long miimon = 0, arp = 0;
        if (L[IFU_O_BOND_MIIMON].value &&
            (kn_ifupdown_parse_uint(L[IFU_O_BOND_MIIMON].value, ULONG_MAX, &miimon) < 0 ||
             (miimon && !kn_limit_ok(KN_LIMIT_MIIMON_FREQ, (double) miimon))))
                BAD_VALUE(IFU_O_BOND_MIIMON,
                          kn_limit_describe(KN_LIMIT_MIIMON_FREQ, range, sizeof range));
        if (L[IFU_O_BOND_ARP_INTERVAL].value &&
            (kn_ifupdown_parse_uint(L[IFU_O_BOND_ARP_INTERVAL].value, ULONG_MAX, &arp) < 0 ||
             (arp && !kn_limit_ok(KN_LIMIT_ARPMON_INTERVAL, (double) arp))))
                BAD_VALUE(IFU_O_BOND_ARP_INTERVAL,
                          kn_limit_describe(KN_LIMIT_ARPMON_INTERVAL, range, sizeof range));
        n->bond_opts |= L[IFU_O_BOND_MIIMON].value || L[IFU_O_BOND_ARP_INTERVAL].value;
        /* As ifenslave: with both, bond-arp-interval is ignored. */
        if (miimon > 0) {
                i->monitor = KN_MON_MIIMON;
                i->miimon_freq = (unsigned) miimon;
                if (L[IFU_O_BOND_DOWNDELAY].value) {
                        if (kn_ifupdown_parse_uint(L[IFU_O_BOND_DOWNDELAY].value, ULONG_MAX, &v) <
                                    0 ||
                            !kn_limit_ok(KN_LIMIT_MIIMON_DELAY, (double) v))
                                BAD_VALUE(IFU_O_BOND_DOWNDELAY,
                                          kn_limit_describe(KN_LIMIT_MIIMON_DELAY, range,
                                                            sizeof range));
                        i->miimon_downdelay = (long) v;
                }
                if (L[IFU_O_BOND_UPDELAY].value) {
                        if (kn_ifupdown_parse_uint(L[IFU_O_BOND_UPDELAY].value, ULONG_MAX, &v) <
                                    0 ||
                            !kn_limit_ok(KN_LIMIT_MIIMON_DELAY, (double) v))
                                BAD_VALUE(IFU_O_BOND_UPDELAY,
                                          kn_limit_describe(KN_LIMIT_MIIMON_DELAY, range,
                                                            sizeof range));
                        i->miimon_updelay = (long) v;
                }
                if (L[IFU_O_BOND_USE_CARRIER].value) {
                        const char *s = L[IFU_O_BOND_USE_CARRIER].value;
                        if (!streq(s, "0") && !streq(s, "1"))
                                BAD_VALUE(IFU_O_BOND_USE_CARRIER, "0 (ioctl) or 1 (netif)");
                        i->miimon_carrier = streq(s, "1") ? KN_CARRIER_NETIF : KN_CARRIER_IOCTL;
                }
        } else if (arp > 0) {
                i->monitor = KN_MON_ARPMON;
                i->arpmon_interval = (unsigned) arp;
                const char *t = L[IFU_O_BOND_ARP_IP_TARGET].value;
                char buf[46];
                if (!t) {
                        kn_ifupdown_diag(c->r, n, L[IFU_O_BOND_ARP_INTERVAL].at,
                                         "iface %s: bond-arp-interval without bond-arp-ip-target",
                                         n->e->name);
                        return;
                }
                if (kn_ip_canonical(AF_INET, t, buf) < 0 || strlen(buf) >= 16)
                        BAD_VALUE(IFU_O_BOND_ARP_IP_TARGET, "one IPv4 address");
                snprintf(i->arpmon_target, sizeof i->arpmon_target, "%s", buf);
                if (L[IFU_O_BOND_ARP_VALIDATE].value) {
                        int a = kn_ifupdown_arp_validate_parse(L[IFU_O_BOND_ARP_VALIDATE].value);
                        if (a < 0)
                                BAD_VALUE(IFU_O_BOND_ARP_VALIDATE,
                                          "none, active, backup, all or 0-3");
                        i->arpmon_validate = (kn_arp_validate) a;
                }
        }
}

void kn_ifupdown_read_node(reader *r, node *n) {
        const kn_ifupdown_entry *e = n->e;
        if (kn_ifname_validate(e->name, NULL, NULL) < 0 || streq(e->name, "lo")) {
                n->skip = true; /* aliases (eth0:1), long logical names, loopback */
                return;
        }
        const kn_ifupdown_ref *broken = kn_ifupdown_entry_first(e, IFU_REF_BROKEN);
        if (broken) {
                kn_ifupdown_diag(r, n, (loc){broken->file, broken->file->err_line},
                                 "iface %s is not loaded: %s:%u: %s", e->name, broken->file->shown,
                                 broken->file->err_line, broken->file->err);
                return;
        }
        n->iface = kn_iface_new(KN_IFACE_ETHERNET, e->name);
        stanza_ctx c = {.r = r, .n = n, .proto = {&n->iface->ipv4, &n->iface->ipv6}};
        struct {
                const kn_ifupdown_file *f;
                const kn_ifupdown_stanza *s;
        } seen[32];
        size_t n_seen = 0;
        for (size_t k = 0; k < e->n_refs && !n->bad && !n->skip; k++) {
                const kn_ifupdown_ref *ref = &e->refs[k];
                if (ref->kind != IFU_REF_STANZA)
                        continue;
                const kn_ifupdown_file *f = ref->file;
                const kn_ifupdown_stanza *s = &f->stanzas[ref->idx];
                loc at = {f, f->lines[s->first].lineno};
                if (!n->at.f)
                        n->at = at;
                /* Several stanzas of one family are legal (ifupdown runs
                 * each in turn); one repeated word for word (a file
                 * sourced twice) adds nothing: a warning, read once. */
                bool again = false;
                for (size_t j = 0; j < n_seen && !again; j++) {
                        if (!kn_ifupdown_stanza_same(seen[j].f, seen[j].s, f, s))
                                continue;
                        again = true;
                        kn_ifupdown_warn(
                                r, n, at,
                                "stanza 'iface %s %s %s' is repeated word for word (also at "
                                "%s:%u); read once",
                                e->name, kn_ifupdown_family_to_string(s->family), s->method,
                                seen[j].f->shown, seen[j].f->lines[seen[j].s->first].lineno);
                }
                if (again)
                        continue;
                if (n_seen == ELEMENTSOF(seen)) {
                        kn_ifupdown_diag(r, n, at, "iface %s: more than %zu stanzas", e->name,
                                         n_seen);
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
                                kn_ifupdown_diag(r, n, g->at,
                                                 "iface %s: gateway '%s' is not an %s address",
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
                const kn_ifupdown_ref *ref = &e->refs[k];
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
