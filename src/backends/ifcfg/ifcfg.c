/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The RHEL/Fedora ifcfg backend: etc/sysconfig/network-scripts/ifcfg-*,
 * with route-* and route6-* beside them.
 *
 * State: one record per ifcfg file (in file-name order) and an index from
 * interface name to the files defining it and the files naming it as their
 * BRIDGE= or MASTER=, so define/undefine and list never rescan the
 * directory.  The name an interface has is DEVICE=, or the file name when
 * DEVICE is missing; a file whose name says another device is not fooled
 * for (ifcfg-eth0 with DEVICE=eth9 defines eth9).
 *
 * Changes (define, undefine) are planned and written in ifcfg-define.c. */

#include <stdarg.h>

#include "ifcfg-private.h"
#include "macro.h"
#include "rootfs.h"

char *kn_ifcfg_rel(const char *suffix) {
        return kn_xasprintf(KN_IFCFG_DIR "/ifcfg-%s", suffix);
}

char *kn_ifcfg_route_rel(kn_ifcfg_which which, const char *id) {
        return kn_xasprintf(KN_IFCFG_DIR "/%s-%s", which == KN_IFCFG_ROUTE4 ? "route" : "route6",
                            id);
}

/* ---- records and the index ---- */

static void vec_push(kn_ifcfg_rec ***v, size_t *n, kn_ifcfg_rec *r) {
        *v = kn_xrealloc(*v, (*n + 1) * sizeof **v);
        (*v)[(*n)++] = r;
}

static void vec_drop(kn_ifcfg_rec **v, size_t *n, kn_ifcfg_rec *r) {
        for (size_t k = 0; k < *n; k++)
                if (v[k] == r) {
                        memmove(&v[k], &v[k + 1], (*n - k - 1) * sizeof *v);
                        (*n)--;
                        return;
                }
}

kn_ifcfg_entry *kn_ifcfg_entry_get(kn_ifcfg_backend *b, const char *name, bool create) {
        kn_ifcfg_entry *e = kn_ifcfg_map_get(&b->names, name);
        if (!e && create) {
                e = kn_xcalloc(1, sizeof *e);
                kn_ifcfg_map_put(&b->names, name, e);
        }
        return e;
}

static void entry_free(void *p) {
        kn_ifcfg_entry *e = p;
        free(e->defs);
        free(e->kids);
        free(e);
}

static void entry_gc(kn_ifcfg_backend *b, const char *name, kn_ifcfg_entry *e) {
        if (!e->n_defs && !e->n_kids)
                entry_free(kn_ifcfg_map_remove(&b->names, name));
}

static void rec_free(kn_ifcfg_rec *r) {
        if (!r)
                return;
        kn_ifcfg_info_done(&r->info);
        free(r->suffix);
        free(r->err);
        free(r->err_rel);
        free(r);
}

static void rec_add(kn_ifcfg_backend *b, kn_ifcfg_rec *r) {
        GREEDY_REALLOC(b->recs, b->alloc_recs, b->n_recs + 1);
        r->pos = b->n_recs;
        b->recs[b->n_recs++] = r;
        if (r->other_mac[0])
                b->n_ignored++;
        if (!r->name[0] || r->other_mac[0])
                return;
        r->entry = kn_ifcfg_entry_get(b, r->name, true);
        vec_push(&r->entry->defs, &r->entry->n_defs, r);
        if (r->info.iface && r->info.master[0]) {
                r->master_entry = kn_ifcfg_entry_get(b, r->info.master, true);
                vec_push(&r->master_entry->kids, &r->master_entry->n_kids, r);
        }
}

void kn_ifcfg_rec_remove(kn_ifcfg_backend *b, kn_ifcfg_rec *r) {
        if (r->entry) {
                vec_drop(r->entry->defs, &r->entry->n_defs, r);
                entry_gc(b, r->name, r->entry);
        }
        if (r->master_entry) {
                vec_drop(r->master_entry->kids, &r->master_entry->n_kids, r);
                entry_gc(b, r->info.master, r->master_entry);
        }
        if (r->other_mac[0])
                b->n_ignored--;
        b->recs[r->pos] = NULL;
        b->n_dead++;
        rec_free(r);
}

