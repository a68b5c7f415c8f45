/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Transactions over configuration files and live state: what iface-begin /
 * iface-commit / iface-rollback, --confirm and every single change use.
 *
 * One transaction at a time per state directory, journaled on disk before anything changes
 *
 * (STATE_DIR/txn/SLOT/):
 *   meta      who opened it and when, the namespace, the boot, the confirm
 *             deadline (key=value lines, replaced atomically)
 *   live.log  the undo of every live step, written before the step is made
 *             (kn_live_txn_set_log)
 *
 * The files are covered by the configuration's file log (src/backends/filelog.c,
 * STATE_DIR/files): a held transaction there keeps the first pre-image of
 * every file any change writes until commit or rollback.
 *
 * The commit point is the removal of `meta`: a process killed before it
 * leaves a transaction that kn_txn_recover() rolls back, files and live
 * state, one killed after it one that recovery finishes committing. */

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "kvmnet/error.h"
#include "kvmnet/live.h"

typedef struct kn_txn kn_txn;
typedef struct kn_root kn_root;
typedef struct kn_filelog kn_filelog;

typedef struct kn_txn_info {
        bool explicit_txn; /* iface-begin; else one verb's, kept for --confirm */
        uid_t uid;         /* who opened it */
        pid_t pid;
        char client[64];      /* e.g. "connection 7", "kvmnet (offline)" */
        char verb[32];        /* the verb that opened it */
        time_t opened;        /* wall clock */
        time_t confirm_by;    /* 0: no confirm timer */
        char netns[256];      /* namespace of its live steps, "" for the own */
        char checkpoint[128]; /* NetworkManager's checkpoint of its live part, "" none */
        /* Filled in by kn_txn_begin: */
        pid_t owner_pid; /* the process holding it (kvmnetd) */
        char boot_id[40];
        bool files; /* it holds the file log's transaction */
} kn_txn_info;

/* The slot of iface-begin, --confirm and iface-bridge: the one that covers
 * files.  Other slots ("start-br0") journal one live change each. */
#define KN_TXN_MAIN "main"

/* Open a transaction in STATE_DIR/txn/SLOT; with files (NULL: files are
 * not covered), a held transaction of that file log, so that rollback
 * restores every file written meanwhile byte for byte.  -EBUSY if the slot
 * holds one already; err then names its owner, its verb and since when. */
int kn_txn_begin(const char *state_dir, const char *slot, const kn_txn_info *info,
                 kn_filelog *files, kn_txn **ret, kn_error *err);

const kn_txn_info *kn_txn_get_info(const kn_txn *t);

/* Journal the NetworkManager checkpoint that holds the transaction's live
 * part: recovery rolls it back when the process died with it open. */
int kn_txn_set_checkpoint(kn_txn *t, const char *path, kn_error *err);
/* Set (0: clear) the confirm deadline, on disk too. */
int kn_txn_set_confirm(kn_txn *t, time_t confirm_by, kn_error *err);

/* The live steps of the transaction: operations append to it (one thread
 * at a time); each step's undo reaches live.log before the step is made. */
kn_live_txn *kn_txn_live(kn_txn *t);

/* Keep everything: the commit point, then the journal is removed.  t is
 * freed, also on failure. */
int kn_txn_commit(kn_txn *t, kn_error *err);

/* Undo the live steps, newest first, in ns (the thread's own handle on the
 * transaction's namespace).  Continues past failures; err names the first. */
int kn_txn_rollback_live(kn_txn *t, kn_netns *ns, kn_error *err);
/* Restore every file written since begin byte for byte (files that were
 * created are removed), then remove the journal and free t.  report()
 * gets one line per file restored. */
int kn_txn_rollback_files(kn_txn *t, const kn_root *root,
                          void (*report)(const char *message, void *userdata), void *userdata,
                          kn_error *err);

/* At start: each transaction a killed process left in state_dir is rolled
 * back -- live steps only if the machine was not rebooted since and ns
 * serves the same namespace (ns NULL: files only), files under root
 * through the file log files -- or, if it had passed its commit point,
 * committed.  A
 * transaction whose owner process still runs is left alone.  report()
 * gets a line for what was found and each thing done.  Returns the number
 * of things restored. */
int kn_txn_recover(const char *state_dir, kn_netns *ns, const kn_root *root, kn_filelog *files,
                   void (*report)(const char *message, void *userdata), void *userdata,
                   kn_error *err);

/* "opened by uid 0 (pid 4242, connection 3) with iface-begin at
 * 2026-12-02T10:00:00Z", for messages. */
char *kn_txn_describe(const kn_txn_info *info);
