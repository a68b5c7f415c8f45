/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The guest registry's hot-plug state machine against a scripted fake
 * QEMU: faults real QEMU won't produce on demand.  device_del answered
 * "busy" is retried with backoff (100, 200 ms...) and succeeds; a guest
 * that stays busy gets a clear error once the request's time is used up,
 * and the NIC stays attached; a NIC the guest ejects by itself is removed
 * (backend, tap) and reported.  Taps are made in a network namespace of
 * the test's own. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "guest-test.h"
#include "kvmnet/guest.h"
#include "kvmnet/live.h"

/* ---- the registry's loop ---- */

/* Dispatch until *flag or timeout_ms. */
static void loop_run(kn_loop *l, const bool *flag, int timeout_ms) {
        int64_t end = test_now_us() + (int64_t) timeout_ms * 1000;
        while (!*flag && test_now_us() < end)
                assert_true(kn_loop_iterate(l, 50) >= 0);
}

/* ---- what the registry tells ---- */

static char logbuf[65536];
static char events[8192];

static void on_log(const char *message, void *userdata) {
        size_t l = strlen(logbuf);
        snprintf(logbuf + l, sizeof logbuf - l, "%s\n", message);
}

/* One line per event: "action=A tap=T device=D source=S reason=R". */
static void on_event(const kn_gnic_event *ev, void *userdata) {
        size_t l = strlen(events);
        snprintf(events + l, sizeof events - l, "action=%s tap=%s device=%s source=%s reason=%s\n",
                 ev->action, ev->tap, ev->device, ev->source, ev->reason ? ev->reason : "");
}

typedef struct outcome {
        bool done;
        int r;
        kn_error err;
} outcome;

static void on_done(int r, const kn_error *err, void *userdata) {
        outcome *o = userdata;
        o->done = true;
        o->r = r;
        if (err)
                o->err = *err;
}

/* ---- the fake QEMU ---- */

/* How the peer answers device_del: "busy" this many times (-1: always),
 * then success followed by DEVICE_DELETED. */
static int busy_answers;
/* The guest ejects the NIC by itself right after device_add. */
static bool eject_after_attach;

static void peer_device_deleted(test_peer *p) {
        /* the backend child first (no "device"), then the device */
        peer_send(p, "{\"event\": \"DEVICE_DELETED\", \"data\": {\"path\": "
                     "\"/machine/peripheral/kn-net0/virtio-backend\"}, "
                     "\"timestamp\": {\"seconds\": 1, \"microseconds\": 0}}\r\n");
        peer_send(p, "{\"event\": \"DEVICE_DELETED\", \"data\": {\"device\": "
                     "\"kn-net0\", \"path\": \"/machine/peripheral/kn-net0\"}, "
                     "\"timestamp\": {\"seconds\": 1, \"microseconds\": 0}}\r\n");
}

static void peer_reply_ok(test_peer *p, int64_t id, const char *ret) {
        peer_send(p, "{\"return\": %s, \"id\": %" PRId64 "}\r\n", ret, id);
}

