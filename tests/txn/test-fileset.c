/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The file-set engine and its pre-image journal, on real files: apply,
 * failure half way, ESTALE, explicit transactions, and a crash at every
 * step of an apply (a forked child _exit()s there) recovered to the old
 * set, byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "rootfs.h"
#include "testutil.h"
#include "kvmnet/txn.h"
#include "kvmnet/filelog.h"
#include "backends/fileset.h"

typedef struct fixture {
        char *tmp, *root, *logdir;
        kn_root *r;
        kn_filelog *log;
} fixture;

/* ROOT/rel in a rotating static buffer (no leaks in the asserts). */
static const char *P(const fixture *f, const char *rel) {
        static char buf[4][PATH_MAX];
        static unsigned k;
        char *b = buf[k++ % 4];
        snprintf(b, PATH_MAX, "%s/%s", f->root, rel);
        return b;
}

static void put(const fixture *f, const char *rel, const char *data, mode_t mode) {
        _cleanup_free_ char *path = kn_xasprintf("%s/%s", f->root, rel);
        _cleanup_free_ char *dir = kn_xstrdup(path);
        *strrchr(dir, '/') = '\0';
        assert_int_equal(test_run("mkdir -p '%s'", dir), 0);
        test_write_file(path, data);
        assert_int_equal(chmod(path, mode), 0);
}

/* Every entry under the root: type, mode, owner, content or link target. */
static char *tree(const char *dir) {
        _cleanup_free_ char *cmd = kn_xasprintf(
                "cd '%s' && find . -mindepth 1 | LC_ALL=C sort | while read -r f; do "
                "stat -c '%%n %%F %%a %%u:%%g' \"$f\"; if [ -L \"$f\" ]; then readlink \"$f\"; "
                "elif [ -f \"$f\" ]; then od -c \"$f\"; fi; done",
                dir);
        FILE *p = popen(cmd, "r");
        assert_non_null(p);
        char *buf = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&buf, &len);
        char chunk[4096];
        size_t k;
        while ((k = fread(chunk, 1, sizeof chunk, p)) > 0)
                fwrite(chunk, 1, k, m);
        pclose(p);
        fclose(m);
        return buf;
}

static int setup(void **state) {
        fixture *f = kn_xcalloc(1, sizeof *f);
        f->tmp = test_tmpdir();
        f->root = kn_xasprintf("%s/root", f->tmp);
        f->logdir = kn_xasprintf("%s/state/files", f->tmp);
        assert_int_equal(mkdir(f->root, 0755), 0);
        kn_error err = {0};
        assert_int_equal(kn_root_open(f->root, &f->r, &err), 0);
        assert_int_equal(kn_filelog_open(f->logdir, &f->log, &err), 0);
        put(f, "etc/a", "old a\n", 0640);
        put(f, "etc/b", "old b\n", 0600);
        put(f, "etc/gone", "to be removed\n", 0644);
        assert_int_equal(chown(P(f, "etc/a"), 12, 34), 0);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        fixture *f = *state;
        kn_filelog_step_hook = NULL;
        kn_filelog_free(f->log);
        kn_root_free(f->r);
        test_rmtree(f->tmp);
        free(f->tmp);
        free(f->root);
        free(f->logdir);
        free(f);
        return 0;
}

/* The new set: a/b rewritten (b's mode changed), n created, gone removed. */
static void new_set(kn_fileset *s, const char *variant) {
        kn_fileset_write(s, "etc/a", kn_xasprintf("new a %s\n", variant), 7 + strlen(variant), 0);
        kn_fileset_write(s, "etc/b", kn_xasprintf("new b %s\n", variant), 7 + strlen(variant),
                         0644);
        kn_fileset_write(s, "etc/sub/n", kn_xasprintf("fresh %s\n", variant), 7 + strlen(variant),
                         0);
        kn_fileset_remove(s, "etc/gone");
}

static bool log_empty(const fixture *f) {
        _cleanup_free_ char *txn = kn_xasprintf("%s/txn", f->logdir);
        struct stat st;
        return stat(txn, &st) < 0 && errno == ENOENT;
}

