/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Times a CLI call the way a shell makes it: posix_spawn, read its output
 * to the end, waitpid.  bench/hotplug times kvmnet and virsh through this
 * rather than Python's subprocess, whose own fork and pipe handling (about
 * a millisecond here) belongs to neither CLI.  libc only.
 *
 * Requests on stdin, one per line: the argv, fields separated by tabs
 * (argv[0] a path; the environment is this process's own).  Reply on
 * stdout, per request:
 *   T0 T1 RC NOUT NERR\n  then NOUT bytes of stdout, NERR bytes of stderr
 * T0/T1: CLOCK_MONOTONIC seconds just before posix_spawn and just after
 * waitpid; RC the exit status (128+N for a signal, 127 if it could not be
 * spawned). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAX_ARGS 64

typedef struct {
        char *data;
        size_t len, cap;
} buffer;

static double now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* Reads what fd has; 0 at EOF. */
static int drain(int fd, buffer *b) {
        if (b->cap - b->len < 4096) {
                b->cap = b->cap * 2 + 4096;
                b->data = realloc(b->data, b->cap);
                if (!b->data)
                        abort();
        }
        ssize_t n = read(fd, b->data + b->len, b->cap - b->len);
        if (n < 0)
                return errno == EINTR ? 1 : 0;
        b->len += (size_t) n;
        return n > 0;
}

static void call(char **argv) {
        int out[2], err[2];
        if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
                perror("cli-spawn: pipe");
                exit(1);
        }
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, out[1], 1);
        posix_spawn_file_actions_adddup2(&fa, err[1], 2);
        buffer bo = {0}, be = {0};
        int rc = 127;
        double t0 = now();
        pid_t pid;
        if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) == 0) {
                close(out[1]);
                close(err[1]);
                struct pollfd p[2] = {{.fd = out[0], .events = POLLIN},
                                      {.fd = err[0], .events = POLLIN}};
                int open_fds = 2;
                while (open_fds > 0) {
                        if (poll(p, 2, -1) < 0 && errno != EINTR)
                                break;
                        for (int k = 0; k < 2; k++)
                                if (p[k].fd >= 0 && p[k].revents &&
                                    !drain(p[k].fd, k ? &be : &bo)) {
                                        p[k].fd = -1;
                                        open_fds--;
                                }
                }
                int st;
                while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                        ;
                rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        } else {
                close(out[1]);
                close(err[1]);
        }
        double t1 = now();
        posix_spawn_file_actions_destroy(&fa);
        close(out[0]);
        close(err[0]);
        printf("%.9f %.9f %d %zu %zu\n", t0, t1, rc, bo.len, be.len);
        fwrite(bo.data ? bo.data : "", 1, bo.len, stdout);
        fwrite(be.data ? be.data : "", 1, be.len, stdout);
        fflush(stdout);
        free(bo.data);
        free(be.data);
}

int main(void) {
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        while ((n = getline(&line, &cap, stdin)) > 0) {
                if (line[n - 1] == '\n')
                        line[n - 1] = '\0';
                char *argv[MAX_ARGS + 1];
                int argc = 0;
                for (char *save = NULL, *a = strtok_r(line, "\t", &save); a && argc < MAX_ARGS;
                     a = strtok_r(NULL, "\t", &save))
                        argv[argc++] = a;
                argv[argc] = NULL;
                if (argc == 0) {
                        fputs("cli-spawn: an empty request\n", stderr);
                        return 1;
                }
                call(argv);
        }
        free(line);
        return 0;
}
