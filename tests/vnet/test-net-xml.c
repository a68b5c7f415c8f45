/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The <network> model: parse, print, virt-xml-validate, round trips,
 * refusals (each naming the file, line and thing), net-update. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kvmnet/vnet.h"
#include "testutil.h"

static void assert_valid_network(const char *xml) {
        char *dir = test_tmpdir();
        char *path = kn_xasprintf("%s/net.xml", dir);
        test_write_file(path, xml);
        int r = test_run("virt-xml-validate '%s' network >/dev/null 2>&1", path);
        if (r != 0) {
                fprintf(stderr, "virt-xml-validate rejected:\n%s", xml);
                test_run("virt-xml-validate '%s' network", path);
        }
        test_rmtree(dir);
        free(path);
        free(dir);
        assert_int_equal(r, 0);
}

static kn_net *parse_ok(const char *xml) {
        kn_error err = {0};
        kn_net *n = NULL;
        int r = kn_net_parse_xml(xml, strlen(xml), "t.xml", &n, &err);
        if (r < 0)
                fail_msg("rejected: %s\n%s", err.message, xml);
        return n;
}

/* libvirt's own default network, as Debian ships it. */
static const char libvirt_default[] = "<network>\n"
                                      "  <name>default</name>\n"
                                      "  <bridge name='virbr0'/>\n"
                                      "  <forward/>\n"
                                      "  <ip address='192.168.122.1' netmask='255.255.255.0'>\n"
                                      "    <dhcp>\n"
                                      "      <range start='192.168.122.2' end='192.168.122.254'/>\n"
                                      "    </dhcp>\n"
                                      "  </ip>\n"
                                      "</network>\n";

static void test_libvirt_default(void **state) {
        _cleanup_net_ kn_net *n = parse_ok(libvirt_default);
        assert_string_equal(n->name, "default");
        assert_int_equal(n->forward, KN_NET_NAT);
        assert_string_equal(n->bridge, "virbr0");
        assert_int_equal(n->n_ips, 1);
        assert_int_equal(n->ips[0].prefix, 24);
        assert_true(n->ips[0].netmask);
        assert_int_equal(n->ips[0].n_ranges, 1);
        /* a UUID was generated: version 4 */
        assert_int_equal(n->uuid[6] >> 4, 4);
        _cleanup_free_ char *out = kn_net_format_xml(n);
        assert_non_null(strstr(out, "<forward mode='nat'/>"));
        assert_non_null(strstr(out, "netmask='255.255.255.0'"));
        assert_valid_network(out);
}

static const char full[] = "<network>\n"
                           "  <name>lab</name>\n"
                           "  <uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>\n"
                           "  <forward mode='nat' dev='eth0'>\n"
                           "    <nat>\n"
                           "      <port start='1024' end='65535'/>\n"
                           "    </nat>\n"
                           "  </forward>\n"
                           "  <bridge name='kvbr7' stp='on' delay='2'/>\n"
                           "  <mtu size='9000'/>\n"
                           "  <mac address='52:54:00:0a:0b:0c'/>\n"
                           "  <domain name='lab.example'/>\n"
                           "  <dns>\n"
                           "    <host ip='10.7.0.10'>\n"
                           "      <hostname>db</hostname>\n"
                           "      <hostname>db.lab.example</hostname>\n"
                           "    </host>\n"
                           "  </dns>\n"
                           "  <ip address='10.7.0.1' prefix='24'>\n"
                           "    <dhcp>\n"
                           "      <range start='10.7.0.100' end='10.7.0.200'/>\n"
                           "      <host mac='52:54:00:00:00:01' name='vm1' ip='10.7.0.11'/>\n"
                           "    </dhcp>\n"
                           "  </ip>\n"
                           "  <ip family='ipv6' address='fd00:7::1' prefix='64'>\n"
                           "    <dhcp>\n"
                           "      <range start='fd00:7::100' end='fd00:7::1ff'/>\n"
                           "    </dhcp>\n"
                           "  </ip>\n"
                           "</network>\n";

/* kvmnet's own output is a fixed point, and valid. */
static void test_canonical_round_trip(void **state) {
        _cleanup_net_ kn_net *n = parse_ok(full);
        _cleanup_free_ char *out = kn_net_format_xml(n);
        assert_string_equal(out, full);
        assert_valid_network(out);
        _cleanup_net_ kn_net *c = kn_net_copy(n);
        _cleanup_free_ char *out2 = kn_net_format_xml(c);
        assert_string_equal(out2, full);
}

/* What users bring: other quoting and order, upper case, comments,
 * non-canonical addresses; printed canonical and parsed back the same. */
