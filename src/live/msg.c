/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Request messages.  Links are addressed by ifindex (a link recreated
 * under the same name is not the link a step was about); addresses and
 * routes are built by libnl-route. */

#include <arpa/inet.h>
#include <linux/ip.h>
#include <linux/rtnetlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/route.h>

#include "live-internal.h"
#include "mac.h"

struct nl_msg *kn_msg_link(int type, int flags, int ifindex, const char *name) {
        struct nl_msg *m = nlmsg_alloc_simple(type, flags);
        struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = ifindex};
        if (!m || nlmsg_append(m, &ifi, sizeof ifi, NLMSG_ALIGNTO) < 0)
                abort();
        if (name && nla_put_string(m, IFLA_IFNAME, name) < 0)
                abort();
        return m;
}

struct nl_msg *kn_msg_link_up(int ifindex, bool up) {
        struct nl_msg *m = kn_msg_link(RTM_NEWLINK, 0, ifindex, NULL);
        struct ifinfomsg *ifi = nlmsg_data(nlmsg_hdr(m));
        ifi->ifi_flags = up ? IFF_UP : 0;
        ifi->ifi_change = IFF_UP;
        return m;
}

struct nl_msg *kn_msg_link_u32(int ifindex, int attr, uint32_t value) {
        struct nl_msg *m = kn_msg_link(RTM_NEWLINK, 0, ifindex, NULL);
        if (nla_put_u32(m, attr, value) < 0)
                abort();
        return m;
}

struct nl_msg *kn_msg_link_promote_secondaries(int ifindex, bool on) {
        struct nl_msg *m = kn_msg_link(RTM_NEWLINK, 0, ifindex, NULL);
        struct nlattr *spec = nla_nest_start(m, IFLA_AF_SPEC);
        struct nlattr *inet = spec ? nla_nest_start(m, AF_INET) : NULL;
        struct nlattr *conf = inet ? nla_nest_start(m, IFLA_INET_CONF) : NULL;
        if (!conf || nla_put_u32(m, IPV4_DEVCONF_PROMOTE_SECONDARIES, on) < 0)
                abort();
        nla_nest_end(m, conf);
        nla_nest_end(m, inet);
        nla_nest_end(m, spec);
        return m;
}

int kn_msg_put_mac(struct nl_msg *m, const char *mac) {
        uint8_t b[KN_MAC_LEN];
        if (kn_mac_from_string(mac, b) < 0)
                return -EINVAL;
        if (nla_put(m, IFLA_ADDRESS, sizeof b, b) < 0)
                abort();
        return 0;
}

struct nl_msg *kn_msg_link_mac(int ifindex, const char *mac) {
        struct nl_msg *m = kn_msg_link(RTM_NEWLINK, 0, ifindex, NULL);
        if (kn_msg_put_mac(m, mac) < 0) {
                nlmsg_free(m);
                return NULL;
        }
        return m;
}

struct nl_msg *kn_msg_addr(int type, int ifindex, int family, const char *address, int prefix) {
        struct nl_addr *local = NULL;
        if (nl_addr_parse(address, family, &local) < 0)
                return NULL;
        int plen = prefix >= 0 ? prefix : family == AF_INET ? 32 : 128;
        nl_addr_set_prefixlen(local, plen);

        struct rtnl_addr *a = rtnl_addr_alloc();
        struct nl_addr *brd = NULL;
        rtnl_addr_set_ifindex(a, ifindex);
        rtnl_addr_set_family(a, family);
        rtnl_addr_set_local(a, local);
        if (type == RTM_NEWADDR && family == AF_INET && plen < 31) {
                /* What `ip addr add ... brd +` gives: hosts on the subnet
                 * expect a broadcast address (DHCP, ARP announcements). */
                uint32_t ip;
                memcpy(&ip, nl_addr_get_binary_addr(local), 4);
                ip |= htonl(plen ? 0xffffffffu >> plen : 0xffffffffu);
                brd = nl_addr_build(AF_INET, &ip, 4);
                rtnl_addr_set_broadcast(a, brd);
        }
        struct nl_msg *m = NULL;
        int r = type == RTM_NEWADDR ? rtnl_addr_build_add_request(a, NLM_F_EXCL, &m)
                                    : rtnl_addr_build_delete_request(a, 0, &m);
        rtnl_addr_put(a);
        nl_addr_put(local);
        nl_addr_put(brd);
        return r < 0 ? NULL : m;
}

struct nl_msg *kn_msg_default_route(int type, int ifindex, int family, const char *gateway,
                                    uint32_t priority, uint8_t protocol) {
        struct nl_addr *dst = NULL, *gw = NULL;
        if (nl_addr_parse(family == AF_INET ? "0.0.0.0/0" : "::/0", family, &dst) < 0)
                return NULL;
        if (!isempty(gateway) && nl_addr_parse(gateway, family, &gw) < 0) {
                nl_addr_put(dst);
                return NULL;
        }
        struct rtnl_route *rt = rtnl_route_alloc();
        rtnl_route_set_family(rt, family);
        rtnl_route_set_table(rt, RT_TABLE_MAIN);
        rtnl_route_set_type(rt, RTN_UNICAST);
        rtnl_route_set_scope(rt, type == RTM_NEWROUTE ? RT_SCOPE_UNIVERSE : RT_SCOPE_NOWHERE);
        rtnl_route_set_protocol(rt, protocol);
        rtnl_route_set_priority(rt, priority);
        rtnl_route_set_dst(rt, dst);
        struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
        rtnl_route_nh_set_ifindex(nh, ifindex);
        if (gw)
                rtnl_route_nh_set_gateway(nh, gw);
        rtnl_route_add_nexthop(rt, nh);

        struct nl_msg *m = NULL;
        int r = type == RTM_NEWROUTE ? rtnl_route_build_add_request(rt, NLM_F_REPLACE, &m)
                                     : rtnl_route_build_del_request(rt, 0, &m);
        rtnl_route_put(rt);
        nl_addr_put(dst);
        nl_addr_put(gw);
        return r < 0 ? NULL : m;
}
