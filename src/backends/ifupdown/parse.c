/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The interfaces(5) file format: logical lines (a trailing backslash
 * continues a line; a line whose first non-blank is '#' is a comment and is
 * never continued), each classified by its first word, grouped into
 * stanzas.  Only the syntax is checked here, as strictly as ifupdown 0.8
 * does when it reads the file; meaning comes later (read.c). */

#include <stdarg.h>

#include "ifupdown.h"
#include "string-table.h"

static const char *const kn_ifupdown_family_table[_IFU_FAMILY_MAX] = {
        [IFU_INET] = "inet",
        [IFU_INET6] = "inet6",
        [IFU_IPX] = "ipx",
        [IFU_CAN] = "can",
};
DEFINE_STRING_TABLE_LOOKUP(kn_ifupdown_family, kn_ifupdown_family)

/* The methods ifupdown 0.8 is built with; it rejects any other. */
static const char *const methods[_IFU_FAMILY_MAX][10] = {
        [IFU_INET] = {"loopback", "static", "manual", "dhcp", "bootp", "tunnel", "ppp", "wvdial",
                      "ipv4ll"},
        [IFU_INET6] = {"auto", "loopback", "static", "manual", "dhcp", "v4tunnel", "6to4",
                       "tunnel"},
        [IFU_IPX] = {"static", "dynamic"},
        [IFU_CAN] = {"static"},
};

bool kn_ifupdown_method_known(kn_ifupdown_family family, const char *method) {
        if ((int) family < 0 || family >= _IFU_FAMILY_MAX)
                return false;
        for (size_t k = 0; k < ELEMENTSOF(methods[family]) && methods[family][k]; k++)
                if (streq(methods[family][k], method))
                        return true;
        return false;
}

static void methods_list(kn_ifupdown_family family, char *buf, size_t size) {
        size_t n = 0;
        buf[0] = '\0';
        for (size_t k = 0; k < ELEMENTSOF(methods[family]) && methods[family][k]; k++)
                n += (size_t) snprintf(buf + n, n < size ? size - n : 0, "%s%s", k ? ", " : "",
                                       methods[family][k]);
}

bool kn_ifupdown_key_eq(const char *a, const char *b) {
        for (;; a++, b++) {
                char x = *a == '_' ? '-' : *a, y = *b == '_' ? '-' : *b;
                if (x != y)
                        return false;
                if (!x)
                        return true;
        }
}

const char *kn_ifupdown_stanza_option(const kn_ifupdown_file *f, const kn_ifupdown_stanza *s,
                                      const char *key, const kn_ifupdown_line **line) {
        for (size_t i = s->first + 1; i < s->end; i++) {
                const kn_ifupdown_line *l = &f->lines[i];
                if (l->kind == IFU_OPTION && kn_ifupdown_key_eq(l->words[0], key)) {
                        if (line)
                                *line = l;
                        return l->value;
                }
        }
        return NULL;
}

static size_t next_option(const kn_ifupdown_file *f, const kn_ifupdown_stanza *s, size_t i) {
        while (i < s->end && f->lines[i].kind != IFU_OPTION)
                i++;
        return i;
}

bool kn_ifupdown_stanza_same(const kn_ifupdown_file *fa, const kn_ifupdown_stanza *a,
                             const kn_ifupdown_file *fb, const kn_ifupdown_stanza *b) {
        const kn_ifupdown_line *ha = &fa->lines[a->first], *hb = &fb->lines[b->first];
        if (a->family != b->family || !streq_ptr(a->method, b->method) ||
            ha->n_words != hb->n_words)
                return false;
        for (size_t w = 0; w < ha->n_words; w++)
                if (!streq(ha->words[w], hb->words[w]))
                        return false;
        size_t i = next_option(fa, a, a->first + 1), j = next_option(fb, b, b->first + 1);
        for (; i < a->end && j < b->end;
             i = next_option(fa, a, i + 1), j = next_option(fb, b, j + 1)) {
                const kn_ifupdown_line *x = &fa->lines[i], *y = &fb->lines[j];
                if (x->n_words != y->n_words)
                        return false;
                for (size_t w = 0; w < x->n_words; w++)
                        if (!streq(x->words[w], y->words[w]))
                                return false;
        }
        return i >= a->end && j >= b->end;
}

