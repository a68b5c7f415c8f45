/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kvmnet-offline.so: the dispatcher for kvmnet --root (offline.h).  Linked
 * with the whole library; exports nothing but kn_offline_module. */
#include "kvmnet/api.h"
#include "macro.h"
#include "offline.h"
#include "rootfs.h"
#include "kvmnet/filelog.h"

struct kn_offline {
        kn_api *api;
};

static kn_offline *offline_close(kn_offline *o) {
        if (o) {
                kn_api_free(o->api);
                free(o);
        }
        return NULL;
}

static void report(const char *message, void *userdata) {
        fprintf(stderr, "kvmnet: %s\n", message);
}

static int offline_open(const char *root, const char *backend, const char *netns,
                        const char *state_dir, kn_offline **ret, kn_error *err) {
        _cleanup_free_ char *abs_root = kn_path_absolute(root);
        _cleanup_free_ char *abs_state = state_dir ? kn_path_absolute(state_dir) : NULL;
        root = abs_root;
        /* Under --root DIR: DIR/var/lib/kvmnet, never this machine's. */
        _cleanup_free_ char *def = state_dir ? NULL : kn_api_default_state_dir(root);
        state_dir = state_dir ? abs_state : def;
        /* What a killed kvmnet left half written, before the files are read.
         * A state directory this user cannot write only costs the journal. */
        kn_filelog *files = NULL;
        int r = kn_api_recover_files(state_dir, root, report, NULL, &files, err);
        if (r == -EACCES || r == -EPERM || r == -EROFS) {
                fprintf(stderr, "kvmnet: %s; changes are not journaled\n", err->message);
                kn_error_clear(err);
        } else if (r < 0)
                return r;
        kn_config *cfg = NULL;
        r = kn_config_open(root, backend, &cfg, err);
        if (r < 0) {
                kn_filelog_free(files);
                return r;
        }
        kn_offline *o = kn_xcalloc(1, sizeof *o);
        o->api = kn_api_new(cfg);
        kn_api_set_state_dir(o->api, state_dir);
        kn_api_set_filelog(o->api, files);
        /* Without --netns there is no live state: the files under the root
         * only, as netplan generate --root-dir.  A named namespace is
         * opened now: a typo is reported at once. */
        if (netns) {
                r = kn_api_set_netns(o->api, netns, err);
                if (r < 0) {
                        kn_error_prefix(err, "--netns");
                        offline_close(o);
                        return r;
                }
        } else
                kn_api_set_no_live(o->api);
        /* A change a killed kvmnet left open (one whose process still runs
         * is left alone). */
        (void) kn_api_recover(o->api, report, NULL);
        *ret = o;
        return 0;
}

static json_object *offline_call(kn_offline *o, json_object *request) {
        json_object *reply = NULL;
        (void) kn_api_call_sync(o->api, request, 0, &reply);
        return reply;
}

__attribute__((visibility("default"))) const kn_offline_vtable kn_offline_module = {
        .abi = KN_OFFLINE_ABI,
        .open = offline_open,
        .call = offline_call,
        .close = offline_close,
};
