/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Running guests: QEMU started (or adopted), its monitor followed through
 * the loop, its exit noticed through a pidfd, and guest-start, guest-stop,
 * guest-adopt, guest-info and domiflist. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "guest-private.h"
#include "spawn.h"

#define CONNECT_RETRY_MS 20
#define CONNECT_TRIES    500 /* 10 s */
#define STOP_TIMEOUT_MS  10000

/* A child whose guest is gone, reaped when its pidfd says it exited. */
typedef struct kn_reaper {
        struct kn_reaper *next;
        kn_guest_registry *reg;
        pid_t pid;
        int pidfd;
        void *watch;
} kn_reaper;

void kn_guest_log(kn_guest_registry *reg, const char *fmt, ...) {
        if (!reg->log)
                return;
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *msg = NULL;
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        if (msg)
                reg->log(msg, reg->log_data);
}

static void spawn_logger(const char *message, void *userdata) {
        kn_guest_log(userdata, "%s", message);
}

kn_guest_registry *kn_guest_registry_new(const char *state_dir, const char *netns,
                                         const kn_api_loop_ops *ops, void *loop) {
        kn_guest_registry *reg = kn_xcalloc(1, sizeof *reg);
        reg->state_dir = kn_xstrdup(state_dir ? state_dir : KN_STATE_DIR);
        reg->guests_dir = kn_xasprintf("%s/guests", reg->state_dir);
        reg->run_dir = kn_xasprintf("%s/run", reg->state_dir);
        reg->netns = kn_xstrdup(netns ? netns : "");
        reg->ops = ops;
        reg->loop = loop;
        reg->unplug_timeout_ms = KN_GUEST_DETACH_TIMEOUT_MS;
        return reg;
}

void kn_guest_registry_set_event_handler(kn_guest_registry *reg,
                                         void (*fn)(json_object *event, void *userdata),
                                         void *userdata) {
        reg->event = fn;
        reg->event_data = userdata;
}

void kn_guest_registry_set_unplug_timeout(kn_guest_registry *reg, int timeout_ms) {
        reg->unplug_timeout_ms = timeout_ms >= 0 ? timeout_ms : KN_GUEST_DETACH_TIMEOUT_MS;
}

void kn_guest_registry_set_logger(kn_guest_registry *reg,
                                  void (*log)(const char *message, void *userdata),
                                  void *userdata) {
        reg->log = log;
        reg->log_data = userdata;
        kn_spawn_set_logger(log ? spawn_logger : NULL, reg);
}

static void guest_free(kn_guest *g);

kn_guest_registry *kn_guest_registry_free(kn_guest_registry *reg) {
        if (!reg)
                return NULL;
        while (reg->guests) {
                kn_guest *g = reg->guests;
                reg->guests = g->next;
                kn_guest_log(reg, "guest %s: left running (pid %d)", g->name, (int) g->pid);
                g->child = false; /* not ours to kill: it keeps running */
                g->left_running = true;
                guest_free(g);
        }
        while (reg->reapers) {
                kn_reaper *k = reg->reapers;
                reg->reapers = k->next;
                if (reg->ops && k->watch)
                        reg->ops->del_fd(reg->loop, k->watch);
                waitpid(k->pid, NULL, 0); /* SIGKILLed already */
                if (k->pidfd >= 0)
                        close(k->pidfd);
                free(k);
        }
        if (reg->log)
                kn_spawn_set_logger(NULL, NULL);
        free(reg->state_dir);
        free(reg->guests_dir);
        free(reg->run_dir);
        free(reg->netns);
        free(reg);
        return NULL;
}

/* ---- timers ---- */

static void on_timer(int fd, uint32_t revents, void *userdata) {
        kn_gtimer *t = userdata;
        uint64_t n;
        (void) !read(fd, &n, sizeof n);
        void (*fn)(void *) = t->fn;
        void *data = t->userdata;
        t->fn = NULL; /* one-shot: the owner stops or restarts it */
        if (fn)
                fn(data);
}

