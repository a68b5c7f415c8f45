/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The usual KVM host stackings, started and destroyed, checked with ip -j -d:
 *   - a bridge over an active-backup bond of two veths (bond as bridge port);
 *   - a bridge over a vlan whose parent is a bond defined on its own.
 * Kernels without bonding/8021q (this project's CI host) skip: exit 77;
 * suite live-vm runs it inside the test VM. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../live/live-test.h"

static const char *ns;
static kn_netns *h;

static int setup(void **state) {
        ns = lt_ns("brbond");
        lt_sh("ip -n %s link add name eth1 type veth peer name eth1p && "
              "ip -n %s link add name eth2 type veth peer name eth2p && "
              "ip -n %s link set eth1p up && ip -n %s link set eth2p up",
              ns, ns, ns, ns);
        h = lt_open(ns);
        return 0;
}

static int teardown(void **state) {
        kn_netns_free(h);
        lt_ns_kill_and_delete(ns);
        return 0;
}

static void assert_master(const char *ifname, const char *master) {
        json_object *o = lt_ip_link(ns, ifname);
        assert_non_null(o);
        const char *m = lt_str(o, "master");
        if (!streq_ptr(m, master))
                fprintf(stderr, "%s: master is %s, expected %s\n", ifname, m ? m : "(none)",
                        master ? master : "(none)");
        assert_true(streq_ptr(m, master));
        json_object_put(o);
}

static const char *link_kind(const char *ifname) {
        static char kind[32];
        json_object *o = lt_ip_link(ns, ifname), *li;
        kind[0] = 0;
        if (o && json_object_object_get_ex(o, "linkinfo", &li) && lt_str(li, "info_kind"))
                snprintf(kind, sizeof kind, "%s", lt_str(li, "info_kind"));
        json_object_put(o);
        return kind;
}

static int apply(const kn_iface *w) {
        kn_error err = {0};
        int r = kn_live_apply(h, w, NULL, &err);
        if (r < 0)
                fprintf(stderr, "kn_live_apply(%s): %s\n", w->name, err.message);
        return r;
}

static void test_bridge_over_bond(void **state) {
        _cleanup_iface_ kn_iface *w = lt_parse(
                "<interface type='bridge' name='br0'>"
                "<protocol family='ipv4'><ip address='10.40.0.2' prefix='24'/></protocol>"
                "<bridge stp='off'>"
                "<interface type='bond' name='bond0'>"
                "<bond mode='active-backup'><miimon freq='100'/>"
                "<interface type='ethernet' name='eth1'/><interface type='ethernet' name='eth2'/>"
                "</bond></interface>"
                "</bridge></interface>");
        kn_error err = {0};
        assert_true(apply(w) > 0);

        assert_string_equal(link_kind("br0"), "bridge");
        assert_string_equal(link_kind("bond0"), "bond");
        assert_master("bond0", "br0");
        assert_master("eth1", "bond0");
        assert_master("eth2", "bond0");
        json_object *l = lt_ip_link(ns, "bond0"), *li, *data;
        assert_true(json_object_object_get_ex(l, "linkinfo", &li));
        assert_true(json_object_object_get_ex(li, "info_data", &data));
        assert_string_equal(lt_str(data, "mode"), "active-backup");
        assert_int_equal(lt_int(data, "miimon"), 100);
        json_object_put(l);
        assert_true(lt_link_up(ns, "br0"));
        assert_true(lt_link_up(ns, "bond0"));
        assert_true(lt_link_up(ns, "eth1"));
        assert_true(lt_link_up(ns, "eth2"));
        /* The address is on the bridge only. */
        assert_true(lt_has_addr(ns, "br0", "10.40.0.2", 24));
        assert_false(lt_has_addr(ns, "bond0", "10.40.0.2", 24));

        kn_iface *live = NULL;
        assert_int_equal(kn_live_read(h, "br0", &live, &err), 0);
        assert_int_equal(live->type, KN_IFACE_BRIDGE);
        assert_int_equal(live->n_children, 1);
        const kn_iface *bond = live->children[0];
        assert_int_equal(bond->type, KN_IFACE_BOND);
        assert_string_equal(bond->name, "bond0");
        assert_int_equal(bond->bond_mode, KN_BOND_ACTIVE_BACKUP);
        assert_int_equal(bond->monitor, KN_MON_MIIMON);
        assert_int_equal(bond->miimon_freq, 100);
        assert_int_equal(bond->n_children, 2);
        assert_string_equal(bond->children[0]->name, "eth1");
        assert_string_equal(bond->children[1]->name, "eth2");
        char *report = NULL;
        int d = kn_live_verify(w, live, &report);
        if (d != 0)
                fprintf(stderr, "verify: %s\n", report);
        assert_int_equal(d, 0);
        free(report);
        char *xml = kn_iface_format_xml(live, KN_XML_LIVE);
        printf("%s", xml);
        free(xml);
        kn_iface_free(live);

        /* Applying it again changes nothing. */
        assert_int_equal(apply(w), 0);

        assert_int_equal(kn_live_stop(h, w, &err), 0);
        assert_false(lt_link_exists(ns, "br0"));
        assert_false(lt_link_exists(ns, "bond0"));
        assert_true(lt_link_exists(ns, "eth1"));
        assert_true(lt_link_exists(ns, "eth2"));
        assert_master("eth1", NULL);
        assert_master("eth2", NULL);
        assert_false(lt_link_up(ns, "eth1"));
        assert_false(lt_link_up(ns, "eth2"));
}

static void test_bridge_over_vlan_over_bond(void **state) {
        _cleanup_iface_ kn_iface *b = lt_parse(
                "<interface type='bond' name='bond0'>"
                "<bond mode='balance-rr'><miimon freq='100'/>"
                "<interface type='ethernet' name='eth1'/><interface type='ethernet' name='eth2'/>"
                "</bond></interface>");
        _cleanup_iface_ kn_iface *w =
                lt_parse("<interface type='bridge' name='br100'>"
                         "<protocol family='ipv4'><ip address='10.100.0.2' prefix='24'/></protocol>"
                         "<bridge stp='off'><interface type='vlan' name='bond0.100'>"
                         "<vlan tag='100'><interface "
                         "name='bond0'/></vlan></interface></bridge></interface>");
        kn_error err = {0};
        assert_true(apply(b) > 0);
        assert_true(apply(w) > 0);

        assert_string_equal(link_kind("bond0.100"), "vlan");
        assert_master("bond0.100", "br100");
        assert_master("eth1", "bond0");
        assert_master("eth2", "bond0");
        json_object *l = lt_ip_link(ns, "bond0.100"), *li, *data;
        assert_string_equal(lt_str(l, "link"), "bond0");
        assert_true(json_object_object_get_ex(l, "linkinfo", &li));
        assert_true(json_object_object_get_ex(li, "info_data", &data));
        assert_int_equal(lt_int(data, "id"), 100);
        json_object_put(l);
        assert_true(lt_link_up(ns, "br100"));
        assert_true(lt_link_up(ns, "bond0.100"));
        assert_true(lt_link_up(ns, "bond0"));
        assert_true(lt_has_addr(ns, "br100", "10.100.0.2", 24));

        kn_iface *live = NULL;
        assert_int_equal(kn_live_read(h, "br100", &live, &err), 0);
        assert_int_equal(live->n_children, 1);
        assert_int_equal(live->children[0]->type, KN_IFACE_VLAN);
        assert_int_equal(live->children[0]->vlan_tag, 100);
        assert_string_equal(live->children[0]->vlan_parent, "bond0");
        char *report = NULL;
        int d = kn_live_verify(w, live, &report);
        if (d != 0)
                fprintf(stderr, "verify: %s\n", report);
        assert_int_equal(d, 0);
        free(report);
        kn_iface_free(live);
        assert_int_equal(kn_live_read(h, "bond0", &live, &err), 0);
        assert_int_equal(live->bond_mode, KN_BOND_BALANCE_RR);
        assert_int_equal(live->n_children, 2);
        kn_iface_free(live);

        /* Destroying the bridge takes its vlan along, not the bond below. */
        assert_int_equal(kn_live_stop(h, w, &err), 0);
        assert_false(lt_link_exists(ns, "br100"));
        assert_false(lt_link_exists(ns, "bond0.100"));
        assert_true(lt_link_exists(ns, "bond0"));
        assert_true(lt_link_up(ns, "bond0"));
        assert_master("eth1", "bond0");
        assert_master("eth2", "bond0");
        assert_true(lt_link_up(ns, "eth1"));

        assert_int_equal(kn_live_stop(h, b, &err), 0);
        assert_false(lt_link_exists(ns, "bond0"));
        assert_master("eth1", NULL);
        assert_master("eth2", NULL);
        assert_false(lt_link_up(ns, "eth1"));
        assert_false(lt_link_up(ns, "eth2"));
}

int main(void) {
        lt_init();
        const char *probe = lt_ns("probe");
        int r = test_run("ip -n %s link add name b0 type bond 2>/dev/null && "
                         "ip -n %s link add link b0 name b0.5 type vlan id 5 2>/dev/null",
                         probe, probe);
        lt_ns_kill_and_delete(probe);
        if (r != 0) {
                printf("skipped: kernel lacks 8021q/bonding\n");
                return 77;
        }
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_bridge_over_bond, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bridge_over_vlan_over_bond, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
