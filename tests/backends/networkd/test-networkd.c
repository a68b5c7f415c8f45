/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The networkd backend beyond the golden cases: what others wrote stays,
 * broken files are reported one by one, files networkd would prefer are
 * respected, the VLAN= carrier files come and go, and a read-only root is
 * left as it was. */

#include "backend-test.h"
#include "backends/fileset.h"
#include "rootfs.h"

#define DIR "etc/systemd/network/"
#define B   "networkd"

static int setup(void **state) {
        *state = test_tmpdir();
        return 0;
}

static int teardown(void **state) {
        test_rmtree(*state);
        free(*state);
        return 0;
}

static const char *eth0_static = "<interface type='ethernet' name='eth0'>\n"
                                 "  <start mode='onboot'/>\n"
                                 "  <mtu size='9000'/>\n"
                                 "  <protocol family='ipv4'>\n"
                                 "    <ip address='192.0.2.10' prefix='24'/>\n"
                                 "    <route gateway='192.0.2.1'/>\n"
                                 "  </protocol>\n"
                                 "</interface>\n";

static void test_unknown_keys_and_comments_kept(void **state) {
        const char *root = *state;
        bt_write(root, DIR "50-uplink.network",
                 "# Uplink, hand-written.\n"
                 "[Match]\n"
                 "Name=eth0\n"
                 "\n"
                 "[Link]\n"
                 "MTUBytes=9000\n"
                 "\n"
                 "[Network]\n"
                 "DHCP=yes\n"
                 "; the resolver\n"
                 "DNS=192.0.2.53\n"
                 "Domains=example.net\n"
                 "\n"
                 "[Route]\n"
                 "Destination=10.0.0.0/8\n"
                 "Gateway=192.0.2.254\n"
                 "\n"
                 "[DHCPv4]\n"
                 "UseDomains=yes\n");
        bt_define_ok(root, B, eth0_static);
        _cleanup_free_ char *got = bt_read(root, DIR "50-uplink.network");
        assert_string_equal(got, "# Uplink, hand-written.\n"
                                 "[Match]\n"
                                 "Name=eth0\n"
                                 "\n"
                                 "[Link]\n"
                                 "MTUBytes=9000\n"
                                 "\n"
                                 "[Network]\n"
                                 "; the resolver\n"
                                 "DNS=192.0.2.53\n"
                                 "Domains=example.net\n"
                                 "Address=192.0.2.10/24\n"
                                 "Gateway=192.0.2.1\n"
                                 "\n"
                                 "[Route]\n"
                                 "Destination=10.0.0.0/8\n"
                                 "Gateway=192.0.2.254\n"
                                 "\n"
                                 "[DHCPv4]\n"
                                 "UseDomains=yes\n");
        _cleanup_free_ char *xml = bt_dump(root, B, "eth0");
        assert_string_equal(xml, eth0_static);

        /* Defining the same again changes no byte, and no new file appears. */
        _cleanup_free_ char *before = bt_snapshot(root);
        bt_define_ok(root, B, xml);
        _cleanup_free_ char *after = bt_snapshot(root);
        assert_string_equal(before, after);
}

static void test_per_file_errors(void **state) {
        const char *root = *state;
        bt_write(root, DIR "10-good.network", "[Match]\nName=eth1\n[Network]\nDHCP=yes\n");
        bt_write(root, DIR "20-bad.network", "[Match]\nName=eth2\n\n[Network\nDHCP=yes\n");
        bt_write(root, DIR "30-value.network", "[Match]\nName=eth3\n[Link]\nMTUBytes=lots\n");
        bt_write(root, DIR "br9.netdev",
                 "[NetDev]\nName=br9\nKind=bridge\n[Bridge]\nSTP=perhaps\n");
        _cleanup_free_ char *diags = bt_diags(root, B);
        _cleanup_free_ char *bad = kn_xasprintf("%s/" DIR "20-bad.network:4: [eth2] ", root);
        _cleanup_free_ char *value = kn_xasprintf(
                "%s/" DIR "30-value.network:4: [eth3] MTUBytes=lots is not an MTU", root);
        _cleanup_free_ char *stp =
                kn_xasprintf("%s/" DIR "br9.netdev:5: [br9] STP=perhaps is not a boolean", root);
        bt_assert_contains(diags, bad);
        bt_assert_contains(diags, value);
        bt_assert_contains(diags, stp);
        assert_int_equal(bt_count(root, B), 1);
        _cleanup_free_ char *good = bt_dump(root, B, "eth1");
        assert_non_null(good);

        /* A file with a syntax error is not edited over, but can go. */
        kn_error err = {0};
        assert_int_equal(bt_define(root, B,
                                   "<interface type='ethernet' name='eth2'>"
                                   "<start mode='onboot'/></interface>",
                                   &err),
                         -EINVAL);
        bt_assert_contains(err.message, "20-bad.network:4:");
        assert_int_equal(bt_undefine(root, B, "eth2", &err), 0);
        assert_false(bt_exists(root, DIR "20-bad.network"));
        /* A wrong value is fixed by defining the interface. */
        bt_define_ok(root, B,
                     "<interface type='ethernet' name='eth3'><start mode='onboot'/>"
                     "<mtu size='1500'/></interface>");
        _cleanup_free_ char *fixed = bt_read(root, DIR "30-value.network");
        assert_string_equal(fixed, "[Match]\nName=eth3\n[Link]\nMTUBytes=1500\n");
}

