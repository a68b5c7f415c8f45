/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The live layer: the kernel's side of host interfaces, through rtnetlink.
 *
 * - kn_netns: netlink handles bound to one network namespace, so tests
 *   and the daemon can work on throw-away namespaces.
 * - kn_live_read / kn_live_list: live state as kn_iface models (what
 *   `iface-dumpxml` without --inactive prints).  Reading never forks.
 * - kn_live_apply / kn_live_stop: iface-start / iface-destroy.  Apply
 *   changes only what differs from the definition, records an undo step
 *   for everything it does, verifies the result field by field and
 *   undoes everything when a step or the verification fails.
 *
 * Events (netlink multicast) are in kvmnet/live-events.h. */

#include <stdbool.h>
#include <stddef.h>

#include "kvmnet/error.h"
#include "kvmnet/iface.h"

typedef struct kn_netns kn_netns;

/* Open netlink handles in a network namespace: NULL or "" for the calling
 * thread's own, a name (/run/netns/NAME, as `ip netns add` makes them) or a
 * path containing '/' (/proc/PID/ns/net, a bind mount).  The sockets are
 * opened while the thread is inside the namespace, then the thread returns
 * to its own: afterwards the handle works from any thread with no setns.
 * A handle is not thread-safe; use one per thread. */
int kn_netns_open(const char *netns, kn_netns **ret, kn_error *err);
kn_netns *kn_netns_free(kn_netns *ns);
static inline void kn_netns_freep(kn_netns **ns) {
        kn_netns_free(*ns);
}
#define _cleanup_netns_ __attribute__((cleanup(kn_netns_freep)))

/* The namespace as given to kn_netns_open ("" for the caller's own). */
const char *kn_netns_name(const kn_netns *ns);

/* Directory for DHCP client pid files, leases and the client script
 * (default /run/kvmnet/live; created on first use).  Files are named after
 * the namespace's inode, so handles on different namespaces can share it. */
int kn_netns_set_state_dir(kn_netns *ns, const char *dir, kn_error *err);

/* How long starting a DHCP client waits for its lease, for the changes
 * made from now on (iface-start's and iface-bridge's --timeout); 0 or less
 * puts back the default, KN_DHCP_TIMEOUT_MS. */
#define KN_DHCP_TIMEOUT_MS 10000
void kn_netns_set_dhcp_timeout(kn_netns *ns, long timeout_ms);

/* Run fn(data) on the calling thread inside ns's namespace and come back to
 * the thread's own: for code that opens its own sockets or /proc/sys/net
 * files there (libnftables, the forwarding sysctls).  Returns fn's result,
 * or an error naming the namespace if it cannot be entered. */
int kn_netns_run(const kn_netns *ns, int (*fn)(void *data), void *data, kn_error *err);
/* Move the calling thread into ns for good: for a child between fork and
 * exec (kn_spawn_opts.child_setup). */
int kn_netns_enter(const kn_netns *ns);

/* ---- Live state ---- */

/* The live model of interface `name`: type from IFLA_INFO_KIND (bridge,
 * bond, vlan; every other kind reads as ethernet), MTU, MAC and <link>
 * operstate and speed (ethtool netlink, only for links whose operstate is
 * up) where interface.rng allows them (MAC: ethernet; <link>: not on
 * bridges; ports and slaves: only those two), every
 * address with its prefix (IPv6 link-local included), the main table's
 * default route per family as <route gateway>, <dhcp/> when kvmnet's DHCP
 * client runs for it, bridge stp/delay and ports, bond mode, monitor and
 * slaves, vlan tag and parent.  -ENODEV if there is no such link. */
int kn_live_read(kn_netns *ns, const char *name, kn_iface **ret, kn_error *err);

