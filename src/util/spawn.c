/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "macro.h"
#include "strbuf.h"

extern char **environ;

static void (*spawn_log)(const char *message, void *userdata);
static void *spawn_log_data;

void kn_spawn_set_logger(void (*log)(const char *message, void *userdata), void *userdata) {
        spawn_log = log;
        spawn_log_data = userdata;
}

char *kn_spawn_argv_string(char *const argv[]) {
        _cleanup_strbuf_ kn_strbuf b = {0};
        for (size_t k = 0; argv[k]; k++) {
                const char *a = argv[k];
                if (k)
                        kn_strbuf_putc(&b, ' ');
                if (*a && strspn(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                    "0123456789-_./:=,@+%") == strlen(a)) {
                        kn_strbuf_puts(&b, a);
                        continue;
                }
                kn_strbuf_putc(&b, '\'');
                for (; *a; a++)
                        if (*a == '\'')
                                kn_strbuf_puts(&b, "'\\''");
                        else
                                kn_strbuf_putc(&b, *a);
                kn_strbuf_putc(&b, '\'');
        }
        return kn_strbuf_steal(&b);
}

static bool is_exe(const char *path) {
        struct stat st;
        return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

char *kn_spawn_find(const char *name) {
        if (isempty(name))
                return NULL;
        if (strchr(name, '/'))
                return is_exe(name) ? kn_xstrdup(name) : NULL;
        for (const char *d = KN_SPAWN_PATH; *d;) {
                size_t l = strcspn(d, ":");
                char *p = kn_xasprintf("%.*s/%s", (int) l, d, name);
                if (is_exe(p))
                        return p;
                free(p);
                d += l + (d[l] == ':');
        }
        return NULL;
}

static int move_fd(int fd, int target, int null) {
        if (fd < 0)
                fd = null;
        if (fd == target)
                return fcntl(fd, F_SETFD, 0);
        return dup2(fd, target);
}

_Noreturn static void child(const char *exe, char *const argv[], const kn_spawn_opts *o) {
        /* Default signal state: the daemon blocks SIGTERM & co. for its
         * signalfd, and an exec'd program inherits the mask. */
        sigset_t all;
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        signal(SIGPIPE, SIG_DFL);
        if (o->new_session)
                setsid();
        if (o->child_setup && o->child_setup(o->child_data) < 0)
                _exit(126);
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null < 0)
                _exit(126);
        /* Move the wanted fds out of the way of 0..2 first. */
        int in = o->stdin_fd >= 0 && o->stdin_fd < 3 ? fcntl(o->stdin_fd, F_DUPFD_CLOEXEC, 3)
                                                     : o->stdin_fd;
        int out = o->stdout_fd >= 0 && o->stdout_fd < 3 ? fcntl(o->stdout_fd, F_DUPFD_CLOEXEC, 3)
                                                        : o->stdout_fd;
        int errfd = o->stderr_fd >= 0 && o->stderr_fd < 3 ? fcntl(o->stderr_fd, F_DUPFD_CLOEXEC, 3)
                                                          : o->stderr_fd;
        if (move_fd(in, 0, null) < 0 || move_fd(out, 1, null) < 0 || move_fd(errfd, 2, null) < 0)
                _exit(126);
        if (syscall(SYS_close_range, 3, ~0U, 0) < 0)
                for (int fd = 3; fd < 65536; fd++)
                        close(fd);
        execve(exe, argv, o->envp ? o->envp : environ);
        _exit(127);
}

int kn_spawn(const char *exe, char *const argv[], const kn_spawn_opts *o, pid_t *ret_pid,
             int *ret_pidfd, kn_error *err) {
        static const kn_spawn_opts defaults = KN_SPAWN_OPTS_INIT;
        if (!o)
                o = &defaults;
        if (spawn_log) {
                _cleanup_free_ char *line = kn_spawn_argv_string(argv);
                _cleanup_free_ char *msg = kn_xasprintf("starting %s: %s", exe, line);
                spawn_log(msg, spawn_log_data);
        }
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0)
                return kn_error_set(err, errno, "cannot start %s: fork: %m", exe);
        if (pid == 0)
                child(exe, argv, o);
        *ret_pid = pid;
        if (ret_pidfd) {
                /* The child is not reaped before we wait for it, so the pid
                 * cannot have been reused yet. */
                int fd = (int) syscall(SYS_pidfd_open, pid, 0);
                if (fd >= 0)
                        fcntl(fd, F_SETFD, FD_CLOEXEC);
                *ret_pidfd = fd;
        }
        return 0;
}
