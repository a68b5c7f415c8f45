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

typedef enum kn_ifupdown_kind {
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
} kn_ifupdown_kind;

typedef enum kn_ifupdown_family {
        IFU_INET,
        IFU_INET6,
        IFU_IPX,
        IFU_CAN,
        _IFU_FAMILY_MAX,
        _IFU_FAMILY_INVALID = -EINVAL,
} kn_ifupdown_family;

const char *kn_ifupdown_family_to_string(kn_ifupdown_family f);
kn_ifupdown_family kn_ifupdown_family_from_string(const char *s);

typedef struct kn_ifupdown_line {
        const char *raw; /* into the file's text, with continuations and '\n' */
        size_t raw_len;
        unsigned lineno; /* first physical line, from 1 */
        kn_ifupdown_kind kind;
        char **words; /* whitespace-separated words (continuations joined) */
        size_t n_words;
        char *value; /* what follows the first word, trimmed (options' value) */
} kn_ifupdown_line;

typedef struct kn_ifupdown_stanza {
        size_t first, end; /* the iface line; one past its last option line */
        const char *name;
        kn_ifupdown_family family;
        const char *method;
} kn_ifupdown_stanza;

typedef struct kn_ifupdown_file {
        char *path;  /* root-relative, "etc/network/interfaces" */
        char *shown; /* for messages: ROOT/etc/network/interfaces */
        char *text;
        size_t len;
        kn_ifupdown_line *lines;
        size_t n_lines;
        kn_ifupdown_stanza *stanzas;
        size_t n_stanzas, alloc_stanzas;
        unsigned err_line; /* first syntax error; then the file's stanzas are unused */
        char *err;
        unsigned order; /* position in reading order */
} kn_ifupdown_file;

static inline bool kn_ifupdown_file_broken(const kn_ifupdown_file *f) {
        return f->err != NULL;
}

/* parse.c */
kn_ifupdown_file *kn_ifupdown_file_parse(const char *path, const char *shown, char *text,
                                         size_t len);
kn_ifupdown_file *kn_ifupdown_file_free(kn_ifupdown_file *f);
/* Option keys compare with '_' and '-' alike, as ifupdown's IF_* variables do. */
bool kn_ifupdown_key_eq(const char *a, const char *b);
/* A method of the family that ifupdown knows. */
bool kn_ifupdown_method_known(kn_ifupdown_family family, const char *method);
/* Two stanzas saying the same word for word: family, method, the same
 * option lines in the same order (comments and blank lines aside). */
bool kn_ifupdown_stanza_same(const kn_ifupdown_file *fa, const kn_ifupdown_stanza *a,
                             const kn_ifupdown_file *fb, const kn_ifupdown_stanza *b);
/* The value of the option KEY in the stanza (first occurrence), or NULL. */
const char *kn_ifupdown_stanza_option(const kn_ifupdown_file *f, const kn_ifupdown_stanza *s,
                                      const char *key, const kn_ifupdown_line **line);

/* index.c: name -> where it appears. */
typedef enum kn_ifupdown_ref_kind {
        IFU_REF_STANZA,  /* idx: a stanza of this name */
        IFU_REF_START,   /* idx: an auto/allow-* line naming it */
        IFU_REF_BROKEN,  /* idx: a line naming it in a file with a syntax error */
        IFU_REF_PORT_OF, /* idx: a stanza listing it in bridge_ports/bond-slaves */
        IFU_REF_SLAVE,   /* idx: a stanza naming it as bond-master */
} kn_ifupdown_ref_kind;

typedef struct kn_ifupdown_ref {
        kn_ifupdown_file *file;
        size_t idx;
        kn_ifupdown_ref_kind kind;
} kn_ifupdown_ref;

typedef struct kn_ifupdown_entry {
        char *name;
        size_t id;             /* position in kn_ifupdown_index.all */
        kn_ifupdown_ref *refs; /* in reading order */
        size_t n_refs, alloc_refs;
} kn_ifupdown_entry;

typedef struct kn_ifupdown_index {
        kn_ifupdown_entry **slots; /* open addressing */
        size_t n_slots;
        kn_ifupdown_entry **all; /* in order of first appearance */
        size_t n_all, alloc_all;
} kn_ifupdown_index;

void kn_ifupdown_index_done(kn_ifupdown_index *x);
kn_ifupdown_entry *kn_ifupdown_index_get(const kn_ifupdown_index *x, const char *name);
void kn_ifupdown_index_add_file(kn_ifupdown_index *x, kn_ifupdown_file *f);
void kn_ifupdown_index_remove_file(kn_ifupdown_index *x, kn_ifupdown_file *f);
size_t kn_ifupdown_entry_count(const kn_ifupdown_entry *e, kn_ifupdown_ref_kind kind);
const kn_ifupdown_ref *kn_ifupdown_entry_first(const kn_ifupdown_entry *e,
                                               kn_ifupdown_ref_kind kind);
