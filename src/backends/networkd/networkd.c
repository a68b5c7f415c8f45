/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The systemd-networkd backend: etc/systemd/network, .network and .netdev
 * files (see networkd.h for what is read, listed and written).
 *
 * State: a kn_ini_dir of both directories, with indexes from literal
 * Name= to .network, [NetDev] Name= to .netdev, Bridge=/Bond= and VLAN=
 * values to .network, and the list of .network files matching by
 * pattern. */

#include "networkd.h"

#include <stddef.h>

#include "kvmnet/owner.h"
#include "macro.h"

_Static_assert(offsetof(kn_networkd_file, file) == 0, "ND_FILE() casts from the dir's files");
_Static_assert(_ND_INDEX_MAX <= KN_INI_DIR_INDEXES, "kn_ini_dir has room for the indexes");

static bool has_suffix(const char *s, const char *suffix) {
        size_t n = strlen(s), m = strlen(suffix);
        return n > m && streq(s + n - m, suffix);
}

static bool wanted_name(const char *name) {
        return has_suffix(name, ".network") || has_suffix(name, ".netdev");
}

static kn_ini_file *file_open(kn_ini_dir *d, const char *rel, const char *data, size_t len) {
        kn_networkd_file *f = kn_xcalloc(1, sizeof *f);
        kn_ini_file_init(&f->file, d, rel, data, len);
        f->type = has_suffix(f->file.name, ".netdev") ? ND_NETDEV : ND_NETWORK;
        /* An empty file masks the one of the same name and matches nothing. */
        f->masked = len == 0;
        if (f->type == ND_NETWORK)
                kn_networkd_match_parse(f);
        else {
                f->netdev_name = kn_ini_get(&f->file.ini, "NetDev", "Name");
                f->netdev_kind = kn_ini_get(&f->file.ini, "NetDev", "Kind");
        }
        kn_networkd_digest(f);
        /* An unreadable one is digested as empty, but masks nothing. */
        if (!data)
                f->masked = false;
        return &f->file;
}

static void file_free(kn_ini_file *base) {
        kn_networkd_file *f = ND_FILE(base);
        kn_networkd_match_clear(f);
        kn_iface_free(f->iface);
        kn_ini_file_done(&f->file);
        free(f);
}

/* Append what one file contributes to the indexes. */
static void index_file(kn_ini_dir *d, kn_ini_file *base) {
        kn_networkd_file *f = ND_FILE(base);
        if (f->masked)
                return;
        if (f->type == ND_NETDEV) {
                if (f->netdev_name)
                        kn_ini_index_add(&d->index[ND_NETDEVS], f->netdev_name, base);
                return;
        }
        if (f->master[0])
                kn_ini_index_add(&d->index[ND_BY_MASTER], f->master, base);
        KN_INI_FOREACH(j, &base->ini, "Network", "VLAN") {
                if (*base->ini.lines[j].value)
                        kn_ini_index_add(&d->index[ND_BY_VLAN], base->ini.lines[j].value, base);
        }
        if (f->literal)
                kn_ini_index_add(&d->index[ND_LITERALS], f->literal, base);
        else
                kn_ini_index_add(&d->index[ND_PATTERNS], "", base);
}

static const kn_ini_dir_type kn_networkd_dir_type = {
        .dir = ND_DIR,
        .run_dir = ND_RUN_DIR,
        .syntax = KN_INI_SYSTEMD,
        .flags = KN_INI_DIR_SHADOW,
        .wanted = wanted_name,
        .open = file_open,
        .free = file_free,
        .index = index_file,
};

static kn_networkd_file *first_file(const kn_networkd_backend *b, int which, const char *link) {
        const kn_ini_entry *e = kn_ini_index_find(&b->dir.index[which], link, NULL);
        return e ? ND_FILE(e->file) : NULL;
}

kn_networkd_file *kn_networkd_literal_of(const kn_networkd_backend *b, const char *link) {
        return first_file(b, ND_LITERALS, link);
}

kn_networkd_file *kn_networkd_netdev_of(const kn_networkd_backend *b, const char *link) {
        return first_file(b, ND_NETDEVS, link);
}

const kn_ini_entry *kn_networkd_literals(const kn_networkd_backend *b, const char *link,
                                         size_t *ret_n) {
        return kn_ini_index_find(&b->dir.index[ND_LITERALS], link, ret_n);
}

const kn_ini_entry *kn_networkd_by_master(const kn_networkd_backend *b, const char *link,
                                          size_t *ret_n) {
        return kn_ini_index_find(&b->dir.index[ND_BY_MASTER], link, ret_n);
}

const kn_ini_entry *kn_networkd_by_vlan(const kn_networkd_backend *b, const char *link,
                                        size_t *ret_n) {
        return kn_ini_index_find(&b->dir.index[ND_BY_VLAN], link, ret_n);
}

/* A binary search over the literal files plus a walk over the pattern
 * files (a handful on real hosts), up to the first literal one that fits. */
