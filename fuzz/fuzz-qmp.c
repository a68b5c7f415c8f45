/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The QMP client's reader (src/guest/qmp.c, kn_qmp_feed): the input is
 * what QEMU sends (greeting, replies, events), fed in chunks whose sizes
 * come from the input's first byte.  Two commands are pending before the
 * greeting (ids 1 and 2; qmp_capabilities gets 3), so replies have
 * something to match. */

#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "kvmnet/qmp.h"

static void on_reply(kn_qmp *q, const kn_qmp_reply *reply, void *userdata) {
        (*(unsigned *) userdata)++;
}

static void on_event(kn_qmp *q, const kn_qmp_event *ev, void *userdata) {
        (void) kn_qmp_match_device_deleted(ev, (void *) "net0");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                abort();
        kn_qmp *q = NULL;
        if (kn_qmp_new(sv[0], "fuzz", &q) < 0)
                abort();
        unsigned replies = 0;
        kn_error err = {0};
        (void) kn_qmp_send(q, "query-status", NULL, -1, on_reply, &replies, NULL, &err);
        (void) kn_qmp_send(q, "device_del", NULL, -1, on_reply, &replies, NULL, &err);
        if (size > 0 && (data[0] & 1))
                kn_qmp_set_event_handler(q, on_event, NULL);
        size_t chunk = size > 0 ? (size_t) (data[0] >> 1) + 1 : 1;
        if (size > 0) {
                data++;
                size--;
        }
        while (size > 0) {
                size_t n = size < chunk ? size : chunk;
                if (kn_qmp_feed(q, data, n, &err) < 0)
                        break;
                data += n;
                size -= n;
        }
        kn_qmp_free(q);
        close(sv[1]);
        return 0;
}
