/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The event loop: one epoll set, sources that carry their own handler.
 * Adding a subsystem never touches this file. */
#include <sys/epoll.h>

#include "daemon.h"
#include "macro.h"

int kn_daemon_add_source(kn_daemon *d, kn_ev_source *s, int fd, uint32_t events,
                         kn_ev_handler handler) {
        struct epoll_event ev = {.events = events, .data.ptr = s};
        s->handler = handler;
        if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
                int r = -errno;
                kn_log("epoll_ctl: %s", strerror(-r));
                return r;
        }
        s->fd = fd;
        s->events = events;
        return 0;
}

int kn_daemon_mod_source(kn_daemon *d, kn_ev_source *s, uint32_t events) {
        if (s->fd < 0)
                return -EBADF;
        if (events == s->events)
                return 0;
        struct epoll_event ev = {.events = events, .data.ptr = s};
        if (epoll_ctl(d->epfd, EPOLL_CTL_MOD, s->fd, &ev) < 0)
                return -errno;
        s->events = events;
        return 0;
}

void kn_daemon_del_source(kn_daemon *d, kn_ev_source *s) {
        if (s->fd >= 0)
                epoll_ctl(d->epfd, EPOLL_CTL_DEL, s->fd, NULL);
        /* Its events of this round, if any, are not delivered. */
        for (int k = 0; k < d->round_n; k++)
                if (d->round[k].data.ptr == s)
                        d->round[k].data.ptr = NULL;
        s->events = 0;
}

void kn_daemon_run(kn_daemon *d) {
        struct epoll_event events[64];
        while (!d->quit) {
                int timeout = kn_clients_tick(d);
                kn_clients_reap(d);
                int n = epoll_wait(d->epfd, events, ELEMENTSOF(events), timeout);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        kn_log("epoll_wait: %m");
                        return;
                }
                d->round = events;
                d->round_n = n;
                for (int k = 0; k < n; k++) {
                        kn_ev_source *s = events[k].data.ptr;
                        if (s)
                                s->handler(d, s, events[k].events);
                }
                d->round = NULL;
                d->round_n = 0;
                kn_clients_reap(d);
        }
}

/* The library's watches (kn_api_loop_ops) are sources like any other. */

typedef struct loop_watch {
        kn_ev_source src;
        kn_api_fd_fn fn;
        void *userdata;
} loop_watch;

static void loop_watch_handler(kn_daemon *d, kn_ev_source *s, uint32_t events) {
        loop_watch *w = (loop_watch *) s;
        w->fn(s->fd, events, w->userdata);
}

static int loop_add(void *loop, int fd, uint32_t events, kn_api_fd_fn fn, void *userdata,
                    void **ret_watch) {
        loop_watch *w = kn_xcalloc(1, sizeof *w);
        w->src.fd = -1;
        w->fn = fn;
        w->userdata = userdata;
        int r = kn_daemon_add_source(loop, &w->src, fd, events, loop_watch_handler);
        if (r < 0) {
                free(w);
                return r;
        }
        *ret_watch = w;
        return 0;
}

static int loop_mod(void *loop, void *watch, uint32_t events) {
        return kn_daemon_mod_source(loop, &((loop_watch *) watch)->src, events);
}

static void loop_del(void *loop, void *watch) {
        kn_daemon_del_source(loop, &((loop_watch *) watch)->src);
        free(watch);
}

const kn_api_loop_ops kn_daemon_loop_ops = {
        .add_fd = loop_add,
        .mod_fd = loop_mod,
        .del_fd = loop_del,
};
