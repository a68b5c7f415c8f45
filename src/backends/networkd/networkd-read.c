/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* networkd files -> the model.  The mapping (both ways, see
 * networkd-write.c for the other one):
 *
 *   model               .network / .netdev
 *   type                [NetDev] Kind= bridge|bond|vlan; ethernet: no .netdev
 *   start onboot        nothing (networkd brings every link it matches up)
 *   start hotplug       [Link] RequiredForOnline=no (up when it appears, boot
 *                       does not wait for it)
 *   start none          [Link] ActivationPolicy=manual (manual, down and
 *                       always-down read as none)
 *   mac                 [Link] MACAddress= (netdevs also [NetDev] MACAddress=)
 *   mtu                 [Link] MTUBytes= (netdevs also [NetDev] MTUBytes=)
 *   ipv4/ipv6 dhcp      [Network] DHCP=ipv4|ipv6|yes
 *   addresses           [Network] Address=, one per line, IPv4 first
 *   gateway             [Network] Gateway=, one per family
 *   ipv6 autoconf       [Network] IPv6AcceptRA=yes; IPv6 present without
 *                       autoconf: IPv6AcceptRA=no
 *   dhcp peerdns        [DHCPv4] UseDNS= / [DHCPv6] UseDNS= ([DHCP] read too)
 *   bridge port         [Network] Bridge=; bond slave: Bond=; the first
 *                       slave of an active-backup bond: PrimarySlave=yes
 *   stp, delay          [Bridge] STP=, ForwardDelaySec=
 *   bond mode, miimon   [Bond] Mode=, MIIMonitorSec=, UpDelaySec=,
 *   and arpmon          DownDelaySec=, ARPIntervalSec=, ARPIPTargets=,
 *                       ARPValidate=  (milliseconds in the model)
 *   vlan tag, parent    [VLAN] Id=; VLAN= in the parent's .network
 *
 * Not representable, read as "not given" and kept as written: an IPv4
 * protocol with nothing in it, miimon carrier (netif is the kernel's
 * default, ioctl is refused on define), ARPValidate=filter*, more than one
 * ARP target or gateway per family, [Route] and [Address] sections. */

#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>

#include "macro.h"
#include "networkd.h"
#include "strbuf.h"

/* The first problem of a file, kept in its digest: later ones tend to
 * follow from it. */
#define fail(f, ...) kn_ini_file_fail(&(f)->file, __VA_ARGS__)

/* ---- the view ---- */

static int cmp_node(const void *a, const void *b) {
        return strcmp(((const kn_networkd_node *) a)->name, ((const kn_networkd_node *) b)->name);
}

kn_networkd_node *kn_networkd_view_find(const kn_networkd_view *v, const char *name) {
        kn_networkd_node key;
        if (strlen(name) > KN_IFNAME_MAX)
                return NULL;
        strcpy(key.name, name);
        return bsearch_safe(&key, v->nodes, v->n, sizeof *v->nodes, cmp_node);
}

_printf_(5, 6) static void node_diag(kn_networkd_view *v, kn_networkd_node *n,
                                     const kn_networkd_file *f, unsigned line, const char *fmt,
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
        kn_iface_list_diag(v->out, f->file.shown, line, n->name, "%s", msg);
}

static void add_name(kn_networkd_view *v, const char *name) {
        if (kn_ifname_validate(name, NULL, NULL) < 0 || streq(name, "lo"))
                return;
        GREEDY_REALLOC(v->nodes, v->alloc, v->n + 1);
        kn_networkd_node *n = &v->nodes[v->n++];
        *n = (kn_networkd_node){0};
        strcpy(n->name, name);
}

bool kn_networkd_our_kind(const char *kind, kn_iface_type *type) {
        for (kn_iface_type t = KN_IFACE_BRIDGE; t <= KN_IFACE_VLAN; t++)
                if (streq_ptr(kind, kn_iface_type_to_string(t))) {
                        if (type)
                                *type = t;
                        return true;
                }
        return false;
}

