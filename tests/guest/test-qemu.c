/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The QMP client, taps and NIC arguments against a real
 * qemu-system-x86_64: a paused (-S) TCG machine without a guest, started
 * here and killed by pid at the end of every test.
 *
 * What a machine without a guest OS can and can't do (QEMU 7.2, pc and
 * q35 with a pcie-root-port alike):
 *  - device_add hot-plugs at once (a paused machine is still a running
 *    board for qdev), getfd/netdev_add/closefd all work;
 *  - device_del only *requests* removal: ACPI / PCIe hot-unplug waits for
 *    the guest to eject the device, so no DEVICE_DELETED comes, paused or
 *    running (firmware alone never ejects), and a second device_del is
 *    refused while the first is pending;
 *  - system_reset completes a pending removal: the device goes, with
 *    DEVICE_DELETED for …/net0/virtio-backend first, then for net0;
 *  - query-pci lists devices behind a q35 root port only once firmware
 *    numbered its bus; on a machine that never ran it does not, so
 *    presence is checked with qom-list /machine/peripheral;
 *  - netdev_del while the device is still there (removal pending or not)
 *    closes the tap anyway: QEMU cleans the backend up and keeps only a
 *    stub for the NIC, so the tap vanishes before the guest let go. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "guest-test.h"
#include "guest/netdev-args.h"
#include "kvmnet/tap.h"

#define CMD_TIMEOUT 10000

static void assert_contains(const char *hay, const char *needle) {
        if (!strstr(hay, needle))
                fail_msg("'%s' does not contain '%s'", hay, needle);
}

static void run_ok(kn_qmp *q, const char *cmd, json_object *args, json_object **ret) {
        kn_error err = {0};
        if (kn_qmp_execute(q, cmd, args, ret, CMD_TIMEOUT, &err) < 0)
                fail_msg("%s", err.message);
}

/* args from a JSON literal */
static json_object *J(const char *s) {
        json_object *o = json_tokener_parse(s);
        assert_non_null(o);
        return o;
}

static void run_json(kn_qmp *q, const char *cmd, const char *args, json_object **ret) {
        json_object *a = args ? J(args) : NULL;
        run_ok(q, cmd, a, ret);
        json_object_put(a);
}

/* Slot of the device with qdev id among devs and the buses behind their
 * bridges (a q35 root port's device sits in its "pci_bridge"). */
static int find_slot(json_object *devs, const char *id) {
        if (!json_object_is_type(devs, json_type_array))
                return -1;
        for (size_t i = 0; i < json_object_array_length(devs); i++) {
                json_object *d = json_object_array_get_idx(devs, i), *br;
                if (streq(json_object_get_string(json_object_object_get(d, "qdev_id")), id))
                        return json_object_get_int(json_object_object_get(d, "slot"));
                if (json_object_object_get_ex(d, "pci_bridge", &br)) {
                        int slot = find_slot(json_object_object_get(br, "devices"), id);
                        if (slot >= 0)
                                return slot;
                }
        }
        return -1;
}

/* Slot of the PCI device with qdev id, -1 if absent. */
static int pci_slot(kn_qmp *q, const char *id) {
        json_object *ret = NULL;
        run_ok(q, "query-pci", NULL, &ret);
        int slot = -1;
        for (size_t b = 0; b < json_object_array_length(ret) && slot < 0; b++)
                slot = find_slot(
                        json_object_object_get(json_object_array_get_idx(ret, b), "devices"), id);
        json_object_put(ret);
        return slot;
}

/* Type of /machine/peripheral/ID as qom-list shows it, NULL if absent. */
static char *peripheral_type(kn_qmp *q, const char *id) {
        json_object *ret = NULL;
        run_json(q, "qom-list", "{\"path\": \"/machine/peripheral\"}", &ret);
        char *type = NULL;
        for (size_t i = 0; i < json_object_array_length(ret); i++) {
                json_object *p = json_object_array_get_idx(ret, i);
                if (streq(json_object_get_string(json_object_object_get(p, "name")), id))
                        type = kn_xstrdup(
                                json_object_get_string(json_object_object_get(p, "type")));
        }
        json_object_put(ret);
        return type;
}

