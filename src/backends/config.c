/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kvmnet/config.h"
#include "kvmnet/owner.h"

#include "macro.h"
#include "rootfs.h"
#include "strbuf.h"

/* One entry per interface name in every tree: lets a lookup find a port
 * as fast as a top-level interface (bsearch, no per-request scan). */
typedef struct name_entry {
        const char *name;
        const kn_iface *node, *top;
} name_entry;

struct kn_config {
        kn_root *root;
        kn_backend *backend;
        bool dirty;
        kn_iface_list list; /* items sorted by name */
        name_entry *names;
        size_t n_names, alloc_names;
};

static int cmp_iface(const void *a, const void *b) {
        return strcmp((*(kn_iface *const *) a)->name, (*(kn_iface *const *) b)->name);
}

static int cmp_entry(const void *a, const void *b) {
        return strcmp(((const name_entry *) a)->name, ((const name_entry *) b)->name);
}

static void index_tree(kn_config *c, const kn_iface *node, const kn_iface *top) {
        if (node->name[0]) {
                GREEDY_REALLOC(c->names, c->alloc_names, c->n_names + 1);
                c->names[c->n_names++] = (name_entry){node->name, node, top};
        }
        for (size_t k = 0; k < node->n_children; k++)
                index_tree(c, node->children[k], top);
}

/* Rebuild list and index from the backend's state (after a load). */
static void refresh(kn_config *c) {
        if (!c->dirty)
                return;
        kn_iface_list_done(&c->list);
        c->backend->vt->list(c->backend, &c->list);
        if (c->list.n > 1)
                qsort(c->list.items, c->list.n, sizeof *c->list.items, cmp_iface);
        c->n_names = 0;
        for (size_t k = 0; k < c->list.n; k++)
                index_tree(c, c->list.items[k], c->list.items[k]);
        if (c->n_names > 1)
                qsort(c->names, c->n_names, sizeof *c->names, cmp_entry);
        c->dirty = false;
}

/* First position in a sorted array whose name is >= name. */
#define LOWER_BOUND(array, n, name_of, name)                                                       \
        ({                                                                                         \
                size_t _lo = 0, _hi = (n);                                                         \
                while (_lo < _hi) {                                                                \
                        size_t _mid = (_lo + _hi) / 2;                                             \
                        if (strcmp(name_of((array)[_mid]), (name)) < 0)                            \
                                _lo = _mid + 1;                                                    \
                        else                                                                       \
                                _hi = _mid;                                                        \
                }                                                                                  \
                _lo;                                                                               \
        })
#define ITEM_NAME(i)  ((i)->name)
#define ENTRY_NAME(e) ((e).name)

/* Keep list and index in step with a define/undefine without asking the
 * backend for everything again: a batch of 10,000 defines stays O(N log N)
 * instead of O(N^2). */
static void index_remove_tree(kn_config *c, const kn_iface *node) {
        if (node->name[0]) {
                size_t k = LOWER_BOUND(c->names, c->n_names, ENTRY_NAME, node->name);
                /* A name can sit in two trees of a broken config: find ours. */
                while (k < c->n_names && streq(c->names[k].name, node->name) &&
                       c->names[k].node != node)
                        k++;
                if (k < c->n_names && c->names[k].node == node) {
                        memmove(c->names + k, c->names + k + 1,
                                (c->n_names - k - 1) * sizeof *c->names);
                        c->n_names--;
                }
        }
        for (size_t k = 0; k < node->n_children; k++)
                index_remove_tree(c, node->children[k]);
}

static void index_insert_tree(kn_config *c, const kn_iface *node, const kn_iface *top) {
        if (node->name[0]) {
                GREEDY_REALLOC(c->names, c->alloc_names, c->n_names + 1);
                size_t k = LOWER_BOUND(c->names, c->n_names, ENTRY_NAME, node->name);
                memmove(c->names + k + 1, c->names + k, (c->n_names - k) * sizeof *c->names);
                c->names[k] = (name_entry){node->name, node, top};
                c->n_names++;
        }
        for (size_t k = 0; k < node->n_children; k++)
                index_insert_tree(c, node->children[k], top);
}

