/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* iface-bridge and iface-unbridge: virsh's verbs, in the configuration
 * and live at once, in one transaction.  The configuration is changed
 * first (a refusal there changes nothing live); then the worker moves the
 * NIC live (src/live/bridge.c); if that fails, the old definitions come
 * back. */
#include <net/if.h>

#include "api-internal.h"
#include "kvmnet/manager.h"

typedef struct bridge_job {
        bool bridge; /* else unbridge */
        char nic[IFNAMSIZ], br[IFNAMSIZ];
        kn_live_bridge_opts opts;
        int64_t dhcp_timeout_ms; /* the lease's wait where it moves; 0: the default */
        bool ran;                /* bridge_work() ran: live's undone steps are ours */
        bool start;              /* live too (not --no-start) */
        kn_iface *old_nic;       /* configured definitions before, to put back on failure */
        kn_iface *old_br;
        kn_iface *new_def; /* what was defined */
        kn_api_change change;
        kn_live_txn *live;
        size_t mark;           /* steps of live before this change */
        const char *backend;   /* for the manager's detection */
        kn_manager_report mgr; /* what a manager did (via NONE: netlink) */
} bridge_job;

static void job_free(bridge_job *j) {
        kn_iface_free(j->old_nic);
        kn_iface_free(j->old_br);
        kn_iface_free(j->new_def);
        kn_manager_report_clear(&j->mgr);
        free(j);
}

/* Move the IP configuration (and start mode, MTU) of `from` to `to`. */
static void move_ip(kn_iface *from, kn_iface *to) {
        to->ipv4 = from->ipv4;
        to->ipv6 = from->ipv6;
        from->ipv4 = (kn_protocol){0};
        from->ipv6 = (kn_protocol){0};
        to->start = from->start ? from->start : KN_START_ONBOOT;
        from->start = 0;
        if (from->mtu)
                to->mtu = from->mtu;
        from->mtu = 0; /* a port's MTU is its master's */
}

/* ---- the live part ---- */

static int bridge_steps(kn_netns *ns, void *data, kn_error *err) {
        bridge_job *j = data;
        /* A network manager serving the namespace does it (docs/managers.md). */
        int rm = 0;
        if (j->bridge)
                rm = kn_manager_bridge(ns, j->backend, j->nic, j->br, &j->mgr, err);
        else if (j->nic[0])
                rm = kn_manager_unbridge(ns, j->backend, j->nic, j->br, j->opts.force, j->live,
                                         &j->mgr, err);
        if (j->mgr.via != KN_MANAGER_NONE)
                return rm;
        if (j->bridge)
                return kn_live_bridge(ns, j->nic, j->br, &j->opts, j->live, err);
        return kn_live_unbridge(ns, j->br, j->opts.force, j->live, j->nic, err);
}

static int bridge_work(kn_netns *ns, void *data, kn_error *err) {
        bridge_job *j = data;
        j->ran = true;
        return kn_api_live_change(ns, j->live, j->dhcp_timeout_ms, bridge_steps, j, err);
}

/* The definitions as they were: the new one goes, the old ones return. */
static void restore_config(kn_config *cfg, bridge_job *j) {
        kn_error e = {0};
        if (j->new_def)
                (void) kn_config_undefine(cfg, j->new_def->name, &e);
        if (j->old_br)
                (void) kn_config_define(cfg, j->old_br, &e);
        if (j->old_nic)
                (void) kn_config_define(cfg, j->old_nic, &e);
}

