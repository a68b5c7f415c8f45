/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <stdio.h>

#include "kvmnet/iface.h"
#include "macro.h"

/* Which kinds may sit inside which master (interface.rng: bridge ports are
 * ethernet, vlan or bond; bond slaves are ethernet). */
static bool child_allowed(kn_iface_type master, kn_iface_type child) {
        if (master == KN_IFACE_BRIDGE)
                return child != KN_IFACE_BRIDGE;
        if (master == KN_IFACE_BOND)
                return child == KN_IFACE_ETHERNET;
        return false;
}

static int classful_prefix(const char *address);

/* The prefix an address has once kn_iface_fill_prefixes() gave it one. */
static int effective_prefix(int family, const kn_ipaddr *a) {
        if (a->prefix >= 0)
                return a->prefix;
        return family == AF_INET ? classful_prefix(a->address) : 64;
}

static int validate_protocol(const kn_iface *i, const kn_protocol *p, int family, kn_error *err) {
        const char *fam = family == AF_INET ? "ipv4" : "ipv6";
        kn_limit_id lim = family == AF_INET ? KN_LIMIT_PREFIX4 : KN_LIMIT_PREFIX6;
        for (size_t k = 0; k < p->n_ips; k++) {
                const kn_ipaddr *a = &p->ips[k];
                if (a->prefix >= 0 && !kn_limit_ok(lim, a->prefix)) {
                        kn_limit_check(lim, a->prefix, i->name, err);
                        kn_error_prefix(err, "%s", a->address);
                        return -ERANGE;
                }
                /* The kernel holds an address once per interface (IPv6) or
                 * once per prefix (IPv4), and a second `ip addr add` fails or
                 * makes another subnet: one address, one prefix. */
                for (size_t j = 0; j < k; j++) {
                        const kn_ipaddr *b = &p->ips[j];
                        int pa = effective_prefix(family, a), pb = effective_prefix(family, b);
                        if (streq(a->address, b->address) && pa != pb)
                                return kn_error_set(err, EINVAL,
                                                    "%s: <protocol family='%s'>: address %s is "
                                                    "given twice, with prefix %d and %d; give it "
                                                    "once",
                                                    i->name, fam, a->address, pb, pa);
                }
        }
        return 0;
}

/* Every numeric field against its one range (kn_limit). */
static int validate_limits(const kn_iface *i, kn_error *err) {
        int r = 0;
        if (i->mtu && (r = kn_limit_check(KN_LIMIT_MTU, i->mtu, i->name, err)) < 0)
                return r;
        if (i->type == KN_IFACE_BRIDGE && i->delay >= 0 &&
            (r = kn_limit_check(KN_LIMIT_BRIDGE_DELAY, i->delay, i->name, err)) < 0)
                return r;
        if (i->type == KN_IFACE_BOND && i->monitor == KN_MON_MIIMON) {
                if ((r = kn_limit_check(KN_LIMIT_MIIMON_FREQ, i->miimon_freq, i->name, err)) < 0 ||
                    (i->miimon_updelay >= 0 &&
                     (r = kn_limit_check(KN_LIMIT_MIIMON_DELAY, (double) i->miimon_updelay, i->name,
                                         err)) < 0) ||
                    (i->miimon_downdelay >= 0 &&
                     (r = kn_limit_check(KN_LIMIT_MIIMON_DELAY, (double) i->miimon_downdelay,
                                         i->name, err)) < 0))
                        return r;
        }
        if (i->type == KN_IFACE_BOND && i->monitor == KN_MON_ARPMON) {
                if ((r = kn_limit_check(KN_LIMIT_ARPMON_INTERVAL, i->arpmon_interval, i->name,
                                        err)) < 0)
                        return r;
                if (isempty(i->arpmon_target))
                        return kn_error_set(err, EINVAL, "bond %s: <arpmon> needs a target address",
                                            i->name);
        }
        if ((r = validate_protocol(i, &i->ipv4, AF_INET, err)) < 0 ||
            (r = validate_protocol(i, &i->ipv6, AF_INET6, err)) < 0)
                return r;
        return 0;
}

