/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A growable string.  Used to build XML, config files and protocol lines
 * without a printf per byte. */

#include <stddef.h>

#include "macro.h"

typedef struct kn_strbuf {
        char *s;
        size_t len, alloc;
} kn_strbuf;

void kn_strbuf_putn(kn_strbuf *b, const char *s, size_t n);
void kn_strbuf_puts(kn_strbuf *b, const char *s);
void kn_strbuf_putc(kn_strbuf *b, char c);
_printf_(2, 3) void kn_strbuf_printf(kn_strbuf *b, const char *fmt, ...);
/* Append s with &, <, >, ' and " escaped for XML attribute values. */
void kn_strbuf_put_xml(kn_strbuf *b, const char *s);
/* Detach the string (never NULL: an empty buffer gives ""). */
char *kn_strbuf_steal(kn_strbuf *b);
void kn_strbuf_done(kn_strbuf *b);

static inline void kn_strbuf_donep(kn_strbuf *b) {
        kn_strbuf_done(b);
}
#define _cleanup_strbuf_ _cleanup_(kn_strbuf_donep)
