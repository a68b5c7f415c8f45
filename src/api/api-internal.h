/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Private to src/api: the context, sessions, requests, and how a verb is
 * written.
 *
 * A module is a file with a table of verbs (kn_api_module); api.c keeps the
 * one list of modules.  A verb is
 *
 *   static int run_x(kn_api_req *req, json_object *args, json_object *result,
 *                    kn_error *err);
 *
 * args are checked against the verb's argument names before it runs.  It
 * returns
 *   0               success: result (an empty object it may fill) is the reply;
 *   < 0             an error: err says what (a bare errno gets a generic message);
 *   KN_API_PENDING  it kept req and finishes it later with kn_api_req_finish()
 *                   from the loop's thread.  Allowed only when
 *                   kn_api_req_can_defer(req); a verb flagged
 *                   KN_VERB_EVENT_DRIVEN is run only when it is.
 *
 * Blocking work (netlink changes that may wait for a DHCP lease) goes
 * through kn_api_req_offload(), which picks the worker thread or inline by
 * itself, so such a verb is written once for the daemon and the offline
 * CLI. */

#include "kvmnet/api.h"
#include "kvmnet/live.h"
#include "macro.h"

typedef struct kn_api_req kn_api_req;
typedef struct kn_worker kn_worker;
typedef struct kn_api_events kn_api_events;

struct kn_api {
        kn_config *cfg;
        char *netns_name;         /* "" for the caller's own */
        bool no_live;             /* kn_api_set_no_live(): no namespace at all */
        kn_netns *ns;             /* loop thread's handle, opened on first use */
        char *state_dir;          /* journals; NULL: none */
        struct kn_filelog *files; /* STATE_DIR/files, attached to cfg; owned */
        char *run_dir;            /* DHCP pid files and leases */

        kn_loop *loop; /* NULL: none (offline CLI) */

        void (*log)(const char *message, void *userdata);
        void *log_data;

        kn_api_session *sessions;
        kn_worker *worker;                /* worker.c, started on first offload */
        kn_api_events *events;            /* events.c, while someone is subscribed */
        struct kn_guest_registry *guests; /* guest.c, created on first use */

        struct kn_txn *txn;           /* txn.c: the open transaction of the main slot */
        kn_loop_watch *confirm_timer; /* while txn waits for `confirm` */
        struct kn_manager_checkpoint *mgr_checkpoint; /* NetworkManager's, of txn (manager.c) */
        char *confirm_op; /* the operation that left txn waiting for `confirm` */

        /* Operation ids: BOOT:N, BOOT a random token of this kn_api, so an
         * id is never reused by a restarted kvmnetd. */
        char boot[16];
        uint64_t op_seq;
        const char *op; /* the operation being run now: events published carry it */
};

struct kn_api_session {
        kn_api *api;
        uid_t uid; /* the peer, for who opened a transaction */
        pid_t pid;
        char client[64];
        kn_api_session *prev, *next;
        kn_api_event_fn on_event;
        void *userdata;
        uint64_t subscribed; /* bit k: the k-th of kn_api_event_types() */
        kn_api_req *pending; /* deferred requests, a list */
        unsigned n_pending;
};

typedef enum kn_verb_flags {
        KN_VERB_MUTATES = 1 << 0,      /* changes configuration or live state: refused read-only */
        KN_VERB_EVENT_DRIVEN = 1 << 1, /* finishes on a loop event: needs session + loop */
        KN_VERB_SESSION = 1 << 2,      /* works on the session (event-subscribe): needs one */
        KN_VERB_LIVE = 1 << 3, /* changes live state (unless "no_start"): refused without it */
} kn_verb_flags;

typedef struct kn_api_verb {
        const char *name;
        unsigned flags;          /* kn_verb_flags */
        const char *const *args; /* the argument names it takes, NULL-terminated */
        int (*run)(kn_api_req *req, json_object *args, json_object *result, kn_error *err);
} kn_api_verb;