static void tap_assert_gone(const char *name) {
        assert_int_equal(if_nametoindex(name), 0);
        assert_int_not_equal(test_run("ip link show dev %s >/dev/null 2>&1", name), 0);
}

/* netdev_add + device_add of fds passed as fd-NETDEV-I. */
static void plug_add(kn_qmp *q, const char *netdev, const char *device, unsigned queues,
                     const char *bus, int slot) {
        char names[8][32];
        const char *fd_names[8];
        assert_true(queues <= 8);
        for (unsigned i = 0; i < queues; i++) {
                snprintf(names[i], sizeof names[i], "fd-%s-%u", netdev, i);
                fd_names[i] = names[i];
        }
        const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x00, 0x00, (uint8_t) slot};
        kn_nic_spec s = {.netdev_id = netdev,
                         .device_id = device,
                         .queues = queues,
                         .fd_names = fd_names,
                         .mac = mac,
                         .bus = bus,
                         .has_addr = slot >= 0,
                         .slot = slot >= 0 ? (unsigned) slot : 0};
        json_object *args = NULL;
        assert_int_equal(kn_nic_netdev_add_args(&s, &args, NULL), 0);
        run_ok(q, "netdev_add", args, NULL);
        json_object_put(args);
        assert_int_equal(kn_nic_device_add_args(&s, &args, NULL), 0);
        run_ok(q, "device_add", args, NULL);
        json_object_put(args);
}

/* getfd for each queue, netdev_add, device_add: what the attach will do. */
static void plug(kn_qmp *q, const char *netdev, const char *device, const int *fds, unsigned queues,
                 const char *bus, int slot) {
        kn_error err = {0};
        for (unsigned i = 0; i < queues; i++) {
                char name[32];
                snprintf(name, sizeof name, "fd-%s-%u", netdev, i);
                if (kn_qmp_getfd(q, name, fds[i], &err) < 0)
                        fail_msg("%s", err.message);
        }
        plug_add(q, netdev, device, queues, bus, slot);
}

static void test_handshake(void **state) {
        test_qemu *t = test_qemu_start("pc", NULL, NULL);
        assert_int_equal(kn_qmp_get_state(t->q), KN_QMP_READY);
        unsigned major;
        assert_int_equal(kn_qmp_qemu_version(t->q, &major, NULL, NULL), 0);
        assert_true(major >= 2);
        json_object *ret = NULL;
        run_ok(t->q, "query-status", NULL, &ret);
        assert_string_equal(json_object_get_string(json_object_object_get(ret, "status")),
                            "prelaunch");
        json_object_put(ret);
        test_qemu_stop(t);
}

