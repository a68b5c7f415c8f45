/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The NetworkManager keyfile backend (see nmkeyfile.h for what is read,
 * listed and written).
 *
 * State: every profile of both directories, parsed and digested (what it
 * says for the model, read once), and sorted indexes from interface-name=,
 * uuid= and master= to profiles, merged (not re-sorted) after a change. */

#include "nmkeyfile.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdint.h>
#include <strings.h>
#include <sys/stat.h>

#include "backends/owner-locate.h"
#include "macro.h"
#include "rootfs.h"

static bool has_suffix(const char *s, const char *suffix) {
        size_t n = strlen(s), m = strlen(suffix);
        return n > m && streq(s + n - m, suffix);
}

/* NetworkManager reads NAME.nmconnection and, from older releases, names
 * without a dot; backups and editor files have one. */
static bool wanted_name(const char *name) {
        return has_suffix(name, NM_SUFFIX) || !strchr(name, '.');
}

const char *nm_eth_section(const kn_ini *ini) {
        if (!kn_ini_has_section(ini, "ethernet") && kn_ini_has_section(ini, "802-3-ethernet"))
                return "802-3-ethernet";
        return "ethernet";
}

static kn_iface_type type_of(const char *s) {
        if (streq_ptr(s, "802-3-ethernet"))
                return KN_IFACE_ETHERNET;
        return s ? kn_iface_type_from_string(s) : _KN_IFACE_TYPE_INVALID;
}

nm_conn *nm_conn_new(nm_backend *b, const char *dir, const char *name, const char *data, size_t len,
                     bool runtime) {
        nm_conn *c = kn_xcalloc(1, sizeof *c);
        c->name = kn_xstrdup(name);
        c->rel = kn_xasprintf("%s/%s", dir, name);
        c->shown = kn_root_display(b->base.root, c->rel);
        c->runtime = runtime;
        c->broken = kn_ini_parse(&c->ini, KN_INI_KEYFILE, data, len) < 0;
        const kn_ini *ini = &c->ini;
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
        if (kn_mac_parse(kn_ini_get(ini, nm_eth_section(ini), "mac-address"), c->mac) < 0)
                c->mac[0] = '\0';
        nm_digest(c);
        return c;
}

void nm_conn_free(nm_conn *c) {
        if (!c)
                return;
        kn_ini_done(&c->ini);
        kn_iface_free(c->iface);
        free(c->problem);
        for (size_t k = 0; k < c->n_match_names; k++)
                free(c->match_names[k]);
        free(c->match_names);
        free(c->name);
        free(c->rel);
        free(c->shown);
        free(c);
}

bool nm_is_uuid(const char *s) {
        if (!s || strlen(s) != 36)
                return false;
        for (size_t k = 0; k < 36; k++)
                if (k == 8 || k == 13 || k == 18 || k == 23 ? s[k] != '-'
                                                            : !isxdigit((unsigned char) s[k]))
                        return false;
        return true;
}

bool nm_conn_matches(const nm_conn *c, const char *ifname, const char *mac) {
        if (c->ifname)
                return streq(c->ifname, ifname);
        for (size_t k = 0; k < c->n_match_names; k++)
                if (fnmatch(c->match_names[k], ifname, 0) == 0)
                        return true;
        return !isempty(mac) && c->mac[0] && strcasecmp(c->mac, mac) == 0;
}

/* conns[] order: etc/ before run/, each by file name. */
static int cmp_conn(const nm_conn *a, const nm_conn *b) {
        if (a->runtime != b->runtime)
                return a->runtime ? 1 : -1;
        return strcmp(a->name, b->name);
}

static int cmp_entry(const void *x, const void *y) {
        const nm_entry *a = x, *b = y;
        int r = strcmp(a->key, b->key);
        return r ? r : cmp_conn(a->conn, b->conn);
}

static void add_entry(nm_entry **v, size_t *n, size_t *alloc, const char *key, nm_conn *c) {
        GREEDY_REALLOC(*v, *alloc, *n + 1);
        (*v)[(*n)++] = (nm_entry){key, c};
}