static void test_apply(void **state) {
        fixture *f = *state;
        kn_error err = {0};
        kn_fileset s = {0};
        new_set(&s, "1");
        assert_int_equal(kn_fileset_apply(&s, f->r, f->log, &err), 0);
        kn_fileset_done(&s);
        _cleanup_free_ char *a = test_read_file(P(f, "etc/a"));
        assert_string_equal(a, "new a 1\n");
        struct stat st;
        assert_int_equal(stat(P(f, "etc/a"), &st), 0);
        assert_int_equal(st.st_mode & 07777, 0640); /* kept */
        assert_int_equal(st.st_uid, 12);            /* owner kept */
        assert_int_equal(st.st_gid, 34);
        assert_int_equal(stat(P(f, "etc/b"), &st), 0);
        assert_int_equal(st.st_mode & 07777, 0644);
        assert_false(kn_root_exists(f->r, "etc/gone"));
        assert_true(kn_root_exists(f->r, "etc/sub/n"));
        assert_true(log_empty(f));
}

/* A file where a directory must be: the last write fails, everything
 * before it is put back byte for byte (content, mode, owner). */
static void test_failure_restores(void **state) {
        fixture *f = *state;
        put(f, "blocker", "a file where a directory should be\n", 0644);
        _cleanup_free_ char *before = tree(f->root);
        for (int with_log = 0; with_log < 2; with_log++) {
                kn_error err = {0};
                kn_fileset s = {0};
                new_set(&s, "x");
                kn_fileset_write(&s, "blocker/y", kn_xstrdup("z\n"), 2, 0);
                assert_int_equal(kn_fileset_apply(&s, f->r, with_log ? f->log : NULL, &err),
                                 -ENOTDIR);
                assert_non_null(strstr(err.message, "blocker/y"));
                kn_fileset_done(&s);
                _cleanup_free_ char *after = tree(f->root);
                assert_string_equal(before, after);
                assert_true(log_empty(f));
        }
        /* A removal that fails (a directory where the file is): the writes go back. */
        assert_int_equal(test_run("mkdir '%s/etc/dir' && touch '%s/etc/dir/x'", f->root, f->root),
                         0);
        _cleanup_free_ char *before2 = tree(f->root);
        kn_error err = {0};
        kn_fileset s = {0};
        new_set(&s, "y");
        kn_fileset_remove(&s, "etc/dir");
        assert_true(kn_fileset_apply(&s, f->r, f->log, &err) < 0);
        kn_fileset_done(&s);
        _cleanup_free_ char *after2 = tree(f->root);
        assert_string_equal(before2, after2);
        assert_true(log_empty(f));
}

static void test_expect(void **state) {
        fixture *f = *state;
        _cleanup_free_ char *before = tree(f->root);
        kn_error err = {0};
        kn_fileset s = {0};
        new_set(&s, "1");
        kn_fileset_expect(&s, "etc/a", "what it was when read\n", 22);
        assert_int_equal(kn_fileset_apply(&s, f->r, f->log, &err), -ESTALE);
        _cleanup_free_ char *want =
                kn_xasprintf("%s/etc/a changed since it was read; reload and try again", f->root);
        assert_string_equal(err.message, want);
        kn_fileset_done(&s);
        _cleanup_free_ char *after = tree(f->root);
        assert_string_equal(before, after);

        /* old NULL: must not exist */
        kn_error_clear(&err);
        new_set(&s, "1");
        kn_fileset_expect(&s, "etc/b", NULL, 0);
        assert_int_equal(kn_fileset_apply(&s, f->r, f->log, &err), -ESTALE);
        kn_fileset_done(&s);
        kn_error_clear(&err);
        new_set(&s, "1");
        kn_fileset_expect(&s, "etc/a", "old a\n", 6);
        kn_fileset_expect(&s, "etc/sub/n", NULL, 0);
        assert_int_equal(kn_fileset_apply(&s, f->r, f->log, &err), 0);
        kn_fileset_done(&s);
}

static void apply_variant(fixture *f, const char *variant) {
        kn_error err = {0};
        kn_fileset s = {0};
        new_set(&s, variant);
        assert_int_equal(kn_fileset_apply(&s, f->r, f->log, &err), 0);
        kn_fileset_done(&s);
}

static void count_report(const char *msg, void *ud) {
        assert_non_null(strstr(msg, "restored "));
        (*(int *) ud)++;
}

