/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* One network's dnsmasq process: started through kn_spawn inside the
 * served namespace, followed by a child watch (or, adopted after a kvmnetd
 * restart, a pidfd watch), restarted with backoff, its lease file watched
 * with inotify (see dnsmasq.h). */

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "dnsmasq-private.h"
#include "lease-watch.h"
#include "macro.h"
#include "spawn.h"
#include "strbuf.h"
#include "vnet-private.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define DEFAULT_EXE        "dnsmasq"
#define READY_TIMEOUT_MS   5000
#define STOP_TIMEOUT_MS    2000
#define BACKOFF_FIRST_USEC 250000ULL
#define BACKOFF_MAX_USEC   30000000ULL
#define STABLE_USEC        10000000ULL
/* dnsmasq rewrites its lease file as truncate + write: read it once both
 * are done. */
#define LEASE_SETTLE_USEC 3000

struct kn_dnsmasq {
        kn_loop *loop;
        kn_netns *ns;
        char *network, *state_dir, *exe;
        kn_dnsmasq_paths p;
        kn_dnsmasq_event_fn fn;
        void *userdata;
        pid_t pid; /* 0: not running */
        int pidfd; /* ours (the loop has a dup): signals, waiting */
        bool adopted;
        kn_loop_watch *child, *restart, *settle;
        kn_lease_watch *leases_watch;
        uint64_t backoff, started;
        kn_dnsmasq_lease *leases;
        size_t n_leases;
};

static void emit(kn_dnsmasq *d, kn_dnsmasq_event ev) {
        if (d->fn)
                d->fn(d, &ev, d->userdata);
}

/* ---- processes ---- */

static int pidfd_open(pid_t pid) {
        return (int) syscall(SYS_pidfd_open, pid, 0);
}

static int pidfd_signal(int pidfd, int sig) {
        return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 ? -errno : 0;
}

static pid_t read_pidfile(const char *path) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        int pid;
        return f && fscanf(f, "%d", &pid) == 1 && pid > 0 ? pid : 0;
}

/* pid is a live dnsmasq started with --conf-file=conf: a stale pid file
 * must not make kvmnet adopt or kill a process that reused the pid. */
static bool is_instance(pid_t pid, const char *conf) {
        char path[64], buf[4096];
        snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
        _cleanup_close_ int sfd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n = sfd < 0 ? -1 : read(sfd, buf, sizeof buf - 1);
        if (n <= 0)
                return false;
        buf[n] = '\0';
        const char *st = strrchr(buf, ')');
        if (!st || st[1] != ' ' || st[2] == 'Z' || st[2] == 'X')
                return false;
        snprintf(path, sizeof path, "/proc/%d/cmdline", (int) pid);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
        if (n <= 0)
                return false;
        buf[n] = '\0';
        const char *base = strrchr(buf, '/');
        if (!streq(base ? base + 1 : buf, "dnsmasq"))
                return false;
        _cleanup_free_ char *want = kn_xasprintf("--conf-file=%s", conf);
        for (const char *a = buf; a < buf + n; a += strlen(a) + 1)
                if (streq(a, want))
                        return true;
        return false;
}

/* The instance that serves these files, pinned by a pidfd; 0 if none. */
static pid_t find_instance(const kn_dnsmasq_paths *p, int *ret_pidfd) {
        pid_t pid = read_pidfile(p->pid);
        if (pid <= 0 || !is_instance(pid, p->conf))
                return 0;
        int fd = pidfd_open(pid);
        /* Checked again once pinned: the pid cannot be reused now. */
        if (fd < 0 || !is_instance(pid, p->conf)) {
                if (fd >= 0)
                        close(fd);
                return 0;
        }
        *ret_pidfd = fd;
        return pid;
}

static bool wait_exit(int pidfd, int timeout_ms) {
        struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
        int r;
        while ((r = poll(&pfd, 1, timeout_ms)) < 0 && errno == EINTR)
                ;
        if (r <= 0)
                return false;
        /* Reaps it if it is our child; a process adopted from an earlier
         * kvmnetd is its parent's (init's) to reap. */
        siginfo_t si;
        (void) waitid((idtype_t) P_PIDFD, (id_t) pidfd, &si, WEXITED | WNOHANG);
        return true;
}

