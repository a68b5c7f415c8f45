/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "utf8.h"

#include <stdint.h>
#include <string.h>

size_t kn_utf8_char_len(const char *s, size_t len) {
        const unsigned char *p = (const unsigned char *) s;
        if (len == 0)
                return 0;
        if (p[0] < 0x80)
                return 1;
        size_t n;
        uint32_t cp, min;
        if ((p[0] & 0xe0) == 0xc0)
                n = 2, cp = p[0] & 0x1f, min = 0x80;
        else if ((p[0] & 0xf0) == 0xe0)
                n = 3, cp = p[0] & 0x0f, min = 0x800;
        else if ((p[0] & 0xf8) == 0xf0)
                n = 4, cp = p[0] & 0x07, min = 0x10000;
        else
                return 0;
        if (len < n)
                return 0;
        for (size_t k = 1; k < n; k++) {
                if ((p[k] & 0xc0) != 0x80)
                        return 0;
                cp = cp << 6 | (p[k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return n;
}

bool kn_utf8_valid(const char *s, size_t len) {
        for (size_t i = 0; i < len;) {
                size_t n = kn_utf8_char_len(s + i, len - i);
                if (n == 0)
                        return false;
                i += n;
        }
        return true;
}

/* How many bytes at s[0..len) are the start of a character that len cut
 * short: a lead byte and the continuation bytes that follow it, fewer than
 * it announces.  0 if that is not what is there. */
static size_t cut_short(const unsigned char *p, size_t len) {
        size_t want = (p[0] & 0xe0) == 0xc0   ? 2
                      : (p[0] & 0xf0) == 0xe0 ? 3
                      : (p[0] & 0xf8) == 0xf0 ? 4
                                              : 0;
        size_t k = 1;
        while (k < want && k < len && (p[k] & 0xc0) == 0x80)
                k++;
        /* Cut short: the sequence stops early and nothing more of it follows. */
        return want && k < want ? k : 0;
}

size_t kn_utf8_repair(char *s, size_t len) {
        size_t i = 0, o = 0;
        while (i < len) {
                size_t n = kn_utf8_char_len(s + i, len - i);
                if (n > 0) {
                        memmove(s + o, s + i, n);
                        i += n;
                        o += n;
                        continue;
                }
                size_t cut = cut_short((const unsigned char *) s + i, len - i);
                if (cut > 0) {
                        i += cut;
                        continue;
                }
                s[o++] = '?';
                i++;
        }
        return o;
}
