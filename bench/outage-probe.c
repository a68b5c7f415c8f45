/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* bench/outage-probe: how long a host stops answering while its network
 * configuration is changed under it.
 *
 *   outage-probe [--interval-us N] [--duration MS] [--grace MS] [--stdin]
 *                [--rt] [--tcp ADDR:PORT] [--ready FILE] TARGET
 *       sends an ICMP echo request to TARGET (IPv4) every N us (default
 *       1000) from a raw socket, until MS have passed, SIGINT/SIGTERM, or
 *       (with --stdin) standard input closes; then waits --grace MS
 *       (default 200) for late replies and prints one JSON line:
 *       sent, received, lost, longest gap between consecutive replies,
 *       the window, and with --tcp the state of one TCP connection to an
 *       echo server that was kept moving data (1 KiB per tick) meanwhile.
 *       --ready FILE is created once the first reply (and the TCP
 *       connection) are there: the stream is established, and counts
 *       from its first answered request.  --rt: SCHED_FIFO, so that the
 *       scheduling noise of a busy machine does not read as an outage.
 *   outage-probe --serve-tcp PORT [--ready FILE]
 *       the echo server: every connection gets back what it sends, until
 *       SIGINT/SIGTERM.
 *
 * libc only; needs root (CAP_NET_RAW) for the probe.  Exit 0 when the
 * probe ran (whatever it lost), 1 on a setup error, 2 on bad usage. */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define TCP_CHUNK  1024
#define TCP_WINDOW (64 * 1024) /* most bytes in flight, unechoed */
#define MAX_CONNS  16

struct opts {
        long interval_us, duration_ms, grace_ms;
        bool use_stdin, rt;
        const char *target, *tcp, *ready;
        int serve_port;
};

static double now_ms(clockid_t clock) {
        struct timespec ts;
        clock_gettime(clock, &ts);
        return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

static void mark_ready(const char *path) {
        if (!path)
                return;
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd >= 0)
                close(fd);
}

/* SIGINT/SIGTERM through a signalfd.  A shell starts background jobs with
 * SIGINT ignored, and an ignored signal is never queued: reset it first. */
static int signals_fd(void) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGPIPE, SIG_IGN);
        sigprocmask(SIG_BLOCK, &set, NULL);
        return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

static uint16_t inet_csum(const void *data, size_t len) {
        const uint8_t *p = data;
        uint32_t sum = 0;
        for (; len > 1; p += 2, len -= 2)
                sum += (uint32_t) p[0] << 8 | p[1];
        if (len)
                sum += (uint32_t) p[0] << 8;
        while (sum >> 16)
                sum = (sum & 0xffff) + (sum >> 16);
        return htons((uint16_t) ~sum);
}

/* ---- the echo server ---------------------------------------------------- */

static int serve(const struct opts *o) {
        int sfd = signals_fd();
        int lfd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        int zero = 0, one = 1;
        setsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
        setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        struct sockaddr_in6 sa = {.sin6_family = AF_INET6,
                                  .sin6_port = htons((uint16_t) o->serve_port),
                                  .sin6_addr = in6addr_any};
        if (sfd < 0 || lfd < 0 || bind(lfd, (struct sockaddr *) &sa, sizeof sa) < 0 ||
            listen(lfd, 8) < 0) {
                fprintf(stderr, "outage-probe: tcp server on port %d: %m\n", o->serve_port);
                return 1;
        }
        mark_ready(o->ready);
        struct pollfd p[2 + MAX_CONNS];
        int n = 2;
        p[0] = (struct pollfd){.fd = sfd, .events = POLLIN};
        p[1] = (struct pollfd){.fd = lfd, .events = POLLIN};
        char buf[65536];
        for (;;) {
                if (poll(p, (nfds_t) n, -1) < 0 && errno != EINTR)
                        return 1;
                if (p[0].revents)
                        break;
                if ((p[1].revents & POLLIN) && n < 2 + MAX_CONNS) {
                        int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
                        if (c >= 0) {
                                setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                                p[n++] = (struct pollfd){.fd = c, .events = POLLIN};
                        }
                }
                for (int k = 2; k < n; k++) {
                        if (!p[k].revents)
                                continue;
                        /* Blocking echo: the client never has more than
                         * TCP_WINDOW unechoed, so the write completes. */
                        ssize_t r = read(p[k].fd, buf, sizeof buf);
                        bool ok = r > 0;
                        for (ssize_t off = 0; ok && off < r;) {
                                ssize_t w = write(p[k].fd, buf + off, (size_t) (r - off));
                                if (w < 0 && errno == EINTR)
                                        continue;
                                ok = w > 0;
                                off += w > 0 ? w : 0;
                        }
                        if (!ok && !(r < 0 && errno == EINTR)) {
                                close(p[k].fd);
                                p[k--] = p[--n];
                        }
                }
        }
        return 0;
}

