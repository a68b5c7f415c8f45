/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NIC unplug (guest-nic.c plugs them in).
 *
 * Unplug is a state machine: device_del → DETACHING until the guest
 * releases the device (DEVICE_DELETED of the device itself) → netdev_del →
 * gone.  If the guest does not release it in time the NIC stays, reported
 * 'unplug pending': that is the queue of a request the guest could not
 * take yet (no OS, no hot-plug support so far).  The removal completes
 * whenever the event comes -- at the latest at the guest's next reset,
 * which makes QEMU finish pending unplugs -- and subscribed clients get a
 * guest-nic "removed" event.  Every state change is written to the
 * guest's runtime state file first (guest-state.c), but for two that
 * recovery repairs either way, written while QEMU works or after the
 * reply to keep them off the detach's time: "removing" (once netdev_del
 * is sent) and the NIC's removal. */
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "guest-private.h"

/* device_del answered "busy" / "in progress": retried after 100, 200,
 * 400... ms, at most BUSY_RETRIES times and within the request's timeout. */
#define BUSY_RETRIES    6
#define BUSY_BACKOFF_MS 100

/* ---- detach ---- */

static int op_elapsed_ms(const kn_gop *op) {
        return (int) ((kn_guest_now_us() - op->t0_us) / 1000);
}

static void removed(kn_gnic *n) {
        kn_guest *g = n->guest;
        kn_gop *op = n->op;
        bool late = n->state == KN_GNIC_REMOVING && !op && !n->ejected;
        if (n->persistent)
                kn_gnic_persist(g, n, false);
        if (n->ejected)
                kn_guest_log(g->reg, "guest %s: %s was ejected by the guest itself (tap %s gone)",
                             g->name, n->device_id, n->tap);
        else if (late)
                kn_guest_log(g->reg,
                             "guest %s: %s detached after all: the guest released it %.1f s after "
                             "the unplug request (tap %s gone)",
                             g->name, n->device_id,
                             (double) (kn_guest_now_us() - n->pending_since_us) / 1e6, n->tap);
        else
                kn_guest_log(g->reg, "guest %s: %s detached (tap %s gone)", g->name, n->device_id,
                             n->tap);
        kn_gnic_publish(n, "removed",
                        n->ejected ? "ejected by the guest"
                        : late     ? "released by the guest after the detach timed out"
                                   : NULL);
        if (op) {
                /* The reply first, the state file right after it, off the
                 * detach's time: a kvmnetd killed in between finds the NIC
                 * "removing", its device gone from QEMU, and drops it
                 * (guest-recover.c).  Only inside the monitor's processing
                 * (in_qmp), where g is never freed: it outlives the reply. */
                bool after = g->in_qmp > 0;
                double ms = (double) (kn_guest_now_us() - op->t0_us) / 1000.0;
                kn_gop_report(op, n, ms);
                op->nic = NULL;
                n->op = NULL;
                if (after)
                        kn_gnic_free(n);
                else
                        kn_gnic_forget(n);
                kn_guest_op_done(op, 0, NULL);
                if (after)
                        kn_guest_state_save(g);
        } else
                kn_gnic_forget(n);
}

/* ---- the tap's removal, in the served namespace's order of changes ----
 *
 * netdev_del makes QEMU close the tap's fds, and the kernel deletes the
 * tap right then: a change of the served namespace like any other.  So it
 * waits for its turn in the registry's runner (kvmnetd: the worker queue
 * of live changes and --confirm reverts), and the queue waits for it: the
 * job holds the worker until QEMU has answered (HOLD_MAX_MS at most), so a
 * revert never sees a tap vanish half way through (it would take it for
 * one it cut off its bridge). */
#define HOLD_MAX_MS 2000

struct kn_gnic_hold {
        kn_gnic *nic; /* NULL once the NIC is gone */
        kn_loop *loop;
        int turn, release; /* eventfds: the worker's "your turn", the loop's "done" */
        kn_loop_watch *watch;
        bool sent; /* netdev_del sent, or given up */
};

