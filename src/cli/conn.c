/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include "cli.h"
#include "macro.h"
#include "offline.h"

FILE *cli_out, *cli_err;
char cli_context[64];

_printf_(2, 0) static void say(const char *kind, const char *fmt, va_list ap) {
        FILE *f = cli_err ? cli_err : stderr;
        if (f == stderr)
                fflush(stdout); /* keep the order of output and errors */
        fprintf(f, "%s: ", kind);
        if (*cli_context)
                fprintf(f, "%s: ", cli_context);
        vfprintf(f, fmt, ap);
        fputc('\n', f);
}

void cli_error(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        say("error", fmt, ap);
        va_end(ap);
}

void cli_warning(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        say("warning", fmt, ap);
        va_end(ap);
}

static int connect_unix(const char *path, int *ret) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof sa.sun_path)
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                return -errno;
        *ret = TAKE_FD(fd);
        return 0;
}

/* "unix:///run/kvmnet/kvmnet-sock" -> "/run/kvmnet/kvmnet-sock". */
static const char *uri_path(const char *uri) {
        if (strncmp(uri, "unix://", 7) != 0 || uri[7] != '/')
                return NULL;
        return uri + 7;
}

static json_object *request_new(cli_conn *c, const char *verb, json_object *args) {
        json_object *req = json_object_new_object();
        json_object_object_add(req, "id", json_object_new_int64((int64_t) c->next_id++));
        json_object_object_add(req, "verb", json_object_new_string(verb));
        if (args)
                json_object_object_add(req, "args", args);
        return req;
}

/* Append the request's line to what goes out; while hello's reply may
 * still refuse us, keep a copy to send to the read-only socket. */
