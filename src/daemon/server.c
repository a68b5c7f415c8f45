/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>

#include "daemon.h"
#include "kvmnet/api.h"
#include "macro.h"
#include "mkdir.h"
#include "utf8.h"

struct kn_client {
        kn_daemon *d;
        int fd; /* -1 once dropped */
        kn_loop_watch *watch;
        kn_client *prev, *next;
        kn_listener *l;
        unsigned long id;
        bool read_only;
        char *denied; /* why every request is refused, or NULL */
        struct ucred cred;
        bool privileged;      /* root or the daemon's user: no per-uid limit */
        bool counted;         /* in l->n_clients (all but root's on the read-write socket) */
        uint64_t active_usec; /* the last request taken or answered, for the idle timeout */
        size_t in_acct;       /* in.alloc as counted in d->in_bytes */
        bool queued;          /* lines left when its turn ended: d->turn_timer resumes it */

        kn_strbuf in;
        size_t in_start; /* where the next unhandled line begins */
        size_t in_scan;  /* how far in[] has been searched for '\n' */
        bool eof;        /* the client will send nothing more */

        kn_strbuf out;
        size_t out_sent;
        bool closing; /* drop once out[] is sent */
        struct timespec last_progress;

        /* One request at a time: while one is unfinished (busy), the next
         * line waits, so replies leave in request order. */
        kn_api_session *session;
        json_object *request; /* the unfinished one, for the log */
        bool busy;
        bool calling;              /* inside kn_api_call() */
        unsigned long events_lost; /* events dropped over the output cap */
};

static void client_handler(int fd, uint32_t events, void *userdata);

static void now(struct timespec *ts) {
        clock_gettime(CLOCK_MONOTONIC, ts);
}

static size_t out_pending(const kn_client *c) {
        return c->out.len - c->out_sent;
}

/* Clients */

/* The partial requests' memory, all clients together (d->max_input). */
static void in_account(kn_daemon *d, kn_client *c) {
        d->in_bytes = d->in_bytes - c->in_acct + c->in.alloc;
        c->in_acct = c->in.alloc;
}

static void in_release(kn_daemon *d, kn_client *c) {
        kn_strbuf_done(&c->in);
        c->in_start = c->in_scan = 0;
        in_account(d, c);
}

/* Read while a request may be handled and output has room; a busy client
 * is not read (a hang-up still shows as EPOLLHUP). */
static void client_update_events(kn_daemon *d, kn_client *c) {
        uint32_t ev = 0;
        if (!c->closing && !c->eof && !c->busy && !c->queued && out_pending(c) < KN_DAEMON_OUT_HIGH)
                ev |= EPOLLIN;
        if (out_pending(c) > 0)
                ev |= EPOLLOUT;
        (void) kn_loop_mod_fd(d->loop, c->watch, ev);
}

static void clients_reap(void *userdata);

static void client_drop(kn_daemon *d, kn_client *c, const char *why) {
        if (c->fd < 0)
                return;
        if (why)
                kn_logp(KN_LOG_WARNING, "client %lu (uid %u pid %d): %s; dropped", c->id,
                        (unsigned) c->cred.uid, (int) c->cred.pid, why);
        else
                kn_logp(KN_LOG_DEBUG, "client %lu: disconnected", c->id);
        kn_loop_del(d->loop, TAKE_PTR(c->watch));
        close(c->fd);
        c->fd = -1;
        d->in_bytes -= c->in_acct;
        c->in_acct = 0;
        if (c->counted)
                c->l->n_clients--;
        /* Its unfinished request is abandoned: no reply will come. */
        c->session = kn_api_session_free(c->session);
        /* Freed once the callbacks that may still hold it are over. */
        if (c->prev)
                c->prev->next = c->next;
        else
                d->clients = c->next;
        if (c->next)
                c->next->prev = c->prev;
        c->prev = NULL;
        c->next = d->dead;
        d->dead = c;
        d->n_clients--;
        if (!d->reap_timer)
                (void) kn_loop_add_timer(d->loop, 0, clients_reap, d, &d->reap_timer);
        else
                (void) kn_loop_timer_set(d->loop, d->reap_timer, 0);
}

static void client_free(kn_client *c) {
        kn_api_session_free(c->session);
        json_object_put(c->request);
        kn_strbuf_done(&c->in);
        kn_strbuf_done(&c->out);
        free(c->denied);
        free(c);
}

