/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* NetworkManager profiles -> the model.  The mapping (both ways):
 *
 *   model              keyfile
 *   type               [connection] type= ethernet (802-3-ethernet), bridge,
 *                      bond, vlan
 *   name               [connection] interface-name=
 *   start onboot       autoconnect=true (the default: the key is left out)
 *   start none         [connection] autoconnect=false
 *   start hotplug      written as onboot: NetworkManager activates a profile
 *                      whenever its device appears, there is no separate
 *                      boot-time start to turn off; reads back as onboot
 *   mac                [ethernet] cloned-mac-address= (sets it); an ethernet
 *                      without it: [ethernet] mac-address= (binds the profile
 *                      to the NIC), a bridge without it: [bridge]
 *                      mac-address= (older files)
 *   mtu                [ethernet] mtu=
 *   port / slave       [connection] master=NAME, slave-type=bridge|bond
 *                      (master may be a profile UUID; controller= and
 *                      port-type= of newer releases are read too)
 *   stp, delay         [bridge] stp=, forward-delay= (whole seconds)
 *   bond               [bond] mode=, miimon=, updelay=, downdelay=,
 *                      use_carrier= (0 ioctl, 1 netif), arp_interval=,
 *                      arp_ip_target=, arp_validate=, primary= (the first
 *                      slave of an active-backup bond)
 *   vlan               [vlan] id=, parent= (a name or a profile UUID)
 *   ipv4               method=auto (dhcp), manual (addresses only),
 *                      disabled (no ipv4); link-local and shared read as
 *                      an empty ipv4; addressN=ADDR/PREFIX, gateway=,
 *                      ignore-auto-dns= (peerdns, with dhcp)
 *   ipv6               method=auto (autoconf), dhcp, manual, link-local (an
 *                      empty ipv6), ignore or disabled (no ipv6); the same
 *                      address, gateway and DNS keys
 *
 * Lossy: an empty ipv4 is written as method=disabled; autoconf together
 * with dhcp as method=auto (which runs DHCPv6 when routers ask for it).
 * A port's profile has no [ipv4]/[ipv6]: NetworkManager ignores them. */

#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>

#include "macro.h"
#include "nmkeyfile.h"

int kn_nmkeyfile_parse_bool(const char *s) {
        return kn_ini_parse_bool(s);
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *ret) {
        char *end;
        if (!s || !isdigit((unsigned char) *s))
                return false;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (errno || *end || v > max)
                return false;
        *ret = v;
        return true;
}

/* The N of addressN / addressesN keys (0 for the bare key), or -1. */
static long address_index(const char *key) {
        const char *p;
        if (strncmp(key, "addresses", 9) == 0)
                p = key + 9;
        else if (strncmp(key, "address", 7) == 0)
                p = key + 7;
        else
                return -1;
        if (!*p)
                return 0;
        unsigned long n;
        return parse_uint(p, INT_MAX, &n) ? (long) n : -1;
}

typedef struct idx {
        long n;
        size_t line;
} idx;

static int cmp_idx(const void *a, const void *b) {
        const idx *x = a, *y = b;
        return x->n < y->n ? -1 : x->n > y->n;
}

size_t kn_nmkeyfile_address_keys(const kn_ini *ini, const char *section, size_t **ret_lines) {
        idx *v = NULL;
        size_t n = 0;
        KN_INI_FOREACH(k, ini, section, NULL) {
                long i = address_index(ini->lines[k].key);
                if (i < 0)
                        continue;
                v = kn_xrealloc(v, (n + 1) * sizeof *v);
                v[n++] = (idx){i, k};
        }
        if (n > 1)
                qsort_safe(v, n, sizeof *v, cmp_idx);
        size_t *lines = kn_xmalloc((n ? n : 1) * sizeof *lines);
        for (size_t k = 0; k < n; k++)
                lines[k] = v[k].line;
        free(v);
        *ret_lines = lines;
        return n;
}

