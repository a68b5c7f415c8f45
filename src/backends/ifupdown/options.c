/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The options kvmnet owns and the values it reads from them, shared by the
 * reader and the writer so both speak the same words. */

#include <arpa/inet.h>

#include "ifupdown.h"

static const struct {
        const char *key;
        kn_ifupdown_scope scope;
} opts[_IFU_O_MAX] = {
        [IFU_O_ADDRESS] = {"address", IFU_SCOPE_STANZA},
        [IFU_O_NETMASK] = {"netmask", IFU_SCOPE_STANZA},
        [IFU_O_GATEWAY] = {"gateway", IFU_SCOPE_FAMILY},
        [IFU_O_AUTOCONF] = {"autoconf", IFU_SCOPE_STANZA},
        [IFU_O_ACCEPT_RA] = {"accept_ra", IFU_SCOPE_STANZA},
        [IFU_O_HWADDRESS] = {"hwaddress", IFU_SCOPE_LINK},
        [IFU_O_MTU] = {"mtu", IFU_SCOPE_LINK},
        [IFU_O_BRIDGE_PORTS] = {"bridge_ports", IFU_SCOPE_LINK},
        [IFU_O_BRIDGE_STP] = {"bridge_stp", IFU_SCOPE_LINK},
        [IFU_O_BRIDGE_FD] = {"bridge_fd", IFU_SCOPE_LINK},
        [IFU_O_BRIDGE_HW] = {"bridge_hw", IFU_SCOPE_LINK},
        [IFU_O_BOND_SLAVES] = {"bond-slaves", IFU_SCOPE_LINK},
        [IFU_O_BOND_MODE] = {"bond-mode", IFU_SCOPE_LINK},
        [IFU_O_BOND_PRIMARY] = {"bond-primary", IFU_SCOPE_LINK},
        [IFU_O_BOND_MIIMON] = {"bond-miimon", IFU_SCOPE_LINK},
        [IFU_O_BOND_DOWNDELAY] = {"bond-downdelay", IFU_SCOPE_LINK},
        [IFU_O_BOND_UPDELAY] = {"bond-updelay", IFU_SCOPE_LINK},
        [IFU_O_BOND_USE_CARRIER] = {"bond-use-carrier", IFU_SCOPE_LINK},
        [IFU_O_BOND_ARP_INTERVAL] = {"bond-arp-interval", IFU_SCOPE_LINK},
        [IFU_O_BOND_ARP_IP_TARGET] = {"bond-arp-ip-target", IFU_SCOPE_LINK},
        [IFU_O_BOND_ARP_VALIDATE] = {"bond-arp-validate", IFU_SCOPE_LINK},
        [IFU_O_BOND_MASTER] = {"bond-master", IFU_SCOPE_LINK},
        [IFU_O_VLAN_RAW_DEVICE] = {"vlan-raw-device", IFU_SCOPE_LINK},
};

int kn_ifupdown_opt_lookup(const char *key, kn_ifupdown_family family) {
        for (size_t k = 0; k < _IFU_O_MAX; k++)
                if (kn_ifupdown_key_eq(opts[k].key, key)) {
                        /* autoconf and accept_ra are inet6 options; address & co. only mean
                         * something to inet and inet6 */
                        if ((k == IFU_O_AUTOCONF || k == IFU_O_ACCEPT_RA) && family != IFU_INET6)
                                return -1;
                        if (opts[k].scope != IFU_SCOPE_LINK && family != IFU_INET &&
                            family != IFU_INET6)
                                return -1;
                        return (int) k;
                }
        return -1;
}

int kn_ifupdown_vlan_name(const char *name, char parent[KN_IFNAME_MAX + 1], int *tag) {
        const char *dot = strrchr(name, '.');
        const char *digits = dot ? dot + 1 : NULL;
        int kind = 1;
        if (!dot && strncmp(name, "vlan", 4) == 0) {
                digits = name + 4;
                kind = 2;
        }
        if (!digits || !*digits || strspn(digits, "0123456789") != strlen(digits))
                return 0;
        long t = 0;
        for (const char *p = digits; *p && t <= 100000; p++)
                t = t * 10 + (*p - '0');
        *tag = (int) (t > 100000 ? 100000 : t);
        if (kind == 2) {
                parent[0] = '\0';
                return 2;
        }
        if (dot == name)
                return -EINVAL;
        snprintf(parent, KN_IFNAME_MAX + 1, "%.*s", (int) (dot - name), name);
        return 1;
}

const char *kn_ifupdown_opt_key(kn_ifupdown_opt o) {
        return opts[o].key;
}

kn_ifupdown_scope kn_ifupdown_opt_scope(kn_ifupdown_opt o) {
        return opts[o].scope;
}

int kn_ifupdown_parse_uint(const char *s, unsigned long max, unsigned long *ret) {
        char *end;
        if (!s || !*s || *s == '-' || *s == '+')
                return -EINVAL;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (errno || *end || v > max)
                return -EINVAL;
        *ret = v;
        return 0;
}

/* A netmask as a prefix length: dotted quad (contiguous) or bits. */
int kn_ifupdown_netmask_prefix(int family, const char *s) {
        unsigned long bits;
        if (kn_ifupdown_parse_uint(s, family == AF_INET ? 32 : 128, &bits) >= 0)
                return (int) bits;
        struct in_addr a;
        if (family != AF_INET || inet_pton(AF_INET, s, &a) != 1)
                return -EINVAL;
        uint32_t m = ntohl(a.s_addr);
        int n = 0;
        while (n < 32 && (m & (1u << (31 - n))))
                n++;
        if (n < 32 && (m << n) != 0)
                return -EINVAL; /* not contiguous */
        return n;
}

int kn_ifupdown_bond_mode_parse(const char *s) {
        static const char *const numbers[] = {"0", "1", "2", "3", "4", "5", "6"};
        for (size_t k = 0; k < ELEMENTSOF(numbers); k++)
                if (streq(s, numbers[k]))
                        return (int) k + KN_BOND_BALANCE_RR;
        return kn_bond_mode_from_string(s);
}

int kn_ifupdown_arp_validate_parse(const char *s) {
        static const char *const numbers[] = {"0", "1", "2", "3"};
        for (size_t k = 0; k < ELEMENTSOF(numbers); k++)
                if (streq(s, numbers[k]))
                        return (int) k + KN_ARP_VALIDATE_NONE;
        return kn_arp_validate_from_string(s);
}
