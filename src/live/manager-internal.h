/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Private to src/live/manager*.c: the bus connection and the helpers both
 * managers' clients use.  sd-bus for both (docs/managers.md says why not
 * libnm). */

#include <systemd/sd-bus.h>

#include "kvmnet/manager.h"
#include "live-internal.h"

#define KN_MGR_NM_NAME       "org.freedesktop.NetworkManager"
#define KN_MGR_NETWORKD_NAME "org.freedesktop.network1"

/* How long a manager may take to bring links up (a DHCP lease included). */
#define KN_MGR_TIMEOUT_USEC (60ULL * 1000000ULL)
/* Between two looks at a link's state. */
#define KN_MGR_POLL_USEC (20ULL * 1000ULL)

static inline void kn_sd_bus_flushp(sd_bus **b) {
        if (*b)
                sd_bus_flush_close_unref(*b);
}
#define _cleanup_bus_       _cleanup_(kn_sd_bus_flushp)
#define _cleanup_bus_msg_   _cleanup_(sd_bus_message_unrefp)
#define _cleanup_bus_error_ _cleanup_(sd_bus_error_free)

/* The bus address kvmnet uses (see kvmnet/manager.h). */
const char *kn_mgr_bus_address(void);
/* A connection to it; < 0 (err set) if it cannot be reached. */
int kn_mgr_bus_open(sd_bus **ret, kn_error *err);
/* The manager on bus serving ns, for backend (NULL: any). */
kn_manager_kind kn_mgr_detect_on(sd_bus *bus, kn_netns *ns, const char *backend);
/* Open the bus and detect: 0 and *ret NULL when there is no manager. */
int kn_mgr_open(kn_netns *ns, const char *backend, kn_manager_kind *kind, sd_bus **ret,
                kn_error *err);

/* err from a failed call: "WHAT: the manager's message". */
int kn_mgr_error(kn_error *err, int r, const sd_bus_error *e, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

void kn_mgr_step(kn_manager_report *rep, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
uint64_t kn_mgr_now(void);
void kn_mgr_sleep(void);

/* The interface and, depth first, every interface of its definition. */
void kn_mgr_iface_names(const kn_iface *def, const char ***names, size_t *n);

/* systemd-networkd (manager-networkd.c). */
int kn_mgr_networkd_reload(sd_bus *bus, kn_error *err);
int kn_mgr_networkd_up(sd_bus *bus, const char *const *names, size_t n, kn_manager_report *rep,
                       kn_error *err);

/* NetworkManager (manager-nm.c). */
int kn_mgr_nm_reload(sd_bus *bus, kn_error *err);
/* Activate the profiles of names (the first is the top), wait for them. */
int kn_mgr_nm_up(sd_bus *bus, const char *const *names, size_t n, kn_manager_report *rep,
                 kn_error *err);
/* Deactivate the active profiles of names, wait until they are gone. */
int kn_mgr_nm_down(sd_bus *bus, const char *const *names, size_t n, kn_manager_report *rep,
                   kn_error *err);
int kn_mgr_nm_checkpoint_create(sd_bus *bus, unsigned timeout, char **ret_path, kn_error *err);
int kn_mgr_nm_checkpoint_rollback(sd_bus *bus, const char *path, kn_error *err);
int kn_mgr_nm_checkpoint_destroy(sd_bus *bus, const char *path, kn_error *err);