typedef struct kn_live_link {
        kn_iface *iface; /* live model, ports/slaves as children */
        int ifindex;
        unsigned flags;              /* IFF_* */
        bool active;                 /* IFF_UP: what iface-list calls active */
        kn_link_state state;         /* operstate (also for bridges, whose XML has no <link>) */
        unsigned speed;              /* Mbit/s, 0 if unknown */
        char mac[KN_MAC_STRLEN + 1]; /* also for bridges, bonds, vlans */
        char kind[32];               /* IFLA_INFO_KIND ("bridge", "veth"), "" for hardware */
        int master;                  /* ifindex of its bridge/bond, 0 if none */
} kn_live_link;

/* Every link of the namespace, ordered by ifindex.  One dump each of
 * links, addresses, default routes and ethtool link modes per call. */
int kn_live_list(kn_netns *ns, kn_live_link **ret, size_t *n_ret, kn_error *err);
void kn_live_links_free(kn_live_link *links, size_t n);

/* ---- Applying a definition ---- */

/* What kn_live_apply did, step by step, each with the way it is undone. */
typedef struct kn_live_txn kn_live_txn;

/* Make the live state match `want` (iface-start).  In dependency order:
 * create missing bridges/bonds/vlans, set port MTU/MAC, enslave ports
 * (release ports the definition no longer has), set master MTU/MAC and
 * bridge/bond options, add/remove addresses (ports lose theirs: the IP
 * moves to the master), bring links up (ports first, vlan parents too),
 * default routes, DHCP client.  What already matches is not touched, and
 * links outside the definition are never bounced.
 *
 * Then the live state is read back and compared (kn_live_verify).  If a
 * step fails, err reads "STEP: KERNEL MESSAGE (strerror)"; if the result
 * differs, err lists every field.  In both cases the steps done so far are
 * undone in reverse order before returning.
 *
 * On success, if undo is not NULL it receives the steps done, for a later
 * kn_live_txn_rollback (a confirm timer); else they are forgotten.
 * Returns the number of steps done. */
int kn_live_apply(kn_netns *ns, const kn_iface *want, kn_live_txn **undo, kn_error *err);

/* The same, appending its steps to txn (kept by a transaction).  On
 * failure only the steps this call added are undone. */
int kn_live_apply_in(kn_netns *ns, const kn_iface *want, kn_live_txn *txn, kn_error *err);

/* An empty list of steps. */
kn_live_txn *kn_live_txn_new(void);
/* Log every step's undo to fd (an append-only file) before the step is
 * made, so that a process killed half way can be undone by the next one
 * (kn_live_txn_load).  The fd stays the caller's. */
void kn_live_txn_set_log(kn_live_txn *txn, int fd);
/* Rebuild the steps a log (its whole text) says are still to undo. */
int kn_live_txn_load(const char *text, size_t len, kn_live_txn **ret, kn_error *err);

/* Undo the steps in reverse order.  Continues past failures; err names the
 * first one. */
int kn_live_txn_rollback(kn_netns *ns, kn_live_txn *txn, kn_error *err);
/* Undo only the steps from index mark on (mark = kn_live_txn_size() before
 * an operation). */
int kn_live_txn_rollback_to(kn_netns *ns, kn_live_txn *txn, size_t mark, kn_error *err);
size_t kn_live_txn_size(const kn_live_txn *txn);
/* "create bridge br0", "set mtu of br0 to 9000", for journals and logs. */
const char *kn_live_txn_step(const kn_live_txn *txn, size_t i);
/* The steps the last rollback undid (a failed change's own, or
 * kn_live_txn_rollback*()), newest first, as kn_live_txn_step() named them. */
size_t kn_live_txn_n_undone(const kn_live_txn *txn);
const char *kn_live_txn_undone(const kn_live_txn *txn, size_t i);
/* Forget them: a new change begins, and only its own rollback counts. */
void kn_live_txn_clear_undone(kn_live_txn *txn);
kn_live_txn *kn_live_txn_free(kn_live_txn *txn);
static inline void kn_live_txn_freep(kn_live_txn **t) {
        kn_live_txn_free(*t);
}
#define _cleanup_live_txn_ __attribute__((cleanup(kn_live_txn_freep)))

