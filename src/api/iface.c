/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Configuration verbs: iface-define, iface-undefine, iface-mac,
 * iface-name.  They work on the kn_config only. */
#include <fcntl.h>
#include <limits.h>

#include "api-internal.h"
#include "rootfs.h"

static int run_iface_define(kn_api_req *req, json_object *args, json_object *result,
                            kn_error *err) {
        _cleanup_iface_ kn_iface *i = NULL;
        const char *xml, *source;
        int r;

        r = kn_api_arg_string("iface-define", args, "xml", true, &xml, err);
        if (r < 0)
                return r;
        r = kn_api_arg_string("iface-define", args, "source", false, &source, err);
        if (r < 0)
                return r;
        if (isempty(source))
                source = "<request>";

        r = kn_iface_parse_xml(xml, strlen(xml), source, &i, err);
        if (r < 0)
                return r;
        r = kn_iface_validate(i, err);
        if (r < 0) {
                kn_error_prefix(err, "%s", source);
                return r;
        }
        double confirm;
        r = kn_api_arg_confirm("iface-define", args, &confirm, err);
        if (r < 0)
                return r;
        kn_api_change c;
        r = kn_api_change_begin(req, "iface-define", i->name, KN_CHANGE_FILES, confirm, &c, err);
        if (r < 0)
                return r;
        /* A bare address means something else to each regime: one prefix;
         * and what the backend cannot store is named, not dropped. */
        char **warnings = NULL;
        size_t n_warnings = 0;
        kn_config_prepare_define(req->api->cfg, i, &warnings, &n_warnings);
        r = kn_config_define(req->api->cfg, i, err);
        if (r < 0)
                kn_error_prefix(err, "%s", source);
        r = kn_api_change_end(req, &c, r, result, err);
        if (r >= 0 && n_warnings)
                json_object_object_add(
                        result, "warnings",
                        kn_api_strv_json((const char *const *) warnings, n_warnings));
        kn_strv_free(warnings, n_warnings);
        if (r < 0)
                return r;
        json_object_object_add(result, "name", json_object_new_string(i->name));
        kn_api_publish_action(req->api, "iface", "defined", "name", i->name, NULL);
        return 0;
}

/* The file of a broken definition is still there after its removal: say
 * what it is.  A symlink whose target is missing is removed through, at
 * the target, which is not there. */
static int undefine_left(kn_config *cfg, const char *name, const kn_diag *d, kn_error *err) {
        const char *root = kn_config_root(cfg);
        const char *rel = d->file;
        if (!streq(root, "/") && strncmp(rel, root, strlen(root)) == 0)
                rel += strlen(root);
        const kn_root *fs = kn_config_root_fs(cfg);
        _cleanup_free_ char *dir = kn_xstrdup(rel);
        char *slash = strrchr(dir, '/');
        char target[PATH_MAX];
        ssize_t n = -1;
        if (slash) {
                *slash = '\0';
                _cleanup_close_ int dfd = kn_root_openat(fs, dir, O_RDONLY | O_DIRECTORY, 0);
                n = dfd >= 0 ? readlinkat(dfd, slash + 1, target, sizeof target - 1) : -1;
        }
        struct stat st;
        if (n > 0 && kn_root_stat(fs, rel, &st) == -ENOENT) {
                target[n] = '\0';
                return kn_error_set(err, ENOENT,
                                    "iface-undefine: %s is a symbolic link to '%s', which does "
                                    "not exist under %s: nothing was removed (remove the link "
                                    "itself if it is stale)",
                                    d->file, target, root);
        }
        return kn_error_set(err, EIO,
                            "iface-undefine: %s still defines '%s' (%s): nothing was removed",
                            d->file, name, d->message);
}

