/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The NetworkManager keyfile backend beyond the golden cases: file modes,
 * what NetworkManager or an admin wrote stays, broken profiles are
 * reported one by one, runtime profiles are respected, UUIDs are stable,
 * the lossy corners say what they do, a read-only root is left alone.
 * With an nmcli that has --offline (NetworkManager >= 1.42; set
 * KVMNET_NMCLI to use one that is not in PATH), every profile of the golden
 * cases goes through NetworkManager's own validation. */

#include "../networkd/backend-test.h"

#define DIR "etc/NetworkManager/system-connections/"
#define B   "nmkeyfile"

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
                                 "  <protocol family='ipv4'>\n"
                                 "    <ip address='192.0.2.10' prefix='24'/>\n"
                                 "    <route gateway='192.0.2.1'/>\n"
                                 "  </protocol>\n"
                                 "</interface>\n";

/* As nmcli writes them. */
static const char *wired = "[connection]\n"
                           "id=Wired connection 1\n"
                           "uuid=0d3b2c39-5a1e-4b6f-9d43-0a8a4e1c2f11\n"
                           "type=ethernet\n"
                           "interface-name=eth0\n"
                           "timestamp=1700000000\n"
                           "\n"
                           "[ethernet]\n"
                           "\n"
                           "[ipv4]\n"
                           "method=auto\n"
                           "dns-search=example.net;\n"
                           "\n"
                           "[ipv6]\n"
                           "addr-gen-mode=default\n"
                           "method=ignore\n"
                           "\n"
                           "[proxy]\n";

static void test_mode_0600(void **state) {
        const char *root = *state;
        mode_t old = umask(0);
        bt_define_ok(root, B, eth0_static);
        assert_int_equal(bt_mode(root, DIR "eth0.nmconnection"), 0600);
        /* NetworkManager ignores a profile others can read: an existing one
         * that is too open is closed when kvmnet writes it. */
        bt_write_mode(root, DIR "Wired connection 2.nmconnection",
                      "[connection]\nid=Wired connection 2\ntype=ethernet\n"
                      "interface-name=eth1\n",
                      0644);
        bt_define_ok(root, B,
                     "<interface type='ethernet' name='eth1'><start mode='none'/>"
                     "</interface>");
        assert_int_equal(bt_mode(root, DIR "Wired connection 2.nmconnection"), 0600);
        umask(old);
}

static void test_unknown_keys_kept(void **state) {
        const char *root = *state;
        bt_write_mode(root, DIR "Wired connection 1.nmconnection", wired, 0600);
        bt_define_ok(root, B, eth0_static);
        _cleanup_free_ char *got = bt_read(root, DIR "Wired connection 1.nmconnection");
        assert_string_equal(got, "[connection]\n"
                                 "id=Wired connection 1\n"
                                 "uuid=0d3b2c39-5a1e-4b6f-9d43-0a8a4e1c2f11\n"
                                 "type=ethernet\n"
                                 "interface-name=eth0\n"
                                 "timestamp=1700000000\n"
                                 "\n"
                                 "[ethernet]\n"
                                 "\n"
                                 "[ipv4]\n"
                                 "method=manual\n"
                                 "dns-search=example.net;\n"
                                 "address1=192.0.2.10/24\n"
                                 "gateway=192.0.2.1\n"
                                 "\n"
                                 "[ipv6]\n"
                                 "addr-gen-mode=default\n"
                                 "method=ignore\n"
                                 "\n"
                                 "[proxy]\n");
        assert_false(bt_exists(root, DIR "eth0.nmconnection"));
        _cleanup_free_ char *xml = bt_dump(root, B, "eth0");
        assert_string_equal(xml, eth0_static);
        _cleanup_free_ char *before = bt_snapshot(root);
        bt_define_ok(root, B, xml);
        _cleanup_free_ char *after = bt_snapshot(root);
        assert_string_equal(before, after);
}

static void test_per_file_errors(void **state) {
        const char *root = *state;
        bt_write_mode(root, DIR "good.nmconnection",
                      "[connection]\nid=good\ntype=ethernet\ninterface-name=eth1\n", 0600);
        bt_write_mode(root, DIR "bad.nmconnection",
                      "[connection]\nid=bad\ntype=ethernet\ninterface-name=eth2\n[ipv4\n", 0600);
        bt_write_mode(root, DIR "value.nmconnection",
                      "[connection]\nid=value\ntype=ethernet\ninterface-name=eth3\n\n"
                      "[ipv4]\nmethod=sometimes\n",
                      0600);
        bt_write_mode(root, DIR "nameless.nmconnection", "[connection]\nid\n", 0600);
        _cleanup_free_ char *diags = bt_diags(root, B);
        _cleanup_free_ char *bad = kn_xasprintf("%s/" DIR "bad.nmconnection:5: [eth2] ", root);
        _cleanup_free_ char *value = kn_xasprintf(
                "%s/" DIR "value.nmconnection:7: [eth3] method=sometimes is not valid", root);
        _cleanup_free_ char *nameless = kn_xasprintf(
                "%s/" DIR "nameless.nmconnection:2: [-] expected [Section] or Key=value", root);
        bt_assert_contains(diags, bad);
        bt_assert_contains(diags, value);
        bt_assert_contains(diags, nameless);
        assert_int_equal(bt_count(root, B), 1);
        kn_error err = {0};
        assert_int_equal(bt_undefine(root, B, "eth2", &err), 0);
        assert_false(bt_exists(root, DIR "bad.nmconnection"));
}

