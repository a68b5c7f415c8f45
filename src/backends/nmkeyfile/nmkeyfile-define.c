/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* define/undefine for NetworkManager keyfiles: one profile per interface,
 * port and slave.  As in the networkd backend, every file is read afresh,
 * all contents computed, then written through a kn_fileset (atomic writes
 * of mode 0600, removals last, undone on failure).  Interfaces that have a
 * runtime profile (under run/, e.g. netplan's) are refused: NetworkManager
 * would run two profiles for one device. */

#include "backends/ini/fileset.h"
#include "macro.h"
#include "nmkeyfile.h"
#include "rootfs.h"

typedef struct work {
        char *rel;
        kn_ini ini;
        char *orig;
        bool created, remove;
} work;

typedef struct plan {
        nm_backend *b;
        work **w;
        size_t n, alloc;
        kn_error *err;
} plan;

static void plan_done(plan *p) {
        for (size_t k = 0; k < p->n; k++) {
                free(p->w[k]->rel);
                kn_ini_done(&p->w[k]->ini);
                free(p->w[k]->orig);
                free(p->w[k]);
        }
        free(p->w);
}

static work *plan_get(plan *p, const char *rel) {
        for (size_t k = 0; k < p->n; k++)
                if (streq(p->w[k]->rel, rel))
                        return p->w[k];
        work *w = kn_xcalloc(1, sizeof *w);
        w->rel = kn_xstrdup(rel);
        kn_ini_init(&w->ini, KN_INI_KEYFILE);
        GREEDY_REALLOC(p->w, p->alloc, p->n + 1);
        p->w[p->n++] = w;
        return w;
}

static int plan_open(plan *p, const char *rel, work **ret) {
        for (size_t k = 0; k < p->n; k++)
                if (streq(p->w[k]->rel, rel)) {
                        *ret = p->w[k];
                        return 0;
                }
        _cleanup_free_ char *data = NULL;
        _cleanup_free_ char *shown = kn_root_display(p->b->base.root, rel);
        size_t len = 0;
        int r = kn_root_read_file(p->b->base.root, rel, &data, &len);
        if (r < 0 && r != -ENOENT)
                return kn_error_set(p->err, -r, "%s: cannot read: %s", shown, strerror(-r));
        work *w = plan_get(p, rel);
        if (r == -ENOENT)
                w->created = true;
        else {
                w->orig = TAKE_PTR(data);
                kn_ini_done(&w->ini);
                if (kn_ini_parse(&w->ini, KN_INI_KEYFILE, w->orig, len) < 0)
                        return kn_error_set(p->err, EINVAL,
                                            "%s:%u: %s; fix the file (or undefine the "
                                            "interface) first",
                                            shown, w->ini.err_line, w->ini.err);
        }
        *ret = w;
        return 0;
}

static int conn_target(plan *p, const char *name, work **ret) {
        size_t n;
        const nm_entry *e = nm_by_ifname(p->b, name, &n);
        for (size_t k = 0; k < n; k++)
                if (e[k].conn->runtime)
                        return kn_error_set(p->err, EBUSY,
                                            "%s is configured by %s, a runtime profile%s; "
                                            "change it where it comes from",
                                            name, e[k].conn->shown,
                                            strncmp(e[k].conn->name, "netplan-", 8) == 0
                                                    ? " that netplan generates from "
                                                      "/etc/netplan/*.yaml"
                                                    : "");
        nm_conn *c = nm_chosen(p->b, name);
        if (c)
                return plan_open(p, c->rel, ret);
        _cleanup_free_ char *rel = kn_xasprintf(NM_DIR "/%s" NM_SUFFIX, name);
        nm_conn *other = nm_find_rel(p->b, rel);
        if (other)
                return kn_error_set(p->err, EEXIST,
                                    "%s exists but is not an ethernet, bridge, bond or vlan "
                                    "profile for %s; rename it",
                                    other->shown, name);
        return plan_open(p, rel, ret);
}

static void tree_names(const kn_iface *i, char ***v, size_t *n) {
        if (i->name[0]) {
                *v = kn_xrealloc(*v, (*n + 1) * sizeof **v);
                (*v)[(*n)++] = kn_xstrdup(i->name);
        }
        for (size_t k = 0; k < i->n_children; k++)
                tree_names(i->children[k], v, n);
}

static void release(plan *p, const char *name) {
        nm_conn *c = nm_chosen(p->b, name);
        if (!c) { /* only broken profiles name it */
                size_t n;
                const nm_entry *e = nm_by_ifname(p->b, name, &n);
                for (size_t k = 0; k < n && !c; k++)
                        if (!e[k].conn->runtime)
                                c = e[k].conn;
        }
        if (c)
                plan_get(p, c->rel)->remove = true;
}

static int write_tree(plan *p, const kn_iface *i, const kn_iface *master, nm_role role) {
        work *w;
        int r = conn_target(p, i->name, &w);
        if (r < 0 || (r = nm_write_conn(p->b, &w->ini, i, role, master, w->created, p->err)) < 0)
                return r;
        for (size_t k = 0; k < i->n_children; k++) {
                r = write_tree(p, i->children[k], i,
                               i->type == KN_IFACE_BRIDGE ? NM_PORT : NM_SLAVE);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int plan_apply(plan *p) {
        kn_fileset set = {0};
        for (size_t k = 0; k < p->n; k++) {
                work *w = p->w[k];
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
                /* NetworkManager ignores profiles others may read. */
                kn_fileset_write(&set, w->rel, data, len, 0600);
        }
        int r = kn_fileset_apply(&set, p->b->base.root, p->err);
        if (r >= 0)
                for (size_t k = 0; k < set.n; k++)
                        nm_state_update(p->b, set.ops[k].rel, set.ops[k].data, set.ops[k].len);
        if (r >= 0)
                nm_reindex(p->b);
        kn_fileset_done(&set);
        return r;
}

static bool strv_contains(char **v, size_t n, const char *s) {
        for (size_t k = 0; k < n; k++)
                if (streq(v[k], s))
                        return true;
        return false;
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

int nm_define(nm_backend *b, const kn_iface *in, kn_error *err) {
        _cleanup_iface_ kn_iface *iface = kn_iface_copy(in);
        plan p = {.b = b, .err = err};
        char **old = NULL, **new = NULL;
        size_t n_old = 0, n_new = 0;
        int r = name_vlans(iface, err);
        if (r < 0)
                return r;
        tree_names(iface, &new, &n_new);
        for (size_t k = 0; k < n_new; k++)
                nm_tree_names(b, new[k], &old, &n_old);
        r = write_tree(&p, iface, NULL, NM_TOP);
        for (size_t k = 0; k < n_old && r >= 0; k++)
                if (!strv_contains(new, n_new, old[k]))
                        release(&p, old[k]);
        if (r >= 0)
                r = plan_apply(&p);
        kn_strv_free(old, n_old);
        kn_strv_free(new, n_new);
        plan_done(&p);
        return r;
}

int nm_undefine(nm_backend *b, const char *name, kn_error *err) {
        plan p = {.b = b, .err = err};
        char **names = NULL;
        size_t n = 0;
        nm_tree_names(b, name, &names, &n);
        if (n == 0)
                release(&p, name);
        for (size_t k = 0; k < n; k++)
                release(&p, names[k]);
        int r = plan_apply(&p);
        kn_strv_free(names, n);
        plan_done(&p);
        return r;
}
