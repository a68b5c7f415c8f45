/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdint.h>

#include "ifcfg-private.h"
#include "macro.h"

struct kn_ifcfg_map_entry {
        kn_ifcfg_map_entry *next;
        size_t hash;
        void *value;
        char key[];
};

static size_t hash(const char *s) {
        uint64_t h = 14695981039346656037ULL; /* FNV-1a */
        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * 1099511628211ULL;
        return (size_t) h;
}

static kn_ifcfg_map_entry **slot(const kn_ifcfg_map *m, const char *key, size_t h) {
        kn_ifcfg_map_entry **e = &m->buckets[h & (m->n_buckets - 1)];
        while (*e && ((*e)->hash != h || !streq((*e)->key, key)))
                e = &(*e)->next;
        return e;
}

void *kn_ifcfg_map_get(const kn_ifcfg_map *m, const char *key) {
        if (!m->n)
                return NULL;
        kn_ifcfg_map_entry *e = *slot(m, key, hash(key));
        return e ? e->value : NULL;
}

static void grow(kn_ifcfg_map *m) {
        size_t n = m->n_buckets ? m->n_buckets * 2 : 64;
        kn_ifcfg_map_entry **b = kn_xcalloc(n, sizeof *b);
        for (size_t k = 0; k < m->n_buckets; k++)
                for (kn_ifcfg_map_entry *e = m->buckets[k], *next; e; e = next) {
                        next = e->next;
                        size_t h = e->hash & (n - 1);
                        e->next = b[h];
                        b[h] = e;
                }
        free(m->buckets);
        m->buckets = b;
        m->n_buckets = n;
}

void kn_ifcfg_map_put(kn_ifcfg_map *m, const char *key, void *value) {
        if (m->n >= m->n_buckets)
                grow(m);
        size_t h = hash(key);
        kn_ifcfg_map_entry **e = slot(m, key, h);
        if (*e) {
                (*e)->value = value;
                return;
        }
        size_t len = strlen(key) + 1;
        kn_ifcfg_map_entry *n = kn_xmalloc(sizeof *n + len);
        memcpy(n->key, key, len);
        n->value = value;
        n->hash = h;
        n->next = NULL;
        *e = n;
        m->n++;
}

void *kn_ifcfg_map_remove(kn_ifcfg_map *m, const char *key) {
        if (!m->n)
                return NULL;
        kn_ifcfg_map_entry **e = slot(m, key, hash(key)), *dead = *e;
        if (!dead)
                return NULL;
        void *value = dead->value;
        *e = dead->next;
        free(dead);
        m->n--;
        return value;
}

void kn_ifcfg_map_done(kn_ifcfg_map *m, void (*free_value)(void *)) {
        for (size_t k = 0; k < m->n_buckets; k++)
                for (kn_ifcfg_map_entry *e = m->buckets[k], *next; e; e = next) {
                        next = e->next;
                        if (free_value)
                                free_value(e->value);
                        free(e);
                }
        free(m->buckets);
        *m = (kn_ifcfg_map){0};
}
