/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kvmnet over SSH, libvirt's qemu+ssh model: -c ssh://[USER@]HOST[:PORT][/SOCKET]
 * runs `ssh ... HOST kvmnet proxy`, whose standard input and output are
 * joined to kvmnetd's socket there; the CLI then speaks the same protocol
 * over a socketpair with ssh as it does over the unix socket.  SSH does
 * the authentication and the encryption: kvmnet adds none of its own. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#include "cli.h"
#include "macro.h"
#include "spawn.h"

/* The parts of an ssh:// URI, percent-decoded. */
typedef struct ssh_uri {
        char *user, *host, *port, *socket;
        char *keyfile, *known_hosts, *command, *kvmnet;
        bool no_verify, no_tty;
} ssh_uri;

static void ssh_uri_done(ssh_uri *u) {
        free(u->user);
        free(u->host);
        free(u->port);
        free(u->socket);
        free(u->keyfile);
        free(u->known_hosts);
        free(u->command);
        free(u->kvmnet);
}

bool cli_ssh_uri(const char *uri) {
        return startswith(uri, "ssh://");
}

static int hexval(char ch) {
        if (ch >= '0' && ch <= '9')
                return ch - '0';
        if (ch >= 'a' && ch <= 'f')
                return ch - 'a' + 10;
        if (ch >= 'A' && ch <= 'F')
                return ch - 'A' + 10;
        return -1;
}

/* s[0..n) with %XX decoded; NULL for a bad or NUL escape. */
static char *decode(const char *s, size_t n) {
        _cleanup_strbuf_ kn_strbuf b = {0};
        kn_strbuf_putn(&b, "", 0);
        for (size_t k = 0; k < n; k++) {
                if (s[k] != '%') {
                        kn_strbuf_putc(&b, s[k]);
                        continue;
                }
                if (k + 2 >= n)
                        return NULL;
                int hi = hexval(s[k + 1]), lo = hexval(s[k + 2]);
                if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                        return NULL;
                kn_strbuf_putc(&b, (char) (hi * 16 + lo));
                k += 2;
        }
        return kn_strbuf_steal(&b);
}

static bool all_of(const char *s, const char *set) {
        return *s && strspn(s, set) == strlen(s);
}

#define ALNUM "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

/* Parses "&"-separated NAME=VALUE pairs into u; an exit code.  The
 * names are libvirt's where it has one (docs/remote.md). */
static int parse_params(const char *uri, const char *q, ssh_uri *u) {
        const struct {
                const char *name;
                char **value; /* a string, %-decoded */
                bool *flag;   /* or 0 or 1 */
        } params[] = {
                {"command", &u->command, NULL},         {"keyfile", &u->keyfile, NULL},
                {"known_hosts", &u->known_hosts, NULL}, {"kvmnet", &u->kvmnet, NULL},
                {"no_tty", NULL, &u->no_tty},           {"no_verify", NULL, &u->no_verify},
                {"socket", &u->socket, NULL},
        };
        bool seen[ELEMENTSOF(params)] = {0};

        for (size_t len; *q; q += len + (q[len] == '&')) {
                len = strcspn(q, "&");
                const char *eq = memchr(q, '=', len);
                size_t name_len = eq ? (size_t) (eq - q) : len;
                if (len == 0)
                        continue;
                size_t k = 0;
                while (k < ELEMENTSOF(params) && !(strlen(params[k].name) == name_len &&
                                                   strncmp(params[k].name, q, name_len) == 0))
                        k++;
                if (k == ELEMENTSOF(params)) {
                        cli_error("unknown parameter '%.*s' in connection URI '%s' (valid: "
                                  "command, keyfile, known_hosts, kvmnet, no_tty, no_verify, "
                                  "socket)",
                                  (int) name_len, q, uri);
                        return KN_EXIT_USAGE;
                }
                const char *name = params[k].name;
                if (seen[k]) {
                        cli_error("parameter '%s' is given twice in connection URI '%s'", name,
                                  uri);
                        return KN_EXIT_USAGE;
                }
                seen[k] = true;
                _cleanup_free_ char *v = eq ? decode(eq + 1, len - name_len - 1) : NULL;
                if (!v || !*v) {
                        cli_error("parameter '%s' in connection URI '%s' needs a value "
                                  "(%s=VALUE, %%-encoded)",
                                  name, uri, name);
                        return KN_EXIT_USAGE;
                }
                if (params[k].flag) {
                        if (!streq(v, "0") && !streq(v, "1")) {
                                cli_error("parameter '%s' in connection URI '%s' is 0 or 1, "
                                          "not '%s'",
                                          name, uri, v);
                                return KN_EXIT_USAGE;
                        }
                        *params[k].flag = streq(v, "1");
                } else if (*params[k].value) { /* socket=, after a path */
                        cli_error("connection URI '%s' names the socket twice: as its path and "
                                  "as socket=",
                                  uri);
                        return KN_EXIT_USAGE;
                } else
                        *params[k].value = TAKE_PTR(v);
        }
        /* ssh splits an -o value at blanks and reads quotes in it. */
        if (u->known_hosts && strpbrk(u->known_hosts, " \t\n\"")) {
                cli_error("connection URI '%s': known_hosts '%s' holds a blank or a quote, "
                          "which ssh's -o UserKnownHostsFile cannot take",
                          uri, u->known_hosts);
                return KN_EXIT_USAGE;
        }
        if (u->socket && u->socket[0] != '/') {
                cli_error("connection URI '%s': the socket '%s' is not an absolute path", uri,
                          u->socket);
                return KN_EXIT_USAGE;
        }
        return KN_EXIT_OK;
}