static void clients_reap(void *userdata) {
        kn_daemon *d = userdata;
        while (d->dead) {
                kn_client *c = d->dead;
                d->dead = c->next;
                client_free(c);
        }
}

void kn_clients_free(kn_daemon *d) {
        while (d->clients)
                client_drop(d, d->clients, NULL);
        clients_reap(d);
        kn_loop_del(d->loop, TAKE_PTR(d->reap_timer));
        kn_loop_del(d->loop, TAKE_PTR(d->stall_timer));
        kn_loop_del(d->loop, TAKE_PTR(d->turn_timer));
}

static void client_event(const char *event_json, void *userdata);

static void tick_arm(kn_daemon *d);

unsigned kn_clients_of_uid(kn_daemon *d, uid_t uid) {
        unsigned n = 0;
        for (kn_client *c = d->clients; c; c = c->next)
                n += c->cred.uid == uid;
        return n;
}

void kn_client_accept(kn_daemon *d, kn_listener *l, int fd_, const struct ucred *cred,
                      bool privileged, char *denied) {
        _cleanup_close_ int fd = fd_;
        kn_client *c = kn_xcalloc(1, sizeof *c);
        c->fd = -1;
        c->d = d;
        c->l = l;
        c->id = ++d->next_client_id;
        c->read_only = l->read_only;
        c->cred = *cred;
        c->privileged = privileged;
        c->denied = denied;
        if (c->denied)
                kn_logp(KN_LOG_WARNING,
                        "client %lu: uid %u pid %d is not allowed on %s; "
                        "refusing its requests",
                        c->id, (unsigned) c->cred.uid, (int) c->cred.pid, l->path);
        if (kn_loop_add_fd(d->loop, fd, EPOLLIN, client_handler, c, &c->watch) < 0) {
                client_free(c);
                return;
        }
        c->fd = TAKE_FD(fd);
        c->session = kn_api_session_new(d->api, client_event, c);
        char label[64];
        snprintf(label, sizeof label, "connection %lu", c->id);
        kn_api_session_set_peer(c->session, c->cred.uid, c->cred.pid, label);
        now(&c->last_progress);
        c->active_usec = kn_loop_now_usec();
        c->next = d->clients;
        if (c->next)
                c->next->prev = c;
        d->clients = c;
        d->n_clients++;
        c->counted = l->read_only || !privileged;
        if (c->counted)
                l->n_clients++;
        tick_arm(d);
        kn_logp(KN_LOG_DEBUG, "client %lu: uid %u pid %d on %s%s", c->id, (unsigned) c->cred.uid,
                (int) c->cred.pid, l->path, l->read_only ? " (read-only)" : "");
}

static void line_append(kn_client *c, const char *s, size_t len) {
        /* The stall clock starts when output starts waiting. */
        if (out_pending(c) == 0) {
                now(&c->last_progress);
                tick_arm(c->d);
        }
        size_t start = c->out.len;
        kn_strbuf_putn(&c->out, s, len);
        /* Never anything but UTF-8 out, whatever a file or a message held
         * (outside strings json-c writes ASCII only). */
        if (!kn_utf8_valid(c->out.s + start, len)) {
                c->out.len = start + kn_utf8_repair(c->out.s + start, len);
                c->out.s[c->out.len] = '\0';
        }
        kn_strbuf_putc(&c->out, '\n');
}

