/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Guest verbs: definitions (guest-define, guest-undefine, guest-list,
 * guest-dumpxml), life cycle (guest-start, guest-stop, guest-adopt,
 * guest-info) and NIC hot-plug (attach-interface, attach-device,
 * detach-interface, detach-device, domiflist).  The work is the guest
 * registry's (src/guest), which reports structs; the protocol JSON of
 * every reply and guest-nic event is made here.  Verbs that wait on QEMU
 * finish from the loop. */
#include "api-internal.h"
#include "kvmnet/api-net.h"
#include "kvmnet/guest.h"
#include "kvmnet/vnet.h"

/* ---- structs to protocol JSON ---- */

static json_object *mac_json(const uint8_t mac[6]) {
        char s[18];
        kn_guest_mac_format(mac, s);
        return json_object_new_string(s);
}

static json_object *gnic_json(const kn_gnic_info *n) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "tap", json_object_new_string(n->tap));
        json_object_object_add(o, "mac", mac_json(n->mac));
        json_object_object_add(o, "type", json_object_new_string(n->type ? n->type : ""));
        json_object_object_add(o, "source", json_object_new_string(n->source ? n->source : ""));
        if (streq_ptr(n->type, "network")) /* the source is the network; its bridge: */
                json_object_object_add(o, "bridge", kn_json_string_or_null(n->bridge));
        json_object_object_add(o, "model", json_object_new_string(n->model ? n->model : ""));
        json_object_object_add(o, "queues", json_object_new_int((int) n->queues));
        json_object_object_add(o, "state", json_object_new_string(n->state));
        json_object_object_add(o, "device", json_object_new_string(n->device));
        json_object_object_add(o, "netdev", json_object_new_string(n->netdev));
        json_object_object_add(o, "root_port", kn_json_string_or_null(n->root_port));
        json_object_object_add(o, "vhost", json_object_new_boolean(n->vhost));
        return o;
}

/* {"machine"} and, for q35, "root_ports" and "free"; for pc "slots" and
 * "free" when they were counted. */
static json_object *hotplug_json(const kn_guest_hotplug *h) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "machine", json_object_new_string(h->q35 ? "q35" : "pc"));
        if (h->q35) {
                json_object_object_add(o, "root_ports", json_object_new_int((int) h->root_ports));
                json_object_object_add(o, "free", json_object_new_int((int) h->free));
        } else if (h->slots) {
                json_object_object_add(o, "slots", json_object_new_int((int) h->slots));
                json_object_object_add(o, "free", json_object_new_int((int) h->free));
        }
        return o;
}

static void put_name(json_object *result, const char *name) {
        json_object_object_add(result, "name", json_object_new_string(name ? name : ""));
}

static void publish(const kn_gnic_event *ev, void *userdata) {
        json_object *e = json_object_new_object();
        json_object_object_add(e, "event", json_object_new_string("guest-nic"));
        json_object_object_add(e, "action", json_object_new_string(ev->action));
        json_object_object_add(e, "guest", json_object_new_string(ev->guest));
        json_object_object_add(e, "mac", mac_json(ev->mac));
        json_object_object_add(e, "tap", json_object_new_string(ev->tap));
        json_object_object_add(e, "device", json_object_new_string(ev->device));
        json_object_object_add(e, "source", json_object_new_string(ev->source));
        if (ev->reason)
                json_object_object_add(e, "reason", json_object_new_string(ev->reason));
        /* Also long after the request (an unplug the guest completes late);
         * without one it is nobody's operation, whatever runs now. */
        json_object_object_add(e, "op", ev->op ? json_object_new_string(ev->op) : NULL);
        kn_api_publish(userdata, e);
        json_object_put(e);
}

/* A "guest" event.  op: the request's, or NULL for what happened by itself
 * (the event then names no operation, whatever runs now). */
static void publish_guest_event(kn_api *api, const kn_guest_event *ev, const char *op) {
        json_object *e = json_object_new_object();
        json_object_object_add(e, "event", json_object_new_string("guest"));
        json_object_object_add(e, "action", json_object_new_string(ev->action));
        json_object_object_add(e, "guest", json_object_new_string(ev->guest ? ev->guest : ""));
        if (ev->pid > 0)
                json_object_object_add(e, "pid", json_object_new_int(ev->pid));
        if (ev->reason)
                json_object_object_add(e, "reason", json_object_new_string(ev->reason));
        json_object_object_add(e, "op", op ? json_object_new_string(op) : NULL);
        kn_api_publish(api, e);
        json_object_put(e);
}

