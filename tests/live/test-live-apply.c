/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* iface-start / iface-destroy through netlink, checked with `ip -j`.
 * eth0 is a veth whose peer (eth0p, up) stands in for the LAN side. */

#include <net/if.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kvmnet/live-events.h"
#include "live-test.h"

static const char *ns;
static kn_netns *h;

static int setup(void **state) {
        ns = lt_ns("apply");
        lt_sh("ip -n %s link add name eth0 type veth peer name eth0p && "
              "ip -n %s link set eth0p up",
              ns, ns);
        h = lt_open(ns);
        return 0;
}

static int teardown(void **state) {
        kn_netns_free(h);
        lt_ns_kill_and_delete(ns);
        return 0;
}

static int apply(const kn_iface *want, kn_error *err) {
        kn_live_txn *t = NULL;
        kn_error_clear(err);
        int r = kn_live_apply(h, want, &t, err);
        if (r < 0)
                fprintf(stderr, "apply %s: %s\n", want->name, err->message);
        for (size_t k = 0; k < kn_live_txn_size(t); k++)
                printf("# step: %s\n", kn_live_txn_step(t, k));
        kn_live_txn_free(t);
        return r;
}

static void destroy(const kn_iface *def) {
        kn_error err = {0};
        int r = kn_live_stop(h, def, &err);
        if (r < 0)
                fprintf(stderr, "destroy %s: %s\n", def->name, err.message);
        assert_int_equal(r, 0);
}

static bool has_default_route(const char *family, const char *gateway, const char *dev) {
        json_object *a = lt_json("ip -n %s %s -j route show default", ns, family);
        bool found = false;
        for (size_t k = 0; a && k < json_object_array_length(a); k++) {
                json_object *r = json_object_array_get_idx(a, k);
                found |= streq_ptr(lt_str(r, "gateway"), gateway) &&
                         streq_ptr(lt_str(r, "dev"), dev);
        }
        json_object_put(a);
        return found;
}

static size_t global_addresses(const char *ifname) {
        json_object *a = lt_json("ip -n %s -j addr show dev %s scope global", ns, ifname), *info;
        size_t n = 0;
        if (a && json_object_object_get_ex(json_object_array_get_idx(a, 0), "addr_info", &info))
                n = json_object_array_length(info);
        json_object_put(a);
        return n;
}

static void test_ethernet_static(void **state) {
        _cleanup_iface_ kn_iface *w =
                lt_parse("<interface type='ethernet' name='eth0'><mtu size='1400'/>"
                         "<protocol family='ipv4'><ip address='10.3.0.2' prefix='24'/>"
                         "<route gateway='10.3.0.1'/></protocol>"
                         "<protocol family='ipv6'><ip address='fd03::2' prefix='64'/></protocol>"
                         "</interface>");
        kn_error err = {0};
        assert_true(apply(w, &err) > 0);
        json_object *l = lt_ip_link(ns, "eth0");
        assert_int_equal(lt_int(l, "mtu"), 1400);
        json_object_put(l);
        assert_true(lt_link_up(ns, "eth0"));
        assert_true(lt_has_addr(ns, "eth0", "10.3.0.2", 24));
        assert_true(lt_has_addr(ns, "eth0", "fd03::2", 64));
        assert_true(has_default_route("-4", "10.3.0.1", "eth0"));
        /* Again: nothing to do. */
        assert_int_equal(apply(w, &err), 0);

        destroy(w);
        assert_false(lt_link_up(ns, "eth0"));
        assert_int_equal(global_addresses("eth0"), 0);
        assert_false(has_default_route("-4", "10.3.0.1", "eth0"));
}

static const char bridge_xml[] =
        "<interface type='bridge' name='br0'><mtu size='%u'/>"
        "<protocol family='ipv4'><ip address='%s' prefix='24'/>"
        "<route gateway='10.1.0.1'/></protocol>"
        "<bridge stp='off' delay='0'><interface type='ethernet' name='eth0'/></bridge>"
        "</interface>";

static kn_iface *bridge_def(unsigned mtu, const char *address) {
        char xml[sizeof bridge_xml + 64];
        snprintf(xml, sizeof xml, bridge_xml, mtu, address);
        return lt_parse(xml);
}

/* Link events seen while something runs: every link that went down. */
typedef struct seen {
        char down[512];
        int links;
} seen;

static void on_event(const kn_live_event *e, void *userdata) {
        seen *s = userdata;
        if (e->type != KN_LIVE_EVENT_LINK)
                return;
        s->links++;
        if (!(e->flags & IFF_UP) || e->removed) {
                strncat(s->down, e->ifname, sizeof s->down - strlen(s->down) - 2);
                strcat(s->down, " ");
        }
}

