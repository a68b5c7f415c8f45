/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The one check for names that come from users (XML, protocol arguments,
 * configuration files) before they reach a path, an argv or a netlink
 * message.  Two kinds (and network namespaces' names, below):
 *
 *   interface names (links, bridges, taps, VLAN parents): what the kernel's
 *   dev_valid_name() takes (1..IFNAMSIZ-1 bytes, no '/', ':' or
 *   whitespace, not "." or ".."), narrowed to letters, digits, '_', '-'
 *   and '.' and no leading '.' or '-': the name is also a file name in
 *   every backend (a leading '.' hides it from ifupdown's "source *"),
 *   a word in configuration files and an argument to dhclient, ip, nft.
 *
 *   object names (guests, networks): they name STATE/guests/NAME.xml,
 *   STATE/networks/NAME.xml, an nft table and dnsmasq's files: 1..64 of
 *   letters, digits, '-', '_', '.' and '+', no leading '.' or '-'.
 *   libvirt only forbids '/' in these; kvmnet is stricter because its
 *   names also end up in nft and dnsmasq arguments.
 *
 * what is the noun the message starts with ("interface", "bridge", "tap",
 * "guest", "network"); NULL means "interface" / "object".  Every failure
 * is -EINVAL with one message: "WHAT name 'NAME' ..." and what is valid.
 * Unprintable bytes of NAME are shown as \n, \t or \xNN, so the message
 * stays one line whatever the name holds. */

#include "kvmnet/error.h"

#define KN_IFNAME_MAX      15 /* IFNAMSIZ - 1 */
#define KN_OBJECT_NAME_MAX 64

int kn_ifname_validate(const char *name, const char *what, kn_error *err);
int kn_object_name_validate(const char *name, const char *what, kn_error *err);
/* A network namespace's name as `ip netns add` takes it (any bytes but
 * '/', not "." or "..", at most NAME_MAX): a file of /run/netns. */
int kn_netns_name_validate(const char *name, kn_error *err);

/* A name as a message may show it: one line, printable ASCII (\n, \t,
 * \xNN), cut after 64 bytes with "..." (a hostile name can be megabytes
 * long).  out holds KN_NAME_SHOWN_MAX bytes. */
#define KN_NAME_SHOWN_MAX (64 * 4 + 8)
void kn_name_shown(const char *name, char *out, size_t size);