static void queue_line(cli_conn *c, json_object *req) {
        size_t len;
        const char *s = json_object_to_json_string_length(
                req, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
        kn_strbuf_putn(&c->out, s, len);
        kn_strbuf_putc(&c->out, '\n');
        if (c->hello_pending && c->fallback_path) {
                kn_strbuf_putn(&c->replay, s, len);
                kn_strbuf_putc(&c->replay, '\n');
                c->replay_n++;
        }
        c->outstanding++;
}

static void reset_socket(cli_conn *c) {
        if (c->fd >= 0)
                close(c->fd);
        c->fd = -1;
        kn_strbuf_done(&c->in);
        kn_strbuf_done(&c->out);
        c->in_start = c->out_sent = 0;
        c->outstanding = 0;
        c->expect_id = c->next_id;
        c->hello_pending = false;
}

/* Queue hello on a new connection (c->fd: the socket, or ssh's).  It
 * leaves with the first request and its reply is read before the
 * request's (hello_finish()), so a call costs one round trip, and a
 * refusal still shows up before any reply, where the CLI can fall back to
 * the read-only socket.  After such a refusal, c->replay holds what to
 * send again, and goes out instead. */
static void session_start(cli_conn *c) {
        c->hello_pending = true;
        if (c->replay_n > 0) {
                /* The refused lines again, as they were: hello first. */
                kn_strbuf_putn(&c->out, c->replay.s, c->replay.len);
                c->expect_id = c->replay_first_id;
                c->outstanding = c->replay_n;
                kn_strbuf_done(&c->replay);
                c->replay_n = 0;
                return;
        }
        c->replay_first_id = c->next_id;
        _cleanup_json_ json_object *hello = request_new(c, "hello", NULL);
        queue_line(c, hello);
}

/* A failure to connect as an exit code: refused (by the socket's mode or
 * by the daemon's access check) or unreachable. */
static int open_exit(int r) {
        return r == -EACCES || r == -EPERM ? KN_EXIT_REFUSED : KN_EXIT_CONNECT;
}

static int open_socket(cli_conn *c, const char *path, kn_error *err) {
        int r;

        free(c->where);
        c->where = kn_xasprintf("unix://%s", path);
        reset_socket(c);
        r = connect_unix(path, &c->fd);
        cli_times.connected = cli_now_us();
        if (r < 0)
                return kn_error_set(err, -r, "cannot connect to %s: %s%s", c->where, strerror(-r),
                                    r == -ENOENT || r == -ECONNREFUSED
                                            ? " (is kvmnetd running? kvmnet --root DIR works "
                                              "without it)"
                                            : "");
        session_start(c);
        return 0;
}

static int hello_read(cli_conn *c) {
        _cleanup_json_ json_object *reply = NULL;
        /* Whatever the answer, there is no falling back after it. */
        _cleanup_free_ char *ro = TAKE_PTR(c->fallback_path);
        kn_error e, err = {0};
        int r;

        c->hello_pending = false;
        c->quiet = true;
        r = cli_conn_recv(c, &reply);
        c->quiet = false;
        if (r != 0 && c->ssh_pid > 0)
                return cli_ssh_failed(c);
        if (r != 0) {
                cli_error("cannot talk to %s: %s (is it kvmnetd's socket?)", c->where,
                          c->last_error);
                return KN_EXIT_CONNECT;
        }
        kn_api_reply_error(reply, &e);
        if ((e.code == EACCES || e.code == EPERM) && ro) {
                c->fallback_reason = kn_xstrdup(e.message);
                r = open_socket(c, ro, &err);
                if (r < 0) {
                        cli_error("%s", err.message);
                        return open_exit(r);
                }
                c->fell_back = true;
                return hello_read(c);
        }
        kn_strbuf_done(&c->replay);
        c->replay_n = 0;
        if (e.code != 0) {
                cli_error("%s", e.message);
                return open_exit(-e.code);
        }
        json_object *result, *o;
        if (json_object_object_get_ex(reply, "result", &result) &&
            json_object_object_get_ex(result, "read_only", &o))
                c->read_only = json_object_get_boolean(o);
        /* ssh:// to the default socket: read-only only by the far fallback. */
        if (c->ssh_pid > 0 && c->read_only && c->fallback_reason)
                c->fell_back = true;
        return KN_EXIT_OK;
}

/* Read hello's reply: the daemon's greeting, or why it refuses us. */
static int hello_finish(cli_conn *c) {
        char context[sizeof cli_context];

        /* What goes wrong here is the connection's, not a batch line's. */
        memcpy(context, cli_context, sizeof context);
        cli_context[0] = '\0';
        int r = hello_read(c);
        memcpy(cli_context, context, sizeof context);
        return r;
}

int cli_conn_check(cli_conn *c) {
        return c->hello_pending ? hello_finish(c) : KN_EXIT_OK;
}

static int conn_open(cli_conn *c, const cli_options *o) {
        kn_error err = {0};
        int r;

        if (o->root) {
                c->where = kn_xasprintf("root %s", o->root);
                c->offline_ops = cli_offline_load();
                if (!c->offline_ops)
                        return KN_EXIT_FAILED;
                r = c->offline_ops->open(o->root, o->backend, o->netns, o->state_dir, &c->offline,
                                         &err);
                if (r < 0) {
                        cli_error("%s", err.message);
                        return KN_EXIT_FAILED;
                }
                return KN_EXIT_OK;
        }

        if (o->uri && cli_ssh_uri(o->uri)) {
                r = cli_ssh_open(c, o->uri);
                if (r == KN_EXIT_OK)
                        session_start(c);
                return r;
        }
        if (o->uri) {
                const char *path = uri_path(o->uri);
                if (!path) {
                        cli_error("unsupported connection URI '%s' (valid: unix:///PATH, e.g. "
                                  "unix://%s, or ssh://[USER@]HOST[:PORT][/PATH])",
                                  o->uri, KN_SOCKET_PATH);
                        return KN_EXIT_USAGE;
                }
                r = open_socket(c, path, &err);
                if (r < 0) {
                        cli_error("%s", err.message);
                        return open_exit(r);
                }
                return KN_EXIT_OK;
        }

        /* The default: read-write if we may, else read-only; refused either
         * by the socket's mode now or by the daemon in reply to hello. */
        const char *dir = kn_api_run_dir();
        _cleanup_free_ char *rw = kn_xasprintf("%s/%s", dir, KN_SOCKET_NAME);
        _cleanup_free_ char *ro = kn_xasprintf("%s/%s", dir, KN_SOCKET_RO_NAME);
        c->fallback_path = kn_xstrdup(ro);
        r = open_socket(c, rw, &err);
        if (r == -EACCES || r == -EPERM) {
                free(TAKE_PTR(c->fallback_path));
                c->fallback_reason = kn_xstrdup(err.message);
                kn_error_clear(&err);
                r = open_socket(c, ro, &err);
                c->fell_back = r >= 0;
        }
        if (r < 0) {
                cli_error("%s", err.message);
                return open_exit(r);
        }
        return KN_EXIT_OK;
}

int cli_conn_open(cli_conn *c, const cli_options *o) {
        *c = (cli_conn){.fd = -1, .next_id = 1, .expect_id = 1};
        int r = conn_open(c, o);
        if (r != KN_EXIT_OK)
                cli_conn_close(c);
        return r;
}

void cli_conn_close(cli_conn *c) {
        reset_socket(c);
        cli_ssh_close(c);
        for (size_t k = c->first_reply; k < c->n_replies; k++)
                json_object_put(c->replies[k]);
        free(c->replies);
        for (size_t k = 0; k < c->n_events; k++)
                json_object_put(c->events[k]);
        free(c->events);
        if (c->offline)
                c->offline_ops->close(c->offline);
        free(c->where);
        free(c->fallback_reason);
        free(c->fallback_path);
        kn_strbuf_done(&c->replay);
        *c = (cli_conn){.fd = -1};
}

/* Move queued bytes out and received bytes in, waiting for at least one
 * of them; both directions at once, so a long pipeline never deadlocks
 * against a daemon that holds back while its replies go unread. */
static int pump(cli_conn *c, int timeout_ms) {
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        if (c->out.len > c->out_sent)
                p.events |= POLLOUT;
        int n_ready = poll(&p, 1, timeout_ms);
        if (n_ready < 0)
                return errno == EINTR ? 0 : -errno;
        if (n_ready == 0)
                return -ETIMEDOUT;
        if (p.revents & POLLOUT) {
                ssize_t n = send(c->fd, c->out.s + c->out_sent, c->out.len - c->out_sent,
                                 MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n < 0 && errno != EAGAIN && errno != EINTR && errno != EPIPE)
                        return -errno;
                /* On EPIPE the daemon may still have said why: read on. */
                if (n > 0)
                        c->out_sent += (size_t) n;
                if (c->out_sent == c->out.len)
                        c->out.len = c->out_sent = 0;
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
                if (c->in.alloc - c->in.len < 65537) {
                        c->in.alloc = c->in.alloc * 2 > c->in.len + 65537 ? c->in.alloc * 2
                                                                          : c->in.len + 65537;
                        c->in.s = kn_xrealloc(c->in.s, c->in.alloc);
                }
                ssize_t n = recv(c->fd, c->in.s + c->in.len, 65536, MSG_DONTWAIT);
                if (n < 0 && errno != EAGAIN && errno != EINTR)
                        return -errno;
                if (n == 0)
                        return -ECONNRESET;
                if (n > 0) {
                        c->in.len += (size_t) n;
                        c->in.s[c->in.len] = '\0';
                }
        }
        return 0;
}

int cli_conn_send(cli_conn *c, const char *verb, json_object *args) {
        json_object *req = request_new(c, verb, args);

        if (c->offline) {
                json_object *reply = c->offline_ops->call(c->offline, req);
                json_object_put(req);
                GREEDY_REALLOC(c->replies, c->alloc_replies, c->n_replies + 1);
                c->replies[c->n_replies++] = reply;
                return KN_EXIT_OK;
        }

        queue_line(c, req);
        json_object_put(req);
        /* Send what goes without waiting; pump() does the rest. */
        while (c->out_sent < c->out.len) {
                ssize_t n = send(c->fd, c->out.s + c->out_sent, c->out.len - c->out_sent,
                                 MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n <= 0)
                        break;
                c->out_sent += (size_t) n;
        }
        if (c->out_sent == c->out.len)
                c->out.len = c->out_sent = 0;
        cli_times.sent = cli_now_us();
        return KN_EXIT_OK;
}

_printf_(2, 3) static int conn_failed(cli_conn *c, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->last_error, sizeof c->last_error, fmt, ap);
        va_end(ap);
        if (!c->quiet)
                cli_error("%s", c->last_error);
        return KN_EXIT_CONNECT;
}

