/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kvmnetd: serves one root's interface configuration and one network
 * namespace's live interfaces to kvmnet clients over two unix sockets
 * (docs/protocol.md).  Foreground, logs to stderr. */
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>

#include "daemon.h"
#include "kvmnet/api-net.h"
#include "kvmnet/api.h"
#include "kvmnet/guest.h"
#include "macro.h"
#include "mkdir.h"
#include "rootfs.h"
#include "seconds.h"
#include "kvmnet/filelog.h"

#ifndef KN_VERSION
#define KN_VERSION "unknown"
#endif

static void help(void) {
        printf("Usage: kvmnetd [OPTION...]\n"
               "Serve the host's interfaces, configured and live, to kvmnet clients.\n\n"
               "  --socket PATH      read-write socket (default %s/%s, mode 0660)\n"
               "  --ro-socket PATH   read-only socket (default %s/%s, mode 0666)\n"
               "  --root DIR         configuration root (default /)\n"
               "  --backend NAME     ifcfg, ifupdown, networkd or nmkeyfile (default: detected\n"
               "                     from the root)\n"
               "  --netns NAME       network namespace to serve (a name from /run/netns or\n"
               "                     a path; default: the daemon's own)\n"
               "  --state-dir DIR    state directory: journals (default %s,\n"
               "                     or DIR/var/lib/kvmnet with --root DIR)\n"
               "  --group NAME       group allowed on the read-write socket besides root\n"
               "  --emulator PATH    a QEMU binary guests may name in <emulator>; repeat\n"
               "                     for several (default: qemu-system-x86_64 only)\n"
               "  --unplug-timeout SECONDS  how long a NIC detach waits for the guest to\n"
               "                     release the NIC unless the request says (default %g)\n"
               "  --max-clients N    connections per socket (default %u; root's and the\n"
               "                     daemon user's on the read-write socket are not counted)\n"
               "  --max-clients-per-uid N  connections per user but root (default %u)\n"
               "  --idle-timeout SECONDS  close a connection with no request for that long;\n"
               "                     not while it follows events, not for those allowed on\n"
               "                     the read-write socket; 0: never (default %u)\n"
               "  --log-level LEVEL  error, warning, notice, info (default) or debug: log\n"
               "                     that and what is more urgent\n"
               "  -v, --verbose      --log-level debug: also every connection and request\n"
               "  -h, --help         show this help\n"
               "  -V, --version      show the version\n\n"
               "Runs in the foreground and logs to stderr (with the time and priority; as\n"
               "<PRIORITY>message lines when that is the journal); SIGTERM or SIGINT stop it,\n"
               "SIGHUP reloads the configuration files.  $KVMNET_RUN_DIR replaces %s\n"
               "in the default socket paths.  See docs/protocol.md.\n",
               KN_RUN_DIR, KN_SOCKET_NAME, KN_RUN_DIR, KN_SOCKET_RO_NAME, KN_STATE_DIR,
               KN_GUEST_DETACH_TIMEOUT_MS / 1000.0, KN_DAEMON_MAX_CLIENTS,
               KN_DAEMON_MAX_CLIENTS_UID, KN_DAEMON_IDLE_SEC, KN_RUN_DIR);
}

typedef struct options {
        const char *socket, *ro_socket, *root, *backend, *state_dir, *group, *netns;
        int log_level;
        int unplug_timeout_ms;
        char **emulators;
        size_t n_emulators;
        unsigned max_clients, max_clients_uid;
        double idle_timeout;
        char *default_socket, *default_ro_socket, *default_state_dir;
        char *abs_root, *abs_state_dir; /* relative ones, made absolute */
} options;

static void options_done(options *o) {
        free(o->abs_root);
        free(o->abs_state_dir);
        free(o->emulators);
        free(o->default_state_dir);
        free(o->default_socket);
        free(o->default_ro_socket);
}

