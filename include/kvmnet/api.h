/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The request dispatcher: the verbs kvmnetd serves and the offline CLI runs
 * in-process.  Requests and replies are JSON objects (kvmnet/protocol.h,
 * docs/protocol.md).
 *
 * The transport (newline framing, sockets, peer credentials, output
 * limits) belongs to the daemon; the dispatcher does no I/O of its own
 * other than through the kn_config, the network namespace handle and the
 * state directory.
 *
 * ---- The context: kn_api ----
 *
 * One kn_api holds what the verbs work on: the configuration (kn_config),
 * the netlink handle of the network namespace served (kn_netns), the state
 * directory (journals) and, in a daemon, the event loop.  It is opaque;
 * modules reach their piece through getters, so a new one (the guest
 * registry) is a new field, a setter and a getter.
 *
 * ---- Verbs that finish later ----
 *
 * kn_api_call() takes a done callback.  A verb either finishes at once --
 * done runs before kn_api_call() returns, which then returns 0 -- or keeps
 * the request and finishes it later, from the event loop: kn_api_call()
 * returns KN_API_PENDING and done runs once, later, with the reply.  Two
 * kinds of verbs do that:
 *
 *  - blocking verbs (iface-start, iface-destroy: netlink work that may wait
 *    seconds for a DHCP lease) are handed to a worker thread when the call
 *    can be deferred, and run inline otherwise (offline CLI);
 *  - event-driven verbs (guest hot-plug: waiting for QEMU's
 *    DEVICE_DELETED) keep the request until their event arrives through
 *    the loop.  They exist only where there is a loop: without one
 *    (kn_api_call_sync(), the offline CLI) they are refused with
 *    EOPNOTSUPP naming kvmnetd.
 *
 * A call can be deferred when it comes with a session and the kn_api has a
 * loop (kn_api_set_loop()).  Done always runs on the loop's thread.
 *
 * ---- Sessions ----
 *
 * A session is one client connection's state in the dispatcher: its event
 * subscriptions and its unfinished requests.  Freeing it (the client went
 * away) abandons its unfinished requests: their done callbacks are never
 * called, and the verbs are told so they can stop waiting.
 *
 * Reply order is the caller's business: kvmnetd handles a connection's
 * requests one at a time (the next line is read only after the previous
 * reply), so replies come in request order; other connections go on
 * meanwhile.
 *
 * ---- Events ----
 *
 * Modules publish events (kn_api_publish()); every session subscribed to
 * that type gets the event's JSON text through its event callback.  The
 * live module follows netlink (links, addresses, routes) while at least one
 * session is subscribed to one of its types. */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "kvmnet/config.h"
#include "kvmnet/error.h"
#include "kvmnet/loop.h"
#include "kvmnet/protocol.h"

typedef struct kn_api kn_api;
typedef struct kn_api_session kn_api_session;

typedef enum kn_api_flags {
        KN_API_READ_ONLY = 1 << 0, /* refuse verbs that change anything (EPERM) */
} kn_api_flags;

/* kn_api_call()'s return when the reply comes later. */
#define KN_API_PENDING 1

/* ---- Context ---- */

/* A dispatcher over cfg, which it owns from now on (also on failure). */
kn_api *kn_api_new(kn_config *cfg);
/* Waits for work running on the worker thread; unfinished requests are
 * abandoned.  Free the sessions first. */
kn_api *kn_api_free(kn_api *api);
static inline void kn_api_freep(kn_api **api) {
        kn_api_free(*api);
}

kn_config *kn_api_config(kn_api *api);

/* Serve the network namespace netns (NULL or "": the caller's own; a name
 * from /run/netns; a path).  Opens the netlink handle now, so a namespace
 * that does not exist is an error here.  Set it before the first call;
 * without it the first live verb opens the caller's own. */
int kn_api_set_netns(kn_api *api, const char *netns, kn_error *err);
/* The handle (opened on first use); NULL with err set if that fails.  Only
 * for the loop's thread. */
struct kn_netns *kn_api_netns(kn_api *api, kn_error *err);
/* As given to kn_api_set_netns(), "" for the caller's own. */
const char *kn_api_netns_name(const kn_api *api);
/* No live state at all (kvmnet --root DIR without --netns: the files under
 * DIR only, as netplan generate --root-dir): no namespace is ever opened,
 * iface-list and iface-dumpxml answer from the configuration, and the
 * verbs that change live state are refused naming --netns.  Set before
 * the first call. */
void kn_api_set_no_live(kn_api *api);
bool kn_api_has_live(const kn_api *api);

/* Where journals of live changes go (KN_STATE_DIR by default; created when
 * first needed).  NULL: keep no journal. */
void kn_api_set_state_dir(kn_api *api, const char *dir);
const char *kn_api_state_dir(const kn_api *api);

typedef struct kn_filelog kn_filelog;

/* The state directory when none is given: ROOT/var/lib/kvmnet under a
 * configuration root, so a test root never touches this machine's
 * KN_STATE_DIR ("/" gives KN_STATE_DIR itself).  Allocated. */