static void list_remove_top(kn_config *c, const char *name) {
        size_t k = LOWER_BOUND(c->list.items, c->list.n, ITEM_NAME, name);
        if (k >= c->list.n || !streq(c->list.items[k]->name, name))
                return;
        kn_iface *old = c->list.items[k];
        index_remove_tree(c, old);
        memmove(c->list.items + k, c->list.items + k + 1,
                (c->list.n - k - 1) * sizeof *c->list.items);
        c->list.n--;
        kn_iface_free(old);
}

/* Top-level interfaces that the new tree replaces or absorbs (eth0 that
 * becomes a port of br0) leave the list. */
static void list_remove_absorbed(kn_config *c, const kn_iface *node) {
        if (node->name[0])
                list_remove_top(c, node->name);
        for (size_t k = 0; k < node->n_children; k++)
                list_remove_absorbed(c, node->children[k]);
}

static void list_insert_top(kn_config *c, kn_iface *copy) {
        GREEDY_REALLOC(c->list.items, c->list.alloc, c->list.n + 1);
        size_t k = LOWER_BOUND(c->list.items, c->list.n, ITEM_NAME, copy->name);
        memmove(c->list.items + k + 1, c->list.items + k, (c->list.n - k) * sizeof *c->list.items);
        c->list.items[k] = copy;
        c->list.n++;
        index_insert_tree(c, copy, copy);
}

/* Warnings included: redefining the interface may settle them too. */
static bool any_diag(kn_config *c, const char *name) {
        refresh(c);
        for (size_t k = 0; k < c->list.n_diags; k++)
                if (streq_ptr(c->list.diags[k].iface, name))
                        return true;
        return false;
}

static bool has_diag(kn_config *c, const kn_iface *node) {
        if (node->name[0] && any_diag(c, node->name))
                return true;
        for (size_t k = 0; k < node->n_children; k++)
                if (has_diag(c, node->children[k]))
                        return true;
        return false;
}

/* The regime whose files say most (detect() scores: 2 = it configures
 * interfaces, 1 = only its directory or defaults are there); ties go to
 * the earlier backend in kn_backends[]. */
static const kn_backend_vtable *detect(const kn_root *root) {
        const kn_backend_vtable *best = NULL;
        int best_score = 0;
        for (size_t k = 0; kn_backends[k]; k++) {
                int score = kn_backends[k]->detect(root);
                if (score > best_score) {
                        best = kn_backends[k];
                        best_score = score;
                }
        }
        return best;
}

/* "ROOT/etc/network/interfaces (ifupdown), ..." */
static void detect_paths(const kn_root *root, kn_strbuf *out) {
        for (size_t k = 0; kn_backends[k]; k++) {
                const char *const *p = kn_backends[k]->detect_paths;
                for (size_t j = 0; p && p[j]; j++) {
                        _cleanup_free_ char *shown = kn_root_display(root, p[j]);
                        kn_strbuf_printf(out, "%s%s", out->len ? ", " : "", shown);
                }
                if (p && p[0])
                        kn_strbuf_printf(out, " (%s)", kn_backends[k]->name);
        }
        if (!out->s)
                kn_strbuf_putn(out, "", 0);
}

static void backend_names(char *buf, size_t size) {
        buf[0] = '\0';
        for (size_t k = 0; kn_backends[k]; k++)
                snprintf(buf + strlen(buf), size - strlen(buf), "%s%s", k ? ", " : "",
                         kn_backends[k]->name);
}

