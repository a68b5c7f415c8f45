/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Private to src/api: the network manager's part of a transaction
 * (src/api/manager.c over kvmnet/manager.h).  With no manager serving the
 * namespace each is a no-op. */

#include <stdbool.h>

#include "api-internal.h"

/* A transaction opened (iface-begin, --confirm, iface-bridge): NetworkManager's
 * checkpoint of every device, so its live part rolls back with it.  A
 * checkpoint NM refuses is logged, not fatal: the files still roll back. */
void kn_api_manager_txn_begin(kn_api *api, double confirm);
/* Worker thread, after kvmnet's own live steps were undone: NM's rollback. */
int kn_api_manager_txn_rollback(kn_api *api, kn_error *err);
/* Loop thread, the transaction over: keep (commit: the checkpoint is
 * destroyed) or not (rolled back: NM has dropped it already). */
void kn_api_manager_txn_end(kn_api *api, bool keep);
/* Files written or restored: the manager re-reads them. */
void kn_api_manager_reload(kn_api *api);
