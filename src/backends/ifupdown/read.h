/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Private to the ifupdown reader (read.c reads one interface's stanzas,
 * tree.c relates interfaces and builds what list() returns). */

#include "ifupdown.h"

typedef struct loc {
        const kn_ifupdown_file *f;
        unsigned line;
} loc;

typedef struct node {
        const kn_ifupdown_entry *e;
        bool skip;       /* not kvmnet's business: loopback, names it can't hold */
        bool bad;        /* has a diagnostic */
        kn_iface *iface; /* own settings, no children */
        loc at;          /* first stanza */
        bool bridge, bond_opts, named_master;
        char **ports; /* bridge ports or bond slaves, in order */
        size_t n_ports, alloc_ports;
        loc ports_at;
        const char *master_name; /* bond-master */
        loc master_at;
        const char *primary;
        struct node *master;
        bool listed; /* reached while building a tree */
} node;

typedef struct reader {
        kn_ifupdown_backend *u;
        kn_iface_list *out;
        node *nodes; /* by entry id */
} reader;

_printf_(4, 5) void kn_ifupdown_diag(reader *r, node *n, loc at, const char *fmt, ...);
_printf_(4, 5) void kn_ifupdown_warn(reader *r, node *n, loc at, const char *fmt, ...);
/* The node of NAME if it has stanzas (or had, in a file with errors). */
node *kn_ifupdown_node_of(reader *r, const char *name);
/* The node of NAME, with stanzas or not (a port may have none). */
node *kn_ifupdown_node_any(reader *r, const char *name);
/* Read the interface's own settings from its stanzas. */
void kn_ifupdown_read_node(reader *r, node *n);
