/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Network definitions under the root: one file each, the autostart
 * symlinks beside them in autostart/, as libvirt lays its directory out. */
#include <arpa/inet.h>
#include <sys/stat.h>

#include "kvmnet/vnet.h"
#include "macro.h"
#include "net-private.h"
#include "rootfs.h"

struct kn_net_store {
        const kn_root *root;
        bool first_run;
        kn_net **nets;
        size_t n, alloc;
        char **errors;
        size_t n_errors;
};

static char *def_path(const char *name) {
        return kn_xasprintf(KN_NET_DIR "/%s.xml", name);
}

static char *auto_path(const char *name) {
        return kn_xasprintf(KN_NET_DIR "/autostart/%s.xml", name);
}

static int cmp_net(const void *a, const void *b) {
        return strcmp((*(kn_net *const *) a)->name, (*(kn_net *const *) b)->name);
}

static void sort(kn_net_store *s) {
        qsort_safe(s->nets, s->n, sizeof *s->nets, cmp_net);
}

static void add_error(kn_net_store *s, const kn_error *e) {
        s->errors = kn_xrealloc(s->errors, (s->n_errors + 1) * sizeof *s->errors);
        s->errors[s->n_errors++] = kn_xstrdup(e->message);
}

static void load_one(kn_net_store *s, const char *file) {
        size_t l = strlen(file);
        if (l < 5 || !streq(file + l - 4, ".xml"))
                return;
        _cleanup_free_ char *rel = kn_xasprintf(KN_NET_DIR "/%s", file);
        _cleanup_free_ char *shown = kn_root_display(s->root, rel);
        _cleanup_free_ char *text = NULL;
        size_t len;
        kn_error e = {0};
        kn_net *n = NULL;
        struct stat st;
        if (kn_root_stat(s->root, rel, &st) < 0 || !S_ISREG(st.st_mode))
                return; /* autostart/ and strays */
        int r = kn_root_read_file(s->root, rel, &text, &len);
        if (r < 0) {
                kn_error_set(&e, -r, "%s: %s", shown, strerror(-r));
                add_error(s, &e);
                return;
        }
        if (kn_net_parse_xml(text, len, shown, &n, &e) < 0) {
                add_error(s, &e);
                return;
        }
        /* The file name is the network's: a renamed file is not guessed at. */
        if (strlen(n->name) != l - 4 || strncmp(n->name, file, l - 4) != 0) {
                kn_error_set(&e, EINVAL, "%s: holds network '%s'; the file must be %s.xml", shown,
                             n->name, n->name);
                add_error(s, &e);
                kn_net_free(n);
                return;
        }
        GREEDY_REALLOC(s->nets, s->alloc, s->n + 1);
        s->nets[s->n++] = n;
}

int kn_net_store_open(const kn_root *root, kn_net_store **ret, kn_error *err) {
        kn_net_store *s = kn_xcalloc(1, sizeof *s);
        s->root = root;
        char **files = NULL;
        size_t nf = 0;
        int r = kn_root_list_dir(root, KN_NET_DIR, &files, &nf);
        if (r == -ENOENT)
                s->first_run = true;
        else if (r < 0) {
                _cleanup_free_ char *shown = kn_root_display(root, KN_NET_DIR);
                kn_net_store_free(s);
                return kn_error_set(err, -r, "%s: %s", shown, strerror(-r));
        }
        for (size_t k = 0; k < nf; k++)
                load_one(s, files[k]);
        kn_strv_free(files, nf);
        sort(s);
        *ret = s;
        return 0;
}

kn_net_store *kn_net_store_free(kn_net_store *s) {
        if (!s)
                return NULL;
        for (size_t k = 0; k < s->n; k++)
                kn_net_free(s->nets[k]);
        free(s->nets);
        kn_strv_free(s->errors, s->n_errors);
        free(s);
        return NULL;
}

bool kn_net_store_first_run(const kn_net_store *s) {
        return s->first_run;
}