/* A guest's life cycle on behalf of the request, even when it finishes
 * from the loop, after its operation stopped running. */
static void publish_guest(kn_api_req *req, const char *action, const char *name, pid_t pid) {
        kn_guest_event ev = {.action = action, .guest = name, .pid = (int) pid};
        publish_guest_event(req->api, &ev, req->op);
}

static void publish_gone(const kn_guest_event *ev, void *userdata) {
        publish_guest_event(userdata, ev, NULL);
}

/* The registry's tap step through the worker queue: behind the live
 * changes queued before it (and a --confirm revert), ahead of those after. */
typedef struct guest_job {
        kn_guest_work_fn work;
        kn_guest_work_done_fn done;
        void *data;
} guest_job;

static int guest_job_work(kn_netns *ns, void *data, kn_error *err) {
        guest_job *j = data;
        return j->work(ns, j->data, err);
}

static void guest_job_after(void *data, int r, const kn_error *err) {
        guest_job *j = data;
        j->done(j->data, r, err);
        free(j);
}

static int run_ordered(kn_guest_work_fn work, kn_guest_work_done_fn done, void *data,
                       void *userdata, kn_error *err) {
        guest_job *j = kn_xmalloc(sizeof *j);
        *j = (guest_job){.work = work, .done = done, .data = data};
        int r = kn_api_offload(userdata, guest_job_work, guest_job_after, j, err);
        if (r < 0)
                free(j);
        return r;
}

/* --network NET and <interface type='network'>: the running network's
 * bridge (net.c), so the guest layer never depends on networks.  The name
 * is checked before it is part of a state-directory path. */
static int resolve_network(const char *network, char bridge[IFNAMSIZ], void *userdata,
                           kn_error *err) {
        int r = kn_object_name_validate(network, "network", err);
        return r < 0 ? r : kn_api_net_bridge(userdata, network, bridge, err);
}

kn_guest_registry *kn_api_guests(kn_api *api) {
        if (!api->guests) {
                _cleanup_free_ char *run = kn_xasprintf("%s/guests", kn_api_run_dir());
                api->guests = kn_guest_registry_new(api->state_dir ? api->state_dir : KN_STATE_DIR,
                                                    run, api->netns_name, api->loop);
                kn_guest_registry_set_logger(api->guests, api->log, api->log_data);
                kn_guest_registry_set_event_handler(api->guests, publish, api);
                kn_guest_registry_set_guest_event_handler(api->guests, publish_gone, api);
                kn_guest_registry_set_op_source(api->guests, &api->op);
                kn_guest_registry_set_runner(api->guests, run_ordered, api);
                kn_guest_registry_set_network_resolver(api->guests, resolve_network, api);
        }
        return api->guests;
}

void kn_api_set_guests(kn_api *api, kn_guest_registry *reg) {
        kn_guest_registry_free(api->guests);
        api->guests = reg;
}

/* A verb waiting on QEMU: the registry fills st or nr, the reply is made
 * from it once the operation is done. */
typedef struct guest_call {
        kn_api_req *req;
        void (*put)(json_object *result, const struct guest_call *c);
        const char *event; /* the "guest" event's action once done, NULL: none */
        kn_guest_status st;
        kn_gnic_result nr;
        bool timings;      /* the request asked for "timings" */
        int64_t t_request; /* CLOCK_MONOTONIC µs when the verb began */
} guest_call;

static guest_call *call_new(kn_api_req *req, void (*put)(json_object *, const guest_call *)) {
        guest_call *c = kn_xcalloc(1, sizeof *c);
        c->req = req;
        c->put = put;
        c->t_request = (int64_t) kn_loop_now_usec();
        return c;
}

static void call_free(guest_call *c) {
        kn_guest_status_done(&c->st);
        kn_gnic_result_done(&c->nr);
        free(c);
}

static void finish(int r, const kn_error *err, void *userdata) {
        guest_call *c = userdata;
        if (r >= 0)
                c->put(c->req->result, c);
        if (r >= 0 && c->event)
                publish_guest(c->req, c->event, c->st.name, c->st.pid);
        if (r < 0 && c->nr.n_undone)
                json_object_object_add(
                        c->req->result, "undone",
                        kn_api_strv_json((const char *const *) c->nr.undone, c->nr.n_undone));
        kn_api_req_finish(c->req, r, err);
        call_free(c);
}

