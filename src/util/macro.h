/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdarg.h>

/* Scope-bound cleanup and small helpers used everywhere in kvmnet.
 * An early `return r;` must never leak: every owned resource is declared
 * with one of the _cleanup_ attributes below. */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f)   __attribute__((cleanup(f)))
#define _unused_       __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _pure_         __attribute__((pure))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(int *fd) {
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}
#define _cleanup_close_ _cleanup_(closep)

static inline void fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Hand an owned pointer/fd over, so the cleanup attribute no longer frees it. */
#define TAKE_PTR(p)                                                                                \
        ({                                                                                         \
                __typeof__(p) _tp = (p);                                                           \
                (p) = NULL;                                                                        \
                _tp;                                                                               \
        })
#define TAKE_FD(fd)                                                                                \
        ({                                                                                         \
                int _tf = (fd);                                                                    \
                (fd) = -1;                                                                         \
                _tf;                                                                               \
        })

static inline bool streq(const char *a, const char *b) {
        return strcmp(a, b) == 0;
}
static inline bool streq_ptr(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return strcmp(a, b) == 0;
}
static inline bool startswith(const char *s, const char *prefix) {
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

static inline bool isempty(const char *s) {
        return !s || !*s;
}

/* Allocation failure is not a condition kvmnet tries to survive. */
void *kn_xmalloc(size_t n);
void *kn_xcalloc(size_t n, size_t size);
void *kn_xrealloc(void *p, size_t n);
char *kn_xstrdup(const char *s);
char *kn_xstrndup(const char *s, size_t n);
_printf_(1, 2) char *kn_xasprintf(const char *fmt, ...);
char *kn_xvasprintf(const char *fmt, va_list ap);
/* Format a message for a report(message, userdata) callback, the way the
 * lower layers hand their progress up; nothing if report is NULL. */
_printf_(3, 4) void kn_reportf(void (*report)(const char *message, void *userdata), void *userdata,
                               const char *fmt, ...);
void kn_vreportf(void (*report)(const char *message, void *userdata), void *userdata,
                 const char *fmt, va_list ap);
/* Free n strings and the array holding them. */
void kn_strv_free(char **v, size_t n);
/* Append a formatted string to the array *v of *n strings. */
_printf_(3, 4) void kn_strv_pushf(char ***v, size_t *n, const char *fmt, ...);

/* Grow an array to hold at least `need` elements (amortised doubling). */
#define GREEDY_REALLOC(array, alloc, need)                                                         \
        do {                                                                                       \
                if ((need) > (alloc)) {                                                            \
                        size_t _n = (alloc) ? (alloc) *2 : 8;                                      \
                        while (_n < (need))                                                        \
                                _n *= 2;                                                           \
                        (array) = kn_xrealloc((array), _n * sizeof(*(array)));                     \
                        (alloc) = _n;                                                              \
                }                                                                                  \
        } while (0)

/* qsort/bsearch that accept an empty (NULL) array: the C library's are
 * declared nonnull, and UBSan holds them to it. */
static inline void qsort_safe(void *base, size_t n, size_t size,
                              int (*cmp)(const void *, const void *)) {
        if (n > 1)
                qsort(base, n, size, cmp);
}
static inline void *bsearch_safe(const void *key, const void *base, size_t n, size_t size,
                                 int (*cmp)(const void *, const void *)) {
        return n > 0 ? bsearch(key, base, n, size, cmp) : NULL;
}
