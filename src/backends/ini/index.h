/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A sorted index from what files say (an interface name, a UUID, ...) to
 * the files of a kn_ini_dir, so that a lookup is a binary search, not a
 * walk over every file.  Entries sort by key, then file order: the first
 * entry for a key is the file that comes first. */

#include <stddef.h>

#include "file.h"

typedef struct kn_ini_entry {
        const char *key; /* points into the file */
        kn_ini_file *file;
} kn_ini_entry;

typedef struct kn_ini_index {
        kn_ini_entry *v;
        size_t n, alloc;
} kn_ini_index;

/* Unsorted until kn_ini_dir sorts or merges the index. */
void kn_ini_index_add(kn_ini_index *x, const char *key, kn_ini_file *f);
/* The entries for key, in file order (*ret_n of them when ret_n is
 * given), or NULL. */
const kn_ini_entry *kn_ini_index_find(const kn_ini_index *x, const char *key, size_t *ret_n);

/* For kn_ini_dir. */
void kn_ini_index_sort(kn_ini_index *x);
/* Drop the entries of dead files. */
void kn_ini_index_drop_dead(kn_ini_index *x);
/* Sort the entries from old on and merge them into the sorted ones
 * before: after a change that costs a pass over the index, not a sort. */
void kn_ini_index_merge(kn_ini_index *x, size_t old);
void kn_ini_index_done(kn_ini_index *x);
