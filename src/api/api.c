/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The dispatcher's core: the context, sessions, the life of a request
 * (run now, or deferred and finished from the loop), the registry of verb
 * tables and argument checking.  The protocol's lines and replies are
 * protocol.c's. */
#include <inttypes.h>
#include <stdio.h>
#include <sys/random.h>
#include <time.h>

#include "api-internal.h"
#include "crashpoint.h"
#include "suggest.h"
#include "kvmnet/api-net.h"
#include "rootfs.h"
#include "kvmnet/filelog.h"

extern const kn_api_module kn_api_module_net; /* net.c */

/* The one registry: a new module is a new file plus one line here. */
static const kn_api_module *const modules[] = {
        &kn_api_module_core,   &kn_api_module_iface_live, &kn_api_module_iface,
        &kn_api_module_events, &kn_api_module_guest,      &kn_api_module_txn,
        &kn_api_module_bridge, &kn_api_module_net,
};

/* ---- Arguments ----
 * A wrong type or an unknown key is the client's mistake and is named as
 * such, so a typo never silently means "flag not given". */

int kn_api_arg_string(const char *v, json_object *args, const char *key, bool required,
                      const char **ret, kn_error *err) {
        json_object *o = NULL;
        if (!json_object_object_get_ex(args, key, &o) || json_object_is_type(o, json_type_null)) {
                if (required)
                        return kn_error_set(err, EINVAL, "%s: argument '%s' is required", v, key);
                *ret = NULL;
                return 0;
        }
        if (!json_object_is_type(o, json_type_string))
                return kn_error_set(err, EINVAL, "%s: argument '%s' must be a string", v, key);
        *ret = json_object_get_string(o);
        return 0;
}

int kn_api_arg_bool(const char *v, json_object *args, const char *key, bool *ret, kn_error *err) {
        json_object *o = NULL;
        *ret = false;
        if (!json_object_object_get_ex(args, key, &o) || json_object_is_type(o, json_type_null))
                return 0;
        if (!json_object_is_type(o, json_type_boolean))
                return kn_error_set(err, EINVAL, "%s: argument '%s' must be true or false", v, key);
        *ret = json_object_get_boolean(o);
        return 0;
}

int kn_api_live_change(kn_netns *ns, kn_live_txn *live, int64_t dhcp_timeout_ms, kn_api_work_fn fn,
                       void *data, kn_error *err) {
        kn_netns_set_dhcp_timeout(ns, (long) dhcp_timeout_ms);
        kn_live_txn_clear_undone(live);
        int r = fn(ns, data, err);
        kn_netns_set_dhcp_timeout(ns, 0);
        return r;
}

void kn_api_put_undone(json_object *result, const kn_live_txn *live) {
        size_t n = kn_live_txn_n_undone(live);
        if (n == 0)
                return;
        json_object *a = json_object_new_array_ext((int) n);
        for (size_t k = 0; k < n; k++)
                json_object_array_add(a, json_object_new_string(kn_live_txn_undone(live, k)));
        json_object_object_add(result, "undone", a);
}

json_object *kn_api_strv_json(const char *const *v, size_t n) {
        json_object *a = json_object_new_array_ext((int) n);
        for (size_t k = 0; k < n; k++)
                json_object_array_add(a, json_object_new_string(v[k]));
        return a;
}

int kn_api_arg_uint(const char *v, json_object *args, const char *key, int64_t max, int64_t *ret,
                    kn_error *err) {
        json_object *o;
        if (!json_object_object_get_ex(args, key, &o) || json_object_is_type(o, json_type_null))
                return 0;
        if (!json_object_is_type(o, json_type_int) || json_object_get_int64(o) < 0 ||
            json_object_get_int64(o) > max)
                return kn_error_set(err, EINVAL, "%s: argument '%s' must be an integer in 0..%lld",
                                    v, key, (long long) max);
        *ret = json_object_get_int64(o);
        return 0;
}

int kn_api_arg_ifname(const char *v, json_object *args, const char **ret, kn_error *err) {
        int r = kn_api_arg_string(v, args, "name", true, ret, err);
        if (r < 0)
                return r;
        r = kn_ifname_validate(*ret, NULL, err);
        if (r < 0)
                kn_error_prefix(err, "%s", v);
        return r;
}

