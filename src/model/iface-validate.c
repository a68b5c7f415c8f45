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
                r = kn_ifname_validate(i->vlan_parent, err);
                if (r < 0) {
                        kn_error_prefix(err, "vlan %s: parent", i->name);
                        return r;
                }
        }
        /* A vlan may be given without a name; every other one needs it. */
        if (i->type != KN_IFACE_VLAN || !isempty(i->name)) {
                r = kn_ifname_validate(i->name, err);
                if (r < 0) {
                        kn_error_prefix(err, "%s interface", type);
                        return r;
                }
        }
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

static size_t fill_protocol(const kn_iface *i, kn_protocol *p, int family, char ***warnings,
                            size_t *n_warnings) {
        size_t n = 0;
        for (size_t k = 0; k < p->n_ips; k++) {
                kn_ipaddr *a = &p->ips[k];
                if (a->prefix >= 0)
                        continue;
                a->prefix = family == AF_INET ? classful_prefix(a->address) : 64;
                *warnings = kn_xrealloc(*warnings, (*n_warnings + 1) * sizeof **warnings);
                (*warnings)[(*n_warnings)++] = kn_xasprintf(
                        "%s: address %s has no prefix; defined as %s/%d (%s; the regimes "
                        "would each read it differently)",
                        i->name, a->address, a->address, a->prefix,
                        family == AF_INET ? "its classful prefix, as initscripts and ifupdown"
                                          : "IPv6's subnet size");
                n++;
        }
        return n;
}

size_t kn_iface_fill_prefixes(kn_iface *i, char ***warnings, size_t *n_warnings) {
        size_t n = fill_protocol(i, &i->ipv4, AF_INET, warnings, n_warnings) +
                   fill_protocol(i, &i->ipv6, AF_INET6, warnings, n_warnings);
        for (size_t k = 0; k < i->n_children; k++)
                n += kn_iface_fill_prefixes(i->children[k], warnings, n_warnings);
        return n;
}
