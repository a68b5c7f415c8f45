/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kn_root_write_atomic against a hostile root: a config file that is a
 * symlink is written through to its in-root target (mode and owner kept,
 * link kept, never outside the root); temp names that a reused pid or a
 * killed writer's leftovers cannot collide with; kn_root_clean_temps; a
 * reader never sees a partial file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rootfs.h"
#include "testutil.h"

typedef struct fixture {
        char *tmp, *root;
        kn_root *r;
} fixture;

static const char *P(const fixture *f, const char *rel) {
        static char buf[4][PATH_MAX];
        static unsigned k;
        char *b = buf[k++ % 4];
        snprintf(b, PATH_MAX, "%s/%s", f->root, rel);
        return b;
}

static int setup(void **state) {
        fixture *f = kn_xcalloc(1, sizeof *f);
        f->tmp = test_tmpdir();
        f->root = kn_xasprintf("%s/root", f->tmp);
        assert_int_equal(test_run("mkdir -p '%s/etc/net' '%s/data'", f->root, f->root), 0);
        kn_error err = {0};
        assert_int_equal(kn_root_open(f->root, &f->r, &err), 0);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        fixture *f = *state;
        kn_root_free(f->r);
        test_rmtree(f->tmp);
        free(f->tmp);
        free(f->root);
        free(f);
        return 0;
}

static void assert_link(const char *path, const char *target) {
        struct stat st;
        assert_int_equal(lstat(path, &st), 0);
        assert_true(S_ISLNK(st.st_mode));
        char buf[PATH_MAX];
        ssize_t n = readlink(path, buf, sizeof buf - 1);
        assert_true(n > 0);
        buf[n] = '\0';
        assert_string_equal(buf, target);
}