/* ---- reading one link ---- */

static const kn_ini_line *last(const kn_networkd_file *f, const char *section, const char *key) {
        return f ? kn_ini_find(&f->file.ini, section, key) : NULL;
}

static bool read_ms(kn_networkd_file *f, const char *key, long *ms) {
        const kn_ini_line *l = last(f, "Bond", key);
        unsigned long long usec;
        if (!l)
                return true;
        if (kn_networkd_parse_timespan_usec(l->value, &usec) < 0 || usec / 1000 > INT_MAX) {
                fail(f, l->lineno,
                     "%s=%s is not a time span (e.g. 100ms, 1s; a bare number is seconds)", key,
                     l->value);
                return false;
        }
        *ms = (long) (usec / 1000);
        return true;
}

static void read_bond(kn_networkd_file *d, kn_iface *i) {
        const kn_ini_line *l = last(d, "Bond", "Mode");
        if (l) {
                i->bond_mode = kn_bond_mode_from_string(l->value);
                if ((int) i->bond_mode < 0) {
                        fail(d, l->lineno,
                             "Mode=%s is not a bonding mode (valid: balance-rr, "
                             "active-backup, balance-xor, broadcast, 802.3ad, balance-tlb, "
                             "balance-alb)",
                             l->value);
                        return;
                }
        }
        long mii = 0, arp = 0;
        if (!read_ms(d, "MIIMonitorSec", &mii) || !read_ms(d, "ARPIntervalSec", &arp))
                return;
        if (arp > 0) {
                i->monitor = KN_MON_ARPMON;
                i->arpmon_interval = (unsigned) arp;
                /* The model has one target: the first one. */
                KN_INI_FOREACH(k, &d->file.ini, "Bond", "ARPIPTargets") {
                        const kn_ini_line *t = &d->file.ini.lines[k];
                        char first[64] = "";
                        sscanf(t->value, "%63s", first);
                        if (!first[0])
                                continue;
                        if (kn_ip_canonical(AF_INET, first, i->arpmon_target) < 0) {
                                fail(d, t->lineno, "ARPIPTargets=%s: '%s' is not an IPv4 address",
                                     t->value, first);
                                return;
                        }
                        break;
                }
                if (!i->arpmon_target[0]) {
                        fail(d, last(d, "Bond", "ARPIntervalSec")->lineno,
                             "ARPIntervalSec= without ARPIPTargets=: the ARP monitor needs "
                             "a target address");
                        return;
                }
                l = last(d, "Bond", "ARPValidate");
                if (l && !strstr(l->value, "filter")) {
                        i->arpmon_validate = kn_arp_validate_from_string(l->value);
                        if ((int) i->arpmon_validate < 0) {
                                fail(d, l->lineno,
                                     "ARPValidate=%s is not valid (valid: none, active, "
                                     "backup, all, filter, filter_active, filter_backup)",
                                     l->value);
                                return;
                        }
                }
        } else if (mii > 0) {
                i->monitor = KN_MON_MIIMON;
                i->miimon_freq = (unsigned) mii;
                if (!read_ms(d, "UpDelaySec", &i->miimon_updelay) ||
                    !read_ms(d, "DownDelaySec", &i->miimon_downdelay))
                        return;
        }
}

