/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by dnsmasq.c (the process), dnsmasq-conf.c (its files) and
 * dnsmasq-leases.c (its lease file). */

#include "dnsmasq.h"

typedef struct kn_dnsmasq_paths {
        char *conf, *hostsfile, *addnhosts, *leases, *pid, *log;
} kn_dnsmasq_paths;

/* STATE/NET.conf and the others. */
void kn_dnsmasq_paths_init(kn_dnsmasq_paths *p, const char *state_dir, const char *network);
void kn_dnsmasq_paths_done(kn_dnsmasq_paths *p);

/* Check c and write NET.conf, NET.hostsfile and NET.addnhosts (a file
 * whose content is the same is not rewritten).  *conf_changed: NET.conf
 * is new or different; *hosts_changed: one of the other two. */
int kn_dnsmasq_write_files(const kn_dnsmasq_config *c, const kn_dnsmasq_paths *p,
                           bool *conf_changed, bool *hosts_changed, kn_error *err);

/* Parse a dnsmasq lease file's text (lines it cannot read are left out);
 * sorted by family, then address. */
void kn_dnsmasq_parse_leases(const char *text, kn_dnsmasq_lease **ret, size_t *ret_n);
int kn_dnsmasq_lease_cmp(const kn_dnsmasq_lease *a, const kn_dnsmasq_lease *b);
