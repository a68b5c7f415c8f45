/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* define() and undefine(): plan edits on the lines of the files involved,
 * render them, write them (all or nothing), re-parse what was written.
 *
 * What an interface becomes (the "wanted" stanzas, in this order):
 *   inet:  "dhcp" if <dhcp/>, then one "static" per address: ifupdown 0.8
 *          applies only the first `address` of a stanza (checked with
 *          `ifup --no-act`), so each address gets its own stanza; the
 *          gateway goes to the first.
 *   inet6: "dhcp" (with `autoconf 1` for <autoconf/>), else "auto" for
 *          <autoconf/> alone; then one "static" per address (with
 *          `autoconf 1` too, as the static method turns autoconf off).
 *   Link options (hwaddress, mtu, bridge_*, bond-*, bond-master,
 *   vlan-raw-device) go to the first stanza, unless its method ignores
 *   some of them (dhcp ignores mtu, inet6 auto ignores both): then a
 *   leading "inet manual" stanza carries them.  With nothing else, a
 *   single "inet manual" stanza.  Ports and slaves get "inet manual" with
 *   their link options (slaves: bond-master, as ifenslave documents).
 *
 * An interface that exists is edited in place: each wanted stanza takes
 * over an existing one of the same family (same method first), whose owned
 * options are updated where they stand and whose other lines stay; owned
 * options no longer wanted go.  Existing stanzas left over are removed,
 * their foreign lines moving to a kept stanza of the interface.  New stanzas
 * follow the interface's previous stanza; a new interface goes to
 * etc/network/interfaces.d/NAME when the main file sources that path, else
 * to the end of the main file; new ports and slaves follow their master. */

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdint.h>

#include "ifupdown.h"

typedef struct opt {
        ifu_opt o;
        char *value;
} opt;

typedef struct edit edit;

typedef struct want {
        ifu_family family;
        const char *method;
        opt *opts;
        size_t n_opts;
        /* the existing stanza it takes over, if any */
        ifu_file *f;
        const ifu_stanza *s;
        /* a new stanza: where it went */
        edit *ed;
        size_t gap;
        const char *mention;
} want;

typedef struct wnode {
        const kn_iface *i;
        char name[KN_IFNAME_MAX + 1];
        size_t master_idx; /* SIZE_MAX for the top */
        struct wnode *master;
        ifu_entry *e;
        want *w;
        size_t n_w;
} wnode;

typedef struct ins {
        size_t gap; /* before this line; n_lines: at the end */
        int prio;   /* 0 inside a stanza, 1 after a stanza, 2 before a stanza */
        unsigned seq;
        char *text;       /* or: */
        const want *w;    /* a new stanza, rendered last */
        const char *name; /* for w */
} ins;

typedef struct drop {
        size_t line;
        const char *name;
} drop;

struct edit {
        ifu_file *f; /* NULL: a new file */
        size_t n;    /* f's lines */
        char *path;
        bool *del;
        char **repl;
        ins *ins;
        size_t n_ins, alloc_ins;
        drop *drops;
        size_t n_drops, alloc_drops;
};

typedef struct plan {
        ifu_backend *u;
        edit **edits;
        size_t n_edits;
        unsigned seq;
        wnode *nodes;
        size_t n_nodes;
        char **removed;
        size_t n_removed, alloc_removed;
} plan;

static size_t n_lines(const edit *ed) {
        return ed->n;
}

static edit *edit_for(plan *p, ifu_file *f, const char *path) {
        if (!f)
                f = ifu_find_file(p->u, path);
        for (size_t k = 0; k < p->n_edits; k++)
                if (f ? p->edits[k]->f == f : streq(p->edits[k]->path, path))
                        return p->edits[k];
        edit *ed = kn_xcalloc(1, sizeof *ed);
        ed->f = f;
        ed->n = f ? f->n_lines : 0;
        ed->path = kn_xstrdup(f ? f->path : path);
        ed->del = kn_xcalloc(n_lines(ed) + 1, sizeof *ed->del);
        ed->repl = kn_xcalloc(n_lines(ed) + 1, sizeof *ed->repl);
        p->edits = kn_xrealloc(p->edits, (p->n_edits + 1) * sizeof *p->edits);
        p->edits[p->n_edits++] = ed;
        return ed;
}

static void edit_free(edit *ed) {
        for (size_t i = 0; i < n_lines(ed); i++)
                free(ed->repl[i]);
        for (size_t k = 0; k < ed->n_ins; k++)
                free(ed->ins[k].text);
        free(ed->ins);
        free(ed->drops);
        free(ed->repl);
        free(ed->del);
        free(ed->path);
        free(ed);
}

static void plan_done(plan *p) {
        for (size_t k = 0; k < p->n_edits; k++)
                edit_free(p->edits[k]);
        free(p->edits);
        for (size_t k = 0; k < p->n_nodes; k++) {
                for (size_t j = 0; j < p->nodes[k].n_w; j++) {
                        want *w = &p->nodes[k].w[j];
                        for (size_t o = 0; o < w->n_opts; o++)
                                free(w->opts[o].value);
                        free(w->opts);
                }
                free(p->nodes[k].w);
        }
        free(p->nodes);
        kn_strv_free(p->removed, p->n_removed);
}

static void add_ins(plan *p, edit *ed, size_t gap, int prio, char *text, const want *w,
                    const char *name) {
        GREEDY_REALLOC(ed->ins, ed->alloc_ins, ed->n_ins + 1);
        ed->ins[ed->n_ins++] = (ins){gap, prio, p->seq++, text, w, name};
}

static void add_drop(edit *ed, size_t line, const char *name) {
        GREEDY_REALLOC(ed->drops, ed->alloc_drops, ed->n_drops + 1);
        ed->drops[ed->n_drops++] = (drop){line, name};
}

/* --- what an interface becomes ---------------------------------------- */

_printf_(3, 4) static void push_opt(want *w, ifu_opt o, const char *fmt, ...) {
        va_list ap;
        char *v;
        va_start(ap, fmt);
        if (vasprintf(&v, fmt, ap) < 0)
                abort();
        va_end(ap);
        w->opts = kn_xrealloc(w->opts, (w->n_opts + 1) * sizeof *w->opts);
        w->opts[w->n_opts++] = (opt){o, v};
}

