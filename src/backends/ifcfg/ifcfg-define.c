/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* ifcfg define and undefine: every file a change touches (the interface's
 * ifcfg file, its ports' and slaves', their route files) is read afresh
 * into a plan, all new contents are computed, and only then written
 * through the file set (masters before ports, removals last; undone on a
 * failed write); the record index is updated after. */

#include <sys/socket.h>
#include <sys/stat.h>

#include "fileset.h"
#include "ifcfg-private.h"
#include "macro.h"
#include "rootfs.h"

typedef enum action {
        KEEP,
        WRITE,
        REMOVE,
} action;

/* One file a change touches: what it held, what it will hold. */
typedef struct op {
        char *rel;
        char *old;
        size_t old_len;
        bool existed;
        mode_t mode;
        char *new;
        size_t new_len;
        action action;
} op;

typedef struct plan {
        op *ops;
        size_t n, alloc;
        kn_ifcfg_rec **drop; /* records whose files go away or are rewritten */
        size_t n_drop, alloc_drop;
        char **load; /* ifcfg suffixes to read back afterwards */
        size_t n_load, alloc_load;
} plan;

static void plan_done(plan *p) {
        for (size_t k = 0; k < p->n; k++) {
                free(p->ops[k].rel);
                free(p->ops[k].old);
                free(p->ops[k].new);
        }
        free(p->ops);
        free(p->drop);
        kn_strv_free(p->load, p->n_load);
}

/* The op for rel (reading the file as it is now); returns its index. */
static int plan_file(kn_ifcfg_backend *b, plan *p, const char *rel, kn_error *err) {
        for (size_t k = 0; k < p->n; k++)
                if (streq(p->ops[k].rel, rel))
                        return (int) k;
        op o = {.rel = kn_xstrdup(rel), .mode = 0644};
        int r = kn_root_read_file(b->base.root, rel, &o.old, &o.old_len);
        if (r < 0 && r != -ENOENT) {
                _cleanup_free_ char *shown = kn_root_display(b->base.root, rel);
                free(o.rel);
                return kn_error_set(err, -r, "%s: cannot read: %s", shown, strerror(-r));
        }
        o.existed = r >= 0;
        struct stat st;
        if (o.existed && kn_root_stat(b->base.root, rel, &st) >= 0)
                o.mode = st.st_mode & 07777;
        GREEDY_REALLOC(p->ops, p->alloc, p->n + 1);
        p->ops[p->n] = o;
        return (int) p->n++;
}

static void plan_set(op *o, char *data, size_t len) {
        free(o->new);
        o->new = data;
        o->new_len = len;
        o->action =
                o->existed && len == o->old_len && memcmp(data, o->old, len) == 0 ? KEEP : WRITE;
}

static void plan_drop(plan *p, kn_ifcfg_rec *r) {
        for (size_t k = 0; k < p->n_drop; k++)
                if (p->drop[k] == r)
                        return;
        GREEDY_REALLOC(p->drop, p->alloc_drop, p->n_drop + 1);
        p->drop[p->n_drop++] = r;
}

static void plan_load(plan *p, const char *suffix) {
        GREEDY_REALLOC(p->load, p->alloc_load, p->n_load + 1);
        p->load[p->n_load++] = kn_xstrdup(suffix);
}

static bool in_tree(const kn_iface *const *nodes, size_t n, const char *name) {
        for (size_t k = 0; k < n; k++)
                if (streq(nodes[k]->name, name))
                        return true;
        return false;
}

/* The kids of r that are its ports/slaves (any, if r itself is broken). */
static bool is_kid_of(const kn_ifcfg_rec *kid, const kn_ifcfg_rec *r) {
        return !r->info.iface || kid->info.master_type == r->info.iface->type;
}

/* Remove r's files and, recursively, its ports'/slaves' files, except
 * those of interfaces named in keep. */
static int plan_remove(kn_ifcfg_backend *b, plan *p, kn_ifcfg_rec *r, const kn_iface *const *keep,
                       size_t n_keep, int depth, kn_error *err) {
        _cleanup_free_ char *rel = kn_ifcfg_rel(r->suffix);
        int k = plan_file(b, p, rel, err);
        if (k < 0)
                return k;
        p->ops[k].action = p->ops[k].existed ? REMOVE : KEEP;
        plan_drop(p, r);
        for (kn_ifcfg_which w = KN_IFCFG_ROUTE4; w <= KN_IFCFG_ROUTE6; w++) {
                const char *ids[] = {r->name, r->suffix};
                for (size_t j = 0; j < ELEMENTSOF(ids); j++) {
                        if (!ids[j][0])
                                continue;
                        _cleanup_free_ char *route = kn_ifcfg_route_rel(w, ids[j]);
                        k = plan_file(b, p, route, err);
                        if (k < 0)
                                return k;
                        p->ops[k].action = p->ops[k].existed ? REMOVE : KEEP;
                }
        }
        const kn_ifcfg_entry *e = r->entry;
        for (size_t j = 0; e && depth < 3 && j < e->n_kids; j++) {
                kn_ifcfg_rec *kid = e->kids[j];
                if (!is_kid_of(kid, r) || in_tree(keep, n_keep, kid->name))
                        continue;
                int q = plan_remove(b, p, kid, keep, n_keep, depth + 1, err);
                if (q < 0)
                        return q;
        }
        return 0;
}

