/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "ini.h"

#include <errno.h>
#include <stdarg.h>
#include <strings.h>

#include "macro.h"
#include "strbuf.h"

static void *mfree(void *p) {
        free(p);
        return NULL;
}

static bool is_blank(char c) {
        return c == ' ' || c == '\t' || c == '\r';
}

static char *strip_dup(const char *s, size_t n) {
        while (n > 0 && is_blank(*s))
                s++, n--;
        while (n > 0 && is_blank(s[n - 1]))
                n--;
        return kn_xstrndup(s, n);
}

static bool is_comment_text(const kn_ini *f, const char *s) {
        while (is_blank(*s))
                s++;
        return *s == '#' || (f->syntax == KN_INI_SYSTEMD && *s == ';');
}

static bool line_is_blank(const kn_ini_line *l) {
        if (l->header || l->key || !l->raw)
                return false;
        for (const char *p = l->raw; *p; p++)
                if (!is_blank(*p))
                        return false;
        return true;
}

static bool line_is_comment(const kn_ini *f, const kn_ini_line *l) {
        return !l->header && !l->key && l->raw && is_comment_text(f, l->raw);
}

static void line_done(kn_ini_line *l) {
        free(l->raw);
        free(l->section);
        free(l->key);
        free(l->value);
}

static char *unescape_keyfile(const char *s) {
        kn_strbuf b = {0};
        kn_strbuf_puts(&b, "");
        for (const char *p = s; *p; p++) {
                if (*p == '\\' && p[1]) {
                        const char *from = "stnr\\", *to = " \t\n\r\\";
                        const char *hit = strchr(from, p[1]);
                        if (hit) {
                                kn_strbuf_putc(&b, to[hit - from]);
                                p++;
                                continue;
                        }
                }
                kn_strbuf_putc(&b, *p);
        }
        return kn_strbuf_steal(&b);
}

static void put_value(kn_strbuf *b, const kn_ini *f, const char *v) {
        if (f->syntax != KN_INI_KEYFILE) {
                kn_strbuf_puts(b, v);
                return;
        }
        for (const char *p = v; *p; p++) {
                switch (*p) {
                case '\\': kn_strbuf_puts(b, "\\\\"); break;
                case '\n': kn_strbuf_puts(b, "\\n"); break;
                case '\t': kn_strbuf_puts(b, "\\t"); break;
                case '\r': kn_strbuf_puts(b, "\\r"); break;
                case ' ': kn_strbuf_puts(b, p == v ? "\\s" : " "); break;
                default: kn_strbuf_putc(b, *p);
                }
        }
}

/* Understand one logical line; returns why it is wrong, or NULL. */
static const char *parse_content(kn_ini *f, kn_ini_line *l, const char *p, char **section) {
        if (!*p || is_comment_text(f, p))
                return NULL;
        if (*p == '[') {
                const char *close = strchr(p, ']');
                if (!close)
                        return "section header without ']'";
                for (const char *q = close + 1; *q; q++)
                        if (!is_blank(*q))
                                return "text after the section header's ']'";
                if (close == p + 1)
                        return "empty section name";
                if (memchr(p + 1, '[', (size_t) (close - p - 1)))
                        return "'[' inside a section name";
                free(*section);
                *section = kn_xstrndup(p + 1, (size_t) (close - p - 1));
                l->header = true;
                return NULL;
        }
        const char *eq = strchr(p, '=');
        if (!eq)
                return "expected [Section] or Key=value";
        if (!*section)
                return "Key=value before the first [Section]";
        l->key = strip_dup(p, (size_t) (eq - p));
        if (!*l->key) {
                l->key = mfree(l->key);
                return "empty key before '='";
        }
        char *v = strip_dup(eq + 1, strlen(eq + 1));
        if (f->syntax == KN_INI_KEYFILE) {
                l->value = unescape_keyfile(v);
                free(v);
        } else
                l->value = v;
        return NULL;
}

static const char *parse_line(kn_ini *f, kn_ini_line *l, const char *text, char **section) {
        while (is_blank(*text))
                text++;
        const char *why = parse_content(f, l, text, section);
        l->section = *section ? kn_xstrdup(*section) : NULL;
        return why;
}

static kn_ini_line *append(kn_ini *f) {
        GREEDY_REALLOC(f->lines, f->alloc, f->n + 1);
        kn_ini_line *l = &f->lines[f->n++];
        *l = (kn_ini_line){0};
        return l;
}

void kn_ini_init(kn_ini *f, kn_ini_syntax syntax) {
        *f = (kn_ini){.syntax = syntax};
}

