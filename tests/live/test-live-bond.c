/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* A bond over two veths, started and destroyed, checked with ip -j -d.
 * Kernels without bonding (this project's CI host) skip: exit 77. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "live-test.h"

static void test_bond(void **state) {
        const char *ns = lt_ns("bond");
        lt_sh("ip -n %s link add name eth1 type veth peer name eth1p && "
              "ip -n %s link add name eth2 type veth peer name eth2p && "
              "ip -n %s link set eth1p up && ip -n %s link set eth2p up && "
              "ip -n %s link set eth1 up",
              ns, ns, ns, ns, ns);
        kn_netns *h = lt_open(ns);
        _cleanup_iface_ kn_iface *w = lt_parse(
                "<interface type='bond' name='bond0'>"
                "<protocol family='ipv4'><ip address='10.30.0.2' prefix='24'/></protocol>"
                "<bond mode='active-backup'><miimon freq='100' updelay='200' carrier='netif'/>"
                "<interface type='ethernet' name='eth1'/><interface type='ethernet' name='eth2'/>"
                "</bond></interface>");
        kn_error err = {0};
        int r = kn_live_apply(h, w, NULL, &err);
        if (r < 0)
                fprintf(stderr, "%s\n", err.message);
        assert_true(r > 0);
        json_object *l = lt_ip_link(ns, "bond0"), *li, *data;
        assert_true(json_object_object_get_ex(l, "linkinfo", &li));
        assert_string_equal(lt_str(li, "info_kind"), "bond");
        assert_true(json_object_object_get_ex(li, "info_data", &data));
        assert_string_equal(lt_str(data, "mode"), "active-backup");
        assert_int_equal(lt_int(data, "miimon"), 100);
        assert_int_equal(lt_int(data, "updelay"), 200);
        json_object_put(l);
        for (int k = 1; k <= 2; k++) {
                char name[8];
                snprintf(name, sizeof name, "eth%d", k);
                json_object *s = lt_ip_link(ns, name);
                assert_string_equal(lt_str(s, "master"), "bond0");
                json_object_put(s);
        }
        assert_true(lt_has_addr(ns, "bond0", "10.30.0.2", 24));

        kn_iface *live = NULL;
        assert_int_equal(kn_live_read(h, "bond0", &live, &err), 0);
        assert_int_equal(live->bond_mode, KN_BOND_ACTIVE_BACKUP);
        assert_int_equal(live->monitor, KN_MON_MIIMON);
        assert_int_equal(live->miimon_freq, 100);
        assert_int_equal(live->n_children, 2);
        char *report = NULL;
        assert_int_equal(kn_live_verify(w, live, &report), 0);
        kn_iface_free(live);

        /* The mode of a live bond cannot change. */
        w->bond_mode = KN_BOND_BALANCE_RR;
        assert_int_equal(kn_live_apply(h, w, NULL, &err), -EEXIST);
        assert_non_null(strstr(err.message, "bond mode is active-backup, asked balance-rr"));
        w->bond_mode = KN_BOND_ACTIVE_BACKUP;

        assert_int_equal(kn_live_stop(h, w, &err), 0);
        assert_false(lt_link_exists(ns, "bond0"));
        assert_false(lt_link_up(ns, "eth1"));
        kn_netns_free(h);
        lt_ns_kill_and_delete(ns);
}

int main(void) {
        lt_init();
        const char *probe = lt_ns("probe");
        int r = test_run("ip -n %s link add name b0 type bond 2>/dev/null", probe);
        lt_ns_kill_and_delete(probe);
        if (r != 0) {
                printf("skipped: kernel lacks 8021q/bonding (no bonding support)\n");
                return 77;
        }
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_bond),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
