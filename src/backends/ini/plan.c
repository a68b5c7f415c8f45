/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "plan.h"

#include "fileset.h"
#include "macro.h"
#include "rootfs.h"

static kn_ini_work *find(kn_ini_plan *p, const char *rel) {
        for (size_t k = 0; k < p->n; k++)
                if (streq(p->w[k]->rel, rel))
                        return p->w[k];
        return NULL;
}

static kn_ini_work *add(kn_ini_plan *p, const char *rel) {
        kn_ini_work *w = kn_xcalloc(1, sizeof *w);
        w->rel = kn_xstrdup(rel);
        kn_ini_init(&w->ini, p->dir->type->syntax);
        GREEDY_REALLOC(p->w, p->alloc, p->n + 1);
        p->w[p->n++] = w;
        return w;
}

int kn_ini_plan_open(kn_ini_plan *p, const char *rel, kn_ini_work **ret, kn_error *err) {
        kn_ini_work *w = find(p, rel);
        if (w) {
                *ret = w;
                return 0;
        }
        const kn_root *root = p->dir->root;
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r = kn_root_read_file(root, rel, &data, &len);
        _cleanup_free_ char *shown = kn_root_display(root, rel);
        if (r < 0 && r != -ENOENT)
                return kn_error_set(err, -r, "%s: cannot read: %s", shown, strerror(-r));
        w = add(p, rel);
        if (r == -ENOENT)
                w->created = true;
        else {
                w->orig = TAKE_PTR(data);
                kn_ini_done(&w->ini);
                if (kn_ini_parse(&w->ini, p->dir->type->syntax, w->orig, len) < 0)
                        return kn_error_set(err, EINVAL,
                                            "%s:%u: %s; fix the file (or undefine the "
                                            "interface) first",
                                            shown, w->ini.err_line, w->ini.err);
        }
        *ret = w;
        return 0;
}

void kn_ini_plan_remove(kn_ini_plan *p, const char *rel) {
        kn_ini_work *w = find(p, rel);
        if (!w)
                w = add(p, rel);
        w->remove = true;
}

int kn_ini_plan_apply(kn_ini_plan *p, mode_t mode, kn_error *err) {
        kn_fileset set = {0};
        for (size_t k = 0; k < p->n; k++) {
                kn_ini_work *w = p->w[k];
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
                kn_fileset_write(&set, w->rel, data, len, mode);
        }
        int r = kn_fileset_apply(&set, p->dir->root, p->log, err);
        if (r >= 0) {
                for (size_t k = 0; k < set.n; k++)
                        kn_ini_dir_update(p->dir, set.ops[k].rel, set.ops[k].data, set.ops[k].len);
                kn_ini_dir_reindex(p->dir);
        }
        kn_fileset_done(&set);
        return r;
}

void kn_ini_plan_done(kn_ini_plan *p) {
        for (size_t k = 0; k < p->n; k++) {
                free(p->w[k]->rel);
                kn_ini_done(&p->w[k]->ini);
                free(p->w[k]->orig);
                free(p->w[k]);
        }
        free(p->w);
        *p = (kn_ini_plan){.dir = p->dir, .log = p->log};
}

int kn_ini_plan_name_vlans(kn_iface *i, kn_error *err) {
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
                int r = kn_ini_plan_name_vlans(i->children[k], err);
                if (r < 0)
                        return r;
        }
        return 0;
}

void kn_ini_plan_names(const kn_iface *i, char ***v, size_t *n) {
        if (i->name[0]) {
                *v = kn_xrealloc(*v, (*n + 1) * sizeof **v);
                (*v)[(*n)++] = kn_xstrdup(i->name);
        }
        for (size_t k = 0; k < i->n_children; k++)
                kn_ini_plan_names(i->children[k], v, n);
}

bool kn_ini_plan_has_name(char *const *v, size_t n, const char *name) {
        for (size_t k = 0; k < n; k++)
                if (streq(v[k], name))
                        return true;
        return false;
}