static void state_clear(kn_ifcfg_backend *b) {
        for (size_t k = 0; k < b->n_recs; k++)
                rec_free(b->recs[k]);
        free(b->recs);
        b->recs = NULL;
        b->n_recs = b->alloc_recs = b->n_dead = b->n_ignored = 0;
        kn_ifcfg_map_done(&b->names, entry_free);
        free(b->devs);
        b->devs = NULL;
        b->n_devs = 0;
}

/* ---- reading ---- */

/* The sorted directory listing, when loading everything (NULL: ask the
 * file system), and where its route-* and route6-* names are, so that
 * looking for an interface's route files costs nothing when there are
 * none. */
typedef struct dir_listing {
        char **names;
        size_t n;
        size_t routes, n_routes;
} dir_listing;

static int cmp_name(const void *key, const void *elem) {
        return strcmp(key, *(char *const *) elem);
}

static bool file_exists(kn_ifcfg_backend *b, const dir_listing *d, const char *rel) {
        if (d)
                return d->n_routes && bsearch_safe(strrchr(rel, '/') + 1, d->names + d->routes,
                                                   d->n_routes, sizeof *d->names, cmp_name);
        return kn_root_exists(b->base.root, rel);
}

_printf_(4, 5) static void rec_fail(kn_ifcfg_rec *r, const char *rel, unsigned line,
                                    const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        r->err = kn_xvasprintf(fmt, ap);
        va_end(ap);
        r->err_rel = kn_xstrdup(rel);
        r->err_line = line;
        kn_ifcfg_info_done(&r->info);
}

/* Parse the route files of an interface that exist; rels[] says which. */
static void read_routes(kn_ifcfg_backend *b, const dir_listing *d, kn_ifcfg_rec *r,
                        kn_ifcfg_file files[_KN_IFCFG_WHICH_MAX], char *rels[_KN_IFCFG_WHICH_MAX]) {
        if (d && !d->n_routes)
                return;
        for (kn_ifcfg_which w = KN_IFCFG_ROUTE4; w <= KN_IFCFG_ROUTE6; w++) {
                /* initscripts looks for route-DEVICE, then route-SUFFIX */
                const char *ids[] = {r->name, r->suffix};
                size_t n_ids = streq(r->name, r->suffix) ? 1 : 2;
                for (size_t k = 0; k < n_ids && !rels[w]; k++) {
                        _cleanup_free_ char *rel = kn_ifcfg_route_rel(w, ids[k]);
                        _cleanup_free_ char *data = NULL;
                        size_t len;
                        if (!file_exists(b, d, rel) ||
                            kn_root_read_file(b->base.root, rel, &data, &len) < 0)
                                continue;
                        kn_ifcfg_file_parse(&files[w], data, len);
                        rels[w] = TAKE_PTR(rel);
                }
        }
}

static kn_ifcfg_rec *rec_load(kn_ifcfg_backend *b, const dir_listing *d, const char *suffix) {
        kn_ifcfg_rec *r = kn_xcalloc(1, sizeof *r);
        r->suffix = kn_xstrdup(suffix);
        _cleanup_free_ char *rel = kn_ifcfg_rel(suffix), *data = NULL;
        size_t len;
        kn_ifcfg_problem p = {0};
        int e = kn_root_read_file(b->base.root, rel, &data, &len);
        if (e < 0) {
                if (kn_ifname_validate(suffix, NULL, NULL) >= 0)
                        snprintf(r->name, sizeof r->name, "%s", suffix);
                rec_fail(r, rel, 0, "cannot read: %s", strerror(-e));
                return r;
        }
        kn_ifcfg_file f = {0};
        kn_ifcfg_file_parse(&f, data, len);
        if (kn_ifcfg_read_name(&f, suffix, r->name, &p) < 0) {
                if (kn_ifname_validate(suffix, NULL, NULL) >= 0)
                        snprintf(r->name, sizeof r->name, "%s", suffix);
                rec_fail(r, rel, p.line, "%s", p.message);
        } else if (f.err)
                rec_fail(r, rel, f.err_line, "%s", f.err);
        else {
                kn_ifcfg_file routes[_KN_IFCFG_WHICH_MAX] = {0};
                char *rels[_KN_IFCFG_WHICH_MAX] = {0};
                read_routes(b, d, r, routes, rels);
                const kn_ifcfg_file *rp[_KN_IFCFG_WHICH_MAX] = {
                        NULL,
                        rels[KN_IFCFG_ROUTE4] ? &routes[KN_IFCFG_ROUTE4] : NULL,
                        rels[KN_IFCFG_ROUTE6] ? &routes[KN_IFCFG_ROUTE6] : NULL,
                };
                char dev[KN_MAC_STRLEN + 1];
                if (kn_ifcfg_read(&f, r->name, rp, &r->info, &p) < 0)
                        rec_fail(r, p.which == KN_IFCFG_MAIN ? rel : rels[p.which], p.line, "%s",
                                 p.message);
                else if (r->info.iface->type == KN_IFACE_ETHERNET && r->info.iface->mac[0] &&
                         kn_device_mac_find(b->devs, b->n_devs, r->name, dev) >= 0 &&
                         !streq(dev, r->info.iface->mac))
                        memcpy(r->other_mac, dev, sizeof dev);
                for (kn_ifcfg_which w = 0; w < _KN_IFCFG_WHICH_MAX; w++) {
                        kn_ifcfg_file_done(&routes[w]);
                        free(rels[w]);
                }
        }
        kn_ifcfg_file_done(&f);
        return r;
}

