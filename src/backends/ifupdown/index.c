/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Name -> places index.  A hash table (open addressing) of entries, each
 * holding its references in reading order, so that list() is O(N) and
 * define() finds what to rewrite without looking at unrelated files.  A
 * file is indexed when read and unindexed before it is replaced. */

#include <stdint.h>

#include "ifupdown.h"

static uint64_t hash(const char *s) {
        uint64_t h = 14695981039346656037ULL;
        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * 1099511628211ULL;
        return h;
}

static kn_ifupdown_entry **slot(const kn_ifupdown_index *x, const char *name) {
        size_t mask = x->n_slots - 1;
        for (size_t i = hash(name) & mask;; i = (i + 1) & mask)
                if (!x->slots[i] || streq(x->slots[i]->name, name))
                        return &x->slots[i];
}

kn_ifupdown_entry *kn_ifupdown_index_get(const kn_ifupdown_index *x, const char *name) {
        return x->n_slots ? *slot(x, name) : NULL;
}

static kn_ifupdown_entry *get_or_add(kn_ifupdown_index *x, const char *name) {
        if ((x->n_all + 1) * 2 > x->n_slots) {
                size_t n = x->n_slots ? x->n_slots * 2 : 64;
                free(x->slots);
                x->slots = kn_xcalloc(n, sizeof *x->slots);
                x->n_slots = n;
                for (size_t k = 0; k < x->n_all; k++)
                        *slot(x, x->all[k]->name) = x->all[k];
        }
        kn_ifupdown_entry **s = slot(x, name);
        if (!*s) {
                kn_ifupdown_entry *e = kn_xcalloc(1, sizeof *e);
                e->name = kn_xstrdup(name);
                e->id = x->n_all;
                GREEDY_REALLOC(x->all, x->alloc_all, x->n_all + 1);
                x->all[x->n_all++] = e;
                *s = e;
        }
        return *s;
}

void kn_ifupdown_index_done(kn_ifupdown_index *x) {
        for (size_t k = 0; k < x->n_all; k++) {
                free(x->all[k]->name);
                free(x->all[k]->refs);
                free(x->all[k]);
        }
        free(x->all);
        free(x->slots);
        *x = (kn_ifupdown_index){0};
}

bool kn_ifupdown_port_word(const char *w) {
        /* bridge-utils' and ifenslave's keywords, not interface names */
        static const char *const keywords[] = {"none", "all", "regex", "noregex"};
        for (size_t k = 0; k < ELEMENTSOF(keywords); k++)
                if (streq(w, keywords[k]))
                        return false;
        return kn_ifname_validate(w, NULL, NULL) >= 0;
}

static void add_ref(kn_ifupdown_index *x, const char *name, kn_ifupdown_file *f, size_t idx,
                    kn_ifupdown_ref_kind kind) {
        kn_ifupdown_entry *e = get_or_add(x, name);
        /* Keep reading order; a re-parsed file keeps its place. */
        size_t p = e->n_refs;
        while (p > 0 && e->refs[p - 1].file->order > f->order)
                p--;
        GREEDY_REALLOC(e->refs, e->alloc_refs, e->n_refs + 1);
        memmove(e->refs + p + 1, e->refs + p, (e->n_refs - p) * sizeof *e->refs);
        e->refs[p] = (kn_ifupdown_ref){.file = f, .idx = idx, .kind = kind};
        e->n_refs++;
}

static void drop_refs(kn_ifupdown_index *x, const char *name, kn_ifupdown_file *f) {
        kn_ifupdown_entry *e = kn_ifupdown_index_get(x, name);
        if (!e)
                return;
        size_t j = 0;
        for (size_t k = 0; k < e->n_refs; k++)
                if (e->refs[k].file != f)
                        e->refs[j++] = e->refs[k];
        e->n_refs = j;
}