int kn_gtimer_start(kn_guest_registry *reg, kn_gtimer *t, int ms, void (*fn)(void *),
                    void *userdata) {
        if (!reg->ops)
                return -EOPNOTSUPP;
        if (!t->watch) {
                t->fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
                if (t->fd < 0)
                        return -errno;
                int r = reg->ops->add_fd(reg->loop, t->fd, POLLIN, on_timer, t, &t->watch);
                if (r < 0) {
                        close(t->fd);
                        t->fd = -1;
                        t->watch = NULL;
                        return r;
                }
        }
        struct itimerspec its = {
                .it_value = {.tv_sec = ms / 1000, .tv_nsec = (long) (ms % 1000) * 1000000L + 1}};
        t->fn = fn;
        t->userdata = userdata;
        return timerfd_settime(t->fd, 0, &its, NULL) < 0 ? -errno : 0;
}

void kn_gtimer_stop(kn_guest_registry *reg, kn_gtimer *t) {
        if (t->watch) {
                reg->ops->del_fd(reg->loop, t->watch);
                close(t->fd);
        }
        t->watch = NULL;
        t->fd = -1;
        t->fn = NULL;
}

/* ---- lookup ---- */

kn_guest *kn_guest_find(kn_guest_registry *reg, const char *name) {
        for (kn_guest *g = reg->guests; g; g = g->next)
                if (streq(g->name, name))
                        return g;
        return NULL;
}

int kn_guest_get_running(kn_guest_registry *reg, const char *verb, const char *name, kn_guest **ret,
                         kn_error *err) {
        int r = kn_guest_name_validate(name, err);
        if (r < 0) {
                kn_error_prefix(err, "%s", verb);
                return r;
        }
        kn_guest *g = kn_guest_find(reg, name);
        if (!g || g->gone) {
                _cleanup_free_ char *path = kn_guest_def_path(reg, name);
                bool defined = access(path, F_OK) == 0;
                return kn_error_set(err, defined ? EHOSTDOWN : ENOENT, "%s: guest '%s' is %s", verb,
                                    name,
                                    defined ? "not running (start it with guest-start)"
                                            : "not defined and not adopted");
        }
        if (g->state != KN_GUEST_RUNNING || !g->q || kn_qmp_get_state(g->q) != KN_QMP_READY)
                return kn_error_set(err, EBUSY, "%s: guest '%s' is %s", verb, name,
                                    g->state == KN_GUEST_STOPPING ? "stopping" : "still starting");
        *ret = g;
        return 0;
}

/* ---- the monitor ---- */

void kn_guest_qmp_rearm(kn_guest *g) {
        if (g->q && g->qmp_watch)
                g->reg->ops->mod_fd(g->reg->loop, g->qmp_watch,
                                    (uint32_t) (kn_qmp_poll_events(g->q) ?: POLLIN));
}

int kn_guest_qmp_send(kn_guest *g, const char *cmd, json_object *args, int fd, kn_qmp_reply_fn fn,
                      void *userdata, kn_error *err) {
        if (!g->q || g->gone)
                return kn_error_set(err, ECONNRESET, "guest %s: QEMU's monitor is closed", g->name);
        /* A write failure runs fn at once; nobody may free g under us. */
        g->in_qmp++;
        int r = kn_qmp_send(g->q, cmd, args, fd, fn, userdata, NULL, err);
        g->in_qmp--;
        if (r >= 0)
                kn_guest_qmp_rearm(g);
        return r;
}

static void finish_op(kn_guest *g, int r, const kn_error *err) {
        kn_guest_done_fn done = g->done;
        void *data = g->done_data;
        g->done = NULL;
        g->result = NULL;
        kn_gtimer_stop(g->reg, &g->timer);
        if (done)
                done(r, err, data);
}

static void reaper_fire(int fd, uint32_t revents, void *userdata) {
        kn_reaper *k = userdata;
        if (kn_spawn_reap(k->pid, NULL) == 0)
                return;
        kn_guest_registry *reg = k->reg;
        for (kn_reaper **p = &reg->reapers; *p; p = &(*p)->next)
                if (*p == k) {
                        *p = k->next;
                        break;
                }
        reg->ops->del_fd(reg->loop, k->watch);
        close(k->pidfd);
        free(k);
}

