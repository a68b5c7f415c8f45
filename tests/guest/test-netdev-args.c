/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The exact netdev_add / device_add arguments, vhost included: this is how
 * the vhost path is tested on machines without /dev/vhost-net. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "guest/netdev-args.h"
#include "testutil.h"

static const uint8_t guest_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

static void assert_json(json_object *o, const char *want) {
        const char *got = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                                    JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!streq(got, want))
                fail_msg("got  %s\nwant %s", got, want);
}

static void test_single_queue(void **state) {
        const char *fds[] = {"fd-net0-0"};
        kn_nic_spec s = {.netdev_id = "hostnet0",
                         .device_id = "net0",
                         .queues = 1,
                         .fd_names = fds,
                         .mac = guest_mac,
                         .model = "virtio",
                         .bus = "pci.0",
                         .has_addr = true,
                         .slot = 5};
        json_object *o = NULL;
        kn_error err = {0};
        assert_int_equal(kn_nic_netdev_add_args(&s, &o, &err), 0);
        assert_json(o, "{\"type\":\"tap\",\"id\":\"hostnet0\",\"fd\":\"fd-net0-0\"}");
        json_object_put(o);
        assert_int_equal(kn_nic_device_add_args(&s, &o, &err), 0);
        assert_json(o, "{\"driver\":\"virtio-net-pci\",\"netdev\":\"hostnet0\",\"id\":\"net0\","
                       "\"mac\":\"52:54:00:12:34:56\",\"bus\":\"pci.0\",\"addr\":\"0x5\"}");
        json_object_put(o);
}

static void test_single_queue_vhost(void **state) {
        const char *fds[] = {"tap0"}, *vfds[] = {"vhost0"};
        kn_nic_spec s = {.netdev_id = "hostnet1",
                         .device_id = "net1",
                         .queues = 1,
                         .fd_names = fds,
                         .vhost_fd_names = vfds};
        json_object *o = NULL;
        assert_int_equal(kn_nic_netdev_add_args(&s, &o, NULL), 0);
        assert_json(o, "{\"type\":\"tap\",\"id\":\"hostnet1\",\"fd\":\"tap0\",\"vhost\":true,"
                       "\"vhostfd\":\"vhost0\"}");
        json_object_put(o);
        /* No mac, bus or addr: QEMU picks them; one queue: no mq. */
        assert_int_equal(kn_nic_device_add_args(&s, &o, NULL), 0);
        assert_json(o, "{\"driver\":\"virtio-net-pci\",\"netdev\":\"hostnet1\",\"id\":\"net1\"}");
        json_object_put(o);
}

static void test_multiqueue_vhost(void **state) {
        const char *fds[] = {"t0", "t1", "t2", "t3"}, *vfds[] = {"v0", "v1", "v2", "v3"};
        kn_nic_spec s = {.netdev_id = "hostnet2",
                         .device_id = "net2",
                         .queues = 4,
                         .fd_names = fds,
                         .vhost_fd_names = vfds,
                         .mac = guest_mac,
                         .has_addr = true,
                         .slot = 0x1f,
                         .function = 3};
        json_object *o = NULL;
        assert_int_equal(kn_nic_netdev_add_args(&s, &o, NULL), 0);
        assert_json(o, "{\"type\":\"tap\",\"id\":\"hostnet2\",\"fds\":\"t0:t1:t2:t3\","
                       "\"vhost\":true,\"vhostfds\":\"v0:v1:v2:v3\"}");
        json_object_put(o);
        assert_int_equal(kn_nic_device_add_args(&s, &o, NULL), 0);
        assert_json(o, "{\"driver\":\"virtio-net-pci\",\"netdev\":\"hostnet2\",\"id\":\"net2\","
                       "\"mac\":\"52:54:00:12:34:56\",\"addr\":\"0x1f.0x3\",\"mq\":true,"
                       "\"vectors\":10}");
        json_object_put(o);
}

