/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* libvirt/netcf interface XML -> model.
 *
 * The walk is strict: an element or attribute this schema (interface.rng,
 * serial 4) does not have is an error, never silently dropped, because a
 * dropped setting is a host that comes up differently than the admin
 * wrote.  Every error reads "SOURCE:LINE: element <x> attribute 'y': ...". */

#include <arpa/inet.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <limits.h>
#include <math.h>

#include "kvmnet/iface.h"
#include "macro.h"

typedef struct parse_ctx {
        const char *source;
        kn_error *err;
} parse_ctx;

typedef enum iface_role {
        ROLE_TOP,
        ROLE_BRIDGE_PORT,
        ROLE_BOND_SLAVE,
} iface_role;

static void xml_freep(xmlChar **p) {
        xmlFree(*p);
}
#define _cleanup_xmlfree_ _cleanup_(xml_freep)

static void xml_doc_freep(xmlDocPtr *d) {
        if (*d)
                xmlFreeDoc(*d);
}

_printf_(3, 4) static int fail(parse_ctx *c, xmlNodePtr n, const char *fmt, ...) {
        char msg[KN_ERROR_MAX - 128];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        return kn_error_set(c->err, EINVAL, "%s:%ld: element <%s>: %s", c->source,
                            xmlGetLineNo(n), (const char *) n->name, msg);
}

static bool is_element(xmlNodePtr n, const char *name) {
        return n->type == XML_ELEMENT_NODE && streq((const char *) n->name, name);
}

/* Every attribute of n must be in the NULL-terminated list. */
static int check_attrs(parse_ctx *c, xmlNodePtr n, const char *const *allowed) {
        for (xmlAttrPtr a = n->properties; a; a = a->next) {
                bool ok = false;
                for (const char *const *p = allowed; *p && !ok; p++)
                        ok = streq((const char *) a->name, *p);
                if (!ok) {
                        char list[256] = "";
                        for (const char *const *p = allowed; *p; p++)
                                snprintf(list + strlen(list), sizeof list - strlen(list),
                                         "%s%s", p == allowed ? "" : ", ", *p);
                        return fail(c, n, "unknown attribute '%s' (valid: %s)",
                                    (const char *) a->name, *allowed ? list : "none");
                }
        }
        return 0;
}

#define ATTRS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NO_ATTRS ((const char *const[]){NULL})

static int get_attr(parse_ctx *c, xmlNodePtr n, const char *name, bool required,
                    xmlChar **ret) {
        *ret = xmlGetProp(n, (const xmlChar *) name);
        if (!*ret && required)
                return fail(c, n, "attribute '%s' is missing", name);
        return 0;
}

static int parse_uint(parse_ctx *c, xmlNodePtr n, const char *name, bool required,
                      unsigned long max, long *ret) {
        _cleanup_xmlfree_ xmlChar *v = NULL;
        int r = get_attr(c, n, name, required, &v);
        if (r < 0)
                return r;
        if (!v) {
                *ret = -1;
                return 0;
        }
        char *end;
        errno = 0;
        unsigned long u = strtoul((const char *) v, &end, 10);
        if (!*v || *end || v[0] == '-' || v[0] == '+' || errno)
                return fail(c, n, "attribute '%s': '%s' is not an unsigned integer", name, v);
        if (u > max)
                return fail(c, n, "attribute '%s': %lu is out of range (valid: 0-%lu)", name,
                            u, max);
        *ret = (long) u;
        return 0;
}

/* attribute value must be one of a string table's entries */
#define PARSE_ENUM(c, n, attr, table, out)                                                         \
        ({                                                                                         \
                _cleanup_xmlfree_ xmlChar *_v = xmlGetProp((n), (const xmlChar *) (attr));         \
                int _r = 0;                                                                        \
                if (_v) {                                                                          \
                        int _x = (int) table##_from_string((const char *) _v);                     \
                        if (_x < 0)                                                                \
                                _r = fail((c), (n), "attribute '%s': unknown value '%s'", (attr),  \
                                          (const char *) _v);                                      \
                        else                                                                       \
                                (out) = _x;                                                        \
                }                                                                                  \
                _r;                                                                                \
        })

