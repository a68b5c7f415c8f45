/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* QMP client against a scripted fake peer: the faults real QEMU can't
 * produce (bad greeting, non-JSON, replies without id), exact fd passing
 * rules, chunked input, events, and the event-loop API. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <poll.h>

#include "guest-test.h"

static void assert_contains(const char *hay, const char *needle) {
        if (!strstr(hay, needle))
                fail_msg("'%s' does not contain '%s'", hay, needle);
}

/* ---- faults ---- */

static void peer_bad_greeting(test_peer *p) {
        peer_send(p, "{\"hello\": \"world\"}\r\n");
        sleep(5);
}

static void test_bad_greeting(void **state) {
        kn_qmp *q;
        pid_t pid = test_peer_start(peer_bad_greeting, &q);
        kn_error err = {0};
        assert_int_equal(kn_qmp_wait_ready(q, 5000, &err), -EPROTO);
        assert_contains(err.message, "QEMU monitor greeting is not QMP: {\"hello\":\"world\"}");
        assert_contains(err.message, "fake-peer");
        assert_int_equal(kn_qmp_get_state(q), KN_QMP_CLOSED);
        assert_int_equal(kn_qmp_poll_events(q), 0);
        kn_qmp_free(q);
        kill(pid, SIGKILL);
        test_peer_finish(pid);
}

static void peer_garbage_greeting(test_peer *p) {
        peer_send(p, "Welcome to the machine\r\n");
        sleep(5);
}

static void test_garbage_greeting(void **state) {
        kn_qmp *q;
        pid_t pid = test_peer_start(peer_garbage_greeting, &q);
        kn_error err = {0};
        int64_t t0 = test_now_us();
        assert_int_equal(kn_qmp_execute(q, "query-status", NULL, NULL, 5000, &err), -EPROTO);
        assert_true(test_now_us() - t0 < 1000000);
        assert_contains(err.message, "QEMU monitor sent invalid JSON");
        assert_contains(err.message, "\"Welcome to the machine..\"");
        /* Queued before the handshake, so it was never sent. */
        assert_contains(err.message, "before sending query-status");
        kn_qmp_free(q);
        kill(pid, SIGKILL);
        test_peer_finish(pid);
}

static void peer_garbage_reply(test_peer *p) {
        int64_t id;
        peer_handshake(p);
        peer_read(p, &id, NULL, NULL);
        peer_send(p, "{\"return\": {}, \"id\": %" PRId64 "}\r\n", id);
        peer_read(p, &id, NULL, NULL);
        peer_send(p, "{\"return\": tru");
        usleep(50000);
        peer_send(p, "ly broken}\r\n");
        sleep(5);
}

static void test_garbage_mid_command(void **state) {
        kn_qmp *q;
        pid_t pid = test_peer_start(peer_garbage_reply, &q);
        kn_error err = {0};
        assert_int_equal(kn_qmp_execute(q, "query-status", NULL, NULL, 5000, &err), 0);
        assert_int_equal(kn_qmp_execute(q, "netdev_add", NULL, NULL, 5000, &err), -EPROTO);
        assert_contains(err.message, "invalid JSON");
        assert_contains(err.message, "during netdev_add");
        /* Dead for good, and says so. */
        kn_error_clear(&err);
        assert_int_equal(kn_qmp_execute(q, "query-status", NULL, NULL, 5000, &err), -EPROTO);
        assert_contains(err.message, "cannot send query-status: QEMU monitor sent invalid JSON");
        kn_qmp_free(q);
        kill(pid, SIGKILL);
        test_peer_finish(pid);
}

static void peer_no_id(test_peer *p) {
        int64_t id;
        peer_handshake(p);
        peer_read(p, &id, NULL, NULL);
        peer_send(p,
                  "{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error\"}}\r\n");
        sleep(5);
}

static void test_reply_without_id(void **state) {
        kn_qmp *q;
        pid_t pid = test_peer_start(peer_no_id, &q);
        kn_error err = {0};
        assert_int_equal(kn_qmp_execute(q, "query-status", NULL, NULL, 5000, &err), -EPROTO);
        assert_contains(err.message, "reply without our id (JSON parse error)");
        kn_qmp_free(q);
        kill(pid, SIGKILL);
        test_peer_finish(pid);
}

