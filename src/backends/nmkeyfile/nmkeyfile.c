/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The NetworkManager keyfile backend (see nmkeyfile.h for what is read,
 * listed and written).
 *
 * State: a kn_ini_dir of both directories, with indexes from
 * interface-name=, uuid= and master= to profiles. */

#include "nmkeyfile.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stddef.h>
#include <stdint.h>
#include <strings.h>

#include "kvmnet/owner.h"
#include "macro.h"

_Static_assert(offsetof(kn_nmkeyfile_conn, file) == 0, "NM_CONN() casts from the dir's files");
_Static_assert(_NM_INDEX_MAX <= KN_INI_DIR_INDEXES, "kn_ini_dir has room for the indexes");

static bool has_suffix(const char *s, const char *suffix) {
        size_t n = strlen(s), m = strlen(suffix);
        return n > m && streq(s + n - m, suffix);
}

/* NetworkManager reads NAME.nmconnection and, from older releases, names
 * without a dot; backups and editor files have one. */
static bool wanted_name(const char *name) {
        return has_suffix(name, NM_SUFFIX) || !strchr(name, '.');
}

const char *kn_nmkeyfile_eth_section(const kn_ini *ini) {
        if (!kn_ini_has_section(ini, "ethernet") && kn_ini_has_section(ini, "802-3-ethernet"))
                return "802-3-ethernet";
        return "ethernet";
}

static kn_iface_type type_of(const char *s) {
        if (streq_ptr(s, "802-3-ethernet"))
                return KN_IFACE_ETHERNET;
        return s ? kn_iface_type_from_string(s) : _KN_IFACE_TYPE_INVALID;
}

static kn_ini_file *conn_open(kn_ini_dir *d, const char *rel, const char *data, size_t len) {
        kn_nmkeyfile_conn *c = kn_xcalloc(1, sizeof *c);
        kn_ini_file_init(&c->file, d, rel, data, len);
        const kn_ini *ini = &c->file.ini;
        c->id = kn_ini_get(ini, "connection", "id");
        c->uuid = kn_ini_get(ini, "connection", "uuid");
        c->type_string = kn_ini_get(ini, "connection", "type");
        c->type = type_of(c->type_string);
        c->ifname = kn_ini_get(ini, "connection", "interface-name");
        /* Old releases kept the name in the type's section. */
        static const char *const old[] = {"bridge", "bond", "vlan"};
        for (size_t k = 0; k < ELEMENTSOF(old) && isempty(c->ifname); k++)
                c->ifname = kn_ini_get(ini, old[k], "interface-name");
        if (isempty(c->ifname))
                c->ifname = NULL;
        c->master = kn_ini_get(ini, "connection", "master");
        if (!c->master)
                c->master = kn_ini_get(ini, "connection", "controller");
        c->port_type = kn_ini_get(ini, "connection", "slave-type");
        if (!c->port_type)
                c->port_type = kn_ini_get(ini, "connection", "port-type");
        const char *m = kn_ini_get(ini, "match", "interface-name");
        for (const char *p = m; p && *p;) {
                size_t n = strcspn(p, ";");
                if (n > 0 && *p != '!') {
                        _cleanup_free_ char *pat = kn_xstrndup(p + (*p == '~'), n - (*p == '~'));
                        c->match_names = kn_xrealloc(c->match_names,
                                                     (c->n_match_names + 1) * sizeof(char *));
                        c->match_names[c->n_match_names++] = TAKE_PTR(pat);
                }
                p += n + (p[n] == ';');
        }
        if (kn_mac_parse(kn_ini_get(ini, kn_nmkeyfile_eth_section(ini), "mac-address"), c->mac) < 0)
                c->mac[0] = '\0';
        kn_nmkeyfile_digest(c);
        return &c->file;
}

static void conn_free(kn_ini_file *f) {
        kn_nmkeyfile_conn *c = NM_CONN(f);
        kn_iface_free(c->iface);
        for (size_t k = 0; k < c->n_match_names; k++)
                free(c->match_names[k]);
        free(c->match_names);
        kn_ini_file_done(&c->file);
        free(c);
}

bool kn_nmkeyfile_is_uuid(const char *s) {
        if (!s || strlen(s) != 36)
                return false;
        for (size_t k = 0; k < 36; k++)
                if (k == 8 || k == 13 || k == 18 || k == 23 ? s[k] != '-'
                                                            : !isxdigit((unsigned char) s[k]))
                        return false;
        return true;
}