static want *push_want(wnode *n, ifu_family family, const char *method) {
        n->w = kn_xrealloc(n->w, (n->n_w + 1) * sizeof *n->w);
        want *w = &n->w[n->n_w++];
        *w = (want){.family = family, .method = method};
        return w;
}

static void push_addr(want *w, const kn_ipaddr *a) {
        if (a->prefix >= 0)
                push_opt(w, IFU_O_ADDRESS, "%s/%d", a->address, a->prefix);
        else
                push_opt(w, IFU_O_ADDRESS, "%s", a->address);
}

static void want_protocols(wnode *n) {
        const kn_iface *i = n->i;
        const kn_protocol *p4 = &i->ipv4, *p6 = &i->ipv6;
        if (p4->present) {
                if (p4->dhcp) {
                        want *w = push_want(n, IFU_INET, "dhcp");
                        if (p4->n_ips == 0 && p4->gateway[0])
                                push_opt(w, IFU_O_GATEWAY, "%s", p4->gateway);
                }
                for (size_t k = 0; k < p4->n_ips; k++) {
                        want *w = push_want(n, IFU_INET, "static");
                        push_addr(w, &p4->ips[k]);
                        if (k == 0 && p4->gateway[0])
                                push_opt(w, IFU_O_GATEWAY, "%s", p4->gateway);
                }
        }
        if (p6->present) {
                if (p6->dhcp || p6->autoconf) {
                        want *w = push_want(n, IFU_INET6, p6->dhcp ? "dhcp" : "auto");
                        if (p6->dhcp && p6->autoconf)
                                push_opt(w, IFU_O_AUTOCONF, "1");
                        if (p6->n_ips == 0 && p6->gateway[0])
                                push_opt(w, IFU_O_GATEWAY, "%s", p6->gateway);
                }
                for (size_t k = 0; k < p6->n_ips; k++) {
                        want *w = push_want(n, IFU_INET6, "static");
                        push_addr(w, &p6->ips[k]);
                        if (k == 0 && p6->gateway[0])
                                push_opt(w, IFU_O_GATEWAY, "%s", p6->gateway);
                        if (p6->autoconf)
                                push_opt(w, IFU_O_AUTOCONF, "1");
                }
        }
}

static void child_names(kn_strbuf *b, const wnode *nodes, size_t n_nodes, const wnode *master) {
        for (size_t k = 0; k < n_nodes; k++)
                if (nodes[k].master == master) {
                        if (b->len)
                                kn_strbuf_putc(b, ' ');
                        kn_strbuf_puts(b, nodes[k].name);
                }
        if (!b->len)
                kn_strbuf_puts(b, "none");
}

static void want_link(want *w, const wnode *n, const wnode *nodes, size_t n_nodes) {
        const kn_iface *i = n->i;
        _cleanup_strbuf_ kn_strbuf ports = {0};
        if (i->mac[0])
                push_opt(w, IFU_O_HWADDRESS, "%s", i->mac);
        if (i->mtu)
                push_opt(w, IFU_O_MTU, "%u", i->mtu);
        switch (i->type) {
        case KN_IFACE_BRIDGE:
                child_names(&ports, nodes, n_nodes, n);
                push_opt(w, IFU_O_BRIDGE_PORTS, "%s", ports.s);
                if (i->stp)
                        push_opt(w, IFU_O_BRIDGE_STP, "%s", i->stp == KN_YES ? "on" : "off");
                if (i->delay >= 0)
                        push_opt(w, IFU_O_BRIDGE_FD, "%.15g", i->delay);
                break;
        case KN_IFACE_BOND:
                child_names(&ports, nodes, n_nodes, n);
                push_opt(w, IFU_O_BOND_SLAVES, "%s", ports.s);
                if (i->bond_mode)
                        push_opt(w, IFU_O_BOND_MODE, "%s", kn_bond_mode_to_string(i->bond_mode));
                if (i->bond_mode == KN_BOND_ACTIVE_BACKUP && i->n_children)
                        for (size_t k = 0; k < n_nodes; k++)
                                if (nodes[k].i == i->children[0]) {
                                        push_opt(w, IFU_O_BOND_PRIMARY, "%s", nodes[k].name);
                                        break;
                                }
                if (i->monitor == KN_MON_MIIMON) {
                        push_opt(w, IFU_O_BOND_MIIMON, "%u", i->miimon_freq);
                        if (i->miimon_downdelay >= 0)
                                push_opt(w, IFU_O_BOND_DOWNDELAY, "%ld", i->miimon_downdelay);
                        if (i->miimon_updelay >= 0)
                                push_opt(w, IFU_O_BOND_UPDELAY, "%ld", i->miimon_updelay);
                        if (i->miimon_carrier)
                                push_opt(w, IFU_O_BOND_USE_CARRIER, "%d",
                                         i->miimon_carrier == KN_CARRIER_NETIF);
                } else if (i->monitor == KN_MON_ARPMON) {
                        push_opt(w, IFU_O_BOND_ARP_INTERVAL, "%u", i->arpmon_interval);
                        if (i->arpmon_target[0])
                                push_opt(w, IFU_O_BOND_ARP_IP_TARGET, "%s", i->arpmon_target);
                        if (i->arpmon_validate)
                                push_opt(w, IFU_O_BOND_ARP_VALIDATE, "%s",
                                         kn_arp_validate_to_string(i->arpmon_validate));
                }
                break;
        case KN_IFACE_VLAN: {
                char parent[KN_IFNAME_MAX + 1];
                int tag;
                if (ifu_vlan_name(n->name, parent, &tag) == 2)
                        push_opt(w, IFU_O_VLAN_RAW_DEVICE, "%s", i->vlan_parent);
                break;
        }
        default: break;
        }
        if (n->master && n->master->i->type == KN_IFACE_BOND)
                push_opt(w, IFU_O_BOND_MASTER, "%s", n->master->name);
}

/* Does the method apply these link options?  (ifupdown 0.8's dhcp method
 * has no mtu, inet6 auto has neither mtu nor hwaddress; bridge and bond
 * options are hook scripts, run for any method.) */
static bool method_takes_link(const want *w, const kn_iface *i) {
        if (streq(w->method, "static") || streq(w->method, "manual"))
                return true;
        if (streq(w->method, "dhcp"))
                return !i->mtu;
        return !i->mtu && !i->mac[0];
}

