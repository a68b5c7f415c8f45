/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Ethernet: a link kvmnet never creates (a NIC, a veth, a tap).  It only
 * configures it and enslaves it. */

#include "live-internal.h"

const kn_live_kind kn_kind_ethernet = {
        .type = KN_IFACE_ETHERNET,
};
