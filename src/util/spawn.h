/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The one way kvmnet starts external programs (qemu, udhcpc, ...): fork +
 * exec with every fd but stdio (and the ones asked for) closed, the argv
 * logged.  Reaping is the caller's: on an event loop, a child watch
 * (kn_loop_add_child(), kvmnet/loop.h), else waitpid(). */

#include <stdbool.h>
#include <sys/types.h>

#include "kvmnet/error.h"

typedef struct kn_spawn_opts {
        int stdin_fd, stdout_fd, stderr_fd; /* -1: /dev/null */
        bool new_session;                   /* setsid() in the child */
        char *const *envp;                  /* NULL: the caller's environment */
        /* Runs in the child before exec (e.g. setns()); < 0 makes it exit 126. */
        int (*child_setup)(void *data);
        void *child_data;
} kn_spawn_opts;

#define KN_SPAWN_OPTS_INIT                                                                         \
        { .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1 }

/* Where the argv of every spawned program is reported (NULL: nowhere). */
void kn_spawn_set_logger(void (*log)(const char *message, void *userdata), void *userdata);

/* Start exe with argv.  *ret_pid gets the child's pid; ret_pidfd (may be
 * NULL) a close-on-exec pidfd that becomes readable when the child exits
 * (-1 if the kernel has none). */
int kn_spawn(const char *exe, char *const argv[], const kn_spawn_opts *o, pid_t *ret_pid,
             int *ret_pidfd, kn_error *err);

/* Where the executable `name` is: name itself if it contains a '/' (and
 * is executable), else the first executable regular file of that name in
 * KN_SPAWN_PATH.  The daemon's own $PATH is not used: what kvmnetd runs
 * must not depend on the environment it was started from (a service
 * manager's PATH may lack the sbin directories).  NULL if none; free the
 * result.  The one way kvmnet looks a program up (qemu, udhcpc, ...). */
#define KN_SPAWN_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
char *kn_spawn_find(const char *name);

/* argv as one shell-quoted line, for logs. */
char *kn_spawn_argv_string(char *const argv[]);