/* QEMU is ours and must go: make sure it does, and reap it. */
static void hand_to_reaper(kn_guest *g) {
        kn_guest_registry *reg = g->reg;
        if (kn_spawn_reap(g->pid, NULL) != 0) {
                if (g->pidfd >= 0)
                        close(g->pidfd);
                g->pidfd = -1;
                return;
        }
        kill(g->pid, SIGKILL);
        kn_reaper *k = kn_xcalloc(1, sizeof *k);
        k->reg = reg;
        k->pid = g->pid;
        k->pidfd = TAKE_FD(g->pidfd);
        if (k->pidfd < 0 ||
            reg->ops->add_fd(reg->loop, k->pidfd, POLLIN, reaper_fire, k, &k->watch) < 0) {
                /* no pidfd: SIGKILL was sent, wait for it here */
                waitpid(k->pid, NULL, 0);
                if (k->pidfd >= 0)
                        close(k->pidfd);
                free(k);
                return;
        }
        k->next = reg->reapers;
        reg->reapers = k;
}

static void guest_free(kn_guest *g) {
        kn_guest_registry *reg = g->reg;
        kn_error why = {0};
        kn_error_set(&why, ECONNRESET, "guest %s: QEMU went away", g->name);
        g->gone = true;
        if (g->qmp_watch)
                reg->ops->del_fd(reg->loop, g->qmp_watch);
        g->qmp_watch = NULL;
        /* Commands in flight fail now (-ECANCELED): their operations roll
         * back what is left on our side (fds, taps). */
        kn_qmp *q = TAKE_PTR(g->q);
        kn_qmp_free(q);
        kn_guest_nics_gone(g, &why);
        if (g->pid_watch)
                reg->ops->del_fd(reg->loop, g->pid_watch);
        if (!g->left_running) {
                kn_guest_state_remove(reg, g->name);
                if (!g->adopted) {
                        _cleanup_free_ char *pidpath =
                                kn_xasprintf("%s/%s.pid", reg->run_dir, g->name);
                        unlink(pidpath);
                }
        }
        if (g->child)
                hand_to_reaper(g);
        if (g->pidfd >= 0)
                close(g->pidfd);
        kn_gtimer_stop(reg, &g->timer);
        kn_guest_def_free(g->def);
        for (size_t k = 0; k < g->n_ports; k++)
                free(g->ports[k]);
        free(g->ports);
        free(g->qmp_path);
        free(g->name);
        free(g);
}

static void guest_unlink(kn_guest *g) {
        for (kn_guest **p = &g->reg->guests; *p; p = &(*p)->next)
                if (*p == g) {
                        *p = g->next;
                        return;
                }
}

void kn_guest_settle(kn_guest *g) {
        if (!g->gone || g->in_qmp > 0)
                return;
        /* guest-stop ends when QEMU has exited, not when it closed the
         * monitor (the pidfd, or the stop deadline, says so). */
        if (g->pid_watch && g->state == KN_GUEST_STOPPING && g->done)
                return;
        kn_guest_registry *reg = g->reg;
        guest_unlink(g);
        kn_guest_log(reg, "guest %s: QEMU (pid %d) is gone", g->name, (int) g->pid);
        bool stopping = g->state == KN_GUEST_STOPPING;
        kn_guest_done_fn done = g->done;
        void *data = g->done_data;
        g->done = NULL;
        kn_error err = {0};
        kn_error_set(&err, ECONNRESET, "guest %s: QEMU exited before it was ready%s%s/%s.log)",
                     g->name, g->child ? " (QEMU's messages: " : " (", reg->run_dir, g->name);
        guest_free(g);
        if (done)
                done(stopping ? 0 : -ECONNRESET, stopping ? NULL : &err, data);
}

static void on_qmp_state(kn_qmp *q, kn_qmp_state state, const kn_error *reason, void *userdata);

static void on_qmp_readable(int fd, uint32_t revents, void *userdata) {
        kn_guest *g = userdata;
        kn_error err = {0};
        g->in_qmp++;
        int r = kn_qmp_process(g->q, &err);
        g->in_qmp--;
        if (r < 0)
                g->gone = true;
        if (!g->gone) {
                kn_guest_qmp_rearm(g);
                return;
        }
        /* A closed socket stays readable: stop watching it. */
        g->reg->ops->del_fd(g->reg->loop, g->qmp_watch);
        g->qmp_watch = NULL;
        kn_guest_settle(g);
}

static void on_qmp_event(kn_qmp *q, const kn_qmp_event *ev, void *userdata) {
        kn_guest_nic_event(userdata, ev);
}

static void on_pidfd(int fd, uint32_t revents, void *userdata) {
        kn_guest *g = userdata;
        if (g->child && kn_spawn_reap(g->pid, NULL) == 0)
                return;
        if (g->child)
                g->child = false; /* reaped */
        g->reg->ops->del_fd(g->reg->loop, g->pid_watch);
        g->pid_watch = NULL;
        g->gone = true;
        kn_guest_settle(g);
}

