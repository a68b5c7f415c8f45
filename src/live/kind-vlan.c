/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* 802.1q vlan: IFLA_LINK (the parent) and IFLA_VLAN_ID, both fixed once the
 * link exists. */

#include "live-internal.h"

static void vlan_parse(kn_nl_link *l, struct nlattr *data) {
        struct nlattr *tb[IFLA_VLAN_MAX + 1];
        l->u.vlan.id = -1;
        if (nla_parse_nested(tb, IFLA_VLAN_MAX, data, NULL) == 0 && tb[IFLA_VLAN_ID])
                l->u.vlan.id = nla_get_u16(tb[IFLA_VLAN_ID]);
}

static const char *parent_name(const kn_nl_link *l, const kn_nl_snap *s) {
        for (size_t k = 0; l->link && k < s->n_links; k++)
                if (s->links[k].ifindex == l->link)
                        return s->links[k].name;
        return "";
}

static void vlan_to_model(const kn_nl_link *l, const kn_nl_snap *s, kn_iface *i) {
        i->vlan_tag = l->u.vlan.id;
        snprintf(i->vlan_parent, sizeof i->vlan_parent, "%s", parent_name(l, s));
}

static int vlan_put_options(const kn_iface *want, const kn_nl_link *live, const kn_nl_snap *s,
                            struct nl_msg *fwd, struct nl_msg *undo) {
        if (live)
                return 0;
        if (nla_put_u16(fwd, IFLA_VLAN_ID, (uint16_t) want->vlan_tag) < 0)
                abort();
        return 1;
}

static int vlan_check(const kn_iface *want, const kn_nl_link *live, const kn_nl_snap *s,
                      kn_error *err) {
        if (!live)
                return 0;
        const char *parent = parent_name(live, s);
        if (live->u.vlan.id != want->vlan_tag || !streq(parent, want->vlan_parent))
                return kn_error_set(err, EEXIST,
                                    "%s: is vlan %d on '%s', asked vlan %d on '%s'; a vlan's tag "
                                    "and parent cannot change: destroy it first",
                                    want->name, live->u.vlan.id, parent, want->vlan_tag,
                                    want->vlan_parent);
        return 0;
}

static int vlan_put_create(const kn_iface *want, const kn_nl_snap *s, struct nl_msg *m,
                           kn_error *err) {
        int p = kn_snap_find_name(s, want->vlan_parent);
        if (p < 0)
                return kn_error_set(err, ENODEV, "%s: vlan parent '%s' does not exist", want->name,
                                    want->vlan_parent);
        if (nla_put_u32(m, IFLA_LINK, (uint32_t) s->links[p].ifindex) < 0)
                abort();
        return 0;
}

static void vlan_verify(const kn_iface *want, const kn_iface *live, kn_strbuf *report) {
        if (want->vlan_tag != live->vlan_tag)
                kn_report(report, want->name, "vlan tag is %d, asked %d", live->vlan_tag,
                          want->vlan_tag);
        if (!isempty(want->vlan_parent) && !streq(want->vlan_parent, live->vlan_parent))
                kn_report(report, want->name, "vlan parent is '%s', asked '%s'", live->vlan_parent,
                          want->vlan_parent);
}

const kn_live_kind kn_kind_vlan = {
        .type = KN_IFACE_VLAN,
        .kind = "vlan",
        .parse = vlan_parse,
        .to_model = vlan_to_model,
        .put_options = vlan_put_options,
        .check = vlan_check,
        .put_create = vlan_put_create,
        .verify = vlan_verify,
};
