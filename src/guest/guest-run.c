/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Running guests: the registry, QEMU's monitor followed through the loop,
 * its exit noticed through a child watch, guest-info and domiflist.
 * Starting, stopping and adopting QEMU is guest-lifecycle.c's. */
#include <signal.h>
#include <stdarg.h>
#include <sys/epoll.h>
#include <sys/stat.h>

#include "guest-private.h"
#include "kvmnet/live.h"
#include "mkdir.h"
#include "spawn.h"

void kn_guest_log(kn_guest_registry *reg, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        kn_vreportf(reg->log, reg->log_data, fmt, ap);
        va_end(ap);
}

static void spawn_logger(const char *message, void *userdata) {
        kn_guest_log(userdata, "%s", message);
}

kn_guest_registry *kn_guest_registry_new(const char *state_dir, const char *run_dir,
                                         const char *netns, kn_loop *loop) {
        kn_guest_registry *reg = kn_xcalloc(1, sizeof *reg);
        reg->state_dir = kn_xstrdup(state_dir);
        reg->guests_dir = kn_xasprintf("%s/guests", reg->state_dir);
        reg->run_dir = kn_xstrdup(run_dir);
        reg->netns = kn_xstrdup(netns ? netns : "");
        reg->loop = loop;
        reg->unplug_timeout_ms = KN_GUEST_DETACH_TIMEOUT_MS;
        return reg;
}

/* The runtime directory is private (QMP sockets are root's); the ones
 * above it are made readable, as /run/kvmnet is. */
int kn_guest_run_dir_make(kn_guest_registry *reg) {
        _cleanup_free_ char *parent = kn_xstrdup(reg->run_dir);
        char *slash = strrchr(parent, '/');
        if (slash && slash != parent) {
                *slash = '\0';
                int r = kn_mkdir_p(parent, 0755);
                if (r < 0)
                        return r;
        }
        return mkdir(reg->run_dir, 0700) < 0 && errno != EEXIST ? -errno : 0;
}

void kn_guest_registry_set_op_source(kn_guest_registry *reg, const char *const *op) {
        reg->op = op;
}

void kn_guest_registry_set_event_handler(kn_guest_registry *reg,
                                         void (*fn)(const kn_gnic_event *event, void *userdata),
                                         void *userdata) {
        reg->event = fn;
        reg->event_data = userdata;
}

void kn_guest_registry_set_guest_event_handler(kn_guest_registry *reg,
                                               void (*fn)(const kn_guest_event *event,
                                                          void *userdata),
                                               void *userdata) {
        reg->guest_event = fn;
        reg->guest_event_data = userdata;
}

void kn_guest_registry_set_runner(kn_guest_registry *reg, kn_guest_runner_fn run, void *userdata) {
        reg->run = run;
        reg->run_data = userdata;
}

void kn_guest_registry_set_network_resolver(kn_guest_registry *reg, kn_guest_network_fn resolve,
                                            void *userdata) {
        reg->resolve = resolve;
        reg->resolve_data = userdata;
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
        /* Whoever runs the queue may be gone already (kvmnetd stops its
         * worker first): what is left to undo is done inline. */
        reg->closing = true;
        while (reg->guests) {
                kn_guest *g = reg->guests;
                reg->guests = g->next;
                kn_guest_log(reg, "guest %s: left running (pid %d)", g->name, (int) g->pid);
                g->child = false; /* not ours to kill: it keeps running */
                g->left_running = true;
                guest_free(g);
        }
        if (reg->log)
                kn_spawn_set_logger(NULL, NULL);
        free(reg->state_dir);
        free(reg->guests_dir);
        free(reg->run_dir);
        kn_guest_argv_free(reg->emulators);
        kn_netns_free(reg->ns);
        free(reg->netns);
        free(reg);
        return NULL;
}

/* ---- timers ---- */