int kn_config_open(const char *root, const char *backend, kn_config **ret, kn_error *err) {
        const kn_backend_vtable *vt = NULL;
        if (backend) {
                vt = kn_backend_find(backend);
                if (!vt) {
                        char names[128];
                        backend_names(names, sizeof names);
                        return kn_error_set(err, EINVAL, "unknown backend '%s' (valid: %s)",
                                            backend, names);
                }
        }
        kn_config *c = kn_xcalloc(1, sizeof *c);
        int r = kn_root_open(root ? root : "/", &c->root, err);
        if (r < 0) {
                free(c);
                return r;
        }
        if (!vt)
                vt = detect(c->root);
        if (!vt) {
                char names[128];
                backend_names(names, sizeof names);
                _cleanup_strbuf_ kn_strbuf looked = {0};
                detect_paths(c->root, &looked);
                r = kn_error_set(err, ENOENT,
                                 "cannot tell the configuration regime of %s: none of its files "
                                 "are there (looked for %s); choose one with --backend (%s)",
                                 kn_root_path(c->root), looked.s, names);
                kn_config_free(c);
                return r;
        }
        c->backend = kn_xcalloc(1, vt->object_size);
        c->backend->vt = vt;
        c->backend->root = c->root;
        r = kn_config_reload(c, err);
        if (r < 0) {
                kn_config_free(c);
                return r;
        }
        /* Temp files of a writer killed before its rename. */
        const char *const *dirs = vt->watch_dirs ? vt->watch_dirs(c->backend) : NULL;
        for (size_t k = 0; dirs && dirs[k]; k++)
                (void) kn_root_clean_temps(c->root, dirs[k]);
        *ret = c;
        return 0;
}

int kn_config_set_filelog(kn_config *c, struct kn_filelog *log) {
        c->backend->log = log;
        return 0;
}

kn_config *kn_config_free(kn_config *c) {
        if (!c)
                return NULL;
        if (c->backend) {
                if (c->backend->vt->done)
                        c->backend->vt->done(c->backend);
                free(c->backend);
        }
        kn_iface_list_done(&c->list);
        free(c->names);
        kn_root_free(c->root);
        free(c);
        return NULL;
}

const char *kn_config_backend_name(const kn_config *c) {
        return c->backend->vt->name;
}

const char *kn_config_root(const kn_config *c) {
        return kn_root_path(c->root);
}

const kn_root *kn_config_root_fs(const kn_config *c) {
        return c->root;
}

int kn_config_reload(kn_config *c, kn_error *err) {
        c->dirty = true;
        return c->backend->vt->load(c->backend, err);
}

size_t kn_config_list(kn_config *c, const kn_iface *const **ret) {
        refresh(c);
        *ret = (const kn_iface *const *) c->list.items;
        return c->list.n;
}

size_t kn_config_diags(kn_config *c, const kn_diag **ret) {
        refresh(c);
        *ret = c->list.diags;
        return c->list.n_diags;
}

const kn_iface *kn_config_lookup(kn_config *c, const char *name, const kn_iface **ret_top) {
        refresh(c);
        size_t k = LOWER_BOUND(c->names, c->n_names, ENTRY_NAME, name);
        const name_entry *e = k < c->n_names && streq(c->names[k].name, name) ? &c->names[k] : NULL;
        if (ret_top)
                *ret_top = e ? e->top : NULL;
        return e ? e->node : NULL;
}

const kn_diag *kn_config_lookup_diag(kn_config *c, const char *name) {
        refresh(c);
        for (size_t k = 0; k < c->list.n_diags; k++)
                if (!c->list.diags[k].warning && streq_ptr(c->list.diags[k].iface, name))
                        return &c->list.diags[k];
        return NULL;
}

static bool tree_has_mac(const kn_iface *i, const char *mac) {
        if (streq(i->mac, mac))
                return true;
        for (size_t k = 0; k < i->n_children; k++)
                if (tree_has_mac(i->children[k], mac))
                        return true;
        return false;
}

