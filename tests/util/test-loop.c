/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kn_loop: fd readiness, timers in deadline order, re-arming, deleting
 * watches from inside callbacks, children's exit statuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kvmnet/loop.h"
#include "testutil.h"

/* Iterate until *flag or timeout_ms; false on timeout. */
static bool run_until(kn_loop *l, const bool *flag, int timeout_ms) {
        uint64_t end = kn_loop_now_usec() + (uint64_t) timeout_ms * 1000;
        while (!*flag) {
                if (kn_loop_now_usec() > end)
                        return false;
                assert_true(kn_loop_iterate(l, 50) >= 0);
        }
        return true;
}

/* ---- fds ---- */

typedef struct fdstate {
        int calls;
        uint32_t revents;
        uint64_t value;
} fdstate;

static void on_readable(int fd, uint32_t revents, void *userdata) {
        fdstate *s = userdata;
        s->calls++;
        s->revents = revents;
        assert_int_equal(read(fd, &s->value, sizeof s->value), sizeof s->value);
}

static void test_fd(void **state) {
        kn_loop *l = NULL;
        assert_int_equal(kn_loop_new(&l), 0);
        int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        assert_true(efd >= 0);
        fdstate s = {0};
        kn_loop_watch *w = NULL;
        assert_int_equal(kn_loop_add_fd(l, efd, EPOLLIN, on_readable, &s, &w), 0);

        /* nothing ready: nothing runs */
        assert_int_equal(kn_loop_iterate(l, 0), 0);
        assert_int_equal(s.calls, 0);

        uint64_t v = 7;
        assert_int_equal(write(efd, &v, sizeof v), sizeof v);
        assert_int_equal(kn_loop_iterate(l, 1000), 1);
        assert_int_equal(s.calls, 1);
        assert_true(s.revents & EPOLLIN);
        assert_int_equal(s.value, 7);

        /* not watched for input any more: stays unread */
        assert_int_equal(kn_loop_mod_fd(l, w, 0), 0);
        assert_int_equal(write(efd, &v, sizeof v), sizeof v);
        assert_int_equal(kn_loop_iterate(l, 0), 0);
        assert_int_equal(kn_loop_mod_fd(l, w, EPOLLIN), 0);
        assert_int_equal(kn_loop_iterate(l, 1000), 1);
        assert_int_equal(s.calls, 2);

        /* deleted: never called again */
        kn_loop_del(l, w);
        assert_int_equal(write(efd, &v, sizeof v), sizeof v);
        assert_int_equal(kn_loop_iterate(l, 0), 0);
        assert_int_equal(s.calls, 2);

        /* a bad fd is refused, with nothing left behind */
        assert_int_equal(kn_loop_add_fd(l, -1, EPOLLIN, on_readable, &s, &w), -EBADF);
        close(efd);
        kn_loop_free(l);
}

/* ---- timers ---- */

typedef struct tstate {
        kn_loop *loop;
        char order[32];
        size_t n;
        kn_loop_watch *self;
        int rearm; /* times left to re-arm itself */
        uint64_t fired_at[8];
        bool done;
} tstate;

typedef struct tcase {
        tstate *s;
        char name;
} tcase;

static void on_timer(void *userdata) {
        tcase *c = userdata;
        c->s->order[c->s->n++] = c->name;
}

static void test_timers_in_order(void **state) {
        kn_loop *l = NULL;
        assert_int_equal(kn_loop_new(&l), 0);
        tstate s = {.loop = l};
        tcase c[4] = {{&s, 'c'}, {&s, 'a'}, {&s, 'b'}, {&s, 'x'}};
        kn_loop_watch *w[4];
        /* armed out of order, two due at once */
        assert_int_equal(kn_loop_add_timer(l, 30000, on_timer, &c[0], &w[0]), 0);
        assert_int_equal(kn_loop_add_timer(l, 10000, on_timer, &c[1], &w[1]), 0);
        assert_int_equal(kn_loop_add_timer(l, 20000, on_timer, &c[2], &w[2]), 0);
        assert_int_equal(kn_loop_add_timer(l, KN_LOOP_TIMER_OFF, on_timer, &c[3], &w[3]), 0);

        /* Wait past all three deadlines, then one round runs them all. */
        usleep(40000);
        assert_int_equal(kn_loop_iterate(l, 1000), 3);
        assert_string_equal(s.order, "abc");

        /* one-shot: nothing more, and the disarmed one never fires */
        assert_int_equal(kn_loop_iterate(l, 50), 0);
        assert_string_equal(s.order, "abc");

        /* re-armed after firing; disarmed before it is due */
        uint64_t t0 = kn_loop_now_usec();
        assert_int_equal(kn_loop_timer_set(l, w[1], 5000), 0);
        assert_int_equal(kn_loop_timer_set(l, w[0], 1000), 0);
        assert_int_equal(kn_loop_timer_set(l, w[0], KN_LOOP_TIMER_OFF), 0);
        while (s.n < 4)
                assert_true(kn_loop_iterate(l, 1000) >= 0);
        assert_true(kn_loop_now_usec() - t0 >= 5000);
        assert_int_equal(kn_loop_iterate(l, 30), 0);
        assert_string_equal(s.order, "abca");

        /* moved earlier and later while armed */
        assert_int_equal(kn_loop_timer_set(l, w[2], 200000), 0);
        assert_int_equal(kn_loop_timer_set(l, w[3], 100000), 0);
        assert_int_equal(kn_loop_timer_set(l, w[2], 1000), 0);
        while (s.n < 6)
                assert_true(kn_loop_iterate(l, 1000) >= 0);
        assert_string_equal(s.order, "abcabx");

        for (int k = 0; k < 4; k++)
                kn_loop_del(l, w[k]);
        kn_loop_free(l);
}

