/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Helpers of the guest tests: skipping, a private network namespace, a
 * scripted fake QMP peer (for faults real QEMU can't produce) and a real
 * QEMU started and killed by pid. */

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include "kvmnet/qmp.h"
#include "testutil.h"

#define SKIP_EXIT 77

_printf_(1, 2) static inline _Noreturn void test_skip(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        printf("SKIP: ");
        vprintf(fmt, ap);
        printf("\n");
        va_end(ap);
        exit(SKIP_EXIT);
}

static inline int64_t test_now_us(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Taps made by the tests live in a namespace of their own, so parallel
 * tests (and the host) never see them. */
static inline void test_enter_netns_or_skip(void) {
        if (access("/dev/net/tun", R_OK | W_OK) < 0)
                test_skip("/dev/net/tun is missing or not accessible");
        if (unshare(CLONE_NEWNET) < 0)
                test_skip("cannot create a network namespace: %m");
        test_run("ip link set lo up");
}

static inline bool test_have_program(const char *name) {
        return test_run("command -v %s >/dev/null 2>&1", name) == 0;
}

/* ---- fake QMP peer: a child process running a script on its end ---- */

typedef struct test_peer {
        int fd;
        char buf[65536];
        size_t len;
} test_peer;

/* Start fn in a child on one end of a socketpair; the other end goes to
 * a fresh kn_qmp in *ret_q. */
static inline pid_t test_peer_start(void (*fn)(test_peer *p), kn_qmp **ret_q) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                abort();
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0)
                abort();
        if (pid == 0) {
                close(sv[0]);
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                test_peer p = {.fd = sv[1]};
                fn(&p);
                _exit(0);
        }
        close(sv[1]);
        if (kn_qmp_new(sv[0], "fake-peer", ret_q) < 0)
                abort();
        return pid;
}