/* ---- the probe ---------------------------------------------------------- */

struct tcp_state {
        int fd;
        bool connected, failed;
        char error[64];
        uint64_t sent, echoed;
        double last_rx, max_stall, start, end; /* end: the stream stopped */
};

struct probe {
        int raw;
        struct sockaddr_in to;
        uint16_t ident;
        uint32_t sent, received, dups;
        uint32_t base; /* the first answered sequence: the stream counts from there */
        uint8_t *seen; /* by sequence number, full 32 bits */
        size_t seen_size;
        double first_rx, last_rx, max_gap, max_gap_at, rtt_max, start;
        uint32_t run, max_run; /* consecutive lost, by sequence */
        uint64_t overruns;
        double stop; /* when the last request went out */
        struct tcp_state tcp;
};

static void send_echo(struct probe *p) {
        struct {
                struct icmphdr h;
                double sent_at;
        } pkt = {0};
        pkt.h.type = ICMP_ECHO;
        pkt.h.un.echo.id = htons(p->ident);
        pkt.h.un.echo.sequence = htons((uint16_t) p->sent);
        pkt.sent_at = now_ms(CLOCK_MONOTONIC);
        pkt.h.checksum = inet_csum(&pkt, sizeof pkt);
        if (p->sent >= p->seen_size) {
                size_t size = p->seen_size ? p->seen_size * 2 : 65536;
                p->seen = realloc(p->seen, size);
                if (!p->seen)
                        abort();
                memset(p->seen + p->seen_size, 0, size - p->seen_size);
                p->seen_size = size;
        }
        /* A failed send (no route for a moment) is a lost packet too. */
        (void) sendto(p->raw, &pkt, sizeof pkt, MSG_DONTWAIT, (struct sockaddr *) &p->to,
                      sizeof p->to);
        p->sent++;
}

/* The sent sequence number whose low 16 bits are seq16, nearest below. */
static uint32_t full_seq(const struct probe *p, uint16_t seq16) {
        uint32_t last = p->sent - 1;
        return last - (uint16_t) ((uint16_t) last - seq16);
}

static void recv_echoes(struct probe *p) {
        char buf[1500];
        for (;;) {
                ssize_t n = recv(p->raw, buf, sizeof buf, MSG_DONTWAIT);
                if (n < 0)
                        return;
                double t = now_ms(CLOCK_MONOTONIC);
                const struct iphdr *ip = (const void *) buf;
                size_t hl = (size_t) ip->ihl * 4;
                if ((size_t) n < hl + sizeof(struct icmphdr) + sizeof(double))
                        continue;
                struct icmphdr h;
                double sent_at;
                memcpy(&h, buf + hl, sizeof h);
                memcpy(&sent_at, buf + hl + sizeof h, sizeof sent_at);
                if (h.type != ICMP_ECHOREPLY || ntohs(h.un.echo.id) != p->ident ||
                    ip->saddr != p->to.sin_addr.s_addr || p->sent == 0)
                        continue;
                uint32_t seq = full_seq(p, ntohs(h.un.echo.sequence));
                if (p->seen[seq] || (p->received > 0 && seq < p->base)) {
                        p->dups++;
                        continue;
                }
                p->seen[seq] = 1;
                p->received++;
                if (t - sent_at > p->rtt_max)
                        p->rtt_max = t - sent_at;
                if (p->received == 1) {
                        p->first_rx = t;
                        p->base = seq;
                } else if (t - p->last_rx > p->max_gap) {
                        p->max_gap = t - p->last_rx;
                        p->max_gap_at = p->last_rx - p->start;
                }
                p->last_rx = t;
        }
}

