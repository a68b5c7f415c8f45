/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* "Did you mean ...?": the candidate nearest to a name that was not found,
 * by edit distance (insertions, deletions, substitutions), if it is at
 * most KN_SUGGEST_MAX edits away.  The CLI uses it for verbs and options,
 * the dispatcher for interface and network names. */

#include <stddef.h>

#define KN_SUGGEST_MAX 2

typedef struct kn_suggest {
        const char *name;
        const char *best; /* not copied: valid as long as the candidate */
        unsigned best_distance;
} kn_suggest;

void kn_suggest_init(kn_suggest *s, const char *name);
/* Consider candidate; the first of equally near ones wins. */
void kn_suggest_add(kn_suggest *s, const char *candidate);
/* The nearest candidate, or NULL if none was near enough (or the name
 * itself was one of them: it exists, nothing to suggest). */
const char *kn_suggest_result(const kn_suggest *s);

/* Levenshtein distance; names longer than 63 bytes are never near. */
unsigned kn_edit_distance(const char *a, const char *b);
