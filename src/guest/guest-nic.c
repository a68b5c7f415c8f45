/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NIC hot-plug: kvmnet opens the tap (and vhost-net), puts it on the
 * bridge, passes the fds to QEMU (getfd, one at a time), then netdev_add
 * and device_add.  Every step names its undo; a failure anywhere rolls
 * back what was done: device gone, netdev_del, closefd of the names QEMU
 * still holds, our fds closed (the tap vanishes with the last of them).
 *
 * The tap step (made, on the bridge, up) is guest-nic-tap.c's, unplug
 * guest-nic-detach.c's.  Every state change is written to the
 * guest's runtime state file first (guest-state.c), but "attached": it
 * goes right after the reply, as recovery keeps an "attaching" NIC that
 * QEMU has. */
#include <sys/random.h>
#include <time.h>

#include "crashpoint.h"
#include "guest-private.h"
#include "netdev-args.h"
#include "kvmnet/tap.h"

static const char *const gnic_state_names[] = {
        [KN_GNIC_ATTACHING] = "attaching", [KN_GNIC_ATTACHED] = "attached",
        [KN_GNIC_DETACHING] = "detaching", [KN_GNIC_UNPLUG_PENDING] = "unplug pending",
        [KN_GNIC_REMOVING] = "removing",
};

const char *kn_gnic_state_to_string(kn_gnic_state s) {
        return gnic_state_names[s];
}

int kn_gnic_state_from_string(const char *s) {
        for (size_t k = 0; s && k < ELEMENTSOF(gnic_state_names); k++)
                if (streq(gnic_state_names[k], s))
                        return (int) k;
        return -EINVAL;
}

int64_t kn_guest_now_us(void) {
        return (int64_t) kn_loop_now_usec(); /* the loop's clock: timings compare with api's */
}

/* ---- the NIC list ---- */

kn_gnic *kn_guest_nic_by_mac(kn_guest *g, const uint8_t mac[6]) {
        for (kn_gnic *n = g->nics; n; n = n->next)
                if (memcmp(n->nic.mac, mac, 6) == 0)
                        return n;
        return NULL;
}

kn_gnic *kn_gnic_new(kn_guest *g) {
        kn_gnic *n = kn_xcalloc(1, sizeof *n);
        n->guest = g;
        kn_gnic_set_cause(n);
        n->next = g->nics;
        g->nics = n;
        return n;
}

void kn_gnic_free(kn_gnic *n) {
        kn_guest *g = n->guest;
        kn_gnic_hold_forget(n);
        for (kn_gnic **p = &g->nics; *p; p = &(*p)->next)
                if (*p == n) {
                        *p = n->next;
                        break;
                }
        kn_guest_nic_done(&n->nic);
        free(n->cause_op);
        free(n);
}

/* Forget n and record that it is gone. */
void kn_gnic_forget(kn_gnic *n) {
        kn_guest *g = n->guest;
        kn_gnic_free(n);
        kn_guest_state_save(g);
}

/* Every state change is on disk before what it announces is done. */
void kn_guest_nic_set_state(kn_gnic *n, kn_gnic_state state) {
        n->state = state;
        kn_guest_state_save(n->guest);
}

static void op_free(kn_gop *op) {
        if (op->tap_job)
                op->tap_job->op = NULL; /* its fds are closed when it finishes */
        kn_gtimer_stop(op->reg, &op->timer);
        kn_gnic_taps_close(op->reg, op->tapfds);
        kn_tap_close(op->vhostfds, KN_TAP_MAX_QUEUES);
        for (unsigned k = 0; k < op->n_names; k++)
                free(op->names[k]);
        free(op->names);
        if (op->nic)
                op->nic->op = NULL;
        free(op);
}

kn_gop *kn_guest_op_new(kn_gnic *nic, bool attach) {
        kn_gop *op = kn_xcalloc(1, sizeof *op);
        for (unsigned k = 0; k < KN_TAP_MAX_QUEUES; k++)
                op->tapfds[k] = op->vhostfds[k] = -1;
        op->nic = nic;
        op->reg = nic->guest->reg;
        op->attach = attach;
        op->t0_us = kn_guest_now_us();
        nic->op = op;
        return op;
}

void kn_guest_op_done(kn_gop *op, int r, const kn_error *err) {
        kn_guest_done_fn done = op->done;
        void *data = op->userdata;
        op_free(op);
        if (done)
                done(r, err, data);
}

