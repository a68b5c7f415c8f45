/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* libvirt/netcf interface XML -> model.
 *
 * The walk is strict: an element or attribute this schema (interface.rng,
 * serial 4) does not have is an error, never silently dropped, because a
 * dropped setting is a host that comes up differently than the admin
 * wrote.  Every error reads "SOURCE:LINE: element <x>: attribute 'y': ..."
 * (src/util/xml-walk.h). */

#include <arpa/inet.h>
#include <limits.h>
#include <math.h>

#include "kvmnet/iface.h"
#include "macro.h"
#include "xml-walk.h"

typedef enum iface_role {
        ROLE_TOP,
        ROLE_BRIDGE_PORT,
        ROLE_BOND_SLAVE,
} iface_role;

/* attribute value must be one of a string table's entries */
#define PARSE_ENUM(c, n, attr, table, out)                                                         \
        ({                                                                                         \
                _cleanup_free_ char *_v = kn_xml_prop((n), (attr));                                \
                int _r = 0;                                                                        \
                if (_v) {                                                                          \
                        int _x = (int) table##_from_string(_v);                                    \
                        if (_x < 0)                                                                \
                                _r = kn_xml_fail((c), (n), "attribute '%s': unknown value '%s'",   \
                                                 (attr), _v);                                      \
                        else                                                                       \
                                (out) = _x;                                                        \
                }                                                                                  \
                _r;                                                                                \
        })

static int parse_uint(kn_xml *c, xmlNodePtr n, const char *name, bool required, unsigned long max,
                      long *ret) {
        return kn_xml_attr_uint(c, n, name, required, 0, max, ret);
}

/* A number within its field's one range (kn_limit_get). */
static int parse_limited(kn_xml *c, xmlNodePtr n, const char *name, bool required, kn_limit_id id,
                         long *ret) {
        const kn_limit *l = kn_limit_get(id);
        return kn_xml_attr_uint(c, n, name, required, (unsigned long) l->min,
                                (unsigned long) l->max, ret);
}

static int parse_bool_attr(kn_xml *c, xmlNodePtr n, const char *attr, const char *yes,
                           const char *no, kn_tristate *out) {
        int v = -1;
        int r = kn_xml_attr_switch(c, n, attr, yes, no, &v);
        if (r >= 0 && v >= 0)
                *out = v ? KN_YES : KN_NO;
        return r;
}

static int parse_protocol(kn_xml *c, xmlNodePtr n, kn_iface *i) {
        _cleanup_free_ char *fam = NULL;
        int r = kn_xml_check_attrs(c, n, KN_XML_ATTRS("family"));
        if (r < 0 || (r = kn_xml_attr(c, n, "family", true, &fam)) < 0)
                return r;
        bool v6 = streq(fam, "ipv6");
        if (!v6 && !streq(fam, "ipv4"))
                return kn_xml_fail(
                        c, n, "attribute 'family': unknown value '%s' (valid: ipv4, ipv6)", fam);
        kn_protocol *p = v6 ? &i->ipv6 : &i->ipv4;
        if (p->present)
                return kn_xml_fail(c, n, "a second <protocol family='%s'>", fam);
        p->present = true;

        const char *valid = v6 ? "autoconf, dhcp, ip, route" : "dhcp, ip, route";
        KN_XML_FOREACH_CHILD(c, n, e, r) {
                if (kn_xml_is(e, "dhcp")) {
                        if (p->dhcp)
                                return kn_xml_fail(c, e, "given twice");
                        p->dhcp = true;
                        if ((r = kn_xml_check_attrs(c, e, KN_XML_ATTRS("peerdns"))) < 0 ||
                            (r = parse_bool_attr(c, e, "peerdns", "yes", "no", &p->peerdns)) < 0 ||
                            (r = kn_xml_no_children(c, e)) < 0)
                                return r;
                } else if (v6 && kn_xml_is(e, "autoconf")) {
                        if (p->autoconf)
                                return kn_xml_fail(c, e, "given twice");
                        p->autoconf = true;
                        if ((r = kn_xml_check_attrs(c, e, KN_XML_NO_ATTRS)) < 0 ||
                            (r = kn_xml_no_children(c, e)) < 0)
                                return r;
                } else if (kn_xml_is(e, "ip")) {
                        _cleanup_free_ char *addr = NULL;
                        long prefix;
                        kn_error sub = {0};
                        if ((r = kn_xml_check_attrs(c, e, KN_XML_ATTRS("address", "prefix"))) < 0 ||
                            (r = kn_xml_attr(c, e, "address", true, &addr)) < 0 ||
                            (r = parse_limited(c, e, "prefix", false,
                                               v6 ? KN_LIMIT_PREFIX6 : KN_LIMIT_PREFIX4, &prefix)) <
                                    0 ||
                            (r = kn_xml_no_children(c, e)) < 0)
                                return r;
                        if (kn_protocol_add_ip(p, v6 ? AF_INET6 : AF_INET, addr, (int) prefix,
                                               &sub) < 0)
                                return kn_xml_fail(c, e, "attribute 'address': %s", sub.message);
                } else if (kn_xml_is(e, "route")) {
                        kn_xml_ip gw;
                        if (p->gateway[0])
                                return kn_xml_fail(c, e, "only one <route> per protocol");
                        if ((r = kn_xml_check_attrs(c, e, KN_XML_ATTRS("gateway"))) < 0 ||
                            (r = kn_xml_attr_ip(c, e, "gateway", true, v6 ? AF_INET6 : AF_INET,
                                                &gw)) < 0 ||
                            (r = kn_xml_no_children(c, e)) < 0)
                                return r;
                        snprintf(p->gateway, sizeof p->gateway, "%s", gw.text);
                } else
                        return kn_xml_unexpected(c, n, e, valid);
        }
        return 0;
}

