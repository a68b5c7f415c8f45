/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The QMP connection: parsing, reply matching, event dispatch, sending
 * (with SCM_RIGHTS).  Never blocks; the blocking helpers live in
 * qmp-sync.c. */
#include "kvmnet/qmp.h"

#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "qmp-private.h"
#include "crashpoint.h"
#include "macro.h"

static const char *const kn_qmp_state_table[_KN_QMP_STATE_MAX] = {
        [KN_QMP_GREETING] = "greeting",
        [KN_QMP_NEGOTIATING] = "negotiating",
        [KN_QMP_READY] = "ready",
        [KN_QMP_CLOSED] = "closed",
};
const char *kn_qmp_state_to_string(kn_qmp_state s) {
        if ((int) s < 0 || (size_t) s >= ELEMENTSOF(kn_qmp_state_table))
                return NULL;
        return kn_qmp_state_table[s];
}

static void qmp_cmd_free(qmp_cmd *c) {
        if (!c)
                return;
        if (c->fd >= 0)
                close(c->fd);
        free(c->name);
        free(c->buf);
        free(c);
}

/* " (/path/to/qmp.sock)" or "": which monitor, at the end of a message. */
static char *label_suffix(const kn_qmp *q) {
        return q->label ? kn_xasprintf(" (%s)", q->label) : kn_xstrdup("");
}

static void run_reply(kn_qmp *q, qmp_cmd *c, const kn_qmp_reply *reply) {
        kn_crashpoint("qmp %s: reply read", c->name);
        if (c->fn)
                c->fn(q, reply, c->userdata);
}

/* Fail every pending command with code and "WHAT during CMD (LABEL)". */
static void fail_pending(kn_qmp *q, int code, const char *what) {
        _cleanup_free_ char *suffix = label_suffix(q);
        qmp_cmd *list = TAKE_PTR(q->cmds);
        while (list) {
                qmp_cmd *c = list;
                list = c->next;
                kn_error e = {0};
                kn_error_set(&e, code, "%s %s %s%s", what, c->off > 0 ? "during" : "before sending",
                             c->name, suffix);
                kn_qmp_reply reply = {.id = c->id, .command = c->name, .r = -code, .error = &e};
                run_reply(q, c, &reply);
                qmp_cmd_free(c);
        }
}

/* The connection is unusable from now on.  Pending commands fail with a
 * message naming them; returns -code. */
_printf_(3, 4) static int qmp_fail(kn_qmp *q, int code, const char *fmt, ...) {
        if (q->state == KN_QMP_CLOSED)
                return -q->close_reason.code;
        va_list ap;
        va_start(ap, fmt);
        char *what = kn_xvasprintf(fmt, ap);
        va_end(ap);
        _cleanup_free_ char *suffix = label_suffix(q);

        q->state = KN_QMP_CLOSED;
        q->want_write = false;
        kn_error_set(&q->close_reason, code, "%s%s", what, suffix);
        /* Keep the fd open until kn_qmp_free(): the caller still has it
         * registered in its event loop. */
        (void) shutdown(q->fd, SHUT_RDWR);

        fail_pending(q, code, what);
        free(what);
        if (q->state_fn)
                q->state_fn(q, KN_QMP_CLOSED, &q->close_reason, q->state_userdata);
        return -code;
}

static int closed_error(const kn_qmp *q, kn_error *err) {
        return kn_error_set(err, q->close_reason.code ? q->close_reason.code : ENOTCONN, "%s",
                            q->close_reason.message[0] ? q->close_reason.message
                                                       : "QEMU monitor connection is closed");
}

/* ---- sending ---- */

static ssize_t send_one(kn_qmp *q, qmp_cmd *c) {
        struct iovec iov = {.iov_base = c->buf + c->off, .iov_len = c->len - c->off};
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } control;

        if (c->fd >= 0 && c->off == 0) {
                memset(&control, 0, sizeof control);
                mh.msg_control = control.buf;
                mh.msg_controllen = sizeof control.buf;
                struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
                cm->cmsg_level = SOL_SOCKET;
                cm->cmsg_type = SCM_RIGHTS;
                cm->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(cm), &c->fd, sizeof(int));
        }
        ssize_t n;
        do
                n = sendmsg(q->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
        while (n < 0 && errno == EINTR);
        return n < 0 ? -errno : n;
}

/* Write queued commands in order, as far as the socket and the rules
 * allow: nothing but qmp_capabilities before READY, and a command with an
 * fd only once every command before it was answered. */
