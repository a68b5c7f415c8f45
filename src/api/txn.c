/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Transactions for the verbs: iface-begin, iface-commit, iface-rollback,
 * confirm, the --confirm timer, and the transaction every change runs in
 * (kn_api_change_*).  The journal itself is src/txn's. */
#include <time.h>

#include "api-internal.h"
#include "api-manager.h"
#include "kvmnet/txn.h"
#include "rootfs.h"
#include "strbuf.h"

/* ---- Who is asking ---- */

static void fill_info(kn_api_req *req, const char *verb, bool explicit_txn, kn_txn_info *i) {
        *i = (kn_txn_info){.explicit_txn = explicit_txn, .opened = time(NULL)};
        kn_api_session *s = req->session;
        if (s && s->client[0]) {
                i->uid = s->uid;
                i->pid = s->pid;
                snprintf(i->client, sizeof i->client, "%s", s->client);
        } else {
                i->uid = getuid();
                i->pid = getpid();
                snprintf(i->client, sizeof i->client, "kvmnet --root (in-process)");
        }
        snprintf(i->verb, sizeof i->verb, "%s", verb);
        snprintf(i->netns, sizeof i->netns, "%s", req->api->netns_name);
}

void kn_api_session_set_peer(kn_api_session *s, uid_t uid, pid_t pid, const char *client) {
        s->uid = uid;
        s->pid = pid;
        snprintf(s->client, sizeof s->client, "%s", client ? client : "");
}

static void log_line(const char *message, void *userdata) {
        kn_api *api = userdata;
        if (api->log)
                api->log(message, api->log_data);
}

/* ---- The confirm timer ---- */

static void timer_stop(kn_api *api) {
        if (!api->confirm_timer)
                return;
        kn_loop_del(api->loop, api->confirm_timer);
        api->confirm_timer = NULL;
}

static void publish(kn_api *api, const char *action, const char *detail, const char *cut_off) {
        json_object *e = json_object_new_object();
        json_object_object_add(e, "event", json_object_new_string("txn"));
        json_object_object_add(e, "action", json_object_new_string(action));
        if (detail)
                json_object_object_add(e, "message", json_object_new_string(detail));
        if (cut_off)
                json_object_object_add(e, "guest_nics_cut_off", json_object_new_string(cut_off));
        kn_api_publish(api, e);
        json_object_put(e);
}

/* A rollback or revert of the live state, on the worker thread.  Guest
 * taps on a bridge the undo deletes lose their network: the undo goes
 * ahead (the host's own reachability comes first) and names them. */
typedef struct undo_job {
        kn_api *api;
        struct kn_txn *txn; /* NULL: the api's open one when the job runs */
        char *cut_off;      /* "vnet0 (on br0), ..." or NULL */
} undo_job;

static int undo_live(kn_netns *ns, void *data, kn_error *err) {
        undo_job *j = data;
        struct kn_txn *t = j->txn ? j->txn : j->api->txn;
        if (!t)
                return 0;
        kn_live_tap *before = NULL, *cut = NULL;
        size_t n_before = 0;
        kn_error ignored = {0};
        (void) kn_live_tap_ports(ns, &before, &n_before, &ignored);
        int r = kn_txn_rollback_live(t, ns, err);
        if (r >= 0)
                r = kn_api_manager_txn_rollback(j->api, err);
        size_t n_cut = n_before ? kn_live_taps_cut_off(ns, before, n_before, &cut) : 0;
        if (n_cut) {
                kn_strbuf b = {0};
                for (size_t k = 0; k < n_cut; k++)
                        kn_strbuf_printf(&b, "%s%s (on %s)", k ? ", " : "", cut[k].tap,
                                         cut[k].bridge);
                j->cut_off = kn_strbuf_steal(&b);
        }
        free(before);
        free(cut);
        return r;
}

static undo_job *undo_job_new(kn_api *api, struct kn_txn *t) {
        undo_job *j = kn_xcalloc(1, sizeof *j);
        j->api = api;
        j->txn = t;
        return j;
}

static char *cut_off_note(const undo_job *j) {
        return j->cut_off ? kn_xasprintf("; guest NICs cut off from their bridge: %s", j->cut_off)
                          : kn_xstrdup("");
}

static void undo_job_free(undo_job *j) {
        free(j->cut_off);
        free(j);
}