static void peer_eof_mid_command(test_peer *p) {
        int64_t id;
        peer_handshake(p);
        peer_read(p, &id, NULL, NULL);
        /* dies with the command unanswered */
}

static void test_eof_mid_command(void **state) {
        kn_qmp *q;
        pid_t pid = test_peer_start(peer_eof_mid_command, &q);
        kn_error err = {0};
        int64_t t0 = test_now_us();
        assert_int_equal(kn_qmp_execute(q, "netdev_add", NULL, NULL, 5000, &err), -ECONNRESET);
        assert_true(test_now_us() - t0 < 1000000);
        assert_string_equal(err.message, "QEMU closed the monitor during netdev_add (fake-peer)");
        kn_qmp_free(q);
        test_peer_finish(pid);
}

static void peer_error_then_ok(test_peer *p) {
        int64_t id;
        peer_handshake(p);
        peer_read(p, &id, NULL, NULL);
        peer_send(p,
                  "{\"id\": %" PRId64 ", \"error\": {\"class\": \"GenericError\", \"desc\": "
                  "\"Property 'virtio-net-device.netdev' can't find value 'nope'\"}}\r\n",
                  id);
        peer_read(p, &id, NULL, NULL);
        peer_send(p,
                  "{\"id\": %" PRId64 ", \"error\": {\"class\": \"CommandNotFound\", "
                  "\"desc\": \"The command frob has not been found\"}}\r\n",
                  id);
        peer_read(p, &id, NULL, NULL);
        peer_send(p,
                  "{\"return\": {\"running\": false, \"status\": \"prelaunch\"}, \"id\": %" PRId64
                  "}\r\n",
                  id);
        peer_read(p, &id, NULL, NULL);
}

static void test_error_reply(void **state) {
        kn_qmp *q;
        pid_t pid = test_peer_start(peer_error_then_ok, &q);
        kn_error err = {0};
        json_object *ret = NULL;
        assert_int_equal(kn_qmp_execute(q, "device_add", NULL, &ret, 5000, &err), -EREMOTEIO);
        assert_null(ret);
        assert_string_equal(err.message, "QEMU rejected device_add: Property "
                                         "'virtio-net-device.netdev' can't find value 'nope'");
        kn_error_clear(&err);
        assert_int_equal(kn_qmp_execute(q, "frob", NULL, NULL, 5000, &err), -EOPNOTSUPP);
        /* An error reply leaves the connection usable. */
        assert_int_equal(kn_qmp_execute(q, "query-status", NULL, &ret, 5000, NULL), 0);
        assert_string_equal(json_object_get_string(json_object_object_get(ret, "status")),
                            "prelaunch");
        json_object_put(ret);
        unsigned ma, mi, mc;
        assert_int_equal(kn_qmp_qemu_version(q, &ma, &mi, &mc), 0);
        assert_true(ma == 9 && mi == 2 && mc == 3);
        kn_qmp_free(q);
        test_peer_finish(pid);
}

/* ---- timeouts ---- */

static void peer_slow(test_peer *p) {
        int64_t id1, id2;
        peer_handshake(p);
        peer_read(p, &id1, NULL, NULL); /* query-status, answered too late */
        peer_read(p, &id2, NULL, NULL); /* query-name, sent after the timeout */
        peer_send(p, "{\"return\": {\"late\": true}, \"id\": %" PRId64 "}\r\n", id1);
        peer_send(p, "{\"return\": {\"name\": \"vm1\"}, \"id\": %" PRId64 "}\r\n", id2);
        peer_read(p, &id1, NULL, NULL);
}

static void test_timeout_then_late_reply(void **state) {
        kn_qmp *q;
        pid_t pid = test_peer_start(peer_slow, &q);
        kn_error err = {0};
        assert_int_equal(kn_qmp_wait_ready(q, 5000, &err), 0);
        int64_t t0 = test_now_us();
        assert_int_equal(kn_qmp_execute(q, "query-status", NULL, NULL, 200, &err), -ETIMEDOUT);
        int64_t dt = test_now_us() - t0;
        assert_true(dt >= 190000 && dt < 1000000);
        assert_string_equal(err.message, "QEMU did not answer query-status within 200 ms");
        /* The late reply to query-status must not be taken for query-name's. */
        json_object *ret = NULL;
        assert_int_equal(kn_qmp_execute(q, "query-name", NULL, &ret, 5000, NULL), 0);
        assert_string_equal(json_object_get_string(json_object_object_get(ret, "name")), "vm1");
        json_object_put(ret);
        kn_qmp_free(q);
        test_peer_finish(pid);
}

