/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Which regimes configure an interface (see kvmnet/owner.h). */

#include "kvmnet/owner.h"

#include "macro.h"
#include "rootfs.h"

void kn_owners_add(kn_owners *o, const char *file, unsigned line, const char *how) {
        GREEDY_REALLOC(o->items, o->alloc, o->n + 1);
        o->items[o->n++] = (kn_owner){
                .file = kn_xstrdup(file),
                .line = line,
                .how = how ? kn_xstrdup(how) : NULL,
        };
}

void kn_owners_done(kn_owners *o) {
        for (size_t k = 0; k < o->n; k++) {
                free(o->items[k].file);
                free(o->items[k].how);
        }
        free(o->items);
        *o = (kn_owners){0};
}

char *kn_owner_describe(const kn_owner *o) {
        return kn_xasprintf("%s in %s%s%s%s", o->regime, o->file, o->how ? " (" : "",
                            o->how ? o->how : "", o->how ? ")" : "");
}

static bool tree_has(const kn_iface *i, const char *name, const char *mac) {
        if (streq(i->name, name) || (mac && i->mac[0] && strcasecmp(i->mac, mac) == 0))
                return true;
        for (size_t k = 0; k < i->n_children; k++)
                if (tree_has(i->children[k], name, mac))
                        return true;
        return false;
}

/* For backends without locate(): their list says whether they have it,
 * a diagnostic may say in which file. */
static void from_list(kn_backend *b, const char *name, const char *mac, kn_owners *out) {
        kn_iface_list l = {0};
        b->vt->list(b, &l);
        bool found = false;
        for (size_t k = 0; k < l.n && !found; k++)
                found = tree_has(l.items[k], name, mac);
        for (size_t k = 0; k < l.n_diags; k++)
                if (streq_ptr(l.diags[k].iface, name)) {
                        kn_owners_add(out, l.diags[k].file, l.diags[k].line, NULL);
                        found = false;
                        break;
                }
        if (found) {
                const char *const *dirs = b->vt->watch_dirs(b);
                _cleanup_free_ char *shown =
                        kn_root_display(b->root, dirs && dirs[0] ? dirs[0] : "/");
                kn_owners_add(out, shown, 0, NULL);
        }
        kn_iface_list_done(&l);
}

/* A loaded instance of a backend, or NULL if the root has none of its
 * files. */
static int open_backend(const kn_root *root, const kn_backend_vtable *vt, kn_backend **ret,
                        kn_error *err) {
        *ret = NULL;
        if (vt->detect(root) <= 0)
                return 0;
        kn_backend *b = kn_xcalloc(1, vt->object_size);
        b->vt = vt;
        b->root = root;
        kn_error sub = {0};
        int r = vt->load(b, &sub);
        if (r < 0) {
                if (vt->done)
                        vt->done(b);
                free(b);
                return kn_error_set(err, -r,
                                    "cannot tell whether %s files configure the interface: %s",
                                    vt->name, sub.message);
        }
        *ret = b;
        return 0;
}

static void close_backend(kn_backend *b) {
        if (!b)
                return;
        if (b->vt->done)
                b->vt->done(b);
        free(b);
}

static int ask(kn_backend *b, const char *name, const char *mac, kn_owners *out) {
        const char *regime = b->vt->regime ? b->vt->regime : b->vt->name;
        size_t before = out->n;
        int r = 0;
        if (b->vt->locate)
                r = b->vt->locate(b, name, mac, out);
        else
                from_list(b, name, mac, out);
        for (size_t k = before; k < out->n; k++) {
                out->items[k].backend = b->vt;
                out->items[k].regime = regime;
        }
        return r;
}

int kn_owner_find_at(const kn_root *root, const char *name, const char *mac, kn_owners *ret,
                     kn_error *err) {
        *ret = (kn_owners){0};
        for (size_t k = 0; kn_backends[k]; k++) {
                kn_backend *b;
                int r = open_backend(root, kn_backends[k], &b, err);
                if (r >= 0 && b)
                        r = ask(b, name, mac, ret);
                close_backend(b);
                if (r < 0) {
                        kn_owners_done(ret);
                        return r;
                }
        }
        return 0;
}

int kn_owner_find(const char *root, const char *name, const char *mac, kn_owners *ret,
                  kn_error *err) {
        kn_root *r = NULL;
        int e = kn_root_open(root ? root : "/", &r, err);
        if (e < 0)
                return e;
        e = kn_owner_find_at(r, name, mac, ret, err);
        kn_root_free(r);
        return e;
}

static int check_tree(kn_backend *b, const kn_iface *i, kn_error *err) {
        if (i->name[0]) {
                kn_owners o = {0};
                int r = ask(b, i->name, i->mac[0] ? i->mac : NULL, &o);
                if (r >= 0 && o.n > 0) {
                        _cleanup_free_ char *where = kn_owner_describe(&o.items[0]);
                        r = kn_error_set(err, EBUSY,
                                         "%s is already configured by %s; remove it there first",
                                         i->name, where);
                }
                kn_owners_done(&o);
                if (r < 0)
                        return r;
        }
        for (size_t k = 0; k < i->n_children; k++) {
                int r = check_tree(b, i->children[k], err);
                if (r < 0)
                        return r;
        }
        return 0;
}

int kn_owner_check(const kn_root *root, const kn_backend_vtable *self, const kn_iface *iface,
                   kn_error *err) {
        for (size_t k = 0; kn_backends[k]; k++) {
                if (kn_backends[k] == self)
                        continue;
                kn_backend *b;
                int r = open_backend(root, kn_backends[k], &b, err);
                if (r >= 0 && b)
                        r = check_tree(b, iface, err);
                close_backend(b);
                if (r < 0)
                        return r;
        }
        return 0;
}
