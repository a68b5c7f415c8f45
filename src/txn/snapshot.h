/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Copies of configuration directories kept in a transaction's journal
 * (snapshot.c).  dir: the transaction's directory. */

#include "kvmnet/error.h"

typedef struct kn_root kn_root;

/* Copy every regular file of dirs (relative to root, NULL-terminated)
 * into DIR/files, durably. */
int kn_snapshot_take(const char *dir, const kn_root *root, const char *const *dirs, kn_error *err);
/* Put every copied file back as it was (content, mode) and remove the
 * files that appeared in those directories since; report() gets one line
 * per file.  Returns how many files it changed; 0 if there is no snapshot. */
int kn_snapshot_restore(const char *dir, const kn_root *root,
                        void (*report)(const char *message, void *userdata), void *userdata,
                        kn_error *err);
/* Forget the copies (commit). */
void kn_snapshot_drop(const char *dir);