static void read_netdev(kn_networkd_file *d, kn_iface *i) {
        const kn_ini_line *l;
        switch (i->type) {
        case KN_IFACE_BRIDGE:
                if ((l = last(d, "Bridge", "STP"))) {
                        int r = kn_ini_parse_bool(l->value);
                        if (r < 0) {
                                fail(d, l->lineno, "STP=%s is not a boolean (yes/no)", l->value);
                                return;
                        }
                        i->stp = r ? KN_YES : KN_NO;
                }
                if ((l = last(d, "Bridge", "ForwardDelaySec"))) {
                        unsigned long long usec;
                        if (kn_networkd_parse_timespan_usec(l->value, &usec) < 0) {
                                fail(d, l->lineno,
                                     "ForwardDelaySec=%s is not a time span (e.g. 15, 2s, "
                                     "500ms)",
                                     l->value);
                                return;
                        }
                        i->delay = (double) usec / 1e6;
                }
                break;
        case KN_IFACE_BOND: read_bond(d, i); break;
        case KN_IFACE_VLAN: {
                l = last(d, "VLAN", "Id");
                char *end;
                long id = l ? strtol(l->value, &end, 10) : -1;
                if (!l || !*l->value || *end || id < 0 || id > 4095) {
                        fail(d, l ? l->lineno : 0,
                             l ? "Id=%s is not a VLAN id (valid: 0-4095)"
                               : "%sa vlan needs [VLAN] Id=",
                             l ? l->value : "");
                        return;
                }
                i->vlan_tag = (int) id;
                break;
        }
        default: break;
        }
}

static kn_tristate read_usedns(const kn_networkd_file *f, const char *section,
                               const char *fallback) {
        const char *s = kn_ini_get(&f->file.ini, section, "UseDNS");
        if (!s && fallback)
                s = kn_ini_get(&f->file.ini, fallback, "UseDNS");
        int r = kn_ini_parse_bool(s);
        return r < 0 ? KN_UNSET : r ? KN_YES : KN_NO;
}

static void read_protocols(kn_networkd_file *f, kn_iface *i) {
        const kn_ini_line *l;
        bool d4 = false, d6 = false;
        if ((l = last(f, "Network", "DHCP")) && !kn_networkd_parse_dhcp(l->value, &d4, &d6)) {
                fail(f, l->lineno, "DHCP=%s is not valid (valid: yes, no, ipv4, ipv6)", l->value);
                return;
        }
        KN_INI_FOREACH(k, &f->file.ini, "Network", "Address") {
                l = &f->file.ini.lines[k];
                int family, prefix;
                char addr[46];
                if (kn_networkd_parse_address(l->value, &family, addr, &prefix) < 0) {
                        fail(f, l->lineno, "Address=%s is not an address with an optional /prefix",
                             l->value);
                        return;
                }
                kn_protocol_add_ip(family == AF_INET ? &i->ipv4 : &i->ipv6, family, addr, prefix,
                                   NULL);
        }
        KN_INI_FOREACH(k, &f->file.ini, "Network", "Gateway") {
                l = &f->file.ini.lines[k];
                if (l->value[0] == '_' || !l->value[0])
                        continue; /* _dhcp4, _ipv6ra: not in the model */
                bool v6 = strchr(l->value, ':') != NULL;
                kn_protocol *p = v6 ? &i->ipv6 : &i->ipv4;
                char gw[46];
                if (kn_ip_canonical(v6 ? AF_INET6 : AF_INET, l->value, gw) < 0) {
                        fail(f, l->lineno, "Gateway=%s is not an address", l->value);
                        return;
                }
                if (!p->gateway[0])
                        strcpy(p->gateway, gw);
        }
        int ra = -1;
        if ((l = last(f, "Network", "IPv6AcceptRA")) && (ra = kn_ini_parse_bool(l->value)) < 0) {
                fail(f, l->lineno, "IPv6AcceptRA=%s is not a boolean (yes/no)", l->value);
                return;
        }
        i->ipv4.dhcp = d4;
        i->ipv4.present = d4 || i->ipv4.n_ips || i->ipv4.gateway[0];
        if (d4)
                i->ipv4.peerdns = read_usedns(f, "DHCPv4", "DHCP");
        i->ipv6.dhcp = d6;
        i->ipv6.autoconf = ra == 1;
        i->ipv6.present = d6 || ra >= 0 || i->ipv6.n_ips || i->ipv6.gateway[0];
        if (d6)
                i->ipv6.peerdns = read_usedns(f, "DHCPv6", NULL);
}

