/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The one event loop (kvmnet/loop.h): epoll; timers on one timerfd armed
 * for the earliest deadline; children through pidfds (polled with
 * waitpid(WNOHANG) where there are none: old kernels, valgrind). */
#include "kvmnet/loop.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>

#include "macro.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

/* How often children without a pidfd are looked at. */
#define CHILD_POLL_USEC 20000

typedef enum watch_kind {
        WATCH_FD,
        WATCH_TIMER,
        WATCH_CHILD,
} watch_kind;

struct kn_loop_watch {
        kn_loop *loop;
        watch_kind kind;
        bool dead;
        kn_loop_watch *prev, *next; /* every live watch; the dead list once deleted */
        void *userdata;
        union {
                kn_loop_fd_fn fd;
                kn_loop_timer_fn timer;
                kn_loop_child_fn child;
        } fn;
        /* fd, child (the pidfd, ours) */
        int fd;
        uint32_t events;
        /* timer */
        uint64_t due; /* KN_LOOP_TIMER_OFF: not armed */
        uint64_t armed_round;
        kn_loop_watch *tprev, *tnext; /* armed timers, by deadline */
        /* child */
        pid_t pid;
        bool reap_only;
        bool polled; /* no pidfd: waitpid(WNOHANG) from time to time */
        bool exited;
        uint64_t poll_seq;
};

struct kn_loop {
        int epfd;
        int tfd;
        uint64_t tfd_due; /* what tfd is armed for; KN_LOOP_TIMER_OFF: nothing */
        kn_loop_watch *watches;
        kn_loop_watch *timers;
        kn_loop_watch *dead; /* deleted during a round, freed after it */
        unsigned depth;      /* > 0 while dispatching */
        uint64_t round;
        bool in_timers; /* running the timers of this round */
        bool quit;
        /* children without a pidfd */
        unsigned n_polled;
        kn_loop_watch *poll_timer;
        uint64_t poll_seq;
};

uint64_t kn_loop_now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

int kn_loop_new(kn_loop **ret) {
        kn_loop *l = kn_xcalloc(1, sizeof *l);
        l->tfd_due = KN_LOOP_TIMER_OFF;
        l->epfd = epoll_create1(EPOLL_CLOEXEC);
        l->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        /* The timerfd is the one entry without a watch behind it. */
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
        if (l->epfd < 0 || l->tfd < 0 || epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->tfd, &ev) < 0) {
                int r = -errno;
                if (l->epfd >= 0)
                        close(l->epfd);
                if (l->tfd >= 0)
                        close(l->tfd);
                free(l);
                return r;
        }
        *ret = l;
        return 0;
}

static kn_loop_watch *watch_new(kn_loop *l, watch_kind kind, void *userdata) {
        kn_loop_watch *w = kn_xcalloc(1, sizeof *w);
        w->loop = l;
        w->kind = kind;
        w->userdata = userdata;
        w->fd = -1;
        w->due = KN_LOOP_TIMER_OFF;
        w->next = l->watches;
        if (w->next)
                w->next->prev = w;
        l->watches = w;
        return w;
}

static void watch_unlink(kn_loop *l, kn_loop_watch *w) {
        if (w->prev)
                w->prev->next = w->next;
        else
                l->watches = w->next;
        if (w->next)
                w->next->prev = w->prev;
        w->prev = w->next = NULL;
}

/* ---- Timers ---- */

/* Arm the timerfd for the earliest deadline (absolute, so a deadline
 * already past fires at once). */
