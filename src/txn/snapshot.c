/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Snapshots of configuration directories, for transactions: every regular
 * file of the directories a backend watches (kn_config_watch_dirs) is
 * copied into the transaction's journal when it opens, and put back byte
 * for byte (and mode) on rollback; files that appeared meanwhile are
 * removed.  A regime's directories hold a few small files, so a copy is
 * cheaper than tracking each write, and it also covers writes kvmnet did
 * not make.
 *
 * On disk, TXN_DIR/files/: one file N per snapshot entry, and `manifest`,
 * written last (fsync'd, atomically), one line per entry:
 *   F <mode-octal> <n> <rel>     a file and its saved copy
 *   D <rel>                      a directory that was snapshotted
 * A transaction without a manifest had changed no file yet. */

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "macro.h"
#include "mkdir.h"
#include "rootfs.h"
#include "snapshot.h"
#include "strbuf.h"

static int save(kn_root *store, const char *name, const char *data, size_t len, kn_error *err) {
        return kn_root_write_atomic(store, name, data, len, 0600, err);
}

int kn_snapshot_take(const char *dir, const kn_root *root, const char *const *dirs, kn_error *err) {
        _cleanup_free_ char *fdir = kn_xasprintf("%s/files", dir);
        int r = kn_mkdir_p(fdir, 0700);
        if (r < 0)
                return kn_error_set(err, -r, "cannot create %s: %s", fdir, strerror(-r));
        kn_root *store = NULL;
        r = kn_root_open(fdir, &store, err);
        if (r < 0)
                return r;
        _cleanup_strbuf_ kn_strbuf m = {0};
        unsigned n = 0;
        for (size_t d = 0; dirs && dirs[d] && r >= 0; d++) {
                char **names = NULL;
                size_t nn = 0;
                if (kn_root_list_dir(root, dirs[d], &names, &nn) < 0)
                        continue; /* absent: everything in it later is new */
                kn_strbuf_printf(&m, "D %s\n", dirs[d]);
                for (size_t k = 0; k < nn && r >= 0; k++) {
                        _cleanup_free_ char *rel = kn_xasprintf("%s/%s", dirs[d], names[k]);
                        struct stat st;
                        if (kn_root_stat(root, rel, &st) < 0 || !S_ISREG(st.st_mode))
                                continue;
                        _cleanup_free_ char *data = NULL;
                        size_t len = 0;
                        r = kn_root_read_file(root, rel, &data, &len);
                        if (r < 0) {
                                _cleanup_free_ char *shown = kn_root_display(root, rel);
                                r = kn_error_set(err, -r, "%s: cannot read: %s", shown,
                                                 strerror(-r));
                                break;
                        }
                        char name[32];
                        snprintf(name, sizeof name, "%u", n);
                        r = save(store, name, data, len, err);
                        if (r >= 0)
                                kn_strbuf_printf(&m, "F %o %u %s\n",
                                                 (unsigned) (st.st_mode & 07777), n++, rel);
                }
                kn_strv_free(names, nn);
        }
        if (r >= 0)
                r = save(store, "manifest", m.s ? m.s : "", m.len, err);
        kn_root_free(store);
        return r;
}

static bool listed(const char *const *rels, size_t n, const char *rel) {
        for (size_t k = 0; k < n; k++)
                if (streq(rels[k], rel))
                        return true;
        return false;
}

static void tell(void (*report)(const char *, void *), void *userdata, const kn_root *root,
                 const char *what, const char *rel) {
        if (!report)
                return;
        _cleanup_free_ char *shown = kn_root_display(root, rel);
        _cleanup_free_ char *msg = kn_xasprintf("%s %s", what, shown);
        report(msg, userdata);
}

int kn_snapshot_restore(const char *dir, const kn_root *root,
                        void (*report)(const char *message, void *userdata), void *userdata,
                        kn_error *err) {
        _cleanup_free_ char *fdir = kn_xasprintf("%s/files", dir);
        kn_root *store = NULL;
        if (kn_root_open(fdir, &store, NULL) < 0)
                return 0; /* nothing was snapshotted */
        _cleanup_free_ char *text = NULL;
        int r = kn_root_read_file(store, "manifest", &text, NULL);
        if (r < 0) {
                kn_root_free(store);
                return 0; /* killed before the manifest: no file had changed yet */
        }
        char **files = NULL;
        size_t n_files = 0, alloc = 0;
        int restored = 0, first = 0;
        /* Files first, then what appeared in the directories. */
        for (int pass = 0; pass < 2; pass++) {
                char *save_ptr = NULL;
                _cleanup_free_ char *copy = kn_xstrdup(text);
                for (char *l = strtok_r(copy, "\n", &save_ptr); l;
                     l = strtok_r(NULL, "\n", &save_ptr)) {
                        unsigned mode, num;
                        int off = 0;
                        kn_error e = {0};
                        if (pass == 0 && sscanf(l, "F %o %u %n", &mode, &num, &off) == 2 && off) {
                                const char *rel = l + off;
                                GREEDY_REALLOC(files, alloc, n_files + 1);
                                files[n_files++] = kn_xstrdup(rel);
                                char name[32];
                                snprintf(name, sizeof name, "%u", num);
                                _cleanup_free_ char *want = NULL, *have = NULL;
                                size_t wl = 0, hl = 0;
                                int q = kn_root_read_file(store, name, &want, &wl);
                                if (q < 0) {
                                        q = kn_error_set(&e, -q, "%s: saved copy %s lost", rel,
                                                         name);
                                } else if (kn_root_read_file(root, rel, &have, &hl) >= 0 &&
                                           hl == wl && memcmp(have, want, wl) == 0) {
                                        continue; /* unchanged */
                                } else
                                        q = kn_root_write_atomic(root, rel, want, wl, (mode_t) mode,
                                                                 &e);
                                if (q >= 0) {
                                        restored++;
                                        tell(report, userdata, root, "restored", rel);
                                } else if (!first) {
                                        first = q;
                                        kn_error_set(err, -q, "%s", e.message);
                                }
                        } else if (pass == 1 && startswith(l, "D ")) {
                                const char *d = l + 2;
                                char **names = NULL;
                                size_t nn = 0;
                                if (kn_root_list_dir(root, d, &names, &nn) < 0)
                                        continue;
                                for (size_t k = 0; k < nn; k++) {
                                        _cleanup_free_ char *rel =
                                                kn_xasprintf("%s/%s", d, names[k]);
                                        struct stat st;
                                        if (listed((const char *const *) files, n_files, rel) ||
                                            kn_root_stat(root, rel, &st) < 0 ||
                                            !S_ISREG(st.st_mode))
                                                continue;
                                        if (kn_root_unlink(root, rel, &e) >= 0) {
                                                restored++;
                                                tell(report, userdata, root,
                                                     "removed (not there before)", rel);
                                        } else if (!first) {
                                                first = -e.code;
                                                kn_error_set(err, e.code, "%s", e.message);
                                        }
                                }
                                kn_strv_free(names, nn);
                        }
                }
        }
        kn_strv_free(files, n_files);
        kn_root_free(store);
        return first < 0 ? first : restored;
}

void kn_snapshot_drop(const char *dir) {
        _cleanup_free_ char *fdir = kn_xasprintf("%s/files", dir);
        kn_root *store = NULL;
        if (kn_root_open(fdir, &store, NULL) < 0)
                return;
        char **names = NULL;
        size_t nn = 0;
        if (kn_root_list_dir(store, ".", &names, &nn) >= 0) {
                /* The manifest first: without it the rest means nothing. */
                (void) kn_root_unlink(store, "manifest", NULL);
                for (size_t k = 0; k < nn; k++)
                        (void) kn_root_unlink(store, names[k], NULL);
                kn_strv_free(names, nn);
        }
        kn_root_free(store);
        rmdir(fdir);
}
