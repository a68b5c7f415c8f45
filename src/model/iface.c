/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kvmnet/iface.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <math.h>

#include "mac.h"
#include "macro.h"
#include "string-table.h"

static const char *const kn_iface_type_table[_KN_IFACE_TYPE_MAX] = {
        [KN_IFACE_ETHERNET] = "ethernet",
        [KN_IFACE_BRIDGE] = "bridge",
        [KN_IFACE_BOND] = "bond",
        [KN_IFACE_VLAN] = "vlan",
};
DEFINE_STRING_TABLE_LOOKUP(kn_iface_type, kn_iface_type)

static const char *const kn_start_mode_table[_KN_START_MODE_MAX] = {
        [KN_START_ONBOOT] = "onboot",
        [KN_START_NONE] = "none",
        [KN_START_HOTPLUG] = "hotplug",
};
DEFINE_STRING_TABLE_LOOKUP(kn_start_mode, kn_start_mode)

static const char *const kn_bond_mode_table[_KN_BOND_MODE_MAX] = {
        [KN_BOND_BALANCE_RR] = "balance-rr",   [KN_BOND_ACTIVE_BACKUP] = "active-backup",
        [KN_BOND_BALANCE_XOR] = "balance-xor", [KN_BOND_BROADCAST] = "broadcast",
        [KN_BOND_802_3AD] = "802.3ad",         [KN_BOND_BALANCE_TLB] = "balance-tlb",
        [KN_BOND_BALANCE_ALB] = "balance-alb",
};
DEFINE_STRING_TABLE_LOOKUP(kn_bond_mode, kn_bond_mode)

static const char *const kn_miimon_carrier_table[_KN_CARRIER_MAX] = {
        [KN_CARRIER_IOCTL] = "ioctl",
        [KN_CARRIER_NETIF] = "netif",
};
DEFINE_STRING_TABLE_LOOKUP(kn_miimon_carrier, kn_miimon_carrier)

static const char *const kn_arp_validate_table[_KN_ARP_VALIDATE_MAX] = {
        [KN_ARP_VALIDATE_NONE] = "none",
        [KN_ARP_VALIDATE_ACTIVE] = "active",
        [KN_ARP_VALIDATE_BACKUP] = "backup",
        [KN_ARP_VALIDATE_ALL] = "all",
};
DEFINE_STRING_TABLE_LOOKUP(kn_arp_validate, kn_arp_validate)

static const char *const kn_link_state_table[_KN_LINK_STATE_MAX] = {
        [KN_LINK_UNKNOWN] = "unknown", [KN_LINK_NOTPRESENT] = "notpresent",
        [KN_LINK_DOWN] = "down",       [KN_LINK_LOWERLAYERDOWN] = "lowerlayerdown",
        [KN_LINK_TESTING] = "testing", [KN_LINK_DORMANT] = "dormant",
        [KN_LINK_UP] = "up",
};
DEFINE_STRING_TABLE_LOOKUP(kn_link_state, kn_link_state)

kn_iface *kn_iface_new(kn_iface_type type, const char *name) {
        kn_iface *i = kn_xcalloc(1, sizeof *i);
        i->type = type;
        if (name)
                snprintf(i->name, sizeof i->name, "%s", name);
        i->delay = -1;
        i->miimon_downdelay = i->miimon_updelay = -1;
        i->vlan_tag = -1;
        return i;
}

kn_iface *kn_iface_free(kn_iface *i) {
        if (!i)
                return NULL;
        free(i->ipv4.ips);
        free(i->ipv6.ips);
        for (size_t k = 0; k < i->n_children; k++)
                kn_iface_free(i->children[k]);
        free(i->children);
        free(i);
        return NULL;
}

static void copy_protocol(kn_protocol *dst, const kn_protocol *src) {
        *dst = *src;
        if (src->n_ips) {
                dst->ips = kn_xmalloc(src->n_ips * sizeof *src->ips);
                memcpy(dst->ips, src->ips, src->n_ips * sizeof *src->ips);
        } else
                dst->ips = NULL;
}