static int parse_options(int argc, char **argv, options *o) {
        enum {
                ARG_SOCKET = 0x100,
                ARG_RO_SOCKET,
                ARG_ROOT,
                ARG_BACKEND,
                ARG_STATE,
                ARG_GROUP,
                ARG_NETNS,
                ARG_UNPLUG_TIMEOUT,
                ARG_EMULATOR,
                ARG_LOG_LEVEL,
                ARG_MAX_CLIENTS,
                ARG_MAX_CLIENTS_UID,
                ARG_IDLE_TIMEOUT,
        };
        static const struct option longopts[] = {
                {"socket", required_argument, NULL, ARG_SOCKET},
                {"ro-socket", required_argument, NULL, ARG_RO_SOCKET},
                {"root", required_argument, NULL, ARG_ROOT},
                {"backend", required_argument, NULL, ARG_BACKEND},
                {"state-dir", required_argument, NULL, ARG_STATE},
                {"group", required_argument, NULL, ARG_GROUP},
                {"netns", required_argument, NULL, ARG_NETNS},
                {"unplug-timeout", required_argument, NULL, ARG_UNPLUG_TIMEOUT},
                {"emulator", required_argument, NULL, ARG_EMULATOR},
                {"log-level", required_argument, NULL, ARG_LOG_LEVEL},
                {"max-clients", required_argument, NULL, ARG_MAX_CLIENTS},
                {"max-clients-per-uid", required_argument, NULL, ARG_MAX_CLIENTS_UID},
                {"idle-timeout", required_argument, NULL, ARG_IDLE_TIMEOUT},
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
        o->unplug_timeout_ms = KN_GUEST_DETACH_TIMEOUT_MS;
        o->log_level = KN_LOG_INFO;
        o->max_clients = KN_DAEMON_MAX_CLIENTS;
        o->max_clients_uid = KN_DAEMON_MAX_CLIENTS_UID;
        o->idle_timeout = KN_DAEMON_IDLE_SEC;
        int c;
        char *end;
        long v;
        while ((c = getopt_long(argc, argv, "vhV", longopts, NULL)) >= 0) {
                switch (c) {
                case ARG_SOCKET: o->socket = optarg; break;
                case ARG_RO_SOCKET: o->ro_socket = optarg; break;
                case ARG_ROOT: o->root = optarg; break;
                case ARG_BACKEND: o->backend = optarg; break;
                case ARG_STATE: o->state_dir = optarg; break;
                case ARG_GROUP: o->group = optarg; break;
                case ARG_NETNS: o->netns = optarg; break;
                case ARG_EMULATOR:
                        if (!o->emulators) /* at most one per argument */
                                o->emulators = kn_xcalloc(argc, sizeof *o->emulators);
                        o->emulators[o->n_emulators++] = optarg;
                        break;
                case ARG_UNPLUG_TIMEOUT: {
                        double t;
                        if (kn_parse_seconds(optarg, 3600, &t) < 0) {
                                fprintf(stderr,
                                        "kvmnetd: --unplug-timeout '%s' is not a number of "
                                        "seconds (valid: 0..3600, decimals allowed)\n",
                                        optarg);
                                return -EINVAL;
                        }
                        o->unplug_timeout_ms = (int) (t * 1000 + 0.5);
                        break;
                }
                case ARG_MAX_CLIENTS:
                case ARG_MAX_CLIENTS_UID:
                        errno = 0;
                        v = strtol(optarg, &end, 10);
                        if (errno || end == optarg || *end || v < 1 || v > 1000000) {
                                fprintf(stderr,
                                        "kvmnetd: --%s '%s' is not a number of connections "
                                        "(valid: 1..1000000)\n",
                                        c == ARG_MAX_CLIENTS ? "max-clients"
                                                             : "max-clients-per-uid",
                                        optarg);
                                return -EINVAL;
                        }
                        *(c == ARG_MAX_CLIENTS ? &o->max_clients : &o->max_clients_uid) =
                                (unsigned) v;
                        break;
                case ARG_IDLE_TIMEOUT:
                        if (kn_parse_seconds(optarg, 86400, &o->idle_timeout) < 0) {
                                fprintf(stderr,
                                        "kvmnetd: --idle-timeout '%s' is not a number of seconds "
                                        "(valid: 0..86400, decimals allowed; 0: never)\n",
                                        optarg);
                                return -EINVAL;
                        }
                        break;
                case ARG_LOG_LEVEL:
                        o->log_level = kn_log_level_from_string(optarg);
                        if (o->log_level < 0) {
                                fprintf(stderr,
                                        "kvmnetd: --log-level '%s': valid: error, warning, "
                                        "notice, info, debug\n",
                                        optarg);
                                return -EINVAL;
                        }
                        break;
                case 'v': o->log_level = KN_LOG_DEBUG; break;
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
        o->root = o->abs_root = kn_path_absolute(o->root);
        if (o->state_dir)
                o->state_dir = o->abs_state_dir = kn_path_absolute(o->state_dir);
        else /* under --root DIR: DIR/var/lib/kvmnet, never the host's */
                o->state_dir = o->default_state_dir = kn_api_default_state_dir(o->root);
        return 1;
}

static int resolve_group(kn_daemon *d, const char *name) {
        struct group gr, *res = NULL;
        char buf[16384];
        char *end;

        errno = 0;
        unsigned long n = strtoul(name, &end, 10);
        if (*name && !*end && errno == 0 && n < (gid_t) -1) {
                d->gid = (gid_t) n;
        } else {
                int r = getgrnam_r(name, &gr, buf, sizeof buf, &res);
                if (r != 0 || !res) {
                        kn_logp(KN_LOG_ERR, "--group %s: %s", name,
                                r ? strerror(r) : "no such group");
                        return -ENOENT;
                }
                d->gid = res->gr_gid;
        }
        d->have_group = true;
        d->group_name = kn_xstrdup(name);
        return 0;
}

/* The clients' limits (docs/protocol.md, "Limits"): besides the sockets'
 * and the users' own, other users' clients stop where the fds kvmnetd
 * needs for root, taps, monitors and files would run out. */
static void limits_setup(kn_daemon *d, const options *o) {
        struct rlimit rl = {.rlim_cur = 1024};
        (void) getrlimit(RLIMIT_NOFILE, &rl);
        rlim_t budget = rl.rlim_cur > 2 * KN_DAEMON_FD_RESERVE ? rl.rlim_cur - KN_DAEMON_FD_RESERVE
                                                               : KN_DAEMON_FD_RESERVE;
        d->fd_budget = budget > UINT_MAX ? UINT_MAX : (unsigned) budget;
        d->max_clients = o->max_clients;
        d->max_clients_uid = o->max_clients_uid;
        d->idle_usec = (uint64_t) (o->idle_timeout * 1e6 + 0.5);
        d->max_input = KN_DAEMON_MAX_INPUT;
}

static void signal_handler(int fd, uint32_t events, void *userdata) {
        kn_daemon *d = userdata;
        struct signalfd_siginfo si;
        while (read(fd, &si, sizeof si) == sizeof si) {
                if (si.ssi_signo == SIGHUP) {
                        kn_watch_reload(d, "SIGHUP");
                        continue;
                }
                kn_log("%s received, exiting", strsignal((int) si.ssi_signo));
                d->quit = true;
                kn_loop_quit(d->loop);
        }
}

static int signals_open(kn_daemon *d) {
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
        int r = kn_loop_add_fd(d->loop, fd, EPOLLIN, signal_handler, d, &d->sig_watch);
        if (r < 0)
                close(fd);
        else
                d->sig_fd = fd;
        return r;
}

static void signals_close(kn_daemon *d) {
        if (d->sig_fd < 0)
                return;
        kn_loop_del(d->loop, TAKE_PTR(d->sig_watch));
        close(d->sig_fd);
        d->sig_fd = -1;
}

static void log_message(const char *message, void *userdata) {
        kn_log("%s", message);
}

int main(int argc, char **argv) {
        _cleanup_(options_done) options o = {0};
        kn_daemon d = {
                .sig_fd = -1,
                .rw = {.fd = -1},
                .ro = {.fd = -1},
                .watch = {.fd = -1},
        };
        kn_config *cfg = NULL;
        kn_error err = {0};
        int r, ret = 1;

        r = parse_options(argc, argv, &o);
        if (r <= 0)
                return r < 0 ? 2 : 0;
        kn_log_setup(o.log_level);
        if (o.group && resolve_group(&d, o.group) < 0)
                return 1;
        limits_setup(&d, &o);

        r = kn_mkdir_p(o.state_dir, 0755);
        if (r < 0) {
                kn_logp(KN_LOG_ERR, "cannot create the state directory %s: %s", o.state_dir,
                        strerror(-r));
                return 1;
        }
        /* Files a killed predecessor left half written, before they are read. */
        kn_filelog *files = NULL;
        r = kn_api_recover_files(o.state_dir, o.root, log_message, NULL, &files, &err);
        if (r < 0) {
                kn_logp(KN_LOG_ERR, "%s", err.message);
                goto out;
        }
        r = kn_config_open(o.root, o.backend, &cfg, &err);
        if (r < 0) {
                kn_logp(KN_LOG_ERR, "%s", err.message);
                kn_filelog_free(files);
                goto out;
        }
        d.api = kn_api_new(cfg);
        kn_api_set_state_dir(d.api, o.state_dir);
        kn_api_set_filelog(d.api, files);
        kn_api_set_logger(d.api, log_message, NULL);
        r = kn_api_set_netns(d.api, o.netns, &err);
        if (r < 0) {
                kn_logp(KN_LOG_ERR, "%s", err.message);
                goto out;
        }
        r = kn_loop_new(&d.loop);
        if (r < 0) {
                kn_logp(KN_LOG_ERR, "cannot create the event loop: %s", strerror(-r));
                goto out;
        }
        kn_api_set_loop(d.api, d.loop);
        if (signals_open(&d) < 0 || kn_watch_open(&d) < 0)
                goto out;
        /* Live changes a killed predecessor left half done. */
        kn_api_recover(d.api, log_message, NULL);
        /* Guests it left running: re-attached before anyone is served. */
        kn_guest_registry *guests = kn_api_guests(d.api);
        kn_guest_registry_set_unplug_timeout(guests, o.unplug_timeout_ms);
        kn_guest_registry_set_emulators(guests, o.emulators, o.n_emulators);
        kn_guest_registry_recover(guests, 2000);
        /* Networks it left running are adopted, autostart ones started. */
        kn_api_net_boot(d.api);
        /* Sockets systemd passed first; then what is still missing, the
         * read-only path first: the rw socket's refusals name it. */
        if (kn_daemon_adopt_sockets(&d, o.socket, o.ro_socket) < 0 ||
            (d.ro.fd < 0 && kn_listener_open(&d, &d.ro, o.ro_socket, true) < 0) ||
            (d.rw.fd < 0 && kn_listener_open(&d, &d.rw, o.socket, false) < 0))
                goto out;

        const kn_iface *const *list;
        const kn_diag *diags;
        size_t n = kn_config_list(cfg, &list), nd = kn_config_diags(cfg, &diags);
        kn_log("serving %s (backend %s, %zu interfaces, %zu configuration errors) and network "
               "namespace %s on %s and read-only on %s",
               kn_config_root(cfg), kn_config_backend_name(cfg), n, nd,
               isempty(o.netns) ? "(its own)" : o.netns, d.rw.path, d.ro.path);
        for (size_t k = 0; k < nd; k++)
                kn_logp(KN_LOG_WARNING, "%s:%u: %s", diags[k].file, diags[k].line,
                        diags[k].message);

        /* Type=notify: clients may come now. */
        (void) sd_notifyf(false, "READY=1\nSTATUS=serving %s on %s", kn_config_root(cfg),
                          d.rw.path);
        r = kn_loop_run(d.loop);
        (void) sd_notify(false, "STOPPING=1");
        if (r < 0)
                kn_logp(KN_LOG_ERR, "event loop: %s", strerror(-r));
        ret = d.quit ? 0 : 1;
        kn_log("served %lu requests; stopped", d.n_requests);
out:
        kn_clients_free(&d);
        kn_listener_close(&d, &d.rw);
        kn_listener_close(&d, &d.ro);
        /* Waits for a live change in progress on the worker thread. */
        if (d.api)
                kn_api_free(d.api);
        else
                kn_config_free(cfg);
        if (d.loop) {
                kn_watch_close(&d);
                signals_close(&d);
        }
        /* Last: the library's watches were on it.  Waits for QEMU
         * processes killed on the way out. */
        kn_loop_free(d.loop);
        free(d.group_name);
        return ret;
}
