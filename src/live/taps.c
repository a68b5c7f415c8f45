/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Guest taps seen from the host side: the tun links that are bridge ports.
 * A change that deletes a bridge (iface-destroy, an unbridge, a revert)
 * must name the guests it cuts off, before (a refusal) or after (a report). */
#include "live-internal.h"

static int dump(kn_netns *ns, kn_nl_snap *s, kn_error *err) {
        int r = kn_snap_dump_links(ns, s, 0, err);
        if (r >= 0)
                kn_snap_index(s);
        return r;
}

static const char *master_name(const kn_nl_snap *s, const kn_nl_link *l) {
        for (size_t k = 0; k < s->n_links; k++)
                if (s->links[k].ifindex == l->master)
                        return s->links[k].name;
        return NULL;
}

int kn_live_tap_ports(kn_netns *ns, kn_live_tap **ret, size_t *n_ret, kn_error *err) {
        _cleanup_snap_ kn_nl_snap s = {0};
        *ret = NULL;
        *n_ret = 0;
        int r = dump(ns, &s, err);
        if (r < 0)
                return r;
        kn_live_tap *t = NULL;
        size_t n = 0, alloc = 0;
        for (size_t j = 0; j < s.n_links; j++) {
                const kn_nl_link *l = &s.links[j];
                const char *m = l->master ? master_name(&s, l) : NULL;
                if (!m || !streq(l->kind, "tun"))
                        continue;
                GREEDY_REALLOC(t, alloc, n + 1);
                t[n] = (kn_live_tap){0};
                snprintf(t[n].tap, sizeof t[n].tap, "%s", l->name);
                snprintf(t[n].bridge, sizeof t[n].bridge, "%s", m);
                n++;
        }
        *ret = t;
        *n_ret = n;
        return 0;
}

int kn_live_guest_taps(kn_netns *ns, const char *bridge, char **ret, kn_error *err) {
        kn_live_tap *taps = NULL;
        size_t n = 0;
        int r = kn_live_tap_ports(ns, &taps, &n, err);
        if (r < 0)
                return r;
        _cleanup_strbuf_ kn_strbuf b = {0};
        int found = 0;
        for (size_t j = 0; j < n; j++)
                if (streq(taps[j].bridge, bridge))
                        kn_strbuf_printf(&b, "%s%s", found++ ? ", " : "", taps[j].tap);
        free(taps);
        *ret = found ? kn_strbuf_steal(&b) : NULL;
        return found;
}

size_t kn_live_taps_cut_off(kn_netns *ns, const kn_live_tap *before, size_t n, kn_live_tap **ret) {
        kn_live_tap *now = NULL, *cut = NULL;
        size_t n_now = 0, n_cut = 0, alloc = 0;
        kn_error ignored = {0};
        if (kn_live_tap_ports(ns, &now, &n_now, &ignored) < 0)
                n_now = 0; /* cannot tell: every tap reads as cut off */
        for (size_t k = 0; k < n; k++) {
                bool still = false;
                for (size_t j = 0; j < n_now && !still; j++)
                        still = streq(now[j].tap, before[k].tap) &&
                                streq(now[j].bridge, before[k].bridge);
                if (still)
                        continue;
                GREEDY_REALLOC(cut, alloc, n_cut + 1);
                cut[n_cut++] = before[k];
        }
        free(now);
        *ret = cut;
        return n_cut;
}
