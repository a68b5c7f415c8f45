/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by the phases of kn_live_apply (apply*.c). */

#include "live-internal.h"

typedef struct kn_apply {
        kn_netns *ns;
        kn_live_txn *t;
        kn_nl_snap s; /* live records, kept current as steps succeed */
        kn_error *err;
} kn_apply;

static inline kn_nl_link *kn_apply_link(kn_apply *a, const char *name) {
        int k = kn_snap_find_name(&a->s, name);
        return k < 0 ? NULL : &a->s.links[k];
}

/* apply-link.c: links exist (post-order), ports enslaved, MTU/MAC and
 * kind options set, links up (ports first). */
int kn_apply_create(kn_apply *a, const kn_iface *w);
int kn_apply_configure(kn_apply *a, const kn_iface *w);
int kn_apply_up(kn_apply *a, const kn_iface *w);

/* apply-ip.c: addresses, default routes, DHCP. */
int kn_apply_addresses(kn_apply *a, const kn_iface *w, bool top);
int kn_apply_routes(kn_apply *a, const kn_iface *w);
int kn_apply_dhcp(kn_apply *a, const kn_iface *w);