bool kn_nmkeyfile_read_protocol(const kn_ini *ini, bool v6, kn_protocol *p, const char **why,
                                unsigned *line) {
        static char buf[256];
        const char *sect = v6 ? "ipv6" : "ipv4";
        const kn_ini_line *l = kn_ini_find(ini, sect, "method");
        const char *method = l ? l->value : "auto";
        int family = v6 ? AF_INET6 : AF_INET;
        *p = (kn_protocol){0};
        *line = l ? l->lineno : 0;
        if (streq(method, "auto")) {
                p->present = true;
                if (v6)
                        p->autoconf = true;
                else
                        p->dhcp = true;
        } else if (v6 && streq(method, "dhcp"))
                p->present = p->dhcp = true;
        else if (streq(method, "manual") || streq(method, "link-local") || streq(method, "shared"))
                p->present = true;
        else if (streq(method, "disabled") || (v6 && streq(method, "ignore")))
                return true;
        else {
                snprintf(buf, sizeof buf, "method=%s is not valid (valid: %s)", method,
                         v6 ? "auto, dhcp, manual, link-local, shared, ignore, disabled"
                            : "auto, manual, link-local, shared, disabled");
                *why = buf;
                return false;
        }
        _cleanup_free_ size_t *lines = NULL;
        size_t n = kn_nmkeyfile_address_keys(ini, sect, &lines);
        char legacy_gw[46] = "";
        for (size_t k = 0; k < n; k++) {
                const kn_ini_line *a = &ini->lines[lines[k]];
                char addr[64];
                const char *comma = strchr(a->value, ',');
                const char *slash = strchr(a->value, '/');
                size_t len = comma ? (size_t) (comma - a->value) : strlen(a->value);
                size_t alen =
                        slash && (!comma || slash < comma) ? (size_t) (slash - a->value) : len;
                unsigned long prefix = 0;
                bool ok = alen < sizeof addr;
                if (ok) {
                        memcpy(addr, a->value, alen);
                        addr[alen] = '\0';
                }
                if (ok && alen < len) {
                        _cleanup_free_ char *pfx = kn_xstrndup(a->value + alen + 1, len - alen - 1);
                        ok = parse_uint(pfx, v6 ? 128 : 32, &prefix);
                }
                if (ok)
                        ok = kn_protocol_add_ip(p, family, addr, alen < len ? (int) prefix : -1,
                                                NULL) >= 0;
                if (ok && comma && k == 0 && !legacy_gw[0])
                        ok = kn_ip_canonical(family, comma + 1, legacy_gw) >= 0;
                if (!ok) {
                        snprintf(buf, sizeof buf,
                                 "%s=%s is not an %s address with an optional /prefix", a->key,
                                 a->value, v6 ? "IPv6" : "IPv4");
                        *why = buf;
                        *line = a->lineno;
                        return false;
                }
        }
        l = kn_ini_find(ini, sect, "gateway");
        if (l && *l->value) {
                if (kn_ip_canonical(family, l->value, p->gateway) < 0) {
                        snprintf(buf, sizeof buf, "gateway=%s is not an %s address", l->value,
                                 v6 ? "IPv6" : "IPv4");
                        *why = buf;
                        *line = l->lineno;
                        return false;
                }
        } else if (legacy_gw[0])
                strcpy(p->gateway, legacy_gw);
        if (p->dhcp) {
                int r = kn_nmkeyfile_parse_bool(kn_ini_get(ini, sect, "ignore-auto-dns"));
                p->peerdns = r < 0 ? KN_UNSET : r ? KN_NO : KN_YES;
        }
        return true;
}

/* The first problem of a profile, kept in its digest: later ones tend to
 * follow from it. */
#define fail(f, ...) kn_ini_file_fail(&(f)->file, __VA_ARGS__)

/* ---- the view ---- */

static int cmp_node(const void *a, const void *b) {
        return strcmp(((const kn_nmkeyfile_node *) a)->name, ((const kn_nmkeyfile_node *) b)->name);
}

kn_nmkeyfile_node *kn_nmkeyfile_view_find(const kn_nmkeyfile_view *v, const char *name) {
        kn_nmkeyfile_node key;
        if (strlen(name) > KN_IFNAME_MAX)
                return NULL;
        strcpy(key.name, name);
        return bsearch_safe(&key, v->nodes, v->n, sizeof *v->nodes, cmp_node);
}

_printf_(5, 6) static void node_diag(kn_nmkeyfile_view *v, kn_nmkeyfile_node *n,
                                     const kn_nmkeyfile_conn *c, unsigned line, const char *fmt,
                                     ...) {
        if (n->bad)
                return;
        n->bad = true;
        if (!v->out)
                return;
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *msg = NULL;
        msg = kn_xvasprintf(fmt, ap);
        va_end(ap);
        kn_iface_list_diag(v->out, c->file.shown, line, n->name, "%s", msg);
}

