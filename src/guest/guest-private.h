/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by the guest registry's files: definitions on disk
 * (guest-store.c), running guests (guest-run.c) and starting, stopping or
 * adopting their QEMU (guest-lifecycle.c), NIC hot-plug (guest-nic.c) and
 * unplug (guest-nic-detach.c). */

#include <sys/types.h>

#include "kvmnet/guest.h"
#include "kvmnet/qmp.h"
#include "kvmnet/tap.h"
#include "macro.h"

typedef struct kn_guest kn_guest;
typedef struct kn_gnic kn_gnic;
typedef struct kn_gnic_hold kn_gnic_hold;

/* The program a definition's <emulator> (NULL: the default) runs, if it is
 * one of the registry's (kn_guest_registry_set_emulators); EPERM if not. */
int kn_guest_emulator_resolve(kn_guest_registry *reg, const char *emulator, char **ret_exe,
                              kn_error *err);

struct kn_guest_registry {
        char *state_dir, *guests_dir, *run_dir;
        char *netns;         /* "" for the caller's own */
        struct kn_netns *ns; /* the loop thread's handle on it, opened on first use */
        kn_loop *loop;       /* NULL: definitions only */
        void (*log)(const char *message, void *userdata);
        void *log_data;
        kn_guest *guests; /* running (or starting) ones */
        /* guest-nic events for subscribed clients (kvmnetd: kn_api_publish) */
        void (*event)(const kn_gnic_event *event, void *userdata);
        void *event_data;
        /* a QEMU gone by itself (kvmnetd: a "guest" event) */
        void (*guest_event)(const kn_guest_event *event, void *userdata);
        void *guest_event_data;
        int unplug_timeout_ms; /* detach's wait when the request names none */
        char **emulators;      /* what <emulator> may name; NULL: qemu-system-x86_64 */
        /* Ordered changes to the served namespace (the tap step); NULL: inline */
        kn_guest_runner_fn run;
        void *run_data;
        /* network NICs: the bridge of a network (src/api); NULL: refused */
        kn_guest_network_fn resolve;
        void *resolve_data;
        bool closing; /* kn_guest_registry_free(): no more queueing */
        /* the caller's operation being run now (kn_guest_registry_set_op_source) */
        const char *const *op;
};

typedef enum kn_gnic_state {
        KN_GNIC_ATTACHING,
        KN_GNIC_ATTACHED,
        KN_GNIC_DETACHING,      /* device_del sent, waiting for DEVICE_DELETED */
        KN_GNIC_UNPLUG_PENDING, /* the wait timed out: the guest still holds it */
        KN_GNIC_REMOVING,       /* released by the guest, netdev_del in flight */
} kn_gnic_state;

const char *kn_gnic_state_to_string(kn_gnic_state s);
int kn_gnic_state_from_string(const char *s);

struct kn_gnic {
        kn_gnic *next;
        kn_guest *guest;
        kn_guest_nic nic; /* type/source/mac/model/queues as attached */
        unsigned index;   /* ids: kn-net<index>, kn-hostnet<index> */
        char device_id[32], netdev_id[32];
        char tap[IFNAMSIZ];
        char *root_port; /* q35: the port it sits on (borrowed from the guest) */
        bool vhost;
        kn_gnic_state state;
        bool persistent;          /* detach: also drop it from the definition */
        int64_t pending_since_us; /* CLOCK_MONOTONIC when it became unplug pending */
        bool ejected;             /* the guest removed it without being asked */
        /* the operation in progress: attach or detach */
        struct kn_gop *op;
        /* the caller's id of the last attach or detach: its events carry it */
        char *cause_op;
        /* its removal (netdev_del) waiting for, or holding, the runner's queue */
        struct kn_gnic_hold *hold;
};

typedef enum kn_guest_state {
        KN_GUEST_STARTING, /* QEMU spawned, monitor not ready yet */
        KN_GUEST_RUNNING,
        KN_GUEST_STOPPING,
} kn_guest_state;

struct kn_guest {
        kn_guest *next;
        kn_guest_registry *reg;
        char *name;
        bool adopted;   /* started by someone else */
        bool recovered; /* re-attached by a restarted kvmnetd (not our child any more) */
        bool kvm, q35;
        unsigned vcpus;
        kn_guest_state state;
        pid_t pid;
        bool child;               /* ours to reap */
        int pidfd;                /* adopted or re-attached: taken when the pid was checked */
        kn_loop_watch *pid_watch; /* QEMU's exit */
        char *qmp_path;
        kn_qmp *q;
        kn_loop_watch *qmp_watch;
        int in_qmp;        /* > 0 while inside kn_qmp_process() */
        bool gone;         /* QEMU exited or its monitor closed: tear down */
        bool left_running; /* kvmnetd exits, QEMU stays */
        char **ports;      /* q35 root ports reserved for hot-plug */
        size_t n_ports;
        kn_gnic *nics;
        unsigned next_index;
        /* start / stop / adopt waiting for QEMU */
        kn_guest_done_fn done;
        void *done_data;
        kn_guest_status *result; /* the caller's, may be NULL */
        kn_loop_watch *timer;    /* monitor connect retries, stop deadline */
        unsigned tries;
        size_t boot_nic;   /* start: the next definition NIC to attach */
        kn_guest_def *def; /* start: the definition started */
};

