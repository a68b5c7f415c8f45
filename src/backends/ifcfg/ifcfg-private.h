/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The RHEL/Fedora ifcfg backend's internals: reading one ifcfg file into
 * the model (ifcfg-read.c), editing one from the model (ifcfg-write.c),
 * route files (ifcfg-route.c), and the name index (ifcfg-map.c).  The
 * vtable and the bookkeeping across files live in ifcfg.c. */

#include <stdbool.h>
#include <stddef.h>

#include "ifcfg-file.h"
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