static void test_files_networkd_prefers(void **state) {
        const char *root = *state;
        kn_error err = {0};
        bt_write(root, DIR "05-all.network", "[Match]\nName=eth*\n[Network]\nDHCP=yes\n");
        bt_write(root, DIR "20-eth5.network", "[Match]\nName=eth5\n[Network]\nDHCP=no\n");
        bt_write(root, "run/systemd/network/10-netplan-en4.network",
                 "[Match]\nName=en4\n\n[Network]\nDHCP=ipv4\n");

        assert_int_equal(bt_define(root, B, eth0_static, &err), -EBUSY);
        bt_assert_contains(err.message, "05-all.network ([Match] Name=eth*), which comes before");
        assert_false(bt_exists(root, DIR "10-kvmnet-eth0.network"));

        assert_int_equal(bt_define(root, B,
                                   "<interface type='ethernet' name='en4'>"
                                   "<start mode='onboot'/></interface>",
                                   &err),
                         -EBUSY);
        bt_assert_contains(err.message, "en4 is configured by ");
        bt_assert_contains(err.message, "10-netplan-en4.network, which netplan generates");

        /* A file that can never apply is reported. */
        _cleanup_free_ char *diags = bt_diags(root, B);
        bt_assert_contains(diags, "20-eth5.network:0: [eth5] networkd never applies this file");

        /* A pattern that comes later is what kvmnet's own file overrides. */
        test_run("mv '%s/" DIR "05-all.network' '%s/" DIR "80-all.network'", root, root);
        bt_define_ok(root, B, eth0_static);
        assert_true(bt_exists(root, DIR "10-kvmnet-eth0.network"));
}

/* A file in etc/ hides the run/ file of the same name, however many other
 * run/ files there are (the lookup once searched a half-sorted table). */
static void test_etc_hides_run(void **state) {
        const char *root = *state;
        bt_write(root, DIR "m.network", "[Match]\nName=m0\n[Network]\nDHCP=yes\n");
        for (const char *n = "abcm"; *n; n++) {
                _cleanup_free_ char *rel = kn_xasprintf("run/systemd/network/%c.network", *n);
                _cleanup_free_ char *text =
                        kn_xasprintf("[Match]\nName=%c0\n[Network]\nDHCP=no\n", *n);
                bt_write(root, rel, text);
        }
        bt_define_ok(root, B,
                     "<interface type='ethernet' name='m0'><start mode='onboot'/>"
                     "<protocol family='ipv4'><dhcp/></protocol></interface>");
        _cleanup_free_ char *etc = bt_read(root, DIR "m.network");
        bt_assert_contains(etc, "Name=m0");
}

static const char *vlan42 = "<interface type='vlan' name='eth0.42'>\n"
                            "  <start mode='onboot'/>\n"
                            "  <vlan tag='42'>\n"
                            "    <interface name='eth0'/>\n"
                            "  </vlan>\n"
                            "</interface>\n";

