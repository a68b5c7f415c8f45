/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* kn_live_stop: iface-destroy.  Unregistering a link costs the kernel an
 * RCU grace period or more, and unregister_netdevice_many() pays it once
 * per batch: so the virtual links of all definitions are put in one unused
 * link group and deleted with a single RTM_DELLINK carrying IFLA_GROUP.
 * Deleting a master releases its ports and brings it down first. */

#include <stdarg.h>
#include <linux/rtnetlink.h>

#include "live-internal.h"

#define GROUP_BASE 0x6b6e0000u /* "kn": a high group number nobody picks by hand */

typedef struct kn_stop {
        kn_netns *ns;
        kn_nl_snap s;
        int *by_name; /* link indices sorted by name */
        kn_error *err;
        int first;
        int *doomed;
        size_t n_doomed, alloc_doomed;
} kn_stop;

static void failed(kn_stop *st, int r) {
        if (r < 0 && r != -ENODEV && !st->first)
                st->first = r;
}

/* One request; a link or address that is already gone is not an error. */
_printf_(3, 4) static void call(kn_stop *st, struct nl_msg *m, const char *fmt, ...) {
        char what[128];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof what, fmt, ap);
        va_end(ap);
        kn_error e = {0};
        int r = kn_nl_call(st->ns, NULL, m, NULL, NULL, &e, "%s", what);
        if (r < 0 && r != -ENODEV && r != -EADDRNOTAVAIL) {
                kn_error_set(st->err, e.code, "%s", e.message);
                failed(st, r);
        }
}

static int cmp_name(const void *a, const void *b, void *userdata) {
        const kn_nl_snap *s = userdata;
        return strcmp(s->links[*(const int *) a].name, s->links[*(const int *) b].name);
}

static void index_names(kn_stop *st) {
        free(st->by_name);
        st->by_name = kn_xmalloc((st->s.n_links + 1) * sizeof *st->by_name);
        for (size_t k = 0; k < st->s.n_links; k++)
                st->by_name[k] = (int) k;
        qsort_r(st->by_name, st->s.n_links, sizeof *st->by_name, cmp_name, &st->s);
}

static kn_nl_link *find(kn_stop *st, const char *name) {
        size_t lo = 0, hi = st->s.n_links;
        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                int c = strcmp(st->s.links[st->by_name[mid]].name, name);
                if (c == 0)
                        return &st->s.links[st->by_name[mid]];
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return NULL;
}

static size_t count_nodes(const kn_iface *i) {
        size_t n = 1;
        for (size_t k = 0; k < i->n_children; k++)
                n += count_nodes(i->children[k]);
        return n;
}

