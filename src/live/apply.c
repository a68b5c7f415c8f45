/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* kn_live_apply: read what the definition names, check what cannot be
 * changed, run the phases (each only doing what differs), verify, and undo
 * everything if anything fails. */

#include <stdarg.h>

#include "apply.h"

static const char *in_ns(const kn_apply *a) {
        static _Thread_local char buf[256];
        if (!a->ns->name[0])
                return "";
        snprintf(buf, sizeof buf, " in network namespace %s", a->ns->name);
        return buf;
}

static int check_node(kn_apply *a, const kn_iface *w) {
        const kn_live_kind *ops = kn_live_kind_by_type(w->type);
        const kn_nl_link *l = kn_apply_link(a, w->name);
        if (!l && !ops->kind)
                return kn_error_set(a->err, ENODEV, "no interface named '%s'%s", w->name, in_ns(a));
        if (l && l->ops != ops)
                return kn_error_set(a->err, EEXIST, "%s: exists as a%s %s link, asked %s", w->name,
                                    l->kind[0] ? "" : "n", l->kind[0] ? l->kind : "ethernet",
                                    kn_iface_type_to_string(w->type));
        if (ops->check) {
                int r = ops->check(w, l, &a->s, a->err);
                if (r < 0)
                        return r;
        }
        if (w->type == KN_IFACE_VLAN && !kn_apply_link(a, w->vlan_parent))
                return kn_error_set(a->err, ENODEV, "%s: vlan parent '%s' does not exist%s",
                                    w->name, w->vlan_parent, in_ns(a));
        if (w->ipv6.present && w->ipv6.dhcp)
                return kn_error_set(a->err, EOPNOTSUPP,
                                    "%s: DHCPv6 is not supported (use <autoconf/> or addresses)",
                                    w->name);
        for (size_t c = 0; c < w->n_children; c++) {
                int r = check_node(a, w->children[c]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void check_up(const kn_nl_snap *s, const kn_iface *w, kn_strbuf *report) {
        int k = kn_snap_find_name(s, w->name);
        if (k >= 0 && !(s->links[k].flags & IFF_UP))
                kn_report(report, w->name, "link is down, asked up");
        for (size_t c = 0; c < w->n_children; c++)
                check_up(s, w->children[c], report);
}

static int verify(kn_apply *a, const kn_iface *want) {
        /* Read back what the definition names (not every port the kernel
         * has: extra ports were released above). */
        _cleanup_snap_ kn_nl_snap s = {0};
        int r = kn_snap_read_def(a->ns, &s, want, false, a->err);
        if (r < 0)
                return r;
        kn_snap_index(&s);
        int k = kn_snap_find_name(&s, want->name);
        if (k < 0)
                return kn_error_set(a->err, EIO, "verification failed: %s: is gone", want->name);
        _cleanup_iface_ kn_iface *live = kn_snap_model(a->ns, &s, k);
        _cleanup_free_ char *report = NULL;
        _cleanup_strbuf_ kn_strbuf b = {0};
        int n = kn_live_verify(want, live, &report);
        check_up(&s, want, &b);
        if (n == 0 && b.len == 0)
                return 0;
        _cleanup_strbuf_ kn_strbuf all = {0};
        kn_strbuf_puts(&all, report ? report : "");
        kn_strbuf_puts(&all, b.s ? b.s : "");
        while (all.len && all.s[all.len - 1] == '\n')
                all.s[--all.len] = '\0';
        for (char *p = all.s; (p = strchr(p, '\n'));)
                *p = ';', p++;
        return kn_error_set(a->err, EIO, "verification failed: %s", all.s);
}

int kn_live_apply_in(kn_netns *ns, const kn_iface *want, kn_live_txn *txn, kn_error *err) {
        int r = kn_iface_validate(want, err);
        if (r < 0)
                return r;
        size_t mark = txn->n;
        kn_apply a = {.ns = ns, .t = txn, .err = err};
        r = kn_snap_read_def(ns, &a.s, want, true, err);
        if (r >= 0)
                r = check_node(&a, want);
        if (r >= 0)
                r = kn_apply_create(&a, want);
        if (r >= 0)
                r = kn_apply_configure(&a, want);
        if (r >= 0)
                r = kn_apply_addresses(&a, want, true);
        if (r >= 0)
                r = kn_apply_up(&a, want);
        if (r >= 0)
                r = kn_apply_routes(&a, want);
        if (r >= 0)
                r = kn_apply_dhcp(&a, want);
        if (r >= 0)
                r = verify(&a, want);
        kn_snap_done(&a.s);
        size_t n = txn->n - mark;
        if (r < 0) {
                kn_error e = {0};
                if (kn_live_txn_rollback_to(ns, txn, mark, &e) < 0)
                        kn_error_append(err, "; undoing the %zu step%s done failed: %s", n,
                                        n == 1 ? "" : "s", e.message);
                else
                        kn_error_append_undone(err, n);
                return r;
        }
        return (int) n;
}

int kn_live_apply(kn_netns *ns, const kn_iface *want, kn_live_txn **undo, kn_error *err) {
        kn_live_txn *t = kn_live_txn_new();
        int r = kn_live_apply_in(ns, want, t, err);
        if (r >= 0 && undo)
                *undo = t;
        else
                kn_live_txn_free(t);
        return r;
}

int kn_live_apply_xml_undo(kn_netns *ns, const char *xml, kn_error *err) {
        _cleanup_iface_ kn_iface *def = NULL;
        int r = kn_iface_parse_xml(xml, strlen(xml), "<undo>", &def, err);
        if (r < 0)
                return r;
        _cleanup_(kn_live_txn_freep) kn_live_txn *t = kn_live_txn_new();
        r = kn_live_apply_in(ns, def, t, err);
        return r < 0 ? r : 0;
}

int kn_live_stop_in(kn_netns *ns, const kn_iface *def, kn_live_txn *txn, kn_error *err) {
        _cleanup_iface_ kn_iface *live = NULL;
        kn_error e = {0};
        int r = kn_live_read(ns, def->name, &live, &e);
        if (r >= 0) {
                /* What iface-start needs to bring it back: the live state,
                 * without what only the kernel reports. */
                live->start = def->start;
                _cleanup_free_ char *xml = kn_iface_format_xml(live, KN_XML_INACTIVE);
                char what[96];
                snprintf(what, sizeof what, "destroy %s", def->name);
                if (xml)
                        kn_txn_record(txn, what, kn_live_apply_xml_undo, xml);
        } else if (r != -ENODEV)
                return kn_error_set(err, e.code, "%s", e.message);
        return kn_live_stop(ns, def, err);
}
