/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Guest <domain> XML (src/guest/guest-def.c, kn_guest_def_parse): what
 * guest-define reads.  A definition that parses is printed again too. */

#include "fuzz.h"
#include "kvmnet/guest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *xml = fuzz_strndup(data, size);
        kn_error err = {0};
        kn_guest_def *def = NULL;
        if (kn_guest_def_parse(xml, &def, &err) >= 0) {
                free(kn_guest_def_format(def));
                kn_guest_def_free(def);
        }
        free(xml);
        return 0;
}
