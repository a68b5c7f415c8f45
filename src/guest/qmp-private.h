/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by the QMP connection core (qmp.c) and its blocking helpers
 * (qmp-sync.c); nothing outside src/guest/qmp*.c looks inside. */

#include "kvmnet/qmp.h"

/* Largest single message accepted from QEMU (query-qmp-schema is ~200 KB;
 * anything near this is a runaway peer). */
#define KN_QMP_MAX_MESSAGE (64u << 20)
/* Events kept for kn_qmp_wait_event() when no event handler is set; the
 * oldest are dropped beyond this. */
#define KN_QMP_MAX_QUEUED_EVENTS 1024

typedef struct qmp_cmd {
        struct qmp_cmd *next;
        uint64_t id;
        char *name;
        char *buf; /* the whole line, "\n" included */
        size_t len, off;
        int fd;         /* our duplicate of the fd to pass, -1 once sent or if none */
        bool handshake; /* qmp_capabilities: the one command allowed before READY */
        kn_qmp_reply_fn fn;
        void *userdata;
} qmp_cmd;

typedef struct qmp_queued_event {
        struct qmp_queued_event *next;
        char *name;
        json_object *data;
        int64_t timestamp_usec;
} qmp_queued_event;

/* Set up by kn_qmp_wait_event() while it polls: a matching event goes here
 * instead of to the handler or the queue. */
typedef struct qmp_waiter {
        const char *name;
        kn_qmp_match_fn match;
        void *userdata;
        bool found;
        json_object *data;
        int64_t timestamp_usec;
} qmp_waiter;

struct kn_qmp {
        int fd;
        char *label; /* for messages: socket path or caller's name, may be NULL */
        kn_qmp_state state;
        kn_error close_reason; /* why the connection is closed, without a command */

        json_tokener *tok;
        size_t msg_bytes; /* bytes of the message being parsed, for the size limit */

        uint64_t next_id;
        qmp_cmd *cmds; /* in submission order: written ones first */
        bool want_write;

        bool have_version;
        unsigned version[3];

        int timeout_ms;
        kn_qmp_event_fn event_fn;
        void *event_userdata;
        kn_qmp_state_fn state_fn;
        void *state_userdata;

        qmp_queued_event *events, *events_last;
        size_t n_events;
        qmp_waiter *waiter;
};

bool qmp_event_matches(const kn_qmp_event *ev, const char *name, kn_qmp_match_fn match,
                       void *userdata);