static int parse_bool_attr(parse_ctx *c, xmlNodePtr n, const char *attr, const char *yes,
                           const char *no, kn_tristate *out) {
        _cleanup_xmlfree_ xmlChar *v = xmlGetProp(n, (const xmlChar *) attr);
        if (!v)
                return 0;
        if (streq((const char *) v, yes))
                *out = KN_YES;
        else if (streq((const char *) v, no))
                *out = KN_NO;
        else
                return fail(c, n, "attribute '%s': '%s' is not '%s' or '%s'", attr, v, yes, no);
        return 0;
}

/* Children that are neither elements nor blank text are errors. */
static int check_text(parse_ctx *c, xmlNodePtr parent, xmlNodePtr n) {
        if (n->type == XML_TEXT_NODE) {
                _cleanup_xmlfree_ xmlChar *t = xmlNodeGetContent(n);
                for (const xmlChar *p = t; p && *p; p++)
                        if (!strchr(" \t\r\n", *p))
                                return fail(c, parent, "unexpected text '%.20s'", (char *) t);
        }
        return 0;
}

#define FOREACH_CHILD(c, parent, n, r)                                                             \
        for (xmlNodePtr n = (parent)->children; n; n = n->next)                                    \
                if (((r) = check_text((c), (parent), n)) < 0)                                      \
                        return (r);                                                                \
                else if (n->type != XML_ELEMENT_NODE)                                              \
                        continue;                                                                  \
                else

static int unexpected(parse_ctx *c, xmlNodePtr parent, xmlNodePtr n, const char *valid) {
        return fail(c, n, "not expected inside <%s> (valid there: %s)",
                    (const char *) parent->name, valid);
}

static int no_children(parse_ctx *c, xmlNodePtr n) {
        int r;
        FOREACH_CHILD(c, n, child, r) return unexpected(c, n, child, "nothing");
        return 0;
}

static int parse_protocol(parse_ctx *c, xmlNodePtr n, kn_iface *i) {
        _cleanup_xmlfree_ xmlChar *fam = NULL;
        int r = check_attrs(c, n, ATTRS("family"));
        if (r < 0 || (r = get_attr(c, n, "family", true, &fam)) < 0)
                return r;
        bool v6 = streq((const char *) fam, "ipv6");
        if (!v6 && !streq((const char *) fam, "ipv4"))
                return fail(c, n, "attribute 'family': unknown value '%s' (valid: ipv4, ipv6)",
                            fam);
        kn_protocol *p = v6 ? &i->ipv6 : &i->ipv4;
        if (p->present)
                return fail(c, n, "a second <protocol family='%s'>", fam);
        p->present = true;

        const char *valid = v6 ? "autoconf, dhcp, ip, route" : "dhcp, ip, route";
        FOREACH_CHILD(c, n, e, r) {
                if (is_element(e, "dhcp")) {
                        if (p->dhcp)
                                return fail(c, e, "given twice");
                        p->dhcp = true;
                        if ((r = check_attrs(c, e, ATTRS("peerdns"))) < 0 ||
                            (r = parse_bool_attr(c, e, "peerdns", "yes", "no", &p->peerdns)) < 0 ||
                            (r = no_children(c, e)) < 0)
                                return r;
                } else if (v6 && is_element(e, "autoconf")) {
                        if (p->autoconf)
                                return fail(c, e, "given twice");
                        p->autoconf = true;
                        if ((r = check_attrs(c, e, NO_ATTRS)) < 0 || (r = no_children(c, e)) < 0)
                                return r;
                } else if (is_element(e, "ip")) {
                        _cleanup_xmlfree_ xmlChar *addr = NULL;
                        long prefix;
                        kn_error sub = {0};
                        if ((r = check_attrs(c, e, ATTRS("address", "prefix"))) < 0 ||
                            (r = get_attr(c, e, "address", true, &addr)) < 0 ||
                            (r = parse_uint(c, e, "prefix", false, v6 ? 128 : 32, &prefix)) < 0 ||
                            (r = no_children(c, e)) < 0)
                                return r;
                        if (kn_protocol_add_ip(p, v6 ? AF_INET6 : AF_INET, (const char *) addr,
                                               (int) prefix, &sub) < 0)
                                return fail(c, e, "attribute 'address': %s", sub.message);
                } else if (is_element(e, "route")) {
                        _cleanup_xmlfree_ xmlChar *gw = NULL;
                        if (p->gateway[0])
                                return fail(c, e, "only one <route> per protocol");
                        if ((r = check_attrs(c, e, ATTRS("gateway"))) < 0 ||
                            (r = get_attr(c, e, "gateway", true, &gw)) < 0 ||
                            (r = no_children(c, e)) < 0)
                                return r;
                        if (kn_ip_canonical(v6 ? AF_INET6 : AF_INET, (const char *) gw,
                                            p->gateway) < 0)
                                return fail(c, e, "attribute 'gateway': '%s' is not an %s address",
                                            gw, v6 ? "IPv6" : "IPv4");
                } else
                        return unexpected(c, n, e, valid);
        }
        return 0;
}