static int check_arg_names(const kn_api_verb *v, json_object *args, kn_error *err) {
        json_object_object_foreach(args, key, val) {
                (void) val;
                bool known = false;
                for (size_t k = 0; v->args[k]; k++)
                        known = known || streq(v->args[k], key);
                if (known)
                        continue;
                char valid[256] = "";
                for (size_t k = 0; v->args[k]; k++)
                        snprintf(valid + strlen(valid), sizeof valid - strlen(valid), "%s%s",
                                 k ? ", " : "", v->args[k]);
                return kn_error_set(err, EINVAL, "%s: unknown argument '%s' (valid: %s)", v->name,
                                    key, *valid ? valid : "none");
        }
        return 0;
}

json_object *kn_json_string_or_null(const char *s) {
        return isempty(s) ? NULL : json_object_new_string(s);
}

static char *diag_to_string(const kn_diag *d) {
        if (d->line > 0)
                return kn_xasprintf("%s:%u: %s", d->file, d->line, d->message);
        return kn_xasprintf("%s: %s", d->file, d->message);
}

int kn_api_lookup_top(const char *v, kn_config *cfg, const char *name, const kn_iface **ret,
                      kn_error *err) {
        const kn_iface *top = NULL;
        const kn_iface *i = kn_config_lookup(cfg, name, &top);
        if (i && i == top) {
                *ret = i;
                return 0;
        }
        if (i && top)
                return kn_error_set(err, ENOENT,
                                    "%s: '%s' is not a top-level interface: it is a %s of %s "
                                    "%s (use %s on %s)",
                                    v, name, top->type == KN_IFACE_BOND ? "slave" : "port",
                                    kn_iface_type_to_string(top->type), top->name, v, top->name);
        const kn_diag *d = kn_config_lookup_diag(cfg, name);
        if (d) {
                _cleanup_free_ char *s = diag_to_string(d);
                return kn_error_set(err, EINVAL,
                                    "%s: the configuration of interface '%s' could not be read: "
                                    "%s",
                                    v, name, s);
        }
        /* A typo: name the nearest configured interface. */
        const kn_iface *const *list;
        size_t n = kn_config_list(cfg, &list);
        kn_suggest near;
        kn_suggest_init(&near, name);
        for (size_t k = 0; k < n; k++)
                kn_suggest_add(&near, list[k]->name);
        const char *best = kn_suggest_result(&near);
        return kn_error_set(err, ENOENT, "%s: no interface named '%s'%s%s%s", v, name,
                            best ? " (did you mean '" : "", best ? best : "", best ? "'?)" : "");
}

const char *kn_api_in_netns(const kn_api *api) {
        static _Thread_local char buf[256];
        if (isempty(api->netns_name))
                return "";
        snprintf(buf, sizeof buf, " in network namespace %s", api->netns_name);
        return buf;
}

/* ---- Registry ---- */

static const kn_api_verb *verb_find(const char *name) {
        for (size_t m = 0; m < ELEMENTSOF(modules); m++)
                for (size_t k = 0; k < modules[m]->n_verbs; k++)
                        if (streq(modules[m]->verbs[k].name, name))
                                return &modules[m]->verbs[k];
        return NULL;
}

bool kn_api_verb_mutates(const char *name) {
        const kn_api_verb *v = name ? verb_find(name) : NULL;
        return v && (v->flags & KN_VERB_MUTATES);
}

const char *const *kn_api_event_types(size_t *n) {
        static const char *types[65];
        static size_t n_types;
        if (!n_types)
                for (size_t m = 0; m < ELEMENTSOF(modules); m++)
                        for (size_t k = 0; modules[m]->event_types && modules[m]->event_types[k];
                             k++) {
                                if (n_types == 64)
                                        abort(); /* one bit per type in a session */
                                types[n_types++] = modules[m]->event_types[k];
                        }
        if (n)
                *n = n_types;
        return types;
}

int kn_api_event_type_index(const char *type) {
        size_t n;
        const char *const *types = kn_api_event_types(&n);
        for (size_t k = 0; k < n; k++)
                if (streq(types[k], type))
                        return (int) k;
        return -1;
}