static void netdev_del_send(kn_gnic *n);

static void hold_release(kn_gnic_hold *h) {
        uint64_t one = 1;
        (void) !write(h->release, &one, sizeof one);
}

/* Worker thread: hand the turn to the loop, wait until it is done. */
static int hold_work(struct kn_netns *ns, void *data, kn_error *err) {
        kn_gnic_hold *h = data;
        uint64_t one = 1;
        (void) !write(h->turn, &one, sizeof one);
        struct pollfd p = {.fd = h->release, .events = POLLIN};
        (void) poll(&p, 1, HOLD_MAX_MS);
        return 0;
}

static void hold_go(kn_gnic_hold *h) {
        kn_loop_del(h->loop, TAKE_PTR(h->watch));
        h->sent = true;
        if (h->nic)
                kn_gop_step(h->nic->op, "worker turn");
        if (h->nic)
                netdev_del_send(h->nic);
        else
                hold_release(h);
}

static void on_turn(int fd, uint32_t revents, void *userdata) {
        uint64_t v;
        (void) !read(fd, &v, sizeof v);
        hold_go(userdata);
}

void kn_gnic_hold_forget(kn_gnic *n) {
        if (n->hold)
                n->hold->nic = NULL;
        n->hold = NULL;
}

/* Loop thread, after hold_work (or instead of it: cancelled). */
static void hold_done(void *data, int r, const kn_error *err) {
        kn_gnic_hold *h = data;
        if (h->nic)
                h->nic->hold = NULL;
        if (!h->sent) /* never ran: the removal goes ahead all the same */
                hold_go(h);
        close(h->turn);
        close(h->release);
        free(h);
}

/* Queue the removal; < 0: no runner (or it failed), remove at once. */
static int hold_queue(kn_gnic *n) {
        kn_guest_registry *reg = n->guest->reg;
        if (!reg->run || !reg->loop || reg->closing)
                return -EOPNOTSUPP;
        kn_gnic_hold *h = kn_xcalloc(1, sizeof *h);
        h->nic = n;
        h->loop = reg->loop;
        h->turn = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        h->release = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        kn_error e = {0};
        int r = h->turn < 0 || h->release < 0 ? -errno : 0;
        if (r >= 0)
                r = kn_loop_add_fd(reg->loop, h->turn, EPOLLIN, on_turn, h, &h->watch);
        if (r >= 0) {
                n->hold = h;
                r = reg->run(hold_work, hold_done, h, reg->run_data, &e);
                if (r < 0)
                        n->hold = NULL;
        }
        if (r < 0) {
                kn_loop_del(reg->loop, h->watch);
                if (h->turn >= 0)
                        close(h->turn);
                if (h->release >= 0)
                        close(h->release);
                free(h);
        }
        return r;
}

static void netdev_del_done(kn_qmp *q, const kn_qmp_reply *reply, void *userdata) {
        kn_gnic *n = userdata;
        kn_gop_step(n->op, "netdev_del");
        if (n->hold)
                hold_release(n->hold); /* the tap is gone: the queue goes on */
        /* An error here means the backend is gone already (QEMU drops it
         * with the device when it was never ours to delete). */
        if (reply->r < 0 && reply->r != -ECANCELED)
                kn_guest_log(n->guest->reg, "guest %s: netdev_del %s: %s", n->guest->name,
                             n->netdev_id, reply->error ? reply->error->message : "failed");
        if (reply->r == -ECANCELED)
                return; /* QEMU went away: kn_guest_nics_gone() has it */
        removed(n);
}

/* The guest let go of the device: the backend (and with it the tap) goes. */
static void released(kn_gnic *n) {
        kn_gop_step(n->op, "DEVICE_DELETED");
        if (n->op)
                kn_gtimer_stop(n->guest->reg, &n->op->timer);
        /* On disk once netdev_del is on its way (netdev_del_send), while
         * QEMU closes the tap: a kvmnetd killed before finds it
         * "detaching" with its device gone, and drops it all the same. */
        n->state = KN_GNIC_REMOVING;
        if (hold_queue(n) < 0)
                netdev_del_send(n);
}