static void drain(kn_live_events *ev) {
        struct pollfd p = {.fd = kn_live_events_fd(ev), .events = POLLIN};
        while (poll(&p, 1, 200) > 0)
                assert_true(kn_live_events_process(ev) >= 0);
}

static int ifindex_of(const char *ifname) {
        json_object *l = lt_ip_link(ns, ifname);
        int i = (int) lt_int(l, "ifindex");
        json_object_put(l);
        return i;
}

static void test_bridge(void **state) {
        _cleanup_iface_ kn_iface *w = bridge_def(1500, "10.1.0.2");
        kn_error err = {0};
        assert_true(apply(w, &err) > 0);
        json_object *br = lt_ip_link(ns, "br0"), *li, *data;
        assert_non_null(br);
        assert_true(json_object_object_get_ex(br, "linkinfo", &li));
        assert_string_equal(lt_str(li, "info_kind"), "bridge");
        assert_true(json_object_object_get_ex(li, "info_data", &data));
        assert_int_equal(lt_int(data, "stp_state"), 0);
        assert_int_equal(lt_int(data, "forward_delay"), 0);
        json_object_put(br);
        json_object *port = lt_ip_link(ns, "eth0");
        assert_string_equal(lt_str(port, "master"), "br0");
        json_object_put(port);
        assert_true(lt_link_up(ns, "br0"));
        assert_true(lt_link_up(ns, "eth0"));
        assert_true(lt_has_addr(ns, "br0", "10.1.0.2", 24));
        assert_true(has_default_route("-4", "10.1.0.1", "br0"));
        int br_index = ifindex_of("br0");

        /* Restart with another MTU: the port that asks none takes the
         * bridge's (as bridge-utils and networkd give it), nothing bounced. */
        _cleanup_live_events_ kn_live_events *ev = NULL;
        seen s = {0};
        assert_int_equal(kn_live_events_open(h, on_event, &s, &ev, &err), 0);
        _cleanup_iface_ kn_iface *w2 = bridge_def(1400, "10.1.0.2");
        kn_live_txn *t = NULL;
        assert_int_equal(kn_live_apply(h, w2, &t, &err), 2);
        assert_string_equal(kn_live_txn_step(t, 0),
                            "set mtu of eth0 to 1400 (was 1500), its bridge br0's");
        assert_string_equal(kn_live_txn_step(t, 1), "set mtu of br0 to 1400 (was 1500)");
        kn_live_txn_free(t);
        json_object *l = lt_ip_link(ns, "br0");
        assert_int_equal(lt_int(l, "mtu"), 1400);
        json_object_put(l);
        l = lt_ip_link(ns, "eth0");
        assert_int_equal(lt_int(l, "mtu"), 1400);
        json_object_put(l);

        /* Restart with another address: add the new, remove the old (with
         * promote_secondaries on meanwhile, or the kernel would delete the
         * new one, a secondary, along with the old primary). */
        _cleanup_iface_ kn_iface *w3 = bridge_def(1400, "10.1.0.3");
        t = NULL;
        assert_int_equal(kn_live_apply(h, w3, &t, &err), 5);
        assert_string_equal(kn_live_txn_step(t, 0), "add address 10.1.0.3/24 to br0");
        assert_string_equal(kn_live_txn_step(t, 1), "turn promote_secondaries on for br0");
        assert_string_equal(kn_live_txn_step(t, 2),
                            "keep default route via 10.1.0.1 on br0 for undo");
        assert_string_equal(kn_live_txn_step(t, 3), "remove address 10.1.0.2/24 from br0");
        assert_string_equal(kn_live_txn_step(t, 4), "turn promote_secondaries off again for br0");
        kn_live_txn_free(t);
        assert_true(lt_has_addr(ns, "br0", "10.1.0.3", 24));
        assert_false(lt_has_addr(ns, "br0", "10.1.0.2", 24));
        assert_true(has_default_route("-4", "10.1.0.1", "br0"));

        drain(ev);
        assert_true(s.links > 0); /* the MTU change was seen */
        assert_string_equal(s.down, "");
        assert_int_equal(ifindex_of("br0"), br_index);

        destroy(w3);
        assert_false(lt_link_exists(ns, "br0"));
        assert_false(lt_link_up(ns, "eth0"));
        port = lt_ip_link(ns, "eth0");
        assert_null(lt_str(port, "master"));
        json_object_put(port);
        /* Destroying what is gone already is fine. */
        destroy(w3);
}

/* The kernel refuses the default route (its gateway is on no subnet of the
 * link): everything done before is undone, and the error names the step
 * and carries the kernel's message. */