static void peer_fake_qemu(test_peer *p) {
        int64_t id;
        const char *c;
        int nfds, fd;
        unsigned busy = 0;
        int held[8], n_held = 0; /* the tap fds, as QEMU holds them until netdev_del */
        peer_handshake(p);
        while ((c = peer_read(p, &id, &nfds, &fd))) {
                if (fd >= 0 && n_held < 8)
                        held[n_held++] = fd;
                else if (fd >= 0)
                        close(fd);
                if (streq(c, "netdev_del"))
                        while (n_held > 0)
                                close(held[--n_held]);
                if (streq(c, "query-kvm"))
                        peer_reply_ok(p, id, "{\"enabled\": false, \"present\": false}");
                else if (streq(c, "qom-get"))
                        peer_reply_ok(p, id, "\"pc-i440fx-7.2-machine\"");
                else if (streq(c, "getfd"))
                        peer_reply_ok(p, id, nfds == 1 ? "{}" : "{\"nfds\": 0}");
                else if (streq(c, "device_del")) {
                        if (busy_answers < 0 || (int) busy < busy_answers) {
                                /* both wordings QEMU uses for it */
                                const char *desc = busy++ % 2 == 0
                                                           ? "Hot-unplug failed: guest is busy "
                                                             "(power indicator blinking)"
                                                           : "Device kn-net0: an unplug is in "
                                                             "progress, try again later";
                                peer_send(p,
                                          "{\"id\": %" PRId64 ", \"error\": {\"class\": "
                                          "\"GenericError\", \"desc\": \"%s\"}}\r\n",
                                          id, desc);
                                continue;
                        }
                        busy = 0;
                        peer_reply_ok(p, id, "{}");
                        peer_device_deleted(p);
                } else if (streq(c, "device_add") && eject_after_attach) {
                        peer_reply_ok(p, id, "{}");
                        usleep(100000);
                        peer_device_deleted(p);
                } else
                        peer_reply_ok(p, id, "{}");
        }
}

typedef struct fake {
        char *dir, *sock;
        pid_t pid;
        kn_loop *lp;
        kn_guest_registry *reg;
} fake;

/* A fake QEMU listening on a unix socket (its own pid behind it, as
 * guest-adopt checks), adopted as guest f1, with one NIC on br0. */
static void fake_start(fake *f) {
        f->dir = test_tmpdir();
        f->sock = kn_xasprintf("%s/f1.qmp", f->dir);
        fflush(NULL);
        f->pid = fork();
        assert_true(f->pid >= 0);
        if (f->pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                struct sockaddr_un sa = {.sun_family = AF_UNIX};
                snprintf(sa.sun_path, sizeof sa.sun_path, "%s", f->sock);
                if (s < 0 || bind(s, (struct sockaddr *) &sa, sizeof sa) < 0 || listen(s, 1) < 0)
                        _exit(20);
                test_peer p = {.fd = accept4(s, NULL, NULL, SOCK_CLOEXEC)};
                if (p.fd < 0)
                        _exit(21);
                peer_fake_qemu(&p);
                _exit(0);
        }
        for (int k = 0; k < 200 && access(f->sock, F_OK) < 0; k++)
                usleep(10000);
        assert_int_equal(kn_loop_new(&f->lp), 0);
        _cleanup_free_ char *run = kn_xasprintf("%s/run", f->dir);
        f->reg = kn_guest_registry_new(f->dir, run, NULL, f->lp);
        kn_guest_registry_set_logger(f->reg, on_log, NULL);
        kn_guest_registry_set_event_handler(f->reg, on_event, NULL);
        logbuf[0] = events[0] = '\0';

        kn_error err = {0};
        outcome o = {0};
        kn_guest_status st = {0};
        assert_int_equal(kn_guest_adopt(f->reg, "f1", f->sock, &st, on_done, &o, &err), 0);
        loop_run(f->lp, &o.done, 5000);
        assert_true(o.done);
        assert_int_equal(o.r, 0);
        assert_string_equal(st.name, "f1");
        assert_int_equal(st.pid, f->pid);
        assert_false(st.hotplug.q35); /* the fake says pc-i440fx */
        kn_guest_status_done(&st);

        kn_guest_nic nic = {.type = (char *) "bridge", .source = (char *) "br0", .queues = 1};
        assert_int_equal(kn_guest_mac_parse("52:54:00:fa:ce:01", nic.mac), 0);
        nic.has_mac = true;
        o = (outcome){0};
        kn_gnic_result res = {0};
        assert_int_equal(kn_guest_attach(f->reg, "f1", &nic, false, &res, on_done, &o, &err), 0);
        loop_run(f->lp, &o.done, 5000);
        assert_true(o.done);
        if (o.r < 0)
                fail_msg("attach: %s", o.err.message);
        assert_string_equal(res.guest, "f1");
        assert_string_equal(res.nic.state, "attached");
        assert_string_equal(res.nic.device, "kn-net0");
        assert_memory_equal(res.nic.mac, nic.mac, 6);
        kn_gnic_result_done(&res);
        assert_non_null(strstr(events, "action=attached tap=kvn"));
}

