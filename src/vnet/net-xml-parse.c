/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt <network> XML -> model, with the strict-XML walker: what the
 * table below does not name is refused with its file and line, because a
 * dropped <forward> or <dhcp> is a network that behaves differently than
 * its author wrote. */
#include <arpa/inet.h>
#include <ctype.h>

#include "kvmnet/iface.h"
#include "kvmnet/vnet.h"
#include "macro.h"
#include "net-private.h"
#include "xml-walk.h"

#define L(...) ((const char *const[]){__VA_ARGS__, NULL})
static const kn_xml_rule rules[] = {
        {.where = "network",
         .children = L("name", "uuid", "forward", "bridge", "mac", "mtu", "domain", "ip", "dns"),
         .repeat = L("ip")},
        {.where = "name"},
        {.where = "uuid"},
        {.where = "forward", .attrs = L("mode", "dev"), .children = L("nat")},
        {.where = "nat", .children = L("port")},
        {.where = "port", .attrs = L("start", "end")},
        {.where = "bridge", .attrs = L("name", "stp", "delay")},
        {.where = "mac", .attrs = L("address")},
        {.where = "mtu", .attrs = L("size")},
        {.where = "domain", .attrs = L("name")},
        {.where = "ip",
         .attrs = L("address", "netmask", "prefix", "family"),
         .children = L("dhcp")},
        {.where = "dhcp", .children = L("range", "host"), .repeat = L("range", "host")},
        {.where = "range", .attrs = L("start", "end")},
        {.where = "dhcp/host", .attrs = L("mac", "name", "ip")},
        {.where = "dns", .children = L("host"), .repeat = L("host")},
        {.where = "dns/host", .attrs = L("ip"), .children = L("hostname"), .repeat = L("hostname")},
        {.where = "hostname"},
};
#undef L

/* A DNS name (<domain name>, <hostname>, a DHCP host's name): labels of
 * letters, digits and '-', dot separated.  It ends up in dnsmasq's files. */
static int check_dns_name(kn_xml *x, const xmlNode *e, const char *what, const char *s) {
        bool ok = !isempty(s) && strlen(s) <= 253 && s[0] != '.' && s[0] != '-';
        for (const char *p = s; ok && *p; p++)
                ok = isalnum((unsigned char) *p) || *p == '-' || (*p == '.' && p[1] != '.');
        if (!ok)
                return kn_xml_fail(x, e,
                                   "%s '%s' is not a DNS name (valid: letters, digits, '-' and "
                                   "'.', at most 253)",
                                   what, s ? s : "");
        return 0;
}

static int text_of(kn_xml *x, const xmlNode *e, char **ret) {
        for (xmlNode *c = e->children; c; c = c->next)
                if (c->type == XML_ELEMENT_NODE)
                        return kn_xml_unexpected(x, e, c, "text only");
        *ret = kn_xml_text(e);
        if (isempty(*ret))
                return kn_xml_fail(x, e, "is empty");
        return 0;
}

static int parse_forward(kn_xml *x, const xmlNode *e, kn_net *n) {
        _cleanup_free_ char *mode = kn_xml_prop(e, "mode");
        /* <forward/> without a mode is NAT, as in libvirt's own default */
        n->forward = mode ? kn_net_forward_from_string(mode) : KN_NET_NAT;
        if ((int) n->forward < 0)
                return kn_xml_fail(x, e,
                                   "attribute 'mode': '%s' is not supported (valid: nat, route, "
                                   "open; no <forward> for an isolated network)",
                                   mode);
        int r = kn_xml_attr(x, e, "dev", false, &n->forward_dev);
        if (r < 0)
                return r;
        if (n->forward_dev) {
                kn_error sub = {0};
                if (kn_ifname_validate(n->forward_dev, NULL, &sub) < 0)
                        return kn_xml_fail(x, e, "attribute 'dev': %s", sub.message);
        }
        xmlNode *nat = kn_xml_child(x, e, "nat");
        if (nat && n->forward != KN_NET_NAT)
                return kn_xml_fail(x, nat, "only with <forward mode='nat'>");
        xmlNode *port = kn_xml_child(x, nat, "port");
        if (port) {
                long s, t;
                if ((r = kn_xml_attr_uint(x, port, "start", true, 1, 65535, &s)) < 0 ||
                    (r = kn_xml_attr_uint(x, port, "end", true, 1, 65535, &t)) < 0)
                        return r;
                if (s > t)
                        return kn_xml_fail(x, port, "start %ld is after end %ld", s, t);
                n->port_start = (unsigned) s;
                n->port_end = (unsigned) t;
        }
        return 0;
}

