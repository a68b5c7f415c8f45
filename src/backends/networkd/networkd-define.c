/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* define/undefine for networkd.  One interface tree touches several files:
 * each link's .network (and .netdev for bridges, bonds, vlans), and the
 * .network of each vlan's parent, whose VLAN= list creates the vlan.
 *
 * The files are planned through a kn_ini_plan (read afresh, all contents
 * computed before anything is written, undone on failure).  Before
 * anything is written, kvmnet refuses links
 * whose settings networkd would take from elsewhere: a runtime file (under
 * run/, e.g. netplan's) or a pattern file ([Match] Name=en*) that comes
 * first in file-name order. */

#include <stdarg.h>

#include "ini/plan.h"
#include "macro.h"
#include "networkd.h"
#include "rootfs.h"

typedef struct plan {
        kn_ini_plan files;
        kn_networkd_backend *b;
        kn_error *err;
} plan;

typedef struct item {
        const kn_iface *node, *master;
        kn_networkd_role role;
        bool primary;
} item;

static int plan_open(plan *p, const char *rel, kn_ini_work **ret) {
        return kn_ini_plan_open(&p->files, rel, ret, p->err);
}

/* ---- which file a link's settings go to ---- */

_printf_(3, 4) static int busy(plan *p, const kn_ini_file *f, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *msg = NULL;
        msg = kn_xvasprintf(fmt, ap);
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

static int network_target(plan *p, const char *link, kn_ini_work **ret) {
        kn_networkd_backend *b = p->b;
        size_t n;
        const kn_ini_entry *lits = kn_networkd_literals(b, link, &n);
        kn_networkd_file *lit = NULL, *app = kn_networkd_applying(b, link, NULL);
        for (size_t k = 0; k < n; k++) {
                if (lits[k].file->runtime)
                        return busy(p, lits[k].file, "%s is configured by", link);
                if (!lit)
                        lit = ND_FILE(lits[k].file);
        }
        if (app && app->file.runtime)
                return busy(p, &app->file, "%s is configured by", link);
        _cleanup_free_ char *ours = kn_xasprintf(ND_PREFIX "%s.network", link);
        const char *target = lit ? lit->file.name : ours;
        if (app && app != lit && strcmp(app->file.name, target) < 0) {
                _cleanup_free_ char *m = kn_networkd_match_describe(app);
                _cleanup_free_ char *rel = kn_xasprintf(ND_DIR "/%s", target);
                _cleanup_free_ char *shown = kn_root_display(b->base.root, rel);
                return kn_error_set(p->err, EBUSY,
                                    "%s is matched by %s (%s), which comes before %s in file "
                                    "name order, so networkd would not apply kvmnet's settings "
                                    "to %s; narrow that file's [Match] or remove it first",
                                    link, app->file.shown, m, shown, link);
        }
        if (lit)
                return plan_open(p, lit->file.rel, ret);
        const kn_ini_file *other = kn_ini_dir_find_name(&b->dir, ours);
        if (other) /* named like ours, but not (only) about this link */
                return kn_error_set(p->err, EEXIST,
                                    "%s exists but does not configure %s alone; rename it",
                                    other->shown, link);
        _cleanup_free_ char *rel = kn_xasprintf(ND_DIR "/%s", ours);
        return plan_open(p, rel, ret);
}

static int netdev_target(plan *p, const char *link, kn_ini_work **ret) {
        kn_networkd_file *d = kn_networkd_netdev_of(p->b, link);
        if (d && d->file.runtime)
                return busy(p, &d->file, "%s is created by", link);
        if (d)
                return plan_open(p, d->file.rel, ret);
        _cleanup_free_ char *ours = kn_xasprintf(ND_PREFIX "%s.netdev", link);
        const kn_ini_file *other = kn_ini_dir_find_name(&p->b->dir, ours);
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
static int parent_file(plan *p, const char *parent, kn_ini_work **ret) {
        kn_networkd_file *app = kn_networkd_applying(p->b, parent, NULL);
        if (app && !app->file.runtime && !app->literal) {
                _cleanup_free_ char *m = kn_networkd_match_describe(app);
                return kn_error_set(p->err, EBUSY,
                                    "%s, the parent of the vlan, is configured by %s through a "
                                    "pattern (%s); VLAN= there would apply to every link it "
                                    "matches: give %s a .network of its own first",
                                    parent, app->file.shown, m, parent);
        }
        return network_target(p, parent, ret);
}

static int attach_vlan(plan *p, const kn_iface *vlan) {
        kn_networkd_node old;
        kn_ini_work *w;
        int r;
        kn_networkd_node_lookup(p->b, vlan->name, &old);
        kn_iface_free(old.iface);
        if (old.vlan_parent[0] && !streq(old.vlan_parent, vlan->vlan_parent)) {
                kn_networkd_file *f = kn_networkd_applying(p->b, old.vlan_parent, NULL);
                if (f && !f->file.runtime) {
                        if ((r = plan_open(p, f->file.rel, &w)) < 0)
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
        kn_networkd_node node, *n = &node;
        kn_ini_work *w;
        int r;
        kn_networkd_node_lookup(p->b, name, n);
        kn_iface_free(n->iface);
        if (n->netdev && !n->netdev->file.runtime)
                kn_ini_plan_remove(&p->files, n->netdev->file.rel);
        if (n->network && !n->network->file.runtime) {
                if (n->network->file.broken)
                        kn_ini_plan_remove(&p->files, n->network->file.rel);
                else {
                        if ((r = plan_open(p, n->network->file.rel, &w)) < 0)
                                return r;
                        w->release = true;
                }
        }
        if (n->vlan_parent[0]) {
                kn_networkd_file *f = kn_networkd_applying(p->b, n->vlan_parent, NULL);
                if (f && !f->file.runtime && !f->file.broken) {
                        if ((r = plan_open(p, f->file.rel, &w)) < 0)
                                return r;
                        vlan_edit(&w->ini, name, false);
                }
        }
        return 0;
}

/* ---- writing ---- */

static int plan_apply(plan *p) {
        for (size_t k = 0; k < p->files.n; k++) {
                kn_ini_work *w = p->files.w[k];
                if (!w->remove && w->release) {
                        char **v;
                        size_t n = vlan_list(&w->ini, &v);
                        kn_strv_free(v, n);
                        if (n)
                                kn_networkd_write_stub(&w->ini);
                        else
                                w->remove = true;
                }
                /* A stub whose vlans are all gone goes too. */
                if (!w->remove && kn_ini_has_comment(&w->ini, ND_STUB_MARK) &&
                    !kn_networkd_has_mapped_keys(&w->ini)) {
                        char **v;
                        size_t n = vlan_list(&w->ini, &v);
                        kn_strv_free(v, n);
                        w->remove = n == 0;
                }
        }
        return kn_ini_plan_apply(&p->files, 0, p->err);
}

static void flatten(const kn_iface *i, const kn_iface *master, kn_networkd_role role, item **v,
                    size_t *n) {
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

static int write_item(plan *p, const item *it) {
        const kn_iface *i = it->node;
        kn_ini_work *w;
        int r = network_target(p, i->name, &w);
        if (r < 0)
                return r;
        kn_networkd_write_network(&w->ini, i, it->role, it->master, it->primary, w->created);
        if (i->type != KN_IFACE_ETHERNET) {
                if ((r = netdev_target(p, i->name, &w)) < 0)
                        return r;
                return kn_networkd_write_netdev(&w->ini, i, it->role, w->created, p->err);
        }
        /* Once a bridge, bond or vlan, now ethernet: its .netdev goes. */
        kn_networkd_file *d = kn_networkd_netdev_of(p->b, i->name);
        if (d && !d->file.runtime && kn_networkd_our_kind(d->netdev_kind, NULL))
                kn_ini_plan_remove(&p->files, d->file.rel);
        return 0;
}

int kn_networkd_define(kn_networkd_backend *b, const kn_iface *in, kn_error *err) {
        _cleanup_iface_ kn_iface *iface = kn_iface_copy(in);
        plan p = {.files = {.dir = &b->dir, .log = b->base.log}, .b = b, .err = err};
        _cleanup_free_ item *items = NULL;
        size_t n_items = 0, n_old = 0, n_new = 0;
        char **old = NULL, **new = NULL;
        int r = kn_ini_plan_name_vlans(iface, err);
        if (r < 0)
                return r;
        flatten(iface, NULL, ND_TOP, &items, &n_items);
        kn_ini_plan_names(iface, &new, &n_new);
        /* Links leaving: those of the interface's old tree, and of every
         * top-level interface the new tree takes in. */
        for (size_t k = 0; k < n_items; k++)
                kn_networkd_tree_names(b, items[k].node->name, &old, &n_old);
        for (size_t k = 0; k < n_items && r >= 0; k++)
                r = write_item(&p, &items[k]);
        for (size_t k = 0; k < n_items && r >= 0; k++)
                if (items[k].node->type == KN_IFACE_VLAN)
                        r = attach_vlan(&p, items[k].node);
        for (size_t k = 0; k < n_old && r >= 0; k++)
                if (!kn_ini_plan_has_name(new, n_new, old[k]))
                        r = release(&p, old[k]);
        if (r >= 0)
                r = plan_apply(&p);
        kn_strv_free(old, n_old);
        kn_strv_free(new, n_new);
        kn_ini_plan_done(&p.files);
        return r;
}

int kn_networkd_undefine(kn_networkd_backend *b, const char *name, kn_error *err) {
        plan p = {.files = {.dir = &b->dir, .log = b->base.log}, .b = b, .err = err};
        char **names = NULL;
        size_t n = 0;
        int r = 0;
        kn_networkd_tree_names(b, name, &names, &n);
        if (n == 0) /* not listed (its files are broken): just its own files */
                r = release(&p, name);
        for (size_t k = 0; k < n && r >= 0; k++)
                r = release(&p, names[k]);
        if (r >= 0)
                r = plan_apply(&p);
        kn_strv_free(names, n);
        kn_ini_plan_done(&p.files);
        return r;
}
