/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kvmnetd: serves one root's interface configuration to kvmnet clients
 * over two unix sockets (docs/protocol.md).  Foreground, logs to stderr. */
#include <getopt.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>

#include "daemon.h"
#include "kvmnet/api.h"
#include "macro.h"

#ifndef KN_VERSION
#define KN_VERSION "unknown"
#endif

void kn_log(const char *fmt, ...) {
        va_list ap;
        int saved = errno;
        fputs("kvmnetd: ", stderr);
        va_start(ap, fmt);
        errno = saved; /* for %m */
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        errno = saved;
}

int kn_epoll_add(kn_daemon *d, int fd, uint32_t events, void *ptr) {
        struct epoll_event ev = {.events = events, .data.ptr = ptr};
        if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
                int r = -errno;
                kn_log("epoll_ctl: %s", strerror(-r));
                return r;
        }
        return 0;
}

static void help(void) {
        printf("Usage: kvmnetd [OPTION...]\n"
               "Serve the host's interface configuration to kvmnet clients.\n\n"
               "  --socket PATH      read-write socket (default %s/%s, mode 0660)\n"
               "  --ro-socket PATH   read-only socket (default %s/%s, mode 0666)\n"
               "  --root DIR         configuration root (default /)\n"
               "  --backend NAME     ifcfg or ifupdown (default: detected from the root)\n"
               "  --state-dir DIR    state directory (default /var/lib/kvmnet)\n"
               "  --group NAME       group allowed on the read-write socket besides root\n"
               "  -v, --verbose      log every connection and request\n"
               "  -h, --help         show this help\n"
               "  -V, --version      show the version\n\n"
               "Runs in the foreground and logs to stderr; SIGTERM or SIGINT stop it,\n"
               "SIGHUP reloads the configuration files.  $KVMNET_RUN_DIR replaces %s\n"
               "in the default socket paths.  See docs/protocol.md.\n",
               KN_RUN_DIR, KN_SOCKET_NAME, KN_RUN_DIR, KN_SOCKET_RO_NAME, KN_RUN_DIR);
}

typedef struct options {
        const char *socket, *ro_socket, *root, *backend, *state_dir, *group;
        bool verbose;
        char *default_socket, *default_ro_socket;
} options;

static void options_done(options *o) {
        free(o->default_socket);
        free(o->default_ro_socket);
}

static int parse_options(int argc, char **argv, options *o) {
        enum { ARG_SOCKET = 0x100, ARG_RO_SOCKET, ARG_ROOT, ARG_BACKEND, ARG_STATE, ARG_GROUP };
        static const struct option longopts[] = {
                {"socket", required_argument, NULL, ARG_SOCKET},
                {"ro-socket", required_argument, NULL, ARG_RO_SOCKET},
                {"root", required_argument, NULL, ARG_ROOT},
                {"backend", required_argument, NULL, ARG_BACKEND},
                {"state-dir", required_argument, NULL, ARG_STATE},
                {"group", required_argument, NULL, ARG_GROUP},
                {"verbose", no_argument, NULL, 'v'},
                {"help", no_argument, NULL, 'h'},
                {"version", no_argument, NULL, 'V'},
                {},
        };
        const char *dir = getenv("KVMNET_RUN_DIR");
        if (isempty(dir))
                dir = KN_RUN_DIR;
        o->default_socket = kn_xasprintf("%s/%s", dir, KN_SOCKET_NAME);
        o->default_ro_socket = kn_xasprintf("%s/%s", dir, KN_SOCKET_RO_NAME);
        o->socket = o->default_socket;
        o->ro_socket = o->default_ro_socket;
        o->root = "/";
        o->state_dir = "/var/lib/kvmnet";
        int c;
        while ((c = getopt_long(argc, argv, "vhV", longopts, NULL)) >= 0) {
                switch (c) {
                case ARG_SOCKET: o->socket = optarg; break;
                case ARG_RO_SOCKET: o->ro_socket = optarg; break;
                case ARG_ROOT: o->root = optarg; break;
                case ARG_BACKEND: o->backend = optarg; break;
                case ARG_STATE: o->state_dir = optarg; break;
                case ARG_GROUP: o->group = optarg; break;
                case 'v': o->verbose = true; break;
                case 'h': help(); return 0;
                case 'V': printf("kvmnetd %s\n", KN_VERSION); return 0;
                default: return -EINVAL;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "kvmnetd: unexpected argument '%s' (see --help)\n", argv[optind]);
                return -EINVAL;
        }
        if (streq(o->socket, o->ro_socket)) {
                fprintf(stderr, "kvmnetd: --socket and --ro-socket must differ\n");
                return -EINVAL;
        }
        return 1;
}

