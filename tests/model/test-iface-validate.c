/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>

#include "kvmnet/iface.h"
#include "testutil.h"

static void test_mac(void **state) {
        char out[KN_MAC_STRLEN + 1];
        assert_int_equal(kn_mac_parse("52:54:00:AB:cd:EF", out), 0);
        assert_string_equal(out, "52:54:00:ab:cd:ef");
        assert_int_equal(kn_mac_parse("52:54:00:ab:cd", NULL), -EINVAL);
        assert_int_equal(kn_mac_parse("52-54-00-ab-cd-ef", NULL), -EINVAL);
        assert_int_equal(kn_mac_parse("52:54:00:ab:cd:eg", NULL), -EINVAL);
}

/* Models built by backends, not by the XML parser, still go through
 * kn_iface_validate before anything is written. */
static void test_tree_rules(void **state) {
        kn_error err = {0};
        _cleanup_iface_ kn_iface *vlan = kn_iface_new(KN_IFACE_VLAN, "eth0.10");
        vlan->vlan_tag = 10;
        assert_int_equal(kn_iface_validate(vlan, &err), -EINVAL);
        assert_non_null(strstr(err.message, "no parent"));

        kn_error_clear(&err);
        strcpy(vlan->vlan_parent, "eth0");
        vlan->vlan_tag = 4096;
        assert_int_equal(kn_iface_validate(vlan, &err), -ERANGE);
        assert_non_null(strstr(err.message, "4096"));

        kn_error_clear(&err);
        _cleanup_iface_ kn_iface *bond = kn_iface_new(KN_IFACE_BOND, "bond0");
        kn_iface_add_child(bond, kn_iface_new(KN_IFACE_BRIDGE, "br9"));
        assert_int_equal(kn_iface_validate(bond, &err), -EINVAL);
        assert_non_null(strstr(err.message, "bridge cannot be its slave br9"));

        kn_error_clear(&err);
        _cleanup_iface_ kn_iface *br = kn_iface_new(KN_IFACE_BRIDGE, "br0");
        kn_iface_add_child(br, kn_iface_new(KN_IFACE_ETHERNET, "eth0"));
        kn_iface_add_child(br, kn_iface_new(KN_IFACE_ETHERNET, "eth0"));
        assert_int_equal(kn_iface_validate(br, &err), -EINVAL);
        assert_non_null(strstr(err.message, "eth0 is listed twice"));
}

static void test_copy_equal(void **state) {
        kn_error err = {0};
        _cleanup_iface_ kn_iface *br = kn_iface_new(KN_IFACE_BRIDGE, "br0");
        kn_iface_add_child(br, kn_iface_new(KN_IFACE_ETHERNET, "eth0"));
        br->ipv4.present = true;
        assert_int_equal(kn_protocol_add_ip(&br->ipv4, AF_INET, "10.0.0.1", 8, &err), 0);
        _cleanup_iface_ kn_iface *copy = kn_iface_copy(br);
        assert_true(kn_iface_equal(br, copy));
        copy->children[0]->mac[0] = 'x';
        assert_false(kn_iface_equal(br, copy));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_mac),
                cmocka_unit_test(test_tree_rules),
                cmocka_unit_test(test_copy_equal),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