static int parse_bridge(kn_xml *x, const xmlNode *e, kn_net *n) {
        _cleanup_free_ char *name = NULL;
        long delay;
        int r = kn_xml_attr(x, e, "name", false, &name);
        if (r < 0 || (r = kn_xml_attr_onoff(x, e, "stp", &n->stp)) < 0 ||
            (r = kn_xml_attr_uint(x, e, "delay", false, 0, 255, &delay)) < 0)
                return r;
        n->delay = delay;
        if (name) {
                kn_error sub = {0};
                if (kn_ifname_validate(name, "bridge", &sub) < 0)
                        return kn_xml_fail(x, e, "attribute 'name': %s", sub.message);
                snprintf(n->bridge, sizeof n->bridge, "%s", name);
        }
        return 0;
}

static int parse_range(kn_xml *x, const xmlNode *e, kn_net_ip *ip) {
        kn_xml_ip s, t;
        int r = kn_xml_attr_ip(x, e, "start", true, ip->family, &s);
        if (r < 0 || (r = kn_xml_attr_ip(x, e, "end", true, ip->family, &t)) < 0)
                return r;
        ip->ranges = kn_xrealloc(ip->ranges, (ip->n_ranges + 1) * sizeof *ip->ranges);
        kn_net_range *g = &ip->ranges[ip->n_ranges++];
        snprintf(g->start, sizeof g->start, "%s", s.text);
        snprintf(g->end, sizeof g->end, "%s", t.text);
        return 0;
}

int kn_net_parse_dhcp_host(kn_xml *x, const xmlNode *e, int family, kn_net_dhcp_host *h) {
        kn_xml_ip a;
        *h = (kn_net_dhcp_host){0};
        int r = kn_xml_attr_mac(x, e, "mac", false, h->mac, &h->has_mac);
        if (r < 0 || (r = kn_xml_attr(x, e, "name", false, &h->name)) < 0 ||
            (r = kn_xml_attr_ip(x, e, "ip", true, family, &a)) < 0)
                goto fail;
        snprintf(h->ip, sizeof h->ip, "%s", a.text);
        if (h->has_mac && kn_mac_is_multicast(h->mac)) {
                r = kn_xml_fail(x, e, "attribute 'mac': a multicast MAC cannot be a host's");
                goto fail;
        }
        if (!h->has_mac && !h->name) {
                r = kn_xml_fail(x, e, "needs mac='...' or name='...' to know the guest");
                goto fail;
        }
        if (h->name && (r = check_dns_name(x, e, "name", h->name)) < 0)
                goto fail;
        return 0;
fail:
        free(h->name);
        h->name = NULL;
        return r;
}

static int parse_dhcp(kn_xml *x, const xmlNode *e, kn_net_ip *ip) {
        int r;
        ip->dhcp = true;
        KN_XML_FOREACH_CHILD(x, e, c, r) {
                if (kn_xml_is(c, "range")) {
                        if ((r = parse_range(x, c, ip)) < 0)
                                return r;
                } else {
                        kn_net_dhcp_host h;
                        if ((r = kn_net_parse_dhcp_host(x, c, ip->family, &h)) < 0)
                                return r;
                        ip->hosts = kn_xrealloc(ip->hosts, (ip->n_hosts + 1) * sizeof *ip->hosts);
                        ip->hosts[ip->n_hosts++] = h;
                }
        }
        return 0;
}

