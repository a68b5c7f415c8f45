/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The NetworkManager keyfile backend's internals.  nmkeyfile.c has the
 * vtable and what its kn_ini_dir (backends/ini/dir.h: loading, the file
 * table) indexes; nmkeyfile-read.c turns profiles into the model (list);
 * nmkeyfile-write.c edits a profile from the model; nmkeyfile-define.c
 * plans define/undefine across files; nm-uuid.c makes the UUID of a new
 * profile.
 *
 * Files: connection profiles under etc/NetworkManager/system-connections
 * (NAME.nmconnection, or legacy names without a dot; read and edited, mode
 * 0600 as NetworkManager demands) and run/NetworkManager/system-connections
 * (runtime profiles, e.g. netplan's: read to know who configures what,
 * never edited).
 *
 * kvmnet lists one interface per interface-name of an ethernet, bridge,
 * bond or vlan profile in etc/.  When several profiles name the same
 * device, it uses NAME.nmconnection if there is one, else the first one in
 * file-name order that autoconnects, and says so in a diagnostic. */

#include <stdbool.h>
#include <stddef.h>

#include "ini/dir.h"
#include "ini/ini.h"
#include "kvmnet/backend.h"
#include "kvmnet/iface.h"

#define NM_DIR     "etc/NetworkManager/system-connections"
#define NM_RUN_DIR "run/NetworkManager/system-connections"
#define NM_SUFFIX  ".nmconnection"

typedef struct kn_nmkeyfile_conn {
        kn_ini_file file; /* first: the dir holds kn_nmkeyfile_conns (NM_CONN) */
        /* From [connection] (pointers into ini): */
        const char *id, *uuid, *ifname, *master, *port_type;
        kn_iface_type type; /* _KN_IFACE_TYPE_INVALID if not one of ours */
        const char *type_string;
        /* [match] interface-name= patterns and [ethernet] mac-address, for
         * profiles that pick their device without interface-name. */
        char **match_names;
        size_t n_match_names;
        char mac[KN_MAC_STRLEN + 1];

        /* What the profile says for the model (kn_nmkeyfile_digest): type settings,
         * mac, and for a top-level profile start, mtu, protocols.  master
         * and vlan_parent are resolved when listed (they may be UUIDs).
         * The first thing wrong is file.problem. */
        kn_iface *iface;
        kn_iface_type master_type;
        unsigned master_line;
        const char *vlan_parent;
        unsigned vlan_parent_line;
} kn_nmkeyfile_conn;

static inline kn_nmkeyfile_conn *NM_CONN(kn_ini_file *f) {
        return (kn_nmkeyfile_conn *) f;
}

/* The indexes of kn_nmkeyfile_backend.dir (sorted by key, then file order). */
enum {
        NM_BY_IFNAME, /* interface-name= -> profile */
        NM_BY_UUID,   /* uuid= -> profile */
        NM_BY_MASTER, /* master= / controller= -> profile */
        _NM_INDEX_MAX,
};

typedef struct kn_nmkeyfile_backend {
        kn_backend base;
        kn_ini_dir dir; /* file order: etc/ first, then run/; each by file name */
} kn_nmkeyfile_backend;

/* nmkeyfile.c */
/* Profiles naming ref (an interface or a UUID) in master=/controller=. */
const kn_ini_entry *kn_nmkeyfile_by_master(const kn_nmkeyfile_backend *b, const char *ref,
                                           size_t *ret_n);
/* Profiles naming ifname in interface-name=, in order. */
const kn_ini_entry *kn_nmkeyfile_by_ifname(const kn_nmkeyfile_backend *b, const char *ifname,
                                           size_t *ret_n);
kn_nmkeyfile_conn *kn_nmkeyfile_by_uuid(const kn_nmkeyfile_backend *b, const char *uuid);
/* The profile kvmnet uses for ifname among those in etc/, or NULL. */
kn_nmkeyfile_conn *kn_nmkeyfile_chosen(const kn_nmkeyfile_backend *b, const char *ifname);
/* "master=" / "parent=" values are interface names or profile UUIDs. */
bool kn_nmkeyfile_is_uuid(const char *s);
/* The interface a reference means ("" if it cannot tell). */
const char *kn_nmkeyfile_resolve(const kn_nmkeyfile_backend *b, const char *ref);
/* The [ethernet] section's name in this file ("ethernet" or the long
 * "802-3-ethernet"). */