static void test_runtime_profiles_refused(void **state) {
        const char *root = *state;
        kn_error err = {0};
        bt_write_mode(root, "run/NetworkManager/system-connections/netplan-eth4.nmconnection",
                      "[connection]\nid=netplan-eth4\ntype=ethernet\ninterface-name=eth4\n", 0600);
        assert_int_equal(bt_define(root, B,
                                   "<interface type='ethernet' name='eth4'>"
                                   "<start mode='onboot'/></interface>",
                                   &err),
                         -EBUSY);
        bt_assert_contains(err.message, "netplan-eth4.nmconnection, a runtime profile that "
                                        "netplan generates");
        assert_false(bt_exists(root, DIR "eth4.nmconnection"));
}

static void test_uuid(void **state) {
        const char *root = *state;
        kn_error err = {0};
        bt_define_ok(root, B, eth0_static);
        _cleanup_free_ char *first = bt_read(root, DIR "eth0.nmconnection");
        /* Version 5 in kvmnet's namespace: python3 -c 'import uuid;
         * print(uuid.uuid5(uuid.UUID("4fcf6fbd-cefa-48bb-8821-32df22c958cb"), "eth0"))' */
        char want[37], line[64];
        FILE *p = popen("python3 -c 'import uuid; print(uuid.uuid5(uuid.UUID("
                        "\"4fcf6fbd-cefa-48bb-8821-32df22c958cb\"), \"eth0\"))' 2>/dev/null",
                        "r");
        if (p && fgets(want, sizeof want, p) && strlen(want) == 36) {
                snprintf(line, sizeof line, "uuid=%s\n", want);
                bt_assert_contains(first, line);
        }
        if (p)
                pclose(p);
        assert_int_equal(bt_undefine(root, B, "eth0", &err), 0);
        bt_define_ok(root, B, eth0_static);
        _cleanup_free_ char *second = bt_read(root, DIR "eth0.nmconnection");
        assert_string_equal(first, second);
}

static void test_lossy_and_refused(void **state) {
        const char *root = *state;
        kn_error err = {0};
        /* hotplug: NetworkManager activates a profile when its device
         * appears anyway; reads back as onboot. */
        bt_define_ok(root, B,
                     "<interface type='ethernet' name='eth0'><start mode='hotplug'/>"
                     "<protocol family='ipv6'><autoconf/><dhcp/></protocol>"
                     "</interface>");
        _cleanup_free_ char *xml = bt_dump(root, B, "eth0");
        assert_string_equal(xml, "<interface type='ethernet' name='eth0'>\n"
                                 "  <start mode='onboot'/>\n"
                                 "  <protocol family='ipv6'>\n"
                                 "    <autoconf/>\n"
                                 "  </protocol>\n"
                                 "</interface>\n");
        _cleanup_free_ char *f = bt_read(root, DIR "eth0.nmconnection");
        bt_assert_contains(f, "[ipv4]\nmethod=disabled\n\n[ipv6]\nmethod=auto\n");
        /* Forward delays NetworkManager cannot store. */
        assert_int_equal(bt_define(root, B,
                                   "<interface type='bridge' name='br0'><start mode='onboot'/>"
                                   "<bridge stp='off' delay='0.5'/></interface>",
                                   &err),
                         -EINVAL);
        bt_assert_contains(err.message, "whole seconds");
        assert_int_equal(bt_define(root, B,
                                   "<interface type='bridge' name='br0'><start mode='onboot'/>"
                                   "<bridge stp='on' delay='0'/></interface>",
                                   &err),
                         -EINVAL);
        assert_false(bt_exists(root, DIR "br0.nmconnection"));
}

