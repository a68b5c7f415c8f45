/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Interface XML (src/model/iface-xml-parse.c): what iface-define and the
 * CLI read.  A document that parses is also validated and printed, the
 * paths every accepted definition takes next. */

#include "fuzz.h"
#include "kvmnet/iface.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        kn_error err = {0};
        kn_iface *i = NULL;
        if (kn_iface_parse_xml((const char *) data, size, "fuzz.xml", &i, &err) < 0)
                return 0;
        (void) kn_iface_validate(i, &err);
        free(kn_iface_format_xml(i, 0));
        kn_iface_free(i);
        return 0;
}