/* ---- rollback ---- */

static void undo_step_done(kn_qmp *q, const kn_qmp_reply *reply, void *userdata) {
        kn_gop *op = userdata;
        if (--op->undo_pending > 0)
                return;
        kn_gnic *n = op->nic;
        kn_guest *g = n->guest;
        kn_error err = op->err;
        int r = op->r;
        kn_guest_log(g->reg, "guest %s: attaching %s rolled back: %s", g->name, n->tap,
                     err.message);
        op->nic = NULL;
        kn_gnic_forget(n);
        kn_guest_op_done(op, r, &err);
}

static void undo_send(kn_gop *op, const char *cmd, const char *key, const char *value) {
        kn_error e = {0};
        json_object *a = json_object_new_object();
        json_object_object_add(a, key, json_object_new_string(value));
        op->undo_pending++;
        if (kn_guest_qmp_send(op->nic->guest, cmd, a, -1, undo_step_done, op, &e) < 0)
                op->undo_pending--;
        json_object_put(a);
}

/* The steps a failed attach undid, the last done first, to the caller's
 * result (the error reply's "undone"); takes v. */
static void gop_set_undone(kn_gop *op, char **v, size_t n) {
        if (!op->result)
                return kn_strv_free(v, n);
        kn_strv_free(op->result->undone, op->result->n_undone);
        op->result->undone = v;
        op->result->n_undone = n;
}

/* Undo everything attach did so far, in reverse, then fail with err. */
static void attach_fail(kn_gop *op, int r, const kn_error *err) {
        op->r = r;
        op->err = *err;
        kn_gnic *n = op->nic;
        kn_error_prefix(&op->err, "attach-interface %s", n->guest->name);
        /* Hold one count so the steps' replies can't finish it early. */
        op->undo_pending = 1;
        /* What is undone, the last step done first, for the error reply. */
        char **undone = NULL;
        size_t n_undone = 0;
        if (op->netdev_added) {
                undo_send(op, "netdev_del", "id", n->netdev_id);
                kn_strv_pushf(&undone, &n_undone, "netdev_del %s", n->netdev_id);
        } else
                for (unsigned k = 0; k < op->n_sent; k++) {
                        undo_send(op, "closefd", "fdname", op->names[k]);
                        kn_strv_pushf(&undone, &n_undone, "closefd %s", op->names[k]);
                }
        if (op->tapfds[0] >= 0)
                kn_strv_pushf(&undone, &n_undone, "delete tap %s", n->tap);
        kn_error_append_undone(&op->err, n_undone);
        gop_set_undone(op, undone, n_undone);
        kn_gnic_taps_close(op->reg, op->tapfds);
        kn_tap_close(op->vhostfds, KN_TAP_MAX_QUEUES);
        kn_qmp_reply none = {0};
        undo_step_done(NULL, &none, op);
}

/* ---- attach ---- */

bool kn_gnic_persist(kn_guest *g, const kn_gnic *n, bool add) {
        kn_error err = {0};
        _cleanup_(kn_guest_def_freep) kn_guest_def *def = NULL;
        if (kn_guest_def_load(g->reg, g->name, &def, &err) < 0) {
                kn_guest_log(g->reg, "guest %s: definition not updated: %s", g->name, err.message);
                return false;
        }
        size_t k = 0;
        while (k < def->n_nics &&
               !(def->nics[k].has_mac && !memcmp(def->nics[k].mac, n->nic.mac, 6)))
                k++;
        if (add && k == def->n_nics) {
                def->nics = kn_xrealloc(def->nics, (def->n_nics + 1) * sizeof *def->nics);
                kn_guest_nic_copy(&n->nic, &def->nics[def->n_nics++]);
        } else if (!add && k < def->n_nics) {
                kn_guest_nic_done(&def->nics[k]);
                memmove(&def->nics[k], &def->nics[k + 1],
                        (def->n_nics - k - 1) * sizeof *def->nics);
                def->n_nics--;
        } else
                return true;
        if (kn_guest_def_store(g->reg, def, &err) < 0) {
                kn_guest_log(g->reg, "guest %s: definition not updated: %s", g->name, err.message);
                return false;
        }
        return true;
}