size_t kn_net_store_list(const kn_net_store *s, const kn_net *const **ret) {
        *ret = (const kn_net *const *) s->nets;
        return s->n;
}

size_t kn_net_store_errors(const kn_net_store *s, const char *const **ret) {
        *ret = (const char *const *) s->errors;
        return s->n_errors;
}

static ssize_t find(const kn_net_store *s, const char *name) {
        for (size_t k = 0; k < s->n; k++)
                if (streq(s->nets[k]->name, name))
                        return (ssize_t) k;
        return -1;
}

const kn_net *kn_net_store_lookup(const kn_net_store *s, const char *key) {
        ssize_t k = find(s, key);
        if (k >= 0)
                return s->nets[k];
        uint8_t u[16];
        if (kn_net_uuid_parse(key, u) == 0)
                for (size_t j = 0; j < s->n; j++)
                        if (memcmp(s->nets[j]->uuid, u, 16) == 0)
                                return s->nets[j];
        return NULL;
}

bool kn_net_store_autostart(const kn_net_store *s, const char *name) {
        _cleanup_free_ char *rel = auto_path(name);
        struct stat st;
        /* a dangling link (its network gone) is not autostart */
        return kn_root_stat(s->root, rel, &st) == 0 && S_ISREG(st.st_mode);
}

static bool bridge_taken(const kn_net_store *s, const char *br, const char *except) {
        for (size_t k = 0; k < s->n; k++)
                if (!streq(s->nets[k]->name, except) && streq(s->nets[k]->bridge, br))
                        return true;
        return false;
}

static int check_define(kn_net_store *s, kn_net *n, bool (*in_use)(const char *, void *),
                        void *data, kn_error *err) {
        char uuid[37];
        for (size_t k = 0; k < s->n; k++) {
                const kn_net *o = s->nets[k];
                bool same_name = streq(o->name, n->name);
                bool same_uuid = memcmp(o->uuid, n->uuid, 16) == 0;
                kn_net_uuid_format(o->uuid, uuid);
                if (same_name && !same_uuid)
                        return kn_error_set(err, EEXIST,
                                            "network %s is already defined with UUID %s", o->name,
                                            uuid);
                if (same_uuid && !same_name)
                        return kn_error_set(err, EEXIST, "network %s already has the UUID %s",
                                            o->name, uuid);
        }
        if (n->bridge[0]) {
                for (size_t k = 0; k < s->n; k++)
                        if (!streq(s->nets[k]->name, n->name) &&
                            streq(s->nets[k]->bridge, n->bridge))
                                return kn_error_set(err, EEXIST,
                                                    "network %s: bridge %s is network %s's",
                                                    n->name, n->bridge, s->nets[k]->name);
                return 0;
        }
        ssize_t old = find(s, n->name);
        if (old >= 0 && s->nets[old]->bridge[0]) {
                /* a redefinition keeps the bridge it was given */
                memcpy(n->bridge, s->nets[old]->bridge, sizeof n->bridge);
                return 0;
        }
        for (unsigned k = 0; k < 100000; k++) {
                char br[KN_IFNAME_MAX + 1];
                snprintf(br, sizeof br, "kvbr%u", k);
                if (bridge_taken(s, br, n->name) || (in_use && in_use(br, data)))
                        continue;
                memcpy(n->bridge, br, sizeof br);
                return 0;
        }
        return kn_error_set(err, ENOSPC, "network %s: no free kvbrN bridge name", n->name);
}

