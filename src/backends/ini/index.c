/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "index.h"

#include "macro.h"

static int cmp_entry(const void *a, const void *b) {
        const kn_ini_entry *x = a, *y = b;
        int r = strcmp(x->key, y->key);
        return r ? r : kn_ini_file_cmp(x->file, y->file);
}

void kn_ini_index_add(kn_ini_index *x, const char *key, kn_ini_file *f) {
        GREEDY_REALLOC(x->v, x->alloc, x->n + 1);
        x->v[x->n++] = (kn_ini_entry){key, f};
}

const kn_ini_entry *kn_ini_index_find(const kn_ini_index *x, const char *key, size_t *ret_n) {
        size_t lo = 0, hi = x->n;
        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (strcmp(x->v[mid].key, key) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        size_t end = lo;
        while (end < x->n && streq(x->v[end].key, key))
                end++;
        if (ret_n)
                *ret_n = end - lo;
        return end > lo ? &x->v[lo] : NULL;
}

void kn_ini_index_sort(kn_ini_index *x) {
        qsort_safe(x->v, x->n, sizeof *x->v, cmp_entry);
}

void kn_ini_index_drop_dead(kn_ini_index *x) {
        size_t out = 0;
        for (size_t k = 0; k < x->n; k++)
                if (!x->v[k].file->dead)
                        x->v[out++] = x->v[k];
        x->n = out;
}

void kn_ini_index_merge(kn_ini_index *x, size_t old) {
        kn_ini_entry *v = x->v;
        size_t n = x->n;
        qsort_safe(v + old, n - old, sizeof *v, cmp_entry);
        if (old == 0 || old == n)
                return;
        _cleanup_free_ kn_ini_entry *tmp = kn_xmalloc(n * sizeof *tmp);
        size_t i = 0, j = old, o = 0;
        /* Ties keep the older entry first, as a stable sort would. */
        while (i < old || j < n)
                tmp[o++] = j == n || (i < old && cmp_entry(&v[i], &v[j]) <= 0) ? v[i++] : v[j++];
        memcpy(v, tmp, n * sizeof *v);
}

void kn_ini_index_done(kn_ini_index *x) {
        free(x->v);
        *x = (kn_ini_index){0};
}
