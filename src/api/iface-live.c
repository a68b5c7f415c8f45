/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Verbs whose answer is the kernel's: iface-list and iface-dumpxml (live
 * state merged with the configuration), iface-start and iface-destroy
 * (the configured definition applied or torn down over netlink).  Reading
 * never forks; the changing verbs run on the worker thread in the daemon. */
#include "api-internal.h"
#include "kvmnet/manager.h"

static kn_netns *netns_or_error(kn_api *api, const char *verb, kn_error *err) {
        kn_netns *ns = kn_api_netns(api, err);
        if (!ns)
                kn_error_prefix(err, "%s", verb);
        return ns;
}

/* ---- iface-list ---- */

typedef struct entry {
        const char *name;
        const kn_iface *cfg;      /* NULL: not configured */
        const kn_live_link *live; /* NULL: no such link */
} entry;

static int cmp_live_name(const void *a, const void *b) {
        const kn_live_link *x = *(const kn_live_link *const *) a;
        const kn_live_link *y = *(const kn_live_link *const *) b;
        return strcmp(x->iface->name, y->iface->name);
}

static const kn_live_link *find_live(const kn_live_link *const *by_name, size_t n,
                                     const char *name) {
        size_t lo = 0, hi = n;
        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                int c = strcmp(by_name[mid]->iface->name, name);
                if (c == 0)
                        return by_name[mid];
                if (c < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return NULL;
}

static int cmp_entry(const void *a, const void *b) {
        return strcmp(((const entry *) a)->name, ((const entry *) b)->name);
}

static json_object *entry_to_json(const entry *e) {
        json_object *o = json_object_new_object();
        bool active = e->live && e->live->active;
        const kn_iface *model = e->cfg ? e->cfg : e->live->iface;
        /* The live MAC while the link exists (bridges and bonds have one
         * too), else the configured one. */
        const char *mac = e->live && !isempty(e->live->mac) ? e->live->mac : model->mac;
        json_object_object_add(o, "name", json_object_new_string(e->name));
        json_object_object_add(o, "type",
                               json_object_new_string(kn_iface_type_to_string(model->type)));
        json_object_object_add(o, "state", json_object_new_string(active ? "active" : "inactive"));
        json_object_object_add(o, "mac", kn_json_string_or_null(mac));
        json_object_object_add(
                o, "start",
                kn_json_string_or_null(e->cfg ? kn_start_mode_to_string(e->cfg->start) : NULL));
        json_object_object_add(o, "configured", json_object_new_boolean(e->cfg != NULL));
        return o;
}

static json_object *diag_to_json(const kn_diag *d) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "file", kn_json_string_or_null(d->file));
        json_object_object_add(o, "line", json_object_new_int64(d->line));
        json_object_object_add(o, "iface", kn_json_string_or_null(d->iface));
        json_object_object_add(o, "message", kn_json_string_or_null(d->message));
        json_object_object_add(o, "warning", json_object_new_boolean(d->warning));
        return o;
}

