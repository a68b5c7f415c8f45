/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Every file kvmnet reads or writes lives under a root directory (default
 * "/"), so backends run hermetically under a test root.  Paths given here
 * are relative to the root (a leading '/' is ignored); symlinks are
 * resolved inside the root (openat2 RESOLVE_IN_ROOT), never outside it. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "kvmnet/error.h"

typedef struct kn_root kn_root;

int kn_root_open(const char *path, kn_root **ret, kn_error *err);
/* PATH against the working directory when it is relative (symlinks are
 * not resolved: "--root image" is ./image as the user wrote it).  Journals
 * record paths that must not depend on where kvmnet ran.  Allocated. */
char *kn_path_absolute(const char *path);
kn_root *kn_root_free(kn_root *r);
const char *kn_root_path(const kn_root *r);

/* "ROOT/REL" for messages; never used to open anything. */
char *kn_root_display(const kn_root *r, const char *rel);

/* openat(2) under the root; returns an fd or -errno. */
/* Set when the kernel (or valgrind) lacks openat2: symlinks are then
 * followed by hand, with the same result.  Tests set it to check that. */
extern bool kn_root_no_openat2;
int kn_root_openat(const kn_root *r, const char *rel, int flags, mode_t mode);
int kn_root_stat(const kn_root *r, const char *rel, struct stat *st);
bool kn_root_exists(const kn_root *r, const char *rel);

/* Whole file, NUL-terminated.  -ENOENT if missing. */
int kn_root_read_file(const kn_root *r, const char *rel, char **ret, size_t *ret_len);

/* Sorted entry names of a directory, without dot files ("." , "..",
 * and our own temporaries); free with kn_strv_free().  -ENOENT if the
 * directory is missing. */
int kn_root_list_dir(const kn_root *r, const char *rel, char ***ret, size_t *ret_n);

/* Temporary files kvmnet writes beside the file they replace are named
 * ".kvmnet-tmp-PID-RANDOM-NAME" (RANDOM: 16 hex digits from getrandom). */
#define KN_TEMP_PREFIX ".kvmnet-tmp-"
bool kn_temp_name_is(const char *name);

/* Write temp file, fsync, rename over REL, fsync the directory.  Creates
 * missing parent directories.  mode 0 keeps an existing file's mode (0644
 * for a new one); an existing file's owner is kept too.  A REL that is a
 * symlink is written through: the link stays, its target (resolved inside
 * the root, as kn_root_openat does) gets the new content. */
int kn_root_write_atomic(const kn_root *r, const char *rel, const char *data, size_t len,
                         mode_t mode, kn_error *err);
/* The same with the owner given (uid/gid (uid_t) -1 / (gid_t) -1: keep the
 * existing file's, or the caller's for a new one); a chown that fails is
 * an error.  For restoring pre-images. */
int kn_root_write_atomic_owned(const kn_root *r, const char *rel, const char *data, size_t len,
                               mode_t mode, uid_t uid, gid_t gid, kn_error *err);
/* Replace REL (not followed) by a symlink to target, atomically, owned by
 * uid/gid ((uid_t) -1: the caller). */
int kn_root_symlink_atomic(const kn_root *r, const char *rel, const char *target, uid_t uid,
                           gid_t gid, kn_error *err);

/* REL with symlinks in its last component followed inside the root (up to
 * 40): the file a write through REL changes.  A missing file or directory
 * resolves to itself.  *ret is allocated. */
int kn_root_resolve(const kn_root *r, const char *rel, char **ret);

/* Remove REL and fsync its directory.  A missing file is not an error. */
int kn_root_unlink(const kn_root *r, const char *rel, kn_error *err);

/* Remove the directory REL if it holds nothing but empty directories
 * (what a write's mkdir -p made); 1 if removed, 0 if it is not there or
 * holds something. */
int kn_root_rmdir_empty(const kn_root *r, const char *rel);

/* Remove the temporary files (KN_TEMP_PREFIX) in REL_DIR that a killed
 * process left: those of a process that no longer runs, and this process's
 * own from before it started.  Returns how many it removed; a missing
 * directory is 0. */
int kn_root_clean_temps(const kn_root *r, const char *rel_dir);
/* The same for a host directory outside any root (state and run
 * directories). */
int kn_clean_temps(const char *dir);

/* The same write for a host path outside any root (state and run
 * directories): temp file in the same directory, rename over path.
 * durable: fsync the file before and the directory after the rename.
 * mode 0 as above.  The directory must exist. */
int kn_write_file_atomic(const char *path, const char *data, size_t len, mode_t mode, bool durable,
                         kn_error *err);