static void test_hotplug_unplug(void **state) {
        test_qemu *t = test_qemu_start("pc", NULL, NULL);
        int fd;
        char tap[IFNAMSIZ];
        kn_error err = {0};
        assert_int_equal(kn_tap_create(NULL, 1, true, &fd, tap, &err), 0);
        const uint8_t guest_mac[6] = {0x52, 0x54, 0x00, 0, 0, 5};
        uint8_t host_mac[6];
        kn_tap_host_mac(guest_mac, host_mac);
        assert_int_equal(kn_tap_set_mac(tap, host_mac, &err), 0);
        assert_int_equal(kn_tap_set_mtu(tap, 1400, &err), 0);

        int n0 = test_count_fds(t->pid);
        assert_int_equal(kn_qmp_getfd(t->q, "fd-hostnet0-0", fd, &err), 0);
        assert_int_equal(test_count_fds(t->pid), n0 + 1);
        plug_add(t->q, "hostnet0", "net0", 1, "pci.0", 5);
        /* netdev_add uses the passed fd itself; the NIC opens nothing. */
        assert_int_equal(test_count_fds(t->pid), n0 + 1);
        assert_int_equal(pci_slot(t->q, "net0"), 5);
        char *type = peripheral_type(t->q, "net0");
        assert_string_equal(type, "child<virtio-net-pci>");
        free(type);

        /* QEMU's copy keeps the tap alive without ours. */
        close(fd);
        assert_true(if_nametoindex(tap) > 0);

        /* No guest to eject it: removal stays pending, paused or not. */
        run_json(t->q, "device_del", "{\"id\": \"net0\"}", NULL);
        assert_int_equal(kn_qmp_wait_event(t->q, "DEVICE_DELETED", kn_qmp_match_device_deleted,
                                           (void *) "net0", 500, NULL, NULL, &err),
                         -ETIMEDOUT);
        assert_int_equal(pci_slot(t->q, "net0"), 5);
        kn_error_clear(&err);
        json_object *a = J("{\"id\": \"net0\"}");
        assert_true(kn_qmp_execute(t->q, "device_del", a, NULL, CMD_TIMEOUT, &err) < 0);
        json_object_put(a);
        printf("# second device_del while pending: %s\n", err.message);
        assert_contains(err.message, "QEMU rejected device_del: ");

        /* A reset completes it, as a guest's eject would. */
        int64_t t0 = test_now_us();
        run_ok(t->q, "system_reset", NULL, NULL);
        json_object *data = NULL;
        kn_error_clear(&err);
        if (kn_qmp_wait_event(t->q, "DEVICE_DELETED", kn_qmp_match_device_deleted, (void *) "net0",
                              5000, &data, NULL, &err) < 0)
                fail_msg("%s", err.message);
        printf("# DEVICE_DELETED %.1f ms after system_reset\n", (test_now_us() - t0) / 1000.0);
        assert_string_equal(json_object_get_string(json_object_object_get(data, "path")),
                            "/machine/peripheral/net0");
        json_object_put(data);
        /* The backend's own event came first and was set aside, not taken. */
        assert_int_equal(
                kn_qmp_wait_event(t->q, "DEVICE_DELETED", NULL, NULL, 0, &data, NULL, NULL), 0);
        assert_string_equal(json_object_get_string(json_object_object_get(data, "path")),
                            "/machine/peripheral/net0/virtio-backend");
        assert_null(json_object_object_get(data, "device"));
        json_object_put(data);
        assert_int_equal(pci_slot(t->q, "net0"), -1);
        assert_null(peripheral_type(t->q, "net0"));

        /* The netdev still holds the tap; netdev_del closes QEMU's fd. */
        assert_true(if_nametoindex(tap) > 0);
        run_json(t->q, "netdev_del", "{\"id\": \"hostnet0\"}", NULL);
        tap_assert_gone(tap);
        assert_int_equal(test_count_fds(t->pid), n0);
        test_qemu_stop(t);
}

static void test_netdev_del_while_attached(void **state) {
        test_qemu *t = test_qemu_start("pc", NULL, NULL);
        int fd;
        char tap[IFNAMSIZ];
        assert_int_equal(kn_tap_create(NULL, 1, true, &fd, tap, NULL), 0);
        plug(t->q, "hostnet0", "net0", &fd, 1, NULL, -1);
        close(fd);
        run_json(t->q, "device_del", "{\"id\": \"net0\"}", NULL);
        run_json(t->q, "netdev_del", "{\"id\": \"hostnet0\"}", NULL);
        /* The tap is gone although the NIC is still in the guest. */
        tap_assert_gone(tap);
        assert_true(pci_slot(t->q, "net0") >= 0);
        test_qemu_stop(t);
}

static void test_q35_root_port(void **state) {
        test_qemu *t =
                test_qemu_start("q35", "-device", "pcie-root-port,id=rp1,bus=pcie.0,chassis=1");
        int fd;
        char tap[IFNAMSIZ];
        assert_int_equal(kn_tap_create(NULL, 1, true, &fd, tap, NULL), 0);
        plug(t->q, "hostnet0", "net0", &fd, 1, "rp1", 0);
        close(fd);
        /* Firmware never numbered the root port's bus (-S), so query-pci
         * can't see behind it; qom-list can. */
        assert_int_equal(pci_slot(t->q, "net0"), -1);
        char *type = peripheral_type(t->q, "net0");
        assert_string_equal(type, "child<virtio-net-pci>");
        free(type);
        run_json(t->q, "device_del", "{\"id\": \"net0\"}", NULL);
        assert_int_equal(kn_qmp_wait_event(t->q, "DEVICE_DELETED", kn_qmp_match_device_deleted,
                                           (void *) "net0", 300, NULL, NULL, NULL),
                         -ETIMEDOUT);
        run_ok(t->q, "system_reset", NULL, NULL);
        assert_int_equal(kn_qmp_wait_event(t->q, "DEVICE_DELETED", kn_qmp_match_device_deleted,
                                           (void *) "net0", 5000, NULL, NULL, NULL),
                         0);
        assert_null(peripheral_type(t->q, "net0"));
        run_json(t->q, "netdev_del", "{\"id\": \"hostnet0\"}", NULL);
        tap_assert_gone(tap);
        test_qemu_stop(t);
}