static void count_runs(struct probe *p) {
        for (uint32_t s = p->base; s < p->sent; s++) {
                p->run = p->seen[s] ? 0 : p->run + 1;
                if (p->run > p->max_run)
                        p->max_run = p->run;
        }
}

static int tcp_open(struct tcp_state *t, const char *spec) {
        char host[64];
        int port;
        const char *colon = strrchr(spec, ':');
        struct sockaddr_in sa = {.sin_family = AF_INET};
        if (!colon || (size_t) (colon - spec) >= sizeof host ||
            sscanf(colon + 1, "%d", &port) != 1 || port <= 0 || port > 65535) {
                fprintf(stderr, "outage-probe: --tcp %s: want IPV4ADDR:PORT\n", spec);
                return -1;
        }
        memcpy(host, spec, (size_t) (colon - spec));
        host[colon - spec] = '\0';
        if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
                fprintf(stderr, "outage-probe: --tcp %s: not an IPv4 address\n", spec);
                return -1;
        }
        sa.sin_port = htons((uint16_t) port);
        t->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int one = 1;
        setsockopt(t->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (t->fd < 0 || connect(t->fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
                fprintf(stderr, "outage-probe: --tcp %s: %m\n", spec);
                return -1;
        }
        fcntl(t->fd, F_SETFL, fcntl(t->fd, F_GETFL) | O_NONBLOCK);
        t->connected = true;
        t->start = t->last_rx = now_ms(CLOCK_MONOTONIC);
        return 0;
}

static void tcp_fail(struct tcp_state *t, const char *what) {
        if (t->failed)
                return;
        t->failed = true;
        snprintf(t->error, sizeof t->error, "%s: %s", what, strerror(errno));
}

static void tcp_tick(struct tcp_state *t) {
        static const char chunk[TCP_CHUNK];
        if (!t->connected || t->failed || t->sent - t->echoed > TCP_WINDOW - TCP_CHUNK)
                return;
        ssize_t w = send(t->fd, chunk, sizeof chunk, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w > 0)
                t->sent += (uint64_t) w;
        else if (w < 0 && errno != EAGAIN && errno != EINTR)
                tcp_fail(t, "send");
}

static void tcp_read(struct tcp_state *t) {
        char buf[65536];
        for (;;) {
                ssize_t r = recv(t->fd, buf, sizeof buf, MSG_DONTWAIT);
                if (r > 0) {
                        double now = now_ms(CLOCK_MONOTONIC);
                        if (t->end)
                                now = t->end; /* late echoes of the grace time */
                        if (now - t->last_rx > t->max_stall)
                                t->max_stall = now - t->last_rx;
                        t->last_rx = now;
                        t->echoed += (uint64_t) r;
                        continue;
                }
                if (r == 0) {
                        errno = ECONNRESET;
                        tcp_fail(t, "closed by the server");
                } else if (errno != EAGAIN && errno != EINTR)
                        tcp_fail(t, "recv");
                return;
        }
}

static void print_json(const struct probe *p, const struct opts *o, double start_rt, double end_rt,
                       double window) {
        printf("{\"target\":\"%s\",\"interval_us\":%ld,\"start_ms\":%.3f,\"end_ms\":%.3f,"
               "\"window_ms\":%.3f,\"sent\":%" PRIu32 ",\"received\":%" PRIu32 ",\"lost\":%" PRIu32
               ",\"dups\":%" PRIu32 ",\"max_gap_ms\":%.3f,"
               "\"max_gap_at_ms\":%.3f,\"max_lost_run\":%" PRIu32 ",\"rtt_max_ms\":%.3f,"
               "\"timer_overruns\":%" PRIu64,
               o->target, o->interval_us, start_rt, end_rt, window, p->sent - p->base, p->received,
               p->sent - p->base - p->received, p->dups, p->max_gap, p->max_gap_at, p->max_run,
               p->rtt_max, p->overruns);
        if (o->tcp) {
                const struct tcp_state *t = &p->tcp;
                double stall = t->end - t->last_rx;
                printf(",\"tcp\":\"%s\",\"tcp_up\":%s,\"tcp_bytes\":%" PRIu64
                       ",\"tcp_max_stall_ms\":%.3f,\"tcp_error\":\"%s\"",
                       o->tcp, t->connected && !t->failed ? "true" : "false", t->echoed,
                       stall > t->max_stall ? stall : t->max_stall, t->error);
        }
        printf("}\n");
        fflush(stdout);
}

static int probe(const struct opts *o) {
        struct probe p = {.ident = (uint16_t) getpid(), .tcp.fd = -1};
        p.to.sin_family = AF_INET;
        if (inet_pton(AF_INET, o->target, &p.to.sin_addr) != 1) {
                fprintf(stderr, "outage-probe: %s: not an IPv4 address\n", o->target);
                return 2;
        }
        if (o->rt) {
                /* Scheduling noise of a shared machine would read as gaps. */
                struct sched_param sp = {.sched_priority = 10};
                if (sched_setscheduler(0, SCHED_FIFO, &sp) < 0)
                        fprintf(stderr, "outage-probe: --rt: %m (going on without)\n");
        }
        int sfd = signals_fd();
        p.raw = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
        if (sfd < 0 || p.raw < 0) {
                fprintf(stderr, "outage-probe: raw ICMP socket: %m (needs root)\n");
                return 1;
        }
        /* ICMP_FILTER of <linux/icmp.h>, which clashes with glibc's
         * <netinet/ip_icmp.h>: a mask of the types to drop. */
        uint32_t filt = ~(1U << ICMP_ECHOREPLY);
        int rcvbuf = 1 << 20;
        setsockopt(p.raw, SOL_RAW, 1 /* ICMP_FILTER */, &filt, sizeof filt);
        setsockopt(p.raw, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
        if (o->tcp && tcp_open(&p.tcp, o->tcp) < 0)
                return 1;

        int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        struct itimerspec its = {
                .it_value = {.tv_nsec = 1000},
                .it_interval = {.tv_sec = o->interval_us / 1000000,
                                .tv_nsec = (o->interval_us % 1000000) * 1000},
        };
        timerfd_settime(tfd, 0, &its, NULL);

        double start_rt = now_ms(CLOCK_REALTIME);
        p.start = now_ms(CLOCK_MONOTONIC);
        double stop_at = o->duration_ms > 0 ? p.start + (double) o->duration_ms : 0;
        double grace_end = 0;
        bool ready = false, stopping = false, stdin_open = o->use_stdin;
        while (!stopping || now_ms(CLOCK_MONOTONIC) < grace_end) {
                struct pollfd fds[5] = {
                        {.fd = p.raw, .events = POLLIN},
                        {.fd = stopping ? -1 : tfd, .events = POLLIN},
                        {.fd = sfd, .events = POLLIN},
                        {.fd = stdin_open && !stopping ? 0 : -1, .events = POLLIN},
                        {.fd = p.tcp.connected && !p.tcp.failed ? p.tcp.fd : -1, .events = POLLIN},
                };
                int timeout = stopping ? (int) (grace_end - now_ms(CLOCK_MONOTONIC)) + 1 : -1;
                if (poll(fds, 5, timeout) < 0 && errno != EINTR)
                        break;
                if (fds[0].revents)
                        recv_echoes(&p);
                if (fds[4].revents)
                        tcp_read(&p.tcp);
                if (fds[1].revents & POLLIN) {
                        uint64_t ticks = 0;
                        if (read(tfd, &ticks, sizeof ticks) == sizeof ticks && ticks > 1)
                                p.overruns += ticks - 1;
                        send_echo(&p);
                        tcp_tick(&p.tcp);
                }
                if (!ready && p.received > 0 && (!o->tcp || p.tcp.echoed > 0)) {
                        ready = true;
                        mark_ready(o->ready);
                }
                bool stop = fds[2].revents || (stop_at && now_ms(CLOCK_MONOTONIC) >= stop_at);
                if (fds[3].revents) {
                        char c[256];
                        if (read(0, c, sizeof c) <= 0)
                                stop = true;
                }
                if (stop && !stopping) {
                        stopping = true;
                        grace_end = now_ms(CLOCK_MONOTONIC) + (double) o->grace_ms;
                        p.tcp.end = now_ms(CLOCK_MONOTONIC);
                        p.stop = p.tcp.end;
                }
        }
        double window = now_ms(CLOCK_MONOTONIC) - p.start;
        recv_echoes(&p);
        if (p.tcp.connected && !p.tcp.failed) {
                /* Still established?  TCP_INFO says so without sending. */
                struct tcp_info ti;
                socklen_t len = sizeof ti;
                if (getsockopt(p.tcp.fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0 &&
                    ti.tcpi_state != TCP_ESTABLISHED) {
                        errno = ENOTCONN;
                        tcp_fail(&p.tcp, "state");
                }
        }
        /* Silence up to the end of the stream is a gap too (the replies
         * that came back in the grace time already count). */
        if (p.received > 0 && p.stop - p.last_rx > p.max_gap) {
                p.max_gap = p.stop - p.last_rx;
                p.max_gap_at = p.last_rx - p.start;
        }
        count_runs(&p);
        print_json(&p, o, start_rt, now_ms(CLOCK_REALTIME), window);
        free(p.seen);
        return 0;
}

static void usage(FILE *f) {
        fputs("Usage: outage-probe [--interval-us N] [--duration MS] [--grace MS] [--stdin]\n"
              "                    [--rt] [--tcp ADDR:PORT] [--ready FILE] TARGET\n"
              "       outage-probe --serve-tcp PORT [--ready FILE]\n",
              f);
}

int main(int argc, char **argv) {
        static const struct option longopts[] = {
                {"interval-us", required_argument, NULL, 'i'},
                {"duration", required_argument, NULL, 'd'},
                {"grace", required_argument, NULL, 'g'},
                {"stdin", no_argument, NULL, 's'},
                {"rt", no_argument, NULL, 'R'},
                {"tcp", required_argument, NULL, 't'},
                {"ready", required_argument, NULL, 'r'},
                {"serve-tcp", required_argument, NULL, 'S'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        struct opts o = {.interval_us = 1000, .grace_ms = 200};
        int c;
        while ((c = getopt_long(argc, argv, "h", longopts, NULL)) >= 0)
                switch (c) {
                case 'i': o.interval_us = atol(optarg); break;
                case 'd': o.duration_ms = atol(optarg); break;
                case 'g': o.grace_ms = atol(optarg); break;
                case 's': o.use_stdin = true; break;
                case 'R': o.rt = true; break;
                case 't': o.tcp = optarg; break;
                case 'r': o.ready = optarg; break;
                case 'S': o.serve_port = atoi(optarg); break;
                case 'h': usage(stdout); return 0;
                default: usage(stderr); return 2;
                }
        if (o.serve_port > 0)
                return optind == argc ? serve(&o) : (usage(stderr), 2);
        if (optind != argc - 1 || o.interval_us < 100 || o.grace_ms < 0) {
                usage(stderr);
                return 2;
        }
        o.target = argv[optind];
        return probe(&o);
}