static int parse_ip(kn_xml *x, const xmlNode *e, kn_net *n) {
        _cleanup_free_ char *family = kn_xml_prop(e, "family");
        int want = AF_UNSPEC;
        if (family && !streq(family, "ipv4") && !streq(family, "ipv6"))
                return kn_xml_fail(x, e, "attribute 'family': '%s' is not ipv4 or ipv6", family);
        if (family)
                want = streq(family, "ipv6") ? AF_INET6 : AF_INET;
        kn_xml_ip a, mask = {0};
        long prefix = -1;
        int r = kn_xml_attr_ip(x, e, "address", true, want, &a);
        if (r < 0 || (r = kn_xml_attr_ip(x, e, "netmask", false, AF_INET, &mask)) < 0 ||
            (r = kn_xml_attr_uint(x, e, "prefix", false, 1, a.family == AF_INET ? 32 : 128,
                                  &prefix)) < 0)
                return r;
        n->ips = kn_xrealloc(n->ips, (n->n_ips + 1) * sizeof *n->ips);
        kn_net_ip *ip = &n->ips[n->n_ips++];
        *ip = (kn_net_ip){.family = a.family};
        snprintf(ip->address, sizeof ip->address, "%s", a.text);
        if (mask.family && prefix >= 0)
                return kn_xml_fail(x, e, "give netmask= or prefix=, not both");
        if (mask.family) {
                if (a.family != AF_INET)
                        return kn_xml_fail(x, e, "netmask= is for IPv4; give prefix= for IPv6");
                uint32_t m = ntohl(*(uint32_t *) (void *) mask.addr);
                unsigned p = (unsigned) __builtin_popcount(m);
                if (p == 0 || (p < 32 && m != ~0u << (32 - p)))
                        return kn_xml_fail(x, e, "attribute 'netmask': '%s' is not a netmask",
                                           mask.text);
                ip->prefix = p;
                ip->netmask = true;
        } else if (prefix >= 0)
                ip->prefix = (unsigned) prefix;
        else if (a.family == AF_INET6)
                ip->prefix = 64;
        else
                return kn_xml_fail(x, e, "an IPv4 <ip> needs netmask= or prefix=");
        xmlNode *dhcp = kn_xml_child(x, e, "dhcp");
        return dhcp ? parse_dhcp(x, dhcp, ip) : 0;
}

/* The <hostname>s of a <host> into d.  The walk returns early on stray
 * text between them, so the caller frees what was collected. */
static int dns_hostnames(kn_xml *x, const xmlNode *e, kn_net_dns_host *d) {
        int r;
        KN_XML_FOREACH_CHILD(x, e, c, r) {
                char *name = NULL;
                if ((r = text_of(x, c, &name)) < 0 ||
                    (r = check_dns_name(x, c, "hostname", name)) < 0) {
                        free(name);
                        return r;
                }
                d->hostnames = kn_xrealloc(d->hostnames, (d->n_hostnames + 1) * sizeof(char *));
                d->hostnames[d->n_hostnames++] = name;
        }
        return 0;
}

int kn_net_parse_dns_host(kn_xml *x, const xmlNode *e, kn_net_dns_host *d) {
        kn_xml_ip a;
        *d = (kn_net_dns_host){0};
        int r = kn_xml_attr_ip(x, e, "ip", true, AF_UNSPEC, &a);
        if (r < 0)
                return r;
        snprintf(d->ip, sizeof d->ip, "%s", a.text);
        r = dns_hostnames(x, e, d);
        if (r < 0) {
                kn_strv_free(d->hostnames, d->n_hostnames);
                *d = (kn_net_dns_host){0};
                return r;
        }
        if (d->n_hostnames == 0)
                return kn_xml_fail(x, e, "needs at least one <hostname>");
        return 0;
}

