/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* A netlink handle bound to a network namespace.  A netlink socket belongs
 * to the namespace its creator was in when it was made, for its whole
 * life: so the sockets are made after setns() into the target and the
 * thread goes straight back to its own namespace.  kn_netns_run() is
 * kvmnet's one way in and back out (the guest layer's tap step uses it
 * too); kn_netns_enter() is for a child that stays. */

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>

#include "kvmnet/name.h"
#include "live-internal.h"

#define RECV_BUF_SIZE (64 * 1024)

static int open_own(void) {
        return open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
}

static int netns_path_open(const char *netns, char **name, int *ret_fd, kn_error *err) {
        *ret_fd = -1;
        if (isempty(netns)) {
                *name = kn_xstrdup("");
                return 0;
        }
        _cleanup_free_ char *path = NULL;
        if (strchr(netns, '/'))
                path = kn_xstrdup(netns);
        else {
                int r = kn_netns_name_validate(netns, err);
                if (r < 0)
                        return r;
                path = kn_xasprintf("/run/netns/%s", netns);
        }
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                int e = errno;
                char shown[KN_NAME_SHOWN_MAX];
                kn_name_shown(netns, shown, sizeof shown);
                return kn_error_set(err, e, "network namespace '%s': %s", shown, strerror(e));
        }
        *name = kn_xstrdup(netns);
        *ret_fd = fd;
        return 0;
}

int kn_netns_enter(const kn_netns *ns) {
        if (ns->fd < 0)
                return 0;
        return setns(ns->fd, CLONE_NEWNET) < 0 ? -errno : 0;
}

int kn_netns_run(const kn_netns *ns, int (*fn)(void *data), void *data, kn_error *err) {
        if (ns->fd < 0)
                return fn(data);
        _cleanup_close_ int own = open_own();
        if (own < 0)
                return kn_error_set(err, errno, "cannot open own network namespace: %m");
        if (setns(ns->fd, CLONE_NEWNET) < 0)
                return kn_error_set(err, errno, "cannot enter network namespace %s: %m", ns->name);
        int r = fn(data);
        if (setns(own, CLONE_NEWNET) < 0) {
                /* Going on would act on the wrong namespace. */
                fprintf(stderr, "kvmnet: cannot return to own network namespace: %m\n");
                abort();
        }
        return r;
}

typedef struct nl_connect_args {
        int protocol, r;
        struct nl_sock *sk;
} nl_connect_args;

static int connect_here(void *data) {
        nl_connect_args *a = data;
        a->sk = nl_socket_alloc();
        if (!a->sk)
                abort();
        a->r = nl_connect(a->sk, a->protocol);
        return 0;
}

int kn_netns_socket(kn_netns *ns, int protocol, struct nl_sock **ret, kn_error *err) {
        nl_connect_args a = {.protocol = protocol};
        int r = kn_netns_run(ns, connect_here, &a, err);
        if (r < 0)
                return r;
        struct nl_sock *sk = a.sk;
        if (a.r < 0) {
                nl_socket_free(sk);
                return kn_error_set(err, EIO, "netlink socket in namespace '%s': %s", ns->name,
                                    nl_geterror(a.r));
        }
        int fd = nl_socket_get_fd(sk), one = 1;
        (void) setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
        (void) setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
        (void) setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof one);
        *ret = sk;
        return 0;
}

int kn_netns_open(const char *netns, kn_netns **ret, kn_error *err) {
        kn_netns *ns = kn_xcalloc(1, sizeof *ns);
        ns->fd = -1;
        ns->buf_size = RECV_BUF_SIZE;
        ns->buf = kn_xmalloc(ns->buf_size);
        ns->state_dir = kn_xstrdup("/run/kvmnet/live");

        int fd;
        int r = netns_path_open(netns, &ns->name, &fd, err);
        if (r < 0) {
                kn_netns_free(ns);
                return r;
        }
        ns->fd = fd;

        struct stat st;
        _cleanup_close_ int own = fd < 0 ? open_own() : -1;
        if (fstat(fd >= 0 ? fd : own, &st) == 0)
                ns->ino = (unsigned long) st.st_ino;

        r = kn_netns_socket(ns, NETLINK_ROUTE, &ns->rt, err);
        if (r < 0) {
                kn_netns_free(ns);
                return r;
        }
        *ret = ns;
        return 0;
}

kn_netns *kn_netns_free(kn_netns *ns) {
        if (!ns)
                return NULL;
        if (ns->rt)
                nl_socket_free(ns->rt);
        if (ns->genl)
                nl_socket_free(ns->genl);
        if (ns->fd >= 0)
                close(ns->fd);
        free(ns->name);
        free(ns->state_dir);
        free(ns->buf);
        free(ns);
        return NULL;
}

const char *kn_netns_name(const kn_netns *ns) {
        return ns->name;
}

void kn_netns_set_dhcp_timeout(kn_netns *ns, long timeout_ms) {
        ns->dhcp_timeout_ms = timeout_ms > 0 ? timeout_ms : 0;
}

int kn_netns_set_state_dir(kn_netns *ns, const char *dir, kn_error *err) {
        if (isempty(dir) || dir[0] != '/')
                return kn_error_set(err, EINVAL, "state directory '%s' is not an absolute path",
                                    dir ? dir : "");
        free(ns->state_dir);
        ns->state_dir = kn_xstrdup(dir);
        return 0;
}