char *kn_api_default_state_dir(const char *root);
/* Before the configuration is read: open the file log STATE_DIR/files
 * (kvmnet/filelog.h) and restore what a killed process left half written
 * under root; log() gets one line per file restored.  *ret is the log to
 * hand to kn_api_set_filelog(). */
int kn_api_recover_files(const char *state_dir, const char *root,
                         void (*log)(const char *message, void *userdata), void *userdata,
                         kn_filelog **ret, kn_error *err);
/* The api owns log from now on; every define/undefine of its config
 * writes through it (kn_config_set_filelog). */
void kn_api_set_filelog(kn_api *api, kn_filelog *log);
kn_filelog *kn_api_filelog(const kn_api *api);

/* The guest registry (include/kvmnet/guest.h): created on first use over
 * the state directory, the network namespace and the loop set by then;
 * kn_api_set_guests() replaces it (the old one is freed, NULL: none). */
struct kn_guest_registry;
struct kn_guest_registry *kn_api_guests(kn_api *api);
void kn_api_set_guests(kn_api *api, struct kn_guest_registry *reg);

/* Where DHCP clients keep pid files and leases ($KVMNET_RUN_DIR/live, else
 * KN_RUN_DIR/live).  The daemon and the offline CLI use the same, so either
 * finds the clients the other started. */
int kn_api_set_run_dir(kn_api *api, const char *dir, kn_error *err);

/* Where the dispatcher reports what no client will hear: the outcome of a
 * request whose session went away before it finished (a change that was
 * made, or failed, after its client left). */
void kn_api_set_logger(kn_api *api, void (*log)(const char *message, void *userdata),
                       void *userdata);

/* At start: roll back what a killed process left unfinished in the state
 * directory (kvmnet/txn.h: a transaction not committed, a single live
 * change, a file write), reporting each thing found and done; the
 * configuration is then read again.  Returns how many things were undone. */
int kn_api_recover(kn_api *api, void (*report)(const char *message, void *userdata),
                   void *userdata);

/* ---- Event loop ---- */

/* Give the dispatcher a loop (kvmnet/loop.h; not owned, it must outlive
 * api): sessions may then subscribe to events and requests may finish
 * later.  The library's modules (the worker's eventfd, netlink events, QMP
 * monitors, timers) put their watches on it. */
void kn_api_set_loop(kn_api *api, kn_loop *loop);
/* The loop, NULL without one (offline CLI). */
kn_loop *kn_api_loop(const kn_api *api);
bool kn_api_has_loop(const kn_api *api);

/* ---- Sessions ---- */

/* An event for the session: one JSON object as text, without newline,
 * e.g. {"event":"link","action":"new","ifindex":4,"ifname":"br0",...}.
 * Borrowed for the duration of the call.  Runs while events are being
 * published to every session: it must not free a session (queue the
 * output; send it from the loop). */
typedef void (*kn_api_event_fn)(const char *event_json, void *userdata);

kn_api_session *kn_api_session_new(kn_api *api, kn_api_event_fn on_event, void *userdata);
/* Who is on the other end (SO_PEERCRED), named in transactions it opens. */
void kn_api_session_set_peer(kn_api_session *s, uid_t uid, pid_t pid, const char *client);
/* Drops the subscriptions and abandons unfinished requests (their done
 * callbacks are never called). */
kn_api_session *kn_api_session_free(kn_api_session *s);
/* Requests of the session not finished yet. */
unsigned kn_api_session_pending(const kn_api_session *s);
/* Does the session follow any event type (event-subscribe)? */
bool kn_api_session_subscribed(const kn_api_session *s);

/* ---- Calls ---- */

/* The reply to one request; done owns it (json_object_put() it).  r is 0
 * for a success reply, else the negative errno of its error. */
typedef void (*kn_api_done_fn)(json_object *reply, int r, void *userdata);

/* Run one request.  A reply is always produced, also for a malformed
 * request.  Returns 0 if done has run already, KN_API_PENDING if it will
 * run later from the loop (only with a session and a loop).  session may
 * be NULL: then nothing is deferred, blocking verbs run inline and
 * event-driven ones and event-subscribe are refused. */
int kn_api_call(kn_api *api, kn_api_session *session, json_object *request, kn_api_flags flags,
                kn_api_done_fn done, void *userdata);

/* The whole call inline: *reply (owned by the caller) and 0 for a success,
 * the negative errno of the error otherwise. */
int kn_api_call_sync(kn_api *api, json_object *request, kn_api_flags flags, json_object **reply);

/* ---- Events ---- */

/* Send event (a JSON object with an "event" member naming its type) to
 * every session subscribed to that type.  Loop thread only. */
void kn_api_publish(kn_api *api, json_object *event);
/* The same with the event already as text; type is its "event" member. */
void kn_api_publish_json(kn_api *api, const char *type, const char *event_json);

/* ---- Verbs ---- */

/* Does VERB change anything (configuration or live state)?  false for
 * unknown verbs.  (The protocol's helpers are in kvmnet/protocol.h.) */
bool kn_api_verb_mutates(const char *verb);
