/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The host interface model: what libvirt/netcf interface XML (interface.rng,
 * serial 4) describes, as C.  Backends translate files to and from it, the
 * XML layer parses and prints it, the live layer applies it.
 *
 * Conventions: every enum has 0 = "not given", so a zeroed struct is an
 * empty definition and absent XML attributes stay absent on output (user
 * XML round-trips).  Strings are NULL or non-empty. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#include "kvmnet/error.h"
#include "kvmnet/name.h" /* KN_IFNAME_MAX, kn_ifname_validate */

#define KN_MAC_STRLEN 17 /* aa:bb:cc:dd:ee:ff */

typedef enum kn_iface_type {
        KN_IFACE_ETHERNET,
        KN_IFACE_BRIDGE,
        KN_IFACE_BOND,
        KN_IFACE_VLAN,
        _KN_IFACE_TYPE_MAX,
        _KN_IFACE_TYPE_INVALID = -EINVAL,
} kn_iface_type;

typedef enum kn_start_mode {
        KN_START_UNSET,
        KN_START_ONBOOT,
        KN_START_NONE,
        KN_START_HOTPLUG,
        _KN_START_MODE_MAX,
        _KN_START_MODE_INVALID = -EINVAL,
} kn_start_mode;

typedef enum kn_tristate {
        KN_UNSET,
        KN_NO,
        KN_YES,
} kn_tristate;

typedef enum kn_bond_mode {
        KN_BOND_UNSET,
        KN_BOND_BALANCE_RR,
        KN_BOND_ACTIVE_BACKUP,
        KN_BOND_BALANCE_XOR,
        KN_BOND_BROADCAST,
        KN_BOND_802_3AD,
        KN_BOND_BALANCE_TLB,
        KN_BOND_BALANCE_ALB,
        _KN_BOND_MODE_MAX,
        _KN_BOND_MODE_INVALID = -EINVAL,
} kn_bond_mode;

typedef enum kn_bond_monitor {
        KN_MON_NONE,
        KN_MON_MIIMON,
        KN_MON_ARPMON,
} kn_bond_monitor;

typedef enum kn_miimon_carrier {
        KN_CARRIER_UNSET,
        KN_CARRIER_IOCTL,
        KN_CARRIER_NETIF,
        _KN_CARRIER_MAX,
        _KN_CARRIER_INVALID = -EINVAL,
} kn_miimon_carrier;

typedef enum kn_arp_validate {
        KN_ARP_VALIDATE_UNSET,
        KN_ARP_VALIDATE_NONE,
        KN_ARP_VALIDATE_ACTIVE,
        KN_ARP_VALIDATE_BACKUP,
        KN_ARP_VALIDATE_ALL,
        _KN_ARP_VALIDATE_MAX,
        _KN_ARP_VALIDATE_INVALID = -EINVAL,
} kn_arp_validate;

/* Live link state (libvirt's <link state=...>), only in live XML. */
typedef enum kn_link_state {
        KN_LINK_UNSET,
        KN_LINK_UNKNOWN,
        KN_LINK_NOTPRESENT,
        KN_LINK_DOWN,
        KN_LINK_LOWERLAYERDOWN,
        KN_LINK_TESTING,
        KN_LINK_DORMANT,
        KN_LINK_UP,
        _KN_LINK_STATE_MAX,
        _KN_LINK_STATE_INVALID = -EINVAL,
} kn_link_state;

#define KN_DECLARE_STRING_TABLE(name, type)                                                        \
        const char *name##_to_string(type i);                                                      \
        type name##_from_string(const char *s)

KN_DECLARE_STRING_TABLE(kn_iface_type, kn_iface_type);
KN_DECLARE_STRING_TABLE(kn_start_mode, kn_start_mode);
KN_DECLARE_STRING_TABLE(kn_bond_mode, kn_bond_mode);
KN_DECLARE_STRING_TABLE(kn_miimon_carrier, kn_miimon_carrier);
KN_DECLARE_STRING_TABLE(kn_arp_validate, kn_arp_validate);
KN_DECLARE_STRING_TABLE(kn_link_state, kn_link_state);