static const kn_ini_line *get(const kn_nmkeyfile_conn *c, const char *section, const char *key) {
        return kn_ini_find(&c->file.ini, section, key);
}

static bool read_uint(kn_nmkeyfile_conn *c, const char *section, const char *key, unsigned long max,
                      long *ret) {
        const kn_ini_line *l = get(c, section, key);
        unsigned long u;
        if (!l)
                return true;
        if (!parse_uint(l->value, max, &u))
                return fail(c, l->lineno, "%s=%s is not a number (0-%lu)", key, l->value, max);
        *ret = (long) u;
        return true;
}

static void read_bond(kn_nmkeyfile_conn *c, kn_iface *i) {
        const kn_ini_line *l = get(c, "bond", "mode");
        unsigned long num;
        if (l) {
                /* The kernel's numbers (0: balance-rr ... 6: balance-alb) are
                 * taken too. */
                i->bond_mode = parse_uint(l->value, 6, &num) ? (kn_bond_mode) (num + 1)
                                                             : kn_bond_mode_from_string(l->value);
                if ((int) i->bond_mode < 0) {
                        fail(c, l->lineno,
                             "mode=%s is not a bonding mode (valid: balance-rr, active-backup, "
                             "balance-xor, broadcast, 802.3ad, balance-tlb, balance-alb)",
                             l->value);
                        return;
                }
        }
        long mii = 0, arp = 0, carrier = -1;
        if (!read_uint(c, "bond", "miimon", INT_MAX, &mii) ||
            !read_uint(c, "bond", "arp_interval", INT_MAX, &arp) ||
            !read_uint(c, "bond", "use_carrier", 1, &carrier))
                return;
        if (arp > 0) {
                i->monitor = KN_MON_ARPMON;
                i->arpmon_interval = (unsigned) arp;
                l = get(c, "bond", "arp_ip_target");
                char first[64] = "";
                if (l)
                        sscanf(l->value, "%63[^,]", first);
                if (!first[0] || kn_ip_canonical(AF_INET, first, i->arpmon_target) < 0) {
                        fail(c, l ? l->lineno : get(c, "bond", "arp_interval")->lineno,
                             "arp_interval= needs arp_ip_target= with IPv4 addresses");
                        return;
                }
                l = get(c, "bond", "arp_validate");
                if (l && !strstr(l->value, "filter")) {
                        i->arpmon_validate = parse_uint(l->value, 3, &num)
                                                     ? (kn_arp_validate) (num + 1)
                                                     : kn_arp_validate_from_string(l->value);
                        if ((int) i->arpmon_validate < 0)
                                fail(c, l->lineno,
                                     "arp_validate=%s is not valid (valid: none, active, backup, "
                                     "all, filter, filter_active, filter_backup)",
                                     l->value);
                }
        } else if (mii > 0) {
                i->monitor = KN_MON_MIIMON;
                i->miimon_freq = (unsigned) mii;
                if (!read_uint(c, "bond", "updelay", INT_MAX, &i->miimon_updelay) ||
                    !read_uint(c, "bond", "downdelay", INT_MAX, &i->miimon_downdelay))
                        return;
                if (carrier >= 0)
                        i->miimon_carrier = carrier ? KN_CARRIER_NETIF : KN_CARRIER_IOCTL;
        }
}

static void read_type(kn_nmkeyfile_conn *c, kn_iface *i) {
        const kn_ini_line *l;
        long num = -1;
        switch (i->type) {
        case KN_IFACE_BRIDGE:
                if ((l = get(c, "bridge", "stp"))) {
                        int r = kn_nmkeyfile_parse_bool(l->value);
                        if (r < 0) {
                                fail(c, l->lineno, "stp=%s is not true or false", l->value);
                                return;
                        }
                        i->stp = r ? KN_YES : KN_NO;
                }
                if (!read_uint(c, "bridge", "forward-delay", 30, &num))
                        return;
                if (num >= 0)
                        i->delay = (double) num;
                break;
        case KN_IFACE_BOND: read_bond(c, i); break;
        case KN_IFACE_VLAN:
                if (!read_uint(c, "vlan", "id", 4095, &num))
                        return;
                l = get(c, "vlan", "parent");
                if (num < 0 || !l || !*l->value) {
                        fail(c, 0, "a vlan profile needs [vlan] id= and parent=");
                        return;
                }
                i->vlan_tag = (int) num;
                c->vlan_parent = l->value; /* a name or a UUID: resolved when listed */
                c->vlan_parent_line = l->lineno;
                break;
        default: break;
        }
}