static bool read_mac(kn_networkd_file *f, const char *section, kn_iface *i) {
        const kn_ini_line *l = last(f, section, "MACAddress");
        if (!l || i->mac[0])
                return true;
        if (kn_mac_parse(l->value, i->mac) < 0) {
                fail(f, l->lineno, "MACAddress=%s is not a MAC address", l->value);
                return false;
        }
        return true;
}

static bool read_mtu(kn_networkd_file *f, const char *section, kn_iface *i) {
        const kn_ini_line *l = last(f, section, "MTUBytes");
        unsigned long long mtu;
        if (!l || i->mtu)
                return true;
        if (kn_networkd_parse_bytes(l->value, &mtu) < 0 || mtu == 0 || mtu > 65536) {
                fail(f, l->lineno, "MTUBytes=%s is not an MTU (bytes, optionally with K, M or G)",
                     l->value);
                return false;
        }
        i->mtu = (unsigned) mtu;
        return true;
}

static void read_master(kn_networkd_file *f) {
        const kn_ini_line *br = last(f, "Network", "Bridge"), *bo = last(f, "Network", "Bond");
        if (br && !*br->value)
                br = NULL;
        if (bo && !*bo->value)
                bo = NULL;
        if (br && bo) {
                fail(f, bo->lineno, "both Bridge=%s and Bond=%s: a link has one master", br->value,
                     bo->value);
                return;
        }
        const kn_ini_line *m = br ? br : bo;
        if (!m)
                return;
        if (kn_ifname_validate(m->value, NULL, NULL) < 0) {
                fail(f, m->lineno, "%s=%s is not an interface name", m->key, m->value);
                return;
        }
        strcpy(f->master, m->value);
        f->master_type = br ? KN_IFACE_BRIDGE : KN_IFACE_BOND;
        f->master_line = m->lineno;
        f->primary = kn_ini_parse_bool(kn_ini_get(&f->file.ini, "Network", "PrimarySlave")) == 1;
}

/* What one file says, read once when it is loaded (list() then costs a
 * copy per link, not a parse). */
void kn_networkd_digest(kn_networkd_file *f) {
        if (f->file.broken) {
                fail(f, f->file.ini.err_line, "%s", f->file.ini.err);
                return;
        }
        if (f->masked)
                return;
        kn_iface_type type = KN_IFACE_ETHERNET;
        if (f->type == ND_NETDEV) {
                if (!kn_networkd_our_kind(f->netdev_kind, &type))
                        return;
                kn_iface *i = kn_iface_new(type, NULL);
                f->iface = i;
                read_netdev(f, i);
                if (!f->file.problem)
                        read_mac(f, "NetDev", i);
                if (!f->file.problem)
                        read_mtu(f, "NetDev", i);
                return;
        }
        kn_iface *i = kn_iface_new(type, NULL);
        f->iface = i;
        f->stub = kn_ini_has_comment(&f->file.ini, ND_STUB_MARK) &&
                  !kn_networkd_has_mapped_keys(&f->file.ini);
        read_master(f);
        if (f->file.problem || !read_mac(f, "Link", i) || f->master[0])
                return;
        i->start = kn_networkd_read_start(&f->file.ini);
        if (read_mtu(f, "Link", i))
                read_protocols(f, i);
}

static void copy_protocol(kn_protocol *dst, const kn_protocol *src) {
        *dst = *src;
        dst->ips = NULL;
        if (src->n_ips) {
                dst->ips = kn_xmalloc(src->n_ips * sizeof *src->ips);
                memcpy(dst->ips, src->ips, src->n_ips * sizeof *src->ips);
        }
}