static void test_user_input(void **state) {
        const char *in = "<?xml version='1.0'?>\n<!-- by hand -->\n"
                         "<network><ip prefix=\"64\" address=\"FD00:0:0::1\" family=\"ipv6\"/>"
                         "<forward mode=\"route\"/><name>r1</name>"
                         "<uuid>C7A5FDBDEDAF9455926AD65C16DB1809</uuid></network>";
        _cleanup_net_ kn_net *n = parse_ok(in);
        _cleanup_free_ char *out = kn_net_format_xml(n);
        assert_string_equal(out, "<network>\n  <name>r1</name>\n"
                                 "  <uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>\n"
                                 "  <forward mode='route'/>\n"
                                 "  <ip family='ipv6' address='fd00::1' prefix='64'/>\n"
                                 "</network>\n");
        assert_valid_network(out);
        _cleanup_net_ kn_net *again = parse_ok(out);
        _cleanup_free_ char *out2 = kn_net_format_xml(again);
        assert_string_equal(out, out2);
}

static void test_isolated(void **state) {
        _cleanup_net_ kn_net *n = parse_ok("<network><name>iso</name>"
                                           "<ip address='10.9.0.1' prefix='24'/></network>");
        assert_int_equal(n->forward, KN_NET_ISOLATED);
        _cleanup_free_ char *out = kn_net_format_xml(n);
        assert_null(strstr(out, "<forward"));
        assert_valid_network(out);
}

static const struct {
        const char *xml;
        const char *expect[3];
} bad[] = {
        {"<network><name>x</name>\n<ip address='10.0.0.1' prefix='24'",
         {"t.xml:2:", "malformed XML"}},
        {"<network><name>../../etc/x</name></network>",
         {"t.xml:1:", "'../../etc/x'", "starts with '.'"}},
        {"<network><name>n/../../etc/x</name></network>", {"<name>", "contains '/'"}},
        {"<network><name>a b</name></network>", {"contains a space"}},
        {"<network><name>.hidden</name></network>", {"network name '.hidden' starts with '.'"}},
        {"<network><name>x</name><bridge name='a23456789012345x'/></network>",
         {"<bridge>", "16 characters", "bridge name 'a23456789012345x'"}},
        {"<network><name>x</name><bridge name='b/x'/></network>", {"<bridge>", "contains '/'"}},
        {"<network><name>x</name>\n\n<bogus/></network>",
         {"t.xml:3:", "<bogus>", "valid there: name, uuid, forward"}},
        {"<network colour='red'><name>x</name></network>",
         {"unknown attribute 'colour'", "valid: none"}},
        {"<network><name>x</name><bridge name='b' stp='yes'/></network>",
         {"'stp'", "'on' or 'off'"}},
        {"<network><name>x</name><forward mode='bridge'/></network>",
         {"'bridge' is not supported", "valid: nat, route, open"}},
        {"<network><name>x</name><mtu size='70000'/></network>", {"<mtu>", "out of range"}},
        {"<network><name>x</name><mac address='01:00:5e:00:00:01'/></network>", {"multicast"}},
        {"<network><name>x</name><uuid>123</uuid></network>", {"<uuid>", "not a UUID"}},
        {"<network><name>x</name><name>y</name></network>", {"<name>", "given twice"}},
        {"<network><uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid></network>",
         {"<name> is missing"}},
        {"<network><name>x</name><ip address='10.0.0.1'/></network>",
         {"<ip>", "netmask= or prefix="}},
        {"<network><name>x</name><ip address='10.0.0.1' netmask='255.0.255.0'/></network>",
         {"not a netmask"}},
        {"<network><name>x</name><ip address='10.0.0.1' prefix='33'/></network>",
         {"33 is out of range"}},
        {"<network><name>x</name><ip address='fd00::1' family='ipv4' prefix='64'/></network>",
         {"not an IPv4 address"}},
        {"<network><name>x</name><ip address='10.0.0.1' prefix='24'><dhcp>"
         "<range start='10.0.1.2' end='10.0.1.9'/></dhcp></ip></network>",
         {"DHCP range 10.0.1.2-10.0.1.9", "outside the subnet 10.0.0.0/24"}},
        {"<network><name>x</name><ip address='10.0.0.1' prefix='24'><dhcp>"
         "<range start='10.0.0.9' end='10.0.0.2'/></dhcp></ip></network>",
         {"start is after the end"}},
        {"<network><name>x</name><ip address='10.0.0.1' prefix='24'><dhcp>"
         "<host mac='52:54:00:00:00:01' name='vm1' ip='10.1.0.5'/></dhcp></ip></network>",
         {"DHCP host vm1", "10.1.0.5 is outside the subnet 10.0.0.0/24"}},
        {"<network><name>x</name><ip address='10.0.0.1' prefix='24'><dhcp>"
         "<host ip='10.0.0.5'/></dhcp></ip></network>",
         {"<host>", "mac='...' or name='...'"}},
        {"<network><name>x</name><ip address='10.0.0.1' prefix='24'/>"
         "<ip address='10.0.0.2' prefix='16'/></network>",
         {"overlaps"}},
        {"<network><name>x</name><dns><host ip='10.0.0.3'/></dns></network>",
         {"at least one <hostname>"}},
        {"<network><name>x</name><dns><host "
         "ip='10.0.0.3'><hostname>a;b</hostname></host></dns></network>",
         {"<hostname>", "not a DNS name"}},
        /* Text after a <hostname>: the names collected so far are freed
         * (a leak under ASan, found by fuzz/fuzz-net-xml). */
        {"<network><name>x</name><dns><host ip='10.0.0.3'><hostname>a</hostname>"
         "(<hostname>b</hostname></host></dns></network>",
         {"<host>", "unexpected text '('"}},
        {"<network><name>x</name><forward mode='route'><nat/></forward></network>",
         {"<nat>", "mode='nat'"}},
        {"<network><name>x</name><forward><nat><port start='2000' "
         "end='1000'/></nat></forward></network>",
         {"<port>", "start 2000 is after end 1000"}},
        {"<!DOCTYPE x [<!ENTITY e 'n'>]><network><name>&e;</name></network>", {"DOCTYPE"}},
        {"<interface type='ethernet' name='eth0'/>", {"must be <network>"}},
};

