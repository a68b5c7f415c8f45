/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The transaction journal (see kvmnet/txn.h for the layout and the commit
 * point).  The file part is the file log's; this file keeps who opened
 * the transaction and the live undo log, and puts the two together for
 * commit, rollback and recovery. */

#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>

#include "kvmnet/manager.h"
#include "kvmnet/txn.h"
#include "macro.h"
#include "mkdir.h"
#include "rootfs.h"
#include "strbuf.h"
#include "kvmnet/filelog.h"

struct kn_txn {
        kn_txn_info info;
        char *dir; /* STATE_DIR/txn/SLOT */
        kn_live_txn *live;
        int live_fd;
        kn_filelog *files; /* the configuration's file log, NULL: files not covered */
};

static void read_boot_id(char out[40]) {
        _cleanup_fclose_ FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
        out[0] = '\0';
        if (f && fgets(out, 40, f))
                out[strcspn(out, "\n")] = '\0';
}

static void fmt_time(time_t t, char *buf, size_t size) {
        struct tm tm;
        strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
}

char *kn_txn_describe(const kn_txn_info *i) {
        char when[32];
        fmt_time(i->opened, when, sizeof when);
        return kn_xasprintf("opened by uid %u (pid %d, %s) with %s at %s", (unsigned) i->uid,
                            (int) i->pid, i->client[0] ? i->client : "?", i->verb, when);
}

/* ---- meta ---- */

static char *meta_text(const kn_txn_info *i) {
        kn_strbuf b = {0};
        kn_strbuf_printf(&b,
                         "explicit=%d\nuid=%u\npid=%d\nclient=%s\nverb=%s\nopened=%lld\n"
                         "confirm_by=%lld\nnetns=%s\nowner_pid=%d\nboot_id=%s\nfiles=%d\n"
                         "checkpoint=%s\n",
                         i->explicit_txn, (unsigned) i->uid, (int) i->pid, i->client, i->verb,
                         (long long) i->opened, (long long) i->confirm_by, i->netns,
                         (int) i->owner_pid, i->boot_id, i->files, i->checkpoint);
        return kn_strbuf_steal(&b);
}

static void copy_field(char *dst, size_t size, const char *v) {
        snprintf(dst, size, "%s", v);
}

static int meta_parse(const char *text, kn_txn_info *i) {
        *i = (kn_txn_info){0};
        int seen = 0;
        _cleanup_free_ char *copy = kn_xstrdup(text);
        char *save = NULL;
        for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                char *eq = strchr(l, '=');
                if (!eq)
                        continue;
                *eq = '\0';
                const char *k = l, *v = eq + 1;
                seen++;
                if (streq(k, "explicit"))
                        i->explicit_txn = atoi(v);
                else if (streq(k, "uid"))
                        i->uid = (uid_t) strtoul(v, NULL, 10);
                else if (streq(k, "pid"))
                        i->pid = atoi(v);
                else if (streq(k, "client"))
                        copy_field(i->client, sizeof i->client, v);
                else if (streq(k, "verb"))
                        copy_field(i->verb, sizeof i->verb, v);
                else if (streq(k, "opened"))
                        i->opened = (time_t) strtoll(v, NULL, 10);
                else if (streq(k, "confirm_by"))
                        i->confirm_by = (time_t) strtoll(v, NULL, 10);
                else if (streq(k, "netns"))
                        copy_field(i->netns, sizeof i->netns, v);
                else if (streq(k, "owner_pid"))
                        i->owner_pid = atoi(v);
                else if (streq(k, "boot_id"))
                        copy_field(i->boot_id, sizeof i->boot_id, v);
                else if (streq(k, "files"))
                        i->files = atoi(v) != 0;
                else if (streq(k, "checkpoint"))
                        copy_field(i->checkpoint, sizeof i->checkpoint, v);
                else
                        seen--;
        }
        return seen > 0 ? 0 : -EBADMSG;
}

