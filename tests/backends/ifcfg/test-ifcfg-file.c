/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The shell-variable file of ifcfg: what it accepts, what it rejects
 * (with the line), and that edits change only the lines they must. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "backends/ifcfg/ifcfg-file.h"
#include "macro.h"

static void parse_ok(kn_ifcfg_file *f, const char *text) {
        *f = (kn_ifcfg_file){0};
        if (kn_ifcfg_file_parse(f, text, strlen(text)) < 0)
                fail_msg("line %u: %s", f->err_line, f->err);
}

static void test_values(void **state) {
        kn_ifcfg_file f;
        parse_ok(&f, "# comment\n"
                     "  \n"
                     "A=plain\n"
                     "B=\"double quoted\"\n"
                     "C='single $quoted'\n"
                     "D=\"esc \\\" \\\\ \\$ x\"\n"
                     "E=a\\ b\n"
                     "export F=exported\n"
                     "G=\n"
                     "H=value   # a comment\n"
                     "I=\"$HOME\"\n"
                     "J=mixed'part'\"s\"\n"
                     "A=last-wins\n"
                     "K=crlf\r\n");
        assert_string_equal(kn_ifcfg_file_get(&f, "A"), "last-wins");
        assert_string_equal(kn_ifcfg_file_get(&f, "B"), "double quoted");
        assert_string_equal(kn_ifcfg_file_get(&f, "C"), "single $quoted");
        assert_false(kn_ifcfg_file_find(&f, "C")->dynamic);
        assert_string_equal(kn_ifcfg_file_get(&f, "D"), "esc \" \\ $ x");
        assert_string_equal(kn_ifcfg_file_get(&f, "E"), "a b");
        assert_string_equal(kn_ifcfg_file_get(&f, "F"), "exported");
        assert_string_equal(kn_ifcfg_file_get(&f, "G"), "");
        assert_string_equal(kn_ifcfg_file_get(&f, "H"), "value");
        assert_true(kn_ifcfg_file_find(&f, "I")->dynamic);
        assert_string_equal(kn_ifcfg_file_get(&f, "J"), "mixedparts");
        assert_string_equal(kn_ifcfg_file_get(&f, "K"), "crlf");
        assert_null(kn_ifcfg_file_get(&f, "Z"));
        kn_ifcfg_file_done(&f);
}

static void test_errors_name_the_line(void **state) {
        static const struct {
                const char *text;
                unsigned line;
                const char *why;
        } cases[] = {
                {"A=1\nB=two words\n", 2, "unquoted space"},
                {"A=\"open\n", 1, "unterminated"},
                {"A=1\n\nB='open\nC=3\n", 3, "unterminated"},
                {"A = 1\n", 1, "no spaces"},
                {"not an assignment\n", 1, "KEY=value"},
                {"1A=x\n", 1, "KEY=value"},
                {"A=x;rm\n", 1, "shell operator"},
                {"A=x\\\n", 1, "backslash"},
        };
        for (size_t k = 0; k < ELEMENTSOF(cases); k++) {
                kn_ifcfg_file f = {0};
                assert_int_equal(kn_ifcfg_file_parse(&f, cases[k].text, strlen(cases[k].text)),
                                 -EINVAL);
                assert_int_equal(f.err_line, cases[k].line);
                if (!strstr(f.err, cases[k].why))
                        fail_msg("%s: '%s' lacks '%s'", cases[k].text, f.err, cases[k].why);
                /* the good lines are still there */
                if (strncmp(cases[k].text, "A=1", 3) == 0)
                        assert_string_equal(kn_ifcfg_file_get(&f, "A"), "1");
                kn_ifcfg_file_done(&f);
        }
}

static void test_edit_in_place(void **state) {
        const char *text = "# head\n"
                           "ONBOOT=\"yes\"\n"
                           "X=keep   # note\n"
                           "DUP=1\n"
                           "Y='single'\n"
                           "DUP=2\n"
                           "GONE=1\n"
                           "weird stuff that is kept\n"
                           "Z=\"unchanged\"";
        kn_ifcfg_file f;
        f = (kn_ifcfg_file){0};
        kn_ifcfg_file_parse(&f, text, strlen(text));
        size_t len;
        _cleanup_free_ char *same = kn_ifcfg_file_format(&f, &len);
        assert_int_equal(len, strlen(text) + 1);
        assert_memory_equal(same, text, strlen(text)); /* byte for byte, plus a final newline */

        kn_ifcfg_file_set(&f, "ONBOOT", "no");
        kn_ifcfg_file_set(&f, "X", "new value");
        kn_ifcfg_file_set(&f, "DUP", "3");
        kn_ifcfg_file_set(&f, "Y", "it's");
        kn_ifcfg_file_set(&f, "GONE", NULL);
        kn_ifcfg_file_set(&f, "Z", "unchanged");
        kn_ifcfg_file_set(&f, "NEW", "a$b");
        kn_ifcfg_file_set(&f, "NEW2", "plain");
        _cleanup_free_ char *out = kn_ifcfg_file_format(&f, NULL);
        assert_string_equal(out, "# head\n"
                                 "ONBOOT=\"no\"\n"
                                 "X=\"new value\"   # note\n"
                                 "Y=\"it's\"\n"
                                 "DUP=3\n"
                                 "weird stuff that is kept\n"
                                 "Z=\"unchanged\"\n"
                                 "NEW=\"a\\$b\"\n"
                                 "NEW2=plain\n");
        kn_ifcfg_file_done(&f);

        /* what was written parses back to the same values (the line that
         * is not an assignment is still reported, at its new place) */
        f = (kn_ifcfg_file){0};
        assert_int_equal(kn_ifcfg_file_parse(&f, out, strlen(out)), -EINVAL);
        assert_int_equal(f.err_line, 6);
        assert_string_equal(kn_ifcfg_file_get(&f, "NEW"), "a$b");
        assert_false(kn_ifcfg_file_find(&f, "NEW")->dynamic);
        assert_string_equal(kn_ifcfg_file_get(&f, "Y"), "it's");
        assert_string_equal(kn_ifcfg_file_get(&f, "X"), "new value");
        kn_ifcfg_file_done(&f);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_values),
                cmocka_unit_test(test_errors_name_the_line),
                cmocka_unit_test(test_edit_in_place),
        };
        return cmocka_run_group_tests_name("ifcfg-file", tests, NULL, NULL);
}