/* ---- fd passing ---- */

/* Two getfd queued at once: the second must not be written before the
 * first is answered, and each carries exactly one fd. */
static void peer_getfd(test_peer *p) {
        int64_t id;
        int nfds, fd;
        peer_handshake(p);
        for (int i = 0; i < 2; i++) {
                const char *c = peer_read(p, &id, &nfds, &fd);
                if (!c || !streq(c, "getfd") || nfds != 1 || fd < 0)
                        _exit(20 + i);
                /* The tap stand-in is a pipe: prove it is the right one. */
                char b = 0;
                if (read(fd, &b, 1) != 1 || b != 'A' + i)
                        _exit(30 + i);
                close(fd);
                usleep(100000);
                struct pollfd pf = {.fd = p->fd, .events = POLLIN};
                if (p->len > 0 || poll(&pf, 1, 0) != 0)
                        _exit(40 + i); /* something came before we answered */
                peer_send(p, "{\"return\": {}, \"id\": %" PRId64 "}\r\n", id);
        }
        const char *c = peer_read(p, &id, &nfds, NULL);
        if (!c || !streq(c, "closefd") || nfds != 0)
                _exit(50);
        peer_send(p, "{\"return\": {}, \"id\": %" PRId64 "}\r\n", id);
        peer_read(p, &id, NULL, NULL);
}

typedef struct reply_log {
        int n;
        int r[4];
        uint64_t id[4];
} reply_log;

static void log_reply(kn_qmp *q, const kn_qmp_reply *reply, void *userdata) {
        reply_log *l = userdata;
        l->r[l->n] = reply->r;
        l->id[l->n] = reply->id;
        l->n++;
}

static void test_getfd_one_at_a_time(void **state) {
        kn_qmp *q;
        pid_t pid = test_peer_start(peer_getfd, &q);
        int pa[2], pb[2];
        assert_int_equal(pipe2(pa, O_CLOEXEC), 0);
        assert_int_equal(pipe2(pb, O_CLOEXEC), 0);
        assert_int_equal(write(pa[1], "A", 1), 1);
        assert_int_equal(write(pb[1], "B", 1), 1);

        reply_log log = {0};
        json_object *args = json_object_new_object();
        json_object_object_add(args, "fdname", json_object_new_string("fd-a"));
        uint64_t ida, idb;
        assert_int_equal(kn_qmp_send(q, "getfd", args, pa[0], log_reply, &log, &ida, NULL), 0);
        json_object_object_add(args, "fdname", json_object_new_string("fd-b"));
        assert_int_equal(kn_qmp_send(q, "getfd", args, pb[0], log_reply, &log, &idb, NULL), 0);
        json_object_put(args);
        /* Our copies are ours: closing them right away is fine. */
        close(pa[0]);
        close(pb[0]);
        while (log.n < 2) {
                struct pollfd pf = {.fd = kn_qmp_fd(q), .events = kn_qmp_poll_events(q)};
                assert_int_equal(poll(&pf, 1, 5000), 1);
                assert_int_equal(kn_qmp_process(q, NULL), 0);
        }
        assert_true(log.r[0] == 0 && log.r[1] == 0);
        assert_true(log.id[0] == ida && log.id[1] == idb && ida != idb);
        assert_int_equal(kn_qmp_closefd(q, "fd-a", NULL), 0);
        kn_qmp_free(q);
        assert_int_equal(test_peer_finish(pid), 0);
        close(pa[1]);
        close(pb[1]);
}

/* ---- chunked input, events ---- */

