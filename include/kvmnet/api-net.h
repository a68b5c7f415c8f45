/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The virtual network verbs' hooks into the daemon's life (src/api/net.c). */

#include "kvmnet/api.h"

/* kvmnetd start: adopt the networks that ran before (dnsmasq is not
 * restarted), then start the autostart networks that do not run.  On the
 * first run (no networks directory) the default network is written first.
 * Problems are logged, never fatal. */
void kn_api_net_boot(kn_api *api);

/* kn_api_free: let go of the running networks' handles (they stay up). */
void kn_api_net_release(kn_api *api);

/* The bridge of network NET for a guest NIC (`attach-interface --network`,
 * `<interface type='network'>`): the running network's, else an error
 * naming it ("network lab is not active (net-start lab)", "... is not
 * defined").  bridge gets 16 bytes.  The guest layer never sees networks:
 * the api resolves them here. */
int kn_api_net_bridge(kn_api *api, const char *network, char bridge[16], kn_error *err);