static void timers_update(kn_loop *l) {
        uint64_t want = l->timers ? l->timers->due : KN_LOOP_TIMER_OFF;
        if (want == l->tfd_due)
                return;
        struct itimerspec its = {0};
        if (want != KN_LOOP_TIMER_OFF) {
                uint64_t t = want ? want : 1; /* 0 would disarm it */
                its.it_value.tv_sec = (time_t) (t / 1000000u);
                its.it_value.tv_nsec = (long) (t % 1000000u) * 1000;
        }
        if (timerfd_settime(l->tfd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
                l->tfd_due = want;
}

static void timer_unlink(kn_loop *l, kn_loop_watch *w) {
        if (w->due == KN_LOOP_TIMER_OFF)
                return;
        if (w->tprev)
                w->tprev->tnext = w->tnext;
        else
                l->timers = w->tnext;
        if (w->tnext)
                w->tnext->tprev = w->tprev;
        w->tprev = w->tnext = NULL;
        w->due = KN_LOOP_TIMER_OFF;
}

/* Sorted insertion, after the timers due at the same time: ties run in
 * the order they were armed.  There are a handful of timers at a time
 * (a guest's, a NIC operation's, the daemon's few). */
static void timer_link(kn_loop *l, kn_loop_watch *w, uint64_t due) {
        kn_loop_watch *prev = NULL, *p = l->timers;
        while (p && p->due <= due) {
                prev = p;
                p = p->tnext;
        }
        w->due = due;
        w->armed_round = l->in_timers ? l->round : 0;
        w->tprev = prev;
        w->tnext = p;
        if (p)
                p->tprev = w;
        if (prev)
                prev->tnext = w;
        else
                l->timers = w;
}

int kn_loop_timer_set(kn_loop *l, kn_loop_watch *w, uint64_t usec) {
        if (!w || w->dead || w->kind != WATCH_TIMER)
                return -EINVAL;
        timer_unlink(l, w);
        if (usec != KN_LOOP_TIMER_OFF) {
                uint64_t now = kn_loop_now_usec();
                uint64_t due = usec >= KN_LOOP_TIMER_OFF - now ? KN_LOOP_TIMER_OFF - 1 : now + usec;
                timer_link(l, w, due);
        }
        timers_update(l);
        return 0;
}

int kn_loop_add_timer(kn_loop *l, uint64_t usec, kn_loop_timer_fn fn, void *userdata,
                      kn_loop_watch **ret) {
        kn_loop_watch *w = watch_new(l, WATCH_TIMER, userdata);
        w->fn.timer = fn;
        (void) kn_loop_timer_set(l, w, usec);
        if (ret)
                *ret = w;
        return 0;
}

/* The timers due now, earliest first; one armed again from inside this
 * round's timer callbacks waits for the next round. */
static int timers_run(kn_loop *l) {
        int n = 0;
        uint64_t now = kn_loop_now_usec();
        l->in_timers = true;
        for (kn_loop_watch *w; (w = l->timers) && w->due <= now && w->armed_round != l->round;) {
                timer_unlink(l, w);
                w->fn.timer(w->userdata);
                n++;
        }
        l->in_timers = false;
        timers_update(l);
        return n;
}

/* ---- fds ---- */

int kn_loop_add_fd(kn_loop *l, int fd, uint32_t events, kn_loop_fd_fn fn, void *userdata,
                   kn_loop_watch **ret) {
        kn_loop_watch *w = watch_new(l, WATCH_FD, userdata);
        w->fn.fd = fn;
        struct epoll_event ev = {.events = events, .data.ptr = w};
        if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
                int r = -errno;
                watch_unlink(l, w);
                free(w);
                return r;
        }
        w->fd = fd;
        w->events = events;
        if (ret)
                *ret = w;
        return 0;
}

int kn_loop_mod_fd(kn_loop *l, kn_loop_watch *w, uint32_t events) {
        if (!w || w->dead || w->kind != WATCH_FD)
                return -EINVAL;
        if (events == w->events)
                return 0;
        struct epoll_event ev = {.events = events, .data.ptr = w};
        if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, w->fd, &ev) < 0)
                return -errno;
        w->events = events;
        return 0;
}

/* ---- Children ---- */

