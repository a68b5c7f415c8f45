/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* DHCP through a real client: busybox udhcpc, run inside the handle's
 * namespace with a script kvmnet writes into its state directory.  The
 * client stays in the foreground until the first lease (or until it gives
 * up, -n), then daemonizes and keeps renewing; its pid file is how kvmnet
 * finds it again (kn_live_read shows <dhcp/> while it runs).
 * It is started through the common spawn helper, entering the namespace in
 * the child. */

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "bridge-move.h"
#include "live-internal.h"
#include "spawn.h"
#include "mkdir.h"
#include "rootfs.h"

/* udhcpc's -T: seconds between its discover packets. */
#define DISCOVER_PERIOD_MS 2000

static long lease_timeout_ms(const kn_netns *ns) {
        return ns->dhcp_timeout_ms > 0 ? ns->dhcp_timeout_ms : KN_DHCP_TIMEOUT_MS;
}

/* Only the leased address and the default route are touched, never the
 * link's other addresses (udhcpc's stock script flushes them all). */
static const char script[] =
        "#!/bin/sh\n"
        "# Written by kvmnet: applies a udhcpc lease to $interface and records it\n"
        "# in $KVMNET_LEASE.  Other addresses of the link are left alone.\n"
        "lf=\"$KVMNET_LEASE\"\n"
        "old=\n"
        "if [ -n \"$lf\" ] && [ -f \"$lf\" ]; then\n"
        "\twhile IFS= read -r l; do\n"
        "\t\tcase $l in address=*) old=${l#address=} ;; esac\n"
        "\tdone <\"$lf\"\n"
        "fi\n"
        "case \"$1\" in\n"
        "deconfig)\n"
        "\t[ -n \"$old\" ] && ip -4 addr del \"$old\" dev \"$interface\" 2>/dev/null\n"
        "\t[ -n \"$lf\" ] && rm -f \"$lf\"\n"
        "\t;;\n"
        "bound|renew)\n"
        "\tnew=\"$ip/${mask:-32}\"\n"
        "\t[ -n \"$old\" ] && [ \"$old\" != \"$new\" ] && ip -4 addr del \"$old\" dev "
        "\"$interface\" 2>/dev/null\n"
        "\tlft=\"valid_lft ${lease:-forever} preferred_lft ${lease:-forever}\"\n"
        "\tfirst=${router%% *}\n"
        "\t# One ip for the address and the first router; each step alone if that fails.\n"
        "\tif ! ip -4 -batch - 2>/dev/null <<EOF\n"
        "addr replace $new ${broadcast:+broadcast $broadcast} dev $interface $lft\n"
        "${first:+route replace default via $first dev $interface proto dhcp}\n"
        "EOF\n"
        "\tthen\n"
        "\t\tip -4 addr replace \"$new\" ${broadcast:+broadcast \"$broadcast\"} dev \"$interface\" "
        "$lft || exit 1\n"
        "\t\tfor r in $router; do\n"
        "\t\t\tip -4 route replace default via \"$r\" dev \"$interface\" proto dhcp && break\n"
        "\t\tdone\n"
        "\tfi\n"
        "\tif [ -n \"$lf\" ]; then\n"
        "\t\tprintf 'address=%s\\nrouter=%s\\ndns=%s\\ndomain=%s\\nlease=%s\\n' \"$new\" "
        "\"$router\" \"$dns\" \"$domain\" \"$lease\" >\"$lf.tmp\" && mv -f \"$lf.tmp\" \"$lf\"\n"
        "\tfi\n"
        "\t;;\n"
        "esac\n"
        "exit 0\n";

static char *state_path(const kn_netns *ns, const char *ifname, int family, const char *ext) {
        return kn_xasprintf("%s/dhcp%d-%lu-%s.%s", ns->state_dir, family == AF_INET ? 4 : 6,
                            ns->ino, ifname, ext);
}

