/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* define/undefine for NetworkManager keyfiles: one profile per interface,
 * port and slave, planned through a kn_ini_plan as in the networkd backend
 * (read afresh, all contents computed before anything is written, mode
 * 0600, undone on failure).  Interfaces that have a
 * runtime profile (under run/, e.g. netplan's) are refused: NetworkManager
 * would run two profiles for one device. */

#include "ini/plan.h"
#include "macro.h"
#include "nmkeyfile.h"
#include "rootfs.h"

typedef struct plan {
        kn_ini_plan files;
        kn_nmkeyfile_backend *b;
        kn_error *err;
} plan;

static int conn_target(plan *p, const char *name, kn_ini_work **ret) {
        size_t n;
        const kn_ini_entry *e = kn_nmkeyfile_by_ifname(p->b, name, &n);
        for (size_t k = 0; k < n; k++)
                if (e[k].file->runtime)
                        return kn_error_set(p->err, EBUSY,
                                            "%s is configured by %s, a runtime profile%s; "
                                            "change it where it comes from",
                                            name, e[k].file->shown,
                                            strncmp(e[k].file->name, "netplan-", 8) == 0
                                                    ? " that netplan generates from "
                                                      "/etc/netplan/*.yaml"
                                                    : "");
        kn_nmkeyfile_conn *c = kn_nmkeyfile_chosen(p->b, name);
        if (c)
                return kn_ini_plan_open(&p->files, c->file.rel, ret, p->err);
        _cleanup_free_ char *rel = kn_xasprintf(NM_DIR "/%s" NM_SUFFIX, name);
        const kn_ini_file *other = kn_ini_dir_find(&p->b->dir, rel);
        if (other)
                return kn_error_set(p->err, EEXIST,
                                    "%s exists but is not an ethernet, bridge, bond or vlan "
                                    "profile for %s; rename it",
                                    other->shown, name);
        return kn_ini_plan_open(&p->files, rel, ret, p->err);
}

static void release(plan *p, const char *name) {
        kn_nmkeyfile_conn *c = kn_nmkeyfile_chosen(p->b, name);
        if (!c) { /* only broken profiles name it */
                size_t n;
                const kn_ini_entry *e = kn_nmkeyfile_by_ifname(p->b, name, &n);
                for (size_t k = 0; k < n && !c; k++)
                        if (!e[k].file->runtime)
                                c = NM_CONN(e[k].file);
        }
        if (c)
                kn_ini_plan_remove(&p->files, c->file.rel);
}

static int write_tree(plan *p, const kn_iface *i, const kn_iface *master, kn_nmkeyfile_role role) {
        kn_ini_work *w;
        int r = conn_target(p, i->name, &w);
        if (r < 0 ||
            (r = kn_nmkeyfile_write_conn(p->b, &w->ini, i, role, master, w->created, p->err)) < 0)
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
        /* NetworkManager ignores profiles others may read. */
        return kn_ini_plan_apply(&p->files, 0600, p->err);
}

int kn_nmkeyfile_define(kn_nmkeyfile_backend *b, const kn_iface *in, kn_error *err) {
        _cleanup_iface_ kn_iface *iface = kn_iface_copy(in);
        plan p = {.files = {.dir = &b->dir, .log = b->base.log}, .b = b, .err = err};
        char **old = NULL, **new = NULL;
        size_t n_old = 0, n_new = 0;
        int r = kn_ini_plan_name_vlans(iface, err);
        if (r < 0)
                return r;
        kn_ini_plan_names(iface, &new, &n_new);
        for (size_t k = 0; k < n_new; k++)
                kn_nmkeyfile_tree_names(b, new[k], &old, &n_old);
        r = write_tree(&p, iface, NULL, NM_TOP);
        for (size_t k = 0; k < n_old && r >= 0; k++)
                if (!kn_ini_plan_has_name(new, n_new, old[k]))
                        release(&p, old[k]);
        if (r >= 0)
                r = plan_apply(&p);
        kn_strv_free(old, n_old);
        kn_strv_free(new, n_new);
        kn_ini_plan_done(&p.files);
        return r;
}

int kn_nmkeyfile_undefine(kn_nmkeyfile_backend *b, const char *name, kn_error *err) {
        plan p = {.files = {.dir = &b->dir, .log = b->base.log}, .b = b, .err = err};
        char **names = NULL;
        size_t n = 0;
        kn_nmkeyfile_tree_names(b, name, &names, &n);
        if (n == 0)
                release(&p, name);
        for (size_t k = 0; k < n; k++)
                release(&p, names[k]);
        int r = plan_apply(&p);
        kn_strv_free(names, n);
        kn_ini_plan_done(&p.files);
        return r;
}