static kn_loop_watch *child_new(kn_loop *l, pid_t pid, kn_loop_child_fn fn, void *userdata) {
        kn_loop_watch *w = watch_new(l, WATCH_CHILD, userdata);
        w->fn.child = fn;
        w->pid = pid;
        w->reap_only = !fn;
        return w;
}

int kn_loop_add_pidfd(kn_loop *l, int pidfd, pid_t pid, kn_loop_child_fn fn, void *userdata,
                      kn_loop_watch **ret) {
        if (pidfd < 0)
                return -EBADF;
        if (!fn && ret) {
                close(pidfd);
                return -EINVAL;
        }
        kn_loop_watch *w = child_new(l, pid, fn, userdata);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = w};
        if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, pidfd, &ev) < 0) {
                int r = -errno;
                close(pidfd);
                watch_unlink(l, w);
                free(w);
                return r;
        }
        w->fd = pidfd;
        w->events = EPOLLIN;
        if (ret)
                *ret = w;
        return 0;
}

static void poll_children(void *userdata);

int kn_loop_add_child(kn_loop *l, pid_t pid, kn_loop_child_fn fn, void *userdata,
                      kn_loop_watch **ret) {
        if (pid <= 0 || (!fn && ret))
                return -EINVAL;
        /* Our child is not reaped before we wait for it: the pid is still
         * its own. */
        int pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
        if (pidfd >= 0) {
                (void) fcntl(pidfd, F_SETFD, FD_CLOEXEC);
                return kn_loop_add_pidfd(l, pidfd, pid, fn, userdata, ret);
        }
        if (errno != ENOSYS)
                return -errno;
        kn_loop_watch *w = child_new(l, pid, fn, userdata);
        w->polled = true;
        if (l->n_polled++ == 0) {
                if (!l->poll_timer)
                        kn_loop_add_timer(l, CHILD_POLL_USEC, poll_children, l, &l->poll_timer);
                else
                        kn_loop_timer_set(l, l->poll_timer, CHILD_POLL_USEC);
        }
        if (ret)
                *ret = w;
        return 0;
}

/* waitid()'s siginfo as the wait status waitpid() would have given. */
static int wait_status(const siginfo_t *si) {
        switch (si->si_code) {
        case CLD_EXITED: return (si->si_status & 0xff) << 8;
        case CLD_KILLED: return si->si_status & 0x7f;
        case CLD_DUMPED: return (si->si_status & 0x7f) | 0x80;
        default: return -1;
        }
}

/* Has w's process exited?  Reaps it if it is ours. */
static bool child_wait(kn_loop_watch *w, int *status, bool block) {
        int flags = WEXITED | (block ? 0 : WNOHANG);
        if (w->fd >= 0) {
                /* By pidfd, not pid: the pid of a process that is not ours
                 * may have gone to one of our children meanwhile. */
                siginfo_t si = {0};
                if (waitid(P_PIDFD, (id_t) w->fd, &si, flags) == 0) {
                        if (si.si_pid == 0)
                                return false; /* not exited yet */
                        *status = wait_status(&si);
                        return true;
                }
                if (errno != EINVAL) {
                        *status = -1; /* ECHILD: someone else's */
                        return true;
                }
                /* a kernel without P_PIDFD: the pid is ours until reaped */
        }
        pid_t r = waitpid(w->pid, status, block ? 0 : WNOHANG);
        if (r == 0)
                return false;
        if (r < 0)
                *status = -1;
        return true;
}

static void child_stop(kn_loop *l, kn_loop_watch *w) {
        if (w->fd >= 0) {
                epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
                close(w->fd);
                w->fd = -1;
        }
        if (w->polled) {
                w->polled = false;
                l->n_polled--;
        }
}

static void child_check(kn_loop *l, kn_loop_watch *w) {
        int status;
        if (w->exited || !child_wait(w, &status, false))
                return;
        child_stop(l, w);
        w->exited = true;
        if (w->reap_only)
                kn_loop_del(l, w);
        else
                w->fn.child(w->pid, status, w->userdata);
}