static int qmp_flush(kn_qmp *q) {
        q->want_write = false;
        for (qmp_cmd *c = q->cmds; c && q->state != KN_QMP_CLOSED; c = c->next) {
                if (c->off == c->len)
                        continue;
                if (q->state != KN_QMP_READY && !c->handshake)
                        break;
                if (c->fd >= 0 && c->off == 0 && c != q->cmds)
                        break;
                ssize_t n = send_one(q, c);
                if (n == -EAGAIN) {
                        q->want_write = true;
                        break;
                }
                if (n == -EPIPE || n == -ECONNRESET)
                        return qmp_fail(q, ECONNRESET, "QEMU closed the monitor");
                if (n < 0)
                        return qmp_fail(q, (int) -n, "writing to the QEMU monitor: %s",
                                        strerror((int) -n));
                if (c->fd >= 0) {
                        /* Sent with the first byte; QEMU has its own copy now. */
                        close(c->fd);
                        c->fd = -1;
                }
                c->off += (size_t) n;
                if (c->off < c->len) {
                        q->want_write = true;
                        break;
                }
        }
        return q->state == KN_QMP_CLOSED ? -q->close_reason.code : 0;
}

static qmp_cmd *qmp_cmd_new(kn_qmp *q, const char *command, json_object *args) {
        qmp_cmd *c = kn_xcalloc(1, sizeof *c);
        c->id = ++q->next_id;
        c->name = kn_xstrdup(command);
        c->fd = -1;

        json_object *m = json_object_new_object();
        json_object_object_add(m, "execute", json_object_new_string(command));
        if (args)
                json_object_object_add(m, "arguments", json_object_get(args));
        json_object_object_add(m, "id", json_object_new_int64((int64_t) c->id));
        c->buf = kn_xasprintf("%s\n",
                              json_object_to_json_string_ext(
                                      m, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        c->len = strlen(c->buf);
        json_object_put(m);
        return c;
}

static void cmds_append(kn_qmp *q, qmp_cmd *c) {
        qmp_cmd **p = &q->cmds;
        while (*p)
                p = &(*p)->next;
        *p = c;
}

int kn_qmp_send(kn_qmp *q, const char *command, json_object *args, int fd, kn_qmp_reply_fn fn,
                void *userdata, uint64_t *ret_id, kn_error *err) {
        if (isempty(command))
                return kn_error_set(err, EINVAL, "QMP command name is empty");
        if (args && !json_object_is_type(args, json_type_object))
                return kn_error_set(err, EINVAL, "arguments of QMP command %s are not an object",
                                    command);
        if (q->state == KN_QMP_CLOSED) {
                int r = closed_error(q, err);
                kn_error_prefix(err, "cannot send %s", command);
                return r;
        }
        _cleanup_close_ int dfd = -1;
        if (fd >= 0) {
                dfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
                if (dfd < 0)
                        return kn_error_set(err, errno, "cannot pass fd %d with %s: %m", fd,
                                            command);
        }
        qmp_cmd *c = qmp_cmd_new(q, command, args);
        c->fd = TAKE_FD(dfd);
        c->fn = fn;
        c->userdata = userdata;
        cmds_append(q, c);
        if (ret_id)
                *ret_id = c->id;
        /* A write error closes the connection and runs fn with the reason:
         * the command was accepted, its outcome goes to the callback. */
        (void) qmp_flush(q);
        return 0;
}

void kn_qmp_cancel(kn_qmp *q, uint64_t id) {
        for (qmp_cmd **p = &q->cmds; *p; p = &(*p)->next) {
                qmp_cmd *c = *p;
                if (c->id != id)
                        continue;
                if (c->off == 0) {
                        *p = c->next;
                        qmp_cmd_free(c);
                } else {
                        c->fn = NULL;
                        c->userdata = NULL;
                }
                return;
        }
}

/* ---- receiving ---- */

static void capabilities_done(kn_qmp *q, const kn_qmp_reply *reply, void *userdata) {
        if (reply->r < 0) {
                if (reply->error_desc)
                        qmp_fail(q, EPROTO, "QEMU refused qmp_capabilities: %s", reply->error_desc);
                return; /* otherwise the connection is already closed */
        }
        q->state = KN_QMP_READY;
        if (q->state_fn)
                q->state_fn(q, KN_QMP_READY, NULL, q->state_userdata);
}

static int get_uint_member(json_object *o, const char *key, unsigned *ret) {
        json_object *v;
        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
                return -EINVAL;
        int64_t i = json_object_get_int64(v);
        if (i < 0 || i > UINT_MAX)
                return -ERANGE;
        *ret = (unsigned) i;
        return 0;
}

static int on_greeting(kn_qmp *q, json_object *o) {
        json_object *qmp, *version, *qemu;
        if (!json_object_object_get_ex(o, "QMP", &qmp) ||
            !json_object_is_type(qmp, json_type_object))
                return qmp_fail(q, EPROTO, "QEMU monitor greeting is not QMP: %.80s",
                                json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        if (json_object_object_get_ex(qmp, "version", &version) &&
            json_object_object_get_ex(version, "qemu", &qemu) &&
            get_uint_member(qemu, "major", &q->version[0]) >= 0 &&
            get_uint_member(qemu, "minor", &q->version[1]) >= 0 &&
            get_uint_member(qemu, "micro", &q->version[2]) >= 0)
                q->have_version = true;

        q->state = KN_QMP_NEGOTIATING;
        qmp_cmd *c = qmp_cmd_new(q, "qmp_capabilities", NULL);
        c->handshake = true;
        c->fn = capabilities_done;
        c->next = q->cmds;
        q->cmds = c;
        return qmp_flush(q);
}

static int error_class_to_errno(const char *class) {
        if (streq_ptr(class, "CommandNotFound"))
                return EOPNOTSUPP;
        if (streq_ptr(class, "DeviceNotFound"))
                return ENODEV;
        return EREMOTEIO;
}

static int on_reply(kn_qmp *q, json_object *o) {
        json_object *idv, *retv = NULL, *errv = NULL, *v;
        json_object_object_get_ex(o, "return", &retv);
        json_object_object_get_ex(o, "error", &errv);

        const char *class = NULL, *desc = NULL;
        if (errv) {
                if (json_object_object_get_ex(errv, "class", &v))
                        class = json_object_get_string(v);
                if (json_object_object_get_ex(errv, "desc", &v))
                        desc = json_object_get_string(v);
                if (!desc)
                        desc = class ? class : "unspecified error";
        }

        if (!json_object_object_get_ex(o, "id", &idv) || !json_object_is_type(idv, json_type_int))
                return qmp_fail(q, EPROTO, "QEMU monitor sent a reply without our id (%s)",
                                desc ? desc : "success");
        uint64_t id = (uint64_t) json_object_get_int64(idv);

        qmp_cmd **p = &q->cmds;
        while (*p && (*p)->id != id)
                p = &(*p)->next;
        if (!*p || (*p)->off < (*p)->len)
                return qmp_fail(q, EPROTO,
                                "QEMU monitor answered command id %" PRIu64 " that was not sent",
                                id);
        qmp_cmd *c = *p;
        *p = c->next;

        kn_error e = {0};
        kn_qmp_reply reply = {.id = id, .command = c->name, .error = &e};
        if (errv) {
                reply.error_class = class;
                reply.error_desc = desc;
                reply.r = kn_error_set(&e, error_class_to_errno(class), "QEMU rejected %s: %s",
                                       c->name, desc);
        } else
                reply.ret = retv;
        run_reply(q, c, &reply);
        qmp_cmd_free(c);
        return qmp_flush(q);
}

bool qmp_event_matches(const kn_qmp_event *ev, const char *name, kn_qmp_match_fn match,
                       void *userdata) {
        if (name && !streq(ev->name, name))
                return false;
        return !match || match(ev, userdata);
}

static void queue_event(kn_qmp *q, const kn_qmp_event *ev) {
        if (q->n_events >= KN_QMP_MAX_QUEUED_EVENTS) {
                qmp_queued_event *old = q->events;
                q->events = old->next;
                if (!q->events)
                        q->events_last = NULL;
                q->n_events--;
                free(old->name);
                json_object_put(old->data);
                free(old);
        }
        qmp_queued_event *e = kn_xcalloc(1, sizeof *e);
        e->name = kn_xstrdup(ev->name);
        e->data = json_object_get(ev->data);
        e->timestamp_usec = ev->timestamp_usec;
        if (q->events_last)
                q->events_last->next = e;
        else
                q->events = e;
        q->events_last = e;
        q->n_events++;
}

static int on_event(kn_qmp *q, json_object *o, json_object *namev) {
        json_object *ts, *v;
        kn_qmp_event ev = {.name = json_object_get_string(namev), .timestamp_usec = -1};
        json_object_object_get_ex(o, "data", &ev.data);
        if (json_object_object_get_ex(o, "timestamp", &ts)) {
                int64_t s = -1, us = 0;
                if (json_object_object_get_ex(ts, "seconds", &v))
                        s = json_object_get_int64(v);
                if (json_object_object_get_ex(ts, "microseconds", &v))
                        us = json_object_get_int64(v);
                /* QEMU stamps events emitted before it knew the time as -1;
                 * a stamp past int64 microseconds is none either. */
                if (s >= 0 && us >= 0 && s <= (INT64_MAX - us) / 1000000)
                        ev.timestamp_usec = s * 1000000 + us;
        }

        qmp_waiter *w = q->waiter;
        if (w && !w->found && qmp_event_matches(&ev, w->name, w->match, w->userdata)) {
                w->found = true;
                w->data = json_object_get(ev.data);
                w->timestamp_usec = ev.timestamp_usec;
        } else if (q->event_fn) {
                /* (Only the event an operation waits for: others, such as
                 * NIC_RX_FILTER_CHANGED, come when the guest pleases.) */
                if (streq(ev.name, "DEVICE_DELETED"))
                        kn_crashpoint("qmp event %s", ev.name);
                q->event_fn(q, &ev, q->event_userdata);
        } else
                queue_event(q, &ev);
        return 0;
}

static int dispatch(kn_qmp *q, json_object *o) {
        json_object *v;
        if (!json_object_is_type(o, json_type_object))
                return qmp_fail(q, EPROTO, "QEMU monitor sent JSON that is not an object: %.80s",
                                json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        if (q->state == KN_QMP_GREETING)
                return on_greeting(q, o);
        if (json_object_object_get_ex(o, "event", &v) && json_object_is_type(v, json_type_string))
                return on_event(q, o, v);
        if (json_object_object_get_ex(o, "return", NULL) ||
            json_object_object_get_ex(o, "error", NULL))
                return on_reply(q, o);
        return qmp_fail(q, EPROTO, "QEMU monitor sent neither a reply nor an event: %.80s",
                        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
}

/* The bytes around a parse error, made printable, for the message. */
static void snippet(const char *p, size_t n, char out[static 41]) {
        size_t k = 0;
        for (; k < n && k < 40; k++)
                out[k] = (p[k] >= 0x20 && p[k] < 0x7f) ? p[k] : '.';
        out[k] = '\0';
}

int kn_qmp_feed(kn_qmp *q, const void *data, size_t len, kn_error *err) {
        const char *p = data;
        while (len > 0 && q->state != KN_QMP_CLOSED) {
                if (q->msg_bytes == 0) {
                        /* QEMU ends each message with "\r\n". */
                        while (len > 0 && strchr(" \t\r\n", *p) && *p) {
                                p++;
                                len--;
                        }
                        if (len == 0)
                                break;
                }
                int chunk = len > INT_MAX ? INT_MAX : (int) len;
                json_object *o = json_tokener_parse_ex(q->tok, p, chunk);
                enum json_tokener_error je = json_tokener_get_error(q->tok);
                if (je == json_tokener_continue) {
                        q->msg_bytes += (size_t) chunk;
                        if (q->msg_bytes > KN_QMP_MAX_MESSAGE)
                                qmp_fail(q, EPROTO, "QEMU monitor sent a message over %u bytes",
                                         KN_QMP_MAX_MESSAGE);
                        p += chunk;
                        len -= (size_t) chunk;
                        continue;
                }
                if (je != json_tokener_success) {
                        char s[41];
                        snippet(p, len, s);
                        qmp_fail(q, EPROTO, "QEMU monitor sent invalid JSON (%s) at \"%s\"",
                                 json_tokener_error_desc(je), s);
                        break;
                }
                size_t used = json_tokener_get_parse_end(q->tok);
                json_tokener_reset(q->tok);
                q->msg_bytes = 0;
                p += used;
                len -= used;
                dispatch(q, o);
                json_object_put(o);
        }
        if (q->state == KN_QMP_CLOSED)
                return closed_error(q, err);
        return 0;
}

int kn_qmp_process(kn_qmp *q, kn_error *err) {
        if (q->state == KN_QMP_CLOSED)
                return closed_error(q, err);
        (void) qmp_flush(q);
        while (q->state != KN_QMP_CLOSED) {
                char buf[65536];
                ssize_t n = recv(q->fd, buf, sizeof buf, MSG_DONTWAIT);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        break;
                if (n == 0 || (n < 0 && errno == ECONNRESET))
                        qmp_fail(q, ECONNRESET, "QEMU closed the monitor");
                else if (n < 0)
                        qmp_fail(q, errno, "reading the QEMU monitor: %m");
                else
                        (void) kn_qmp_feed(q, buf, (size_t) n, NULL);
        }
        if (q->state == KN_QMP_CLOSED)
                return closed_error(q, err);
        return 0;
}

short kn_qmp_poll_events(const kn_qmp *q) {
        if (q->state == KN_QMP_CLOSED)
                return 0;
        return POLLIN | (q->want_write ? POLLOUT : 0);
}

/* ---- lifetime ---- */

int kn_qmp_new(int fd, const char *label, kn_qmp **ret) {
        _cleanup_close_ int owned = fd;
        if (fd < 0)
                return -EBADF;
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
                return -errno;
        kn_qmp *q = kn_xcalloc(1, sizeof *q);
        q->tok = json_tokener_new_ex(64);
        if (!q->tok) {
                free(q);
                return -ENOMEM;
        }
        q->fd = TAKE_FD(owned);
        q->label = label ? kn_xstrdup(label) : NULL;
        q->state = KN_QMP_GREETING;
        q->timeout_ms = 10000;
        *ret = q;
        return 0;
}

int kn_qmp_open(const char *path, kn_qmp **ret, kn_error *err) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (isempty(path))
                return kn_error_set(err, EINVAL, "QEMU monitor socket path is empty");
        if (strlen(path) >= sizeof sa.sun_path)
                return kn_error_set(err, ENAMETOOLONG,
                                    "QEMU monitor socket path %s is %zu bytes long, at most %zu "
                                    "fit in a unix socket address",
                                    path, strlen(path), sizeof sa.sun_path - 1);
        memcpy(sa.sun_path, path, strlen(path) + 1);

        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return kn_error_set(err, errno, "socket for QEMU monitor %s: %m", path);
        int r;
        do
                r = connect(fd, (struct sockaddr *) &sa, sizeof sa);
        while (r < 0 && errno == EINTR);
        if (r < 0)
                return kn_error_set(err, errno, "connecting to QEMU monitor %s: %m", path);
        r = kn_qmp_new(TAKE_FD(fd), path, ret);
        if (r < 0)
                return kn_error_set(err, -r, "setting up QEMU monitor %s: %s", path, strerror(-r));
        return 0;
}

kn_qmp *kn_qmp_free(kn_qmp *q) {
        if (!q)
                return NULL;
        if (q->state != KN_QMP_CLOSED) {
                q->state = KN_QMP_CLOSED;
                q->state_fn = NULL;
                fail_pending(q, ECANCELED, "connection to QEMU monitor closed by kvmnet");
        }
        while (q->cmds) {
                qmp_cmd *c = q->cmds;
                q->cmds = c->next;
                qmp_cmd_free(c);
        }
        while (q->events) {
                qmp_queued_event *e = q->events;
                q->events = e->next;
                free(e->name);
                json_object_put(e->data);
                free(e);
        }
        json_tokener_free(q->tok);
        if (q->fd >= 0)
                close(q->fd);
        free(q->label);
        free(q);
        return NULL;
}

void kn_qmp_set_event_handler(kn_qmp *q, kn_qmp_event_fn fn, void *userdata) {
        q->event_fn = fn;
        q->event_userdata = userdata;
}

void kn_qmp_set_state_handler(kn_qmp *q, kn_qmp_state_fn fn, void *userdata) {
        q->state_fn = fn;
        q->state_userdata = userdata;
}

void kn_qmp_set_timeout(kn_qmp *q, int timeout_ms) {
        q->timeout_ms = timeout_ms;
}

int kn_qmp_fd(const kn_qmp *q) {
        return q->fd;
}

kn_qmp_state kn_qmp_get_state(const kn_qmp *q) {
        return q->state;
}

int kn_qmp_qemu_version(const kn_qmp *q, unsigned *major, unsigned *minor, unsigned *micro) {
        if (!q->have_version)
                return -ENODATA;
        if (major)
                *major = q->version[0];
        if (minor)
                *minor = q->version[1];
        if (micro)
                *micro = q->version[2];
        return 0;
}

bool kn_qmp_match_device_deleted(const kn_qmp_event *ev, void *device_id) {
        const char *id = device_id;
        json_object *v;
        if (!streq(ev->name, "DEVICE_DELETED") || !ev->data || !id)
                return false;
        /* The virtio backend child has no id of its own, so its event has
         * only a path (…/ID/virtio-backend) and must not count. */
        if (json_object_object_get_ex(ev->data, "device", &v))
                return streq_ptr(json_object_get_string(v), id);
        return false;
}