static void assert_file(const char *path, const char *data, mode_t mode) {
        struct stat st;
        assert_int_equal(lstat(path, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(st.st_mode & 07777, mode);
        _cleanup_free_ char *now = test_read_file(path);
        assert_string_equal(now, data);
}

static void test_symlink_written_through(void **state) {
        fixture *f = *state;
        for (kn_root_no_openat2 = false;; kn_root_no_openat2 = true) {
                test_write_file(P(f, "data/real"), "old\n");
                assert_int_equal(chmod(P(f, "data/real"), 0600), 0);
                assert_int_equal(chown(P(f, "data/real"), 123, 456), 0);
                unlink(P(f, "etc/net/rel"));
                unlink(P(f, "etc/net/abs"));
                unlink(P(f, "etc/net/chain"));
                assert_int_equal(symlink("../../data/real", P(f, "etc/net/rel")), 0);
                assert_int_equal(symlink("/data/real", P(f, "etc/net/abs")), 0);
                assert_int_equal(symlink("abs", P(f, "etc/net/chain")), 0);
                kn_error err = {0};
                const char *links[] = {"etc/net/rel", "etc/net/abs", "etc/net/chain"};
                for (size_t k = 0; k < ELEMENTSOF(links); k++) {
                        char data[32];
                        snprintf(data, sizeof data, "new %zu\n", k);
                        assert_int_equal(
                                kn_root_write_atomic(f->r, links[k], data, strlen(data), 0, &err),
                                0);
                        assert_file(P(f, "data/real"), data, 0600); /* the target's mode */
                        struct stat st;
                        assert_int_equal(stat(P(f, "data/real"), &st), 0);
                        assert_int_equal(st.st_uid, 123); /* and owner */
                        assert_int_equal(st.st_gid, 456);
                }
                assert_link(P(f, "etc/net/rel"), "../../data/real");
                assert_link(P(f, "etc/net/abs"), "/data/real");
                assert_link(P(f, "etc/net/chain"), "abs");
                if (kn_root_no_openat2)
                        break;
        }
        kn_root_no_openat2 = false;
}

/* A link pointing out of the root lands inside it, never outside. */
static void test_symlink_outside_impossible(void **state) {
        fixture *f = *state;
        _cleanup_free_ char *outside = kn_xasprintf("%s/outside", f->tmp);
        test_write_file(outside, "precious\n");
        assert_int_equal(chmod(outside, 0600), 0);
        _cleanup_free_ char *up = kn_xasprintf("../../../../../../../..%s", outside);
        assert_int_equal(symlink(up, P(f, "etc/net/up")), 0);
        assert_int_equal(symlink(outside, P(f, "etc/net/abs")), 0);
        /* a directory symlink out of the root, then a file under it */
        assert_int_equal(symlink(f->tmp, P(f, "etc/dirup")), 0);
        kn_error err = {0};
        (void) kn_root_write_atomic(f->r, "etc/net/up", "evil\n", 5, 0, &err);
        (void) kn_root_write_atomic(f->r, "etc/net/abs", "evil\n", 5, 0, &err);
        (void) kn_root_write_atomic(f->r, "etc/dirup/outside", "evil\n", 5, 0, &err);
        assert_file(outside, "precious\n", 0600);
        assert_link(P(f, "etc/net/up"), up);
        assert_link(P(f, "etc/net/abs"), outside);
        /* What was written went to the same path inside the root, if anywhere. */
        _cleanup_free_ char *inside = kn_xasprintf("%s%s", f->root, outside);
        struct stat st;
        if (stat(inside, &st) == 0) {
                _cleanup_free_ char *in = test_read_file(inside);
                assert_string_equal(in, "evil\n");
        }
        /* A link to a directory cannot be written over. */
        assert_int_equal(symlink("..", P(f, "etc/net/dot")), 0);
        kn_error_clear(&err);
        assert_true(kn_root_write_atomic(f->r, "etc/net/dot", "x\n", 2, 0, &err) < 0);
        assert_link(P(f, "etc/net/dot"), "..");
}

/* Loops end in ELOOP, and leave the links alone. */
static void test_symlink_loop(void **state) {
        fixture *f = *state;
        assert_int_equal(symlink("b", P(f, "etc/a")), 0);
        assert_int_equal(symlink("a", P(f, "etc/b")), 0);
        kn_error err = {0};
        assert_int_equal(kn_root_write_atomic(f->r, "etc/a", "x\n", 2, 0, &err), -ELOOP);
        assert_link(P(f, "etc/a"), "b");
}

static size_t count_temps(const char *dir) {
        DIR *d = opendir(dir);
        assert_non_null(d);
        size_t n = 0;
        struct dirent *de;
        while ((de = readdir(d)))
                n += kn_temp_name_is(de->d_name);
        closedir(d);
        return n;
}

/* A killed writer's leftovers with this very pid (PID 1 in a container
 * that restarted) do not make a write fail; kn_root_clean_temps removes
 * leftovers of dead processes and this process's older ones, not those
 * of a writer that still runs. */
static void test_temp_names(void **state) {
        fixture *f = *state;
        assert_true(kn_temp_name_is(".kvmnet-tmp-1-0123456789abcdef-ifcfg-eth0"));
        assert_false(kn_temp_name_is(".kvmnet-tmp-1-0123456789abcde-x"));
        assert_false(kn_temp_name_is(".ifcfg-eth0.kvmnet-12-1a"));
        assert_false(kn_temp_name_is("ifcfg-eth0"));
        /* What the old code would have picked for this pid, and more. */
        for (int k = 0; k < 64; k++) {
                char name[PATH_MAX];
                snprintf(name, sizeof name, "%s/etc/net/" KN_TEMP_PREFIX "%d-%016x-conf", f->root,
                         (int) getpid(), k);
                test_write_file(name, "leftover\n");
        }
        assert_int_equal(test_run("touch -d '1 hour ago' '%s'/etc/net/.kvmnet-tmp-*", f->root), 0);
        kn_error err = {0};
        for (int k = 0; k < 50; k++)
                assert_int_equal(kn_root_write_atomic(f->r, "etc/net/conf", "x\n", 2, 0, &err), 0);
        assert_file(P(f, "etc/net/conf"), "x\n", 0644);
        assert_int_equal(count_temps(P(f, "etc/net")), 64); /* a write leaves none of its own */

        /* A dead process's leftover, a live one's, and ours from before. */
        pid_t child = fork();
        if (child == 0)
                _exit(0);
        waitpid(child, NULL, 0);
        char dead[PATH_MAX], live[PATH_MAX];
        snprintf(dead, sizeof dead, "%s/etc/net/" KN_TEMP_PREFIX "%d-00000000000000aa-conf",
                 f->root, (int) child);
        snprintf(live, sizeof live, "%s/etc/net/" KN_TEMP_PREFIX "%d-00000000000000bb-conf",
                 f->root, (int) getppid());
        test_write_file(dead, "dead\n");
        test_write_file(live, "live\n");
        assert_int_equal(kn_root_clean_temps(f->r, "etc/net"), 65);
        assert_int_equal(count_temps(P(f, "etc/net")), 1);
        struct stat st;
        assert_int_equal(stat(live, &st), 0);
        assert_int_equal(kn_root_clean_temps(f->r, "no/such/dir"), 0);
        /* Listing never shows temp files. */
        char **names;
        size_t n;
        assert_int_equal(kn_root_list_dir(f->r, "etc/net", &names, &n), 0);
        assert_int_equal(n, 1);
        assert_string_equal(names[0], "conf");
        kn_strv_free(names, n);
}

/* The host-path writer: mode, no temp left, failure names the path. */
static void test_write_file_atomic(void **state) {
        fixture *f = *state;
        _cleanup_free_ char *path = kn_xasprintf("%s/state.json", f->tmp);
        kn_error err = {0};
        assert_int_equal(kn_write_file_atomic(path, "{}\n", 3, 0600, true, &err), 0);
        assert_file(path, "{}\n", 0600);
        assert_int_equal(kn_write_file_atomic(path, "{1}\n", 4, 0, false, &err), 0);
        assert_file(path, "{1}\n", 0600); /* mode 0 keeps it */
        assert_int_equal(count_temps(f->tmp), 0);
        _cleanup_free_ char *bad = kn_xasprintf("%s/missing/x", f->tmp);
        assert_int_equal(kn_write_file_atomic(bad, "x", 1, 0644, true, &err), -ENOENT);
        assert_non_null(strstr(err.message, bad));
}

/* A reader never sees a partial file: a child rewrites it with
 * kn_root_write_atomic, alternating two large contents, while this process
 * reads it over and over; each read is one content or the other, whole
 * (a write in place would show a truncated or a mixed file). */
static void test_reader_sees_whole_files(void **state) {
        fixture *f = *state;
        const size_t len_a = 3 << 20, len_b = (1 << 20) + 4097;
        char *a = kn_xmalloc(len_a), *b = kn_xmalloc(len_b);
        for (size_t k = 0; k < len_a; k++)
                a[k] = (char) ('a' + k % 13);
        for (size_t k = 0; k < len_b; k++)
                b[k] = (char) ('A' + k % 7);
        kn_error err = {0};
        assert_int_equal(kn_root_write_atomic(f->r, "etc/net/big", a, len_a, 0644, &err), 0);

        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                struct timespec t0, now;
                clock_gettime(CLOCK_MONOTONIC, &t0);
                unsigned n = 0;
                do {
                        const char *d = n % 2 ? a : b;
                        size_t len = n % 2 ? len_a : len_b;
                        if (kn_root_write_atomic(f->r, "etc/net/big", d, len, 0644, &err) < 0)
                                _exit(2);
                        n++;
                        clock_gettime(CLOCK_MONOTONIC, &now);
                } while (now.tv_sec - t0.tv_sec < 2 || n < 4);
                _exit(0);
        }

        char *buf = kn_xmalloc(len_a + 1);
        unsigned reads = 0, seen_a = 0, seen_b = 0;
        int status;
        while (waitpid(pid, &status, WNOHANG) == 0) {
                int fd = open(P(f, "etc/net/big"), O_RDONLY | O_CLOEXEC);
                assert_true(fd >= 0);
                size_t got = 0;
                ssize_t n;
                while (got <= len_a && (n = read(fd, buf + got, len_a + 1 - got)) > 0)
                        got += (size_t) n;
                close(fd);
                reads++;
                if (got == len_a && !memcmp(buf, a, len_a))
                        seen_a++;
                else if (got == len_b && !memcmp(buf, b, len_b))
                        seen_b++;
                else {
                        kill(pid, SIGKILL);
                        waitpid(pid, NULL, 0);
                        fail_msg("read %u: %zu bytes, neither content (%zu or %zu bytes)", reads,
                                 got, len_a, len_b);
                }
        }
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        print_message("%u reads: %u of one content, %u of the other\n", reads, seen_a, seen_b);
        assert_true(seen_a > 0 && seen_b > 0);
        assert_int_equal(count_temps(P(f, "etc/net")), 0);
        free(buf);
        free(a);
        free(b);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_symlink_written_through, setup, teardown),
                cmocka_unit_test_setup_teardown(test_symlink_outside_impossible, setup, teardown),
                cmocka_unit_test_setup_teardown(test_symlink_loop, setup, teardown),
                cmocka_unit_test_setup_teardown(test_temp_names, setup, teardown),
                cmocka_unit_test_setup_teardown(test_write_file_atomic, setup, teardown),
                cmocka_unit_test_setup_teardown(test_reader_sees_whole_files, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