static void test_vlan_parent_files(void **state) {
        const char *root = *state;
        kn_error err = {0};
        bt_define_ok(root, B, vlan42);
        _cleanup_free_ char *stub = bt_read(root, DIR "10-kvmnet-eth0.network");
        bt_assert_contains(stub, "# kvmnet: only carries VLAN=");
        bt_assert_contains(stub, "VLAN=eth0.42\n");
        /* The parent is not an interface kvmnet defined. */
        assert_null(bt_dump(root, B, "eth0"));
        _cleanup_free_ char *v = bt_dump(root, B, "eth0.42");
        assert_string_equal(v, vlan42);

        /* Defining the parent takes the file over, VLAN= stays. */
        bt_define_ok(root, B, eth0_static);
        _cleanup_free_ char *def = bt_read(root, DIR "10-kvmnet-eth0.network");
        assert_null(strstr(def, "# kvmnet:"));
        bt_assert_contains(def, "VLAN=eth0.42\n");
        _cleanup_free_ char *e = bt_dump(root, B, "eth0");
        assert_string_equal(e, eth0_static);

        /* Undefining the parent leaves what the vlan needs. */
        assert_int_equal(bt_undefine(root, B, "eth0", &err), 0);
        _cleanup_free_ char *again = bt_read(root, DIR "10-kvmnet-eth0.network");
        assert_string_equal(again, stub);
        assert_null(bt_dump(root, B, "eth0"));

        /* And undefining the vlan leaves nothing. */
        assert_int_equal(bt_undefine(root, B, "eth0.42", &err), 0);
        _cleanup_free_ char *empty = bt_snapshot(root);
        assert_string_equal(empty, "");

        /* A parent with a file of its own gets VLAN= there. */
        bt_write(root, DIR "30-trunk.network", "[Match]\nName=eth0\n\n[Network]\nLLDP=yes\n");
        bt_define_ok(root, B, vlan42);
        _cleanup_free_ char *trunk = bt_read(root, DIR "30-trunk.network");
        assert_string_equal(trunk, "[Match]\nName=eth0\n\n[Network]\nLLDP=yes\nVLAN=eth0.42\n");
        assert_false(bt_exists(root, DIR "10-kvmnet-eth0.network"));
}

static void test_redefine_moves_ports(void **state) {
        const char *root = *state;
        bt_define_ok(root, B,
                     "<interface type='bridge' name='br0'><start mode='onboot'/>"
                     "<bridge stp='on' delay='2'><interface type='ethernet' name='eth1'/>"
                     "<interface type='ethernet' name='eth2'/></bridge></interface>");
        assert_true(bt_exists(root, DIR "10-kvmnet-eth1.network"));
        /* eth1 leaves the bridge: its file goes. */
        bt_define_ok(root, B,
                     "<interface type='bridge' name='br0'><start mode='onboot'/>"
                     "<bridge stp='on' delay='2'><interface type='ethernet' name='eth2'/>"
                     "</bridge></interface>");
        assert_false(bt_exists(root, DIR "10-kvmnet-eth1.network"));
        /* A new kind: the old kind's settings go, the ports follow. */
        const char *bond = "<interface type='bond' name='br0'>\n"
                           "  <start mode='onboot'/>\n"
                           "  <bond mode='balance-rr'>\n"
                           "    <interface type='ethernet' name='eth2'/>\n"
                           "  </bond>\n"
                           "</interface>\n";
        bt_define_ok(root, B, bond);
        _cleanup_free_ char *netdev = bt_read(root, DIR "10-kvmnet-br0.netdev");
        assert_string_equal(netdev, "[NetDev]\nName=br0\nKind=bond\n\n[Bond]\nMode=balance-rr\n");
        _cleanup_free_ char *slave = bt_read(root, DIR "10-kvmnet-eth2.network");
        assert_string_equal(slave, "[Match]\nName=eth2\n\n[Network]\nBond=br0\n");
        _cleanup_free_ char *xml = bt_dump(root, B, "br0");
        assert_string_equal(xml, bond);
        kn_error err = {0};
        assert_int_equal(bt_undefine(root, B, "br0", &err), 0);
        _cleanup_free_ char *empty = bt_snapshot(root);
        assert_string_equal(empty, "");
}

