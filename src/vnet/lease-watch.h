/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One inotify instance per loop for every running network's dnsmasq lease
 * file.  An instance per network capped kvmnetd at about 55 networks (root's
 * fs.inotify.max_user_instances is 128, shared with everything else root
 * runs), and closing one cost net-destroy milliseconds (the kernel waits
 * for its marks to go). */

#include <stdint.h>

#include "kvmnet/loop.h"

typedef struct kn_lease_watch kn_lease_watch;

/* fn(userdata) whenever PATH is written, replaced or removed.  PATH is
 * created when missing, at first and after a removal. */
int kn_lease_watch_add(kn_loop *loop, const char *path, void (*fn)(void *), void *userdata,
                       kn_lease_watch **ret);
kn_lease_watch *kn_lease_watch_free(kn_lease_watch *w);
