/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Checks shared by the runtime modules (dnsmasq, nft, sysctl): an address
 * goes into a config line or an nft rule only after it passed one of
 * these; names pass kvmnet/name.h first. */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>

#include "kvmnet/error.h"
#include "macro.h"

/* A parsed address: family AF_INET or AF_INET6, bytes in network order. */
typedef struct kn_vnet_addr {
        int family;
        uint8_t b[16];
} kn_vnet_addr;

static inline int kn_vnet_addr_parse(const char *what, const char *s, kn_vnet_addr *a,
                                     kn_error *err) {
        memset(a, 0, sizeof *a);
        if (s && inet_pton(AF_INET, s, a->b) == 1)
                a->family = AF_INET;
        else if (s && inet_pton(AF_INET6, s, a->b) == 1)
                a->family = AF_INET6;
        else
                return kn_error_set(err, EINVAL, "%s '%s' is not an IPv4 or IPv6 address", what,
                                    s ? s : "");
        return 0;
}

static inline unsigned kn_vnet_addr_bits(const kn_vnet_addr *a) {
        return a->family == AF_INET ? 32 : 128;
}

/* Clear the host bits after prefix. */
static inline void kn_vnet_addr_mask(kn_vnet_addr *a, unsigned prefix) {
        for (unsigned k = 0; k < 16; k++) {
                unsigned keep = prefix > k * 8 ? prefix - k * 8 : 0;
                if (keep < 8)
                        a->b[k] &= (uint8_t) (0xff00u >> keep);
        }
}

/* Whether x lies in the subnet net/prefix (same family). */
static inline bool kn_vnet_addr_in(const kn_vnet_addr *x, const kn_vnet_addr *net,
                                   unsigned prefix) {
        if (x->family != net->family)
                return false;
        kn_vnet_addr m = *x, n = *net;
        kn_vnet_addr_mask(&m, prefix);
        kn_vnet_addr_mask(&n, prefix);
        return memcmp(m.b, n.b, sizeof m.b) == 0;
}

static inline void kn_vnet_addr_format(const kn_vnet_addr *a, char *out, size_t size) {
        if (!inet_ntop(a->family, a->b, out, (socklen_t) size))
                snprintf(out, size, "?");
}

/* address/prefix as a subnet: the address (any in the subnet: the
 * bridge's own will do) masked to the prefix. */
static inline int kn_vnet_subnet_parse(const char *what, const char *address, unsigned prefix,
                                       kn_vnet_addr *net, kn_error *err) {
        int r = kn_vnet_addr_parse(what, address, net, err);
        if (r < 0)
                return r;
        if (prefix == 0 || prefix > kn_vnet_addr_bits(net))
                return kn_error_set(err, EINVAL, "%s %s: prefix %u is not in 1..%u", what, address,
                                    prefix, kn_vnet_addr_bits(net));
        kn_vnet_addr_mask(net, prefix);
        return 0;
}
