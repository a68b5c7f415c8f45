/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Live events: a netlink multicast subscription (RTNLGRP_LINK,
 * RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR, RTNLGRP_IPV4_ROUTE,
 * RTNLGRP_IPV6_ROUTE) in the handle's namespace.  The daemon puts the fd in
 * its epoll loop and calls kn_live_events_process when it is readable. */

#include <stdbool.h>

#include "kvmnet/error.h"
#include "kvmnet/iface.h"
#include "kvmnet/live.h"

typedef enum kn_live_event_type {
        KN_LIVE_EVENT_LINK,
        KN_LIVE_EVENT_ADDR,
        KN_LIVE_EVENT_ROUTE,
        /* The socket overflowed (ENOBUFS): events were lost, re-read. */
        KN_LIVE_EVENT_OVERFLOW,
        _KN_LIVE_EVENT_TYPE_MAX,
} kn_live_event_type;

typedef struct kn_live_event {
        kn_live_event_type type;
        bool removed;                   /* RTM_DEL* */
        int ifindex;                    /* link; address's link; route's RTA_OIF (0 if none) */
        char ifname[KN_IFNAME_MAX + 1]; /* "" if it could not be resolved */

        /* KN_LIVE_EVENT_LINK */
        unsigned flags; /* IFF_* */
        kn_link_state state;
        unsigned mtu;
        char mac[KN_MAC_STRLEN + 1];
        int master;
        char kind[32];

        /* KN_LIVE_EVENT_ADDR and KN_LIVE_EVENT_ROUTE */
        int family;       /* AF_INET, AF_INET6 */
        char address[46]; /* address, or route destination */
        int prefix;       /* prefix length, or route destination length */
        char gateway[46]; /* route only, "" if none */
        unsigned table;   /* route only */
} kn_live_event;

typedef void (*kn_live_event_cb)(const kn_live_event *ev, void *userdata);

typedef struct kn_live_events kn_live_events;

/* Subscribe in ns's namespace.  ns must outlive the subscription (it
 * resolves names for address and route events). */
int kn_live_events_open(kn_netns *ns, kn_live_event_cb cb, void *userdata, kn_live_events **ret,
                        kn_error *err);
/* Non-blocking, for poll/epoll (EPOLLIN). */
int kn_live_events_fd(const kn_live_events *ev);
/* Read what is queued and call the callback once per event; never blocks.
 * Returns the number of events delivered, or a negative errno. */
int kn_live_events_process(kn_live_events *ev);
kn_live_events *kn_live_events_free(kn_live_events *ev);
static inline void kn_live_events_freep(kn_live_events **ev) {
        kn_live_events_free(*ev);
}
#define _cleanup_live_events_ __attribute__((cleanup(kn_live_events_freep)))

/* One JSON object per event, e.g.
 * {"event":"link","action":"new","ifindex":4,"ifname":"br0","state":"up",
 *  "flags":["up","broadcast"],"mtu":1500,"mac":"...","kind":"bridge"}.
 * Newly allocated. */
char *kn_live_event_to_json(const kn_live_event *ev);
