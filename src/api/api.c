/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kvmnet/api.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>

#include "macro.h"

typedef struct verb {
        const char *name;
        bool mutates;
        const char *const *args; /* the argument names it takes, NULL-terminated */
        int (*run)(kn_config *cfg, kn_api_flags flags, json_object *args, json_object *result,
                   kn_error *err);
} verb;

static void json_putp(json_object **o) {
        json_object_put(*o);
}
#define _cleanup_json_ _cleanup_(json_putp)

const char *kn_api_code_to_string(int code) {
        if (code < 0)
                code = -code;
        const char *s = code > 0 ? strerrorname_np(code) : NULL;
        return s ? s : "EIO";
}

int kn_api_code_from_string(const char *name) {
        if (!name)
                return 0;
        for (int code = 1; code < 256; code++) {
                const char *s = strerrorname_np(code);
                if (s && streq(s, name))
                        return code;
        }
        return 0;
}

/* Arguments.  A wrong type or an unknown key is the client's mistake and
 * is named as such, so a typo never silently means "flag not given". */

static int arg_string(const char *v, json_object *args, const char *key, bool required,
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

static int arg_bool(const char *v, json_object *args, const char *key, bool *ret, kn_error *err) {
        json_object *o = NULL;
        *ret = false;
        if (!json_object_object_get_ex(args, key, &o) || json_object_is_type(o, json_type_null))
                return 0;
        if (!json_object_is_type(o, json_type_boolean))
                return kn_error_set(err, EINVAL, "%s: argument '%s' must be true or false", v, key);
        *ret = json_object_get_boolean(o);
        return 0;
}

static int check_arg_names(const verb *v, json_object *args, kn_error *err) {
        json_object_object_foreach(args, key, val) {
                (void)val;
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

static int arg_ifname(const char *v, json_object *args, const char **ret, kn_error *err) {
        int r = arg_string(v, args, "name", true, ret, err);
        if (r < 0)
                return r;
        r = kn_ifname_validate(*ret, err);
        if (r < 0)
                kn_error_prefix(err, "%s", v);
        return r;
}

/* Live state arrives with the netlink layer; until then every configured
 * interface is inactive.  Everything that reports a state asks here. */
static bool iface_is_active(kn_config *cfg, const kn_iface *i) {
        return false;
}

static json_object *json_string_or_null(const char *s) {
        return isempty(s) ? NULL : json_object_new_string(s);
}

static json_object *diag_to_json(const kn_diag *d) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "file", json_string_or_null(d->file));
        json_object_object_add(o, "line", json_object_new_int64(d->line));
        json_object_object_add(o, "iface", json_string_or_null(d->iface));
        json_object_object_add(o, "message", json_string_or_null(d->message));
        return o;
}

static char *diag_to_string(const kn_diag *d) {
        if (d->line > 0)
                return kn_xasprintf("%s:%u: %s", d->file, d->line, d->message);
        return kn_xasprintf("%s: %s", d->file, d->message);
}

/* A name that is neither a top-level interface nor a port gets an error
 * that says why: its file failed to parse, or nothing is called so. */
static int lookup_top(const char *v, kn_config *cfg, const char *name, const kn_iface **ret,
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
        return kn_error_set(err, ENOENT, "%s: no interface named '%s'", v, name);
}

static int run_hello(kn_config *cfg, kn_api_flags flags, json_object *args, json_object *result,
                     kn_error *err) {
        json_object_object_add(result, "server", json_object_new_string("kvmnet"));
        json_object_object_add(result, "protocol", json_object_new_int(1));
        json_object_object_add(result, "backend",
                               json_object_new_string(kn_config_backend_name(cfg)));
        json_object_object_add(result, "root", json_object_new_string(kn_config_root(cfg)));
        json_object_object_add(result, "read_only",
                               json_object_new_boolean(flags & KN_API_READ_ONLY));
        return 0;
}

static int run_iface_list(kn_config *cfg, kn_api_flags flags, json_object *args,
                          json_object *result, kn_error *err) {
        bool all, inactive;
        int r;

        r = arg_bool("iface-list", args, "all", &all, err);
        if (r < 0)
                return r;
        r = arg_bool("iface-list", args, "inactive", &inactive, err);
        if (r < 0)
                return r;

        const kn_iface *const *ifaces;
        size_t n = kn_config_list(cfg, &ifaces);
        json_object *list = json_object_new_array_ext((int)n);
        json_object_object_add(result, "interfaces", list);
        for (size_t k = 0; k < n; k++) {
                const kn_iface *i = ifaces[k];
                bool active = iface_is_active(cfg, i);
                if (!all && active == inactive)
                        continue;
                json_object *o = json_object_new_object();
                json_object_object_add(o, "name", json_object_new_string(i->name));
                json_object_object_add(o, "type",
                                       json_object_new_string(kn_iface_type_to_string(i->type)));
                json_object_object_add(o, "state",
                                       json_object_new_string(active ? "active" : "inactive"));
                json_object_object_add(o, "mac", json_string_or_null(i->mac));
                json_object_object_add(o, "start",
                                       json_string_or_null(kn_start_mode_to_string(i->start)));
                json_object_array_add(list, o);
        }

        /* Files that failed to parse are reported with every list, so a bad
         * file is visible without hiding the interfaces that did load. */
        const kn_diag *diags;
        size_t nd = kn_config_diags(cfg, &diags);
        json_object *dl = json_object_new_array_ext((int)nd);
        json_object_object_add(result, "diagnostics", dl);
        for (size_t k = 0; k < nd; k++)
                json_object_array_add(dl, diag_to_json(&diags[k]));
        return 0;
}

static int run_iface_dumpxml(kn_config *cfg, kn_api_flags flags, json_object *args,
                             json_object *result, kn_error *err) {
        const char *name;
        const kn_iface *i;
        bool inactive;
        int r;

        r = arg_ifname("iface-dumpxml", args, &name, err);
        if (r < 0)
                return r;
        r = arg_bool("iface-dumpxml", args, "inactive", &inactive, err);
        if (r < 0)
                return r;
        r = lookup_top("iface-dumpxml", cfg, name, &i, err);
        if (r < 0)
                return r;

        /* Without live state the live document is the configured one. */
        bool live = !inactive && iface_is_active(cfg, i);
        _cleanup_free_ char *xml = kn_iface_format_xml(i, live ? KN_XML_LIVE : KN_XML_INACTIVE);
        if (!xml)
                return kn_error_set(err, EIO, "iface-dumpxml: cannot format interface '%s'", name);
        json_object_object_add(result, "name", json_object_new_string(i->name));
        json_object_object_add(result, "live", json_object_new_boolean(live));
        json_object_object_add(result, "xml", json_object_new_string(xml));
        return 0;
}

static int run_iface_define(kn_config *cfg, kn_api_flags flags, json_object *args,
                            json_object *result, kn_error *err) {
        _cleanup_iface_ kn_iface *i = NULL;
        const char *xml, *source;
        int r;

        r = arg_string("iface-define", args, "xml", true, &xml, err);
        if (r < 0)
                return r;
        r = arg_string("iface-define", args, "source", false, &source, err);
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
        r = kn_config_define(cfg, i, err);
        if (r < 0) {
                kn_error_prefix(err, "%s", source);
                return r;
        }
        json_object_object_add(result, "name", json_object_new_string(i->name));
        return 0;
}

static int run_iface_undefine(kn_config *cfg, kn_api_flags flags, json_object *args,
                              json_object *result, kn_error *err) {
        const char *name;
        int r;

        r = arg_ifname("iface-undefine", args, &name, err);
        if (r < 0)
                return r;
        /* kn_config_undefine() refuses ports and unknown names; an interface
         * whose file failed to parse can still be removed. */
        r = kn_config_undefine(cfg, name, err);
        if (r < 0) {
                kn_error_prefix(err, "iface-undefine");
                return r;
        }
        json_object_object_add(result, "name", json_object_new_string(name));
        return 0;
}

static int run_iface_mac(kn_config *cfg, kn_api_flags flags, json_object *args, json_object *result,
                         kn_error *err) {
        const char *name;
        int r;

        r = arg_ifname("iface-mac", args, &name, err);
        if (r < 0)
                return r;
        const kn_iface *i = kn_config_lookup(cfg, name, NULL);
        if (!i) {
                const kn_iface *unused;
                return lookup_top("iface-mac", cfg, name, &unused, err);
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

static void collect_mac(const kn_iface *i, const char *mac, json_object *names) {
        if (streq(i->mac, mac))
                json_object_array_add(names, json_object_new_string(i->name));
        for (size_t k = 0; k < i->n_children; k++)
                collect_mac(i->children[k], mac, names);
}

static int run_iface_name(kn_config *cfg, kn_api_flags flags, json_object *args,
                          json_object *result, kn_error *err) {
        char mac[KN_MAC_STRLEN + 1];
        const char *s;
        int r;

        r = arg_string("iface-name", args, "mac", true, &s, err);
        if (r < 0)
                return r;
        if (kn_mac_parse(s, mac) < 0)
                return kn_error_set(err, EINVAL,
                                    "iface-name: '%s' is not a MAC address (valid: six "
                                    "hexadecimal pairs separated by ':', e.g. "
                                    "52:54:00:12:34:56)",
                                    s);
        _cleanup_free_ const kn_iface **tops = NULL;
        size_t n = kn_config_lookup_mac(cfg, mac, (const kn_iface *const **)&tops);
        json_object *names = json_object_new_array();
        json_object_object_add(result, "names", names);
        /* The interface carrying the MAC may be a port inside a top-level one. */
        for (size_t k = 0; k < n; k++)
                collect_mac(tops[k], mac, names);
        if (json_object_array_length(names) == 0)
                return kn_error_set(err, ENOENT, "iface-name: no interface has MAC address %s",
                                    mac);
        json_object_object_add(result, "mac", json_object_new_string(mac));
        return 0;
}

static const char *const args_none[] = {NULL};
static const char *const args_list[] = {"all", "inactive", NULL};
static const char *const args_dumpxml[] = {"name", "inactive", NULL};
static const char *const args_define[] = {"xml", "source", NULL};
static const char *const args_name[] = {"name", NULL};
static const char *const args_mac[] = {"mac", NULL};

static const verb verbs[] = {
        {"hello", false, args_none, run_hello},
        {"iface-list", false, args_list, run_iface_list},
        {"iface-dumpxml", false, args_dumpxml, run_iface_dumpxml},
        {"iface-define", true, args_define, run_iface_define},
        {"iface-undefine", true, args_name, run_iface_undefine},
        {"iface-mac", false, args_name, run_iface_mac},
        {"iface-name", false, args_mac, run_iface_name},
};

static const verb *verb_find(const char *name) {
        for (size_t k = 0; k < ELEMENTSOF(verbs); k++)
                if (streq(verbs[k].name, name))
                        return &verbs[k];
        return NULL;
}

bool kn_api_verb_mutates(const char *name) {
        const verb *v = name ? verb_find(name) : NULL;
        return v && v->mutates;
}

static json_object *reply_new(json_object *id) {
        json_object *reply = json_object_new_object();
        json_object_object_add(reply, "id", id ? json_object_get(id) : NULL);
        return reply;
}

static json_object *error_reply(json_object *id, const kn_error *err) {
        json_object *reply = reply_new(id);
        json_object *e = json_object_new_object();
        json_object_object_add(reply, "ok", json_object_new_boolean(false));
        json_object_object_add(e, "code", json_object_new_string(kn_api_code_to_string(err->code)));
        json_object_object_add(e, "message", json_object_new_string(err->message));
        json_object_object_add(reply, "error", e);
        return reply;
}

json_object *kn_api_error_reply(json_object *id, int code, const char *fmt, ...) {
        kn_error err = {0};
        va_list ap;
        va_start(ap, fmt);
        kn_error_setv(&err, code, fmt, ap);
        va_end(ap);
        return error_reply(id, &err);
}

static int dispatch(kn_config *cfg, json_object *request, kn_api_flags flags, json_object **result,
                    kn_error *err) {
        json_object *o, *args = NULL;
        int r;

        if (!json_object_is_type(request, json_type_object))
                return kn_error_set(err, EPROTO, "a request must be a JSON object");
        if (!json_object_object_get_ex(request, "verb", &o) ||
            !json_object_is_type(o, json_type_string))
                return kn_error_set(err, EPROTO, "the request has no \"verb\" string");
        const char *name = json_object_get_string(o);
        const verb *v = verb_find(name);
        if (!v) {
                char valid[256] = "";
                for (size_t k = 0; k < ELEMENTSOF(verbs); k++)
                        snprintf(valid + strlen(valid), sizeof valid - strlen(valid), "%s%s",
                                 k ? ", " : "", verbs[k].name);
                return kn_error_set(err, EOPNOTSUPP, "unknown verb '%.64s' (valid: %s)", name,
                                    valid);
        }
        json_object_object_foreach(request, key, val) {
                (void)val;
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

        if (v->mutates && (flags & KN_API_READ_ONLY))
                return kn_error_set(err, EPERM,
                                    "%s is refused on a read-only connection: it changes the "
                                    "configuration (connect to the read-write socket as root "
                                    "or a member of the daemon's group)",
                                    v->name);

        _cleanup_json_ json_object *empty = NULL;
        if (!args || json_object_is_type(args, json_type_null))
                args = empty = json_object_new_object();
        r = check_arg_names(v, args, err);
        if (r < 0)
                return r;

        _cleanup_json_ json_object *res = json_object_new_object();
        r = v->run(cfg, flags, args, res, err);
        if (r < 0) {
                if (err->code == 0)
                        kn_error_set(err, -r, "%s: %s", v->name, strerror(-r));
                return r;
        }
        *result = TAKE_PTR(res);
        return 0;
}

int kn_api_call(kn_config *cfg, json_object *request, kn_api_flags flags, json_object **reply) {
        json_object *id = NULL, *result = NULL;
        kn_error err = {0};

        if (json_object_is_type(request, json_type_object))
                json_object_object_get_ex(request, "id", &id);
        int r = dispatch(cfg, request, flags, &result, &err);
        if (r < 0) {
                *reply = error_reply(id, &err);
                return -err.code;
        }
        *reply = reply_new(id);
        json_object_object_add(*reply, "ok", json_object_new_boolean(true));
        json_object_object_add(*reply, "result", result);
        return 0;
}

int kn_api_parse_request(const char *line, size_t len, json_object **ret, kn_error *err) {
        bool nul = memchr(line, '\0', len) != NULL;
        json_tokener *tok = json_tokener_new();
        if (!tok)
                abort();
        json_object *request = NULL;
        if (len > 0 && len <= INT_MAX && !nul)
                request = json_tokener_parse_ex(tok, line, (int)len);
        enum json_tokener_error jerr = json_tokener_get_error(tok);
        size_t used = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);

        /* Trailing blanks are fine, a second value on the line is not. */
        while (request && used < len && strchr(" \t\r", line[used]))
                used++;
        if (request && jerr == json_tokener_success && used == len) {
                *ret = request;
                return 0;
        }
        json_object_put(request);
        const char *why = len == 0                        ? "empty line"
                          : nul                           ? "NUL byte in the line"
                          : len > INT_MAX                 ? "line too long"
                          : jerr == json_tokener_continue ? "incomplete JSON value"
                          : jerr != json_tokener_success  ? json_tokener_error_desc(jerr)
                                                          : "trailing data after the JSON value";
        return kn_error_set(err, EPROTO,
                            "the request is not valid JSON (%s); send one JSON object per line",
                            why);
}

void kn_api_reply_error(json_object *reply, kn_error *err) {
        json_object *ok = NULL, *e = NULL, *o = NULL;

        kn_error_clear(err);
        if (json_object_object_get_ex(reply, "ok", &ok) && json_object_get_boolean(ok))
                return;
        int code = EPROTO;
        const char *message = "the reply carries neither a result nor an error";
        if (json_object_object_get_ex(reply, "error", &e)) {
                if (json_object_object_get_ex(e, "code", &o))
                        code = kn_api_code_from_string(json_object_get_string(o)) ?: EIO;
                if (json_object_object_get_ex(e, "message", &o) &&
                    json_object_is_type(o, json_type_string))
                        message = json_object_get_string(o);
        }
        kn_error_set(err, code, "%s", message);
}