static void fake_stop(fake *f) {
        kn_guest_registry_free(f->reg); /* an adopted QEMU is left running */
        kill(f->pid, SIGKILL);
        test_peer_finish(f->pid);
        kn_loop_free(f->lp);
        test_rmtree(f->dir);
        free(f->dir);
        free(f->sock);
}

static int setup_netns(void **state) {
        test_enter_netns_or_skip();
        if (test_run("ip link add br0 type bridge && ip link set br0 up") != 0)
                test_skip("cannot create a bridge");
        return 0;
}

static int detach(fake *f, int timeout_ms, outcome *o, int64_t *ret_ms) {
        uint8_t mac[6];
        kn_error err = {0};
        kn_guest_mac_parse("52:54:00:fa:ce:01", mac);
        kn_gnic_result res = {0};
        int64_t t0 = test_now_us();
        int r = kn_guest_detach(f->reg, "f1", mac, false, timeout_ms, &res, on_done, o, &err);
        assert_int_equal(r, 0);
        loop_run(f->lp, &o->done, 15000);
        *ret_ms = (test_now_us() - t0) / 1000;
        assert_true(o->done);
        if (o->r >= 0)
                assert_string_equal(res.nic.device, "kn-net0");
        kn_gnic_result_done(&res);
        return o->r;
}

static int count(const char *hay, const char *needle) {
        int n = 0;
        for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
                n++;
        return n;
}

static void test_busy_then_ok(void **state) {
        fake f = {0};
        busy_answers = 2;
        fake_start(&f);
        outcome o = {0};
        int64_t ms;
        assert_int_equal(detach(&f, 5000, &o, &ms), 0);
        /* two waits: 100 ms, then 200 ms */
        assert_non_null(
                strstr(logbuf, "guest is busy (power indicator blinking); retrying in 100 ms"));
        assert_non_null(strstr(logbuf, "in progress, try again later; retrying in 200 ms"));
        assert_int_equal(count(logbuf, "retrying in"), 2);
        assert_true(ms >= 300 && ms < 2000);
        assert_non_null(strstr(logbuf, "kn-net0 detached"));
        assert_non_null(strstr(events, "action=removed tap=kvn"));
        /* the fake QEMU closed its tap fd at netdev_del: the tap is gone */
        assert_int_equal(test_run("ip link show type tun | grep -q kvn"), 1);
        printf("busy twice, then accepted: detached in %" PRId64 " ms\n", ms);
        fake_stop(&f);
}

static void test_busy_forever(void **state) {
        fake f = {0};
        busy_answers = -1;
        fake_start(&f);
        outcome o = {0};
        int64_t ms;
        /* 100 + 200 + 400 ms fit in 1000 ms, 800 more would not. */
        assert_int_equal(detach(&f, 1000, &o, &ms), -EBUSY);
        assert_int_equal(count(logbuf, "retrying in"), 3);
        if (!strstr(o.err.message,
                    "detach-interface f1: QEMU refused device_del kn-net0 4 times in "))
                fail_msg("%s", o.err.message);
        assert_non_null(strstr(o.err.message, "(last: 'Device kn-net0: an unplug is in "
                                              "progress, try again later'); the NIC stays "
                                              "attached: try again later"));
        assert_true(ms >= 700 && ms < 1000);
        assert_null(strstr(events, "action=removed"));
        /* Still attached, tap and all; a later detach goes through. */
        kn_gnic_info *nics = NULL;
        size_t n = 0;
        kn_guest_hotplug hp;
        kn_error err = {0};
        assert_int_equal(kn_guest_domiflist(f.reg, "f1", &nics, &n, &hp, &err), 0);
        assert_int_equal(n, 1);
        assert_string_equal(nics[0].state, "attached");
        kn_gnic_info_free_array(nics, n);
        assert_int_equal(test_run("ip link show type tun | grep -q kvn"), 0);
        printf("busy forever: '%s' after %" PRId64 " ms\n", o.err.message, ms);
        fake_stop(&f);
}