/* ssh://[USER@]HOST[:PORT][/SOCKET][?PARAM=VALUE&...]; an exit code. */
static int parse_uri(const char *uri, ssh_uri *u) {
        const char *p = uri + strlen("ssh://");
        size_t auth_len = strcspn(p, "/?");
        const char *at = memrchr(p, '@', auth_len);
        const char *hp = at ? at + 1 : p;
        size_t hp_len = auth_len - (size_t) (hp - p);
        const char *colon;

        if (at) {
                u->user = decode(p, (size_t) (at - p));
                /* An argument of -l, never an option; but "-x" is no user name. */
                if (!u->user || !*u->user || u->user[0] == '-' ||
                    strpbrk(u->user, " \t\n\r/\\'\"`$;&|<>()*?[]{}!#~")) {
                        cli_error("connection URI '%s': '%.*s' is not a user name", uri,
                                  (int) (at - p), p);
                        return KN_EXIT_USAGE;
                }
        }
        if (hp_len > 0 && hp[0] == '[') { /* [IPv6] */
                const char *end = memchr(hp, ']', hp_len);
                if (!end) {
                        cli_error("connection URI '%s': no ']' after the IPv6 address", uri);
                        return KN_EXIT_USAGE;
                }
                u->host = kn_xstrndup(hp + 1, (size_t) (end - hp - 1));
                colon = end + 1 < hp + hp_len && end[1] == ':' ? end + 1 : NULL;
                if (!colon && end + 1 != hp + hp_len) {
                        cli_error("connection URI '%s': '%.*s' after the IPv6 address", uri,
                                  (int) (hp + hp_len - end - 1), end + 1);
                        return KN_EXIT_USAGE;
                }
                if (!all_of(u->host, "0123456789abcdefABCDEF:.")) {
                        cli_error("connection URI '%s': '%s' is not an IPv6 address", uri, u->host);
                        return KN_EXIT_USAGE;
                }
        } else {
                colon = memchr(hp, ':', hp_len);
                u->host = kn_xstrndup(hp, colon ? (size_t) (colon - hp) : hp_len);
                /* A host name or address, and never an option of ssh's. */
                if (!*u->host) {
                        cli_error("connection URI '%s' names no host "
                                  "(ssh://[USER@]HOST[:PORT][/SOCKET][?PARAM=VALUE&...])",
                                  uri);
                        return KN_EXIT_USAGE;
                }
                if (u->host[0] == '-' || !all_of(u->host, ALNUM "-._")) {
                        cli_error("connection URI '%s': '%s' is not a host name or address", uri,
                                  u->host);
                        return KN_EXIT_USAGE;
                }
        }
        if (colon) {
                u->port = kn_xstrndup(colon + 1, (size_t) (hp + hp_len - colon - 1));
                char *end;
                unsigned long n = strtoul(u->port, &end, 10);
                if (!all_of(u->port, "0123456789") || *end || n < 1 || n > 65535) {
                        cli_error("connection URI '%s': port '%s' is not a number from 1 to "
                                  "65535",
                                  uri, u->port);
                        return KN_EXIT_USAGE;
                }
        }
        p += auth_len;
        size_t path_len = strcspn(p, "?");
        /* "ssh://host/" is the default socket, as "ssh://host". */
        if (path_len > 1) {
                u->socket = decode(p, path_len);
                if (!u->socket) {
                        cli_error("connection URI '%s': bad %%-encoding in the path '%.*s'", uri,
                                  (int) path_len, p);
                        return KN_EXIT_USAGE;
                }
        }
        p += path_len;
        return *p == '?' ? parse_params(uri, p + 1, u) : KN_EXIT_OK;
}

