/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* DHCP through a real client (busybox udhcpc) started and stopped by
 * kvmnet, against dnsmasq serving a range in a LAN namespace:
 *   host ns: eth0  <-veth->  lan ns: lan0 10.4.0.1/24 + dnsmasq */

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "live-test.h"

static const char *host, *lan;
static kn_netns *h;

static int setup(void **state) {
        host = lt_ns("dhcp");
        lan = lt_ns("lan");
        lt_sh("ip -n %s link add name eth0 type veth peer name lan0 netns %s && "
              "ip -n %s addr add 10.4.0.1/24 dev lan0 && ip -n %s link set lan0 up",
              host, lan, lan, lan);
        lt_sh("mkdir -p %s", lt_state_dir);
        lt_sh("ip netns exec %s dnsmasq --conf-file=/dev/null --no-hosts --no-resolv --port=0 "
              "--user=root --interface=lan0 --bind-interfaces "
              "--dhcp-range=10.4.0.100,10.4.0.150,255.255.255.0,1h --dhcp-option=3,10.4.0.1 "
              "--dhcp-leasefile=%s/leases --pid-file=%s/dnsmasq.pid --log-facility=%s/dnsmasq.log",
              lan, lt_state_dir, lt_state_dir, lt_state_dir);
        h = lt_open(host);
        return 0;
}

static int teardown(void **state) {
        kn_netns_free(h);
        lt_ns_kill_and_delete(host);
        lt_ns_kill_and_delete(lan);
        return 0;
}

/* The leased address of eth0, "" if none. */
static void leased(char *out, size_t size) {
        json_object *a = lt_json("ip -n %s -j -4 addr show dev eth0", host), *info;
        out[0] = '\0';
        if (a && json_object_object_get_ex(json_object_array_get_idx(a, 0), "addr_info", &info) &&
            json_object_array_length(info) > 0)
                snprintf(out, size, "%s", lt_str(json_object_array_get_idx(info, 0), "local"));
        json_object_put(a);
}

static void test_dhcp(void **state) {
        if (access("/bin/busybox", X_OK) != 0 && access("/usr/bin/busybox", X_OK) != 0) {
                skip();
                return;
        }
        _cleanup_iface_ kn_iface *w = lt_parse("<interface type='ethernet' name='eth0'>"
                                               "<protocol family='ipv4'><dhcp/></protocol>"
                                               "</interface>");
        kn_error err = {0};
        int r = kn_live_apply(h, w, NULL, &err);
        if (r < 0)
                fprintf(stderr, "%s\n", err.message);
        assert_true(r > 0);

        char address[46];
        leased(address, sizeof address);
        printf("# leased %s\n", address);
        assert_true(strncmp(address, "10.4.0.", 7) == 0);
        int last = atoi(address + 7);
        assert_true(last >= 100 && last <= 150);
        json_object *routes = lt_json("ip -n %s -j route show default", host);
        assert_string_equal(lt_str(json_object_array_get_idx(routes, 0), "gateway"), "10.4.0.1");
        json_object_put(routes);

        /* The live model says DHCP, and the client runs in the host ns. */
        kn_iface *live = NULL;
        assert_int_equal(kn_live_read(h, "eth0", &live, &err), 0);
        assert_true(live->ipv4.dhcp);
        assert_string_equal(live->ipv4.ips[0].address, address);
        kn_iface_free(live);
        assert_int_equal(
                test_run("ip netns pids %s | xargs -r ps -o comm= -p | grep -Eq 'busybox|udhcpc'",
                         host),
                0);

        /* Starting again changes nothing: the client is running. */
        assert_int_equal(kn_live_apply(h, w, NULL, &err), 0);

        /* Destroy stops the client and the address goes. */
        assert_int_equal(kn_live_stop(h, w, &err), 0);
        leased(address, sizeof address);
        assert_string_equal(address, "");
        assert_int_not_equal(test_run("ip netns pids %s | grep -q .", host), 0);
        assert_false(lt_link_up(host, "eth0"));
}

/* No server answers: the start fails, names the interface, and nothing is
 * left running or configured. */
static void test_no_lease(void **state) {
        test_run("kill $(cat %s/dnsmasq.pid)", lt_state_dir);
        _cleanup_iface_ kn_iface *w = lt_parse("<interface type='ethernet' name='eth0'>"
                                               "<protocol family='ipv4'><dhcp/></protocol>"
                                               "</interface>");
        kn_error err = {0};
        int r = kn_live_apply(h, w, NULL, &err);
        printf("# %s\n", err.message);
        assert_true(r < 0);
        assert_non_null(strstr(err.message, "eth0: no DHCP lease"));
        assert_int_not_equal(test_run("ip netns pids %s | grep -q .", host), 0);
        assert_false(lt_link_up(host, "eth0"));
}

int main(void) {
        lt_init();
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_dhcp, setup, teardown),
                cmocka_unit_test_setup_teardown(test_no_lease, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