/* The guest ejects the NIC without being asked: kvmnet deletes the backend
 * (the tap goes) and says so. */
static void test_guest_ejects(void **state) {
        fake f = {0};
        eject_after_attach = true;
        fake_start(&f);
        eject_after_attach = false;
        bool never = false;
        for (int k = 0; k < 40 && !strstr(events, "action=removed"); k++)
                loop_run(f.lp, &never, 50);
        assert_non_null(strstr(events, " device=kn-net0 source=br0 reason=ejected by the guest\n"));
        assert_non_null(strstr(logbuf, "kn-net0 was ejected by the guest itself"));
        assert_int_equal(test_run("ip link show type tun | grep -q kvn"), 1);
        kn_gnic_info *nics = NULL;
        size_t n = 7;
        kn_guest_hotplug hp;
        kn_error err = {0};
        assert_int_equal(kn_guest_domiflist(f.reg, "f1", &nics, &n, &hp, &err), 0);
        assert_int_equal(n, 0);
        kn_gnic_info_free_array(nics, n);
        fake_stop(&f);
}

/* ---- the tap step through a runner ---- */

/* A runner that keeps the job until the test runs it, as kvmnetd's worker
 * keeps it while live changes queued before it run. */
static struct {
        kn_guest_work_fn work;
        kn_guest_work_done_fn done;
        void *data;
} held;

static int hold_runner(kn_guest_work_fn work, kn_guest_work_done_fn done, void *data,
                       void *userdata, kn_error *err) {
        assert_null(held.work);
        held.work = work;
        held.done = done;
        held.data = data;
        return 0;
}

static void run_held(void) {
        kn_error err = {0};
        kn_netns *ns = NULL;
        assert_non_null(held.work);
        assert_int_equal(kn_netns_open(NULL, &ns, &err), 0); /* the test's namespace */
        int r = held.work(ns, held.data, &err);
        kn_netns_free(ns);
        kn_guest_work_done_fn done = held.done;
        void *data = held.data;
        held.work = NULL;
        done(data, r, &err);
}

static kn_gnic_result attach_res;

static int attach_mac(fake *f, const char *mac, outcome *o) {
        kn_guest_nic nic = {.type = (char *) "bridge", .source = (char *) "br0", .queues = 1};
        assert_int_equal(kn_guest_mac_parse(mac, nic.mac), 0);
        nic.has_mac = true;
        kn_error err = {0};
        kn_gnic_result_done(&attach_res);
        return kn_guest_attach(f->reg, "f1", &nic, false, &attach_res, on_done, o, &err);
}

static int tun_count(void) {
        return test_run("exit $(ip -o link show type tun | wc -l)");
}

/* The attach waits for its queued tap step and goes on from its callback;
 * a guest gone while the step is queued leaves no tap once it ran. */
static void test_runner_orders_tap_step(void **state) {
        fake f = {0};
        fake_start(&f); /* one NIC, attached inline (no runner yet) */
        kn_guest_registry_set_runner(f.reg, hold_runner, NULL);
        assert_int_equal(tun_count(), 1);

        outcome o = {0};
        assert_int_equal(attach_mac(&f, "52:54:00:fa:ce:02", &o), 0);
        bool never = false;
        loop_run(f.lp, &never, 200);
        assert_false(o.done); /* queued: no tap yet, QEMU not asked */
        assert_int_equal(tun_count(), 1);
        run_held();
        loop_run(f.lp, &o.done, 5000);
        assert_true(o.done);
        if (o.r < 0)
                fail_msg("attach: %s", o.err.message);
        assert_int_equal(tun_count(), 2);

        /* Queued again, then the registry goes (kvmnetd exits): the step
         * still runs, its tap is closed at once. */
        o = (outcome){0};
        assert_int_equal(attach_mac(&f, "52:54:00:fa:ce:03", &o), 0);
        kn_guest_registry_free(f.reg);
        f.reg = NULL;
        assert_true(o.done);
        assert_true(o.r < 0);
        run_held();
        kill(f.pid, SIGKILL); /* its two taps go with it */
        test_peer_finish(f.pid);
        for (int k = 0; k < 50 && tun_count() > 0; k++)
                usleep(20000);
        assert_int_equal(tun_count(), 0);
        kn_loop_free(f.lp);
        test_rmtree(f.dir);
        free(f.dir);
        free(f.sock);
        kn_gnic_result_done(&attach_res);
}

