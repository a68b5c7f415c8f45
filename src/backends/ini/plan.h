/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What define/undefine of an INI backend will change, planned before
 * anything is written.  Every file to change is read afresh from disk
 * (what is there now is what gets edited, not what was loaded), all new
 * contents are computed, and only then written through a kn_fileset
 * (fileset.h: pre-images journaled, atomic writes, removals last,
 * undone on failure); the kn_ini_dir is then brought in step with what
 * was written. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "dir.h"
#include "ini.h"
#include "kvmnet/error.h"
#include "kvmnet/iface.h"

typedef struct kn_ini_work {
        char *rel;
        kn_ini ini;
        char *orig; /* as read, NULL for a new file: unchanged files are not rewritten */
        bool created, remove;
        /* Its interface leaves kvmnet: the backend settles what becomes of
         * the file before kn_ini_plan_apply() (networkd may keep a stub). */
        bool release;
} kn_ini_work;

typedef struct kn_ini_plan {
        kn_ini_dir *dir;
        struct kn_filelog *log; /* the backend's (kn_backend.log), may be NULL */
        kn_ini_work **w;
        size_t n, alloc;
} kn_ini_plan;

/* The work for rel, opened once: the file as it is on disk now, or a new
 * empty one.  A file that does not parse is refused (it would be
 * rewritten from a guess). */
int kn_ini_plan_open(kn_ini_plan *p, const char *rel, kn_ini_work **ret, kn_error *err);
/* rel is to go (a file that is not there stays away). */
void kn_ini_plan_remove(kn_ini_plan *p, const char *rel);
/* Write what changed, new files with mode (0: see kn_fileset_write). */
int kn_ini_plan_apply(kn_ini_plan *p, mode_t mode, kn_error *err);
void kn_ini_plan_done(kn_ini_plan *p);

/* Helpers both defines use.  A vlan port given without a name gets the
 * kernel's PARENT.TAG. */
int kn_ini_plan_name_vlans(kn_iface *i, kn_error *err);
/* Append the names in the tree of i to *v. */
void kn_ini_plan_names(const kn_iface *i, char ***v, size_t *n);
bool kn_ini_plan_has_name(char *const *v, size_t n, const char *name);
