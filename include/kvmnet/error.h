/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* kvmnet functions return 0 (or a positive count) on success and a negative
 * errno value on failure.  Functions that can fail for a reason a user must
 * read also take a kn_error *, filled once, at the place that knows the
 * context (file:line, interface, field).  The pointer may be NULL. */

#include <stdarg.h>
#include <stddef.h>

#define KN_ERROR_MAX 1024

typedef struct kn_error {
        int code; /* positive errno, 0 if no error was set */
        char message[KN_ERROR_MAX];
} kn_error;

/* Set the error unless one is already set (the innermost context wins),
 * and return -code.  code must be a positive errno value. */
int kn_error_set(kn_error *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int kn_error_setv(kn_error *e, int code, const char *fmt, va_list ap);

/* Put "PREFIX: " in front of an error's message (outer context). */
void kn_error_prefix(kn_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Add to the end of an error's message (what followed it). */
void kn_error_append(kn_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The one wording of a failure whose n steps done were undone (n > 0):
 * "; the step done was undone", "; the N steps done were undone". */
void kn_error_append_undone(kn_error *e, size_t n);

static inline void kn_error_clear(kn_error *e) {
        if (e) {
                e->code = 0;
                e->message[0] = '\0';
        }
}