int kn_guest_watch(kn_guest *g, kn_error *err) {
        kn_guest_registry *reg = g->reg;
        kn_qmp_set_state_handler(g->q, on_qmp_state, g);
        kn_qmp_set_event_handler(g->q, on_qmp_event, g);
        int r = reg->ops->add_fd(reg->loop, kn_qmp_fd(g->q),
                                 (uint32_t) (kn_qmp_poll_events(g->q) ?: POLLIN), on_qmp_readable,
                                 g, &g->qmp_watch);
        if (r < 0)
                return kn_error_set(err, -r, "guest %s: cannot watch the monitor: %s", g->name,
                                    strerror(-r));
        if (g->pidfd >= 0 && !g->pid_watch) {
                r = reg->ops->add_fd(reg->loop, g->pidfd, POLLIN, on_pidfd, g, &g->pid_watch);
                if (r < 0)
                        return kn_error_set(err, -r, "guest %s: cannot watch QEMU's pid: %s",
                                            g->name, strerror(-r));
        }
        return 0;
}

kn_guest *kn_guest_new(kn_guest_registry *reg, const char *name) {
        kn_guest *g = kn_xcalloc(1, sizeof *g);
        g->reg = reg;
        g->name = kn_xstrdup(name);
        g->pidfd = -1;
        g->timer.fd = -1;
        g->vcpus = 1;
        g->next = reg->guests;
        reg->guests = g;
        return g;
}

/* ---- guest-start ---- */

static void start_cont_done(kn_qmp *q, const kn_qmp_reply *reply, void *userdata) {
        kn_guest *g = userdata;
        if (reply->r < 0) {
                kn_error err = *reply->error;
                kn_error_prefix(&err, "guest-start %s", g->name);
                g->gone = true; /* settle kills it */
                finish_op(g, reply->r, &err);
                kn_guest_settle(g);
                return;
        }
        g->state = KN_GUEST_RUNNING;
        json_object_object_add(g->result, "pid", json_object_new_int(g->pid));
        json_object_object_add(g->result, "qmp", json_object_new_string(g->qmp_path));
        unsigned n = 0;
        for (kn_gnic *x = g->nics; x; x = x->next)
                n++;
        json_object_object_add(g->result, "interfaces", json_object_new_int((int) n));
        kn_guest_log(g->reg, "guest %s: running (pid %d, %u interfaces)", g->name, (int) g->pid, n);
        kn_guest_state_save(g);
        finish_op(g, 0, NULL);
}

static void start_nics_done(kn_guest *g, int r, const kn_error *err) {
        kn_error e = {0};
        if (r < 0) {
                e = *err;
                kn_error_prefix(&e, "guest-start %s", g->name);
                g->gone = true;
                kill(g->pid, SIGKILL);
                finish_op(g, r, &e);
                kn_guest_settle(g);
                return;
        }
        r = kn_guest_qmp_send(g, "cont", NULL, -1, start_cont_done, g, &e);
        if (r < 0) {
                g->gone = true;
                finish_op(g, r, &e);
                kn_guest_settle(g);
        }
}

static void on_qmp_state(kn_qmp *q, kn_qmp_state state, const kn_error *reason, void *userdata) {
        kn_guest *g = userdata;
        if (state == KN_QMP_CLOSED) {
                g->gone = true;
                return;
        }
        if (state != KN_QMP_READY || g->state != KN_GUEST_STARTING || g->adopted)
                return;
        /* Paused (-S): plug the definition's NICs, then let it run. */
        kn_guest_attach_boot_nics(g, g->def, start_nics_done);
}

static void connect_retry(void *userdata) {
        kn_guest *g = userdata;
        kn_error err = {0};
        kn_qmp *q = NULL;
        int r = kn_qmp_open(g->qmp_path, &q, &err);
        if (r < 0) {
                if (++g->tries < CONNECT_TRIES && kn_spawn_reap(g->pid, NULL) == 0 &&
                    kn_gtimer_start(g->reg, &g->timer, CONNECT_RETRY_MS, connect_retry, g) >= 0)
                        return;
                kn_error_prefix(&err, "guest-start %s: QEMU's monitor did not come up", g->name);
                g->gone = true;
                finish_op(g, r, &err);
                kn_guest_settle(g);
                return;
        }
        g->q = q;
        kn_gtimer_stop(g->reg, &g->timer);
        r = kn_guest_watch(g, &err);
        if (r < 0) {
                g->gone = true;
                finish_op(g, r, &err);
                kn_guest_settle(g);
        }
}