/* A link from the digests of its .netdev (d) and .network (f). */
static void read_node(kn_networkd_view *v, kn_networkd_node *n) {
        const kn_networkd_file *f = n->network, *d = n->netdev;
        if (d && !d->iface && !d->file.problem)
                return; /* a kind kvmnet does not model */
        if (d && d->file.problem) {
                node_diag(v, n, d, d->file.problem_line, "%s", d->file.problem);
                return;
        }
        if (f && f->file.problem) {
                node_diag(v, n, f, f->file.problem_line, "%s", f->file.problem);
                return;
        }
        if (!d && f && f->stub) {
                n->stub = true;
                return;
        }
        kn_iface *i = d ? kn_iface_copy(d->iface) : kn_iface_new(KN_IFACE_ETHERNET, NULL);
        strcpy(i->name, n->name);
        if (f) {
                strcpy(n->master, f->master);
                n->master_type = f->master_type;
                n->master_line = f->master_line;
                n->primary = f->primary;
                if (f->iface->mac[0])
                        strcpy(i->mac, f->iface->mac);
        }
        if (n->master[0])
                i->mtu = 0; /* a port's MTU is not the model's */
        else {
                i->start = f ? f->iface->start : KN_START_NONE;
                if (f && f->iface->mtu)
                        i->mtu = f->iface->mtu;
                if (f) {
                        copy_protocol(&i->ipv4, &f->iface->ipv4);
                        copy_protocol(&i->ipv6, &f->iface->ipv6);
                }
        }
        n->iface = i;
}

/* ---- links, vlans, masters ---- */

/* Which files stand for n; false if the link is none of kvmnet's business
 * (configured by runtime files, a netdev of another kind). */
static bool pick_files(kn_networkd_backend *b, kn_networkd_view *v, kn_networkd_node *n) {
        kn_networkd_file *d = kn_networkd_netdev_of(b, n->name);
        if (d && (d->file.runtime || !kn_networkd_our_kind(d->netdev_kind, NULL)))
                return false;
        kn_networkd_file *lit = kn_networkd_literal_of(b, n->name),
                         *app = kn_networkd_applying(b, n->name, NULL);
        if (app && app->file.runtime)
                return false;
        n->netdev = d;
        if (lit && !lit->file.runtime && app && app != lit) {
                _cleanup_free_ char *m = kn_networkd_match_describe(app);
                n->network = lit;
                node_diag(v, n, lit, 0,
                          "networkd never applies this file to %s: %s (%s) comes first in file "
                          "name order",
                          n->name, app->file.shown, m);
                return true;
        }
        if (app && app == lit) {
                n->network = lit;
                return true;
        }
        if (app && d) {
                _cleanup_free_ char *m = kn_networkd_match_describe(app);
                node_diag(v, n, app, 0,
                          "%s is configured by this file through a pattern (%s); kvmnet handles "
                          "links that have a .network file of their own",
                          n->name, m);
                return true;
        }
        return d != NULL;
}

static void resolve_vlans(kn_networkd_backend *b, kn_networkd_view *v) {
        for (size_t k = 0; k < b->dir.n_files; k++) {
                const kn_networkd_file *f = ND_FILE(b->dir.files[k]);
                if (f->type != ND_NETWORK || f->masked)
                        continue;
                const char *parent = NULL;
                bool dead = false;
                KN_INI_FOREACH(j, &f->file.ini, "Network", "VLAN") {
                        const kn_ini_line *l = &f->file.ini.lines[j];
                        if (!parent && !dead) {
                                if (f->literal && kn_networkd_applying(b, f->literal, NULL) == f)
                                        parent = f->literal;
                                else
                                        dead = f->literal != NULL;
                        }
                        if (dead || !*l->value)
                                continue;
                        kn_networkd_node *vn = kn_networkd_view_find(v, l->value);
                        if (!vn || !vn->iface || vn->iface->type != KN_IFACE_VLAN) {
                                if (!f->file.runtime && !kn_networkd_netdev_of(b, l->value) &&
                                    v->out)
                                        kn_iface_list_diag(v->out, f->file.shown, l->lineno, NULL,
                                                           "VLAN=%s, but no .netdev creates a "
                                                           "vlan named %s",
                                                           l->value, l->value);
                                continue;
                        }
                        if (!parent) {
                                _cleanup_free_ char *m = kn_networkd_match_describe(f);
                                node_diag(v, vn, f, l->lineno,
                                          "VLAN=%s is in a file that matches by pattern (%s), so "
                                          "the vlan's parent is not one link",
                                          l->value, m);
                        } else if (vn->vlan_parent[0] && !streq(vn->vlan_parent, parent))
                                node_diag(v, vn, f, l->lineno,
                                          "VLAN=%s here and in the .network of %s: a vlan has "
                                          "one parent",
                                          l->value, vn->vlan_parent);
                        else
                                strcpy(vn->vlan_parent, parent);
                }
        }
        for (size_t k = 0; k < v->n; k++) {
                kn_networkd_node *n = &v->nodes[k];
                if (!n->iface || n->iface->type != KN_IFACE_VLAN || n->bad)
                        continue;
                if (!n->vlan_parent[0])
                        node_diag(v, n, n->netdev, 0,
                                  "no .network file lists %s in VLAN=, so its parent link is "
                                  "unknown (networkd creates a vlan through its parent's "
                                  "VLAN=)",
                                  n->name);
                else
                        strcpy(n->iface->vlan_parent, n->vlan_parent);
        }
}