static bool read_mac(kn_nmkeyfile_conn *c, kn_iface *i) {
        const char *eth = kn_nmkeyfile_eth_section(&c->file.ini);
        const kn_ini_line *l;
        /* cloned-mac-address sets the MAC (it may also be preserve, random,
         * ...); else an ethernet has the MAC its mac-address= binds it to,
         * a bridge the one of [bridge] mac-address= (older files). */
        l = get(c, eth, "cloned-mac-address");
        if (!l || kn_mac_parse(l->value, NULL) < 0) {
                l = NULL;
                if (i->type == KN_IFACE_ETHERNET)
                        l = get(c, eth, "mac-address");
                else if (i->type == KN_IFACE_BRIDGE)
                        l = get(c, "bridge", "mac-address");
        }
        if (l && kn_mac_parse(l->value, i->mac) < 0)
                return fail(c, l->lineno, "%s=%s is not a MAC address", l->key, l->value);
        return true;
}

static void read_master(kn_nmkeyfile_conn *c) {
        if (isempty(c->master))
                return;
        const kn_ini_line *l = get(c, "connection", "master");
        if (!l)
                l = get(c, "connection", "controller");
        c->master_line = l->lineno;
        if (streq_ptr(c->port_type, "bridge"))
                c->master_type = KN_IFACE_BRIDGE;
        else if (streq_ptr(c->port_type, "bond"))
                c->master_type = KN_IFACE_BOND;
        else
                fail(c, l->lineno,
                     c->port_type ? "slave-type=%s: kvmnet handles bridge and bond ports"
                                  : "%s=%s without slave-type=",
                     c->port_type ? c->port_type : l->key, l->value);
}

/* What one profile says, read once when it is loaded. */
void kn_nmkeyfile_digest(kn_nmkeyfile_conn *c) {
        if (c->file.broken) {
                fail(c, c->file.ini.err_line, "%s", c->file.ini.err);
                return;
        }
        if ((int) c->type < 0)
                return;
        kn_iface *i = kn_iface_new(c->type, NULL);
        c->iface = i;
        read_master(c);
        if (c->file.problem || !read_mac(c, i))
                return;
        read_type(c, i);
        if (c->file.problem || !isempty(c->master))
                return;
        i->start =
                kn_nmkeyfile_parse_bool(kn_ini_get(&c->file.ini, "connection", "autoconnect")) == 0
                        ? KN_START_NONE
                        : KN_START_ONBOOT;
        long mtu = 0;
        if (!read_uint(c, kn_nmkeyfile_eth_section(&c->file.ini), "mtu", 65536, &mtu))
                return;
        i->mtu = (unsigned) mtu;
        const char *why;
        unsigned line;
        if (!kn_nmkeyfile_read_protocol(&c->file.ini, false, &i->ipv4, &why, &line) ||
            !kn_nmkeyfile_read_protocol(&c->file.ini, true, &i->ipv6, &why, &line))
                fail(c, line, "%s", why);
}

/* A device from the digest of its profile, references resolved. */
static void read_node(kn_nmkeyfile_view *v, kn_nmkeyfile_backend *b, kn_nmkeyfile_node *n) {
        const kn_nmkeyfile_conn *c = n->conn;
        if (c->file.problem) {
                node_diag(v, n, c, c->file.problem_line, "%s", c->file.problem);
                return;
        }
        if (!isempty(c->master)) {
                const char *m = kn_nmkeyfile_resolve(b, c->master);
                if (kn_ifname_validate(m, NULL, NULL) < 0) {
                        node_diag(v, n, c, c->master_line,
                                  "master=%s names no profile with an interface-name", c->master);
                        return;
                }
                strcpy(n->master, m);
                n->master_type = c->master_type;
                n->master_line = c->master_line;
        }
        const char *parent = "";
        if (c->vlan_parent) {
                parent = kn_nmkeyfile_resolve(b, c->vlan_parent);
                if (kn_ifname_validate(parent, NULL, NULL) < 0) {
                        node_diag(v, n, c, c->vlan_parent_line,
                                  "parent=%s names no profile with an interface-name",
                                  c->vlan_parent);
                        return;
                }
        }
        n->iface = kn_iface_copy(c->iface);
        strcpy(n->iface->name, n->name);
        strcpy(n->iface->vlan_parent, parent);
}

