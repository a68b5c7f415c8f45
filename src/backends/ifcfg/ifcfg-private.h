/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The RHEL/Fedora ifcfg backend's internals: reading one ifcfg file into
 * the model (ifcfg-read.c), editing one from the model (ifcfg-write.c),
 * route files (ifcfg-route.c), the name index (ifcfg-map.c), the record
 * of every file with the vtable (ifcfg.c), and define/undefine planning
 * the files a change touches (ifcfg-define.c). */

#include <stdbool.h>
#include <stddef.h>

#include "ifcfg-file.h"
#include "kvmnet/backend.h"
#include "kvmnet/iface.h"

#define KN_IFCFG_DIR "etc/sysconfig/network-scripts"

/* What went wrong reading an interface's files: which file (the ifcfg
 * file, its route-* or its route6-* file), which line (0: the whole
 * file), and why. */
typedef enum kn_ifcfg_which {
        KN_IFCFG_MAIN,
        KN_IFCFG_ROUTE4,
        KN_IFCFG_ROUTE6,
        _KN_IFCFG_WHICH_MAX,
} kn_ifcfg_which;

typedef struct kn_ifcfg_problem {
        kn_ifcfg_which which;
        unsigned line;
        char message[512];
} kn_ifcfg_problem;

/* One ifcfg file, understood. */
typedef struct kn_ifcfg_info {
        kn_iface *iface;                /* no children; a port/slave has no start, mtu, protocols */
        char master[KN_IFNAME_MAX + 1]; /* BRIDGE= or MASTER=, "" if top-level */
        kn_iface_type master_type;      /* KN_IFACE_BRIDGE or KN_IFACE_BOND */
        unsigned master_line;
        char primary[KN_IFNAME_MAX + 1]; /* bond: primary= of BONDING_OPTS */
} kn_ifcfg_info;

void kn_ifcfg_info_done(kn_ifcfg_info *info);

/* The interface name a file defines: DEVICE= if given, else the file name
 * suffix (ifcfg-SUFFIX).  Works on a file with syntax errors too. */
int kn_ifcfg_read_name(const kn_ifcfg_file *f, const char *suffix, char *name, kn_ifcfg_problem *p);

/* routes[KN_IFCFG_ROUTE4/6] may be NULL. */
int kn_ifcfg_read(const kn_ifcfg_file *f, const char *name,
                  const kn_ifcfg_file *const routes[_KN_IFCFG_WHICH_MAX], kn_ifcfg_info *info,
                  kn_ifcfg_problem *p);

/* BONDING_OPTS -> mode and monitor fields of i, and the primary slave.
 * Options kvmnet has no field for are ignored here (and kept by the
 * writer). */
int kn_ifcfg_bond_opts_parse(const char *opts, kn_iface *i, char *primary, char *why,
                             size_t why_len);

/* yes/no/true/false/on/off/1/0, any case; KN_UNSET if none of them. */
kn_tristate kn_ifcfg_parse_bool(const char *s);

/* The numbers n of the IPADDRn keys in f, ascending, -1 standing for plain
 * IPADDR (which comes first). */
size_t kn_ifcfg_address_indexes(const kn_ifcfg_file *f, long **ret);

/* Parse a vlan name PARENT.TAG; false if it is not of that form. */
bool kn_ifcfg_vlan_name_split(const char *name, char *parent, int *tag);

/* Edit f so that it defines node: top is the top-level interface of the
 * tree (start mode and MTU come from it), master node's master or NULL.
 * Keys kvmnet does not own are left alone. */
void kn_ifcfg_write(kn_ifcfg_file *f, const kn_iface *node, const kn_iface *top,
                    const kn_iface *master);

/* Route files: the default gateway (family AF_INET/AF_INET6) a route file
 * sets, "" if none; and dropping it, since kvmnet keeps the gateway in the
 * ifcfg file.  A route file is either key=value (ADDRESSn=, NETMASKn=,
 * GATEWAYn=) or lines of `ip route add` arguments. */
