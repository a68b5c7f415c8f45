/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A virtual network's DHCP and DNS server: Debian's dnsmasq (package
 * dnsmasq-base), one instance per network, run in the served network
 * namespace and supervised on the caller's kn_loop.
 *
 * kvmnet writes the instance's files into a state directory, all named
 * after the network (several networks may share the directory):
 *   NET.conf       the whole configuration (dnsmasq --conf-file=), bound
 *                  to the bridge only (interface=, bind-dynamic,
 *                  except-interface=lo); nothing from the host's
 *                  /etc/dnsmasq.conf, /etc/hosts or resolv.conf unless
 *                  forward_dns
 *   NET.hostsfile  static DHCP hosts (dhcp-hostsfile=) and
 *   NET.addnhosts  DNS host names (addn-hosts=): both re-read on SIGHUP,
 *                  so a net-update needs no restart
 *   NET.leases     dnsmasq's lease file, watched with inotify: lease
 *                  changes are reported as events a few ms after dnsmasq
 *                  wrote them
 *   NET.pid, NET.log
 * dnsmasq runs in the foreground (--keep-in-foreground) as kvmnet's child,
 * followed by a child watch; when it dies it is started again (after 0,
 * 0.25, 0.5, ... up to 30 s; back to 0 once it ran 10 s).  It is not
 * stopped when kvmnetd exits: a restarted kvmnetd adopts it (the pid file
 * names a live dnsmasq whose command line is --conf-file=STATE/NET.conf),
 * and follows it through a pidfd.
 *
 * Everything here runs on the loop's thread.  dnsmasq drops root for
 * "nobody" after start: the state directory and its parents must be
 * searchable by others (0755) for the SIGHUP re-read. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "kvmnet/error.h"
#include "kvmnet/live.h"
#include "kvmnet/loop.h"

typedef struct kn_dnsmasq_subnet {
        const char *address; /* the bridge's address in it, "192.168.122.1" */
        unsigned prefix;
} kn_dnsmasq_subnet;

typedef struct kn_dnsmasq_range {
        const char *start, *end; /* in one of the subnets */
} kn_dnsmasq_range;

/* A <dhcp><host>: the address pinned for a MAC (IPv4) or a name. */
typedef struct kn_dnsmasq_host {
        const char *mac;  /* NULL: matched by name only */
        const char *name; /* NULL: none */
        const char *ip;
} kn_dnsmasq_host;

/* A <dns><host ip>: names answered with ip. */
typedef struct kn_dnsmasq_dns_host {
        const char *ip;
        const char *const *names;
        size_t n_names;
} kn_dnsmasq_dns_host;

typedef struct kn_dnsmasq_config {
        const char *network;
        const char *bridge;
        const char *state_dir; /* absolute; made if missing */
        const char *domain;    /* NULL: none; names under it never go upstream */
        const kn_dnsmasq_subnet *subnets;
        size_t n_subnets;
        const kn_dnsmasq_range *ranges;
        size_t n_ranges;
        const kn_dnsmasq_host *hosts;
        size_t n_hosts;
        const kn_dnsmasq_dns_host *dns_hosts;
        size_t n_dns_hosts;
        bool ipv6_ra;        /* router advertisements on the IPv6 subnets */
        bool forward_dns;    /* other names to the servers of /etc/resolv.conf */
        unsigned lease_time; /* seconds; 0: one hour */
        const char *exe;     /* NULL: /usr/sbin/dnsmasq */
} kn_dnsmasq_config;

typedef struct kn_dnsmasq_lease {
        int family;     /* AF_INET, AF_INET6 */
        int64_t expiry; /* seconds since the epoch; 0: never */
        char mac[18];   /* IPv4 leases */
        char ip[46];
        char hostname[256];  /* "" if none */
        char client_id[256]; /* IPv4 client id or IPv6 DUID; "" if none */
        uint32_t iaid;       /* IPv6 */
} kn_dnsmasq_lease;