typedef struct kn_api_module {
        const char *name;
        const kn_api_verb *verbs;
        size_t n_verbs;
        /* Event types it publishes ("link", ...), NULL-terminated; may be NULL. */
        const char *const *event_types;
        /* Subscriptions changed (subscribe, unsubscribe, a session gone):
         * start following the module's source if kn_api_module_wanted(),
         * stop otherwise.  May be NULL. */
        int (*subscriptions_changed)(kn_api *api, kn_error *err);
} kn_api_module;

extern const kn_api_module kn_api_module_core, kn_api_module_iface, kn_api_module_iface_live,
        kn_api_module_events, kn_api_module_guest, kn_api_module_txn, kn_api_module_bridge;

struct kn_api_req {
        kn_api *api;
        kn_api_session *session; /* NULL: none, or gone (abandoned) */
        kn_api_req *prev, *next; /* in session->pending while deferred */
        const kn_api_verb *verb;
        kn_api_flags flags;
        json_object *id;
        char *op; /* a mutation's operation id, NULL for a read */
        json_object *result;
        kn_api_done_fn done;
        void *userdata;
        bool deferred, abandoned;
        /* kn_api_req_finish() called from inside run() (a callback that
         * failed at once): the outcome is kept until run() returns. */
        bool running, finished_early;
        int early_r;
        kn_error early_err;
        void (*on_abandon)(kn_api_req *req, void *userdata);
        void *abandon_data;
};

/* ---- The request being run ---- */

/* May the verb return KN_API_PENDING?  (A session, a loop.) */
static inline bool kn_api_req_can_defer(const kn_api_req *req) {
        return req->session && req->api->loop;
}

/* Finish a deferred request (loop thread): r == 0 replies with req->result,
 * r < 0 with err (NULL: a generic message for r).  The done callback runs
 * unless the session went away meanwhile.  req is freed.  May also be
 * called before run() returned KN_API_PENDING (an I/O callback that failed
 * at once): the reply then goes out as run() returns. */
void kn_api_req_finish(kn_api_req *req, int r, const kn_error *err);

/* Called (loop thread) when the session of a deferred request goes away:
 * stop waiting if possible.  kn_api_req_finish() must still be called; its
 * reply is dropped. */
void kn_api_req_on_abandon(kn_api_req *req, void (*fn)(kn_api_req *req, void *userdata),
                           void *userdata);

/* ---- Blocking work (worker.c) ---- */

/* Runs on the worker thread, or inline.  Touches only data and ns (a
 * handle on the served namespace, for the thread it runs on): never the
 * kn_config or the kn_api. */
typedef int (*kn_api_work_fn)(kn_netns *ns, void *data, kn_error *err);
/* Runs on the loop's thread (or inline) after work, with work's return and
 * error; fills result and returns the verb's outcome.  Owns data. */
typedef int (*kn_api_after_fn)(kn_api_req *req, int r, json_object *result, kn_error *err,
                               void *data);

/* The verb's return value: KN_API_PENDING when handed to the worker thread
 * (one job at a time, in order), else after()'s return from running both
 * inline. */
int kn_api_req_offload(kn_api_req *req, kn_api_work_fn work, kn_api_after_fn after, void *data,
                       kn_error *err);
/* The same for work no request waits for (a confirm timer's revert),
 * queued behind the requests' jobs; after (loop thread) owns data. */
typedef void (*kn_api_bg_after_fn)(void *data, int r, const kn_error *err);
int kn_api_offload(kn_api *api, kn_api_work_fn work, kn_api_bg_after_fn after, void *data,
                   kn_error *err);
void kn_worker_free(kn_worker *w);

/* ---- Events (events.c) ---- */

/* Run the code between on behalf of operation op (NULL: none, the outside):
 * what it publishes carries op.  Returns the previous one, for
 * kn_api_op_leave(). */
static inline const char *kn_api_op_enter(kn_api *api, const char *op) {
        const char *prev = api->op;
        api->op = op;
        return prev;
}
static inline void kn_api_op_leave(kn_api *api, const char *prev) {
        api->op = prev;
}

/* Publish {"event": type, "action": action, KEY: VALUE...}: string pairs
 * ending in NULL (a NULL value leaves its key out). */
void kn_api_publish_action(kn_api *api, const char *type, const char *action, ...)
        __attribute__((sentinel));

