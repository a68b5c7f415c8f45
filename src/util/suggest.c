/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <limits.h>
#include <string.h>

#include "macro.h"
#include "suggest.h"

unsigned kn_edit_distance(const char *a, const char *b) {
        size_t la = strlen(a), lb = strlen(b);
        unsigned row[64];
        if (la >= ELEMENTSOF(row) || lb >= ELEMENTSOF(row))
                return UINT_MAX;
        /* One row of the table at a time: row[j] is the distance between
         * a's first i bytes and b's first j. */
        for (size_t j = 0; j <= lb; j++)
                row[j] = (unsigned) j;
        for (size_t i = 1; i <= la; i++) {
                unsigned diag = row[0];
                row[0] = (unsigned) i;
                for (size_t j = 1; j <= lb; j++) {
                        unsigned up = row[j];
                        unsigned best = diag + (a[i - 1] != b[j - 1]);
                        if (up + 1 < best)
                                best = up + 1;
                        if (row[j - 1] + 1 < best)
                                best = row[j - 1] + 1;
                        diag = up;
                        row[j] = best;
                }
        }
        return row[lb];
}

void kn_suggest_init(kn_suggest *s, const char *name) {
        *s = (kn_suggest){.name = name, .best_distance = KN_SUGGEST_MAX + 1};
}

void kn_suggest_add(kn_suggest *s, const char *candidate) {
        if (!candidate || !s->name)
                return;
        unsigned d = kn_edit_distance(s->name, candidate);
        if (d < s->best_distance) {
                s->best_distance = d;
                s->best = candidate;
        }
}

const char *kn_suggest_result(const kn_suggest *s) {
        return s->best_distance > 0 && s->best_distance <= KN_SUGGEST_MAX ? s->best : NULL;
}
