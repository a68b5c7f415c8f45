/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kn_spawn_find(), the one way kvmnet looks a program up (guest-start's
 * QEMU): bare names in KN_SPAWN_PATH only, paths as they are, never a
 * directory or a file that is not executable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "guest-test.h"
#include "spawn.h"

static void test_bare_name(void **state) {
        _cleanup_free_ char *sh = kn_spawn_find("sh");
        assert_non_null(sh);
        assert_true(sh[0] == '/');
        assert_int_equal(access(sh, X_OK), 0);
        assert_string_equal(strrchr(sh, '/'), "/sh");
        /* found in the fixed list: the first directory that has it */
        bool in_list = false;
        for (const char *d = KN_SPAWN_PATH; *d && !in_list;) {
                size_t l = strcspn(d, ":");
                in_list = strlen(sh) == l + 3 && strncmp(sh, d, l) == 0;
                d += l + (d[l] == ':');
        }
        assert_true(in_list);
        assert_null(kn_spawn_find("kvmnet-no-such-program"));
        assert_null(kn_spawn_find(""));
        assert_null(kn_spawn_find(NULL));
}

/* $PATH plays no part: a program only there is not found. */
static void test_path_ignored(void **state) {
        char *dir = test_tmpdir();
        _cleanup_free_ char *exe = kn_xasprintf("%s/kvmnet-test-prog", dir);
        FILE *f = fopen(exe, "we");
        assert_non_null(f);
        fputs("#!/bin/sh\n", f);
        fclose(f);
        assert_int_equal(chmod(exe, 0755), 0);
        _cleanup_free_ char *old = getenv("PATH") ? kn_xstrdup(getenv("PATH")) : NULL;
        setenv("PATH", dir, 1);
        char *found = kn_spawn_find("kvmnet-test-prog");
        if (old)
                setenv("PATH", old, 1);
        assert_null(found);
        /* by its path it is */
        found = kn_spawn_find(exe);
        assert_non_null(found);
        assert_string_equal(found, exe);
        free(found);
        /* not executable, a directory: no */
        assert_int_equal(chmod(exe, 0644), 0);
        assert_null(kn_spawn_find(exe));
        assert_null(kn_spawn_find(dir));
        test_rmtree(dir);
        free(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_bare_name),
                cmocka_unit_test(test_path_ignored),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
