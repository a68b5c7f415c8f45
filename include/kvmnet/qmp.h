/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* QMP client: QEMU's JSON monitor on a unix socket.
 *
 * One kn_qmp is one connection.  It keeps no global state and never blocks
 * unless asked to, so a single-threaded daemon can own many of them:
 *
 *   - register kn_qmp_fd() in epoll with kn_qmp_poll_events() (POLLIN, plus
 *     POLLOUT while output is stuck in a full socket buffer);
 *   - call kn_qmp_process() when the fd is readable or writable: it reads
 *     what the socket holds, runs the reply and event callbacks and writes
 *     what can be written;
 *   - start commands with kn_qmp_send(); the reply callback runs exactly
 *     once: with QEMU's answer, or with an error when the connection dies.
 *
 * Sequential users (CLI, tests) use the blocking helpers instead
 * (kn_qmp_connect(), kn_qmp_execute(), kn_qmp_getfd(), kn_qmp_wait_event()),
 * which drive the same machinery with poll(2) and a deadline.
 *
 * The handshake is done by the connection itself: the greeting is read,
 * qmp_capabilities is sent first, and commands queued before that are held
 * back until QEMU accepted it.  Every command carries a unique "id" and its
 * reply is matched by it.  A command that passes a file descriptor is sent
 * only when every earlier command has been answered, and nothing else is
 * sent with it: QEMU keeps at most the descriptors of one read, so two
 * getfd in flight could lose one.
 *
 * Callbacks must not call kn_qmp_free() or the blocking helpers on the
 * same connection; they may call kn_qmp_send() and kn_qmp_cancel(). */

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "kvmnet/error.h"

typedef struct kn_qmp kn_qmp;

typedef enum kn_qmp_state {
        KN_QMP_GREETING,    /* connected, QEMU's greeting not read yet */
        KN_QMP_NEGOTIATING, /* qmp_capabilities sent, not answered yet */
        KN_QMP_READY,       /* commands flow */
        KN_QMP_CLOSED,      /* EOF, I/O or protocol error: only kn_qmp_free() is left */
        _KN_QMP_STATE_MAX,
} kn_qmp_state;

const char *kn_qmp_state_to_string(kn_qmp_state s);

/* What a reply callback gets.  Everything is borrowed for the duration of
 * the callback (json_object_get() what must outlive it). */
typedef struct kn_qmp_reply {
        uint64_t id;
        const char *command;
        int r;                   /* 0, or a negative errno value */
        json_object *ret;        /* QEMU's "return" member; NULL when r < 0 */
        const char *error_class; /* QEMU's error "class", NULL unless QEMU sent an error */
        const char *error_desc;  /* QEMU's error "desc", likewise */
        const kn_error *error;   /* message naming the command, when r < 0 */
} kn_qmp_reply;

/* An asynchronous event.  data may be NULL (RESUME has none). */
typedef struct kn_qmp_event {
        const char *name;
        json_object *data;
        int64_t timestamp_usec; /* QEMU's wall clock stamp, -1 if the event had none */
} kn_qmp_event;

typedef void (*kn_qmp_reply_fn)(kn_qmp *q, const kn_qmp_reply *reply, void *userdata);
typedef void (*kn_qmp_event_fn)(kn_qmp *q, const kn_qmp_event *ev, void *userdata);
/* Called on READY, and once on CLOSED with the reason. */
typedef void (*kn_qmp_state_fn)(kn_qmp *q, kn_qmp_state state, const kn_error *reason,
                                void *userdata);
typedef bool (*kn_qmp_match_fn)(const kn_qmp_event *ev, void *userdata);

/* ---- connection ---- */

/* Adopt a connected stream socket (made non-blocking and close-on-exec
 * here).  The connection starts in KN_QMP_GREETING; label names it in
 * error messages (the socket path, a guest name), may be NULL.  The fd is
 * owned by q from now on, even on failure. */
int kn_qmp_new(int fd, const char *label, kn_qmp **ret);

/* Connect to the unix socket at path without waiting for the greeting. */
int kn_qmp_open(const char *path, kn_qmp **ret, kn_error *err);

/* Connect (retrying while the socket does not exist yet or refuses, as
 * when QEMU is still starting) and complete the handshake, all within
 * timeout_ms (< 0: no limit). */
int kn_qmp_connect(const char *path, int timeout_ms, kn_qmp **ret, kn_error *err);

/* Close the socket.  Commands still waiting get their callback with
 * -ECANCELED; the state callback is not called. */
