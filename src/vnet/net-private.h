/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by the network model's files (net.c, net-xml-*.c, net-update.c). */

#include "kvmnet/vnet.h"
#include "xml-walk.h"

void kn_net_uuid_generate(uint8_t uuid[16]);

/* One <host> of <dhcp> or of <dns>, for the document parser and net-update. */
int kn_net_parse_dhcp_host(kn_xml *x, const xmlNode *e, int family, kn_net_dhcp_host *h);
int kn_net_parse_dns_host(kn_xml *x, const xmlNode *e, kn_net_dns_host *d);

/* Print one <host> (net-update's reply, the file dnsmasq reads is HD2's). */
void kn_net_format_dhcp_host(const kn_net_dhcp_host *h, const char *ind, void *strbuf);
void kn_net_format_dns_host(const kn_net_dns_host *d, const char *ind, void *strbuf);
