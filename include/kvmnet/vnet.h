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
#include "kvmnet/name.h" /* network names: kn_object_name_validate(name, "network") */

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
        char *forward_dev;              /* <forward dev=>, NULL: any */
        unsigned port_start, port_end;  /* <nat><port>, 0: not given */
        char bridge[KN_IFNAME_MAX + 1]; /* "" until allocated */
        int stp;                        /* -1 not given, 0 off, 1 on */
        long delay;                     /* -1 not given */
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

/* ---- Definitions on disk ----
 *
 * ROOT/etc/kvmnet/networks/NAME.xml, one per network, written atomically;
 * autostart is a symlink ROOT/etc/kvmnet/networks/autostart/NAME.xml ->
 * ../NAME.xml, as libvirt keeps its autostart directory.  A file that does
 * not parse is reported (FILE:LINE) and the others still list. */

typedef struct kn_root kn_root;
typedef struct kn_net_store kn_net_store;

#define KN_NET_DIR "etc/kvmnet/networks"

/* Read every definition under root (which stays the caller's). */
int kn_net_store_open(const kn_root *root, kn_net_store **ret, kn_error *err);
kn_net_store *kn_net_store_free(kn_net_store *s);
/* Whether the networks directory existed when the store was opened: the
 * first run ships the default network only then. */
bool kn_net_store_first_run(const kn_net_store *s);

/* By name, sorted; valid until the next change. */
size_t kn_net_store_list(const kn_net_store *s, const kn_net *const **ret);
/* By name or UUID; NULL if none. */
const kn_net *kn_net_store_lookup(const kn_net_store *s, const char *name_or_uuid);
bool kn_net_store_autostart(const kn_net_store *s, const char *name);
/* Files that did not parse: "FILE:LINE: ..." messages. */
size_t kn_net_store_errors(const kn_net_store *s, const char *const **ret);

/* Store n (the store takes it, also on failure).  A definition of the
 * same name and UUID is replaced; the same name with another UUID, or the
 * same UUID under another name, is refused naming the other; a bridge
 * name another network uses is refused naming it; a missing bridge name
 * gets the lowest free kvbrN (taken: in_use(name, data) says a live link
 * has it; may be NULL).  *ret (may be NULL) points at the stored one. */
int kn_net_store_define(kn_net_store *s, kn_net *n, bool (*in_use)(const char *, void *),
                        void *data, const kn_net **ret, kn_error *err);
int kn_net_store_undefine(kn_net_store *s, const char *name, kn_error *err);
int kn_net_store_set_autostart(kn_net_store *s, const char *name, bool on, kn_error *err);

/* The network kvmnet ships (libvirt's default): `default`, bridge kvbr0,
 * NAT, 192.168.X.1/24 with DHCP .2-.254, X = 122 unless taken(subnet,
 * data) says a host address or route overlaps 192.168.X.0/24 (then the
 * next free one; *ret_x says which). */
kn_net *kn_net_default(bool (*taken)(const char *subnet, unsigned prefix, void *), void *data,
                       unsigned *ret_x);

/* ---- Running networks (src/vnet/network-start.c) ---- */

typedef struct kn_loop kn_loop;
typedef struct kn_netns kn_netns;
typedef struct kn_net_run kn_net_run;

/* Where a network runs: the served namespace, the loop dnsmasq is
 * supervised on, the state directory (STATE/networks/NAME.xml marks a
 * running network; STATE/dnsmasq holds dnsmasq's files, which must be
 * searchable by others: 0755 up the path). */
typedef struct kn_net_lease kn_net_lease;

/* What a running network's dnsmasq did: "lease-added", "lease-changed",
 * "lease-removed" (lease set), "dnsmasq-started" (pid), "dnsmasq-exited"
 * (pid, wstatus), "dnsmasq-start-failed" (message). */
typedef struct kn_net_event {
        const char *network;
        const char *what;
        const kn_net_lease *lease;
        int pid, wstatus;
        const char *message;
} kn_net_event;

