/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* guest-start, guest-stop and guest-adopt: QEMU spawned (or found behind
 * its monitor), followed until it is ready, and told to quit; the running
 * guest's bookkeeping is guest-run.c's. */
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include "guest-private.h"
#include "spawn.h"

#define CONNECT_RETRY_MS 20
#define CONNECT_TRIES    500 /* 10 s */
#define STOP_TIMEOUT_MS  10000

static void finish_op(kn_guest *g, int r, const kn_error *err) {
        kn_guest_done_fn done = g->done;
        void *data = g->done_data;
        g->done = NULL;
        g->result = NULL;
        kn_gtimer_stop(g->reg, &g->timer);
        if (done)
                done(r, err, data);
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
        unsigned n = 0;
        for (kn_gnic *x = g->nics; x; x = x->next)
                n++;
        if (g->result)
                kn_guest_status_fill(g, g->result);
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

void kn_guest_on_qmp_state(kn_qmp *q, kn_qmp_state state, const kn_error *reason, void *userdata) {
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
                /* (QEMU exiting meanwhile ends the start through its child
                 * watch, and this timer with it.) */
                if (++g->tries < CONNECT_TRIES &&
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

int kn_guest_start(kn_guest_registry *reg, const char *name, kn_guest_status *result,
                   kn_guest_done_fn done, void *userdata, kn_error *err) {
        _cleanup_(kn_guest_def_freep) kn_guest_def *def = NULL;
        if (!reg->loop)
                return kn_error_set(err, EOPNOTSUPP,
                                    "guest-start %s: QEMU is run by kvmnetd (no event loop here)",
                                    name);
        int r = kn_guest_def_load(reg, name, &def, err);
        if (r < 0) {
                kn_error_prefix(err, "guest-start");
                return r;
        }
        if (kn_guest_find(reg, name))
                return kn_error_set(err, EEXIST, "guest-start: guest '%s' is already running",
                                    name);
        /* A network that is not running is refused before QEMU exists (the
         * NICs are resolved again when they are attached). */
        for (size_t k = 0; k < def->n_nics; k++) {
                char bridge[IFNAMSIZ];
                if (streq(def->nics[k].type, "network") &&
                    (r = kn_guest_network_bridge(reg, def->nics[k].source, bridge, err)) < 0) {
                        kn_error_prefix(err, "guest-start %s", name);
                        return r;
                }
        }
        /* Checked again at each start: the list may have changed since. */
        _cleanup_free_ char *exe = NULL;
        r = kn_guest_emulator_resolve(reg, def->emulator, &exe, err);
        if (r < 0) {
                kn_error_prefix(err, "guest-start %s", name);
                return r;
        }
        r = kn_guest_run_dir_make(reg);
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
        kn_spawn_opts o = KN_SPAWN_OPTS_INIT;
        o.stdout_fd = o.stderr_fd = logfd;
        o.new_session = true;
        pid_t pid;
        r = kn_spawn(exe, argv, &o, &pid, NULL, err);
        kn_guest_argv_free(argv);
        if (r < 0) {
                kn_error_prefix(err, "guest-start %s", name);
                return r;
        }
        kn_guest *g = kn_guest_new(reg, name);
        g->child = true;
        g->pid = pid;
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
        /* For operators (and test clean-up) to find QEMU without kvmnetd. */
        _cleanup_free_ char *pidpath = kn_xasprintf("%s/%s.pid", reg->run_dir, name);
        _cleanup_fclose_ FILE *pf = fopen(pidpath, "we");
        if (pf)
                fprintf(pf, "%d\n", (int) pid);
        kn_guest_log(reg, "guest %s: QEMU started, pid %d, log %s", name, (int) pid, logpath);
        /* A restarted kvmnetd that finds this still 'starting' kills QEMU:
         * an interrupted guest-start leaves nothing behind. */
        kn_guest_state_save(g);
        /* Its exit is followed from now on, also before the monitor is up. */
        r = kn_guest_watch_pid(g, err);
        if (r >= 0) {
                r = kn_gtimer_start(reg, &g->timer, CONNECT_RETRY_MS, connect_retry, g);
                if (r < 0)
                        kn_error_set(err, -r, "guest-start %s: timer: %s", name, strerror(-r));
        }
        if (r < 0) {
                g->done = NULL;
                g->gone = true;
                kn_guest_settle(g);
                return r;
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

int kn_guest_stop(kn_guest_registry *reg, const char *name, kn_guest_status *result,
                  kn_guest_done_fn done, void *userdata, kn_error *err) {
        int r = kn_object_name_validate(name, "guest", err);
        if (r < 0)
                return r;
        kn_guest *g = kn_guest_find(reg, name);
        if (!g)
                return kn_error_set(err, EHOSTDOWN, "guest-stop: guest '%s' is not running", name);
        if (g->done)
                return kn_error_set(err, EBUSY, "guest-stop: guest '%s' is busy %s", name,
                                    g->state == KN_GUEST_STOPPING ? "stopping" : "starting");
        if (result) {
                kn_guest_status_done(result);
                result->name = kn_xstrdup(name);
        }
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
        if (g->result)
                kn_guest_status_fill(g, g->result);
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
                   kn_guest_status *result, kn_guest_done_fn done, void *userdata, kn_error *err) {
        int r = kn_object_name_validate(name, "guest", err);
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
