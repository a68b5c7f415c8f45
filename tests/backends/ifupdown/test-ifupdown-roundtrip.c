/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Randomised round trips over messy interfaces(5) files (a deterministic
 * fuzz: same seed, same files):
 *  - every interface list() gives, defined again, lists back equal, and a
 *    second define changes no byte;
 *  - interfaces listed from one random configuration, defined into
 *    another, list back equal, or are refused leaving every file as it was;
 *    a fresh load agrees with the state the backend kept.
 *
 *   test-ifupdown-roundtrip [ITERATIONS [SEED]] */

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>

#include "kvmnet/backend.h"
#include "macro.h"
#include "rootfs.h"
#include "strbuf.h"
#include "testutil.h"

extern const kn_backend_vtable kn_ifupdown_vtable;

static unsigned long long rng;

static unsigned rnd(unsigned n) {
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        return (unsigned) ((rng >> 33) % n);
}

#define PICK(a) (a)[rnd(ELEMENTSOF(a))]

/* Stanzas over a few names, with owned and foreign options in any order:
 * conflicts, duplicates and nonsense on purpose. */
static char *random_config(void) {
        static const char *const names[] = {"eth0",  "eth1",    "eth2",    "br0",   "br1",
                                            "bond0", "eth0.10", "eth1.20", "vlan5", "lo"};
        static const char *const m4[] = {"static", "dhcp", "manual", "manual"};
        static const char *const m6[] = {"static", "dhcp", "auto", "manual"};
        static const char *const opts[] = {
                "address 10.0.%u.1/24",
                "address fd00::%u/64",
                "address 10.1.%u.1",
                "netmask 255.255.0.0",
                "gateway 10.0.%u.254",
                "bridge_ports eth%u",
                "bridge_ports eth0.10 bond0",
                "bridge-ports none",
                "bond-slaves eth%u",
                "bond-master bond0",
                "bond-mode %u",
                "bond-miimon 1%u0",
                "bond-arp-interval 10",
                "bond-arp-ip-target 1.2.3.%u",
                "vlan-raw-device eth3",
                "mtu 15%u0",
                "hwaddress ether 00:11:22:33:44:5%u",
                "autoconf 1",
                "up true %u",
                "# comment %u",
                "bridge_stp yes",
                "bridge_fd %u",
                "bond-downdelay %u",
                "bond-use-carrier 1",
                "bond-primary eth%u",
        };
        kn_strbuf b = {0};
        for (unsigned j = 0, n = rnd(8); j < n; j++) {
                const char *name = PICK(names);
                bool v6 = rnd(3) == 2;
                if (rnd(3) == 0)
                        kn_strbuf_printf(&b, "%s %s\n", rnd(2) ? "auto" : "allow-hotplug", name);
                kn_strbuf_printf(&b, "iface %s %s %s\n", name, v6 ? "inet6" : "inet",
                                 v6 ? PICK(m6) : PICK(m4));
                for (unsigned o = 0, no = rnd(4); o < no; o++) {
                        kn_strbuf_puts(&b, "    ");
                        kn_strbuf_printf(&b, PICK(opts), rnd(4));
                        kn_strbuf_putc(&b, '\n');
                }
                if (rnd(2))
                        kn_strbuf_putc(&b, '\n');
        }
        return kn_strbuf_steal(&b);
}

/* Every file under DIR (sorted by name), with its contents. */
static void collect(kn_strbuf *out, const char *dir) {
        struct dirent **ents;
        int n = scandir(dir, &ents, NULL, alphasort);
        for (int k = 0; k < n; k++) {
                const char *name = ents[k]->d_name;
                if (!streq(name, ".") && !streq(name, "..")) {
                        _cleanup_free_ char *p = kn_xasprintf("%s/%s", dir, name);
                        struct stat st;
                        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
                                collect(out, p);
                        else {
                                _cleanup_free_ char *text = test_read_file(p);
                                kn_strbuf_printf(out, "== %s\n%s", p, text);
                        }
                }
                free(ents[k]);
        }
        free(ents);
}

static char *all_files(const char *root) {
        kn_strbuf out = {0};
        collect(&out, root);
        return kn_strbuf_steal(&out);
}

static void clear_dir(const char *dir) {
        struct dirent **ents;
        int n = scandir(dir, &ents, NULL, alphasort);
        for (int k = 0; k < n; k++) {
                if (ents[k]->d_name[0] != '.') {
                        _cleanup_free_ char *p = kn_xasprintf("%s/%s", dir, ents[k]->d_name);
                        unlink(p);
                }
                free(ents[k]);
        }
        free(ents);
}

static kn_backend *open_backend(const char *root) {
        kn_root *r = NULL;
        kn_error err = {0};
        if (kn_root_open(root, &r, &err) < 0)
                abort();
        kn_backend *b = kn_xcalloc(1, kn_ifupdown_vtable.object_size);
        b->vt = &kn_ifupdown_vtable;
        b->root = r;
        if (b->vt->load(b, &err) < 0) {
                fprintf(stderr, "load: %s\n", err.message);
                abort();
        }
        return b;
}

static void close_backend(kn_backend *b) {
        kn_root *r = (kn_root *) b->root;
        b->vt->done(b);
        free(b);
        kn_root_free(r);
}