int kn_ifcfg_route_gateway(const kn_ifcfg_file *f, int family, char *gateway, kn_ifcfg_problem *p);
bool kn_ifcfg_route_drop_default(kn_ifcfg_file *f, int family);
bool kn_ifcfg_route_is_empty(const kn_ifcfg_file *f);

/* A string-keyed hash map (keys copied), so that a name lookup costs O(1)
 * with 20,000 files. */
typedef struct kn_ifcfg_map_entry kn_ifcfg_map_entry;
typedef struct kn_ifcfg_map {
        kn_ifcfg_map_entry **buckets;
        size_t n_buckets, n;
} kn_ifcfg_map;

void *kn_ifcfg_map_get(const kn_ifcfg_map *m, const char *key);
void kn_ifcfg_map_put(kn_ifcfg_map *m, const char *key, void *value);
void *kn_ifcfg_map_remove(kn_ifcfg_map *m, const char *key);
/* free_value may be NULL. */
void kn_ifcfg_map_done(kn_ifcfg_map *m, void (*free_value)(void *));

/* ---- the backend's state (ifcfg.c) ---- */

/* One record per ifcfg file, in file-name order, and an index from an
 * interface name to the records defining it and naming it as master. */
typedef struct kn_ifcfg_entry kn_ifcfg_entry;

typedef struct kn_ifcfg_rec {
        char *suffix;                         /* ifcfg-SUFFIX */
        kn_ifcfg_entry *entry, *master_entry; /* of name and info.master, while indexed */
        char name[KN_IFNAME_MAX + 1];         /* "" if not even that is known */
        kn_ifcfg_info info;                   /* info.iface NULL if the file can't be used */
        char *err, *err_rel;                  /* why not, in which file, */
        unsigned err_line;                    /* at which line */
        size_t pos;                           /* in recs[] */
        /* An Ethernet file whose HWADDR= is not the MAC of the device of
         * its name: initscripts ignores it for that device ("different MAC
         * address than expected"), and so does kvmnet; not indexed. */
        char other_mac[KN_MAC_STRLEN + 1]; /* the device's, if ignored */
} kn_ifcfg_rec;

/* Everything known under one interface name. */
struct kn_ifcfg_entry {
        kn_ifcfg_rec **defs; /* files defining it (more than one is an error) */
        size_t n_defs;
        kn_ifcfg_rec **kids; /* usable files naming it in BRIDGE= or MASTER= */
        size_t n_kids;
};

typedef struct kn_ifcfg_backend {
        kn_backend base;
        kn_ifcfg_rec **recs; /* NULL slots are removed records */
        size_t n_recs, alloc_recs, n_dead;
        kn_ifcfg_map names;  /* name -> entry */
        kn_device_mac *devs; /* the devices' MACs, read at load */
        size_t n_devs, n_ignored;
} kn_ifcfg_backend;

/* etc/sysconfig/network-scripts/ifcfg-SUFFIX, and route-ID or route6-ID. */
char *kn_ifcfg_rel(const char *suffix);
char *kn_ifcfg_route_rel(kn_ifcfg_which which, const char *id);
/* The index entry of name; made if create, else NULL if none. */
kn_ifcfg_entry *kn_ifcfg_entry_get(kn_ifcfg_backend *b, const char *name, bool create);
/* Take r out of the index and free it. */
void kn_ifcfg_rec_remove(kn_ifcfg_backend *b, kn_ifcfg_rec *r);
/* Read ifcfg-SUFFIX (and its route files) into the index, if it exists. */
void kn_ifcfg_rec_reload(kn_ifcfg_backend *b, const char *suffix);

/* ---- changes (ifcfg-define.c) ---- */

int kn_ifcfg_define(kn_backend *base, const kn_iface *iface, kn_error *err);
int kn_ifcfg_undefine(kn_backend *base, const char *name, kn_error *err);