bool kn_api_module_wanted(kn_api *api, const kn_api_module *m) {
        uint64_t mask = 0;
        for (size_t k = 0; m->event_types && m->event_types[k]; k++)
                mask |= UINT64_C(1) << kn_api_event_type_index(m->event_types[k]);
        for (kn_api_session *s = api->sessions; s; s = s->next)
                if (s->subscribed & mask)
                        return true;
        return false;
}

/* Let every module with event types start or stop its source.  Returns the
 * first failure (a source that could not start). */
static int subscriptions_changed(kn_api *api, kn_error *err) {
        int first = 0;
        for (size_t m = 0; m < ELEMENTSOF(modules); m++)
                if (modules[m]->subscriptions_changed) {
                        int r = modules[m]->subscriptions_changed(api, err);
                        if (r < 0 && !first)
                                first = r;
                }
        return first;
}

int kn_api_subscriptions_apply(kn_api *api, kn_error *err) {
        return subscriptions_changed(api, err);
}

/* ---- Context ---- */

static char *default_run_dir(void) {
        return kn_xasprintf("%s/live", kn_api_run_dir());
}

kn_api *kn_api_new(kn_config *cfg) {
        kn_api *api = kn_xcalloc(1, sizeof *api);
        api->cfg = cfg;
        api->netns_name = kn_xstrdup("");
        api->state_dir = kn_xstrdup(KN_STATE_DIR);
        api->run_dir = default_run_dir();
        /* A token of its own per start: ids of a restarted kvmnetd never
         * meet those of its predecessor. */
        uint32_t boot;
        if (getrandom(&boot, sizeof boot, 0) != sizeof boot)
                boot = (uint32_t) time(NULL) ^ (uint32_t) getpid() << 16;
        snprintf(api->boot, sizeof api->boot, "%08" PRIx32, boot);
        return api;
}

kn_api *kn_api_free(kn_api *api) {
        if (!api)
                return NULL;
        while (api->sessions)
                kn_api_session_free(api->sessions);
        kn_worker_free(api->worker);
        api->worker = NULL;
        kn_api_live_events_stop(api);
        kn_api_set_guests(api, NULL);
        kn_api_net_release(api); /* before the namespace its dnsmasq handles use */
        kn_netns_free(api->ns);
        kn_config_free(api->cfg);
        kn_filelog_free(api->files);
        free(api->confirm_op);
        free(api->netns_name);
        free(api->state_dir);
        free(api->run_dir);
        free(api);
        return NULL;
}

kn_config *kn_api_config(kn_api *api) {
        return api->cfg;
}

static int open_netns(kn_api *api, kn_error *err) {
        kn_netns *ns = NULL;
        int r = kn_netns_open(api->netns_name, &ns, err);
        if (r < 0)
                return r;
        r = kn_netns_set_state_dir(ns, api->run_dir, err);
        if (r < 0) {
                kn_netns_free(ns);
                return r;
        }
        kn_netns_free(api->ns);
        api->ns = ns;
        return 0;
}

/* The devices' MACs as the served namespace's kernel has them (for ifcfg's
 * HWADDR= and iface-name). */
static int live_device_macs(kn_device_mac **ret, size_t *n_ret, void *userdata) {
        kn_api *api = userdata;
        kn_error err = {0};
        kn_live_link *links = NULL;
        size_t n = 0;
        *ret = NULL;
        *n_ret = 0;
        kn_netns *ns = kn_api_netns(api, &err);
        int r = ns ? kn_live_list(ns, &links, &n, &err) : -err.code;
        if (r < 0)
                return r;
        kn_device_mac *v = kn_xcalloc(n + 1, sizeof *v);
        size_t m = 0;
        for (size_t k = 0; k < n; k++)
                if (links[k].mac[0] && strlen(links[k].iface->name) <= KN_IFNAME_MAX) {
                        snprintf(v[m].name, sizeof v[m].name, "%s", links[k].iface->name);
                        snprintf(v[m].mac, sizeof v[m].mac, "%s", links[k].mac);
                        m++;
                }
        kn_live_links_free(links, n);
        *ret = v;
        *n_ret = m;
        return 0;
}

