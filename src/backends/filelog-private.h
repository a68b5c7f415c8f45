/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What fileset.c needs of the file log beyond kvmnet/filelog.h: the
 * pre-images, the lock, the record.  Private to src/backends. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "kvmnet/error.h"
#include "kvmnet/filelog.h"

typedef enum kn_file_kind {
        KN_FILE_ABSENT,
        KN_FILE_REGULAR,
        KN_FILE_SYMLINK,
} kn_file_kind;

/* What one path under a root holds. */
typedef struct kn_file_image {
        char *rel;
        kn_file_kind kind;
        char *data; /* content, or the symlink's target */
        size_t len;
        mode_t mode;
        uid_t uid;
        gid_t gid;
} kn_file_image;

/* Read rel (not following a final symlink). */
int kn_file_image_read(const kn_root *root, const char *rel, kn_file_image *ret, kn_error *err);
/* Make rel hold img again; 0 if it did already, 1 if it was changed. */
int kn_file_image_restore(const kn_root *root, const kn_file_image *img, kn_error *err);
void kn_file_image_done(kn_file_image *img);

/* Serialise applies on one directory (flock; across processes too). */
int kn_filelog_lock(kn_filelog *l, kn_error *err);
void kn_filelog_unlock(kn_filelog *l);
/* Under the lock, before an apply: refuses (-EBUSY) when a record this
 * handle does not own is there (another process's transaction, or an
 * interrupted apply not yet recovered). */
int kn_filelog_check(kn_filelog *l, kn_error *err);
/* Whether the open transaction holds a pre-image of rel already. */
bool kn_filelog_has(const kn_filelog *l, const char *rel);
/* Durably record the pre-images (fsync'ed before this returns). */
int kn_filelog_record(kn_filelog *l, const kn_file_image *imgs, size_t n, kn_error *err);
/* After an apply outside a transaction: drop the record (the commit
 * point is the removal of the manifest). */
int kn_filelog_drop(kn_filelog *l, kn_error *err);
