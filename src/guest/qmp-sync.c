/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Blocking QMP helpers for sequential callers: the same connection
 * machinery, driven by poll(2) until a deadline. */
#include <poll.h>
#include <time.h>

#include "qmp-private.h"
#include "macro.h"

static int64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t deadline_after(int timeout_ms) {
        return timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
}

/* poll(2) timeout left until deadline (-1: none). */
static int remaining(int64_t deadline) {
        if (deadline < 0)
                return -1;
        int64_t left = deadline - now_ms();
        return left <= 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int) left;
}

/* Wait once for the socket and process what came.  -ETIMEDOUT (no
 * message set) when the deadline passed, -errno once closed. */
static int wait_io(kn_qmp *q, int64_t deadline, kn_error *err) {
        if (q->state == KN_QMP_CLOSED)
                return kn_qmp_process(q, err);
        struct pollfd p = {.fd = q->fd, .events = kn_qmp_poll_events(q)};
        int n = poll(&p, 1, remaining(deadline));
        if (n < 0 && errno == EINTR)
                return 0;
        if (n < 0)
                return kn_error_set(err, errno, "waiting for the QEMU monitor: %m");
        if (n == 0)
                return -ETIMEDOUT;
        return kn_qmp_process(q, err);
}

int kn_qmp_wait_ready(kn_qmp *q, int timeout_ms, kn_error *err) {
        int64_t deadline = deadline_after(timeout_ms);
        while (q->state != KN_QMP_READY) {
                int r = wait_io(q, deadline, err);
                if (r == -ETIMEDOUT)
                        return kn_error_set(err, ETIMEDOUT,
                                            "QEMU monitor did not complete the QMP handshake "
                                            "within %d ms%s%s%s",
                                            timeout_ms, q->label ? " (" : "",
                                            q->label ? q->label : "", q->label ? ")" : "");
                if (r < 0)
                        return r;
        }
        return 0;
}

typedef struct sync_call {
        bool done;
        int r;
        json_object *ret;
        kn_error error;
} sync_call;

static void sync_reply(kn_qmp *q, const kn_qmp_reply *reply, void *userdata) {
        sync_call *s = userdata;
        s->done = true;
        s->r = reply->r;
        if (reply->r >= 0)
                s->ret = json_object_get(reply->ret);
        else
                kn_error_set(&s->error, -reply->r, "%s", reply->error->message);
}

int kn_qmp_execute_fd(kn_qmp *q, const char *command, json_object *args, int fd, json_object **ret,
                      int timeout_ms, kn_error *err) {
        sync_call s = {0};
        uint64_t id;
        int r = kn_qmp_send(q, command, args, fd, sync_reply, &s, &id, err);
        if (r < 0)
                return r;
        int64_t deadline = deadline_after(timeout_ms);
        while (!s.done) {
                kn_error e = {0};
                r = wait_io(q, deadline, &e);
                if (s.done)
                        break;
                if (r < 0) {
                        /* s lives on this stack frame: the reply must not find it. */
                        kn_qmp_cancel(q, id);
                        if (r == -ETIMEDOUT)
                                return kn_error_set(err, ETIMEDOUT,
                                                    "QEMU did not answer %s within %d ms", command,
                                                    timeout_ms);
                        return kn_error_set(err, e.code, "%s (during %s)", e.message, command);
                }
        }
        if (s.r < 0) {
                json_object_put(s.ret);
                return kn_error_set(err, s.error.code, "%s", s.error.message);
        }
        if (ret)
                *ret = s.ret;
        else
                json_object_put(s.ret);
        return 0;
}

int kn_qmp_execute(kn_qmp *q, const char *command, json_object *args, json_object **ret,
                   int timeout_ms, kn_error *err) {
        return kn_qmp_execute_fd(q, command, args, -1, ret, timeout_ms, err);
}

static int fd_command(kn_qmp *q, const char *command, const char *name, int fd, kn_error *err) {
        if (isempty(name))
                return kn_error_set(err, EINVAL, "%s needs an fd name", command);
        json_object *args = json_object_new_object();
        json_object_object_add(args, "fdname", json_object_new_string(name));
        int r = kn_qmp_execute_fd(q, command, args, fd, NULL, q->timeout_ms, err);
        json_object_put(args);
        return r;
}

int kn_qmp_getfd(kn_qmp *q, const char *name, int fd, kn_error *err) {
        if (fd < 0)
                return kn_error_set(err, EBADF, "getfd %s: no file descriptor to pass", name);
        return fd_command(q, "getfd", name, fd, err);
}

int kn_qmp_closefd(kn_qmp *q, const char *name, kn_error *err) {
        return fd_command(q, "closefd", name, -1, err);
}

static bool take_queued_event(kn_qmp *q, const char *name, kn_qmp_match_fn match, void *userdata,
                              json_object **ret_data, int64_t *ret_ts) {
        qmp_queued_event *prev = NULL;
        for (qmp_queued_event *e = q->events; e; prev = e, e = e->next) {
                kn_qmp_event ev = {
                        .name = e->name, .data = e->data, .timestamp_usec = e->timestamp_usec};
                if (!qmp_event_matches(&ev, name, match, userdata))
                        continue;
                if (prev)
                        prev->next = e->next;
                else
                        q->events = e->next;
                if (q->events_last == e)
                        q->events_last = prev;
                q->n_events--;
                if (ret_data)
                        *ret_data = TAKE_PTR(e->data);
                if (ret_ts)
                        *ret_ts = e->timestamp_usec;
                json_object_put(e->data);
                free(e->name);
                free(e);
                return true;
        }
        return false;
}

int kn_qmp_wait_event(kn_qmp *q, const char *name, kn_qmp_match_fn match, void *userdata,
                      int timeout_ms, json_object **ret_data, int64_t *ret_timestamp_usec,
                      kn_error *err) {
        const char *what = name ? name : "an event";
        if (take_queued_event(q, name, match, userdata, ret_data, ret_timestamp_usec))
                return 0;

        qmp_waiter w = {.name = name, .match = match, .userdata = userdata};
        int64_t deadline = deadline_after(timeout_ms);
        q->waiter = &w;
        int r = 0;
        kn_error e = {0};
        while (!w.found) {
                r = wait_io(q, deadline, &e);
                if (r < 0)
                        break;
        }
        q->waiter = NULL;

        if (w.found) {
                if (ret_data)
                        *ret_data = w.data;
                else
                        json_object_put(w.data);
                if (ret_timestamp_usec)
                        *ret_timestamp_usec = w.timestamp_usec;
                return 0;
        }
        if (r == -ETIMEDOUT)
                return kn_error_set(err, ETIMEDOUT, "no %s from QEMU within %d ms", what,
                                    timeout_ms);
        return kn_error_set(err, e.code, "%s while waiting for %s", e.message, what);
}

int kn_qmp_connect(const char *path, int timeout_ms, kn_qmp **ret, kn_error *err) {
        int64_t deadline = deadline_after(timeout_ms);
        _cleanup_(kn_qmp_freep) kn_qmp *q = NULL;
        for (;;) {
                kn_error e = {0};
                int r = kn_qmp_open(path, &q, &e);
                if (r >= 0)
                        break;
                /* QEMU creates the socket, then listens: both may still be to come. */
                bool starting = r == -ENOENT || r == -ECONNREFUSED;
                if (!starting || (deadline >= 0 && now_ms() >= deadline))
                        return kn_error_set(err, e.code, "%s", e.message);
                (void) poll(NULL, 0, 10);
        }
        int r = kn_qmp_wait_ready(q, remaining(deadline), err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(q);
        return 0;
}