static int stop_process(const char *network, pid_t pid, int pidfd, kn_error *err) {
        if (pidfd_signal(pidfd, SIGTERM) < 0 && errno != ESRCH)
                return kn_error_set(err, errno, "network %s: cannot stop dnsmasq %d: %m", network,
                                    (int) pid);
        if (wait_exit(pidfd, STOP_TIMEOUT_MS))
                return 0;
        pidfd_signal(pidfd, SIGKILL);
        if (wait_exit(pidfd, STOP_TIMEOUT_MS))
                return 0;
        return kn_error_set(err, EBUSY, "network %s: dnsmasq %d does not exit", network, (int) pid);
}

/* The last line written to path after offset (the log is appended to by
 * every start). */
static void last_line(const char *path, long offset, char *out, size_t size) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        char line[512];
        out[0] = '\0';
        if (f && fseek(f, offset, SEEK_SET) < 0)
                return;
        while (f && fgets(line, sizeof line, f)) {
                line[strcspn(line, "\n")] = '\0';
                if (line[0])
                        snprintf(out, size, "%s", line);
        }
}

static int enter_ns(void *data) {
        return kn_netns_enter(data);
}

static void child_exited(pid_t pid, int wstatus, void *userdata);

static int attach(kn_dnsmasq *d, pid_t pid, int pidfd, kn_error *err) {
        int dup = fcntl(pidfd, F_DUPFD_CLOEXEC, 3);
        int r = dup < 0 ? -errno : kn_loop_add_pidfd(d->loop, dup, pid, child_exited, d, &d->child);
        if (r < 0)
                return kn_error_set(err, -r, "network %s: cannot watch dnsmasq %d: %s", d->network,
                                    (int) pid, strerror(-r));
        d->pid = pid;
        d->pidfd = pidfd;
        d->started = kn_loop_now_usec();
        return 0;
}

/* Until its pid file names it: dnsmasq writes it once its sockets are
 * bound, and exits at once on a bad configuration. */
static int wait_ready(kn_dnsmasq *d, pid_t pid, int pidfd, long log_offset, kn_error *err) {
        for (int waited = 0; waited < READY_TIMEOUT_MS; waited += 2) {
                if (read_pidfile(d->p.pid) == pid)
                        return 0;
                struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
                if (poll(&pfd, 1, 2) <= 0)
                        continue;
                siginfo_t si = {0};
                waitid((idtype_t) P_PIDFD, (id_t) pidfd, &si, WEXITED);
                char line[512];
                last_line(d->p.log, log_offset, line, sizeof line);
                return kn_error_set(err, EIO,
                                    "network %s: dnsmasq exited at start with %s %d (%s; log: %s)",
                                    d->network, si.si_code == CLD_EXITED ? "status" : "signal",
                                    si.si_status, line[0] ? line : "no message", d->p.log);
        }
        pidfd_signal(pidfd, SIGKILL);
        wait_exit(pidfd, STOP_TIMEOUT_MS);
        return kn_error_set(err, ETIMEDOUT, "network %s: dnsmasq not ready after %d s (log: %s)",
                            d->network, READY_TIMEOUT_MS / 1000, d->p.log);
}

static int spawn(kn_dnsmasq *d, kn_error *err) {
        _cleanup_close_ int logfd =
                open(d->p.log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0644);
        if (logfd < 0)
                return kn_error_set(err, errno, "network %s: %s: %m", d->network, d->p.log);
        long log_offset = (long) lseek(logfd, 0, SEEK_END);
        unlink(d->p.pid);
        _cleanup_free_ char *conf = kn_xasprintf("--conf-file=%s", d->p.conf);
        /* In the foreground: our child, followed by a pidfd; its messages
         * to stderr, the log file. */
        char *argv[] = {"dnsmasq", conf, "--keep-in-foreground", "--log-facility=-", NULL};
        kn_spawn_opts o = KN_SPAWN_OPTS_INIT;
        o.stdout_fd = o.stderr_fd = logfd;
        o.new_session = true;
        o.child_setup = enter_ns;
        o.child_data = d->ns;
        pid_t pid;
        int pidfd = -1;
        int r = kn_spawn(d->exe, argv, &o, &pid, &pidfd, err);
        if (r < 0) {
                kn_error_prefix(err, "network %s", d->network);
                return r;
        }
        if (pidfd < 0) {
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
                return kn_error_set(err, ENOSYS, "network %s: no pidfd for dnsmasq (Linux >= 5.3)",
                                    d->network);
        }
        r = wait_ready(d, pid, pidfd, log_offset < 0 ? 0 : log_offset, err);
        if (r < 0) {
                close(pidfd);
                return r;
        }
        d->adopted = false;
        r = attach(d, pid, pidfd, err);
        if (r < 0) {
                /* Unwatched, it would serve on with nobody to stop it. */
                pidfd_signal(pidfd, SIGKILL);
                wait_exit(pidfd, STOP_TIMEOUT_MS);
                close(pidfd);
        }
        return r;
}