static int write_script(const kn_netns *ns, char **ret, kn_error *err) {
        int r = kn_mkdir_p(ns->state_dir, 0755);
        if (r < 0)
                return kn_error_set(err, -r, "state directory %s: %s", ns->state_dir, strerror(-r));
        _cleanup_free_ char *path = kn_xasprintf("%s/kvmnet-udhcpc.sh", ns->state_dir);
        r = kn_write_file_atomic(path, script, sizeof script - 1, 0755, false, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(path);
        return 0;
}

/* udhcpc itself, or busybox to run it as an applet. */
/* udhcpc, or busybox to run it as an applet. */
static char *find_client(void) {
        char *exe = kn_spawn_find("udhcpc");
        return exe ? exe : kn_spawn_find("busybox");
}

static bool alive(pid_t pid) {
        char path[64], buf[256];
        snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
        if (n <= 0)
                return false;
        buf[n] = '\0';
        const char *p = strrchr(buf, ')');
        return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

/* argv[0] of pid is udhcpc: a stale pid file must not make kvmnet kill a
 * process that reused the pid. */
static bool is_client(pid_t pid) {
        char path[64], buf[64] = "";
        snprintf(path, sizeof path, "/proc/%d/cmdline", (int) pid);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || read(fd, buf, sizeof buf - 1) <= 0)
                return false;
        const char *base = strrchr(buf, '/');
        return streq(base ? base + 1 : buf, "udhcpc");
}

int kn_dhcp_running(kn_netns *ns, const char *ifname, int family) {
        _cleanup_free_ char *pidfile = state_path(ns, ifname, family, "pid");
        _cleanup_fclose_ FILE *f = fopen(pidfile, "re");
        int pid;
        if (!f || fscanf(f, "%d", &pid) != 1 || pid <= 0)
                return 0;
        return alive(pid) && is_client(pid) ? pid : 0;
}

static void sleep_ms(long ms) {
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
}

static void last_line(const char *path, char *out, size_t size) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        char line[256];
        out[0] = '\0';
        while (f && fgets(line, sizeof line, f)) {
                line[strcspn(line, "\n")] = '\0';
                if (line[0])
                        snprintf(out, size, "%s", line);
        }
}

static int enter_netns(void *data) {
        return kn_netns_enter(data);
}

/* request: the address to ask for (-r), or NULL.  Starts udhcpc without
 * waiting for it: wait_client() does, and must be called in any case. */