static void reply_append(kn_client *c, json_object *reply) {
        size_t len;
        const char *s = json_object_to_json_string_length(
                reply, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
        line_append(c, s, len);
}

/* Events go between whole lines.  A client whose unread output is over
 * the cap loses them; once it has caught up it is told how many. */
static void client_event(const char *event_json, void *userdata) {
        kn_client *c = userdata;
        if (c->fd < 0 || c->closing)
                return;
        if (out_pending(c) >= KN_DAEMON_OUT_HIGH) {
                if (c->events_lost++ == 0)
                        kn_logp(KN_LOG_WARNING,
                                "client %lu (uid %u pid %d): reads its events too slowly; "
                                "dropping them until it catches up",
                                c->id, (unsigned) c->cred.uid, (int) c->cred.pid);
                return;
        }
        line_append(c, event_json, strlen(event_json));
        /* Sent by the loop (EPOLLOUT), never from here: a failed send would
         * drop the client, and with it a session being published to. */
        client_update_events(c->d, c);
}

static void lost_append(kn_client *c) {
        char line[96];
        int n = snprintf(line, sizeof line, "{\"event\":\"lost\",\"count\":%lu}", c->events_lost);
        line_append(c, line, (size_t) n);
        c->events_lost = 0;
}
static void log_request(kn_daemon *d, kn_client *c, json_object *request, json_object *reply,
                        int r) {
        json_object *o;
        const char *verb = NULL, *name = NULL;
        if (json_object_object_get_ex(request, "verb", &o))
                verb = json_object_get_string(o);
        /* Changes are news; reads only when debugging. */
        int prio = kn_api_verb_mutates(verb) ? KN_LOG_INFO : KN_LOG_DEBUG;
        if (!kn_log_enabled(prio))
                return;
        if (json_object_object_get_ex(reply, "result", &o) &&
            json_object_object_get_ex(o, "name", &o))
                name = json_object_get_string(o);
        if (r >= 0) {
                kn_logp(prio, "client %lu (uid %u): %s%s%s: ok", c->id, (unsigned) c->cred.uid,
                        verb ? verb : "?", name ? " " : "", name ? name : "");
                return;
        }
        kn_error err;
        kn_api_reply_error(reply, &err);
        kn_logp(prio, "client %lu (uid %u): error: %s", c->id, (unsigned) c->cred.uid, err.message);
}

static void client_resume(kn_daemon *d, kn_client *c);

/* The reply to the client's current request, now or later (from the loop,
 * when the worker or an event finished it). */
static void client_done(json_object *reply, int r, void *userdata) {
        kn_client *c = userdata;
        kn_daemon *d = c->d;
        log_request(d, c, c->request, reply, r);
        json_object_put(c->request);
        c->request = NULL;
        c->busy = false;
        c->active_usec = kn_loop_now_usec();
        reply_append(c, reply);
        json_object_put(reply);
        if (!c->calling)
                client_resume(d, c);
}

static void handle_line(kn_daemon *d, kn_client *c, const char *line, size_t len) {
        json_object *request = NULL, *reply = NULL, *id = NULL;
        kn_error err = {0};
        int r;

        d->n_requests++;
        c->active_usec = kn_loop_now_usec();
        if (len > 0 && line[len - 1] == '\r')
                len--;
        r = kn_api_parse_request(line, len, &request, &err);
        if (r < 0) {
                reply = kn_api_error_reply(NULL, err.code, "%s", err.message);
                kn_logp(KN_LOG_DEBUG, "client %lu: %s", c->id, err.message);
        } else if (c->denied) {
                if (json_object_is_type(request, json_type_object))
                        json_object_object_get_ex(request, "id", &id);
                reply = kn_api_error_reply(id, EACCES, "%s", c->denied);
        } else {
                c->busy = true;
                c->request = request;
                c->calling = true;
                r = kn_api_call(d->api, c->session, request, c->read_only ? KN_API_READ_ONLY : 0,
                                client_done, c);
                c->calling = false;
                if (r == KN_API_PENDING)
                        kn_logp(KN_LOG_DEBUG, "client %lu: %s: running", c->id,
                                json_object_get_string(json_object_object_get(request, "verb")));
                return;
        }
        reply_append(c, reply);
        json_object_put(reply);
        json_object_put(request);
}

/* Say why, hang up once that is sent; what it sent no longer counts. */
_printf_(4, 5) static void client_close_error(kn_daemon *d, kn_client *c, int code, const char *fmt,
                                              ...) {
        kn_error err = {0};
        va_list ap;
        va_start(ap, fmt);
        kn_error_setv(&err, code, fmt, ap);
        va_end(ap);
        json_object *reply = kn_api_error_reply(NULL, code, "%s", err.message);
        reply_append(c, reply);
        json_object_put(reply);
        kn_logp(KN_LOG_WARNING, "client %lu (uid %u pid %d): %s", c->id, (unsigned) c->cred.uid,
                (int) c->cred.pid, err.message);
        c->closing = true;
        in_release(d, c);
}

/* There is no telling where the next request would start: say why, hang up. */
static void line_too_long(kn_client *c) {
        client_close_error(c->d, c, EMSGSIZE,
                           "request line longer than %u bytes; closing the connection",
                           KN_DAEMON_MAX_LINE);
}

typedef enum {
        LINES_DONE, /* all complete lines handled, or the client is busy */
        LINES_HELD, /* too much output waiting */
        LINES_MORE, /* its turn is over, more lines wait */
} lines_state;

/* Handle the complete lines received, while the client keeps reading what
 * it gets back; what stays unhandled waits in in[] (backpressure).  At most
 * KN_DAEMON_LINES_PER_TURN at a time: a client that pipelines thousands of
 * requests takes turns with the others. */
static lines_state client_handle_lines(kn_daemon *d, kn_client *c) {
        lines_state state = LINES_DONE;
        unsigned handled = 0;
        while (!c->closing && !c->busy && c->in.s) {
                if (out_pending(c) >= KN_DAEMON_OUT_HIGH) {
                        state = LINES_HELD;
                        break;
                }
                if (handled++ == KN_DAEMON_LINES_PER_TURN) {
                        state = LINES_MORE;
                        break;
                }
                char *base = c->in.s + c->in_start;
                size_t avail = c->in.len - c->in_start;
                size_t from = c->in_scan > c->in_start ? c->in_scan - c->in_start : 0;
                char *nl = from < avail ? memchr(base + from, '\n', avail - from) : NULL;
                if (!nl) {
                        c->in_scan = c->in.len;
                        if (avail > KN_DAEMON_MAX_LINE)
                                line_too_long(c);
                        else if (c->eof && avail > 0) {
                                /* A last request without its newline still counts. */
                                handle_line(d, c, base, avail);
                                c->in_start = c->in.len;
                        }
                        break;
                }
                size_t len = (size_t) (nl - base);
                c->in_start += len + 1;
                c->in_scan = c->in_start;
                if (len > KN_DAEMON_MAX_LINE) {
                        line_too_long(c);
                        break;
                }
                handle_line(d, c, base, len);
        }
        /* Keep only the unhandled tail, at the front; moved once half the
         * buffer is done with, not after every turn. */
        size_t rest = c->in.len - c->in_start;
        if (c->in_start > 0 && rest == 0)
                /* An idle client holds no buffer (d->max_input). */
                in_release(d, c);
        else if (c->in_start > 0 && c->in_start >= rest) {
                memmove(c->in.s, c->in.s + c->in_start, rest);
                c->in.len = rest;
                c->in_scan -= c->in_start;
                c->in_start = 0;
        }
        if (c->eof && c->in.len == c->in_start && !c->busy)
                c->closing = true;
        return state;
}

static void client_flush(kn_daemon *d, kn_client *c) {
        if (c->events_lost && out_pending(c) < KN_DAEMON_OUT_HIGH / 2)
                lost_append(c);
        while (out_pending(c) > 0) {
                ssize_t n = send(c->fd, c->out.s + c->out_sent, out_pending(c),
                                 MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                break;
                        /* The client went away without reading: nothing to report. */
                        client_drop(d, c,
                                    errno == EPIPE || errno == ECONNRESET ? NULL : strerror(errno));
                        return;
                }
                c->out_sent += (size_t) n;
                now(&c->last_progress);
                if (c->events_lost && out_pending(c) < KN_DAEMON_OUT_HIGH / 2)
                        lost_append(c);
        }
        if (out_pending(c) == 0) {
                c->out.len = c->out_sent = 0;
                if (c->out.alloc > (1u << 20))
                        kn_strbuf_done(&c->out);
                if (c->closing) {
                        client_drop(d, c, NULL);
                        return;
                }
        }
        client_update_events(d, c);
}

static void client_read(kn_daemon *d, kn_client *c) {
        /* Through one buffer for all, so a client holds only what it sent
         * (d->max_input counts it). */
        static char buf[64u << 10];
        /* A bounded amount per wake-up, so one busy client can't starve the
         * others; epoll reports the rest next round. */
        for (int round = 0; round < 4 && !c->eof; round++) {
                ssize_t n = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                break;
                        client_drop(d, c, errno == ECONNRESET ? NULL : strerror(errno));
                        return;
                }
                if (n == 0)
                        c->eof = true;
                kn_strbuf_putn(&c->in, buf, (size_t) n);
                if ((size_t) n < sizeof buf)
                        break;
        }
        in_account(d, c);
}