static int check_sun_path(const char *path, kn_error *err) {
        struct sockaddr_un sa;
        if (strlen(path) >= sizeof sa.sun_path)
                return kn_error_set(err, ENAMETOOLONG,
                                    "monitor socket path %s is longer than %zu bytes (use a "
                                    "shorter state directory)",
                                    path, sizeof sa.sun_path - 1);
        return 0;
}

int kn_guest_start(kn_guest_registry *reg, const char *name, json_object *result,
                   kn_guest_done_fn done, void *userdata, kn_error *err) {
        _cleanup_(kn_guest_def_freep) kn_guest_def *def = NULL;
        int r = kn_guest_def_load(reg, name, &def, err);
        if (r < 0) {
                kn_error_prefix(err, "guest-start");
                return r;
        }
        if (kn_guest_find(reg, name))
                return kn_error_set(err, EEXIST, "guest-start: guest '%s' is already running",
                                    name);
        r = mkdir(reg->state_dir, 0755) < 0 && errno != EEXIST ? -errno : 0;
        if (r >= 0)
                r = mkdir(reg->run_dir, 0700) < 0 && errno != EEXIST ? -errno : 0;
        if (r < 0)
                return kn_error_set(err, -r, "guest-start %s: %s: %s", name, reg->run_dir,
                                    strerror(-r));
        _cleanup_free_ char *qmp = kn_xasprintf("%s/%s.qmp", reg->run_dir, name);
        _cleanup_free_ char *logpath = kn_xasprintf("%s/%s.log", reg->run_dir, name);
        r = check_sun_path(qmp, err);
        if (r < 0)
                return r;
        char **argv = kn_guest_qemu_argv(def, qmp, err);
        if (!argv)
                return -err->code;
        unlink(qmp);
        _cleanup_close_ int logfd =
                open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
        if (logfd < 0) {
                kn_guest_argv_free(argv);
                return kn_error_set(err, errno, "guest-start %s: %s: %m", name, logpath);
        }
        _cleanup_free_ char *line = kn_spawn_argv_string(argv);
        dprintf(logfd, "# %s\n", line);
        const char *exe = argv[0];
        _cleanup_free_ char *resolved = NULL;
        if (!strchr(exe, '/')) {
                const char *dirs[] = {"/usr/bin", "/usr/local/bin", "/bin"};
                for (size_t k = 0; k < ELEMENTSOF(dirs) && !resolved; k++) {
                        char *p = kn_xasprintf("%s/%s", dirs[k], exe);
                        if (access(p, X_OK) == 0)
                                resolved = p;
                        else
                                free(p);
                }
                if (!resolved) {
                        kn_guest_argv_free(argv);
                        return kn_error_set(err, ENOENT,
                                            "guest-start %s: %s not found (install "
                                            "qemu-system-x86)",
                                            name, exe);
                }
                exe = resolved;
        }
        kn_spawn_opts o = KN_SPAWN_OPTS_INIT;
        o.stdout_fd = o.stderr_fd = logfd;
        o.new_session = true;
        pid_t pid;
        int pidfd = -1;
        r = kn_spawn(exe, argv, &o, &pid, &pidfd, err);
        kn_guest_argv_free(argv);
        if (r < 0) {
                kn_error_prefix(err, "guest-start %s", name);
                return r;
        }
        kn_guest *g = kn_guest_new(reg, name);
        g->child = true;
        g->pid = pid;
        g->pidfd = pidfd;
        g->kvm = def->kvm;
        g->q35 = streq(def->machine, "q35");
        g->vcpus = def->vcpus;
        g->qmp_path = TAKE_PTR(qmp);
        if (g->q35) {
                g->ports = kn_xcalloc(def->root_ports + 1, sizeof *g->ports);
                for (unsigned k = 0; k < def->root_ports; k++)
                        g->ports[k] = kn_xasprintf("kn-rp%u", k);
                g->n_ports = def->root_ports;
        }
        g->def = TAKE_PTR(def);
        g->done = done;
        g->done_data = userdata;
        g->result = result;
        json_object_object_add(result, "name", json_object_new_string(name));
        /* For operators (and test clean-up) to find QEMU without kvmnetd. */
        _cleanup_free_ char *pidpath = kn_xasprintf("%s/%s.pid", reg->run_dir, name);
        _cleanup_fclose_ FILE *pf = fopen(pidpath, "we");
        if (pf)
                fprintf(pf, "%d\n", (int) pid);
        kn_guest_log(reg, "guest %s: QEMU started, pid %d, log %s", name, (int) pid, logpath);
        /* A restarted kvmnetd that finds this still 'starting' kills QEMU:
         * an interrupted guest-start leaves nothing behind. */
        kn_guest_state_save(g);
        r = kn_gtimer_start(reg, &g->timer, CONNECT_RETRY_MS, connect_retry, g);
        if (r < 0) {
                g->done = NULL;
                g->gone = true;
                kn_guest_settle(g);
                return kn_error_set(err, -r, "guest-start %s: timer: %s", name, strerror(-r));
        }
        return 0;
}

