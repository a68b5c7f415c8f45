/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* kn_live_verify on models: every difference is reported by field, and
 * only what the definition gives is compared.  No namespaces needed. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "live-test.h"

static const char bridge[] = "<interface type='bridge' name='br0'>"
                             "  <mtu size='9000'/>"
                             "  <protocol family='ipv4'>"
                             "    <ip address='10.0.0.1' prefix='24'/>"
                             "    <route gateway='10.0.0.254'/>"
                             "  </protocol>"
                             "  <protocol family='ipv6'>"
                             "    <ip address='fd00::1' prefix='64'/>"
                             "  </protocol>"
                             "  <bridge stp='off' delay='0'>"
                             "    <interface type='ethernet' name='eth0'/>"
                             "  </bridge>"
                             "</interface>";

static char *verify(const kn_iface *want, const kn_iface *live, int expect) {
        char *report = NULL;
        int n = kn_live_verify(want, live, &report);
        if (n != expect)
                fprintf(stderr, "expected %d differences, got %d:\n%s", expect, n,
                        report ? report : "");
        assert_int_equal(n, expect);
        return report;
}

static void test_equal(void **state) {
        _cleanup_iface_ kn_iface *want = lt_parse(bridge);
        _cleanup_iface_ kn_iface *live = kn_iface_copy(want);
        /* What only live state has is not a difference. */
        live->link_state = KN_LINK_UP;
        live->link_speed = 10000;
        snprintf(live->mac, sizeof live->mac, "52:54:00:00:00:01");
        assert_int_equal(kn_protocol_add_ip(&live->ipv6, AF_INET6, "fe80::1", 64, NULL), 0);
        assert_null(verify(want, live, 0));
}

static void test_fields(void **state) {
        _cleanup_iface_ kn_iface *want = lt_parse(bridge);
        _cleanup_iface_ kn_iface *live = kn_iface_copy(want);
        live->mtu = 1500;
        live->stp = KN_YES;
        live->delay = 2;
        live->ipv4.ips[0].prefix = 16;
        snprintf(live->ipv4.gateway, sizeof live->ipv4.gateway, "10.0.0.253");
        live->ipv6.n_ips = 0;
        assert_int_equal(kn_protocol_add_ip(&live->ipv6, AF_INET6, "fd00::9", 64, NULL), 0);
        _cleanup_free_ char *r = verify(want, live, 7);
        assert_non_null(strstr(r, "br0: mtu is 1500, asked 9000\n"));
        assert_non_null(strstr(r, "br0: stp is on, asked off\n"));
        assert_non_null(strstr(r, "br0: forward delay is 2, asked 0\n"));
        assert_non_null(strstr(r, "br0: ipv4 address 10.0.0.1 has prefix 16, asked 24\n"));
        assert_non_null(strstr(r, "br0: ipv4 default route is via 10.0.0.253, asked 10.0.0.254\n"));
        assert_non_null(strstr(r, "br0: ipv6 address fd00::1/64 is missing\n"));
        assert_non_null(strstr(r, "br0: ipv6 address fd00::9/64 was not asked for\n"));
}

static void test_ports(void **state) {
        _cleanup_iface_ kn_iface *want = lt_parse(bridge);
        _cleanup_iface_ kn_iface *live = kn_iface_copy(want);
        kn_iface_free(live->children[0]);
        live->children[0] = kn_iface_new(KN_IFACE_ETHERNET, "eth1");
        live->children[0]->mtu = 1500;
        _cleanup_free_ char *r = verify(want, live, 2);
        assert_non_null(strstr(r, "br0: port eth0 is missing\n"));
        assert_non_null(strstr(r, "br0: port eth1 was not asked for\n"));
}

static void test_port_fields(void **state) {
        _cleanup_iface_ kn_iface *want =
                lt_parse("<interface type='bridge' name='br0'><bridge>"
                         "<interface type='ethernet' name='eth0'><mac address='52:54:00:00:00:01'/>"
                         "</interface></bridge></interface>");
        _cleanup_iface_ kn_iface *live = kn_iface_copy(want);
        snprintf(live->children[0]->mac, sizeof live->children[0]->mac, "52:54:00:00:00:02");
        _cleanup_free_ char *r = verify(want, live, 1);
        assert_string_equal(r, "eth0: mac is 52:54:00:00:00:02, asked 52:54:00:00:00:01\n");
}

