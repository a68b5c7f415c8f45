/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* After a define, the config layer answers from its own index instead of
 * reading every file again.  For each backend and for definitions a regime
 * cannot store exactly (peerdns, an empty protocol, a nameless vlan port,
 * hotplug, ...), what it answers must be what a fresh load of the files
 * says. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kvmnet/config.h"
#include "testutil.h"

static const char *const awkward[] = {
        ("<interface type='bond' name='bond0'><start mode='hotplug'/>"
         "<protocol family='ipv4'><dhcp peerdns='yes'/></protocol><protocol family='ipv6'/>"
         "<bond mode='active-backup'><miimon freq='100' carrier='netif'/>"
         "<interface type='ethernet' name='eth1'/><interface type='ethernet' name='eth2'/>"
         "</bond></interface>"),

        ("<interface type='bridge' name='br0'><start mode='onboot'/>"
         "<protocol family='ipv4'><dhcp peerdns='no'/></protocol>"
         "<bridge stp='off' delay='0'><interface type='vlan'><vlan tag='42'>"
         "<interface name='eth0'/></vlan></interface></bridge></interface>"),

        ("<interface type='ethernet' name='eth3'><start mode='none'/><mtu size='1400'/>"
         "<protocol family='ipv4'/><protocol family='ipv6'><autoconf/><dhcp/></protocol>"
         "</interface>"),

        ("<interface type='vlan' name='eth4.7'><protocol family='ipv6'><autoconf/></protocol>"
         "<vlan tag='7'><interface name='eth4'/></vlan></interface>"),

        /* a bridge with a MAC (BRIDGE_MAC below): in the model, not in XML */
        ("<interface type='bridge' name='br5'><start mode='onboot'/>"
         "<protocol family='ipv4'><dhcp/></protocol><bridge stp='on' delay='2'>"
         "<interface type='ethernet' name='eth5'/></bridge></interface>"),
};
#define BRIDGE_MAC_CASE 4
#define BRIDGE_MAC      "52:54:00:ab:cd:05"

static void check_backend(void **state) {
        const char *backend = *state;
        for (size_t k = 0; k < ELEMENTSOF(awkward); k++) {
                _cleanup_free_ char *root = test_tmpdir();
                kn_error err = {0};
                kn_config *c = NULL, *fresh = NULL;
                _cleanup_iface_ kn_iface *want = NULL;
                assert_int_equal(
                        kn_iface_parse_xml(awkward[k], strlen(awkward[k]), "case", &want, &err), 0);
                if (k == BRIDGE_MAC_CASE)
                        strcpy(want->mac, BRIDGE_MAC);
                assert_int_equal(kn_config_open(root, backend, &c, &err), 0);
                /* Warm the index first, so the define updates it in place. */
                const kn_iface *const *items;
                kn_config_list(c, &items);
                if (kn_config_define(c, want, &err) < 0) {
                        /* Refusing what it cannot store is fine too. */
                        printf("%s: case %zu refused: %s\n", backend, k, err.message);
                        kn_config_free(c);
                        test_rmtree(root);
                        continue;
                }
                assert_int_equal(kn_config_open(root, backend, &fresh, &err), 0);
                const kn_iface *cached = kn_config_lookup(c, want->name, NULL);
                const kn_iface *stored = kn_config_lookup(fresh, want->name, NULL);
                assert_non_null(cached);
                assert_non_null(stored);
                if (!kn_iface_equal(cached, stored)) {
                        _cleanup_free_ char *a = kn_iface_format_xml(cached, 0);
                        _cleanup_free_ char *b = kn_iface_format_xml(stored, 0);
                        fail_msg("%s case %zu: after define the index says\n%s"
                                 "but the files say\n%s",
                                 backend, k, a, b);
                }
                if (k == BRIDGE_MAC_CASE) {
                        assert_string_equal(cached->mac, BRIDGE_MAC);
                        assert_string_equal(stored->mac, BRIDGE_MAC);
                }
                size_t n1 = kn_config_list(c, &items), n2 = kn_config_list(fresh, &items);
                assert_int_equal(n1, n2);
                kn_config_free(c);
                kn_config_free(fresh);
                test_rmtree(root);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_prestate(check_backend, (void *) "ifupdown"),
                cmocka_unit_test_prestate(check_backend, (void *) "ifcfg"),
                cmocka_unit_test_prestate(check_backend, (void *) "networkd"),
                cmocka_unit_test_prestate(check_backend, (void *) "nmkeyfile"),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
