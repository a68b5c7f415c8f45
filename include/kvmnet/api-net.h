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