/* Stop following the current process and stop it. */
static int stop_current(kn_dnsmasq *d, kn_error *err) {
        if (!d->pid)
                return 0;
        kn_loop_del(d->loop, d->child);
        d->child = NULL;
        int r = stop_process(d->network, d->pid, d->pidfd, err);
        close(d->pidfd);
        d->pidfd = -1;
        d->pid = 0;
        return r;
}

static uint64_t next_delay(kn_dnsmasq *d) {
        uint64_t delay = d->backoff;
        d->backoff = d->backoff ? d->backoff * 2 : BACKOFF_FIRST_USEC;
        if (d->backoff > BACKOFF_MAX_USEC)
                d->backoff = BACKOFF_MAX_USEC;
        return delay;
}

static void on_restart(void *userdata);

static void arm_restart(kn_dnsmasq *d, uint64_t delay) {
        if (!d->restart)
                kn_loop_add_timer(d->loop, delay, on_restart, d, &d->restart);
        else
                kn_loop_timer_set(d->loop, d->restart, delay);
}

static void on_restart(void *userdata) {
        kn_dnsmasq *d = userdata;
        kn_error e = {0};
        if (spawn(d, &e) < 0) {
                uint64_t delay = next_delay(d);
                emit(d, (kn_dnsmasq_event){.type = KN_DNSMASQ_START_FAILED,
                                           .error = &e,
                                           .restart_usec = delay});
                arm_restart(d, delay);
                return;
        }
        emit(d, (kn_dnsmasq_event){.type = KN_DNSMASQ_STARTED, .pid = d->pid});
}

static void child_exited(pid_t pid, int wstatus, void *userdata) {
        kn_dnsmasq *d = userdata;
        kn_loop_del(d->loop, d->child);
        d->child = NULL;
        close(d->pidfd);
        d->pidfd = -1;
        d->pid = 0;
        if (kn_loop_now_usec() - d->started >= STABLE_USEC)
                d->backoff = 0;
        uint64_t delay = next_delay(d);
        emit(d, (kn_dnsmasq_event){.type = KN_DNSMASQ_EXITED,
                                   .pid = pid,
                                   .wstatus = wstatus,
                                   .adopted = d->adopted,
                                   .restart_usec = delay});
        arm_restart(d, delay);
}

/* ---- leases ---- */

static char *read_text(const char *path) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        if (!f)
                return NULL;
        _cleanup_strbuf_ kn_strbuf b = {0};
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0)
                kn_strbuf_putn(&b, buf, n);
        return kn_strbuf_steal(&b);
}

int kn_dnsmasq_read_leases(const char *state_dir, const char *network, kn_dnsmasq_lease **ret,
                           size_t *ret_n, kn_error *err) {
        int r = kn_object_name_validate(network, "network", err);
        if (r < 0)
                return r;
        _cleanup_free_ char *path = kn_xasprintf("%s/%s.leases", state_dir, network);
        _cleanup_free_ char *text = read_text(path);
        if (!text && errno != ENOENT)
                return kn_error_set(err, errno, "network %s: %s: %m", network, path);
        kn_dnsmasq_parse_leases(text ? text : "", ret, ret_n);
        return 0;
}

static bool lease_same(const kn_dnsmasq_lease *a, const kn_dnsmasq_lease *b) {
        return a->expiry == b->expiry && a->iaid == b->iaid && streq(a->mac, b->mac) &&
               streq(a->hostname, b->hostname) && streq(a->client_id, b->client_id);
}

