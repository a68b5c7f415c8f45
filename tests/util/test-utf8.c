/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* UTF-8 on the protocol: what counts as a character, and how a message
 * cut short or a file's stray bytes are made fit to send; and kn_error's
 * messages, which are cut at their buffer or a printf precision. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kvmnet/error.h"
#include "macro.h"
#include "utf8.h"

static void test_char_len(void **state) {
        assert_int_equal(kn_utf8_char_len("a", 1), 1);
        assert_int_equal(kn_utf8_char_len("\xc3\xa9", 2), 2);
        assert_int_equal(kn_utf8_char_len("\xe2\x82\xac", 3), 3);
        assert_int_equal(kn_utf8_char_len("\xf0\x9f\x98\x80", 4), 4);
        assert_int_equal(kn_utf8_char_len("\xc3", 1), 0);             /* cut short */
        assert_int_equal(kn_utf8_char_len("\x80", 1), 0);             /* continuation */
        assert_int_equal(kn_utf8_char_len("\xc0\xaf", 2), 0);         /* overlong '/' */
        assert_int_equal(kn_utf8_char_len("\xed\xa0\x80", 3), 0);     /* surrogate */
        assert_int_equal(kn_utf8_char_len("\xf4\x90\x80\x80", 4), 0); /* past U+10FFFF */
        assert_int_equal(kn_utf8_char_len("\xff", 1), 0);
        assert_true(kn_utf8_valid("ab\xc3\xa9\xf0\x9f\x98\x80", 8));
        assert_false(kn_utf8_valid("ab\xc3", 3));
}

static void repair(const char *in, const char *want) {
        char buf[64];
        size_t len = strlen(in);
        memcpy(buf, in, len);
        len = kn_utf8_repair(buf, len);
        buf[len] = '\0';
        assert_string_equal(buf, want);
}

static void test_repair(void **state) {
        repair("plain", "plain");
        repair("caf\xc3\xa9", "caf\xc3\xa9");
        repair("caf\xc3", "caf");                   /* cut at the end */
        repair("'x\xe2\x82' (valid", "'x' (valid"); /* cut inside a message */
        repair("\xf0\x9f\x98", "");
        repair("a\xffz", "a?z"); /* not UTF-8 at all */
        repair("a\x80\x80z", "a??z");
        repair("\xc0\xaf", "??");
}

static void test_error_cut(void **state) {
        /* "%.5s" ends between characters; "%.4s" cuts the second 'é' in
         * half, and the half goes. */
        kn_error e = {0};
        kn_error_set(&e, EINVAL, "verb '%.5s'", "x\xc3\xa9\xc3\xa9\xc3\xa9");
        assert_string_equal(e.message, "verb 'x\xc3\xa9\xc3\xa9'");
        kn_error_clear(&e);
        kn_error_set(&e, EINVAL, "verb '%.4s'", "x\xc3\xa9\xc3\xa9");
        assert_string_equal(e.message, "verb 'x\xc3\xa9'");

        /* Cut by the buffer's end. */
        char big[KN_ERROR_MAX + 8];
        memset(big, 'a', sizeof big);
        for (size_t k = KN_ERROR_MAX - 8; k + 1 < sizeof big; k += 2)
                big[k] = '\xc3', big[k + 1] = '\xa9';
        big[sizeof big - 1] = '\0';
        for (int shift = 0; shift < 2; shift++) {
                kn_error_clear(&e);
                kn_error_set(&e, EINVAL, "%s%s", shift ? "b" : "", big);
                assert_true(kn_utf8_valid(e.message, strlen(e.message)));
                assert_true(strlen(e.message) >= KN_ERROR_MAX - 2);
        }
        /* And by a prefix that pushes the end out. */
        kn_error_clear(&e);
        kn_error_set(&e, EINVAL, "%s", big + 1);
        kn_error_prefix(&e, "p");
        assert_true(kn_utf8_valid(e.message, strlen(e.message)));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_char_len),
                cmocka_unit_test(test_repair),
                cmocka_unit_test(test_error_cut),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