/* A timer that re-arms itself from its own callback: each run is the next
 * round's, never a loop inside one round, even at 0 us. */
static void on_rearm(void *userdata) {
        tstate *s = userdata;
        s->fired_at[s->n++] = kn_loop_now_usec();
        if (s->rearm-- > 0)
                assert_int_equal(kn_loop_timer_set(s->loop, s->self, s->n == 1 ? 0 : 10000), 0);
        else
                s->done = true;
}

static void test_timer_rearm(void **state) {
        kn_loop *l = NULL;
        assert_int_equal(kn_loop_new(&l), 0);
        tstate s = {.loop = l, .rearm = 3};
        assert_int_equal(kn_loop_add_timer(l, 0, on_rearm, &s, &s.self), 0);
        assert_int_equal(kn_loop_iterate(l, 1000), 1); /* due at once */
        assert_int_equal(s.n, 1);
        assert_int_equal(kn_loop_iterate(l, 1000), 1); /* the 0 us re-arm: next round */
        assert_int_equal(s.n, 2);
        assert_true(run_until(l, &s.done, 2000));
        assert_int_equal(s.n, 4);
        assert_true(s.fired_at[2] - s.fired_at[1] >= 10000);
        assert_true(s.fired_at[3] - s.fired_at[2] >= 10000);
        kn_loop_del(l, s.self);
        kn_loop_free(l);
}

/* ---- deleting from inside callbacks ---- */

typedef struct delstate {
        kn_loop *loop;
        kn_loop_watch *a, *b, *t1, *t2;
        int a_calls, b_calls, t1_calls, t2_calls;
        int efd_a, efd_b;
} delstate;

/* Whichever of the two fds runs first deletes both: the other, ready in
 * the same round, must not run. */
static void on_del_both(int fd, uint32_t revents, void *userdata) {
        delstate *s = userdata;
        if (fd == s->efd_a)
                s->a_calls++;
        else
                s->b_calls++;
        kn_loop_del(s->loop, s->a);
        kn_loop_del(s->loop, s->b);
        kn_loop_del(s->loop, s->b); /* twice: a no-op */
}

/* The first timer deletes itself and the second, due in the same round. */
static void on_t1(void *userdata) {
        delstate *s = userdata;
        s->t1_calls++;
        kn_loop_del(s->loop, s->t1);
        kn_loop_del(s->loop, s->t2);
}

static void on_t2(void *userdata) {
        delstate *s = userdata;
        s->t2_calls++;
}

static void test_delete_in_callback(void **state) {
        kn_loop *l = NULL;
        assert_int_equal(kn_loop_new(&l), 0);
        delstate s = {.loop = l};
        s.efd_a = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);
        s.efd_b = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);
        assert_int_equal(kn_loop_add_fd(l, s.efd_a, EPOLLIN, on_del_both, &s, &s.a), 0);
        assert_int_equal(kn_loop_add_fd(l, s.efd_b, EPOLLIN, on_del_both, &s, &s.b), 0);
        assert_int_equal(kn_loop_add_timer(l, 1000, on_t1, &s, &s.t1), 0);
        assert_int_equal(kn_loop_add_timer(l, 1000, on_t2, &s, &s.t2), 0);
        usleep(5000);
        /* both fds and both timers are ready in this one round */
        assert_int_equal(kn_loop_iterate(l, 1000), 2);
        assert_int_equal(s.a_calls + s.b_calls, 1);
        assert_int_equal(s.t1_calls, 1);
        assert_int_equal(s.t2_calls, 0);
        /* still readable, but nobody watches them */
        assert_int_equal(kn_loop_iterate(l, 20), 0);
        close(s.efd_a);
        close(s.efd_b);
        kn_loop_free(l); /* valgrind: the deleted watches were freed */
}

/* ---- children ---- */

