/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Network definitions under a test root: define, bridge allocation,
 * refusals, autostart links, a broken file next to good ones, the shipped
 * default network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kvmnet/vnet.h"
#include "rootfs.h"
#include "testutil.h"

typedef struct fixture {
        char *dir;
        kn_root *root;
        kn_net_store *s;
} fixture;

static int setup(void **state) {
        fixture *f = kn_xcalloc(1, sizeof *f);
        f->dir = test_tmpdir();
        kn_error err = {0};
        assert_int_equal(kn_root_open(f->dir, &f->root, &err), 0);
        assert_int_equal(kn_net_store_open(f->root, &f->s, &err), 0);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        fixture *f = *state;
        kn_net_store_free(f->s);
        kn_root_free(f->root);
        test_rmtree(f->dir);
        free(f->dir);
        free(f);
        return 0;
}

static kn_net *net(const char *xml) {
        kn_error err = {0};
        kn_net *n = NULL;
        if (kn_net_parse_xml(xml, strlen(xml), "t.xml", &n, &err) < 0)
                fail_msg("%s", err.message);
        return n;
}

static bool kvbr0_live(const char *name, void *data) {
        return streq(name, "kvbr0");
}

static void test_define_list_undefine(void **state) {
        fixture *f = *state;
        kn_error err = {0};
        const kn_net *d;
        assert_true(kn_net_store_first_run(f->s));
        /* kvbr0 exists as a live link: the first free name is kvbr1 */
        assert_int_equal(kn_net_store_define(f->s,
                                             net("<network><name>a</name><ip address='10.1.0.1' "
                                                 "prefix='24'/></network>"),
                                             kvbr0_live, NULL, &d, &err),
                         0);
        assert_string_equal(d->bridge, "kvbr1");
        assert_int_equal(kn_net_store_define(f->s, net("<network><name>b</name></network>"),
                                             kvbr0_live, NULL, &d, &err),
                         0);
        assert_string_equal(d->bridge, "kvbr2");
        const kn_net *const *list;
        assert_int_equal(kn_net_store_list(f->s, &list), 2);
        assert_string_equal(list[0]->name, "a");

        /* the file is there and reads back the same */
        _cleanup_free_ char *path = kn_xasprintf("%s/etc/kvmnet/networks/a.xml", f->dir);
        _cleanup_free_ char *text = test_read_file(path);
        assert_non_null(strstr(text, "<bridge name='kvbr1'/>"));
        kn_net_store *again = NULL;
        assert_int_equal(kn_net_store_open(f->root, &again, &err), 0);
        assert_false(kn_net_store_first_run(again));
        assert_int_equal(kn_net_store_list(again, &list), 2);
        assert_string_equal(list[0]->bridge, "kvbr1");
        kn_net_store_free(again);

        /* by UUID too */
        kn_net_store_list(f->s, &list);
        char uuid[37];
        kn_net_uuid_format(list[0]->uuid, uuid);
        assert_non_null(kn_net_store_lookup(f->s, uuid));

        assert_int_equal(kn_net_store_undefine(f->s, "a", &err), 0);
        assert_false(test_run("test -e '%s'", path) == 0);
        assert_int_equal(kn_net_store_undefine(f->s, "a", &err), -ENOENT);
        assert_non_null(strstr(err.message, "no network named 'a'"));
}