_printf_(3, 4) static void set_error(kn_ifupdown_file *f, unsigned lineno, const char *fmt, ...) {
        if (f->err)
                return;
        va_list ap;
        va_start(ap, fmt);
        f->err = kn_xvasprintf(fmt, ap);
        va_end(ap);
        f->err_line = lineno;
}

static bool is_blank(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Words and the option value of a line, in one allocation (thousands of
 * files make malloc the cost of loading): [words[] | word chars | value]. */
static void split_words(kn_ifupdown_line *l, const char *s) {
        size_t n = 0, len = strlen(s);
        for (const char *p = s;;) {
                while (is_blank(*p))
                        p++;
                if (!*p)
                        break;
                n++;
                while (*p && !is_blank(*p))
                        p++;
        }
        if (n == 0)
                return;
        char **words = kn_xmalloc((n + 1) * sizeof(char *) + 2 * (len + 1));
        char *out = (char *) (words + n + 1);
        l->n_words = 0;
        for (const char *p = s;;) {
                while (is_blank(*p))
                        p++;
                if (!*p)
                        break;
                words[l->n_words++] = out;
                while (*p && !is_blank(*p))
                        *out++ = *p++;
                *out++ = '\0';
        }
        words[n] = NULL;
        l->words = words;
        /* the value: what follows the first word, trimmed */
        const char *v = s;
        while (is_blank(*v))
                v++;
        while (*v && !is_blank(*v))
                v++;
        while (is_blank(*v))
                v++;
        size_t vn = strlen(v);
        while (vn > 0 && is_blank(v[vn - 1]))
                vn--;
        memcpy(out, v, vn);
        out[vn] = '\0';
        l->value = out;
}

typedef enum ctx { CTX_NONE, CTX_IFACE, CTX_MAPPING } ctx;

static ctx parse_iface(kn_ifupdown_file *f, kn_ifupdown_line *l) {
        char valid[128];
        if (l->n_words < 2) {
                set_error(f, l->lineno, "'iface' without an interface name");
                return CTX_NONE;
        }
        const char *name = l->words[1];
        if (l->n_words < 3) {
                set_error(f, l->lineno, "iface %s: no address family (inet, inet6, ipx, can)",
                          name);
                return CTX_NONE;
        }
        kn_ifupdown_family family = kn_ifupdown_family_from_string(l->words[2]);
        if (family < 0) {
                set_error(f, l->lineno,
                          "iface %s: unknown address family '%s' (valid: inet, inet6, ipx, can)",
                          name, l->words[2]);
                return CTX_NONE;
        }
        const char *method = l->n_words > 3 ? l->words[3] : NULL;
        if (method && streq(method, "inherits"))
                method = NULL; /* "iface X inet inherits T": the method comes from T */
        else if (!method || !kn_ifupdown_method_known(family, method)) {
                methods_list(family, valid, sizeof valid);
                if (method)
                        set_error(f, l->lineno, "iface %s: unknown method '%s' for %s (valid: %s)",
                                  name, method, l->words[2], valid);
                else
                        set_error(f, l->lineno, "iface %s: no method for %s (valid: %s)", name,
                                  l->words[2], valid);
                return CTX_NONE;
        }
        for (size_t k = 3; k < l->n_words; k++)
                if (streq(l->words[k], "inherits") && k + 1 >= l->n_words) {
                        set_error(f, l->lineno, "iface %s: 'inherits' without a template name",
                                  name);
                        return CTX_NONE;
                }
        GREEDY_REALLOC(f->stanzas, f->alloc_stanzas, f->n_stanzas + 1);
        f->stanzas[f->n_stanzas++] = (kn_ifupdown_stanza){
                .first = (size_t) (l - f->lines),
                .end = (size_t) (l - f->lines) + 1,
                .name = name,
                .family = family,
                .method = method,
        };
        return CTX_IFACE;
}

static ctx classify(kn_ifupdown_file *f, kn_ifupdown_line *l, ctx c) {
        const char *w = l->words[0];
        if (streq(w, "iface")) {
                l->kind = IFU_IFACE;
                return parse_iface(f, l);
        }
        if (streq(w, "mapping")) {
                l->kind = IFU_MAPPING;
                if (l->n_words < 2)
                        set_error(f, l->lineno, "'mapping' without an interface pattern");
                return CTX_MAPPING;
        }
        if (streq(w, "auto") || strncmp(w, "allow-", 6) == 0) {
                l->kind = IFU_START;
                if (streq(w, "allow-"))
                        set_error(f, l->lineno, "'allow-' without a class name");
                return CTX_NONE;
        }
        if (streq(w, "source") || streq(w, "source-directory")) {
                l->kind = streq(w, "source") ? IFU_SOURCE : IFU_SOURCE_DIR;
                if (l->n_words < 2)
                        set_error(f, l->lineno, "'%s' without a path", w);
                return CTX_NONE;
        }
        if (streq(w, "rename") || streq(w, "no-auto-down") || streq(w, "no-scripts")) {
                l->kind = IFU_TOPLEVEL;
                return CTX_NONE;
        }
        if (c == CTX_IFACE) {
                l->kind = IFU_OPTION;
                f->stanzas[f->n_stanzas - 1].end = (size_t) (l - f->lines) + 1;
                return c;
        }
        if (c == CTX_MAPPING) {
                l->kind = IFU_MAP_OPTION;
                return c;
        }
        l->kind = IFU_OPTION;
        set_error(f, l->lineno,
                  "option '%s' outside any iface or mapping stanza (options follow an "
                  "'iface NAME FAMILY METHOD' line)",
                  w);
        return CTX_NONE;
}

kn_ifupdown_file *kn_ifupdown_file_parse(const char *path, const char *shown, char *text,
                                         size_t len) {
        kn_ifupdown_file *f = kn_xcalloc(1, sizeof *f);
        f->path = kn_xstrdup(path);
        f->shown = kn_xstrdup(shown);
        f->text = text;
        f->len = len;

        const char *nul = memchr(text, '\0', len);
        if (nul) {
                unsigned at = 1;
                for (const char *p = text; p < nul; p++)
                        at += *p == '\n';
                set_error(f, at, "the file contains a NUL byte");
                len = (size_t) (nul - text);
        }

        size_t alloc = 0;
        unsigned lineno = 1;
        ctx c = CTX_NONE;
        _cleanup_strbuf_ kn_strbuf joined = {0};
        for (size_t pos = 0; pos < len;) {
                const char *start = text + pos;
                unsigned first = lineno;
                const char *s = start;
                while (is_blank(*s))
                        s++;
                bool comment = *s == '#';
                joined.len = 0;
                /* Gather the physical lines of one logical line. */
                for (;;) {
                        const char *nl = memchr(text + pos, '\n', len - pos);
                        size_t end = nl ? (size_t) (nl - text) : len;
                        size_t body = end;
                        bool more = false;
                        if (!comment && body > pos && text[body - 1] == '\\') {
                                body--;
                                more = nl != NULL && end + 1 < len;
                        }
                        kn_strbuf_putn(&joined, text + pos, body - pos);
                        pos = nl ? end + 1 : len;
                        lineno++;
                        if (!more)
                                break;
                }
                GREEDY_REALLOC(f->lines, alloc, f->n_lines + 1);
                kn_ifupdown_line *l = &f->lines[f->n_lines++];
                *l = (kn_ifupdown_line){
                        .raw = start, .raw_len = (size_t) (text + pos - start), .lineno = first};
                if (comment) {
                        l->kind = IFU_COMMENT;
                        continue;
                }
                split_words(l, joined.s ? joined.s : "");
                if (l->n_words == 0) {
                        l->kind = IFU_BLANK;
                        continue;
                }
                c = classify(f, l, c);
        }
        return f;
}

kn_ifupdown_file *kn_ifupdown_file_free(kn_ifupdown_file *f) {
        if (!f)
                return NULL;
        for (size_t i = 0; i < f->n_lines; i++)
                free(f->lines[i].words); /* words and value live in one block */
        free(f->lines);
        free(f->stanzas);
        free(f->path);
        free(f->shown);
        free(f->text);
        free(f->err);
        free(f);
        return NULL;
}
