/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* define/undefine for networkd.  One interface tree touches several files:
 * each link's .network (and .netdev for bridges, bonds, vlans), and the
 * .network of each vlan's parent, whose VLAN= list creates the vlan.
 *
 * Every file to change is read afresh, all new contents are computed, and
 * only then written, through a kn_fileset (atomic writes, removals last,
 * undone on failure).  Before anything is written, kvmnet refuses links
 * whose settings networkd would take from elsewhere: a runtime file (under
 * run/, e.g. netplan's) or a pattern file ([Match] Name=en*) that comes
 * first in file-name order. */

#include <stdarg.h>

#include "backends/ini/fileset.h"
#include "macro.h"
#include "networkd.h"
#include "rootfs.h"

typedef struct work {
        char *rel;
        kn_ini ini;
        char *orig; /* NULL for a new file */
        bool created, remove;
        bool release; /* a link leaving kvmnet: becomes a stub if vlans remain on it */
} work;

typedef struct plan {
        nd_backend *b;
        work **w;
        size_t n, alloc;
        kn_error *err;
} plan;

typedef struct item {
        const kn_iface *node, *master;
        nd_role role;
        bool primary;
} item;

static void plan_done(plan *p) {
        for (size_t k = 0; k < p->n; k++) {
                free(p->w[k]->rel);
                kn_ini_done(&p->w[k]->ini);
                free(p->w[k]->orig);
                free(p->w[k]);
        }
        free(p->w);
}

static work *plan_find(plan *p, const char *rel) {
        for (size_t k = 0; k < p->n; k++)
                if (streq(p->w[k]->rel, rel))
                        return p->w[k];
        return NULL;
}

static work *plan_add(plan *p, const char *rel) {
        work *w = kn_xcalloc(1, sizeof *w);
        w->rel = kn_xstrdup(rel);
        kn_ini_init(&w->ini, KN_INI_SYSTEMD);
        GREEDY_REALLOC(p->w, p->alloc, p->n + 1);
        p->w[p->n++] = w;
        return w;
}

/* The file as it is on disk now (a new one if missing). */
static int plan_open(plan *p, const char *rel, work **ret) {
        work *w = plan_find(p, rel);
        if (w) {
                *ret = w;
                return 0;
        }
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r = kn_root_read_file(p->b->base.root, rel, &data, &len);
        _cleanup_free_ char *shown = kn_root_display(p->b->base.root, rel);
        if (r < 0 && r != -ENOENT)
                return kn_error_set(p->err, -r, "%s: cannot read: %s", shown, strerror(-r));
        w = plan_add(p, rel);
        if (r == -ENOENT) {
                w->created = true;
        } else {
                w->orig = TAKE_PTR(data);
                kn_ini_done(&w->ini);
                if (kn_ini_parse(&w->ini, KN_INI_SYSTEMD, w->orig, len) < 0)
                        return kn_error_set(p->err, EINVAL,
                                            "%s:%u: %s; fix the file (or undefine the "
                                            "interface) first",
                                            shown, w->ini.err_line, w->ini.err);
        }
        *ret = w;
        return 0;
}

static void plan_remove(plan *p, const char *rel) {
        work *w = plan_find(p, rel);
        if (!w)
                w = plan_add(p, rel);
        w->remove = true;
}

/* ---- which file a link's settings go to ---- */

_printf_(3, 4) static int busy(plan *p, const nd_file *f, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *msg = NULL;
        if (vasprintf(&msg, fmt, ap) < 0)
                abort();
        va_end(ap);
        if (f->runtime && strncmp(f->name, "10-netplan-", 11) == 0)
                return kn_error_set(p->err, EBUSY,
                                    "%s %s, which netplan generates from %s/etc/netplan/*.yaml; "
                                    "change it there",
                                    msg, f->shown, kn_root_path(p->b->base.root));
        if (f->runtime)
                return kn_error_set(p->err, EBUSY,
                                    "%s %s, a runtime file made at boot; change it where it "
                                    "comes from",
                                    msg, f->shown);
        return kn_error_set(p->err, EBUSY, "%s %s", msg, f->shown);
}

static int network_target(plan *p, const char *link, work **ret) {
        nd_backend *b = p->b;
        size_t n;
        const nd_entry *lits = nd_literals(b, link, &n);
        nd_file *lit = NULL, *app = nd_applying(b, link, NULL);
        for (size_t k = 0; k < n; k++) {
                if (lits[k].file->runtime)
                        return busy(p, lits[k].file, "%s is configured by", link);
                if (!lit)
                        lit = lits[k].file;
        }
        if (app && app->runtime)
                return busy(p, app, "%s is configured by", link);
        _cleanup_free_ char *ours = kn_xasprintf(ND_PREFIX "%s.network", link);
        const char *target = lit ? lit->name : ours;
        if (app && app != lit && strcmp(app->name, target) < 0) {
                _cleanup_free_ char *m = nd_match_describe(app);
                _cleanup_free_ char *rel = kn_xasprintf(ND_DIR "/%s", target);
                _cleanup_free_ char *shown = kn_root_display(b->base.root, rel);
                return kn_error_set(p->err, EBUSY,
                                    "%s is matched by %s (%s), which comes before %s in file "
                                    "name order, so networkd would not apply kvmnet's settings "
                                    "to %s; narrow that file's [Match] or remove it first",
                                    link, app->shown, m, shown, link);
        }
        if (lit)
                return plan_open(p, lit->rel, ret);
        nd_file *other = nd_find_file(b, ours);
        if (other) /* named like ours, but not (only) about this link */
                return kn_error_set(p->err, EEXIST,
                                    "%s exists but does not configure %s alone; rename it",
                                    other->shown, link);
        _cleanup_free_ char *rel = kn_xasprintf(ND_DIR "/%s", ours);
        return plan_open(p, rel, ret);
}

static int netdev_target(plan *p, const char *link, work **ret) {
        nd_file *d = nd_netdev_of(p->b, link);
        if (d && d->runtime)
                return busy(p, d, "%s is created by", link);
        if (d)
                return plan_open(p, d->rel, ret);
        _cleanup_free_ char *ours = kn_xasprintf(ND_PREFIX "%s.netdev", link);
        nd_file *other = nd_find_file(p->b, ours);
        if (other)
                return kn_error_set(p->err, EEXIST, "%s exists but does not create %s; rename it",
                                    other->shown, link);
        _cleanup_free_ char *rel = kn_xasprintf(ND_DIR "/%s", ours);
        return plan_open(p, rel, ret);
}

/* ---- VLAN= lists ---- */

static size_t vlan_list(const kn_ini *ini, char ***ret) {
        char **v = NULL;
        size_t n = 0;
        KN_INI_FOREACH(k, ini, "Network", "VLAN") {
                if (!*ini->lines[k].value)
                        continue;
                v = kn_xrealloc(v, (n + 1) * sizeof *v);
                v[n++] = kn_xstrdup(ini->lines[k].value);
        }
        *ret = v;
        return n;
}

static void vlan_edit(kn_ini *ini, const char *vlan, bool add) {
        char **v;
        size_t n = vlan_list(ini, &v), out = 0;
        bool found = false;
        for (size_t k = 0; k < n; k++) {
                if (streq(v[k], vlan)) {
                        found = true;
                        if (!add) {
                                free(v[k]);
                                continue;
                        }
                }
                v[out++] = v[k];
        }
        if (add && !found) {
                v = kn_xrealloc(v, (out + 1) * sizeof *v);
                v[out++] = kn_xstrdup(vlan);
        }
        if (add != found)
                kn_ini_set_list(ini, "Network", "VLAN", v, out);
        kn_strv_free(v, out);
}

/* The file carrying the parent's VLAN= list as networkd applies it. */
static int parent_file(plan *p, const char *parent, work **ret) {
        nd_file *app = nd_applying(p->b, parent, NULL);
        if (app && !app->runtime && !app->literal) {
                _cleanup_free_ char *m = nd_match_describe(app);
                return kn_error_set(p->err, EBUSY,
                                    "%s, the parent of the vlan, is configured by %s through a "
                                    "pattern (%s); VLAN= there would apply to every link it "
                                    "matches: give %s a .network of its own first",
                                    parent, app->shown, m, parent);
        }
        return network_target(p, parent, ret);
}

static int attach_vlan(plan *p, const kn_iface *vlan) {
        nd_node old;
        work *w;
        int r;
        nd_node_lookup(p->b, vlan->name, &old);
        kn_iface_free(old.iface);
        if (old.vlan_parent[0] && !streq(old.vlan_parent, vlan->vlan_parent)) {
                nd_file *f = nd_applying(p->b, old.vlan_parent, NULL);
                if (f && !f->runtime) {
                        if ((r = plan_open(p, f->rel, &w)) < 0)
                                return r;
                        vlan_edit(&w->ini, vlan->name, false);
                }
        }
        if ((r = parent_file(p, vlan->vlan_parent, &w)) < 0)
                return r;
        if (w->created && !kn_ini_find(&w->ini, "Match", "Name")) {
                kn_ini_add_comment(&w->ini, ND_STUB_MARK);
                kn_ini_set(&w->ini, "Match", "Name", vlan->vlan_parent);
        }
        vlan_edit(&w->ini, vlan->name, true);
        return 0;
}

/* ---- links leaving ---- */

static int release(plan *p, const char *name) {
        nd_node node, *n = &node;
        work *w;
        int r;
        nd_node_lookup(p->b, name, n);
        kn_iface_free(n->iface);
        if (n->netdev && !n->netdev->runtime)
                plan_remove(p, n->netdev->rel);
        if (n->network && !n->network->runtime) {
                if (n->network->broken)
                        plan_remove(p, n->network->rel);
                else {
                        if ((r = plan_open(p, n->network->rel, &w)) < 0)
                                return r;
                        w->release = true;
                }
        }
        if (n->vlan_parent[0]) {
                nd_file *f = nd_applying(p->b, n->vlan_parent, NULL);
                if (f && !f->runtime && !f->broken) {
                        if ((r = plan_open(p, f->rel, &w)) < 0)
                                return r;
                        vlan_edit(&w->ini, name, false);
                }
        }
        return 0;
}

static void tree_names(const kn_iface *i, char ***v, size_t *n) {
        if (i->name[0]) {
                *v = kn_xrealloc(*v, (*n + 1) * sizeof **v);
                (*v)[(*n)++] = kn_xstrdup(i->name);
        }
        for (size_t k = 0; k < i->n_children; k++)
                tree_names(i->children[k], v, n);
}

static bool strv_contains(char **v, size_t n, const char *s) {
        for (size_t k = 0; k < n; k++)
                if (streq(v[k], s))
                        return true;
        return false;
}

/* ---- writing ---- */

static int plan_apply(plan *p) {
        kn_fileset set = {0};
        for (size_t k = 0; k < p->n; k++) {
                work *w = p->w[k];
                if (!w->remove && w->release) {
                        char **v;
                        size_t n = vlan_list(&w->ini, &v);
                        kn_strv_free(v, n);
                        if (n)
                                nd_write_stub(&w->ini);
                        else
                                w->remove = true;
                }
                /* A stub whose vlans are all gone goes too. */
                if (!w->remove && kn_ini_has_comment(&w->ini, ND_STUB_MARK) &&
                    !nd_has_mapped_keys(&w->ini)) {
                        char **v;
                        size_t n = vlan_list(&w->ini, &v);
                        kn_strv_free(v, n);
                        w->remove = n == 0;
                }
                if (w->remove) {
                        if (!w->created)
                                kn_fileset_remove(&set, w->rel);
                        continue;
                }
                size_t len;
                char *data = kn_ini_format(&w->ini, &len);
                if (w->orig && streq(data, w->orig)) {
                        free(data);
                        continue;
                }
                kn_fileset_write(&set, w->rel, data, len, 0);
        }
        int r = kn_fileset_apply(&set, p->b->base.root, p->err);
        if (r >= 0) {
                for (size_t k = 0; k < set.n; k++)
                        nd_state_update(p->b, set.ops[k].rel, set.ops[k].data, set.ops[k].len);
                nd_reindex(p->b);
        }
        kn_fileset_done(&set);
        return r;
}

static void flatten(const kn_iface *i, const kn_iface *master, nd_role role, item **v, size_t *n) {
        *v = kn_xrealloc(*v, (*n + 1) * sizeof **v);
        (*v)[(*n)++] = (item){
                .node = i,
                .master = master,
                .role = role,
                .primary = role == ND_SLAVE && master->bond_mode == KN_BOND_ACTIVE_BACKUP &&
                           master->children[0] == i,
        };
        for (size_t k = 0; k < i->n_children; k++)
                flatten(i->children[k], i, i->type == KN_IFACE_BRIDGE ? ND_PORT : ND_SLAVE, v, n);
}

/* A vlan port given without a name gets the kernel's PARENT.TAG. */
static int name_vlans(kn_iface *i, kn_error *err) {
        if (i->type == KN_IFACE_VLAN && !i->name[0]) {
                int n = snprintf(i->name, sizeof i->name, "%s.%d", i->vlan_parent, i->vlan_tag);
                if (n < 0 || (size_t) n >= sizeof i->name)
                        return kn_error_set(err, EINVAL,
                                            "vlan %d on %s: give it a name (%s.%d is too long "
                                            "for an interface name)",
                                            i->vlan_tag, i->vlan_parent, i->vlan_parent,
                                            i->vlan_tag);
        }
        for (size_t k = 0; k < i->n_children; k++) {
                int r = name_vlans(i->children[k], err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int write_item(plan *p, const item *it) {
        const kn_iface *i = it->node;
        work *w;
        int r = network_target(p, i->name, &w);
        if (r < 0)
                return r;
        nd_write_network(&w->ini, i, it->role, it->master, it->primary, w->created);
        if (i->type != KN_IFACE_ETHERNET) {
                if ((r = netdev_target(p, i->name, &w)) < 0)
                        return r;
                return nd_write_netdev(&w->ini, i, it->role, w->created, p->err);
        }
        /* Once a bridge, bond or vlan, now ethernet: its .netdev goes. */
        nd_file *d = nd_netdev_of(p->b, i->name);
        if (d && !d->runtime && nd_our_kind(d->netdev_kind, NULL))
                plan_remove(p, d->rel);
        return 0;
}

int nd_define(nd_backend *b, const kn_iface *in, kn_error *err) {
        _cleanup_iface_ kn_iface *iface = kn_iface_copy(in);
        plan p = {.b = b, .err = err};
        _cleanup_free_ item *items = NULL;
        size_t n_items = 0, n_old = 0, n_new = 0;
        char **old = NULL, **new = NULL;
        int r = name_vlans(iface, err);
        if (r < 0)
                return r;
        flatten(iface, NULL, ND_TOP, &items, &n_items);
        tree_names(iface, &new, &n_new);
        /* Links leaving: those of the interface's old tree, and of every
         * top-level interface the new tree takes in. */
        for (size_t k = 0; k < n_items; k++)
                nd_tree_names(b, items[k].node->name, &old, &n_old);
        for (size_t k = 0; k < n_items && r >= 0; k++)
                r = write_item(&p, &items[k]);
        for (size_t k = 0; k < n_items && r >= 0; k++)
                if (items[k].node->type == KN_IFACE_VLAN)
                        r = attach_vlan(&p, items[k].node);
        for (size_t k = 0; k < n_old && r >= 0; k++)
                if (!strv_contains(new, n_new, old[k]))
                        r = release(&p, old[k]);
        if (r >= 0)
                r = plan_apply(&p);
        kn_strv_free(old, n_old);
        kn_strv_free(new, n_new);
        plan_done(&p);
        return r;
}

int nd_undefine(nd_backend *b, const char *name, kn_error *err) {
        plan p = {.b = b, .err = err};
        char **names = NULL;
        size_t n = 0;
        int r = 0;
        nd_tree_names(b, name, &names, &n);
        if (n == 0) /* not listed (its files are broken): just its own files */
                r = release(&p, name);
        for (size_t k = 0; k < n && r >= 0; k++)
                r = release(&p, names[k]);
        if (r >= 0)
                r = plan_apply(&p);
        kn_strv_free(names, n);
        plan_done(&p);
        return r;
}