static int run_iface_list(kn_api_req *req, json_object *args, json_object *result, kn_error *err) {
        kn_config *cfg = req->api->cfg;
        bool all, inactive;
        int r;

        r = kn_api_arg_bool("iface-list", args, "all", &all, err);
        if (r < 0)
                return r;
        r = kn_api_arg_bool("iface-list", args, "inactive", &inactive, err);
        if (r < 0)
                return r;
        /* Without live state (--root, no --netns) nothing runs: the
         * configuration alone, every interface inactive. */
        kn_live_link *links = NULL;
        size_t n_links = 0;
        bool live = kn_api_has_live(req->api);
        if (live) {
                kn_netns *ns = netns_or_error(req->api, "iface-list", err);
                if (!ns)
                        return -err->code;
                r = kn_live_list(ns, &links, &n_links, err);
                if (r < 0) {
                        kn_error_prefix(err, "iface-list: reading the live state%s",
                                        kn_api_in_netns(req->api));
                        return r;
                }
        }
        const kn_live_link **by_name = kn_xcalloc(n_links + 1, sizeof *by_name);
        for (size_t k = 0; k < n_links; k++)
                by_name[k] = &links[k];
        qsort_safe(by_name, n_links, sizeof *by_name, cmp_live_name);

        const kn_iface *const *ifaces;
        size_t n = kn_config_list(cfg, &ifaces);
        entry *entries = kn_xcalloc(n + n_links + 1, sizeof *entries);
        size_t n_entries = 0;
        for (size_t k = 0; k < n; k++) {
                const kn_live_link *l = find_live(by_name, n_links, ifaces[k]->name);
                bool active = l && l->active;
                if (all || active != inactive)
                        entries[n_entries++] = (entry){ifaces[k]->name, ifaces[k], l};
        }
        /* Links nobody configured, top-level ones only: a port belongs to
         * its master, configured or not. */
        for (size_t k = 0; all && k < n_links; k++)
                if (links[k].master == 0 && !kn_config_lookup(cfg, links[k].iface->name, NULL))
                        entries[n_entries++] = (entry){links[k].iface->name, NULL, &links[k]};
        qsort_safe(entries, n_entries, sizeof *entries, cmp_entry);

        json_object *list = json_object_new_array_ext((int) n_entries);
        json_object_object_add(result, "interfaces", list);
        json_object_object_add(result, "live", json_object_new_boolean(live));
        for (size_t k = 0; k < n_entries; k++)
                json_object_array_add(list, entry_to_json(&entries[k]));
        free(entries);
        free(by_name);
        kn_live_links_free(links, n_links);

        /* Files that failed to parse are reported with every list, so a bad
         * file is visible without hiding the interfaces that did load. */
        const kn_diag *diags;
        size_t nd = kn_config_diags(cfg, &diags);
        json_object *dl = json_object_new_array_ext((int) nd);
        json_object_object_add(result, "diagnostics", dl);
        for (size_t k = 0; k < nd; k++)
                json_object_array_add(dl, diag_to_json(&diags[k]));
        return 0;
}

/* ---- iface-dumpxml ---- */

static int dump(json_object *result, const kn_iface *i, bool live, kn_error *err) {
        _cleanup_free_ char *xml = kn_iface_format_xml(i, live ? KN_XML_LIVE : KN_XML_INACTIVE);
        if (!xml)
                return kn_error_set(err, EIO, "iface-dumpxml: cannot format interface '%s'",
                                    i->name);
        json_object_object_add(result, "name", json_object_new_string(i->name));
        json_object_object_add(result, "live", json_object_new_boolean(live));
        json_object_object_add(result, "xml", json_object_new_string(xml));
        return 0;
}

static int run_iface_dumpxml(kn_api_req *req, json_object *args, json_object *result,
                             kn_error *err) {
        kn_config *cfg = req->api->cfg;
        const kn_iface *i, *top = NULL;
        const char *name;
        bool inactive;
        int r;

        r = kn_api_arg_ifname("iface-dumpxml", args, &name, err);
        if (r < 0)
                return r;
        r = kn_api_arg_bool("iface-dumpxml", args, "inactive", &inactive, err);
        if (r < 0)
                return r;
        i = kn_config_lookup(cfg, name, &top);
        if (inactive || (i && i != top) || !kn_api_has_live(req->api)) {
                /* The stored definition; a configured port is named as such. */
                r = kn_api_lookup_top("iface-dumpxml", cfg, name, &i, err);
                return r < 0 ? r : dump(result, i, false, err);
        }

        kn_netns *ns = netns_or_error(req->api, "iface-dumpxml", err);
        if (!ns)
                return -err->code;
        _cleanup_iface_ kn_iface *live = NULL;
        kn_error e = {0};
        r = kn_live_read(ns, name, &live, &e);
        if (r >= 0)
                return dump(result, live, true, err);
        if (r != -ENODEV) {
                kn_error_set(err, e.code, "iface-dumpxml: %s", e.message);
                return r;
        }
        /* No such link: the definition, as virsh shows an inactive one. */
        r = kn_api_lookup_top("iface-dumpxml", cfg, name, &i, err);
        return r < 0 ? r : dump(result, i, false, err);
}

/* ---- iface-start, iface-destroy ---- */

typedef struct live_job {
        bool start;
        const char *backend;   /* for the manager's detection */
        kn_manager_report mgr; /* what a manager did (via NONE: netlink) */
        kn_iface *def;
        kn_api_change change;
        kn_live_txn *live;       /* the change's steps: the worker appends to it */
        size_t mark;             /* its size before this job */
        int64_t dhcp_timeout_ms; /* 0: the default */
        bool ran;                /* live_work() ran: live's undone steps are ours */
        char **steps;
        size_t n_steps;
} live_job;

