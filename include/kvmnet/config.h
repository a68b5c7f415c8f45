/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The configured interfaces of one root, through one backend: what the
 * daemon serves and the offline CLI uses.  Keeps the list and a name/MAC
 * index, rebuilt only after a change, so a lookup is O(1). */

#include <stdbool.h>
#include <stddef.h>

#include "kvmnet/backend.h"
#include "kvmnet/error.h"
#include "kvmnet/iface.h"

typedef struct kn_config kn_config;

/* backend NULL: detect from what the root holds: the regime whose files
 * configure interfaces wins over one whose directory merely exists (a
 * Debian root with only "iface lo" and an ifcfg directory full of files is
 * an ifcfg root); a tie goes to the earlier of ifupdown, ifcfg, networkd,
 * nmkeyfile.  A root with none of them is an error asking for --backend. */
int kn_config_open(const char *root, const char *backend, kn_config **ret, kn_error *err);
kn_config *kn_config_free(kn_config *c);
const char *kn_config_backend_name(const kn_config *c);
const char *kn_config_root(const kn_config *c);
/* The journal of pre-images every define/undefine writes through (the
 * state directory's files/, kvmnet/filelog.h; recover it before the config
 * opens).  NULL: none.  The config does not own it. */
int kn_config_set_filelog(kn_config *c, struct kn_filelog *log);
/* The root itself, for restoring files (transactions). */
const kn_root *kn_config_root_fs(const kn_config *c);

/* Read the files again (after a change someone else made). */
int kn_config_reload(kn_config *c, kn_error *err);

/* Top-level interfaces sorted by name; valid until the next change. */
size_t kn_config_list(kn_config *c, const kn_iface *const **ret);
/* Per-file errors of the last load. */
size_t kn_config_diags(kn_config *c, const kn_diag **ret);

/* The interface NAME (top-level, or a port/slave inside one), or NULL.
 * ret_top (may be NULL) receives the top-level interface containing it,
 * which is the interface itself when it is top-level. */
const kn_iface *kn_config_lookup(kn_config *c, const char *name, const kn_iface **ret_top);
/* The diagnostic of the interface NAME whose file could not be parsed. */
const kn_diag *kn_config_lookup_diag(kn_config *c, const char *name);
/* Top-level interfaces whose tree carries MAC (any case); *ret is
 * allocated, free() it. */
size_t kn_config_lookup_mac(kn_config *c, const char *mac, const kn_iface *const **ret);
/* Names of the configured interfaces (top-level, ports, slaves) that have
 * MAC (any case): in their configuration, or as the MAC of the device of
 * that name (kn_config_set_device_macs).  In list order, each once; *ret
 * is allocated (free() it), its strings valid until the next change. */
size_t kn_config_names_by_mac(kn_config *c, const char *mac, const char ***ret);
/* Where device MACs come from: fn (the daemon: the kernel of the namespace
 * it serves), or, with fn NULL, ROOT/sys/class/net/NAME/address (offline).
 * Takes effect at the next load (kn_config_reload). */
void kn_config_set_device_macs(kn_config *c, kn_device_macs_fn fn, void *userdata);

/* A request before kn_config_define(): addresses without a prefix get one
 * (kn_iface_fill_prefixes), an address given twice is kept once
 * (kn_iface_merge_addresses), and every field the backend cannot store as
 * asked (what its normalize() changes) is named; one warning each is
 * appended to *warnings (free with kn_strv_free).  Returns how many. */
size_t kn_config_prepare_define(kn_config *c, kn_iface *iface, char ***warnings,
                                size_t *n_warnings);
/* An address given twice with the same prefix is stored once. */
int kn_config_define(kn_config *c, const kn_iface *iface, kn_error *err);
int kn_config_undefine(kn_config *c, const char *name, kn_error *err);

/* Directories to watch for outside changes, NULL-terminated. */
const char *const *kn_config_watch_dirs(kn_config *c);