/* Every event type the modules publish, NULL-terminated; *n their count. */
const char *const *kn_api_event_types(size_t *n);
int kn_api_event_type_index(const char *type);
/* Does any session want the event types of module m? */
bool kn_api_module_wanted(kn_api *api, const kn_api_module *m);
/* Tell the modules that subscriptions changed; the first failure. */
int kn_api_subscriptions_apply(kn_api *api, kn_error *err);
void kn_api_live_events_stop(kn_api *api);

/* ---- Transactions (txn.c) ----
 *
 * Every change runs in a transaction: the open one (iface-begin, or one
 * waiting for `confirm`), else one of its own: the main slot when it must
 * cover files with live state (--confirm, iface-bridge), a slot of its own
 * for a single live change, none for a plain define.  Live work appends
 * its steps to kn_api_change_live(). */
typedef enum kn_change_kind {
        KN_CHANGE_FILES,  /* define, undefine: the backends' writes are crash-atomic */
        KN_CHANGE_LIVE,   /* start, destroy of one interface */
        KN_CHANGE_SHARED, /* files and live state together: iface-bridge, iface-unbridge */
} kn_change_kind;

typedef struct kn_api_change {
        struct kn_txn *txn; /* NULL: none (no state directory, or a plain define) */
        bool own;           /* opened for this change alone */
        bool main;          /* the main slot (api->txn while it runs) */
        double confirm;     /* seconds, 0: none */
        kn_change_kind kind;
        kn_live_txn *scratch; /* live steps without a journal */
} kn_api_change;

int kn_api_change_begin(kn_api_req *req, const char *verb, const char *name, kn_change_kind kind,
                        double confirm, kn_api_change *c, kn_error *err);
kn_live_txn *kn_api_change_live(kn_api_change *c);
/* Loop thread, once the work is done (r: its outcome): a transaction of
 * its own is committed, kept waiting for `confirm` (result gets
 * "confirm_by"), or on failure its files are restored.  Returns r, or the
 * commit's failure. */
int kn_api_change_end(kn_api_req *req, kn_api_change *c, int r, json_object *result, kn_error *err);
/* The --confirm argument: seconds (> 0), 0 if not given. */
int kn_api_arg_confirm(const char *verb, json_object *args, double *ret, kn_error *err);

/* ---- Helpers shared by the modules ---- */

static inline void json_putp(json_object **o) {
        json_object_put(*o);
}
#define _cleanup_json_ _cleanup_(json_putp)

int kn_api_arg_string(const char *verb, json_object *args, const char *key, bool required,
                      const char **ret, kn_error *err);
int kn_api_arg_bool(const char *verb, json_object *args, const char *key, bool *ret, kn_error *err);
/* An integer in 0..max into *ret, which stays as it is when key is absent. */
int kn_api_arg_uint(const char *verb, json_object *args, const char *key, int64_t max, int64_t *ret,
                    kn_error *err);
/* The "name" argument, required, checked as an interface name. */
int kn_api_arg_ifname(const char *verb, json_object *args, const char **ret, kn_error *err);

json_object *kn_json_string_or_null(const char *s);
/* On the worker, a live change of a request's own: fn(ns, data, err) with
 * the namespace's DHCP lease wait at dhcp_timeout_ms (0: the default) for
 * its duration, live's record of undone steps cleared first, so that a
 * failure's "undone" is its own. */
int kn_api_live_change(kn_netns *ns, kn_live_txn *live, int64_t dhcp_timeout_ms, kn_api_work_fn fn,
                       void *data, kn_error *err);
/* A failed change: the live steps its rollback undid, newest first, as
 * result's "undone" (the error reply carries it: kvmnet --verbose). */
void kn_api_put_undone(json_object *result, const kn_live_txn *live);
/* Strings as a JSON array of strings (copied). */
json_object *kn_api_strv_json(const char *const *v, size_t n);

/* The configured top-level interface NAME; else an error that says why not
 * (a port of X, a file that failed to parse, nothing so named). */
int kn_api_lookup_top(const char *verb, kn_config *cfg, const char *name, const kn_iface **ret,
                      kn_error *err);

/* " in network namespace NAME", or "" for the caller's own. */
const char *kn_api_in_netns(const kn_api *api);