kn_iface *kn_iface_copy(const kn_iface *i) {
        kn_iface *c = kn_xmalloc(sizeof *c);
        *c = *i;
        copy_protocol(&c->ipv4, &i->ipv4);
        copy_protocol(&c->ipv6, &i->ipv6);
        c->children = i->n_children ? kn_xmalloc(i->n_children * sizeof *c->children) : NULL;
        for (size_t k = 0; k < i->n_children; k++)
                c->children[k] = kn_iface_copy(i->children[k]);
        return c;
}

void kn_iface_add_child(kn_iface *parent, kn_iface *child) {
        parent->children =
                kn_xrealloc(parent->children, (parent->n_children + 1) * sizeof *parent->children);
        parent->children[parent->n_children++] = child;
}

int kn_ip_canonical(int family, const char *s, char *out) {
        unsigned char buf[sizeof(struct in6_addr)];
        if (!s || inet_pton(family, s, buf) != 1)
                return -EINVAL;
        return inet_ntop(family, buf, out, 46) ? 0 : -EINVAL;
}

int kn_protocol_add_ip(kn_protocol *p, int family, const char *address, int prefix, kn_error *err) {
        kn_ipaddr a = {.prefix = prefix};
        const char *fam = family == AF_INET ? "IPv4" : "IPv6";
        if (kn_ip_canonical(family, address, a.address) < 0)
                return kn_error_set(err, EINVAL, "'%s' is not an %s address", address, fam);
        if (prefix > (family == AF_INET ? 32 : 128))
                return kn_error_set(err, EINVAL, "prefix %d of %s is out of range (0-%d)", prefix,
                                    address, family == AF_INET ? 32 : 128);
        p->ips = kn_xrealloc(p->ips, (p->n_ips + 1) * sizeof *p->ips);
        p->ips[p->n_ips++] = a;
        return 0;
}

/* The model keeps MACs as canonical text; the one parser is util's. */
int kn_mac_parse(const char *s, char *out) {
        uint8_t b[KN_MAC_LEN];
        if (kn_mac_from_string(s, b) < 0)
                return -EINVAL;
        if (out)
                kn_mac_to_string(b, out);
        return 0;
}

static bool protocol_equal(const kn_protocol *a, const kn_protocol *b) {
        if (a->present != b->present || a->dhcp != b->dhcp || a->peerdns != b->peerdns ||
            a->autoconf != b->autoconf || a->n_ips != b->n_ips || !streq(a->gateway, b->gateway))
                return false;
        for (size_t k = 0; k < a->n_ips; k++)
                if (!streq(a->ips[k].address, b->ips[k].address) ||
                    a->ips[k].prefix != b->ips[k].prefix)
                        return false;
        return true;
}

bool kn_iface_equal(const kn_iface *a, const kn_iface *b) {
        if (a->type != b->type || !streq(a->name, b->name) || a->start != b->start ||
            !streq(a->mac, b->mac) || a->mtu != b->mtu || a->link_state != b->link_state ||
            a->link_speed != b->link_speed || !protocol_equal(&a->ipv4, &b->ipv4) ||
            !protocol_equal(&a->ipv6, &b->ipv6) || a->stp != b->stp ||
            fabs(a->delay - b->delay) > 1e-9 || a->bond_mode != b->bond_mode ||
            a->monitor != b->monitor || a->miimon_freq != b->miimon_freq ||
            a->miimon_downdelay != b->miimon_downdelay || a->miimon_updelay != b->miimon_updelay ||
            a->miimon_carrier != b->miimon_carrier || a->arpmon_interval != b->arpmon_interval ||
            !streq(a->arpmon_target, b->arpmon_target) ||
            a->arpmon_validate != b->arpmon_validate || a->vlan_tag != b->vlan_tag ||
            !streq(a->vlan_parent, b->vlan_parent) || a->n_children != b->n_children)
                return false;
        for (size_t k = 0; k < a->n_children; k++)
                if (!kn_iface_equal(a->children[k], b->children[k]))
                        return false;
        return true;
}

const kn_iface *kn_iface_find(const kn_iface *i, const char *name) {
        if (streq(i->name, name))
                return i;
        for (size_t k = 0; k < i->n_children; k++) {
                const kn_iface *f = kn_iface_find(i->children[k], name);
                if (f)
                        return f;
        }
        return NULL;
}