static char *meta_path(const char *dir) {
        return kn_xasprintf("%s/meta", dir);
}

static char *log_path(const char *dir) {
        return kn_xasprintf("%s/live.log", dir);
}

static int meta_write(const kn_txn *t, kn_error *err) {
        _cleanup_free_ char *text = meta_text(&t->info);
        kn_root *root = NULL;
        int r = kn_root_open(t->dir, &root, err);
        if (r >= 0)
                r = kn_root_write_atomic(root, "meta", text, strlen(text), 0600, err);
        kn_root_free(root);
        return r;
}

static int read_text(const char *path, char **ret, size_t *len) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        kn_strbuf b = {0};
        char buf[8192];
        ssize_t n;
        while ((n = read(fd, buf, sizeof buf)) > 0)
                kn_strbuf_putn(&b, buf, (size_t) n);
        if (n < 0) {
                kn_strbuf_done(&b);
                return -errno;
        }
        *len = b.len;
        *ret = b.s ? kn_strbuf_steal(&b) : kn_xstrdup("");
        return 0;
}

/* ---- begin ---- */

static char *txn_dir(const char *state_dir, const char *slot) {
        return kn_xasprintf("%s/txn/%s", state_dir, slot);
}

static bool process_alive(pid_t pid) {
        return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

int kn_txn_begin(const char *state_dir, const char *slot, const kn_txn_info *info,
                 kn_filelog *files, kn_txn **ret, kn_error *err) {
        _cleanup_free_ char *dir = txn_dir(state_dir, slot);
        int r = kn_mkdir_p(dir, 0700);
        if (r < 0)
                return kn_error_set(err, -r, "cannot create %s: %s", dir, strerror(-r));
        _cleanup_free_ char *mp = meta_path(dir);
        _cleanup_free_ char *old = NULL;
        size_t len;
        if (read_text(mp, &old, &len) >= 0) {
                kn_txn_info o;
                if (meta_parse(old, &o) >= 0) {
                        _cleanup_free_ char *who = kn_txn_describe(&o);
                        return kn_error_set(err, EBUSY, "a transaction is open already: %s%s", who,
                                            process_alive(o.owner_pid)
                                                    ? ""
                                                    : " (its process is gone: restart kvmnetd "
                                                      "to roll it back)");
                }
        }
        kn_txn *t = kn_xcalloc(1, sizeof *t);
        t->info = *info;
        t->info.owner_pid = getpid();
        t->info.files = files != NULL;
        read_boot_id(t->info.boot_id);
        t->dir = TAKE_PTR(dir);
        t->live = kn_live_txn_new();
        _cleanup_free_ char *lp = log_path(t->dir);
        t->live_fd = open(lp, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
        if (t->live_fd < 0) {
                r = kn_error_set(err, errno, "cannot create %s: %m", lp);
                goto fail;
        }
        kn_live_txn_set_log(t->live, t->live_fd);
        /* The file log's transaction first, then meta: a kill after meta
         * finds a transaction with everything it needs to roll back; one
         * before it leaves a held record with nothing in it, which
         * recovery finds committed (no meta) and drops. */
        r = files ? kn_filelog_begin_held(files, err) : 0;
        if (r >= 0) {
                t->files = files;
                r = meta_write(t, err);
        }
        if (r < 0) {
                unlink(mp);
                if (t->files)
                        (void) kn_filelog_commit(t->files, NULL);
                goto fail;
        }
        *ret = t;
        return 0;
fail:
        if (t->live_fd >= 0)
                close(t->live_fd);
        unlink(lp);
        kn_live_txn_free(t->live);
        free(t->dir);
        free(t);
        return r;
}

const kn_txn_info *kn_txn_get_info(const kn_txn *t) {
        return &t->info;
}

int kn_txn_set_confirm(kn_txn *t, time_t confirm_by, kn_error *err) {
        t->info.confirm_by = confirm_by;
        return meta_write(t, err);
}

int kn_txn_set_checkpoint(kn_txn *t, const char *path, kn_error *err) {
        copy_field(t->info.checkpoint, sizeof t->info.checkpoint, path);
        return meta_write(t, err);
}

kn_live_txn *kn_txn_live(kn_txn *t) {
        return t->live;
}

/* ---- end ---- */

static void txn_free(kn_txn *t, bool remove_log) {
        if (t->live_fd >= 0)
                close(t->live_fd);
        if (remove_log) {
                _cleanup_free_ char *lp = log_path(t->dir);
                unlink(lp);
                rmdir(t->dir);
        }
        kn_live_txn_free(t->live);
        free(t->dir);
        free(t);
}

int kn_txn_commit(kn_txn *t, kn_error *err) {
        _cleanup_free_ char *mp = meta_path(t->dir);
        int r = 0;
        /* The commit point; the file log's pre-images go after it (a kill
         * in between: recovery finds no meta and drops them). */
        if (unlink(mp) < 0 && errno != ENOENT)
                r = kn_error_set(err, errno, "cannot remove %s: %m", mp);
        else if (t->files) {
                kn_filelog_step("transaction committed");
                r = kn_filelog_commit(t->files, err);
        }
        txn_free(t, r >= 0);
        return r;
}

int kn_txn_rollback_live(kn_txn *t, kn_netns *ns, kn_error *err) {
        return kn_live_txn_rollback(ns, t->live, err);
}

int kn_txn_rollback_files(kn_txn *t, const kn_root *root,
                          void (*report)(const char *message, void *userdata), void *userdata,
                          kn_error *err) {
        int r = t->files ? kn_filelog_rollback(t->files, root, report, userdata, err) : 0;
        _cleanup_free_ char *mp = meta_path(t->dir);
        /* Restored: nothing is left to undo.  On failure the file log's
         * record and meta stay, for the next start to try again. */
        if (r >= 0)
                unlink(mp);
        txn_free(t, r >= 0);
        return r;
}

/* ---- recovery ---- */

/* What NetworkManager did for the transaction goes back through its own
 * checkpoint.  One that is gone (NetworkManager rolled it back on its
 * timeout, or was restarted) is said, not an error: nothing is left to
 * undo there.  1 if rolled back. */
static int recover_checkpoint(const char *path, void (*report)(const char *, void *), void *ud) {
        if (!path[0])
                return 0;
        kn_error e = {0};
        kn_manager_checkpoint *c = kn_manager_checkpoint_adopt(path);
        int r = kn_manager_checkpoint_rollback(c, &e);
        kn_manager_checkpoint_free(c);
        if (r < 0) {
                kn_reportf(report, ud, "NetworkManager checkpoint %s: not rolled back: %s", path,
                           e.message);
                return 0;
        }
        kn_reportf(report, ud, "rolled back NetworkManager checkpoint %s", path);
        return 1;
}

/* *kept: its live steps belong to a namespace not served here; the whole
 * transaction (files too) waits for a process that serves it. */
static int recover_live(const char *dir, const kn_txn_info *info, kn_netns *ns, bool *kept,
                        void (*report)(const char *, void *), void *ud, kn_error *err) {
        _cleanup_free_ char *lp = log_path(dir);
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        bool have_log = read_text(lp, &text, &len) >= 0 && len > 0;
        if (!have_log && !info->checkpoint[0])
                return 0;
        char boot[40];
        read_boot_id(boot);
        if (!streq(boot, info->boot_id)) {
                kn_reportf(report, ud,
                           "the machine was restarted since: its live steps are gone with it");
                return 0;
        }
        if (!ns || !streq(kn_netns_name(ns), info->netns)) {
                kn_reportf(report, ud,
                           "its live steps are in network namespace '%s', not served here: it is "
                           "kept, files too, for a kvmnetd or kvmnet --netns of that namespace to "
                           "roll back",
                           info->netns[0] ? info->netns : "(kvmnet's own)");
                *kept = true;
                return 0;
        }
        int nm = recover_checkpoint(info->checkpoint, report, ud);
        if (!have_log)
                return nm;
        kn_live_txn *live = NULL;
        int r = kn_live_txn_load(text, len, &live, err);
        if (r < 0)
                return r;
        size_t n = kn_live_txn_size(live);
        for (size_t k = n; k-- > 0;)
                kn_reportf(report, ud, "undoing: %s", kn_live_txn_step(live, k));
        r = kn_live_txn_rollback(ns, live, err);
        kn_live_txn_free(live);
        return r < 0 ? r : (int) n + nm;
}

/* main: the slot whose transaction holds the file log's (KN_TXN_MAIN). */
static int recover_slot(const char *dir, bool main, kn_netns *ns, const kn_root *root,
                        kn_filelog *files, void (*report)(const char *message, void *userdata),
                        void *userdata, kn_error *err) {
        _cleanup_free_ char *mp = meta_path(dir);
        _cleanup_free_ char *text = NULL;
        size_t len;
        int done = 0, r = 0;
        kn_txn_info info;
        bool have = read_text(mp, &text, &len) >= 0 && meta_parse(text, &info) >= 0;
        if (have && info.owner_pid != getpid() && process_alive(info.owner_pid))
                return 0; /* not ours: its process is running */
        /* A meta a killed process was replacing (the meta itself, old or
         * new, is whole: the rename is the switch). */
        kn_root *slot = NULL;
        if (kn_root_open(dir, &slot, NULL) >= 0)
                (void) kn_root_clean_temps(slot, ".");
        kn_root_free(slot);
        if (have) {
                _cleanup_free_ char *who = kn_txn_describe(&info);
                kn_reportf(report, userdata, "a transaction %s was not committed: rolling it back",
                           who);
                bool kept = false;
                r = recover_live(dir, &info, ns, &kept, report, userdata, err);
                if (kept)
                        return 0;
                if (r > 0)
                        done += r;
        }
        /* Files: rolled back with meta there, kept (committed) without. */
        if (r >= 0 && main && files) {
                r = kn_filelog_settle(files, root, have, report, userdata, err);
                if (r > 0)
                        done += r;
        }
        if (r < 0)
                return r;
        /* No meta: committed (killed after the commit point) or never begun. */
        _cleanup_free_ char *lp = log_path(dir);
        unlink(mp);
        unlink(lp);
        rmdir(dir);
        return done;
}

int kn_txn_recover(const char *state_dir, kn_netns *ns, const kn_root *root, kn_filelog *files,
                   void (*report)(const char *message, void *userdata), void *userdata,
                   kn_error *err) {
        _cleanup_free_ char *top = kn_xasprintf("%s/txn", state_dir);
        int done = 0, first = 0;
        bool main_seen = false;
        DIR *d = opendir(top);
        for (struct dirent *de; d && (de = readdir(d));) {
                if (de->d_name[0] == '.')
                        continue;
                _cleanup_free_ char *dir = kn_xasprintf("%s/%s", top, de->d_name);
                bool main = streq(de->d_name, KN_TXN_MAIN);
                main_seen = main_seen || main;
                kn_error e = {0};
                int r = recover_slot(dir, main, ns, root, files, report, userdata, &e);
                if (r < 0 && !first) {
                        first = r;
                        kn_error_set(err, -r, "%s", e.message);
                }
                done += r > 0 ? r : 0;
        }
        if (d)
                closedir(d);
        /* A held file log record without its slot: past the commit point. */
        if (!main_seen && files && !first) {
                int r = kn_filelog_settle(files, root, false, report, userdata, err);
                if (r < 0)
                        first = r;
        }
        return first < 0 ? first : done;
}