static bool master_ok(kn_nmkeyfile_view *v, kn_nmkeyfile_node *n, int depth) {
        kn_nmkeyfile_node *m = kn_nmkeyfile_view_find(v, n->master);
        const char *kind = kn_iface_type_to_string(n->master_type);
        if (n->bad)
                return false;
        if (!m)
                node_diag(v, n, n->conn, n->master_line,
                          "master=%s, but no profile in " NM_DIR " has interface-name=%s",
                          n->master, n->master);
        else if (m->bad || !m->iface)
                node_diag(v, n, n->conn, n->master_line,
                          "master=%s, but the profile of %s is broken (see its error)", n->master,
                          n->master);
        else if (m->iface->type != n->master_type)
                node_diag(v, n, n->conn, n->master_line, "slave-type=%s, but %s is a %s", kind,
                          n->master, kn_iface_type_to_string(m->iface->type));
        else if (m->master[0] && (depth > 3 || !master_ok(v, m, depth + 1)))
                node_diag(v, n, n->conn, n->master_line,
                          "master=%s, but %s cannot be used (see its error)", n->master, n->master);
        return !n->bad;
}

static int cmp_kid(const void *a, const void *b) {
        const kn_nmkeyfile_node *x = *(kn_nmkeyfile_node *const *) a,
                                *y = *(kn_nmkeyfile_node *const *) b;
        int r = strcmp(x->master, y->master);
        if (r)
                return r;
        if (x->primary != y->primary)
                return x->primary ? -1 : 1;
        return kn_ini_file_cmp(&x->conn->file, &y->conn->file);
}

