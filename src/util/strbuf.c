/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "strbuf.h"

#include <stdarg.h>

static void reserve(kn_strbuf *b, size_t extra) {
        GREEDY_REALLOC(b->s, b->alloc, b->len + extra + 1);
}

void kn_strbuf_putn(kn_strbuf *b, const char *s, size_t n) {
        reserve(b, n);
        memcpy(b->s + b->len, s, n);
        b->len += n;
        b->s[b->len] = '\0';
}

void kn_strbuf_puts(kn_strbuf *b, const char *s) {
        kn_strbuf_putn(b, s, strlen(s));
}

void kn_strbuf_putc(kn_strbuf *b, char c) {
        kn_strbuf_putn(b, &c, 1);
}

void kn_strbuf_printf(kn_strbuf *b, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        char probe[1];
        int n = vsnprintf(probe, sizeof probe, fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        reserve(b, (size_t) n);
        va_start(ap, fmt);
        vsnprintf(b->s + b->len, (size_t) n + 1, fmt, ap);
        va_end(ap);
        b->len += (size_t) n;
}

void kn_strbuf_put_xml(kn_strbuf *b, const char *s) {
        for (const char *p = s; *p; p++) {
                switch (*p) {
                case '&': kn_strbuf_puts(b, "&amp;"); break;
                case '<': kn_strbuf_puts(b, "&lt;"); break;
                case '>': kn_strbuf_puts(b, "&gt;"); break;
                case '\'': kn_strbuf_puts(b, "&apos;"); break;
                case '"': kn_strbuf_puts(b, "&quot;"); break;
                default: kn_strbuf_putc(b, *p);
                }
        }
}

char *kn_strbuf_steal(kn_strbuf *b) {
        char *s = b->s ? b->s : kn_xstrdup("");
        *b = (kn_strbuf){0};
        return s;
}

void kn_strbuf_done(kn_strbuf *b) {
        free(b->s);
        *b = (kn_strbuf){0};
}
