/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Debian ifupdown backend: etc/network/interfaces and what it sources.
 * See ifupdown.h for the layout, read.c for the mapping of stanzas to
 * interfaces, write.c for how definitions become stanzas. */

#include "ifupdown.h"

static int ifupdown_detect(const kn_root *root) {
        return kn_root_exists(root, IFU_MAIN) ? 1 : 0;
}

static void ifupdown_done(kn_backend *b) {
        ifu_forget_files((ifu_backend *) b);
}

static int ifupdown_load(kn_backend *b, kn_error *err) {
        ifu_backend *u = (ifu_backend *) b;
        ifu_forget_files(u);
        return ifu_load_files(u, err);
}

static void ifupdown_list(kn_backend *b, kn_iface_list *out) {
        ifu_list((ifu_backend *) b, out);
}

static int ifupdown_define(kn_backend *b, const kn_iface *iface, kn_error *err) {
        return ifu_define((ifu_backend *) b, iface, err);
}

static int ifupdown_undefine(kn_backend *b, const char *name, kn_error *err) {
        return ifu_undefine((ifu_backend *) b, name, err);
}

static const char *const *ifupdown_watch_dirs(kn_backend *b) {
        ifu_backend *u = (ifu_backend *) b;
        static const char *const fallback[] = {"etc/network", NULL};
        return u->watch ? (const char *const *) u->watch : fallback;
}

const kn_backend_vtable kn_ifupdown_vtable = {
        .name = "ifupdown",
        .object_size = sizeof(ifu_backend),
        .detect = ifupdown_detect,
        .done = ifupdown_done,
        .load = ifupdown_load,
        .list = ifupdown_list,
        .define = ifupdown_define,
        .undefine = ifupdown_undefine,
        .watch_dirs = ifupdown_watch_dirs,
};
