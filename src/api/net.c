/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Virtual network verbs (virsh's net-*): definitions through the store
 * under the root, running networks through src/vnet/network-start.  The
 * running handles live here, per kn_api; this is the one place their state
 * becomes protocol JSON. */
#include <arpa/inet.h>
#include <json-c/json.h>

#include "api-internal.h"
#include "kvmnet/api-net.h"
#include "kvmnet/guest.h"
#include "suggest.h"
#include "kvmnet/vnet.h"
#include "rootfs.h"
#include "strbuf.h"

typedef struct net_run_entry {
        char *name;
        kn_net_run *run;
} net_run_entry;

typedef struct net_state {
        kn_api *api;
        kn_root *root;
        kn_net_store *store;
        kn_loop *own_loop; /* offline CLI: dnsmasq is started on a loop of its own */
        net_run_entry *runs;
        size_t n_runs;
        struct net_state *next;
} net_state;

/* One per kn_api; the api has no slot of its own for it, and the list is
 * touched from the loop's thread only. */
static net_state *states;

static void log_line(kn_api *api, const char *fmt, ...) _printf_(2, 3);
static void log_line(kn_api *api, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *m = kn_xvasprintf(fmt, ap);
        va_end(ap);
        if (api->log)
                api->log(m, api->log_data);
}

/* Leases go out as "net-lease" events the moment dnsmasq writes them;
 * dnsmasq's deaths and restarts go to the log. */
static void net_event(const kn_net_event *ev, void *userdata) {
        kn_api *api = userdata;
        if (!ev->lease) {
                if (streq(ev->what, "dnsmasq-exited"))
                        log_line(api, "network %s: dnsmasq %d exited (status 0x%x); restarting",
                                 ev->network, ev->pid, (unsigned) ev->wstatus);
                else if (streq(ev->what, "dnsmasq-start-failed"))
                        log_line(api, "network %s: dnsmasq did not start: %s", ev->network,
                                 ev->message ? ev->message : "?");
                else if (streq(ev->what, "dnsmasq-started"))
                        log_line(api, "network %s: dnsmasq %d serves it", ev->network, ev->pid);
                return;
        }
        json_object *e = json_object_new_object();
        json_object_object_add(e, "event", json_object_new_string("net-lease"));
        json_object_object_add(e, "action", json_object_new_string(ev->what + strlen("lease-")));
        json_object_object_add(e, "network", json_object_new_string(ev->network));
        json_object_object_add(
                e, "family",
                json_object_new_string(ev->lease->family == AF_INET ? "ipv4" : "ipv6"));
        json_object_object_add(e, "ip", json_object_new_string(ev->lease->ip));
        if (ev->lease->mac[0])
                json_object_object_add(e, "mac", json_object_new_string(ev->lease->mac));
        if (ev->lease->hostname[0])
                json_object_object_add(e, "hostname", json_object_new_string(ev->lease->hostname));
        json_object_object_add(e, "expiry", json_object_new_int64(ev->lease->expiry));
        kn_api_publish(api, e);
        json_object_put(e);
}

/* A "net" event with the members of result (but "name": events say "network"). */
static void publish_net(kn_api *api, const char *action, const char *network, json_object *result) {
        json_object *e = json_object_new_object();
        json_object_object_add(e, "event", json_object_new_string("net"));
        json_object_object_add(e, "action", json_object_new_string(action));
        json_object_object_add(e, "network", json_object_new_string(network));
        json_object_object_foreach(result, key, val) {
                if (!streq(key, "name"))
                        json_object_object_add(e, key, json_object_get(val));
        }
        kn_api_publish(api, e);
        json_object_put(e);
}

static bool env_of(net_state *s, kn_net_env *e, kn_error *err) {
        kn_api *api = s->api;
        *e = (kn_net_env){.state_dir = api->state_dir ? api->state_dir : KN_STATE_DIR,
                          .on_event = api->loop ? net_event : NULL,
                          .userdata = api,
                          /* tests: a dnsmasq that fails, to see start undo itself */
                          .dnsmasq_exe = getenv("KVMNET_TEST_DNSMASQ")};
        if (!api->loop && !s->own_loop && kn_loop_new(&s->own_loop) < 0) {
                kn_error_set(err, ENOMEM, "cannot make an event loop");
                return false;
        }
        e->loop = api->loop ? api->loop : s->own_loop;
        if (api->no_live) {
                kn_error_set(err, EPERM, "no live state here: give --netns to run networks");
                return false;
        }
        e->ns = kn_api_netns(api, err);
        return e->ns != NULL;
}

/* ---- the default network, shipped on first run ---- */

static bool subnet_taken(const char *subnet, unsigned prefix, void *data) {
        kn_net_probe *p = data;
        return kn_net_probe_overlaps(p, subnet, prefix);
}

/* libvirt ships a default network with the package; kvmnet writes it the
 * first time it finds no networks directory.  Under --root DIR (an image,
 * a test) only when KVMNET_SHIP_DEFAULT_NETWORK=1: a test's root must not
 * grow a network that autostarts dnsmasq in the test's namespace. */
static void ship_default(net_state *s) {
        kn_api *api = s->api;
        const char *root = kn_config_root(api->cfg);
        if (!kn_net_store_first_run(s->store) ||
            (!streq_ptr(root, "/") && !streq_ptr(getenv("KVMNET_SHIP_DEFAULT_NETWORK"), "1")))
                return;
        kn_error err = {0};
        kn_net_probe *probe = NULL;
        kn_netns *ns = api->no_live ? NULL : kn_api_netns(api, &err);
        if (ns && kn_net_probe_open(ns, &probe, &err) < 0)
                log_line(api, "default network: cannot read the host's addresses: %s", err.message);
        unsigned x;
        kn_net *d = kn_net_default(probe ? subnet_taken : NULL, probe, &x);
        if (x != 122)
                log_line(api,
                         "default network: 192.168.122.0/24 overlaps %s; using 192.168.%u.0/24",
                         probe ? kn_net_probe_describe(probe, "192.168.122.0", 24) : "?", x);
        kn_net_probe_free(probe);
        kn_error_clear(&err);
        if (kn_net_store_define(s->store, d, NULL, NULL, NULL, &err) < 0 ||
            kn_net_store_set_autostart(s->store, "default", true, &err) < 0)
                log_line(api, "default network: %s", err.message);
}

static net_state *state(kn_api *api, kn_error *err) {
        for (net_state *s = states; s; s = s->next)
                if (s->api == api)
                        return s;
        net_state *s = kn_xcalloc(1, sizeof *s);
        s->api = api;
        int r = kn_root_open(kn_config_root(api->cfg), &s->root, err);
        if (r >= 0)
                r = kn_net_store_open(s->root, &s->store, err);
        if (r < 0) {
                kn_root_free(s->root);
                free(s);
                return NULL;
        }
        s->next = states;
        states = s;
        ship_default(s);
        return s;
}

void kn_api_net_release(kn_api *api) {
        for (net_state **p = &states; *p; p = &(*p)->next) {
                net_state *s = *p;
                if (s->api != api)
                        continue;
                *p = s->next;
                /* kvmnetd exits: networks stay up, a restart adopts them */
                for (size_t k = 0; k < s->n_runs; k++) {
                        kn_net_run_free(s->runs[k].run);
                        free(s->runs[k].name);
                }
                free(s->runs);
                kn_net_store_free(s->store);
                kn_root_free(s->root);
                kn_loop_free(s->own_loop);
                free(s);
                return;
        }
}

static net_run_entry *run_find(net_state *s, const char *name) {
        for (size_t k = 0; k < s->n_runs; k++)
                if (streq(s->runs[k].name, name))
                        return &s->runs[k];
        return NULL;
}

static void run_add(net_state *s, const char *name, kn_net_run *run) {
        if (!s->api->loop) {
                kn_net_run_free(run); /* offline: the network stays up without us */
                return;
        }
        s->runs = kn_xrealloc(s->runs, (s->n_runs + 1) * sizeof *s->runs);
        s->runs[s->n_runs++] = (net_run_entry){.name = kn_xstrdup(name), .run = run};
}

static void run_drop(net_state *s, net_run_entry *e) {
        free(e->name);
        size_t k = (size_t) (e - s->runs);
        memmove(e, e + 1, (s->n_runs - k - 1) * sizeof *e);
        s->n_runs--;
}

/* ---- helpers ---- */

/* A network's name or UUID; checked here, before it is part of any path
 * under the state directory. */
static int arg_name(const char *v, json_object *args, const char **ret, kn_error *err) {
        int r = kn_api_arg_string(v, args, "name", true, ret, err);
        if (r >= 0 && (r = kn_object_name_validate(*ret, "network", err)) < 0)
                kn_error_prefix(err, "%s", v);
        return r;
}

/* The error for a network that is not defined, naming the nearest one;
 * v (may be NULL) is the verb to put first. */
static int no_network(net_state *s, const char *v, const char *name, kn_error *err) {
        const kn_net *const *list;
        size_t n = kn_net_store_list(s->store, &list);
        kn_suggest near;
        kn_suggest_init(&near, name);
        for (size_t k = 0; k < n; k++)
                kn_suggest_add(&near, list[k]->name);
        const char *best = kn_suggest_result(&near);
        return kn_error_set(err, ENOENT, "%s%sno network named '%s'%s%s%s", v ? v : "",
                            v ? ": " : "", name, best ? " (did you mean '" : "", best ? best : "",
                            best ? "'?)" : "");
}

static const kn_net *lookup(net_state *s, const char *v, const char *name, kn_error *err) {
        const kn_net *n = kn_net_store_lookup(s->store, name);
        if (!n)
                no_network(s, v, name, err);
        return n;
}

/* The running definition (STATE/networks/NAME.xml) as a model, or NULL. */
static kn_net *running_def(net_state *s, const kn_net_env *e, const char *name) {
        net_run_entry *r = run_find(s, name);
        if (r)
                return kn_net_copy(kn_net_run_def(r->run));
        _cleanup_free_ char *path = kn_xasprintf("%s/networks/%s.xml", e->state_dir, name);
        kn_root *root = NULL;
        _cleanup_free_ char *xml = NULL;
        size_t len;
        kn_net *n = NULL;
        if (kn_root_open("/", &root, NULL) >= 0 && kn_root_read_file(root, path, &xml, &len) >= 0)
                (void) kn_net_parse_xml(xml, len, path, &n, NULL);
        kn_root_free(root);
        return n;
}

static void add_str(json_object *o, const char *k, const char *v) {
        json_object_object_add(o, k, v ? json_object_new_string(v) : NULL);
}

static json_object *subnets_json(const kn_net *n) {
        json_object *a = json_object_new_array();
        for (size_t k = 0; k < n->n_ips; k++) {
                char s[64];
                kn_net_ip_subnet(&n->ips[k], s, sizeof s);
                json_object_array_add(a, json_object_new_string(s));
        }
        return a;
}

static void describe(net_state *s, const kn_net_env *e, const kn_net *def, const char *name,
                     json_object *o) {
        char uuid[37];
        _cleanup_net_ kn_net *live = e ? running_def(s, e, name) : NULL;
        const kn_net *n = live ? live : def;
        kn_net_uuid_format(n->uuid, uuid);
        add_str(o, "name", n->name);
        add_str(o, "uuid", uuid);
        json_object_object_add(o, "active", json_object_new_boolean(live != NULL));
        json_object_object_add(o, "persistent", json_object_new_boolean(def != NULL));
        json_object_object_add(
                o, "autostart",
                json_object_new_boolean(def && kn_net_store_autostart(s->store, name)));
        add_str(o, "bridge", n->bridge);
        add_str(o, "forward",
                n->forward == KN_NET_ISOLATED ? "none" : kn_net_forward_to_string(n->forward));
        json_object_object_add(o, "subnets", subnets_json(n));
}

/* ---- definitions ---- */

typedef struct in_use_ctx {
        kn_netns *ns;
} in_use_ctx;

static bool link_exists(const char *name, void *data) {
        in_use_ctx *c = data;
        kn_iface *i = NULL;
        if (!c->ns || kn_live_read(c->ns, name, &i, NULL) < 0)
                return false;
        kn_iface_free(i);
        return true;
}

static int run_define(kn_api_req *req, json_object *args, json_object *result, kn_error *err) {
        const char *xml, *source;
        net_state *s = state(req->api, err);
        int r = kn_api_arg_string("net-define", args, "xml", true, &xml, err);
        if (r >= 0) /* the file the XML came from, for its errors (net-edit) */
                r = kn_api_arg_string("net-define", args, "source", false, &source, err);
        if (!s || r < 0)
                return s ? r : -err->code;
        kn_net *n = NULL;
        if ((r = kn_net_parse_xml(xml, strlen(xml), source ? source : "net-define XML", &n, err)) <
            0)
                return r;
        kn_error ignore = {0};
        in_use_ctx c = {.ns = req->api->no_live ? NULL : kn_api_netns(req->api, &ignore)};
        const kn_net *stored;
        if ((r = kn_net_store_define(s->store, n, link_exists, &c, &stored, err)) < 0) {
                kn_error_prefix(err, "net-define");
                return r;
        }
        describe(s, NULL, stored, stored->name, result);
        kn_api_publish_action(req->api, "net", "defined", "network", stored->name, NULL);
        return 0;
}

static int run_undefine(kn_api_req *req, json_object *args, json_object *result, kn_error *err) {
        const char *name;
        net_state *s = state(req->api, err);
        int r = arg_name("net-undefine", args, &name, err);
        if (!s || r < 0)
                return s ? r : -err->code;
        if ((r = kn_net_store_undefine(s->store, name, err)) < 0) {
                kn_error_prefix(err, "net-undefine");
                return r;
        }
        /* a network that does not run takes its leases along */
        kn_net_env e = {.state_dir = req->api->state_dir ? req->api->state_dir : KN_STATE_DIR};
        kn_error ignore = {0};
        (void) kn_net_purge(&e, name, &ignore);
        add_str(result, "name", name);
        kn_api_publish_action(req->api, "net", "undefined", "network", name, NULL);
        return 0;
}

static int run_list(kn_api_req *req, json_object *args, json_object *result, kn_error *err) {
        bool all;
        net_state *s = state(req->api, err);
        int r = kn_api_arg_bool("net-list", args, "all", &all, err);
        if (!s || r < 0)
                return s ? r : -err->code;
        kn_net_env e;
        kn_error ignore = {0};
        bool have_env = env_of(s, &e, &ignore);
        if (!have_env)
                e = (kn_net_env){.state_dir =
                                         req->api->state_dir ? req->api->state_dir : KN_STATE_DIR};
        json_object *a = json_object_new_array();
        const kn_net *const *list;
        size_t n = kn_net_store_list(s->store, &list);
        for (size_t k = 0; k < n; k++) {
                if (!all && !kn_net_running(&e, list[k]->name))
                        continue;
                json_object *o = json_object_new_object();
                describe(s, &e, list[k], list[k]->name, o);
                json_object_array_add(a, o);
        }
        /* running without a definition (undefined while active) */
        char **running = NULL;
        size_t nr = 0;
        (void) kn_net_running_list(&e, &running, &nr);
        for (size_t k = 0; k < nr; k++) {
                if (kn_net_store_lookup(s->store, running[k]))
                        continue;
                _cleanup_net_ kn_net *live = running_def(s, &e, running[k]);
                if (!live)
                        continue;
                json_object *o = json_object_new_object();
                describe(s, &e, NULL, running[k], o);
                json_object_array_add(a, o);
        }
        kn_strv_free(running, nr);
        json_object_object_add(result, "networks", a);
        const char *const *errors;
        size_t ne = kn_net_store_errors(s->store, &errors);
        if (ne)
                json_object_object_add(result, "errors", kn_api_strv_json(errors, ne));
        return 0;
}

static int run_info(kn_api_req *req, json_object *args, json_object *result, kn_error *err) {
        const char *name;
        net_state *s = state(req->api, err);
        int r = arg_name("net-info", args, &name, err);
        if (!s || r < 0)
                return s ? r : -err->code;
        kn_net_env e;
        kn_error ignore = {0};
        if (!env_of(s, &e, &ignore))
                e = (kn_net_env){.state_dir =
                                         req->api->state_dir ? req->api->state_dir : KN_STATE_DIR};
        const kn_net *def = kn_net_store_lookup(s->store, name);
        _cleanup_net_ kn_net *live = running_def(s, &e, name);
        if (!def && !live)
                return no_network(s, "net-info", name, err);
        describe(s, &e, def, def ? def->name : name, result);
        net_run_entry *run = run_find(s, def ? def->name : name);
        if (run && kn_net_run_dnsmasq_pid(run->run) > 0) {
                json_object_object_add(result, "dnsmasq_pid",
                                       json_object_new_int(kn_net_run_dnsmasq_pid(run->run)));
                json_object_object_add(result, "dnsmasq_adopted",
                                       json_object_new_boolean(kn_net_run_adopted(run->run)));
        }
        return 0;
}

static int run_dumpxml(kn_api_req *req, json_object *args, json_object *result, kn_error *err) {
        const char *name;
        bool inactive;
        net_state *s = state(req->api, err);
        int r = arg_name("net-dumpxml", args, &name, err);
        if (r >= 0)
                r = kn_api_arg_bool("net-dumpxml", args, "inactive", &inactive, err);
        if (!s || r < 0)
                return s ? r : -err->code;
        kn_net_env e = {.state_dir = req->api->state_dir ? req->api->state_dir : KN_STATE_DIR};
        _cleanup_net_ kn_net *live = inactive ? NULL : running_def(s, &e, name);
        const kn_net *n = live ? live : kn_net_store_lookup(s->store, name);
        if (!n)
                return no_network(s, "net-dumpxml", name, err);
        _cleanup_free_ char *xml = kn_net_format_xml(n);
        add_str(result, "xml", xml);
        return 0;
}

static int run_autostart(kn_api_req *req, json_object *args, json_object *result, kn_error *err) {
        const char *name;
        bool disable;
        net_state *s = state(req->api, err);
        int r = arg_name("net-autostart", args, &name, err);
        if (r >= 0)
                r = kn_api_arg_bool("net-autostart", args, "disable", &disable, err);
        if (!s || r < 0)
                return s ? r : -err->code;
        if ((r = kn_net_store_set_autostart(s->store, name, !disable, err)) < 0) {
                kn_error_prefix(err, "net-autostart");
                return r;
        }
        add_str(result, "name", name);
        json_object_object_add(result, "autostart", json_object_new_boolean(!disable));
        publish_net(req->api, "autostart", name, result);
        return 0;
}

/* ---- life cycle ---- */

static int start_one(net_state *s, const kn_net *def, json_object *result, kn_error *err) {
        kn_net_env e;
        if (!env_of(s, &e, err))
                return -err->code;
        kn_net_run *run = NULL;
        char **undone = NULL;
        size_t n_undone = 0;
        int r = kn_net_start(&e, def, &run, &undone, &n_undone, err);
        if (r < 0) {
                /* The error reply carries it (kvmnet --verbose, exit 9). */
                if (result && n_undone)
                        json_object_object_add(
                                result, "undone",
                                kn_api_strv_json((const char *const *) undone, n_undone));
                kn_strv_free(undone, n_undone);
                return r;
        }
        if (result) {
                add_str(result, "name", def->name);
                add_str(result, "bridge", def->bridge);
                if (kn_net_run_dnsmasq_pid(run) > 0)
                        json_object_object_add(result, "dnsmasq_pid",
                                               json_object_new_int(kn_net_run_dnsmasq_pid(run)));
        }
        run_add(s, def->name, run);
        kn_api_publish_action(s->api, "net", "started", "network", def->name, "bridge", def->bridge,
                              NULL);
        return 0;
}

static int run_start(kn_api_req *req, json_object *args, json_object *result, kn_error *err) {
        const char *name;
        net_state *s = state(req->api, err);
        int r = arg_name("net-start", args, &name, err);
        if (!s || r < 0)
                return s ? r : -err->code;
        const kn_net *def = lookup(s, "net-start", name, err);
        return def ? start_one(s, def, result, err) : -err->code;
}

/* Guests' NICs on the network (type 'network', or a bridge NIC on its
 * bridge) keep it: net-destroy names them and needs --force.  (Taps the
 * guest registry does not know are the bridge-port check's below.) */
static int guests_check(kn_api *api, const char *name, bool force, kn_error *err) {
        net_state *s = state(api, err);
        kn_net_env e = {.state_dir = api->state_dir ? api->state_dir : KN_STATE_DIR};
        _cleanup_net_ kn_net *live = s && api->guests && !force ? running_def(s, &e, name) : NULL;
        kn_gnic_result *u = NULL;
        size_t n = live ? kn_guest_nics_on(api->guests, name, live->bridge, &u) : 0;
        if (!n)
                return 0;
        /* "g1 (kvn0, kvn2), g2 (kvn1)": a guest's NICs come together */
        _cleanup_strbuf_ kn_strbuf b = {0};
        unsigned guests = 0;
        for (size_t k = 0; k < n; k++) {
                bool same = k && streq(u[k].guest, u[k - 1].guest);
                guests += !same;
                kn_strbuf_printf(&b, "%s%s%s%s", k ? (same ? ", " : "), ") : "",
                                 same ? "" : u[k].guest, same ? "" : " (", u[k].nic.tap);
        }
        kn_strbuf_puts(&b, ")");
        for (size_t k = 0; k < n; k++)
                kn_gnic_result_done(&u[k]);
        free(u);
        return kn_error_set(err, EBUSY,
                            "network %s is in use by guest%s %s; detach %s or give --force", name,
                            guests > 1 ? "s" : "", b.s, n > 1 ? "the NICs" : "the NIC");
}

static int run_destroy(kn_api_req *req, json_object *args, json_object *result, kn_error *err) {
        const char *name;
        bool force;
        net_state *s = state(req->api, err);
        int r = arg_name("net-destroy", args, &name, err);
        if (r >= 0)
                r = kn_api_arg_bool("net-destroy", args, "force", &force, err);
        if (!s || r < 0)
                return s ? r : -err->code;
        if ((r = guests_check(req->api, name, force, err)) < 0) {
                kn_error_prefix(err, "net-destroy");
                return r;
        }
        kn_net_env e;
        if (!env_of(s, &e, err))
                return -err->code;
        net_run_entry *run = run_find(s, name);
        if (run) {
                kn_net_run *h = run->run;
                /* the handle goes whatever the outcome, except a refusal */
                _cleanup_free_ char *taps = NULL;
                r = kn_live_guest_taps(e.ns, kn_net_run_def(h)->bridge, &taps, err);
                if (r > 0 && !force)
                        r = kn_error_set(err, EBUSY,
                                         "network %s is in use by guest NICs (%s on %s); detach "
                                         "them or give --force",
                                         name, taps, kn_net_run_def(h)->bridge);
                else {
                        kn_error_clear(err);
                        run_drop(s, run);
                        r = kn_net_destroy(h, true, err);
                }
        } else
                r = kn_net_destroy_stale(&e, name, force, err);
        if (r < 0) {
                kn_error_prefix(err, "net-destroy");
                return r;
        }
        add_str(result, "name", name);
        kn_api_publish_action(req->api, "net", "destroyed", "network", name, NULL);
        return 0;
}

/* ---- leases, update ---- */

static int run_leases(kn_api_req *req, json_object *args, json_object *result, kn_error *err) {
        const char *name, *mac;
        net_state *s = state(req->api, err);
        int r = arg_name("net-dhcp-leases", args, &name, err);
        if (r >= 0)
                r = kn_api_arg_string("net-dhcp-leases", args, "mac", false, &mac, err);
        if (!s || r < 0)
                return s ? r : -err->code;
        kn_net_env e = {.state_dir = req->api->state_dir ? req->api->state_dir : KN_STATE_DIR};
        const kn_net *def = kn_net_store_lookup(s->store, name);
        _cleanup_net_ kn_net *live = running_def(s, &e, name);
        if (!def && !live)
                return no_network(s, "net-dhcp-leases", name, err);
        kn_net_lease *l = NULL;
        size_t n = 0;
        if ((r = kn_net_leases(&e, live ? live->name : def->name, &l, &n, err)) < 0)
                return r;
        const kn_net *net = live ? live : def;
        json_object *a = json_object_new_array();
        for (size_t k = 0; k < n; k++) {
                if (mac && strcasecmp(mac, l[k].mac) != 0)
                        continue;
                json_object *o = json_object_new_object();
                unsigned prefix = l[k].family == AF_INET ? 32 : 128;
                for (size_t j = 0; j < net->n_ips; j++)
                        if (net->ips[j].family == l[k].family &&
                            kn_net_subnets_overlap(l[k].family, l[k].ip, prefix,
                                                   net->ips[j].address, net->ips[j].prefix))
                                prefix = net->ips[j].prefix;
                add_str(o, "mac", l[k].mac[0] ? l[k].mac : NULL);
                add_str(o, "ip", l[k].ip);
                json_object_object_add(o, "prefix", json_object_new_int((int) prefix));
                add_str(o, "family", l[k].family == AF_INET ? "ipv4" : "ipv6");
                add_str(o, "hostname", l[k].hostname[0] ? l[k].hostname : NULL);
                add_str(o, "client_id", l[k].client_id[0] ? l[k].client_id : NULL);
                json_object_object_add(o, "expiry", json_object_new_int64(l[k].expiry));
                json_object_array_add(a, o);
        }
        free(l);
        add_str(result, "name", net->name);
        add_str(result, "bridge", net->bridge);
        json_object_object_add(result, "leases", a);
        return 0;
}

static void net_run_freep(kn_net_run **r) {
        kn_net_run_free(*r);
}

static int run_update(kn_api_req *req, json_object *args, json_object *result, kn_error *err) {
        const char *v = "net-update", *name, *command, *section, *xml;
        bool live_only, config_only;
        net_state *s = state(req->api, err);
        int r;
        if (!s)
                return -err->code;
        if ((r = arg_name(v, args, &name, err)) < 0 ||
            (r = kn_api_arg_string(v, args, "command", true, &command, err)) < 0 ||
            (r = kn_api_arg_string(v, args, "section", true, &section, err)) < 0 ||
            (r = kn_api_arg_string(v, args, "xml", true, &xml, err)) < 0 ||
            (r = kn_api_arg_bool(v, args, "live", &live_only, err)) < 0 ||
            (r = kn_api_arg_bool(v, args, "config", &config_only, err)) < 0)
                return r;
        bool add = streq(command, "add");
        if (!add && !streq(command, "delete"))
                return kn_error_set(err, EINVAL,
                                    "net-update: command '%s' is not supported (valid: add, "
                                    "delete)",
                                    command);
        kn_net_section sec;
        if (streq(section, "ip-dhcp-host"))
                sec = KN_NET_SECTION_DHCP_HOST;
        else if (streq(section, "dns-host"))
                sec = KN_NET_SECTION_DNS_HOST;
        else
                return kn_error_set(err, EINVAL,
                                    "net-update: section '%s' is not supported (valid: "
                                    "ip-dhcp-host, dns-host)",
                                    section);
        const kn_net *def = kn_net_store_lookup(s->store, name);
        net_run_entry *run = run_find(s, name);
        /* a network that runs without a handle here (the offline CLI):
         * adopted for this change, left running after it */
        _cleanup_(net_run_freep) kn_net_run *tmp = NULL;
        kn_net_run *h = run ? run->run : NULL;
        kn_net_env e;
        kn_error ignore = {0};
        if (!h && env_of(s, &e, &ignore) && kn_net_running(&e, name)) {
                if ((r = kn_net_adopt(&e, name, &tmp, err)) < 0)
                        return r;
                h = tmp;
        }
        bool do_config = def && !live_only, do_live = h && !config_only;
        if (live_only && !h)
                return kn_error_set(err, EINVAL, "net-update: network %s is not active", name);
        if (!do_config && !do_live)
                return no_network(s, "net-update", name, err);
        /* both copies are changed first, then written: a refusal changes
         * neither */
        _cleanup_net_ kn_net *c = do_config ? kn_net_copy(def) : NULL;
        _cleanup_net_ kn_net *l = do_live ? kn_net_copy(kn_net_run_def(h)) : NULL;
        if ((c && (r = kn_net_update(c, add, sec, xml, err)) < 0) ||
            (l && (r = kn_net_update(l, add, sec, xml, err)) < 0)) {
                kn_error_prefix(err, "net-update");
                return r;
        }
        if (c && (r = kn_net_store_define(s->store, TAKE_PTR(c), NULL, NULL, NULL, err)) < 0)
                return r;
        if (l && (r = kn_net_run_update(h, l, err)) < 0)
                return r;
        add_str(result, "name", name);
        json_object_object_add(result, "config", json_object_new_boolean(do_config));
        json_object_object_add(result, "live", json_object_new_boolean(do_live));
        _cleanup_json_ json_object *what = json_object_new_object();
        add_str(what, "command", command);
        add_str(what, "section", section);
        json_object_object_add(what, "config", json_object_new_boolean(do_config));
        json_object_object_add(what, "live", json_object_new_boolean(do_live));
        publish_net(req->api, "updated", name, what);
        return 0;
}

/* ---- guests on networks ---- */

int kn_api_net_bridge(kn_api *api, const char *network, char bridge[16], kn_error *err) {
        net_state *s = state(api, err);
        if (!s)
                return -err->code;
        kn_net_env e = {.state_dir = api->state_dir ? api->state_dir : KN_STATE_DIR};
        _cleanup_net_ kn_net *live = running_def(s, &e, network);
        if (!live) {
                if (!kn_net_store_lookup(s->store, network))
                        return no_network(s, NULL, network, err);
                return kn_error_set(err, ENETDOWN, "network %s is not active (net-start %s)",
                                    network, network);
        }
        snprintf(bridge, 16, "%s", live->bridge);
        return 0;
}

/* ---- kvmnetd start ---- */

void kn_api_net_boot(kn_api *api) {
        kn_error err = {0};
        net_state *s = state(api, &err);
        if (!s) {
                log_line(api, "networks: %s", err.message);
                return;
        }
        kn_net_env e = {.state_dir = api->state_dir ? api->state_dir : KN_STATE_DIR};
        char **names = NULL;
        size_t n = 0, n_auto = 0;
        kn_net_clean_temps(&e);
        (void) kn_net_running_list(&e, &names, &n);
        const kn_net *const *list;
        size_t nl = kn_net_store_list(s->store, &list);
        for (size_t k = 0; k < nl; k++)
                n_auto += kn_net_store_autostart(s->store, list[k]->name);
        /* nothing ran, nothing to start: the namespace is not even opened */
        if ((n == 0 && n_auto == 0) || !env_of(s, &e, &err)) {
                if (err.code)
                        log_line(api, "networks: %s", err.message);
                kn_strv_free(names, n);
                return;
        }
        /* running before the restart: adopt (dnsmasq keeps its leases) */
        for (size_t k = 0; k < n; k++) {
                kn_net_run *run = NULL;
                kn_error_clear(&err);
                if (kn_net_adopt(&e, names[k], &run, &err) < 0)
                        log_line(api, "%s", err.message);
                else {
                        log_line(api, "network %s: adopted (dnsmasq pid %d)", names[k],
                                 kn_net_run_dnsmasq_pid(run));
                        run_add(s, names[k], run);
                }
        }
        kn_strv_free(names, n);
        for (size_t k = 0; k < nl; k++) {
                if (!kn_net_store_autostart(s->store, list[k]->name) ||
                    kn_net_running(&e, list[k]->name))
                        continue;
                kn_error_clear(&err);
                if (start_one(s, list[k], NULL, &err) < 0)
                        log_line(api, "autostart: %s", err.message);
                else
                        log_line(api, "network %s: autostarted on %s", list[k]->name,
                                 list[k]->bridge);
        }
}

static const char *const args_name[] = {"name", NULL};
static const char *const args_define[] = {"xml", "source", NULL};
static const char *const args_list[] = {"all", NULL};
static const char *const args_dump[] = {"name", "inactive", NULL};
static const char *const args_auto[] = {"name", "disable", NULL};
static const char *const args_destroy[] = {"name", "force", NULL};
static const char *const args_leases[] = {"name", "mac", NULL};
static const char *const args_update[] = {"name", "command", "section", "xml",
                                          "live", "config",  NULL};

#define LIVE (KN_VERB_MUTATES | KN_VERB_LIVE)

static const kn_api_verb net_verbs[] = {
        {"net-define", KN_VERB_MUTATES, args_define, run_define},
        {"net-undefine", KN_VERB_MUTATES, args_name, run_undefine},
        {"net-start", LIVE, args_name, run_start},
        {"net-destroy", LIVE, args_destroy, run_destroy},
        {"net-list", 0, args_list, run_list},
        {"net-info", 0, args_name, run_info},
        {"net-dumpxml", 0, args_dump, run_dumpxml},
        {"net-autostart", KN_VERB_MUTATES, args_auto, run_autostart},
        {"net-dhcp-leases", 0, args_leases, run_leases},
        {"net-update", KN_VERB_MUTATES, args_update, run_update},
};

/* A lease given, renewed or gone, at once (dnsmasq's lease file, inotify);
 * a network defined, undefined, started (also by autostart), destroyed. */
static const char *const net_event_types[] = {"net-lease", "net", NULL};

const kn_api_module kn_api_module_net = {
        .name = "net",
        .verbs = net_verbs,
        .n_verbs = ELEMENTSOF(net_verbs),
        .event_types = net_event_types,
};