/* Read the lease file and report what changed since the last read. */
static void refresh_leases(kn_dnsmasq *d) {
        _cleanup_free_ char *text = read_text(d->p.leases);
        _cleanup_free_ kn_dnsmasq_lease *old = d->leases;
        size_t n_old = d->n_leases;
        kn_dnsmasq_parse_leases(text ? text : "", &d->leases, &d->n_leases);
        size_t i = 0, j = 0;
        while (i < n_old || j < d->n_leases) {
                int c = i == n_old         ? 1
                        : j == d->n_leases ? -1
                                           : kn_dnsmasq_lease_cmp(&old[i], &d->leases[j]);
                if (c < 0)
                        emit(d, (kn_dnsmasq_event){.type = KN_DNSMASQ_LEASE_REMOVED,
                                                   .lease = &old[i++]});
                else if (c > 0)
                        emit(d, (kn_dnsmasq_event){.type = KN_DNSMASQ_LEASE_ADDED,
                                                   .lease = &d->leases[j++]});
                else {
                        if (!lease_same(&old[i], &d->leases[j]))
                                emit(d, (kn_dnsmasq_event){.type = KN_DNSMASQ_LEASE_CHANGED,
                                                           .lease = &d->leases[j]});
                        i++, j++;
                }
        }
}

static void on_settle(void *userdata) {
        refresh_leases(userdata);
}

/* The file changed: read it once the burst of writes has settled. */
static void on_lease_file(void *userdata) {
        kn_dnsmasq *d = userdata;
        kn_loop_timer_set(d->loop, d->settle, LEASE_SETTLE_USEC);
}

static int watch_leases(kn_dnsmasq *d, kn_error *err) {
        int r = kn_lease_watch_add(d->loop, d->p.leases, on_lease_file, d, &d->leases_watch);
        if (r == 0)
                r = kn_loop_add_timer(d->loop, KN_LOOP_TIMER_OFF, on_settle, d, &d->settle);
        if (r < 0)
                return kn_error_set(err, -r, "network %s: cannot watch %s: %s", d->network,
                                    d->p.leases, strerror(-r));
        _cleanup_free_ char *text = read_text(d->p.leases);
        kn_dnsmasq_parse_leases(text ? text : "", &d->leases, &d->n_leases);
        return 0;
}

/* ---- the handle ---- */

kn_dnsmasq *kn_dnsmasq_free(kn_dnsmasq *d) {
        if (!d)
                return NULL;
        kn_loop_del(d->loop, d->child);
        kn_loop_del(d->loop, d->restart);
        kn_lease_watch_free(d->leases_watch);
        kn_loop_del(d->loop, d->settle);
        if (d->pidfd >= 0)
                close(d->pidfd);
        kn_dnsmasq_paths_done(&d->p);
        free(d->leases);
        free(d->network);
        free(d->state_dir);
        free(d->exe);
        free(d);
        return NULL;
}

static void remove_files(const kn_dnsmasq_paths *p, bool leases, bool log);

/* A start that failed leaves no files behind but the log its error names
 * and the leases, unless an instance (not ours to clean up) runs. */
static int start_failed(kn_dnsmasq *d, int r) {
        if (kn_dnsmasq_running(d->state_dir, d->network) == 0)
                remove_files(&d->p, false, false);
        kn_dnsmasq_free(d);
        return r;
}

int kn_dnsmasq_start(kn_loop *loop, kn_netns *ns, const kn_dnsmasq_config *c,
                     kn_dnsmasq_event_fn fn, void *userdata, kn_dnsmasq **ret, kn_error *err) {
        /* Checked before any path is made of the names. */
        _cleanup_free_ char *text = NULL;
        int r = kn_dnsmasq_config_text(c, &text, err);
        if (r < 0)
                return r;
        kn_dnsmasq *d = kn_xcalloc(1, sizeof *d);
        d->loop = loop;
        d->ns = ns;
        d->fn = fn;
        d->userdata = userdata;
        d->pidfd = -1;
        d->network = kn_xstrdup(c->network ? c->network : "");
        d->state_dir = kn_xstrdup(c->state_dir ? c->state_dir : "");
        d->exe = kn_spawn_find(c->exe ? c->exe : DEFAULT_EXE);
        kn_dnsmasq_paths_init(&d->p, d->state_dir, d->network);

        bool conf_changed, hosts_changed;
        r = kn_dnsmasq_write_files(c, &d->p, &conf_changed, &hosts_changed, err);
        if (r == 0 && !d->exe)
                r = kn_error_set(err, ENOENT, "network %s: no %s (install dnsmasq-base)",
                                 d->network, c->exe ? c->exe : DEFAULT_EXE);
        if (r == 0)
                r = watch_leases(d, err);
        if (r < 0)
                return start_failed(d, r);
        int pidfd = -1;
        pid_t pid = find_instance(&d->p, &pidfd);
        if (pid > 0 && conf_changed) {
                /* Running with an older configuration: replaced. */
                r = stop_process(d->network, pid, pidfd, err);
                close(pidfd);
                pid = 0;
        }
        if (r == 0 && pid > 0) {
                r = attach(d, pid, pidfd, err);
                if (r < 0)
                        close(pidfd);
                d->adopted = true;
                if (r == 0 && hosts_changed)
                        pidfd_signal(d->pidfd, SIGHUP);
        } else if (r == 0)
                r = spawn(d, err);
        if (r < 0)
                return start_failed(d, r);
        *ret = d;
        return 0;
}

