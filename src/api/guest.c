/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Guest verbs: definitions (guest-define, guest-undefine, guest-list,
 * guest-dumpxml), life cycle (guest-start, guest-stop, guest-adopt,
 * guest-info) and NIC hot-plug (attach-interface, attach-device,
 * detach-interface, detach-device, domiflist).  The work is the guest
 * registry's (src/guest); verbs that wait on QEMU finish from the loop. */
#include "api-internal.h"
#include "kvmnet/guest.h"

static void publish(json_object *event, void *userdata) {
        kn_api_publish(userdata, event);
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

kn_guest_registry *kn_api_guests(kn_api *api) {
        if (!api->guests) {
                api->guests = kn_guest_registry_new(api->state_dir ? api->state_dir : KN_STATE_DIR,
                                                    api->netns_name, api->loop);
                kn_guest_registry_set_logger(api->guests, api->log, api->log_data);
                kn_guest_registry_set_event_handler(api->guests, publish, api);
                kn_guest_registry_set_runner(api->guests, run_ordered, api);
        }
        return api->guests;
}

void kn_api_set_guests(kn_api *api, kn_guest_registry *reg) {
        kn_guest_registry_free(api->guests);
        api->guests = reg;
}

static void finish(int r, const kn_error *err, void *userdata) {
        kn_api_req_finish(userdata, r, err);
}

static int pending(int r) {
        return r < 0 ? r : KN_API_PENDING;
}

static int arg_name(const char *v, json_object *args, const char **ret, kn_error *err) {
        return kn_api_arg_string(v, args, "name", true, ret, err);
}

static int arg_uint(const char *v, json_object *args, const char *key, int64_t max, int64_t *ret,
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
        r = kn_guest_define(kn_api_guests(req->api), xml, result, err);
        if (r < 0 && !strstr(err->message, "guest-define"))
                kn_error_prefix(err, "guest-define");
        return r;
}

static int run_undefine(kn_api_req *req, json_object *args, json_object *result, kn_error *err) {
        const char *name;
        int r = arg_name("guest-undefine", args, &name, err);
        if (r < 0)
                return r;
        r = kn_guest_undefine(kn_api_guests(req->api), name, result, err);
        if (r < 0)
                kn_error_prefix(err, "guest-undefine");
        return r;
}

static int run_list(kn_api_req *req, json_object *args, json_object *result, kn_error *err) {
        return kn_guest_list(kn_api_guests(req->api), result, err);
}

static int run_dumpxml(kn_api_req *req, json_object *args, json_object *result, kn_error *err) {
        const char *name;
        int r = arg_name("guest-dumpxml", args, &name, err);
        if (r < 0)
                return r;
        r = kn_guest_dumpxml(kn_api_guests(req->api), name, result, err);
        if (r < 0)
                kn_error_prefix(err, "guest-dumpxml");
        return r;
}

/* ---- life cycle ---- */

static int run_start(kn_api_req *req, json_object *args, json_object *result, kn_error *err) {
        const char *name;
        int r = arg_name("guest-start", args, &name, err);
        if (r < 0)
                return r;
        return pending(kn_guest_start(kn_api_guests(req->api), name, result, finish, req, err));
}

static int run_stop(kn_api_req *req, json_object *args, json_object *result, kn_error *err) {
        const char *name;
        int r = arg_name("guest-stop", args, &name, err);
        if (r < 0)
                return r;
        return pending(kn_guest_stop(kn_api_guests(req->api), name, result, finish, req, err));
}

static int run_adopt(kn_api_req *req, json_object *args, json_object *result, kn_error *err) {
        const char *name, *qmp;
        int r = arg_name("guest-adopt", args, &name, err);
        if (r >= 0)
                r = kn_api_arg_string("guest-adopt", args, "qmp", true, &qmp, err);
        if (r < 0)
                return r;
        return pending(
                kn_guest_adopt(kn_api_guests(req->api), name, qmp, result, finish, req, err));
}

static int run_info(kn_api_req *req, json_object *args, json_object *result, kn_error *err) {
        const char *name;
        int r = arg_name("guest-info", args, &name, err);
        if (r < 0)
                return r;
        return pending(kn_guest_info(kn_api_guests(req->api), name, result, finish, req, err));
}

static int run_domiflist(kn_api_req *req, json_object *args, json_object *result, kn_error *err) {
        const char *name;
        int r = arg_name("domiflist", args, &name, err);
        if (r < 0)
                return r;
        return kn_guest_domiflist(kn_api_guests(req->api), name, result, err);
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
            (r = arg_uint(v, args, "queues", 256, &queues, err)) < 0 ||
            (r = arg_mac(v, args, false, nic.mac, &nic.has_mac, err)) < 0)
                return r;
        if (network)
                return kn_error_set(err, EOPNOTSUPP,
                                    "%s %s: --network arrives with virtual networks (a later "
                                    "release); use --bridge BRIDGE for now",
                                    v, name);
        if (!bridge)
                return kn_error_set(err, EINVAL, "%s %s: argument 'bridge' is required", v, name);
        if (queues < 1)
                return kn_error_set(err, EINVAL, "%s %s: queues must be at least 1", v, name);
        if (model && !streq(model, "virtio"))
                return kn_error_set(err, EINVAL,
                                    "%s %s: model '%s' is not supported (valid: virtio)", v, name,
                                    model);
        nic.type = (char *) "bridge";
        nic.source = (char *) bridge;
        nic.model = (char *) (model ? model : "virtio");
        nic.queues = (unsigned) queues;
        nic.target = (char *) target;
        return pending(kn_guest_attach(kn_api_guests(req->api), name, &nic, persistent, result,
                                       finish, req, err));
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
        r = kn_guest_attach(kn_api_guests(req->api), name, &nic, persistent, result, finish, req,
                            err);
        kn_guest_nic_done(&nic);
        return pending(r);
}

static int detach(kn_api_req *req, const char *v, json_object *args, json_object *result,
                  const uint8_t mac[6], kn_error *err) {
        const char *name;
        bool persistent;
        int64_t timeout = -1;
        int r;
        if ((r = arg_name(v, args, &name, err)) < 0 ||
            (r = kn_api_arg_bool(v, args, "persistent", &persistent, err)) < 0 ||
            (r = arg_uint(v, args, "timeout_ms", 3600000, &timeout, err)) < 0)
                return r;
        return pending(kn_guest_detach(kn_api_guests(req->api), name, mac, persistent,
                                       (int) timeout, result, finish, req, err));
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
static const char *const args_attach_if[] = {"name",   "bridge", "network",    "mac", "model",
                                             "queues", "target", "persistent", NULL};
static const char *const args_attach_dev[] = {"name", "xml", "persistent", NULL};
static const char *const args_detach_if[] = {"name", "mac", "persistent", "timeout_ms", NULL};
static const char *const args_detach_dev[] = {"name", "xml", "persistent", "timeout_ms", NULL};

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

/* NIC attached, unplug pending, removed (also when a pending unplug
 * completes long after its request), dropped by reconciliation. */
static const char *const guest_event_types[] = {"guest-nic", NULL};

const kn_api_module kn_api_module_guest = {
        .name = "guest",
        .verbs = guest_verbs,
        .n_verbs = ELEMENTSOF(guest_verbs),
        .event_types = guest_event_types,
};
