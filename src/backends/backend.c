/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kvmnet/backend.h"
#include "macro.h"

extern const kn_backend_vtable kn_ifupdown_vtable;
extern const kn_backend_vtable kn_ifcfg_vtable;
extern const kn_backend_vtable kn_networkd_vtable;
extern const kn_backend_vtable kn_nmkeyfile_vtable;

/* Detection order: the first whose detect() says yes wins. */
const kn_backend_vtable *const kn_backends[] = {
        &kn_ifupdown_vtable,
        &kn_ifcfg_vtable,
        &kn_networkd_vtable,
        &kn_nmkeyfile_vtable,
        NULL,
};

const kn_backend_vtable *kn_backend_find(const char *name) {
        for (size_t k = 0; kn_backends[k]; k++)
                if (streq(kn_backends[k]->name, name))
                        return kn_backends[k];
        return NULL;
}