/* The command line for the far side's shell: ssh joins its arguments
 * with spaces, and the far shell splits them again, so every word is
 * quoted ('...' with ' as '\''), whatever the path holds. */
static char *remote_command(const ssh_uri *u) {
        _cleanup_free_ char *sock = u->socket ? kn_xasprintf("--socket=%s", u->socket) : NULL;
        char *argv[] = {u->kvmnet ? u->kvmnet : (char *) "kvmnet", (char *) "proxy", sock, NULL};
        return kn_spawn_argv_string(argv);
}

int cli_ssh_open(cli_conn *c, const char *uri) {
        _cleanup_(ssh_uri_done) ssh_uri u = {0};
        int r = parse_uri(uri, &u);
        if (r != KN_EXIT_OK)
                return r;

        /* For messages: the URI without its parameters. */
        bool v6 = strchr(u.host, ':');
        free(c->where);
        c->where =
                kn_xasprintf("ssh://%s%s%s%s%s%s%s", u.user ?: "", u.user ? "@" : "", v6 ? "[" : "",
                             u.host, v6 ? "]" : "", u.port ? ":" : "", u.port ?: "");
        const char *prog = u.command ?: "ssh";
        _cleanup_free_ char *exe = kn_spawn_find(prog);
        if (!exe) {
                cli_error("cannot connect to %s: no ssh program '%s'%s%s%s", c->where, prog,
                          strchr(prog, '/') ? "" : " in ", strchr(prog, '/') ? "" : KN_SPAWN_PATH,
                          u.command ? "" : " (name one with ?command=PATH)");
                return KN_EXIT_CONNECT;
        }
        _cleanup_free_ char *cmdline = remote_command(&u);
        _cleanup_free_ char *o_known =
                u.known_hosts ? kn_xasprintf("UserKnownHostsFile=%s", u.known_hosts) : NULL;
        /* No terminal on the far side (the protocol is bytes), no escape
         * character; BatchMode with no_tty: no questions asked. */
        const char *argv[32];
        size_t n = 0;
        argv[n++] = "ssh";
        argv[n++] = "-T";
        argv[n++] = "-e";
        argv[n++] = "none";
        if (u.port) {
                argv[n++] = "-p";
                argv[n++] = u.port;
        }
        if (u.user) {
                argv[n++] = "-l";
                argv[n++] = u.user;
        }
        if (u.keyfile) {
                argv[n++] = "-i";
                argv[n++] = u.keyfile;
        }
        if (o_known) {
                argv[n++] = "-o";
                argv[n++] = o_known;
        }
        if (u.no_verify) {
                argv[n++] = "-o";
                argv[n++] = "StrictHostKeyChecking=no";
        }
        if (u.no_tty) {
                argv[n++] = "-o";
                argv[n++] = "BatchMode=yes";
        }
        /* "--": what follows is the host and the command, never options. */
        argv[n++] = "--";
        argv[n++] = u.host;
        argv[n++] = cmdline;
        argv[n] = NULL;

        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
                cli_error("cannot connect to %s: socketpair: %m", c->where);
                return KN_EXIT_CONNECT;
        }
        kn_spawn_opts so = KN_SPAWN_OPTS_INIT;
        so.stdin_fd = so.stdout_fd = sv[1];
        so.stderr_fd = STDERR_FILENO; /* ssh's own messages, and the far side's */
        kn_error err = {0};
        r = kn_spawn(exe, (char *const *) argv, &so, &c->ssh_pid, NULL, &err);
        close(sv[1]);
        if (r < 0) {
                close(sv[0]);
                c->ssh_pid = 0;
                cli_error("cannot connect to %s: %s", c->where, err.message);
                return KN_EXIT_CONNECT;
        }
        c->fd = sv[0];
        /* Told when a change is refused on the read-only socket (conn.c). */
        if (!u.socket)
                c->fallback_reason = kn_xasprintf(
                        "the SSH user on %s may not use it (not root, not in kvmnetd's group)",
                        u.host);
        return KN_EXIT_OK;
}