/* Whether n can sit in its master (recursively up to the top). */
static bool master_ok(kn_networkd_view *v, kn_networkd_node *n, int depth) {
        kn_networkd_node *m = kn_networkd_view_find(v, n->master);
        const char *key = n->master_type == KN_IFACE_BRIDGE ? "Bridge" : "Bond";
        if (n->bad)
                return false;
        if (!m || (!m->iface && !m->bad))
                node_diag(v, n, n->network, n->master_line,
                          "%s=%s, but no .netdev in " ND_DIR " creates %s", key, n->master,
                          n->master);
        else if (m->bad)
                node_diag(v, n, n->network, n->master_line,
                          "%s=%s, but the definition of %s is broken (see its error)", key,
                          n->master, n->master);
        else if (m->iface->type != n->master_type)
                node_diag(v, n, n->network, n->master_line, "%s=%s, but %s is a %s, not a %s", key,
                          n->master, n->master, kn_iface_type_to_string(m->iface->type),
                          kn_iface_type_to_string(n->master_type));
        else if (m->master[0] && (depth > 3 || !master_ok(v, m, depth + 1)))
                node_diag(v, n, n->network, n->master_line,
                          "%s=%s, but %s cannot be used (see its error)", key, n->master,
                          n->master);
        return !n->bad;
}

static int cmp_kid(const void *a, const void *b) {
        const kn_networkd_node *x = *(kn_networkd_node *const *) a,
                               *y = *(kn_networkd_node *const *) b;
        int r = strcmp(x->master, y->master);
        if (r)
                return r;
        if (x->primary != y->primary)
                return x->primary ? -1 : 1;
        return kn_ini_file_cmp(&x->network->file, &y->network->file);
}

