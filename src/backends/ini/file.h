/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One file of a kn_ini_dir: what both INI backends keep of every file
 * they load.  A backend's own file type (kn_networkd_file, kn_nmkeyfile_conn) starts with it,
 * so that the dir's table and indexes can hold either. */

#include <stdbool.h>
#include <stddef.h>

#include "ini.h"

typedef struct kn_ini_dir kn_ini_dir;

typedef struct kn_ini_file {
        char *name;    /* base name */
        char *rel;     /* relative to the root */
        char *shown;   /* ROOT/etc/... for messages */
        bool runtime;  /* in the runtime directory: read, never edited */
        bool broken;   /* syntax error (ini.err, ini.err_line), or unreadable */
        bool dead;     /* replaced or removed, until the indexes are updated */
        unsigned rank; /* files sort by rank, then name (see KN_INI_DIR_SHADOW) */
        kn_ini ini;
        char *problem; /* first thing wrong for the model, at problem_line */
        unsigned problem_line;
} kn_ini_file;

/* Parse data as the file rel of d; data NULL (unreadable) parses as an
 * empty file. */
void kn_ini_file_init(kn_ini_file *f, const kn_ini_dir *d, const char *rel, const char *data,
                      size_t len);
void kn_ini_file_done(kn_ini_file *f);

/* Keep the first problem only: later ones tend to follow from it.
 * Returns false, for `return kn_ini_file_fail(...)` in readers. */
bool kn_ini_file_fail(kn_ini_file *f, unsigned line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Where the file rel of d sorts: its rank and base name. */
unsigned kn_ini_file_rank(const kn_ini_dir *d, const char *rel);
const char *kn_ini_file_basename(const char *rel);
/* File order: rank, then name. */
int kn_ini_file_cmp(const kn_ini_file *a, const kn_ini_file *b);
