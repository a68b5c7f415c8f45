/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The systemd-networkd backend: etc/systemd/network, .network and .netdev
 * files (see networkd.h for what is read, listed and written).
 *
 * State: every file of both directories, parsed and digested (what it
 * says for the model, read once), in file-name order, and sorted indexes:
 * literal Name= to .network, [NetDev] Name= to .netdev, Bridge=/Bond= and
 * VLAN= values to .network, and the .network files matching by pattern.
 * A link's applying file costs a binary search plus a walk over the
 * pattern files (a handful on real hosts).  After a change only the files
 * written are parsed again, and the indexes are merged, not re-sorted, so
 * a define costs O(files it touches + one pass), not a reload. */

#include "networkd.h"

#include <sys/stat.h>

#include "backends/owner-locate.h"
#include "macro.h"
#include "rootfs.h"

static bool has_suffix(const char *s, const char *suffix) {
        size_t n = strlen(s), m = strlen(suffix);
        return n > m && streq(s + n - m, suffix);
}

nd_file *nd_file_new(nd_backend *b, const char *dir, const char *name, const char *data, size_t len,
                     bool runtime) {
        nd_file *f = kn_xcalloc(1, sizeof *f);
        f->name = kn_xstrdup(name);
        f->rel = kn_xasprintf("%s/%s", dir, name);
        f->shown = kn_root_display(b->base.root, f->rel);
        f->type = has_suffix(name, ".netdev") ? ND_NETDEV : ND_NETWORK;
        f->runtime = runtime;
        /* An empty file masks the one of the same name and matches nothing. */
        f->masked = len == 0;
        f->broken = kn_ini_parse(&f->ini, KN_INI_SYSTEMD, data, len) < 0;
        if (f->type == ND_NETWORK)
                nd_match_parse(f);
        else {
                f->netdev_name = kn_ini_get(&f->ini, "NetDev", "Name");
                f->netdev_kind = kn_ini_get(&f->ini, "NetDev", "Kind");
        }
        nd_digest(f);
        return f;
}

void nd_file_free(nd_file *f) {
        if (!f)
                return;
        nd_match_clear(f);
        kn_iface_free(f->iface);
        free(f->problem);
        kn_ini_done(&f->ini);
        free(f->name);
        free(f->rel);
        free(f->shown);
        free(f);
}

static int cmp_file(const void *a, const void *b) {
        return strcmp((*(nd_file *const *) a)->name, (*(nd_file *const *) b)->name);
}

static int cmp_entry(const void *a, const void *b) {
        const nd_entry *x = a, *y = b;
        int r = strcmp(x->key, y->key);
        return r ? r : strcmp(x->file->name, y->file->name);
}

static void add_entry(nd_entry **v, size_t *n, size_t *alloc, const char *key, nd_file *f) {
        GREEDY_REALLOC(*v, *alloc, *n + 1);
        (*v)[(*n)++] = (nd_entry){key, f};
}

/* Append what one file contributes to the indexes (unsorted). */
static void index_file(nd_backend *b, nd_file *f) {
        if (f->masked)
                return;
        if (f->type == ND_NETDEV) {
                if (f->netdev_name)
                        add_entry(&b->netdevs, &b->n_netdevs, &b->alloc_netdevs, f->netdev_name, f);
                return;
        }
        if (f->master[0])
                add_entry(&b->by_master, &b->n_by_master, &b->alloc_by_master, f->master, f);
        KN_INI_FOREACH(j, &f->ini, "Network", "VLAN") {
                if (*f->ini.lines[j].value)
                        add_entry(&b->by_vlan, &b->n_by_vlan, &b->alloc_by_vlan,
                                  f->ini.lines[j].value, f);
        }
        if (f->literal)
                add_entry(&b->literals, &b->n_literals, &b->alloc_literals, f->literal, f);
        else {
                GREEDY_REALLOC(b->patterns, b->alloc_patterns, b->n_patterns + 1);
                b->patterns[b->n_patterns++] = f;
        }
}

static void reindex(nd_backend *b) {
        b->n_literals = b->n_netdevs = b->n_patterns = b->n_by_master = b->n_by_vlan = 0;
        for (size_t k = 0; k < b->n_files; k++)
                index_file(b, b->files[k]);
        qsort_safe(b->literals, b->n_literals, sizeof *b->literals, cmp_entry);
        qsort_safe(b->netdevs, b->n_netdevs, sizeof *b->netdevs, cmp_entry);
        qsort_safe(b->by_master, b->n_by_master, sizeof *b->by_master, cmp_entry);
        qsort_safe(b->by_vlan, b->n_by_vlan, sizeof *b->by_vlan, cmp_entry);
        qsort_safe(b->patterns, b->n_patterns, sizeof *b->patterns, cmp_file);
}

