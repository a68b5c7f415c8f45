/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* kvmnetd's private pieces: the listening sockets and their clients
 * (server.c), the watch on the configuration files (watch.c), the loop
 * (kvmnetd.c).  Everything runs on one thread around one epoll set; every
 * fd in it carries a pointer to a struct that starts with a kn_ev_kind. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include "kvmnet/config.h"
#include "strbuf.h"

/* Limits (docs/protocol.md). */
#define KN_DAEMON_MAX_LINE        (4u << 20) /* a request line, without its newline */
#define KN_DAEMON_OUT_HIGH        (1u << 20) /* stop reading a client with this much unsent */
#define KN_DAEMON_STALL_SEC       30         /* drop a client that reads nothing for this long */
#define KN_DAEMON_MAX_CLIENTS     512
#define KN_DAEMON_RELOAD_MSEC     100  /* quiet time before reloading changed files */
#define KN_DAEMON_RELOAD_MAX_MSEC 1000 /* ... but never later than this after the first change */

typedef enum kn_ev_kind {
        KN_EV_LISTEN,
        KN_EV_CLIENT,
        KN_EV_SIGNAL,
        KN_EV_INOTIFY,
        KN_EV_TIMER,
} kn_ev_kind;

typedef struct kn_listener {
        kn_ev_kind kind; /* KN_EV_LISTEN */
        int fd;
        bool read_only;
        char *path;
        dev_t dev; /* of the socket inode we bound, to unlink only our own */
        ino_t ino;
} kn_listener;

typedef struct kn_client kn_client;

typedef struct kn_watch {
        kn_ev_kind kind; /* KN_EV_INOTIFY */
        int fd;
        struct kn_watch_timer {
                kn_ev_kind kind; /* KN_EV_TIMER */
                int fd;
        } timer;
        struct kn_watch_entry {
                int wd;
                char *want; /* for a watch on an ancestor of a missing directory:
                             * the child whose creation matters; NULL otherwise */
        } * entries;
        size_t n_entries, alloc_entries;
        bool pending;
        struct timespec first_change;
} kn_watch;

typedef struct kn_daemon {
        int epfd;
        kn_config *cfg;
        bool verbose;
        bool quit;

        kn_listener rw, ro;
        bool have_group;
        gid_t gid;
        char *group_name;

        kn_client *clients, *dead;
        unsigned n_clients;
        unsigned long next_client_id;
        unsigned long n_requests;

        kn_watch watch;
} kn_daemon;

_printf_(1, 2) void kn_log(const char *fmt, ...);

int kn_epoll_add(kn_daemon *d, int fd, uint32_t events, void *ptr);

/* server.c */
int kn_listener_open(kn_daemon *d, kn_listener *l, const char *path, bool read_only);
void kn_listener_close(kn_daemon *d, kn_listener *l);
void kn_listener_accept(kn_daemon *d, kn_listener *l);
void kn_client_event(kn_daemon *d, kn_client *c, uint32_t events);
/* Drop clients that stopped reading; returns the epoll timeout to use. */
int kn_clients_tick(kn_daemon *d);
void kn_clients_reap(kn_daemon *d); /* free the clients dropped in this round */
void kn_clients_free(kn_daemon *d);

/* watch.c */
int kn_watch_open(kn_daemon *d);
void kn_watch_close(kn_daemon *d);
void kn_watch_event(kn_daemon *d);
void kn_watch_timer(kn_daemon *d);
/* Reload now (SIGHUP), and re-arm the watches. */
void kn_watch_reload(kn_daemon *d, const char *why);