static void index_conn(nm_backend *b, nm_conn *c) {
        if (c->ifname)
                add_entry(&b->by_ifname, &b->n_by_ifname, &b->alloc_by_ifname, c->ifname, c);
        if (c->uuid)
                add_entry(&b->by_uuid, &b->n_by_uuid, &b->alloc_by_uuid, c->uuid, c);
        if (!isempty(c->master))
                add_entry(&b->by_master, &b->n_by_master, &b->alloc_by_master, c->master, c);
}

static void reindex(nm_backend *b) {
        b->n_by_ifname = b->n_by_uuid = b->n_by_master = 0;
        for (size_t k = 0; k < b->n_conns; k++)
                index_conn(b, b->conns[k]);
        qsort_safe(b->by_ifname, b->n_by_ifname, sizeof *b->by_ifname, cmp_entry);
        qsort_safe(b->by_uuid, b->n_by_uuid, sizeof *b->by_uuid, cmp_entry);
        qsort_safe(b->by_master, b->n_by_master, sizeof *b->by_master, cmp_entry);
}

static size_t drop_dead(nm_entry *v, size_t n) {
        size_t out = 0;
        for (size_t k = 0; k < n; k++)
                if (!v[k].conn->dead)
                        v[out++] = v[k];
        return out;
}

/* Sort the entries from old on and merge them with the sorted ones
 * before: a change costs a pass over an index, not a sort of it. */
static void merge_tail(nm_entry *v, size_t old, size_t n) {
        qsort_safe(v + old, n - old, sizeof *v, cmp_entry);
        if (old == 0 || old == n)
                return;
        _cleanup_free_ nm_entry *tmp = kn_xmalloc(n * sizeof *tmp);
        size_t i = 0, j = old, o = 0;
        while (i < old || j < n)
                tmp[o++] = j == n || (i < old && cmp_entry(&v[i], &v[j]) <= 0) ? v[i++] : v[j++];
        memcpy(v, tmp, n * sizeof *v);
}

void nm_reindex(nm_backend *b) {
        if (!b->n_fresh && !b->n_dead)
                return;
        b->n_by_ifname = drop_dead(b->by_ifname, b->n_by_ifname);
        b->n_by_uuid = drop_dead(b->by_uuid, b->n_by_uuid);
        b->n_by_master = drop_dead(b->by_master, b->n_by_master);
        size_t i = b->n_by_ifname, u = b->n_by_uuid, m = b->n_by_master;
        for (size_t k = 0; k < b->n_fresh; k++)
                if (!b->fresh[k]->dead)
                        index_conn(b, b->fresh[k]);
        merge_tail(b->by_ifname, i, b->n_by_ifname);
        merge_tail(b->by_uuid, u, b->n_by_uuid);
        merge_tail(b->by_master, m, b->n_by_master);
        for (size_t k = 0; k < b->n_dead; k++)
                nm_conn_free(b->dead[k]);
        b->n_fresh = b->n_dead = 0;
}

