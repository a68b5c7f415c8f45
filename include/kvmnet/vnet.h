/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Virtual networks: the libvirt <network> element (network.rng) as a
 * model, its XML, its validation, and the definitions on disk.
 *
 * Addresses are kept as canonical text (inet_ntop), which is what the XML,
 * the protocol and the runtime pieces (dnsmasq, nft) all take. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvmnet/error.h"

#define KN_NET_NAME_MAX   64
#define KN_NET_IFNAME_MAX 15

typedef enum kn_net_forward {
        KN_NET_ISOLATED, /* no <forward> */
        KN_NET_NAT,
        KN_NET_ROUTE,
        KN_NET_OPEN,
        _KN_NET_FORWARD_MAX,
} kn_net_forward;

const char *kn_net_forward_to_string(kn_net_forward f);
kn_net_forward kn_net_forward_from_string(const char *s);

typedef struct kn_net_range {
        char start[46], end[46];
} kn_net_range;

typedef struct kn_net_dhcp_host {
        bool has_mac;
        uint8_t mac[6];
        char *name; /* NULL if not given */
        char ip[46];
} kn_net_dhcp_host;

typedef struct kn_net_ip {
        int family;       /* AF_INET, AF_INET6 */
        char address[46]; /* the bridge's own address */
        unsigned prefix;
        bool netmask; /* given (and printed) as netmask= */
        kn_net_range *ranges;
        size_t n_ranges;
        kn_net_dhcp_host *hosts;
        size_t n_hosts;
        bool dhcp; /* a <dhcp> element was given */
} kn_net_ip;

typedef struct kn_net_dns_host {
        char ip[46];
        char **hostnames;
        size_t n_hostnames;
} kn_net_dns_host;

typedef struct kn_net {
        char *name;
        uint8_t uuid[16];
        kn_net_forward forward;
        char *forward_dev;                  /* <forward dev=>, NULL: any */
        unsigned port_start, port_end;      /* <nat><port>, 0: not given */
        char bridge[KN_NET_IFNAME_MAX + 1]; /* "" until allocated */
        int stp;                            /* -1 not given, 0 off, 1 on */
        long delay;                         /* -1 not given */
        bool has_mac;
        uint8_t mac[6];
        unsigned mtu; /* 0: not given */
        char *domain;
        kn_net_ip *ips;
        size_t n_ips;
        kn_net_dns_host *dns_hosts;
        size_t n_dns_hosts;
} kn_net;

kn_net *kn_net_new(const char *name);
kn_net *kn_net_free(kn_net *n);
static inline void kn_net_freep(kn_net **n) {
        kn_net_free(*n);
}
#define _cleanup_net_ __attribute__((cleanup(kn_net_freep)))
kn_net *kn_net_copy(const kn_net *n);

/* A network name: 1..64 of A-Z a-z 0-9 _ . - + not starting with '.', '-'. */
int kn_net_name_validate(const char *name, kn_error *err);

/* Parse one <network> document.  source names it in errors
 * ("FILE:LINE: element <x>: ...").  A missing <uuid> is generated; a
 * missing bridge name stays "" (the store allocates kvbrN).  The result
 * is validated (kn_net_validate). */
int kn_net_parse_xml(const char *xml, size_t len, const char *source, kn_net **ret, kn_error *err);
/* Print as libvirt does (passes virt-xml-validate FILE network). */
char *kn_net_format_xml(const kn_net *n);

/* What the model alone can tell: DHCP ranges and hosts inside their
 * subnet, ranges in order, one subnet with DHCP per family, NAT ports in
 * order, names valid. */
int kn_net_validate(const kn_net *n, kn_error *err);

/* "192.168.122.0/24" style subnet of an <ip> into buf (64 bytes). */
void kn_net_ip_subnet(const kn_net_ip *ip, char *buf, size_t size);
/* Whether two <ip> subnets overlap. */
bool kn_net_subnets_overlap(int family, const char *a, unsigned pa, const char *b, unsigned pb);
/* 36 characters + NUL */
void kn_net_uuid_format(const uint8_t uuid[16], char out[37]);
int kn_net_uuid_parse(const char *s, uint8_t uuid[16]);

/* Add or delete (by MAC, else name, else IP) a DHCP host of the <ip> that
 * holds its address, or a DNS host (by IP): net-update.  xml is the
 * element alone (<host mac=.. ip=../>, <host ip=..><hostname>..</host>). */
typedef enum kn_net_section {
        KN_NET_SECTION_DHCP_HOST,
        KN_NET_SECTION_DNS_HOST,
} kn_net_section;
int kn_net_update(kn_net *n, bool add, kn_net_section section, const char *xml, kn_error *err);