static void test_route_fails(void **state) {
        /* eth0 has a primary and a secondary (same subnet) address. */
        lt_sh("ip -n %s addr add 10.5.0.9/24 dev eth0 && ip -n %s addr add 10.5.0.10/24 dev eth0 "
              "&& "
              "ip -n %s link set eth0 up && ip -n %s route add default via 10.5.0.1",
              ns, ns, ns, ns);
        _cleanup_iface_ kn_iface *w =
                lt_parse("<interface type='bridge' name='br0'>"
                         "<protocol family='ipv4'><ip address='10.1.0.2' prefix='24'/>"
                         "<route gateway='10.9.9.9'/></protocol>"
                         "<bridge><interface type='ethernet' name='eth0'/></bridge></interface>");
        kn_error err = {0};
        int r = kn_live_apply(h, w, NULL, &err);
        printf("# %s\n", err.message);
        assert_int_equal(r, -ENETUNREACH);
        assert_non_null(strstr(err.message, "add default route via 10.9.9.9 on br0: "));
        assert_non_null(strstr(err.message, "(Network is unreachable)"));
        assert_non_null(strstr(err.message, "steps done were undone"));
        /* Created links and moved addresses are back as they were. */
        assert_false(lt_link_exists(ns, "br0"));
        json_object *port = lt_ip_link(ns, "eth0");
        assert_null(lt_str(port, "master"));
        json_object_put(port);
        assert_true(lt_has_addr(ns, "eth0", "10.5.0.9", 24));
        assert_true(lt_has_addr(ns, "eth0", "10.5.0.10", 24));
        assert_true(has_default_route("-4", "10.5.0.1", "eth0"));
        assert_true(lt_link_up(ns, "eth0"));
}

/* The headline: a NIC with the host's address becomes a bridge port, and
 * the address (and default route) move to the bridge. */
static void test_move_ip_to_bridge(void **state) {
        lt_sh("ip -n %s addr add 10.5.0.9/24 dev eth0 && ip -n %s addr add 10.5.0.10/24 dev eth0 "
              "&& "
              "ip -n %s link set eth0 up && ip -n %s route add default via 10.5.0.1",
              ns, ns, ns, ns);
        _cleanup_iface_ kn_iface *w =
                lt_parse("<interface type='bridge' name='br0'>"
                         "<protocol family='ipv4'><ip address='10.5.0.9' prefix='24'/>"
                         "<route gateway='10.5.0.1'/></protocol>"
                         "<bridge><interface type='ethernet' name='eth0'/></bridge></interface>");
        kn_error err = {0};
        assert_true(apply(w, &err) > 0);
        assert_true(lt_has_addr(ns, "br0", "10.5.0.9", 24));
        assert_int_equal(global_addresses("eth0"), 0);
        assert_true(has_default_route("-4", "10.5.0.1", "br0"));
        assert_false(has_default_route("-4", "10.5.0.1", "eth0"));
}

/* STP needs a forward delay of 2-30 s: refused before anything is done. */
static void test_option_refused(void **state) {
        _cleanup_iface_ kn_iface *w =
                lt_parse("<interface type='bridge' name='br0'><bridge stp='on' delay='0'>"
                         "<interface type='ethernet' name='eth0'/></bridge></interface>");
        kn_error err = {0};
        assert_int_equal(kn_live_apply(h, w, NULL, &err), -ERANGE);
        assert_non_null(strstr(err.message, "br0: with stp on, the kernel takes a forward delay "
                                            "of 2 to 30 seconds, asked 0"));
        assert_false(lt_link_exists(ns, "br0"));
}

/* The kernel accepts a request and does more than asked: an MTU below
 * 1280 takes IPv6 off the link, addresses included.  The check after
 * applying reports it by field, and the MTU change is undone. */
static void test_verify_fails(void **state) {
        _cleanup_iface_ kn_iface *w =
                lt_parse("<interface type='ethernet' name='eth0'><mtu size='1500'/>"
                         "<protocol family='ipv6'><ip address='fd03::2' prefix='64'/></protocol>"
                         "</interface>");
        kn_error err = {0};
        assert_true(apply(w, &err) > 0);
        w->mtu = 1200;
        int r = kn_live_apply(h, w, NULL, &err);
        printf("# %s\n", err.message);
        assert_int_equal(r, -EIO);
        assert_non_null(strstr(err.message,
                               "verification failed: eth0: ipv6 address fd03::2/64 is missing"));
        assert_non_null(strstr(err.message, "the step done was undone"));
        json_object *l = lt_ip_link(ns, "eth0");
        assert_int_equal(lt_int(l, "mtu"), 1500);
        json_object_put(l);
}