static void test_references_kept(void **state) {
        const char *root = *state;
        bt_write_mode(root, DIR "bridge-br0.nmconnection",
                      "[connection]\nid=bridge-br0\nuuid=aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee\n"
                      "type=bridge\ninterface-name=br0\n\n[bridge]\nstp=false\n\n"
                      "[ipv4]\nmethod=auto\n\n[ipv6]\nmethod=ignore\n",
                      0600);
        bt_write_mode(root, DIR "bridge-slave-eth1.nmconnection",
                      "[connection]\nid=bridge-slave-eth1\ntype=ethernet\ninterface-name=eth1\n"
                      "master=aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee\nslave-type=bridge\n\n"
                      "[bridge-port]\npriority=16\n",
                      0600);
        _cleanup_free_ char *xml = bt_dump(root, B, "br0");
        assert_string_equal(xml, "<interface type='bridge' name='br0'>\n"
                                 "  <start mode='onboot'/>\n"
                                 "  <protocol family='ipv4'>\n"
                                 "    <dhcp/>\n"
                                 "  </protocol>\n"
                                 "  <bridge stp='off'>\n"
                                 "    <interface type='ethernet' name='eth1'/>\n"
                                 "  </bridge>\n"
                                 "</interface>\n");
        _cleanup_free_ char *before = bt_snapshot(root);
        bt_define_ok(root, B, xml);
        _cleanup_free_ char *after = bt_snapshot(root);
        assert_string_equal(before, after);
        /* eth1 leaves the bridge: its profile goes; a bond slave profile gets
         * no [bridge-port]. */
        bt_define_ok(root, B,
                     "<interface type='bridge' name='br0'><start mode='onboot'/>"
                     "<bridge stp='off'/></interface>");
        assert_false(bt_exists(root, DIR "bridge-slave-eth1.nmconnection"));
}

static void test_duplicate_profiles(void **state) {
        const char *root = *state;
        bt_write_mode(root, DIR "Wired connection 1.nmconnection", wired, 0600);
        bt_define_ok(root, B, eth0_static);
        bt_write_mode(root, DIR "eth0.nmconnection",
                      "[connection]\nid=eth0\ntype=ethernet\ninterface-name=eth0\n\n"
                      "[ipv4]\nmethod=disabled\n\n[ipv6]\nmethod=ignore\n",
                      0600);
        _cleanup_free_ char *diags = bt_diags(root, B);
        bt_assert_contains(diags, "Wired connection 1.nmconnection:0: [-] another profile for "
                                  "eth0; kvmnet uses ");
        _cleanup_free_ char *xml = bt_dump(root, B, "eth0");
        assert_string_equal(xml, "<interface type='ethernet' name='eth0'>\n"
                                 "  <start mode='onboot'/>\n"
                                 "</interface>\n");
}

static void test_read_only_root(void **state) {
        const char *root = *state;
        if (!bt_can_unshare())
                skip();
        bt_write_mode(root, DIR "Wired connection 1.nmconnection", wired, 0600);
        _cleanup_free_ char *before = bt_snapshot(root);
        int r = bt_define_readonly(root, B,
                                   "<interface type='bridge' name='br0'><start mode='onboot'/>"
                                   "<bridge><interface type='ethernet' name='eth0'/>"
                                   "</bridge></interface>");
        assert_int_equal(r, 0);
        _cleanup_free_ char *after = bt_snapshot(root);
        assert_string_equal(before, after);
}

/* NetworkManager's own verdict on every profile kvmnet wrote for the
 * golden cases. */
static void test_nmcli_accepts(void **state) {
        const char *nmcli = getenv("KVMNET_NMCLI");
        if (!nmcli)
                nmcli = "nmcli";
        if (test_run("%s --offline connection add type dummy ifname kn0 >/dev/null 2>&1", nmcli) !=
            0) {
                printf("nmcli with --offline not found (NetworkManager >= 1.42; set "
                       "KVMNET_NMCLI): skipped\n");
                skip();
        }
        const char *src = getenv("KVMNET_SOURCE_ROOT");
        _cleanup_free_ char *golden =
                kn_xasprintf("%s/tests/backends/nmkeyfile/golden", src ? src : ".");
        int r = test_run("cd '%s' && for f in */root/" DIR "*; do "
                         "out=$(%s --offline connection modify connection.zone '' <\"$f\" "
                         "2>&1 >/dev/null) || { echo \"$f: $out\"; exit 1; }; done",
                         golden, nmcli);
        assert_int_equal(r, 0);
}

int main(int argc, char **argv) {
        bt_ro_child(argc, argv);
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_mode_0600, setup, teardown),
                cmocka_unit_test_setup_teardown(test_unknown_keys_kept, setup, teardown),
                cmocka_unit_test_setup_teardown(test_per_file_errors, setup, teardown),
                cmocka_unit_test_setup_teardown(test_runtime_profiles_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_uuid, setup, teardown),
                cmocka_unit_test_setup_teardown(test_lossy_and_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_references_kept, setup, teardown),
                cmocka_unit_test_setup_teardown(test_duplicate_profiles, setup, teardown),
                cmocka_unit_test_setup_teardown(test_read_only_root, setup, teardown),
                cmocka_unit_test(test_nmcli_accepts),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