kn_networkd_file *kn_networkd_applying(const kn_networkd_backend *b, const char *link,
                                       const char *mac) {
        kn_networkd_file *best = NULL;
        size_t n;
        const kn_ini_entry *e = kn_networkd_literals(b, link, &n);
        for (size_t k = 0; k < n; k++)
                if (kn_networkd_match(ND_FILE(e[k].file), link, mac)) {
                        best = ND_FILE(e[k].file);
                        break;
                }
        const kn_ini_index *patterns = &b->dir.index[ND_PATTERNS];
        for (size_t k = 0; k < patterns->n; k++) {
                kn_networkd_file *f = ND_FILE(patterns->v[k].file);
                if (best && strcmp(f->file.name, best->file.name) > 0)
                        break;
                if (kn_networkd_match(f, link, mac))
                        return f;
        }
        return best;
}

static int kn_networkd_load(kn_backend *base, kn_error *err) {
        kn_networkd_backend *b = (kn_networkd_backend *) base;
        return kn_ini_dir_load(&b->dir, &kn_networkd_dir_type, base->root, err);
}

/* 2: files in etc/; 1: only runtime files (netplan's, say), which still
 * tell that networkd runs the links they name. */
static int kn_networkd_detect(const kn_root *root) {
        return kn_ini_dir_detect(&kn_networkd_dir_type, root);
}

static void kn_networkd_done(kn_backend *base) {
        kn_ini_dir_done(&((kn_networkd_backend *) base)->dir);
}

static void kn_networkd_list(kn_backend *base, kn_iface_list *out) {
        kn_networkd_view v = {0};
        kn_networkd_view_build((kn_networkd_backend *) base, &v, out);
        kn_networkd_view_done(&v);
}

static int kn_networkd_define_vt(kn_backend *base, const kn_iface *iface, kn_error *err) {
        return kn_networkd_define((kn_networkd_backend *) base, iface, err);
}

static int kn_networkd_undefine_vt(kn_backend *base, const char *name, kn_error *err) {
        return kn_networkd_undefine((kn_networkd_backend *) base, name, err);
}

static const char *const *kn_networkd_watch_dirs(kn_backend *base) {
        static const char *const dirs[] = {ND_DIR, ND_RUN_DIR, NULL};
        return dirs;
}

/* What networkd-read.c lists back (see its mapping): no start mode is
 * onboot, an empty IPv4 protocol is nothing, <miimon carrier='netif'> is
 * the kernel's default with no key of its own. */
static void normalize_tree(kn_iface *i, bool top) {
        if (top) {
                if (!i->start)
                        i->start = KN_START_ONBOOT;
                kn_protocol *p = &i->ipv4;
                if (p->present && !p->dhcp && !p->n_ips && !p->gateway[0])
                        *p = (kn_protocol){0};
        }
        if (i->type == KN_IFACE_BOND && i->miimon_carrier == KN_CARRIER_NETIF)
                i->miimon_carrier = KN_CARRIER_UNSET;
        /* ports come in file-name order (10-kvmnet-NAME.network), an
         * active-backup bond's first slave first (PrimarySlave=yes) */
        kn_backend_sort_children(
                NULL, i, i->type == KN_IFACE_BOND && i->bond_mode == KN_BOND_ACTIVE_BACKUP, NULL);
        for (size_t k = 0; k < i->n_children; k++)
                normalize_tree(i->children[k], false);
}

static void kn_networkd_normalize(kn_backend *base, kn_iface *i) {
        normalize_tree(i, true);
}

static const char *kn_networkd_unstored_why(const char *want) {
        if (startswith(want, "<miimon carrier"))
                return "networkd has no key for it; 'netif' is the kernel's default";
        if (startswith(want, "the order"))
                return ".network files are read in file-name order";
        if (startswith(want, "<protocol family='ipv4'>"))
                return "an IPv4 with nothing in it has no networkd key";
        return NULL;
}

/* vtable locate(): the .network networkd applies to the link, and the
 * .netdev creating it. */
static int kn_networkd_locate(kn_backend *base, const char *name, const char *mac, kn_owners *out) {
        kn_networkd_backend *b = (kn_networkd_backend *) base;
        kn_networkd_file *f = kn_networkd_applying(b, name, mac),
                         *d = kn_networkd_netdev_of(b, name);
        if (f) {
                const kn_ini_line *l = kn_ini_find(&f->file.ini, "Match", "Name");
                if (!l)
                        l = kn_ini_find(&f->file.ini, "Match", "MACAddress");
                _cleanup_free_ char *how = f->literal ? NULL : kn_networkd_match_describe(f);
                kn_owners_add(out, f->file.shown, l ? l->lineno : 0, how);
        }
        if (d) {
                const kn_ini_line *l = kn_ini_find(&d->file.ini, "NetDev", "Name");
                kn_owners_add(out, d->file.shown, l ? l->lineno : 0, NULL);
        }
        return 0;
}

const kn_backend_vtable kn_networkd_vtable = {
        .unstored_why = kn_networkd_unstored_why,
        .name = "networkd",
        .regime = "systemd-networkd",
        .object_size = sizeof(kn_networkd_backend),
        .lossy = true,
        .normalize = kn_networkd_normalize,
        .relist = true,
        .detect = kn_networkd_detect,
        .detect_paths = (const char *const[]){ND_DIR "/", ND_RUN_DIR "/", NULL},
        .done = kn_networkd_done,
        .load = kn_networkd_load,
        .list = kn_networkd_list,
        .define = kn_networkd_define_vt,
        .undefine = kn_networkd_undefine_vt,
        .watch_dirs = kn_networkd_watch_dirs,
        .locate = kn_networkd_locate,
};