static void test_missing_port(void **state) {
        _cleanup_iface_ kn_iface *w =
                lt_parse("<interface type='bridge' name='br0'><bridge>"
                         "<interface type='ethernet' name='eth9'/></bridge></interface>");
        kn_error err = {0};
        assert_int_equal(kn_live_apply(h, w, NULL, &err), -ENODEV);
        assert_non_null(strstr(err.message, "no interface named 'eth9' in network namespace"));
        assert_false(lt_link_exists(ns, "br0"));
}

static void test_rollback_later(void **state) {
        _cleanup_iface_ kn_iface *w = bridge_def(1500, "10.1.0.2");
        kn_live_txn *t = NULL;
        kn_error err = {0};
        assert_true(kn_live_apply(h, w, &t, &err) > 0);
        assert_true(lt_link_exists(ns, "br0"));
        /* What a confirm timer does when nobody confirms. */
        assert_int_equal(kn_live_txn_rollback(h, t, &err), 0);
        kn_live_txn_free(t);
        assert_false(lt_link_exists(ns, "br0"));
        assert_false(lt_link_up(ns, "eth0"));
}

/* Several definitions destroyed at once: one batched unregister. */
static void test_stop_many(void **state) {
        lt_sh("for i in 1 2 3; do ip -n %s link add name v$i type veth peer name v${i}p; done", ns);
        kn_iface *defs[3];
        kn_error err = {0};
        for (int i = 0; i < 3; i++) {
                char xml[256];
                snprintf(xml, sizeof xml,
                         "<interface type='bridge' name='br%d'><protocol family='ipv4'>"
                         "<ip address='10.7.%d.1' prefix='24'/></protocol><bridge>"
                         "<interface type='ethernet' name='v%d'/></bridge></interface>",
                         i + 1, i + 1, i + 1);
                defs[i] = lt_parse(xml);
                assert_true(apply(defs[i], &err) > 0);
        }
        assert_int_equal(kn_live_stop_many(h, (const kn_iface *const *) defs, 3, &err), 0);
        for (int i = 0; i < 3; i++) {
                char name[8];
                snprintf(name, sizeof name, "br%d", i + 1);
                assert_false(lt_link_exists(ns, name));
                snprintf(name, sizeof name, "v%d", i + 1);
                assert_true(lt_link_exists(ns, name));
                assert_false(lt_link_up(ns, name));
                kn_iface_free(defs[i]);
        }
}

/* A MAC set on a link that is up: changed in place (the link stays up),
 * and put back when a later step of the same apply fails. */
static void test_mac_live(void **state) {
        lt_sh("ip -n %s link set eth0 up", ns);
        json_object *l = lt_ip_link(ns, "eth0");
        char *was = kn_xstrdup(lt_str(l, "address"));
        json_object_put(l);
        assert_string_not_equal(was, "52:54:00:12:34:56");

        _cleanup_iface_ kn_iface *bad =
                lt_parse("<interface type='ethernet' name='eth0'>"
                         "<mac address='52:54:00:12:34:56'/>"
                         "<protocol family='ipv4'><ip address='10.6.0.2' prefix='24'/>"
                         "<route gateway='10.9.9.9'/></protocol></interface>");
        kn_error err = {0};
        assert_int_equal(kn_live_apply(h, bad, NULL, &err), -ENETUNREACH);
        printf("# %s\n", err.message);
        l = lt_ip_link(ns, "eth0");
        assert_string_equal(lt_str(l, "address"), was);
        json_object_put(l);
        assert_true(lt_link_up(ns, "eth0"));

        _cleanup_iface_ kn_iface *w = lt_parse("<interface type='ethernet' name='eth0'>"
                                               "<mac address='52:54:00:12:34:56'/></interface>");
        assert_true(apply(w, &err) > 0);
        l = lt_ip_link(ns, "eth0");
        assert_string_equal(lt_str(l, "address"), "52:54:00:12:34:56");
        json_object_put(l);
        assert_true(lt_link_up(ns, "eth0"));
        assert_int_equal(apply(w, &err), 0); /* nothing left to do */
        free(was);
}

int main(void) {
        lt_init();
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_ethernet_static, setup, teardown),
                cmocka_unit_test_setup_teardown(test_bridge, setup, teardown),
                cmocka_unit_test_setup_teardown(test_route_fails, setup, teardown),
                cmocka_unit_test_setup_teardown(test_mac_live, setup, teardown),
                cmocka_unit_test_setup_teardown(test_move_ip_to_bridge, setup, teardown),
                cmocka_unit_test_setup_teardown(test_option_refused, setup, teardown),
                cmocka_unit_test_setup_teardown(test_verify_fails, setup, teardown),
                cmocka_unit_test_setup_teardown(test_missing_port, setup, teardown),
                cmocka_unit_test_setup_teardown(test_rollback_later, setup, teardown),
                cmocka_unit_test_setup_teardown(test_stop_many, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
