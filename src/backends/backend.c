/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kvmnet/backend.h"
#include "macro.h"
#include "rootfs.h"

extern const kn_backend_vtable kn_ifupdown_vtable;
extern const kn_backend_vtable kn_ifcfg_vtable;
extern const kn_backend_vtable kn_networkd_vtable;
extern const kn_backend_vtable kn_nmkeyfile_vtable;

/* Detection order: the first whose detect() says yes wins. */
const kn_backend_vtable *const kn_backends[] = {
        &kn_ifupdown_vtable, &kn_ifcfg_vtable, &kn_networkd_vtable, &kn_nmkeyfile_vtable, NULL,
};

const kn_backend_vtable *kn_backend_find(const char *name) {
        for (size_t k = 0; kn_backends[k]; k++)
                if (streq(kn_backends[k]->name, name))
                        return kn_backends[k];
        return NULL;
}

static int cmp_device(const void *a, const void *b) {
        return strcmp(((const kn_device_mac *) a)->name, ((const kn_device_mac *) b)->name);
}

/* Offline: ROOT/sys/class/net/NAME/address, as sysfs has it on a live host
 * (each NAME a symlink into /sys/devices there, a directory in a test
 * root).  Devices without an Ethernet-style address are left out. */
static int sysfs_device_macs(const kn_root *root, kn_device_mac **ret, size_t *n_ret) {
        char **names = NULL;
        size_t n = 0, m = 0;
        *ret = NULL;
        *n_ret = 0;
        int r = kn_root_list_dir(root, "sys/class/net", &names, &n);
        if (r == -ENOENT || r == -ENOTDIR)
                return 0;
        if (r < 0)
                return r;
        kn_device_mac *v = kn_xcalloc(n + 1, sizeof *v);
        for (size_t k = 0; k < n; k++) {
                _cleanup_free_ char *rel = kn_xasprintf("sys/class/net/%s/address", names[k]);
                _cleanup_free_ char *data = NULL;
                if (strlen(names[k]) > KN_IFNAME_MAX ||
                    kn_root_read_file(root, rel, &data, NULL) < 0)
                        continue;
                data[strcspn(data, " \t\r\n")] = '\0';
                if (kn_mac_parse(data, v[m].mac) < 0)
                        continue;
                snprintf(v[m].name, sizeof v[m].name, "%s", names[k]);
                m++;
        }
        kn_strv_free(names, n);
        *ret = v;
        *n_ret = m;
        return 0;
}

int kn_backend_device_macs(const kn_backend *b, kn_device_mac **ret, size_t *n_ret) {
        int r = b->device_macs ? b->device_macs(ret, n_ret, b->device_macs_data)
                               : sysfs_device_macs(b->root, ret, n_ret);
        if (r >= 0 && *n_ret > 1)
                qsort(*ret, *n_ret, sizeof **ret, cmp_device);
        return r;
}

int kn_device_mac_find(const kn_device_mac *ms, size_t n_ms, const char *name, char *mac) {
        kn_device_mac key = {0};
        if (strlen(name) > KN_IFNAME_MAX)
                return -ENODEV;
        strcpy(key.name, name);
        const kn_device_mac *m = n_ms ? bsearch(&key, ms, n_ms, sizeof *ms, cmp_device) : NULL;
        if (!m)
                return -ENODEV;
        memcpy(mac, m->mac, sizeof m->mac);
        return 0;
}

typedef struct sort_ctx {
        kn_backend *b;
        const char *(*key)(kn_backend *b, const kn_iface *child);
} sort_ctx;

static const char *child_key(const sort_ctx *x, const kn_iface *c) {
        const char *k = x->key ? x->key(x->b, c) : NULL;
        return k ? k : c->name;
}

static int cmp_child(const void *a, const void *b, void *userdata) {
        const kn_iface *x = *(kn_iface *const *) a, *y = *(kn_iface *const *) b;
        return strcmp(child_key(userdata, x), child_key(userdata, y));
}

void kn_backend_sort_children(kn_backend *b, kn_iface *i, bool keep_first,
                              const char *(*key)(kn_backend *b, const kn_iface *child)) {
        size_t skip = keep_first ? 1 : 0;
        sort_ctx x = {b, key};
        if (i->n_children > skip + 1)
                qsort_r(i->children + skip, i->n_children - skip, sizeof *i->children, cmp_child,
                        &x);
}