size_t kn_config_lookup_mac(kn_config *c, const char *mac, const kn_iface *const **ret) {
        char want[KN_MAC_STRLEN + 1];
        const kn_iface **found = NULL;
        size_t n = 0;
        refresh(c);
        if (kn_mac_parse(mac, want) >= 0) {
                found = kn_xcalloc(c->list.n, sizeof *found);
                for (size_t k = 0; k < c->list.n; k++)
                        if (tree_has_mac(c->list.items[k], want))
                                found[n++] = c->list.items[k];
        }
        *ret = found;
        return n;
}

void kn_config_set_device_macs(kn_config *c, kn_device_macs_fn fn, void *userdata) {
        c->backend->device_macs = fn;
        c->backend->device_macs_data = userdata;
}

static void push_name(const char ***v, size_t *n, const char *name) {
        for (size_t k = 0; k < *n; k++)
                if (streq((*v)[k], name))
                        return;
        *v = kn_xrealloc(*v, (*n + 1) * sizeof **v);
        (*v)[(*n)++] = name;
}

static void names_with_mac(const kn_iface *i, const char *mac, const kn_device_mac *devs,
                           size_t n_devs, const char ***v, size_t *n) {
        char dev[KN_MAC_STRLEN + 1];
        if (i->name[0] &&
            (streq(i->mac, mac) ||
             (kn_device_mac_find(devs, n_devs, i->name, dev) >= 0 && streq(dev, mac))))
                push_name(v, n, i->name);
        for (size_t k = 0; k < i->n_children; k++)
                names_with_mac(i->children[k], mac, devs, n_devs, v, n);
}

size_t kn_config_names_by_mac(kn_config *c, const char *mac, const char ***ret) {
        char want[KN_MAC_STRLEN + 1];
        const char **v = NULL;
        size_t n = 0, n_devs = 0;
        _cleanup_free_ kn_device_mac *devs = NULL;
        refresh(c);
        if (kn_mac_parse(mac, want) >= 0) {
                /* A device nobody could read is only not found by its MAC. */
                if (kn_backend_device_macs(c->backend, &devs, &n_devs) < 0)
                        n_devs = 0;
                for (size_t k = 0; k < c->list.n; k++)
                        names_with_mac(c->list.items[k], want, devs, n_devs, &v, &n);
        }
        *ret = v;
        return n;
}

static const char *role_of(const kn_iface *top) {
        return top->type == KN_IFACE_BOND ? "a slave of bond" : "a port of bridge";
}

/* A name in the new tree may take over an existing top-level interface
 * (eth0 becoming a bridge port), but not a port of some other master. */