static int read_targeted(kn_stop *st, const kn_iface *i) {
        int k = kn_snap_get_link(st->ns, &st->s, i->name, 0, st->err);
        if (k >= 0 && i->type == KN_IFACE_ETHERNET) {
                int r = kn_snap_dump_addrs(st->ns, &st->s, st->s.links[k].ifindex, st->err);
                if (r < 0)
                        return r;
        } else if (k < 0 && k != -ENODEV)
                return k;
        for (size_t c = 0; c < i->n_children; c++) {
                int r = read_targeted(st, i->children[c]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void stop_dhcp(kn_stop *st, const kn_iface *i) {
        if (kn_dhcp_running(st->ns, i->name, AF_INET) > 0)
                failed(st, kn_dhcp_stop(st->ns, i->name, AF_INET, st->err));
        for (size_t c = 0; c < i->n_children; c++)
                stop_dhcp(st, i->children[c]);
}

static void collect_virtual(kn_stop *st, const kn_iface *i) {
        const kn_nl_link *l = find(st, i->name);
        /* Only a link of the kind the definition says: never a NIC that
         * happens to carry the name of a bridge. */
        if (l && i->type != KN_IFACE_ETHERNET && l->ops == kn_live_kind_by_type(i->type)) {
                GREEDY_REALLOC(st->doomed, st->alloc_doomed, st->n_doomed + 1);
                st->doomed[st->n_doomed++] = l->ifindex;
        }
        for (size_t c = 0; c < i->n_children; c++)
                collect_virtual(st, i->children[c]);
}

static bool is_doomed(const kn_stop *st, int ifindex) {
        for (size_t k = 0; k < st->n_doomed; k++)
                if (st->doomed[k] == ifindex)
                        return true;
        return false;
}

static uint32_t free_group(const kn_nl_snap *all) {
        for (uint32_t g = GROUP_BASE + 1;; g++) {
                bool used = false;
                for (size_t k = 0; k < all->n_links && !used; k++)
                        used = all->links[k].group == g;
                if (!used)
                        return g;
        }
}

static void delete_one(kn_stop *st, int ifindex) {
        int k = kn_snap_find(&st->s, ifindex);
        call(st, kn_msg_link(RTM_DELLINK, 0, ifindex, NULL), "delete %s",
             k >= 0 ? st->s.links[k].name : "link");
}

static void delete_virtual(kn_stop *st, bool have_all) {
        if (st->n_doomed == 1)
                delete_one(st, st->doomed[0]);
        if (st->n_doomed <= 1)
                return;
        _cleanup_snap_ kn_nl_snap all = {0};
        const kn_nl_snap *groups = &st->s;
        if (!have_all) {
                int r = kn_snap_dump_links(st->ns, &all, 0, st->err);
                if (r < 0) {
                        failed(st, r);
                        return;
                }
                groups = &all;
        }
        uint32_t g = free_group(groups);
        bool *in_group = kn_xcalloc(st->n_doomed, sizeof *in_group);
        size_t n = 0;
        for (size_t k = 0; k < st->n_doomed; k++) {
                int r = kn_nl_call(st->ns, NULL, kn_msg_link_u32(st->doomed[k], IFLA_GROUP, g),
                                   NULL, NULL, NULL, "group");
                in_group[k] = r >= 0;
                n += r >= 0;
        }
        if (n) {
                struct nl_msg *m = kn_msg_link(RTM_DELLINK, 0, 0, NULL);
                if (nla_put_u32(m, IFLA_GROUP, g) < 0)
                        abort();
                kn_error e = {0};
                int r = kn_nl_call(st->ns, NULL, m, NULL, NULL, &e, "delete %zu links (group %u)",
                                   n, g);
                if (r < 0) /* one by one then */
                        memset(in_group, 0, st->n_doomed * sizeof *in_group);
        }
        for (size_t k = 0; k < st->n_doomed; k++)
                if (!in_group[k])
                        delete_one(st, st->doomed[k]);
        free(in_group);
}

static void stop_physical(kn_stop *st, const kn_iface *def, const kn_iface *i) {
        kn_nl_link *l = i->type == KN_IFACE_ETHERNET ? find(st, i->name) : NULL;
        if (l) {
                int mk = l->master ? kn_snap_find(&st->s, l->master) : -1;
                const kn_nl_link *m = mk >= 0 ? &st->s.links[mk] : NULL;
                if (m && !is_doomed(st, m->ifindex) && kn_iface_find(def, m->name))
                        call(st, kn_msg_link_u32(l->ifindex, IFLA_MASTER, 0), "release %s from %s",
                             l->name, m->name);
                if (l->flags & IFF_UP)
                        call(st, kn_msg_link_up(l->ifindex, false), "bring %s down", l->name);
                for (int a = l->first_addr; a >= 0; a = st->s.addrs[a].next) {
                        const kn_nl_addr *x = &st->s.addrs[a];
                        if (x->family == AF_INET6 && x->scope == RT_SCOPE_LINK)
                                continue;
                        /* Deleting an IPv4 primary may take its secondaries
                         * along: EADDRNOTAVAIL for those is fine. */
                        call(st,
                             kn_msg_addr(RTM_DELADDR, l->ifindex, x->family, x->address, x->prefix),
                             "remove address %s/%u from %s", x->address, x->prefix, l->name);
                }
        }
        for (size_t c = 0; c < i->n_children; c++)
                stop_physical(st, def, i->children[c]);
}

int kn_live_stop_many(kn_netns *ns, const kn_iface *const *defs, size_t n, kn_error *err) {
        kn_stop st = {.ns = ns, .err = err};
        size_t nodes = 0;
        for (size_t k = 0; k < n; k++)
                nodes += count_nodes(defs[k]);
        /* Few links: ask about each.  Many: one dump beats a request each. */
        bool all = nodes > 32;
        int r = 0;
        if (all) {
                r = kn_snap_dump_links(ns, &st.s, 0, err);
                if (r >= 0)
                        r = kn_snap_dump_addrs(ns, &st.s, 0, err);
        } else
                for (size_t k = 0; k < n && r >= 0; k++)
                        r = read_targeted(&st, defs[k]);
        if (r < 0) {
                kn_snap_done(&st.s);
                return r;
        }
        kn_snap_index(&st.s);
        index_names(&st);

        for (size_t k = 0; k < n; k++)
                stop_dhcp(&st, defs[k]);
        for (size_t k = 0; k < n; k++)
                collect_virtual(&st, defs[k]);
        delete_virtual(&st, all);
        for (size_t k = 0; k < n; k++)
                stop_physical(&st, defs[k], defs[k]);

        kn_snap_done(&st.s);
        free(st.by_name);
        free(st.doomed);
        return st.first;
}

int kn_live_stop(kn_netns *ns, const kn_iface *def, kn_error *err) {
        return kn_live_stop_many(ns, &def, 1, err);
}