static void attach_device_done(kn_qmp *q, const kn_qmp_reply *reply, void *userdata) {
        kn_gop *op = userdata;
        kn_gnic *n = op->nic;
        if (reply->r < 0)
                return attach_fail(op, reply->r, reply->error);
        kn_gop_step(op, "device_add");
        /* QEMU holds the tap and vhost fds now; ours go, so the tap lives
         * exactly as long as QEMU's netdev does. */
        kn_tap_close(op->tapfds, KN_TAP_MAX_QUEUES);
        kn_tap_close(op->vhostfds, KN_TAP_MAX_QUEUES);
        kn_guest *g = n->guest;
        n->state = KN_GNIC_ATTACHED; /* on disk right after the reply, below */
        if (n->persistent)
                kn_gnic_persist(g, n, true);
        n->persistent = false;
        double ms = (double) (kn_guest_now_us() - op->t0_us) / 1000.0;
        bool net = streq(n->nic.type, "network");
        kn_guest_log(n->guest->reg, "guest %s: %s attached (%s on %s%s%s, %u queue%s%s) in %.1f ms",
                     n->guest->name, n->device_id, n->tap, kn_guest_nic_bridge(&n->nic),
                     net ? " of network " : "", net ? n->nic.source : "", n->nic.queues,
                     n->nic.queues > 1 ? "s" : "", n->vhost ? ", vhost" : "", ms);
        kn_gop_report(op, n, ms);
        kn_gnic_publish(n, "attached", NULL);
        kn_guest_op_done(op, 0, NULL);
        /* After the reply, off the attach's time: a kvmnetd killed before
         * this write finds the NIC "attaching" and, as QEMU has the
         * device, keeps it (guest-recover.c).  g outlives the reply: we
         * are inside its monitor's processing (in_qmp), where it is never
         * freed. */
        kn_guest_state_save(g);
}

static void attach_netdev_done(kn_qmp *q, const kn_qmp_reply *reply, void *userdata) {
        kn_gop *op = userdata;
        kn_gnic *n = op->nic;
        kn_error e = {0};
        if (reply->r < 0)
                return attach_fail(op, reply->r, reply->error);
        kn_gop_step(op, "netdev_add");
        op->netdev_added = true;
        kn_nic_spec spec = {
                .netdev_id = n->netdev_id,
                .device_id = n->device_id,
                .queues = n->nic.queues,
                .fd_names = (const char *const *) op->names,
                .mac = n->nic.mac,
                .model = n->nic.model,
                .bus = n->root_port,
        };
        json_object *args = NULL;
        int r = kn_nic_device_add_args(&spec, &args, &e);
        if (r >= 0)
                r = kn_guest_qmp_send(n->guest, "device_add", args, -1, attach_device_done, op, &e);
        json_object_put(args);
        if (r < 0)
                attach_fail(op, r, &e);
}

static void attach_send_next(kn_gop *op);

static void attach_getfd_done(kn_qmp *q, const kn_qmp_reply *reply, void *userdata) {
        kn_gop *op = userdata;
        if (reply->r < 0)
                return attach_fail(op, reply->r, reply->error);
        op->n_sent++;
        attach_send_next(op);
}

/* getfd for each fd, one at a time, then netdev_add.  (Tests fail the
 * getfd of one name, "getfd NAME" in KVMNET_TEST_FAIL_STEP: QEMU refuses
 * none on demand.) */
static void attach_send_next(kn_gop *op) {
        kn_gnic *n = op->nic;
        kn_error e = {0};
        int r;
        if (op->n_sent < op->n_names) {
                unsigned k = op->n_sent;
                int fd = k < n->nic.queues ? op->tapfds[k] : op->vhostfds[k - n->nic.queues];
                char step[64];
                snprintf(step, sizeof step, "getfd %s", op->names[k]);
                if ((r = kn_test_fail_step(step, &e)) < 0)
                        return attach_fail(op, r, &e);
                json_object *a = json_object_new_object();
                json_object_object_add(a, "fdname", json_object_new_string(op->names[k]));
                r = kn_guest_qmp_send(n->guest, "getfd", a, fd, attach_getfd_done, op, &e);
                json_object_put(a);
                if (r < 0)
                        attach_fail(op, r, &e);
                return;
        }
        kn_gop_step(op, "getfd");
        kn_nic_spec spec = {
                .netdev_id = n->netdev_id,
                .device_id = n->device_id,
                .queues = n->nic.queues,
                .fd_names = (const char *const *) op->names,
                .vhost_fd_names =
                        op->n_vhost ? (const char *const *) op->names + n->nic.queues : NULL,
                .mac = n->nic.mac,
                .model = n->nic.model,
        };
        json_object *args = NULL;
        r = kn_nic_netdev_add_args(&spec, &args, &e);
        if (r >= 0)
                r = kn_guest_qmp_send(n->guest, "netdev_add", args, -1, attach_netdev_done, op, &e);
        json_object_put(args);
        if (r < 0)
                attach_fail(op, r, &e);
}