static int parse_dns(kn_xml *x, const xmlNode *e, kn_net *n) {
        int r;
        KN_XML_FOREACH_CHILD(x, e, c, r) {
                kn_net_dns_host d;
                if ((r = kn_net_parse_dns_host(x, c, &d)) < 0)
                        return r;
                n->dns_hosts = kn_xrealloc(n->dns_hosts, (n->n_dns_hosts + 1) * sizeof d);
                n->dns_hosts[n->n_dns_hosts++] = d;
        }
        return 0;
}

static int parse_child(kn_xml *x, const xmlNode *e, kn_net *n) {
        int r;
        long v;
        if (kn_xml_is(e, "name")) {
                if ((r = text_of(x, e, &n->name)) < 0)
                        return r;
                kn_error sub = {0};
                if (kn_object_name_validate(n->name, "network", &sub) < 0)
                        return kn_xml_fail(x, e, "%s", sub.message);
                return 0;
        }
        if (kn_xml_is(e, "uuid")) {
                _cleanup_free_ char *s = NULL;
                if ((r = text_of(x, e, &s)) < 0)
                        return r;
                if (kn_net_uuid_parse(s, n->uuid) < 0)
                        return kn_xml_fail(x, e,
                                           "'%s' is not a UUID (valid: 32 hex digits, e.g. "
                                           "c7a5fdbd-edaf-9455-926a-d65c16db1809)",
                                           s);
                return 0;
        }
        if (kn_xml_is(e, "forward"))
                return parse_forward(x, e, n);
        if (kn_xml_is(e, "bridge"))
                return parse_bridge(x, e, n);
        if (kn_xml_is(e, "mac")) {
                if ((r = kn_xml_attr_mac(x, e, "address", true, n->mac, &n->has_mac)) < 0)
                        return r;
                if (kn_mac_is_multicast(n->mac))
                        return kn_xml_fail(x, e, "attribute 'address': a multicast MAC");
                return 0;
        }
        if (kn_xml_is(e, "mtu")) {
                if ((r = kn_xml_attr_uint(x, e, "size", true, 68, 65535, &v)) < 0)
                        return r;
                n->mtu = (unsigned) v;
                return 0;
        }
        if (kn_xml_is(e, "domain")) {
                if ((r = kn_xml_attr(x, e, "name", true, &n->domain)) < 0)
                        return r;
                return check_dns_name(x, e, "attribute 'name':", n->domain);
        }
        if (kn_xml_is(e, "ip"))
                return parse_ip(x, e, n);
        return parse_dns(x, e, n);
}

int kn_net_parse_xml(const char *xml, size_t len, const char *source, kn_net **ret, kn_error *err) {
        kn_xml x = {.source = source ? source : "<input>", .err = err};
        _cleanup_xmldoc_ xmlDoc *doc = NULL;
        int r = kn_xml_read(&x, xml, len, &doc);
        if (r < 0)
                return r;
        xmlNode *root = xmlDocGetRootElement(doc);
        if (!root || !kn_xml_is(root, "network"))
                return kn_error_set(err, EINVAL,
                                    "%s:%ld: the document element must be <network>, not <%s>",
                                    x.source, root ? xmlGetLineNo(root) : 0,
                                    root ? (const char *) root->name : "");
        if ((r = kn_xml_check_tree(&x, root, rules, ELEMENTSOF(rules))) < 0)
                return r;
        _cleanup_net_ kn_net *n = kn_net_new(NULL);
        bool has_uuid = false;
        for (xmlNode *e = root->children; e; e = e->next) {
                if ((r = kn_xml_check_text(&x, root, e)) < 0)
                        return r;
                if (e->type != XML_ELEMENT_NODE)
                        continue;
                has_uuid |= kn_xml_is(e, "uuid");
                if ((r = parse_child(&x, e, n)) < 0)
                        return r;
        }
        if (!n->name)
                return kn_xml_fail(&x, root, "<name> is missing");
        if (!has_uuid)
                kn_net_uuid_generate(n->uuid);
        if ((r = kn_net_validate(n, err)) < 0) {
                kn_error_prefix(err, "%s", x.source);
                return r;
        }
        *ret = TAKE_PTR(n);
        return 0;
}
