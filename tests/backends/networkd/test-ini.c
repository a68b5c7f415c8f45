/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The INI reader/writer shared by the networkd and NetworkManager keyfile
 * backends: unedited text comes back byte for byte, edits touch only their
 * lines, errors name their line. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "backends/ini/ini.h"
#include "macro.h"

static char *roundtrip(kn_ini_syntax syntax, const char *text) {
        kn_ini f;
        kn_ini_parse(&f, syntax, text, strlen(text));
        char *out = kn_ini_format(&f, NULL);
        kn_ini_done(&f);
        return out;
}

static void test_verbatim(void **state) {
        const char *text = "# comment\n"
                           "; also a comment\n"
                           "\n"
                           "[Match]\n"
                           "Name = eth0   \n"
                           "[Network]\r\n"
                           "Description=a long \\\n"
                           "   description\n"
                           "Address=192.0.2.1/24\n"
                           "\n"
                           "\n";
        _cleanup_free_ char *out = roundtrip(KN_INI_SYSTEMD, text);
        assert_string_equal(out, text);

        kn_ini f;
        assert_int_equal(kn_ini_parse(&f, KN_INI_SYSTEMD, text, strlen(text)), 0);
        assert_string_equal(kn_ini_get(&f, "Match", "Name"), "eth0");
        assert_string_equal(kn_ini_get(&f, "Network", "Description"), "a long     description");
        const kn_ini_line *l = kn_ini_find(&f, "Network", "Address");
        assert_int_equal(l->lineno, 9);
        kn_ini_done(&f);
}

static void test_errors_name_lines(void **state) {
        const char *text = "[Match]\nName=eth0\n[Network\nDHCP=yes\nnonsense\n";
        kn_ini f;
        assert_int_equal(kn_ini_parse(&f, KN_INI_SYSTEMD, text, strlen(text)), -EINVAL);
        assert_int_equal(f.err_line, 3);
        assert_non_null(strstr(f.err, "']'"));
        /* The rest is read all the same, and kept as it was. */
        assert_string_equal(kn_ini_get(&f, "Match", "Name"), "eth0");
        _cleanup_free_ char *out = kn_ini_format(&f, NULL);
        assert_string_equal(out, text);
        kn_ini_done(&f);

        text = "Name=eth0\n[Match]\n";
        assert_int_equal(kn_ini_parse(&f, KN_INI_SYSTEMD, text, strlen(text)), -EINVAL);
        assert_int_equal(f.err_line, 1);
        kn_ini_done(&f);
}

static void test_set(void **state) {
        const char *text = "[Match]\n"
                           "Name=eth0\n"
                           "\n"
                           "[Network]\n"
                           "DHCP=yes\n"
                           "# keep me\n"
                           "LLDP=yes\n"
                           "DHCP=no\n"
                           "\n"
                           "[Route]\n"
                           "Gateway=192.0.2.1\n";
        kn_ini f;
        kn_ini_parse(&f, KN_INI_SYSTEMD, text, strlen(text));
        kn_ini_set(&f, "Network", "DHCP", "ipv4");  /* last edited, first dropped */
        kn_ini_set(&f, "Network", "Bridge", "br0"); /* after the last assignment */
        kn_ini_set(&f, "Link", "MTUBytes", "9000"); /* new section at the end */
        kn_ini_set(&f, "Network", "LLDP", "yes");   /* unchanged: not touched */
        _cleanup_free_ char *out = kn_ini_format(&f, NULL);
        assert_string_equal(out, "[Match]\n"
                                 "Name=eth0\n"
                                 "\n"
                                 "[Network]\n"
                                 "# keep me\n"
                                 "LLDP=yes\n"
                                 "DHCP=ipv4\n"
                                 "Bridge=br0\n"
                                 "\n"
                                 "[Route]\n"
                                 "Gateway=192.0.2.1\n"
                                 "\n"
                                 "[Link]\n"
                                 "MTUBytes=9000\n");
        kn_ini_done(&f);
}

static void test_lists_and_sections(void **state) {
        const char *text = "[Network]\n"
                           "Address=10.0.0.1/8\n"
                           "DNS=10.0.0.53\n"
                           "Address=10.0.0.2/8\n"
                           "\n"
                           "[Bridge]\n"
                           "STP=yes\n"
                           "\n"
                           "[Link]\n"
                           "MTUBytes=1500\n";
        kn_ini f;
        kn_ini_parse(&f, KN_INI_SYSTEMD, text, strlen(text));
        char *addrs[] = {"192.0.2.1/24", "192.0.2.2/24", "2001:db8::1/64"};
        kn_ini_set_list(&f, "Network", "Address", addrs, 3);
        kn_ini_remove_section(&f, "Bridge");
        kn_ini_set(&f, "Link", "MTUBytes", NULL);
        kn_ini_prune(&f, "Link");
        _cleanup_free_ char *out = kn_ini_format(&f, NULL);
        assert_string_equal(out, "[Network]\n"
                                 "Address=192.0.2.1/24\n"
                                 "Address=192.0.2.2/24\n"
                                 "Address=2001:db8::1/64\n"
                                 "DNS=10.0.0.53\n");
        size_t n = 0;
        KN_INI_FOREACH(k, &f, "Network", "Address") {
                n++;
        }
        assert_int_equal(n, 3);
        /* The same list again changes nothing. */
        kn_ini_set_list(&f, "Network", "Address", addrs, 3);
        _cleanup_free_ char *again = kn_ini_format(&f, NULL);
        assert_string_equal(again, out);
        kn_ini_done(&f);
}

static void test_keyfile_escapes(void **state) {
        const char *text = "[connection]\nid=\\sleading and a \\\\ backslash\n";
        kn_ini f;
        assert_int_equal(kn_ini_parse(&f, KN_INI_KEYFILE, text, strlen(text)), 0);
        assert_string_equal(kn_ini_get(&f, "connection", "id"), " leading and a \\ backslash");
        kn_ini_set(&f, "connection", "id", " two\nlines");
        _cleanup_free_ char *out = kn_ini_format(&f, NULL);
        assert_string_equal(out, "[connection]\nid=\\stwo\\nlines\n");
        kn_ini_done(&f);
        /* ';' is not a comment in key files. */
        text = "[ipv4]\n;dns=1.1.1.1\n";
        assert_int_equal(kn_ini_parse(&f, KN_INI_KEYFILE, text, strlen(text)), 0);
        assert_string_equal(kn_ini_get(&f, "ipv4", ";dns"), "1.1.1.1");
        kn_ini_done(&f);
}

static void test_comments(void **state) {
        kn_ini f;
        kn_ini_init(&f, KN_INI_SYSTEMD);
        kn_ini_add_comment(&f, "# made by a test");
        kn_ini_set(&f, "Match", "Name", "eth0");
        assert_true(kn_ini_has_comment(&f, "# made by a test"));
        _cleanup_free_ char *out = kn_ini_format(&f, NULL);
        assert_string_equal(out, "# made by a test\n\n[Match]\nName=eth0\n");
        kn_ini_remove_comment(&f, "# made by a test");
        assert_false(kn_ini_has_comment(&f, "# made by a test"));
        kn_ini_done(&f);
        assert_int_equal(kn_ini_parse_bool("On"), 1);
        assert_int_equal(kn_ini_parse_bool("false"), 0);
        assert_int_equal(kn_ini_parse_bool("maybe"), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_verbatim),
                cmocka_unit_test(test_errors_name_lines),
                cmocka_unit_test(test_set),
                cmocka_unit_test(test_lists_and_sections),
                cmocka_unit_test(test_keyfile_escapes),
                cmocka_unit_test(test_comments),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
