/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Link speed from ethtool netlink (ETHTOOL_MSG_LINKMODES_GET), the only
 * netlink source of it.  /sys/class/net/X/speed is not used: sysfs shows
 * the namespace of whoever mounted it, not the handle's.  Generic netlink
 * is spoken with libnl-3's message API (no libnl-genl dependency). */

#include <linux/ethtool.h>
#include <linux/ethtool_netlink.h>
#include <linux/genetlink.h>

#include "live-internal.h"

static int put_genl(struct nl_msg *m, uint8_t cmd, uint8_t version) {
        struct genlmsghdr g = {.cmd = cmd, .version = version};
        return nlmsg_append(m, &g, sizeof g, NLMSG_ALIGNTO);
}

static int on_family(struct nlmsghdr *h, void *userdata) {
        struct nlattr *tb[CTRL_ATTR_MAX + 1];
        if (nlmsg_parse(h, GENL_HDRLEN, tb, CTRL_ATTR_MAX, NULL) == 0 && tb[CTRL_ATTR_FAMILY_ID])
                *(int *) userdata = nla_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
        return 0;
}

static int ethtool_family(kn_netns *ns) {
        if (ns->ethtool_family)
                return ns->ethtool_family;
        ns->ethtool_family = -1;
        if (!ns->genl && kn_netns_socket(ns, NETLINK_GENERIC, &ns->genl, NULL) < 0)
                return -1;
        struct nl_msg *m = nlmsg_alloc_simple(GENL_ID_CTRL, 0);
        if (!m || put_genl(m, CTRL_CMD_GETFAMILY, 1) < 0 ||
            nla_put_string(m, CTRL_ATTR_FAMILY_NAME, ETHTOOL_GENL_NAME) < 0)
                abort();
        int id = 0;
        if (kn_nl_call(ns, ns->genl, m, on_family, &id, NULL, "resolve ethtool") == 0 && id > 0)
                ns->ethtool_family = id;
        return ns->ethtool_family;
}

static int on_linkmodes(struct nlmsghdr *h, void *userdata) {
        kn_nl_snap *s = userdata;
        struct nlattr *tb[ETHTOOL_A_LINKMODES_MAX + 1], *hdr[ETHTOOL_A_HEADER_MAX + 1];
        if (nlmsg_parse(h, GENL_HDRLEN, tb, ETHTOOL_A_LINKMODES_MAX, NULL) < 0 ||
            !tb[ETHTOOL_A_LINKMODES_HEADER] || !tb[ETHTOOL_A_LINKMODES_SPEED] ||
            nla_parse_nested(hdr, ETHTOOL_A_HEADER_MAX, tb[ETHTOOL_A_LINKMODES_HEADER], NULL) < 0 ||
            !hdr[ETHTOOL_A_HEADER_DEV_INDEX])
                return 0;
        uint32_t speed = nla_get_u32(tb[ETHTOOL_A_LINKMODES_SPEED]);
        int k = kn_snap_find(s, (int) nla_get_u32(hdr[ETHTOOL_A_HEADER_DEV_INDEX]));
        if (k >= 0 && speed != (uint32_t) SPEED_UNKNOWN && s->links[k].operstate == IF_OPER_UP)
                s->links[k].speed = speed;
        return 0;
}

int kn_snap_read_speeds(kn_netns *ns, kn_nl_snap *s, int ifindex) {
        int family = ethtool_family(ns);
        if (family < 0)
                return 0; /* no ethtool netlink: speeds stay unknown */
        if (!s->indexed)
                kn_snap_index(s);
        struct nl_msg *m = nlmsg_alloc_simple(family, ifindex ? 0 : NLM_F_DUMP);
        if (!m || put_genl(m, ETHTOOL_MSG_LINKMODES_GET, ETHTOOL_GENL_VERSION) < 0)
                abort();
        struct nlattr *nest = nla_nest_start(m, ETHTOOL_A_LINKMODES_HEADER);
        if (!nest || (ifindex && nla_put_u32(m, ETHTOOL_A_HEADER_DEV_INDEX, (uint32_t) ifindex)) ||
            nla_put_u32(m, ETHTOOL_A_HEADER_FLAGS, ETHTOOL_FLAG_COMPACT_BITSETS) < 0)
                abort();
        nla_nest_end(m, nest);
        /* Devices without link modes (bridges, tun) answer EOPNOTSUPP. */
        (void) kn_nl_call(ns, ns->genl, m, on_linkmodes, s, NULL, "read link speed");
        return 0;
}