cli_timings cli_times;

int64_t cli_now_us(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static long msec_now(void) {
        return (long) (cli_now_us() / 1000);
}

/* The next line from the daemon as a JSON object, waiting up to
 * timeout_ms (< 0: for ever; *ret NULL on timeout).  Returns an exit code. */
static int read_line(cli_conn *c, int timeout_ms, json_object **ret) {
        long deadline = timeout_ms >= 0 ? msec_now() + timeout_ms : -1;
        char *nl;
        *ret = NULL;
        while (!(
                nl = memchr(c->in.s ? c->in.s + c->in_start : "", '\n', c->in.len - c->in_start))) {
                if (c->in_start > 0) {
                        memmove(c->in.s, c->in.s + c->in_start, c->in.len - c->in_start);
                        c->in.len -= c->in_start;
                        c->in_start = 0;
                }
                long left = deadline < 0 ? -1 : deadline - msec_now();
                if (deadline >= 0 && left <= 0)
                        return KN_EXIT_OK;
                int r = pump(c, (int) left);
                if (r == -ETIMEDOUT)
                        return KN_EXIT_OK;
                if (r < 0)
                        return conn_failed(c, "connection to %s lost: %s", c->where,
                                           r == -ECONNRESET
                                                   ? c->ssh_pid > 0 ? "ssh or the daemon closed it"
                                                                    : "the daemon closed it"
                                                   : strerror(-r));
        }
        const char *line = c->in.s + c->in_start;
        size_t len = (size_t) (nl - line);
        c->in_start += len + 1;

        kn_error err = {0};
        json_object *o = NULL;
        if (kn_api_parse_request(line, len, &o, &err) < 0 ||
            !json_object_is_type(o, json_type_object)) {
                json_object_put(o);
                return conn_failed(c, "%s sent an invalid reply: %s", c->where,
                                   err.code ? err.message : "not a JSON object");
        }
        *ret = o;
        return KN_EXIT_OK;
}

/* read_line() without a timeout that, after a second, shows on stderr (a
 * terminal) what c->progress waits for and for how long; the line goes
 * again when the reply comes. */
static int read_line_showing_progress(cli_conn *c, json_object **ret) {
        if (!c->progress)
                return read_line(c, -1, ret);
        long start = msec_now();
        bool shown = false;
        int r;
        while ((r = read_line(c, 1000, ret)) == KN_EXIT_OK && !*ret) {
                fprintf(stderr, "\r%s (%ld s)", c->progress, (msec_now() - start + 500) / 1000);
                shown = true;
        }
        if (shown)
                fputs("\r\033[K", stderr);
        return r;
}

int cli_conn_recv(cli_conn *c, json_object **reply) {
        if (c->offline) {
                if (c->first_reply == c->n_replies)
                        return KN_EXIT_FAILED;
                *reply = c->replies[c->first_reply++];
                if (c->first_reply == c->n_replies)
                        c->first_reply = c->n_replies = 0;
                return KN_EXIT_OK;
        }

        /* hello's reply comes first. */
        int r = cli_conn_check(c);
        if (r != KN_EXIT_OK)
                return r;
        json_object *o;
        for (;;) {
                r = read_line_showing_progress(c, &o);
                if (r != KN_EXIT_OK)
                        return r;
                /* Events interleave with replies once subscribed: keep them. */
                if (!kn_api_is_event(o))
                        break;
                GREEDY_REALLOC(c->events, c->alloc_events, c->n_events + 1);
                c->events[c->n_events++] = o;
        }
        /* Replies come in order; an error about the line itself has id null. */
        json_object *id = NULL;
        json_object_object_get_ex(o, "id", &id);
        if (id && (uint64_t) json_object_get_int64(id) != c->expect_id) {
                json_object_put(o);
                return conn_failed(c, "%s replied to request %" PRId64 " where %lu was next",
                                   c->where, json_object_get_int64(id), c->expect_id);
        }
        c->expect_id++;
        c->outstanding--;
        cli_times.received = cli_now_us();
        *reply = o;
        return KN_EXIT_OK;
}

int cli_conn_next_event(cli_conn *c, int timeout_ms, json_object **event) {
        *event = NULL;
        if (c->n_events > 0) {
                *event = c->events[0];
                memmove(c->events, c->events + 1, --c->n_events * sizeof *c->events);
                return KN_EXIT_OK;
        }
        if (c->offline)
                return KN_EXIT_FAILED;
        int r = cli_conn_check(c);
        if (r != KN_EXIT_OK)
                return r;
        json_object *o;
        r = read_line(c, timeout_ms, &o);
        if (r != KN_EXIT_OK || !o)
                return r;
        if (!kn_api_is_event(o)) {
                json_object_put(o);
                return conn_failed(c, "%s sent a reply where an event was expected", c->where);
        }
        *event = o;
        return KN_EXIT_OK;
}

int cli_conn_call(cli_conn *c, const char *verb, json_object *args, json_object **reply) {
        int r = cli_conn_send(c, verb, args);
        if (r != 0)
                return r;
        return cli_conn_recv(c, reply);
}

int cli_exit_for_errno(int code) {
        switch (code) {
        case 0: return KN_EXIT_OK;
        case ENOENT:
        case ENODEV:
        case ENXIO:
        case ESRCH: return KN_EXIT_NOT_FOUND;
        case EPERM:
        case EACCES:
        case EROFS: return KN_EXIT_REFUSED;
        case EBUSY:
        case EEXIST:
        case EALREADY:
        case EINPROGRESS:
        case ENOTEMPTY: return KN_EXIT_BUSY;
        case ETIMEDOUT:
        case ETIME: return KN_EXIT_TIMEOUT;
        default: return KN_EXIT_FAILED;
        }
}

int cli_exit_for_reply(json_object *reply, int code) {
        int r = cli_exit_for_errno(code);
        json_object *e, *undone;
        if (r == KN_EXIT_FAILED && json_object_object_get_ex(reply, "error", &e) &&
            json_object_object_get_ex(e, "undone", &undone) &&
            json_object_is_type(undone, json_type_array) && json_object_array_length(undone) > 0)
                return KN_EXIT_UNDONE;
        return r;
}

json_object *cli_reply_result(cli_conn *c, const char *verb, json_object *reply) {
        json_object *result = NULL;
        kn_error err;
        kn_api_reply_error(reply, &err);
        c->reply_exit = cli_exit_for_reply(reply, err.code);
        if (err.code == 0) {
                if (!json_object_object_get_ex(reply, "result", &result) ||
                    !json_object_is_type(result, json_type_object)) {
                        cli_error("%s: %s sent a success reply without a result", verb, c->where);
                        c->reply_exit = KN_EXIT_CONNECT;
                        return NULL;
                }
                return result;
        }
        cli_error("%s", err.message);
        /* On the read-only socket, EPERM is its refusal of a changing verb. */
        if (err.code == EPERM && c->fell_back)
                fprintf(stderr,
                        "note: kvmnet connected to the read-only socket because the "
                        "read-write one refused it: %s\n",
                        c->fallback_reason);
        return NULL;
}