static void test_unasked_is_not_compared(void **state) {
        /* No <protocol>, no mtu: whatever the link has is fine. */
        _cleanup_iface_ kn_iface *want = lt_parse("<interface type='ethernet' name='eth0'/>");
        _cleanup_iface_ kn_iface *live = kn_iface_new(KN_IFACE_ETHERNET, "eth0");
        live->mtu = 1500;
        assert_int_equal(kn_protocol_add_ip(&live->ipv4, AF_INET, "10.1.1.1", 8, NULL), 0);
        live->ipv4.present = true;
        assert_null(verify(want, live, 0));
}

static void test_type_and_vlan(void **state) {
        _cleanup_iface_ kn_iface *want =
                lt_parse("<interface type='vlan' name='eth0.5'><vlan tag='5'>"
                         "<interface name='eth0'/></vlan></interface>");
        _cleanup_iface_ kn_iface *live = kn_iface_copy(want);
        live->vlan_tag = 6;
        snprintf(live->vlan_parent, sizeof live->vlan_parent, "eth1");
        _cleanup_free_ char *r = verify(want, live, 2);
        assert_non_null(strstr(r, "eth0.5: vlan tag is 6, asked 5\n"));
        assert_non_null(strstr(r, "eth0.5: vlan parent is 'eth1', asked 'eth0'\n"));
        live->type = KN_IFACE_ETHERNET;
        _cleanup_free_ char *r2 = verify(want, live, 1);
        assert_string_equal(r2, "eth0.5: type is ethernet, asked vlan\n");
}

static void test_bond(void **state) {
        _cleanup_iface_ kn_iface *want = lt_parse(
                "<interface type='bond' name='bond0'><bond mode='active-backup'>"
                "<miimon freq='100' updelay='200' carrier='netif'/>"
                "<interface type='ethernet' name='eth0'/><interface type='ethernet' name='eth1'/>"
                "</bond></interface>");
        _cleanup_iface_ kn_iface *live = kn_iface_copy(want);
        live->bond_mode = KN_BOND_BALANCE_RR;
        live->miimon_updelay = 100;
        _cleanup_free_ char *r = verify(want, live, 2);
        assert_non_null(strstr(r, "bond0: bond mode is balance-rr, asked active-backup\n"));
        assert_non_null(strstr(r, "bond0: miimon updelay is 100, asked 200\n"));
        kn_iface_free(live->children[1]);
        live->n_children = 1;
        _cleanup_free_ char *r2 = verify(want, live, 3);
        assert_non_null(strstr(r2, "bond0: slave eth1 is missing\n"));
}

static void test_dhcp(void **state) {
        _cleanup_iface_ kn_iface *want =
                lt_parse("<interface type='ethernet' name='eth0'><protocol family='ipv4'><dhcp/>"
                         "</protocol></interface>");
        _cleanup_iface_ kn_iface *live = kn_iface_new(KN_IFACE_ETHERNET, "eth0");
        _cleanup_free_ char *r = verify(want, live, 1);
        assert_string_equal(r, "eth0: ipv4 DHCP client is not running\n");
        live->ipv4.present = live->ipv4.dhcp = true;
        _cleanup_free_ char *r2 = verify(want, live, 1);
        assert_string_equal(r2, "eth0: ipv4 DHCP gave no address\n");
        /* With DHCP, the leased address is not "unasked". */
        assert_int_equal(kn_protocol_add_ip(&live->ipv4, AF_INET, "10.4.0.100", 24, NULL), 0);
        assert_null(verify(want, live, 0));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_equal),
                cmocka_unit_test(test_fields),
                cmocka_unit_test(test_ports),
                cmocka_unit_test(test_port_fields),
                cmocka_unit_test(test_unasked_is_not_compared),
                cmocka_unit_test(test_type_and_vlan),
                cmocka_unit_test(test_bond),
                cmocka_unit_test(test_dhcp),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