static void test_txn_rollback(void **state) {
        fixture *f = *state;
        _cleanup_free_ char *before = tree(f->root);
        kn_error err = {0};
        assert_int_equal(kn_filelog_begin(f->log, &err), 0);
        assert_true(kn_filelog_in_txn(f->log));
        apply_variant(f, "1");
        apply_variant(f, "2");
        /* a third set touching a file the others did not */
        kn_fileset s = {0};
        kn_fileset_write(&s, "etc/b", kn_xstrdup("third\n"), 6, 0);
        kn_fileset_write(&s, "etc/c", kn_xstrdup("c\n"), 2, 0);
        assert_int_equal(kn_fileset_apply(&s, f->r, f->log, &err), 0);
        kn_fileset_done(&s);
        assert_false(log_empty(f));
        /* another handle (another process) may not write meanwhile */
        kn_filelog *other = NULL;
        assert_int_equal(kn_filelog_open(f->logdir, &other, &err), 0);
        kn_fileset_write(&s, "etc/a", kn_xstrdup("intruder\n"), 9, 0);
        assert_int_equal(kn_fileset_apply(&s, f->r, other, &err), -EBUSY);
        kn_fileset_done(&s);
        /* nor does its recovery touch a transaction whose owner runs */
        assert_int_equal(kn_filelog_recover(other, f->r, NULL, NULL, &err), 0);
        kn_filelog_free(other);

        int n = 0;
        assert_int_equal(kn_filelog_rollback(f->log, f->r, count_report, &n, &err), 6);
        assert_int_equal(n, 6); /* a, b, sub/n, sub/, gone, c */
        assert_false(kn_filelog_in_txn(f->log));
        _cleanup_free_ char *after = tree(f->root);
        assert_string_equal(before, after);
        assert_true(log_empty(f));
}

static void test_txn_commit(void **state) {
        fixture *f = *state;
        kn_error err = {0};
        assert_int_equal(kn_filelog_begin(f->log, &err), 0);
        assert_int_equal(kn_filelog_begin(f->log, &err), -EBUSY);
        apply_variant(f, "1");
        _cleanup_free_ char *applied = tree(f->root);
        assert_int_equal(kn_filelog_commit(f->log, &err), 0);
        assert_true(log_empty(f));
        assert_int_equal(kn_filelog_recover(f->log, f->r, NULL, NULL, &err), 0);
        _cleanup_free_ char *after = tree(f->root);
        assert_string_equal(applied, after);
        kn_error_clear(&err);
        assert_int_equal(kn_filelog_rollback(f->log, f->r, NULL, NULL, &err), -EINVAL);
}

/* ---- crashes ---- */

static int crash_at, steps_seen;

static void crash_hook(const char *what) {
        if (steps_seen++ == crash_at)
                _exit(42);
}

/* Fork a child that applies (in a transaction if txn) and dies at step k;
 * returns whether it died (else it ran to the end). */
static bool crash_child(fixture *f, int k, bool txn) {
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                kn_filelog *l = NULL;
                kn_error err = {0};
                if (kn_filelog_open(f->logdir, &l, &err) < 0)
                        _exit(2);
                if (txn && kn_filelog_begin(l, &err) < 0)
                        _exit(3);
                crash_at = k;
                steps_seen = 0;
                kn_filelog_step_hook = crash_hook;
                kn_fileset s = {0};
                new_set(&s, "crash");
                if (kn_fileset_apply(&s, f->r, l, &err) < 0)
                        _exit(4);
                _exit(0);
        }
        int st;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFEXITED(st));
        if (WEXITSTATUS(st) != 0 && WEXITSTATUS(st) != 42)
                fail_msg("child failed with %d", WEXITSTATUS(st));
        return WEXITSTATUS(st) == 42;
}

static void test_crash_every_step(void **state) {
        fixture *f = *state;
        _cleanup_free_ char *old = tree(f->root);
        char *neu = NULL;
        for (int txn = 0; txn < 2; txn++) {
                int k = 0;
                for (;; k++) {
                        bool died = crash_child(f, k, txn);
                        kn_error err = {0};
                        kn_filelog *l = NULL;
                        assert_int_equal(kn_filelog_open(f->logdir, &l, &err), 0);
                        int r = kn_filelog_recover(l, f->r, NULL, NULL, &err);
                        if (r < 0)
                                fail_msg("recover after a crash at step %d: %s", k, err.message);
                        kn_filelog_free(l);
                        assert_true(log_empty(f));
                        _cleanup_free_ char *now = tree(f->root);
                        if (txn) { /* never committed: always rolled back */
                                assert_string_equal(now, old);
                                if (!died)
                                        break;
                                continue;
                        }
                        if (!died) { /* ran to the end: the new set */
                                assert_string_not_equal(now, old);
                                if (neu) /* killed after the drop is the new set too */
                                        assert_string_equal(neu, now);
                                break;
                        }
                        /* Killed after the drop (the last step): the new set;
                         * before it, the old. */
                        if (strcmp(now, old) != 0) {
                                assert_null(neu);
                                neu = kn_xstrdup(now);
                                continue;
                        }
                        assert_null(neu);
                }
                assert_true(k >= 8); /* 4 pre-images, recorded, 4 changes, ... */
                if (!txn) {
                        /* back to the old set for the transaction pass */
                        test_rmtree(f->root);
                        assert_int_equal(mkdir(f->root, 0755), 0);
                        kn_root_free(f->r);
                        kn_error err = {0};
                        assert_int_equal(kn_root_open(f->root, &f->r, &err), 0);
                        put(f, "etc/a", "old a\n", 0640);
                        put(f, "etc/b", "old b\n", 0600);
                        put(f, "etc/gone", "to be removed\n", 0644);
                        assert_int_equal(chown(P(f, "etc/a"), 12, 34), 0);
                        _cleanup_free_ char *again = tree(f->root);
                        assert_string_equal(again, old);
                }
        }
        assert_non_null(neu);
        free(neu);
}