/* Each polled child once; a callback may delete any watch, so the list is
 * searched again after each. */
static void poll_children(void *userdata) {
        kn_loop *l = userdata;
        uint64_t seq = ++l->poll_seq;
        for (;;) {
                kn_loop_watch *w = l->watches;
                while (w && !(w->kind == WATCH_CHILD && w->polled && w->poll_seq != seq))
                        w = w->next;
                if (!w)
                        break;
                w->poll_seq = seq;
                child_check(l, w);
        }
        if (l->n_polled > 0)
                kn_loop_timer_set(l, l->poll_timer, CHILD_POLL_USEC);
}

/* ---- Deleting ---- */

static void watch_stop(kn_loop *l, kn_loop_watch *w) {
        switch (w->kind) {
        case WATCH_FD:
                if (w->fd >= 0)
                        epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
                break;
        case WATCH_CHILD: child_stop(l, w); break;
        case WATCH_TIMER: timer_unlink(l, w); break;
        }
        w->fd = -1;
}

void kn_loop_del(kn_loop *l, kn_loop_watch *w) {
        if (!w || w->dead)
                return;
        watch_stop(l, w);
        if (w->kind == WATCH_TIMER)
                timers_update(l);
        w->dead = true;
        watch_unlink(l, w);
        /* This round's events may still name it. */
        if (l->depth > 0) {
                w->next = l->dead;
                l->dead = w;
        } else
                free(w);
}

kn_loop *kn_loop_free(kn_loop *l) {
        if (!l)
                return NULL;
        while (l->watches) {
                kn_loop_watch *w = l->watches;
                /* handed over after SIGKILL: it goes away promptly */
                int status;
                if (w->kind == WATCH_CHILD && w->reap_only && !w->exited)
                        (void) child_wait(w, &status, true);
                watch_stop(l, w);
                watch_unlink(l, w);
                free(w);
        }
        while (l->dead) {
                kn_loop_watch *w = l->dead;
                l->dead = w->next;
                free(w);
        }
        close(l->tfd);
        close(l->epfd);
        free(l);
        return NULL;
}

/* ---- Running ---- */

static void dispatch(kn_loop *l, kn_loop_watch *w, uint32_t revents) {
        if (w->kind == WATCH_CHILD)
                child_check(l, w);
        else
                w->fn.fd(w->fd, revents, w->userdata);
}

int kn_loop_iterate(kn_loop *l, int timeout_ms) {
        struct epoll_event evs[64];
        int n = epoll_wait(l->epfd, evs, (int) ELEMENTSOF(evs), timeout_ms);
        if (n < 0)
                return errno == EINTR ? 0 : -errno;
        int ran = 0;
        bool timers = false;
        l->depth++;
        l->round++;
        for (int k = 0; k < n; k++) {
                kn_loop_watch *w = evs[k].data.ptr;
                if (!w) {
                        uint64_t expirations;
                        (void) !read(l->tfd, &expirations, sizeof expirations);
                        l->tfd_due = KN_LOOP_TIMER_OFF; /* fired: disarmed */
                        timers = true;
                        continue;
                }
                if (w->dead)
                        continue;
                dispatch(l, w, evs[k].events);
                ran++;
        }
        if (timers || (l->timers && l->timers->due <= kn_loop_now_usec()))
                ran += timers_run(l);
        if (--l->depth == 0)
                while (l->dead) {
                        kn_loop_watch *w = l->dead;
                        l->dead = w->next;
                        free(w);
                }
        return ran;
}

int kn_loop_run(kn_loop *l) {
        int r = 0;
        while (!l->quit) {
                r = kn_loop_iterate(l, -1);
                if (r < 0)
                        break;
        }
        l->quit = false;
        return r < 0 ? r : 0;
}

void kn_loop_quit(kn_loop *l) {
        l->quit = true;
}

bool kn_loop_quitting(const kn_loop *l) {
        return l->quit;
}