static void want_node(wnode *n, const wnode *nodes, size_t n_nodes) {
        if (!n->master)
                want_protocols(n);
        if (n->n_w == 0 || !method_takes_link(&n->w[0], n->i)) {
                push_want(n, IFU_INET, "manual");
                memmove(n->w + 1, n->w, (n->n_w - 1) * sizeof *n->w);
                n->w[0] = (want){.family = IFU_INET, .method = "manual"};
        }
        /* link options after what the first stanza has (address, gateway) */
        want tmp = {0};
        want_link(&tmp, n, nodes, n_nodes);
        want *w = &n->w[0];
        w->opts = kn_xrealloc(w->opts, (w->n_opts + tmp.n_opts + 1) * sizeof *w->opts);
        if (tmp.n_opts)
                memcpy(w->opts + w->n_opts, tmp.opts, tmp.n_opts * sizeof *tmp.opts);
        w->n_opts += tmp.n_opts;
        free(tmp.opts);
}

/* --- the tree being defined ------------------------------------------- */

static int node_name(const kn_iface *i, char out[KN_IFNAME_MAX + 1], kn_error *err) {
        char parent[KN_IFNAME_MAX + 1];
        int tag;
        if (i->type != KN_IFACE_VLAN) {
                if (i->type == KN_IFACE_ETHERNET && ifu_vlan_name(i->name, parent, &tag) != 0)
                        return kn_error_set(err, EINVAL,
                                            "ethernet %s: ifupdown would take this name for a "
                                            "vlan (PARENT.ID or vlanID); name it otherwise",
                                            i->name);
                snprintf(out, KN_IFNAME_MAX + 1, "%s", i->name);
                return 0;
        }
        if (isempty(i->name)) {
                char buf[64];
                snprintf(buf, sizeof buf, "%s.%d", i->vlan_parent, i->vlan_tag);
                if (strlen(buf) > KN_IFNAME_MAX)
                        return kn_error_set(err, EINVAL,
                                            "vlan %d on %s: its ifupdown name %s is longer than "
                                            "%d characters; give it a name (vlan%d)",
                                            i->vlan_tag, i->vlan_parent, buf, KN_IFNAME_MAX,
                                            i->vlan_tag);
                memcpy(out, buf, strlen(buf) + 1);
                return 0;
        }
        int v = ifu_vlan_name(i->name, parent, &tag);
        if (v <= 0)
                return kn_error_set(err, EINVAL,
                                    "vlan %s: ifupdown takes a vlan's id from its name: name it "
                                    "%s.%d or vlan%d",
                                    i->name, i->vlan_parent, i->vlan_tag, i->vlan_tag);
        if (tag != i->vlan_tag || (v == 1 && !streq(parent, i->vlan_parent)))
                return kn_error_set(err, EINVAL,
                                    "vlan %s: the name says %s%s%d, the definition says parent "
                                    "%s, tag %d",
                                    i->name, v == 1 ? "parent " : "", v == 1 ? parent : "tag ",
                                    v == 1 ? tag : tag, i->vlan_parent, i->vlan_tag);
        snprintf(out, KN_IFNAME_MAX + 1, "%s", i->name);
        return 0;
}