int kn_guest_network_bridge(kn_guest_registry *reg, const char *network, char bridge[IFNAMSIZ],
                            kn_error *err) {
        if (!reg->resolve)
                return kn_error_set(err, EOPNOTSUPP,
                                    "network %s: no virtual networks here (kvmnetd resolves "
                                    "them)",
                                    network);
        bridge[0] = '\0';
        int r = reg->resolve(network, bridge, reg->resolve_data, err);
        if (r >= 0 && isempty(bridge))
                r = kn_error_set(err, ENODEV, "network %s has no bridge", network);
        return r;
}

static bool mac_in_use(kn_guest_registry *reg, const uint8_t mac[6]) {
        for (kn_guest *g = reg->guests; g; g = g->next)
                if (kn_guest_nic_by_mac(g, mac))
                        return true;
        return false;
}

static void generate_mac(kn_guest_registry *reg, uint8_t mac[6]) {
        do {
                mac[0] = 0x52;
                mac[1] = 0x54;
                mac[2] = 0x00;
                if (getrandom(mac + 3, 3, 0) != 3)
                        mac[3] = (uint8_t) rand(), mac[4] = (uint8_t) rand(),
                        mac[5] = (uint8_t) rand();
        } while (mac_in_use(reg, mac));
}

static void attach_tap_done(void *data, int r, const kn_error *err);

static int attach_begin(kn_guest *g, const kn_guest_nic *nic, bool persistent, bool boot,
                        kn_gnic_result *result, kn_guest_done_fn done, void *userdata,
                        kn_error *err) {
        char mac[18], bridge[IFNAMSIZ] = "";
        int r;
        if (!(streq_ptr(nic->type, "bridge") || streq_ptr(nic->type, "network")) ||
            isempty(nic->source))
                return kn_error_set(err, EINVAL,
                                    "attach-interface %s: a bridge or a network is required",
                                    g->name);
        if (streq(nic->type, "network") &&
            (r = kn_guest_network_bridge(g->reg, nic->source, bridge, err)) < 0) {
                kn_error_prefix(err, "attach-interface %s", g->name);
                return r;
        }
        if (nic->has_mac && (nic->mac[0] & 1)) {
                kn_guest_mac_format(nic->mac, mac);
                return kn_error_set(err, EINVAL,
                                    "attach-interface %s: MAC %s is a multicast address (the "
                                    "first byte must be even)",
                                    g->name, mac);
        }
        if (nic->has_mac && kn_guest_nic_by_mac(g, nic->mac)) {
                kn_guest_mac_format(nic->mac, mac);
                return kn_error_set(err, EEXIST,
                                    "attach-interface %s: the guest already has a NIC with MAC %s",
                                    g->name, mac);
        }
        if (nic->queues < 1 || nic->queues > KN_TAP_MAX_QUEUES)
                return kn_error_set(err, EINVAL,
                                    "attach-interface %s: %u queues out of range (valid: 1..%d)",
                                    g->name, nic->queues, KN_TAP_MAX_QUEUES);
        if (persistent && !boot) {
                _cleanup_free_ char *path = kn_guest_def_path(g->reg, g->name);
                if (access(path, F_OK) < 0)
                        return kn_error_set(err, ENOENT,
                                            "attach-interface %s: --persistent needs a defined "
                                            "guest, and '%s' has no definition",
                                            g->name, g->name);
        }
        const char *port = NULL;
        if (g->q35) {
                for (size_t k = 0; k < g->n_ports && !port; k++) {
                        bool used = false;
                        for (kn_gnic *x = g->nics; x && !used; x = x->next)
                                used = x->root_port && streq(x->root_port, g->ports[k]);
                        if (!used)
                                port = g->ports[k];
                }
                if (!port)
                        return kn_error_set(err, ENOSPC,
                                            "attach-interface %s: no free pcie-root-port (%zu "
                                            "reserved, all in use); define more with "
                                            "<controller type='pci' model='pcie-root-port'/>",
                                            g->name, g->n_ports);
        }

        uint8_t new_mac[6];
        if (!nic->has_mac)
                generate_mac(g->reg, new_mac); /* before n is listed, or it finds itself */
        kn_gnic *n = kn_gnic_new(g);
        kn_guest_nic_copy(nic, &n->nic);
        if (!n->nic.model)
                n->nic.model = kn_xstrdup("virtio");
        if (!n->nic.has_mac)
                memcpy(n->nic.mac, new_mac, 6);
        n->nic.has_mac = true;
        if (bridge[0]) {
                free(n->nic.bridge);
                n->nic.bridge = kn_xstrdup(bridge);
        }
        n->index = g->next_index++;
        snprintf(n->device_id, sizeof n->device_id, "kn-net%u", n->index);
        snprintf(n->netdev_id, sizeof n->netdev_id, "kn-hostnet%u", n->index);
        n->root_port = (char *) port;
        n->persistent = persistent;
        n->state = KN_GNIC_ATTACHING;

        kn_gop *op = kn_guest_op_new(n, true);
        op->boot = boot;
        op->done = done;
        op->userdata = userdata;
        op->result = result;
        r = kn_gnic_tap_queue(op, attach_tap_done, err);
        if (r < 0) {
                kn_error_prefix(err, "attach-interface %s", g->name);
                op->nic = NULL;
                op_free(op);
                kn_gnic_free(n);
        }
        return r;
}

