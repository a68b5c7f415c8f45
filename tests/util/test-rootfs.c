/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Every path is resolved inside the root: absolute symlinks, "..", and
 * symlink loops, with openat2 and with the hand-walked fallback alike. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "rootfs.h"
#include "testutil.h"

static char *top;

static int setup(void **state) {
        top = test_tmpdir();
        test_run("cd '%s' && mkdir -p root/etc/a outside && echo inside >root/etc/a/f && "
                 "echo SECRET >outside/f && echo rootfile >root/passwd && "
                 "ln -s /etc/a root/etc/abs && ln -s ../../../outside root/etc/esc && "
                 "ln -s /../../outside/f root/etc/esc2 && ln -s /passwd root/etc/pw && "
                 "ln -s loop1 root/etc/loop2 && ln -s loop2 root/etc/loop1",
                 top);
        return 0;
}

static int teardown(void **state) {
        test_rmtree(top);
        free(top);
        return 0;
}

static void expect(kn_root *r, const char *rel, const char *content, int error) {
        char *buf = NULL;
        int x = kn_root_read_file(r, rel, &buf, NULL);
        if (error) {
                if (x != -error)
                        fail_msg("%s: got %d (%s), want -%d", rel, x, x < 0 ? strerror(-x) : buf,
                                 error);
        } else {
                if (x < 0)
                        fail_msg("%s: %s", rel, strerror(-x));
                assert_string_equal(buf, content);
        }
        free(buf);
}

static void resolve_all(void) {
        kn_error err = {0};
        kn_root *r = NULL;
        _cleanup_free_ char *root = kn_xasprintf("%s/root", top);
        assert_int_equal(kn_root_open(root, &r, &err), 0);
        expect(r, "etc/a/f", "inside\n", 0);
        expect(r, "etc/abs/f", "inside\n", 0); /* /etc/a means ROOT/etc/a */
        expect(r, "etc/pw", "rootfile\n", 0);  /* /passwd means ROOT/passwd */
        expect(r, "/etc/a/../a/./f", "inside\n", 0);
        expect(r, "etc/esc/f", NULL, ENOENT); /* ../../.. stops at the root */
        expect(r, "etc/esc2", NULL, ENOENT);
        expect(r, "../../outside/f", NULL, ENOENT);
        expect(r, "etc/loop1", NULL, ELOOP);
        /* writes follow the same rules: nothing lands outside */
        assert_int_equal(kn_root_write_atomic(r, "etc/abs/new", "x", 1, 0, &err), 0);
        _cleanup_free_ char *inside = kn_xasprintf("%s/root/etc/a/new", top);
        assert_int_equal(access(inside, F_OK), 0);
        kn_root_free(r);
}

static void test_openat2(void **state) {
        kn_root_no_openat2 = false;
        resolve_all();
}

static void test_fallback(void **state) {
        kn_root_no_openat2 = true;
        resolve_all();
        kn_root_no_openat2 = false;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_openat2, setup, teardown),
                cmocka_unit_test_setup_teardown(test_fallback, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