static int resolve_group(kn_daemon *d, const char *name) {
        struct group gr, *res = NULL;
        char buf[16384];
        char *end;

        errno = 0;
        unsigned long n = strtoul(name, &end, 10);
        if (*name && !*end && errno == 0 && n < (gid_t)-1) {
                d->gid = (gid_t)n;
        } else {
                int r = getgrnam_r(name, &gr, buf, sizeof buf, &res);
                if (r != 0 || !res) {
                        kn_log("--group %s: %s", name, r ? strerror(r) : "no such group");
                        return -ENOENT;
                }
                d->gid = res->gr_gid;
        }
        d->have_group = true;
        d->group_name = kn_xstrdup(name);
        return 0;
}

static int mkdir_p(const char *path, mode_t mode) {
        _cleanup_free_ char *p = kn_xstrdup(path);
        for (char *s = p + 1;; s++) {
                if (*s != '/' && *s != '\0')
                        continue;
                char saved = *s;
                *s = '\0';
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return -errno;
                *s = saved;
                if (!saved)
                        return 0;
        }
}

static int signals_open(kn_daemon *d, int *ret) {
        static kn_ev_kind kind = KN_EV_SIGNAL;
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        /* Replies go out with MSG_NOSIGNAL; this is the belt to those braces. */
        signal(SIGPIPE, SIG_IGN);
        int fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
        if (fd < 0)
                return -errno;
        *ret = fd;
        return kn_epoll_add(d, fd, EPOLLIN, &kind);
}

static void signal_event(kn_daemon *d, int fd) {
        struct signalfd_siginfo si;
        while (read(fd, &si, sizeof si) == sizeof si) {
                if (si.ssi_signo == SIGHUP) {
                        kn_watch_reload(d, "SIGHUP");
                        continue;
                }
                kn_log("%s received, exiting", strsignal((int)si.ssi_signo));
                d->quit = true;
        }
}

static void run(kn_daemon *d, int sigfd) {
        struct epoll_event events[64];
        while (!d->quit) {
                int timeout = kn_clients_tick(d);
                kn_clients_reap(d);
                int n = epoll_wait(d->epfd, events, ELEMENTSOF(events), timeout);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        kn_log("epoll_wait: %m");
                        return;
                }
                for (int k = 0; k < n; k++) {
                        void *p = events[k].data.ptr;
                        switch (*(kn_ev_kind *)p) {
                        case KN_EV_LISTEN: kn_listener_accept(d, p); break;
                        case KN_EV_CLIENT: kn_client_event(d, p, events[k].events); break;
                        case KN_EV_SIGNAL: signal_event(d, sigfd); break;
                        case KN_EV_INOTIFY: kn_watch_event(d); break;
                        case KN_EV_TIMER: kn_watch_timer(d); break;
                        }
                }
                kn_clients_reap(d);
        }
}

int main(int argc, char **argv) {
        _cleanup_(options_done) options o = {0};
        kn_daemon d = {
                .epfd = -1,
                .rw = {.fd = -1},
                .ro = {.fd = -1},
                .watch = {.fd = -1, .timer = {.fd = -1}},
        };
        _cleanup_close_ int sigfd = -1;
        kn_error err = {0};
        int r, ret = 1;

        r = parse_options(argc, argv, &o);
        if (r <= 0)
                return r < 0 ? 2 : 0;
        d.verbose = o.verbose;
        if (o.group && resolve_group(&d, o.group) < 0)
                return 1;

        r = mkdir_p(o.state_dir, 0755);
        if (r < 0) {
                kn_log("cannot create the state directory %s: %s", o.state_dir, strerror(-r));
                return 1;
        }
        r = kn_config_open(o.root, o.backend, &d.cfg, &err);
        if (r < 0) {
                kn_log("%s", err.message);
                goto out;
        }
        d.epfd = epoll_create1(EPOLL_CLOEXEC);
        if (d.epfd < 0) {
                kn_log("epoll_create1: %m");
                goto out;
        }
        if (signals_open(&d, &sigfd) < 0 || kn_watch_open(&d) < 0)
                goto out;
        /* The read-only path goes first: the rw socket's refusals name it. */
        if (kn_listener_open(&d, &d.ro, o.ro_socket, true) < 0 ||
            kn_listener_open(&d, &d.rw, o.socket, false) < 0)
                goto out;

        const kn_iface *const *list;
        const kn_diag *diags;
        size_t n = kn_config_list(d.cfg, &list), nd = kn_config_diags(d.cfg, &diags);
        kn_log("serving %s (backend %s, %zu interfaces, %zu configuration errors) on %s and "
               "read-only on %s",
               kn_config_root(d.cfg), kn_config_backend_name(d.cfg), n, nd, d.rw.path, d.ro.path);
        for (size_t k = 0; k < nd; k++)
                kn_log("%s:%u: %s", diags[k].file, diags[k].line, diags[k].message);

        run(&d, sigfd);
        ret = d.quit ? 0 : 1;
        kn_log("served %lu requests; stopped", d.n_requests);
out:
        kn_clients_free(&d);
        kn_listener_close(&d, &d.rw);
        kn_listener_close(&d, &d.ro);
        kn_watch_close(&d);
        if (d.epfd >= 0)
                close(d.epfd);
        kn_config_free(d.cfg);
        free(d.group_name);
        return ret;
}