/* ---- guest-store.c ---- */
char *kn_guest_def_path(kn_guest_registry *reg, const char *name);
/* ENOENT "[VERB: ]no guest named 'NAME'", with the nearest guest's name
 * (defined or running) when one is near: the one wording of it. */
int kn_guest_error_no_such(kn_guest_registry *reg, const char *verb, const char *name,
                           kn_error *err);
/* The stored definition of name; ENOENT error naming the guest if none. */
int kn_guest_def_load(kn_guest_registry *reg, const char *name, kn_guest_def **ret, kn_error *err);
int kn_guest_def_store(kn_guest_registry *reg, const kn_guest_def *def, kn_error *err);

/* ---- guest-state.c: RUN/guests/NAME.json, what a restarted kvmnetd
 * reconciles (guest-recover.c) ---- */
/* Makes the registry's run directory (0700) and those above it (0755). */
int kn_guest_run_dir_make(kn_guest_registry *reg);
/* Write g's runtime state atomically; a no-op once g is gone or left
 * running by an exiting kvmnetd (the file then stays as it was). */
void kn_guest_state_save(kn_guest *g);
void kn_guest_state_remove(kn_guest_registry *reg, const char *name);
char *kn_guest_state_path(kn_guest_registry *reg, const char *name);

/* ---- guest-run.c ---- */
kn_guest *kn_guest_new(kn_guest_registry *reg, const char *name);
/* Follow g's monitor (and QEMU's exit) through the loop. */
int kn_guest_watch(kn_guest *g, kn_error *err);
/* Only QEMU's exit: a child watch for our child, else on g->pidfd (taken
 * by the loop); none for a process not ours without a pidfd. */
int kn_guest_watch_pid(kn_guest *g, kn_error *err);
kn_guest *kn_guest_find(kn_guest_registry *reg, const char *name);
/* The running guest name, or an error that says it is not running. */
int kn_guest_get_running(kn_guest_registry *reg, const char *verb, const char *name, kn_guest **ret,
                         kn_error *err);
void kn_guest_log(kn_guest_registry *reg, const char *fmt, ...) _printf_(2, 3);
/* After kn_qmp_send(): watch for output room if needed. */
void kn_guest_qmp_rearm(kn_guest *g);
/* Send a command for g (logs nothing); on a send failure fn is not called. */
int kn_guest_qmp_send(kn_guest *g, const char *cmd, json_object *args, int fd, kn_qmp_reply_fn fn,
                      void *userdata, kn_error *err);
/* Tear down a guest whose QEMU went away, if it is not in use. */
void kn_guest_settle(kn_guest *g);

/* (Re)start *t as a one-shot timer calling fn in ms (a loop timer, made
 * on first use); stop deletes it.  Both are safe from inside fn. */
int kn_gtimer_start(kn_guest_registry *reg, kn_loop_watch **t, int ms, kn_loop_timer_fn fn,
                    void *userdata);
void kn_gtimer_stop(kn_guest_registry *reg, kn_loop_watch **t);

/* ---- guest-lifecycle.c ---- */
/* The monitor's state handler (set by kn_guest_watch()). */
void kn_guest_on_qmp_state(kn_qmp *q, kn_qmp_state state, const kn_error *reason, void *userdata);

/* ---- guest-nic.c ---- */
typedef struct kn_gop {
        kn_guest_registry *reg;
        kn_gnic *nic;
        bool attach, boot;
        kn_guest_done_fn done;
        void *userdata;
        kn_gnic_result *result; /* the caller's, may be NULL */
        int64_t t0_us;
        kn_gnic_timings timings; /* copied to result by kn_gop_report() */
        /* attach */
        int tapfds[KN_TAP_MAX_QUEUES], vhostfds[KN_TAP_MAX_QUEUES];
        unsigned n_vhost;
        char **names; /* getfd names: queues tap ones, then n_vhost vhost ones */
        unsigned n_names, n_sent;
        bool netdev_added;
        struct kn_tap_job *tap_job; /* the tap step, queued or running */
        int r;                      /* the failure being rolled back */
        kn_error err;
        unsigned undo_pending;
        /* detach */
        int timeout_ms;
        unsigned busy_tries;
        kn_loop_watch *timer;
} kn_gop;

