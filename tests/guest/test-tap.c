/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Taps and vhost-net fds, in a private network namespace. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <linux/if_tun.h>
#include <sys/ioctl.h>

#include "guest-test.h"
#include "kvmnet/tap.h"

static char *capture(const char *fmt, ...) _printf_(1, 2);
static char *capture(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        char *cmd;
        if (vasprintf(&cmd, fmt, ap) < 0)
                abort();
        va_end(ap);
        fflush(NULL);
        FILE *f = popen(cmd, "re");
        free(cmd);
        char *buf = NULL;
        size_t n = 0;
        FILE *m = open_memstream(&buf, &n);
        int c;
        while ((c = fgetc(f)) != EOF)
                fputc(c, m);
        pclose(f);
        fclose(m);
        return buf;
}

static void assert_contains(const char *hay, const char *needle) {
        if (!strstr(hay, needle))
                fail_msg("'%s' does not contain '%s'", hay, needle);
}

static int tun_flags(int fd) {
        struct ifreq ifr = {0};
        assert_int_equal(ioctl(fd, TUNGETIFF, &ifr), 0);
        return ifr.ifr_flags;
}

/* A given name is checked (kvmnet/name.h) before anything is created. */
static void test_check_name(void **state) {
        kn_error err = {0};
        int fd = -1;
        assert_int_equal(kn_tap_create("guest-web-frontend0", 1, true, &fd, NULL, &err), -EINVAL);
        assert_contains(err.message, "'guest-web-frontend0' is 19 characters long");
        assert_int_equal(fd, -1);
        assert_int_equal(if_nametoindex("guest-web-front"), 0);
}

static void test_create_allocated(void **state) {
        int fd;
        char name[IFNAMSIZ];
        kn_error err = {0};
        assert_int_equal(kn_tap_create(NULL, 1, true, &fd, name, &err), 0);
        assert_true(strncmp(name, KN_TAP_PREFIX, strlen(KN_TAP_PREFIX)) == 0);
        assert_true(if_nametoindex(name) > 0);
        int fl = tun_flags(fd);
        assert_int_equal(fl & (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE | IFF_PERSIST),
                         IFF_TAP | IFF_NO_PI | IFF_VNET_HDR);
        assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);

        /* The next numbers are taken by someone else: the allocator skips
         * them instead of reusing or attaching. */
        unsigned k = (unsigned) strtoul(name + strlen(KN_TAP_PREFIX), NULL, 10);
        assert_int_equal(test_run("ip tuntap add dev " KN_TAP_PREFIX "%u mode tap", k + 1), 0);
        assert_int_equal(
                test_run("ip tuntap add dev " KN_TAP_PREFIX "%u mode tap multi_queue", k + 2), 0);
        int fd2;
        char name2[IFNAMSIZ];
        assert_int_equal(kn_tap_create("", 1, false, &fd2, name2, &err), 0);
        char want[IFNAMSIZ];
        snprintf(want, sizeof want, KN_TAP_PREFIX "%u", k + 3);
        assert_string_equal(name2, want);
        assert_int_equal(tun_flags(fd2) & IFF_VNET_HDR, 0);

        /* Not persistent: the tap goes with its fd. */
        close(fd);
        close(fd2);
        assert_int_equal(if_nametoindex(name), 0);
        assert_int_equal(if_nametoindex(name2), 0);
        assert_int_not_equal(test_run("ip link show dev %s >/dev/null 2>&1", name), 0);
        test_run("ip tuntap del dev " KN_TAP_PREFIX "%u mode tap", k + 1);
        test_run("ip tuntap del dev " KN_TAP_PREFIX "%u mode tap multi_queue", k + 2);
}

static void test_create_named(void **state) {
        int fd, fd2 = -1;
        char name[IFNAMSIZ];
        kn_error err = {0};
        assert_int_equal(kn_tap_create("kvtest0", 1, true, &fd, name, &err), 0);
        assert_string_equal(name, "kvtest0");
        assert_int_equal(kn_tap_create("kvtest0", 1, true, &fd2, NULL, &err), -EEXIST);
        assert_string_equal(err.message, "tap kvtest0: an interface of that name exists");
        assert_int_equal(fd2, -1);
        /* Someone else's multiqueue tap is never joined. */
        assert_int_equal(test_run("ip tuntap add dev kvtest1 mode tap multi_queue"), 0);
        int fds[2] = {-1, -1};
        kn_error_clear(&err);
        assert_int_equal(kn_tap_create("kvtest1", 2, true, fds, NULL, &err), -EEXIST);
        assert_true(fds[0] == -1 && fds[1] == -1);
        test_run("ip tuntap del dev kvtest1 mode tap multi_queue");
        close(fd);
        assert_int_equal(if_nametoindex("kvtest0"), 0);
}

