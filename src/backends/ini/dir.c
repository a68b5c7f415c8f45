/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "dir.h"

#include <sys/stat.h>

#include "macro.h"
#include "rootfs.h"

/* Where a file of that rank and name is, or would go, among files[0..n). */
static size_t position(const kn_ini_dir *d, size_t n, unsigned rank, const char *name) {
        const kn_ini_file key = {.name = (char *) name, .rank = rank};
        size_t lo = 0, hi = n;
        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (kn_ini_file_cmp(d->files[mid], &key) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

static kn_ini_file *find_name(const kn_ini_dir *d, size_t n, const char *name) {
        size_t k = position(d, n, 0, name);
        return k < n && streq(d->files[k]->name, name) ? d->files[k] : NULL;
}

kn_ini_file *kn_ini_dir_find_name(const kn_ini_dir *d, const char *name) {
        return find_name(d, d->n_files, name);
}

kn_ini_file *kn_ini_dir_find(const kn_ini_dir *d, const char *rel) {
        size_t k = position(d, d->n_files, kn_ini_file_rank(d, rel), kn_ini_file_basename(rel));
        return k < d->n_files && streq(d->files[k]->rel, rel) ? d->files[k] : NULL;
}

static int cmp_file(const void *a, const void *b) {
        return kn_ini_file_cmp(*(kn_ini_file *const *) a, *(kn_ini_file *const *) b);
}

static int load_dir(kn_ini_dir *d, const char *dir, bool runtime, kn_error *err) {
        const kn_ini_dir_type *t = d->type;
        size_t n_etc = d->n_files; /* etc/ is loaded first, and sorted */
        char **names;
        size_t n;
        int r = kn_root_list_dir(d->root, dir, &names, &n);
        if (r == -ENOENT)
                return 0;
        if (r < 0) {
                _cleanup_free_ char *shown = kn_root_display(d->root, dir);
                return kn_error_set(err, -r, "%s: cannot list the directory: %s", shown,
                                    strerror(-r));
        }
        for (size_t k = 0; k < n; k++) {
                if (!t->wanted(names[k]))
                        continue;
                /* Hidden by the etc/ file of that name.  Only the etc/ files
                 * are searched: those appended since are not sorted yet. */
                if (runtime && (t->flags & KN_INI_DIR_SHADOW) && find_name(d, n_etc, names[k]))
                        continue;
                _cleanup_free_ char *rel = kn_xasprintf("%s/%s", dir, names[k]);
                _cleanup_free_ char *data = NULL;
                size_t len = 0;
                struct stat st;
                r = kn_root_stat(d->root, rel, &st);
                if ((t->flags & KN_INI_DIR_REGULAR) ? r < 0 || !S_ISREG(st.st_mode)
                                                    : r >= 0 && S_ISDIR(st.st_mode))
                        continue;
                r = kn_root_read_file(d->root, rel, &data, &len);
                kn_ini_file *f = t->open(d, rel, r < 0 ? NULL : data, r < 0 ? 0 : len);
                if (r < 0) {
                        f->broken = true;
                        free(f->problem);
                        f->problem = kn_xasprintf("cannot read: %s", strerror(-r));
                }
                GREEDY_REALLOC(d->files, d->alloc_files, d->n_files + 1);
                d->files[d->n_files++] = f;
        }
        kn_strv_free(names, n);
        qsort_safe(d->files, d->n_files, sizeof *d->files, cmp_file);
        return 0;
}

static void index_all(kn_ini_dir *d) {
        for (size_t j = 0; j < KN_INI_DIR_INDEXES; j++)
                d->index[j].n = 0;
        for (size_t k = 0; k < d->n_files; k++)
                d->type->index(d, d->files[k]);
        for (size_t j = 0; j < KN_INI_DIR_INDEXES; j++)
                kn_ini_index_sort(&d->index[j]);
}

int kn_ini_dir_load(kn_ini_dir *d, const kn_ini_dir_type *type, const kn_root *root,
                    kn_error *err) {
        kn_ini_dir_done(d);
        d->type = type;
        d->root = root;
        int r = load_dir(d, type->dir, false, err);
        if (r >= 0)
                r = load_dir(d, type->run_dir, true, err);
        if (r < 0) {
                kn_ini_dir_done(d);
                return r;
        }
        index_all(d);
        return 0;
}

/* Out of the table; freed by kn_ini_dir_reindex(), once the indexes no
 * longer point to it. */
static void drop(kn_ini_dir *d, kn_ini_file *f) {
        size_t k = position(d, d->n_files, f->rank, f->name);
        memmove(&d->files[k], &d->files[k + 1], (d->n_files - k - 1) * sizeof *d->files);
        d->n_files--;
        f->dead = true;
        GREEDY_REALLOC(d->dead, d->alloc_dead, d->n_dead + 1);
        d->dead[d->n_dead++] = f;
}

void kn_ini_dir_update(kn_ini_dir *d, const char *rel, const char *data, size_t len) {
        kn_ini_file *old = kn_ini_dir_find(d, rel);
        if (old)
                drop(d, old);
        if (!data)
                return;
        kn_ini_file *f = d->type->open(d, rel, data, len);
        if (d->type->flags & KN_INI_DIR_SHADOW) {
                /* A file in etc/ hides the runtime one of the same name. */
                kn_ini_file *hidden = kn_ini_dir_find_name(d, f->name);
                if (hidden && hidden->runtime)
                        drop(d, hidden);
        }
        size_t k = position(d, d->n_files, f->rank, f->name);
        GREEDY_REALLOC(d->files, d->alloc_files, d->n_files + 1);
        memmove(&d->files[k + 1], &d->files[k], (d->n_files - k) * sizeof *d->files);
        d->files[k] = f;
        d->n_files++;
        GREEDY_REALLOC(d->fresh, d->alloc_fresh, d->n_fresh + 1);
        d->fresh[d->n_fresh++] = f;
}

void kn_ini_dir_reindex(kn_ini_dir *d) {
        if (!d->n_fresh && !d->n_dead)
                return;
        size_t old[KN_INI_DIR_INDEXES];
        for (size_t j = 0; j < KN_INI_DIR_INDEXES; j++) {
                kn_ini_index_drop_dead(&d->index[j]);
                old[j] = d->index[j].n;
        }
        for (size_t k = 0; k < d->n_fresh; k++)
                if (!d->fresh[k]->dead)
                        d->type->index(d, d->fresh[k]);
        for (size_t j = 0; j < KN_INI_DIR_INDEXES; j++)
                kn_ini_index_merge(&d->index[j], old[j]);
        for (size_t k = 0; k < d->n_dead; k++)
                d->type->free(d->dead[k]);
        d->n_fresh = d->n_dead = 0;
}

void kn_ini_dir_done(kn_ini_dir *d) {
        for (size_t k = 0; k < d->n_files; k++)
                d->type->free(d->files[k]);
        for (size_t k = 0; k < d->n_dead; k++)
                d->type->free(d->dead[k]);
        for (size_t j = 0; j < KN_INI_DIR_INDEXES; j++)
                kn_ini_index_done(&d->index[j]);
        free(d->files);
        free(d->fresh);
        free(d->dead);
        *d = (kn_ini_dir){.type = d->type, .root = d->root};
}

static int has_files(const kn_ini_dir_type *type, const kn_root *root, const char *dir) {
        char **names;
        size_t n;
        if (kn_root_list_dir(root, dir, &names, &n) < 0)
                return 0;
        int found = 0;
        for (size_t k = 0; k < n && !found; k++)
                found = type->wanted(names[k]);
        kn_strv_free(names, n);
        return found;
}

int kn_ini_dir_detect(const kn_ini_dir_type *type, const kn_root *root) {
        if (has_files(type, root, type->dir))
                return 2;
        /* The directory alone is the regime's too (a fresh install, or
         * every file removed), as much as files in the run directory. */
        return has_files(type, root, type->run_dir) || kn_root_exists(root, type->dir) ? 1 : 0;
}