static void netdev_del_send(kn_gnic *n) {
        kn_guest *g = n->guest; /* alive after the send: only n may go meanwhile */
        kn_error e = {0};
        json_object *a = json_object_new_object();
        json_object_object_add(a, "id", json_object_new_string(n->netdev_id));
        int r = kn_guest_qmp_send(n->guest, "netdev_del", a, -1, netdev_del_done, n, &e);
        json_object_put(a);
        if (r < 0) {
                if (n->hold)
                        hold_release(n->hold);
                removed(n);
                return;
        }
        /* A write failure ran netdev_del_done() already: n may be gone,
         * and the file then says so. */
        kn_guest_state_save(g);
}

void kn_guest_nic_event(kn_guest *g, const kn_qmp_event *ev) {
        if (!streq(ev->name, "DEVICE_DELETED"))
                return;
        for (kn_gnic *n = g->nics; n; n = n->next) {
                if (!kn_qmp_match_device_deleted(ev, n->device_id))
                        continue;
                /* Nobody asked: the guest ejected it (ACPI eject, PCIe
                 * attention button).  The backend goes all the same. */
                if (n->state == KN_GNIC_ATTACHED && !n->op)
                        n->ejected = true;
                if (n->ejected || n->state == KN_GNIC_DETACHING ||
                    n->state == KN_GNIC_UNPLUG_PENDING)
                        released(n);
                return;
        }
}

static void detach_timeout(void *userdata) {
        kn_gop *op = userdata;
        kn_gnic *n = op->nic;
        kn_guest *g = n->guest;
        n->pending_since_us = op->t0_us;
        kn_guest_nic_set_state(n, KN_GNIC_UNPLUG_PENDING);
        char mac[18];
        kn_guest_mac_format(n->nic.mac, mac);
        kn_error e = {0};
        kn_error_set(&e, ETIMEDOUT,
                     "detach-interface %s: the guest did not release NIC %s (tap %s) within %d ms; "
                     "it stays 'unplug pending' and will be removed when the guest releases it "
                     "(at the latest at the guest's next reset).  Its OS may not be up yet or "
                     "may lack PCI hot-plug support",
                     g->name, mac, n->tap, op->timeout_ms);
        kn_guest_log(g->reg, "%s", e.message);
        kn_gnic_publish(n, "unplug-pending", "the guest did not release it in time");
        kn_guest_op_done(op, -ETIMEDOUT, &e);
}

static void detach_request(kn_gop *op);

static void detach_retry(void *userdata) {
        detach_request(userdata);
}

static bool reply_says_busy(const kn_qmp_reply *reply) {
        const char *d = reply->error_desc;
        return reply->error_class && d && (strstr(d, "busy") || strstr(d, "in progress"));
}

static void device_del_done(kn_qmp *q, const kn_qmp_reply *reply, void *userdata) {
        kn_gop *op = userdata;
        kn_gnic *n = op->nic;
        kn_guest *g = n->guest;
        const char *desc = reply->error_desc ? reply->error_desc : "";
        kn_gop_step(op, "device_del");
        /* DEVICE_DELETED came before the reply (an unplug QEMU completes at
         * once): netdev_del is on its way already. */
        if (n->state == KN_GNIC_REMOVING)
                return;
        /* Someone else (another monitor) asked first: the same wait. */
        if (reply->r >= 0 || strstr(desc, "already in the process of unplug")) {
                int left = op->timeout_ms - op_elapsed_ms(op);
                if (kn_gtimer_start(g->reg, &op->timer, left > 0 ? left : 0, detach_timeout, op) <
                    0)
                        detach_timeout(op);
                return;
        }
        if (streq_ptr(reply->error_class, "DeviceNotFound")) {
                /* Gone already (the guest ejected it, or a reset did). */
                released(n);
                return;
        }
        kn_error e = {0};
        if (reply_says_busy(reply)) {
                int ms = BUSY_BACKOFF_MS << op->busy_tries;
                if (op->busy_tries < BUSY_RETRIES && op_elapsed_ms(op) + ms < op->timeout_ms) {
                        op->busy_tries++;
                        kn_guest_log(g->reg, "guest %s: device_del %s: %s; retrying in %d ms",
                                     g->name, n->device_id, desc, ms);
                        if (kn_gtimer_start(g->reg, &op->timer, ms, detach_retry, op) >= 0)
                                return;
                }
                kn_error_set(&e, EBUSY,
                             "detach-interface %s: QEMU refused device_del %s %u times in %d ms "
                             "(last: '%s'); the NIC stays attached: try again later",
                             g->name, n->device_id, op->busy_tries + 1, op_elapsed_ms(op), desc);
        } else {
                e = *reply->error;
                kn_error_prefix(&e, "detach-interface %s", g->name);
        }
        n->persistent = false;
        kn_guest_nic_set_state(n, KN_GNIC_ATTACHED);
        kn_guest_log(g->reg, "%s", e.message);
        kn_guest_op_done(op, -e.code, &e);
}