static int check_conflicts(kn_config *c, const kn_iface *new_top, const kn_iface *node,
                           kn_error *err) {
        const kn_iface *top;
        if (node->name[0] && kn_config_lookup(c, node->name, &top) && top &&
            !streq(top->name, node->name) && !streq(top->name, new_top->name))
                return kn_error_set(err, EBUSY, "%s is already %s %s; remove it from %s first",
                                    node->name, role_of(top), top->name, top->name);
        for (size_t k = 0; k < node->n_children; k++) {
                int r = check_conflicts(c, new_top, node->children[k], err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* A vlan port given without a name is PARENT.TAG in every regime: name it
 * before anything is written, so every backend stores the same thing. */
static int name_vlans(kn_iface *i, kn_error *err) {
        if (i->type == KN_IFACE_VLAN && !i->name[0] && i->vlan_parent[0]) {
                int n = snprintf(i->name, sizeof i->name, "%s.%d", i->vlan_parent, i->vlan_tag);
                if (n < 0 || (size_t) n >= sizeof i->name)
                        return kn_error_set(err, EINVAL,
                                            "the vlan with tag %d on %s needs a name: %s.%d is "
                                            "longer than %d characters",
                                            i->vlan_tag, i->vlan_parent, i->vlan_parent,
                                            i->vlan_tag, KN_IFNAME_MAX);
        }
        for (size_t k = 0; k < i->n_children; k++) {
                int r = name_vlans(i->children[k], err);
                if (r < 0)
                        return r;
        }
        return 0;
}

typedef struct unstored {
        const kn_backend_vtable *vt;
        char ***warnings;
        size_t *n_warnings, n;
} unstored;

static void warn_unstored(const char *iface, const char *want, const char *got, void *userdata) {
        unstored *u = userdata;
        const char *why = u->vt->unstored_why ? u->vt->unstored_why(want) : NULL;
        char *w = kn_xasprintf("%s: the %s backend cannot store %s; %s%s%s%s%s", iface, u->vt->name,
                               want, got ? "it reads back as " : "it is left out", got ? got : "",
                               why ? " (" : "", why ? why : "", why ? ")" : "");
        *u->warnings = kn_xrealloc(*u->warnings, (*u->n_warnings + 1) * sizeof **u->warnings);
        (*u->warnings)[(*u->n_warnings)++] = w;
        u->n++;
}

size_t kn_config_prepare_define(kn_config *c, kn_iface *iface, char ***warnings,
                                size_t *n_warnings) {
        const kn_backend_vtable *vt = c->backend->vt;
        size_t n = kn_iface_fill_prefixes(iface, warnings, n_warnings);
        n += kn_iface_merge_addresses(iface, warnings, n_warnings);
        if (!vt->normalize)
                return n;
        /* what list() will give back, against what was asked */
        _cleanup_iface_ kn_iface *want = kn_iface_copy(iface);
        if (name_vlans(want, NULL) < 0)
                return n; /* define refuses it */
        _cleanup_iface_ kn_iface *got = kn_iface_copy(want);
        vt->normalize(c->backend, got);
        unstored u = {vt, warnings, n_warnings, 0};
        kn_iface_diff(want, got, warn_unstored, &u);
        return n + u.n;
}

int kn_config_define(kn_config *c, const kn_iface *iface, kn_error *err) {
        _cleanup_iface_ kn_iface *def = kn_iface_copy(iface);
        const kn_backend_vtable *vt = c->backend->vt;
        int r = name_vlans(def, err);
        if (r < 0)
                return r;
        /* every reader keeps a repeated address once */
        kn_iface_merge_addresses(def, NULL, NULL);
        r = kn_iface_validate(def, err);
        if (r < 0)
                return r;
        r = check_conflicts(c, def, def, err);
        if (r < 0)
                return r;
        /* One owner per interface: never write ifupdown's stanza for a
         * NIC that NetworkManager also manages. */
        r = kn_owner_check(c->root, vt, def, err);
        if (r < 0)
                return r;
        /* A definition that settles a broken file changes the diagnostics
         * too: only the backend can say how, so ask it for everything. */
        bool full = (vt->lossy && (!vt->normalize || vt->relist)) || has_diag(c, def);
        r = vt->define(c->backend, def, err);
        if (r < 0 || full) {
                c->dirty = true;
                return r;
        }
        if (vt->normalize)
                vt->normalize(c->backend, def);
        list_remove_absorbed(c, def);
        list_insert_top(c, TAKE_PTR(def));
        return 0;
}

int kn_config_undefine(kn_config *c, const char *name, kn_error *err) {
        int r = kn_ifname_validate(name, NULL, err);
        if (r < 0)
                return r;
        const kn_iface *top;
        if (kn_config_lookup(c, name, &top)) {
                if (!streq(top->name, name))
                        return kn_error_set(err, EBUSY,
                                            "%s is %s %s; undefine %s or define it without %s",
                                            name, role_of(top), top->name, top->name, name);
        } else if (!kn_config_lookup_diag(c, name))
                return kn_error_set(err, ENOENT, "no interface named '%s'", name);
        bool full = any_diag(c, name); /* its warnings go too */
        r = c->backend->vt->undefine(c->backend, name, err);
        if (r < 0 || full)
                c->dirty = true;
        else
                list_remove_top(c, name);
        return r;
}

const char *const *kn_config_watch_dirs(kn_config *c) {
        return c->backend->vt->watch_dirs(c->backend);
}
