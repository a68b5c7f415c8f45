/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A misbehaving (or merely raw) protocol client for the daemon tests:
 *
 *   rawclient SOCKET ACTION...
 *
 *   send:TEXT   send TEXT (\n in it is a newline)
 *   stdin       send all of standard input
 *   fill:N      send N bytes of 'x' (stops quietly if the daemon hangs up)
 *   read:N      read N reply lines and print them; fails on EOF or timeout
 *   eof         read until the daemon closes, print what came
 *   flood:S     send requests for S seconds without reading any reply
 *   sleep:S     wait S seconds
 *   shutwr      close the sending side
 *
 * Reads time out after 10 s.  Exit 0 if every action did what it says. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static char inbuf[1 << 16];
static size_t inlen;

static int read_more(int fd, int timeout_ms) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int r = poll(&p, 1, timeout_ms);
        if (r <= 0)
                return r == 0 ? -ETIMEDOUT : -errno;
        if (inlen == sizeof inbuf) {
                fwrite(inbuf, 1, inlen, stdout); /* an over-long line: pass it on */
                inlen = 0;
        }
        ssize_t n = recv(fd, inbuf + inlen, sizeof inbuf - inlen, 0);
        if (n < 0)
                return -errno;
        inlen += (size_t) n;
        return (int) n;
}

static int read_lines(int fd, long want) {
        long got = 0;
        while (got < want) {
                char *nl = memchr(inbuf, '\n', inlen);
                if (nl) {
                        size_t len = (size_t) (nl - inbuf) + 1;
                        fwrite(inbuf, 1, len, stdout);
                        memmove(inbuf, inbuf + len, inlen - len);
                        inlen -= len;
                        got++;
                        continue;
                }
                int r = read_more(fd, 10000);
                if (r <= 0) {
                        fprintf(stderr, "rawclient: wanted %ld lines, got %ld: %s\n", want, got,
                                r == 0 ? "connection closed" : strerror(-r));
                        return -1;
                }
        }
        fflush(stdout);
        return 0;
}

static int read_eof(int fd) {
        for (;;) {
                int r = read_more(fd, 10000);
                if (r == 0 || r == -ECONNRESET)
                        break;
                if (r < 0) {
                        fprintf(stderr, "rawclient: waiting for EOF: %s\n", strerror(-r));
                        return -1;
                }
        }
        fwrite(inbuf, 1, inlen, stdout);
        inlen = 0;
        fflush(stdout);
        return 0;
}

static int send_all(int fd, const char *s, size_t len, int quiet_epipe) {
        while (len > 0) {
                ssize_t n = send(fd, s, len, MSG_NOSIGNAL);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (quiet_epipe && (errno == EPIPE || errno == ECONNRESET))
                                return 1;
                        fprintf(stderr, "rawclient: send: %s\n", strerror(errno));
                        return -1;
                }
                s += n;
                len -= (size_t) n;
        }
        return 0;
}

static double now(void) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double) t.tv_sec + (double) t.tv_nsec / 1e9;
}

static int flood(int fd, double seconds) {
        static const char req[] = "{\"id\":1,\"verb\":\"iface-list\",\"args\":{\"all\":true}}\n";
        double end = now() + seconds;
        long sent = 0;
        while (now() < end) {
                ssize_t n = send(fd, req, sizeof req - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n < 0 && errno != EAGAIN) {
                        fprintf(stderr, "rawclient: flood: %s\n", strerror(errno));
                        return -1;
                }
                if (n < 0)
                        usleep(10000);
                else
                        sent += n;
        }
        fprintf(stderr, "rawclient: flooded %ld bytes without reading\n", sent);
        return 0;
}

int main(int argc, char **argv) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (argc < 2 || strlen(argv[1]) >= sizeof sa.sun_path) {
                fprintf(stderr, "usage: rawclient SOCKET ACTION...\n");
                return 2;
        }
        strcpy(sa.sun_path, argv[1]);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
                fprintf(stderr, "rawclient: connect %s: %s\n", argv[1], strerror(errno));
                return 1;
        }
        for (int k = 2; k < argc; k++) {
                const char *a = argv[k];
                int r = 0;
                if (strncmp(a, "send:", 5) == 0) {
                        char *s = strdup(a + 5), *w = s;
                        for (const char *p = s; *p; p++) {
                                if (p[0] == '\\' && p[1] == 'n') {
                                        *w++ = '\n';
                                        p++;
                                } else
                                        *w++ = *p;
                        }
                        r = send_all(fd, s, (size_t) (w - s), 0);
                        free(s);
                } else if (strcmp(a, "stdin") == 0) {
                        char buf[65536];
                        size_t n;
                        while (r == 0 && (n = fread(buf, 1, sizeof buf, stdin)) > 0)
                                r = send_all(fd, buf, n, 0);
                } else if (strncmp(a, "fill:", 5) == 0) {
                        static char xs[65536];
                        memset(xs, 'x', sizeof xs);
                        long n = atol(a + 5);
                        while (r == 0 && n > 0) {
                                size_t chunk = n > (long) sizeof xs ? sizeof xs : (size_t) n;
                                r = send_all(fd, xs, chunk, 1);
                                n -= (long) chunk;
                        }
                        r = r > 0 ? 0 : r;
                } else if (strncmp(a, "read:", 5) == 0) {
                        r = read_lines(fd, atol(a + 5));
                } else if (strcmp(a, "eof") == 0) {
                        r = read_eof(fd);
                } else if (strncmp(a, "flood:", 6) == 0) {
                        r = flood(fd, atof(a + 6));
                } else if (strncmp(a, "sleep:", 6) == 0) {
                        usleep((useconds_t) (atof(a + 6) * 1e6));
                } else if (strcmp(a, "shutwr") == 0) {
                        r = shutdown(fd, SHUT_WR);
                } else {
                        fprintf(stderr, "rawclient: unknown action '%s'\n", a);
                        return 2;
                }
                if (r < 0)
                        return 1;
        }
        close(fd);
        return 0;
}