static int bridge_after(kn_api_req *req, int r, json_object *result, kn_error *err, void *data) {
        bridge_job *j = data;
        const char *verb = j->bridge ? "iface-bridge" : "iface-unbridge";
        if (r < 0) {
                if (err->code)
                        kn_error_prefix(err, "%s", verb);
                restore_config(req->api->cfg, j);
        }
        size_t n = kn_live_txn_size(j->live);
        json_object *steps = json_object_new_array();
        for (size_t k = j->mark; k < n; k++)
                json_object_array_add(steps, json_object_new_string(kn_live_txn_step(j->live, k)));
        for (size_t k = 0; k < j->mgr.n_steps; k++)
                json_object_array_add(steps, json_object_new_string(j->mgr.steps[k]));
        /* Before kn_api_change_end(), which may free j->live. */
        if (r < 0 && j->ran && j->mgr.via == KN_MANAGER_NONE)
                kn_api_put_undone(result, j->live);
        r = kn_api_change_end(req, &j->change, r, result, err);
        if (r >= 0) {
                json_object_object_add(result, "interface", json_object_new_string(j->nic));
                json_object_object_add(result, "bridge", json_object_new_string(j->br));
                json_object_object_add(result, "live", json_object_new_boolean(j->start));
                json_object_object_add(result, "changes", steps);
                const char *via = kn_manager_kind_to_string(j->mgr.via);
                json_object_object_add(result, "via", json_object_new_string(via));
                kn_api_publish_action(req->api, "iface", j->bridge ? "bridged" : "unbridged",
                                      "name", j->nic[0] ? j->nic : NULL, "bridge", j->br, NULL);
        } else
                json_object_put(steps);
        job_free(j);
        return r;
}

static int go(kn_api_req *req, bridge_job *j, double confirm, kn_error *err) {
        const char *verb = j->bridge ? "iface-bridge" : "iface-unbridge";
        j->backend = kn_config_backend_name(req->api->cfg);
        int r = kn_api_change_begin(req, verb, j->br, KN_CHANGE_SHARED, confirm, &j->change, err);
        if (r < 0) {
                job_free(j);
                return r;
        }
        j->live = kn_api_change_live(&j->change);
        j->mark = kn_live_txn_size(j->live);
        kn_config *cfg = req->api->cfg;
        if (j->bridge)
                r = kn_config_define(cfg, j->new_def, err);
        else if (j->old_br) {
                r = kn_config_undefine(cfg, j->br, err);
                if (r >= 0 && j->new_def) {
                        r = kn_config_define(cfg, j->new_def, err);
                        if (r < 0) {
                                kn_error e = {0};
                                (void) kn_config_define(cfg, j->old_br, &e);
                        }
                }
        }
        if (r < 0) {
                j->new_def = kn_iface_free(j->new_def); /* nothing was defined */
                return bridge_after(req, r, req->result, err, j);
        }
        if (!j->start)
                return bridge_after(req, 0, req->result, err, j);
        return kn_api_req_offload(req, bridge_work, bridge_after, j, err);
}

/* ---- iface-bridge ---- */

static int arg_number(const char *verb, json_object *args, const char *key, double *ret,
                      kn_error *err) {
        json_object *o = NULL;
        if (!json_object_object_get_ex(args, key, &o) || json_object_is_type(o, json_type_null))
                return 0;
        if (!json_object_is_type(o, json_type_int) && !json_object_is_type(o, json_type_double))
                return kn_error_set(err, EINVAL, "%s: argument '%s' must be a number", verb, key);
        *ret = json_object_get_double(o);
        return 0;
}

/* The NIC's definition: configured, else what the kernel has. */
static int nic_base(kn_api_req *req, const char *nic, const char *br, kn_iface **ret,
                    bool *configured, kn_error *err) {
        kn_config *cfg = req->api->cfg;
        const kn_iface *top = NULL;
        const kn_iface *i = kn_config_lookup(cfg, nic, &top);
        if (i && i != top)
                return kn_error_set(err, EBUSY,
                                    "iface-bridge: '%s' is already a %s of %s '%s' in the "
                                    "configuration",
                                    nic, top->type == KN_IFACE_BOND ? "slave" : "port",
                                    kn_iface_type_to_string(top->type), top->name);
        *configured = i != NULL;
        kn_error e = {0};
        kn_netns *ns = kn_api_netns(req->api, &e);
        _cleanup_iface_ kn_iface *live = NULL;
        if (ns)
                (void) kn_live_read(ns, nic, &live, &e);
        if (!i && !live)
                return kn_error_set(err, ENODEV, "iface-bridge: no interface named '%s'%s", nic,
                                    kn_api_in_netns(req->api));
        _cleanup_iface_ kn_iface *other = NULL;
        if (ns && kn_live_read(ns, br, &other, &e) >= 0)
                return kn_error_set(err, EEXIST, "iface-bridge: '%s' exists already (a live %s)%s",
                                    br, kn_iface_type_to_string(other->type),
                                    kn_api_in_netns(req->api));
        kn_iface *base = kn_iface_copy(i ? i : live);
        /* The bridge takes the NIC's own MAC: leases and neighbours stay valid. */
        if (live && live->mac[0])
                snprintf(base->mac, sizeof base->mac, "%s", live->mac);
        if (!i) {
                /* From the kernel: only what a definition holds. */
                base->link_state = 0;
                base->link_speed = 0;
        }
        *ret = base;
        return 0;
}

