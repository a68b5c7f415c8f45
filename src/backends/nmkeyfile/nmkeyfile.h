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

#include "backends/ini/dir.h"
#include "backends/ini/ini.h"
#include "kvmnet/backend.h"
#include "kvmnet/iface.h"

#define NM_DIR     "etc/NetworkManager/system-connections"
#define NM_RUN_DIR "run/NetworkManager/system-connections"
#define NM_SUFFIX  ".nmconnection"

typedef struct nm_conn {
        kn_ini_file file; /* first: the dir holds nm_conns (NM_CONN) */
        /* From [connection] (pointers into ini): */
        const char *id, *uuid, *ifname, *master, *port_type;
        kn_iface_type type; /* _KN_IFACE_TYPE_INVALID if not one of ours */
        const char *type_string;
        /* [match] interface-name= patterns and [ethernet] mac-address, for
         * profiles that pick their device without interface-name. */
        char **match_names;
        size_t n_match_names;
        char mac[KN_MAC_STRLEN + 1];

        /* What the profile says for the model (nm_digest): type settings,
         * mac, and for a top-level profile start, mtu, protocols.  master
         * and vlan_parent are resolved when listed (they may be UUIDs).
         * The first thing wrong is file.problem. */
        kn_iface *iface;
        kn_iface_type master_type;
        unsigned master_line;
        const char *vlan_parent;
        unsigned vlan_parent_line;
} nm_conn;

static inline nm_conn *NM_CONN(kn_ini_file *f) {
        return (nm_conn *) f;
}

/* The indexes of nm_backend.dir (sorted by key, then file order). */
enum {
        NM_BY_IFNAME, /* interface-name= -> profile */
        NM_BY_UUID,   /* uuid= -> profile */
        NM_BY_MASTER, /* master= / controller= -> profile */
        _NM_INDEX_MAX,
};

typedef struct nm_backend {
        kn_backend base;
        kn_ini_dir dir; /* file order: etc/ first, then run/; each by file name */
} nm_backend;

/* nmkeyfile.c */
/* Profiles naming ref (an interface or a UUID) in master=/controller=. */
const kn_ini_entry *nm_by_master(const nm_backend *b, const char *ref, size_t *ret_n);
/* Profiles naming ifname in interface-name=, in order. */
const kn_ini_entry *nm_by_ifname(const nm_backend *b, const char *ifname, size_t *ret_n);
nm_conn *nm_by_uuid(const nm_backend *b, const char *uuid);
/* The profile kvmnet uses for ifname among those in etc/, or NULL. */
nm_conn *nm_chosen(const nm_backend *b, const char *ifname);
/* "master=" / "parent=" values are interface names or profile UUIDs. */
bool nm_is_uuid(const char *s);
/* The interface a reference means ("" if it cannot tell). */
const char *nm_resolve(const nm_backend *b, const char *ref);
/* The [ethernet] section's name in this file ("ethernet" or the long
 * "802-3-ethernet"). */
const char *nm_eth_section(const kn_ini *ini);
/* Whether the profile applies to the device (interface-name, [match]
 * interface-name patterns, mac-address when mac is given). */
bool nm_conn_matches(const nm_conn *c, const char *ifname, const char *mac);

/* nmkeyfile-read.c */
typedef struct nm_node {
        char name[KN_IFNAME_MAX + 1];
        nm_conn *conn;
        kn_iface *iface; /* without children; NULL if not usable */
        char master[KN_IFNAME_MAX + 1];
        kn_iface_type master_type;
        unsigned master_line;
        bool bad;
        bool primary; /* named by its bond's primary= */
} nm_node;

typedef struct nm_view {
        nm_node *nodes; /* by name */
        size_t n, alloc;
        nm_node **kids; /* by master, then file order (a bond's primary first) */
        size_t n_kids, alloc_kids;
        kn_iface_list *out;
} nm_view;

void nm_digest(nm_conn *c);
void nm_view_build(nm_backend *b, nm_view *v, kn_iface_list *out);
void nm_view_done(nm_view *v);
nm_node *nm_view_find(const nm_view *v, const char *name);
kn_iface *nm_view_tree(const nm_view *v, const nm_node *n);
/* One device as list() sees it, from the indexes alone; free n->iface. */
void nm_node_lookup(nm_backend *b, const char *name, nm_node *n);
/* The names in the listed tree of name (nothing unless it is a usable
 * top-level device). */
void nm_tree_names(nm_backend *b, const char *name, char ***v, size_t *n);

/* NM booleans (true/false, yes/no, 1/0): 1, 0 or -EINVAL. */
int nm_parse_bool(const char *s);
/* addressN= keys of a section, in N order: "ADDR[/PREFIX][,GATEWAY]". */
size_t nm_address_keys(const kn_ini *ini, const char *section, size_t **ret_lines);
/* What [ipvX] says, as the model has it; false (with *why, *line) if a
 * value is wrong. */
bool nm_read_protocol(const kn_ini *ini, bool v6, kn_protocol *p, const char **why, unsigned *line);

/* nmkeyfile-write.c */
typedef enum nm_role {
        NM_TOP,
        NM_PORT,
        NM_SLAVE,
} nm_role;

/* Edit a profile for node (master: the bridge/bond it is in, NULL when
 * top-level).  Fails, before any I/O, on what NetworkManager cannot say. */
int nm_write_conn(nm_backend *b, kn_ini *ini, const kn_iface *node, nm_role role,
                  const kn_iface *master, bool created, kn_error *err);

/* nmkeyfile-define.c */
int nm_define(nm_backend *b, const kn_iface *iface, kn_error *err);
int nm_undefine(nm_backend *b, const char *name, kn_error *err);

/* nm-uuid.c: the name-based (version 5) UUID kvmnet gives a new profile
 * for ifname, in kvmnet's own namespace: stable, so a redefine after an
 * undefine is the same profile to NetworkManager.  out: 37 bytes. */
void nm_uuid_for(const char *ifname, char *out);