static const char stream[] =
        "{\"timestamp\": {\"seconds\": 1700000000, \"microseconds\": 123456}, \"event\": "
        "\"DEVICE_DELETED\", \"data\": {\"path\": \"/machine/peripheral/net0/virtio-backend\"}}"
        "\r\n{\"return\": {\"status\": \"running\"}, \"id\": 1}\r\n"
        "{\"timestamp\": {\"seconds\": 1700000000, \"microseconds\": 123999}, \"event\": "
        "\"DEVICE_DELETED\", \"data\": {\"device\": \"net0\", \"path\": "
        "\"/machine/peripheral/net0\"}}\r\n"
        "{\"timestamp\": {\"seconds\": -1, \"microseconds\": -1}, \"event\": \"RESUME\"}\r\n";

static void test_feed_byte_by_byte(void **state) {
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        kn_qmp *q;
        assert_int_equal(kn_qmp_new(sv[0], NULL, &q), 0);
        reply_log log = {0};
        uint64_t id;
        /* Queued before the greeting: id 1, sent after qmp_capabilities (id 2)... */
        assert_int_equal(kn_qmp_send(q, "query-status", NULL, -1, log_reply, &log, &id, NULL), 0);
        assert_int_equal(id, 1);
        const char *greet = PEER_GREETING;
        assert_int_equal(kn_qmp_feed(q, greet, strlen(greet), NULL), 0);
        assert_int_equal(kn_qmp_get_state(q), KN_QMP_NEGOTIATING);
        char got[256] = "";
        assert_true(read(sv[1], got, sizeof got - 1) > 0);
        assert_string_equal(got, "{\"execute\":\"qmp_capabilities\",\"id\":2}\n");
        const char *caps = "{\"return\": {}, \"id\": 2}\r\n";
        assert_int_equal(kn_qmp_feed(q, caps, strlen(caps), NULL), 0);
        assert_int_equal(kn_qmp_get_state(q), KN_QMP_READY);
        memset(got, 0, sizeof got);
        assert_true(read(sv[1], got, sizeof got - 1) > 0);
        assert_string_equal(got, "{\"execute\":\"query-status\",\"id\":1}\n");

        /* ...whose reply, mid-stream between events, arrives a byte at a time. */
        for (size_t i = 0; stream[i]; i++)
                assert_int_equal(kn_qmp_feed(q, stream + i, 1, NULL), 0);
        assert_int_equal(log.n, 1);
        assert_int_equal(log.r[0], 0);

        /* Queued events: DEVICE_DELETED of the backend is not the device's. */
        json_object *data = NULL;
        int64_t ts = 0;
        assert_int_equal(kn_qmp_wait_event(q, "DEVICE_DELETED", kn_qmp_match_device_deleted,
                                           (void *) "net0", 0, &data, &ts, NULL),
                         0);
        assert_string_equal(json_object_get_string(json_object_object_get(data, "path")),
                            "/machine/peripheral/net0");
        assert_true(ts == 1700000000LL * 1000000 + 123999);
        json_object_put(data);
        assert_int_equal(kn_qmp_wait_event(q, "RESUME", NULL, NULL, 0, &data, &ts, NULL), 0);
        assert_null(data);
        assert_true(ts == -1);
        assert_int_equal(kn_qmp_wait_event(q, "DEVICE_DELETED", NULL, NULL, 0, &data, &ts, NULL),
                         0);
        assert_string_equal(json_object_get_string(json_object_object_get(data, "path")),
                            "/machine/peripheral/net0/virtio-backend");
        json_object_put(data);
        kn_error err = {0};
        assert_int_equal(kn_qmp_wait_event(q, "DEVICE_DELETED", NULL, NULL, 50, NULL, NULL, &err),
                         -ETIMEDOUT);
        assert_string_equal(err.message, "no DEVICE_DELETED from QEMU within 50 ms");

        /* Non-object JSON is a protocol error. */
        kn_error_clear(&err);
        assert_int_equal(kn_qmp_feed(q, "[1,2]\r\n", 7, &err), -EPROTO);
        assert_contains(err.message, "not an object: [1,2]");
        kn_qmp_free(q);
        close(sv[1]);
}

/* A stamp whose microseconds do not fit int64 is no stamp (-1), not an
 * overflow (found by fuzz/fuzz-qmp under UBSan). */