kn_iface *kn_networkd_view_tree(const kn_networkd_view *v, const kn_networkd_node *n) {
        kn_iface *i = kn_iface_copy(n->iface);
        kn_networkd_node *const *kids = v->kids;
        size_t lo = 0, hi = v->n_kids;
        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (strcmp(kids[mid]->master, n->name) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        for (size_t k = lo; k < v->n_kids && streq(kids[k]->master, n->name); k++)
                kn_iface_add_child(i, kn_networkd_view_tree(v, kids[k]));
        return i;
}

void kn_networkd_view_build(kn_networkd_backend *b, kn_networkd_view *v, kn_iface_list *out) {
        *v = (kn_networkd_view){.out = out};
        const kn_ini_index *netdevs = &b->dir.index[ND_NETDEVS], *lits = &b->dir.index[ND_LITERALS];
        for (size_t k = 0; k < netdevs->n; k++)
                if (!netdevs->v[k].file->runtime)
                        add_name(v, netdevs->v[k].key);
        for (size_t k = 0; k < lits->n; k++)
                if (!lits->v[k].file->runtime)
                        add_name(v, lits->v[k].key);
        qsort_safe(v->nodes, v->n, sizeof *v->nodes, cmp_node);
        size_t n = 0;
        for (size_t k = 0; k < v->n; k++)
                if (n == 0 || !streq(v->nodes[n - 1].name, v->nodes[k].name))
                        v->nodes[n++] = v->nodes[k];
        v->n = n;

        for (size_t k = 0; k < v->n; k++) {
                kn_networkd_node *x = &v->nodes[k];
                if (pick_files(b, v, x))
                        read_node(v, x);
        }
        resolve_vlans(b, v);
        for (size_t k = 0; k < v->n; k++) {
                kn_networkd_node *x = &v->nodes[k];
                if (x->iface && x->master[0] && master_ok(v, x, 0)) {
                        GREEDY_REALLOC(v->kids, v->alloc_kids, v->n_kids + 1);
                        v->kids[v->n_kids++] = x;
                }
        }
        qsort_safe(v->kids, v->n_kids, sizeof *v->kids, cmp_kid);
        if (!out)
                return;
        for (size_t k = 0; k < v->n; k++) {
                kn_networkd_node *x = &v->nodes[k];
                if (!x->iface || x->bad || x->stub || x->master[0])
                        continue;
                kn_iface *tree = kn_networkd_view_tree(v, x);
                kn_error e = {0};
                if (kn_iface_validate(tree, &e) < 0) {
                        node_diag(v, x, x->network ? x->network : x->netdev, 0, "%s", e.message);
                        kn_iface_free(tree);
                } else
                        kn_iface_list_add(out, tree);
        }
}

void kn_networkd_view_done(kn_networkd_view *v) {
        for (size_t k = 0; k < v->n; k++)
                kn_iface_free(v->nodes[k].iface);
        free(v->nodes);
        free(v->kids);
        *v = (kn_networkd_view){0};
}

void kn_networkd_node_lookup(kn_networkd_backend *b, const char *name, kn_networkd_node *n) {
        kn_networkd_view v = {0};
        *n = (kn_networkd_node){0};
        if (kn_ifname_validate(name, NULL, NULL) < 0)
                return;
        strcpy(n->name, name);
        if (!pick_files(b, &v, n))
                return;
        read_node(&v, n);
        size_t k;
        const kn_ini_entry *e = kn_networkd_by_vlan(b, name, &k);
        for (size_t j = 0; j < k; j++) {
                const kn_networkd_file *f = ND_FILE(e[j].file);
                if (f->literal && kn_networkd_applying(b, f->literal, NULL) == f) {
                        strcpy(n->vlan_parent, f->literal);
                        break;
                }
        }
        if (n->iface && n->iface->type == KN_IFACE_VLAN)
                strcpy(n->iface->vlan_parent, n->vlan_parent);
}

static void push_name(char ***v, size_t *n, const char *name) {
        *v = kn_xrealloc(*v, (*n + 1) * sizeof **v);
        (*v)[(*n)++] = kn_xstrdup(name);
}

static void tree_names(kn_networkd_backend *b, const char *name, char ***v, size_t *n, int depth) {
        push_name(v, n, name);
        size_t k;
        const kn_ini_entry *e = kn_networkd_by_master(b, name, &k);
        for (size_t j = 0; j < k && depth < 3; j++) {
                const kn_networkd_file *f = ND_FILE(e[j].file);
                if (!f->literal || f->file.runtime ||
                    kn_networkd_applying(b, f->literal, NULL) != f)
                        continue;
                tree_names(b, f->literal, v, n, depth + 1);
        }
}

void kn_networkd_tree_names(kn_networkd_backend *b, const char *name, char ***v, size_t *n) {
        kn_networkd_node x;
        kn_networkd_node_lookup(b, name, &x);
        bool top = x.iface && !x.bad && !x.stub && !x.master[0];
        kn_iface_free(x.iface);
        if (top)
                tree_names(b, name, v, n, 0);
}