/* Compare a definition with a live model, field by field.  Only what
 * `want` gives is compared; IPv6 link-local addresses and, with DHCP or
 * autoconf, the addresses of that family are not counted as extra.
 * Returns the number of differences; *report (if not NULL) receives one
 * line per difference, e.g. "br0: mtu is 1500, asked 9000", or NULL. */
int kn_live_verify(const kn_iface *want, const kn_iface *live, char **report);

/* iface-destroy: stop DHCP clients, delete the bridges, bonds and vlans of
 * the definition (in one batched unregister: the links are put in a free
 * link group and deleted with one RTM_DELLINK by IFLA_GROUP), then bring
 * the physical interfaces down, released and without addresses.  Links
 * that are already gone are not an error.  Continues past failures; err
 * names the first. */
int kn_live_stop(kn_netns *ns, const kn_iface *def, kn_error *err);
int kn_live_stop_many(kn_netns *ns, const kn_iface *const *defs, size_t n, kn_error *err);

/* iface-destroy inside a transaction: the live state of def's links is
 * read first and recorded as the undo (it is applied again on rollback),
 * then kn_live_stop. */
int kn_live_stop_in(kn_netns *ns, const kn_iface *def, kn_live_txn *txn, kn_error *err);

/* ---- Sharing a NIC: iface-bridge / iface-unbridge ---- */

typedef struct kn_live_bridge_opts {
        bool stp;     /* STP on (off by default: a new port then forwards at once) */
        double delay; /* forward delay in seconds, < 0: the kernel's default */
        bool force;   /* go ahead where the host may lose connectivity */
        bool managed; /* a network manager makes the move and runs the
                       * bridge's DHCP client: a lease is no refusal */
} kn_live_bridge_opts;

/* Make nic a port of a new bridge br, keeping the host on the network:
 * br is created with nic's MAC and MTU, gets nic's neighbours, every
 * address (flags and remaining lifetimes kept; IPv6 without a second DAD)
 * and is brought up; nic is enslaved (its link never goes down); every
 * route through nic in every table moves to br (metric, source, scope,
 * protocol kept); nic's addresses go last.  kvmnet's DHCP client moves
 * with the lease.  Refused before anything is done, naming the thing,
 * when: nic does not exist, is already a port, is wireless, carries
 * vlans; br exists; nic's addresses come from a DHCP client kvmnet does
 * not run (the lease could not be renewed: needs force).  Every step goes
 * into txn with its undo.  On failure the steps done are undone. */
int kn_live_bridge(kn_netns *ns, const char *nic, const char *br, const kn_live_bridge_opts *o,
                   kn_live_txn *txn, kn_error *err);

/* The guest taps (tun links) that are ports of `bridge`: their number, and
 * in *ret their names ("vnet0, vnet1"; NULL if none; free() it). */
int kn_live_guest_taps(kn_netns *ns, const char *bridge, char **ret, kn_error *err);

/* Every guest tap that is a bridge port, with its bridge (free() *ret). */
typedef struct kn_live_tap {
        char tap[16];
        char bridge[16];
} kn_live_tap;
int kn_live_tap_ports(kn_netns *ns, kn_live_tap **ret, size_t *n, kn_error *err);
/* Of the taps in `before`, those that are no longer ports of the same
 * bridge (it was deleted, or they were released): their number, the list
 * in *ret (free() it). */
size_t kn_live_taps_cut_off(kn_netns *ns, const kn_live_tap *before, size_t n, kn_live_tap **ret);

/* The refusals of kn_live_bridge alone, changing nothing. */
int kn_live_bridge_check(kn_netns *ns, const char *nic, const char *br,
                         const kn_live_bridge_opts *o, kn_error *err);

/* The reverse: br's addresses, routes and DHCP client go back to its one
 * physical port, which is released without going down; br is deleted.
 * Refused when br is not a bridge, has no port or several that are not
 * guest taps, or guest taps (named) sit on it and force is not given.
 * *ret_nic (IFNAMSIZ bytes, may be NULL) gets the port's name. */
int kn_live_unbridge(kn_netns *ns, const char *br, bool force, kn_live_txn *txn, char *ret_nic,
                     kn_error *err);
