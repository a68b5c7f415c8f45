/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The IP configuration of one link as the kernel reports it (raw
 * rtnetlink records), and the messages that put it on another link. */

#include <arpa/inet.h>
#include <sys/types.h>

#include "live-internal.h"

typedef struct kn_ipconf {
        char name[IFNAMSIZ];
        int ifindex;
        struct nlmsghdr *addrs[256], *routes[1024], *kroutes[256], *neighs[256];
        size_t n_addrs, n_routes, n_kroutes, n_neighs;
        bool multipath; /* a multipath route was seen (not moved) */
} kn_ipconf;

/* Addresses of the link, its routes in every table (not the kernel's own:
 * prefix, local, multicast, cached; its prefix routes are in kroutes) and
 * its resolved neighbours. */
int kn_ipconf_read(kn_netns *ns, const char *name, int ifindex, kn_ipconf *c, kn_error *err);
void kn_ipconf_done(kn_ipconf *c);

/* RTM_NEWADDR or RTM_DELADDR of the address in h on ifindex (label
 * renamed from `from` to `to`; nodad: no duplicate detection for IPv6). */
struct nl_msg *kn_ipconf_addr_msg(const struct nlmsghdr *h, int type, int ifindex, const char *from,
                                  const char *to, bool nodad);
/* RTM_NEWROUTE (behind an equal one) or RTM_DELROUTE of the route in h
 * through ifindex. */
struct nl_msg *kn_ipconf_route_msg(const struct nlmsghdr *h, int type, int ifindex);
/* The neighbour in h on ifindex, stale (or permanent if it was). */
struct nl_msg *kn_ipconf_neigh_msg(const struct nlmsghdr *h, int ifindex);

bool kn_ipconf_addr_is_link_local(const struct nlmsghdr *h);
/* An IPv4 address with a finite lifetime: a DHCP lease. */
bool kn_ipconf_addr_is_dynamic(const struct nlmsghdr *h);
/* "192.0.2.10/24", "default via 192.0.2.1 table 254 metric 0". */
void kn_ipconf_describe_addr(const struct nlmsghdr *h, char *buf, size_t size);
void kn_ipconf_describe_route(const struct nlmsghdr *h, char *buf, size_t size);

/* kvmnet's DHCP client moved in two halves (dhcp.c), so that
 * iface-unbridge deletes the bridge while the client on the NIC waits for
 * its lease: begin kills the client of `from` (no release: the address was
 * copied already) and starts one on `to` asking for the same address; end
 * waits for its lease, and must be called after a begin that succeeded,
 * whatever happened meanwhile (it reaps the client's first process).
 * kn_dhcp_move() is both in a row. */
typedef struct kn_dhcp_client {
        pid_t pid;
        int pidfd;
        int family;
        char ifname[IFNAMSIZ], from[IFNAMSIZ];
} kn_dhcp_client;
int kn_dhcp_move_begin(kn_netns *ns, const char *from, const char *to, kn_dhcp_client *c,
                       kn_error *err);
int kn_dhcp_move_end(kn_netns *ns, kn_dhcp_client *c, kn_error *err);