int kn_net_store_define(kn_net_store *s, kn_net *n, bool (*in_use)(const char *, void *),
                        void *data, const kn_net **ret, kn_error *err) {
        _cleanup_net_ kn_net *own = n;
        int r = kn_net_validate(n, err);
        if (r < 0 || (r = check_define(s, n, in_use, data, err)) < 0)
                return r;
        _cleanup_free_ char *xml = kn_net_format_xml(n);
        _cleanup_free_ char *rel = def_path(n->name);
        if ((r = kn_root_write_atomic(s->root, rel, xml, strlen(xml), 0644, err)) < 0)
                return r;
        s->first_run = false;
        ssize_t old = find(s, n->name);
        if (old >= 0) {
                kn_net_free(s->nets[old]);
                s->nets[old] = TAKE_PTR(own);
        } else {
                GREEDY_REALLOC(s->nets, s->alloc, s->n + 1);
                s->nets[s->n++] = TAKE_PTR(own);
                sort(s);
        }
        if (ret)
                *ret = kn_net_store_lookup(s, n->name);
        return 0;
}

int kn_net_store_undefine(kn_net_store *s, const char *name, kn_error *err) {
        ssize_t k = find(s, name);
        if (k < 0)
                return kn_error_set(err, ENOENT, "no network named '%s'", name);
        _cleanup_free_ char *rel = def_path(name), *arel = auto_path(name);
        int r = kn_root_unlink(s->root, arel, err);
        if (r < 0 || (r = kn_root_unlink(s->root, rel, err)) < 0)
                return r;
        kn_net_free(s->nets[k]);
        memmove(s->nets + k, s->nets + k + 1, (s->n - (size_t) k - 1) * sizeof *s->nets);
        s->n--;
        return 0;
}

int kn_net_store_set_autostart(kn_net_store *s, const char *name, bool on, kn_error *err) {
        if (find(s, name) < 0)
                return kn_error_set(err, ENOENT, "no network named '%s'", name);
        _cleanup_free_ char *arel = auto_path(name);
        if (!on)
                return kn_root_unlink(s->root, arel, err);
        _cleanup_free_ char *target = kn_xasprintf("../%s.xml", name);
        /* the directory may not be there yet: a temporary write makes it */
        _cleanup_free_ char *dir_probe = kn_xasprintf(KN_NET_DIR "/autostart/.kvmnet-mkdir");
        if (!kn_root_exists(s->root, KN_NET_DIR "/autostart")) {
                int r = kn_root_write_atomic(s->root, dir_probe, "", 0, 0644, err);
                if (r < 0)
                        return r;
                kn_root_unlink(s->root, dir_probe, NULL);
        }
        return kn_root_symlink_atomic(s->root, arel, target, (uid_t) -1, (gid_t) -1, err);
}

kn_net *kn_net_default(bool (*taken)(const char *subnet, unsigned prefix, void *), void *data,
                       unsigned *ret_x) {
        unsigned x = 122;
        for (unsigned k = 122; k < 122 + 256; k++) {
                x = k % 256;
                char subnet[32];
                snprintf(subnet, sizeof subnet, "192.168.%u.0", x);
                if (!taken || !taken(subnet, 24, data))
                        break;
        }
        kn_net *n = kn_net_new("default");
        kn_net_uuid_generate(n->uuid);
        n->forward = KN_NET_NAT;
        snprintf(n->bridge, sizeof n->bridge, "kvbr0");
        /* STP off: a host-only bridge has no loop to break, and with STP on
         * the kernel holds each new port 2 s or more in listening/learning
         * (libvirt's stp='on' delay='0' is not a setting the kernel takes) */
        n->stp = 0;
        n->ips = kn_xcalloc(1, sizeof *n->ips);
        n->n_ips = 1;
        kn_net_ip *ip = &n->ips[0];
        ip->family = AF_INET;
        snprintf(ip->address, sizeof ip->address, "192.168.%u.1", x);
        ip->prefix = 24;
        ip->netmask = true;
        ip->dhcp = true;
        ip->ranges = kn_xcalloc(1, sizeof *ip->ranges);
        ip->n_ranges = 1;
        snprintf(ip->ranges[0].start, sizeof ip->ranges[0].start, "192.168.%u.2", x);
        snprintf(ip->ranges[0].end, sizeof ip->ranges[0].end, "192.168.%u.254", x);
        if (ret_x)
                *ret_x = x;
        return n;
}
