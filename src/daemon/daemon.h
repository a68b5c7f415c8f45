/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdarg.h>

/* kvmnetd's private pieces: the listening sockets (listener.c) and their
 * clients (server.c), the watch on the configuration files (watch.c), startup and
 * signals (kvmnetd.c).
 *
 * Everything runs on one thread around one kn_loop (kvmnet/loop.h): every
 * fd the daemon serves is a watch on it with its own callback, and the
 * library's modules (netlink events, the worker thread, QMP monitors,
 * timers) share it through kn_api_set_loop(). */

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "kvmnet/api.h"
#include "kvmnet/config.h"
#include "kvmnet/loop.h"
#include "strbuf.h"

/* Limits (docs/protocol.md). */
#define KN_DAEMON_MAX_LINE        (4u << 20) /* a request line, without its newline */
#define KN_DAEMON_OUT_HIGH        (1u << 20) /* stop reading a client with this much unsent */
#define KN_DAEMON_STALL_SEC       30         /* drop a client that reads nothing for this long */
#define KN_DAEMON_MAX_CLIENTS     512        /* per socket; root's own are not counted */
#define KN_DAEMON_MAX_CLIENTS_UID 64         /* per uid, both sockets together; not root */
#define KN_DAEMON_IDLE_SEC        120        /* drop a client with nothing going on for this long */
#define KN_DAEMON_MAX_INPUT       (64u << 20) /* unfinished request lines, all clients together */
#define KN_DAEMON_LINES_PER_TURN  16          /* requests of one client before the others' turn */
#define KN_DAEMON_FD_RESERVE      128  /* fds kept from clients for taps, monitors, files, root */
#define KN_DAEMON_RELOAD_MSEC     100  /* quiet time before reloading changed files */
#define KN_DAEMON_RELOAD_MAX_MSEC 1000 /* ... but never later than this after the first change */

typedef struct kn_daemon kn_daemon;

typedef struct kn_listener {
        kn_daemon *d;
        int fd; /* -1 while closed */
        kn_loop_watch *watch;
        bool read_only;
        char *path;
        unsigned n_clients;   /* counted against max_clients */
        kn_loop_watch *pause; /* out of fds: accept again a little later */
        dev_t dev;            /* of the socket inode we bound, to unlink only our own */
        ino_t ino;
} kn_listener;

typedef struct kn_client kn_client;

typedef struct kn_watch {
        int fd; /* inotify, -1 while closed */
        kn_loop_watch *io;
        kn_loop_watch *timer; /* the debounced reload */
        struct kn_watch_entry {
                int wd;
                char *want; /* for a watch on an ancestor of a missing directory:
                             * the child whose creation matters; NULL otherwise */
        } * entries;
        size_t n_entries, alloc_entries;
        bool pending;
        uint64_t first_change_usec;
} kn_watch;

struct kn_daemon {
        kn_loop *loop;
        kn_api *api;
        bool quit; /* a signal said so */

        int sig_fd;
        kn_loop_watch *sig_watch;
        kn_listener rw, ro;
        bool have_group;
        gid_t gid;
        char *group_name;

        kn_client *clients, *dead;
        unsigned n_clients;
        /* Limits (kvmnetd options; docs/protocol.md, "Limits"). */
        unsigned max_clients;         /* per socket */
        unsigned max_clients_uid;     /* per uid but root's */
        uint64_t idle_usec;           /* 0: never */
        size_t max_input;             /* all partial requests together */
        size_t in_bytes;              /* what the partial requests hold now */
        unsigned fd_budget;           /* clients but root's while fds are left for the rest */
        uint64_t refused_logged_usec; /* refusals are logged once a second at most */
        unsigned long refused_unlogged;
        unsigned long next_client_id;
        unsigned long n_requests;
        kn_loop_watch *reap_timer;  /* frees the dead clients once their callbacks are over */
        kn_loop_watch *stall_timer; /* drops clients that stopped reading replies, idle ones */
        bool tick_armed;
        kn_loop_watch *turn_timer; /* gives clients with lines left their next turn */

        kn_watch watch;
};

/* log.c: priorities as syslog(3) numbers them. */
enum {
        KN_LOG_ERR = 3,
        KN_LOG_WARNING = 4,
        KN_LOG_NOTICE = 5,
        KN_LOG_INFO = 6,
        KN_LOG_DEBUG = 7,
};
/* Log what is at priority or more urgent (default: info). */
void kn_log_setup(int priority);
int kn_log_level_from_string(const char *s);
bool kn_log_enabled(int priority);
_printf_(2, 0) void kn_logv(int priority, const char *fmt, va_list ap);
_printf_(2, 3) void kn_logp(int priority, const char *fmt, ...);
/* At info. */
_printf_(1, 2) void kn_log(const char *fmt, ...);

/* listener.c */
int kn_listener_open(kn_daemon *d, kn_listener *l, const char *path, bool read_only);
/* A socket the service manager opened and passed (socket activation), bound
 * to PATH; kvmnetd never removes its file. */
int kn_listener_adopt(kn_daemon *d, kn_listener *l, int fd, const char *path, bool read_only);
void kn_listener_close(kn_daemon *d, kn_listener *l);

/* activation.c: adopt the sockets systemd passed (by their paths); the
 * number adopted, 0 without socket activation. */
int kn_daemon_adopt_sockets(kn_daemon *d, const char *rw_path, const char *ro_path);
void kn_clients_free(kn_daemon *d);

/* server.c, for listener.c: a connection accepted on l that may stay
 * (fd is taken; denied: why the read-write socket refuses its requests,
 * taken too, or NULL), and the connections a user has open. */
void kn_client_accept(kn_daemon *d, kn_listener *l, int fd, const struct ucred *cred,
                      bool privileged, char *denied);
unsigned kn_clients_of_uid(kn_daemon *d, uid_t uid);

/* watch.c */
int kn_watch_open(kn_daemon *d);
void kn_watch_close(kn_daemon *d);
/* Reload now (SIGHUP), and re-arm the watches. */
void kn_watch_reload(kn_daemon *d, const char *why);