/* The held job on a thread of its own, as kvmnetd's worker runs it, while
 * the loop goes on here; done then runs here, as on kvmnetd's loop. */
typedef struct held_thread {
        pthread_t t;
        int r;
        kn_error err;
        kn_netns *ns;
} held_thread;

static void *held_main(void *userdata) {
        held_thread *h = userdata;
        h->r = held.work(h->ns, held.data, &h->err);
        return NULL;
}

/* A detach's removal (netdev_del: QEMU closes the tap) waits for its turn
 * in the queue, and holds the queue until QEMU has answered. */
static void test_runner_orders_tap_removal(void **state) {
        fake f = {0};
        busy_answers = 0; /* device_del accepted, DEVICE_DELETED at once */
        fake_start(&f);
        kn_guest_registry_set_runner(f.reg, hold_runner, NULL);
        assert_int_equal(tun_count(), 1);
        uint8_t mac[6];
        kn_guest_mac_parse("52:54:00:fa:ce:01", mac);
        outcome o = {0};
        kn_gnic_result res = {0};
        kn_error err = {0};
        assert_int_equal(kn_guest_detach(f.reg, "f1", mac, false, 5000, &res, on_done, &o, &err),
                         0);
        bool never = false;
        loop_run(f.lp, &never, 300);
        /* released by the guest, the removal queued: tap and NIC still there */
        assert_false(o.done);
        assert_non_null(held.work);
        assert_int_equal(tun_count(), 1);
        kn_gnic_info *nics = NULL;
        size_t n = 0;
        kn_guest_hotplug hp;
        assert_int_equal(kn_guest_domiflist(f.reg, "f1", &nics, &n, &hp, &err), 0);
        assert_int_equal(n, 1);
        assert_string_equal(nics[0].state, "removing");
        kn_gnic_info_free_array(nics, n);

        held_thread h = {0};
        assert_int_equal(kn_netns_open(NULL, &h.ns, &err), 0);
        assert_int_equal(pthread_create(&h.t, NULL, held_main, &h), 0);
        int64_t t0 = test_now_us();
        loop_run(f.lp, &o.done, 5000);
        pthread_join(h.t, NULL);
        /* the job held the queue only until QEMU answered */
        assert_true(test_now_us() - t0 < 1000000);
        kn_guest_work_done_fn done = held.done;
        void *data = held.data;
        held.work = NULL;
        done(data, h.r, &h.err);
        kn_netns_free(h.ns);
        assert_true(o.done);
        if (o.r < 0)
                fail_msg("detach: %s", o.err.message);
        assert_string_equal(res.nic.device, "kn-net0");
        kn_gnic_result_done(&res);
        assert_int_equal(tun_count(), 0);
        assert_non_null(strstr(logbuf, "kn-net0 detached"));
        fake_stop(&f);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_busy_then_ok),
                cmocka_unit_test(test_busy_forever),
                cmocka_unit_test(test_guest_ejects),
                cmocka_unit_test(test_runner_orders_tap_step),
                cmocka_unit_test(test_runner_orders_tap_removal),
        };
        return cmocka_run_group_tests(tests, setup_netns, NULL);
}
