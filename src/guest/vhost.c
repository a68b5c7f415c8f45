/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>

#include "kvmnet/tap.h"
#include "macro.h"

int kn_vhost_open_path(const char *path, unsigned queues, bool kvm, int fds[],
                       const char **ret_reason, kn_error *err) {
        const char *reason_unused;
        if (!ret_reason)
                ret_reason = &reason_unused;
        *ret_reason = NULL;
        if (queues < 1 || queues > KN_TAP_MAX_QUEUES)
                return kn_error_set(err, EINVAL, "vhost-net queues %u out of range 1..%d", queues,
                                    KN_TAP_MAX_QUEUES);
        for (unsigned i = 0; i < queues; i++)
                fds[i] = -1;
        /* vhost-net runs the virtqueues in the host kernel against guest
         * memory that KVM maps; under TCG QEMU refuses it. */
        if (!kvm) {
                *ret_reason = "not using KVM";
                return 0;
        }
        for (unsigned i = 0; i < queues; i++) {
                fds[i] = open(path, O_RDWR | O_CLOEXEC);
                if (fds[i] >= 0)
                        continue;
                int e = errno;
                kn_tap_close(fds, i);
                switch (e) {
                case ENOENT:
                case ENODEV:
                case ENXIO: *ret_reason = "no /dev/vhost-net"; return 0;
                case EACCES:
                case EPERM: *ret_reason = "no permission to open /dev/vhost-net"; return 0;
                default:
                        return kn_error_set(err, e, "opening %s for queue %u: %s", path, i,
                                            strerror(e));
                }
        }
        return (int) queues;
}

int kn_vhost_open(unsigned queues, bool kvm, int fds[], const char **ret_reason, kn_error *err) {
        return kn_vhost_open_path("/dev/vhost-net", queues, kvm, fds, ret_reason, err);
}
