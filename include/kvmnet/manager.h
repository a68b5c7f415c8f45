/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Working through the network manager that runs in the served namespace
 * (NetworkManager or systemd-networkd) instead of behind its back.
 *
 * Detected, not configured: a manager is used when its D-Bus name has an
 * owner on the system bus, that owner's process is in the served network
 * namespace, and kvmnet's configuration backend is the manager's own
 * (nmkeyfile for NetworkManager, networkd for systemd-networkd).  Else
 * every call here reports KN_MANAGER_NONE and the caller takes the netlink
 * path.  The bus is $KVMNET_SYSTEM_BUS, else $DBUS_SYSTEM_BUS_ADDRESS, else
 * unix:path=/run/dbus/system_bus_socket (docs/managers.md).
 *
 * Every call opens its own bus connection on the calling thread and blocks
 * until the manager is done (the worker thread in kvmnetd). */

#include <stdbool.h>
#include <stddef.h>

#include "kvmnet/error.h"
#include "kvmnet/iface.h"
#include "kvmnet/live.h"

typedef enum kn_manager_kind {
        KN_MANAGER_NONE,     /* no manager: kvmnet's own netlink path */
        KN_MANAGER_NM,       /* NetworkManager */
        KN_MANAGER_NETWORKD, /* systemd-networkd */
} kn_manager_kind;

/* "netlink", "NetworkManager", "systemd-networkd": the reply's "via". */
const char *kn_manager_kind_to_string(kn_manager_kind k);

/* What a call did: which path, and one line per step for the reply. */
typedef struct kn_manager_report {
        kn_manager_kind via;
        char **steps;
        size_t n_steps;
} kn_manager_report;

void kn_manager_report_clear(kn_manager_report *rep);

/* The manager running in ns for configuration backend `backend` (its
 * name, as kn_config_backend_name), or KN_MANAGER_NONE.  Never fails: a
 * bus that cannot be reached has no manager on it. */
kn_manager_kind kn_manager_detect(kn_netns *ns, const char *backend);

/* iface-start: the manager re-reads its files and brings def (and its
 * ports) up; returns once it reports them configured/activated, or an
 * error naming the link and the manager's state.  rep->via NONE: no
 * manager, nothing done. */
int kn_manager_start(kn_netns *ns, const char *backend, const kn_iface *def, kn_manager_report *rep,
                     kn_error *err);
/* iface-destroy: NetworkManager deactivates def's profiles (and deletes
 * the software links it made).  systemd-networkd has no deactivation:
 * NONE, the netlink path tears down. */
int kn_manager_stop(kn_netns *ns, const char *backend, const kn_iface *def, kn_manager_report *rep,
                    kn_error *err);
/* iface-bridge: the bridge's and the NIC's new files are written; the
 * manager re-reads them and brings the bridge up with the NIC as its port. */
int kn_manager_bridge(kn_netns *ns, const char *backend, const char *nic, const char *br,
                      kn_manager_report *rep, kn_error *err);
/* iface-unbridge: the NIC's file is back, the bridge's gone.
 * NetworkManager re-reads them, activates the NIC's profile and takes the
 * bridge's down.  networkd deletes no netdev: kvmnet's own netlink path
 * (kn_live_unbridge, its steps in txn) moves the NIC back, then networkd
 * re-reads the files and reconfigures the NIC. */
int kn_manager_unbridge(kn_netns *ns, const char *backend, const char *nic, const char *br,
                        bool force, kn_live_txn *txn, kn_manager_report *rep, kn_error *err);

/* After files were written or restored: the manager re-reads them
 * (NetworkManager ReloadConnections, networkd Reload).  0 with no manager. */
int kn_manager_reload(kn_netns *ns, const char *backend, kn_error *err);

/* ---- NetworkManager checkpoints: the live part of a transaction ----
 *
 * Created when a transaction (or a --confirm change) opens, over all
 * devices; rolled back when it is, destroyed when it commits.  NM rolls
 * back by itself after `timeout` seconds (0: never) if nobody else did:
 * a kvmnetd killed meanwhile still gets its change reverted. */
typedef struct kn_manager_checkpoint kn_manager_checkpoint;

/* *ret NULL (and 0) when NetworkManager is not the manager. */
int kn_manager_checkpoint_create(kn_netns *ns, const char *backend, unsigned timeout,
                                 kn_manager_checkpoint **ret, kn_error *err);
int kn_manager_checkpoint_rollback(kn_manager_checkpoint *c, kn_error *err);
/* Keep what was done: the checkpoint goes. */
int kn_manager_checkpoint_destroy(kn_manager_checkpoint *c, kn_error *err);
kn_manager_checkpoint *kn_manager_checkpoint_free(kn_manager_checkpoint *c);
/* Its object path (kn_txn_set_checkpoint journals it), and one taken back
 * from that path by recovery after a restart. */
const char *kn_manager_checkpoint_path(const kn_manager_checkpoint *c);
kn_manager_checkpoint *kn_manager_checkpoint_adopt(const char *path);