/* Files that are not interface definitions to initscripts either. */
static bool ignored_suffix(const char *s) {
        static const char *const ends[] = {"~",       ".bak",     ".old",     ".orig",
                                           ".rpmnew", ".rpmorig", ".rpmsave", ".swp"};
        if (!*s || streq(s, "lo") || strchr(s, ':') || strstr(s, "-range"))
                return true; /* loopback, aliases (eth0:1), address ranges */
        size_t n = strlen(s);
        for (size_t k = 0; k < ELEMENTSOF(ends); k++) {
                size_t m = strlen(ends[k]);
                if (n > m && streq(s + n - m, ends[k]))
                        return true;
        }
        return false;
}

static void add_loaded(kn_ifcfg_backend *b, kn_ifcfg_rec *r) {
        if (streq(r->name, "lo")) /* DEVICE=lo in a file of another name */
                rec_free(r);
        else
                rec_add(b, r);
}

void kn_ifcfg_rec_reload(kn_ifcfg_backend *b, const char *suffix) {
        _cleanup_free_ char *rel = kn_ifcfg_rel(suffix);
        if (kn_root_exists(b->base.root, rel))
                add_loaded(b, rec_load(b, NULL, suffix));
}

static int ifcfg_load(kn_backend *base, kn_error *err) {
        kn_ifcfg_backend *b = (kn_ifcfg_backend *) base;
        dir_listing d = {0};
        state_clear(b);
        int r = kn_root_list_dir(base->root, KN_IFCFG_DIR, &d.names, &d.n);
        if (r == -ENOENT)
                return 0;
        /* for HWADDR=: a device nobody can read is one without a MAC */
        if (r >= 0 && kn_backend_device_macs(base, &b->devs, &b->n_devs) < 0)
                b->n_devs = 0;
        if (r < 0) {
                _cleanup_free_ char *shown = kn_root_display(base->root, KN_IFCFG_DIR);
                return kn_error_set(err, -r, "%s: cannot list the directory: %s", shown,
                                    strerror(-r));
        }
        /* route- and route6- names sort together */
        for (d.routes = 0; d.routes < d.n && strncmp(d.names[d.routes], "route", 5) < 0;)
                d.routes++;
        while (d.routes + d.n_routes < d.n &&
               strncmp(d.names[d.routes + d.n_routes], "route", 5) == 0)
                d.n_routes++;
        for (size_t k = 0; k < d.n; k++)
                if (strncmp(d.names[k], "ifcfg-", 6) == 0 && !ignored_suffix(d.names[k] + 6))
                        add_loaded(b, rec_load(b, &d, d.names[k] + 6));
        kn_strv_free(d.names, d.n);
        return 0;
}

/* ---- listing ---- */

static bool usable(const kn_ifcfg_rec *r) {
        return r->info.iface && r->entry && r->entry->n_defs == 1;
}

