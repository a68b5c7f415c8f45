/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>

#include "kvmnet/backend.h"
#include "macro.h"

void kn_iface_list_add(kn_iface_list *l, kn_iface *iface) {
        GREEDY_REALLOC(l->items, l->alloc, l->n + 1);
        l->items[l->n++] = iface;
}

static void add_diag(kn_iface_list *l, bool warning, const char *file, unsigned line,
                     const char *iface, const char *fmt, va_list ap) {
        GREEDY_REALLOC(l->diags, l->alloc_diags, l->n_diags + 1);
        kn_diag *d = &l->diags[l->n_diags++];
        d->message = kn_xvasprintf(fmt, ap);
        d->file = kn_xstrdup(file);
        d->line = line;
        d->iface = iface ? kn_xstrdup(iface) : NULL;
        d->warning = warning;
}

void kn_iface_list_diag(kn_iface_list *l, const char *file, unsigned line, const char *iface,
                        const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        add_diag(l, false, file, line, iface, fmt, ap);
        va_end(ap);
}

void kn_iface_list_warn(kn_iface_list *l, const char *file, unsigned line, const char *iface,
                        const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        add_diag(l, true, file, line, iface, fmt, ap);
        va_end(ap);
}

void kn_iface_list_done(kn_iface_list *l) {
        for (size_t k = 0; k < l->n; k++)
                kn_iface_free(l->items[k]);
        for (size_t k = 0; k < l->n_diags; k++) {
                free(l->diags[k].file);
                free(l->diags[k].iface);
                free(l->diags[k].message);
        }
        free(l->items);
        free(l->diags);
        *l = (kn_iface_list){0};
}