static void test_multiqueue(void **state) {
        test_qemu *t = test_qemu_start("pc", NULL, NULL);
        int fds[4];
        char tap[IFNAMSIZ];
        assert_int_equal(kn_tap_create(NULL, 4, true, fds, tap, NULL), 0);
        int n0 = test_count_fds(t->pid);
        plug(t->q, "hostnet0", "net0", fds, 4, "pci.0", 6);
        assert_int_equal(test_count_fds(t->pid), n0 + 4);
        kn_tap_close(fds, 4);
        assert_true(if_nametoindex(tap) > 0);

        json_object *ret = NULL;
        run_json(t->q, "qom-get", "{\"path\": \"/machine/peripheral/net0\", \"property\": \"mq\"}",
                 &ret);
        assert_true(json_object_get_boolean(ret));
        json_object_put(ret);
        run_json(t->q, "qom-get",
                 "{\"path\": \"/machine/peripheral/net0\", \"property\": \"vectors\"}", &ret);
        assert_int_equal(json_object_get_int(ret), 10);
        json_object_put(ret);

        /* closefd: the undo of a getfd whose netdev_add never happened. */
        int spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
        kn_error err = {0};
        assert_int_equal(kn_qmp_getfd(t->q, "spare", spare, &err), 0);
        assert_int_equal(test_count_fds(t->pid), n0 + 5);
        assert_int_equal(kn_qmp_closefd(t->q, "spare", &err), 0);
        assert_int_equal(test_count_fds(t->pid), n0 + 4);
        assert_int_equal(kn_qmp_closefd(t->q, "spare", &err), -EREMOTEIO);
        assert_contains(err.message, "QEMU rejected closefd: ");
        close(spare);

        run_json(t->q, "device_del", "{\"id\": \"net0\"}", NULL);
        run_ok(t->q, "system_reset", NULL, NULL);
        assert_int_equal(kn_qmp_wait_event(t->q, "DEVICE_DELETED", kn_qmp_match_device_deleted,
                                           (void *) "net0", 5000, NULL, NULL, NULL),
                         0);
        run_json(t->q, "netdev_del", "{\"id\": \"hostnet0\"}", NULL);
        tap_assert_gone(tap);
        assert_int_equal(test_count_fds(t->pid), n0);
        test_qemu_stop(t);
}

static void test_error_replies(void **state) {
        test_qemu *t = test_qemu_start("pc", NULL, NULL);
        kn_error err = {0};
        json_object *a = J("{\"driver\": \"virtio-net-pci\", \"netdev\": \"nope\", \"id\": \"n\"}");
        assert_int_equal(kn_qmp_execute(t->q, "device_add", a, NULL, CMD_TIMEOUT, &err),
                         -EREMOTEIO);
        json_object_put(a);
        printf("# %s\n", err.message);
        assert_contains(err.message, "QEMU rejected device_add: ");
        assert_contains(err.message, "'nope'");

        kn_error_clear(&err);
        a = J("{\"type\": \"tap\", \"id\": \"hostnet0\", \"fd\": \"never-passed\"}");
        assert_true(kn_qmp_execute(t->q, "netdev_add", a, NULL, CMD_TIMEOUT, &err) < 0);
        json_object_put(a);
        printf("# %s\n", err.message);
        assert_contains(err.message, "QEMU rejected netdev_add: ");
        assert_contains(err.message, "never-passed");

        kn_error_clear(&err);
        assert_int_equal(kn_qmp_execute(t->q, "no-such-command", NULL, NULL, CMD_TIMEOUT, &err),
                         -EOPNOTSUPP);
        assert_contains(err.message, "QEMU rejected no-such-command: ");

        kn_error_clear(&err);
        assert_true(kn_qmp_getfd(t->q, "0bad", STDIN_FILENO, &err) < 0);
        printf("# %s\n", err.message);
        assert_contains(err.message, "QEMU rejected getfd: ");
        /* still usable */
        run_ok(t->q, "query-status", NULL, NULL);
        test_qemu_stop(t);
}