/* Wait up to ms for ssh to exit; true if it did (status in *status). */
static bool ssh_reap(cli_conn *c, int ms, int *status) {
        for (int waited = 0;; waited += 2) {
                pid_t p = waitpid(c->ssh_pid, status, WNOHANG);
                if (p == c->ssh_pid || (p < 0 && errno != EINTR)) {
                        c->ssh_pid = 0;
                        return p > 0;
                }
                if (waited >= ms)
                        return false;
                nanosleep(&(struct timespec){.tv_nsec = 2 * 1000 * 1000}, NULL);
        }
}

int cli_ssh_failed(cli_conn *c) {
        int status = 0;
        /* ssh closed its end and is exiting, or sent something else than
         * kvmnetd's replies (a far login script's output): it ends with
         * its input. */
        close(c->fd);
        c->fd = -1;
        if (!ssh_reap(c, 5000, &status) || (WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
                cli_error("cannot talk to kvmnetd through %s: %s", c->where, c->last_error);
                return KN_EXIT_CONNECT;
        }
        if (WIFSIGNALED(status))
                cli_error("cannot talk to kvmnetd through %s: ssh was killed by signal %s",
                          c->where, sigabbrev_np(WTERMSIG(status)) ?: "?");
        else if (WEXITSTATUS(status) == 255)
                cli_error("cannot reach %s: ssh failed (its message is above)", c->where);
        else if (WEXITSTATUS(status) == 127)
                cli_error("cannot talk to kvmnetd through %s: no kvmnet there (the far shell "
                          "says why above; name its path with ?kvmnet=PATH)",
                          c->where);
        else if (WEXITSTATUS(status) != KN_EXIT_CONNECT)
                cli_error("cannot talk to kvmnetd through %s: kvmnet proxy there exited with "
                          "status %d (its error, if any, is above)",
                          c->where, WEXITSTATUS(status));
        /* else: the far kvmnet proxy could not connect and said why. */
        return KN_EXIT_CONNECT;
}

void cli_ssh_close(cli_conn *c) {
        int status;
        if (c->ssh_pid <= 0)
                return;
        /* Our end is closed: ssh ends the session and exits. */
        if (ssh_reap(c, 2000, &status))
                return;
        kill(c->ssh_pid, SIGTERM);
        while (waitpid(c->ssh_pid, &status, 0) < 0 && errno == EINTR)
                ;
        c->ssh_pid = 0;
}

/* ---- kvmnet proxy: the far side ---- */

typedef struct relay {
        int from, to;
        char buf[65536];
        size_t len, off;
        bool eof;
} relay;

/* One read into an empty buffer, or one write out of it: 0 or -errno. */
static int relay_read(relay *d) {
        ssize_t n = read(d->from, d->buf, sizeof d->buf);
        if (n < 0)
                return errno == EAGAIN || errno == EINTR ? 0 : -errno;
        if (n == 0)
                d->eof = true;
        d->len = (size_t) n;
        d->off = 0;
        return 0;
}

static int relay_write(relay *d) {
        ssize_t n = write(d->to, d->buf + d->off, d->len - d->off);
        if (n < 0)
                return errno == EAGAIN || errno == EINTR ? 0 : -errno;
        d->off += (size_t) n;
        if (d->off == d->len)
                d->len = d->off = 0;
        return 0;
}

/* Standard input to the daemon, the daemon to standard output, until the
 * daemon closes (after our input ended, or on its own). */
static int proxy_relay(cli_conn *c) {
        /* What came after hello's reply, if anything, goes out first. */
        for (size_t k = c->in_start; k < c->in.len;) {
                ssize_t n = write(STDOUT_FILENO, c->in.s + k, c->in.len - k);
                if (n < 0 && errno != EINTR)
                        return KN_EXIT_OK;
                k += n > 0 ? (size_t) n : 0;
        }
        relay *up = kn_xcalloc(2, sizeof *up), *down = up + 1;
        *up = (relay){.from = STDIN_FILENO, .to = c->fd};
        *down = (relay){.from = c->fd, .to = STDOUT_FILENO};
        int r = 0;

        (void) fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK);
        (void) fcntl(STDOUT_FILENO, F_SETFL, fcntl(STDOUT_FILENO, F_GETFL) | O_NONBLOCK);
        (void) fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);

        while (!(down->eof && down->len == 0)) {
                struct pollfd p[2];
                relay *dir[2] = {up, down};
                for (int k = 0; k < 2; k++) {
                        relay *d = dir[k];
                        p[k] = d->len > 0 ? (struct pollfd){.fd = d->to, .events = POLLOUT}
                               : d->eof   ? (struct pollfd){.fd = -1}
                                          : (struct pollfd){.fd = d->from, .events = POLLIN};
                }
                if (poll(p, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        break;
                }
                for (int k = 0; k < 2 && r == 0; k++) {
                        relay *d = dir[k];
                        if (!p[k].revents)
                                continue;
                        r = d->len > 0 ? relay_write(d) : relay_read(d);
                        /* Our input ended: the daemon answers what it has, then closes. */
                        if (r == 0 && d == up && up->eof)
                                (void) shutdown(c->fd, SHUT_WR);
                }
                if (r < 0)
                        break;
        }
        free(up);
        /* The client went away (EPIPE) or the daemon reset: nothing to tell. */
        return r == 0 || r == -EPIPE || r == -ECONNRESET ? KN_EXIT_OK : KN_EXIT_CONNECT;
}