/* The verb's return value; the call is done's to free unless it failed. */
static int pending(guest_call *c, int r) {
        if (r < 0)
                call_free(c);
        return r < 0 ? r : KN_API_PENDING;
}

static void put_start(json_object *result, const guest_call *c) {
        put_name(result, c->st.name);
        json_object_object_add(result, "pid", json_object_new_int(c->st.pid));
        json_object_object_add(result, "qmp", kn_json_string_or_null(c->st.qmp));
        json_object_object_add(result, "interfaces", json_object_new_int((int) c->st.n_interfaces));
}

static void put_stop(json_object *result, const guest_call *c) {
        put_name(result, c->st.name);
}

static void put_adopt(json_object *result, const guest_call *c) {
        put_name(result, c->st.name);
        json_object_object_add(result, "pid", json_object_new_int(c->st.pid));
        json_object_object_add(result, "machine",
                               json_object_new_string(c->st.hotplug.q35 ? "q35" : "pc"));
        json_object_object_add(result, "kvm", json_object_new_boolean(c->st.kvm));
}

static void put_info(json_object *result, const guest_call *c) {
        const kn_guest_status *s = &c->st;
        put_name(result, s->name);
        json_object_object_add(result, "state", json_object_new_string(s->state));
        json_object_object_add(result, "pid", json_object_new_int(s->pid));
        json_object_object_add(result, "adopted", json_object_new_boolean(s->adopted));
        json_object_object_add(result, "accel", json_object_new_string(s->kvm ? "kvm" : "tcg"));
        json_object_object_add(result, "vcpus", json_object_new_int((int) s->vcpus));
        json_object_object_add(result, "qmp", kn_json_string_or_null(s->qmp));
        json_object_object_add(result, "interfaces", json_object_new_int((int) s->n_interfaces));
        json_object_object_add(result, "hotplug", hotplug_json(&s->hotplug));
}

/* attach and detach */
static json_object *step_json(const char *name, int64_t at_us) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "step", json_object_new_string(name));
        json_object_object_add(o, "at_us", json_object_new_int64(at_us));
        return o;
}

/* "timings": [{"step": "request read", "at_us": T}, ..., {"step": "reply", ...}],
 * each the CLOCK_MONOTONIC time its step ended. */
static json_object *timings_json(const guest_call *c) {
        json_object *a = json_object_new_array();
        json_object_array_add(a, step_json("request read", c->t_request));
        for (unsigned k = 0; k < c->nr.timings.n; k++)
                json_object_array_add(
                        a, step_json(c->nr.timings.steps[k].name, c->nr.timings.steps[k].at_us));
        json_object_array_add(a, step_json("reply", (int64_t) kn_loop_now_usec()));
        return a;
}

static void put_nic(json_object *result, const guest_call *c) {
        put_name(result, c->nr.guest);
        json_object_object_add(result, "interface", gnic_json(&c->nr.nic));
        json_object_object_add(result, "elapsed_ms", json_object_new_double(c->nr.elapsed_ms));
        if (c->timings)
                json_object_object_add(result, "timings", timings_json(c));
}

/* call_new() for attach and detach: with "timings" if asked. */
static int nic_call_new(kn_api_req *req, const char *v, json_object *args, guest_call **ret,
                        kn_error *err) {
        bool timings;
        int r = kn_api_arg_bool(v, args, "timings", &timings, err);
        if (r < 0)
                return r;
        *ret = call_new(req, put_nic);
        (*ret)->timings = timings;
        return 0;
}

static int arg_name(const char *v, json_object *args, const char **ret, kn_error *err) {
        return kn_api_arg_string(v, args, "name", true, ret, err);
}

static int arg_mac(const char *v, json_object *args, bool required, uint8_t mac[6], bool *has,
                   kn_error *err) {
        const char *s;
        int r = kn_api_arg_string(v, args, "mac", required, &s, err);
        if (r < 0)
                return r;
        *has = s != NULL;
        if (s && kn_guest_mac_parse(s, mac) < 0)
                return kn_error_set(err, EINVAL,
                                    "%s: '%s' is not a MAC address (valid: six hex bytes, e.g. "
                                    "52:54:00:12:34:56)",
                                    v, s);
        return 0;
}