static void test_event_timestamp_overflow(void **state) {
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        kn_qmp *q;
        assert_int_equal(kn_qmp_new(sv[0], NULL, &q), 0);
        const char *in = PEER_GREETING
                "{\"return\": {}, \"id\": 1}\r\n"
                "{\"timestamp\": {\"seconds\": 1700000007000000005, \"microseconds\": 5},"
                " \"event\": \"STOP\"}\r\n"
                "{\"timestamp\": {\"seconds\": 9223372036854, \"microseconds\": "
                "9223372036854775807}, \"event\": \"STOP\"}\r\n"
                "{\"timestamp\": {\"seconds\": 9223372036854, \"microseconds\": 775807},"
                " \"event\": \"STOP\"}\r\n";
        assert_int_equal(kn_qmp_feed(q, in, strlen(in), NULL), 0);
        assert_int_equal(kn_qmp_get_state(q), KN_QMP_READY);
        int64_t ts = 0;
        assert_int_equal(kn_qmp_wait_event(q, "STOP", NULL, NULL, 0, NULL, &ts, NULL), 0);
        assert_true(ts == -1);
        assert_int_equal(kn_qmp_wait_event(q, "STOP", NULL, NULL, 0, NULL, &ts, NULL), 0);
        assert_true(ts == -1);
        assert_int_equal(kn_qmp_wait_event(q, "STOP", NULL, NULL, 0, NULL, &ts, NULL), 0);
        assert_true(ts == INT64_MAX);
        kn_qmp_free(q);
        close(sv[1]);
}

static void test_feed_oversized(void **state) {
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        kn_qmp *q;
        assert_int_equal(kn_qmp_new(sv[0], NULL, &q), 0);
        size_t n = 1 << 20;
        char *big = kn_xmalloc(n);
        memset(big, ' ', n);
        memcpy(big, "{\"QMP\": \"", 9);
        memset(big + 9, 'x', n - 9);
        kn_error err = {0};
        int r = 0;
        for (int i = 0; i < 80 && r == 0; i++)
                r = kn_qmp_feed(q, i == 0 ? big : big + 9, i == 0 ? n : n - 9, &err);
        assert_int_equal(r, -EPROTO);
        assert_contains(err.message, "message over 67108864 bytes");
        free(big);
        kn_qmp_free(q);
        close(sv[1]);
}

/* ---- the event-loop API: several connections, one poll loop ---- */

typedef struct conn_ctx {
        int ready, closed, events, replies;
        char last_event[64];
        kn_error close_reason;
} conn_ctx;

static void on_state(kn_qmp *q, kn_qmp_state s, const kn_error *reason, void *userdata) {
        conn_ctx *c = userdata;
        if (s == KN_QMP_READY)
                c->ready++;
        if (s == KN_QMP_CLOSED) {
                c->closed++;
                c->close_reason = *reason;
        }
}

static void on_event(kn_qmp *q, const kn_qmp_event *ev, void *userdata) {
        conn_ctx *c = userdata;
        c->events++;
        snprintf(c->last_event, sizeof c->last_event, "%s", ev->name);
}

static void on_reply(kn_qmp *q, const kn_qmp_reply *reply, void *userdata) {
        conn_ctx *c = userdata;
        assert_int_equal(reply->r, 0);
        c->replies++;
        /* Chain the next step from the callback, as the daemon will. */
        if (c->replies == 1)
                assert_int_equal(kn_qmp_send(q, "cont", NULL, -1, on_reply, c, NULL, NULL), 0);
}

static void peer_loop(test_peer *p) {
        int64_t id;
        peer_handshake(p);
        peer_read(p, &id, NULL, NULL);
        peer_send(p, "{\"return\": {}, \"id\": %" PRId64 "}\r\n", id);
        peer_read(p, &id, NULL, NULL);
        peer_send(p,
                  "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": "
                  "\"RESUME\"}\r\n{\"return\": {}, \"id\": %" PRId64 "}\r\n",
                  id);
        /* then hang up */
}