static const nm_entry *first_entry(const nm_entry *v, size_t n, const char *key, size_t *ret_n) {
        size_t lo = 0, hi = n;
        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (strcmp(v[mid].key, key) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        size_t end = lo;
        while (end < n && streq(v[end].key, key))
                end++;
        if (ret_n)
                *ret_n = end - lo;
        return end > lo ? &v[lo] : NULL;
}

const nm_entry *nm_by_ifname(const nm_backend *b, const char *ifname, size_t *ret_n) {
        return first_entry(b->by_ifname, b->n_by_ifname, ifname, ret_n);
}

const nm_entry *nm_by_master(const nm_backend *b, const char *ref, size_t *ret_n) {
        return first_entry(b->by_master, b->n_by_master, ref, ret_n);
}

nm_conn *nm_by_uuid(const nm_backend *b, const char *uuid) {
        const nm_entry *e = first_entry(b->by_uuid, b->n_by_uuid, uuid, NULL);
        return e ? e->conn : NULL;
}

/* Position of the profile that sorts like key in conns[] (or where it
 * would go). */
static size_t conn_pos(const nm_backend *b, const nm_conn *key) {
        size_t lo = 0, hi = b->n_conns;
        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (cmp_conn(b->conns[mid], key) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

nm_conn *nm_find_rel(const nm_backend *b, const char *rel) {
        const char *slash = strrchr(rel, '/');
        nm_conn key = {.name = (char *) (slash ? slash + 1 : rel),
                       .runtime = strncmp(rel, NM_RUN_DIR "/", strlen(NM_RUN_DIR) + 1) == 0};
        size_t k = conn_pos(b, &key);
        return k < b->n_conns && streq(b->conns[k]->rel, rel) ? b->conns[k] : NULL;
}

const char *nm_resolve(const nm_backend *b, const char *ref) {
        if (!nm_is_uuid(ref))
                return ref;
        nm_conn *c = nm_by_uuid(b, ref);
        return c && c->ifname ? c->ifname : "";
}

nm_conn *nm_chosen(const nm_backend *b, const char *ifname) {
        size_t n;
        const nm_entry *e = nm_by_ifname(b, ifname, &n);
        nm_conn *first = NULL, *autoconnecting = NULL;
        _cleanup_free_ char *own = kn_xasprintf("%s" NM_SUFFIX, ifname);
        for (size_t k = 0; k < n; k++) {
                nm_conn *c = e[k].conn;
                if (c->runtime || (int) c->type < 0)
                        continue;
                if (streq(c->name, own))
                        return c;
                if (!first)
                        first = c;
                if (!autoconnecting &&
                    nm_parse_bool(kn_ini_get(&c->ini, "connection", "autoconnect")) != 0)
                        autoconnecting = c;
        }
        return autoconnecting ? autoconnecting : first;
}

static void state_clear(nm_backend *b) {
        for (size_t k = 0; k < b->n_conns; k++)
                nm_conn_free(b->conns[k]);
        free(b->conns);
        free(b->by_ifname);
        free(b->by_uuid);
        free(b->by_master);
        for (size_t k = 0; k < b->n_dead; k++)
                nm_conn_free(b->dead[k]);
        free(b->dead);
        free(b->fresh);
        b->conns = b->dead = b->fresh = NULL;
        b->by_ifname = b->by_uuid = b->by_master = NULL;
        b->n_conns = b->alloc_conns = b->n_dead = b->alloc_dead = b->n_fresh = b->alloc_fresh = 0;
        b->n_by_ifname = b->n_by_uuid = b->alloc_by_ifname = b->alloc_by_uuid = 0;
        b->n_by_master = b->alloc_by_master = 0;
}

static int load_dir(nm_backend *b, const char *dir, bool runtime, kn_error *err) {
        char **names;
        size_t n;
        int r = kn_root_list_dir(b->base.root, dir, &names, &n);
        if (r == -ENOENT)
                return 0;
        if (r < 0) {
                _cleanup_free_ char *shown = kn_root_display(b->base.root, dir);
                return kn_error_set(err, -r, "%s: cannot list the directory: %s", shown,
                                    strerror(-r));
        }
        for (size_t k = 0; k < n; k++) {
                if (!wanted_name(names[k]))
                        continue;
                _cleanup_free_ char *rel = kn_xasprintf("%s/%s", dir, names[k]);
                _cleanup_free_ char *data = NULL;
                size_t len = 0;
                struct stat st;
                if (kn_root_stat(b->base.root, rel, &st) < 0 || !S_ISREG(st.st_mode))
                        continue;
                r = kn_root_read_file(b->base.root, rel, &data, &len);
                nm_conn *c =
                        nm_conn_new(b, dir, names[k], r < 0 ? "" : data, r < 0 ? 0 : len, runtime);
                if (r < 0) {
                        c->broken = true;
                        free(c->problem);
                        c->problem = kn_xasprintf("cannot read: %s", strerror(-r));
                }
                GREEDY_REALLOC(b->conns, b->alloc_conns, b->n_conns + 1);
                b->conns[b->n_conns++] = c;
        }
        kn_strv_free(names, n);
        return 0;
}

static int nm_load(kn_backend *base, kn_error *err) {
        nm_backend *b = (nm_backend *) base;
        state_clear(b);
        int r = load_dir(b, NM_DIR, false, err);
        if (r >= 0)
                r = load_dir(b, NM_RUN_DIR, true, err);
        if (r < 0) {
                state_clear(b);
                return r;
        }
        reindex(b);
        return 0;
}

void nm_state_update(nm_backend *b, const char *rel, const char *data, size_t len) {
        nm_conn *old = nm_find_rel(b, rel);
        if (old) {
                size_t k = conn_pos(b, old);
                memmove(&b->conns[k], &b->conns[k + 1], (b->n_conns - k - 1) * sizeof *b->conns);
                b->n_conns--;
                /* Freed by nm_reindex(), once the indexes no longer point to it. */
                old->dead = true;
                GREEDY_REALLOC(b->dead, b->alloc_dead, b->n_dead + 1);
                b->dead[b->n_dead++] = old;
        }
        if (data) {
                const char *slash = strrchr(rel, '/');
                _cleanup_free_ char *dir = kn_xstrndup(rel, (size_t) (slash - rel));
                nm_conn *c = nm_conn_new(b, dir, slash + 1, data, len, false);
                size_t k = conn_pos(b, c);
                GREEDY_REALLOC(b->conns, b->alloc_conns, b->n_conns + 1);
                memmove(&b->conns[k + 1], &b->conns[k], (b->n_conns - k) * sizeof *b->conns);
                b->conns[k] = c;
                b->n_conns++;
                GREEDY_REALLOC(b->fresh, b->alloc_fresh, b->n_fresh + 1);
                b->fresh[b->n_fresh++] = c;
        }
}

static int dir_has_files(const kn_root *root, const char *dir) {
        char **names;
        size_t n;
        if (kn_root_list_dir(root, dir, &names, &n) < 0)
                return 0;
        int found = 0;
        for (size_t k = 0; k < n && !found; k++)
                found = wanted_name(names[k]);
        kn_strv_free(names, n);
        return found;
}

static int nm_detect(const kn_root *root) {
        if (dir_has_files(root, NM_DIR))
                return 2;
        return dir_has_files(root, NM_RUN_DIR);
}

static void nm_done(kn_backend *base) {
        state_clear((nm_backend *) base);
}

static void nm_list(kn_backend *base, kn_iface_list *out) {
        nm_view v = {0};
        nm_view_build((nm_backend *) base, &v, out);
        nm_view_done(&v);
}

static int nm_define_vt(kn_backend *base, const kn_iface *iface, kn_error *err) {
        return nm_define((nm_backend *) base, iface, err);
}

static int nm_undefine_vt(kn_backend *base, const char *name, kn_error *err) {
        return nm_undefine((nm_backend *) base, name, err);
}

static const char *const *nm_watch_dirs(kn_backend *base) {
        static const char *const dirs[] = {NM_DIR, NM_RUN_DIR, NULL};
        return dirs;
}

const kn_backend_vtable kn_nmkeyfile_vtable = {
        .name = "nmkeyfile",
        .object_size = sizeof(nm_backend),
        .lossy = true,
        .detect = nm_detect,
        .done = nm_done,
        .load = nm_load,
        .list = nm_list,
        .define = nm_define_vt,
        .undefine = nm_undefine_vt,
        .watch_dirs = nm_watch_dirs,
};

/* For kvmnet/owner.h: every profile that applies to the device, runtime
 * ones included. */
int kn_nmkeyfile_locate(kn_backend *base, const char *name, const char *mac, kn_owners *out) {
        nm_backend *b = (nm_backend *) base;
        for (size_t k = 0; k < b->n_conns; k++) {
                const nm_conn *c = b->conns[k];
                if (!nm_conn_matches(c, name, mac))
                        continue;
                const kn_ini_line *l = kn_ini_find(&c->ini, "connection", "interface-name");
                _cleanup_free_ char *how = NULL;
                if (!c->ifname && c->n_match_names) {
                        l = kn_ini_find(&c->ini, "match", "interface-name");
                        how = kn_xasprintf("[match] interface-name=%s", l->value);
                } else if (!c->ifname) {
                        l = kn_ini_find(&c->ini, nm_eth_section(&c->ini), "mac-address");
                        how = kn_xasprintf("mac-address=%s", l->value);
                }
                kn_owners_add(out, c->shown, l ? l->lineno : 0, how);
        }
        return 0;
}
