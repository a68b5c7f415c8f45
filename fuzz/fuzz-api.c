/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The dispatcher behind the request parser (src/api): a line that
 * kn_api_parse_request accepts goes to kn_api_call_sync on an offline api
 * (no live state, as kvmnet --root) over a small ifupdown root.  Read-only
 * flag: a fuzzed request never writes files, starts a guest or a network;
 * what is reached is request checking, the verb table and the read-only
 * verbs. */

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "kvmnet/api.h"

static kn_api *api;

static const char interfaces[] = "--- etc/network/interfaces\n"
                                 "auto lo\n"
                                 "iface lo inet loopback\n"
                                 "auto br0\n"
                                 "iface br0 inet static\n"
                                 "    address 192.0.2.1/24\n"
                                 "    bridge_ports eth0\n"
                                 "iface eth0 inet manual\n";

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        char *root = fuzz_root_dir("api");
        fuzz_root_write(root, (const uint8_t *) interfaces, sizeof interfaces - 1);
        kn_error err = {0};
        kn_config *cfg = NULL;
        if (kn_config_open(root, "ifupdown", &cfg, &err) < 0) {
                fprintf(stderr, "fuzz-api: %s\n", err.message);
                abort();
        }
        api = kn_api_new(cfg);
        kn_api_set_no_live(api);
        kn_api_set_state_dir(api, NULL);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        kn_error err = {0};
        json_object *req = NULL;
        if (kn_api_parse_request((const char *) data, size, &req, &err) < 0)
                return 0;
        json_object *reply = NULL;
        (void) kn_api_call_sync(api, req, KN_API_READ_ONLY, &reply);
        if (!reply)
                abort(); /* a reply is always produced */
        json_object_put(reply);
        json_object_put(req);
        return 0;
}