/* After a change: drop the entries of the files that went, sort those of
 * the new ones and merge them in, so that a define costs a pass over the
 * indexes, not a sort of them. */
static size_t drop_dead(nd_entry *v, size_t n) {
        size_t out = 0;
        for (size_t k = 0; k < n; k++)
                if (!v[k].file->dead)
                        v[out++] = v[k];
        return out;
}

static void merge_tail(void *base, size_t old, size_t n, size_t size,
                       int (*cmp)(const void *, const void *)) {
        char *v = base;
        qsort_safe(v + old * size, n - old, size, cmp);
        if (old == 0 || old == n)
                return;
        _cleanup_free_ char *tmp = kn_xmalloc(n * size);
        size_t i = 0, j = old, o = 0;
        while (i < old || j < n) {
                bool left = j == n || (i < old && cmp(v + i * size, v + j * size) <= 0);
                memcpy(tmp + o++ * size, v + (left ? i++ : j++) * size, size);
        }
        memcpy(v, tmp, n * size);
}

void nd_reindex(nd_backend *b) {
        if (!b->n_fresh && !b->n_dead)
                return;
        b->n_literals = drop_dead(b->literals, b->n_literals);
        b->n_netdevs = drop_dead(b->netdevs, b->n_netdevs);
        b->n_by_master = drop_dead(b->by_master, b->n_by_master);
        b->n_by_vlan = drop_dead(b->by_vlan, b->n_by_vlan);
        size_t np = 0;
        for (size_t k = 0; k < b->n_patterns; k++)
                if (!b->patterns[k]->dead)
                        b->patterns[np++] = b->patterns[k];
        b->n_patterns = np;
        size_t l = b->n_literals, d = b->n_netdevs, m = b->n_by_master, v = b->n_by_vlan,
               p = b->n_patterns;
        for (size_t k = 0; k < b->n_fresh; k++)
                if (!b->fresh[k]->dead)
                        index_file(b, b->fresh[k]);
        merge_tail(b->literals, l, b->n_literals, sizeof *b->literals, cmp_entry);
        merge_tail(b->netdevs, d, b->n_netdevs, sizeof *b->netdevs, cmp_entry);
        merge_tail(b->by_master, m, b->n_by_master, sizeof *b->by_master, cmp_entry);
        merge_tail(b->by_vlan, v, b->n_by_vlan, sizeof *b->by_vlan, cmp_entry);
        merge_tail(b->patterns, p, b->n_patterns, sizeof *b->patterns, cmp_file);
        for (size_t k = 0; k < b->n_dead; k++)
                nd_file_free(b->dead[k]);
        b->n_fresh = b->n_dead = 0;
}