static void test_killed_mid_command(void **state) {
        test_qemu *t = test_qemu_start("pc", NULL, NULL);
        /* Stopped, QEMU can't answer; killed 200 ms later while we wait. */
        assert_int_equal(kill(t->pid, SIGSTOP), 0);
        fflush(NULL);
        pid_t killer = fork();
        assert_true(killer >= 0);
        if (killer == 0) {
                usleep(200000);
                kill(t->pid, SIGKILL);
                _exit(0);
        }
        json_object *a = J("{\"type\": \"user\", \"id\": \"hostnet0\"}");
        kn_error err = {0};
        int64_t t0 = test_now_us();
        int r = kn_qmp_execute(t->q, "netdev_add", a, NULL, 30000, &err);
        int64_t dt = test_now_us() - t0;
        json_object_put(a);
        waitpid(killer, NULL, 0);
        assert_int_equal(r, -ECONNRESET);
        char *want = kn_xasprintf("QEMU closed the monitor during netdev_add (%s)", t->sock);
        assert_string_equal(err.message, want);
        free(want);
        printf("# error %.1f ms after the command (QEMU killed at 200 ms)\n", dt / 1000.0);
        assert_true(dt < 2000000);
        kn_error_clear(&err);
        assert_int_equal(kn_qmp_execute(t->q, "query-status", NULL, NULL, 1000, &err), -ECONNRESET);
        assert_contains(err.message, "cannot send query-status: QEMU closed the monitor");
        test_qemu_stop(t);
}

static void test_stopped_timeout(void **state) {
        test_qemu *t = test_qemu_start("pc", NULL, NULL);
        assert_int_equal(kill(t->pid, SIGSTOP), 0);
        kn_error err = {0};
        int64_t t0 = test_now_us();
        assert_int_equal(kn_qmp_execute(t->q, "query-status", NULL, NULL, 300, &err), -ETIMEDOUT);
        assert_true(test_now_us() - t0 < 1000000);
        assert_string_equal(err.message, "QEMU did not answer query-status within 300 ms");
        assert_int_equal(kill(t->pid, SIGCONT), 0);
        json_object *ret = NULL;
        run_ok(t->q, "query-name", NULL, &ret);
        assert_null(json_object_object_get(ret, "status")); /* not query-status's late reply */
        json_object_put(ret);
        test_qemu_stop(t);
}

/* ---- figures: getfd + netdev_add + device_add, client vs raw ---- */