static int parse_iface(kn_xml *c, xmlNodePtr n, iface_role role, kn_iface **ret);

static int parse_bridge(kn_xml *c, xmlNodePtr n, kn_iface *i) {
        int r = kn_xml_check_attrs(c, n, KN_XML_ATTRS("stp", "delay"));
        if (r < 0 || (r = parse_bool_attr(c, n, "stp", "on", "off", &i->stp)) < 0)
                return r;
        _cleanup_free_ char *delay = kn_xml_prop(n, "delay");
        if (delay) {
                char *end;
                errno = 0;
                double d = strtod(delay, &end);
                if (!*delay || *end || errno || d < 0 || !isfinite(d))
                        return kn_xml_fail(
                                c, n, "attribute 'delay': '%s' is not a number of seconds >= 0",
                                delay);
                char range[96];
                if (!kn_limit_ok(KN_LIMIT_BRIDGE_DELAY, d))
                        return kn_xml_fail(
                                c, n, "attribute 'delay': %s is out of range (valid: %s)", delay,
                                kn_limit_describe(KN_LIMIT_BRIDGE_DELAY, range, sizeof range));
                i->delay = d;
        }
        KN_XML_FOREACH_CHILD(c, n, e, r) {
                kn_iface *port;
                if (!kn_xml_is(e, "interface"))
                        return kn_xml_unexpected(c, n, e, "interface");
                if ((r = parse_iface(c, e, ROLE_BRIDGE_PORT, &port)) < 0)
                        return r;
                kn_iface_add_child(i, port);
        }
        return 0;
}

static int parse_bond(kn_xml *c, xmlNodePtr n, kn_iface *i) {
        long v;
        int r = kn_xml_check_attrs(c, n, KN_XML_ATTRS("mode"));
        if (r < 0 || (r = PARSE_ENUM(c, n, "mode", kn_bond_mode, i->bond_mode)) < 0)
                return r;
        KN_XML_FOREACH_CHILD(c, n, e, r) {
                bool mii = kn_xml_is(e, "miimon"), arp = kn_xml_is(e, "arpmon");
                if ((mii || arp) && i->monitor != KN_MON_NONE)
                        return kn_xml_fail(c, e, "a bond has at most one <miimon> or <arpmon>");
                if (mii) {
                        i->monitor = KN_MON_MIIMON;
                        if ((r = kn_xml_check_attrs(c, e,
                                                    KN_XML_ATTRS("freq", "downdelay", "updelay",
                                                                 "carrier"))) < 0 ||
                            (r = parse_limited(c, e, "freq", true, KN_LIMIT_MIIMON_FREQ, &v)) < 0)
                                return r;
                        i->miimon_freq = (unsigned) v;
                        if ((r = parse_limited(c, e, "downdelay", false, KN_LIMIT_MIIMON_DELAY,
                                               &i->miimon_downdelay)) < 0 ||
                            (r = parse_limited(c, e, "updelay", false, KN_LIMIT_MIIMON_DELAY,
                                               &i->miimon_updelay)) < 0 ||
                            (r = PARSE_ENUM(c, e, "carrier", kn_miimon_carrier,
                                            i->miimon_carrier)) < 0 ||
                            (r = kn_xml_no_children(c, e)) < 0)
                                return r;
                } else if (arp) {
                        kn_xml_ip target;
                        i->monitor = KN_MON_ARPMON;
                        if ((r = kn_xml_check_attrs(
                                     c, e, KN_XML_ATTRS("interval", "target", "validate"))) < 0 ||
                            (r = parse_limited(c, e, "interval", true, KN_LIMIT_ARPMON_INTERVAL,
                                               &v)) < 0 ||
                            (r = kn_xml_attr_ip(c, e, "target", true, AF_INET, &target)) < 0)
                                return r;
                        i->arpmon_interval = (unsigned) v;
                        snprintf(i->arpmon_target, sizeof i->arpmon_target, "%s", target.text);
                        if ((r = PARSE_ENUM(c, e, "validate", kn_arp_validate,
                                            i->arpmon_validate)) < 0 ||
                            (r = kn_xml_no_children(c, e)) < 0)
                                return r;
                } else if (kn_xml_is(e, "interface")) {
                        kn_iface *slave;
                        if ((r = parse_iface(c, e, ROLE_BOND_SLAVE, &slave)) < 0)
                                return r;
                        kn_iface_add_child(i, slave);
                } else
                        return kn_xml_unexpected(c, n, e, "miimon, arpmon, interface");
        }
        if (i->n_children == 0)
                return kn_xml_fail(c, n, "a bond needs at least one slave <interface>");
        return 0;
}

