/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kvmnet/name.h: the one check of interface, guest and network names,
 * against the names a hostile client or file would send; and its one
 * wording: "WHAT name 'NAME' ... (valid: ...)", on one line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kvmnet/name.h"
#include "macro.h"

typedef int (*validate_fn)(const char *name, const char *what, kn_error *err);

static void expect_bad(validate_fn f, const char *name, const char *what, const char *msg) {
        kn_error err = {0};
        int r = f(name, what, &err);
        if (r != -EINVAL)
                fail_msg("'%s' was accepted (%d)", name, r);
        assert_int_equal(err.code, EINVAL);
        if (!strstr(err.message, msg))
                fail_msg("error for '%s' lacks \"%s\": %s", name, msg, err.message);
        if (strchr(err.message, '\n') || strchr(err.message, '\t'))
                fail_msg("error for a name is more than one line: %s", err.message);
        for (const char *p = err.message; *p; p++)
                if ((unsigned char) *p < 0x20 || (unsigned char) *p >= 0x7f)
                        fail_msg("error shows byte 0x%02x raw: %s", (unsigned char) *p,
                                 err.message);
}

/* Names every entry point must refuse, whatever kind. */
static const struct {
        const char *name, *msg;
} hostile[] = {
        {"", "name is empty (valid: "},
        {".", "name '.' starts with '.'"},
        {"..", "name '..' starts with '.'"},
        {"../../etc/x", "name '../../etc/x' starts with '.'"},
        {"a/../../x", "name 'a/../../x' contains '/'"},
        {"a/b", "contains '/'"},
        {"-rf", "name '-rf' starts with '-'"},
        {".hidden", "starts with '.'"},
        {"a b", "name 'a b' contains a space"},
        {"a\nb", "name 'a\\nb' contains a newline"},
        {"a\tb", "name 'a\\tb' contains a tab"},
        {"a\rb", "name 'a\\x0db' contains byte 0x0d"},
        {"a\x1b[2Jb", "contains byte 0x1b"},
        {"eth0:1", "contains ':'"},
        {"tap%d", "contains '%'"},
        {"br$(id)", "contains '$'"},
        {"vm;rm", "contains ';'"},
        {"a'b", "contains \"'\""},
        {"a\\b", "name 'a\\x5cb' contains '\\'"},
        {"\xc3\xa9t\xc3\xa9", "name '\\xc3\\xa9t\\xc3\\xa9' contains byte 0xc3"},
        {"a\xff", "contains byte 0xff"},
};

static void test_ifname(void **state) {
        const char *good[] = {"eth0",   "br-lan", "eth0.42", "a23456789012345",
                              "vnet_1", "kvn0",   "a..b",    "E1"};
        for (size_t k = 0; k < ELEMENTSOF(good); k++)
                assert_int_equal(kn_ifname_validate(good[k], NULL, NULL), 0);
        for (size_t k = 0; k < ELEMENTSOF(hostile); k++)
                expect_bad(kn_ifname_validate, hostile[k].name, NULL, hostile[k].msg);
        /* IFNAMSIZ is 16 with the NUL: 15 fit. */
        expect_bad(kn_ifname_validate, "a23456789012345x", "tap",
                   "tap name 'a23456789012345x' is 16 characters long (valid: 1-15 letters, "
                   "digits, '_', '-' or '.', not starting with '.' or '-')");
        expect_bad(kn_ifname_validate, "a+b", "bridge", "bridge name 'a+b' contains '+'");
        expect_bad(kn_ifname_validate, "", NULL, "interface name is empty");
        expect_bad(kn_ifname_validate, NULL, NULL, "interface name is empty");
}

static void test_object_name(void **state) {
        char name[70];
        memset(name, 'a', 64);
        name[64] = '\0';
        const char *good[] = {"default", "web-1", "a.b", "c++", "x_y", "A", name};
        for (size_t k = 0; k < ELEMENTSOF(good); k++)
                assert_int_equal(kn_object_name_validate(good[k], "guest", NULL), 0);
        for (size_t k = 0; k < ELEMENTSOF(hostile); k++)
                expect_bad(kn_object_name_validate, hostile[k].name, "network", hostile[k].msg);
        strcpy(name + 64, "a");
        expect_bad(kn_object_name_validate, name, "guest", "is 65 characters long (valid: 1-64");
        expect_bad(kn_object_name_validate, "x y", NULL, "object name 'x y' contains a space");
        expect_bad(kn_object_name_validate, "a/b", "guest", "guest name 'a/b' contains '/'");
}

/* A name megabytes long is cut in the message; the message stays whole. */
static void test_long_names(void **state) {
        size_t n = 1 << 20;
        char *big = kn_xmalloc(n + 1);
        memset(big, 'x', n);
        big[n] = '\0';
        kn_error err = {0};
        assert_int_equal(kn_object_name_validate(big, "guest", &err), -EINVAL);
        assert_non_null(strstr(err.message, "xxx...' is 1048576 characters long (valid: "));
        assert_true(strlen(err.message) < 250);
        memset(big, '\n', 200);
        kn_error_clear(&err);
        assert_int_equal(kn_ifname_validate(big, NULL, &err), -EINVAL);
        assert_non_null(strstr(err.message, "\\n\\n...' contains a newline (valid: "));
        assert_null(strchr(err.message, '\n'));
        free(big);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_ifname),
                cmocka_unit_test(test_object_name),
                cmocka_unit_test(test_long_names),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
