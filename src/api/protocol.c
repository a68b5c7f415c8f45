/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The protocol's lines, replies and error codes, for the daemon and its
 * clients alike (include/kvmnet/protocol.h).  json-c and libc only. */
#include <limits.h>
#include <stdarg.h>

#include "kvmnet/protocol.h"
#include "macro.h"

const char *kn_api_run_dir(void) {
        const char *dir = getenv("KVMNET_RUN_DIR");
        return isempty(dir) ? KN_RUN_DIR : dir;
}

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

int kn_api_parse_request(const char *line, size_t len, json_object **ret, kn_error *err) {
        bool nul = memchr(line, '\0', len) != NULL;
        json_tokener *tok = json_tokener_new();
        if (!tok)
                abort();
        json_object *request = NULL;
        if (len > 0 && len <= INT_MAX && !nul)
                request = json_tokener_parse_ex(tok, line, (int) len);
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

/* ---- Replies ---- */

static json_object *reply_new(json_object *id, bool ok) {
        json_object *reply = json_object_new_object();
        json_object_object_add(reply, "id", id ? json_object_get(id) : NULL);
        json_object_object_add(reply, "ok", json_object_new_boolean(ok));
        return reply;
}

json_object *kn_api_result_reply(json_object *id, json_object *result) {
        json_object *reply = reply_new(id, true);
        json_object_object_add(reply, "result", result ? result : json_object_new_object());
        return reply;
}

json_object *kn_api_error_reply(json_object *id, int code, const char *fmt, ...) {
        kn_error err = {0};
        va_list ap;
        va_start(ap, fmt);
        kn_error_setv(&err, code, fmt, ap);
        va_end(ap);

        json_object *reply = reply_new(id, false);
        json_object *e = json_object_new_object();
        json_object_object_add(e, "code", json_object_new_string(kn_api_code_to_string(err.code)));
        json_object_object_add(e, "message", json_object_new_string(err.message));
        json_object_object_add(reply, "error", e);
        return reply;
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

bool kn_api_is_event(json_object *o) {
        json_object *v;
        return json_object_is_type(o, json_type_object) &&
               json_object_object_get_ex(o, "event", &v) &&
               json_object_is_type(v, json_type_string) &&
               !json_object_object_get_ex(o, "id", NULL);
}