/* ---- guest-stop ---- */

static void stop_deadline(void *userdata) {
        kn_guest *g = userdata;
        kn_guest_log(g->reg, "guest %s: QEMU did not quit in %d s: killing pid %d", g->name,
                     STOP_TIMEOUT_MS / 1000, (int) g->pid);
        /* Ours (our child, or re-attached after a restart and watched
         * through its pidfd): make sure it goes. */
        if (g->child || (!g->adopted && g->pid_watch))
                kill(g->pid, SIGKILL);
        else {
                /* not ours: forget it */
                g->gone = true;
                kn_guest_settle(g);
        }
}

static void stop_quit_done(kn_qmp *q, const kn_qmp_reply *reply, void *userdata) {
        /* QEMU exits right after answering; the pidfd or EOF ends the stop. */
}

int kn_guest_stop(kn_guest_registry *reg, const char *name, json_object *result,
                  kn_guest_done_fn done, void *userdata, kn_error *err) {
        int r = kn_guest_name_validate(name, err);
        if (r < 0)
                return r;
        kn_guest *g = kn_guest_find(reg, name);
        if (!g)
                return kn_error_set(err, EHOSTDOWN, "guest-stop: guest '%s' is not running", name);
        if (g->done)
                return kn_error_set(err, EBUSY, "guest-stop: guest '%s' is busy %s", name,
                                    g->state == KN_GUEST_STOPPING ? "stopping" : "starting");
        json_object_object_add(result, "name", json_object_new_string(name));
        g->state = KN_GUEST_STOPPING;
        g->done = done;
        g->done_data = userdata;
        g->result = result;
        kn_error e = {0};
        if (g->q && kn_qmp_get_state(g->q) == KN_QMP_READY &&
            kn_guest_qmp_send(g, "quit", NULL, -1, stop_quit_done, g, &e) >= 0) {
                (void) kn_gtimer_start(reg, &g->timer, STOP_TIMEOUT_MS, stop_deadline, g);
                return 0;
        }
        if (g->child)
                kill(g->pid, SIGTERM);
        (void) kn_gtimer_start(reg, &g->timer, STOP_TIMEOUT_MS, stop_deadline, g);
        return 0;
}

/* ---- guest-adopt ---- */

static void adopt_fail(kn_guest *g, int r, const kn_error *err) {
        kn_error e = *err;
        kn_error_prefix(&e, "guest-adopt %s", g->name);
        g->gone = true;
        finish_op(g, r, &e);
        kn_guest_settle(g);
}

static void adopt_ports_done(kn_qmp *q, const kn_qmp_reply *reply, void *userdata) {
        kn_guest *g = userdata;
        size_t n = reply->r >= 0 ? json_object_array_length(reply->ret) : 0;
        g->ports = kn_xcalloc(n + 1, sizeof *g->ports);
        for (size_t k = 0; k < n; k++) {
                json_object *o = json_object_array_get_idx(reply->ret, k), *v;
                if (json_object_object_get_ex(o, "type", &v) &&
                    streq(json_object_get_string(v), "child<pcie-root-port>") &&
                    json_object_object_get_ex(o, "name", &v))
                        g->ports[g->n_ports++] = kn_xstrdup(json_object_get_string(v));
        }
        g->state = KN_GUEST_RUNNING;
        json_object_object_add(g->result, "pid", json_object_new_int(g->pid));
        json_object_object_add(g->result, "machine", json_object_new_string(g->q35 ? "q35" : "pc"));
        json_object_object_add(g->result, "kvm", json_object_new_boolean(g->kvm));
        kn_guest_log(g->reg, "guest %s: adopted QEMU pid %d (%s, %s)", g->name, (int) g->pid,
                     g->q35 ? "q35" : "pc", g->kvm ? "kvm" : "tcg");
        kn_guest_state_save(g);
        finish_op(g, 0, NULL);
}

