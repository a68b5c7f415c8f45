/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kvmnet/iface.h"
#include "testutil.h"

/* Documents in kvmnet's canonical form: parse + format gives them back
 * byte for byte, and libvirt's schema accepts them. */
static const char *const canonical[] = {
        "<interface type='ethernet' name='eth0'>\n"
        "  <start mode='onboot'/>\n"
        "  <mac address='52:54:00:ab:cd:ef'/>\n"
        "  <mtu size='9000'/>\n"
        "  <protocol family='ipv4'>\n"
        "    <dhcp peerdns='no'/>\n"
        "  </protocol>\n"
        "</interface>\n",

        "<interface type='bridge' name='br0'>\n"
        "  <start mode='hotplug'/>\n"
        "  <protocol family='ipv4'>\n"
        "    <ip address='192.168.0.5' prefix='24'/>\n"
        "    <ip address='10.0.0.1'/>\n"
        "    <route gateway='192.168.0.1'/>\n"
        "  </protocol>\n"
        "  <protocol family='ipv6'>\n"
        "    <autoconf/>\n"
        "    <dhcp/>\n"
        "    <ip address='2001:db8::5' prefix='64'/>\n"
        "    <route gateway='2001:db8::1'/>\n"
        "  </protocol>\n"
        "  <bridge stp='off' delay='0.01'>\n"
        "    <interface type='ethernet' name='eth0'>\n"
        "      <mac address='52:54:00:00:00:01'/>\n"
        "    </interface>\n"
        "    <interface type='vlan' name='eth1.42'>\n"
        "      <vlan tag='42'>\n"
        "        <interface name='eth1'/>\n"
        "      </vlan>\n"
        "    </interface>\n"
        "    <interface type='bond' name='bond0'>\n"
        "      <bond mode='active-backup'>\n"
        "        <miimon freq='100' downdelay='200' updelay='10' carrier='netif'/>\n"
        "        <interface type='ethernet' name='eth2'/>\n"
        "        <interface type='ethernet' name='eth3'/>\n"
        "      </bond>\n"
        "    </interface>\n"
        "  </bridge>\n"
        "</interface>\n",

        "<interface type='bond' name='bond1'>\n"
        "  <start mode='none'/>\n"
        "  <protocol family='ipv4'/>\n"
        "  <bond mode='802.3ad'>\n"
        "    <arpmon interval='250' target='192.168.50.1' validate='all'/>\n"
        "    <interface type='ethernet' name='eth4'/>\n"
        "  </bond>\n"
        "</interface>\n",

        "<interface type='vlan' name='eth0.4095'>\n"
        "  <vlan tag='4095'>\n"
        "    <interface name='eth0'/>\n"
        "  </vlan>\n"
        "</interface>\n",

        "<interface type='bridge' name='br1'>\n"
        "  <bridge/>\n"
        "</interface>\n",
};

static void test_canonical_round_trip(void **state) {
        for (size_t k = 0; k < ELEMENTSOF(canonical); k++) {
                kn_error err = {0};
                _cleanup_iface_ kn_iface *i = NULL, *again = NULL;
                if (kn_iface_parse_xml(canonical[k], strlen(canonical[k]), "doc", &i, &err) < 0)
                        fail_msg("doc %zu: %s", k, err.message);
                _cleanup_free_ char *out = kn_iface_format_xml(i, KN_XML_INACTIVE);
                assert_string_equal(out, canonical[k]);
                assert_int_equal(kn_iface_parse_xml(out, strlen(out), "out", &again, &err), 0);
                assert_true(kn_iface_equal(i, again));
                assert_int_equal(kn_iface_validate(i, &err), 0);
                test_assert_virt_xml_valid(out);
        }
}

/* What users bring: other quoting, order, case, whitespace, comments. */
static void test_user_input_normalised(void **state) {
        const char *in = "<?xml version=\"1.0\"?>\n<!-- made by hand -->\n"
                         "<interface name=\"eth9\" type=\"ethernet\">"
                         "<protocol family=\"ipv6\"><ip prefix=\"64\" "
                         "address=\"2001:DB8:0::0:1\"/></protocol>"
                         "<mac address=\"52:54:00:AB:CD:EF\"/><start mode=\"onboot\"/></interface>";
        const char *want = "<interface type='ethernet' name='eth9'>\n"
                           "  <start mode='onboot'/>\n"
                           "  <mac address='52:54:00:ab:cd:ef'/>\n"
                           "  <protocol family='ipv6'>\n"
                           "    <ip address='2001:db8::1' prefix='64'/>\n"
                           "  </protocol>\n"
                           "</interface>\n";
        kn_error err = {0};
        _cleanup_iface_ kn_iface *i = NULL;
        assert_int_equal(kn_iface_parse_xml(in, strlen(in), "in", &i, &err), 0);
        _cleanup_free_ char *out = kn_iface_format_xml(i, KN_XML_INACTIVE);
        assert_string_equal(out, want);
}