kn_iface *kn_nmkeyfile_view_tree(const kn_nmkeyfile_view *v, const kn_nmkeyfile_node *n) {
        kn_iface *i = kn_iface_copy(n->iface);
        size_t lo = 0, hi = v->n_kids;
        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (strcmp(v->kids[mid]->master, n->name) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        for (size_t k = lo; k < v->n_kids && streq(v->kids[k]->master, n->name); k++)
                kn_iface_add_child(i, kn_nmkeyfile_view_tree(v, v->kids[k]));
        return i;
}

static void add_node(kn_nmkeyfile_view *v, const char *name) {
        if (v->n && streq(v->nodes[v->n - 1].name, name))
                return;
        if (kn_ifname_validate(name, NULL, NULL) < 0 || streq(name, "lo"))
                return;
        GREEDY_REALLOC(v->nodes, v->alloc, v->n + 1);
        kn_nmkeyfile_node *n = &v->nodes[v->n++];
        *n = (kn_nmkeyfile_node){0};
        strcpy(n->name, name);
}

/* The bond's primary= names its first slave. */
static void mark_primary(kn_nmkeyfile_view *v, kn_nmkeyfile_node *n) {
        kn_nmkeyfile_node *m = kn_nmkeyfile_view_find(v, n->master);
        n->primary = m && m->iface && m->iface->type == KN_IFACE_BOND &&
                     streq_ptr(kn_ini_get(&m->conn->file.ini, "bond", "primary"), n->name);
}

void kn_nmkeyfile_view_build(kn_nmkeyfile_backend *b, kn_nmkeyfile_view *v, kn_iface_list *out) {
        *v = (kn_nmkeyfile_view){.out = out};
        /* by_ifname is sorted: names come in order. */
        const kn_ini_index *by_ifname = &b->dir.index[NM_BY_IFNAME];
        for (size_t k = 0; k < by_ifname->n; k++) {
                const kn_nmkeyfile_conn *c = NM_CONN(by_ifname->v[k].file);
                if (!c->file.runtime && ((int) c->type >= 0 || c->file.broken))
                        add_node(v, by_ifname->v[k].key);
        }
        for (size_t k = 0; k < b->dir.n_files && out; k++) {
                const kn_nmkeyfile_conn *c = NM_CONN(b->dir.files[k]);
                if (c->file.broken && !c->ifname && !c->file.runtime)
                        kn_iface_list_diag(out, c->file.shown, c->file.ini.err_line, NULL, "%s",
                                           c->file.ini.err);
        }
        for (size_t k = 0; k < v->n; k++) {
                kn_nmkeyfile_node *n = &v->nodes[k];
                size_t cnt;
                const kn_ini_entry *e = kn_nmkeyfile_by_ifname(b, n->name, &cnt);
                n->conn = kn_nmkeyfile_chosen(b, n->name);
                if (!n->conn) { /* only broken profiles of an unknown type */
                        for (size_t j = 0; j < cnt && !n->conn; j++)
                                if (!e[j].file->runtime)
                                        n->conn = NM_CONN(e[j].file);
                        node_diag(v, n, n->conn, n->conn->file.ini.err_line, "%s",
                                  n->conn->file.ini.err ? n->conn->file.ini.err
                                                        : "unusable profile");
                        continue;
                }
                for (size_t j = 0; j < cnt && out; j++) {
                        const kn_nmkeyfile_conn *o = NM_CONN(e[j].file);
                        if (o != n->conn && !o->file.runtime && (int) o->type >= 0)
                                kn_iface_list_diag(out, o->file.shown, 0, NULL,
                                                   "another profile for %s; kvmnet uses %s "
                                                   "(NetworkManager activates one of them)",
                                                   n->name, n->conn->file.shown);
                }
                read_node(v, b, n);
        }
        for (size_t k = 0; k < v->n; k++) {
                kn_nmkeyfile_node *n = &v->nodes[k];
                if (n->iface && n->master[0] && master_ok(v, n, 0)) {
                        mark_primary(v, n);
                        GREEDY_REALLOC(v->kids, v->alloc_kids, v->n_kids + 1);
                        v->kids[v->n_kids++] = n;
                }
        }
        qsort_safe(v->kids, v->n_kids, sizeof *v->kids, cmp_kid);
        if (!out)
                return;
        for (size_t k = 0; k < v->n; k++) {
                kn_nmkeyfile_node *n = &v->nodes[k];
                if (!n->iface || n->bad || n->master[0])
                        continue;
                kn_iface *tree = kn_nmkeyfile_view_tree(v, n);
                kn_error e = {0};
                if (kn_iface_validate(tree, &e) < 0) {
                        node_diag(v, n, n->conn, 0, "%s", e.message);
                        kn_iface_free(tree);
                } else
                        kn_iface_list_add(out, tree);
        }
}

void kn_nmkeyfile_view_done(kn_nmkeyfile_view *v) {
        for (size_t k = 0; k < v->n; k++)
                kn_iface_free(v->nodes[k].iface);
        free(v->nodes);
        free(v->kids);
        *v = (kn_nmkeyfile_view){0};
}

void kn_nmkeyfile_node_lookup(kn_nmkeyfile_backend *b, const char *name, kn_nmkeyfile_node *n) {
        kn_nmkeyfile_view v = {0};
        *n = (kn_nmkeyfile_node){0};
        if (kn_ifname_validate(name, NULL, NULL) < 0)
                return;
        strcpy(n->name, name);
        n->conn = kn_nmkeyfile_chosen(b, name);
        if (n->conn)
                read_node(&v, b, n);
}

static void push_name(char ***v, size_t *n, const char *name) {
        *v = kn_xrealloc(*v, (*n + 1) * sizeof **v);
        (*v)[(*n)++] = kn_xstrdup(name);
}

static void tree_names(kn_nmkeyfile_backend *b, const kn_nmkeyfile_conn *c, const char *name,
                       char ***v, size_t *n, int depth) {
        push_name(v, n, name);
        /* Ports name their master by interface or by profile UUID. */
        const char *refs[] = {name, c->uuid};
        for (size_t r = 0; r < ELEMENTSOF(refs) && depth < 3; r++) {
                size_t k;
                const kn_ini_entry *e = refs[r] ? kn_nmkeyfile_by_master(b, refs[r], &k) : NULL;
                for (size_t j = 0; e && j < k; j++) {
                        const kn_nmkeyfile_conn *p = NM_CONN(e[j].file);
                        if (p->file.runtime || !p->ifname || kn_nmkeyfile_chosen(b, p->ifname) != p)
                                continue;
                        tree_names(b, p, p->ifname, v, n, depth + 1);
                }
        }
}

void kn_nmkeyfile_tree_names(kn_nmkeyfile_backend *b, const char *name, char ***v, size_t *n) {
        kn_nmkeyfile_node x;
        kn_nmkeyfile_node_lookup(b, name, &x);
        bool top = x.iface && !x.bad && !x.master[0];
        kn_iface_free(x.iface);
        if (top)
                tree_names(b, x.conn, name, v, n, 0);
}