static void adopt_machine_done(kn_qmp *q, const kn_qmp_reply *reply, void *userdata) {
        kn_guest *g = userdata;
        kn_error e = {0};
        if (reply->r < 0)
                return adopt_fail(g, reply->r, reply->error);
        g->q35 = strstr(json_object_get_string(reply->ret), "q35") != NULL;
        if (!g->q35) {
                kn_qmp_reply none = {.r = -ENOENT};
                return adopt_ports_done(q, &none, g);
        }
        json_object *a = json_object_new_object();
        json_object_object_add(a, "path", json_object_new_string("/machine/peripheral"));
        int r = kn_guest_qmp_send(g, "qom-list", a, -1, adopt_ports_done, g, &e);
        json_object_put(a);
        if (r < 0)
                adopt_fail(g, r, &e);
}

static void adopt_kvm_done(kn_qmp *q, const kn_qmp_reply *reply, void *userdata) {
        kn_guest *g = userdata;
        kn_error e = {0};
        if (reply->r < 0)
                return adopt_fail(g, reply->r, reply->error);
        json_object *v;
        g->kvm = json_object_object_get_ex(reply->ret, "enabled", &v) && json_object_get_boolean(v);
        json_object *a = json_object_new_object();
        json_object_object_add(a, "path", json_object_new_string("/machine"));
        json_object_object_add(a, "property", json_object_new_string("type"));
        int r = kn_guest_qmp_send(g, "qom-get", a, -1, adopt_machine_done, g, &e);
        json_object_put(a);
        if (r < 0)
                adopt_fail(g, r, &e);
}