const char *kn_nmkeyfile_eth_section(const kn_ini *ini);
/* Whether the profile applies to the device (interface-name, [match]
 * interface-name patterns, mac-address when mac is given). */
bool kn_nmkeyfile_conn_matches(const kn_nmkeyfile_conn *c, const char *ifname, const char *mac);

/* nmkeyfile-read.c */
typedef struct kn_nmkeyfile_node {
        char name[KN_IFNAME_MAX + 1];
        kn_nmkeyfile_conn *conn;
        kn_iface *iface; /* without children; NULL if not usable */
        char master[KN_IFNAME_MAX + 1];
        kn_iface_type master_type;
        unsigned master_line;
        bool bad;
        bool primary; /* named by its bond's primary= */
} kn_nmkeyfile_node;

typedef struct kn_nmkeyfile_view {
        kn_nmkeyfile_node *nodes; /* by name */
        size_t n, alloc;
        kn_nmkeyfile_node **kids; /* by master, then file order (a bond's primary first) */
        size_t n_kids, alloc_kids;
        kn_iface_list *out;
} kn_nmkeyfile_view;

void kn_nmkeyfile_digest(kn_nmkeyfile_conn *c);
void kn_nmkeyfile_view_build(kn_nmkeyfile_backend *b, kn_nmkeyfile_view *v, kn_iface_list *out);
void kn_nmkeyfile_view_done(kn_nmkeyfile_view *v);
kn_nmkeyfile_node *kn_nmkeyfile_view_find(const kn_nmkeyfile_view *v, const char *name);
kn_iface *kn_nmkeyfile_view_tree(const kn_nmkeyfile_view *v, const kn_nmkeyfile_node *n);
/* One device as list() sees it, from the indexes alone; free n->iface. */
void kn_nmkeyfile_node_lookup(kn_nmkeyfile_backend *b, const char *name, kn_nmkeyfile_node *n);
/* The names in the listed tree of name (nothing unless it is a usable
 * top-level device). */
void kn_nmkeyfile_tree_names(kn_nmkeyfile_backend *b, const char *name, char ***v, size_t *n);

/* NM booleans (true/false, yes/no, 1/0): 1, 0 or -EINVAL. */
int kn_nmkeyfile_parse_bool(const char *s);
/* addressN= keys of a section, in N order: "ADDR[/PREFIX][,GATEWAY]". */
size_t kn_nmkeyfile_address_keys(const kn_ini *ini, const char *section, size_t **ret_lines);
/* What [ipvX] says, as the model has it; false (with *why, *line) if a
 * value is wrong. */
bool kn_nmkeyfile_read_protocol(const kn_ini *ini, bool v6, kn_protocol *p, const char **why,
                                unsigned *line);

/* nmkeyfile-write.c */
typedef enum kn_nmkeyfile_role {
        NM_TOP,
        NM_PORT,
        NM_SLAVE,
} kn_nmkeyfile_role;

/* Edit a profile for node (master: the bridge/bond it is in, NULL when
 * top-level).  Fails, before any I/O, on what NetworkManager cannot say. */
int kn_nmkeyfile_write_conn(kn_nmkeyfile_backend *b, kn_ini *ini, const kn_iface *node,
                            kn_nmkeyfile_role role, const kn_iface *master, bool created,
                            kn_error *err);

/* nmkeyfile-define.c */
int kn_nmkeyfile_define(kn_nmkeyfile_backend *b, const kn_iface *iface, kn_error *err);
int kn_nmkeyfile_undefine(kn_nmkeyfile_backend *b, const char *name, kn_error *err);

/* nm-uuid.c: the name-based (version 5) UUID kvmnet gives a new profile
 * for ifname, in kvmnet's own namespace: stable, so a redefine after an
 * undefine is the same profile to NetworkManager.  out: 37 bytes. */
void kn_nmkeyfile_uuid_for(const char *ifname, char *out);