static void test_live_link_only_in_live_xml(void **state) {
        const char *in = "<interface type='ethernet' name='eth0'><link speed='1000' state='up'/>"
                         "</interface>";
        kn_error err = {0};
        _cleanup_iface_ kn_iface *i = NULL;
        assert_int_equal(kn_iface_parse_xml(in, strlen(in), "in", &i, &err), 0);
        _cleanup_free_ char *live = kn_iface_format_xml(i, KN_XML_LIVE);
        _cleanup_free_ char *inactive = kn_iface_format_xml(i, KN_XML_INACTIVE);
        assert_non_null(strstr(live, "<link speed='1000' state='up'/>"));
        assert_null(strstr(inactive, "<link"));
        test_assert_virt_xml_valid(live);
}

/* Each bad document: one error, naming the source, line and the thing. */
static const struct {
        const char *xml;
        const char *expect[3];
} bad[] = {
        {"<interface type='ethernet' name='eth0'>\n<mac address='x'/",
         {"t.xml:2:", "malformed XML"}},
        {"<interface type='wifi' name='w0'/>",
         {"t.xml:1:", "unknown type 'wifi'", "valid: ethernet"}},
        {"<interface type='vlan' name='eth0.4096'>\n  <vlan tag='4096'><interface "
         "name='eth0'/></vlan>\n</interface>",
         {"t.xml:2:", "<vlan>", "4096 is out of range (valid: 0-4095)"}},
        {"<interface type='ethernet' name='../../x'/>",
         {"t.xml:1:", "'../../x'", "starts with '.'"}},
        {"<interface type='ethernet' name='a23456789012345x'/>",
         {"a23456789012345x", "16 characters", "valid: 1-15"}},
        {"<interface type='ethernet' name='eth0'>\n\n<bogus/></interface>",
         {"t.xml:3:", "<bogus>"}},
        {"<interface type='ethernet' name='eth0' colour='red'/>",
         {"unknown attribute 'colour'", "valid: type, name"}},
        {"<interface type='vlan' name='v'><vlan tag='5'/></interface>", {"<vlan>", "parent"}},
        {"<interface type='bond' name='bond0'><bond mode='active-backup'/></interface>",
         {"<bond>", "at least one slave"}},
        {"<interface type='bond' name='bond0'><bond mode='fastest'><interface type='ethernet' "
         "name='e'/></bond></interface>",
         {"attribute 'mode'", "'fastest'"}},
        {"<interface type='bridge' name='br0'><bridge><interface type='ethernet' name='eth0'><mtu "
         "size='1500'/></interface></bridge></interface>",
         {"<mtu>", "bridge port"}},
        {"<interface type='ethernet' name='eth0'><protocol family='ipv4'/><protocol "
         "family='ipv4'/></interface>",
         {"second <protocol family='ipv4'>"}},
        {"<interface type='ethernet' name='eth0'><protocol family='ipv4'><ip "
         "address='2001:db8::1'/></protocol></interface>",
         {"<ip>", "not an IPv4 address"}},
        {"<interface type='ethernet' name='eth0'><protocol family='ipv4'><ip address='10.0.0.1' "
         "prefix='33'/></protocol></interface>",
         {"<ip>", "33 is out of range"}},
        {"<interface type='bridge' name='br0'><bridge delay='-1'/></interface>",
         {"'delay'", "'-1'"}},
        {"<interface type='bridge' name='br0'/>", {"needs a <bridge> element"}},
        {"<interface type='bridge' name='br0'><link state='up'/><bridge/></interface>",
         {"<link>", "not expected in a bridge interface"}},
        {"<!DOCTYPE x [<!ENTITY e 'eth0'>]><interface type='ethernet' name='&e;'/>", {"DOCTYPE"}},
        {"<network><name>default</name></network>", {"must be <interface>"}},
        {"<interface type='ethernet'/>", {"attribute 'name' is missing"}},
        {"<interface type='ethernet' name='eth0'><mac address='52:54:00:ab:cd'/></interface>",
         {"not a MAC address"}},
};

static void test_bad_input(void **state) {
        for (size_t k = 0; k < ELEMENTSOF(bad); k++) {
                kn_error err = {0};
                kn_iface *i = NULL;
                int r = kn_iface_parse_xml(bad[k].xml, strlen(bad[k].xml), "t.xml", &i, &err);
                if (r >= 0)
                        fail_msg("bad[%zu] was accepted: %s", k, bad[k].xml);
                assert_null(i);
                assert_int_equal(r, -err.code);
                for (size_t e = 0; e < 3 && bad[k].expect[e]; e++)
                        if (!strstr(err.message, bad[k].expect[e]))
                                fail_msg("bad[%zu]: error '%s' lacks '%s'", k, err.message,
                                         bad[k].expect[e]);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_canonical_round_trip),
                cmocka_unit_test(test_user_input_normalised),
                cmocka_unit_test(test_live_link_only_in_live_xml),
                cmocka_unit_test(test_bad_input),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
