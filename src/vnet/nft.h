/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A virtual network's packet filter and NAT, through libnftables in
 * process (no `nft` fork), in the served network namespace.
 *
 * Each network gets a table of its own, `table inet kvmnet-NET`, made in
 * one batch that also replaces a leftover table of the same name; destroy
 * is one `delete table`.  One table per network rather than one shared
 * `kvmnet` table with chains per network: the kernel applies a whole table
 * atomically and deletes it with every chain and rule in it, so a network
 * never has to edit another's jump rules, a failed start leaves nothing,
 * and "remove exactly what was added" is a single command.  Base chains of
 * several tables on one hook all run; so no chain here has a drop policy:
 * every rule matches this network's bridge or subnet, and traffic that
 * does not concern the network is left to whoever else filters it.
 *
 * An accept here cannot override a drop in another table (a host
 * firewall's): that is the kernel's rule for nftables, not a choice. */

#include <stdbool.h>
#include <stddef.h>

#include "kvmnet/error.h"
#include "kvmnet/live.h"

typedef enum kn_nft_mode {
        KN_NFT_ISOLATED, /* no <forward>: guests, guest-host only */
        KN_NFT_NAT,      /* masquerade IPv4 out; IPv6 routed */
        KN_NFT_ROUTE,    /* forward both ways, no masquerade */
        KN_NFT_OPEN,     /* no rules at all (libvirt's 'open') */
        _KN_NFT_MODE_MAX,
} kn_nft_mode;

const char *kn_nft_mode_to_string(kn_nft_mode m);
/* -EINVAL for a name that is none of "isolated", "nat", "route", "open". */
kn_nft_mode kn_nft_mode_from_string(const char *s);

typedef struct kn_nft_subnet {
        const char *address; /* network address, "192.168.122.0", "fd00:1::" */
        unsigned prefix;
} kn_nft_subnet;

typedef struct kn_nft_params {
        const char *network; /* table kvmnet-NETWORK */
        const char *bridge;
        kn_nft_mode mode;
        const char *dev;              /* <forward dev=>: only out (and back in) of it; NULL: any */
        const kn_nft_subnet *subnets; /* IPv4 and IPv6, any number */
        size_t n_subnets;
        /* <nat><port start end/>: masquerade TCP/UDP to these source ports
         * (0, 0: the kernel's choice). */
        unsigned port_start, port_end;
} kn_nft_params;

/* "kvmnet-NETWORK": the table's name ('+' in a network name as '/'). */
char *kn_nft_table_name(const char *network);

/* The batch kn_nft_apply() runs, as nft syntax (for logs and tests);
 * *ret is NULL for open mode.  Names and addresses are checked here: an
 * error names the field. */
int kn_nft_ruleset(const kn_nft_params *p, char **ret, kn_error *err);

/* Build and apply the network's table in one transaction in ns's namespace
 * (a table left by an earlier run is replaced in the same batch).  Open
 * mode applies nothing. */
int kn_nft_apply(kn_netns *ns, const kn_nft_params *p, kn_error *err);

/* Delete the network's table; a missing table is not an error. */
int kn_nft_delete(kn_netns *ns, const char *network, kn_error *err);

/* 1 if the network's table exists in ns, 0 if not, or a negative errno. */
int kn_nft_exists(kn_netns *ns, const char *network, kn_error *err);