int kn_api_set_netns(kn_api *api, const char *netns, kn_error *err) {
        free(api->netns_name);
        api->netns_name = kn_xstrdup(netns ? netns : "");
        int r = open_netns(api, err);
        if (r < 0)
                return r;
        /* The kernel's devices are the configuration's when it is this
         * machine's (root /) or a namespace was named for it; a test root
         * served in kvmnetd's own namespace keeps ROOT/sys/class/net. */
        if (!isempty(netns) || streq(kn_config_root(api->cfg), "/")) {
                kn_error ignored = {0};
                kn_config_set_device_macs(api->cfg, live_device_macs, api);
                (void) kn_config_reload(api->cfg, &ignored);
        }
        return 0;
}

kn_netns *kn_api_netns(kn_api *api, kn_error *err) {
        if (api->no_live) {
                kn_error_set(err, EOPNOTSUPP,
                             "there is no live state: kvmnet --root without --netns reads and "
                             "writes only the files under %s (--netns NAME names a network "
                             "namespace to work in)",
                             kn_config_root(api->cfg));
                return NULL;
        }
        if (!api->ns && open_netns(api, err) < 0)
                return NULL;
        return api->ns;
}

const char *kn_api_netns_name(const kn_api *api) {
        return api->netns_name;
}

void kn_api_set_no_live(kn_api *api) {
        api->no_live = true;
        api->ns = kn_netns_free(api->ns);
        kn_config_set_device_macs(api->cfg, NULL, NULL); /* ROOT/sys/class/net */
}

bool kn_api_has_live(const kn_api *api) {
        return !api->no_live;
}

/* A live verb where there is no live state: refused before it starts,
 * so nothing, not even a journal, is written. */
static int refuse_no_live(kn_api *api, const kn_api_verb *v, json_object *args, kn_error *err) {
        json_object *o;
        bool no_start = json_object_object_get_ex(args, "no_start", &o) &&
                        json_object_is_type(o, json_type_boolean) && json_object_get_boolean(o);
        if (!(v->flags & KN_VERB_LIVE) || !api->no_live || no_start)
                return 0;
        bool has_no_start = false;
        for (size_t k = 0; v->args[k]; k++)
                has_no_start = has_no_start || streq(v->args[k], "no_start");
        return kn_error_set(err, EOPNOTSUPP,
                            "%s works on the live state, and kvmnet --root without --netns has "
                            "none (only the files under %s): name a network namespace with "
                            "--netns NAME (from /run/netns, or a path: /proc/self/ns/net is "
                            "kvmnet's own)%s",
                            v->name, kn_config_root(api->cfg),
                            has_no_start ? ", or use --no-start for the configuration only" : "");
}

void kn_api_set_state_dir(kn_api *api, const char *dir) {
        free(api->state_dir);
        api->state_dir = dir ? kn_xstrdup(dir) : NULL;
}

const char *kn_api_state_dir(const kn_api *api) {
        return api->state_dir;
}

char *kn_api_default_state_dir(const char *root) {
        size_t n = root ? strlen(root) : 0;
        while (n > 0 && root[n - 1] == '/')
                n--;
        if (n == 0)
                return kn_xstrdup(KN_STATE_DIR);
        return kn_xasprintf("%.*s%s", (int) n, root, KN_STATE_DIR);
}

int kn_api_recover_files(const char *state_dir, const char *root,
                         void (*log)(const char *message, void *userdata), void *userdata,
                         kn_filelog **ret, kn_error *err) {
        _cleanup_free_ char *dir = kn_xasprintf("%s/files", state_dir);
        kn_filelog *l = NULL;
        kn_root *r = NULL;
        *ret = NULL;
        /* A root that is not there has nothing to restore (and opening the
         * config says so); its state directory must not create it. */
        if (kn_root_open(root ? root : "/", &r, NULL) < 0)
                return 0;
        int n = kn_filelog_open(dir, &l, err);
        if (n >= 0)
                n = kn_filelog_recover(l, r, log, userdata, err);
        kn_root_free(r);
        if (n < 0) {
                kn_filelog_free(l);
                return n;
        }
        *ret = l;
        return n;
}

void kn_api_set_filelog(kn_api *api, kn_filelog *log) {
        if (api->files != log)
                kn_filelog_free(api->files);
        api->files = log;
        kn_config_set_filelog(api->cfg, log);
}