int kn_gtimer_start(kn_guest_registry *reg, kn_loop_watch **t, int ms, kn_loop_timer_fn fn,
                    void *userdata) {
        if (!reg->loop)
                return -EOPNOTSUPP;
        /* A new watch each time: the callback may differ from the last. */
        kn_gtimer_stop(reg, t);
        return kn_loop_add_timer(reg->loop, (uint64_t) (ms > 0 ? ms : 0) * 1000, fn, userdata, t);
}

void kn_gtimer_stop(kn_guest_registry *reg, kn_loop_watch **t) {
        if (*t)
                kn_loop_del(reg->loop, *t);
        *t = NULL;
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
        int r = kn_object_name_validate(name, "guest", err);
        if (r < 0) {
                kn_error_prefix(err, "%s", verb);
                return r;
        }
        kn_guest *g = kn_guest_find(reg, name);
        if (!g || g->gone) {
                _cleanup_free_ char *path = kn_guest_def_path(reg, name);
                bool defined = access(path, F_OK) == 0;
                if (!defined)
                        return kn_guest_error_no_such(reg, verb, name, err);
                return kn_error_set(err, EHOSTDOWN,
                                    "%s: guest '%s' is not running (start it with guest-start)",
                                    verb, name);
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
                kn_loop_mod_fd(g->reg->loop, g->qmp_watch,
                               (uint32_t) (kn_qmp_poll_events(g->q) ?: EPOLLIN));
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

/* QEMU is ours, not reaped yet, and must go: make sure it does; the loop
 * reaps it (and kn_loop_free() waits for it). */
static void hand_to_reaper(kn_guest *g) {
        kill(g->pid, SIGKILL);
        int r = g->reg->loop ? kn_loop_add_child(g->reg->loop, g->pid, NULL, NULL, NULL)
                             : -EOPNOTSUPP;
        if (r < 0)
                kn_guest_log(g->reg, "guest %s: cannot reap QEMU (pid %d): %s", g->name,
                             (int) g->pid, strerror(-r));
        g->child = false;
}

static void guest_free(kn_guest *g) {
        kn_guest_registry *reg = g->reg;
        kn_error why = {0};
        kn_error_set(&why, ECONNRESET, "guest %s: QEMU went away", g->name);
        g->gone = true;
        kn_loop_del(reg->loop, TAKE_PTR(g->qmp_watch));
        /* Commands in flight fail now (-ECANCELED): their operations roll
         * back what is left on our side (fds, taps). */
        kn_qmp *q = TAKE_PTR(g->q);
        kn_qmp_free(q);
        kn_guest_nics_gone(g, &why);
        kn_loop_del(reg->loop, TAKE_PTR(g->pid_watch));
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
        /* Nobody's guest-stop or guest-start waits: it went by itself. */
        if (!stopping && !done && reg->guest_event) {
                kn_guest_event e = {.action = "stopped",
                                    .guest = g->name,
                                    .pid = (int) g->pid,
                                    .reason = "QEMU exited without guest-stop"};
                reg->guest_event(&e, reg->guest_event_data);
        }
        guest_free(g);
        if (done)
                done(stopping ? 0 : -ECONNRESET, stopping ? NULL : &err, data);
}

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
        kn_loop_del(g->reg->loop, TAKE_PTR(g->qmp_watch));
        kn_guest_settle(g);
}

static void on_qmp_event(kn_qmp *q, const kn_qmp_event *ev, void *userdata) {
        kn_guest_nic_event(userdata, ev);
}

static void on_qemu_exit(pid_t pid, int wstatus, void *userdata) {
        kn_guest *g = userdata;
        g->child = false; /* reaped, if it was ours */
        kn_loop_del(g->reg->loop, TAKE_PTR(g->pid_watch));
        g->gone = true;
        kn_guest_settle(g);
}

int kn_guest_watch_pid(kn_guest *g, kn_error *err) {
        kn_guest_registry *reg = g->reg;
        int r = 0;
        if (g->pid_watch)
                return 0;
        if (!reg->loop)
                r = -EOPNOTSUPP;
        else if (g->child)
                r = kn_loop_add_child(reg->loop, g->pid, on_qemu_exit, g, &g->pid_watch);
        else if (g->pidfd >= 0)
                r = kn_loop_add_pidfd(reg->loop, TAKE_FD(g->pidfd), g->pid, on_qemu_exit, g,
                                      &g->pid_watch);
        /* else: no pidfd for a process not ours; its monitor's EOF tells */
        if (r < 0)
                return kn_error_set(err, -r, "guest %s: cannot watch QEMU's pid: %s", g->name,
                                    strerror(-r));
        return 0;
}

int kn_guest_watch(kn_guest *g, kn_error *err) {
        kn_guest_registry *reg = g->reg;
        kn_qmp_set_state_handler(g->q, kn_guest_on_qmp_state, g);
        kn_qmp_set_event_handler(g->q, on_qmp_event, g);
        int r = reg->loop ? kn_loop_add_fd(reg->loop, kn_qmp_fd(g->q),
                                           (uint32_t) (kn_qmp_poll_events(g->q) ?: EPOLLIN),
                                           on_qmp_readable, g, &g->qmp_watch)
                          : -EOPNOTSUPP;
        if (r < 0)
                return kn_error_set(err, -r, "guest %s: cannot watch the monitor: %s", g->name,
                                    strerror(-r));
        return kn_guest_watch_pid(g, err);
}

kn_guest *kn_guest_new(kn_guest_registry *reg, const char *name) {
        kn_guest *g = kn_xcalloc(1, sizeof *g);
        g->reg = reg;
        g->name = kn_xstrdup(name);
        g->pidfd = -1;
        g->vcpus = 1;
        g->next = reg->guests;
        reg->guests = g;
        return g;
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
        if (!g->q35 && reply->r >= 0 && g->result) {
                /* Slots of bus 0 not taken (slot 0 is the host bridge's). */
                json_object *bus = json_object_array_get_idx(reply->ret, 0), *devs;
                unsigned used = 0;
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
                g->result->hotplug.slots = 32;
                g->result->hotplug.free = 32 - used;
        }
        kn_guest_done_fn done = g->done;
        void *data = g->done_data;
        g->done = NULL;
        g->result = NULL;
        done(0, NULL, data);
}

int kn_guest_info(kn_guest_registry *reg, const char *name, kn_guest_status *result,
                  kn_guest_done_fn done, void *userdata, kn_error *err) {
        kn_guest *g;
        int r = kn_guest_get_running(reg, "guest-info", name, &g, err);
        if (r < 0)
                return r;
        if (g->done)
                return kn_error_set(err, EBUSY, "guest-info: guest '%s' is busy", name);
        if (result)
                kn_guest_status_fill(g, result);
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

int kn_guest_domiflist(kn_guest_registry *reg, const char *name, kn_gnic_info **ret, size_t *ret_n,
                       kn_guest_hotplug *ret_hotplug, kn_error *err) {
        kn_guest *g;
        int r = kn_guest_get_running(reg, "domiflist", name, &g, err);
        if (r < 0)
                return r;
        size_t n = 0;
        for (kn_gnic *x = g->nics; x; x = x->next)
                n++;
        kn_gnic_info *list = kn_xcalloc(n + 1, sizeof *list);
        /* Oldest first, as they were attached (the list is newest first). */
        size_t k = n;
        for (kn_gnic *x = g->nics; x; x = x->next)
                kn_gnic_info_fill(x, &list[--k]);
        *ret = list;
        *ret_n = n;
        *ret_hotplug = (kn_guest_hotplug){.q35 = g->q35};
        if (g->q35) {
                ret_hotplug->root_ports = (unsigned) g->n_ports;
                ret_hotplug->free = (unsigned) kn_guest_free_ports(g);
        }
        return 0;
}