typedef struct cstate {
        kn_loop *loop;
        kn_loop_watch *w;
        int calls;
        pid_t pid;
        int status;
        bool done;
} cstate;

static void on_child(pid_t pid, int wstatus, void *userdata) {
        cstate *s = userdata;
        s->calls++;
        s->pid = pid;
        s->status = wstatus;
        s->done = true;
        kn_loop_del(s->loop, s->w); /* its own watch, from its callback */
        s->w = NULL;
}

static pid_t fork_exit(int code, int wait_ms) {
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                usleep((useconds_t) wait_ms * 1000);
                _exit(code);
        }
        return pid;
}

static void test_child(void **state) {
        kn_loop *l = NULL;
        assert_int_equal(kn_loop_new(&l), 0);

        /* an exit status */
        cstate s = {.loop = l};
        pid_t pid = fork_exit(42, 20);
        assert_int_equal(kn_loop_add_child(l, pid, on_child, &s, &s.w), 0);
        assert_true(run_until(l, &s.done, 5000));
        assert_int_equal(s.calls, 1);
        assert_int_equal(s.pid, pid);
        assert_true(WIFEXITED(s.status));
        assert_int_equal(WEXITSTATUS(s.status), 42);
        /* reaped by the loop */
        assert_int_equal(waitpid(pid, NULL, WNOHANG), -1);
        assert_int_equal(errno, ECHILD);

        /* a signal; and a child already gone when it is watched */
        s = (cstate){.loop = l};
        pid = fork_exit(0, 10000);
        kill(pid, SIGKILL);
        usleep(20000);
        assert_int_equal(kn_loop_add_child(l, pid, on_child, &s, &s.w), 0);
        assert_true(run_until(l, &s.done, 5000));
        assert_true(WIFSIGNALED(s.status));
        assert_int_equal(WTERMSIG(s.status), SIGKILL);

        /* not our child (a pidfd on our own parent's other child would be
         * the real case; a grandchild is one we can make): -1 */
        int pfd[2];
        assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
        fflush(NULL);
        pid_t mid = fork();
        assert_true(mid >= 0);
        if (mid == 0) {
                pid_t g = fork_exit(3, 100);
                (void) !write(pfd[1], &g, sizeof g);
                _exit(0);
        }
        pid_t grandchild;
        assert_int_equal(read(pfd[0], &grandchild, sizeof grandchild), sizeof grandchild);
        int gfd = (int) syscall(SYS_pidfd_open, grandchild, 0);
        assert_true(gfd >= 0 || errno == ENOSYS); /* valgrind has no pidfd_open */
        waitpid(mid, NULL, 0);
        if (gfd >= 0) {
                s = (cstate){.loop = l};
                assert_int_equal(kn_loop_add_pidfd(l, gfd, grandchild, on_child, &s, &s.w), 0);
                assert_true(run_until(l, &s.done, 5000));
                assert_int_equal(s.status, -1);
        }
        close(pfd[0]);
        close(pfd[1]);

        /* deleted before it exits: never called, not reaped */
        s = (cstate){.loop = l};
        pid = fork_exit(5, 50);
        assert_int_equal(kn_loop_add_child(l, pid, on_child, &s, &s.w), 0);
        kn_loop_del(l, s.w);
        int st;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_int_equal(WEXITSTATUS(st), 5);
        assert_true(kn_loop_iterate(l, 50) >= 0);
        assert_int_equal(s.calls, 0);

        /* handed over to be reaped: kn_loop_free waits for it */
        pid = fork_exit(0, 10000);
        kill(pid, SIGKILL);
        assert_int_equal(kn_loop_add_child(l, pid, NULL, NULL, NULL), 0);
        assert_int_equal(kn_loop_add_child(l, getpid(), NULL, NULL, &s.w), -EINVAL);
        kn_loop_free(l);
        assert_int_equal(waitpid(pid, NULL, WNOHANG), -1);
        assert_int_equal(errno, ECHILD);
}

/* ---- run and quit ---- */

static void on_quit(void *userdata) {
        kn_loop_quit(userdata);
}

static void test_run_quit(void **state) {
        kn_loop *l = NULL;
        assert_int_equal(kn_loop_new(&l), 0);
        kn_loop_watch *w;
        assert_int_equal(kn_loop_add_timer(l, 10000, on_quit, l, &w), 0);
        assert_int_equal(kn_loop_run(l), 0);
        assert_false(kn_loop_quitting(l));
        /* and again */
        assert_int_equal(kn_loop_timer_set(l, w, 1000), 0);
        assert_int_equal(kn_loop_run(l), 0);
        kn_loop_free(l); /* frees w too */
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fd),          cmocka_unit_test(test_timers_in_order),
                cmocka_unit_test(test_timer_rearm), cmocka_unit_test(test_delete_in_callback),
                cmocka_unit_test(test_child),       cmocka_unit_test(test_run_quit),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
