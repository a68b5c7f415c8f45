/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The files one change (a define, an undefine) touches, applied together:
 * the one multi-file commit engine of every backend.
 *
 * kn_fileset_apply() first checks the expectations (a file changed since
 * it was read is refused), then, with a file log, records the pre-image of
 * every file it will change durably (filelog.h), then writes each file
 * atomically (kn_root_write_atomic; through an in-root symlink to its
 * target), in the order given, and removes files after every write.  If a
 * step fails, what was done is put back, newest first, and nothing is
 * changed.  Once every file changed, the log's record is dropped, unless an
 * explicit transaction is open on it.  A process killed at any instant
 * leaves the old set, the new set, or a record from which
 * kn_filelog_recover() restores the old set. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "kvmnet/error.h"

typedef struct kn_root kn_root;
typedef struct kn_filelog kn_filelog;

typedef struct kn_fileset_op {
        char *rel;
        char *data; /* NULL: remove the file */
        size_t len;
        mode_t mode; /* 0: keep the file's mode (0644 for a new file) */
} kn_fileset_op;

typedef struct kn_fileset_expectation {
        char *rel;
        char *old; /* NULL: must not exist */
        size_t old_len;
} kn_fileset_expectation;

typedef struct kn_fileset {
        kn_fileset_op *ops;
        size_t n, alloc;
        kn_fileset_expectation *expects;
        size_t n_expects, alloc_expects;
} kn_fileset;

/* Takes ownership of data.  A later op on the same path replaces an
 * earlier one (in the earlier one's place). */
void kn_fileset_write(kn_fileset *s, const char *rel, char *data, size_t len, mode_t mode);
void kn_fileset_remove(kn_fileset *s, const char *rel);
/* rel must hold exactly old (old_len bytes; old NULL: must not exist) when
 * the set is applied, else kn_fileset_apply() fails with -ESTALE and
 * "ROOT/REL changed since it was read; reload and try again".  old is
 * copied. */
void kn_fileset_expect(kn_fileset *s, const char *rel, const char *old, size_t old_len);
/* log may be NULL: the undo is then in memory only. */
int kn_fileset_apply(kn_fileset *s, const kn_root *root, kn_filelog *log, kn_error *err);
void kn_fileset_done(kn_fileset *s);
