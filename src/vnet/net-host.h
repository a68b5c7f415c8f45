/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The addresses and routes a network's subnets must not overlap. */

#include <stdbool.h>
#include <stddef.h>

#include "kvmnet/live.h"
#include "kvmnet/vnet.h"

typedef struct kn_net_host_item {
        int family;
        char address[46];
        unsigned prefix;
        char dev[32];
        bool route; /* a route (its prefix counts), else an address of dev */
} kn_net_host_item;

/* Every address (IPv6 link-local left out) of every link and every route of
 * the main table (default routes, link-local and multicast left out). */
int kn_net_host_read(kn_netns *ns, kn_net_host_item **ret, size_t *n, kn_error *err);

/* The first item overlapping address/prefix that is not on except_dev. */
const kn_net_host_item *kn_net_host_overlap(const kn_net_host_item *items, size_t n, int family,
                                            const char *address, unsigned prefix,
                                            const char *except_dev);

/* One error naming the address or route a subnet of n overlaps. */
int kn_net_host_check(const kn_net *n, const kn_net_host_item *items, size_t n_items,
                      kn_error *err);