typedef enum kn_dnsmasq_event_type {
        KN_DNSMASQ_STARTED,       /* pid: started, restarted, or adopted */
        KN_DNSMASQ_EXITED,        /* wstatus (-1: adopted, not known); restart_usec */
        KN_DNSMASQ_START_FAILED,  /* error; next try in restart_usec */
        KN_DNSMASQ_LEASE_ADDED,   /* lease */
        KN_DNSMASQ_LEASE_CHANGED, /* lease (same address: new expiry, name or MAC) */
        KN_DNSMASQ_LEASE_REMOVED, /* lease (as it was) */
} kn_dnsmasq_event_type;

typedef struct kn_dnsmasq_event {
        kn_dnsmasq_event_type type;
        pid_t pid;
        bool adopted;
        int wstatus;
        uint64_t restart_usec;
        const kn_error *error;
        const kn_dnsmasq_lease *lease;
} kn_dnsmasq_event;

typedef struct kn_dnsmasq kn_dnsmasq;
/* Called on the loop's thread; must not stop or free d (arm a timer for
 * that). */
typedef void (*kn_dnsmasq_event_fn)(kn_dnsmasq *d, const kn_dnsmasq_event *ev, void *userdata);

/* The configuration file's text (for logs and tests).  Every field is
 * checked here (names, addresses, ranges and hosts inside a subnet); an
 * error names the field and the network. */
int kn_dnsmasq_config_text(const kn_dnsmasq_config *c, char **ret, kn_error *err);

/* Write the files, then adopt the instance that runs for this network
 * (restarted if its NET.conf changed) or start one, and return once it
 * serves (its pid file is written) or failed (the error quotes its log).
 * ns must outlive *ret.  fn (may be NULL) gets the events.  c is copied. */
int kn_dnsmasq_start(kn_loop *loop, kn_netns *ns, const kn_dnsmasq_config *c,
                     kn_dnsmasq_event_fn fn, void *userdata, kn_dnsmasq **ret, kn_error *err);

/* A new configuration for a running instance (net-update): hosts and DNS
 * names only are a SIGHUP; anything else in NET.conf a restart. */
int kn_dnsmasq_update(kn_dnsmasq *d, const kn_dnsmasq_config *c, kn_error *err);

/* Stop the instance (SIGTERM, SIGKILL after 2 s), remove its files except
 * the lease file (a restarted network gives guests their addresses back),
 * free d.  NULL: nothing. */
int kn_dnsmasq_stop(kn_dnsmasq *d, kn_error *err);

/* Let go of the instance and free d, leaving dnsmasq running: for a
 * kvmnetd that exits while its networks stay up.  Before the loop is
 * freed: d's watches are on it. */
kn_dnsmasq *kn_dnsmasq_free(kn_dnsmasq *d);

/* The running instance's pid, 0 between a death and its restart. */
pid_t kn_dnsmasq_pid(const kn_dnsmasq *d);
/* Whether that instance was adopted (found running at start). */
bool kn_dnsmasq_adopted(const kn_dnsmasq *d);

/* The leases as last read (sorted by address); valid until the next
 * event or call. */
const kn_dnsmasq_lease *kn_dnsmasq_leases(const kn_dnsmasq *d, size_t *ret_n);

/* Without a handle (net-dhcp-leases of a network, reconciliation): */

/* The leases in STATE/NET.leases; none if it is missing.  *ret is
 * malloc'ed. */
int kn_dnsmasq_read_leases(const char *state_dir, const char *network, kn_dnsmasq_lease **ret,
                           size_t *ret_n, kn_error *err);
/* The pid of the dnsmasq that serves network from state_dir, or 0. */
pid_t kn_dnsmasq_running(const char *state_dir, const char *network);
/* Stop that dnsmasq (see kn_dnsmasq_stop) and remove the files; with
 * purge the lease file too (net-undefine).  Nothing running is no error. */
int kn_dnsmasq_kill(const char *state_dir, const char *network, bool purge, kn_error *err);
