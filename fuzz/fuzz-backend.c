/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* One backend's file reader (FUZZ_BACKEND: ifcfg, ifupdown, networkd,
 * nmkeyfile): the input is a small root ("--- PATH" lines start a file,
 * fuzz-root.c), loaded the way kvmnetd loads a root, then listed and
 * printed.  Built once per backend (fuzz/meson.build). */

#include "fuzz.h"
#include "kvmnet/config.h"

static char *root;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        root = fuzz_root_dir(FUZZ_BACKEND);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        fuzz_root_write(root, data, size);
        kn_error err = {0};
        kn_config *c = NULL;
        if (kn_config_open(root, FUZZ_BACKEND, &c, &err) < 0)
                return 0;
        const kn_iface *const *list;
        size_t n = kn_config_list(c, &list);
        for (size_t k = 0; k < n; k++) {
                kn_error verr = {0};
                (void) kn_iface_validate(list[k], &verr);
                free(kn_iface_format_xml(list[k], 0));
        }
        const kn_diag *d;
        (void) kn_config_diags(c, &d);
        kn_config_free(c);
        return 0;
}