/* Over d->max_input: the biggest partial request goes, with its
 * connection; root's and the daemon user's only when no one else's is left. */
static void input_shed(kn_daemon *d) {
        while (d->in_bytes > d->max_input) {
                kn_client *victim = NULL;
                for (kn_client *c = d->clients; c; c = c->next) {
                        if (c->in.alloc == 0)
                                continue;
                        if (!victim || (victim->privileged && !c->privileged) ||
                            (victim->privileged == c->privileged && c->in.alloc > victim->in.alloc))
                                victim = c;
                }
                if (!victim)
                        return;
                size_t held = victim->in.len - victim->in_start;
                in_release(d, victim);
                client_close_error(d, victim, ENOBUFS,
                                   "kvmnetd's memory for unfinished requests (%zu MiB for all "
                                   "clients) is full; dropped this connection's %zu bytes and "
                                   "closing it",
                                   d->max_input >> 20, held);
                client_flush(d, victim);
        }
}

/* The clients whose turn ended with lines left: each gets another turn,
 * in list order, after whatever else the loop has to do. */
static void clients_turn(void *userdata) {
        kn_daemon *d = userdata;
        for (kn_client *c = d->clients, *next; c; c = next) {
                next = c->next;
                if (!c->queued)
                        continue;
                c->queued = false;
                client_resume(d, c);
        }
}

