/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Live state read through netlink, checked against what `ip -j -d` says
 * about the same namespace (set up with ip). */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <ctype.h>
#include <stdint.h>

#include <cmocka.h>

#include "../testutil.h"
#include "live-test.h"

static const char *ns;
static kn_netns *h;

static int setup(void **state) {
        ns = lt_ns("read");
        lt_sh("ip -n %s link add name eth0 type veth peer name eth0p && "
              "ip -n %s link add name eth1 type veth peer name eth1p && "
              "ip -n %s link add name br0 type bridge stp_state 1 forward_delay 400 && "
              "ip -n %s link set eth0 master br0 && ip -n %s link set eth1 mtu 1400 && "
              "ip -n %s link set eth0p up && ip -n %s link set eth0 up && "
              "ip -n %s link set br0 up && "
              "ip -n %s addr add 10.2.0.1/24 dev br0 && ip -n %s addr add 10.2.1.1/16 dev br0 && "
              "ip -n %s addr add fd01::1/64 dev br0 nodad && "
              "ip -n %s route add default via 10.2.0.254 && "
              "ip -n %s -6 route add default via fd01::fe",
              ns, ns, ns, ns, ns, ns, ns, ns, ns, ns, ns, ns, ns);
        h = lt_open(ns);
        return 0;
}

static int teardown(void **state) {
        kn_netns_free(h);
        lt_ns_kill_and_delete(ns);
        return 0;
}

static json_object *linkinfo_data(json_object *link) {
        json_object *li, *data;
        if (!json_object_object_get_ex(link, "linkinfo", &li) ||
            !json_object_object_get_ex(li, "info_data", &data))
                return NULL;
        return data;
}

/* Every address `ip -j addr show dev IF` lists is in the model, and no more. */
static void check_addresses(const kn_iface *i) {
        json_object *a = lt_json("ip -n %s -j addr show dev %s", ns, i->name), *info;
        assert_non_null(a);
        assert_true(json_object_object_get_ex(json_object_array_get_idx(a, 0), "addr_info", &info));
        size_t n = 0;
        for (size_t k = 0; k < json_object_array_length(info); k++) {
                json_object *x = json_object_array_get_idx(info, k);
                bool v4 = streq(lt_str(x, "family"), "inet");
                const kn_protocol *p = v4 ? &i->ipv4 : &i->ipv6;
                bool found = false;
                for (size_t j = 0; j < p->n_ips; j++)
                        found |= streq(p->ips[j].address, lt_str(x, "local")) &&
                                 p->ips[j].prefix == lt_int(x, "prefixlen");
                if (!found)
                        fprintf(stderr, "%s: %s/%" PRId64 " not in the model\n", i->name,
                                lt_str(x, "local"), lt_int(x, "prefixlen"));
                assert_true(found);
                n++;
        }
        assert_int_equal(n, i->ipv4.n_ips + i->ipv6.n_ips);
        json_object_put(a);
}

static void test_read_bridge(void **state) {
        kn_iface *i = NULL;
        kn_error err = {0};
        assert_int_equal(kn_live_read(h, "br0", &i, &err), 0);
        json_object *l = lt_ip_link(ns, "br0");
        assert_int_equal(i->type, KN_IFACE_BRIDGE);
        assert_int_equal(i->mtu, lt_int(l, "mtu"));
        /* Kept in the model (the backends store it); the XML formatter
         * leaves it out, since interface.rng has no <mac> on a bridge. */
        assert_string_equal(i->mac, lt_str(l, "address"));
        /* STP keeps the bridge down while its port listens and learns. */
        char oper[32];
        snprintf(oper, sizeof oper, "%s", lt_str(l, "operstate"));
        for (char *c = oper; *c; c++)
                *c = (char) tolower((unsigned char) *c);
        assert_int_equal(i->link_state, KN_LINK_UNSET); /* nor <link> */
        kn_live_link *links;
        size_t n;
        assert_int_equal(kn_live_list(h, &links, &n, &err), 0);
        for (size_t k = 0; k < n; k++)
                if (streq(links[k].iface->name, "br0")) {
                        assert_string_equal(kn_link_state_to_string(links[k].state), oper);
                        assert_string_equal(links[k].mac, lt_str(l, "address"));
                }
        kn_live_links_free(links, n);
        json_object *data = linkinfo_data(l);
        assert_int_equal(i->stp == KN_YES, lt_int(data, "stp_state") != 0);
        assert_true(i->delay == (double) lt_int(data, "forward_delay") / 100);
        assert_true(i->delay == 4);
        check_addresses(i);
        assert_string_equal(i->ipv4.gateway, "10.2.0.254");
        assert_string_equal(i->ipv6.gateway, "fd01::fe");
        /* Ports: what `ip link show master br0` lists. */
        json_object *ports = lt_json("ip -n %s -j link show master br0", ns);
        assert_int_equal(i->n_children, json_object_array_length(ports));
        assert_string_equal(i->children[0]->name,
                            lt_str(json_object_array_get_idx(ports, 0), "ifname"));
        assert_int_equal(i->children[0]->type, KN_IFACE_ETHERNET);
        /* veth reports 10000 Mb/s through ethtool netlink. */
        assert_int_equal(i->children[0]->link_speed, 10000);
        json_object_put(ports);
        json_object_put(l);

        char *xml = kn_iface_format_xml(i, KN_XML_LIVE);
        assert_non_null(strstr(xml, "<link speed='10000' state='up'/>"));
        assert_non_null(strstr(xml, "<bridge stp='on' delay='4'>"));
        assert_non_null(strstr(xml, "<route gateway='10.2.0.254'/>"));
        test_assert_virt_xml_valid(xml);
        free(xml);
        kn_iface_free(i);
}