int kn_ini_parse(kn_ini *f, kn_ini_syntax syntax, const char *data, size_t len) {
        _cleanup_free_ char *section = NULL;
        const char *p = data, *end = data + len;
        unsigned lineno = 0;

        kn_ini_init(f, syntax);
        while (p < end) {
                kn_strbuf raw = {0}, logical = {0};
                unsigned first = lineno + 1;
                kn_strbuf_puts(&raw, "");
                kn_strbuf_puts(&logical, "");
                for (;;) {
                        const char *nl = memchr(p, '\n', (size_t) (end - p));
                        size_t n = nl ? (size_t) (nl - p) : (size_t) (end - p);
                        lineno++;
                        if (raw.len)
                                kn_strbuf_putc(&raw, '\n');
                        kn_strbuf_putn(&raw, p, n);
                        size_t t = n;
                        while (t > 0 && is_blank(p[t - 1]))
                                t--;
                        bool more = syntax == KN_INI_SYSTEMD && t > 0 && p[t - 1] == '\\' && nl &&
                                    nl + 1 < end && !is_comment_text(f, raw.s);
                        if (more) {
                                kn_strbuf_putn(&logical, p, t - 1);
                                kn_strbuf_putc(&logical, ' ');
                        } else
                                kn_strbuf_putn(&logical, p, n);
                        p = nl ? nl + 1 : end;
                        if (!more)
                                break;
                }
                kn_ini_line *l = append(f);
                l->raw = kn_strbuf_steal(&raw);
                l->lineno = first;
                const char *why = parse_line(f, l, logical.s, &section);
                kn_strbuf_done(&logical);
                if (why && !f->err_line) {
                        f->err_line = first;
                        f->err = kn_xstrdup(why);
                }
        }
        return f->err_line ? -EINVAL : 0;
}

void kn_ini_done(kn_ini *f) {
        for (size_t k = 0; k < f->n; k++)
                line_done(&f->lines[k]);
        free(f->lines);
        free(f->err);
        *f = (kn_ini){.syntax = f->syntax};
}

char *kn_ini_format(const kn_ini *f, size_t *ret_len) {
        kn_strbuf b = {0};
        kn_strbuf_puts(&b, "");
        for (size_t k = 0; k < f->n; k++) {
                const kn_ini_line *l = &f->lines[k];
                if (l->raw)
                        kn_strbuf_puts(&b, l->raw);
                else if (l->header)
                        kn_strbuf_printf(&b, "[%s]", l->section);
                else if (l->key) {
                        kn_strbuf_printf(&b, "%s=", l->key);
                        put_value(&b, f, l->value);
                }
                kn_strbuf_putc(&b, '\n');
        }
        if (ret_len)
                *ret_len = b.len;
        return kn_strbuf_steal(&b);
}

size_t kn_ini_next(const kn_ini *f, const char *section, const char *key, size_t from) {
        for (size_t k = from; k < f->n; k++) {
                const kn_ini_line *l = &f->lines[k];
                if (l->key && streq_ptr(l->section, section) && (!key || streq(l->key, key)))
                        return k;
        }
        return f->n;
}

const kn_ini_line *kn_ini_find(const kn_ini *f, const char *section, const char *key) {
        const kn_ini_line *found = NULL;
        KN_INI_FOREACH(k, f, section, key) {
                found = &f->lines[k];
        }
        return found;
}

bool kn_ini_has_section(const kn_ini *f, const char *section) {
        for (size_t k = 0; k < f->n; k++)
                if (f->lines[k].header && streq(f->lines[k].section, section))
                        return true;
        return false;
}

static void remove_lines(kn_ini *f, size_t from, size_t to) {
        for (size_t k = from; k < to; k++)
                line_done(&f->lines[k]);
        memmove(f->lines + from, f->lines + to, (f->n - to) * sizeof *f->lines);
        f->n -= to - from;
        /* A block removed at the end must not leave the blank line that
         * separated it from the section before. */
        if (from == f->n)
                while (f->n > 0 && line_is_blank(&f->lines[f->n - 1]))
                        line_done(&f->lines[--f->n]);
}

static kn_ini_line *insert(kn_ini *f, size_t at) {
        GREEDY_REALLOC(f->lines, f->alloc, f->n + 1);
        memmove(f->lines + at + 1, f->lines + at, (f->n - at) * sizeof *f->lines);
        f->n++;
        f->lines[at] = (kn_ini_line){0};
        return &f->lines[at];
}

static void fill_assignment(kn_ini_line *l, const char *section, const char *key,
                            const char *value) {
        l->section = kn_xstrdup(section);
        l->key = kn_xstrdup(key);
        l->value = kn_xstrdup(value);
}

/* Where a new assignment of section goes: after the last assignment of
 * its last instance (creating the section at the end if needed). */
static size_t insertion_point(kn_ini *f, const char *section) {
        size_t header = f->n;
        for (size_t k = f->n; k-- > 0;)
                if (f->lines[k].header && streq(f->lines[k].section, section)) {
                        header = k;
                        break;
                }
        if (header == f->n) {
                if (f->n > 0 && !line_is_blank(&f->lines[f->n - 1])) {
                        kn_ini_line *b = append(f);
                        b->raw = kn_xstrdup("");
                }
                kn_ini_line *h = append(f);
                h->header = true;
                h->section = kn_xstrdup(section);
                return f->n;
        }
        size_t at = header + 1;
        for (size_t k = header + 1; k < f->n && !f->lines[k].header; k++)
                if (f->lines[k].key)
                        at = k + 1;
        return at;
}

