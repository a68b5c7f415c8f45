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

/* Write temp file, fsync, rename over REL, fsync the directory.  Creates
 * missing parent directories.  mode 0 keeps an existing file's mode (0644
 * for a new one). */
int kn_root_write_atomic(const kn_root *r, const char *rel, const char *data, size_t len,
                         mode_t mode, kn_error *err);

/* Remove REL and fsync its directory.  A missing file is not an error. */
int kn_root_unlink(const kn_root *r, const char *rel, kn_error *err);
