/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The event loop every module runs on: one epoll set on one thread, with
 * three kinds of watches.
 *
 *  - fd:    fn runs while fd is ready for the events asked (EPOLLIN,
 *           EPOLLOUT; EPOLLHUP and EPOLLERR are always reported).  The fd
 *           stays the caller's: delete the watch before closing it.
 *  - timer: one-shot, CLOCK_MONOTONIC, microseconds from now.  After it
 *           fired it stays, disarmed, until re-armed (kn_loop_timer_set())
 *           or deleted.  Timers due in the same round run in deadline
 *           order.  All timers share one timerfd.
 *  - child: fn runs once when the process exits, with its wait status:
 *           the loop reaps it (waitpid).  Followed through a pidfd, so no
 *           SIGCHLD handling is needed.  The watch then stays, inert,
 *           until deleted.
 *
 * Deleting a watch (kn_loop_del()) is safe from inside any callback, its
 * own included: a watch deleted during a round is not called again, and
 * its memory is released when the round is over.
 *
 * Not thread-safe: everything here is for the loop's thread.  Another
 * thread wakes the loop with an eventfd watched like any other fd. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct kn_loop kn_loop;
typedef struct kn_loop_watch kn_loop_watch;

/* revents: what epoll reported (EPOLLIN, EPOLLOUT, EPOLLHUP, EPOLLERR;
 * the same bits as poll(2)'s POLLIN, POLLOUT...). */
typedef void (*kn_loop_fd_fn)(int fd, uint32_t revents, void *userdata);
typedef void (*kn_loop_timer_fn)(void *userdata);
/* wstatus as waitpid(2) gives it (WIFEXITED()...), or -1 for a process
 * that was not the caller's child (kn_loop_add_pidfd()): it ended, but its
 * status is its parent's to collect. */
typedef void (*kn_loop_child_fn)(pid_t pid, int wstatus, void *userdata);

/* A timer's "never": kn_loop_add_timer() makes it disarmed,
 * kn_loop_timer_set() disarms it. */
#define KN_LOOP_TIMER_OFF UINT64_MAX

/* 0 and *ret, or a negative errno. */
int kn_loop_new(kn_loop **ret);
/* Frees every watch left (fds stay open: they are their owners').  Waits
 * for the children handed over with kn_loop_add_child(..., NULL, ...).
 * Returns NULL. */
kn_loop *kn_loop_free(kn_loop *l);
static inline void kn_loop_freep(kn_loop **l) {
        kn_loop_free(*l);
}

/* Watch fd for events.  ret may be NULL only if the watch is never
 * changed or deleted before the loop is freed. */
int kn_loop_add_fd(kn_loop *l, int fd, uint32_t events, kn_loop_fd_fn fn, void *userdata,
                   kn_loop_watch **ret);
/* Change what an fd watch waits for (no system call if it is the same). */
int kn_loop_mod_fd(kn_loop *l, kn_loop_watch *w, uint32_t events);

/* A one-shot timer due usec microseconds from now (KN_LOOP_TIMER_OFF: not
 * armed yet). */
int kn_loop_add_timer(kn_loop *l, uint64_t usec, kn_loop_timer_fn fn, void *userdata,
                      kn_loop_watch **ret);
/* (Re-)arm w for usec from now, whether it fired or not; also from inside
 * its own callback.  KN_LOOP_TIMER_OFF disarms it. */
int kn_loop_timer_set(kn_loop *l, kn_loop_watch *w, uint64_t usec);

/* Call fn when pid, a child of this process, exits, and reap it.  fn NULL:
 * only reap it -- the loop owns the watch then (ret must be NULL) and
 * frees it once the child is gone; for a child that was sent SIGKILL and
 * that nobody waits for any more. */
int kn_loop_add_child(kn_loop *l, pid_t pid, kn_loop_child_fn fn, void *userdata,
                      kn_loop_watch **ret);
/* The same for a process known by a pidfd (pidfd_open(2)), which the loop
 * owns from now on (also on failure): for a process whose pid could be
 * reused meanwhile (not our child), taken at the moment it was
 * identified.  Reaped too if it is our child; wstatus -1 otherwise. */
int kn_loop_add_pidfd(kn_loop *l, int pidfd, pid_t pid, kn_loop_child_fn fn, void *userdata,
                      kn_loop_watch **ret);

/* Stop and free a watch of any kind (NULL: nothing).  Safe from inside any
 * callback, its own included.  A child watch deleted before its process
 * exited stops watching; the child is not reaped. */
void kn_loop_del(kn_loop *l, kn_loop_watch *w);

/* Dispatch until kn_loop_quit(): 0, or a negative errno if waiting
 * failed. */
int kn_loop_run(kn_loop *l);
/* Makes kn_loop_run() return after the current round. */
void kn_loop_quit(kn_loop *l);
bool kn_loop_quitting(const kn_loop *l);
/* One round: wait up to timeout_ms (-1: no limit, 0: do not wait) and
 * dispatch what is ready.  Returns the number of callbacks run, or a
 * negative errno (-EINTR is returned as 0). */
int kn_loop_iterate(kn_loop *l, int timeout_ms);

/* CLOCK_MONOTONIC in microseconds, the timers' clock. */
uint64_t kn_loop_now_usec(void);