static void test_read_ethernet(void **state) {
        kn_iface *i = NULL;
        kn_error err = {0};
        assert_int_equal(kn_live_read(h, "eth1", &i, &err), 0);
        json_object *l = lt_ip_link(ns, "eth1");
        assert_int_equal(i->type, KN_IFACE_ETHERNET);
        assert_int_equal(i->mtu, 1400);
        assert_string_equal(i->mac, lt_str(l, "address"));
        assert_string_equal(kn_link_state_to_string(i->link_state), "down");
        assert_int_equal(i->link_speed, 0); /* only for links that are up */
        check_addresses(i);
        json_object_put(l);
        kn_iface_free(i);
}

static void test_read_missing(void **state) {
        kn_iface *i = NULL;
        kn_error err = {0};
        assert_int_equal(kn_live_read(h, "nosuch0", &i, &err), -ENODEV);
        assert_non_null(strstr(err.message, "no interface named 'nosuch0' in network namespace"));
        kn_error_clear(&err);
        assert_int_equal(kn_live_read(h, "bad/name", &i, &err), -EINVAL);
}

static void test_list(void **state) {
        kn_live_link *links = NULL;
        size_t n = 0;
        kn_error err = {0};
        assert_int_equal(kn_live_list(h, &links, &n, &err), 0);
        json_object *all = lt_json("ip -n %s -j -d link show", ns);
        assert_int_equal(n, json_object_array_length(all));
        for (size_t k = 0; k < n; k++) {
                json_object *l = NULL;
                for (size_t j = 0; j < n && !l; j++)
                        if (lt_int(json_object_array_get_idx(all, j), "ifindex") ==
                            links[k].ifindex)
                                l = json_object_array_get_idx(all, j);
                assert_non_null(l);
                assert_string_equal(links[k].iface->name, lt_str(l, "ifname"));
                assert_int_equal(links[k].iface->mtu, lt_int(l, "mtu"));
                bool up = lt_link_up(ns, links[k].iface->name);
                assert_int_equal(links[k].active, up);
                json_object *li;
                const char *kind = json_object_object_get_ex(l, "linkinfo", &li)
                                           ? lt_str(li, "info_kind")
                                           : NULL;
                assert_string_equal(links[k].kind, kind ? kind : "");
                if (k > 0)
                        assert_true(links[k - 1].ifindex < links[k].ifindex);
        }
        json_object_put(all);
        kn_live_links_free(links, n);
}

/* A namespace just made, lo never up: its main table does not exist yet
 * and the kernel answers a route dump of it with ENOENT: no routes, no
 * error (net-start's overlap check reads it so). */
static void test_fresh_namespace(void **state) {
        char name[64];
        snprintf(name, sizeof name, "%sfresh", lt_prefix);
        lt_ns_kill_and_delete(name);
        lt_sh("ip netns add %s", name);
        kn_netns *fresh = lt_open(name);
        kn_live_link *links = NULL;
        size_t n = 0;
        kn_iface *lo = NULL;
        kn_error err = {0};
        int r = kn_live_list(fresh, &links, &n, &err);
        if (r < 0)
                fail_msg("kn_live_list: %s", err.message);
        kn_live_links_free(links, n);
        r = kn_live_read(fresh, "lo", &lo, &err);
        if (r < 0)
                fail_msg("kn_live_read lo: %s", err.message);
        kn_iface_free(lo);
        kn_netns_free(fresh);
        lt_ns_kill_and_delete(name);
}

int main(void) {
        lt_init();
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_read_bridge),     cmocka_unit_test(test_read_ethernet),
                cmocka_unit_test(test_read_missing),    cmocka_unit_test(test_list),
                cmocka_unit_test(test_fresh_namespace),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