/* A torn last manifest line: the file it names was not touched yet, and
 * recovery restores the entries before it. */
static void test_torn_line(void **state) {
        fixture *f = *state;
        _cleanup_free_ char *old = tree(f->root);
        /* Die right after the first file changed (5 pre-images, recorded, a), then tear a line on.
         */
        assert_true(crash_child(f, 6, false));
        _cleanup_free_ char *manifest = kn_xasprintf("%s/txn/manifest", f->logdir);
        FILE *m = fopen(manifest, "ae");
        assert_non_null(m);
        fputs("pre 99 f 644 0 0 3 deadbeef etc/tor", m);
        fclose(m);
        kn_error err = {0};
        int n = kn_filelog_recover(f->log, f->r, NULL, NULL, &err);
        assert_int_equal(n, 1);
        _cleanup_free_ char *now = tree(f->root);
        assert_string_equal(now, old);
        /* A damaged (not torn) line stops the reading the same way. */
        assert_true(crash_child(f, 6, false));
        m = fopen(manifest, "ae");
        fputs("pre 98 - 0 0 0 0 0 etc/x ~00000000\n", m);
        fclose(m);
        assert_int_equal(kn_filelog_recover(f->log, f->r, NULL, NULL, &err), 1);
        _cleanup_free_ char *now2 = tree(f->root);
        assert_string_equal(now2, old);
}

/* An interrupted apply blocks the next one until it is recovered. */
static void test_leftover_refused(void **state) {
        fixture *f = *state;
        assert_true(crash_child(f, 6, false));
        kn_error err = {0};
        kn_fileset s = {0};
        new_set(&s, "later");
        assert_int_equal(kn_fileset_apply(&s, f->r, f->log, &err), -EBUSY);
        assert_non_null(strstr(err.message, "interrupted change"));
        assert_int_equal(kn_filelog_recover(f->log, f->r, NULL, NULL, &err), 1);
        kn_error_clear(&err);
        assert_int_equal(kn_fileset_apply(&s, f->r, f->log, &err), 0);
        kn_fileset_done(&s);
}

/* Symlinks: a write goes through to the in-root target, a removal removes
 * the link, and both come back exactly. */