static int run_iface_undefine(kn_api_req *req, json_object *args, json_object *result,
                              kn_error *err) {
        kn_config *cfg = req->api->cfg;
        const char *name;
        int r;

        r = kn_api_arg_ifname("iface-undefine", args, &name, err);
        if (r < 0)
                return r;
        /* kn_config_undefine() refuses ports and unknown names; an interface
         * whose file failed to parse can still be removed. */
        bool broken = kn_config_lookup_diag(cfg, name) != NULL;
        r = kn_config_undefine(cfg, name, err);
        if (r < 0) {
                kn_error_prefix(err, "iface-undefine");
                return r;
        }
        const kn_diag *d;
        kn_error e = {0};
        if (broken && kn_config_reload(cfg, &e) >= 0 && (d = kn_config_lookup_diag(cfg, name)))
                return undefine_left(cfg, name, d, err);
        json_object_object_add(result, "name", json_object_new_string(name));
        kn_api_publish_action(req->api, "iface", "undefined", "name", name, NULL);
        return 0;
}

static int run_iface_mac(kn_api_req *req, json_object *args, json_object *result, kn_error *err) {
        kn_config *cfg = req->api->cfg;
        const char *name;
        int r;

        r = kn_api_arg_ifname("iface-mac", args, &name, err);
        if (r < 0)
                return r;
        const kn_iface *i = kn_config_lookup(cfg, name, NULL);
        if (!i) {
                const kn_iface *unused;
                return kn_api_lookup_top("iface-mac", cfg, name, &unused, err);
        }
        if (isempty(i->mac))
                return kn_error_set(err, ENODATA,
                                    "iface-mac: interface '%s' has no MAC address in its "
                                    "configuration",
                                    name);
        json_object_object_add(result, "name", json_object_new_string(i->name));
        json_object_object_add(result, "mac", json_object_new_string(i->mac));
        return 0;
}

static int run_iface_name(kn_api_req *req, json_object *args, json_object *result, kn_error *err) {
        char mac[KN_MAC_STRLEN + 1];
        const char *s;
        int r;

        r = kn_api_arg_string("iface-name", args, "mac", true, &s, err);
        if (r < 0)
                return r;
        if (kn_mac_parse(s, mac) < 0)
                return kn_error_set(err, EINVAL,
                                    "iface-name: '%s' is not a MAC address (valid: six "
                                    "hexadecimal pairs separated by ':', e.g. "
                                    "52:54:00:12:34:56)",
                                    s);
        /* Configured MACs and the devices' own ones, ports included. */
        _cleanup_free_ const char **found = NULL;
        size_t n = kn_config_names_by_mac(req->api->cfg, mac, &found);
        json_object *names = json_object_new_array();
        json_object_object_add(result, "names", names);
        for (size_t k = 0; k < n; k++)
                json_object_array_add(names, json_object_new_string(found[k]));
        if (json_object_array_length(names) == 0)
                return kn_error_set(err, ENOENT, "iface-name: no interface has MAC address %s",
                                    mac);
        json_object_object_add(result, "mac", json_object_new_string(mac));
        return 0;
}

static const char *const args_define[] = {"xml", "source", "confirm", NULL};
static const char *const args_name[] = {"name", NULL};
static const char *const args_mac[] = {"mac", NULL};

static const kn_api_verb iface_verbs[] = {
        {"iface-define", KN_VERB_MUTATES, args_define, run_iface_define},
        {"iface-undefine", KN_VERB_MUTATES, args_name, run_iface_undefine},
        {"iface-mac", 0, args_name, run_iface_mac},
        {"iface-name", 0, args_mac, run_iface_name},
};

/* Interfaces defined, undefined, started, destroyed, bridged, unbridged
 * through kvmnet (iface-live.c, iface-bridge.c publish them too). */
static const char *const iface_events[] = {"iface", NULL};

const kn_api_module kn_api_module_iface = {
        .name = "iface",
        .verbs = iface_verbs,
        .n_verbs = ELEMENTSOF(iface_verbs),
        .event_types = iface_events,
};
