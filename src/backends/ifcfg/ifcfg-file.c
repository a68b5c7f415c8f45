/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ifcfg-file.h"

#include <ctype.h>
#include <errno.h>

#include "macro.h"
#include "strbuf.h"

static bool is_blank(char c) {
        return c == ' ' || c == '\t' || c == '\r';
}

static bool is_key_char(char c, bool first) {
        return c == '_' || (first ? isalpha((unsigned char) c) : isalnum((unsigned char) c));
}

/* Parse one line (already in l->raw).  On a syntax error returns the
 * reason and leaves l->key NULL, so the line is kept as it is. */
static const char *parse_line(kn_ifcfg_line *l) {
        const char *p = l->raw;
        while (is_blank(*p))
                p++;
        if (!*p || *p == '#')
                return NULL;
        if (strncmp(p, "export", 6) == 0 && is_blank(p[6]))
                for (p += 6; is_blank(*p); p++)
                        ;
        const char *key = p;
        if (!is_key_char(*p, true))
                return "expected KEY=value";
        while (is_key_char(*p, false))
                p++;
        if (*p != '=')
                return is_blank(*p) ? "no spaces are allowed around '=' (KEY=value)"
                                    : "expected KEY=value";
        size_t key_len = (size_t) (p - key);
        p++;

        /* the value is never longer than the rest of the line */
        size_t cap = strlen(p) + 1;
        _cleanup_strbuf_ kn_strbuf v = {.s = kn_xmalloc(cap), .alloc = cap};
        v.s[0] = '\0';
        unsigned segments = 0;
        char quote = 0;
        bool dynamic = false;
        while (*p && !is_blank(*p)) {
                segments++;
                if (*p == '\'') {
                        const char *end = strchr(p + 1, '\'');
                        if (!end)
                                return "unterminated ' quote (values spanning lines are not "
                                       "supported)";
                        kn_strbuf_putn(&v, p + 1, (size_t) (end - p - 1));
                        quote = segments == 1 ? '\'' : '"';
                        p = end + 1;
                } else if (*p == '"') {
                        for (p++; *p != '"'; p++) {
                                if (!*p)
                                        return "unterminated \" quote (values spanning lines "
                                               "are not supported)";
                                if (*p == '\\' && p[1] && strchr("\"\\$`", p[1]))
                                        p++;
                                else if (*p == '$' || *p == '`')
                                        dynamic = true;
                                kn_strbuf_putc(&v, *p);
                        }
                        quote = '"';
                        p++;
                } else {
                        if (*p == '\\') {
                                if (!p[1])
                                        return "line ends in a backslash (continuation lines "
                                               "are not supported)";
                                p++;
                        } else if (*p == '$' || *p == '`')
                                dynamic = true;
                        else if (strchr(";&|<>()", *p))
                                return "unquoted shell operator in the value (quote it: "
                                       "KEY=\"...\")";
                        if (segments > 1 || quote)
                                quote = '"';
                        kn_strbuf_putc(&v, *p);
                        p++;
                        /* a run of plain characters is one segment */
                        while (*p && !is_blank(*p) && !strchr("'\"\\$`;&|<>()", *p))
                                kn_strbuf_putc(&v, *p++);
                }
        }
        const char *trail = p;
        while (is_blank(*p))
                p++;
        if (*p && *p != '#')
                return "unquoted space in the value (quote it: KEY=\"...\")";
        l->key = kn_xstrndup(key, key_len);
        l->value = kn_strbuf_steal(&v);
        l->trail = *p ? kn_xstrdup(trail) : NULL;
        l->quote = quote;
        l->dynamic = dynamic;
        return NULL;
}

int kn_ifcfg_file_parse(kn_ifcfg_file *f, const char *data, size_t len) {
        const char *p = data, *end = data + len;
        unsigned lineno = 0;
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                size_t n = nl ? (size_t) (nl - p) : (size_t) (end - p);
                GREEDY_REALLOC(f->lines, f->alloc, f->n + 1);
                kn_ifcfg_line *l = &f->lines[f->n++];
                *l = (kn_ifcfg_line){.raw = kn_xstrndup(p, n), .lineno = ++lineno};
                if (memchr(p, '\0', n)) {
                        if (!f->err) {
                                f->err = kn_xstrdup("NUL byte in a text file");
                                f->err_line = lineno;
                        }
                } else {
                        const char *why = parse_line(l);
                        if (why && !f->err) {
                                f->err = kn_xstrdup(why);
                                f->err_line = lineno;
                        }
                }
                p += n + 1;
        }
        return f->err ? -EINVAL : 0;
}

