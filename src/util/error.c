/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kvmnet/error.h"

#include <stdio.h>
#include <string.h>

#include "utf8.h"

/* A message cut by a precision ("%.64s") or by the buffer's end keeps
 * whole characters only: it goes out in replies, which are UTF-8. */
static void message_repair(kn_error *e) {
        size_t len = strlen(e->message);
        e->message[kn_utf8_repair(e->message, len)] = '\0';
}

int kn_error_setv(kn_error *e, int code, const char *fmt, va_list ap) {
        if (code < 0)
                code = -code;
        if (e && e->code == 0) {
                e->code = code;
                vsnprintf(e->message, sizeof e->message, fmt, ap);
                message_repair(e);
        }
        return -code;
}

int kn_error_set(kn_error *e, int code, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        int r = kn_error_setv(e, code, fmt, ap);
        va_end(ap);
        return r;
}

void kn_error_prefix(kn_error *e, const char *fmt, ...) {
        if (!e || e->code == 0)
                return;
        char old[KN_ERROR_MAX];
        memcpy(old, e->message, sizeof old);
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(e->message, sizeof e->message, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t) n + 2 < sizeof e->message) {
                memcpy(e->message + n, ": ", 3);
                strncat(e->message, old, sizeof e->message - (size_t) n - 3);
        }
        message_repair(e);
}

void kn_error_append(kn_error *e, const char *fmt, ...) {
        if (!e || e->code == 0)
                return;
        size_t len = strlen(e->message);
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->message + len, sizeof e->message - len, fmt, ap);
        va_end(ap);
        message_repair(e);
}

void kn_error_append_undone(kn_error *e, size_t n) {
        if (n == 1)
                kn_error_append(e, "; the step done was undone");
        else if (n > 1)
                kn_error_append(e, "; the %zu steps done were undone", n);
}