static const kn_iface *find(const kn_iface_list *l, const char *name) {
        for (size_t k = 0; k < l->n; k++)
                if (streq(l->items[k]->name, name))
                        return l->items[k];
        return NULL;
}

static unsigned failures;

_printf_(2, 3) static void fail(const char *root, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "FAIL (seed state %llu): ", rng);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        _cleanup_free_ char *files = all_files(root);
        fprintf(stderr, "\n%s\n", files);
        failures++;
}

/* Define what list() gives, again: same model back, second define a no-op. */
static void redefine_listed(const char *root) {
        kn_backend *b = open_backend(root);
        kn_iface_list l = {0};
        b->vt->list(b, &l);
        for (size_t k = 0; k < l.n; k++) {
                const kn_iface *i = l.items[k];
                kn_error err = {0};
                if (kn_iface_validate(i, NULL) < 0)
                        continue; /* e.g. a bond without slaves: listed, not definable */
                if (b->vt->define(b, i, &err) < 0) {
                        fail(root, "redefining listed %s: %s", i->name, err.message);
                        continue;
                }
                kn_iface_list again = {0};
                b->vt->list(b, &again);
                const kn_iface *j = find(&again, i->name);
                if (!j || !kn_iface_equal(i, j))
                        fail(root, "%s %s after redefining it", i->name, j ? "differs" : "is gone");
                kn_iface_list_done(&again);
        }
        _cleanup_free_ char *before = all_files(root);
        for (size_t k = 0; k < l.n; k++) {
                kn_error err = {0};
                if (kn_iface_validate(l.items[k], NULL) >= 0)
                        (void) b->vt->define(b, l.items[k], &err);
        }
        _cleanup_free_ char *after = all_files(root);
        if (!streq(before, after))
                fail(root, "a second define changed the files");
        kn_iface_list_done(&l);
        close_backend(b);
}

/* Define models from elsewhere into this configuration. */
static void define_foreign(const char *root, const kn_iface_list *models) {
        kn_backend *b = open_backend(root);
        for (size_t k = 0; k < models->n; k++) {
                const kn_iface *i = models->items[k];
                if (kn_iface_validate(i, NULL) < 0)
                        continue;
                _cleanup_free_ char *before = all_files(root);
                kn_error err = {0};
                if (b->vt->define(b, i, &err) < 0) {
                        _cleanup_free_ char *after = all_files(root);
                        if (!streq(before, after))
                                fail(root, "refused %s (%s) but changed files", i->name,
                                     err.message);
                        continue;
                }
                kn_iface_list l = {0}, fresh = {0};
                b->vt->list(b, &l);
                const kn_iface *j = find(&l, i->name);
                if (!j || !kn_iface_equal(i, j))
                        fail(root, "defined %s, which %s", i->name,
                             j ? "lists back differently" : "is not listed");
                kn_backend *b2 = open_backend(root);
                b2->vt->list(b2, &fresh);
                if (fresh.n != l.n || fresh.n_diags != l.n_diags)
                        fail(root,
                             "after defining %s, a fresh load sees %zu/%zu, the backend "
                             "%zu/%zu (interfaces/diagnostics)",
                             i->name, fresh.n, fresh.n_diags, l.n, l.n_diags);
                close_backend(b2);
                kn_iface_list_done(&l);
                kn_iface_list_done(&fresh);
        }
        close_backend(b);
}

int main(int argc, char **argv) {
        unsigned iterations = argc > 1 ? (unsigned) atoi(argv[1]) : 200;
        rng = argc > 2 ? strtoull(argv[2], NULL, 10) : 20240601;
        _cleanup_free_ char *root = test_tmpdir();
        _cleanup_free_ char *ifd = kn_xasprintf("%s/etc/network/interfaces.d", root);
        if (test_run("mkdir -p '%s'", ifd) != 0)
                return 1;
        for (unsigned it = 0; it < iterations && failures < 5; it++) {
                /* one configuration, redefined in place */
                _cleanup_free_ char *a = random_config();
                test_put(root, "etc/network/interfaces", a);
                clear_dir(ifd);
                kn_backend *b = open_backend(root);
                kn_iface_list models = {0};
                b->vt->list(b, &models);
                close_backend(b);
                redefine_listed(root);

                /* another, over two files, receiving the first one's models */
                _cleanup_free_ char *m = random_config(), *d = random_config();
                _cleanup_free_ char *main_file =
                        kn_xasprintf("%ssource /etc/network/interfaces.d/*\n%s", m,
                                     rnd(2) ? "iface lo inet loopback\n" : "");
                clear_dir(ifd);
                test_put(root, "etc/network/interfaces", main_file);
                test_put(root, "etc/network/interfaces.d/x", d);
                if (rnd(2))
                        test_put(root, "etc/network/interfaces.d/eth1",
                                 "iface eth1 inet dhcp\n    up true\n");
                define_foreign(root, &models);
                kn_iface_list_done(&models);
        }
        test_rmtree(root);
        if (failures)
                fprintf(stderr, "%u failure(s)\n", failures);
        else
                printf("%u random configurations round-tripped\n", iterations);
        return failures ? 1 : 0;
}