static void live_job_free(live_job *j) {
        kn_iface_free(j->def);
        kn_manager_report_clear(&j->mgr);
        for (size_t k = 0; k < j->n_steps; k++)
                free(j->steps[k]);
        free(j->steps);
        free(j);
}

static int live_steps(kn_netns *ns, void *data, kn_error *err) {
        live_job *j = data;
        /* A network manager serving the namespace does it (docs/managers.md). */
        int rm = j->start ? kn_manager_start(ns, j->backend, j->def, &j->mgr, err)
                          : kn_manager_stop(ns, j->backend, j->def, &j->mgr, err);
        if (j->mgr.via != KN_MANAGER_NONE) {
                j->steps = TAKE_PTR(j->mgr.steps);
                j->n_steps = j->mgr.n_steps;
                j->mgr.n_steps = 0;
                return rm;
        }
        j->mark = kn_live_txn_size(j->live);
        int r = j->start ? kn_live_apply_in(ns, j->def, j->live, err)
                         : kn_live_stop_in(ns, j->def, j->live, err);
        size_t n = kn_live_txn_size(j->live);
        j->n_steps = n > j->mark ? n - j->mark : 0;
        j->steps = kn_xcalloc(j->n_steps + 1, sizeof *j->steps);
        for (size_t k = 0; k < j->n_steps; k++)
                j->steps[k] = kn_xstrdup(kn_live_txn_step(j->live, j->mark + k));
        return r;
}

/* On the worker thread: only the job's copies, its steps and ns. */
static int live_work(kn_netns *ns, void *data, kn_error *err) {
        live_job *j = data;
        j->ran = true;
        return kn_api_live_change(ns, j->live, j->dhcp_timeout_ms, live_steps, j, err);
}

static int live_after(kn_api_req *req, int r, json_object *result, kn_error *err, void *data) {
        live_job *j = data;
        const char *verb = j->start ? "iface-start" : "iface-destroy";
        if (r < 0 && err->code)
                kn_error_prefix(err, "%s %s", verb, j->def->name);
        if (r < 0 && j->ran && j->mgr.via == KN_MANAGER_NONE)
                kn_api_put_undone(result, j->live);
        j->live = NULL; /* may be freed by the commit */
        r = kn_api_change_end(req, &j->change, r, result, err);
        if (r >= 0) {
                json_object_object_add(result, "name", json_object_new_string(j->def->name));
                const char *via = kn_manager_kind_to_string(j->mgr.via);
                json_object_object_add(result, "via", json_object_new_string(via));
                if (j->start)
                        json_object_object_add(
                                result, "changes",
                                kn_api_strv_json((const char *const *) j->steps, j->n_steps));
                kn_api_publish_action(req->api, "iface", j->start ? "started" : "destroyed", "name",
                                      j->def->name, "via", via, NULL);
        }
        live_job_free(j);
        return r;
}

static const kn_live_link *find_link(const kn_live_link *links, size_t n, const char *name,
                                     int ifindex) {
        for (size_t k = 0; k < n; k++)
                if (name ? streq(links[k].iface->name, name) : links[k].ifindex == ifindex)
                        return &links[k];
        return NULL;
}

/* What iface-destroy tears down (a copy in *ret): the definition, or, for
 * an interface that has none (undefined while it ran), what the kernel
 * has.  *down: why it is not running (no link, or down), NULL if it is. */
static int destroy_target(kn_api_req *req, const char *name, kn_iface **ret, const char **down,
                          kn_error *err) {
        kn_config *cfg = req->api->cfg;
        const kn_iface *def = NULL;
        int r;
        if (kn_config_lookup(cfg, name, NULL) || kn_config_lookup_diag(cfg, name)) {
                r = kn_api_lookup_top("iface-destroy", cfg, name, &def, err);
                if (r < 0)
                        return r;
        }
        kn_netns *ns = netns_or_error(req->api, "iface-destroy", err);
        if (!ns)
                return -err->code;
        kn_live_link *links = NULL;
        size_t n = 0;
        r = kn_live_list(ns, &links, &n, err);
        if (r < 0) {
                kn_error_prefix(err, "iface-destroy: reading the live state%s",
                                kn_api_in_netns(req->api));
                return r;
        }
        const kn_live_link *l = find_link(links, n, name, 0);
        const kn_live_link *master = l && l->master ? find_link(links, n, NULL, l->master) : NULL;
        if (!def && !l)
                r = kn_error_set(err, ENOENT, "iface-destroy: no interface named '%s'%s", name,
                                 kn_api_in_netns(req->api));
        else if (!def && master)
                r = kn_error_set(err, EINVAL,
                                 "iface-destroy: '%s' is not a top-level interface: it is a port "
                                 "of %s (use iface-destroy on %s)",
                                 name, master->iface->name, master->iface->name);
        else {
                *ret = kn_iface_copy(def ? def : l->iface);
                *down = !l ? "it has no link" : !l->active ? "its link is down" : NULL;
        }
        kn_live_links_free(links, n);
        return r;
}

