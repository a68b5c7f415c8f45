/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The network manager's part of transactions and writes: the hooks txn.c
 * calls (api-manager.h).  The clients themselves are src/live/manager*.c. */
#include "api-manager.h"
#include "kvmnet/manager.h"
#include "kvmnet/txn.h"

static void log_error(kn_api *api, const kn_error *e) {
        if (api->log && e->code)
                api->log(e->message, api->log_data);
}

void kn_api_manager_txn_begin(kn_api *api, double confirm) {
        kn_error e = {0};
        if (api->mgr_checkpoint || !kn_api_has_live(api))
                return;
        kn_netns *ns = kn_api_netns(api, &e);
        if (!ns)
                return;
        /* With --confirm NM reverts by itself a while after kvmnetd would
         * have: a kvmnetd killed meanwhile still gets it undone. */
        unsigned timeout = confirm > 0 ? (unsigned) confirm + 30 : 0;
        if (kn_manager_checkpoint_create(ns, kn_config_backend_name(api->cfg), timeout,
                                         &api->mgr_checkpoint, &e) < 0)
                log_error(api, &e);
        /* A kvmnetd killed with the transaction open: recovery rolls the
         * checkpoint back (NetworkManager would keep it, and refuse the
         * next one, with no timeout). */
        if (api->mgr_checkpoint && api->txn &&
            kn_txn_set_checkpoint(api->txn, kn_manager_checkpoint_path(api->mgr_checkpoint), &e) <
                    0)
                log_error(api, &e);
}

int kn_api_manager_txn_rollback(kn_api *api, kn_error *err) {
        return kn_manager_checkpoint_rollback(api->mgr_checkpoint, err);
}

void kn_api_manager_txn_end(kn_api *api, bool keep) {
        kn_error e = {0};
        if (keep && kn_manager_checkpoint_destroy(api->mgr_checkpoint, &e) < 0)
                log_error(api, &e);
        api->mgr_checkpoint = kn_manager_checkpoint_free(api->mgr_checkpoint);
}

void kn_api_manager_reload(kn_api *api) {
        kn_error e = {0};
        if (!kn_api_has_live(api))
                return;
        kn_netns *ns = kn_api_netns(api, &e);
        if (ns && kn_manager_reload(ns, kn_config_backend_name(api->cfg), &e) < 0)
                log_error(api, &e);
}
