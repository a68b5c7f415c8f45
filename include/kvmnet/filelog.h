/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The on-disk journal of pre-images that makes a kn_fileset crash-safe
 * (format: see src/backends/filelog.c).  Before a fileset changes a file, what the file
 * was (content, mode, owner, or "did not exist") is on disk here; once
 * every file changed, the record is dropped.  A process killed half way
 * leaves a record that kn_filelog_recover() turns back into the old set.
 *
 * An explicit transaction (iface-begin) keeps the record across applies:
 * the first pre-image of each file stays until commit or rollback. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "kvmnet/error.h"

typedef struct kn_root kn_root;
typedef struct kn_filelog kn_filelog;

/* dir: an absolute host path (STATE_DIR/files), created if missing. */
int kn_filelog_open(const char *dir, kn_filelog **ret, kn_error *err);
kn_filelog *kn_filelog_free(kn_filelog *l);
const char *kn_filelog_dir(const kn_filelog *l);

/* An explicit transaction: until commit/rollback, every fileset applied
 * with this log keeps the FIRST pre-image of each file it changes.
 * Persisted on disk.  -EBUSY if a record is there already. */
int kn_filelog_begin(kn_filelog *l, kn_error *err);
bool kn_filelog_in_txn(const kn_filelog *l);
/* The same, for a transaction whose journal (src/txn/txn.c) holds its
 * commit point: kn_filelog_recover() leaves it to kn_filelog_settle(). */
int kn_filelog_begin_held(kn_filelog *l, kn_error *err);
/* Forget the pre-images; closes the transaction. */
int kn_filelog_commit(kn_filelog *l, kn_error *err);
/* Restore every file of the open transaction byte for byte (content, mode,
 * owner; files that did not exist are removed), newest first; then close
 * it.  report() gets one line per file restored.  Returns how many files
 * it restored (a file already as it was is not counted).  On failure the
 * record stays (the transaction stays open), so it can be tried again. */
int kn_filelog_rollback(kn_filelog *l, const kn_root *root,
                        void (*report)(const char *message, void *userdata), void *userdata,
                        kn_error *err);
/* At start: what a killed process left (an interrupted apply, or the
 * uncommitted transaction of a process that no longer runs) is rolled back
 * the same way.  The transaction of a process still running is left alone.
 * Returns how many files were restored. */
int kn_filelog_recover(kn_filelog *l, const kn_root *root,
                       void (*report)(const char *message, void *userdata), void *userdata,
                       kn_error *err);

/* At start, once the journal said how a held transaction of a process no
 * longer running ended: roll its files back (rollback) or keep them.
 * Nothing to do (0) when there is none.  Returns how many files it
 * restored. */
int kn_filelog_settle(kn_filelog *l, const kn_root *root, bool rollback,
                      void (*report)(const char *message, void *userdata), void *userdata,
                      kn_error *err);

/* Tests only: called between the steps of an apply, its recording and
 * its drop (what: a word for the step), so a test can _exit() there. */
extern void (*kn_filelog_step_hook)(const char *what);
void kn_filelog_step(const char *what);
