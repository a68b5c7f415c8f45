/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* model -> libvirt/netcf interface XML.  Built with a string buffer, not a
 * DOM: listing 10,000 interfaces must cost microseconds each.  Only what
 * the model holds is printed, so user XML round-trips. */

#include <stdlib.h>

#include "kvmnet/iface.h"
#include "strbuf.h"

static void indent(kn_strbuf *b, int level) {
        for (int k = 0; k < level; k++)
                kn_strbuf_puts(b, "  ");
}

/* Shortest decimal that reads back as the same double (0.01, not
 * 0.010000000000000000208). */
static void put_double(kn_strbuf *b, double d) {
        char s[32];
        for (int prec = 1; prec <= 17; prec++) {
                snprintf(s, sizeof s, "%.*g", prec, d);
                if (strtod(s, NULL) == d)
                        break;
        }
        kn_strbuf_puts(b, s);
}

static void put_attr(kn_strbuf *b, const char *name, const char *value) {
        kn_strbuf_printf(b, " %s='", name);
        kn_strbuf_put_xml(b, value);
        kn_strbuf_putc(b, '\'');
}

static void format_protocol(kn_strbuf *b, const kn_protocol *p, const char *family, int level) {
        if (!p->present)
                return;
        indent(b, level);
        bool empty = !p->dhcp && !p->autoconf && !p->n_ips && !p->gateway[0];
        kn_strbuf_printf(b, "<protocol family='%s'%s>\n", family, empty ? "/" : "");
        if (empty)
                return;
        if (p->autoconf) {
                indent(b, level + 1);
                kn_strbuf_puts(b, "<autoconf/>\n");
        }
        if (p->dhcp) {
                indent(b, level + 1);
                kn_strbuf_puts(b, "<dhcp");
                if (p->peerdns)
                        put_attr(b, "peerdns", p->peerdns == KN_YES ? "yes" : "no");
                kn_strbuf_puts(b, "/>\n");
        }
        for (size_t k = 0; k < p->n_ips; k++) {
                indent(b, level + 1);
                kn_strbuf_puts(b, "<ip");
                put_attr(b, "address", p->ips[k].address);
                if (p->ips[k].prefix >= 0)
                        kn_strbuf_printf(b, " prefix='%d'", p->ips[k].prefix);
                kn_strbuf_puts(b, "/>\n");
        }
        if (p->gateway[0]) {
                indent(b, level + 1);
                kn_strbuf_puts(b, "<route");
                put_attr(b, "gateway", p->gateway);
                kn_strbuf_puts(b, "/>\n");
        }
        indent(b, level);
        kn_strbuf_puts(b, "</protocol>\n");
}

static void format_iface(kn_strbuf *b, const kn_iface *i, kn_xml_flags flags, int level);

static void format_children(kn_strbuf *b, const kn_iface *i, kn_xml_flags flags, int level) {
        for (size_t k = 0; k < i->n_children; k++)
                format_iface(b, i->children[k], flags, level);
}

static void format_bridge(kn_strbuf *b, const kn_iface *i, kn_xml_flags flags, int level) {
        indent(b, level);
        kn_strbuf_puts(b, "<bridge");
        if (i->stp)
                put_attr(b, "stp", i->stp == KN_YES ? "on" : "off");
        if (i->delay >= 0) {
                kn_strbuf_puts(b, " delay='");
                put_double(b, i->delay);
                kn_strbuf_putc(b, '\'');
        }
        if (!i->n_children) {
                kn_strbuf_puts(b, "/>\n");
                return;
        }
        kn_strbuf_puts(b, ">\n");
        format_children(b, i, flags, level + 1);
        indent(b, level);
        kn_strbuf_puts(b, "</bridge>\n");
}

