/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Network XML (src/vnet/net-xml-parse.c): what net-define reads.  A
 * network that parses is printed again too. */

#include "fuzz.h"
#include "kvmnet/vnet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        kn_error err = {0};
        kn_net *n = NULL;
        if (kn_net_parse_xml((const char *) data, size, "fuzz.xml", &n, &err) < 0)
                return 0;
        free(kn_net_format_xml(n));
        kn_net_free(n);
        return 0;
}
