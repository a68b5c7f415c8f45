/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Tap devices for guest NICs, and their vhost-net accelerators.
 *
 * kvmnet opens the tap itself and hands the fds to QEMU (QMP getfd), so
 * QEMU needs no access to /dev/net/tun.  Taps are never persistent: a tap
 * vanishes with the last of its fds, whoever holds them.  Names come from
 * kvmnet's own allocator (KN_TAP_PREFIX + a number), never from the
 * kernel's "%d" templates, so a name is not silently reused while
 * something still refers to the previous holder.
 *
 * All calls act in the calling thread's network namespace. */

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "kvmnet/error.h"

#define KN_TAP_PREFIX "kvn"
/* Upper bound on queues per tap (the kernel's MAX_TAP_QUEUES is 256). */
#define KN_TAP_MAX_QUEUES 256

/* Create a tap and open queues fds on it (IFF_TAP|IFF_NO_PI, plus
 * IFF_VNET_HDR if vnet_hdr, plus IFF_MULTI_QUEUE when queues > 1).
 * name NULL or "" picks a free KN_TAP_PREFIX name; a given name must pass
 * kn_ifname_validate (kvmnet/name.h) and not exist yet (-EEXIST).  The
 * created name goes to ret_name (may be NULL).
 * fds[] gets queues close-on-exec fds, owned by the caller; on failure
 * nothing is left open and no tap remains. */
int kn_tap_create(const char *name, unsigned queues, bool vnet_hdr, int fds[],
                  char ret_name[IFNAMSIZ], kn_error *err);

/* Close n fds (skipping negative ones) and set them to -1. */
void kn_tap_close(int fds[], unsigned n);

/* The host side MAC of a guest NIC when only the guest's MAC is known:
 * the guest's with the first byte set to 0xFE, so the bridge never picks
 * the tap's address as its own (the bridge takes the numerically lowest
 * port address) and host and guest addresses never collide. */
void kn_tap_host_mac(const uint8_t guest_mac[6], uint8_t ret[6]);

int kn_tap_set_mac(const char *name, const uint8_t mac[6], kn_error *err);
int kn_tap_set_mtu(const char *name, unsigned mtu, kn_error *err);
int kn_tap_set_up(const char *name, bool up, kn_error *err);
/* Make the tap a port of a Linux bridge (SIOCBRADDIF). */
int kn_tap_set_bridge(const char *name, const char *bridge, kn_error *err);

/* ---- vhost-net ---- */

/* Open one /dev/vhost-net fd per queue for QEMU's vhost backend.  vhost
 * only helps a KVM guest, so with kvm false nothing is opened.  Returns
 * queues with fds[] filled (close-on-exec, owned by the caller), or 0 with
 * *ret_reason telling why vhost is skipped ("not using KVM", "no
 * /dev/vhost-net", ...): the caller falls back to QEMU's userspace
 * virtio-net and logs the reason.  Negative errno only for failures that
 * a fallback would not avoid (out of fds). */
int kn_vhost_open(unsigned queues, bool kvm, int fds[], const char **ret_reason, kn_error *err);

/* Same with another device node, for tests. */
int kn_vhost_open_path(const char *path, unsigned queues, bool kvm, int fds[],
                       const char **ret_reason, kn_error *err);