static int run_live(kn_api_req *req, json_object *args, bool start, kn_error *err) {
        const char *verb = start ? "iface-start" : "iface-destroy";
        _cleanup_iface_ kn_iface *target = NULL;
        const char *down = NULL;
        const kn_iface *def;
        const char *name;
        double confirm;
        int r;

        bool force = false;
        int64_t timeout = 0;
        r = kn_api_arg_ifname(verb, args, &name, err);
        if (r >= 0)
                r = kn_api_arg_confirm(verb, args, &confirm, err);
        if (r >= 0 && start)
                r = kn_api_arg_uint(verb, args, "timeout_ms", 3600000, &timeout, err);
        if (r >= 0 && !start)
                r = kn_api_arg_bool(verb, args, "force", &force, err);
        if (r >= 0 && start)
                r = kn_api_lookup_top(verb, req->api->cfg, name, &def, err);
        if (r >= 0 && !start) {
                r = destroy_target(req, name, &target, &down, err);
                def = target;
        }
        if (r < 0)
                return r;
        if (!start && def->type == KN_IFACE_BRIDGE && !force) {
                /* Guests on the bridge would lose their network unseen. */
                kn_netns *ns = netns_or_error(req->api, verb, err);
                _cleanup_free_ char *taps = NULL;
                if (!ns)
                        return -err->code;
                if (kn_live_guest_taps(ns, name, &taps, err) > 0)
                        return kn_error_set(err, EBUSY,
                                            "%s: guest NICs %s sit on bridge '%s' and would lose "
                                            "their network: detach them first, or pass --force",
                                            verb, taps, name);
        }
        /* As virsh: destroying what does not run is an error. */
        if (down && !force)
                return kn_error_set(err, ENETDOWN,
                                    "%s: interface '%s' is not running (%s%s); --force tears "
                                    "down what is left",
                                    verb, name, down, kn_api_in_netns(req->api));
        live_job *j = kn_xcalloc(1, sizeof *j);
        j->start = start;
        j->dhcp_timeout_ms = timeout;
        j->backend = kn_config_backend_name(req->api->cfg);
        /* A copy: the worker never touches the configuration, which may be
         * reloaded or redefined meanwhile. */
        j->def = kn_iface_copy(def);
        r = kn_api_change_begin(req, verb, name, KN_CHANGE_LIVE, confirm, &j->change, err);
        if (r < 0) {
                live_job_free(j);
                return r;
        }
        j->live = kn_api_change_live(&j->change);
        return kn_api_req_offload(req, live_work, live_after, j, err);
}

static int run_iface_start(kn_api_req *req, json_object *args, json_object *result, kn_error *err) {
        return run_live(req, args, true, err);
}

static int run_iface_destroy(kn_api_req *req, json_object *args, json_object *result,
                             kn_error *err) {
        return run_live(req, args, false, err);
}

static const char *const args_list[] = {"all", "inactive", NULL};
static const char *const args_dumpxml[] = {"name", "inactive", NULL};
static const char *const args_start[] = {"name", "confirm", "timeout_ms", NULL};
static const char *const args_destroy[] = {"name", "confirm", "force", NULL};

static const kn_api_verb iface_live_verbs[] = {
        {"iface-list", 0, args_list, run_iface_list},
        {"iface-dumpxml", 0, args_dumpxml, run_iface_dumpxml},
        {"iface-start", KN_VERB_MUTATES | KN_VERB_LIVE, args_start, run_iface_start},
        {"iface-destroy", KN_VERB_MUTATES | KN_VERB_LIVE, args_destroy, run_iface_destroy},
};

const kn_api_module kn_api_module_iface_live = {
        .name = "iface-live",
        .verbs = iface_live_verbs,
        .n_verbs = ELEMENTSOF(iface_live_verbs),
};
