/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* UTF-8 checks for what goes out on the protocol: a message cut by a
 * printf precision or a full buffer must not end in half a character, and
 * no reply may carry bytes that are not UTF-8. */

#include <stdbool.h>
#include <stddef.h>

/* The length of the valid UTF-8 sequence at s[0..len), 0 if none starts
 * there (a stray continuation byte, an overlong form, a surrogate, past
 * U+10FFFF, or cut short by len). */
size_t kn_utf8_char_len(const char *s, size_t len);
bool kn_utf8_valid(const char *s, size_t len);

/* Make s[0..len) valid UTF-8 in place and return its new length: a
 * character cut short (by truncation) is removed whole, any other invalid
 * byte becomes '?'.  Valid text is left as it is. */
size_t kn_utf8_repair(char *s, size_t len);
