/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The forwarding sysctls of the served namespace (net.ipv4.ip_forward,
 * net.ipv6.conf.all.forwarding), shared by every network that needs them.
 *
 * Each network that forwards registers itself (STATE_DIR/forward/ipv4/NET)
 * before the value is changed; when kvmnet is the one that switches a
 * sysctl on, the old value is saved first (STATE_DIR/forward/ipv4.saved),
 * so a killed kvmnetd still knows.  When the last registered network
 * releases it, the saved value is written back; a sysctl that was on
 * before kvmnet came is never switched off.  The state names the namespace
 * and the boot it is about (STATE_DIR/forward/namespace): state left from
 * another boot or an earlier namespace of the same name is dropped.
 *
 * IPv6: forwarding on makes the kernel ignore router advertisements on
 * links whose accept_ra is 1 (2 keeps them); networks ask for it only when
 * they have an IPv6 subnet. */

#include <stdbool.h>

#include "kvmnet/error.h"
#include "kvmnet/live.h"

typedef struct kn_sysctl_change {
        bool ipv4, ipv6; /* switched on by this call / written back by this call */
} kn_sysctl_change;

/* Register network for IPv4 (and IPv6 if ipv6) forwarding and switch it
 * on in ns.  ret (may be NULL): which sysctls this call changed. */
int kn_sysctl_forward_acquire(kn_netns *ns, const char *state_dir, const char *network, bool ipv6,
                              kn_sysctl_change *ret, kn_error *err);

/* Unregister network (both families; one it never registered is no
 * error); a sysctl with no user left that kvmnet switched on gets its
 * saved value back.  ret (may be NULL): which sysctls were restored. */
int kn_sysctl_forward_release(kn_netns *ns, const char *state_dir, const char *network,
                              kn_sysctl_change *ret, kn_error *err);

/* The current value of the family's forwarding sysctl in ns (0 or 1), or a
 * negative errno. */
int kn_sysctl_forward_get(kn_netns *ns, int family, kn_error *err);