bool kn_nmkeyfile_conn_matches(const kn_nmkeyfile_conn *c, const char *ifname, const char *mac) {
        if (c->ifname)
                return streq(c->ifname, ifname);
        for (size_t k = 0; k < c->n_match_names; k++)
                if (fnmatch(c->match_names[k], ifname, 0) == 0)
                        return true;
        return !isempty(mac) && c->mac[0] && strcasecmp(c->mac, mac) == 0;
}

static void index_conn(kn_ini_dir *d, kn_ini_file *f) {
        kn_nmkeyfile_conn *c = NM_CONN(f);
        if (c->ifname)
                kn_ini_index_add(&d->index[NM_BY_IFNAME], c->ifname, f);
        if (c->uuid)
                kn_ini_index_add(&d->index[NM_BY_UUID], c->uuid, f);
        if (!isempty(c->master))
                kn_ini_index_add(&d->index[NM_BY_MASTER], c->master, f);
}

static const kn_ini_dir_type kn_nmkeyfile_dir_type = {
        .dir = NM_DIR,
        .run_dir = NM_RUN_DIR,
        .syntax = KN_INI_KEYFILE,
        .flags = KN_INI_DIR_REGULAR,
        .wanted = wanted_name,
        .open = conn_open,
        .free = conn_free,
        .index = index_conn,
};

const kn_ini_entry *kn_nmkeyfile_by_ifname(const kn_nmkeyfile_backend *b, const char *ifname,
                                           size_t *ret_n) {
        return kn_ini_index_find(&b->dir.index[NM_BY_IFNAME], ifname, ret_n);
}

const kn_ini_entry *kn_nmkeyfile_by_master(const kn_nmkeyfile_backend *b, const char *ref,
                                           size_t *ret_n) {
        return kn_ini_index_find(&b->dir.index[NM_BY_MASTER], ref, ret_n);
}

kn_nmkeyfile_conn *kn_nmkeyfile_by_uuid(const kn_nmkeyfile_backend *b, const char *uuid) {
        const kn_ini_entry *e = kn_ini_index_find(&b->dir.index[NM_BY_UUID], uuid, NULL);
        return e ? NM_CONN(e->file) : NULL;
}

const char *kn_nmkeyfile_resolve(const kn_nmkeyfile_backend *b, const char *ref) {
        if (!kn_nmkeyfile_is_uuid(ref))
                return ref;
        kn_nmkeyfile_conn *c = kn_nmkeyfile_by_uuid(b, ref);
        return c && c->ifname ? c->ifname : "";
}

kn_nmkeyfile_conn *kn_nmkeyfile_chosen(const kn_nmkeyfile_backend *b, const char *ifname) {
        size_t n;
        const kn_ini_entry *e = kn_nmkeyfile_by_ifname(b, ifname, &n);
        kn_nmkeyfile_conn *first = NULL, *autoconnecting = NULL;
        _cleanup_free_ char *own = kn_xasprintf("%s" NM_SUFFIX, ifname);
        for (size_t k = 0; k < n; k++) {
                kn_nmkeyfile_conn *c = NM_CONN(e[k].file);
                if (c->file.runtime || (int) c->type < 0)
                        continue;
                if (streq(c->file.name, own))
                        return c;
                if (!first)
                        first = c;
                if (!autoconnecting && kn_nmkeyfile_parse_bool(kn_ini_get(
                                               &c->file.ini, "connection", "autoconnect")) != 0)
                        autoconnecting = c;
        }
        return autoconnecting ? autoconnecting : first;
}

static int kn_nmkeyfile_load(kn_backend *base, kn_error *err) {
        kn_nmkeyfile_backend *b = (kn_nmkeyfile_backend *) base;
        return kn_ini_dir_load(&b->dir, &kn_nmkeyfile_dir_type, base->root, err);
}

static int kn_nmkeyfile_detect(const kn_root *root) {
        return kn_ini_dir_detect(&kn_nmkeyfile_dir_type, root);
}

static void kn_nmkeyfile_done(kn_backend *base) {
        kn_ini_dir_done(&((kn_nmkeyfile_backend *) base)->dir);
}

static void kn_nmkeyfile_list(kn_backend *base, kn_iface_list *out) {
        kn_nmkeyfile_view v = {0};
        kn_nmkeyfile_view_build((kn_nmkeyfile_backend *) base, &v, out);
        kn_nmkeyfile_view_done(&v);
}

static int kn_nmkeyfile_define_vt(kn_backend *base, const kn_iface *iface, kn_error *err) {
        return kn_nmkeyfile_define((kn_nmkeyfile_backend *) base, iface, err);
}

static int kn_nmkeyfile_undefine_vt(kn_backend *base, const char *name, kn_error *err) {
        return kn_nmkeyfile_undefine((kn_nmkeyfile_backend *) base, name, err);
}

