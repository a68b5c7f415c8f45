/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Guests: QEMU processes kvmnetd starts (or adopts) and whose NICs it
 * hot-plugs.
 *
 * A guest definition is a subset of libvirt's domain XML (docs/guests.md):
 * name, memory, vcpu, <os> kernel/initrd/cmdline with the machine (pc or
 * q35), a disk image, <domain type='kvm'|'qemu'>, a serial console logged
 * to a file, <controller type='pci' model='pcie-root-port'/> for hot-plug
 * capacity on q35, <interface> elements, and <qemu:commandline> arguments.
 * Definitions live in STATE/guests/NAME.xml.
 *
 * The registry (kn_guest_registry) holds the definitions' directory and
 * the running guests: their QEMU pid, QMP connection and NICs.  Everything
 * that waits on QEMU is asynchronous over the event loop given at creation
 * (kvmnet/loop.h: monitors as fd watches, retries and deadlines as timers,
 * QEMU's exit as a child watch); the result of an operation is handed to a
 * kn_guest_done_fn.  What it reports comes back as structs
 * (kn_guest_status, kn_gnic_info, kn_gnic_event); src/api turns them into
 * protocol JSON. */

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "kvmnet/error.h"
#include "kvmnet/loop.h"
#include "kvmnet/name.h" /* guest names: kn_object_name_validate(name, "guest") */

/* <memory> bounds: 16 MiB .. 4 TiB; <vcpu>: 1..255. */
#define KN_GUEST_MEMORY_MIN_KIB (16ULL * 1024)
#define KN_GUEST_MEMORY_MAX_KIB (4ULL * 1024 * 1024 * 1024)
#define KN_GUEST_VCPUS_MAX      255
/* pcie-root-ports a q35 guest gets for hot-plug unless its definition
 * lists some. */
#define KN_GUEST_DEFAULT_ROOT_PORTS 4
/* How long detach waits for the guest to release a NIC by default
 * (kvmnetd --unplug-timeout). */
#define KN_GUEST_DETACH_TIMEOUT_MS 5000

/* ---- Definitions ---- */

typedef struct kn_guest_nic {
        char *type;   /* "bridge" or "network" */
        char *source; /* bridge or network name */
        uint8_t mac[6];
        bool has_mac;
        char *model;     /* "virtio" unless told */
        unsigned queues; /* >= 1 */
        char *target;    /* tap name asked for, NULL: kvmnet's allocator */
        /* type "network": the network's bridge, resolved when the NIC is
         * attached (never in the XML; kn_guest_registry_set_network_resolver) */
        char *bridge;
} kn_guest_nic;

typedef struct kn_guest_def {
        char *name;
        bool kvm; /* <domain type='kvm'>; 'qemu' means TCG */
        uint64_t memory_kib;
        unsigned vcpus;
        char *machine;  /* "pc" or "q35" */
        char *emulator; /* NULL: qemu-system-x86_64, looked up by kn_spawn_find() */
        char *kernel, *initrd, *cmdline;
        char *disk;          /* image file, NULL: none */
        char *serial_log;    /* NULL: no serial console */
        unsigned root_ports; /* q35: pcie-root-ports reserved for hot-plug */
        kn_guest_nic *nics;
        size_t n_nics;
        char **qemu_args; /* <qemu:commandline> */
        size_t n_qemu_args;
} kn_guest_def;

/* Parse a <domain> document; errors name the element and what is valid. */
int kn_guest_def_parse(const char *xml, kn_guest_def **ret, kn_error *err);
char *kn_guest_def_format(const kn_guest_def *def);
kn_guest_def *kn_guest_def_free(kn_guest_def *def);
static inline void kn_guest_def_freep(kn_guest_def **d) {
        kn_guest_def_free(*d);
}

/* One libvirt domain <interface> element, as virsh attach-device takes it. */
int kn_guest_nic_parse(const char *xml, kn_guest_nic *ret, kn_error *err);
/* Parse one <interface> node (xmlNode *), for the domain parser. */
int kn_guest_nic_from_node(void *node, kn_guest_nic *ret, kn_error *err);
void kn_guest_nic_format(const kn_guest_nic *nic, const char *indent, void *strbuf);
void kn_guest_nic_done(kn_guest_nic *nic);
/* The bridge the NIC's tap goes on: the source of a bridge NIC, the
 * resolved bridge of a network NIC (NULL until resolved). */
const char *kn_guest_nic_bridge(const kn_guest_nic *nic);
int kn_guest_nic_copy(const kn_guest_nic *from, kn_guest_nic *to);

int kn_guest_mac_parse(const char *s, uint8_t mac[6]);
void kn_guest_mac_format(const uint8_t mac[6], char out[18]);

/* The QEMU command line for def: argv (NULL-terminated, free with
 * kn_guest_argv_free), the QMP socket at qmp_path. */
char **kn_guest_qemu_argv(const kn_guest_def *def, const char *qmp_path, kn_error *err);
void kn_guest_argv_free(char **v);

/* ---- The registry ---- */

typedef struct kn_guest_registry kn_guest_registry;
struct kn_netns;

/* state_dir (required) holds guests/ (definitions); run_dir (required) the
 * running guests' QMP sockets, pids, logs and runtime state.
 * Runtime state belongs on /run: it dies with the host like the QEMUs it
 * describes, and a tmpfs keeps its writes off the attach's path.  netns
 * ("" or NULL: the caller's own) is where taps are made and bridges are
 * looked up.  loop (not owned; it must outlive the registry) may be NULL:
 * no running guests, definitions only. */
kn_guest_registry *kn_guest_registry_new(const char *state_dir, const char *run_dir,
                                         const char *netns, kn_loop *loop);
/* Running guests keep running; kvmnet forgets them. */
kn_guest_registry *kn_guest_registry_free(kn_guest_registry *reg);
void kn_guest_registry_set_logger(kn_guest_registry *reg,
                                  void (*log)(const char *message, void *userdata), void *userdata);

/* ---- What the registry reports ---- */

/* One NIC of a running guest, as domiflist lists it and attach / detach
 * report it.  Owns its strings: kn_gnic_info_done(). */
typedef struct kn_gnic_info {
        char tap[IFNAMSIZ];
        uint8_t mac[6];
        char *type, *source, *model;
        char *bridge; /* the bridge the tap is on (a network NIC's: its network's) */
        unsigned queues;
        const char *state; /* "attaching", "attached", "detaching", "unplug pending", "removing" */
        char device[32], netdev[32];
        char *root_port; /* q35: the pcie-root-port it sits on; NULL: none */
        bool vhost;
} kn_gnic_info;
void kn_gnic_info_done(kn_gnic_info *i);
void kn_gnic_info_free_array(kn_gnic_info *a, size_t n);

/* What a guest has left for hot-plug: q35 counts its reserved root ports,
 * pc the slots of PCI bus 0 when they were counted (guest-info). */
typedef struct kn_guest_hotplug {
        bool q35;
        unsigned root_ports; /* q35 */
        unsigned slots;      /* pc: 32 when counted, 0: not counted */
        unsigned free;       /* free ports (q35) or slots (pc, when counted) */
} kn_guest_hotplug;

/* A guest as guest-list, guest-start, guest-adopt and guest-info report
 * it; each verb reports its own fields of it.  Owns its strings:
 * kn_guest_status_done(). */
typedef struct kn_guest_status {
        char *name;
        const char *state; /* "running", "starting", "stopping", "shut off" */
        pid_t pid;         /* 0: not running */
        bool persistent;   /* has a definition */
        bool adopted;
        bool kvm;
        unsigned vcpus;
        char *qmp;             /* its monitor socket */
        unsigned n_interfaces; /* kvmnet's NICs */
        kn_guest_hotplug hotplug;
} kn_guest_status;
void kn_guest_status_done(kn_guest_status *s);
void kn_guest_status_free_array(kn_guest_status *a, size_t n);

/* Where an attach's or detach's time went: the CLOCK_MONOTONIC time (µs)
 * at which each step ended, in order.  Filled on every attach and detach
 * (a clock read per step); the api shows it to a request that asks for
 * "timings" (bench/hotplug). */
#define KN_GNIC_MAX_STEPS 12
typedef struct kn_gnic_step {
        const char *name; /* static: "tap create", "getfd", "device_add"... */
        int64_t at_us;
} kn_gnic_step;
typedef struct kn_gnic_timings {
        unsigned n;
        kn_gnic_step steps[KN_GNIC_MAX_STEPS];
} kn_gnic_timings;
/* Record step name as ended now (or at at_us, if > 0); full: ignored. */
void kn_gnic_timings_add(kn_gnic_timings *t, const char *name, int64_t at_us);

/* attach / detach: the NIC as attached or as it was when it went. */
typedef struct kn_gnic_result {
        char *guest;
        kn_gnic_info nic;
        double elapsed_ms;
        kn_gnic_timings timings;
        /* a failed attach: the steps done and then undone, the last one
         * done first ("netdev_del ID", "closefd NAME", "delete tap TAP") */
        char **undone;
        size_t n_undone;
} kn_gnic_result;
void kn_gnic_result_done(kn_gnic_result *r);

/* A change of a guest NIC for subscribed clients (borrowed for the call;
 * the api publishes it as a "guest-nic" event). */
typedef struct kn_gnic_event {
        const char *action; /* "attached", "unplug-pending", "removed", "dropped" */
        const char *guest;
        uint8_t mac[6];
        const char *tap, *device, *source;
        const char *reason; /* NULL: none */
        const char *op;     /* the operation that caused it (attach, detach); NULL: none */
} kn_gnic_event;

/* Runs on the loop's thread. */
void kn_guest_registry_set_event_handler(kn_guest_registry *reg,
                                         void (*fn)(const kn_gnic_event *event, void *userdata),
                                         void *userdata);
/* A guest whose QEMU went away without guest-stop (killed, crashed, shut
 * down from inside), for subscribed clients: the api publishes it as a
 * "guest" event that is nobody's operation.  Borrowed for the call. */
typedef struct kn_guest_event {
        const char *action; /* "stopped" */
        const char *guest;
        int pid;
        const char *reason;
} kn_guest_event;

/* Runs on the loop's thread. */
void kn_guest_registry_set_guest_event_handler(kn_guest_registry *reg,
                                               void (*fn)(const kn_guest_event *event,
                                                          void *userdata),
                                               void *userdata);
/* *op is, whenever attach or detach is called, the caller's id of that
 * operation (or NULL); the NIC's events carry it from then on, until the
 * next one or the guest acting on its own. */
void kn_guest_registry_set_op_source(kn_guest_registry *reg, const char *const *op);
/* The changes attach makes to the served namespace -- a tap created, its
 * MTU set from the bridge, put on the bridge, brought up -- must not
 * interleave with other changes there (a --confirm revert deleting that
 * bridge).  The registry hands them to a runner: run() queues work behind
 * every change queued before it and returns 0; work (which may block)
 * runs on another thread, with a handle on the served namespace for that
 * thread (kvmnet/live.h), and touches only data; done then runs on the
 * loop's thread with work's outcome.  run() < 0 (err set): neither is
 * called.  Without a runner the work runs inline. */
typedef int (*kn_guest_work_fn)(struct kn_netns *ns, void *data, kn_error *err);
typedef void (*kn_guest_work_done_fn)(void *data, int r, const kn_error *err);
typedef int (*kn_guest_runner_fn)(kn_guest_work_fn work, kn_guest_work_done_fn done, void *data,
                                  void *userdata, kn_error *err);
void kn_guest_registry_set_runner(kn_guest_registry *reg, kn_guest_runner_fn run, void *userdata);
/* A NIC of type 'network' goes on its network's bridge, and the registry
 * knows no networks: resolve (kvmnetd: src/api, the running network's
 * bridge) names the bridge of network (IFNAMSIZ bytes) or fails with err
 * naming the network (not defined, not active).  Called on the loop's
 * thread at attach and, for the definition's NICs, before guest-start
 * spawns QEMU.  Without a resolver network NICs are refused. */
typedef int (*kn_guest_network_fn)(const char *network, char bridge[IFNAMSIZ], void *userdata,
                                   kn_error *err);
void kn_guest_registry_set_network_resolver(kn_guest_registry *reg, kn_guest_network_fn resolve,
                                            void *userdata);
/* detach's wait for the guest when the request gives no timeout (ms, >= 0;
 * KN_GUEST_DETACH_TIMEOUT_MS unless set). */
void kn_guest_registry_set_unplug_timeout(kn_guest_registry *reg, int timeout_ms);
/* The QEMU binaries a guest's <emulator> may name (paths, or names looked
 * up as kn_spawn_find does; symlinks resolved when compared).  n == 0: only
 * qemu-system-x86_64.  guest-define and guest-start refuse any other
 * program: kvmnetd runs it as root. */
void kn_guest_registry_set_emulators(kn_guest_registry *reg, char *const *paths, size_t n);

/* A restarted kvmnetd: read the runtime state files (STATE/run/NAME.json)
 * a predecessor left and re-attach to every guest whose QEMU still runs
 * (same pid behind the same monitor socket).  Each NIC is checked against
 * QEMU (qom-list /machine/peripheral, the device's netdev) and its tap
 * against the served namespace; what no longer exists is dropped and an
 * unplug the guest completed meanwhile is finished (netdev_del).  Guests
 * whose QEMU is gone are forgotten.  Blocks (each monitor gets at most
 * timeout_ms).  Everything found is reported through the logger.  Returns
 * the number of guests re-attached. */
int kn_guest_registry_recover(kn_guest_registry *reg, int timeout_ms);

/* Outcome of an asynchronous operation: r 0 with its result filled (the
 * caller's struct, given at the call; it must stay valid until done), or
 * r < 0 with err. */
typedef void (*kn_guest_done_fn)(int r, const kn_error *err, void *userdata);

/* The stored guest's name to *ret_name (free it). */
int kn_guest_define(kn_guest_registry *reg, const char *xml, char **ret_name, kn_error *err);
/* *ret_running: the guest runs on (transient now). */
int kn_guest_undefine(kn_guest_registry *reg, const char *name, bool *ret_running, kn_error *err);
/* Defined guests and running ones without a definition, by name: name,
 * state, pid, persistent, adopted (kn_guest_status_free_array()). */
int kn_guest_list(kn_guest_registry *reg, kn_guest_status **ret, size_t *ret_n, kn_error *err);
/* The stored definition, formatted (free it). */
int kn_guest_dumpxml(kn_guest_registry *reg, const char *name, char **ret_xml, kn_error *err);

/* These return 0 after calling done (at once or later from the loop) or a
 * negative errno with err set and done never called.  result (may be
 * NULL) is filled before done: start with name, pid, qmp, n_interfaces;
 * stop with name; adopt with name, pid, hotplug.q35, kvm; info with
 * everything but persistent. */
int kn_guest_start(kn_guest_registry *reg, const char *name, kn_guest_status *result,
                   kn_guest_done_fn done, void *userdata, kn_error *err);
int kn_guest_stop(kn_guest_registry *reg, const char *name, kn_guest_status *result,
                  kn_guest_done_fn done, void *userdata, kn_error *err);
int kn_guest_adopt(kn_guest_registry *reg, const char *name, const char *qmp_path,
                   kn_guest_status *result, kn_guest_done_fn done, void *userdata, kn_error *err);
int kn_guest_info(kn_guest_registry *reg, const char *name, kn_guest_status *result,
                  kn_guest_done_fn done, void *userdata, kn_error *err);
/* The guest's NICs, oldest first (kn_gnic_info_free_array()), and its
 * hot-plug capacity (slots of a pc guest are not counted here). */
int kn_guest_domiflist(kn_guest_registry *reg, const char *name, kn_gnic_info **ret, size_t *ret_n,
                       kn_guest_hotplug *ret_hotplug, kn_error *err);

/* The running guests' NICs that use network (type 'network' with that
 * source) or sit on bridge (either may be NULL):
 * guest name and NIC (kn_gnic_result_done() each, free the array).
 * Returns how many. */
size_t kn_guest_nics_on(kn_guest_registry *reg, const char *network, const char *bridge,
                        kn_gnic_result **ret);

/* nic is copied; a network NIC is resolved to its bridge first. */
int kn_guest_attach(kn_guest_registry *reg, const char *name, const kn_guest_nic *nic,
                    bool persistent, kn_gnic_result *result, kn_guest_done_fn done, void *userdata,
                    kn_error *err);
/* The NIC with mac; timeout_ms < 0: the default. */
int kn_guest_detach(kn_guest_registry *reg, const char *name, const uint8_t mac[6], bool persistent,
                    int timeout_ms, kn_gnic_result *result, kn_guest_done_fn done, void *userdata,
                    kn_error *err);