static void detach_request(kn_gop *op) {
        kn_gnic *n = op->nic;
        kn_error e = {0};
        json_object *a = json_object_new_object();
        json_object_object_add(a, "id", json_object_new_string(n->device_id));
        int r = kn_guest_qmp_send(n->guest, "device_del", a, -1, device_del_done, op, &e);
        json_object_put(a);
        if (r < 0) {
                kn_error_prefix(&e, "detach-interface %s", n->guest->name);
                kn_guest_op_done(op, r, &e);
        }
}

int kn_guest_detach(kn_guest_registry *reg, const char *name, const uint8_t mac[6], bool persistent,
                    int timeout_ms, kn_gnic_result *result, kn_guest_done_fn done, void *userdata,
                    kn_error *err) {
        kn_guest *g;
        char m[18];
        int r = kn_guest_get_running(reg, "detach-interface", name, &g, err);
        if (r < 0)
                return r;
        kn_guest_mac_format(mac, m);
        kn_gnic *n = kn_guest_nic_by_mac(g, mac);
        if (!n)
                return kn_error_set(err, ENOENT,
                                    "detach-interface %s: no NIC with MAC %s (see domiflist %s)",
                                    name, m, name);
        if (persistent) {
                _cleanup_free_ char *path = kn_guest_def_path(reg, name);
                if (access(path, F_OK) < 0)
                        return kn_error_set(err, ENOENT,
                                            "detach-interface %s: --persistent needs a defined "
                                            "guest",
                                            name);
        }
        if (n->state == KN_GNIC_UNPLUG_PENDING) {
                /* QEMU refuses a second device_del; the first one stands. */
                if (persistent && !n->persistent) {
                        n->persistent = true;
                        kn_guest_state_save(g);
                }
                return kn_error_set(err, EALREADY,
                                    "detach-interface %s: NIC %s (tap %s) is already 'unplug "
                                    "pending' (requested %.1f s ago): it will be removed when the "
                                    "guest releases it (at the latest at the guest's next "
                                    "reset)%s",
                                    name, m, n->tap,
                                    (double) (kn_guest_now_us() - n->pending_since_us) / 1e6,
                                    n->persistent ? ", and dropped from the definition then" : "");
        }
        if (n->op || n->state != KN_GNIC_ATTACHED)
                return kn_error_set(err, EBUSY, "detach-interface %s: NIC %s is %s", name, m,
                                    kn_gnic_state_to_string(n->state));
        kn_gop *op = kn_guest_op_new(n, false);
        op->timeout_ms = timeout_ms >= 0 ? timeout_ms : reg->unplug_timeout_ms;
        op->done = done;
        op->userdata = userdata;
        op->result = result;
        n->persistent = persistent;
        kn_gnic_set_cause(n);
        kn_guest_nic_set_state(n, KN_GNIC_DETACHING);
        kn_gop_step(op, "journal (detaching)");
        detach_request(op);
        return 0;
}