static inline int test_peer_finish(pid_t pid) {
        int st;
        if (waitpid(pid, &st, 0) != pid)
                abort();
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

_printf_(2, 3) static inline void peer_send(test_peer *p, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        char *s;
        if (vasprintf(&s, fmt, ap) < 0)
                abort();
        va_end(ap);
        size_t n = strlen(s);
        if (write(p->fd, s, n) != (ssize_t) n)
                _exit(10);
        free(s);
}

/* Read one command line.  Returns its "execute" name (static) and id, and
 * how many fds came with the bytes read for it (*ret_fd: the first). */
static inline const char *peer_read(test_peer *p, int64_t *ret_id, int *ret_nfds, int *ret_fd) {
        static char name[128];
        int nfds = 0, fd = -1;
        char *nl;
        while (!(nl = memchr(p->buf, '\n', p->len))) {
                union {
                        char buf[CMSG_SPACE(8 * sizeof(int))];
                        struct cmsghdr align;
                } control;
                struct iovec iov = {p->buf + p->len, sizeof p->buf - p->len};
                struct msghdr mh = {.msg_iov = &iov,
                                    .msg_iovlen = 1,
                                    .msg_control = control.buf,
                                    .msg_controllen = sizeof control.buf};
                ssize_t n = recvmsg(p->fd, &mh, MSG_CMSG_CLOEXEC);
                if (n <= 0)
                        return NULL;
                for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
                        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                                int k = (int) ((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
                                if (fd < 0 && k > 0)
                                        memcpy(&fd, CMSG_DATA(c), sizeof(int));
                                nfds += k;
                        }
                p->len += (size_t) n;
        }
        *nl = '\0';
        json_object *o = json_tokener_parse(p->buf);
        size_t used = (size_t) (nl - p->buf) + 1;
        memmove(p->buf, nl + 1, p->len - used);
        p->len -= used;
        json_object *v;
        if (!o || !json_object_object_get_ex(o, "execute", &v))
                _exit(11);
        snprintf(name, sizeof name, "%s", json_object_get_string(v));
        *ret_id = json_object_object_get_ex(o, "id", &v) ? json_object_get_int64(v) : -1;
        json_object_put(o);
        if (ret_nfds)
                *ret_nfds = nfds;
        if (ret_fd)
                *ret_fd = fd;
        else if (fd >= 0)
                close(fd);
        return name;
}

#define PEER_GREETING                                                                              \
        "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 3, \"minor\": 2, \"major\": 9}, "          \
        "\"package\": \"fake\"}, \"capabilities\": [\"oob\"]}}\r\n"

/* Greeting, then answer qmp_capabilities. */
static inline void peer_handshake(test_peer *p) {
        int64_t id;
        peer_send(p, PEER_GREETING);
        const char *c = peer_read(p, &id, NULL, NULL);
        if (!c || !streq(c, "qmp_capabilities"))
                _exit(12);
        peer_send(p, "{\"return\": {}, \"id\": %" PRId64 "}\r\n", id);
}

/* ---- real QEMU ---- */

typedef struct test_qemu {
        pid_t pid;
        char *dir, *sock;
        kn_qmp *q;
} test_qemu;

static inline void test_qemu_skip_if_missing(void) {
        if (!test_have_program("qemu-system-x86_64"))
                test_skip("qemu-system-x86_64 is not installed (Debian package qemu-system-x86)");
}

/* Every QEMU still running, so a failed test's teardown can kill it:
 * cmocka leaves a failing test by longjmp. */
static test_qemu *test_qemus[8];

/* Paused (-S) machine without a guest, monitor on a unix socket. */
static inline test_qemu *test_qemu_start(const char *machine, const char *extra1,
                                         const char *extra2) {
        test_qemu *t = kn_xcalloc(1, sizeof *t);
        t->dir = test_tmpdir();
        t->sock = kn_xasprintf("%s/qmp.sock", t->dir);
        char *qmp = kn_xasprintf("unix:%s,server=on,wait=off", t->sock);
        const char *argv[] = {"qemu-system-x86_64",
                              "-accel",
                              "tcg",
                              "-machine",
                              machine,
                              "-S",
                              "-display",
                              "none",
                              "-nodefaults",
                              "-no-user-config",
                              "-m",
                              "64",
                              "-qmp",
                              qmp,
                              extra1,
                              extra1 ? extra2 : NULL,
                              NULL};
        fflush(NULL);
        t->pid = fork();
        if (t->pid < 0)
                abort();
        if (t->pid == 0) {
                /* Dies with the test even if the test crashes. */
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                int null = open("/dev/null", O_RDWR);
                dup2(null, STDIN_FILENO);
                dup2(null, STDOUT_FILENO);
                execvp(argv[0], (char **) argv);
                _exit(127);
        }
        free(qmp);
        for (size_t i = 0; i < ELEMENTSOF(test_qemus); i++)
                if (!test_qemus[i]) {
                        test_qemus[i] = t;
                        break;
                }
        kn_error err = {0};
        if (kn_qmp_connect(t->sock, 15000, &t->q, &err) < 0) {
                kill(t->pid, SIGKILL);
                waitpid(t->pid, NULL, 0);
                fprintf(stderr, "QEMU did not come up: %s\n", err.message);
                abort();
        }
        return t;
}

static inline void test_qemu_stop(test_qemu *t) {
        if (!t)
                return;
        for (size_t i = 0; i < ELEMENTSOF(test_qemus); i++)
                if (test_qemus[i] == t)
                        test_qemus[i] = NULL;
        kn_qmp_free(t->q);
        if (t->pid > 0) {
                kill(t->pid, SIGKILL);
                waitpid(t->pid, NULL, 0);
        }
        test_rmtree(t->dir);
        free(t->dir);
        free(t->sock);
        free(t);
}

/* cmocka teardown: kill whatever the test left running. */
static inline int test_qemu_teardown(void **state) {
        for (size_t i = 0; i < ELEMENTSOF(test_qemus); i++)
                test_qemu_stop(test_qemus[i]);
        return 0;
}

static inline int test_count_fds(pid_t pid) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/fd", (int) pid);
        DIR *d = opendir(path);
        if (!d)
                abort();
        int n = 0;
        struct dirent *de;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        n++;
        closedir(d);
        return n;
}