static int parse_vlan(kn_xml *c, xmlNodePtr n, kn_iface *i) {
        long tag;
        int r = kn_xml_check_attrs(c, n, KN_XML_ATTRS("tag"));
        if (r < 0 || (r = parse_limited(c, n, "tag", true, KN_LIMIT_VLAN_TAG, &tag)) < 0)
                return r;
        i->vlan_tag = (int) tag;
        KN_XML_FOREACH_CHILD(c, n, e, r) {
                _cleanup_free_ char *parent = NULL;
                kn_error sub = {0};
                if (!kn_xml_is(e, "interface"))
                        return kn_xml_unexpected(c, n, e, "interface");
                if (i->vlan_parent[0])
                        return kn_xml_fail(c, e, "a vlan has exactly one parent <interface>");
                if ((r = kn_xml_check_attrs(c, e, KN_XML_ATTRS("name"))) < 0 ||
                    (r = kn_xml_attr(c, e, "name", true, &parent)) < 0 ||
                    (r = kn_xml_no_children(c, e)) < 0)
                        return r;
                if (kn_ifname_validate(parent, NULL, &sub) < 0)
                        return kn_xml_fail(c, e, "attribute 'name': %s", sub.message);
                snprintf(i->vlan_parent, sizeof i->vlan_parent, "%s", parent);
        }
        if (!i->vlan_parent[0])
                return kn_xml_fail(c, n, "the parent <interface name='...'/> is missing");
        return 0;
}

static int parse_link(kn_xml *c, xmlNodePtr n, kn_iface *i) {
        long speed;
        int r = kn_xml_check_attrs(c, n, KN_XML_ATTRS("speed", "state"));
        if (r < 0 || (r = parse_uint(c, n, "speed", false, UINT_MAX, &speed)) < 0 ||
            (r = PARSE_ENUM(c, n, "state", kn_link_state, i->link_state)) < 0)
                return r;
        i->link_speed = speed < 0 ? 0 : (unsigned) speed;
        return kn_xml_no_children(c, n);
}

static int parse_iface_child(kn_xml *c, xmlNodePtr n, xmlNodePtr e, iface_role role, kn_iface *i,
                             unsigned *seen) {
        static const char *const singles[] = {"start",  "mac",  "mtu", "link",
                                              "bridge", "bond", "vlan"};
        long v;
        int r;

        for (size_t k = 0; k < ELEMENTSOF(singles); k++)
                if (kn_xml_is(e, singles[k])) {
                        if (*seen & (1u << k))
                                return kn_xml_fail(c, e, "given twice");
                        *seen |= 1u << k;
                }

        bool top = role == ROLE_TOP;
        if (top && kn_xml_is(e, "start")) {
                if ((r = kn_xml_check_attrs(c, e, KN_XML_ATTRS("mode"))) < 0)
                        return r;
                _cleanup_free_ char *mode = NULL;
                if ((r = kn_xml_attr(c, e, "mode", true, &mode)) < 0 ||
                    (r = PARSE_ENUM(c, e, "mode", kn_start_mode, i->start)) < 0)
                        return r;
                return kn_xml_no_children(c, e);
        }
        if (kn_xml_is(e, "mac") && i->type == KN_IFACE_ETHERNET) {
                uint8_t mac[KN_MAC_LEN];
                if ((r = kn_xml_check_attrs(c, e, KN_XML_ATTRS("address"))) < 0 ||
                    (r = kn_xml_attr_mac(c, e, "address", true, mac, NULL)) < 0)
                        return r;
                kn_mac_to_string(mac, i->mac);
                return kn_xml_no_children(c, e);
        }
        if (top && kn_xml_is(e, "mtu")) {
                if ((r = kn_xml_check_attrs(c, e, KN_XML_ATTRS("size"))) < 0 ||
                    (r = parse_limited(c, e, "size", true, KN_LIMIT_MTU, &v)) < 0)
                        return r;
                i->mtu = (unsigned) v;
                return kn_xml_no_children(c, e);
        }
        /* interface.rng has <link> on ethernet, vlan and bond, not bridge */
        if (kn_xml_is(e, "link") && i->type != KN_IFACE_BRIDGE)
                return parse_link(c, e, i);
        if (top && kn_xml_is(e, "protocol"))
                return parse_protocol(c, e, i);
        if (i->type == KN_IFACE_BRIDGE && kn_xml_is(e, "bridge"))
                return parse_bridge(c, e, i);
        if (i->type == KN_IFACE_BOND && kn_xml_is(e, "bond"))
                return parse_bond(c, e, i);
        if (i->type == KN_IFACE_VLAN && kn_xml_is(e, "vlan"))
                return parse_vlan(c, e, i);

        if (!top && (kn_xml_is(e, "start") || kn_xml_is(e, "mtu") || kn_xml_is(e, "protocol")))
                return kn_xml_fail(c, e, "not allowed on a %s; configure it on the %s instead",
                                   role == ROLE_BOND_SLAVE ? "bond slave" : "bridge port",
                                   role == ROLE_BOND_SLAVE ? "bond" : "bridge");
        static const char *const valid[_KN_IFACE_TYPE_MAX] = {
                [KN_IFACE_ETHERNET] = "start, mac, mtu, link, protocol",
                [KN_IFACE_BRIDGE] = "start, mtu, protocol, bridge",
                [KN_IFACE_BOND] = "start, mtu, link, protocol, bond",
                [KN_IFACE_VLAN] = "start, mtu, link, protocol, vlan",
        };
        return kn_xml_fail(c, e, "not expected in a %s interface (valid there: %s)",
                           kn_iface_type_to_string(i->type), valid[i->type]);
}

