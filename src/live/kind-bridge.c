/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Bridge: IFLA_BR_STP_STATE and IFLA_BR_FORWARD_DELAY (in clock_t, 1/100 s:
 * libvirt's delay='0' is 0, the kernel's default 15 s is 1500). */

#include "live-internal.h"

static void bridge_parse(kn_nl_link *l, struct nlattr *data) {
        struct nlattr *tb[IFLA_BR_MAX + 1];
        l->u.br.stp = -1;
        l->u.br.fwd_delay = -1;
        if (nla_parse_nested(tb, IFLA_BR_MAX, data, NULL) < 0)
                return;
        if (tb[IFLA_BR_STP_STATE])
                l->u.br.stp = nla_get_u32(tb[IFLA_BR_STP_STATE]) != 0;
        if (tb[IFLA_BR_FORWARD_DELAY])
                l->u.br.fwd_delay = nla_get_u32(tb[IFLA_BR_FORWARD_DELAY]);
}

static void bridge_to_model(const kn_nl_link *l, const kn_nl_snap *s, kn_iface *i) {
        if (l->u.br.stp >= 0)
                i->stp = l->u.br.stp ? KN_YES : KN_NO;
        if (l->u.br.fwd_delay >= 0)
                i->delay = (double) l->u.br.fwd_delay / 100.0;
}

static int bridge_put_options(const kn_iface *want, const kn_nl_link *live, const kn_nl_snap *s,
                              struct nl_msg *fwd, struct nl_msg *undo) {
        int n = 0;
        /* Delay before stp: the kernel bounds the delay only while stp is on. */
        long delay = want->delay >= 0 ? (long) (want->delay * 100 + 0.5) : -1;
        if (delay >= 0 && (!live || live->u.br.fwd_delay != delay)) {
                if (nla_put_u32(fwd, IFLA_BR_FORWARD_DELAY, (uint32_t) delay) < 0)
                        abort();
                if (undo && live->u.br.fwd_delay >= 0 &&
                    nla_put_u32(undo, IFLA_BR_FORWARD_DELAY, (uint32_t) live->u.br.fwd_delay) < 0)
                        abort();
                n++;
        }
        if (want->stp && (!live || live->u.br.stp != (want->stp == KN_YES))) {
                if (nla_put_u32(fwd, IFLA_BR_STP_STATE, want->stp == KN_YES) < 0)
                        abort();
                if (undo && live->u.br.stp >= 0 &&
                    nla_put_u32(undo, IFLA_BR_STP_STATE, (uint32_t) live->u.br.stp) < 0)
                        abort();
                n++;
        }
        return n;
}

static int bridge_check(const kn_iface *want, const kn_nl_link *live, const kn_nl_snap *s,
                        kn_error *err) {
        bool stp = want->stp ? want->stp == KN_YES : live && live->u.br.stp == 1;
        if (stp && want->delay >= 0 && (want->delay < 2 || want->delay > 30))
                return kn_error_set(err, ERANGE,
                                    "%s: with stp on, the kernel takes a forward delay of 2 to 30 "
                                    "seconds, asked %g",
                                    want->name, want->delay);
        return 0;
}

static void bridge_verify(const kn_iface *want, const kn_iface *live, kn_strbuf *report) {
        if (want->stp && want->stp != live->stp)
                kn_report(report, want->name, "stp is %s, asked %s",
                          live->stp == KN_YES  ? "on"
                          : live->stp == KN_NO ? "off"
                                               : "unknown",
                          want->stp == KN_YES ? "on" : "off");
        double diff = want->delay - live->delay;
        if (want->delay >= 0 && (diff > 0.005 || diff < -0.005))
                kn_report(report, want->name, "forward delay is %g, asked %g", live->delay,
                          want->delay);
}

const kn_live_kind kn_kind_bridge = {
        .type = KN_IFACE_BRIDGE,
        .kind = "bridge",
        .has_ports = true,
        .parse = bridge_parse,
        .to_model = bridge_to_model,
        .put_options = bridge_put_options,
        .check = bridge_check,
        .verify = bridge_verify,
};