static int parse_iface(parse_ctx *c, xmlNodePtr n, iface_role role, kn_iface **ret);

static int parse_bridge(parse_ctx *c, xmlNodePtr n, kn_iface *i) {
        int r = check_attrs(c, n, ATTRS("stp", "delay"));
        if (r < 0 || (r = parse_bool_attr(c, n, "stp", "on", "off", &i->stp)) < 0)
                return r;
        _cleanup_xmlfree_ xmlChar *delay = xmlGetProp(n, (const xmlChar *) "delay");
        if (delay) {
                char *end;
                errno = 0;
                double d = strtod((const char *) delay, &end);
                if (!*delay || *end || errno || d < 0 || !isfinite(d))
                        return fail(c, n,
                                    "attribute 'delay': '%s' is not a number of seconds >= 0",
                                    delay);
                i->delay = d;
        }
        FOREACH_CHILD(c, n, e, r) {
                kn_iface *port;
                if (!is_element(e, "interface"))
                        return unexpected(c, n, e, "interface");
                if ((r = parse_iface(c, e, ROLE_BRIDGE_PORT, &port)) < 0)
                        return r;
                kn_iface_add_child(i, port);
        }
        return 0;
}

static int parse_bond(parse_ctx *c, xmlNodePtr n, kn_iface *i) {
        long v;
        int r = check_attrs(c, n, ATTRS("mode"));
        if (r < 0 || (r = PARSE_ENUM(c, n, "mode", kn_bond_mode, i->bond_mode)) < 0)
                return r;
        FOREACH_CHILD(c, n, e, r) {
                bool mii = is_element(e, "miimon"), arp = is_element(e, "arpmon");
                if ((mii || arp) && i->monitor != KN_MON_NONE)
                        return fail(c, e, "a bond has at most one <miimon> or <arpmon>");
                if (mii) {
                        i->monitor = KN_MON_MIIMON;
                        if ((r = check_attrs(c, e,
                                             ATTRS("freq", "downdelay", "updelay", "carrier"))) <
                                    0 ||
                            (r = parse_uint(c, e, "freq", true, INT_MAX, &v)) < 0)
                                return r;
                        i->miimon_freq = (unsigned) v;
                        if ((r = parse_uint(c, e, "downdelay", false, INT_MAX,
                                            &i->miimon_downdelay)) < 0 ||
                            (r = parse_uint(c, e, "updelay", false, INT_MAX,
                                            &i->miimon_updelay)) < 0 ||
                            (r = PARSE_ENUM(c, e, "carrier", kn_miimon_carrier,
                                            i->miimon_carrier)) < 0 ||
                            (r = no_children(c, e)) < 0)
                                return r;
                } else if (arp) {
                        _cleanup_xmlfree_ xmlChar *target = NULL;
                        i->monitor = KN_MON_ARPMON;
                        if ((r = check_attrs(c, e, ATTRS("interval", "target", "validate"))) < 0 ||
                            (r = parse_uint(c, e, "interval", true, INT_MAX, &v)) < 0 ||
                            (r = get_attr(c, e, "target", true, &target)) < 0)
                                return r;
                        i->arpmon_interval = (unsigned) v;
                        char canon[46];
                        if (kn_ip_canonical(AF_INET, (const char *) target, canon) < 0)
                                return fail(c, e, "attribute 'target': '%s' is not an IPv4 address",
                                            target);
                        snprintf(i->arpmon_target, sizeof i->arpmon_target, "%s", canon);
                        if ((r = PARSE_ENUM(c, e, "validate", kn_arp_validate,
                                            i->arpmon_validate)) < 0 ||
                            (r = no_children(c, e)) < 0)
                                return r;
                } else if (is_element(e, "interface")) {
                        kn_iface *slave;
                        if ((r = parse_iface(c, e, ROLE_BOND_SLAVE, &slave)) < 0)
                                return r;
                        kn_iface_add_child(i, slave);
                } else
                        return unexpected(c, n, e, "miimon, arpmon, interface");
        }
        if (i->n_children == 0)
                return fail(c, n, "a bond needs at least one slave <interface>");
        return 0;
}