static int validate(const kn_iface *i, bool top, kn_error *err) {
        const char *type = kn_iface_type_to_string(i->type);
        int r;

        if (!type)
                return kn_error_set(err, EINVAL, "unknown interface type %d", (int) i->type);
        if (i->type == KN_IFACE_VLAN) {
                if (i->vlan_tag < 0 || i->vlan_tag > 4095)
                        return kn_error_set(err, ERANGE,
                                            "vlan %s: tag %d is out of range (valid: 0-4095)",
                                            i->name, i->vlan_tag);
                if (isempty(i->vlan_parent))
                        return kn_error_set(err, EINVAL,
                                            "vlan %s: no parent interface (<vlan><interface "
                                            "name='...'/></vlan>)",
                                            i->name);
                r = kn_ifname_validate(i->vlan_parent, NULL, err);
                if (r < 0) {
                        kn_error_prefix(err, "vlan %s: parent", i->name);
                        return r;
                }
        }
        /* A vlan may be given without a name; every other one needs it. */
        if (i->type != KN_IFACE_VLAN || !isempty(i->name)) {
                r = kn_ifname_validate(i->name, NULL, err);
                if (r < 0)
                        return r;
        }
        r = validate_limits(i, err);
        if (r < 0)
                return r;
        if (i->type == KN_IFACE_BOND && i->n_children == 0)
                return kn_error_set(err, EINVAL, "bond %s: a bond needs at least one slave",
                                    i->name);
        if (!top && (i->ipv4.present || i->ipv6.present || i->start || i->mtu))
                return kn_error_set(err, EINVAL,
                                    "%s %s: a port or slave carries no <start>, <mtu> or "
                                    "<protocol>; configure them on its master",
                                    type, i->name);
        for (size_t k = 0; k < i->n_children; k++) {
                const kn_iface *c = i->children[k];
                if (!child_allowed(i->type, c->type))
                        return kn_error_set(err, EINVAL, "%s %s: a %s cannot be its %s %s", type,
                                            i->name, kn_iface_type_to_string(c->type),
                                            i->type == KN_IFACE_BOND ? "slave" : "port", c->name);
                r = validate(c, false, err);
                if (r < 0)
                        return r;
                /* The same device twice in one tree would be enslaved twice. */
                for (size_t j = 0; j < k; j++)
                        if (!isempty(c->name) && streq(c->name, i->children[j]->name))
                                return kn_error_set(err, EINVAL, "%s %s: %s is listed twice", type,
                                                    i->name, c->name);
                if (streq(c->name, i->name))
                        return kn_error_set(err, EINVAL, "%s %s: cannot be its own port", type,
                                            i->name);
        }
        return 0;
}

int kn_iface_validate(const kn_iface *i, kn_error *err) {
        if (isempty(i->name))
                return kn_error_set(err, EINVAL, "the top-level interface needs a name attribute");
        return validate(i, true, err);
}

static int classful_prefix(const char *address) {
        struct in_addr a;
        if (inet_pton(AF_INET, address, &a) != 1)
                return 32;
        unsigned first = ntohl(a.s_addr) >> 24;
        return first < 128 ? 8 : first < 192 ? 16 : first < 224 ? 24 : 32;
}

static void add_warning(char ***warnings, size_t *n_warnings, char *w) {
        if (!warnings) {
                free(w);
                return;
        }
        *warnings = kn_xrealloc(*warnings, (*n_warnings + 1) * sizeof **warnings);
        (*warnings)[(*n_warnings)++] = w;
}

static size_t fill_protocol(const kn_iface *i, kn_protocol *p, int family, char ***warnings,
                            size_t *n_warnings) {
        size_t n = 0;
        for (size_t k = 0; k < p->n_ips; k++) {
                kn_ipaddr *a = &p->ips[k];
                if (a->prefix >= 0)
                        continue;
                a->prefix = effective_prefix(family, a);
                add_warning(
                        warnings, n_warnings,
                        kn_xasprintf(
                                "%s: address %s has no prefix; defined as %s/%d (%s; the regimes "
                                "would each read it differently)",
                                i->name, a->address, a->address, a->prefix,
                                family == AF_INET
                                        ? "its classful prefix, as initscripts and ifupdown"
                                        : "IPv6's subnet size"));
                n++;
        }
        return n;
}

static size_t merge_protocol(const kn_iface *i, kn_protocol *p, int family, char ***warnings,
                             size_t *n_warnings) {
        size_t n = 0, out = 0;
        for (size_t k = 0; k < p->n_ips; k++) {
                kn_ipaddr *a = &p->ips[k];
                bool dup = false;
                for (size_t j = 0; j < out && !dup; j++)
                        dup = streq(p->ips[j].address, a->address) &&
                              effective_prefix(family, &p->ips[j]) == effective_prefix(family, a);
                if (!dup) {
                        p->ips[out++] = *a;
                        continue;
                }
                add_warning(warnings, n_warnings,
                            kn_xasprintf("%s: <protocol family='%s'>: address %s/%d is given "
                                         "twice; defined once",
                                         i->name, family == AF_INET ? "ipv4" : "ipv6", a->address,
                                         effective_prefix(family, a)));
                n++;
        }
        p->n_ips = out;
        return n;
}

size_t kn_iface_merge_addresses(kn_iface *i, char ***warnings, size_t *n_warnings) {
        size_t n = merge_protocol(i, &i->ipv4, AF_INET, warnings, n_warnings) +
                   merge_protocol(i, &i->ipv6, AF_INET6, warnings, n_warnings);
        for (size_t k = 0; k < i->n_children; k++)
                n += kn_iface_merge_addresses(i->children[k], warnings, n_warnings);
        return n;
}

size_t kn_iface_fill_prefixes(kn_iface *i, char ***warnings, size_t *n_warnings) {
        size_t n = fill_protocol(i, &i->ipv4, AF_INET, warnings, n_warnings) +
                   fill_protocol(i, &i->ipv6, AF_INET6, warnings, n_warnings);
        for (size_t k = 0; k < i->n_children; k++)
                n += kn_iface_fill_prefixes(i->children[k], warnings, n_warnings);
        return n;
}