static void test_refusals(void **state) {
        fixture *f = *state;
        kn_error err = {0};
        assert_int_equal(
                kn_net_store_define(f->s,
                                    net("<network><name>a</name><uuid>"
                                        "c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid><bridge "
                                        "name='br7'/></network>"),
                                    NULL, NULL, NULL, &err),
                0);
        /* the same name, another UUID */
        assert_int_equal(kn_net_store_define(f->s, net("<network><name>a</name></network>"), NULL,
                                             NULL, NULL, &err),
                         -EEXIST);
        assert_non_null(strstr(err.message, "network a is already defined with UUID c7a5fdbd"));
        kn_error_clear(&err);
        /* the same UUID, another name */
        assert_int_equal(kn_net_store_define(f->s,
                                             net("<network><name>b</name><uuid>"
                                                 "c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>"
                                                 "</network>"),
                                             NULL, NULL, NULL, &err),
                         -EEXIST);
        assert_non_null(strstr(err.message, "network a already has the UUID"));
        kn_error_clear(&err);
        /* another network's bridge */
        assert_int_equal(kn_net_store_define(f->s,
                                             net("<network><name>c</name><bridge "
                                                 "name='br7'/></network>"),
                                             NULL, NULL, NULL, &err),
                         -EEXIST);
        assert_non_null(strstr(err.message, "bridge br7 is network a's"));
        kn_error_clear(&err);
        /* a redefinition (same name and UUID) replaces and keeps the bridge */
        assert_int_equal(kn_net_store_define(f->s,
                                             net("<network><name>a</name><uuid>"
                                                 "c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>"
                                                 "<mtu size='1400'/></network>"),
                                             NULL, NULL, NULL, &err),
                         0);
        assert_string_equal(kn_net_store_lookup(f->s, "a")->bridge, "br7");
        assert_int_equal(kn_net_store_lookup(f->s, "a")->mtu, 1400);
}

static void test_autostart_and_bad_file(void **state) {
        fixture *f = *state;
        kn_error err = {0};
        assert_int_equal(kn_net_store_define(f->s, net("<network><name>a</name></network>"), NULL,
                                             NULL, NULL, &err),
                         0);
        assert_false(kn_net_store_autostart(f->s, "a"));
        assert_int_equal(kn_net_store_set_autostart(f->s, "a", true, &err), 0);
        assert_true(kn_net_store_autostart(f->s, "a"));
        assert_int_equal(test_run("test \"$(readlink '%s/etc/kvmnet/networks/autostart/a.xml')\" "
                                  "= ../a.xml",
                                  f->dir),
                         0);
        assert_int_equal(kn_net_store_set_autostart(f->s, "a", false, &err), 0);
        assert_false(kn_net_store_autostart(f->s, "a"));
        assert_int_equal(kn_net_store_set_autostart(f->s, "zz", true, &err), -ENOENT);

        /* a broken file is reported with its line; the good one still lists */
        _cleanup_free_ char *bad = kn_xasprintf("%s/etc/kvmnet/networks/b.xml", f->dir);
        test_write_file(bad, "<network>\n<name>b</name>\n<bogus/></network>\n");
        _cleanup_free_ char *other = kn_xasprintf("%s/etc/kvmnet/networks/c.xml", f->dir);
        test_write_file(other, "<network><name>d</name></network>\n");
        kn_net_store *s = NULL;
        assert_int_equal(kn_net_store_open(f->root, &s, &err), 0);
        const kn_net *const *list;
        assert_int_equal(kn_net_store_list(s, &list), 1);
        const char *const *errors;
        assert_int_equal(kn_net_store_errors(s, &errors), 2);
        assert_non_null(strstr(errors[0], "networks/b.xml:3: element <bogus>"));
        assert_non_null(strstr(errors[1], "holds network 'd'; the file must be d.xml"));
        kn_net_store_free(s);
}

static bool taken_122_123(const char *subnet, unsigned prefix, void *data) {
        return streq(subnet, "192.168.122.0") || streq(subnet, "192.168.123.0");
}

static void test_default(void **state) {
        unsigned x;
        _cleanup_net_ kn_net *d = kn_net_default(NULL, NULL, &x);
        assert_int_equal(x, 122);
        assert_string_equal(d->ips[0].address, "192.168.122.1");
        assert_string_equal(d->bridge, "kvbr0");
        kn_error err = {0};
        assert_int_equal(kn_net_validate(d, &err), 0);
        _cleanup_net_ kn_net *e = kn_net_default(taken_122_123, NULL, &x);
        assert_int_equal(x, 124);
        assert_string_equal(e->ips[0].ranges[0].start, "192.168.124.2");
        _cleanup_free_ char *xml = kn_net_format_xml(e);
        assert_non_null(strstr(xml, "<forward mode='nat'/>"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_define_list_undefine, setup, teardown),
                cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
                cmocka_unit_test_setup_teardown(test_autostart_and_bad_file, setup, teardown),
                cmocka_unit_test(test_default),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
