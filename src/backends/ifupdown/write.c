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

#include <stdint.h>

#include "fileset.h"
#include "write.h"

static void plan_done(plan *p) {
        for (size_t k = 0; k < p->n_edits; k++)
                kn_ifupdown_edit_free(p->edits[k]);
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

static int collect(plan *p, const kn_iface *i, size_t master, kn_error *err) {
        wnode n = {.i = i, .master_idx = master};
        int r = kn_ifupdown_node_name(i, n.name, err);
        if (r < 0)
                return r;
        if (streq(n.name, "lo"))
                return kn_error_set(err, EINVAL,
                                    "lo is the loopback interface; kvmnet leaves it alone");
        for (size_t k = 0; k < p->n_nodes; k++)
                if (streq(p->nodes[k].name, n.name))
                        return kn_error_set(err, EINVAL, "%s appears twice in the definition",
                                            n.name);
        n.e = kn_ifupdown_index_get(&p->u->index, n.name);
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

static int check_broken(const kn_ifupdown_entry *e, kn_error *err) {
        const kn_ifupdown_ref *b = kn_ifupdown_entry_first(e, IFU_REF_BROKEN);
        if (!b)
                return 0;
        return kn_error_set(err, EIO, "cannot change %s: %s:%u: %s (fix that file first)", e->name,
                            b->file->shown, b->file->err_line, b->file->err);
}

/* The ports and slaves NAME has now (bridge_ports, bond-slaves, and slaves
 * naming it as bond-master), appended to *v. */
static void old_ports(const kn_ifupdown_backend *u, const char *name, char ***v, size_t *n,
                      size_t *alloc) {
        const kn_ifupdown_entry *e = kn_ifupdown_index_get(&u->index, name);
        if (!kn_ifupdown_entry_first(e, IFU_REF_STANZA))
                return; /* no stanza, no ports: slaves naming it wait for a bond */
        for (size_t k = 0; e && k < e->n_refs; k++) {
                const kn_ifupdown_ref *ref = &e->refs[k];
                if (ref->kind != IFU_REF_SLAVE && ref->kind != IFU_REF_STANZA)
                        continue; /* idx is a line, not a stanza */
                const kn_ifupdown_stanza *s = &ref->file->stanzas[ref->idx];
                if (ref->kind == IFU_REF_SLAVE) {
                        GREEDY_REALLOC(*v, *alloc, *n + 1);
                        (*v)[(*n)++] = kn_xstrdup(s->name);
                }
                if (ref->kind != IFU_REF_STANZA)
                        continue;
                for (size_t i = s->first + 1; i < s->end; i++) {
                        const kn_ifupdown_line *l = &ref->file->lines[i];
                        if (l->kind != IFU_OPTION ||
                            (!kn_ifupdown_key_eq(l->words[0], "bridge-ports") &&
                             !kn_ifupdown_key_eq(l->words[0], "bond-slaves")))
                                continue;
                        for (size_t w = 1; w < l->n_words; w++)
                                if (kn_ifupdown_port_word(l->words[w])) {
                                        GREEDY_REALLOC(*v, *alloc, *n + 1);
                                        (*v)[(*n)++] = kn_xstrdup(l->words[w]);
                                }
                }
        }
}

/* Stanzas kvmnet may remove: not the loopback's, not a name it can't hold. */
static bool kn_ifupdown_managed(const kn_ifupdown_backend *u, const char *name) {
        const kn_ifupdown_entry *e = kn_ifupdown_index_get(&u->index, name);
        if (streq(name, "lo") || kn_ifname_validate(name, NULL, NULL) < 0)
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
                    kn_ifupdown_managed(p->u, queue[k])) {
                        GREEDY_REALLOC(p->removed, p->alloc_removed, p->n_removed + 1);
                        p->removed[p->n_removed++] = TAKE_PTR(queue[k]);
                }
        kn_strv_free(queue, n);
}

/* Someone outside the change lists NAME as a port, or NAME names an
 * outside bond as master. */
static int check_claims(const plan *p, const char *name, const char *master, kn_error *err) {
        const kn_ifupdown_entry *e = kn_ifupdown_index_get(&p->u->index, name);
        for (size_t k = 0; e && k < e->n_refs; k++) {
                const kn_ifupdown_ref *ref = &e->refs[k];
                if (ref->kind != IFU_REF_PORT_OF && ref->kind != IFU_REF_STANZA)
                        continue;
                const kn_ifupdown_stanza *s = &ref->file->stanzas[ref->idx];
                const char *other = NULL;
                const kn_ifupdown_line *l = &ref->file->lines[s->first];
                if (ref->kind == IFU_REF_PORT_OF)
                        other = s->name;
                else if (ref->kind == IFU_REF_STANZA)
                        other = kn_ifupdown_stanza_option(ref->file, s, "bond-master", &l);
                if (!other || streq_ptr(other, master) || in_new(p, other) || in_removed(p, other))
                        continue;
                const kn_ifupdown_entry *o = kn_ifupdown_index_get(&p->u->index, other);
                if (!kn_ifupdown_entry_first(o, IFU_REF_STANZA))
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
        const kn_ifupdown_entry *e = kn_ifupdown_index_get(&p->u->index, name);
        for (size_t k = 0; e && k < e->n_refs; k++) {
                const kn_ifupdown_ref *ref = &e->refs[k];
                if (ref->kind != IFU_REF_SLAVE)
                        continue;
                const kn_ifupdown_stanza *s = &ref->file->stanzas[ref->idx];
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

/* Where a new stanza of node n goes: after its previous wanted stanza. */
static void place_after(plan *p, const want *prev, edit **ed, size_t *gap, int *prio) {
        if (prev->s) {
                *ed = kn_ifupdown_edit_for(p, prev->f, NULL);
                *gap = prev->s->end;
        } else {
                *ed = prev->ed;
                *gap = prev->gap;
                *prio = prev->prio;
                return;
        }
        *prio = 1;
}

/* Where a new bond's stanzas go when it is a bridge's port: before the
 * bridge's.  `ifup -a` brings interfaces up in the order of their `auto`
 * lines, and bridge-utils adds only ports that exist by then (it creates a
 * VLAN port itself, a bond never). */
static void place_before(plan *p, const wnode *m, edit **ed, size_t *gap, int *prio) {
        const want *master = &m->w[0];
        if (master->s) {
                *ed = kn_ifupdown_edit_for(p, master->f, NULL);
                *gap = master->s->first;
                /* before the bridge's own `auto` line in that file too */
                for (size_t k = 0; m->e && k < m->e->n_refs; k++)
                        if (m->e->refs[k].kind == IFU_REF_START &&
                            m->e->refs[k].file == master->f && m->e->refs[k].idx < *gap)
                                *gap = m->e->refs[k].idx;
        } else {
                *ed = master->ed;
                *gap = master->gap;
        }
        *prio = 0;
}

static const char *target_file(plan *p, const char *name, char **buf) {
        *buf = kn_xasprintf("etc/network/interfaces.d/%s", name);
        if (kn_ifupdown_path_sourced(p->u, *buf))
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
        kn_ifupdown_entry *e = n->e;
        /* existing stanzas, reading order */
        size_t n_e = kn_ifupdown_entry_count(e, IFU_REF_STANZA);
        const kn_ifupdown_ref **ex = kn_xcalloc(n_e + 1, sizeof *ex);
        bool *taken = kn_xcalloc(n_e + 1, sizeof *taken);
        for (size_t k = 0, j = 0; e && k < e->n_refs; k++)
                if (e->refs[k].kind == IFU_REF_STANZA)
                        ex[j++] = &e->refs[k];
        for (int pass = 0; pass < 2; pass++)
                for (size_t j = 0; j < n->n_w; j++) {
                        want *w = &n->w[j];
                        for (size_t k = 0; k < n_e && !w->s; k++) {
                                const kn_ifupdown_stanza *s = &ex[k]->file->stanzas[ex[k]->idx];
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
                        if (n->w[j].s && n->w[j].family == (kn_ifupdown_family) fam &&
                            streq(n->w[j].method, "static"))
                                ws[m++] = &n->w[j];
                /* insertion sort of their stanzas by reading order */
                for (size_t a = 1; a < m; a++)
                        for (size_t b = a; b > 0 && before(ws[b], ws[b - 1]); b--) {
                                kn_ifupdown_file *tf = ws[b]->f;
                                const kn_ifupdown_stanza *ts = ws[b]->s;
                                ws[b]->f = ws[b - 1]->f;
                                ws[b]->s = ws[b - 1]->s;
                                ws[b - 1]->f = tf;
                                ws[b - 1]->s = ts;
                        }
        }

        for (size_t j = 0; j < n->n_w; j++)
                if (n->w[j].s)
                        kn_ifupdown_edit_in_place(p, n->name, &n->w[j]);

        /* The first of the kept stanzas in reading order */
        const want *earliest = NULL;
        for (size_t j = 0; j < n->n_w; j++)
                if (n->w[j].s && (!earliest || before(&n->w[j], earliest)))
                        earliest = &n->w[j];

        /* Start mode: keep one fitting mention, drop the others. */
        /* A bridge's ports start with it: `ifup -a` runs only what is
         * auto, and bridge-utils adds a port without its hwaddress or mtu. */
        const wnode *top = n;
        while (top->master)
                top = top->master;
        bool port = n->master && n->master->i->type == KN_IFACE_BRIDGE;
        const char *kw;
        start_keyword(!n->master || port ? top->i->start : KN_START_UNSET, &kw);
        bool have_mention = false;
        for (size_t k = 0; e && k < e->n_refs; k++) {
                const kn_ifupdown_ref *ref = &e->refs[k];
                if (ref->kind != IFU_REF_START)
                        continue;
                kn_start_mode m = mention_mode(ref->file->lines[ref->idx].words[0]);
                if (m == KN_START_UNSET)
                        continue;
                if (kw && !have_mention && m == mention_mode(kw)) {
                        have_mention = true;
                        continue;
                }
                kn_ifupdown_add_drop(kn_ifupdown_edit_for(p, ref->file, NULL), ref->idx, n->name);
        }
        if (kw && !have_mention) {
                if (n->w[0].s)
                        kn_ifupdown_add_ins(p, kn_ifupdown_edit_for(p, earliest->f, NULL),
                                            earliest->s->first, 2,
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
                        w->ed = kn_ifupdown_edit_for(p, earliest->f, NULL);
                        w->gap = earliest->s->first;
                        prio = 2;
                } else if (port && n->i->type == KN_IFACE_BOND) {
                        place_before(p, n->master, &w->ed, &w->gap, &prio);
                } else if (n->master) {
                        const wnode *m = n->master;
                        place_after(p, &m->w[m->n_w - 1], &w->ed, &w->gap, &prio);
                        /* after the master's earlier new ports too */
                } else {
                        _cleanup_free_ char *buf = NULL;
                        const char *path = target_file(p, n->name, &buf);
                        kn_ifupdown_file *f = kn_ifupdown_find_file(p->u, path);
                        if (f && kn_ifupdown_file_broken(f)) {
                                free(ex);
                                free(taken);
                                return kn_error_set(err, EIO,
                                                    "cannot add %s to %s: line %u: %s (fix that "
                                                    "file first)",
                                                    n->name, f->shown, f->err_line, f->err);
                        }
                        w->ed = kn_ifupdown_edit_for(p, f, path);
                        w->gap = kn_ifupdown_n_lines(w->ed);
                        prio = 1;
                }
                w->prio = prio;
                kn_ifupdown_add_ins(p, w->ed, w->gap, prio, NULL, w, n->name);
        }

        /* Existing stanzas no longer wanted go; their foreign options move
         * to a kept stanza of the same family (comments stay in place).  If
         * the family has none left, the first such stanza stays as "manual"
         * to hold them (an inet6 option in an inet stanza would be dead). */
        want keeper[_IFU_FAMILY_MAX] = {0};
        for (size_t k = 0; k < n_e; k++) {
                if (taken[k])
                        continue;
                kn_ifupdown_file *f = ex[k]->file;
                const kn_ifupdown_stanza *s = &f->stanzas[ex[k]->idx];
                /* a word-for-word repeat of an earlier stanza: its lines
                 * are already where that one's went */
                bool repeat = false;
                for (size_t j = 0; j < k && !repeat; j++)
                        repeat = kn_ifupdown_stanza_same(ex[j]->file,
                                                         &ex[j]->file->stanzas[ex[j]->idx], f, s);
                if (repeat) {
                        kn_ifupdown_delete_stanza(kn_ifupdown_edit_for(p, f, NULL), s, true);
                        continue;
                }
                want *to = NULL;
                for (size_t j = 0; j < n->n_w && !to; j++)
                        if (n->w[j].s && n->w[j].family == s->family)
                                to = &n->w[j];
                if (!to && keeper[s->family].s)
                        to = &keeper[s->family];
                kn_strbuf moved = {0};
                for (size_t i = s->first + 1; i < s->end; i++)
                        if (kn_ifupdown_foreign_option(s, &f->lines[i]))
                                kn_strbuf_putn(&moved, f->lines[i].raw, f->lines[i].raw_len);
                if (moved.len && moved.s[moved.len - 1] != '\n')
                        kn_strbuf_putc(&moved, '\n');
                if (!to && moved.len) {
                        keeper[s->family] =
                                (want){.family = s->family, .method = "manual", .f = f, .s = s};
                        kn_ifupdown_edit_in_place(p, n->name, &keeper[s->family]);
                        kn_strbuf_done(&moved);
                        continue;
                }
                kn_ifupdown_delete_stanza(kn_ifupdown_edit_for(p, f, NULL), s, true);
                if (!moved.len)
                        continue;
                kn_ifupdown_add_ins(p, kn_ifupdown_edit_for(p, to->f, NULL), to->s->end, 0,
                                    kn_strbuf_steal(&moved), NULL, NULL);
        }
        free(ex);
        free(taken);
        return 0;
}

/* Remove every stanza and mention of NAME. */
static void plan_remove(plan *p, const char *name) {
        const kn_ifupdown_entry *e = kn_ifupdown_index_get(&p->u->index, name);
        for (size_t k = 0; e && k < e->n_refs; k++) {
                const kn_ifupdown_ref *ref = &e->refs[k];
                if (ref->kind == IFU_REF_STANZA)
                        kn_ifupdown_delete_stanza(kn_ifupdown_edit_for(p, ref->file, NULL),
                                                  &ref->file->stanzas[ref->idx], false);
                else if (ref->kind == IFU_REF_START)
                        kn_ifupdown_add_drop(kn_ifupdown_edit_for(p, ref->file, NULL), ref->idx,
                                             e->name);
        }
}

/* --- writing ---------------------------------------------------------- */

typedef struct change {
        edit *ed;
        char *text; /* NULL: remove the file */
        size_t len;
} change;

static bool blank_text(const char *s) {
        return s[strspn(s, " \t\r\n")] == '\0';
}

static void apply_state(kn_ifupdown_backend *u, change *c) {
        kn_ifupdown_file *old = c->ed->f;
        kn_ifupdown_file *nf = NULL;
        if (c->text) {
                _cleanup_free_ char *shown = kn_root_display(u->base.root, c->ed->path);
                nf = kn_ifupdown_file_parse(c->ed->path, shown, kn_xstrdup(c->text), c->len);
                nf->order = old ? old->order : u->next_order++;
        }
        if (old) {
                kn_ifupdown_index_remove_file(&u->index, old);
                kn_ifupdown_file_map_del(&u->by_path, old->path);
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
                kn_ifupdown_file_free(old);
                c->ed->f = NULL; /* the plan must not look at it any more */
        } else if (nf) {
                GREEDY_REALLOC(u->files, u->alloc_files, u->n_files + 1);
                u->files[u->n_files++] = nf;
        }
        if (nf) {
                kn_ifupdown_file_map_put(&u->by_path, nf);
                kn_ifupdown_index_add_file(&u->index, nf);
        }
}

static int commit(plan *p, kn_error *err) {
        kn_ifupdown_backend *u = p->u;
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
                        char *text = kn_ifupdown_render(ed);
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
                        ch[n++] = (change){ed, text, len};
                }

        /* One file-set: don't clobber a file someone changed since it was
         * read (ESTALE), journal the pre-images, put back on failure. */
        kn_fileset set = {0};
        for (size_t k = 0; k < n; k++) {
                change *c = &ch[k];
                const kn_ifupdown_file *f = c->ed->f;
                kn_fileset_expect(&set, c->ed->path, f ? f->text : NULL, f ? f->len : 0);
                if (c->text)
                        kn_fileset_write(&set, c->ed->path, kn_xstrdup(c->text), c->len, 0);
                else
                        kn_fileset_remove(&set, c->ed->path);
        }
        r = kn_fileset_apply(&set, root, u->base.log, err);
        kn_fileset_done(&set);
        if (r >= 0)
                for (size_t k = 0; k < n; k++)
                        apply_state(u, &ch[k]);
        for (size_t k = 0; k < n; k++)
                free(ch[k].text);
        free(ch);
        return r;
}

/* --- entry points ----------------------------------------------------- */

int kn_ifupdown_define(kn_ifupdown_backend *u, const kn_iface *iface, kn_error *err) {
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
                const kn_ifupdown_entry *e = kn_ifupdown_index_get(&u->index, p.removed[k]);
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
                kn_ifupdown_want_node(&p.nodes[k], p.nodes, p.n_nodes);
        for (size_t k = 0; k < p.n_nodes; k++)
                if ((r = plan_node(&p, &p.nodes[k], err)) < 0)
                        return r;
        for (size_t k = 0; k < p.n_removed; k++)
                plan_remove(&p, p.removed[k]);
        return commit(&p, err);
}

int kn_ifupdown_undefine(kn_ifupdown_backend *u, const char *name, kn_error *err) {
        _cleanup_(plan_done) plan p = {.u = u};
        const kn_ifupdown_entry *e = kn_ifupdown_index_get(&u->index, name);
        int r;
        if (e && (r = check_broken(e, err)) < 0)
                return r;
        if (!kn_ifupdown_entry_first(e, IFU_REF_STANZA))
                return kn_error_set(err, ENOENT, "no interface %s in the ifupdown files", name);
        for (size_t k = 0; k < e->n_refs; k++) {
                const kn_ifupdown_ref *ref = &e->refs[k];
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
        char *roots[] = {(char *) name};
        find_removed(&p, roots, 1);
        for (size_t k = 0; k < p.n_removed; k++) {
                const kn_ifupdown_entry *x = kn_ifupdown_index_get(&u->index, p.removed[k]);
                if ((r = check_broken(x, err)) < 0)
                        return r;
        }
        for (size_t k = 0; k < p.n_removed; k++)
                plan_remove(&p, p.removed[k]);
        return commit(&p, err);
}
