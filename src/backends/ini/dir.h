/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The files of an INI regime (systemd-networkd, NetworkManager keyfiles):
 * every file of its directory in etc/ (read and edited) and of its
 * runtime twin in run/ (netplan's output, say: read to know who
 * configures what, never edited), parsed and digested once at load, in
 * file order, with sorted indexes from what the files say to the files.
 * After a define only the files written are parsed again, and the
 * indexes are merged, not re-sorted, so a define costs O(files it touches
 * + one pass), not a reload. */

#include <stdbool.h>
#include <stddef.h>

#include "file.h"
#include "index.h"
#include "ini.h"
#include "kvmnet/error.h"

typedef struct kn_root kn_root;

enum {
        /* networkd: one file-name order across both directories, and a
         * file in etc/ hides the runtime one of the same name.  Otherwise
         * (NetworkManager) etc/ comes first, then run/, and both count. */
        KN_INI_DIR_SHADOW = 1 << 0,
        /* Only regular files are loaded (NetworkManager); otherwise
         * anything that is not a directory (networkd). */
        KN_INI_DIR_REGULAR = 1 << 1,
};

/* As many indexes as a backend uses (networkd's). */
#define KN_INI_DIR_INDEXES 5

/* What a backend says about its regime; one static const per backend. */
typedef struct kn_ini_dir_type {
        const char *dir, *run_dir; /* relative to the root */
        kn_ini_syntax syntax;
        unsigned flags;
        bool (*wanted)(const char *name); /* a file of the regime, by its name */
        /* The backend's file for rel (kn_ini_file_init, then its digest);
         * data NULL: unreadable (the dir then marks it broken). */
        kn_ini_file *(*open)(kn_ini_dir *d, const char *rel, const char *data, size_t len);
        void (*free)(kn_ini_file *f);
        /* Add what f says to d->index[] (kn_ini_index_add). */
        void (*index)(kn_ini_dir *d, kn_ini_file *f);
} kn_ini_dir_type;

struct kn_ini_dir {
        const kn_ini_dir_type *type;
        const kn_root *root;
        kn_ini_file **files; /* in file order (kn_ini_file_cmp) */
        size_t n_files, alloc_files;
        kn_ini_index index[KN_INI_DIR_INDEXES];
        kn_ini_file **fresh, **dead; /* changed since the indexes were made */
        size_t n_fresh, alloc_fresh, n_dead, alloc_dead;
};

/* Read both directories (a missing one is empty).  On error d is left
 * empty. */
int kn_ini_dir_load(kn_ini_dir *d, const kn_ini_dir_type *type, const kn_root *root, kn_error *err);
/* Free the files and indexes; d stays usable, empty. */
void kn_ini_dir_done(kn_ini_dir *d);

kn_ini_file *kn_ini_dir_find(const kn_ini_dir *d, const char *rel);
/* The file named name (for a shadowing dir the one there is; otherwise
 * the one in etc/). */
kn_ini_file *kn_ini_dir_find_name(const kn_ini_dir *d, const char *name);

/* rel (in etc/) was written with data, or removed (data NULL): replace
 * its state.  kn_ini_dir_reindex() once all are done. */
void kn_ini_dir_update(kn_ini_dir *d, const char *rel, const char *data, size_t len);
void kn_ini_dir_reindex(kn_ini_dir *d);

/* For kn_backend_vtable.detect: 2 if etc/ has files of the regime, 1 if
 * only run/ has (runtime files still tell who runs the links they name),
 * else 0. */
int kn_ini_dir_detect(const kn_ini_dir_type *type, const kn_root *root);