static int parse_vlan(parse_ctx *c, xmlNodePtr n, kn_iface *i) {
        long tag;
        int r = check_attrs(c, n, ATTRS("tag"));
        if (r < 0 || (r = parse_uint(c, n, "tag", true, 4095, &tag)) < 0)
                return r;
        i->vlan_tag = (int) tag;
        FOREACH_CHILD(c, n, e, r) {
                _cleanup_xmlfree_ xmlChar *parent = NULL;
                kn_error sub = {0};
                if (!is_element(e, "interface"))
                        return unexpected(c, n, e, "interface");
                if (i->vlan_parent[0])
                        return fail(c, e, "a vlan has exactly one parent <interface>");
                if ((r = check_attrs(c, e, ATTRS("name"))) < 0 ||
                    (r = get_attr(c, e, "name", true, &parent)) < 0 || (r = no_children(c, e)) < 0)
                        return r;
                if (kn_ifname_validate((const char *) parent, &sub) < 0)
                        return fail(c, e, "attribute 'name': %s", sub.message);
                snprintf(i->vlan_parent, sizeof i->vlan_parent, "%s", (const char *) parent);
        }
        if (!i->vlan_parent[0])
                return fail(c, n, "the parent <interface name='...'/> is missing");
        return 0;
}

static int parse_link(parse_ctx *c, xmlNodePtr n, kn_iface *i) {
        long speed;
        int r = check_attrs(c, n, ATTRS("speed", "state"));
        if (r < 0 || (r = parse_uint(c, n, "speed", false, UINT_MAX, &speed)) < 0 ||
            (r = PARSE_ENUM(c, n, "state", kn_link_state, i->link_state)) < 0)
                return r;
        i->link_speed = speed < 0 ? 0 : (unsigned) speed;
        return no_children(c, n);
}

static int parse_iface_child(parse_ctx *c, xmlNodePtr n, xmlNodePtr e, iface_role role,
                             kn_iface *i, unsigned *seen) {
        static const char *const singles[] = {"start", "mac", "mtu", "link", "bridge", "bond",
                                              "vlan"};
        long v;
        int r;

        for (size_t k = 0; k < ELEMENTSOF(singles); k++)
                if (is_element(e, singles[k])) {
                        if (*seen & (1u << k))
                                return fail(c, e, "given twice");
                        *seen |= 1u << k;
                }

        bool top = role == ROLE_TOP;
        if (top && is_element(e, "start")) {
                if ((r = check_attrs(c, e, ATTRS("mode"))) < 0)
                        return r;
                _cleanup_xmlfree_ xmlChar *mode = NULL;
                if ((r = get_attr(c, e, "mode", true, &mode)) < 0 ||
                    (r = PARSE_ENUM(c, e, "mode", kn_start_mode, i->start)) < 0)
                        return r;
                return no_children(c, e);
        }
        if (is_element(e, "mac") && i->type == KN_IFACE_ETHERNET) {
                _cleanup_xmlfree_ xmlChar *mac = NULL;
                if ((r = check_attrs(c, e, ATTRS("address"))) < 0 ||
                    (r = get_attr(c, e, "address", true, &mac)) < 0)
                        return r;
                if (kn_mac_parse((const char *) mac, i->mac) < 0)
                        return fail(c, e, "attribute 'address': '%s' is not a MAC address "
                                    "(valid: six hex pairs like 52:54:00:12:34:56)", mac);
                return no_children(c, e);
        }
        if (top && is_element(e, "mtu")) {
                if ((r = check_attrs(c, e, ATTRS("size"))) < 0 ||
                    (r = parse_uint(c, e, "size", true, 65535, &v)) < 0)
                        return r;
                i->mtu = (unsigned) v;
                return no_children(c, e);
        }
        /* interface.rng has <link> on ethernet, vlan and bond, not bridge */
        if (is_element(e, "link") && i->type != KN_IFACE_BRIDGE)
                return parse_link(c, e, i);
        if (top && is_element(e, "protocol"))
                return parse_protocol(c, e, i);
        if (i->type == KN_IFACE_BRIDGE && is_element(e, "bridge"))
                return parse_bridge(c, e, i);
        if (i->type == KN_IFACE_BOND && is_element(e, "bond"))
                return parse_bond(c, e, i);
        if (i->type == KN_IFACE_VLAN && is_element(e, "vlan"))
                return parse_vlan(c, e, i);

        if (!top && (is_element(e, "start") || is_element(e, "mtu") || is_element(e, "protocol")))
                return fail(c, e, "not allowed on a %s; configure it on the %s instead",
                            role == ROLE_BOND_SLAVE ? "bond slave" : "bridge port",
                            role == ROLE_BOND_SLAVE ? "bond" : "bridge");
        static const char *const valid[_KN_IFACE_TYPE_MAX] = {
                [KN_IFACE_ETHERNET] = "start, mac, mtu, link, protocol",
                [KN_IFACE_BRIDGE] = "start, mtu, protocol, bridge",
                [KN_IFACE_BOND] = "start, mtu, link, protocol, bond",
                [KN_IFACE_VLAN] = "start, mtu, link, protocol, vlan",
        };
        return fail(c, e, "not expected in a %s interface (valid there: %s)",
                    kn_iface_type_to_string(i->type), valid[i->type]);
}

