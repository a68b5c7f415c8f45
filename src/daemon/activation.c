/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Socket activation: the listening sockets systemd passes (kvmnetd.socket,
 * kvmnetd-ro.socket), told apart by the path each is bound to, so the
 * units need no FileDescriptorName= and a wrong one is named. */
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>

#include "daemon.h"
#include "macro.h"

int kn_daemon_adopt_sockets(kn_daemon *d, const char *rw_path, const char *ro_path) {
        int n = sd_listen_fds(true);
        if (n < 0) {
                kn_logp(KN_LOG_ERR, "cannot read the sockets passed by the service manager: %s",
                        strerror(-n));
                return n;
        }
        for (int k = 0; k < n; k++) {
                int fd = SD_LISTEN_FDS_START + k;
                struct sockaddr_un sa = {0};
                socklen_t len = sizeof sa;
                if (sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) <= 0 ||
                    getsockname(fd, (struct sockaddr *) &sa, &len) < 0 ||
                    len <= offsetof(struct sockaddr_un, sun_path) || !sa.sun_path[0]) {
                        kn_logp(KN_LOG_ERR,
                                "passed file descriptor %d is not a listening unix "
                                "stream socket bound to a path",
                                fd);
                        return -EINVAL;
                }
                sa.sun_path[sizeof sa.sun_path - 1] = '\0';
                bool rw = streq(sa.sun_path, rw_path), ro = streq(sa.sun_path, ro_path);
                kn_listener *l = rw ? &d->rw : ro ? &d->ro : NULL;
                if (!l || l->fd >= 0) {
                        kn_logp(KN_LOG_ERR,
                                "passed socket %s is %s (kvmnetd serves --socket %s and "
                                "--ro-socket %s)",
                                sa.sun_path, l ? "passed twice" : "neither of kvmnetd's", rw_path,
                                ro_path);
                        return -EINVAL;
                }
                int r = kn_listener_adopt(d, l, fd, sa.sun_path, ro);
                if (r < 0)
                        return r;
        }
        return n;
}
