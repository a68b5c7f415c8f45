/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* One domain <interface> (src/guest/guest-def.c, kn_guest_nic_parse): what
 * attach-device reads.  A NIC that parses is copied and printed too. */

#include "fuzz.h"
#include "kvmnet/guest.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *xml = fuzz_strndup(data, size);
        kn_error err = {0};
        kn_guest_nic nic = {0};
        if (kn_guest_nic_parse(xml, &nic, &err) >= 0) {
                kn_guest_nic copy = {0};
                if (kn_guest_nic_copy(&nic, &copy) >= 0)
                        kn_guest_nic_done(&copy);
                kn_strbuf sb = {0};
                kn_guest_nic_format(&nic, "  ", &sb);
                kn_strbuf_done(&sb);
        }
        kn_guest_nic_done(&nic);
        free(xml);
        return 0;
}