/* An address in canonical text form (inet_ntop), prefix -1 if not given. */
typedef struct kn_ipaddr {
        char address[46];
        int prefix;
} kn_ipaddr;

typedef struct kn_protocol {
        bool present;        /* a <protocol family=...> element exists */
        bool dhcp;           /* <dhcp/> */
        kn_tristate peerdns; /* <dhcp peerdns='yes|no'/> */
        bool autoconf;       /* <autoconf/>, ipv6 only */
        kn_ipaddr *ips;
        size_t n_ips;
        char gateway[46]; /* <route gateway=...>, "" if none */
} kn_protocol;

typedef struct kn_iface kn_iface;
struct kn_iface {
        kn_iface_type type;
        char name[KN_IFNAME_MAX + 1]; /* "" only for a vlan given without name */
        kn_start_mode start;
        char mac[KN_MAC_STRLEN + 1]; /* lower case, "" if not given */
        unsigned mtu;                /* 0 if not given */

        /* Live only. */
        kn_link_state link_state;
        unsigned link_speed; /* Mbit/s, 0 if unknown */

        kn_protocol ipv4, ipv6;

        /* type bridge */
        kn_tristate stp;
        double delay; /* seconds, < 0 if not given */

        /* type bond */
        kn_bond_mode bond_mode;
        kn_bond_monitor monitor;
        unsigned miimon_freq;
        long miimon_downdelay, miimon_updelay; /* -1 if not given */
        kn_miimon_carrier miimon_carrier;
        unsigned arpmon_interval;
        char arpmon_target[46];
        kn_arp_validate arpmon_validate;

        /* type vlan */
        int vlan_tag; /* 0..4095, -1 if not a vlan */
        char vlan_parent[KN_IFNAME_MAX + 1];

        /* Bridge ports or bond slaves, in order (the first bond slave is the
         * active-backup primary). */
        kn_iface **children;
        size_t n_children;
};

kn_iface *kn_iface_new(kn_iface_type type, const char *name);
kn_iface *kn_iface_free(kn_iface *i);
kn_iface *kn_iface_copy(const kn_iface *i);
static inline void kn_iface_freep(kn_iface **i) {
        kn_iface_free(*i);
}
#define _cleanup_iface_ __attribute__((cleanup(kn_iface_freep)))

/* Takes ownership of child. */
void kn_iface_add_child(kn_iface *parent, kn_iface *child);
/* Append an address (validated and canonicalised); -EINVAL if bad. */
int kn_protocol_add_ip(kn_protocol *p, int family, const char *address, int prefix, kn_error *err);

/* Deep equality of two models. */
bool kn_iface_equal(const kn_iface *a, const kn_iface *b);

/* Find an interface by name in the tree rooted at i (i itself, a port, a
 * slave), or NULL. */
const kn_iface *kn_iface_find(const kn_iface *i, const char *name);

/* The range of each numeric field, one table that the XML parser,
 * kn_iface_validate() and every backend's reader check against, so that
 * what define accepts a reader accepts too (and what a reader lists,
 * define takes back).  The values are what the kernel and all four
 * regimes' own programs take; a regime narrower than that (NetworkManager's
 * whole-second forward delay) says so when it is asked to store more. */
typedef enum kn_limit_id {
        KN_LIMIT_MTU,             /* <mtu size>, bytes */
        KN_LIMIT_BRIDGE_DELAY,    /* <bridge delay>, seconds */
        KN_LIMIT_MIIMON_FREQ,     /* <miimon freq>, ms (0 would turn the monitor off) */
        KN_LIMIT_MIIMON_DELAY,    /* <miimon updelay/downdelay>, ms */
        KN_LIMIT_ARPMON_INTERVAL, /* <arpmon interval>, ms */
        KN_LIMIT_VLAN_TAG,        /* <vlan tag> */
        KN_LIMIT_PREFIX4,         /* <ip prefix>, IPv4 */
        KN_LIMIT_PREFIX6,         /* <ip prefix>, IPv6 */
        _KN_LIMIT_MAX,
} kn_limit_id;

