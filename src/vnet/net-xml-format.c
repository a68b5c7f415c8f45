/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* model -> libvirt <network> XML, in libvirt's order and quoting, so that
 * virt-xml-validate accepts it and a printed document parses back to the
 * same model. */
#include <arpa/inet.h>

#include "kvmnet/vnet.h"
#include "mac.h"
#include "net-private.h"
#include "strbuf.h"

void kn_net_format_dhcp_host(const kn_net_dhcp_host *h, const char *ind, void *strbuf) {
        kn_strbuf *b = strbuf;
        kn_strbuf_printf(b, "%s<host", ind);
        if (h->has_mac) {
                char mac[KN_MAC_STR];
                kn_mac_to_string(h->mac, mac);
                kn_strbuf_printf(b, " mac='%s'", mac);
        }
        if (h->name) {
                kn_strbuf_puts(b, " name='");
                kn_strbuf_put_xml(b, h->name);
                kn_strbuf_puts(b, "'");
        }
        kn_strbuf_printf(b, " ip='%s'/>\n", h->ip);
}

void kn_net_format_dns_host(const kn_net_dns_host *d, const char *ind, void *strbuf) {
        kn_strbuf *b = strbuf;
        kn_strbuf_printf(b, "%s<host ip='%s'>\n", ind, d->ip);
        for (size_t k = 0; k < d->n_hostnames; k++) {
                kn_strbuf_printf(b, "%s  <hostname>", ind);
                kn_strbuf_put_xml(b, d->hostnames[k]);
                kn_strbuf_puts(b, "</hostname>\n");
        }
        kn_strbuf_printf(b, "%s</host>\n", ind);
}

static void format_forward(const kn_net *n, kn_strbuf *b) {
        if (n->forward == KN_NET_ISOLATED)
                return;
        kn_strbuf_printf(b, "  <forward mode='%s'", kn_net_forward_to_string(n->forward));
        if (n->forward_dev) {
                kn_strbuf_puts(b, " dev='");
                kn_strbuf_put_xml(b, n->forward_dev);
                kn_strbuf_puts(b, "'");
        }
        if (!n->port_start) {
                kn_strbuf_puts(b, "/>\n");
                return;
        }
        kn_strbuf_printf(b,
                         ">\n    <nat>\n      <port start='%u' end='%u'/>\n    </nat>\n"
                         "  </forward>\n",
                         n->port_start, n->port_end);
}

static void format_ip(const kn_net_ip *ip, kn_strbuf *b) {
        kn_strbuf_printf(b, "  <ip%s address='%s'", ip->family == AF_INET6 ? " family='ipv6'" : "",
                         ip->address);
        if (ip->netmask) {
                uint32_t m = ip->prefix ? htonl(~0u << (32 - ip->prefix)) : 0;
                char mask[INET_ADDRSTRLEN];
                inet_ntop(AF_INET, &m, mask, sizeof mask);
                kn_strbuf_printf(b, " netmask='%s'", mask);
        } else
                kn_strbuf_printf(b, " prefix='%u'", ip->prefix);
        if (!ip->dhcp) {
                kn_strbuf_puts(b, "/>\n");
                return;
        }
        kn_strbuf_puts(b, ">\n    <dhcp>\n");
        for (size_t k = 0; k < ip->n_ranges; k++)
                kn_strbuf_printf(b, "      <range start='%s' end='%s'/>\n", ip->ranges[k].start,
                                 ip->ranges[k].end);
        for (size_t k = 0; k < ip->n_hosts; k++)
                kn_net_format_dhcp_host(&ip->hosts[k], "      ", b);
        kn_strbuf_puts(b, "    </dhcp>\n  </ip>\n");
}

char *kn_net_format_xml(const kn_net *n) {
        _cleanup_strbuf_ kn_strbuf b = {0};
        char uuid[37];
        kn_net_uuid_format(n->uuid, uuid);
        kn_strbuf_puts(&b, "<network>\n  <name>");
        kn_strbuf_put_xml(&b, n->name);
        kn_strbuf_printf(&b, "</name>\n  <uuid>%s</uuid>\n", uuid);
        format_forward(n, &b);
        if (n->bridge[0] || n->stp >= 0 || n->delay >= 0) {
                kn_strbuf_puts(&b, "  <bridge");
                if (n->bridge[0])
                        kn_strbuf_printf(&b, " name='%s'", n->bridge);
                if (n->stp >= 0)
                        kn_strbuf_printf(&b, " stp='%s'", n->stp ? "on" : "off");
                if (n->delay >= 0)
                        kn_strbuf_printf(&b, " delay='%ld'", n->delay);
                kn_strbuf_puts(&b, "/>\n");
        }
        if (n->mtu)
                kn_strbuf_printf(&b, "  <mtu size='%u'/>\n", n->mtu);
        if (n->has_mac) {
                char mac[KN_MAC_STR];
                kn_mac_to_string(n->mac, mac);
                kn_strbuf_printf(&b, "  <mac address='%s'/>\n", mac);
        }
        if (n->domain) {
                kn_strbuf_puts(&b, "  <domain name='");
                kn_strbuf_put_xml(&b, n->domain);
                kn_strbuf_puts(&b, "'/>\n");
        }
        if (n->n_dns_hosts) {
                kn_strbuf_puts(&b, "  <dns>\n");
                for (size_t k = 0; k < n->n_dns_hosts; k++)
                        kn_net_format_dns_host(&n->dns_hosts[k], "    ", &b);
                kn_strbuf_puts(&b, "  </dns>\n");
        }
        for (size_t k = 0; k < n->n_ips; k++)
                format_ip(&n->ips[k], &b);
        kn_strbuf_puts(&b, "</network>\n");
        return kn_strbuf_steal(&b);
}