/* The first entry for key, or NULL. */
static const nd_entry *first_entry(const nd_entry *v, size_t n, const char *key) {
        size_t lo = 0, hi = n;
        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (strcmp(v[mid].key, key) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo < n && streq(v[lo].key, key) ? &v[lo] : NULL;
}

nd_file *nd_literal_of(const nd_backend *b, const char *link) {
        const nd_entry *e = first_entry(b->literals, b->n_literals, link);
        return e ? e->file : NULL;
}

const nd_entry *nd_literals(const nd_backend *b, const char *link, size_t *ret_n) {
        const nd_entry *e = first_entry(b->literals, b->n_literals, link), *end = e;
        while (end && end < b->literals + b->n_literals && streq(end->key, link))
                end++;
        *ret_n = e ? (size_t) (end - e) : 0;
        return e;
}

static const nd_entry *range(const nd_entry *v, size_t n, const char *key, size_t *ret_n) {
        const nd_entry *e = first_entry(v, n, key), *end = e;
        while (end && end < v + n && streq(end->key, key))
                end++;
        *ret_n = e ? (size_t) (end - e) : 0;
        return e;
}

const nd_entry *nd_by_master(const nd_backend *b, const char *link, size_t *ret_n) {
        return range(b->by_master, b->n_by_master, link, ret_n);
}

const nd_entry *nd_by_vlan(const nd_backend *b, const char *link, size_t *ret_n) {
        return range(b->by_vlan, b->n_by_vlan, link, ret_n);
}

nd_file *nd_netdev_of(const nd_backend *b, const char *link) {
        const nd_entry *e = first_entry(b->netdevs, b->n_netdevs, link);
        return e ? e->file : NULL;
}

nd_file *nd_applying(const nd_backend *b, const char *link, const char *mac) {
        nd_file *best = NULL;
        const nd_entry *end = b->literals + b->n_literals;
        for (const nd_entry *e = first_entry(b->literals, b->n_literals, link);
             e && e < end && streq(e->key, link); e++)
                if (nd_match(e->file, link, mac)) {
                        best = e->file;
                        break;
                }
        for (size_t k = 0; k < b->n_patterns; k++) {
                nd_file *f = b->patterns[k];
                if (best && strcmp(f->name, best->name) > 0)
                        break;
                if (nd_match(f, link, mac))
                        return f;
        }
        return best;
}

static void state_clear(nd_backend *b) {
        for (size_t k = 0; k < b->n_files; k++)
                nd_file_free(b->files[k]);
        free(b->files);
        free(b->literals);
        free(b->netdevs);
        free(b->patterns);
        free(b->by_master);
        free(b->by_vlan);
        for (size_t k = 0; k < b->n_dead; k++)
                nd_file_free(b->dead[k]);
        free(b->dead);
        free(b->fresh);
        b->dead = b->fresh = NULL;
        b->n_dead = b->alloc_dead = b->n_fresh = b->alloc_fresh = 0;
        b->by_master = b->by_vlan = NULL;
        b->n_by_master = b->alloc_by_master = b->n_by_vlan = b->alloc_by_vlan = 0;
        b->files = NULL;
        b->literals = b->netdevs = NULL;
        b->patterns = NULL;
        b->n_files = b->alloc_files = b->n_literals = b->alloc_literals = 0;
        b->n_netdevs = b->alloc_netdevs = b->n_patterns = b->alloc_patterns = 0;
}

static bool wanted_name(const char *name) {
        return has_suffix(name, ".network") || has_suffix(name, ".netdev");
}

nd_file *nd_find_file(const nd_backend *b, const char *name) {
        nd_file key = {.name = (char *) name}, *kp = &key;
        nd_file **f = bsearch_safe(&kp, b->files, b->n_files, sizeof *b->files, cmp_file);
        return f ? *f : NULL;
}

static int load_dir(nd_backend *b, const char *dir, bool runtime, kn_error *err) {
        char **names;
        size_t n;
        int r = kn_root_list_dir(b->base.root, dir, &names, &n);
        if (r == -ENOENT)
                return 0;
        if (r < 0) {
                _cleanup_free_ char *shown = kn_root_display(b->base.root, dir);
                return kn_error_set(err, -r, "%s: cannot list the directory: %s", shown,
                                    strerror(-r));
        }
        for (size_t k = 0; k < n; k++) {
                if (!wanted_name(names[k]))
                        continue;
                /* etc/ is loaded first: a runtime file of the same name is hidden. */
                if (runtime && nd_find_file(b, names[k]))
                        continue;
                _cleanup_free_ char *rel = kn_xasprintf("%s/%s", dir, names[k]);
                _cleanup_free_ char *data = NULL;
                size_t len = 0;
                struct stat st;
                if (kn_root_stat(b->base.root, rel, &st) >= 0 && S_ISDIR(st.st_mode))
                        continue;
                r = kn_root_read_file(b->base.root, rel, &data, &len);
                nd_file *f =
                        nd_file_new(b, dir, names[k], r < 0 ? "" : data, r < 0 ? 0 : len, runtime);
                if (r < 0) {
                        f->masked = false;
                        f->broken = true;
                        free(f->problem);
                        f->problem = kn_xasprintf("cannot read: %s", strerror(-r));
                }
                GREEDY_REALLOC(b->files, b->alloc_files, b->n_files + 1);
                b->files[b->n_files++] = f;
        }
        kn_strv_free(names, n);
        qsort_safe(b->files, b->n_files, sizeof *b->files, cmp_file);
        return 0;
}

static int nd_load(kn_backend *base, kn_error *err) {
        nd_backend *b = (nd_backend *) base;
        state_clear(b);
        int r = load_dir(b, ND_DIR, false, err);
        if (r >= 0)
                r = load_dir(b, ND_RUN_DIR, true, err);
        if (r < 0) {
                state_clear(b);
                return r;
        }
        reindex(b);
        return 0;
}

void nd_state_update(nd_backend *b, const char *rel, const char *data, size_t len) {
        const char *slash = strrchr(rel, '/');
        const char *name = slash ? slash + 1 : rel;
        _cleanup_free_ char *dir = kn_xstrndup(rel, slash ? (size_t) (slash - rel) : 0);
        nd_file *old = nd_find_file(b, name);
        if (old && streq(old->rel, rel)) {
                size_t k = 0;
                for (size_t lo = 0, hi = b->n_files; lo < hi;) {
                        k = (lo + hi) / 2;
                        int c = strcmp(b->files[k]->name, name);
                        if (c == 0)
                                break;
                        if (c < 0)
                                lo = k + 1;
                        else
                                hi = k;
                }
                /* Freed by nd_reindex(), once the indexes no longer point to it. */
                b->files[k]->dead = true;
                GREEDY_REALLOC(b->dead, b->alloc_dead, b->n_dead + 1);
                b->dead[b->n_dead++] = b->files[k];
                memmove(&b->files[k], &b->files[k + 1], (b->n_files - k - 1) * sizeof *b->files);
                b->n_files--;
        }
        if (data) {
                /* A file in etc/ hides the runtime one of the same name. */
                nd_file *hidden = nd_find_file(b, name);
                if (hidden && hidden->runtime) {
                        _cleanup_free_ char *hrel = kn_xstrdup(hidden->rel);
                        nd_state_update(b, hrel, NULL, 0);
                }
                nd_file *f = nd_file_new(b, dir, name, data, len, false);
                size_t at = 0, hi = b->n_files;
                while (at < hi) {
                        size_t mid = (at + hi) / 2;
                        if (strcmp(b->files[mid]->name, name) < 0)
                                at = mid + 1;
                        else
                                hi = mid;
                }
                GREEDY_REALLOC(b->files, b->alloc_files, b->n_files + 1);
                memmove(&b->files[at + 1], &b->files[at], (b->n_files - at) * sizeof *b->files);
                b->files[at] = f;
                b->n_files++;
                GREEDY_REALLOC(b->fresh, b->alloc_fresh, b->n_fresh + 1);
                b->fresh[b->n_fresh++] = f;
        }
}

static int dir_has_files(const kn_root *root, const char *dir) {
        char **names;
        size_t n;
        if (kn_root_list_dir(root, dir, &names, &n) < 0)
                return 0;
        int found = 0;
        for (size_t k = 0; k < n && !found; k++)
                found = wanted_name(names[k]);
        kn_strv_free(names, n);
        return found;
}

/* 2: files in etc/; 1: only runtime files (netplan's, say), which still
 * tell that networkd runs the links they name. */
static int nd_detect(const kn_root *root) {
        if (dir_has_files(root, ND_DIR))
                return 2;
        return dir_has_files(root, ND_RUN_DIR);
}

static void nd_done(kn_backend *base) {
        state_clear((nd_backend *) base);
}

static void nd_list(kn_backend *base, kn_iface_list *out) {
        nd_view v = {0};
        nd_view_build((nd_backend *) base, &v, out);
        nd_view_done(&v);
}

static int nd_define_vt(kn_backend *base, const kn_iface *iface, kn_error *err) {
        return nd_define((nd_backend *) base, iface, err);
}

static int nd_undefine_vt(kn_backend *base, const char *name, kn_error *err) {
        return nd_undefine((nd_backend *) base, name, err);
}

static const char *const *nd_watch_dirs(kn_backend *base) {
        static const char *const dirs[] = {ND_DIR, ND_RUN_DIR, NULL};
        return dirs;
}

const kn_backend_vtable kn_networkd_vtable = {
        .name = "networkd",
        .object_size = sizeof(nd_backend),
        .lossy = true,
        .detect = nd_detect,
        .done = nd_done,
        .load = nd_load,
        .list = nd_list,
        .define = nd_define_vt,
        .undefine = nd_undefine_vt,
        .watch_dirs = nd_watch_dirs,
};

/* For kvmnet/owner.h: the .network networkd applies to the link, and the
 * .netdev creating it. */
int kn_networkd_locate(kn_backend *base, const char *name, const char *mac, kn_owners *out) {
        nd_backend *b = (nd_backend *) base;
        nd_file *f = nd_applying(b, name, mac), *d = nd_netdev_of(b, name);
        if (f) {
                const kn_ini_line *l = kn_ini_find(&f->ini, "Match", "Name");
                if (!l)
                        l = kn_ini_find(&f->ini, "Match", "MACAddress");
                _cleanup_free_ char *how = f->literal ? NULL : nd_match_describe(f);
                kn_owners_add(out, f->shown, l ? l->lineno : 0, how);
        }
        if (d) {
                const kn_ini_line *l = kn_ini_find(&d->ini, "NetDev", "Name");
                kn_owners_add(out, d->shown, l ? l->lineno : 0, NULL);
        }
        return 0;
}