static void test_start_modes(void **state) {
        const char *root = *state;
        static const struct {
                const char *mode, *link;
        } cases[] = {
                {"onboot", NULL},
                {"hotplug", "[Link]\nRequiredForOnline=no\n"},
                {"none", "[Link]\nActivationPolicy=manual\n"},
        };
        for (size_t k = 0; k < ELEMENTSOF(cases); k++) {
                _cleanup_free_ char *xml = kn_xasprintf("<interface type='ethernet' name='eth0'>\n"
                                                        "  <start mode='%s'/>\n"
                                                        "</interface>\n",
                                                        cases[k].mode);
                bt_define_ok(root, B, xml);
                _cleanup_free_ char *f = bt_read(root, DIR "10-kvmnet-eth0.network");
                if (cases[k].link)
                        bt_assert_contains(f, cases[k].link);
                else
                        assert_null(strstr(f, "[Link]"));
                _cleanup_free_ char *back = bt_dump(root, B, "eth0");
                assert_string_equal(back, xml);
        }
        /* Settings of the same meaning stay as written. */
        bt_write(root, DIR "10-kvmnet-eth0.network",
                 "[Match]\nName=eth0\n[Link]\nActivationPolicy=always-up\n"
                 "RequiredForOnline=degraded\n");
        bt_define_ok(root, B,
                     "<interface type='ethernet' name='eth0'><start mode='onboot'/>"
                     "</interface>");
        _cleanup_free_ char *kept = bt_read(root, DIR "10-kvmnet-eth0.network");
        assert_string_equal(kept, "[Match]\nName=eth0\n[Link]\nActivationPolicy=always-up\n"
                                  "RequiredForOnline=degraded\n");
}

static void test_refused_before_writing(void **state) {
        const char *root = *state;
        kn_error err = {0};
        assert_int_equal(bt_define(root, B,
                                   "<interface type='bond' name='bond0'><start mode='onboot'/>"
                                   "<bond mode='active-backup'><miimon freq='100' "
                                   "carrier='ioctl'/><interface type='ethernet' name='eth1'/>"
                                   "</bond></interface>",
                                   &err),
                         -EOPNOTSUPP);
        bt_assert_contains(err.message, "carrier='ioctl'");
        _cleanup_free_ char *empty = bt_snapshot(root);
        assert_string_equal(empty, "");
}

static void test_read_only_root(void **state) {
        const char *root = *state;
        if (!bt_can_unshare())
                skip();
        bt_define_ok(root, B, vlan42);
        bt_define_ok(root, B, eth0_static);
        _cleanup_free_ char *before = bt_snapshot(root);
        int r = bt_define_readonly(root, B,
                                   "<interface type='bridge' name='br0'><start mode='onboot'/>"
                                   "<bridge><interface type='ethernet' name='eth0'/>"
                                   "<interface type='vlan' name='eth0.42'><vlan tag='42'>"
                                   "<interface name='eth0'/></vlan></interface>"
                                   "</bridge></interface>");
        assert_int_equal(r, 0);
        _cleanup_free_ char *after = bt_snapshot(root);
        assert_string_equal(before, after);
}

/* The shared file set: a failure half way puts back what was done. */
static void test_fileset_undoes(void **state) {
        const char *root = *state;
        bt_write_mode(root, "a/x", "old\n", 0640);
        bt_write(root, "a/gone", "still here\n");
        bt_write(root, "blocker", "a file where a directory should be\n");
        _cleanup_free_ char *before = bt_snapshot(root);
        kn_root *r = NULL;
        kn_error err = {0};
        assert_int_equal(kn_root_open(root, &r, &err), 0);
        kn_fileset set = {0};
        kn_fileset_write(&set, "a/x", kn_xstrdup("new\n"), 4, 0600);
        kn_fileset_write(&set, "a/n", kn_xstrdup("fresh\n"), 6, 0);
        kn_fileset_remove(&set, "a/gone");
        kn_fileset_write(&set, "blocker/y", kn_xstrdup("z\n"), 2, 0);
        assert_int_equal(kn_fileset_apply(&set, r, NULL, &err), -ENOTDIR);
        bt_assert_contains(err.message, "blocker/y");
        kn_fileset_done(&set);
        kn_root_free(r);
        _cleanup_free_ char *after = bt_snapshot(root);
        assert_string_equal(before, after);
}

int main(int argc, char **argv) {
        bt_ro_child(argc, argv);
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_unknown_keys_and_comments_kept, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_per_file_errors, setup, teardown),
                cmocka_unit_test_setup_teardown(test_files_networkd_prefers, setup, teardown),
                cmocka_unit_test_setup_teardown(test_etc_hides_run, setup, teardown),
                cmocka_unit_test_setup_teardown(test_vlan_parent_files, setup, teardown),
                cmocka_unit_test_setup_teardown(test_redefine_moves_ports, setup, teardown),
                cmocka_unit_test_setup_teardown(test_start_modes, setup, teardown),
                cmocka_unit_test_setup_teardown(test_refused_before_writing, setup, teardown),
                cmocka_unit_test_setup_teardown(test_read_only_root, setup, teardown),
                cmocka_unit_test_setup_teardown(test_fileset_undoes, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