/* Files after the live state (the worker has undone it by now). */
static int rollback_files(kn_api *api, struct kn_txn *t, int live_r, kn_error *err) {
        kn_error e = {0};
        int r = kn_txn_rollback_files(t, kn_config_root_fs(api->cfg), log_line, api, &e);
        kn_error ignored = {0};
        (void) kn_config_reload(api->cfg, &ignored);
        kn_api_manager_reload(api);
        kn_api_manager_txn_end(api, false);
        if (live_r < 0)
                return live_r; /* err says which live step */
        if (r < 0)
                kn_error_set(err, -r, "%s", e.message);
        return r;
}

static void revert_done(void *data, int r, const kn_error *err) {
        undo_job *j = data;
        kn_api *api = j->api;
        struct kn_txn *t = TAKE_PTR(api->txn);
        kn_error e = {0};
        if (!t) {
                undo_job_free(j);
                return; /* confirmed or rolled back meanwhile */
        }
        r = rollback_files(api, t, r, &e);
        _cleanup_free_ char *note = cut_off_note(j);
        _cleanup_free_ char *msg =
                r < 0 ? kn_xasprintf("not confirmed in time: reverting failed: %s%s",
                                     err && err->code ? err->message : e.message, note)
                      : kn_xasprintf("not confirmed in time: the change was reverted%s", note);
        log_line(msg, api);
        /* The timer acts for the operation that asked for --confirm. */
        const char *prev = kn_api_op_enter(api, api->confirm_op);
        publish(api, r < 0 ? "revert-failed" : "reverted", msg, j->cut_off);
        kn_api_op_leave(api, prev);
        undo_job_free(j);
}

static void on_confirm_timeout(void *userdata) {
        kn_api *api = userdata;
        timer_stop(api);
        if (!api->txn)
                return;
        kn_error err = {0};
        /* Behind every live change already queued: one order for all. */
        undo_job *j = undo_job_new(api, NULL);
        if (kn_api_offload(api, undo_live, revert_done, j, &err) < 0) {
                log_line(err.message, api);
                undo_job_free(j);
        }
}

static int timer_start(kn_api *api, double seconds, kn_error *err) {
        timer_stop(api);
        int r = kn_loop_add_timer(api->loop, (uint64_t) (seconds * 1e6), on_confirm_timeout, api,
                                  &api->confirm_timer);
        return r < 0 ? kn_error_set(err, -r, "confirm timer: %s", strerror(-r)) : 0;
}

/* ---- A change's transaction ---- */

int kn_api_arg_confirm(const char *verb, json_object *args, double *ret, kn_error *err) {
        json_object *o = NULL;
        *ret = 0;
        if (!json_object_object_get_ex(args, "confirm", &o) ||
            json_object_is_type(o, json_type_null))
                return 0;
        if (!json_object_is_type(o, json_type_int) && !json_object_is_type(o, json_type_double))
                return kn_error_set(err, EINVAL,
                                    "%s: argument 'confirm' must be a number of seconds", verb);
        double s = json_object_get_double(o);
        if (!(s > 0 && s <= 86400))
                return kn_error_set(err, EINVAL, "%s: --confirm %g: valid: 0 < SECONDS <= 86400",
                                    verb, s);
        *ret = s;
        return 0;
}

static int keep_for_confirm(kn_api *api, struct kn_txn *t, double seconds, json_object *result,
                            kn_error *err) {
        time_t by = time(NULL) + (time_t) seconds + ((double) (time_t) seconds < seconds);
        int r = kn_txn_set_confirm(t, by, err);
        if (r >= 0)
                r = timer_start(api, seconds, err);
        if (r < 0)
                return r;
        api->txn = t;
        free(api->confirm_op);
        api->confirm_op = api->op ? kn_xstrdup(api->op) : NULL;
        json_object_object_add(result, "confirm_by", json_object_new_int64((int64_t) by));
        json_object_object_add(result, "confirm_seconds", json_object_new_double(seconds));
        char when[64];
        snprintf(when, sizeof when, "%g s", seconds);
        publish(api, "confirm-pending", when, NULL);
        return 0;
}

