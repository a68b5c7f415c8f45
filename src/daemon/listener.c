/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kvmnetd's listening sockets: made (or adopted from the service manager),
 * who may connect and stay (the limits per socket, per uid, of fds), who
 * may change things (the read-write socket's access check), and accepting.
 * What a connection then does is server.c's. */
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "daemon.h"
#include "macro.h"
#include "mkdir.h"

static void listener_handler(int fd, uint32_t events, void *userdata);

/* Sockets */

/* The directory a socket goes in, made if missing. */
static int mkdir_parents(const char *path) {
        _cleanup_free_ char *dir = kn_xstrdup(path);
        char *slash = strrchr(dir, '/');
        if (!slash || slash == dir)
                return 0;
        *slash = '\0';
        return kn_mkdir_p(dir, 0755);
}

/* A socket file left by a daemon that died is removed; one that still
 * answers belongs to a running daemon and is left alone. */
static int clear_stale_socket(const struct sockaddr_un *sa, const char *path) {
        struct stat st;
        if (lstat(path, &st) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (!S_ISSOCK(st.st_mode)) {
                kn_logp(KN_LOG_ERR, "%s exists and is not a socket; not removing it", path);
                return -EEXIST;
        }
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (const struct sockaddr *) sa, sizeof *sa) == 0) {
                kn_logp(KN_LOG_ERR, "%s: another daemon is listening there", path);
                return -EADDRINUSE;
        }
        if (unlink(path) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

int kn_listener_open(kn_daemon *d, kn_listener *l, const char *path, bool read_only) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        struct stat st;
        int r;

        l->d = d;
        l->read_only = read_only;
        l->fd = -1;
        if (strlen(path) >= sizeof sa.sun_path) {
                kn_logp(KN_LOG_ERR, "socket path %s is too long (at most %zu bytes)", path,
                        sizeof sa.sun_path - 1);
                return -ENAMETOOLONG;
        }
        strcpy(sa.sun_path, path);

        r = mkdir_parents(path);
        if (r < 0) {
                kn_logp(KN_LOG_ERR, "cannot create the directory of %s: %s", path, strerror(-r));
                return r;
        }
        r = clear_stale_socket(&sa, path);
        if (r < 0) {
                if (r != -EADDRINUSE && r != -EEXIST)
                        kn_logp(KN_LOG_ERR, "%s: %s", path, strerror(-r));
                return r;
        }

        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        /* Created owner-only, then opened up: never more open than meant. */
        mode_t old = umask(0177);
        r = bind(fd, (const struct sockaddr *) &sa, sizeof sa);
        umask(old);
        if (r < 0) {
                r = -errno;
                kn_logp(KN_LOG_ERR, "cannot bind %s: %s", path, strerror(-r));
                return r;
        }
        if (!read_only && d->have_group && chown(path, (uid_t) -1, d->gid) < 0) {
                r = -errno;
                kn_logp(KN_LOG_ERR, "cannot give %s to group %s: %s", path, d->group_name,
                        strerror(-r));
                unlink(path);
                return r;
        }
        if (chmod(path, read_only ? 0666 : 0660) < 0 || stat(path, &st) < 0 ||
            listen(fd, 128) < 0) {
                r = -errno;
                kn_logp(KN_LOG_ERR, "cannot set up %s: %s", path, strerror(-r));
                unlink(path);
                return r;
        }
        l->dev = st.st_dev;
        l->ino = st.st_ino;
        l->path = kn_xstrdup(path);
        r = kn_loop_add_fd(d->loop, fd, EPOLLIN, listener_handler, l, &l->watch);
        if (r < 0) {
                kn_logp(KN_LOG_ERR, "cannot watch %s: %s", path, strerror(-r));
                unlink(path);
                return r;
        }
        l->fd = TAKE_FD(fd);
        return 0;
}

int kn_listener_adopt(kn_daemon *d, kn_listener *l, int fd, const char *path, bool read_only) {
        l->d = d;
        l->read_only = read_only;
        /* The service manager made the file and removes it: dev and ino
         * stay 0, which no file has, so kn_listener_close leaves it. */
        l->dev = 0;
        l->ino = 0;
        l->path = kn_xstrdup(path);
        int r = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0 ? -errno : 0;
        if (r == 0)
                r = kn_loop_add_fd(d->loop, fd, EPOLLIN, listener_handler, l, &l->watch);
        if (r < 0) {
                kn_logp(KN_LOG_ERR, "cannot watch the inherited socket %s: %s", path, strerror(-r));
                return r;
        }
        l->fd = fd;
        return 0;
}

void kn_listener_close(kn_daemon *d, kn_listener *l) {
        struct stat st;
        if (l->fd < 0)
                return;
        kn_loop_del(d->loop, TAKE_PTR(l->watch));
        kn_loop_del(d->loop, TAKE_PTR(l->pause));
        close(l->fd);
        l->fd = -1;
        /* Someone may have replaced the socket meanwhile; remove only ours. */
        if (stat(l->path, &st) == 0 && st.st_dev == l->dev && st.st_ino == l->ino)
                unlink(l->path);
        free(l->path);
        l->path = NULL;
}

/* Access */

static bool peer_in_group(int fd, const struct ucred *cred, gid_t gid) {
        if (cred->gid == gid)
                return true;

        gid_t small[64];
        _cleanup_free_ gid_t *big = NULL;
        gid_t *groups = small;
        socklen_t len = sizeof small;
        int r = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len);
        if (r < 0 && errno == ERANGE) {
                groups = big = kn_xmalloc(len);
                r = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len);
        }
        if (r < 0) {
                /* Old kernel: fall back to the group database. */
                struct passwd pw, *res = NULL;
                char buf[4096];
                int n = ELEMENTSOF(small);
                groups = small;
                if (getpwuid_r(cred->uid, &pw, buf, sizeof buf, &res) != 0 || !res)
                        return false;
                if (getgrouplist(res->pw_name, res->pw_gid, small, &n) < 0)
                        return false;
                len = (socklen_t) (n * sizeof(gid_t));
        }
        for (size_t k = 0; k < len / sizeof(gid_t); k++)
                if (groups[k] == gid)
                        return true;
        return false;
}

