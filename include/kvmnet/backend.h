/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A backend stores interface definitions in one configuration regime's
 * files (RHEL ifcfg, Debian ifupdown, ...).  One file per backend, ending
 * in its vtable; the core never switches on the backend.
 *
 * Contract:
 *  - load() reads every file of the regime under the root into the
 *    backend's private state.  A file that can't be parsed becomes a
 *    diagnostic naming FILE:LINE (and the interface, if known); the other
 *    files still load.
 *  - list() turns that state into top-level interfaces (ports and slaves
 *    inside their master) and the diagnostics, with no I/O.
 *  - define() creates or replaces one interface (with its ports/slaves),
 *    undefine() removes it.  They touch only that interface's files, keep
 *    keys and comments they do not understand, write atomically, and keep
 *    the private state in step with what they wrote.  On error nothing is
 *    changed.  Input was already checked by kn_iface_validate().
 */

#include <stdbool.h>
#include <stddef.h>

#include "kvmnet/error.h"
#include "kvmnet/iface.h"

typedef struct kn_root kn_root;
typedef struct kn_backend kn_backend;
struct kn_owners;

typedef struct kn_diag {
        char *file;    /* displayed path, ROOT/etc/... */
        unsigned line; /* 0 if not about one line */
        char *iface;   /* NULL if not known */
        char *message;
        /* Only a warning: the interface is listed all the same (a stanza
         * repeated word for word, say). */
        bool warning;
} kn_diag;

/* What list() produces.  Items are owned by the list. */
typedef struct kn_iface_list {
        kn_iface **items;
        size_t n, alloc;
        kn_diag *diags;
        size_t n_diags, alloc_diags;
} kn_iface_list;

void kn_iface_list_add(kn_iface_list *l, kn_iface *iface); /* takes ownership */
void kn_iface_list_diag(kn_iface_list *l, const char *file, unsigned line, const char *iface,
                        const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* A diagnostic with warning set: the interface still lists. */
void kn_iface_list_warn(kn_iface_list *l, const char *file, unsigned line, const char *iface,
                        const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void kn_iface_list_done(kn_iface_list *l);

/* The MAC each network device of the host has (what `ip link` shows), for
 * what the files tell apart by MAC (ifcfg's HWADDR=) and for iface-name. */
typedef struct kn_device_mac {
        char name[KN_IFNAME_MAX + 1];
        char mac[KN_MAC_STRLEN + 1]; /* lower case */
} kn_device_mac;

/* Every device and its MAC; *ret allocated (free()).  0 devices is no
 * error. */
typedef int (*kn_device_macs_fn)(kn_device_mac **ret, size_t *n_ret, void *userdata);

typedef struct kn_backend_vtable {
        const char *name; /* "ifcfg", "ifupdown", ... as --backend takes it */
        /* The regime's name for people ("systemd-networkd"); NULL: name. */
        const char *regime;
        size_t object_size; /* sizeof the backend's struct, which starts with kn_backend */
        /* The regime stores some definitions differently from how they were
         * asked (NetworkManager has no "hotplug" start mode, say): after
         * define() the list must come from list(), not from the request... */
        bool lossy;
        /* ...unless normalize() can turn the request into what list() will
         * give back (optional; no I/O).  What it changes of what the
         * request gives is named in a warning at define time
         * (kn_config_prepare_define). */
        void (*normalize)(kn_backend *b, kn_iface *iface);
        /* Why a field normalize() changes cannot be stored, for the warning
         * (want: the field as kn_iface_diff names it); optional, NULL: no
         * reason given. */
        const char *(*unstored_why)(const char *want);
        /* normalize() says what is stored but not in which order ports come
         * back (file names it cannot know): list() again after define. */
        bool relist;

        /* How much the root says it uses this regime: 0 not at all, 1 its
         * directory or default files only, 2 files configuring interfaces. */
        int (*detect)(const kn_root *root);
        /* What detect() looks at (root-relative, NULL-terminated), named
         * when no regime is found. */
        const char *const *detect_paths;
        void (*done)(kn_backend *b);
        int (*load)(kn_backend *b, kn_error *err);
        void (*list)(kn_backend *b, kn_iface_list *out);
        int (*define)(kn_backend *b, const kn_iface *iface, kn_error *err);
        int (*undefine)(kn_backend *b, const char *name, kn_error *err);
        /* Directories (relative to the root) whose changes mean the files
         * must be loaded again; NULL-terminated, owned by the backend. */
        const char *const *(*watch_dirs)(kn_backend *b);
        /* Every file that configures the link NAME (or, when mac is not
         * NULL, matches it by MAC or by pattern), from the loaded state, no
         * I/O (kvmnet/owner.h); optional: without it, list() says whether
         * the regime has it. */
        int (*locate)(kn_backend *b, const char *name, const char *mac, struct kn_owners *out);
} kn_backend_vtable;

struct kn_backend {
        const kn_backend_vtable *vt;
        const kn_root *root;
        /* The pre-image journal every define/undefine writes through
         * (kn_fileset_apply); set by the config layer, may be NULL. */
        struct kn_filelog *log;
        /* Where device MACs come from (kn_config_set_device_macs); NULL:
         * ROOT/sys/class/net/NAME/address. */
        kn_device_macs_fn device_macs;
        void *device_macs_data;
};

/* Order i's ports or slaves as a regime that reads them in file-name order
 * lists them (for normalize()): by key(b, child), the child's name when key
 * is NULL or gives NULL; with keep_first the first stays first (a bond's
 * primary, which the files mark). */
void kn_backend_sort_children(kn_backend *b, kn_iface *i, bool keep_first,
                              const char *(*key)(kn_backend *b, const kn_iface *child));

/* The devices' MACs as b is told to learn them (see kn_device_macs_fn):
 * the hook, else ROOT/sys/class/net; a root without sys/class/net has
 * none.  Sorted by name. */
int kn_backend_device_macs(const kn_backend *b, kn_device_mac **ret, size_t *n_ret);
/* The MAC of the device NAME into mac; -ENODEV if there is none.  ms may
 * be a kn_backend_device_macs() result (n_ms entries) to look in. */
int kn_device_mac_find(const kn_device_mac *ms, size_t n_ms, const char *name, char *mac);

/* The registered backends, NULL-terminated, in detection order. */
extern const kn_backend_vtable *const kn_backends[];
const kn_backend_vtable *kn_backend_find(const char *name);
