/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A restarted kvmnetd finds its guests again: each RUN/guests/NAME.json a
 * predecessor left (guest-state.c) is checked against what exists now --
 * the QEMU process (same pid behind the same monitor socket), its devices
 * (qom-list /machine/peripheral, qom-get of each device's netdev) and the
 * taps in the served namespace -- and the guest is re-attached with the
 * NICs that are really there.  Taps survive a kvmnetd that died: QEMU
 * holds their fds (getfd), so netdev_del still removes them later.
 *
 * Everything here is sequential (kvmnetd does it before it serves
 * anyone), with the blocking QMP helpers; the connection is then handed
 * to the loop like any other guest's. */
#include <dirent.h>
#include <net/if.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>

#include "guest-private.h"
#include "rootfs.h"
#include "kvmnet/live.h"

typedef struct recovery {
        kn_guest_registry *reg;
        const char *name;
        int timeout_ms;
        json_object *state;   /* the file */
        json_object *devices; /* qom-list /machine/peripheral */
} recovery;

static const char *jstr(json_object *o, const char *key) {
        json_object *v;
        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

static int64_t jint(json_object *o, const char *key, int64_t def) {
        json_object *v;
        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
                return def;
        return json_object_get_int64(v);
}

static bool jbool(json_object *o, const char *key) {
        json_object *v;
        return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

static char *jdup(json_object *o, const char *key) {
        const char *s = jstr(o, key);
        return s ? kn_xstrdup(s) : NULL;
}

/* Running, not a zombie nobody reaped yet (our predecessor was its
 * parent; a container's init may never reap it). */
static bool pid_alive(pid_t pid) {
        if (kill(pid, 0) < 0 && errno == ESRCH)
                return false;
        char path[64], buf[512];
        snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        if (!f || !fgets(buf, sizeof buf, f))
                return true; /* no /proc: kill() said it exists */
        const char *p = strrchr(buf, ')');
        return !(p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'));
}

/* Drop the files of a guest that is not coming back. */
static void forget(kn_guest_registry *reg, const char *name, bool adopted) {
        kn_guest_state_remove(reg, name);
        if (!adopted) {
                _cleanup_free_ char *pidpath = kn_xasprintf("%s/%s.pid", reg->run_dir, name);
                unlink(pidpath);
        }
}

static bool qemu_has_device(recovery *rc, const char *id) {
        for (size_t k = 0; rc->devices && k < json_object_array_length(rc->devices); k++) {
                json_object *d = json_object_array_get_idx(rc->devices, k);
                const char *name = jstr(d, "name"), *type = jstr(d, "type");
                if (streq_ptr(name, id) && type && strstr(type, "virtio-net"))
                        return true;
        }
        return false;
}

/* The netdev QEMU's device id uses, or NULL. */
static char *qemu_device_netdev(kn_qmp *q, const char *id, int timeout_ms) {
        kn_error e = {0};
        json_object *a = json_object_new_object(), *ret = NULL;
        _cleanup_free_ char *path = kn_xasprintf("/machine/peripheral/%s", id);
        json_object_object_add(a, "path", json_object_new_string(path));
        json_object_object_add(a, "property", json_object_new_string("netdev"));
        int r = kn_qmp_execute(q, "qom-get", a, &ret, timeout_ms, &e);
        json_object_put(a);
        char *s = r >= 0 && json_object_is_type(ret, json_type_string)
                          ? kn_xstrdup(json_object_get_string(ret))
                          : NULL;
        json_object_put(ret);
        return s;
}

static int tap_in_netns(void *data) {
        return if_nametoindex(data) > 0;
}

static bool tap_exists(kn_guest_registry *reg, const char *tap) {
        kn_netns *ns = isempty(tap) ? NULL : kn_guest_netns(reg, NULL);
        return ns && kn_netns_run(ns, tap_in_netns, (void *) tap, NULL) > 0;
}

/* Remove a backend QEMU may still hold (its tap goes with it); QEMU's
 * "not found" means it is gone already. */
static void qemu_del(kn_qmp *q, const char *cmd, const char *key, const char *id, int timeout_ms) {
        kn_error e = {0};
        json_object *a = json_object_new_object();
        json_object_object_add(a, key, json_object_new_string(id));
        (void) kn_qmp_execute(q, cmd, a, NULL, timeout_ms, &e);
        json_object_put(a);
}

/* The NIC n is gone from QEMU (or never made it): take what is left of
 * it out of QEMU, drop it, and say so. */
static void drop_nic(recovery *rc, kn_gnic *n, const char *why) {
        kn_guest *g = n->guest;
        char mac[18];
        kn_guest_mac_format(n->nic.mac, mac);
        qemu_del(g->q, "netdev_del", "id", n->netdev_id, rc->timeout_ms);
        if (n->state == KN_GNIC_ATTACHING)
                /* getfd names an interrupted attach may have left */
                for (unsigned k = 0; k < 2 * n->nic.queues; k++) {
                        _cleanup_free_ char *fdname = kn_xasprintf(
                                "%s-%s%u", n->device_id, k < n->nic.queues ? "tap" : "vhost",
                                k % n->nic.queues);
                        qemu_del(g->q, "closefd", "fdname", fdname, rc->timeout_ms);
                }
        bool tap_left = tap_exists(rc->reg, n->tap);
        if (n->persistent && n->state != KN_GNIC_ATTACHED && n->state != KN_GNIC_ATTACHING)
                kn_gnic_persist(g, n, false);
        kn_guest_log(rc->reg, "guest %s: NIC %s (%s, tap %s) %s: dropped%s", g->name, mac,
                     n->device_id, n->tap, why,
                     tap_left ? "; its tap still exists (held by something else?)" : ", tap gone");
        kn_gnic_free(n);
}

static int nic_from_json(kn_guest *g, json_object *o, kn_gnic **ret) {
        kn_gnic *n = kn_gnic_new(g);
        const char *mac = jstr(o, "mac"), *tap = jstr(o, "tap"), *dev = jstr(o, "device"),
                   *netdev = jstr(o, "netdev"), *port = jstr(o, "root_port");
        int state = kn_gnic_state_from_string(jstr(o, "state"));
        n->index = (unsigned) jint(o, "index", 0);
        n->nic.type = jdup(o, "type");
        n->nic.source = jdup(o, "source");
        n->nic.bridge = jdup(o, "bridge"); /* network NICs only (older files: none) */
        n->nic.model = jdup(o, "model");
        n->nic.target = jdup(o, "target");
        n->nic.queues = (unsigned) jint(o, "queues", 1);
        n->nic.has_mac = true;
        n->vhost = jbool(o, "vhost");
        n->persistent = jbool(o, "persistent");
        /* CLOCK_MONOTONIC is the machine's, not the process's: still valid. */
        n->pending_since_us = jint(o, "pending_since_us", 0);
        if (!mac || kn_guest_mac_parse(mac, n->nic.mac) < 0 || !tap ||
            strlen(tap) >= sizeof n->tap || !dev || strlen(dev) >= sizeof n->device_id || !netdev ||
            strlen(netdev) >= sizeof n->netdev_id || state < 0 || n->nic.queues < 1 ||
            n->nic.queues > 256 || !n->nic.type || !n->nic.source) {
                kn_gnic_free(n);
                return -EINVAL;
        }
        n->state = state;
        strcpy(n->tap, tap);
        strcpy(n->device_id, dev);
        strcpy(n->netdev_id, netdev);
        for (size_t k = 0; port && k < g->n_ports; k++)
                if (streq(g->ports[k], port))
                        n->root_port = g->ports[k];
        *ret = n;
        return 0;
}

/* DETACHING is written before device_del is sent: QEMU may never have had
 * it.  Sent again, it is the unplug request in any case (a second one is
 * refused, "already in the process of unplug": the first one stands). */
static void resend_device_del(recovery *rc, kn_gnic *n) {
        kn_error e = {0};
        json_object *a = json_object_new_object(), *ret = NULL;
        json_object_object_add(a, "id", json_object_new_string(n->device_id));
        if (kn_qmp_execute(n->guest->q, "device_del", a, &ret, rc->timeout_ms, &e) < 0)
                kn_guest_log(rc->reg, "guest %s: device_del %s again: %s", n->guest->name,
                             n->device_id, e.message);
        json_object_put(a);
        json_object_put(ret);
}

/* Check one NIC against QEMU and the namespace; keep it or drop it. */
static void reconcile_nic(recovery *rc, kn_gnic *n) {
        kn_guest *g = n->guest;
        char mac[18];
        kn_guest_mac_format(n->nic.mac, mac);
        bool dev = qemu_has_device(rc, n->device_id);
        _cleanup_free_ char *netdev =
                dev ? qemu_device_netdev(g->q, n->device_id, rc->timeout_ms) : NULL;
        if (dev && !streq_ptr(netdev, n->netdev_id)) {
                /* Same id, another backend: not the NIC we made. */
                kn_guest_log(rc->reg,
                             "guest %s: device %s uses netdev '%s', not %s: not kvmnet's NIC %s, "
                             "forgotten",
                             g->name, n->device_id, netdev ? netdev : "", n->netdev_id, mac);
                kn_gnic_free(n);
                return;
        }
        switch (n->state) {
        case KN_GNIC_ATTACHING:
                if (!dev)
                        return drop_nic(rc, n, "was being attached when kvmnetd stopped");
                /* an attach --persistent killed between device_add's reply
                 * and the definition's write (once more if it was written:
                 * a NIC already there is left as it is) */
                if (n->persistent && !kn_gnic_persist(g, n, true))
                        n->persistent = false; /* not in the definition (logged) */
                kn_guest_log(rc->reg,
                             "guest %s: NIC %s (%s): its attach was interrupted after QEMU had "
                             "it: kept%s",
                             g->name, mac, n->device_id,
                             n->persistent ? ", in the definition too (--persistent)" : "");
                n->persistent = false;
                n->state = KN_GNIC_ATTACHED;
                break;
        case KN_GNIC_ATTACHED:
                if (!dev)
                        return drop_nic(rc, n, "is no longer in QEMU");
                break;
        case KN_GNIC_DETACHING:
        case KN_GNIC_UNPLUG_PENDING:
        case KN_GNIC_REMOVING:
                if (!dev)
                        return drop_nic(rc, n,
                                        "was released by the guest while kvmnetd was away "
                                        "(unplug completed)");
                if (n->state == KN_GNIC_DETACHING)
                        resend_device_del(rc, n);
                n->state = KN_GNIC_UNPLUG_PENDING;
                if (!n->pending_since_us)
                        n->pending_since_us = kn_guest_now_us();
                kn_guest_log(rc->reg,
                             "guest %s: NIC %s (%s, tap %s) is still unplug pending: removed when "
                             "the guest releases it",
                             g->name, mac, n->device_id, n->tap);
                break;
        }
        if (!tap_exists(rc->reg, n->tap))
                kn_guest_log(rc->reg,
                             "guest %s: NIC %s (%s): tap %s is missing from the namespace (deleted "
                             "by hand?); the NIC is kept so that it can be detached",
                             g->name, mac, n->device_id, n->tap);
}

/* A DEVICE_DELETED that QEMU sent while we were reconciling. */
static void drain_events(recovery *rc, kn_guest *g) {
        json_object *data = NULL;
        kn_error e = {0};
        while (kn_qmp_wait_event(g->q, "DEVICE_DELETED", NULL, NULL, 0, &data, NULL, &e) >= 0) {
                kn_qmp_event ev = {.name = "DEVICE_DELETED", .data = data};
                for (kn_gnic *n = g->nics; n; n = n->next)
                        if (n->state == KN_GNIC_UNPLUG_PENDING &&
                            kn_qmp_match_device_deleted(&ev, n->device_id)) {
                                drop_nic(rc, n, "was released by the guest (unplug completed)");
                                break;
                        }
                json_object_put(data);
                data = NULL;
        }
}

static int recover_one(recovery *rc) {
        kn_guest_registry *reg = rc->reg;
        json_object *st = rc->state;
        kn_error err = {0};
        pid_t pid = (pid_t) jint(st, "pid", 0);
        const char *qmp = jstr(st, "qmp"), *state = jstr(st, "state");
        bool adopted = jbool(st, "adopted");
        if (pid <= 0 || !qmp || !state || !streq_ptr(jstr(st, "name"), rc->name)) {
                kn_guest_log(reg, "guest %s: runtime state file is incomplete: forgotten",
                             rc->name);
                forget(reg, rc->name, true);
                return 0;
        }
        if (!pid_alive(pid)) {
                kn_guest_log(reg,
                             "guest %s: QEMU (pid %d) is gone: forgotten (its taps went with it)",
                             rc->name, (int) pid);
                forget(reg, rc->name, adopted);
                return 0;
        }
        kn_qmp *q = NULL;
        if (kn_qmp_connect(qmp, rc->timeout_ms, &q, &err) < 0) {
                kn_guest_log(reg,
                             "guest %s: pid %d runs but its monitor does not answer (%s): "
                             "forgotten",
                             rc->name, (int) pid, err.message);
                forget(reg, rc->name, adopted);
                return 0;
        }
        struct ucred cred = {0};
        socklen_t len = sizeof cred;
        if (getsockopt(kn_qmp_fd(q), SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || cred.pid != pid) {
                kn_guest_log(reg,
                             "guest %s: the monitor %s belongs to pid %d, not to QEMU pid %d: "
                             "forgotten",
                             rc->name, qmp, (int) cred.pid, (int) pid);
                kn_qmp_free(q);
                forget(reg, rc->name, adopted);
                return 0;
        }
        if (streq(state, "starting") && !adopted) {
                /* Paused (-S), never ran: the interrupted start is undone. */
                kn_guest_log(reg, "guest %s: guest-start was interrupted: QEMU pid %d killed",
                             rc->name, (int) pid);
                kn_qmp_free(q);
                kill(pid, SIGKILL);
                forget(reg, rc->name, adopted);
                return 0;
        }
        json_object *a = json_object_new_object();
        json_object_object_add(a, "path", json_object_new_string("/machine/peripheral"));
        int r = kn_qmp_execute(q, "qom-list", a, &rc->devices, rc->timeout_ms, &err);
        json_object_put(a);
        if (r < 0) {
                kn_guest_log(reg, "guest %s: %s: forgotten", rc->name, err.message);
                kn_qmp_free(q);
                forget(reg, rc->name, adopted);
                return 0;
        }

        kn_guest *g = kn_guest_new(reg, rc->name);
        g->q = q;
        g->pid = pid;
        g->pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
        g->adopted = adopted;
        g->recovered = true;
        g->kvm = jbool(st, "kvm");
        g->q35 = jbool(st, "q35");
        g->vcpus = (unsigned) jint(st, "vcpus", 1);
        g->qmp_path = kn_xstrdup(qmp);
        g->next_index = (unsigned) jint(st, "next_index", 0);
        g->state = KN_GUEST_RUNNING;
        json_object *ports, *nics;
        size_t np = json_object_object_get_ex(st, "root_ports", &ports) &&
                                    json_object_is_type(ports, json_type_array)
                            ? json_object_array_length(ports)
                            : 0;
        g->ports = kn_xcalloc(np + 1, sizeof *g->ports);
        for (size_t k = 0; k < np; k++) {
                json_object *p = json_object_array_get_idx(ports, k);
                if (json_object_is_type(p, json_type_string))
                        g->ports[g->n_ports++] = kn_xstrdup(json_object_get_string(p));
        }
        if (json_object_object_get_ex(st, "nics", &nics) &&
            json_object_is_type(nics, json_type_array))
                for (size_t k = 0; k < json_object_array_length(nics); k++) {
                        kn_gnic *n;
                        if (nic_from_json(g, json_object_array_get_idx(nics, k), &n) < 0) {
                                kn_guest_log(reg,
                                             "guest %s: NIC %zu of the state file is "
                                             "unreadable: skipped",
                                             rc->name, k);
                                continue;
                        }
                        if (n->index >= g->next_index)
                                g->next_index = n->index + 1;
                        reconcile_nic(rc, n);
                }
        drain_events(rc, g);
        r = kn_guest_watch(g, &err);
        if (r < 0) {
                kn_guest_log(reg, "guest %s: %s", rc->name, err.message);
                g->left_running = true; /* keep the file for the next try */
                g->gone = true;
                kn_guest_settle(g);
                return 0;
        }
        kn_guest_state_save(g);
        unsigned count = 0;
        for (kn_gnic *n = g->nics; n; n = n->next)
                count++;
        kn_guest_log(reg, "guest %s: re-attached to QEMU pid %d%s with %u NIC%s", rc->name,
                     (int) pid, adopted ? " (adopted)" : "", count, count == 1 ? "" : "s");
        return 1;
}

static char *read_all(const char *path) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        if (!f)
                return NULL;
        char *buf = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&buf, &len);
        if (!m)
                return NULL;
        char chunk[4096];
        size_t n;
        while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
                fwrite(chunk, 1, n, m);
        fclose(m);
        return buf;
}

int kn_guest_registry_recover(kn_guest_registry *reg, int timeout_ms) {
        /* what a kvmnetd killed while replacing a state file or a
         * definition left beside it */
        (void) kn_clean_temps(reg->run_dir);
        (void) kn_clean_temps(reg->guests_dir);
        DIR *d = opendir(reg->run_dir);
        if (!d)
                return 0;
        int found = 0;
        for (struct dirent *de; (de = readdir(d));) {
                size_t l = strlen(de->d_name);
                if (l < 6 || !streq(de->d_name + l - 5, ".json"))
                        continue;
                _cleanup_free_ char *name = kn_xstrndup(de->d_name, l - 5);
                if (kn_object_name_validate(name, "guest", NULL) < 0 || kn_guest_find(reg, name))
                        continue;
                _cleanup_free_ char *path = kn_guest_state_path(reg, name);
                _cleanup_free_ char *text = read_all(path);
                json_object *st = text ? json_tokener_parse(text) : NULL;
                if (!st || jint(st, "version", 0) != 1) {
                        kn_guest_log(reg,
                                     "guest %s: %s is not kvmnet runtime state (version 1): "
                                     "ignored",
                                     name, path);
                        json_object_put(st);
                        continue;
                }
                recovery rc = {.reg = reg, .name = name, .timeout_ms = timeout_ms, .state = st};
                found += recover_one(&rc);
                json_object_put(rc.devices);
                json_object_put(st);
        }
        closedir(d);
        return found;
}