int cli_proxy(const cli_cmd *cmd, cli_conn *unused) {
        (void) unused;
        const char *path = cli_cmd_value(cmd, "--socket");
        _cleanup_free_ char *uri = NULL;
        cli_options o = {0};
        cli_conn c;

        if (isatty(STDIN_FILENO) || isatty(STDOUT_FILENO)) {
                cli_error("proxy joins its standard input and output to kvmnetd's socket, for "
                          "kvmnet -c ssh://HOST on another machine; it is not for a terminal");
                return KN_EXIT_USAGE;
        }
        if (path) {
                if (path[0] != '/') {
                        cli_error("proxy: --socket needs an absolute path, not '%s'", path);
                        return KN_EXIT_USAGE;
                }
                uri = kn_xasprintf("unix://%s", path);
                o.uri = uri;
        }
        /* What goes wrong is said on the client's terminal, through ssh:
         * name the machine it comes from. */
        char host[64] = "";
        (void) gethostname(host, sizeof host - 1);
        snprintf(cli_context, sizeof cli_context, "kvmnet proxy on %s", host);
        /* The client that went away is no reason to die of SIGPIPE. */
        signal(SIGPIPE, SIG_IGN);
        /* The local rules: the given socket, else read-write falling back
         * to read-only; hello settles it before a byte is relayed. */
        int r = cli_conn_open(&c, &o);
        if (r != KN_EXIT_OK)
                return r;
        r = cli_conn_check(&c);
        if (r == KN_EXIT_OK)
                r = proxy_relay(&c);
        cli_conn_close(&c);
        return r;
}