kn_filelog *kn_api_filelog(const kn_api *api) {
        return api->files;
}

int kn_api_set_run_dir(kn_api *api, const char *dir, kn_error *err) {
        if (isempty(dir) || dir[0] != '/')
                return kn_error_set(err, EINVAL, "run directory '%s' is not an absolute path",
                                    dir ? dir : "");
        free(api->run_dir);
        api->run_dir = kn_xstrdup(dir);
        return api->ns ? kn_netns_set_state_dir(api->ns, dir, err) : 0;
}

void kn_api_set_logger(kn_api *api, void (*log)(const char *message, void *userdata),
                       void *userdata) {
        api->log = log;
        api->log_data = userdata;
}

void kn_api_set_loop(kn_api *api, kn_loop *loop) {
        api->loop = loop;
}

kn_loop *kn_api_loop(const kn_api *api) {
        return api->loop;
}

bool kn_api_has_loop(const kn_api *api) {
        return api->loop != NULL;
}

/* ---- Sessions ---- */

kn_api_session *kn_api_session_new(kn_api *api, kn_api_event_fn on_event, void *userdata) {
        kn_api_session *s = kn_xcalloc(1, sizeof *s);
        s->api = api;
        s->on_event = on_event;
        s->userdata = userdata;
        s->next = api->sessions;
        if (s->next)
                s->next->prev = s;
        api->sessions = s;
        return s;
}

static void pending_unlink(kn_api_req *req) {
        kn_api_session *s = req->session;
        if (req->prev)
                req->prev->next = req->next;
        else
                s->pending = req->next;
        if (req->next)
                req->next->prev = req->prev;
        req->prev = req->next = NULL;
        s->n_pending--;
}

kn_api_session *kn_api_session_free(kn_api_session *s) {
        if (!s)
                return NULL;
        kn_api *api = s->api;
        while (s->pending) {
                kn_api_req *req = s->pending;
                pending_unlink(req);
                req->session = NULL;
                req->abandoned = true;
                if (req->on_abandon)
                        req->on_abandon(req, req->abandon_data);
        }
        if (s->prev)
                s->prev->next = s->next;
        else
                api->sessions = s->next;
        if (s->next)
                s->next->prev = s->prev;
        bool had = s->subscribed != 0;
        free(s);
        if (had)
                (void) subscriptions_changed(api, NULL);
        return NULL;
}

unsigned kn_api_session_pending(const kn_api_session *s) {
        return s ? s->n_pending : 0;
}

bool kn_api_session_subscribed(const kn_api_session *s) {
        return s && s->subscribed != 0;
}

/* ---- Requests ---- */

static void req_free(kn_api_req *req) {
        free(req->op);
        json_object_put(req->id);
        json_object_put(req->result);
        free(req);
}

/* Build the reply, hand it to done (unless nobody waits any more), free. */
static void req_complete(kn_api_req *req, int r, const kn_error *e) {
        kn_error err = {0};
        json_object *reply;

        if (r < 0) {
                if (e && e->code)
                        err = *e;
                else
                        kn_error_set(&err, -r, "%s: %s", req->verb ? req->verb->name : "request",
                                     strerror(-r));
                reply = kn_api_error_reply(req->id, err.code, "%s", err.message);
                r = -err.code;
                /* A failed change's live steps, done and then undone
                 * (kvmnet VERB --verbose lists them). */
                json_object *undone, *error;
                if (req->result && json_object_object_get_ex(req->result, "undone", &undone) &&
                    json_object_object_get_ex(reply, "error", &error))
                        json_object_object_add(error, "undone", json_object_get(undone));
        } else {
                reply = kn_api_result_reply(req->id, TAKE_PTR(req->result));
                r = 0;
        }
        if (req->op)
                json_object_object_add(reply, "op", json_object_new_string(req->op));
        if (req->done && !req->abandoned)
                req->done(reply, r, req->userdata);
        else {
                if (req->abandoned && req->api->log) {
                        json_object *o = NULL;
                        json_object *res =
                                json_object_object_get_ex(reply, "result", &o) ? o : NULL;
                        const char *name = res && json_object_object_get_ex(res, "name", &o)
                                                   ? json_object_get_string(o)
                                                   : NULL;
                        _cleanup_free_ char *msg =
                                r < 0 ? kn_xasprintf("%s finished after its client left: error: %s",
                                                     req->verb->name, err.message)
                                      : kn_xasprintf("%s%s%s finished after its client left: ok",
                                                     req->verb->name, name ? " " : "",
                                                     name ? name : "");
                        req->api->log(msg, req->api->log_data);
                }
                json_object_put(reply);
        }
        req_free(req);
}