static void test_event_loop_many(void **state) {
        enum { N = 3 };
        kn_qmp *q[N];
        pid_t pid[N];
        conn_ctx ctx[N] = {0};
        for (int i = 0; i < N; i++) {
                pid[i] = test_peer_start(peer_loop, &q[i]);
                kn_qmp_set_state_handler(q[i], on_state, &ctx[i]);
                kn_qmp_set_event_handler(q[i], on_event, &ctx[i]);
                assert_int_equal(kn_qmp_send(q[i], "stop", NULL, -1, on_reply, &ctx[i], NULL, NULL),
                                 0);
        }
        for (int open = N; open > 0;) {
                struct pollfd pf[N];
                for (int i = 0; i < N; i++)
                        pf[i] = (struct pollfd){.fd = kn_qmp_fd(q[i]),
                                                .events = kn_qmp_poll_events(q[i])};
                assert_true(poll(pf, N, 5000) > 0);
                open = 0;
                for (int i = 0; i < N; i++) {
                        if (pf[i].revents)
                                kn_qmp_process(q[i], NULL);
                        open += kn_qmp_get_state(q[i]) != KN_QMP_CLOSED;
                }
        }
        for (int i = 0; i < N; i++) {
                assert_int_equal(ctx[i].ready, 1);
                assert_int_equal(ctx[i].replies, 2);
                assert_int_equal(ctx[i].events, 1);
                assert_string_equal(ctx[i].last_event, "RESUME");
                assert_int_equal(ctx[i].closed, 1);
                assert_int_equal(ctx[i].close_reason.code, ECONNRESET);
                assert_string_equal(ctx[i].close_reason.message,
                                    "QEMU closed the monitor (fake-peer)");
                kn_qmp_free(q[i]);
                assert_int_equal(test_peer_finish(pid[i]), 0);
        }
}

static void cancelled_reply(kn_qmp *q, const kn_qmp_reply *reply, void *userdata) {
        reply_log *l = userdata;
        l->r[l->n++] = reply->r;
        assert_string_equal(reply->error->message,
                            "connection to QEMU monitor closed by kvmnet before sending "
                            "query-status (fake-peer)");
}

static void peer_silent(test_peer *p) {
        sleep(5);
}

static void test_free_with_pending(void **state) {
        kn_qmp *q;
        pid_t pid = test_peer_start(peer_silent, &q);
        reply_log log = {0};
        assert_int_equal(
                kn_qmp_send(q, "query-status", NULL, -1, cancelled_reply, &log, NULL, NULL), 0);
        kn_qmp_free(q);
        assert_int_equal(log.n, 1);
        assert_int_equal(log.r[0], -ECANCELED);
        kill(pid, SIGKILL);
        test_peer_finish(pid);
}

static void test_connect_errors(void **state) {
        kn_error err = {0};
        kn_qmp *q = NULL;
        int64_t t0 = test_now_us();
        assert_int_equal(kn_qmp_connect("/nonexistent/qmp.sock", 200, &q, &err), -ENOENT);
        assert_true(test_now_us() - t0 >= 190000);
        assert_string_equal(err.message,
                            "connecting to QEMU monitor /nonexistent/qmp.sock: No such file or "
                            "directory");
        kn_error_clear(&err);
        char longp[200];
        memset(longp, 'a', sizeof longp - 1);
        longp[sizeof longp - 1] = '\0';
        assert_int_equal(kn_qmp_open(longp, &q, &err), -ENAMETOOLONG);
        assert_contains(err.message, "is 199 bytes long, at most 107");
}

int main(void) {
        signal(SIGPIPE, SIG_IGN);
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_bad_greeting),
                cmocka_unit_test(test_garbage_greeting),
                cmocka_unit_test(test_garbage_mid_command),
                cmocka_unit_test(test_reply_without_id),
                cmocka_unit_test(test_eof_mid_command),
                cmocka_unit_test(test_error_reply),
                cmocka_unit_test(test_timeout_then_late_reply),
                cmocka_unit_test(test_getfd_one_at_a_time),
                cmocka_unit_test(test_feed_byte_by_byte),
                cmocka_unit_test(test_event_timestamp_overflow),
                cmocka_unit_test(test_feed_oversized),
                cmocka_unit_test(test_event_loop_many),
                cmocka_unit_test(test_free_with_pending),
                cmocka_unit_test(test_connect_errors),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