/* Every (name, kind, idx) the file contributes, added or dropped. */
static void visit(kn_ifupdown_index *x, kn_ifupdown_file *f, bool add) {
#define REF(name, idx, kind)                                                                       \
        do {                                                                                       \
                if (add)                                                                           \
                        add_ref(x, name, f, idx, kind);                                            \
                else                                                                               \
                        drop_refs(x, name, f);                                                     \
        } while (0)

        bool broken = kn_ifupdown_file_broken(f);
        for (size_t i = 0; i < f->n_lines; i++) {
                const kn_ifupdown_line *l = &f->lines[i];
                if (l->kind != IFU_START)
                        continue;
                for (size_t w = 1; w < l->n_words; w++) {
                        bool seen = false; /* "auto eth0 eth0" names it once */
                        for (size_t v = 1; v < w && !seen; v++)
                                seen = streq(l->words[v], l->words[w]);
                        if (!seen)
                                REF(l->words[w], i, broken ? IFU_REF_BROKEN : IFU_REF_START);
                }
        }
        for (size_t k = 0; k < f->n_stanzas; k++) {
                const kn_ifupdown_stanza *s = &f->stanzas[k];
                if (broken) {
                        REF(s->name, s->first, IFU_REF_BROKEN);
                        continue;
                }
                REF(s->name, k, IFU_REF_STANZA);
                for (size_t i = s->first + 1; i < s->end; i++) {
                        const kn_ifupdown_line *l = &f->lines[i];
                        if (l->kind != IFU_OPTION || l->n_words < 2)
                                continue;
                        if (kn_ifupdown_key_eq(l->words[0], "bridge-ports") ||
                            kn_ifupdown_key_eq(l->words[0], "bond-slaves")) {
                                for (size_t w = 1; w < l->n_words; w++)
                                        if (kn_ifupdown_port_word(l->words[w]))
                                                REF(l->words[w], k, IFU_REF_PORT_OF);
                        } else if (kn_ifupdown_key_eq(l->words[0], "bond-master"))
                                REF(l->words[1], k, IFU_REF_SLAVE);
                }
        }
#undef REF
}

void kn_ifupdown_index_add_file(kn_ifupdown_index *x, kn_ifupdown_file *f) {
        visit(x, f, true);
}

void kn_ifupdown_index_remove_file(kn_ifupdown_index *x, kn_ifupdown_file *f) {
        visit(x, f, false);
}

size_t kn_ifupdown_entry_count(const kn_ifupdown_entry *e, kn_ifupdown_ref_kind kind) {
        size_t n = 0;
        for (size_t k = 0; e && k < e->n_refs; k++)
                n += e->refs[k].kind == kind;
        return n;
}

const kn_ifupdown_ref *kn_ifupdown_entry_first(const kn_ifupdown_entry *e,
                                               kn_ifupdown_ref_kind kind) {
        for (size_t k = 0; e && k < e->n_refs; k++)
                if (e->refs[k].kind == kind)
                        return &e->refs[k];
        return NULL;
}

/* Path -> file, for the files read (10,000 files in interfaces.d must not
 * cost a quadratic "already read?" check). */
static kn_ifupdown_file **fslot(const kn_ifupdown_file_map *m, const char *path) {
        size_t mask = m->n_slots - 1;
        for (size_t i = hash(path) & mask;; i = (i + 1) & mask)
                if (!m->slots[i] || streq(m->slots[i]->path, path))
                        return &m->slots[i];
}

kn_ifupdown_file *kn_ifupdown_file_map_get(const kn_ifupdown_file_map *m, const char *path) {
        return m->n_slots ? *fslot(m, path) : NULL;
}

void kn_ifupdown_file_map_put(kn_ifupdown_file_map *m, kn_ifupdown_file *f) {
        if ((m->n + 1) * 2 > m->n_slots) {
                kn_ifupdown_file **old = m->slots;
                size_t n_old = m->n_slots;
                m->n_slots = n_old ? n_old * 2 : 64;
                m->slots = kn_xcalloc(m->n_slots, sizeof *m->slots);
                for (size_t k = 0; k < n_old; k++)
                        if (old[k])
                                *fslot(m, old[k]->path) = old[k];
                free(old);
        }
        kn_ifupdown_file **s = fslot(m, f->path);
        m->n += !*s;
        *s = f;
}

void kn_ifupdown_file_map_del(kn_ifupdown_file_map *m, const char *path) {
        if (!m->n_slots)
                return;
        size_t mask = m->n_slots - 1;
        kn_ifupdown_file **s = fslot(m, path);
        if (!*s)
                return;
        /* Backward-shift deletion keeps every probe chain unbroken. */
        size_t i = (size_t) (s - m->slots);
        m->slots[i] = NULL;
        m->n--;
        for (size_t j = (i + 1) & mask; m->slots[j]; j = (j + 1) & mask) {
                kn_ifupdown_file *f = m->slots[j];
                m->slots[j] = NULL;
                *fslot(m, f->path) = f;
        }
}

void kn_ifupdown_file_map_done(kn_ifupdown_file_map *m) {
        free(m->slots);
        *m = (kn_ifupdown_file_map){0};
}