void kn_api_req_finish(kn_api_req *req, int r, const kn_error *err) {
        if (req->running) {
                req->finished_early = true;
                req->early_r = r;
                if (err)
                        req->early_err = *err;
                return;
        }
        if (req->deferred && req->session)
                pending_unlink(req);
        req_complete(req, r, err);
}

void kn_api_req_on_abandon(kn_api_req *req, void (*fn)(kn_api_req *req, void *userdata),
                           void *userdata) {
        req->on_abandon = fn;
        req->abandon_data = userdata;
}

static int dispatch(kn_api_req *req, json_object *request, kn_error *err) {
        json_object *o, *args = NULL;

        if (!json_object_is_type(request, json_type_object))
                return kn_error_set(err, EPROTO, "a request must be a JSON object");
        if (!json_object_object_get_ex(request, "verb", &o) ||
            !json_object_is_type(o, json_type_string))
                return kn_error_set(err, EPROTO, "the request has no \"verb\" string");
        const char *name = json_object_get_string(o);
        const kn_api_verb *v = verb_find(name);
        if (!v) {
                char valid[KN_ERROR_MAX] = ""; /* every verb: 512 cut the list short */
                for (size_t m = 0; m < ELEMENTSOF(modules); m++)
                        for (size_t k = 0; k < modules[m]->n_verbs; k++)
                                snprintf(valid + strlen(valid), sizeof valid - strlen(valid),
                                         "%s%s", *valid ? ", " : "", modules[m]->verbs[k].name);
                return kn_error_set(err, EOPNOTSUPP, "unknown verb '%.64s' (valid: %s)", name,
                                    valid);
        }
        req->verb = v;
        kn_crashpoint_request(v->name);
        json_object_object_foreach(request, key, val) {
                (void) val;
                if (!streq(key, "id") && !streq(key, "verb") && !streq(key, "args"))
                        return kn_error_set(err, EPROTO,
                                            "unknown request member \"%.64s\" (valid: id, "
                                            "verb, args)",
                                            key);
        }
        if (json_object_object_get_ex(request, "args", &args) &&
            !json_object_is_type(args, json_type_null) &&
            !json_object_is_type(args, json_type_object))
                return kn_error_set(err, EPROTO, "%s: \"args\" must be a JSON object", name);

        if ((v->flags & KN_VERB_MUTATES) && (req->flags & KN_API_READ_ONLY))
                return kn_error_set(err, EPERM,
                                    "%s is refused on a read-only connection: it changes the "
                                    "configuration or the live state (connect to the read-write "
                                    "socket as root or a member of the daemon's group)",
                                    v->name);
        if ((v->flags & (KN_VERB_EVENT_DRIVEN | KN_VERB_SESSION)) && !kn_api_req_can_defer(req))
                return kn_error_set(err, EOPNOTSUPP,
                                    "%s needs kvmnetd: it %s, which only the daemon does; it is "
                                    "not available offline (--root)",
                                    v->name,
                                    v->flags & KN_VERB_SESSION ? "follows events on a connection"
                                                               : "waits for events");

        /* A mutation the connection may make is an operation from here on:
         * its reply, success or error, and the events it causes carry its
         * id.  Refusals above are not operations. */
        if (v->flags & KN_VERB_MUTATES)
                req->op = kn_xasprintf("%s:%" PRIu64, req->api->boot, ++req->api->op_seq);

        _cleanup_json_ json_object *empty = NULL;
        if (!args || json_object_is_type(args, json_type_null))
                args = empty = json_object_new_object();
        int r = check_arg_names(v, args, err);
        if (r >= 0)
                r = refuse_no_live(req->api, v, args, err);
        if (r < 0)
                return r;
        req->result = json_object_new_object();
        req->running = true;
        const char *prev = kn_api_op_enter(req->api, req->op);
        r = v->run(req, args, req->result, err);
        kn_api_op_leave(req->api, prev);
        req->running = false;
        return r;
}