static int dup_error(kn_ifcfg_backend *b, const kn_ifcfg_entry *e, const char *name,
                     kn_error *err) {
        _cleanup_free_ char *rel1 = kn_ifcfg_rel(e->defs[0]->suffix);
        _cleanup_free_ char *rel2 = kn_ifcfg_rel(e->defs[1]->suffix);
        _cleanup_free_ char *first = kn_root_display(b->base.root, rel1);
        _cleanup_free_ char *second = kn_root_display(b->base.root, rel2);
        return kn_error_set(err, EEXIST,
                            "%s is defined twice, by %s and by %s; remove or rename one of "
                            "them first",
                            name, first, second);
}

/* Plan the new contents of node's ifcfg file. */
static int plan_node(kn_ifcfg_backend *b, plan *p, const kn_iface *top, const kn_iface *node,
                     const kn_iface *master, kn_error *err) {
        kn_ifcfg_entry *e = kn_ifcfg_entry_get(b, node->name, false);
        if (e && e->n_defs > 1)
                return dup_error(b, e, node->name, err);
        kn_ifcfg_rec *old = e && e->n_defs ? e->defs[0] : NULL;
        const char *suffix = old ? old->suffix : node->name;
        /* ifcfg-NAME of another NIC (its HWADDR=) becomes this one's */
        for (size_t k = 0; !old && b->n_ignored && k < b->n_recs; k++)
                if (b->recs[k] && b->recs[k]->other_mac[0] && streq(b->recs[k]->suffix, suffix))
                        plan_drop(p, b->recs[k]);
        _cleanup_free_ char *rel = kn_ifcfg_rel(suffix);
        int k = plan_file(b, p, rel, err);
        if (k < 0)
                return k;
        op *o = &p->ops[k];
        _cleanup_free_ char *shown = kn_root_display(b->base.root, rel);
        kn_ifcfg_file f = {0};
        int r = 0;
        if (o->existed) {
                char name[KN_IFNAME_MAX + 1];
                kn_ifcfg_problem pr = {0};
                kn_ifcfg_file_parse(&f, o->old, o->old_len);
                if (f.err)
                        r = kn_error_set(err, EINVAL,
                                         "%s:%u: %s; fix this line (or undefine %s) before "
                                         "defining %s",
                                         shown, f.err_line, f.err, node->name, node->name);
                else if (kn_ifcfg_read_name(&f, suffix, name, &pr) < 0)
                        r = kn_error_set(err, EINVAL, "%s:%u: %s", shown, pr.line, pr.message);
                else if (!streq(name, node->name))
                        r = kn_error_set(err, EEXIST,
                                         "%s exists and defines %s (DEVICE=%s), not %s; "
                                         "rename it to ifcfg-%s before defining %s",
                                         shown, name, name, node->name, name, node->name);
        }
        if (r >= 0) {
                size_t len;
                kn_ifcfg_write(&f, node, top, master);
                char *data = kn_ifcfg_file_format(&f, &len);
                plan_set(&p->ops[k], data, len);
                if (old)
                        plan_drop(p, old);
                plan_load(p, suffix);
        }
        kn_ifcfg_file_done(&f);
        return r;
}

/* The default route lives in the top-level interface's ifcfg file (and a
 * port has none): take it out of node's route files, and remove those
 * left empty.  Other routes stay. */
static int plan_routes(kn_ifcfg_backend *b, plan *p, const kn_iface *node, kn_error *err) {
        kn_ifcfg_entry *e = kn_ifcfg_entry_get(b, node->name, false);
        const char *ids[] = {node->name, e && e->n_defs ? e->defs[0]->suffix : node->name};
        for (kn_ifcfg_which w = KN_IFCFG_ROUTE4; w <= KN_IFCFG_ROUTE6; w++)
                for (size_t j = 0; j < ELEMENTSOF(ids); j++) {
                        _cleanup_free_ char *rel = kn_ifcfg_route_rel(w, ids[j]);
                        int k = plan_file(b, p, rel, err);
                        if (k < 0)
                                return k;
                        op *o = &p->ops[k];
                        if (!o->existed || o->action != KEEP || o->new)
                                continue;
                        kn_ifcfg_file f = {0};
                        kn_ifcfg_file_parse(&f, o->old, o->old_len);
                        if (kn_ifcfg_route_drop_default(&f, w == KN_IFCFG_ROUTE4 ? AF_INET
                                                                                 : AF_INET6)) {
                                if (kn_ifcfg_route_is_empty(&f))
                                        o->action = REMOVE;
                                else {
                                        size_t len;
                                        char *data = kn_ifcfg_file_format(&f, &len);
                                        plan_set(o, data, len);
                                }
                        }
                        kn_ifcfg_file_done(&f);
                }
        return 0;
}

