/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* bench/hotplug-raw: the floor of a guest NIC hot-plug, for bench/hotplug.
 *
 * A minimal QMP client with nothing but libc: it holds one QMP connection
 * and, per cycle, does what any manager has to do and nothing else:
 *
 *   attach  open /dev/net/tun (IFF_TAP|IFF_NO_PI|IFF_VNET_HDR), set the
 *           tap's MAC (guest MAC with the first byte 0xFE), join the
 *           bridge (SIOCBRADDIF), set it up (SIOCSIFFLAGS): ioctls only, no
 *           `ip` process; then QMP getfd (the fd in SCM_RIGHTS), netdev_add
 *           type tap fd=NAME, device_add virtio-net-pci
 *   detach  device_del, wait for DEVICE_DELETED of the device itself (not
 *           the event for its /machine/peripheral/ID/virtio-backend child),
 *           netdev_del, close our tap fd (the tap is gone)
 *
 * Driven over stdin/stdout, one line each way, so that bench/hotplug can
 * watch the guest's console while this holds the monitor:
 *
 *   hotplug-raw QMP_SOCKET BRIDGE
 *   -> ready
 *   <- attach N MAC
 *   -> attach N TAPNAME t0 t_tap t_getfd t_netdev t_device
 *   <- detach N
 *   -> detach N t0 t_del_reply t_deleted t_netdev_del t_closed
 *   <- quit
 *   -> error MESSAGE              (on any failure; exit status 1)
 *
 * Times are CLOCK_MONOTONIC seconds (the clock of Python's time.monotonic()),
 * each taken when that step returned; t0 is the start of the cycle.  The
 * process must run in the network namespace that holds BRIDGE. */

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define TIMEOUT_MS 30000
#define MAX_TAPS   64

static int qmp_fd = -1;
static int ctl_fd = -1; /* AF_UNIX datagram socket for the interface ioctls */
static const char *bridge;
/* Join the bridge with one `ip` process instead of ioctls (the floor as the
 * issue measured it: 7 ms, 3.4 ms of which was that process). */
static bool join_by_ip;
static char rbuf[1 << 16];
static size_t rlen;
static unsigned next_id;
static int tap_fds[MAX_TAPS];
/* DEVICE_DELETED events for devices that arrived while we waited for
 * something else. */
static char deleted[8][64];

static double now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

__attribute__((noreturn, format(printf, 1, 2))) static void die(const char *fmt, ...) {
        va_list ap;
        printf("error ");
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
        fflush(stdout);
        exit(1);
}

/* ---- the smallest JSON reading that QMP's replies need ---- */

/* The string value of member "key" anywhere in the line (QMP ids, event
 * names, device ids: none of them carry escapes).  Returns 1 if found. */
static int json_str(const char *line, const char *key, char *out, size_t size) {
        char pat[64];
        snprintf(pat, sizeof pat, "\"%s\"", key);
        for (const char *p = strstr(line, pat); p; p = strstr(p + 1, pat)) {
                const char *q = p + strlen(pat);
                while (*q == ' ' || *q == '\t')
                        q++;
                if (*q++ != ':')
                        continue;
                while (*q == ' ' || *q == '\t')
                        q++;
                if (*q++ != '"')
                        continue;
                size_t n = 0;
                while (*q && *q != '"' && n + 1 < size)
                        out[n++] = *q++;
                out[n] = '\0';
                return 1;
        }
        return 0;
}

static int json_has(const char *line, const char *key) {
        char pat[64];
        snprintf(pat, sizeof pat, "\"%s\"", key);
        for (const char *p = strstr(line, pat); p; p = strstr(p + 1, pat)) {
                const char *q = p + strlen(pat);
                while (*q == ' ' || *q == '\t')
                        q++;
                if (*q == ':')
                        return 1;
        }
        return 0;
}

/* ---- QMP ---- */

/* Next line from QEMU (without the line end), waiting at most TIMEOUT_MS. */
static char *read_line(void) {
        static char line[sizeof rbuf];
        for (;;) {
                char *nl = memchr(rbuf, '\n', rlen);
                if (nl) {
                        size_t n = (size_t) (nl - rbuf);
                        memcpy(line, rbuf, n);
                        line[n] = '\0';
                        if (n && line[n - 1] == '\r')
                                line[n - 1] = '\0';
                        memmove(rbuf, nl + 1, rlen - n - 1);
                        rlen -= n + 1;
                        return line;
                }
                if (rlen == sizeof rbuf)
                        die("QMP line longer than %zu bytes", sizeof rbuf);
                struct pollfd p = {.fd = qmp_fd, .events = POLLIN};
                int r = poll(&p, 1, TIMEOUT_MS);
                if (r == 0)
                        die("QEMU sent nothing for %d ms", TIMEOUT_MS);
                if (r < 0 && errno != EINTR)
                        die("poll: %s", strerror(errno));
                if (r < 0)
                        continue;
                ssize_t k = read(qmp_fd, rbuf + rlen, sizeof rbuf - rlen);
                if (k == 0)
                        die("QEMU closed the monitor");
                if (k < 0 && errno != EINTR && errno != EAGAIN)
                        die("read from QMP: %s", strerror(errno));
                if (k > 0)
                        rlen += (size_t) k;
        }
}

static void note_event(const char *line) {
        char ev[64], dev[64];
        if (!json_str(line, "event", ev, sizeof ev) || strcmp(ev, "DEVICE_DELETED") != 0)
                return;
        /* The backend child's event has only "path", no "device". */
        if (!json_str(line, "device", dev, sizeof dev))
                return;
        for (size_t i = 0; i < 8; i++)
                if (!deleted[i][0]) {
                        snprintf(deleted[i], sizeof deleted[i], "%s", dev);
                        return;
                }
        memmove(deleted[0], deleted[1], sizeof deleted - sizeof deleted[0]);
        snprintf(deleted[7], sizeof deleted[7], "%s", dev);
}

/* Send one command (with fd in SCM_RIGHTS if fd >= 0) and wait for the
 * reply carrying its id; events seen meanwhile are noted. */
static void qmp_exec(const char *cmd, const char *args_json, int fd) {
        char msg[1024], id[32], got[32];
        snprintf(id, sizeof id, "hp%u", ++next_id);
        int n = snprintf(msg, sizeof msg, "{\"execute\":\"%s\"%s%s,\"id\":\"%s\"}\n", cmd,
                         args_json ? ",\"arguments\":" : "", args_json ? args_json : "", id);
        if (n < 0 || (size_t) n >= sizeof msg)
                die("%s: command too long", cmd);

        struct iovec iov = {.iov_base = msg, .iov_len = (size_t) n};
        union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
        } u;
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
        if (fd >= 0) {
                memset(&u, 0, sizeof u);
                mh.msg_control = u.buf;
                mh.msg_controllen = sizeof u.buf;
                struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                c->cmsg_len = CMSG_LEN(sizeof(int));
                memcpy(CMSG_DATA(c), &fd, sizeof(int));
        }
        /* One sendmsg: the descriptor travels with the first byte. */
        ssize_t w;
        do
                w = sendmsg(qmp_fd, &mh, MSG_NOSIGNAL);
        while (w < 0 && errno == EINTR);
        if (w != n)
                die("%s: sendmsg: %s", cmd, w < 0 ? strerror(errno) : "short write");

        for (;;) {
                char *line = read_line();
                if (json_has(line, "event")) {
                        note_event(line);
                        continue;
                }
                if (!json_str(line, "id", got, sizeof got) || strcmp(got, id) != 0)
                        continue;
                if (json_has(line, "error")) {
                        char desc[512] = "?";
                        json_str(line, "desc", desc, sizeof desc);
                        die("%s: QEMU: %s", cmd, desc);
                }
                return;
        }
}