/* Why a port/slave cannot be placed inside its master, or NULL. */
static const char *master_problem(const kn_ifcfg_rec *r, char *buf, size_t len, int depth) {
        const char *key = r->info.master_type == KN_IFACE_BRIDGE ? "BRIDGE" : "MASTER";
        const char *m = r->info.master;
        const kn_ifcfg_entry *e = r->master_entry;
        if (!e || !e->n_defs)
                snprintf(buf, len, "%s=%s, but no ifcfg file defines %s", key, m, m);
        else if (!usable(e->defs[0]))
                snprintf(buf, len, "%s=%s, but the definition of %s is broken (see its error)", key,
                         m, m);
        else if (e->defs[0]->info.iface->type != r->info.master_type)
                snprintf(buf, len, "%s=%s, but %s is a %s, not a %s", key, m, m,
                         kn_iface_type_to_string(e->defs[0]->info.iface->type),
                         kn_iface_type_to_string(r->info.master_type));
        else if (e->defs[0]->info.master[0] && depth < 3)
                return master_problem(e->defs[0], buf, len, depth + 1);
        else
                return NULL;
        return buf;
}

static int cmp_rec(const void *a, const void *b) {
        return strcmp((*(kn_ifcfg_rec *const *) a)->suffix, (*(kn_ifcfg_rec *const *) b)->suffix);
}

static kn_iface *build(const kn_ifcfg_rec *r) {
        kn_iface *i = kn_iface_copy(r->info.iface);
        const kn_ifcfg_entry *e = r->entry;
        if (!e->n_kids)
                return i;
        _cleanup_free_ kn_ifcfg_rec **kids = kn_xmalloc(e->n_kids * sizeof *kids);
        size_t n = 0;
        char buf[256];
        for (size_t k = 0; k < e->n_kids; k++)
                if (usable(e->kids[k]) && !master_problem(e->kids[k], buf, sizeof buf, 0))
                        kids[n++] = e->kids[k];
        /* File-name order; a bond's primary first, as the XML says it. */
        qsort_safe(kids, n, sizeof *kids, cmp_rec);
        for (size_t k = 1; k < n && r->info.primary[0]; k++)
                if (streq(kids[k]->name, r->info.primary)) {
                        kn_ifcfg_rec *p = kids[k];
                        memmove(&kids[1], &kids[0], k * sizeof *kids);
                        kids[0] = p;
                        break;
                }
        for (size_t k = 0; k < n; k++)
                kn_iface_add_child(i, build(kids[k]));
        return i;
}

static void compact(kn_ifcfg_backend *b) {
        if (!b->n_dead)
                return;
        size_t n = 0;
        for (size_t k = 0; k < b->n_recs; k++)
                if (b->recs[k]) {
                        b->recs[k]->pos = n;
                        b->recs[n++] = b->recs[k];
                }
        b->n_recs = n;
        b->n_dead = 0;
}

static void ifcfg_list(kn_backend *base, kn_iface_list *out) {
        kn_ifcfg_backend *b = (kn_ifcfg_backend *) base;
        const kn_root *root = base->root;
        compact(b);
        for (size_t k = 0; k < b->n_recs; k++) {
                const kn_ifcfg_rec *r = b->recs[k];
                const kn_ifcfg_entry *e = r->entry;
                char buf[256];
                if (r->other_mac[0]) {
                        _cleanup_free_ char *rel = kn_ifcfg_rel(r->suffix);
                        _cleanup_free_ char *file = kn_root_display(root, rel);
                        kn_iface_list_warn(out, file, 0, r->name,
                                           "HWADDR=%s is not the MAC of %s (%s): this file is "
                                           "for another NIC, ignored for %s as initscripts does",
                                           r->info.iface->mac, r->name, r->other_mac, r->name);
                        continue;
                }
                if (e && e->n_defs > 1) {
                        if (r != e->defs[0])
                                continue;
                        _cleanup_free_ char *rel1 = kn_ifcfg_rel(r->suffix);
                        _cleanup_free_ char *rel2 = kn_ifcfg_rel(e->defs[1]->suffix);
                        _cleanup_free_ char *first = kn_root_display(root, rel1);
                        _cleanup_free_ char *second = kn_root_display(root, rel2);
                        kn_iface_list_diag(out, second, 0, r->name,
                                           "%s is defined twice, by %s and by %s (DEVICE= or the "
                                           "file name); remove or rename one of them",
                                           r->name, first, second);
                } else if (r->err) {
                        _cleanup_free_ char *file = kn_root_display(root, r->err_rel);
                        kn_iface_list_diag(out, file, r->err_line, r->name[0] ? r->name : NULL,
                                           "%s", r->err);
                } else if (r->info.master[0]) {
                        if (master_problem(r, buf, sizeof buf, 0)) {
                                _cleanup_free_ char *rel = kn_ifcfg_rel(r->suffix);
                                _cleanup_free_ char *file = kn_root_display(root, rel);
                                kn_iface_list_diag(out, file, r->info.master_line, r->name, "%s",
                                                   buf);
                        }
                } else {
                        kn_iface *i = build(r);
                        kn_error err = {0};
                        /* what is listed, define takes back (a bond without
                         * slaves has no XML that libvirt's schema accepts) */
                        if (kn_iface_validate(i, &err) < 0) {
                                _cleanup_free_ char *rel = kn_ifcfg_rel(r->suffix);
                                _cleanup_free_ char *file = kn_root_display(root, rel);
                                kn_iface_list_diag(out, file, 0, r->name, "%s", err.message);
                                kn_iface_free(i);
                        } else
                                kn_iface_list_add(out, i);
                }
        }
}

