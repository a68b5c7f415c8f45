/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One range per numeric field (kvmnet/iface.h: kn_limit), for the XML
 * parser, kn_iface_validate() and the four backends' readers alike.
 *
 * Where the numbers come from:
 *  - MTU: the kernel's ETH_MIN_MTU (68, what IPv4 needs) to ETH_MAX_MTU
 *    (65535, also the most a bridge, bond or vlan takes).
 *  - Bridge forward delay: the kernel keeps it in hundredths of a second
 *    (clock_t); with STP off it takes any value, 10^6 s is far beyond any
 *    use and within every regime's range (networkd's usec_to_jiffies,
 *    brctl's float seconds, initscripts' DELAY=).
 *  - Bond timers: milliseconds in an int (the bonding driver's range).  A
 *    miimon or arp interval of 0 turns that monitor off, which is no
 *    <miimon>/<arpmon> at all: every regime but initscripts reads it so.
 *  - VLAN id 0-4095 (interface.rng), prefixes 0-32 and 0-128. */

#include <limits.h>
#include <math.h>
#include <stdio.h>

#include "kvmnet/iface.h"
#include "macro.h"

static const kn_limit limits[_KN_LIMIT_MAX] = {
        [KN_LIMIT_MTU] = {"<mtu size>", 68, 65535, 1, "bytes"},
        [KN_LIMIT_BRIDGE_DELAY] = {"<bridge delay>", 0, 1000000, 0.01, "seconds"},
        [KN_LIMIT_MIIMON_FREQ] = {"<miimon freq>", 1, INT_MAX, 1, "milliseconds"},
        [KN_LIMIT_MIIMON_DELAY] = {"<miimon updelay/downdelay>", 0, INT_MAX, 1, "milliseconds"},
        [KN_LIMIT_ARPMON_INTERVAL] = {"<arpmon interval>", 1, INT_MAX, 1, "milliseconds"},
        [KN_LIMIT_VLAN_TAG] = {"<vlan tag>", 0, 4095, 1, ""},
        [KN_LIMIT_PREFIX4] = {"<ip prefix> (IPv4)", 0, 32, 1, ""},
        [KN_LIMIT_PREFIX6] = {"<ip prefix> (IPv6)", 0, 128, 1, ""},
};

const kn_limit *kn_limit_get(kn_limit_id id) {
        return &limits[id];
}

bool kn_limit_ok(kn_limit_id id, double v) {
        const kn_limit *l = &limits[id];
        if (!isfinite(v) || v < l->min || v > l->max)
                return false;
        /* a whole number of steps, give or take what a decimal string
         * like "2.3" is off by in binary */
        double steps = v / l->step; /* >= 0: every min is */
        double whole = (double) (long long) (steps + 0.5);
        return fabs(steps - whole) < 1e-6;
}

const char *kn_limit_describe(kn_limit_id id, char *buf, size_t len) {
        const kn_limit *l = &limits[id];
        int n = snprintf(buf, len, "%.15g-%.15g%s%s", l->min, l->max, *l->unit ? " " : "", l->unit);
        if (l->step != 1 && n >= 0 && (size_t) n < len)
                snprintf(buf + n, len - (size_t) n, ", in steps of %g", l->step);
        return buf;
}

int kn_limit_check(kn_limit_id id, double v, const char *iface, kn_error *err) {
        char range[96];
        if (kn_limit_ok(id, v))
                return 0;
        return kn_error_set(err, ERANGE, "%s%s%s %.15g is out of range (valid: %s)",
                            isempty(iface) ? "" : iface, isempty(iface) ? "" : ": ",
                            limits[id].field, v, kn_limit_describe(id, range, sizeof range));
}