static int spawn_client(kn_netns *ns, const char *ifname, int family, const char *request,
                        kn_dhcp_client *c, kn_error *err) {
        *c = (kn_dhcp_client){.pid = -1, .pidfd = -1, .family = family};
        snprintf(c->ifname, sizeof c->ifname, "%s", ifname);
        if (family != AF_INET)
                return kn_error_set(err, EOPNOTSUPP, "%s: only IPv4 DHCP is supported", ifname);
        _cleanup_free_ char *exe = find_client();
        if (!exe)
                return kn_error_set(err, ENOENT, "%s: no DHCP client: install busybox (udhcpc)",
                                    ifname);
        _cleanup_free_ char *sh = NULL;
        int r = write_script(ns, &sh, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *pidfile = state_path(ns, ifname, family, "pid");
        _cleanup_free_ char *lease = state_path(ns, ifname, family, "lease");
        _cleanup_free_ char *log = state_path(ns, ifname, family, "log");
        _cleanup_free_ char *env_lease = kn_xasprintf("KVMNET_LEASE=%s", lease);
        unlink(pidfile);

        /* As many discovers as fit in the timeout: udhcpc gives up (-n)
         * about when the timeout ends; wait_client() caps it anyway. */
        char tries[24], period[16];
        snprintf(tries, sizeof tries, "%ld",
                 (lease_timeout_ms(ns) + DISCOVER_PERIOD_MS - 1) / DISCOVER_PERIOD_MS);
        snprintf(period, sizeof period, "%d", DISCOVER_PERIOD_MS / 1000);
        char *argv[] = {"udhcpc", "-i", (char *) ifname, "-p", pidfile, "-s", sh,   "-n",
                        "-R",     "-t", tries,           "-T", period,  NULL, NULL, NULL};
        if (request) {
                argv[13] = "-r";
                argv[14] = (char *) request;
        }
        char *const envp[] = {env_lease, "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};
        _cleanup_close_ int out = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (out < 0)
                return kn_error_set(err, errno, "%s: %s: %m", ifname, log);
        kn_spawn_opts o = KN_SPAWN_OPTS_INIT;
        o.stdout_fd = o.stderr_fd = out;
        o.new_session = true;
        o.envp = envp;
        o.child_setup = enter_netns;
        o.child_data = ns;
        r = kn_spawn(exe, argv, &o, &c->pid, &c->pidfd, err);
        if (r < 0) {
                c->pid = -1;
                kn_error_prefix(err, "%s", ifname);
        }
        return r;
}

static long now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* waitpid() of c's first process, which exits once it holds a lease (or
 * gave up): woken by its pidfd the moment it exits, polled every ms
 * without one.  0 when it did not exit within timeout_ms. */
static pid_t wait_exit(const kn_dhcp_client *c, long timeout_ms, int *st) {
        long end = now_ms() + timeout_ms;
        for (;;) {
                pid_t r = waitpid(c->pid, st, WNOHANG);
                long left = end - now_ms();
                if (r != 0 || left <= 0)
                        return r;
                if (c->pidfd >= 0) {
                        struct pollfd p = {.fd = c->pidfd, .events = POLLIN};
                        (void) poll(&p, 1, (int) left);
                } else
                        sleep_ms(1);
        }
}

/* The lease of a client spawn_client() started: its first process exits
 * once it holds one, after forking the daemon that writes the pid file. */
static int wait_client(kn_netns *ns, kn_dhcp_client *c, kn_error *err) {
        if (c->pid <= 0)
                return 0;
        const char *ifname = c->ifname;
        int family = c->family;
        _cleanup_free_ char *pidfile = state_path(ns, ifname, family, "pid");
        _cleanup_free_ char *log = state_path(ns, ifname, family, "log");
        int st = 0;
        long timeout = lease_timeout_ms(ns), start = now_ms();
        /* A moment past the timeout: udhcpc's last discover gets its answer. */
        pid_t r = wait_exit(c, timeout + 1000, &st);
        bool timed_out = r == 0 || now_ms() - start >= timeout - DISCOVER_PERIOD_MS / 2;
        if (r == 0) {
                kill(c->pid, SIGKILL);
                waitpid(c->pid, &st, 0);
        }
        pid_t pid = c->pid;
        c->pid = -1;
        if (c->pidfd >= 0)
                close(c->pidfd);
        c->pidfd = -1;
        if (r == 0)
                return kn_error_set(err, ETIMEDOUT, "%s: no DHCP lease within %g s (log: %s)",
                                    ifname, timeout / 1000.0, log);
        if (r < 0)
                return kn_error_set(err, errno, "%s: waiting for udhcpc %d: %m", ifname, (int) pid);
        bool ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
        for (int k = 0; ok && k < 3000 && kn_dhcp_running(ns, ifname, family) <= 0; k++)
                sleep_ms(1);
        if (ok && kn_dhcp_running(ns, ifname, family) <= 0)
                return kn_error_set(err, ESRCH,
                                    "%s: udhcpc got a lease but is not running (pid file %s)",
                                    ifname, pidfile);
        if (!ok) {
                char line[256];
                last_line(log, line, sizeof line);
                /* udhcpc gave up after its discovers: that is the timeout. */
                if (timed_out)
                        return kn_error_set(
                                err, ETIMEDOUT, "%s: no DHCP lease within %g s (%s; log: %s)",
                                ifname, timeout / 1000.0, line[0] ? line : "udhcpc exited", log);
                return kn_error_set(err, EHOSTUNREACH, "%s: no DHCP lease (%s; log: %s)", ifname,
                                    line[0] ? line : "udhcpc exited", log);
        }
        return 0;
}

static int start_client(kn_netns *ns, const char *ifname, int family, const char *request,
                        kn_error *err) {
        kn_dhcp_client c;
        int r = spawn_client(ns, ifname, family, request, &c, err);
        return r < 0 ? r : wait_client(ns, &c, err);
}

int kn_dhcp_stop(kn_netns *ns, const char *ifname, int family, kn_error *err) {
        pid_t pid = kn_dhcp_running(ns, ifname, family);
        if (pid > 0) {
                /* SIGTERM with -R: udhcpc releases the lease and runs the
                 * script's deconfig, which removes the leased address. */
                kill(pid, SIGTERM);
                for (int k = 0; k < 300 && alive(pid); k++)
                        sleep_ms(10);
                if (alive(pid)) {
                        kill(pid, SIGKILL);
                        for (int k = 0; k < 100 && alive(pid); k++)
                                sleep_ms(10);
                }
                if (alive(pid))
                        return kn_error_set(err, EBUSY, "%s: DHCP client %d does not exit", ifname,
                                            (int) pid);
        }
        _cleanup_free_ char *pidfile = state_path(ns, ifname, family, "pid");
        _cleanup_free_ char *lease = state_path(ns, ifname, family, "lease");
        unlink(pidfile);
        unlink(lease);
        return 0;
}

int kn_dhcp_stop_undo(kn_netns *ns, const char *ifname, kn_error *err) {
        return kn_dhcp_stop(ns, ifname, AF_INET, err);
}

int kn_dhcp_start(kn_netns *ns, const char *ifname, int family, kn_error *err) {
        return start_client(ns, ifname, family, NULL, err);
}

/* The leased address (without prefix) from the client's lease file. */
static bool leased_address(kn_netns *ns, const char *ifname, char *out, size_t size) {
        _cleanup_free_ char *lease = state_path(ns, ifname, AF_INET, "lease");
        _cleanup_fclose_ FILE *f = fopen(lease, "re");
        char line[128];
        while (f && fgets(line, sizeof line, f))
                if (startswith(line, "address=")) {
                        snprintf(out, size, "%s", line + strlen("address="));
                        out[strcspn(out, "/\n")] = '\0';
                        return out[0] != '\0';
                }
        return false;
}

int kn_dhcp_move_begin(kn_netns *ns, const char *from, const char *to, kn_dhcp_client *c,
                       kn_error *err) {
        *c = (kn_dhcp_client){.pid = -1, .pidfd = -1, .family = AF_INET};
        char addr[128] = "";
        bool have = leased_address(ns, from, addr, sizeof addr);
        pid_t pid = kn_dhcp_running(ns, from, AF_INET);
        /* Already there: an undo whose forward move never happened (the
         * step before it failed) must not start a second client. */
        if (pid <= 0 && kn_dhcp_running(ns, to, AF_INET) > 0)
                return 0;
        if (pid > 0) {
                /* SIGKILL: no release, no deconfig; the address stays where
                 * it is (it was copied to `to` already). */
                kill(pid, SIGKILL);
                for (int k = 0; k < 300 && alive(pid); k++)
                        sleep_ms(1);
        }
        _cleanup_free_ char *pidfile = state_path(ns, from, AF_INET, "pid");
        _cleanup_free_ char *lease = state_path(ns, from, AF_INET, "lease");
        unlink(pidfile);
        unlink(lease);
        int r = spawn_client(ns, to, AF_INET, have ? addr : NULL, c, err);
        snprintf(c->from, sizeof c->from, "%s", from);
        if (r < 0)
                kn_error_prefix(err, "moving the DHCP client from %s to %s", from, to);
        return r;
}

int kn_dhcp_move_end(kn_netns *ns, kn_dhcp_client *c, kn_error *err) {
        int r = wait_client(ns, c, err);
        if (r < 0)
                kn_error_prefix(err, "moving the DHCP client from %s to %s", c->from, c->ifname);
        return r;
}

int kn_dhcp_move(kn_netns *ns, const char *from, const char *to, kn_error *err) {
        kn_dhcp_client c;
        int r = kn_dhcp_move_begin(ns, from, to, &c, err);
        return r < 0 ? r : kn_dhcp_move_end(ns, &c, err);
}

int kn_dhcp_move_undo(kn_netns *ns, const char *arg, kn_error *err) {
        char from[IFNAMSIZ] = "", to[IFNAMSIZ] = "";
        if (sscanf(arg, "%15s %15s", from, to) != 2)
                return kn_error_set(err, EINVAL, "dhcp-move undo: bad argument '%s'", arg);
        return kn_dhcp_move(ns, to, from, err);
}
