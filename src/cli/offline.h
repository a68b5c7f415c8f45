/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Offline mode (kvmnet --root) runs the dispatcher in-process.  The
 * dispatcher needs the whole library (libxml2, libnl, ...), which a client
 * of kvmnetd must not pay for at every start, so it lives in a module,
 * kvmnet-offline.so, that the CLI dlopen()s only when --root is given.
 *
 * The module exports one symbol, KN_OFFLINE_SYMBOL, a kn_offline_vtable.
 * Requests and replies cross as json_object: both sides use the same
 * libjson-c.so.  What crosses besides (this struct, kn_error) is the ABI:
 * change it, bump KN_OFFLINE_ABI. */

#include <json-c/json.h>

#include "kvmnet/error.h"

#define KN_OFFLINE_MODULE_NAME "kvmnet-offline.so"
#define KN_OFFLINE_SYMBOL      "kn_offline_module"
#define KN_OFFLINE_ABI         2

typedef struct kn_offline kn_offline;

typedef struct kn_offline_vtable {
        unsigned abi; /* KN_OFFLINE_ABI */
        /* The dispatcher over the configuration under root (backend NULL:
         * detected), serving the network namespace netns (opened now, so a
         * typo is reported here; NULL: none, no live state at all),
         * keeping journals in state_dir (NULL: ROOT/var/lib/kvmnet).
         * Negative errno and err on failure. */
        int (*open)(const char *root, const char *backend, const char *netns, const char *state_dir,
                    kn_offline **ret, kn_error *err);
        /* One request, run to the end; the reply (the caller's) is never
         * NULL. */
        json_object *(*call)(kn_offline *o, json_object *request);
        kn_offline *(*close)(kn_offline *o);
} kn_offline_vtable;

/* What the module exports under KN_OFFLINE_SYMBOL. */
extern const kn_offline_vtable kn_offline_module;

/* The CLI's side (offline.c): find and load the module, once.  Returns
 * NULL after printing one error naming the paths tried. */
const kn_offline_vtable *cli_offline_load(void);