static int raw_roundtrip(int fd, const char *line, int pass_fd, char *buf, size_t size) {
        struct iovec iov = {(void *) line, strlen(line)};
        union {
                char b[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } control;
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
        if (pass_fd >= 0) {
                memset(&control, 0, sizeof control);
                mh.msg_control = control.b;
                mh.msg_controllen = sizeof control.b;
                struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
        }
        if (sendmsg(fd, &mh, MSG_NOSIGNAL) != (ssize_t) iov.iov_len)
                return -1;
        size_t n = 0;
        while (!memchr(buf, '\n', n)) {
                ssize_t k = read(fd, buf + n, size - n - 1);
                if (k <= 0)
                        return -1;
                n += (size_t) k;
        }
        buf[n] = '\0';
        return strstr(buf, "\"return\"") ? 0 : -1;
}

static int cmp_i64(const void *a, const void *b) {
        int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
        return x < y ? -1 : x > y;
}

#define BENCH_N 12

static void report(const char *what, int64_t *us) {
        qsort(us, BENCH_N, sizeof *us, cmp_i64);
        int64_t sum = 0;
        for (int i = 0; i < BENCH_N; i++)
                sum += us[i];
        printf("# %-6s getfd+netdev_add+device_add: median %.2f ms, mean %.2f ms, min %.2f ms, "
               "max %.2f ms (n=%d)\n",
               what, us[BENCH_N / 2] / 1000.0, sum / 1000.0 / BENCH_N, us[0] / 1000.0,
               us[BENCH_N - 1] / 1000.0, BENCH_N);
}

static void test_bench(void **state) {
        int64_t client[BENCH_N], raw[BENCH_N];

        test_qemu *t = test_qemu_start("pc", NULL, NULL);
        for (int i = 0; i < BENCH_N; i++) {
                int fd;
                assert_int_equal(kn_tap_create(NULL, 1, true, &fd, NULL, NULL), 0);
                char netdev[16], dev[16];
                snprintf(netdev, sizeof netdev, "hostnet%d", i);
                snprintf(dev, sizeof dev, "net%d", i);
                int64_t t0 = test_now_us();
                plug(t->q, netdev, dev, &fd, 1, "pci.0", 3 + i);
                client[i] = test_now_us() - t0;
                close(fd);
        }
        test_qemu_stop(t);

        /* The same sequence written out by hand on a bare socket. */
        t = test_qemu_start("pc", NULL, NULL);
        t->q = kn_qmp_free(t->q); /* frees the monitor for a second client */
        int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", t->sock);
        int64_t until = test_now_us() + 5000000;
        while (connect(s, (struct sockaddr *) &sa, sizeof sa) < 0 && test_now_us() < until)
                usleep(1000);
        char buf[8192];
        ssize_t k = read(s, buf, sizeof buf - 1); /* greeting */
        assert_true(k > 0);
        assert_int_equal(
                raw_roundtrip(s, "{\"execute\":\"qmp_capabilities\"}\n", -1, buf, sizeof buf), 0);
        for (int i = 0; i < BENCH_N; i++) {
                int fd;
                assert_int_equal(kn_tap_create(NULL, 1, true, &fd, NULL, NULL), 0);
                char l1[128], l2[160], l3[256];
                snprintf(l1, sizeof l1,
                         "{\"execute\":\"getfd\",\"arguments\":{\"fdname\":\"fd%d\"}}\n", i);
                snprintf(l2, sizeof l2,
                         "{\"execute\":\"netdev_add\",\"arguments\":{\"type\":\"tap\","
                         "\"id\":\"hostnet%d\",\"fd\":\"fd%d\"}}\n",
                         i, i);
                snprintf(l3, sizeof l3,
                         "{\"execute\":\"device_add\",\"arguments\":{\"driver\":"
                         "\"virtio-net-pci\",\"netdev\":\"hostnet%d\",\"id\":\"net%d\","
                         "\"mac\":\"52:54:00:00:00:%02x\",\"bus\":\"pci.0\",\"addr\":\"0x%x\"}}\n",
                         i, i, 3 + i, 3 + i);
                int64_t t0 = test_now_us();
                assert_int_equal(raw_roundtrip(s, l1, fd, buf, sizeof buf), 0);
                assert_int_equal(raw_roundtrip(s, l2, -1, buf, sizeof buf), 0);
                assert_int_equal(raw_roundtrip(s, l3, -1, buf, sizeof buf), 0);
                raw[i] = test_now_us() - t0;
                close(fd);
        }
        close(s);
        test_qemu_stop(t);
        report("client", client);
        report("raw", raw);
}

int main(void) {
        test_qemu_skip_if_missing();
        test_enter_netns_or_skip();
        signal(SIGPIPE, SIG_IGN);
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_teardown(test_handshake, test_qemu_teardown),
                cmocka_unit_test_teardown(test_hotplug_unplug, test_qemu_teardown),
                cmocka_unit_test_teardown(test_netdev_del_while_attached, test_qemu_teardown),
                cmocka_unit_test_teardown(test_q35_root_port, test_qemu_teardown),
                cmocka_unit_test_teardown(test_multiqueue, test_qemu_teardown),
                cmocka_unit_test_teardown(test_error_replies, test_qemu_teardown),
                cmocka_unit_test_teardown(test_killed_mid_command, test_qemu_teardown),
                cmocka_unit_test_teardown(test_stopped_timeout, test_qemu_teardown),
                cmocka_unit_test_teardown(test_bench, test_qemu_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