/* ---- definitions ---- */

static int run_define(kn_api_req *req, json_object *args, json_object *result, kn_error *err) {
        const char *xml;
        int r = kn_api_arg_string("guest-define", args, "xml", true, &xml, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *name = NULL;
        r = kn_guest_define(kn_api_guests(req->api), xml, &name, err);
        if (r < 0 && !strstr(err->message, "guest-define"))
                kn_error_prefix(err, "guest-define");
        if (r >= 0) {
                put_name(result, name);
                publish_guest(req, "defined", name, 0);
        }
        return r;
}

static int run_undefine(kn_api_req *req, json_object *args, json_object *result, kn_error *err) {
        const char *name;
        int r = arg_name("guest-undefine", args, &name, err);
        if (r < 0)
                return r;
        bool running = false;
        r = kn_guest_undefine(kn_api_guests(req->api), name, &running, err);
        if (r < 0) {
                kn_error_prefix(err, "guest-undefine");
                return r;
        }
        put_name(result, name);
        json_object_object_add(result, "running", json_object_new_boolean(running));
        publish_guest(req, "undefined", name, 0);
        return 0;
}

static int run_list(kn_api_req *req, json_object *args, json_object *result, kn_error *err) {
        kn_guest_status *list = NULL;
        size_t n = 0;
        int r = kn_guest_list(kn_api_guests(req->api), &list, &n, err);
        if (r < 0)
                return r;
        json_object *a = json_object_new_array();
        for (size_t k = 0; k < n; k++) {
                json_object *o = json_object_new_object();
                put_name(o, list[k].name);
                json_object_object_add(o, "state", json_object_new_string(list[k].state));
                json_object_object_add(o, "pid",
                                       list[k].pid ? json_object_new_int(list[k].pid) : NULL);
                json_object_object_add(o, "persistent",
                                       json_object_new_boolean(list[k].persistent));
                json_object_object_add(o, "adopted", json_object_new_boolean(list[k].adopted));
                json_object_array_add(a, o);
        }
        kn_guest_status_free_array(list, n);
        json_object_object_add(result, "guests", a);
        return 0;
}

static int run_dumpxml(kn_api_req *req, json_object *args, json_object *result, kn_error *err) {
        const char *name;
        int r = arg_name("guest-dumpxml", args, &name, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *xml = NULL;
        r = kn_guest_dumpxml(kn_api_guests(req->api), name, &xml, err);
        if (r < 0) {
                kn_error_prefix(err, "guest-dumpxml");
                return r;
        }
        put_name(result, name);
        json_object_object_add(result, "xml", json_object_new_string(xml));
        return 0;
}

/* ---- life cycle ---- */

static int run_start(kn_api_req *req, json_object *args, json_object *result, kn_error *err) {
        const char *name;
        int r = arg_name("guest-start", args, &name, err);
        if (r < 0)
                return r;
        guest_call *c = call_new(req, put_start);
        c->event = "started";
        return pending(c, kn_guest_start(kn_api_guests(req->api), name, &c->st, finish, c, err));
}

static int run_stop(kn_api_req *req, json_object *args, json_object *result, kn_error *err) {
        const char *name;
        int r = arg_name("guest-stop", args, &name, err);
        if (r < 0)
                return r;
        guest_call *c = call_new(req, put_stop);
        c->event = "stopped";
        return pending(c, kn_guest_stop(kn_api_guests(req->api), name, &c->st, finish, c, err));
}

static int run_adopt(kn_api_req *req, json_object *args, json_object *result, kn_error *err) {
        const char *name, *qmp;
        int r = arg_name("guest-adopt", args, &name, err);
        if (r >= 0)
                r = kn_api_arg_string("guest-adopt", args, "qmp", true, &qmp, err);
        if (r < 0)
                return r;
        guest_call *c = call_new(req, put_adopt);
        c->event = "adopted";
        return pending(c,
                       kn_guest_adopt(kn_api_guests(req->api), name, qmp, &c->st, finish, c, err));
}

static int run_info(kn_api_req *req, json_object *args, json_object *result, kn_error *err) {
        const char *name;
        int r = arg_name("guest-info", args, &name, err);
        if (r < 0)
                return r;
        guest_call *c = call_new(req, put_info);
        return pending(c, kn_guest_info(kn_api_guests(req->api), name, &c->st, finish, c, err));
}

static int run_domiflist(kn_api_req *req, json_object *args, json_object *result, kn_error *err) {
        const char *name;
        int r = arg_name("domiflist", args, &name, err);
        if (r < 0)
                return r;
        kn_gnic_info *nics = NULL;
        size_t n = 0;
        kn_guest_hotplug hp;
        r = kn_guest_domiflist(kn_api_guests(req->api), name, &nics, &n, &hp, err);
        if (r < 0)
                return r;
        json_object *a = json_object_new_array();
        for (size_t k = 0; k < n; k++)
                json_object_array_add(a, gnic_json(&nics[k]));
        kn_gnic_info_free_array(nics, n);
        put_name(result, name);
        json_object_object_add(result, "interfaces", a);
        json_object_object_add(result, "hotplug", hotplug_json(&hp));
        return 0;
}

/* ---- hot-plug ---- */

static int run_attach_interface(kn_api_req *req, json_object *args, json_object *result,
                                kn_error *err) {
        const char *v = "attach-interface";
        const char *name, *bridge, *network, *model, *target;
        kn_guest_nic nic = {.queues = 1};
        bool persistent;
        int64_t queues = 1;
        int r;
        if ((r = arg_name(v, args, &name, err)) < 0 ||
            (r = kn_api_arg_string(v, args, "bridge", false, &bridge, err)) < 0 ||
            (r = kn_api_arg_string(v, args, "network", false, &network, err)) < 0 ||
            (r = kn_api_arg_string(v, args, "model", false, &model, err)) < 0 ||
            (r = kn_api_arg_string(v, args, "target", false, &target, err)) < 0 ||
            (r = kn_api_arg_bool(v, args, "persistent", &persistent, err)) < 0 ||
            (r = kn_api_arg_uint(v, args, "queues", 256, &queues, err)) < 0 ||
            (r = arg_mac(v, args, false, nic.mac, &nic.has_mac, err)) < 0)
                return r;
        if (bridge && network)
                return kn_error_set(err, EINVAL,
                                    "%s %s: give a bridge or a network, not both (bridge %s, "
                                    "network %s)",
                                    v, name, bridge, network);
        if (!bridge && !network)
                return kn_error_set(err, EINVAL,
                                    "%s %s: argument 'bridge' or 'network' is required", v, name);
        if (queues < 1)
                return kn_error_set(err, EINVAL, "%s %s: queues must be at least 1", v, name);
        if (model && !streq(model, "virtio"))
                return kn_error_set(err, EINVAL,
                                    "%s %s: model '%s' is not supported (valid: virtio)", v, name,
                                    model);
        nic.type = (char *) (network ? "network" : "bridge");
        nic.source = (char *) (network ? network : bridge);
        nic.model = (char *) (model ? model : "virtio");
        nic.queues = (unsigned) queues;
        nic.target = (char *) target;
        guest_call *c;
        if ((r = nic_call_new(req, v, args, &c, err)) < 0)
                return r;
        return pending(c, kn_guest_attach(kn_api_guests(req->api), name, &nic, persistent, &c->nr,
                                          finish, c, err));
}

static int run_attach_device(kn_api_req *req, json_object *args, json_object *result,
                             kn_error *err) {
        const char *name, *xml;
        bool persistent;
        int r;
        if ((r = arg_name("attach-device", args, &name, err)) < 0 ||
            (r = kn_api_arg_string("attach-device", args, "xml", true, &xml, err)) < 0 ||
            (r = kn_api_arg_bool("attach-device", args, "persistent", &persistent, err)) < 0)
                return r;
        kn_guest_nic nic;
        r = kn_guest_nic_parse(xml, &nic, err);
        if (r < 0) {
                kn_error_prefix(err, "attach-device %s", name);
                return r;
        }
        if (streq(nic.model, "virtio") == false) {
                kn_error_set(err, EINVAL,
                             "attach-device %s: model '%s' is not supported (valid: virtio)", name,
                             nic.model);
                kn_guest_nic_done(&nic);
                return -EINVAL;
        }
        guest_call *c;
        if ((r = nic_call_new(req, "attach-device", args, &c, err)) < 0) {
                kn_guest_nic_done(&nic);
                return r;
        }
        r = kn_guest_attach(kn_api_guests(req->api), name, &nic, persistent, &c->nr, finish, c,
                            err);
        kn_guest_nic_done(&nic);
        return pending(c, r);
}

static int detach(kn_api_req *req, const char *v, json_object *args, json_object *result,
                  const uint8_t mac[6], kn_error *err) {
        const char *name;
        bool persistent;
        int64_t timeout = -1;
        int r;
        if ((r = arg_name(v, args, &name, err)) < 0 ||
            (r = kn_api_arg_bool(v, args, "persistent", &persistent, err)) < 0 ||
            (r = kn_api_arg_uint(v, args, "timeout_ms", 3600000, &timeout, err)) < 0)
                return r;
        guest_call *c;
        if ((r = nic_call_new(req, v, args, &c, err)) < 0)
                return r;
        return pending(c, kn_guest_detach(kn_api_guests(req->api), name, mac, persistent,
                                          (int) timeout, &c->nr, finish, c, err));
}

static int run_detach_interface(kn_api_req *req, json_object *args, json_object *result,
                                kn_error *err) {
        uint8_t mac[6];
        bool has;
        int r = arg_mac("detach-interface", args, true, mac, &has, err);
        if (r < 0)
                return r;
        return detach(req, "detach-interface", args, result, mac, err);
}

static int run_detach_device(kn_api_req *req, json_object *args, json_object *result,
                             kn_error *err) {
        const char *xml;
        int r = kn_api_arg_string("detach-device", args, "xml", true, &xml, err);
        if (r < 0)
                return r;
        kn_guest_nic nic;
        r = kn_guest_nic_parse(xml, &nic, err);
        if (r < 0) {
                kn_error_prefix(err, "detach-device");
                return r;
        }
        bool has = nic.has_mac;
        uint8_t mac[6];
        memcpy(mac, nic.mac, 6);
        kn_guest_nic_done(&nic);
        if (!has)
                return kn_error_set(err, EINVAL,
                                    "detach-device: the <interface> needs <mac address='...'/> "
                                    "to tell which NIC");
        json_object_object_del(args, "xml");
        return detach(req, "detach-device", args, result, mac, err);
}

static const char *const args_none[] = {NULL};
static const char *const args_name[] = {"name", NULL};
static const char *const args_xml[] = {"xml", NULL};
static const char *const args_adopt[] = {"name", "qmp", NULL};
static const char *const args_attach_if[] = {"name",   "bridge", "network",    "mac",     "model",
                                             "queues", "target", "persistent", "timings", NULL};
static const char *const args_attach_dev[] = {"name", "xml", "persistent", "timings", NULL};
static const char *const args_detach_if[] = {"name",       "mac",     "persistent",
                                             "timeout_ms", "timings", NULL};
static const char *const args_detach_dev[] = {"name",       "xml",     "persistent",
                                              "timeout_ms", "timings", NULL};

#define LIVE (KN_VERB_MUTATES | KN_VERB_EVENT_DRIVEN)

static const kn_api_verb guest_verbs[] = {
        {"guest-define", KN_VERB_MUTATES, args_xml, run_define},
        {"guest-undefine", KN_VERB_MUTATES, args_name, run_undefine},
        {"guest-list", 0, args_none, run_list},
        {"guest-dumpxml", 0, args_name, run_dumpxml},
        {"guest-start", LIVE, args_name, run_start},
        {"guest-stop", LIVE, args_name, run_stop},
        {"guest-adopt", LIVE, args_adopt, run_adopt},
        {"guest-info", KN_VERB_EVENT_DRIVEN, args_name, run_info},
        {"domiflist", 0, args_name, run_domiflist},
        {"attach-interface", LIVE, args_attach_if, run_attach_interface},
        {"attach-device", LIVE, args_attach_dev, run_attach_device},
        {"detach-interface", LIVE, args_detach_if, run_detach_interface},
        {"detach-device", LIVE, args_detach_dev, run_detach_device},
};

/* "guest": defined, undefined, started, stopped, adopted (by the verbs);
 * "guest-nic": NIC attached, unplug pending, removed (also when a pending
 * unplug completes long after its request), dropped by reconciliation. */
static const char *const guest_event_types[] = {"guest", "guest-nic", NULL};

const kn_api_module kn_api_module_guest = {
        .name = "guest",
        .verbs = guest_verbs,
        .n_verbs = ELEMENTSOF(guest_verbs),
        .event_types = guest_event_types,
};