static int parse_iface(parse_ctx *c, xmlNodePtr n, iface_role role, kn_iface **ret) {
        _cleanup_xmlfree_ xmlChar *type = NULL, *name = NULL;
        int r = check_attrs(c, n, ATTRS("type", "name"));
        if (r < 0 || (r = get_attr(c, n, "type", true, &type)) < 0)
                return r;
        kn_iface_type t = kn_iface_type_from_string((const char *) type);
        if (t < 0)
                return fail(c, n,
                            "attribute 'type': unknown type '%s' (valid: ethernet, bridge, bond, "
                            "vlan)",
                            type);
        if (role == ROLE_BOND_SLAVE && t != KN_IFACE_ETHERNET)
                return fail(c, n, "a bond slave must be of type 'ethernet', not '%s'", type);
        if (role == ROLE_BRIDGE_PORT && t == KN_IFACE_BRIDGE)
                return fail(c, n, "a bridge cannot be a port of another bridge");
        if ((r = get_attr(c, n, "name", t != KN_IFACE_VLAN, &name)) < 0)
                return r;
        if (name) {
                kn_error sub = {0};
                if (kn_ifname_validate((const char *) name, &sub) < 0)
                        return fail(c, n, "attribute 'name': %s", sub.message);
        }

        _cleanup_iface_ kn_iface *i = kn_iface_new(t, (const char *) name);
        unsigned seen = 0;
        FOREACH_CHILD(c, n, e, r) {
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
                        found = is_element(e, required[t]);
                if (!found)
                        return fail(c, n, "a %s interface needs a <%s> element", type,
                                    required[t]);
        }
        *ret = TAKE_PTR(i);
        return 0;
}

int kn_iface_parse_xml(const char *xml, size_t len, const char *source, kn_iface **ret,
                       kn_error *err) {
        parse_ctx c = {.source = source ? source : "<input>", .err = err};
        xmlParserCtxtPtr pctx = xmlNewParserCtxt();
        if (!pctx)
                return kn_error_set(err, ENOMEM, "%s: out of memory", c.source);
        /* NONET: never fetch anything; no NOENT: entities are not expanded. */
        _cleanup_(xml_doc_freep) xmlDocPtr doc =
                xmlCtxtReadMemory(pctx, xml, (int) len, c.source, NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        if (!doc) {
                const xmlError *e = xmlCtxtGetLastError(pctx);
                int r = kn_error_set(err, EINVAL, "%s:%d: malformed XML: %s", c.source,
                                     e ? e->line : 0, e && e->message ? e->message : "unknown");
                /* libxml2 messages end in a newline. */
                if (err && err->message[0] && err->message[strlen(err->message) - 1] == '\n')
                        err->message[strlen(err->message) - 1] = '\0';
                xmlFreeParserCtxt(pctx);
                return r;
        }
        xmlFreeParserCtxt(pctx);
        if (doc->intSubset)
                return kn_error_set(err, EINVAL, "%s: a DOCTYPE is not accepted", c.source);
        xmlNodePtr root = xmlDocGetRootElement(doc);
        if (!root || !is_element(root, "interface"))
                return kn_error_set(err, EINVAL, "%s:%ld: the document element must be <interface>, not <%s>",
                                    c.source, root ? xmlGetLineNo(root) : 0,
                                    root ? (const char *) root->name : "");
        return parse_iface(&c, root, ROLE_TOP, ret);
}
