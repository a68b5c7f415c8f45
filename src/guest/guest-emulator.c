/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which QEMU binaries a guest's <emulator> may name.  kvmnetd runs QEMU as
 * root for anyone on the read-write socket: without a list, guest-define
 * plus guest-start would run any program. */
#include <limits.h>
#include <stdlib.h>

#include "guest-private.h"
#include "spawn.h"
#include "strbuf.h"

#define DEFAULT_EMULATOR "qemu-system-x86_64"

void kn_guest_registry_set_emulators(kn_guest_registry *reg, char *const *paths, size_t n) {
        kn_guest_argv_free(reg->emulators);
        reg->emulators = NULL;
        if (n == 0)
                return;
        reg->emulators = kn_xcalloc(n + 1, sizeof *reg->emulators);
        for (size_t k = 0; k < n; k++)
                reg->emulators[k] = kn_xstrdup(paths[k]);
}

/* The file NAME runs, symlinks resolved; NULL if there is none. */
static char *resolve(const char *name) {
        _cleanup_free_ char *exe = kn_spawn_find(name);
        return exe ? realpath(exe, NULL) : NULL;
}

int kn_guest_emulator_resolve(kn_guest_registry *reg, const char *emulator, char **ret_exe,
                              kn_error *err) {
        static char *const fallback[] = {(char *) DEFAULT_EMULATOR, NULL};
        char *const *allowed = reg->emulators ? reg->emulators : fallback;
        const char *name = emulator ? emulator : DEFAULT_EMULATOR;
        _cleanup_free_ char *exe = resolve(name);
        if (!exe)
                return kn_error_set(err, ENOENT, "emulator %s not found%s", name,
                                    emulator ? "" : " (install qemu-system-x86)");
        _cleanup_strbuf_ kn_strbuf list = {0};
        for (size_t k = 0; allowed[k]; k++) {
                _cleanup_free_ char *a = resolve(allowed[k]);
                if (a && streq(a, exe)) {
                        *ret_exe = TAKE_PTR(exe);
                        return 0;
                }
                kn_strbuf_printf(&list, "%s%s", k ? ", " : "", allowed[k]);
        }
        return kn_error_set(err, EPERM,
                            "emulator %s is not one kvmnetd runs (allowed: %s; see kvmnetd "
                            "--emulator)",
                            name, list.s);
}