int kn_api_change_begin(kn_api_req *req, const char *verb, const char *name, kn_change_kind kind,
                        double confirm, kn_api_change *c, kn_error *err) {
        kn_api *api = req->api;
        *c = (kn_api_change){.confirm = confirm, .kind = kind};
        if (api->txn) {
                if (confirm > 0) {
                        _cleanup_free_ char *who = kn_txn_describe(kn_txn_get_info(api->txn));
                        return kn_error_set(err, EBUSY,
                                            "%s: --confirm: a transaction is open (%s); it is "
                                            "kept or reverted as a whole: iface-commit --confirm",
                                            verb, who);
                }
                c->txn = api->txn;
                return 0;
        }
        if (confirm > 0 && !kn_api_req_can_defer(req))
                return kn_error_set(err, EOPNOTSUPP,
                                    "%s: --confirm needs kvmnetd: the timer that reverts the "
                                    "change lives in the daemon",
                                    verb);
        if (!api->state_dir || (kind == KN_CHANGE_FILES && confirm == 0)) {
                c->scratch = kn_live_txn_new();
                return 0;
        }
        kn_txn_info info;
        fill_info(req, verb, false, &info);
        c->main = kind == KN_CHANGE_SHARED || confirm > 0;
        _cleanup_free_ char *slot = kn_xasprintf("%s-%s", verb, name);
        int r = kn_txn_begin(api->state_dir, c->main ? KN_TXN_MAIN : slot, &info,
                             c->main ? api->files : NULL, &c->txn, err);
        if (r < 0) {
                kn_error_prefix(err, "%s", verb);
                return r;
        }
        c->own = true;
        if (c->main)
                api->txn = c->txn; /* changes arriving meanwhile join it */
        if (c->main)
                kn_api_manager_txn_begin(api, confirm);
        return 0;
}

kn_live_txn *kn_api_change_live(kn_api_change *c) {
        return c->txn ? kn_txn_live(c->txn) : c->scratch;
}

int kn_api_change_end(kn_api_req *req, kn_api_change *c, int r, json_object *result,
                      kn_error *err) {
        kn_api *api = req->api;
        kn_live_txn_free(c->scratch);
        c->scratch = NULL;
        /* Files written: the manager re-reads them.  Not after a live
         * change: networkd's Reload would make a destroyed bridge anew. */
        if (r >= 0 && c->kind != KN_CHANGE_LIVE)
                kn_api_manager_reload(api);
        if (!c->own)
                return r;
        if (c->main)
                api->txn = NULL;
        if (r < 0) {
                /* The live steps undid themselves; the files it wrote go back. */
                kn_error e = {0};
                if (c->main)
                        (void) kn_api_manager_txn_rollback(api, &e);
                (void) rollback_files(api, c->txn, 0, &e);
                publish(api, "rolled-back", err && err->code ? err->message : NULL, NULL);
                return r;
        }
        if (c->confirm > 0)
                return keep_for_confirm(api, c->txn, c->confirm, result, err);
        if (c->main)
                kn_api_manager_txn_end(api, true);
        return kn_txn_commit(c->txn, err);
}

/* ---- Verbs ---- */

static int need_daemon(kn_api_req *req, const char *verb, kn_error *err) {
        if (kn_api_req_can_defer(req) && req->api->state_dir)
                return 0;
        return kn_error_set(err, EOPNOTSUPP,
                            "%s needs kvmnetd: a transaction outlives one command, and the "
                            "daemon keeps it",
                            verb);
}

static int run_iface_begin(kn_api_req *req, json_object *args, json_object *result, kn_error *err) {
        kn_api *api = req->api;
        int r = need_daemon(req, "iface-begin", err);
        if (r < 0)
                return r;
        if (api->txn) {
                _cleanup_free_ char *who = kn_txn_describe(kn_txn_get_info(api->txn));
                return kn_error_set(err, EBUSY, "iface-begin: a transaction is open already: %s",
                                    who);
        }
        kn_txn_info info;
        fill_info(req, "iface-begin", true, &info);
        r = kn_txn_begin(api->state_dir, KN_TXN_MAIN, &info, api->files, &api->txn, err);
        if (r < 0) {
                kn_error_prefix(err, "iface-begin");
                return r;
        }
        kn_api_manager_txn_begin(api, 0);
        _cleanup_free_ char *who = kn_txn_describe(&info);
        json_object_object_add(result, "transaction", json_object_new_string(who));
        publish(api, "begin", who, NULL);
        return 0;
}

static int no_txn(const char *verb, kn_error *err) {
        return kn_error_set(err, ENOENT, "%s: no transaction is open (iface-begin opens one)",
                            verb);
}

/* Commit and rollback wait behind the live changes already queued. */
static int noop_work(kn_netns *ns, void *data, kn_error *err) {
        return 0;
}