typedef struct kn_limit {
        const char *field; /* as XML says it: "<mtu size>" */
        double min, max;
        double step;      /* values are whole multiples of it (the kernel keeps no finer) */
        const char *unit; /* "bytes", "seconds", ... or "" */
} kn_limit;

const kn_limit *kn_limit_get(kn_limit_id id);
bool kn_limit_ok(kn_limit_id id, double v);
/* "68-65535 bytes", "0-1000000 seconds, in steps of 0.01" into buf. */
const char *kn_limit_describe(kn_limit_id id, char *buf, size_t len);
/* -ERANGE with "IFACE: <field> VALUE is out of range (valid: ...)" unless
 * v is within the limit. */
int kn_limit_check(kn_limit_id id, double v, const char *iface, kn_error *err);

/* Checks that go beyond the schema: names, vlan range, slave types, the
 * vlan's name vs parent/tag, every numeric field against its kn_limit, an
 * address given twice with different prefixes (given twice with the same
 * one is merged, see kn_iface_merge_addresses).  err names the field. */
int kn_iface_validate(const kn_iface *i, kn_error *err);

/* Drop an address that a protocol lists twice with the same prefix (an
 * address without one counts as having the prefix kn_iface_fill_prefixes
 * would give it), as every regime's reader does with a repeated line.
 * Appends a warning per address to *warnings when warnings is not NULL;
 * returns how many it dropped. */
size_t kn_iface_merge_addresses(kn_iface *i, char ***warnings, size_t *n_warnings);

/* What a backend changes in a definition it stores (its normalize(),
 * include/kvmnet/backend.h): fn is called once per field that `want`
 * gives and `got` has otherwise, with the interface's name, the field as
 * `want` has it (XML, e.g. "<dhcp peerdns='no'/> (ipv4)") and as `got`
 * has it (NULL: not there at all).  Fields `want` leaves out are the
 * regime's defaults, not reported. */
typedef void (*kn_iface_diff_fn)(const char *iface, const char *want, const char *got,
                                 void *userdata);
void kn_iface_diff(const kn_iface *want, const kn_iface *got, kn_iface_diff_fn fn, void *userdata);

/* Give every address without a prefix one explicit prefix, since the
 * regimes read a bare address differently (10.9.9.9: /8 in networkd and
 * ifupdown, /24 in NetworkManager; fd00::7: /0 in networkd, /64 in NM,
 * /128 in ifupdown).  IPv4 gets its classful prefix (A /8, B /16, C /24,
 * else /32), as initscripts and ifupdown read it; IPv6 gets /64.  One
 * warning per address is appended to *warnings (n_warnings counting,
 * free with kn_strv_free); returns how many addresses it changed. */
size_t kn_iface_fill_prefixes(kn_iface *i, char ***warnings, size_t *n_warnings);

/* MAC "aa:bb:cc:dd:ee:ff" in either case; writes the lower-case form to out
 * (KN_MAC_STRLEN + 1 bytes) if out is not NULL. */
int kn_mac_parse(const char *s, char *out);

/* Canonicalise an address of the given family (AF_INET/AF_INET6) into out
 * (46 bytes). */
int kn_ip_canonical(int family, const char *s, char *out);

/* XML.  `source` is a file name (or "<stdin>") used in error messages,
 * which read "SOURCE:LINE: element <x> attribute 'y': what is wrong". */
int kn_iface_parse_xml(const char *xml, size_t len, const char *source, kn_iface **ret,
                       kn_error *err);

typedef enum kn_xml_flags {
        KN_XML_INACTIVE = 0,
        KN_XML_LIVE = 1 << 0, /* include <link>, which only live state has */
} kn_xml_flags;

/* Returns a newly allocated, indented document ending in a newline. */
char *kn_iface_format_xml(const kn_iface *i, kn_xml_flags flags);