/* Words of a port list (bridge_ports, bond-slaves) that name interfaces. */
bool kn_ifupdown_port_word(const char *w);

typedef struct kn_ifupdown_file_map {
        kn_ifupdown_file **slots;
        size_t n_slots, n;
} kn_ifupdown_file_map;

kn_ifupdown_file *kn_ifupdown_file_map_get(const kn_ifupdown_file_map *m, const char *path);
void kn_ifupdown_file_map_put(kn_ifupdown_file_map *m, kn_ifupdown_file *f);
void kn_ifupdown_file_map_del(kn_ifupdown_file_map *m, const char *path);
void kn_ifupdown_file_map_done(kn_ifupdown_file_map *m);

/* A source / source-directory line of the main file, resolved. */
typedef struct kn_ifupdown_source {
        bool directory;
        char *pattern; /* root-relative glob */
} kn_ifupdown_source;

typedef struct kn_ifupdown_backend {
        kn_backend base;
        kn_ifupdown_file **files; /* reading order */
        size_t n_files, alloc_files;
        unsigned next_order;
        kn_ifupdown_file_map by_path;
        kn_ifupdown_index index;
        kn_iface_list load_diags; /* only diags: unreadable files, loops */
        kn_ifupdown_source *sources;
        size_t n_sources, alloc_sources;
        char **watch; /* NULL-terminated */
        size_t n_watch;
} kn_ifupdown_backend;

/* files.c */
int kn_ifupdown_load_files(kn_ifupdown_backend *u, kn_error *err);
void kn_ifupdown_forget_files(kn_ifupdown_backend *u);
kn_ifupdown_file *kn_ifupdown_find_file(const kn_ifupdown_backend *u, const char *path);
/* Where ifupdown would read a new file PATH from (a source glob or a
 * source-directory of the main file matches it). */
bool kn_ifupdown_path_sourced(const kn_ifupdown_backend *u, const char *path);
char *kn_ifupdown_path_join(const char *dir, const char *rel);

/* The options kvmnet owns: it reads them into the model, and rewrites or
 * removes them.  Every other line of a stanza is kept as it is. */
typedef enum kn_ifupdown_opt {
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
} kn_ifupdown_opt;

/* Where an option's value applies. */
typedef enum kn_ifupdown_scope {
        IFU_SCOPE_STANZA, /* that stanza: address, netmask, autoconf */
        IFU_SCOPE_FAMILY, /* all stanzas of the family: gateway */
        IFU_SCOPE_LINK,   /* the interface: hwaddress, mtu, bridge_*, bond-* */
} kn_ifupdown_scope;

/* options.c */
/* The option KEY in a stanza of FAMILY, or -1 if kvmnet doesn't own it. */
int kn_ifupdown_opt_lookup(const char *key, kn_ifupdown_family family);
/* The spelling kvmnet writes. */
const char *kn_ifupdown_opt_key(kn_ifupdown_opt o);
kn_ifupdown_scope kn_ifupdown_opt_scope(kn_ifupdown_opt o);
/* A decimal number up to max, nothing else. */
int kn_ifupdown_parse_uint(const char *s, unsigned long max, unsigned long *ret);

/* How ifupdown names vlans: PARENT.ID (returns 1, parent filled in) or
 * vlanID (returns 2, the parent comes from vlan-raw-device); 0 if NAME is
 * not a vlan name; -EINVAL for ".ID", a vlan without a parent. */
int kn_ifupdown_vlan_name(const char *name, char parent[KN_IFNAME_MAX + 1], int *tag);
/* bond-mode and bond-arp-validate values: names or the kernel's numbers. */
int kn_ifupdown_bond_mode_parse(const char *s);
int kn_ifupdown_arp_validate_parse(const char *s);
/* A netmask (dotted quad, or bits) as a prefix length; -EINVAL if bad. */
int kn_ifupdown_netmask_prefix(int family, const char *s);

/* tree.c (with read.c): what list() returns */
void kn_ifupdown_list(kn_ifupdown_backend *u, kn_iface_list *out);

/* write.c */
int kn_ifupdown_define(kn_ifupdown_backend *u, const kn_iface *iface, kn_error *err);
int kn_ifupdown_undefine(kn_ifupdown_backend *u, const char *name, kn_error *err);
