/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Private to the Debian ifupdown backend.
 *
 * The files are kept as parsed lines (raw text kept for rewriting), grouped
 * into stanzas; a name index maps each interface name to where it appears
 * (its stanzas, its auto/allow-* mentions, masters listing it as a port,
 * slaves naming it as bond-master).  list() interprets the index (read.c,
 * tree.c); define()/undefine() plan edits on the lines of the few files
 * involved, write them and re-parse only those files from memory (want.c,
 * edit.c, write.c).  Files are found by files.c, parsed by parse.c. */

#include "kvmnet/backend.h"
#include "macro.h"
#include "rootfs.h"
#include "strbuf.h"

#define IFU_MAIN "etc/network/interfaces"

typedef enum ifu_kind {
        IFU_BLANK,
        IFU_COMMENT,
        IFU_IFACE,      /* iface NAME FAMILY METHOD [inherits T] */
        IFU_MAPPING,    /* mapping PATTERN... */
        IFU_START,      /* auto NAME..., allow-CLASS NAME... */
        IFU_SOURCE,     /* source PATTERN */
        IFU_SOURCE_DIR, /* source-directory PATTERN */
        IFU_TOPLEVEL,   /* rename, no-auto-down, no-scripts */
        IFU_OPTION,     /* KEY VALUE inside an iface stanza */
        IFU_MAP_OPTION, /* script, map, ... inside a mapping stanza */
} ifu_kind;

typedef enum ifu_family {
        IFU_INET,
        IFU_INET6,
        IFU_IPX,
        IFU_CAN,
        _IFU_FAMILY_MAX,
        _IFU_FAMILY_INVALID = -EINVAL,
} ifu_family;

const char *ifu_family_to_string(ifu_family f);
ifu_family ifu_family_from_string(const char *s);

typedef struct ifu_line {
        const char *raw; /* into the file's text, with continuations and '\n' */
        size_t raw_len;
        unsigned lineno; /* first physical line, from 1 */
        ifu_kind kind;
        char **words; /* whitespace-separated words (continuations joined) */
        size_t n_words;
        char *value; /* what follows the first word, trimmed (options' value) */
} ifu_line;

typedef struct ifu_stanza {
        size_t first, end; /* the iface line; one past its last option line */
        const char *name;
        ifu_family family;
        const char *method;
} ifu_stanza;

typedef struct ifu_file {
        char *path;  /* root-relative, "etc/network/interfaces" */
        char *shown; /* for messages: ROOT/etc/network/interfaces */
        char *text;
        size_t len;
        ifu_line *lines;
        size_t n_lines;
        ifu_stanza *stanzas;
        size_t n_stanzas, alloc_stanzas;
        unsigned err_line; /* first syntax error; then the file's stanzas are unused */
        char *err;
        unsigned order; /* position in reading order */
} ifu_file;

static inline bool ifu_file_broken(const ifu_file *f) {
        return f->err != NULL;
}

/* parse.c */
ifu_file *ifu_file_parse(const char *path, const char *shown, char *text, size_t len);
ifu_file *ifu_file_free(ifu_file *f);
/* Option keys compare with '_' and '-' alike, as ifupdown's IF_* variables do. */
bool ifu_key_eq(const char *a, const char *b);
/* A method of the family that ifupdown knows. */
bool ifu_method_known(ifu_family family, const char *method);
/* Two stanzas saying the same word for word: family, method, the same
 * option lines in the same order (comments and blank lines aside). */
bool ifu_stanza_same(const ifu_file *fa, const ifu_stanza *a, const ifu_file *fb,
                     const ifu_stanza *b);
/* The value of the option KEY in the stanza (first occurrence), or NULL. */
const char *ifu_stanza_option(const ifu_file *f, const ifu_stanza *s, const char *key,
                              const ifu_line **line);

/* index.c: name -> where it appears. */
typedef enum ifu_ref_kind {
        IFU_REF_STANZA,  /* idx: a stanza of this name */
        IFU_REF_START,   /* idx: an auto/allow-* line naming it */
        IFU_REF_BROKEN,  /* idx: a line naming it in a file with a syntax error */
        IFU_REF_PORT_OF, /* idx: a stanza listing it in bridge_ports/bond-slaves */
        IFU_REF_SLAVE,   /* idx: a stanza naming it as bond-master */
} ifu_ref_kind;

typedef struct ifu_ref {
        ifu_file *file;
        size_t idx;
        ifu_ref_kind kind;
} ifu_ref;

typedef struct ifu_entry {
        char *name;
        size_t id;     /* position in ifu_index.all */
        ifu_ref *refs; /* in reading order */
        size_t n_refs, alloc_refs;
} ifu_entry;

typedef struct ifu_index {
        ifu_entry **slots; /* open addressing */
        size_t n_slots;
        ifu_entry **all; /* in order of first appearance */
        size_t n_all, alloc_all;
} ifu_index;