static int commit_after(kn_api_req *req, int r, json_object *result, kn_error *err, void *data) {
        kn_api *api = req->api;
        double confirm = *(double *) data;
        free(data);
        if (!api->txn)
                return no_txn("iface-commit", err);
        if (confirm > 0)
                return keep_for_confirm(api, api->txn, confirm, result, err);
        timer_stop(api);
        /* Kept for confirmation, it is "confirmed" (confirm, or iface-commit
         * without --confirm), so a follower tells it from a plain commit. */
        bool was_pending = kn_txn_get_info(api->txn)->confirm_by != 0;
        struct kn_txn *t = TAKE_PTR(api->txn);
        kn_api_manager_txn_end(api, true);
        r = kn_txn_commit(t, err);
        if (r >= 0)
                publish(api, was_pending ? "confirmed" : "committed", NULL, NULL);
        return r;
}

static int run_iface_commit(kn_api_req *req, json_object *args, json_object *result,
                            kn_error *err) {
        double confirm;
        int r = need_daemon(req, "iface-commit", err);
        if (r >= 0)
                r = kn_api_arg_confirm("iface-commit", args, &confirm, err);
        if (r < 0)
                return r;
        if (!req->api->txn)
                return no_txn("iface-commit", err);
        double *d = kn_xmalloc(sizeof *d);
        *d = confirm;
        return kn_api_req_offload(req, noop_work, commit_after, d, err);
}

static int run_confirm(kn_api_req *req, json_object *args, json_object *result, kn_error *err) {
        kn_api *api = req->api;
        if (!api->txn || !kn_txn_get_info(api->txn)->confirm_by)
                return kn_error_set(err, ENOENT, "confirm: no change is waiting for confirmation");
        double *d = kn_xcalloc(1, sizeof *d);
        return kn_api_req_offload(req, noop_work, commit_after, d, err);
}

static int rollback_after(kn_api_req *req, int r, json_object *result, kn_error *err, void *data) {
        undo_job *j = data;
        kn_api *api = req->api;
        struct kn_txn *t = TAKE_PTR(api->txn);
        r = rollback_files(api, t, r, err);
        if (j->cut_off)
                json_object_object_add(result, "guest_nics_cut_off",
                                       json_object_new_string(j->cut_off));
        if (r >= 0) {
                _cleanup_free_ char *note = cut_off_note(j);
                _cleanup_free_ char *msg = kn_xasprintf("the transaction was rolled back%s", note);
                publish(api, "rolled-back", msg, j->cut_off);
        }
        undo_job_free(j);
        return r;
}

static int run_iface_rollback(kn_api_req *req, json_object *args, json_object *result,
                              kn_error *err) {
        int r = need_daemon(req, "iface-rollback", err);
        if (r < 0)
                return r;
        if (!req->api->txn)
                return no_txn("iface-rollback", err);
        timer_stop(req->api);
        /* rollback_after frees the job, whichever way this goes. */
        return kn_api_req_offload(req, undo_live, rollback_after,
                                  undo_job_new(req->api, req->api->txn), err);
}

static const char *const args_none[] = {NULL};
static const char *const args_commit[] = {"confirm", NULL};
static const char *const txn_events[] = {"txn", NULL};

static const kn_api_verb txn_verbs[] = {
        {"iface-begin", KN_VERB_MUTATES, args_none, run_iface_begin},
        {"iface-commit", KN_VERB_MUTATES, args_commit, run_iface_commit},
        {"iface-rollback", KN_VERB_MUTATES, args_none, run_iface_rollback},
        {"confirm", KN_VERB_MUTATES, args_none, run_confirm},
};

const kn_api_module kn_api_module_txn = {
        .name = "txn",
        .verbs = txn_verbs,
        .n_verbs = ELEMENTSOF(txn_verbs),
        .event_types = txn_events,
};

/* ---- Start-up ---- */

int kn_api_recover(kn_api *api, void (*report)(const char *message, void *userdata),
                   void *userdata) {
        if (!api->state_dir)
                return 0;
        _cleanup_free_ char *dir = kn_xasprintf("%s/txn", api->state_dir);
        if (access(dir, F_OK) < 0)
                return 0; /* never journaled anything: no namespace to open */
        kn_error err = {0};
        kn_netns *ns = kn_api_netns(api, &err);
        int r = kn_txn_recover(api->state_dir, ns, kn_config_root_fs(api->cfg), api->files, report,
                               userdata, &err);
        if (r < 0 && report) {
                _cleanup_free_ char *m = kn_xasprintf("recovery: %s", err.message);
                report(m, userdata);
        }
        if (r > 0)
                (void) kn_config_reload(api->cfg, &err);
        return r;
}