static void test_symlinks(void **state) {
        fixture *f = *state;
        put(f, "data/real", "real\n", 0600);
        assert_int_equal(test_run("ln -s ../data/real '%s/etc/link' && ln -s /data/real "
                                  "'%s/etc/link2'",
                                  f->root, f->root),
                         0);
        _cleanup_free_ char *old = tree(f->root);
        kn_error err = {0};
        assert_int_equal(kn_filelog_begin(f->log, &err), 0);
        kn_fileset s = {0};
        kn_fileset_write(&s, "etc/link", kn_xstrdup("through\n"), 8, 0);
        kn_fileset_remove(&s, "etc/link2");
        assert_int_equal(kn_fileset_apply(&s, f->r, f->log, &err), 0);
        kn_fileset_done(&s);
        struct stat st;
        assert_int_equal(lstat(P(f, "etc/link"), &st), 0);
        assert_true(S_ISLNK(st.st_mode));
        _cleanup_free_ char *real = test_read_file(P(f, "data/real"));
        assert_string_equal(real, "through\n");
        assert_int_equal(stat(P(f, "data/real"), &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        assert_int_equal(lstat(P(f, "etc/link2"), &st), -1);
        assert_true(kn_filelog_rollback(f->log, f->r, NULL, NULL, &err) >= 2);
        _cleanup_free_ char *now = tree(f->root);
        assert_string_equal(now, old);
}

/* A transaction of the journal (kvmnet/txn.h) holding the file log, killed
 * at every step: before its commit point (meta removed) recovery gives the
 * old set back, after it the new one, and nothing is left either way. */
/* 43: killed past the commit point. */
static void txn_crash_hook(const char *what) {
        if (steps_seen++ == crash_at)
                _exit(streq(what, "transaction committed") ? 43 : 42);
}

/* 0: ran to the end; 42: killed at a step; 43: at the one right after the
 * commit point. */
static int crash_txn_child(fixture *f, const char *state_dir, int k) {
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                kn_filelog *l = NULL;
                kn_txn *t = NULL;
                kn_error err = {0};
                kn_txn_info info = {.verb = "iface-begin", .explicit_txn = true};
                crash_at = k;
                steps_seen = 0;
                kn_filelog_step_hook = txn_crash_hook;
                if (kn_filelog_open(f->logdir, &l, &err) < 0 ||
                    kn_txn_begin(state_dir, KN_TXN_MAIN, &info, l, &t, &err) < 0)
                        _exit(3);
                kn_fileset s = {0};
                new_set(&s, "1");
                if (kn_fileset_apply(&s, f->r, l, &err) < 0)
                        _exit(4);
                kn_fileset_done(&s);
                new_set(&s, "2"); /* a second change: the first pre-images stay */
                if (kn_fileset_apply(&s, f->r, l, &err) < 0 || kn_txn_commit(t, &err) < 0)
                        _exit(5);
                _exit(0);
        }
        int st;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFEXITED(st));
        if (WEXITSTATUS(st) != 0 && WEXITSTATUS(st) != 42 && WEXITSTATUS(st) != 43)
                fail_msg("child failed with %d", WEXITSTATUS(st));
        return WEXITSTATUS(st);
}

static void test_txn_crash_every_step(void **state) {
        fixture *f = *state;
        _cleanup_free_ char *state_dir = kn_xasprintf("%s/state", f->tmp);
        _cleanup_free_ char *old = tree(f->root);
        bool seen_commit = false;
        for (int k = 0;; k++) {
                int died = crash_txn_child(f, state_dir, k);
                kn_error err = {0};
                kn_filelog *l = NULL;
                /* As kvmnetd starts: the file log first, then the journal. */
                assert_int_equal(kn_filelog_open(f->logdir, &l, &err), 0);
                if (kn_filelog_recover(l, f->r, NULL, NULL, &err) < 0 ||
                    kn_txn_recover(state_dir, NULL, f->r, l, NULL, NULL, &err) < 0)
                        fail_msg("recover after a crash at step %d: %s", k, err.message);
                kn_filelog_free(l);
                assert_true(log_empty(f));
                _cleanup_free_ char *now = tree(f->root);
                bool is_old = streq(now, old);
                /* The steps from "transaction committed" on come after it. */
                seen_commit = seen_commit || died == 43;
                if (is_old != (died && !seen_commit))
                        fail_msg("killed at step %d (%s the commit point): the %s set", k,
                                 seen_commit ? "after" : "before", is_old ? "old" : "new");
                if (!died)
                        break;
                /* Back to the old set for the next round. */
                if (!is_old) {
                        put(f, "etc/a", "old a\n", 0640);
                        assert_int_equal(chown(P(f, "etc/a"), 12, 34), 0);
                        put(f, "etc/b", "old b\n", 0600);
                        put(f, "etc/gone", "to be removed\n", 0644);
                        assert_int_equal(test_run("rm -rf '%s'", P(f, "etc/sub")), 0);
                        _cleanup_free_ char *again = tree(f->root);
                        assert_string_equal(again, old);
                }
        }
        assert_true(seen_commit);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_apply, setup, teardown),
                cmocka_unit_test_setup_teardown(test_failure_restores, setup, teardown),
                cmocka_unit_test_setup_teardown(test_expect, setup, teardown),
                cmocka_unit_test_setup_teardown(test_txn_rollback, setup, teardown),
                cmocka_unit_test_setup_teardown(test_txn_commit, setup, teardown),
                cmocka_unit_test_setup_teardown(test_crash_every_step, setup, teardown),
                cmocka_unit_test_setup_teardown(test_torn_line, setup, teardown),
                cmocka_unit_test_setup_teardown(test_leftover_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_symlinks, setup, teardown),
                cmocka_unit_test_setup_teardown(test_txn_crash_every_step, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