void ifu_index_done(ifu_index *x);
ifu_entry *ifu_index_get(const ifu_index *x, const char *name);
void ifu_index_add_file(ifu_index *x, ifu_file *f);
void ifu_index_remove_file(ifu_index *x, ifu_file *f);
size_t ifu_entry_count(const ifu_entry *e, ifu_ref_kind kind);
const ifu_ref *ifu_entry_first(const ifu_entry *e, ifu_ref_kind kind);
/* Words of a port list (bridge_ports, bond-slaves) that name interfaces. */
bool ifu_port_word(const char *w);

typedef struct ifu_file_map {
        ifu_file **slots;
        size_t n_slots, n;
} ifu_file_map;

ifu_file *ifu_file_map_get(const ifu_file_map *m, const char *path);
void ifu_file_map_put(ifu_file_map *m, ifu_file *f);
void ifu_file_map_del(ifu_file_map *m, const char *path);
void ifu_file_map_done(ifu_file_map *m);

/* A source / source-directory line of the main file, resolved. */
typedef struct ifu_source {
        bool directory;
        char *pattern; /* root-relative glob */
} ifu_source;

typedef struct ifu_backend {
        kn_backend base;
        ifu_file **files; /* reading order */
        size_t n_files, alloc_files;
        unsigned next_order;
        ifu_file_map by_path;
        ifu_index index;
        kn_iface_list load_diags; /* only diags: unreadable files, loops */
        ifu_source *sources;
        size_t n_sources, alloc_sources;
        char **watch; /* NULL-terminated */
        size_t n_watch;
} ifu_backend;

/* files.c */
int ifu_load_files(ifu_backend *u, kn_error *err);
void ifu_forget_files(ifu_backend *u);
ifu_file *ifu_find_file(const ifu_backend *u, const char *path);
/* Where ifupdown would read a new file PATH from (a source glob or a
 * source-directory of the main file matches it). */
bool ifu_path_sourced(const ifu_backend *u, const char *path);
char *ifu_path_join(const char *dir, const char *rel);

/* The options kvmnet owns: it reads them into the model, and rewrites or
 * removes them.  Every other line of a stanza is kept as it is. */
typedef enum ifu_opt {
        IFU_O_ADDRESS,
        IFU_O_NETMASK,
        IFU_O_GATEWAY,
        IFU_O_AUTOCONF,
        IFU_O_ACCEPT_RA, /* inet6; kvmnet writes only "accept_ra 0" (see want.c) */
        IFU_O_HWADDRESS,
        IFU_O_MTU,
        IFU_O_BRIDGE_PORTS,
        IFU_O_BRIDGE_STP,
        IFU_O_BRIDGE_FD,
        IFU_O_BRIDGE_HW,
        IFU_O_BOND_SLAVES,
        IFU_O_BOND_MODE,
        IFU_O_BOND_PRIMARY,
        IFU_O_BOND_MIIMON,
        IFU_O_BOND_DOWNDELAY,
        IFU_O_BOND_UPDELAY,
        IFU_O_BOND_USE_CARRIER,
        IFU_O_BOND_ARP_INTERVAL,
        IFU_O_BOND_ARP_IP_TARGET,
        IFU_O_BOND_ARP_VALIDATE,
        IFU_O_BOND_MASTER,
        IFU_O_VLAN_RAW_DEVICE,
        _IFU_O_MAX,
} ifu_opt;

/* Where an option's value applies. */
typedef enum ifu_scope {
        IFU_SCOPE_STANZA, /* that stanza: address, netmask, autoconf */
        IFU_SCOPE_FAMILY, /* all stanzas of the family: gateway */
        IFU_SCOPE_LINK,   /* the interface: hwaddress, mtu, bridge_*, bond-* */
} ifu_scope;

/* options.c */
/* The option KEY in a stanza of FAMILY, or -1 if kvmnet doesn't own it. */
int ifu_opt_lookup(const char *key, ifu_family family);
/* The spelling kvmnet writes. */
const char *ifu_opt_key(ifu_opt o);
ifu_scope ifu_opt_scope(ifu_opt o);
/* A decimal number up to max, nothing else. */
int ifu_parse_uint(const char *s, unsigned long max, unsigned long *ret);

/* How ifupdown names vlans: PARENT.ID (returns 1, parent filled in) or
 * vlanID (returns 2, the parent comes from vlan-raw-device); 0 if NAME is
 * not a vlan name; -EINVAL for ".ID", a vlan without a parent. */
int ifu_vlan_name(const char *name, char parent[KN_IFNAME_MAX + 1], int *tag);
/* bond-mode and bond-arp-validate values: names or the kernel's numbers. */
int ifu_bond_mode_parse(const char *s);
int ifu_arp_validate_parse(const char *s);
/* A netmask (dotted quad, or bits) as a prefix length; -EINVAL if bad. */
int ifu_netmask_prefix(int family, const char *s);

/* tree.c (with read.c): what list() returns */
void ifu_list(ifu_backend *u, kn_iface_list *out);

/* write.c */
int ifu_define(ifu_backend *u, const kn_iface *iface, kn_error *err);
int ifu_undefine(ifu_backend *u, const char *name, kn_error *err);