/* Before QEMU hears of it: the NIC goes, unlisted, and done gets err. */
static void attach_fail_early(kn_gop *op, int r, const kn_error *err) {
        kn_gnic *n = op->nic;
        kn_error e = err ? *err : (kn_error){0};
        if (!err)
                kn_error_set(&e, -r, "%s", strerror(-r));
        kn_error_prefix(&e, "attach-interface %s", n->guest->name);
        op->nic = NULL;
        kn_gnic_forget(n);
        kn_guest_op_done(op, r, &e);
}

/* The tap step is done (loop thread): vhost-net, then QEMU. */
static void attach_tap_done(void *data, int r, const kn_error *err) {
        kn_tap_job *j = data;
        kn_gop *op = j->op;
        if (!op) {
                kn_gnic_tap_job_free(j); /* closes the fds: the tap goes */
                return;
        }
        op->tap_job = NULL;
        kn_gnic *n = op->nic;
        kn_guest *g = n->guest;
        if (r < 0) {
                /* A tap made and deleted again on the worker (bridge join
                 * refused, say): its error says so already. */
                char **undone = NULL;
                size_t n_undone = 0;
                if (j->created)
                        kn_strv_pushf(&undone, &n_undone, "delete tap %s", j->tap);
                gop_set_undone(op, undone, n_undone);
                kn_gnic_tap_job_free(j);
                return attach_fail_early(op, r, err);
        }
        kn_gnic_timings_add(&op->timings, "worker start", j->t_start);
        kn_gnic_timings_add(&op->timings, "tap create", j->t_created);
        kn_gnic_timings_add(&op->timings, "bridge + up", j->t_ready);
        kn_gop_step(op, "back on the loop");
        memcpy(op->tapfds, j->fds, sizeof op->tapfds);
        for (unsigned k = 0; k < KN_TAP_MAX_QUEUES; k++)
                j->fds[k] = -1;
        memcpy(n->tap, j->tap, sizeof n->tap);
        kn_gnic_tap_job_free(j);

        kn_error e = {0};
        const char *reason = NULL;
        r = kn_vhost_open(n->nic.queues, g->kvm, op->vhostfds, &reason, &e);
        if (r < 0)
                return attach_fail(op, r, &e); /* the tap goes */
        op->n_vhost = (unsigned) r;
        n->vhost = r > 0;
        if (!n->vhost)
                kn_guest_log(g->reg, "guest %s: %s without vhost-net: %s", g->name, n->tap,
                             reason ? reason : "unavailable");
        op->n_names = n->nic.queues + op->n_vhost;
        op->names = kn_xcalloc(op->n_names, sizeof *op->names);
        for (unsigned k = 0; k < op->n_names; k++)
                op->names[k] = k < n->nic.queues ? kn_xasprintf("%s-tap%u", n->device_id, k)
                                                 : kn_xasprintf("%s-vhost%u", n->device_id,
                                                                k - n->nic.queues);
        /* Journaled before QEMU hears of it: a restarted kvmnetd rolls
         * back an attach it finds half done.  (The tap itself dies with
         * us: we hold its only fds until QEMU has them.) */
        kn_guest_state_save(g);
        kn_gop_step(op, "journal");
        attach_send_next(op);
}

