/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The files one define/undefine changes, applied together: each file is
 * written atomically (kn_root_write_atomic), removals come after every
 * write, and if one step fails the steps already done are undone (old
 * contents and modes put back, new files removed), so that on error
 * nothing is changed. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "kvmnet/error.h"

typedef struct kn_root kn_root;

typedef struct kn_fileset_op {
        char *rel;
        char *data; /* NULL: remove the file */
        size_t len;
        mode_t mode; /* 0: keep the file's mode (0644 for a new file) */
        /* What was there, for undoing. */
        char *old;
        size_t old_len;
        bool existed;
        mode_t old_mode;
} kn_fileset_op;

typedef struct kn_fileset {
        kn_fileset_op *ops;
        size_t n, alloc;
} kn_fileset;

/* Takes ownership of data.  A later op on the same path replaces an
 * earlier one. */
void kn_fileset_write(kn_fileset *s, const char *rel, char *data, size_t len, mode_t mode);
void kn_fileset_remove(kn_fileset *s, const char *rel);
int kn_fileset_apply(kn_fileset *s, const kn_root *root, kn_error *err);
void kn_fileset_done(kn_fileset *s);
