/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>

#include "macro.h"

static void *oom(void) {
        fputs("kvmnet: out of memory\n", stderr);
        abort();
}

void *kn_xmalloc(size_t n) {
        void *p = malloc(n ? n : 1);
        return p ? p : oom();
}

void *kn_xcalloc(size_t n, size_t size) {
        void *p = calloc(n ? n : 1, size ? size : 1);
        return p ? p : oom();
}

void *kn_xrealloc(void *p, size_t n) {
        void *q = realloc(p, n ? n : 1);
        return q ? q : oom();
}

char *kn_xstrdup(const char *s) {
        char *p = strdup(s);
        return p ? p : oom();
}

char *kn_xstrndup(const char *s, size_t n) {
        char *p = strndup(s, n);
        return p ? p : oom();
}

char *kn_xvasprintf(const char *fmt, va_list ap) {
        char *s;
        return vasprintf(&s, fmt, ap) < 0 ? oom() : s;
}

void kn_vreportf(void (*report)(const char *message, void *userdata), void *userdata,
                 const char *fmt, va_list ap) {
        if (!report)
                return;
        char *s = kn_xvasprintf(fmt, ap);
        report(s, userdata);
        free(s);
}

void kn_reportf(void (*report)(const char *message, void *userdata), void *userdata,
                const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        kn_vreportf(report, userdata, fmt, ap);
        va_end(ap);
}

char *kn_xasprintf(const char *fmt, ...) {
        va_list ap;
        char *s;
        va_start(ap, fmt);
        int r = vasprintf(&s, fmt, ap);
        va_end(ap);
        return r < 0 ? oom() : s;
}

void kn_strv_free(char **v, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

void kn_strv_pushf(char ***v, size_t *n, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        char *s = kn_xvasprintf(fmt, ap);
        va_end(ap);
        *v = kn_xrealloc(*v, (*n + 1) * sizeof **v);
        (*v)[(*n)++] = s;
}