/* ---- guest-nic-tap.c: the tap step of an attach ----
 * Its job owns copies of what it needs, for it may run on another thread. */
typedef struct kn_tap_job {
        kn_gop *op; /* NULL: the attach went away while queued */
        char *netns, *bridge, *target;
        unsigned queues;
        uint8_t mac[6];
        int fds[KN_TAP_MAX_QUEUES];
        char tap[IFNAMSIZ];
        bool created; /* the tap was made, so a failure after it deleted it */
        kn_error err; /* tap_in_netns()'s */
        /* when the worker took it, the tap existed, it was up on the bridge */
        int64_t t_start, t_created, t_ready;
} kn_tap_job;

typedef void (*kn_tap_done_fn)(void *job, int r, const kn_error *err);
/* Queue op's tap step on the registry's runner (inline without one);
 * done(job) on the loop thread: the tap made, on its bridge and up, or r < 0
 * with the tap gone.  kn_gnic_tap_job_free() the job (closes its fds). */
int kn_gnic_tap_queue(kn_gop *op, kn_tap_done_fn done, kn_error *err);
void kn_gnic_tap_job_free(kn_tap_job *j);
/* Close our fds of a tap (deleting it) in the runner's order; fds become
 * -1. */
void kn_gnic_taps_close(kn_guest_registry *reg, int fds[KN_TAP_MAX_QUEUES]);

int64_t kn_guest_now_us(void);
kn_gnic *kn_guest_nic_by_mac(kn_guest *g, const uint8_t mac[6]);
/* kn_gnic_free() and record on disk that the NIC is gone. */
void kn_gnic_forget(kn_gnic *n);
void kn_guest_nic_set_state(kn_gnic *n, kn_gnic_state state);
kn_gop *kn_guest_op_new(kn_gnic *nic, bool attach);
void kn_guest_op_done(kn_gop *op, int r, const kn_error *err);

/* The bridge of a network NIC's network (the registry's resolver), or an
 * error naming the network. */
int kn_guest_network_bridge(kn_guest_registry *reg, const char *network, char bridge[IFNAMSIZ],
                            kn_error *err);
/* The NICs of the definition, attached one after another at start;
 * done(r) when all are (r < 0: the first that failed). */
void kn_guest_attach_boot_nics(kn_guest *g, const kn_guest_def *def,
                               void (*done)(kn_guest *g, int r, const kn_error *err));
/* QEMU is gone: fail the operations, close every fd, forget the NICs. */
void kn_guest_nics_gone(kn_guest *g, const kn_error *why);
/* ---- guest-report.c: what the registry reports, as structs ---- */
/* n as domiflist lists it (copies). */
void kn_gnic_info_fill(const kn_gnic *n, kn_gnic_info *ret);
/* attach / detach: op's result (if any) gets n and the time since op began. */
void kn_gop_report(const struct kn_gop *op, const kn_gnic *n, double elapsed_ms);
/* The step name of op (NULL: none) ended now. */
static inline void kn_gop_step(struct kn_gop *op, const char *name) {
        if (op)
                kn_gnic_timings_add(&op->timings, name, 0);
}
/* The guest's own part of a status: name, pid, adopted, kvm, vcpus, qmp,
 * NIC count, hot-plug capacity (pc slots: not counted). */
void kn_guest_status_fill(const kn_guest *g, kn_guest_status *ret);
/* Free root ports of a q35 guest. */
size_t kn_guest_free_ports(const kn_guest *g);
/* The NIC's events carry the operation being run now (the registry's op
 * source). */
void kn_gnic_set_cause(kn_gnic *n);
/* A guest-nic event (action: attached, unplug-pending, removed, dropped)
 * for subscribed clients; reason may be NULL. */
void kn_gnic_publish(const kn_gnic *n, const char *action, const char *reason);
/* A NIC as the state file and recovery know it, added to g's list. */
kn_gnic *kn_gnic_new(kn_guest *g);
void kn_gnic_free(kn_gnic *n);
/* Add n to (or drop it from) the guest's stored definition, by MAC; false
 * if the definition could not be updated (logged). */
bool kn_gnic_persist(kn_guest *g, const kn_gnic *n, bool add);

/* The loop thread's handle on the served namespace (kvmnet/live.h: enter
 * it with kn_netns_run()), opened on first use; NULL with err if it can't. */
struct kn_netns *kn_guest_netns(kn_guest_registry *reg, kn_error *err);

/* ---- guest-nic-detach.c ---- */
/* n goes before its removal had its turn: the turn just lets the queue go on. */
void kn_gnic_hold_forget(kn_gnic *n);
/* DEVICE_DELETED and friends. */
void kn_guest_nic_event(kn_guest *g, const kn_qmp_event *ev);