static void test_bad_input(void **state) {
        for (size_t k = 0; k < ELEMENTSOF(bad); k++) {
                kn_error err = {0};
                kn_net *n = NULL;
                int r = kn_net_parse_xml(bad[k].xml, strlen(bad[k].xml), "t.xml", &n, &err);
                if (r >= 0)
                        fail_msg("bad[%zu] was accepted: %s", k, bad[k].xml);
                assert_null(n);
                assert_int_equal(r, -err.code);
                for (size_t e = 0; e < 3 && bad[k].expect[e]; e++)
                        if (!strstr(err.message, bad[k].expect[e]))
                                fail_msg("bad[%zu]: error '%s' lacks '%s'", k, err.message,
                                         bad[k].expect[e]);
        }
}

static void test_update(void **state) {
        _cleanup_net_ kn_net *n = parse_ok(full);
        kn_error err = {0};
        assert_int_equal(kn_net_update(n, true, KN_NET_SECTION_DHCP_HOST,
                                       "<host mac='52:54:00:00:00:02' name='vm2' ip='10.7.0.12'/>",
                                       &err),
                         0);
        assert_int_equal(n->ips[0].n_hosts, 2);
        /* the same MAC again */
        assert_int_equal(kn_net_update(n, true, KN_NET_SECTION_DHCP_HOST,
                                       "<host mac='52:54:00:00:00:02' ip='10.7.0.13'/>", &err),
                         -EEXIST);
        kn_error_clear(&err);
        /* outside every subnet */
        assert_int_equal(kn_net_update(n, true, KN_NET_SECTION_DHCP_HOST,
                                       "<host mac='52:54:00:00:00:03' ip='192.0.2.1'/>", &err),
                         -EINVAL);
        assert_non_null(strstr(err.message, "no <ip> subnet holds 192.0.2.1"));
        kn_error_clear(&err);
        assert_int_equal(kn_net_update(n, true, KN_NET_SECTION_DHCP_HOST,
                                       "<host mac='52:54:00:00:00:03' ip='10.7.0.14' x='1'/>",
                                       &err),
                         -EINVAL);
        assert_non_null(strstr(err.message, "unknown attribute 'x'"));
        kn_error_clear(&err);
        assert_int_equal(kn_net_update(n, false, KN_NET_SECTION_DHCP_HOST,
                                       "<host mac='52:54:00:00:00:01' ip='10.7.0.11'/>", &err),
                         0);
        assert_int_equal(n->ips[0].n_hosts, 1);
        assert_string_equal(n->ips[0].hosts[0].name, "vm2");
        assert_int_equal(kn_net_update(n, true, KN_NET_SECTION_DNS_HOST,
                                       "<host ip='10.7.0.12'><hostname>vm2</hostname></host>",
                                       &err),
                         0);
        assert_int_equal(n->n_dns_hosts, 2);
        assert_int_equal(kn_net_update(n, false, KN_NET_SECTION_DNS_HOST,
                                       "<host ip='10.7.0.10'><hostname>db</hostname></host>", &err),
                         0);
        assert_int_equal(n->n_dns_hosts, 1);
        assert_int_equal(kn_net_update(n, false, KN_NET_SECTION_DNS_HOST,
                                       "<host ip='10.7.0.99'><hostname>x</hostname></host>", &err),
                         -ENOENT);
        _cleanup_free_ char *out = kn_net_format_xml(n);
        assert_valid_network(out);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_libvirt_default), cmocka_unit_test(test_canonical_round_trip),
                cmocka_unit_test(test_user_input),      cmocka_unit_test(test_isolated),
                cmocka_unit_test(test_bad_input),       cmocka_unit_test(test_update),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