/* The names a NIC brings (a definition's were checked by its parser),
 * before the guest is looked up: a hostile name gets its own error
 * whether or not the guest runs. */
static int nic_names_check(const char *guest, const kn_guest_nic *nic, kn_error *err) {
        int r = 0;
        if (!isempty(nic->source))
                r = streq_ptr(nic->type, "network")
                            ? kn_object_name_validate(nic->source, "network", err)
                            : kn_ifname_validate(nic->source, "bridge", err);
        if (r >= 0 && nic->target)
                r = kn_ifname_validate(nic->target, "tap", err);
        if (r < 0)
                kn_error_prefix(err, "attach-interface %s", guest);
        return r;
}

int kn_guest_attach(kn_guest_registry *reg, const char *name, const kn_guest_nic *nic,
                    bool persistent, kn_gnic_result *result, kn_guest_done_fn done, void *userdata,
                    kn_error *err) {
        kn_guest *g;
        int r = kn_object_name_validate(name, "guest", err);
        if (r < 0) {
                kn_error_prefix(err, "attach-interface");
                return r;
        }
        r = nic_names_check(name, nic, err);
        if (r < 0)
                return r;
        r = kn_guest_get_running(reg, "attach-interface", name, &g, err);
        if (r < 0)
                return r;
        return attach_begin(g, nic, persistent, false, result, done, userdata, err);
}

/* ---- the definition's NICs at start ---- */

typedef struct boot_ctx {
        kn_guest *g;
        const kn_guest_def *def;
        size_t next;
        void (*done)(kn_guest *g, int r, const kn_error *err);
} boot_ctx;

static void boot_next(int r, const kn_error *err, void *userdata) {
        boot_ctx *c = userdata;
        kn_error e = {0};
        if (r >= 0 && c->next < c->def->n_nics) {
                const kn_guest_nic *nic = &c->def->nics[c->next++];
                r = attach_begin(c->g, nic, false, true, NULL, boot_next, c, &e);
                if (r >= 0)
                        return;
                err = &e;
        }
        kn_guest *g = c->g;
        void (*done)(kn_guest *, int, const kn_error *) = c->done;
        free(c);
        done(g, r < 0 ? r : 0, err);
}

void kn_guest_attach_boot_nics(kn_guest *g, const kn_guest_def *def,
                               void (*done)(kn_guest *g, int r, const kn_error *err)) {
        boot_ctx *c = kn_xcalloc(1, sizeof *c);
        c->g = g;
        c->def = def;
        c->done = done;
        boot_next(0, NULL, c);
}

/* ---- QEMU went away ---- */

void kn_guest_nics_gone(kn_guest *g, const kn_error *why) {
        while (g->nics) {
                kn_gnic *n = g->nics;
                kn_gop *op = n->op;
                if (op && op->attach && op->undo_pending == 0) {
                        /* In the middle of attach: nothing left in QEMU. */
                        op->netdev_added = false;
                        op->n_sent = 0;
                        attach_fail(op, -why->code, why);
                        continue;
                }
                /* kvmnetd exits and QEMU stays: the NIC stays too, and the
                 * state file keeps saying so for the next kvmnetd. */
                if (!g->left_running && n->state != KN_GNIC_ATTACHING) {
                        /* The NIC went with QEMU; one the user asked to
                         * detach leaves the definition now. */
                        if (n->persistent && n->state != KN_GNIC_ATTACHED)
                                kn_gnic_persist(g, n, false);
                        /* QEMU went: nobody's operation on the NIC did it. */
                        free(TAKE_PTR(n->cause_op));
                        kn_gnic_publish(n, "removed", why->message);
                }
                if (op) {
                        op->nic = NULL;
                        n->op = NULL;
                        kn_gtimer_stop(g->reg, &op->timer);
                        kn_error e = *why;
                        if (!op->attach)
                                kn_error_prefix(&e, "detach-interface %s", g->name);
                        kn_guest_op_done(op, -why->code, &e);
                }
                kn_gnic_free(n);
        }
}