static void wait_deleted(const char *dev) {
        for (;;) {
                for (size_t i = 0; i < 8; i++)
                        if (strcmp(deleted[i], dev) == 0) {
                                deleted[i][0] = '\0';
                                return;
                        }
                char *line = read_line();
                if (json_has(line, "event"))
                        note_event(line);
        }
}

static void qmp_connect(const char *path) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof sa.sun_path)
                die("socket path too long: %s", path);
        strcpy(sa.sun_path, path);
        qmp_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (qmp_fd < 0 || connect(qmp_fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                die("cannot connect to %s: %s", path, strerror(errno));
        char *greeting = read_line();
        if (!strstr(greeting, "\"QMP\""))
                die("not a QMP greeting: %.200s", greeting);
        qmp_exec("qmp_capabilities", NULL, -1);
}

/* ---- tap ---- */

static void ifreq_ioctl(unsigned long req, struct ifreq *ifr, const char *what) {
        if (ioctl(ctl_fd, req, ifr) < 0)
                die("%s %s: %s", what, ifr->ifr_name, strerror(errno));
}

static int parse_mac(const char *s, unsigned char mac[6]) {
        unsigned v[6];
        if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
                return -1;
        for (int i = 0; i < 6; i++)
                mac[i] = (unsigned char) v[i];
        return 0;
}

static int tap_create(const unsigned char guest_mac[6], char name[IFNAMSIZ]) {
        int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
        if (fd < 0)
                die("open /dev/net/tun: %s", strerror(errno));
        struct ifreq ifr = {0};
        strcpy(ifr.ifr_name, "hptap%d");
        ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
        if (ioctl(fd, TUNSETIFF, &ifr) < 0)
                die("TUNSETIFF: %s", strerror(errno));
        memcpy(name, ifr.ifr_name, IFNAMSIZ);

        /* Host side MAC: the guest's with 0xFE first, so the bridge never
         * takes the tap's address as its own. */
        struct ifreq hw = {0};
        memcpy(hw.ifr_name, name, IFNAMSIZ);
        hw.ifr_hwaddr.sa_family = ARPHRD_ETHER;
        memcpy(hw.ifr_hwaddr.sa_data, guest_mac, 6);
        ((unsigned char *) hw.ifr_hwaddr.sa_data)[0] = 0xFE;
        ifreq_ioctl(SIOCSIFHWADDR, &hw, "SIOCSIFHWADDR");

        if (join_by_ip) {
                /* The floor: one `ip` process joins the bridge. */
                pid_t pid = fork();
                if (pid < 0)
                        die("fork: %s", strerror(errno));
                if (pid == 0) {
                        execlp("ip", "ip", "link", "set", "dev", name, "master", bridge, "up",
                               (char *) NULL);
                        _exit(127);
                }
                int st;
                if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
                        die("ip link set dev %s master %s up failed", name, bridge);
                return fd;
        }

        struct ifreq br = {0};
        snprintf(br.ifr_name, IFNAMSIZ, "%s", bridge);
        br.ifr_ifindex = (int) if_nametoindex(name);
        if (br.ifr_ifindex == 0)
                die("if_nametoindex %s: %s", name, strerror(errno));
        ifreq_ioctl(SIOCBRADDIF, &br, "SIOCBRADDIF");

        struct ifreq fl = {0};
        memcpy(fl.ifr_name, name, IFNAMSIZ);
        ifreq_ioctl(SIOCGIFFLAGS, &fl, "SIOCGIFFLAGS");
        fl.ifr_flags |= IFF_UP;
        ifreq_ioctl(SIOCSIFFLAGS, &fl, "SIOCSIFFLAGS");
        return fd;
}

/* ---- the cycle ---- */

static void attach(unsigned n, const char *mac_s) {
        unsigned char mac[6];
        char name[IFNAMSIZ], args[512];
        if (parse_mac(mac_s, mac) < 0)
                die("bad MAC %s", mac_s);
        unsigned slot = n % MAX_TAPS;
        if (tap_fds[slot] >= 0)
                die("cycle %u: slot still holds a tap", n);

        double t0 = now();
        int fd = tap_create(mac, name);
        double t_tap = now();

        snprintf(args, sizeof args, "{\"fdname\":\"hpfd%u\"}", n);
        qmp_exec("getfd", args, fd);
        double t_getfd = now();

        snprintf(args, sizeof args, "{\"type\":\"tap\",\"id\":\"hpn%u\",\"fd\":\"hpfd%u\"}", n, n);
        qmp_exec("netdev_add", args, -1);
        double t_netdev = now();

        snprintf(args, sizeof args,
                 "{\"driver\":\"virtio-net-pci\",\"netdev\":\"hpn%u\",\"id\":\"hpd%u\","
                 "\"mac\":\"%s\"}",
                 n, n, mac_s);
        qmp_exec("device_add", args, -1);
        double t_device = now();

        tap_fds[slot] = fd;
        printf("attach %u %s %.6f %.6f %.6f %.6f %.6f\n", n, name, t0, t_tap, t_getfd, t_netdev,
               t_device);
        fflush(stdout);
}

static void detach(unsigned n) {
        char args[128], dev[32];
        unsigned slot = n % MAX_TAPS;
        if (tap_fds[slot] < 0)
                die("cycle %u: nothing attached", n);
        snprintf(dev, sizeof dev, "hpd%u", n);

        double t0 = now();
        snprintf(args, sizeof args, "{\"id\":\"%s\"}", dev);
        qmp_exec("device_del", args, -1);
        double t_reply = now();
        wait_deleted(dev);
        double t_deleted = now();
        snprintf(args, sizeof args, "{\"id\":\"hpn%u\"}", n);
        qmp_exec("netdev_del", args, -1);
        double t_netdev = now();
        close(tap_fds[slot]);
        tap_fds[slot] = -1;
        double t_closed = now();

        printf("detach %u %.6f %.6f %.6f %.6f %.6f\n", n, t0, t_reply, t_deleted, t_netdev,
               t_closed);
        fflush(stdout);
}

int main(int argc, char **argv) {
        if (argc < 3 || argc > 4 || (argc == 4 && strcmp(argv[3], "ip") != 0)) {
                fprintf(stderr, "usage: %s QMP_SOCKET BRIDGE [ip]\n", argv[0]);
                return 2;
        }
        join_by_ip = argc == 4;
        bridge = argv[2];
        for (int i = 0; i < MAX_TAPS; i++)
                tap_fds[i] = -1;
        ctl_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (ctl_fd < 0)
                die("socket: %s", strerror(errno));
        if (if_nametoindex(bridge) == 0)
                die("no bridge %s in this network namespace", bridge);
        qmp_connect(argv[1]);
        printf("ready\n");
        fflush(stdout);

        char line[256];
        while (fgets(line, sizeof line, stdin)) {
                char verb[16], mac[32];
                unsigned n;
                if (sscanf(line, "attach %u %31s", &n, mac) == 2)
                        attach(n, mac);
                else if (sscanf(line, "detach %u", &n) == 1)
                        detach(n);
                else if (sscanf(line, "%15s", verb) == 1 && strcmp(verb, "quit") == 0)
                        break;
                else
                        die("unknown request: %s", line);
        }
        for (int i = 0; i < MAX_TAPS; i++)
                if (tap_fds[i] >= 0)
                        close(tap_fds[i]);
        close(qmp_fd);
        return 0;
}
