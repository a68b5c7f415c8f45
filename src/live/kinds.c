/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Interface kinds: one file and one vtable each (kind-*.c); this table is
 * the only place that knows them all. */

#include <stdarg.h>

#include "live-internal.h"

static const kn_live_kind *const kinds[_KN_IFACE_TYPE_MAX] = {
        [KN_IFACE_ETHERNET] = &kn_kind_ethernet,
        [KN_IFACE_BRIDGE] = &kn_kind_bridge,
        [KN_IFACE_BOND] = &kn_kind_bond,
        [KN_IFACE_VLAN] = &kn_kind_vlan,
};

const kn_live_kind *kn_live_kind_by_info(const char *info_kind) {
        for (size_t k = 0; k < ELEMENTSOF(kinds); k++)
                if (kinds[k]->kind && streq(kinds[k]->kind, info_kind))
                        return kinds[k];
        /* veth, tun, macvlan, vxlan...: what libvirt calls ethernet */
        return &kn_kind_ethernet;
}

const kn_live_kind *kn_live_kind_by_type(kn_iface_type type) {
        if ((int) type < 0 || type >= _KN_IFACE_TYPE_MAX)
                return &kn_kind_ethernet;
        return kinds[type];
}

void kn_report(kn_strbuf *report, const char *ifname, const char *fmt, ...) {
        va_list ap;
        char line[512];
        va_start(ap, fmt);
        vsnprintf(line, sizeof line, fmt, ap);
        va_end(ap);
        kn_strbuf_printf(report, "%s: %s\n", ifname, line);
}