/* ---- the rest of the vtable ---- */

static int ifcfg_detect(const kn_root *root) {
        char **names;
        size_t n;
        if (kn_root_list_dir(root, KN_IFCFG_DIR, &names, &n) < 0)
                return 0;
        int r = 1; /* the directory is there */
        for (size_t k = 0; k < n && r == 1; k++)
                if (strncmp(names[k], "ifcfg-", 6) == 0 && !ignored_suffix(names[k] + 6))
                        r = 2;
        kn_strv_free(names, n);
        return r;
}

static void ifcfg_done(kn_backend *base) {
        state_clear((kn_ifcfg_backend *) base);
}

static const char *const *ifcfg_watch_dirs(kn_backend *base) {
        static const char *const dirs[] = {KN_IFCFG_DIR, NULL};
        return dirs;
}

/* The file a port's definition is in: ifcfg-SUFFIX, listed in that order. */
static const char *child_suffix(kn_backend *base, const kn_iface *c) {
        kn_ifcfg_backend *b = (kn_ifcfg_backend *) base;
        kn_ifcfg_entry *e = b ? kn_ifcfg_entry_get(b, c->name, false) : NULL;
        return e && e->n_defs ? e->defs[0]->suffix : NULL;
}

static void normalize_children(kn_backend *base, kn_iface *i) {
        /* ports and slaves come in file-name order; the primary= of
         * BONDING_OPTS (written for these modes, with two slaves or more)
         * puts a bond's first slave first */
        bool primary = i->type == KN_IFACE_BOND && i->n_children > 1 &&
                       (i->bond_mode == KN_BOND_ACTIVE_BACKUP ||
                        i->bond_mode == KN_BOND_BALANCE_TLB || i->bond_mode == KN_BOND_BALANCE_ALB);
        kn_backend_sort_children(base, i, primary, child_suffix);
        for (size_t k = 0; k < i->n_children; k++)
                normalize_children(base, i->children[k]);
}

/* BOOTPROTO=none with no address reads back as no IPv4 at all. */
static void ifcfg_normalize(kn_backend *base, kn_iface *i) {
        kn_protocol *p = &i->ipv4;
        if (p->present && !p->dhcp && !p->n_ips && !p->gateway[0])
                p->present = false;
        normalize_children(base, i);
}

static const char *ifcfg_unstored_why(const char *want) {
        if (startswith(want, "the order"))
                return "ifcfg files are read in file-name order; a bond's primary= comes first";
        if (startswith(want, "<protocol family='ipv4'>"))
                return "BOOTPROTO=none without an address is no IPv4 at all";
        return NULL;
}

const kn_backend_vtable kn_ifcfg_vtable = {
        .unstored_why = ifcfg_unstored_why,
        .name = "ifcfg",
        .object_size = sizeof(kn_ifcfg_backend),
        .detect = ifcfg_detect,
        .detect_paths = (const char *const[]){KN_IFCFG_DIR "/", NULL},
        .done = ifcfg_done,
        .load = ifcfg_load,
        .list = ifcfg_list,
        .define = kn_ifcfg_define,
        .undefine = kn_ifcfg_undefine,
        .watch_dirs = ifcfg_watch_dirs,
        .lossy = true,
        .normalize = ifcfg_normalize,
};
