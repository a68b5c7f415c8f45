/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Debian ifupdown backend: etc/network/interfaces and what it sources.
 * See ifupdown.h for the layout, read.c for the mapping of stanzas to
 * interfaces, write.c for how definitions become stanzas. */

#include "ifupdown.h"

/* 0: no etc/network/interfaces; 1: there is one, but it configures nothing
 * beyond lo (Debian's default, also present on hosts managed otherwise);
 * 2: it, or a file it sources from interfaces.d, configures an interface. */
static int ifupdown_detect(const kn_root *root) {
        char *text;
        size_t len;
        if (kn_root_read_file(root, IFU_MAIN, &text, &len) < 0)
                return 0;
        kn_ifupdown_file *f = kn_ifupdown_file_parse(IFU_MAIN, IFU_MAIN, text, len);
        int r = 1;
        bool sources = false;
        for (size_t k = 0; k < f->n_stanzas && r == 1; k++)
                if (!streq(f->stanzas[k].name, "lo"))
                        r = 2;
        for (size_t i = 0; i < f->n_lines; i++)
                sources |= f->lines[i].kind == IFU_SOURCE || f->lines[i].kind == IFU_SOURCE_DIR;
        kn_ifupdown_file_free(f);
        char **names;
        size_t n;
        if (r == 1 && sources &&
            kn_root_list_dir(root, "etc/network/interfaces.d", &names, &n) >= 0) {
                r = n > 0 ? 2 : 1;
                kn_strv_free(names, n);
        }
        return r;
}

static void ifupdown_done(kn_backend *b) {
        kn_ifupdown_forget_files((kn_ifupdown_backend *) b);
}

static int ifupdown_load(kn_backend *b, kn_error *err) {
        kn_ifupdown_backend *u = (kn_ifupdown_backend *) b;
        kn_ifupdown_forget_files(u);
        return kn_ifupdown_load_files(u, err);
}

static void ifupdown_list(kn_backend *b, kn_iface_list *out) {
        kn_ifupdown_list((kn_ifupdown_backend *) b, out);
}

static int ifupdown_define(kn_backend *b, const kn_iface *iface, kn_error *err) {
        return kn_ifupdown_define((kn_ifupdown_backend *) b, iface, err);
}

static int ifupdown_undefine(kn_backend *b, const char *name, kn_error *err) {
        return kn_ifupdown_undefine((kn_ifupdown_backend *) b, name, err);
}

static const char *const *ifupdown_watch_dirs(kn_backend *b) {
        kn_ifupdown_backend *u = (kn_ifupdown_backend *) b;
        static const char *const fallback[] = {"etc/network", NULL};
        return u->watch ? (const char *const *) u->watch : fallback;
}

/* What interfaces(5) has no words for: DHCP's peerdns (DNS from a lease
 * is resolvconf's business, not the stanza's), a gateway without an
 * address or a method ("manual" takes none), an empty IPv4 protocol (a
 * stanza without addresses is just "manual"; an empty IPv6 one is "auto"
 * with accept_ra 0). */
static void normalize_protocol(kn_protocol *p, bool v6) {
        p->peerdns = KN_UNSET;
        if (!p->dhcp && !p->autoconf && !p->n_ips) {
                p->gateway[0] = '\0';
                if (!v6)
                        p->present = false;
        }
}

static void normalize_tree(kn_iface *i) {
        normalize_protocol(&i->ipv4, false);
        normalize_protocol(&i->ipv6, true);
        for (size_t k = 0; k < i->n_children; k++)
                normalize_tree(i->children[k]);
}

static void ifupdown_normalize(kn_backend *b, kn_iface *i) {
        normalize_tree(i);
        /* no auto/allow-hotplug line reads back as "none" */
        if (!i->start)
                i->start = KN_START_NONE;
}

static const char *ifupdown_unstored_why(const char *want) {
        if (startswith(want, "<dhcp peerdns"))
                return "interfaces(5) has no DNS setting for a lease; that is resolvconf's";
        if (startswith(want, "<route gateway"))
                return "a gateway needs an address, DHCP or autoconf in its family";
        if (startswith(want, "<protocol family='ipv4'>"))
                return "an IPv4 stanza without addresses or DHCP is just 'manual'";
        return NULL;
}

const kn_backend_vtable kn_ifupdown_vtable = {
        .unstored_why = ifupdown_unstored_why,
        .name = "ifupdown",
        .lossy = true,
        .object_size = sizeof(kn_ifupdown_backend),
        .detect = ifupdown_detect,
        .detect_paths = (const char *const[]){IFU_MAIN, NULL},
        .done = ifupdown_done,
        .load = ifupdown_load,
        .list = ifupdown_list,
        .define = ifupdown_define,
        .undefine = ifupdown_undefine,
        .watch_dirs = ifupdown_watch_dirs,
        .normalize = ifupdown_normalize,
};