static void line_done(kn_ifcfg_line *l) {
        free(l->raw);
        free(l->key);
        free(l->value);
        free(l->trail);
}

void kn_ifcfg_file_done(kn_ifcfg_file *f) {
        for (size_t k = 0; k < f->n; k++)
                line_done(&f->lines[k]);
        free(f->lines);
        free(f->err);
        *f = (kn_ifcfg_file){0};
}

const kn_ifcfg_line *kn_ifcfg_file_find(const kn_ifcfg_file *f, const char *key) {
        for (size_t k = f->n; k > 0; k--) {
                const char *l = f->lines[k - 1].key;
                if (l && l[0] == key[0] && streq(l, key))
                        return &f->lines[k - 1];
        }
        return NULL;
}

void kn_ifcfg_file_remove_line(kn_ifcfg_file *f, size_t k) {
        line_done(&f->lines[k]);
        memmove(&f->lines[k], &f->lines[k + 1], (f->n - k - 1) * sizeof *f->lines);
        f->n--;
}

void kn_ifcfg_file_set(kn_ifcfg_file *f, const char *key, const char *value) {
        size_t last = f->n;
        for (size_t k = f->n; k > 0; k--)
                if (f->lines[k - 1].key && streq(f->lines[k - 1].key, key)) {
                        if (!value || last < f->n) {
                                kn_ifcfg_file_remove_line(f, k - 1);
                                if (last < f->n)
                                        last--;
                        } else
                                last = k - 1;
                }
        if (!value)
                return;
        if (last == f->n) {
                GREEDY_REALLOC(f->lines, f->alloc, f->n + 1);
                f->lines[f->n++] = (kn_ifcfg_line){
                        .key = kn_xstrdup(key),
                        .value = kn_xstrdup(value),
                };
                return;
        }
        kn_ifcfg_line *l = &f->lines[last];
        if (streq(l->value, value) && !l->dynamic)
                return; /* unchanged: keep the line exactly as written */
        free(l->raw);
        l->raw = NULL;
        free(l->value);
        l->value = kn_xstrdup(value);
        l->dynamic = false;
}

void kn_ifcfg_file_remove_if(kn_ifcfg_file *f, bool (*drop)(const char *key, void *userdata),
                             void *userdata) {
        for (size_t k = f->n; k > 0; k--)
                if (f->lines[k - 1].key && drop(f->lines[k - 1].key, userdata))
                        kn_ifcfg_file_remove_line(f, k - 1);
}

static bool is_safe(const char *s) {
        if (!*s)
                return false;
        for (; *s; s++)
                if (!isalnum((unsigned char) *s) && !strchr("_.:/+@%,=-", *s))
                        return false;
        return true;
}

char *kn_ifcfg_quote(const char *value, char quote) {
        if (!quote && is_safe(value))
                return kn_xstrdup(value);
        if (quote == '\'' && !strchr(value, '\''))
                return kn_xasprintf("'%s'", value);
        kn_strbuf b = {0};
        kn_strbuf_putc(&b, '"');
        for (const char *p = value; *p; p++) {
                if (strchr("\"\\$`", *p))
                        kn_strbuf_putc(&b, '\\');
                kn_strbuf_putc(&b, *p);
        }
        kn_strbuf_putc(&b, '"');
        return kn_strbuf_steal(&b);
}

char *kn_ifcfg_file_format(const kn_ifcfg_file *f, size_t *ret_len) {
        kn_strbuf b = {0};
        kn_strbuf_puts(&b, "");
        for (size_t k = 0; k < f->n; k++) {
                const kn_ifcfg_line *l = &f->lines[k];
                if (l->raw)
                        kn_strbuf_puts(&b, l->raw);
                else {
                        _cleanup_free_ char *q = kn_ifcfg_quote(l->value, l->quote);
                        kn_strbuf_printf(&b, "%s=%s%s", l->key, q, l->trail ? l->trail : "");
                }
                kn_strbuf_putc(&b, '\n');
        }
        if (ret_len)
                *ret_len = b.len;
        return kn_strbuf_steal(&b);
}