static int collect(plan *p, const kn_iface *i, size_t master, kn_error *err) {
        wnode n = {.i = i, .master_idx = master};
        int r = node_name(i, n.name, err);
        if (r < 0)
                return r;
        if (streq(n.name, "lo"))
                return kn_error_set(err, EINVAL,
                                    "lo is the loopback interface; kvmnet leaves it alone");
        for (size_t k = 0; k < p->n_nodes; k++)
                if (streq(p->nodes[k].name, n.name))
                        return kn_error_set(err, EINVAL, "%s appears twice in the definition",
                                            n.name);
        n.e = ifu_index_get(&p->u->index, n.name);
        size_t self = p->n_nodes;
        p->nodes = kn_xrealloc(p->nodes, (p->n_nodes + 1) * sizeof *p->nodes);
        p->nodes[p->n_nodes++] = n;
        for (size_t k = 0; k < i->n_children; k++) {
                /* p->nodes moves as it grows: the master goes by index */
                r = collect(p, i->children[k], self, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool in_new(const plan *p, const char *name) {
        for (size_t k = 0; k < p->n_nodes; k++)
                if (streq(p->nodes[k].name, name))
                        return true;
        return false;
}

static bool in_removed(const plan *p, const char *name) {
        for (size_t k = 0; k < p->n_removed; k++)
                if (streq(p->removed[k], name))
                        return true;
        return false;
}

static int check_broken(const ifu_entry *e, kn_error *err) {
        const ifu_ref *b = ifu_entry_first(e, IFU_REF_BROKEN);
        if (!b)
                return 0;
        return kn_error_set(err, EIO, "cannot change %s: %s:%u: %s (fix that file first)", e->name,
                            b->file->shown, b->file->err_line, b->file->err);
}

/* The ports and slaves NAME has now (bridge_ports, bond-slaves, and slaves
 * naming it as bond-master), appended to *v. */
static void old_ports(const ifu_backend *u, const char *name, char ***v, size_t *n, size_t *alloc) {
        const ifu_entry *e = ifu_index_get(&u->index, name);
        if (!ifu_entry_first(e, IFU_REF_STANZA))
                return; /* no stanza, no ports: slaves naming it wait for a bond */
        for (size_t k = 0; e && k < e->n_refs; k++) {
                const ifu_ref *ref = &e->refs[k];
                if (ref->kind != IFU_REF_SLAVE && ref->kind != IFU_REF_STANZA)
                        continue; /* idx is a line, not a stanza */
                const ifu_stanza *s = &ref->file->stanzas[ref->idx];
                if (ref->kind == IFU_REF_SLAVE) {
                        GREEDY_REALLOC(*v, *alloc, *n + 1);
                        (*v)[(*n)++] = kn_xstrdup(s->name);
                }
                if (ref->kind != IFU_REF_STANZA)
                        continue;
                for (size_t i = s->first + 1; i < s->end; i++) {
                        const ifu_line *l = &ref->file->lines[i];
                        if (l->kind != IFU_OPTION || (!ifu_key_eq(l->words[0], "bridge-ports") &&
                                                      !ifu_key_eq(l->words[0], "bond-slaves")))
                                continue;
                        for (size_t w = 1; w < l->n_words; w++)
                                if (ifu_port_word(l->words[w])) {
                                        GREEDY_REALLOC(*v, *alloc, *n + 1);
                                        (*v)[(*n)++] = kn_xstrdup(l->words[w]);
                                }
                }
        }
}

/* Stanzas kvmnet may remove: not the loopback's, not a name it can't hold. */
static bool ifu_managed(const ifu_backend *u, const char *name) {
        const ifu_entry *e = ifu_index_get(&u->index, name);
        if (streq(name, "lo") || kn_ifname_validate(name, NULL) < 0)
                return false;
        for (size_t k = 0; e && k < e->n_refs; k++)
                if (e->refs[k].kind == IFU_REF_STANZA &&
                    streq_ptr(e->refs[k].file->stanzas[e->refs[k].idx].method, "loopback"))
                        return false;
        return true;
}

/* Names in the current trees under ROOTS that the new definition drops. */
static void find_removed(plan *p, char **roots, size_t n_roots) {
        char **queue = NULL;
        size_t n = 0, alloc = 0;
        for (size_t k = 0; k < n_roots; k++) {
                GREEDY_REALLOC(queue, alloc, n + 1);
                queue[n++] = kn_xstrdup(roots[k]);
        }
        for (size_t k = 0; k < n && k < 4096; k++) {
                size_t before = n;
                old_ports(p->u, queue[k], &queue, &n, &alloc);
                for (size_t j = before; j < n; j++) {
                        bool seen = false;
                        for (size_t i = 0; i < j && !seen; i++)
                                seen = streq(queue[i], queue[j]);
                        if (seen) {
                                free(queue[j]);
                                memmove(queue + j, queue + j + 1, (n - j - 1) * sizeof *queue);
                                n--, j--;
                        }
                }
        }
        for (size_t k = 0; k < n; k++)
                if (!in_new(p, queue[k]) && !in_removed(p, queue[k]) &&
                    ifu_managed(p->u, queue[k])) {
                        GREEDY_REALLOC(p->removed, p->alloc_removed, p->n_removed + 1);
                        p->removed[p->n_removed++] = TAKE_PTR(queue[k]);
                }
        kn_strv_free(queue, n);
}

/* Someone outside the change lists NAME as a port, or NAME names an
 * outside bond as master. */
static int check_claims(const plan *p, const char *name, const char *master, kn_error *err) {
        const ifu_entry *e = ifu_index_get(&p->u->index, name);
        for (size_t k = 0; e && k < e->n_refs; k++) {
                const ifu_ref *ref = &e->refs[k];
                if (ref->kind != IFU_REF_PORT_OF && ref->kind != IFU_REF_STANZA)
                        continue;
                const ifu_stanza *s = &ref->file->stanzas[ref->idx];
                const char *other = NULL;
                const ifu_line *l = &ref->file->lines[s->first];
                if (ref->kind == IFU_REF_PORT_OF)
                        other = s->name;
                else if (ref->kind == IFU_REF_STANZA)
                        other = ifu_stanza_option(ref->file, s, "bond-master", &l);
                if (!other || streq_ptr(other, master) || in_new(p, other) || in_removed(p, other))
                        continue;
                const ifu_entry *o = ifu_index_get(&p->u->index, other);
                if (!ifu_entry_first(o, IFU_REF_STANZA))
                        continue; /* names a master that isn't there */
                return kn_error_set(err, EBUSY,
                                    "%s is a port or slave of %s (%s:%u); redefine %s without "
                                    "it first",
                                    name, other, ref->file->shown, l->lineno, other);
        }
        return 0;
}

/* A stanza naming NAME as bond-master would make it a bond with that slave
 * (as ifenslave would): only if the definition says so. */
static int check_dangling_slaves(const plan *p, const char *name, kn_error *err) {
        const ifu_entry *e = ifu_index_get(&p->u->index, name);
        for (size_t k = 0; e && k < e->n_refs; k++) {
                const ifu_ref *ref = &e->refs[k];
                if (ref->kind != IFU_REF_SLAVE)
                        continue;
                const ifu_stanza *s = &ref->file->stanzas[ref->idx];
                if (in_new(p, s->name) || in_removed(p, s->name))
                        continue;
                return kn_error_set(err, EBUSY,
                                    "%s names %s as bond-master (%s:%u), which would make it "
                                    "a slave of %s; include it in the definition or remove "
                                    "that line first",
                                    s->name, name, ref->file->shown,
                                    ref->file->lines[s->first].lineno, name);
        }
        return 0;
}

/* --- edits ------------------------------------------------------------ */

static const char *indent_of(const ifu_line *l, size_t *n) {
        *n = strspn(l->raw, " \t");
        return l->raw;
}

static bool foreign_option(const ifu_stanza *s, const ifu_line *l) {
        return l->kind == IFU_OPTION && ifu_opt_lookup(l->words[0], s->family) < 0;
}

/* Remove a stanza.  keep_comments: its comment lines stay where they are
 * (the interface lives on in other stanzas); otherwise all of it goes. */
static void delete_stanza(edit *ed, const ifu_stanza *s, bool keep_comments) {
        const ifu_file *f = ed->f;
        bool kept = false;
        for (size_t i = s->first; i < s->end; i++) {
                bool keep = keep_comments && f->lines[i].kind != IFU_IFACE &&
                            f->lines[i].kind != IFU_OPTION;
                ed->del[i] = !keep;
                kept |= keep && f->lines[i].kind == IFU_COMMENT;
        }
        if (kept)
                return;
        /* one blank line around it goes too, so blanks don't pile up */
        if (s->first > 0 && f->lines[s->first - 1].kind == IFU_BLANK && !ed->del[s->first - 1])
                ed->del[s->first - 1] = true;
        else if (s->end < f->n_lines && f->lines[s->end].kind == IFU_BLANK)
                ed->del[s->end] = true;
        else
                for (size_t i = s->first; i < s->end; i++)
                        ed->del[i] = true; /* blank lines inside */
}

/* Same setting, spelled differently ("ether 52:54:00:AB:..." and
 * "52:54:00:ab:...", "yes" and "on", "1" and "active-backup"): the line
 * the user wrote stays. */
static bool same_value(ifu_opt o, const char *old, const char *new) {
        if (streq(old, new))
                return true;
        switch (o) {
        case IFU_O_HWADDRESS: {
                char a[KN_MAC_STRLEN + 1], b[KN_MAC_STRLEN + 1];
                if (strncmp(old, "ether", 5) == 0 && (old[5] == ' ' || old[5] == '\t'))
                        old += 5 + strspn(old + 5, " \t");
                return kn_mac_parse(old, a) >= 0 && kn_mac_parse(new, b) >= 0 && streq(a, b);
        }
        case IFU_O_ADDRESS:
        case IFU_O_GATEWAY: {
                char a[46], b[46];
                const char *sa = strchr(old, '/'), *sb = strchr(new, '/');
                _cleanup_free_ char *ha = kn_xstrndup(old, sa ? (size_t)(sa - old) : strlen(old));
                _cleanup_free_ char *hb = kn_xstrndup(new, sb ? (size_t)(sb - new) : strlen(new));
                int fa = strchr(ha, ':') ? AF_INET6 : AF_INET,
                    fb = strchr(hb, ':') ? AF_INET6 : AF_INET;
                return fa == fb && kn_ip_canonical(fa, ha, a) >= 0 &&
                       kn_ip_canonical(fb, hb, b) >= 0 && streq(a, b) && streq_ptr(sa, sb);
        }
        case IFU_O_BRIDGE_STP: {
                bool a = streq(old, "on") || streq(old, "yes"), b = streq(new, "on");
                return a == b;
        }
        case IFU_O_BOND_MODE: return ifu_bond_mode_parse(old) == ifu_bond_mode_parse(new);
        case IFU_O_BOND_ARP_VALIDATE:
                return ifu_arp_validate_parse(old) == ifu_arp_validate_parse(new);
        default: return false;
        }
}

static void edit_in_place(plan *p, const char *name, want *w) {
        ifu_file *f = w->f;
        const ifu_stanza *s = w->s;
        edit *ed = edit_for(p, f, NULL);
        const ifu_line *hdr = &f->lines[s->first];
        if (!streq_ptr(s->method, w->method)) {
                kn_strbuf b = {0};
                kn_strbuf_putn(&b, hdr->raw, strspn(hdr->raw, " \t"));
                kn_strbuf_printf(&b, "iface %s %s %s", name, ifu_family_to_string(w->family),
                                 w->method);
                for (size_t k = 4; k < hdr->n_words; k++)
                        kn_strbuf_printf(&b, " %s", hdr->words[k]);
                kn_strbuf_putc(&b, '\n');
                ed->repl[s->first] = kn_strbuf_steal(&b);
        }
        /* "address A" with "netmask M" that already says the wanted A/P:
         * both lines stay as the user wrote them. */
        const ifu_line *netmask = NULL, *addr = NULL;
        ifu_stanza_option(f, s, "netmask", &netmask);
        ifu_stanza_option(f, s, "address", &addr);
        bool keep_netmask = false;
        if (netmask && addr && !strchr(addr->value, '/'))
                for (size_t j = 0; j < w->n_opts; j++)
                        if (w->opts[j].o == IFU_O_ADDRESS) {
                                int prefix = ifu_netmask_prefix(
                                        w->family == IFU_INET ? AF_INET : AF_INET6, netmask->value);
                                _cleanup_free_ char *eff =
                                        kn_xasprintf("%s/%d", addr->value, prefix);
                                keep_netmask = prefix >= 0 &&
                                               same_value(IFU_O_ADDRESS, eff, w->opts[j].value);
                                break;
                        }
        bool used[_IFU_O_MAX * 2] = {0};
        if (w->n_opts > ELEMENTSOF(used))
                abort(); /* want_node never makes that many */
        size_t last_owned = 0, ind_n = 4;
        const char *ind = "        ";
        bool have_ind = false;
        for (size_t i = s->first + 1; i < s->end; i++) {
                const ifu_line *l = &f->lines[i];
                if (l->kind != IFU_OPTION)
                        continue;
                if (!have_ind) {
                        ind = indent_of(l, &ind_n);
                        have_ind = true;
                }
                int o = ifu_opt_lookup(l->words[0], s->family);
                if (o < 0 || (keep_netmask && l == netmask))
                        continue;
                size_t j = 0;
                while (j < w->n_opts && (used[j] || w->opts[j].o != (ifu_opt)o))
                        j++;
                if (j == w->n_opts) {
                        ed->del[i] = true;
                        continue;
                }
                used[j] = true;
                last_owned = i;
                if (!(keep_netmask && l == addr) &&
                    !same_value((ifu_opt)o, l->value, w->opts[j].value)) {
                        size_t n;
                        const char *li = indent_of(l, &n);
                        ed->repl[i] = kn_xasprintf("%.*s%s %s\n", (int)n, li, l->words[0],
                                                   w->opts[j].value);
                }
        }
        kn_strbuf add = {0};
        for (size_t j = 0; j < w->n_opts; j++)
                if (!used[j])
                        kn_strbuf_printf(&add, "%.*s%s %s\n", (int)ind_n, ind,
                                         ifu_opt_key(w->opts[j].o), w->opts[j].value);
        if (add.len)
                add_ins(p, ed, last_owned ? last_owned + 1 : s->first + 1, 0, kn_strbuf_steal(&add),
                        NULL, NULL);
}

/* Where a new stanza of node n goes: after its previous wanted stanza. */
static void place_after(plan *p, const want *prev, edit **ed, size_t *gap, int *prio) {
        if (prev->s) {
                *ed = edit_for(p, prev->f, NULL);
                *gap = prev->s->end;
        } else {
                *ed = prev->ed;
                *gap = prev->gap;
        }
        *prio = 1;
}

static const char *target_file(plan *p, const char *name, char **buf) {
        *buf = kn_xasprintf("etc/network/interfaces.d/%s", name);
        if (ifu_path_sourced(p->u, *buf))
                return *buf;
        return IFU_MAIN;
}

static int start_keyword(kn_start_mode m, const char **kw) {
        *kw = m == KN_START_ONBOOT ? "auto" : m == KN_START_HOTPLUG ? "allow-hotplug" : NULL;
        return 0;
}

static kn_start_mode mention_mode(const char *kw) {
        if (streq(kw, "auto") || streq(kw, "allow-auto"))
                return KN_START_ONBOOT;
        if (streq(kw, "allow-hotplug"))
                return KN_START_HOTPLUG;
        return KN_START_UNSET; /* allow-CLASS: not a start mode, kept */
}

/* a's existing stanza comes before b's in reading order */
static bool before(const want *a, const want *b) {
        if (a->f != b->f)
                return a->f->order < b->f->order;
        return a->s->first < b->s->first;
}

static int plan_node(plan *p, wnode *n, kn_error *err) {
        ifu_entry *e = n->e;
        /* existing stanzas, reading order */
        size_t n_e = ifu_entry_count(e, IFU_REF_STANZA);
        const ifu_ref **ex = kn_xcalloc(n_e + 1, sizeof *ex);
        bool *taken = kn_xcalloc(n_e + 1, sizeof *taken);
        for (size_t k = 0, j = 0; e && k < e->n_refs; k++)
                if (e->refs[k].kind == IFU_REF_STANZA)
                        ex[j++] = &e->refs[k];
        for (int pass = 0; pass < 2; pass++)
                for (size_t j = 0; j < n->n_w; j++) {
                        want *w = &n->w[j];
                        for (size_t k = 0; k < n_e && !w->s; k++) {
                                const ifu_stanza *s = &ex[k]->file->stanzas[ex[k]->idx];
                                if (taken[k] || s->family != w->family ||
                                    (pass == 0 && !streq_ptr(s->method, w->method)))
                                        continue;
                                taken[k] = true;
                                w->f = ex[k]->file;
                                w->s = s;
                        }
                }

        /* Addresses are read back in file order: the static stanzas taken
         * over must follow the wanted order, whatever matched what. */
        for (int fam = 0; fam < _IFU_FAMILY_MAX; fam++) {
                want *ws[64];
                size_t m = 0;
                for (size_t j = 0; j < n->n_w && m < ELEMENTSOF(ws); j++)
                        if (n->w[j].s && n->w[j].family == (ifu_family)fam &&
                            streq(n->w[j].method, "static"))
                                ws[m++] = &n->w[j];
                /* insertion sort of their stanzas by reading order */
                for (size_t a = 1; a < m; a++)
                        for (size_t b = a; b > 0 && before(ws[b], ws[b - 1]); b--) {
                                ifu_file *tf = ws[b]->f;
                                const ifu_stanza *ts = ws[b]->s;
                                ws[b]->f = ws[b - 1]->f;
                                ws[b]->s = ws[b - 1]->s;
                                ws[b - 1]->f = tf;
                                ws[b - 1]->s = ts;
                        }
        }

        for (size_t j = 0; j < n->n_w; j++)
                if (n->w[j].s)
                        edit_in_place(p, n->name, &n->w[j]);

        /* The first of the kept stanzas in reading order */
        const want *earliest = NULL;
        for (size_t j = 0; j < n->n_w; j++)
                if (n->w[j].s && (!earliest || before(&n->w[j], earliest)))
                        earliest = &n->w[j];

        /* Start mode: keep one fitting mention, drop the others. */
        const char *kw;
        start_keyword(n->master ? KN_START_UNSET : n->i->start, &kw);
        bool have_mention = false;
        for (size_t k = 0; e && k < e->n_refs; k++) {
                const ifu_ref *ref = &e->refs[k];
                if (ref->kind != IFU_REF_START)
                        continue;
                kn_start_mode m = mention_mode(ref->file->lines[ref->idx].words[0]);
                if (m == KN_START_UNSET)
                        continue;
                if (kw && !have_mention && m == mention_mode(kw)) {
                        have_mention = true;
                        continue;
                }
                add_drop(edit_for(p, ref->file, NULL), ref->idx, n->name);
        }
        if (kw && !have_mention) {
                if (n->w[0].s)
                        add_ins(p, edit_for(p, earliest->f, NULL), earliest->s->first, 2,
                                kn_xasprintf("%s %s\n", kw, n->name), NULL, NULL);
                else
                        n->w[0].mention = kw;
        }

        /* New stanzas */
        for (size_t j = 0; j < n->n_w; j++) {
                want *w = &n->w[j];
                if (w->s)
                        continue;
                int prio;
                if (j > 0)
                        place_after(p, &n->w[j - 1], &w->ed, &w->gap, &prio);
                else if (earliest) {
                        w->ed = edit_for(p, earliest->f, NULL);
                        w->gap = earliest->s->first;
                        prio = 2;
                } else if (n->master) {
                        const wnode *m = n->master;
                        place_after(p, &m->w[m->n_w - 1], &w->ed, &w->gap, &prio);
                        /* after the master's earlier new ports too */
                } else {
                        _cleanup_free_ char *buf = NULL;
                        const char *path = target_file(p, n->name, &buf);
                        ifu_file *f = ifu_find_file(p->u, path);
                        if (f && ifu_file_broken(f)) {
                                free(ex);
                                free(taken);
                                return kn_error_set(err, EIO,
                                                    "cannot add %s to %s: line %u: %s (fix that "
                                                    "file first)",
                                                    n->name, f->shown, f->err_line, f->err);
                        }
                        w->ed = edit_for(p, f, path);
                        w->gap = n_lines(w->ed);
                        prio = 1;
                }
                add_ins(p, w->ed, w->gap, prio, NULL, w, n->name);
        }

        /* Existing stanzas no longer wanted go; their foreign options move
         * to a kept stanza of the same family (comments stay in place).  If
         * the family has none left, the first such stanza stays as "manual"
         * to hold them (an inet6 option in an inet stanza would be dead). */
        want keeper[_IFU_FAMILY_MAX] = {0};
        for (size_t k = 0; k < n_e; k++) {
                if (taken[k])
                        continue;
                ifu_file *f = ex[k]->file;
                const ifu_stanza *s = &f->stanzas[ex[k]->idx];
                want *to = NULL;
                for (size_t j = 0; j < n->n_w && !to; j++)
                        if (n->w[j].s && n->w[j].family == s->family)
                                to = &n->w[j];
                if (!to && keeper[s->family].s)
                        to = &keeper[s->family];
                kn_strbuf moved = {0};
                for (size_t i = s->first + 1; i < s->end; i++)
                        if (foreign_option(s, &f->lines[i]))
                                kn_strbuf_putn(&moved, f->lines[i].raw, f->lines[i].raw_len);
                if (moved.len && moved.s[moved.len - 1] != '\n')
                        kn_strbuf_putc(&moved, '\n');
                if (!to && moved.len) {
                        keeper[s->family] =
                                (want){.family = s->family, .method = "manual", .f = f, .s = s};
                        edit_in_place(p, n->name, &keeper[s->family]);
                        kn_strbuf_done(&moved);
                        continue;
                }
                delete_stanza(edit_for(p, f, NULL), s, true);
                if (!moved.len)
                        continue;
                add_ins(p, edit_for(p, to->f, NULL), to->s->end, 0, kn_strbuf_steal(&moved), NULL,
                        NULL);
        }
        free(ex);
        free(taken);
        return 0;
}

/* Remove every stanza and mention of NAME. */
static void plan_remove(plan *p, const char *name) {
        const ifu_entry *e = ifu_index_get(&p->u->index, name);
        for (size_t k = 0; e && k < e->n_refs; k++) {
                const ifu_ref *ref = &e->refs[k];
                if (ref->kind == IFU_REF_STANZA)
                        delete_stanza(edit_for(p, ref->file, NULL), &ref->file->stanzas[ref->idx],
                                      false);
                else if (ref->kind == IFU_REF_START)
                        add_drop(edit_for(p, ref->file, NULL), ref->idx, e->name);
        }
}

/* --- rendering -------------------------------------------------------- */

static int cmp_ins(const void *a, const void *b) {
        const ins *x = a, *y = b;
        if (x->gap != y->gap)
                return x->gap < y->gap ? -1 : 1;
        if (x->prio != y->prio)
                return x->prio - y->prio;
        return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void ensure_nl(kn_strbuf *b) {
        if (b->len && b->s[b->len - 1] != '\n')
                kn_strbuf_putc(b, '\n');
}

static bool ends_blank(const kn_strbuf *b) {
        return b->len == 0 || (b->len >= 2 && b->s[b->len - 1] == '\n' && b->s[b->len - 2] == '\n');
}

static void render_want(kn_strbuf *b, const char *name, const want *w) {
        if (w->mention)
                kn_strbuf_printf(b, "%s %s\n", w->mention, name);
        kn_strbuf_printf(b, "iface %s %s %s\n", name, ifu_family_to_string(w->family), w->method);
        for (size_t k = 0; k < w->n_opts; k++)
                kn_strbuf_printf(b, "    %s %s\n", ifu_opt_key(w->opts[k].o), w->opts[k].value);
}

static void render_start_line(kn_strbuf *b, const edit *ed, size_t i) {
        const ifu_line *l = &ed->f->lines[i];
        bool any = false;
        for (size_t k = 0; k < ed->n_drops && !any; k++)
                any = ed->drops[k].line == i;
        if (!any) {
                kn_strbuf_putn(b, l->raw, l->raw_len);
                return;
        }
        kn_strbuf line = {0};
        size_t kept = 0;
        kn_strbuf_putn(&line, l->raw, strspn(l->raw, " \t"));
        kn_strbuf_puts(&line, l->words[0]);
        for (size_t w = 1; w < l->n_words; w++) {
                bool dropped = false;
                for (size_t k = 0; k < ed->n_drops && !dropped; k++)
                        dropped = ed->drops[k].line == i && streq(ed->drops[k].name, l->words[w]);
                if (!dropped) {
                        kn_strbuf_printf(&line, " %s", l->words[w]);
                        kept++;
                }
        }
        if (kept) {
                kn_strbuf_putc(&line, '\n');
                kn_strbuf_putn(b, line.s, line.len);
        }
        kn_strbuf_done(&line);
}

static char *render(edit *ed) {
        kn_strbuf b = {0};
        size_t n = n_lines(ed);
        if (ed->n_ins > 1)
                qsort(ed->ins, ed->n_ins, sizeof *ed->ins, cmp_ins);
        size_t k = 0;
        for (size_t g = 0; g <= n; g++) {
                for (; k < ed->n_ins && ed->ins[k].gap == g; k++) {
                        const ins *in = &ed->ins[k];
                        ensure_nl(&b);
                        if (in->text) {
                                kn_strbuf_puts(&b, in->text);
                                continue;
                        }
                        if (in->prio != 2 && !ends_blank(&b))
                                kn_strbuf_putc(&b, '\n');
                        render_want(&b, in->name, in->w);
                        if (in->prio == 2 && g < n && ed->f->lines[g].kind != IFU_BLANK)
                                kn_strbuf_putc(&b, '\n');
                }
                if (g == n)
                        break;
                if (ed->del[g])
                        continue;
                if (ed->repl[g] || b.len)
                        ensure_nl(&b);
                if (ed->repl[g])
                        kn_strbuf_puts(&b, ed->repl[g]);
                else if (ed->f->lines[g].kind == IFU_START)
                        render_start_line(&b, ed, g);
                else
                        kn_strbuf_putn(&b, ed->f->lines[g].raw, ed->f->lines[g].raw_len);
        }
        return kn_strbuf_steal(&b);
}

/* --- writing ---------------------------------------------------------- */

typedef struct change {
        edit *ed;
        char *text; /* NULL: remove the file */
        size_t len;
        bool written;
} change;

static bool blank_text(const char *s) {
        return s[strspn(s, " \t\r\n")] == '\0';
}

static void apply_state(ifu_backend *u, change *c) {
        ifu_file *old = c->ed->f;
        ifu_file *nf = NULL;
        if (c->text) {
                _cleanup_free_ char *shown = kn_root_display(u->base.root, c->ed->path);
                nf = ifu_file_parse(c->ed->path, shown, kn_xstrdup(c->text), c->len);
                nf->order = old ? old->order : u->next_order++;
        }
        if (old) {
                ifu_index_remove_file(&u->index, old);
                ifu_file_map_del(&u->by_path, old->path);
                size_t k = 0;
                while (u->files[k] != old)
                        k++;
                if (nf)
                        u->files[k] = nf;
                else {
                        memmove(u->files + k, u->files + k + 1,
                                (u->n_files - k - 1) * sizeof *u->files);
                        u->n_files--;
                }
                ifu_file_free(old);
                c->ed->f = NULL; /* the plan must not look at it any more */
        } else if (nf) {
                GREEDY_REALLOC(u->files, u->alloc_files, u->n_files + 1);
                u->files[u->n_files++] = nf;
        }
        if (nf) {
                ifu_file_map_put(&u->by_path, nf);
                ifu_index_add_file(&u->index, nf);
        }
}

static int commit(plan *p, kn_error *err) {
        ifu_backend *u = p->u;
        const kn_root *root = u->base.root;
        change *ch = kn_xcalloc(p->n_edits + 1, sizeof *ch);
        size_t n = 0;
        int r = 0;
        /* existing files first, new ones last: a failure is most likely
         * creating a file, and then there is less to restore */
        for (int pass = 0; pass < 2; pass++)
                for (size_t k = 0; k < p->n_edits; k++) {
                        edit *ed = p->edits[k];
                        if ((pass == 0) != (ed->f != NULL))
                                continue;
                        char *text = render(ed);
                        size_t len = strlen(text);
                        if (ed->f && len == ed->f->len && memcmp(text, ed->f->text, len) == 0) {
                                free(text);
                                continue;
                        }
                        if (!streq(ed->path, IFU_MAIN) && blank_text(text)) {
                                free(text);
                                text = NULL;
                                len = 0;
                                if (!ed->f)
                                        continue;
                        }
                        ch[n++] = (change){ed, text, len, false};
                }

        /* Someone changed the files since they were read: don't clobber. */
        for (size_t k = 0; k < n && r >= 0; k++) {
                edit *ed = ch[k].ed;
                _cleanup_free_ char *shown = kn_root_display(root, ed->path);
                char *now = NULL;
                size_t len = 0;
                int q = kn_root_read_file(root, ed->path, &now, &len);
                bool same =
                        ed->f ? q >= 0 && len == ed->f->len && memcmp(now, ed->f->text, len) == 0
                              : q == -ENOENT;
                free(now);
                if (!same)
                        r = kn_error_set(err, ESTALE,
                                         "%s changed since it was read; reload and try again",
                                         shown);
        }

        for (size_t k = 0; k < n && r >= 0; k++) {
                change *c = &ch[k];
                r = c->text ? kn_root_write_atomic(root, c->ed->path, c->text, c->len, 0, err)
                            : kn_root_unlink(root, c->ed->path, err);
                c->written = r >= 0;
        }
        if (r < 0) {
                /* Put back what was already written. */
                for (size_t k = n; k-- > 0;) {
                        change *c = &ch[k];
                        if (!c->written)
                                continue;
                        int q = c->ed->f ? kn_root_write_atomic(root, c->ed->path, c->ed->f->text,
                                                                c->ed->f->len, 0, NULL)
                                         : kn_root_unlink(root, c->ed->path, NULL);
                        if (q < 0)
                                kn_error_prefix(err, "could not restore %s either (%s)",
                                                c->ed->path, strerror(-q));
                }
        } else
                for (size_t k = 0; k < n; k++)
                        apply_state(u, &ch[k]);
        for (size_t k = 0; k < n; k++)
                free(ch[k].text);
        free(ch);
        return r;
}

/* --- entry points ----------------------------------------------------- */

int ifu_define(ifu_backend *u, const kn_iface *iface, kn_error *err) {
        _cleanup_(plan_done) plan p = {.u = u};
        int r = collect(&p, iface, SIZE_MAX, err);
        if (r < 0)
                return r;
        for (size_t k = 0; k < p.n_nodes; k++) {
                wnode *n = &p.nodes[k];
                if (n->master_idx != SIZE_MAX)
                        n->master = &p.nodes[n->master_idx];
                if (n->e && (r = check_broken(n->e, err)) < 0)
                        return r;
        }
        char **roots = kn_xcalloc(p.n_nodes + 1, sizeof *roots);
        for (size_t k = 0; k < p.n_nodes; k++)
                roots[k] = p.nodes[k].name;
        find_removed(&p, roots, p.n_nodes);
        free(roots);
        for (size_t k = 0; k < p.n_removed; k++) {
                const ifu_entry *e = ifu_index_get(&u->index, p.removed[k]);
                if ((r = check_broken(e, err)) < 0)
                        return r;
        }
        for (size_t k = 0; k < p.n_nodes; k++) {
                const wnode *n = &p.nodes[k];
                r = check_claims(&p, n->name, n->master ? n->master->name : NULL, err);
                if (r >= 0)
                        r = check_dangling_slaves(&p, n->name, err);
                if (r < 0)
                        return r;
        }
        for (size_t k = 0; k < p.n_nodes; k++)
                want_node(&p.nodes[k], p.nodes, p.n_nodes);
        for (size_t k = 0; k < p.n_nodes; k++)
                if ((r = plan_node(&p, &p.nodes[k], err)) < 0)
                        return r;
        for (size_t k = 0; k < p.n_removed; k++)
                plan_remove(&p, p.removed[k]);
        return commit(&p, err);
}

int ifu_undefine(ifu_backend *u, const char *name, kn_error *err) {
        _cleanup_(plan_done) plan p = {.u = u};
        const ifu_entry *e = ifu_index_get(&u->index, name);
        int r;
        if (e && (r = check_broken(e, err)) < 0)
                return r;
        if (!ifu_entry_first(e, IFU_REF_STANZA))
                return kn_error_set(err, ENOENT, "no interface %s in the ifupdown files", name);
        for (size_t k = 0; k < e->n_refs; k++) {
                const ifu_ref *ref = &e->refs[k];
                if (streq(name, "lo") ||
                    (ref->kind == IFU_REF_STANZA &&
                     streq_ptr(ref->file->stanzas[ref->idx].method, "loopback")))
                        return kn_error_set(err, EPERM,
                                            "%s is the loopback interface; kvmnet leaves it "
                                            "alone",
                                            name);
        }
        r = check_claims(&p, name, NULL, err);
        if (r < 0)
                return r;
        char *roots[] = {(char *)name};
        find_removed(&p, roots, 1);
        for (size_t k = 0; k < p.n_removed; k++) {
                const ifu_entry *x = ifu_index_get(&u->index, p.removed[k]);
                if ((r = check_broken(x, err)) < 0)
                        return r;
        }
        for (size_t k = 0; k < p.n_removed; k++)
                plan_remove(&p, p.removed[k]);
        return commit(&p, err);
}
