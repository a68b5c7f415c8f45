/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The protocol's lines, replies and error codes, for the daemon and its
 * clients alike (include/kvmnet/protocol.h).  json-c and libc only. */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>

#include "kvmnet/protocol.h"
#include "macro.h"
#include "utf8.h"

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

/* ---- Parsing ---- */

#define MAX_DEPTH JSON_TOKENER_DEFAULT_DEPTH

static int not_json(kn_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int not_json(kn_error *err, const char *fmt, ...) {
        char why[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, sizeof why, fmt, ap);
        va_end(ap);
        return kn_error_set(err, EPROTO,
                            "the request is not valid JSON (%s); send one JSON object per line",
                            why);
}

static int hex4(const char *s, size_t len, size_t i, unsigned *ret) {
        if (i + 4 > len)
                return -1;
        unsigned v = 0;
        for (size_t k = i; k < i + 4; k++) {
                int c = (unsigned char) s[k];
                if (!isxdigit(c))
                        return -1;
                v = v << 4 | (unsigned) (isdigit(c) ? c - '0' : (c | 0x20) - 'a' + 10);
        }
        *ret = v;
        return 0;
}

/* A string from its opening quote at s[i]; *end is past its closing one. */
static int check_string(const char *s, size_t len, size_t i, size_t *end, kn_error *err) {
        size_t at = i++;
        while (i < len && s[i] != '"') {
                unsigned char c = (unsigned char) s[i];
                if (c < 0x20)
                        return not_json(err,
                                        "raw control character 0x%02x in the string at byte %zu; "
                                        "escape it",
                                        c, at);
                if (c != '\\') {
                        i++;
                        continue;
                }
                if (i + 1 < len && s[i + 1] != 'u') {
                        i += 2;
                        continue;
                }
                unsigned u, lo;
                if (hex4(s, len, i + 2, &u) < 0)
                        return not_json(err, "bad \\u escape in the string at byte %zu", at);
                /* json-c's strings are C strings: everything after a NUL
                 * would be lost on the way (the verb "hello\u0000x" ran hello). */
                if (u == 0)
                        return not_json(err, "\\u0000 in the string at byte %zu", at);
                if (u >= 0xdc00 && u <= 0xdfff)
                        return not_json(err,
                                        "lone UTF-16 surrogate \\u%04x in the string at byte %zu",
                                        u, at);
                if (u >= 0xd800 && u <= 0xdbff) {
                        if (i + 7 >= len || s[i + 6] != '\\' || s[i + 7] != 'u' ||
                            hex4(s, len, i + 8, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
                                return not_json(err,
                                                "lone UTF-16 surrogate \\u%04x in the string at "
                                                "byte %zu",
                                                u, at);
                        i += 6;
                }
                i += 6;
        }
        *end = i + 1;
        return 0;
}

/* Does the decimal integer digits[0..n) exceed max (both without sign or
 * leading zeros)? */
static bool digits_over(const char *digits, size_t n, const char *max) {
        size_t m = strlen(max);
        return n != m ? n > m : memcmp(digits, max, n) > 0;
}

static bool finite_double(const char *s, size_t n) {
        _cleanup_free_ char *copy = kn_xstrndup(s, n);
        return isfinite(strtod(copy, NULL));
}

/* A number from s[i]; *end is past it.  JSON's grammar exactly, integers
 * within what json-c holds without clamping, finite doubles. */
static int check_number(const char *s, size_t len, size_t i, size_t *end, kn_error *err) {
        size_t at = i, k = i;
        /* Letters too, to name all of "-Infinity" or "0x10". */
        while (k < len && (strchr("+-.", s[k]) || isalnum((unsigned char) s[k])))
                k++;
        *end = k;
        const char *tok = s + i;
        int n = (int) (k - i);
        bool neg = s[i] == '-', frac = false, exp = false;
        if (neg)
                i++;
        size_t int_start = i;
        if (i < k && s[i] == '0')
                i++;
        else if (i < k && s[i] >= '1' && s[i] <= '9')
                while (i < k && isdigit((unsigned char) s[i]))
                        i++;
        else
                goto bad;
        size_t int_end = i;
        if (i < k && s[i] == '.') {
                frac = true;
                if (++i >= k || !isdigit((unsigned char) s[i]))
                        goto bad;
                while (i < k && isdigit((unsigned char) s[i]))
                        i++;
        }
        if (i < k && (s[i] == 'e' || s[i] == 'E')) {
                exp = true;
                i++;
                if (i < k && (s[i] == '+' || s[i] == '-'))
                        i++;
                if (i >= k || !isdigit((unsigned char) s[i]))
                        goto bad;
                while (i < k && isdigit((unsigned char) s[i]))
                        i++;
        }
        if (i != k)
                goto bad;
        if (!frac && !exp) {
                /* json-c clamps what is past 64 bits (2^64 came back as
                 * 2^64-1) and keeps no text of integers (-0 came back as
                 * 0): ids are copied unchanged, so such numbers are refused. */
                const char *max = neg ? "9223372036854775808" : "18446744073709551615";
                if (digits_over(s + int_start, int_end - int_start, max))
                        return not_json(err,
                                        "the integer %.*s%s at byte %zu is out of range "
                                        "(-2^63 to 2^64-1)",
                                        n > 40 ? 40 : n, tok, n > 40 ? "..." : "", at);
                if (neg && int_end - int_start == 1 && s[int_start] == '0')
                        return not_json(err, "-0 at byte %zu: send 0", at);
                return 0;
        }
        if (!finite_double(tok, (size_t) n))
                return not_json(err, "the number %.*s%s at byte %zu is out of range",
                                n > 40 ? 40 : n, tok, n > 40 ? "..." : "", at);
        return 0;
bad:
        return not_json(err, "'%.*s%s' at byte %zu is not a JSON number", n > 40 ? 40 : n, tok,
                        n > 40 ? "..." : "", at);
}

/* json-c accepts more than JSON, even with JSON_TOKENER_STRICT (0.16):
 * NaN and Infinity, single-quoted strings, "1.", \u0000 inside strings,
 * raw control characters in them; and it clamps integers past 64 bits.
 * Once the tokener has taken the line, a walk over its tokens finds those. */
static int check_tokens(const char *s, size_t len, kn_error *err) {
        size_t i = 0;
        while (i < len) {
                char c = s[i];
                int r = 0;
                if (c == '"')
                        r = check_string(s, len, i, &i, err);
                else if (c == '-' || isdigit((unsigned char) c))
                        r = check_number(s, len, i, &i, err);
                else if (c == '\'')
                        return not_json(err, "single-quoted string at byte %zu", i);
                else if (isalpha((unsigned char) c)) {
                        size_t k = i;
                        while (k < len && isalnum((unsigned char) s[k]))
                                k++;
                        int n = (int) (k - i);
                        if (!((n == 4 &&
                               (!memcmp(s + i, "true", 4) || !memcmp(s + i, "null", 4))) ||
                              (n == 5 && !memcmp(s + i, "false", 5))))
                                return not_json(err,
                                                "'%.*s' at byte %zu is not a JSON value (numbers "
                                                "are finite, literals true, false, null)",
                                                n > 40 ? 40 : n, s + i, i);
                        i = k;
                } else
                        i++;
                if (r < 0)
                        return r;
        }
        return 0;
}

int kn_api_parse_request(const char *line, size_t len, json_object **ret, kn_error *err) {
        const char *nul = memchr(line, '\0', len);
        if (len == 0)
                return not_json(err, "empty line");
        if (nul)
                return not_json(err, "NUL byte at byte %zu", (size_t) (nul - line));
        if (len > INT_MAX)
                return not_json(err, "line too long");
        /* json-c's own check lets overlong forms, UTF-16 surrogates and
         * code points past U+10FFFF through. */
        for (size_t i = 0; i < len;) {
                size_t n = kn_utf8_char_len(line + i, len - i);
                if (n == 0)
                        return not_json(err, "invalid UTF-8 at byte %zu", i);
                i += n;
        }

        json_tokener *tok = json_tokener_new_ex(MAX_DEPTH);
        if (!tok)
                abort();
        /* Strict: no comments, no trailing commas; only UTF-8 (else bytes
         * that are not UTF-8 end up quoted in replies). */
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
        json_object *request = json_tokener_parse_ex(tok, line, (int) len);
        enum json_tokener_error jerr = json_tokener_get_error(tok);
        size_t used = json_tokener_get_parse_end(tok);
        /* A number or literal last on the line ("1", "true") could still go
         * on: json-c ends it only at a following byte, so give it the
         * string's end (a NUL) as json-c's documentation says; anything
         * still open stays incomplete. */
        if (jerr == json_tokener_continue) {
                request = json_tokener_parse_ex(tok, "", 1);
                jerr = json_tokener_get_error(tok);
                if (jerr != json_tokener_success) {
                        json_object_put(request);
                        request = NULL;
                        jerr = json_tokener_continue;
                }
                used = len;
        }
        json_tokener_free(tok);

        /* A JSON null is a success with no object (*ret NULL). */
        if (jerr != json_tokener_success) {
                json_object_put(request);
                if (jerr == json_tokener_continue)
                        return not_json(err, "incomplete JSON value");
                if (jerr == json_tokener_error_depth)
                        return not_json(err, "nested deeper than %d levels", MAX_DEPTH);
                if (jerr == json_tokener_error_parse_utf8_string)
                        return not_json(err, "invalid UTF-8 in the string before byte %zu", used);
                return not_json(err, "%s at byte %zu", json_tokener_error_desc(jerr), used);
        }
        /* Trailing blanks are fine, a second value on the line is not. */
        while (used < len && strchr(" \t\r", line[used]))
                used++;
        int r = used == len ? check_tokens(line, len, err)
                            : not_json(err, "trailing data after the JSON value at byte %zu", used);
        if (r < 0) {
                json_object_put(request);
                return r;
        }
        *ret = request;
        return 0;
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