static void client_queue(kn_daemon *d, kn_client *c) {
        c->queued = true;
        client_update_events(d, c); /* no reading meanwhile */
        int r = d->turn_timer ? kn_loop_timer_set(d->loop, d->turn_timer, 0)
                              : kn_loop_add_timer(d->loop, 0, clients_turn, d, &d->turn_timer);
        if (r < 0) {
                c->queued = false;
                client_update_events(d, c);
        }
}

/* Handle what can be handled and send what can be sent.  Lines held back
 * for output space go on once the client has read some. */
static void client_resume(kn_daemon *d, kn_client *c) {
        for (;;) {
                if (c->fd < 0)
                        return;
                lines_state state = client_handle_lines(d, c);
                client_flush(d, c);
                if (c->fd < 0)
                        return;
                if (state == LINES_MORE) {
                        client_queue(d, c);
                        return;
                }
                if (state != LINES_HELD || out_pending(c) >= KN_DAEMON_OUT_HIGH)
                        return;
        }
}

static void client_handler(int fd, uint32_t events, void *userdata) {
        kn_client *c = userdata;
        kn_daemon *d = c->d;
        if (c->fd < 0)
                return;
        if (events & EPOLLIN) {
                client_read(d, c);
                if (d->in_bytes > d->max_input)
                        input_shed(d);
        } else if (events & (EPOLLHUP | EPOLLERR)) {
                client_drop(d, c, NULL);
                return;
        }
        client_resume(d, c);
}

/* The idle timeout spares a client with a request running or waiting, or
 * following events; and clients allowed on the read-write socket, root's
 * equals anyway, as `kvmnet iface-edit` holds its connection while the
 * editor runs.  A partial line is no request: it times out too. */
static bool idle_timeout_applies(const kn_client *c) {
        if (!c->read_only && !c->denied)
                return false;
        return !c->busy && !c->closing && !kn_api_session_pending(c->session) &&
               !kn_api_session_subscribed(c->session);
}

/* Once a second while there are clients: drop those that read nothing of
 * their replies for KN_DAEMON_STALL_SEC, and idle ones after d->idle_usec
 * without a request (a partial line is no request: it times out too). */
static void clients_tick(void *userdata) {
        kn_daemon *d = userdata;
        struct timespec t;
        uint64_t usec = kn_loop_now_usec();
        bool again = false;
        now(&t);
        d->tick_armed = false;
        for (kn_client *c = d->clients, *next; c; c = next) {
                next = c->next;
                if (out_pending(c) > 0) {
                        long idle = (long) (t.tv_sec - c->last_progress.tv_sec);
                        if (idle >= KN_DAEMON_STALL_SEC) {
                                client_drop(d, c, "replies not read");
                                continue;
                        }
                } else if (d->idle_usec && idle_timeout_applies(c) &&
                           usec - c->active_usec >= d->idle_usec) {
                        client_close_error(d, c, ETIMEDOUT,
                                           "no request for %.1f s (kvmnetd --idle-timeout); "
                                           "closing the connection",
                                           (double) d->idle_usec / 1e6);
                        client_flush(d, c);
                        continue;
                }
                again = again || out_pending(c) > 0 || d->idle_usec;
        }
        if (again)
                tick_arm(d);
}

static void tick_arm(kn_daemon *d) {
        if (d->tick_armed)
                return;
        int r = d->stall_timer
                        ? kn_loop_timer_set(d->loop, d->stall_timer, 1000000)
                        : kn_loop_add_timer(d->loop, 1000000, clients_tick, d, &d->stall_timer);
        d->tick_armed = r >= 0;
}