/* Writes first (masters before their ports), removals last, through the
 * one file-set engine: pre-images journaled in the backend's file log,
 * undone newest first on failure. */
static int commit(kn_ifcfg_backend *b, plan *p, kn_error *err) {
        kn_fileset set = {0};
        for (size_t k = 0; k < p->n; k++) {
                op *o = &p->ops[k];
                if (o->action == WRITE) {
                        kn_fileset_write(&set, o->rel, TAKE_PTR(o->new), o->new_len, 0);
                        o->new_len = 0;
                } else if (o->action == REMOVE)
                        kn_fileset_remove(&set, o->rel);
        }
        int r = kn_fileset_apply(&set, b->base.root, b->base.log, err);
        kn_fileset_done(&set);
        return r;
}

static void apply_state(kn_ifcfg_backend *b, plan *p) {
        for (size_t k = 0; k < p->n_drop; k++)
                kn_ifcfg_rec_remove(b, p->drop[k]);
        for (size_t k = 0; k < p->n_load; k++)
                kn_ifcfg_rec_reload(b, p->load[k]);
}

/* R: how planning went.  Write what it planned if that went well, update
 * the index to the files as they are now, and free the plan. */
static int plan_finish(kn_ifcfg_backend *b, plan *p, int r, kn_error *err) {
        if (r >= 0)
                r = commit(b, p, err);
        if (r >= 0)
                apply_state(b, p);
        plan_done(p);
        return r;
}

/* The nodes of the tree, parents before children, with their masters. */
static void collect(kn_iface *i, kn_iface *master, kn_iface ***nodes, kn_iface ***masters,
                    size_t *n) {
        if (!i->name[0] && i->type == KN_IFACE_VLAN) /* a vlan port given by parent/tag */
                snprintf(i->name, sizeof i->name, "%.10s.%d", i->vlan_parent, i->vlan_tag);
        *nodes = kn_xrealloc(*nodes, (*n + 1) * sizeof **nodes);
        *masters = kn_xrealloc(*masters, (*n + 1) * sizeof **masters);
        (*nodes)[*n] = i;
        (*masters)[(*n)++] = master;
        for (size_t k = 0; k < i->n_children; k++)
                collect(i->children[k], i, nodes, masters, n);
}

int kn_ifcfg_define(kn_backend *base, const kn_iface *iface, kn_error *err) {
        kn_ifcfg_backend *b = (kn_ifcfg_backend *) base;
        _cleanup_iface_ kn_iface *tree = kn_iface_copy(iface);
        _cleanup_free_ kn_iface **nodes = NULL, **masters = NULL;
        size_t n = 0;
        plan p = {0};
        int r = 0;

        collect(tree, NULL, &nodes, &masters, &n);
        for (size_t k = 0; k < n; k++) {
                if (streq(nodes[k]->name, "lo"))
                        return kn_error_set(err, EINVAL,
                                            "lo is the loopback device; ifcfg-lo is not managed "
                                            "by kvmnet");
                for (size_t j = 0; j < k; j++)
                        if (streq(nodes[j]->name, nodes[k]->name))
                                return kn_error_set(err, EINVAL,
                                                    "%s %s: %s appears twice in the definition",
                                                    kn_iface_type_to_string(tree->type), tree->name,
                                                    nodes[k]->name);
        }
        for (size_t k = 0; k < n && r >= 0; k++)
                r = plan_node(b, &p, tree, nodes[k], masters[k], err);
        /* Ports/slaves the old definitions had and the new one drops. */
        for (size_t k = 0; k < n && r >= 0; k++) {
                kn_ifcfg_entry *e = kn_ifcfg_entry_get(b, nodes[k]->name, false);
                for (size_t j = 0; e && e->n_defs == 1 && j < e->n_kids && r >= 0; j++) {
                        kn_ifcfg_rec *kid = e->kids[j];
                        if (is_kid_of(kid, e->defs[0]) &&
                            !in_tree((const kn_iface *const *) nodes, n, kid->name))
                                r = plan_remove(b, &p, kid, (const kn_iface *const *) nodes, n, 1,
                                                err);
                }
        }
        for (size_t k = 0; k < n && r >= 0; k++)
                r = plan_routes(b, &p, nodes[k], err);
        return plan_finish(b, &p, r, err);
}

int kn_ifcfg_undefine(kn_backend *base, const char *name, kn_error *err) {
        kn_ifcfg_backend *b = (kn_ifcfg_backend *) base;
        kn_ifcfg_entry *e = kn_ifcfg_entry_get(b, name, false);
        if (!e || !e->n_defs) {
                _cleanup_free_ char *dir = kn_root_display(base->root, KN_IFCFG_DIR);
                return kn_error_set(err, ENOENT, "no ifcfg file in %s defines %s", dir, name);
        }
        plan p = {0};
        int r = 0;
        /* Every file claiming the name goes, so undefine also settles a
         * duplicate. */
        for (size_t k = 0; k < e->n_defs && r >= 0; k++)
                r = plan_remove(b, &p, e->defs[k], NULL, 0, 0, err);
        return plan_finish(b, &p, r, err);
}