int kn_api_call(kn_api *api, kn_api_session *session, json_object *request, kn_api_flags flags,
                kn_api_done_fn done, void *userdata) {
        kn_api_req *req = kn_xcalloc(1, sizeof *req);
        json_object *id = NULL;
        kn_error err = {0};

        *req = (kn_api_req){
                .api = api,
                .session = session,
                .flags = flags,
                .done = done,
                .userdata = userdata,
        };
        if (json_object_is_type(request, json_type_object) &&
            json_object_object_get_ex(request, "id", &id))
                req->id = json_object_get(id);

        int r = dispatch(req, request, &err);
        if (r == KN_API_PENDING && req->finished_early) {
                r = req->early_r;
                err = req->early_err;
        }
        if (r == KN_API_PENDING) {
                if (!kn_api_req_can_defer(req))
                        abort(); /* a verb deferred where it may not */
                req->deferred = true;
                req->next = session->pending;
                if (req->next)
                        req->next->prev = req;
                session->pending = req;
                session->n_pending++;
                return KN_API_PENDING;
        }
        req_complete(req, r < 0 ? r : 0, &err);
        return 0;
}

typedef struct sync_reply {
        json_object *reply;
        int r;
} sync_reply;

static void sync_done(json_object *reply, int r, void *userdata) {
        sync_reply *s = userdata;
        s->reply = reply;
        s->r = r;
}

int kn_api_call_sync(kn_api *api, json_object *request, kn_api_flags flags, json_object **reply) {
        sync_reply s = {0};
        (void) kn_api_call(api, NULL, request, flags, sync_done, &s);
        *reply = s.reply;
        return s.r;
}

/* ---- The core module ---- */

#ifndef KN_VERSION
#define KN_VERSION "unknown"
#endif

static int run_hello(kn_api_req *req, json_object *args, json_object *result, kn_error *err) {
        kn_api *api = req->api;
        size_t n;
        const char *const *types = kn_api_event_types(&n);
        json_object *events = json_object_new_array_ext((int) n);
        for (size_t k = 0; k < n; k++)
                json_object_array_add(events, json_object_new_string(types[k]));
        json_object_object_add(result, "server", json_object_new_string("kvmnet"));
        json_object_object_add(result, "protocol", json_object_new_int(1));
        json_object_object_add(result, "version", json_object_new_string(KN_VERSION));
        json_object_object_add(result, "backend",
                               json_object_new_string(kn_config_backend_name(api->cfg)));
        json_object_object_add(result, "root", json_object_new_string(kn_config_root(api->cfg)));
        json_object_object_add(result, "netns", json_object_new_string(api->netns_name));
        json_object_object_add(result, "live", json_object_new_boolean(!api->no_live));
        json_object_object_add(result, "read_only",
                               json_object_new_boolean(req->flags & KN_API_READ_ONLY));
        json_object_object_add(result, "events", events);
        return 0;
}

/* Every verb and whether the read-only socket refuses it: what a client
 * (and the refusal test) learns from the table itself, not from a copy. */
static int run_verb_list(kn_api_req *req, json_object *args, json_object *result, kn_error *err) {
        json_object *verbs = json_object_new_array();
        for (size_t m = 0; m < ELEMENTSOF(modules); m++)
                for (size_t k = 0; k < modules[m]->n_verbs; k++) {
                        const kn_api_verb *v = &modules[m]->verbs[k];
                        json_object *o = json_object_new_object();
                        json_object_object_add(o, "name", json_object_new_string(v->name));
                        json_object_object_add(o, "mutates",
                                               json_object_new_boolean(v->flags & KN_VERB_MUTATES));
                        json_object_array_add(verbs, o);
                }
        json_object_object_add(result, "verbs", verbs);
        return 0;
}

static const char *const args_none[] = {NULL};

static const kn_api_verb core_verbs[] = {
        {"hello", 0, args_none, run_hello},
        {"verb-list", 0, args_none, run_verb_list},
};

const kn_api_module kn_api_module_core = {
        .name = "core",
        .verbs = core_verbs,
        .n_verbs = ELEMENTSOF(core_verbs),
};
