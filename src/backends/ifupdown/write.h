/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Private to the ifupdown writer (want.c, edit.c, write.c): the stanzas an
 * interface should have, the edits planned on each file, the plan. */

#include "ifupdown.h"

typedef struct opt {
        kn_ifupdown_opt o;
        char *value;
} opt;

typedef struct edit edit;

typedef struct want {
        kn_ifupdown_family family;
        const char *method;
        opt *opts;
        size_t n_opts;
        /* the existing stanza it takes over, if any */
        kn_ifupdown_file *f;
        const kn_ifupdown_stanza *s;
        /* a new stanza: where it went, and its order among insertions at
         * that gap (kn_ifupdown_add_ins) */
        edit *ed;
        size_t gap;
        int prio;
        const char *mention;
} want;

typedef struct wnode {
        const kn_iface *i;
        char name[KN_IFNAME_MAX + 1];
        size_t master_idx; /* SIZE_MAX for the top */
        struct wnode *master;
        kn_ifupdown_entry *e;
        want *w;
        size_t n_w;
} wnode;

typedef struct ins {
        size_t gap; /* before this line; n_lines: at the end */
        int prio;   /* 0 inside a stanza, 1 after a stanza, 2 before a stanza */
        unsigned seq;
        char *text;       /* or: */
        const want *w;    /* a new stanza, rendered last */
        const char *name; /* for w */
} ins;

typedef struct drop {
        size_t line;
        const char *name;
} drop;

struct edit {
        kn_ifupdown_file *f; /* NULL: a new file */
        size_t n;            /* f's lines */
        char *path;
        bool *del;
        char **repl;
        ins *ins;
        size_t n_ins, alloc_ins;
        drop *drops;
        size_t n_drops, alloc_drops;
};

typedef struct plan {
        kn_ifupdown_backend *u;
        edit **edits;
        size_t n_edits;
        unsigned seq;
        wnode *nodes;
        size_t n_nodes;
        char **removed;
        size_t n_removed, alloc_removed;
} plan;

/* want.c: the stanzas a definition becomes (see write.c for the rules) */
void kn_ifupdown_want_node(wnode *n, const wnode *nodes, size_t n_nodes);
/* The name ifupdown knows the interface by (a vlan without name gets
 * PARENT.TAG); refuses what ifupdown would read back as something else. */
int kn_ifupdown_node_name(const kn_iface *i, char out[KN_IFNAME_MAX + 1], kn_error *err);

/* edit.c: edits on one file's lines, rendered at the end */
size_t kn_ifupdown_n_lines(const edit *ed);
edit *kn_ifupdown_edit_for(plan *p, kn_ifupdown_file *f, const char *path);
void kn_ifupdown_edit_free(edit *ed);
void kn_ifupdown_add_ins(plan *p, edit *ed, size_t gap, int prio, char *text, const want *w,
                         const char *name);
void kn_ifupdown_add_drop(edit *ed, size_t line, const char *name);
/* An option line kvmnet doesn't own in a stanza of s's family. */
bool kn_ifupdown_foreign_option(const kn_ifupdown_stanza *s, const kn_ifupdown_line *l);
/* keep_comments: the stanza's comment lines stay (the interface lives on) */
void kn_ifupdown_delete_stanza(edit *ed, const kn_ifupdown_stanza *s, bool keep_comments);
/* Make w's existing stanza say what w wants, keeping every other line. */
void kn_ifupdown_edit_in_place(plan *p, const char *name, want *w);
char *kn_ifupdown_render(edit *ed);