int kn_dnsmasq_update(kn_dnsmasq *d, const kn_dnsmasq_config *c, kn_error *err) {
        if (!streq_ptr(c->network, d->network) || !streq_ptr(c->state_dir, d->state_dir))
                return kn_error_set(err, EINVAL,
                                    "network %s: an update cannot change the network name or "
                                    "state directory",
                                    d->network);
        bool conf_changed, hosts_changed;
        int r = kn_dnsmasq_write_files(c, &d->p, &conf_changed, &hosts_changed, err);
        if (r < 0 || !d->pid)
                return r; /* a pending restart reads the new files */
        if (hosts_changed && !conf_changed)
                return pidfd_signal(d->pidfd, SIGHUP) < 0
                               ? kn_error_set(err, errno, "network %s: SIGHUP to dnsmasq %d: %m",
                                              d->network, (int) d->pid)
                               : 0;
        if (!conf_changed)
                return 0;
        r = stop_current(d, err);
        if (r == 0)
                r = spawn(d, err);
        if (r < 0 && !d->pid)
                arm_restart(d, next_delay(d));
        return r;
}

static void remove_files(const kn_dnsmasq_paths *p, bool leases, bool log) {
        const char *v[] = {p->conf, p->hostsfile,        p->addnhosts,
                           p->pid,  log ? p->log : NULL, leases ? p->leases : NULL};
        for (size_t k = 0; k < ELEMENTSOF(v); k++)
                if (v[k])
                        unlink(v[k]);
}

int kn_dnsmasq_stop(kn_dnsmasq *d, kn_error *err) {
        if (!d)
                return 0;
        int r = stop_current(d, err);
        if (r == 0)
                remove_files(&d->p, false, true);
        kn_dnsmasq_free(d);
        return r;
}

pid_t kn_dnsmasq_pid(const kn_dnsmasq *d) {
        return d->pid;
}

bool kn_dnsmasq_adopted(const kn_dnsmasq *d) {
        return d->adopted;
}

const kn_dnsmasq_lease *kn_dnsmasq_leases(const kn_dnsmasq *d, size_t *ret_n) {
        *ret_n = d->n_leases;
        return d->leases;
}

pid_t kn_dnsmasq_running(const char *state_dir, const char *network) {
        if (kn_object_name_validate(network, "network", NULL) < 0)
                return 0;
        kn_dnsmasq_paths p;
        kn_dnsmasq_paths_init(&p, state_dir, network);
        int pidfd = -1;
        pid_t pid = find_instance(&p, &pidfd);
        if (pidfd >= 0)
                close(pidfd);
        kn_dnsmasq_paths_done(&p);
        return pid;
}

int kn_dnsmasq_kill(const char *state_dir, const char *network, bool purge, kn_error *err) {
        int r = kn_object_name_validate(network, "network", err);
        if (r < 0)
                return r;
        kn_dnsmasq_paths p;
        kn_dnsmasq_paths_init(&p, state_dir, network);
        int pidfd = -1;
        pid_t pid = find_instance(&p, &pidfd);
        if (pid > 0) {
                r = stop_process(network, pid, pidfd, err);
                close(pidfd);
        }
        if (r == 0)
                remove_files(&p, purge, true);
        kn_dnsmasq_paths_done(&p);
        return r;
}