typedef struct kn_net_env {
        kn_loop *loop;
        kn_netns *ns;
        const char *state_dir;
        const char *dnsmasq_exe; /* NULL: /usr/sbin/dnsmasq */
        /* Called on the loop's thread; may be NULL. */
        void (*on_event)(const kn_net_event *ev, void *userdata);
        void *userdata;
} kn_net_env;

/* Whether STATE/networks/NAME.xml says the network runs. */
bool kn_net_running(const kn_net_env *e, const char *name);

/* net-start.  Refused first, naming the conflict: already active, a link
 * with the bridge's name exists, a subnet overlaps an address or a route
 * of the namespace.  Then: the running definition is written, the bridge
 * made (MAC, MTU, STP, delay, addresses, up: the live layer), forwarding
 * sysctls taken (nat, route), the nft table applied, dnsmasq started (a
 * network with an address).  A failed step undoes the ones before it and
 * appends to *undone (*n_undone strings; kn_strv_free) what it undid, the
 * last step done first. */
int kn_net_start(const kn_net_env *e, const kn_net *def, kn_net_run **ret, char ***undone,
                 size_t *n_undone, kn_error *err);
/* A network that ran before kvmnetd restarted: what is missing (bridge,
 * table) is put back, dnsmasq adopted, not restarted. */
int kn_net_adopt(const kn_net_env *e, const char *name, kn_net_run **ret, kn_error *err);
/* net-destroy: refused while guest taps sit on the bridge (named) unless
 * force; then dnsmasq stopped, the table deleted, the sysctls released
 * (restored if kvmnet set them), the bridge deleted.  run is freed. */
int kn_net_destroy(kn_net_run *run, bool force, kn_error *err);
/* The same without a handle (offline CLI, a network whose kvmnetd died),
 * from STATE/networks/NAME.xml. */
int kn_net_destroy_stale(const kn_net_env *e, const char *name, bool force, kn_error *err);
/* net-undefine of a network that does not run: its dnsmasq files, the
 * lease file too, go.  A running one is left alone. */
int kn_net_purge(const kn_net_env *e, const char *name, kn_error *err);
/* The names of the running networks (STATE/networks), sorted; free with
 * kn_strv_free. */
int kn_net_running_list(const kn_net_env *e, char ***ret, size_t *n);
/* kvmnetd starts: the temp files a killed kvmnetd left beside the files it
 * was replacing (STATE/networks, STATE/dnsmasq, STATE/forward) go. */
void kn_net_clean_temps(const kn_net_env *e);
/* Let go of the handle and leave the network running (kvmnetd exits). */
kn_net_run *kn_net_run_free(kn_net_run *run);
const kn_net *kn_net_run_def(const kn_net_run *run);
int kn_net_run_dnsmasq_pid(const kn_net_run *run);
bool kn_net_run_adopted(const kn_net_run *run);
/* net-update --live: the running definition becomes def; dnsmasq re-reads
 * its hosts (SIGHUP). */
int kn_net_run_update(kn_net_run *run, const kn_net *def, kn_error *err);

struct kn_net_lease {
        int family;
        long long expiry; /* seconds since the epoch, 0: never */
        char mac[18];
        char ip[46];
        char hostname[256];
        char client_id[256];
};
/* dnsmasq's leases of network name (none if it never ran). */
int kn_net_leases(const kn_net_env *e, const char *name, kn_net_lease **ret, size_t *n,
                  kn_error *err);

/* ---- What the host already has (the default network's subnet) ---- */

typedef struct kn_net_probe kn_net_probe;
/* The addresses and routes of ns, read once. */
int kn_net_probe_open(kn_netns *ns, kn_net_probe **ret, kn_error *err);
kn_net_probe *kn_net_probe_free(kn_net_probe *p);
/* Whether address/prefix overlaps one of them. */
bool kn_net_probe_overlaps(const kn_net_probe *p, const char *address, unsigned prefix);
/* "route 192.168.122.0/24 dev eth0" or "address 192.168.122.5/24 on eth0"
 * for the first overlap, "nothing" if none; valid until the next call. */
const char *kn_net_probe_describe(kn_net_probe *p, const char *address, unsigned prefix);