/* The read-write socket serves root, the daemon's own user and members of
 * --group; its file mode keeps others out already, this holds even if
 * someone loosened the mode. */
static char *access_denied(kn_daemon *d, int fd, const struct ucred *cred) {
        if (cred->uid == 0 || cred->uid == geteuid())
                return NULL;
        if (d->have_group && peer_in_group(fd, cred, d->gid))
                return NULL;
        return kn_xasprintf("access denied: the read-write socket %s serves root%s%s only, not "
                            "uid %u; use the read-only socket %s for reads",
                            d->rw.path, d->have_group ? " and members of group " : "",
                            d->have_group ? d->group_name : "", (unsigned) cred->uid,
                            d->ro.path ? d->ro.path : "");
}

/* Root, and the daemon's own user, are whom the read-write socket exists
 * for: they always get in there (no limit of that socket or of their uid
 * counts them), so no other user can lock them out. */
static bool peer_privileged(const struct ucred *cred) {
        return cred->uid == 0 || cred->uid == geteuid();
}

/* Refusals come in floods (1,000 connections at once): one log line a
 * second at most, counting the ones it left out. */
_printf_(2, 3) static void refusal_log(kn_daemon *d, const char *fmt, ...) {
        uint64_t t = kn_loop_now_usec();
        if (d->refused_logged_usec && t - d->refused_logged_usec < 1000000) {
                d->refused_unlogged++;
                return;
        }
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        if (d->refused_unlogged)
                kn_logp(KN_LOG_WARNING, "%s (and %lu more refusals since the last one logged)", msg,
                        d->refused_unlogged);
        else
                kn_logp(KN_LOG_WARNING, "%s", msg);
        d->refused_logged_usec = t;
        d->refused_unlogged = 0;
}

/* Why a new connection may not stay, or NULL. */
static char *admission(kn_daemon *d, kn_listener *l, const struct ucred *cred, bool privileged) {
        if ((l->read_only || !privileged) && l->n_clients >= d->max_clients)
                return kn_xasprintf("%s has %u clients already, its limit (kvmnetd --max-clients)",
                                    l->path, l->n_clients);
        if (privileged)
                return NULL;
        unsigned mine = kn_clients_of_uid(d, cred->uid);
        if (mine >= d->max_clients_uid)
                return kn_xasprintf("uid %u has %u connections to kvmnetd already, the limit per "
                                    "user (kvmnetd --max-clients-per-uid)",
                                    (unsigned) cred->uid, mine);
        if (d->n_clients >= d->fd_budget)
                return kn_xasprintf("kvmnetd has %u clients, all its file descriptors allow "
                                    "besides what it keeps for root",
                                    d->n_clients);
        return NULL;
}

/* Said on the connection before it is closed, so the client can tell a
 * refusal from a crash. */
static void refuse(kn_daemon *d, kn_listener *l, int fd, const struct ucred *cred,
                   const char *why) {
        json_object *reply = kn_api_error_reply(NULL, EUSERS, "too many connections: %s", why);
        size_t len;
        const char *s = json_object_to_json_string_length(
                reply, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
        _cleanup_free_ char *line = kn_xasprintf("%s\n", s);
        (void) send(fd, line, len + 1, MSG_DONTWAIT | MSG_NOSIGNAL);
        json_object_put(reply);
        refusal_log(d, "refusing a connection on %s from uid %u pid %d: %s", l->path,
                    (unsigned) cred->uid, (int) cred->pid, why);
}

static void listener_resume(void *userdata) {
        kn_listener *l = userdata;
        (void) kn_loop_mod_fd(l->d->loop, l->watch, EPOLLIN);
}

/* Out of fds or memory: the connection waits in the backlog, and epoll
 * would report it again at once; stop listening for a moment instead of
 * spinning. */
static void listener_pause(kn_daemon *d, kn_listener *l, int error) {
        refusal_log(d, "accept on %s: %s; not accepting for 100 ms", l->path, strerror(error));
        (void) kn_loop_mod_fd(d->loop, l->watch, 0);
        int r = l->pause ? kn_loop_timer_set(d->loop, l->pause, 100000)
                         : kn_loop_add_timer(d->loop, 100000, listener_resume, l, &l->pause);
        if (r < 0)
                listener_resume(l);
}

static void listener_handler(int lfd, uint32_t events, void *userdata) {
        kn_listener *l = userdata;
        kn_daemon *d = l->d;
        for (;;) {
                _cleanup_close_ int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (fd < 0) {
                        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
                            errno == ENOMEM)
                                listener_pause(d, l, errno);
                        else if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                                kn_logp(KN_LOG_ERR, "accept on %s: %m", l->path);
                        return;
                }
                struct ucred cred;
                socklen_t len = sizeof cred;
                if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
                        kn_logp(KN_LOG_ERR, "SO_PEERCRED on %s: %m", l->path);
                        continue;
                }
                bool privileged = peer_privileged(&cred);
                _cleanup_free_ char *why = admission(d, l, &cred, privileged);
                if (why) {
                        refuse(d, l, fd, &cred, why);
                        continue;
                }
                /* Taken by kn_client_accept(), closed there on failure. */
                char *denied = l->read_only ? NULL : access_denied(d, fd, &cred);
                kn_client_accept(d, l, TAKE_FD(fd), &cred, privileged, denied);
        }
}
