/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The runtime floors of a virtual network's start and destroy, each piece
 * alone, in a throw-away namespace with a bridge:
 *   nft apply / delete     one batch for the network's table (NAT mode)
 *   dnsmasq start / stop   until it serves (pid file written) / it is gone
 *   sysctl on / off        ip_forward switched on and restored
 * min / median / max of N runs, in ms.
 *
 *   sudo build/bench/vnet-runtime [-n 50] [--prefix kvbvn-]
 *
 * The namespace is PREFIX-PID, removed at the end. */

#include <getopt.h>
#include <sys/stat.h>

#include "kvmnet/live.h"
#include "kvmnet/loop.h"
#include "macro.h"
#include "vnet/dnsmasq.h"
#include "vnet/nft.h"
#include "vnet/sysctl.h"

typedef struct series {
        const char *name;
        double *ms;
        size_t n;
} series;

static double now_ms(void) {
        return (double) kn_loop_now_usec() / 1000.0;
}

static int cmp(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

static void report(series *s) {
        qsort_safe(s->ms, s->n, sizeof *s->ms, cmp);
        printf("%-16s %8.2f %8.2f %8.2f\n", s->name, s->ms[0], s->ms[s->n / 2], s->ms[s->n - 1]);
}

static _Noreturn void die(const char *what, const kn_error *e) {
        fprintf(stderr, "vnet-runtime: %s: %s\n", what, e ? e->message : "failed");
        exit(1);
}

static int sh(const char *fmt, const char *a, const char *b) {
        _cleanup_free_ char *cmd = kn_xasprintf(fmt, a, b);
        return system(cmd);
}

int main(int argc, char **argv) {
        static const struct option opts[] = {
                {"n", required_argument, NULL, 'n'}, {"prefix", required_argument, NULL, 'p'}, {}};
        int n = 50, c;
        const char *prefix = "kvbvn-";
        while ((c = getopt_long(argc, argv, "n:", opts, NULL)) >= 0)
                if (c == 'n')
                        n = atoi(optarg);
                else if (c == 'p')
                        prefix = optarg;
                else
                        return 2;
        if (n < 1)
                n = 1;
        _cleanup_free_ char *ns_name = kn_xasprintf("%s%d", prefix, (int) getpid());
        char dir[] = "/tmp/kvbvn-XXXXXX";
        if (!mkdtemp(dir) || chmod(dir, 0755) < 0)
                die("state directory", NULL);
        if (sh("ip netns add %s && ip -n %s link set lo up", ns_name, ns_name) != 0 ||
            sh("ip -n %s link add kvbr0 type bridge && ip -n %s addr add 192.168.150.1/24 dev "
               "kvbr0",
               ns_name, ns_name) != 0 ||
            sh("ip -n %s link set kvbr0 up%s", ns_name, "") != 0)
                die("namespace setup", NULL);

        kn_error e = {0};
        kn_netns *ns;
        kn_loop *loop;
        if (kn_netns_open(ns_name, &ns, &e) < 0)
                die("namespace", &e);
        if (kn_loop_new(&loop) < 0)
                die("loop", NULL);
        series s[] = {{.name = "nft apply"},    {.name = "nft delete"}, {.name = "dnsmasq start"},
                      {.name = "dnsmasq stop"}, {.name = "sysctl on"},  {.name = "sysctl off"}};
        for (size_t k = 0; k < ELEMENTSOF(s); k++)
                s[k].ms = kn_xcalloc((size_t) n, sizeof(double));

        kn_nft_subnet sub = {"192.168.150.1", 24};
        kn_nft_params np = {.network = "bench",
                            .bridge = "kvbr0",
                            .mode = KN_NFT_NAT,
                            .subnets = &sub,
                            .n_subnets = 1};
        kn_dnsmasq_subnet dsub = {"192.168.150.1", 24};
        kn_dnsmasq_range range = {"192.168.150.100", "192.168.150.200"};
        kn_dnsmasq_config dc = {.network = "bench",
                                .bridge = "kvbr0",
                                .state_dir = dir,
                                .subnets = &dsub,
                                .n_subnets = 1,
                                .ranges = &range,
                                .n_ranges = 1};
        for (int k = 0; k < n; k++) {
                double t = now_ms();
                if (kn_nft_apply(ns, &np, &e) < 0)
                        die("nft apply", &e);
                s[0].ms[s[0].n++] = now_ms() - t;
                t = now_ms();
                if (kn_nft_delete(ns, "bench", &e) < 0)
                        die("nft delete", &e);
                s[1].ms[s[1].n++] = now_ms() - t;

                kn_dnsmasq *d;
                t = now_ms();
                if (kn_dnsmasq_start(loop, ns, &dc, NULL, NULL, &d, &e) < 0)
                        die("dnsmasq start", &e);
                s[2].ms[s[2].n++] = now_ms() - t;
                t = now_ms();
                if (kn_dnsmasq_stop(d, &e) < 0)
                        die("dnsmasq stop", &e);
                s[3].ms[s[3].n++] = now_ms() - t;

                kn_sysctl_change ch;
                t = now_ms();
                if (kn_sysctl_forward_acquire(ns, dir, "bench", false, &ch, &e) < 0)
                        die("sysctl on", &e);
                s[4].ms[s[4].n++] = now_ms() - t;
                t = now_ms();
                if (kn_sysctl_forward_release(ns, dir, "bench", &ch, &e) < 0)
                        die("sysctl off", &e);
                s[5].ms[s[5].n++] = now_ms() - t;
        }
        printf("%d runs, ms:       min   median      max\n", n);
        for (size_t k = 0; k < ELEMENTSOF(s); k++) {
                report(&s[k]);
                free(s[k].ms);
        }
        kn_loop_free(loop);
        kn_netns_free(ns);
        kn_dnsmasq_kill(dir, "bench", true, NULL);
        sh("ip netns del %s%s", ns_name, "");
        sh("rm -rf %s%s", dir, "");
        return 0;
}
