/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The daemon's request line parser (src/api/protocol.c,
 * kn_api_parse_request): strict JSON, the framing's rules.  A value it
 * accepts must print as JSON that parses again. */

#include "fuzz.h"
#include "kvmnet/protocol.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        kn_error err = {0};
        json_object *o = NULL;
        if (kn_api_parse_request((const char *) data, size, &o, &err) < 0)
                return 0;
        const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
        json_object *again = NULL;
        kn_error err2 = {0};
        if (kn_api_parse_request(s, strlen(s), &again, &err2) < 0)
                abort(); /* what we would send back does not parse */
        json_object_put(again);
        json_object_put(o);
        return 0;
}