void kn_ini_set(kn_ini *f, const char *section, const char *key, const char *value) {
        if (!value) {
                kn_ini_set_list(f, section, key, NULL, 0);
                return;
        }
        size_t last = f->n;
        KN_INI_FOREACH(k, f, section, key) {
                last = k;
        }
        if (last == f->n) {
                fill_assignment(insert(f, insertion_point(f, section)), section, key, value);
                return;
        }
        kn_ini_line *l = &f->lines[last];
        if (!streq(l->value, value)) {
                l->raw = mfree(l->raw);
                free(l->value);
                l->value = kn_xstrdup(value);
        }
        for (size_t k = last; k-- > 0;)
                if (f->lines[k].key && streq_ptr(f->lines[k].section, section) &&
                    streq(f->lines[k].key, key))
                        remove_lines(f, k, k + 1);
}

void kn_ini_setf(kn_ini *f, const char *section, const char *key, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *v = NULL;
        v = kn_xvasprintf(fmt, ap);
        va_end(ap);
        kn_ini_set(f, section, key, v);
}

void kn_ini_set_list(kn_ini *f, const char *section, const char *key, char *const *values,
                     size_t n) {
        size_t first = kn_ini_next(f, section, key, 0);
        bool same = first < f->n;
        /* Unchanged lists keep their lines as they were. */
        size_t k = first, i = 0;
        for (; same && k < f->n && i < n; k = kn_ini_next(f, section, key, k + 1), i++)
                same = streq(f->lines[k].value, values[i]);
        if (same && i == n && k == f->n)
                return;

        /* One pass to drop the old assignments (lists of thousands: VLAN=). */
        bool existed = first < f->n;
        size_t out = first;
        for (size_t j = first; j < f->n; j++) {
                kn_ini_line *l = &f->lines[j];
                if (l->key && streq_ptr(l->section, section) && streq(l->key, key))
                        line_done(l);
                else
                        f->lines[out++] = *l;
        }
        f->n = out;
        if (n == 0) {
                if (existed && first == f->n)
                        remove_lines(f, f->n, f->n); /* no blank tail where they were */
                return;
        }
        size_t at = existed ? first : insertion_point(f, section);
        GREEDY_REALLOC(f->lines, f->alloc, f->n + n);
        memmove(f->lines + at + n, f->lines + at, (f->n - at) * sizeof *f->lines);
        f->n += n;
        for (i = 0; i < n; i++) {
                f->lines[at + i] = (kn_ini_line){0};
                fill_assignment(&f->lines[at + i], section, key, values[i]);
        }
}

void kn_ini_remove_section(kn_ini *f, const char *section) {
        for (size_t k = f->n; k-- > 0;) {
                kn_ini_line *l = &f->lines[k];
                if (!l->header || !streq(l->section, section))
                        continue;
                size_t end = k + 1;
                while (end < f->n && !f->lines[end].header)
                        end++;
                remove_lines(f, k, end);
        }
}

void kn_ini_prune(kn_ini *f, const char *section) {
        for (size_t k = f->n; k-- > 0;) {
                if (!f->lines[k].header || !streq(f->lines[k].section, section))
                        continue;
                size_t end = k + 1;
                bool empty = true;
                for (; end < f->n && !f->lines[end].header; end++)
                        if (!line_is_blank(&f->lines[end]))
                                empty = false;
                /* The blank line before the header stays, to separate what
                 * came before from the next section. */
                if (empty)
                        remove_lines(f, k, end);
        }
}

bool kn_ini_has_comment(const kn_ini *f, const char *text) {
        for (size_t k = 0; k < f->n; k++)
                if (line_is_comment(f, &f->lines[k]) && streq(f->lines[k].raw, text))
                        return true;
        return false;
}

void kn_ini_add_comment(kn_ini *f, const char *text) {
        if (kn_ini_has_comment(f, text))
                return;
        kn_ini_line *l = insert(f, 0);
        l->raw = kn_xstrdup(text);
}

void kn_ini_remove_comment(kn_ini *f, const char *text) {
        for (size_t k = f->n; k-- > 0;)
                if (line_is_comment(f, &f->lines[k]) && streq(f->lines[k].raw, text))
                        remove_lines(f, k, k + 1);
}

int kn_ini_parse_bool(const char *s) {
        static const char *const yes[] = {"1", "yes", "y", "true", "t", "on"};
        static const char *const no[] = {"0", "no", "n", "false", "f", "off"};
        if (!s)
                return -EINVAL;
        for (size_t k = 0; k < ELEMENTSOF(yes); k++) {
                if (strcasecmp(s, yes[k]) == 0)
                        return 1;
                if (strcasecmp(s, no[k]) == 0)
                        return 0;
        }
        return -EINVAL;
}