static const char *const *kn_nmkeyfile_watch_dirs(kn_backend *base) {
        static const char *const dirs[] = {NM_DIR, NM_RUN_DIR, NULL};
        return dirs;
}

static void normalize_protocol(kn_protocol *p, bool v6) {
        /* an IPv4 with neither DHCP nor addresses is method=disabled */
        if (!v6 && p->present && !p->dhcp && !p->n_ips)
                *p = (kn_protocol){0};
        /* method=auto is router advertisements, which start DHCPv6 when
         * they ask for it: autoconf with DHCP reads back as autoconf */
        if (v6 && p->autoconf && p->dhcp) {
                p->dhcp = false;
                p->peerdns = KN_UNSET;
        }
}

static void normalize_tree(kn_iface *i, bool top) {
        if (top) {
                /* no start mode but autoconnect on or off */
                i->start = i->start == KN_START_NONE ? KN_START_NONE : KN_START_ONBOOT;
                normalize_protocol(&i->ipv4, false);
                normalize_protocol(&i->ipv6, true);
        }
        /* below NetworkManager's minimum of 2 s (it would keep 15 s) the
         * forward delay is not written; with STP off the kernel does not
         * use it (with STP on define refuses it) */
        if (i->type == KN_IFACE_BRIDGE && i->delay >= 0 && i->delay < 2)
                i->delay = -1;
        /* ports come in file-name order (NAME.nmconnection), an
         * active-backup bond's primary= first */
        kn_backend_sort_children(
                NULL, i, i->type == KN_IFACE_BOND && i->bond_mode == KN_BOND_ACTIVE_BACKUP, NULL);
        for (size_t k = 0; k < i->n_children; k++)
                normalize_tree(i->children[k], false);
}

static void kn_nmkeyfile_normalize(kn_backend *base, kn_iface *i) {
        normalize_tree(i, true);
}

static const char *kn_nmkeyfile_unstored_why(const char *want) {
        if (startswith(want, "<bridge delay="))
                return "NetworkManager's forward-delay is 2 to 30 s; with STP off the kernel "
                       "does not use it";
        if (startswith(want, "<start mode="))
                return "NetworkManager starts a profile whenever its device is there";
        if (startswith(want, "<dhcp"))
                return "ipv6 method=auto runs DHCPv6 when router advertisements ask for it";
        if (startswith(want, "<protocol family='ipv4'>"))
                return "an IPv4 without DHCP or addresses is method=disabled";
        if (startswith(want, "the order"))
                return "profiles are read in file-name order";
        return NULL;
}

/* vtable locate(): every profile that applies to the device, runtime
 * ones included. */
static int kn_nmkeyfile_locate(kn_backend *base, const char *name, const char *mac,
                               kn_owners *out) {
        kn_nmkeyfile_backend *b = (kn_nmkeyfile_backend *) base;
        for (size_t k = 0; k < b->dir.n_files; k++) {
                const kn_nmkeyfile_conn *c = NM_CONN(b->dir.files[k]);
                if (!kn_nmkeyfile_conn_matches(c, name, mac))
                        continue;
                const kn_ini_line *l = kn_ini_find(&c->file.ini, "connection", "interface-name");
                _cleanup_free_ char *how = NULL;
                if (!c->ifname && c->n_match_names) {
                        l = kn_ini_find(&c->file.ini, "match", "interface-name");
                        how = kn_xasprintf("[match] interface-name=%s", l->value);
                } else if (!c->ifname) {
                        l = kn_ini_find(&c->file.ini, kn_nmkeyfile_eth_section(&c->file.ini),
                                        "mac-address");
                        how = kn_xasprintf("mac-address=%s", l->value);
                }
                kn_owners_add(out, c->file.shown, l ? l->lineno : 0, how);
        }
        return 0;
}

const kn_backend_vtable kn_nmkeyfile_vtable = {
        .unstored_why = kn_nmkeyfile_unstored_why,
        .name = "nmkeyfile",
        .regime = "NetworkManager",
        .object_size = sizeof(kn_nmkeyfile_backend),
        .lossy = true,
        .normalize = kn_nmkeyfile_normalize,
        .relist = true,
        .detect = kn_nmkeyfile_detect,
        .detect_paths = (const char *const[]){NM_DIR "/", NM_RUN_DIR "/", NULL},
        .done = kn_nmkeyfile_done,
        .load = kn_nmkeyfile_load,
        .list = kn_nmkeyfile_list,
        .define = kn_nmkeyfile_define_vt,
        .undefine = kn_nmkeyfile_undefine_vt,
        .watch_dirs = kn_nmkeyfile_watch_dirs,
        .locate = kn_nmkeyfile_locate,
};