static int run_iface_bridge(kn_api_req *req, json_object *args, json_object *result,
                            kn_error *err) {
        const char *nic, *br;
        bool stp = false, no_stp = false, no_start = false, force = false;
        double delay = -1, confirm = 0;
        int64_t timeout = 0;
        int r = kn_api_arg_ifname("iface-bridge", args, &nic, err);
        if (r >= 0)
                r = kn_api_arg_string("iface-bridge", args, "bridge", true, &br, err);
        if (r >= 0 && (r = kn_ifname_validate(br, "bridge", err)) < 0)
                kn_error_prefix(err, "iface-bridge");
        if (r >= 0)
                r = kn_api_arg_bool("iface-bridge", args, "stp", &stp, err);
        if (r >= 0)
                r = kn_api_arg_bool("iface-bridge", args, "no_stp", &no_stp, err);
        if (r >= 0)
                r = kn_api_arg_bool("iface-bridge", args, "no_start", &no_start, err);
        if (r >= 0)
                r = kn_api_arg_bool("iface-bridge", args, "force", &force, err);
        if (r >= 0)
                r = arg_number("iface-bridge", args, "delay", &delay, err);
        if (r >= 0)
                r = kn_api_arg_confirm("iface-bridge", args, &confirm, err);
        if (r >= 0)
                r = kn_api_arg_uint("iface-bridge", args, "timeout_ms", 3600000, &timeout, err);
        if (r < 0)
                return r;
        if (stp && no_stp)
                return kn_error_set(err, EINVAL, "iface-bridge: --stp and --no-stp contradict");
        if (delay != -1 && !(delay >= 0 && delay <= 30))
                return kn_error_set(err, EINVAL, "iface-bridge: --delay %g: valid: 0 to 30 seconds",
                                    delay);
        if (stp && delay >= 0 && delay < 2)
                return kn_error_set(err, ERANGE,
                                    "iface-bridge: with --stp the kernel takes a forward delay of "
                                    "2 to 30 seconds, asked %g",
                                    delay);
        if (streq(nic, br))
                return kn_error_set(err, EINVAL,
                                    "iface-bridge: the bridge needs a name of its own, "
                                    "not '%s'",
                                    nic);
        if (kn_config_lookup(req->api->cfg, br, NULL))
                return kn_error_set(err, EEXIST,
                                    "iface-bridge: '%s' is defined already (iface-dumpxml %s "
                                    "--inactive shows it)",
                                    br, br);

        kn_live_bridge_opts opts = {.stp = stp, .delay = delay, .force = force};
        if (!no_start) {
                /* The live refusals before anything is written. */
                kn_netns *ns = kn_api_netns(req->api, err);
                opts.managed = ns && kn_manager_detect(ns, kn_config_backend_name(req->api->cfg)) !=
                                             KN_MANAGER_NONE;
                r = ns ? kn_live_bridge_check(ns, nic, br, &opts, err) : -err->code;
                if (r < 0) {
                        kn_error_prefix(err, "iface-bridge");
                        return r;
                }
        }
        kn_iface *base = NULL;
        bool configured;
        r = nic_base(req, nic, br, &base, &configured, err);
        if (r < 0)
                return r;
        if (base->type == KN_IFACE_BRIDGE) {
                kn_iface_free(base);
                return kn_error_set(err, EINVAL, "iface-bridge: '%s' is a bridge itself", nic);
        }
        bridge_job *j = kn_xcalloc(1, sizeof *j);
        j->bridge = true;
        snprintf(j->nic, sizeof j->nic, "%s", nic);
        snprintf(j->br, sizeof j->br, "%s", br);
        j->opts = opts;
        j->dhcp_timeout_ms = timeout;
        j->start = !no_start;
        j->old_nic = configured ? kn_iface_copy(base) : NULL;

        kn_iface *def = kn_iface_new(KN_IFACE_BRIDGE, br);
        move_ip(base, def);
        snprintf(def->mac, sizeof def->mac, "%s", base->mac);
        def->stp = stp ? KN_YES : KN_NO;
        /* virsh's default delay is 0; with stp on, the kernel's 15 s. */
        def->delay = delay >= 0 ? delay : stp ? 15 : 0;
        j->opts.delay = def->delay;
        kn_iface_add_child(def, base);
        r = kn_iface_validate(def, err);
        if (r < 0) {
                kn_iface_free(def);
                job_free(j);
                kn_error_prefix(err, "iface-bridge");
                return r;
        }
        j->new_def = def;
        return go(req, j, confirm, err);
}

