/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Who owns a link (kvmnet/owner.h): one root holding the files of several
 * regimes, and the refusal to define a link through one backend while
 * another regime's files configure it. */

#include "../networkd/backend-test.h"
#include "kvmnet/owner.h"
#include "rootfs.h"

static int setup(void **state) {
        *state = test_tmpdir();
        return 0;
}

static int teardown(void **state) {
        test_rmtree(*state);
        free(*state);
        return 0;
}

/* kn_owner_check of xml through backend, as kn_config_define() would. */
static int check(const char *root, const char *backend, const char *xml, kn_error *err) {
        kn_root *r = NULL;
        _cleanup_iface_ kn_iface *i = bt_xml(xml);
        assert_int_equal(kn_root_open(root, &r, err), 0);
        kn_error_clear(err);
        int ret = kn_owner_check(r, kn_backend_find(backend), i, err);
        kn_root_free(r);
        return ret;
}

static const char *eth0 = "<interface type='ethernet' name='eth0'><start mode='onboot'/>"
                          "<protocol family='ipv4'><dhcp/></protocol></interface>";

static void test_networkmanager_owns(void **state) {
        const char *root = *state;
        kn_error err = {0};
        bt_write_mode(root, "etc/NetworkManager/system-connections/eth0.nmconnection",
                      "[connection]\nid=eth0\ntype=ethernet\ninterface-name=eth0\n", 0600);
        assert_int_equal(check(root, "networkd", eth0, &err), -EBUSY);
        _cleanup_free_ char *want = kn_xasprintf(
                "eth0 is already configured by NetworkManager in "
                "%s/etc/NetworkManager/system-connections/eth0.nmconnection; remove it there "
                "first",
                root);
        assert_string_equal(err.message, want);
        /* The regime that owns it may of course change it. */
        assert_int_equal(check(root, "nmkeyfile", eth0, &err), 0);
        /* A port counts as much as the interface itself. */
        assert_int_equal(check(root, "networkd",
                               "<interface type='bridge' name='br0'><start mode='onboot'/>"
                               "<bridge><interface type='ethernet' name='eth0'/></bridge>"
                               "</interface>",
                               &err),
                         -EBUSY);
        bt_assert_contains(err.message, "eth0 is already configured by NetworkManager");
}

static void test_networkd_patterns_and_macs(void **state) {
        const char *root = *state;
        kn_error err = {0};
        bt_write(root, "etc/systemd/network/80-dhcp.network",
                 "[Match]\nName=en*\n\n[Network]\nDHCP=yes\n");
        bt_write(root, "etc/systemd/network/70-by-mac.network",
                 "[Match]\nMACAddress=52:54:00:00:00:09\n\n[Network]\nDHCP=yes\n");
        assert_int_equal(check(root, "nmkeyfile",
                               "<interface type='ethernet' name='enp1s0'>"
                               "<start mode='onboot'/></interface>",
                               &err),
                         -EBUSY);
        _cleanup_free_ char *want = kn_xasprintf(
                "enp1s0 is already configured by systemd-networkd in "
                "%s/etc/systemd/network/80-dhcp.network ([Match] Name=en*); remove it there "
                "first",
                root);
        assert_string_equal(err.message, want);
        /* A file matching by MAC owns the link with that MAC. */
        assert_int_equal(check(root, "nmkeyfile",
                               "<interface type='ethernet' name='eth9'><start mode='onboot'/>"
                               "<mac address='52:54:00:00:00:09'/></interface>",
                               &err),
                         -EBUSY);
        bt_assert_contains(err.message, "70-by-mac.network ([Match] MACAddress=");
        assert_int_equal(check(root, "nmkeyfile", eth0, &err), 0);
}

static void test_runtime_files(void **state) {
        const char *root = *state;
        kn_error err = {0};
        /* netplan's output for a root whose /etc has nothing else. */
        bt_write(root, "run/systemd/network/10-netplan-eth0.network",
                 "[Match]\nName=eth0\n\n[Network]\nDHCP=ipv4\n");
        assert_int_equal(check(root, "nmkeyfile", eth0, &err), -EBUSY);
        bt_assert_contains(err.message, "systemd-networkd in ");
        bt_assert_contains(err.message, "/run/systemd/network/10-netplan-eth0.network");
}

static void test_find_lists_every_regime(void **state) {
        const char *root = *state;
        kn_error err = {0};
        bt_write_mode(root, "etc/NetworkManager/system-connections/byemac.nmconnection",
                      "[connection]\nid=byemac\ntype=ethernet\n\n[ethernet]\n"
                      "mac-address=52:54:00:AA:BB:CC\n",
                      0600);
        bt_write(root, "etc/systemd/network/10-eth0.network", "[Match]\nName=eth0\n");
        kn_owners o = {0};
        assert_int_equal(kn_owner_find(root, "eth0", "52:54:00:aa:bb:cc", &o, &err), 0);
        assert_int_equal(o.n, 2);
        size_t seen = 0;
        for (size_t k = 0; k < o.n; k++) {
                if (streq(o.items[k].regime, "NetworkManager")) {
                        assert_string_equal(o.items[k].how, "mac-address=52:54:00:AA:BB:CC");
                        seen |= 1;
                } else if (streq(o.items[k].regime, "systemd-networkd")) {
                        assert_null(o.items[k].how);
                        assert_int_equal(o.items[k].line, 2);
                        seen |= 2;
                }
        }
        assert_int_equal(seen, 3);
        kn_owners_done(&o);
        /* Without the MAC, the profile bound by MAC is not known to match. */
        assert_int_equal(kn_owner_find(root, "eth0", NULL, &o, &err), 0);
        assert_int_equal(o.n, 1);
        kn_owners_done(&o);
}

static void test_ifupdown_and_ifcfg(void **state) {
        const char *root = *state;
        kn_error err = {0};
        if (!kn_backend_find("ifupdown") || !kn_backend_find("ifcfg"))
                skip();
        bt_write(root, "etc/network/interfaces",
                 "auto lo\niface lo inet loopback\n\nallow-hotplug eth0\niface eth0 inet dhcp\n");
        bt_write(root, "etc/sysconfig/network-scripts/ifcfg-eth1",
                 "DEVICE=eth1\nONBOOT=yes\nBOOTPROTO=dhcp\n");
        assert_int_equal(check(root, "networkd", eth0, &err), -EBUSY);
        bt_assert_contains(err.message, "eth0 is already configured by ifupdown in ");
        assert_int_equal(check(root, "nmkeyfile",
                               "<interface type='ethernet' name='eth1'>"
                               "<start mode='onboot'/></interface>",
                               &err),
                         -EBUSY);
        bt_assert_contains(err.message, "eth1 is already configured by ifcfg in ");
        assert_int_equal(check(root, "nmkeyfile",
                               "<interface type='ethernet' name='eth2'>"
                               "<start mode='onboot'/></interface>",
                               &err),
                         0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_networkmanager_owns, setup, teardown),
                cmocka_unit_test_setup_teardown(test_networkd_patterns_and_macs, setup, teardown),
                cmocka_unit_test_setup_teardown(test_runtime_files, setup, teardown),
                cmocka_unit_test_setup_teardown(test_find_lists_every_regime, setup, teardown),
                cmocka_unit_test_setup_teardown(test_ifupdown_and_ifcfg, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