static int parse_iface(kn_xml *c, xmlNodePtr n, iface_role role, kn_iface **ret) {
        _cleanup_free_ char *type = NULL, *name = NULL;
        int r = kn_xml_check_attrs(c, n, KN_XML_ATTRS("type", "name"));
        if (r < 0 || (r = kn_xml_attr(c, n, "type", true, &type)) < 0)
                return r;
        kn_iface_type t = kn_iface_type_from_string(type);
        if (t < 0)
                return kn_xml_fail(
                        c, n,
                        "attribute 'type': unknown type '%s' (valid: ethernet, bridge, bond, "
                        "vlan)",
                        type);
        if (role == ROLE_BOND_SLAVE && t != KN_IFACE_ETHERNET)
                return kn_xml_fail(c, n, "a bond slave must be of type 'ethernet', not '%s'", type);
        if (role == ROLE_BRIDGE_PORT && t == KN_IFACE_BRIDGE)
                return kn_xml_fail(c, n, "a bridge cannot be a port of another bridge");
        if ((r = kn_xml_attr(c, n, "name", t != KN_IFACE_VLAN, &name)) < 0)
                return r;
        if (name) {
                kn_error sub = {0};
                if (kn_ifname_validate(name, NULL, &sub) < 0)
                        return kn_xml_fail(c, n, "attribute 'name': %s", sub.message);
        }

        _cleanup_iface_ kn_iface *i = kn_iface_new(t, name);
        unsigned seen = 0;
        KN_XML_FOREACH_CHILD(c, n, e, r) {
                if ((r = parse_iface_child(c, n, e, role, i, &seen)) < 0)
                        return r;
        }
        static const char *const required[_KN_IFACE_TYPE_MAX] = {
                [KN_IFACE_BRIDGE] = "bridge",
                [KN_IFACE_BOND] = "bond",
                [KN_IFACE_VLAN] = "vlan",
        };
        if (required[t]) {
                bool found = false;
                for (xmlNodePtr e = n->children; e && !found; e = e->next)
                        found = kn_xml_is(e, required[t]);
                if (!found)
                        return kn_xml_fail(c, n, "a %s interface needs a <%s> element", type,
                                           required[t]);
        }
        *ret = TAKE_PTR(i);
        return 0;
}

int kn_iface_parse_xml(const char *xml, size_t len, const char *source, kn_iface **ret,
                       kn_error *err) {
        kn_xml c = {.source = source ? source : "<input>", .err = err};
        _cleanup_xmldoc_ xmlDoc *doc = NULL;
        int r = kn_xml_read(&c, xml, len, &doc);
        if (r < 0)
                return r;
        xmlNodePtr root = xmlDocGetRootElement(doc);
        if (!root || !kn_xml_is(root, "interface"))
                return kn_error_set(err, EINVAL,
                                    "%s:%ld: the document element must be <interface>, not <%s>",
                                    c.source, root ? xmlGetLineNo(root) : 0,
                                    root ? (const char *) root->name : "");
        return parse_iface(&c, root, ROLE_TOP, ret);
}