kn_qmp *kn_qmp_free(kn_qmp *q);
static inline void kn_qmp_freep(kn_qmp **q) {
        kn_qmp_free(*q);
}

void kn_qmp_set_event_handler(kn_qmp *q, kn_qmp_event_fn fn, void *userdata);
void kn_qmp_set_state_handler(kn_qmp *q, kn_qmp_state_fn fn, void *userdata);
/* Timeout of kn_qmp_getfd() and kn_qmp_closefd() (default 10 s). */
void kn_qmp_set_timeout(kn_qmp *q, int timeout_ms);

int kn_qmp_fd(const kn_qmp *q);
kn_qmp_state kn_qmp_get_state(const kn_qmp *q);
/* QEMU's version from the greeting; -ENODATA before it was read. */
int kn_qmp_qemu_version(const kn_qmp *q, unsigned *major, unsigned *minor, unsigned *micro);

/* ---- event loop ---- */

/* POLLIN, | POLLOUT while queued output waits for room in the socket.  0
 * once closed. */
short kn_qmp_poll_events(const kn_qmp *q);

/* Read everything the socket holds, dispatch it, write what can be
 * written.  Returns 0, or a negative errno once the connection is closed
 * (err says why; pending commands were already failed). */
int kn_qmp_process(kn_qmp *q, kn_error *err);

/* Dispatch bytes that were read elsewhere, as if they came from the
 * socket (a chunk may end anywhere, even inside a JSON value). */
int kn_qmp_feed(kn_qmp *q, const void *data, size_t len, kn_error *err);

/* Queue a command and write it if the socket takes it.  args may be NULL
 * (it is not kept).  fd >= 0 is sent along with the command in one
 * SCM_RIGHTS message; the caller keeps its own copy.  fn may be NULL (the
 * reply is dropped).  ret_id may be NULL.  Once this returns 0 the outcome
 * goes to fn only — which may run before this returns, if writing fails
 * and closes the connection.  A negative return means nothing was queued
 * and fn will not run. */
int kn_qmp_send(kn_qmp *q, const char *command, json_object *args, int fd, kn_qmp_reply_fn fn,
                void *userdata, uint64_t *ret_id, kn_error *err);

/* Forget a command's callback: a reply that arrives later is dropped.  A
 * command not written at all yet is not sent. */
void kn_qmp_cancel(kn_qmp *q, uint64_t id);

/* ---- blocking helpers (poll(2) with a deadline; timeout_ms < 0: none) ---- */

int kn_qmp_wait_ready(kn_qmp *q, int timeout_ms, kn_error *err);

/* Run one command and wait for its reply.  *ret (if ret is not NULL) gets
 * QEMU's "return" value, owned by the caller.  A QEMU error reply becomes
 * an error naming the command and quoting QEMU's desc; a monitor closed
 * before the reply becomes "QEMU closed the monitor during COMMAND". */
int kn_qmp_execute(kn_qmp *q, const char *command, json_object *args, json_object **ret,
                   int timeout_ms, kn_error *err);

/* Same, passing fd with SCM_RIGHTS along with the command. */
int kn_qmp_execute_fd(kn_qmp *q, const char *command, json_object *args, int fd, json_object **ret,
                      int timeout_ms, kn_error *err);

/* QMP getfd: hand exactly one descriptor to QEMU under name.  The caller
 * keeps (and closes) its own copy.  Names must not start with a digit
 * (QEMU would read them as fd numbers). */
int kn_qmp_getfd(kn_qmp *q, const char *name, int fd, kn_error *err);
int kn_qmp_closefd(kn_qmp *q, const char *name, kn_error *err);

/* Wait for an event called name (NULL: any) for which match (may be NULL)
 * returns true.  Events that arrived earlier and were queued (no event
 * handler set) are looked at first.  *ret_data (if not NULL) gets the
 * event's data (may be NULL), owned by the caller; *ret_timestamp_usec
 * likewise. */
int kn_qmp_wait_event(kn_qmp *q, const char *name, kn_qmp_match_fn match, void *userdata,
                      int timeout_ms, json_object **ret_data, int64_t *ret_timestamp_usec,
                      kn_error *err);

/* Match function for DEVICE_DELETED of the device whose id is
 * userdata (a const char *): the event for the device itself, not the one
 * virtio devices also send for their backend child
 * (/machine/peripheral/ID/virtio-backend, which carries no "device"). */
bool kn_qmp_match_device_deleted(const kn_qmp_event *ev, void *device_id);