int kn_guest_adopt(kn_guest_registry *reg, const char *name, const char *qmp_path,
                   json_object *result, kn_guest_done_fn done, void *userdata, kn_error *err) {
        int r = kn_guest_name_validate(name, err);
        if (r < 0) {
                kn_error_prefix(err, "guest-adopt");
                return r;
        }
        if (kn_guest_find(reg, name))
                return kn_error_set(err, EEXIST, "guest-adopt: guest '%s' is already running",
                                    name);
        if (isempty(qmp_path) || qmp_path[0] != '/')
                return kn_error_set(err, EINVAL,
                                    "guest-adopt %s: the monitor socket '%s' must be an absolute "
                                    "path",
                                    name, qmp_path ? qmp_path : "");
        kn_qmp *q = NULL;
        r = kn_qmp_open(qmp_path, &q, err);
        if (r < 0) {
                kn_error_prefix(err, "guest-adopt %s", name);
                return r;
        }
        struct ucred cred = {0};
        socklen_t len = sizeof cred;
        if (getsockopt(kn_qmp_fd(q), SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.pid <= 0) {
                kn_qmp_free(q);
                return kn_error_set(err, EPROTO, "guest-adopt %s: cannot tell the pid behind %s",
                                    name, qmp_path);
        }
        kn_guest *g = kn_guest_new(reg, name);
        g->adopted = true;
        g->q = q;
        g->pid = cred.pid;
        g->pidfd = (int) syscall(SYS_pidfd_open, cred.pid, 0);
        g->qmp_path = kn_xstrdup(qmp_path);
        g->done = done;
        g->done_data = userdata;
        g->result = result;
        json_object_object_add(result, "name", json_object_new_string(name));
        r = kn_guest_watch(g, err);
        if (r >= 0)
                r = kn_guest_qmp_send(g, "query-kvm", NULL, -1, adopt_kvm_done, g, err);
        if (r < 0) {
                g->done = NULL;
                g->gone = true;
                kn_guest_settle(g);
                return r;
        }
        return 0;
}

/* ---- guest-info, domiflist ---- */

size_t kn_guest_free_ports(const kn_guest *g) {
        size_t free_ports = 0;
        for (size_t k = 0; k < g->n_ports; k++) {
                bool used = false;
                for (kn_gnic *n = g->nics; n && !used; n = n->next)
                        used = n->root_port && streq(n->root_port, g->ports[k]);
                free_ports += !used;
        }
        return free_ports;
}

static void info_pci_done(kn_qmp *q, const kn_qmp_reply *reply, void *userdata) {
        kn_guest *g = userdata;
        json_object *h = json_object_new_object();
        json_object_object_add(h, "machine", json_object_new_string(g->q35 ? "q35" : "pc"));
        if (g->q35) {
                json_object_object_add(h, "root_ports", json_object_new_int((int) g->n_ports));
                json_object_object_add(h, "free",
                                       json_object_new_int((int) kn_guest_free_ports(g)));
        } else if (reply->r >= 0) {
                /* Slots of bus 0 not taken (slot 0 is the host bridge's). */
                json_object *bus = json_object_array_get_idx(reply->ret, 0), *devs;
                int used = 0;
                if (bus && json_object_object_get_ex(bus, "devices", &devs)) {
                        bool slot[32] = {false};
                        for (size_t k = 0; k < json_object_array_length(devs); k++) {
                                json_object *s;
                                if (json_object_object_get_ex(json_object_array_get_idx(devs, k),
                                                              "slot", &s))
                                        slot[json_object_get_int(s) & 31] = true;
                        }
                        for (int k = 0; k < 32; k++)
                                used += slot[k];
                }
                json_object_object_add(h, "slots", json_object_new_int(32));
                json_object_object_add(h, "free", json_object_new_int(32 - used));
        }
        json_object_object_add(g->result, "hotplug", h);
        kn_guest_done_fn done = g->done;
        void *data = g->done_data;
        g->done = NULL;
        g->result = NULL;
        done(0, NULL, data);
}

int kn_guest_info(kn_guest_registry *reg, const char *name, json_object *result,
                  kn_guest_done_fn done, void *userdata, kn_error *err) {
        kn_guest *g;
        int r = kn_guest_get_running(reg, "guest-info", name, &g, err);
        if (r < 0)
                return r;
        if (g->done)
                return kn_error_set(err, EBUSY, "guest-info: guest '%s' is busy", name);
        json_object_object_add(result, "name", json_object_new_string(name));
        json_object_object_add(result, "state", json_object_new_string("running"));
        json_object_object_add(result, "pid", json_object_new_int(g->pid));
        json_object_object_add(result, "adopted", json_object_new_boolean(g->adopted));
        json_object_object_add(result, "accel", json_object_new_string(g->kvm ? "kvm" : "tcg"));
        json_object_object_add(result, "vcpus", json_object_new_int((int) g->vcpus));
        json_object_object_add(result, "qmp", json_object_new_string(g->qmp_path));
        int n = 0;
        for (kn_gnic *x = g->nics; x; x = x->next)
                n++;
        json_object_object_add(result, "interfaces", json_object_new_int(n));
        g->done = done;
        g->done_data = userdata;
        g->result = result;
        r = kn_guest_qmp_send(g, "query-pci", NULL, -1, info_pci_done, g, err);
        if (r < 0) {
                g->done = NULL;
                g->result = NULL;
        }
        return r;
}

int kn_guest_domiflist(kn_guest_registry *reg, const char *name, json_object *result,
                       kn_error *err) {
        kn_guest *g;
        int r = kn_guest_get_running(reg, "domiflist", name, &g, err);
        if (r < 0)
                return r;
        json_object *list = json_object_new_array();
        /* Oldest first, as they were attached. */
        size_t n = 0;
        for (kn_gnic *x = g->nics; x; x = x->next)
                n++;
        for (size_t k = n; k > 0; k--) {
                kn_gnic *x = g->nics;
                for (size_t j = 1; j < k; j++)
                        x = x->next;
                json_object_array_add(list, kn_gnic_to_json(x));
        }
        json_object_object_add(result, "name", json_object_new_string(name));
        json_object_object_add(result, "interfaces", list);
        json_object *h = json_object_new_object();
        json_object_object_add(h, "machine", json_object_new_string(g->q35 ? "q35" : "pc"));
        if (g->q35) {
                json_object_object_add(h, "root_ports", json_object_new_int((int) g->n_ports));
                json_object_object_add(h, "free",
                                       json_object_new_int((int) kn_guest_free_ports(g)));
        }
        json_object_object_add(result, "hotplug", h);
        return 0;
}
