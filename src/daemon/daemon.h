/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* kvmnetd's private pieces: the event loop and its sources (loop.c), the
 * listening sockets and their clients (server.c), the watch on the
 * configuration files (watch.c), startup and signals (kvmnetd.c).
 *
 * Everything runs on one thread around one epoll set.  Every fd in it
 * belongs to an event source: a kn_ev_source embedded as the FIRST member
 * of the struct that owns the fd (listener, client, watch, timer, ...),
 * carrying the handler the loop calls when the fd is ready.  A subsystem
 * registers its sources with kn_daemon_add_source() and the loop never
 * needs to know it exists.  The library's modules (netlink events, the
 * worker thread, QMP monitors) get the same through kn_api_loop_ops
 * (kn_daemon_loop_ops). */

#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include "kvmnet/api.h"
#include "kvmnet/config.h"
#include "strbuf.h"

/* Limits (docs/protocol.md). */
#define KN_DAEMON_MAX_LINE        (4u << 20) /* a request line, without its newline */
#define KN_DAEMON_OUT_HIGH        (1u << 20) /* stop reading a client with this much unsent */
#define KN_DAEMON_STALL_SEC       30         /* drop a client that reads nothing for this long */
#define KN_DAEMON_MAX_CLIENTS     512
#define KN_DAEMON_RELOAD_MSEC     100  /* quiet time before reloading changed files */
#define KN_DAEMON_RELOAD_MAX_MSEC 1000 /* ... but never later than this after the first change */

typedef struct kn_daemon kn_daemon;
typedef struct kn_ev_source kn_ev_source;

/* Called with the epoll events that fired (EPOLLIN, EPOLLOUT, EPOLLHUP...).
 * Cast s to the owning struct: the source is its first member. */
typedef void (*kn_ev_handler)(kn_daemon *d, kn_ev_source *s, uint32_t events);

struct kn_ev_source {
        int fd;          /* -1 while not registered */
        uint32_t events; /* what epoll watches now */
        kn_ev_handler handler;
};

/* Register fd (owned by the caller, who closes it after deleting the
 * source) with the events to watch.  Sets s->fd. */
int kn_daemon_add_source(kn_daemon *d, kn_ev_source *s, int fd, uint32_t events,
                         kn_ev_handler handler);
/* Change what is watched (no system call if it is the same). */
int kn_daemon_mod_source(kn_daemon *d, kn_ev_source *s, uint32_t events);
/* Stop watching; s->fd is kept for the caller to close.  Safe from inside
 * any handler: a source deleted during a round of events is not called
 * again in that round, so its owner may free it at once. */
void kn_daemon_del_source(kn_daemon *d, kn_ev_source *s);

/* kn_api_loop_ops over the daemon's sources (loop data: the kn_daemon). */
extern const kn_api_loop_ops kn_daemon_loop_ops;

typedef struct kn_listener {
        kn_ev_source src;
        bool read_only;
        char *path;
        dev_t dev; /* of the socket inode we bound, to unlink only our own */
        ino_t ino;
} kn_listener;

typedef struct kn_client kn_client;

typedef struct kn_watch {
        kn_ev_source src;   /* inotify */
        kn_ev_source timer; /* timerfd of the debounced reload */
        struct kn_watch_entry {
                int wd;
                char *want; /* for a watch on an ancestor of a missing directory:
                             * the child whose creation matters; NULL otherwise */
        } * entries;
        size_t n_entries, alloc_entries;
        bool pending;
        struct timespec first_change;
} kn_watch;

struct kn_daemon {
        int epfd;
        kn_api *api;
        bool verbose;
        bool quit;

        /* The round of events being dispatched, so that deleting a source
         * can void its later entries. */
        struct epoll_event *round;
        int round_n;

        kn_ev_source sig;
        kn_listener rw, ro;
        bool have_group;
        gid_t gid;
        char *group_name;

        kn_client *clients, *dead;
        unsigned n_clients;
        unsigned long next_client_id;
        unsigned long n_requests;

        kn_watch watch;
};

_printf_(1, 2) void kn_log(const char *fmt, ...);

/* loop.c */
/* Dispatch until d->quit. */
void kn_daemon_run(kn_daemon *d);

/* server.c */
int kn_listener_open(kn_daemon *d, kn_listener *l, const char *path, bool read_only);
void kn_listener_close(kn_daemon *d, kn_listener *l);
/* Drop clients that stopped reading; returns the epoll timeout to use. */
int kn_clients_tick(kn_daemon *d);
void kn_clients_reap(kn_daemon *d); /* free the clients dropped in this round */
void kn_clients_free(kn_daemon *d);

/* watch.c */
int kn_watch_open(kn_daemon *d);
void kn_watch_close(kn_daemon *d);
/* Reload now (SIGHUP), and re-arm the watches. */
void kn_watch_reload(kn_daemon *d, const char *why);