static void test_multiqueue_no_vhost(void **state) {
        const char *fds[] = {"a", "b"};
        kn_nic_spec s = {.netdev_id = "n", .device_id = "d", .queues = 2, .fd_names = fds};
        json_object *o = NULL;
        assert_int_equal(kn_nic_netdev_add_args(&s, &o, NULL), 0);
        assert_json(o, "{\"type\":\"tap\",\"id\":\"n\",\"fds\":\"a:b\"}");
        json_object_put(o);
        assert_int_equal(kn_nic_device_add_args(&s, &o, NULL), 0);
        assert_json(o, "{\"driver\":\"virtio-net-pci\",\"netdev\":\"n\",\"id\":\"d\",\"mq\":true,"
                       "\"vectors\":6}");
        json_object_put(o);
}

static void test_other_model(void **state) {
        const char *fds[] = {"a"};
        kn_nic_spec s = {
                .netdev_id = "n", .device_id = "d", .queues = 1, .fd_names = fds, .model = "e1000"};
        json_object *o = NULL;
        assert_int_equal(kn_nic_device_add_args(&s, &o, NULL), 0);
        assert_json(o, "{\"driver\":\"e1000\",\"netdev\":\"n\",\"id\":\"d\"}");
        json_object_put(o);
        assert_string_equal(kn_nic_model_driver(NULL), "virtio-net-pci");
        assert_string_equal(kn_nic_model_driver("virtio"), "virtio-net-pci");
        assert_string_equal(kn_nic_model_driver("rtl8139"), "rtl8139");
}

static void expect_invalid(const kn_nic_spec *s, const char *needle) {
        kn_error err = {0};
        json_object *o = NULL;
        assert_int_equal(kn_nic_netdev_add_args(s, &o, &err), -EINVAL);
        assert_null(o);
        if (!strstr(err.message, needle))
                fail_msg("error '%s' does not mention '%s'", err.message, needle);
        kn_error_clear(&err);
        assert_int_equal(kn_nic_device_add_args(s, &o, &err), -EINVAL);
        assert_null(o);
}

static void test_invalid(void **state) {
        const char *fds[] = {"a", "b"}, *digit[] = {"0fd"}, *colon[] = {"a:b"}, *empty[] = {""};
        const uint8_t mcast[6] = {0x01, 0, 0x5e, 0, 0, 1};
        kn_nic_spec base = {.netdev_id = "n", .device_id = "d", .queues = 1, .fd_names = fds};
        kn_nic_spec s;

        s = base, s.netdev_id = "";
        expect_invalid(&s, "netdev id is empty");
        s = base, s.device_id = "1net";
        expect_invalid(&s, "'1net' must start with a letter");
        s = base, s.device_id = "net/0";
        expect_invalid(&s, "contains '/'");
        s = base, s.queues = 0;
        expect_invalid(&s, "queues 0 out of range");
        s = base, s.queues = 257;
        expect_invalid(&s, "queues 257");
        s = base, s.fd_names = NULL;
        expect_invalid(&s, "tap fd names missing");
        s = base, s.fd_names = digit;
        expect_invalid(&s, "starts with a digit");
        s = base, s.fd_names = colon;
        expect_invalid(&s, "contains ':'");
        s = base, s.vhost_fd_names = empty;
        expect_invalid(&s, "vhost fd names[0] is empty");
        s = base, s.queues = 2, s.model = "e1000";
        expect_invalid(&s, "2 queues need model virtio, not e1000");
        s = base, s.vhost_fd_names = fds, s.model = "e1000";
        expect_invalid(&s, "vhost-net needs model virtio");
        s = base, s.mac = mcast;
        expect_invalid(&s, "01:00:5e:00:00:01 is a multicast");
        s = base, s.has_addr = true, s.slot = 32;
        expect_invalid(&s, "slot 32");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_single_queue),     cmocka_unit_test(test_single_queue_vhost),
                cmocka_unit_test(test_multiqueue_vhost), cmocka_unit_test(test_multiqueue_no_vhost),
                cmocka_unit_test(test_other_model),      cmocka_unit_test(test_invalid),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