static void test_multiqueue(void **state) {
        int fds[4];
        char name[IFNAMSIZ];
        assert_int_equal(kn_tap_create(NULL, 4, true, fds, name, NULL), 0);
        for (int i = 0; i < 4; i++) {
                assert_true(fds[i] >= 0);
                assert_int_equal(tun_flags(fds[i]) & (IFF_MULTI_QUEUE | IFF_VNET_HDR),
                                 IFF_MULTI_QUEUE | IFF_VNET_HDR);
        }
        char *out = capture("ip -d link show dev %s", name);
        assert_contains(out, "multi_queue");
        assert_contains(out, "numtxqueues");
        free(out);
        /* Each queue fd keeps the tap alive. */
        kn_tap_close(fds, 3);
        assert_true(fds[0] == -1 && fds[2] == -1);
        assert_true(if_nametoindex(name) > 0);
        kn_tap_close(fds + 3, 1);
        assert_int_equal(if_nametoindex(name), 0);

        kn_error err = {0};
        assert_int_equal(kn_tap_create(NULL, 0, true, fds, name, &err), -EINVAL);
        assert_string_equal(err.message, "tap queues 0 out of range 1..256");
}

static void test_mac_mtu_bridge(void **state) {
        int fd;
        char name[IFNAMSIZ];
        assert_int_equal(kn_tap_create(NULL, 1, true, &fd, name, NULL), 0);
        const uint8_t guest[6] = {0x52, 0x54, 0x00, 0xab, 0xcd, 0xef};
        uint8_t host[6];
        kn_tap_host_mac(guest, host);
        assert_memory_equal(host, ((uint8_t[]){0xfe, 0x54, 0x00, 0xab, 0xcd, 0xef}), 6);

        kn_error err = {0};
        assert_int_equal(test_run("ip link add kvtestbr0 type bridge"), 0);
        assert_int_equal(kn_tap_set_mac(name, host, &err), 0);
        assert_int_equal(kn_tap_set_mtu(name, 1400, &err), 0);
        assert_int_equal(kn_tap_set_bridge(name, "kvtestbr0", &err), 0);
        assert_int_equal(kn_tap_set_up(name, true, &err), 0);
        char *out = capture("ip -o link show dev %s", name);
        assert_contains(out, "mtu 1400");
        assert_contains(out, "master kvtestbr0");
        assert_contains(out, "link/ether fe:54:00:ab:cd:ef");
        assert_contains(out, "MULTICAST,UP");
        free(out);
        assert_int_equal(kn_tap_set_up(name, false, &err), 0);

        /* Errors name the tap and the value. */
        assert_int_equal(kn_tap_set_mtu(name, 20, &err), -EINVAL);
        char *want = kn_xasprintf("MTU 20 for tap %s out of range 68..65535", name);
        assert_string_equal(err.message, want);
        free(want);
        kn_error_clear(&err);
        assert_int_equal(kn_tap_set_mtu("kvnope", 1500, &err), -ENODEV);
        assert_string_equal(err.message, "setting MTU 1500 on tap kvnope: No such device");
        kn_error_clear(&err);
        const uint8_t mcast[6] = {0x01, 0, 0, 0, 0, 1};
        assert_true(kn_tap_set_mac(name, mcast, &err) < 0);
        assert_contains(err.message, "setting MAC 01:00:00:00:00:01 on tap kvn");
        kn_error_clear(&err);
        assert_int_equal(kn_tap_set_bridge(name, "kvnobr", &err), -ENODEV);
        assert_contains(err.message, "to bridge kvnobr");

        close(fd);
        assert_int_equal(if_nametoindex(name), 0);
        test_run("ip link del kvtestbr0");
}

static void test_vhost(void **state) {
        int fds[3] = {7, 7, 7};
        const char *reason = NULL;
        assert_int_equal(kn_vhost_open(3, false, fds, &reason, NULL), 0);
        assert_string_equal(reason, "not using KVM");
        assert_true(fds[0] == -1 && fds[1] == -1 && fds[2] == -1);

        assert_int_equal(kn_vhost_open_path("/nonexistent/vhost-net", 3, true, fds, &reason, NULL),
                         0);
        assert_string_equal(reason, "no /dev/vhost-net");
        assert_true(fds[0] == -1 && fds[2] == -1);

        /* Any openable node stands in for the open-per-queue path. */
        assert_int_equal(kn_vhost_open_path("/dev/null", 3, true, fds, &reason, NULL), 3);
        assert_null(reason);
        for (int i = 0; i < 3; i++)
                assert_true(fds[i] >= 0 && (fcntl(fds[i], F_GETFD) & FD_CLOEXEC));
        assert_true(fds[0] != fds[1] && fds[1] != fds[2]);
        kn_tap_close(fds, 3);

        /* This machine, whatever it has. */
        int r = kn_vhost_open(1, true, fds, &reason, NULL);
        if (access("/dev/vhost-net", F_OK) < 0) {
                assert_int_equal(r, 0);
                assert_string_equal(reason, "no /dev/vhost-net");
        } else if (r > 0)
                kn_tap_close(fds, 1);
}

int main(void) {
        test_enter_netns_or_skip();
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_check_name),     cmocka_unit_test(test_create_allocated),
                cmocka_unit_test(test_create_named),   cmocka_unit_test(test_multiqueue),
                cmocka_unit_test(test_mac_mtu_bridge), cmocka_unit_test(test_vhost),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