/* ---- iface-unbridge ---- */

static int run_iface_unbridge(kn_api_req *req, json_object *args, json_object *result,
                              kn_error *err) {
        const char *br;
        bool no_start = false, force = false;
        double confirm = 0;
        int64_t timeout = 0;
        int r = kn_api_arg_ifname("iface-unbridge", args, &br, err);
        if (r >= 0)
                r = kn_api_arg_bool("iface-unbridge", args, "no_start", &no_start, err);
        if (r >= 0)
                r = kn_api_arg_bool("iface-unbridge", args, "force", &force, err);
        if (r >= 0)
                r = kn_api_arg_confirm("iface-unbridge", args, &confirm, err);
        if (r >= 0)
                r = kn_api_arg_uint("iface-unbridge", args, "timeout_ms", 3600000, &timeout, err);
        if (r < 0)
                return r;
        kn_config *cfg = req->api->cfg;
        const kn_iface *top = NULL;
        const kn_iface *def = kn_config_lookup(cfg, br, &top);
        if (def && def != top)
                return kn_error_set(err, EINVAL, "iface-unbridge: '%s' is a port of %s '%s'", br,
                                    kn_iface_type_to_string(top->type), top->name);
        if (def && def->type != KN_IFACE_BRIDGE)
                return kn_error_set(err, EINVAL,
                                    "iface-unbridge: '%s' is not a bridge (it is "
                                    "defined as %s)",
                                    br, kn_iface_type_to_string(def->type));
        if (def && def->n_children != 1)
                return kn_error_set(err, EINVAL,
                                    "iface-unbridge: bridge '%s' is defined with %zu ports: it "
                                    "gives its configuration back to exactly one NIC",
                                    br, def->n_children);
        if (!def && no_start)
                return kn_error_set(err, ENOENT,
                                    "iface-unbridge: no interface named '%s' in the "
                                    "configuration",
                                    br);
        bridge_job *j = kn_xcalloc(1, sizeof *j);
        snprintf(j->br, sizeof j->br, "%s", br);
        j->opts.force = force;
        j->dhcp_timeout_ms = timeout;
        j->start = !no_start;
        if (def) {
                j->old_br = kn_iface_copy(def);
                kn_iface *copy = kn_iface_copy(def);
                kn_iface *nic = TAKE_PTR(copy->children[0]);
                move_ip(copy, nic);
                kn_iface_free(copy);
                snprintf(j->nic, sizeof j->nic, "%s", nic->name);
                j->new_def = nic;
        }
        return go(req, j, confirm, err);
}

static const char *const args_bridge[] = {"name",     "bridge", "stp",     "no_stp",     "delay",
                                          "no_start", "force",  "confirm", "timeout_ms", NULL};
static const char *const args_unbridge[] = {"name",    "no_start",   "force",
                                            "confirm", "timeout_ms", NULL};

static const kn_api_verb bridge_verbs[] = {
        {"iface-bridge", KN_VERB_MUTATES | KN_VERB_LIVE, args_bridge, run_iface_bridge},
        {"iface-unbridge", KN_VERB_MUTATES | KN_VERB_LIVE, args_unbridge, run_iface_unbridge},
};

const kn_api_module kn_api_module_bridge = {
        .name = "bridge",
        .verbs = bridge_verbs,
        .n_verbs = ELEMENTSOF(bridge_verbs),
};
