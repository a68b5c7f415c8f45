/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The attach's tap step and the taps' deletion: changes of the served
 * namespace, in the runner's order of them (guest-nic.c drives the rest of
 * the attach over QMP). */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "crashpoint.h"
#include "guest-private.h"
#include "kvmnet/live.h"
#include "kvmnet/tap.h"

kn_netns *kn_guest_netns(kn_guest_registry *reg, kn_error *err) {
        if (!reg->ns && kn_netns_open(reg->netns, &reg->ns, err) < 0)
                reg->ns = NULL;
        return reg->ns;
}

/* The bridge's MTU, or an error naming it if there is no such link. */
static int bridge_mtu(const char *bridge, const char *netns, unsigned *ret, kn_error *err) {
        struct ifreq ifr = {0};
        int r = kn_ifname_validate(bridge, "bridge", err);
        if (r < 0)
                return r;
        strncpy(ifr.ifr_name, bridge, IFNAMSIZ - 1);
        _cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (s < 0 || ioctl(s, SIOCGIFMTU, &ifr) < 0) {
                if (errno == ENODEV)
                        return kn_error_set(err, ENODEV, "no bridge named '%s'%s%s", bridge,
                                            isempty(netns) ? "" : " in network namespace ",
                                            isempty(netns) ? "" : netns);
                return kn_error_set(err, errno, "bridge %s: %m", bridge);
        }
        *ret = (unsigned) ifr.ifr_mtu;
        return 0;
}

/* ---- the tap step, in the served namespace's order of changes ----
 *
 * Creating the tap, putting it on the bridge and bringing it up changes
 * the served namespace like a live interface change does, so it runs
 * through the registry's runner (kvmnetd: the worker queue live changes
 * and the --confirm revert go through): a revert never deletes the bridge
 * between the MTU check and the enslaving.  The job owns copies of what
 * it needs (it may run on another thread); once the attach is gone (QEMU
 * went away meanwhile) op is NULL and the finished job just closes its
 * fds, so no tap is left. */

void kn_gnic_tap_job_free(kn_tap_job *j) {
        kn_tap_close(j->fds, KN_TAP_MAX_QUEUES);
        free(j->netns);
        free(j->bridge);
        free(j->target);
        free(j);
}

/* Tests widen the window a bridge could vanish in (without the ordered
 * queue, a revert would hit it): KVMNET_TEST_TAP_DELAY_MS. */
static void test_delay(void) {
        const char *s = getenv("KVMNET_TEST_TAP_DELAY_MS");
        int ms = s ? atoi(s) : 0;
        if (ms > 0 && ms <= 10000)
                usleep((useconds_t) ms * 1000);
}

/* Create the tap in the served namespace with the host-side MAC and the
 * bridge's MTU, make it a port of the bridge and bring it up.  On failure
 * the fds are closed and the tap is gone.  (Tests fail the "tap create" or
 * the "bridge join" step, KVMNET_TEST_FAIL_STEP: the kernel refuses
 * neither on demand.) */
static int tap_in_netns(void *data) {
        kn_tap_job *j = data;
        kn_error *err = &j->err;
        unsigned mtu = 0;
        uint8_t host_mac[6];
        int r = bridge_mtu(j->bridge, j->netns, &mtu, err);
        if (r >= 0) {
                test_delay();
                if ((r = kn_test_fail_step("tap create", err)) >= 0)
                        r = kn_tap_create(j->target, j->queues, true, j->fds, j->tap, err);
        }
        j->t_created = kn_guest_now_us();
        if (r >= 0) {
                j->created = true;
                kn_tap_host_mac(j->mac, host_mac);
                if ((r = kn_tap_set_mac(j->tap, host_mac, err)) < 0 ||
                    (r = kn_tap_set_mtu(j->tap, mtu, err)) < 0 ||
                    (r = kn_test_fail_step("bridge join", err)) < 0 ||
                    (r = kn_tap_set_bridge(j->tap, j->bridge, err)) < 0 ||
                    (r = kn_tap_set_up(j->tap, true, err)) < 0) {
                        kn_tap_close(j->fds, j->queues);
                        kn_error_append_undone(err, 1);
                }
        }
        if (r >= 0)
                kn_crashpoint("tap %s on %s", j->tap, j->bridge);
        j->t_ready = kn_guest_now_us();
        return r;
}

static int tap_work(kn_netns *ns, void *data, kn_error *err) {
        kn_tap_job *j = data;
        j->err = (kn_error){0};
        j->t_start = kn_guest_now_us();
        int r = kn_netns_run(ns, tap_in_netns, j, err);
        if (r < 0 && j->err.code)
                *err = j->err;
        return r;
}

int kn_gnic_tap_queue(kn_gop *op, kn_tap_done_fn done, kn_error *err) {
        kn_gnic *n = op->nic;
        kn_guest_registry *reg = op->reg;
        kn_tap_job *j = kn_xcalloc(1, sizeof *j);
        for (unsigned k = 0; k < KN_TAP_MAX_QUEUES; k++)
                j->fds[k] = -1;
        j->op = op;
        j->netns = kn_xstrdup(reg->netns);
        j->bridge = kn_xstrdup(kn_guest_nic_bridge(&n->nic));
        j->target = n->nic.target ? kn_xstrdup(n->nic.target) : NULL;
        j->queues = n->nic.queues;
        memcpy(j->mac, n->nic.mac, 6);
        op->tap_job = j;
        if (!reg->run || reg->closing) {
                kn_netns *ns = kn_guest_netns(reg, err);
                done(j, ns ? tap_work(ns, j, err) : -err->code, err);
                return 0;
        }
        int r = reg->run(tap_work, done, j, reg->run_data, err);
        if (r < 0) {
                op->tap_job = NULL;
                kn_gnic_tap_job_free(j);
        }
        return r;
}

/* Closing our last fds of a tap deletes it: a change of the served
 * namespace, so it takes its turn in the runner's queue like the tap step
 * (a revert running meanwhile would take the vanished tap for one it cut
 * off its bridge).  The fds move to the job; inline without a runner. */
typedef struct taps_close_job {
        int fds[KN_TAP_MAX_QUEUES];
} taps_close_job;

static int taps_close_work(kn_netns *ns, void *data, kn_error *err) {
        taps_close_job *j = data;
        kn_tap_close(j->fds, KN_TAP_MAX_QUEUES);
        return 0;
}

static void taps_close_done(void *data, int r, const kn_error *err) {
        taps_close_job *j = data;
        kn_tap_close(j->fds, KN_TAP_MAX_QUEUES); /* cancelled: not closed yet */
        free(j);
}

void kn_gnic_taps_close(kn_guest_registry *reg, int fds[KN_TAP_MAX_QUEUES]) {
        bool any = false;
        for (unsigned k = 0; k < KN_TAP_MAX_QUEUES && !any; k++)
                any = fds[k] >= 0;
        if (!any || !reg->run || !reg->loop || reg->closing) {
                kn_tap_close(fds, KN_TAP_MAX_QUEUES);
                return;
        }
        taps_close_job *j = kn_xmalloc(sizeof *j);
        memcpy(j->fds, fds, sizeof j->fds);
        kn_error e = {0};
        if (reg->run(taps_close_work, taps_close_done, j, reg->run_data, &e) < 0) {
                free(j);
                kn_tap_close(fds, KN_TAP_MAX_QUEUES);
                return;
        }
        for (unsigned k = 0; k < KN_TAP_MAX_QUEUES; k++)
                fds[k] = -1;
}
