/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Who configures an interface: a host runs one network configuration
 * regime per link (an ifupdown stanza, an ifcfg file, a systemd-networkd
 * .network that matches it, a NetworkManager profile).  Two of them on one
 * link fight over it at every boot, so kvmnet refuses to define an
 * interface through one backend while another regime's files already
 * configure it, and says which file does.
 *
 * Every registered backend whose files the root holds (detect() > 0) is
 * loaded and asked.  Backends that can name the file matching a link
 * (networkd: the first .network whose [Match] fits, patterns and MAC
 * included; nmkeyfile: the profiles whose interface-name, [match] or
 * mac-address fit) report it with its line; for the others, kvmnet reports
 * the interface if their list() has it, with the file of a diagnostic about
 * it or else their configuration directory. */

#include <stdbool.h>
#include <stddef.h>

#include "kvmnet/backend.h"
#include "kvmnet/error.h"
#include "kvmnet/iface.h"

typedef struct kn_owner {
        const kn_backend_vtable *backend;
        const char *regime; /* "NetworkManager", "systemd-networkd", "ifupdown", "ifcfg" */
        char *file;         /* displayed path, ROOT/etc/...: a file, or a directory */
        unsigned line;      /* 0 if not known */
        char *how;          /* NULL when the file names the interface; else how it
                             * matches ("[Match] Name=en*", "mac-address=...") */
} kn_owner;

typedef struct kn_owners {
        kn_owner *items;
        size_t n, alloc;
} kn_owners;

/* For backends reporting a match (backend and regime are filled by the
 * caller).  how may be NULL. */
void kn_owners_add(kn_owners *o, const char *file, unsigned line, const char *how);
void kn_owners_done(kn_owners *o);

/* Every regime configuring the interface NAME under root (mac, if not NULL,
 * also finds files that pick the link by its MAC address). */
int kn_owner_find(const char *root, const char *name, const char *mac, kn_owners *ret,
                  kn_error *err);
int kn_owner_find_at(const kn_root *root, const char *name, const char *mac, kn_owners *ret,
                     kn_error *err);

/* Before defining iface through the backend self: -EBUSY when a regime
 * other than self's configures iface or one of its ports/slaves, e.g.
 * "eth0 is already configured by NetworkManager in
 * ROOT/etc/NetworkManager/system-connections/eth0.nmconnection; remove it
 * there first".  Meant for kn_config_define(), after check_conflicts(). */
int kn_owner_check(const kn_root *root, const kn_backend_vtable *self, const kn_iface *iface,
                   kn_error *err);

/* One line for messages: "NetworkManager in FILE" (with ":LINE" and
 * " (HOW)" when known).  Free it. */
char *kn_owner_describe(const kn_owner *o);
