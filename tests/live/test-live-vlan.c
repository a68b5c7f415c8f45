/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* vlan and bridge-over-vlan, started and destroyed, checked with ip -j -d.
 * Kernels without 802.1q (this project's CI host) skip: exit 77. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "live-test.h"

static const char *ns;
static kn_netns *h;

static int setup(void **state) {
        ns = lt_ns("vlan");
        lt_sh("ip -n %s link add name eth0 type veth peer name eth0p && ip -n %s link set eth0p up",
              ns, ns);
        h = lt_open(ns);
        return 0;
}

static int teardown(void **state) {
        kn_netns_free(h);
        lt_ns_kill_and_delete(ns);
        return 0;
}

static void test_vlan(void **state) {
        _cleanup_iface_ kn_iface *w =
                lt_parse("<interface type='vlan' name='eth0.10'>"
                         "<protocol family='ipv4'><ip address='10.10.0.2' prefix='24'/></protocol>"
                         "<vlan tag='10'><interface name='eth0'/></vlan></interface>");
        kn_error err = {0};
        int r = kn_live_apply(h, w, NULL, &err);
        if (r < 0)
                fprintf(stderr, "%s\n", err.message);
        assert_true(r > 0);
        json_object *l = lt_ip_link(ns, "eth0.10"), *li, *data;
        assert_true(json_object_object_get_ex(l, "linkinfo", &li));
        assert_string_equal(lt_str(li, "info_kind"), "vlan");
        assert_true(json_object_object_get_ex(li, "info_data", &data));
        assert_int_equal(lt_int(data, "id"), 10);
        assert_string_equal(lt_str(l, "link"), "eth0");
        json_object_put(l);
        assert_true(lt_link_up(ns, "eth0.10"));
        assert_true(lt_link_up(ns, "eth0")); /* the parent too */
        assert_true(lt_has_addr(ns, "eth0.10", "10.10.0.2", 24));

        kn_iface *live = NULL;
        assert_int_equal(kn_live_read(h, "eth0.10", &live, &err), 0);
        assert_int_equal(live->type, KN_IFACE_VLAN);
        assert_int_equal(live->vlan_tag, 10);
        assert_string_equal(live->vlan_parent, "eth0");
        kn_iface_free(live);

        /* Another tag cannot be applied to a live vlan. */
        w->vlan_tag = 11;
        assert_int_equal(kn_live_apply(h, w, NULL, &err), -EEXIST);
        assert_non_null(strstr(err.message, "is vlan 10 on 'eth0', asked vlan 11 on 'eth0'"));
        w->vlan_tag = 10;

        assert_int_equal(kn_live_stop(h, w, &err), 0);
        assert_false(lt_link_exists(ns, "eth0.10"));
        assert_true(lt_link_exists(ns, "eth0"));
}

static void test_bridge_over_vlan(void **state) {
        _cleanup_iface_ kn_iface *w = lt_parse(
                "<interface type='bridge' name='br0'>"
                "<protocol family='ipv4'><ip address='10.20.0.2' prefix='24'/></protocol>"
                "<bridge><interface type='vlan' name='eth0.20'>"
                "<vlan tag='20'><interface name='eth0'/></vlan></interface></bridge></interface>");
        kn_error err = {0};
        int r = kn_live_apply(h, w, NULL, &err);
        if (r < 0)
                fprintf(stderr, "%s\n", err.message);
        assert_true(r > 0);
        json_object *port = lt_ip_link(ns, "eth0.20");
        assert_string_equal(lt_str(port, "master"), "br0");
        json_object_put(port);
        assert_true(lt_has_addr(ns, "br0", "10.20.0.2", 24));

        kn_iface *live = NULL;
        assert_int_equal(kn_live_read(h, "br0", &live, &err), 0);
        assert_int_equal(live->n_children, 1);
        assert_int_equal(live->children[0]->type, KN_IFACE_VLAN);
        assert_int_equal(live->children[0]->vlan_tag, 20);
        char *xml = kn_iface_format_xml(live, KN_XML_LIVE);
        printf("%s", xml);
        free(xml);
        kn_iface_free(live);

        /* Two virtual links: deleted in one batch (a link group). */
        assert_int_equal(kn_live_stop(h, w, &err), 0);
        assert_false(lt_link_exists(ns, "br0"));
        assert_false(lt_link_exists(ns, "eth0.20"));
        assert_true(lt_link_exists(ns, "eth0"));
}

int main(void) {
        lt_init();
        const char *probe = lt_ns("probe");
        int r = test_run("ip -n %s link add name p0 type veth peer name p1 && "
                         "ip -n %s link add link p0 name p0.5 type vlan id 5 2>/dev/null",
                         probe, probe);
        lt_ns_kill_and_delete(probe);
        if (r != 0) {
                printf("skipped: kernel lacks 8021q/bonding (no 802.1q vlan support)\n");
                return 77;
        }
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_vlan, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bridge_over_vlan, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