static void format_bond(kn_strbuf *b, const kn_iface *i, kn_xml_flags flags, int level) {
        indent(b, level);
        kn_strbuf_puts(b, "<bond");
        if (i->bond_mode)
                put_attr(b, "mode", kn_bond_mode_to_string(i->bond_mode));
        kn_strbuf_puts(b, ">\n");
        if (i->monitor == KN_MON_MIIMON) {
                indent(b, level + 1);
                kn_strbuf_printf(b, "<miimon freq='%u'", i->miimon_freq);
                if (i->miimon_downdelay >= 0)
                        kn_strbuf_printf(b, " downdelay='%ld'", i->miimon_downdelay);
                if (i->miimon_updelay >= 0)
                        kn_strbuf_printf(b, " updelay='%ld'", i->miimon_updelay);
                if (i->miimon_carrier)
                        put_attr(b, "carrier", kn_miimon_carrier_to_string(i->miimon_carrier));
                kn_strbuf_puts(b, "/>\n");
        } else if (i->monitor == KN_MON_ARPMON) {
                indent(b, level + 1);
                kn_strbuf_printf(b, "<arpmon interval='%u'", i->arpmon_interval);
                put_attr(b, "target", i->arpmon_target);
                if (i->arpmon_validate)
                        put_attr(b, "validate", kn_arp_validate_to_string(i->arpmon_validate));
                kn_strbuf_puts(b, "/>\n");
        }
        format_children(b, i, flags, level + 1);
        indent(b, level);
        kn_strbuf_puts(b, "</bond>\n");
}

static void format_vlan(kn_strbuf *b, const kn_iface *i, int level) {
        indent(b, level);
        kn_strbuf_printf(b, "<vlan tag='%d'>\n", i->vlan_tag);
        indent(b, level + 1);
        kn_strbuf_puts(b, "<interface");
        put_attr(b, "name", i->vlan_parent);
        kn_strbuf_puts(b, "/>\n");
        indent(b, level);
        kn_strbuf_puts(b, "</vlan>\n");
}

static void format_iface(kn_strbuf *b, const kn_iface *i, kn_xml_flags flags, int level) {
        indent(b, level);
        kn_strbuf_printf(b, "<interface type='%s'", kn_iface_type_to_string(i->type));
        if (i->name[0])
                put_attr(b, "name", i->name);

        size_t mark = b->len;
        kn_strbuf_puts(b, ">\n");
        size_t body = b->len;
        if (i->start) {
                indent(b, level + 1);
                kn_strbuf_printf(b, "<start mode='%s'/>\n", kn_start_mode_to_string(i->start));
        }
        /* interface.rng has no <mac> for a bridge: its backends keep it
         * in a key of their own (iface-bridge gives a bridge its NIC's). */
        if (i->mac[0] && i->type != KN_IFACE_BRIDGE) {
                indent(b, level + 1);
                kn_strbuf_printf(b, "<mac address='%s'/>\n", i->mac);
        }
        if (i->mtu) {
                indent(b, level + 1);
                kn_strbuf_printf(b, "<mtu size='%u'/>\n", i->mtu);
        }
        if ((flags & KN_XML_LIVE) && i->type != KN_IFACE_BRIDGE &&
            (i->link_state || i->link_speed)) {
                indent(b, level + 1);
                kn_strbuf_puts(b, "<link");
                if (i->link_speed)
                        kn_strbuf_printf(b, " speed='%u'", i->link_speed);
                if (i->link_state)
                        put_attr(b, "state", kn_link_state_to_string(i->link_state));
                kn_strbuf_puts(b, "/>\n");
        }
        format_protocol(b, &i->ipv4, "ipv4", level + 1);
        format_protocol(b, &i->ipv6, "ipv6", level + 1);
        switch (i->type) {
        case KN_IFACE_BRIDGE: format_bridge(b, i, flags, level + 1); break;
        case KN_IFACE_BOND: format_bond(b, i, flags, level + 1); break;
        case KN_IFACE_VLAN: format_vlan(b, i, level + 1); break;
        default: break;
        }
        if (b->len == body) {
                /* Nothing inside: <interface .../> */
                b->len = mark;
                kn_strbuf_puts(b, "/>\n");
                return;
        }
        indent(b, level);
        kn_strbuf_puts(b, "</interface>\n");
}

char *kn_iface_format_xml(const kn_iface *i, kn_xml_flags flags) {
        kn_strbuf b = {0};
        format_iface(&b, i, flags, 0);
        return kn_strbuf_steal(&b);
}
