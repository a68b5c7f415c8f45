/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* bench/live-scale: N bridges, each with one veth port and an address
 * (3 x N interfaces), started, listed with state and destroyed by kvmnet's
 * live layer, against the kernel floor measured in the same run with
 * `ip -batch`:
 *
 *   start    kn_live_apply per bridge        vs  ip -batch (link add, master, up, addr add)
 *   list     kn_live_list (models of all)    vs  ip -j -d addr show
 *   destroy  kn_live_stop_many (one batch)   vs  ip -batch: link set group + link del group
 *                                            and (unless --quick) link del, link by link
 *
 * Each side works in its own namespace.  The veth pairs stand in for NICs
 * and are made the same way for both (ip -batch, shown as "setup", not
 * compared).  The machines this runs on are shared: so starts are
 * interleaved in chunks of 50 bridges (ip, kvmnet, ip, kvmnet...) and
 * lists alternate, so both sides see the same load and the same namespace
 * size; the best of 5 lists counts.
 *
 * Usage: live-scale [-n BRIDGES] [--quick].  Needs root. */

#include <getopt.h>
#include <time.h>

#include "kvmnet/live.h"
#include "live/live-test.h"

static int n_bridges = 1000;
static char dir[64];

static double now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void addr_of(int i, char *out, size_t size) {
        snprintf(out, size, "10.%d.%d.1", 100 + i / 250, i % 250);
}

typedef void (*line_fn)(FILE *f, int i);

#define CHUNK 50

static double ip_batch_range(const char *ns, const char *name, line_fn fn, line_fn fn2, int from,
                             int to) {
        char path[128];
        snprintf(path, sizeof path, "%s/%s.batch", dir, name);
        FILE *f = fopen(path, "we");
        if (!f)
                abort();
        for (int i = from; i < to; i++)
                fn(f, i);
        for (int i = from; fn2 && i < to; i++)
                fn2(f, i);
        fclose(f);
        double t = now();
        lt_sh("ip -n %s -batch %s", ns, path);
        return now() - t;
}

static double ip_batch(const char *ns, const char *name, line_fn fn, line_fn fn2) {
        return ip_batch_range(ns, name, fn, fn2, 0, n_bridges);
}

static void l_veth(FILE *f, int i) {
        fprintf(f, "link add name v%da type veth peer name v%db\nlink set v%db up\n", i, i, i);
}
static void l_start(FILE *f, int i) {
        char a[32];
        addr_of(i, a, sizeof a);
        fprintf(f,
                "link add name br%d type bridge\nlink set v%da master br%d\nlink set v%da up\n"
                "link set br%d up\naddr add %s/24 dev br%d\n",
                i, i, i, i, i, a, i);
}
static void l_del(FILE *f, int i) {
        fprintf(f, "link del br%d\nlink set v%da down\n", i, i);
}
static void l_group(FILE *f, int i) {
        fprintf(f, "link set br%d group 4242\nlink set v%da down\n", i, i);
}
static void l_del_group(FILE *f, int i) {
        if (i == n_bridges - 1)
                fprintf(f, "link del group 4242\n");
}

static kn_iface *definition(int i) {
        char xml[512], a[32];
        addr_of(i, a, sizeof a);
        snprintf(xml, sizeof xml,
                 "<interface type='bridge' name='br%d'><protocol family='ipv4'>"
                 "<ip address='%s' prefix='24'/></protocol><bridge>"
                 "<interface type='ethernet' name='v%da'/></bridge></interface>",
                 i, a, i);
        return lt_parse(xml);
}

static double time_ip_list(const char *ns) {
        double t = now();
        lt_sh("ip -n %s -j -d addr show >/dev/null 2>&1", ns);
        return now() - t;
}

static double time_kn_list(kn_netns *h, size_t *count) {
        kn_live_link *links;
        kn_error err = {0};
        double t = now();
        if (kn_live_list(h, &links, count, &err) < 0) {
                fprintf(stderr, "list: %s\n", err.message);
                abort();
        }
        t = now() - t;
        kn_live_links_free(links, *count);
        return t;
}

static double kn_start_range(kn_netns *h, kn_iface **defs, int from, int to) {
        double t = now();
        for (int i = from; i < to; i++) {
                kn_error err = {0};
                if (kn_live_apply(h, defs[i], NULL, &err) < 0) {
                        fprintf(stderr, "start br%d: %s\n", i, err.message);
                        exit(1);
                }
        }
        return now() - t;
}

static double min(double a, double b) {
        return a < b ? a : b;
}

int main(int argc, char **argv) {
        bool quick = false;
        static const struct option opts[] = {{"quick", no_argument, NULL, 'q'}, {}};
        int c;
        while ((c = getopt_long(argc, argv, "n:q", opts, NULL)) >= 0) {
                if (c == 'n')
                        n_bridges = atoi(optarg);
                else if (c == 'q')
                        quick = true;
                else
                        return 2;
        }
        lt_init();
        snprintf(dir, sizeof dir, "%s", lt_state_dir);
        lt_sh("mkdir -p %s", dir);
        int ifaces = 3 * n_bridges;

        const char *fa = lt_ns("floor"), *fk = lt_ns("kvmnet");
        double ip_setup = ip_batch(fa, "veth", l_veth, NULL);
        double kn_setup = ip_batch(fk, "veth2", l_veth, NULL);
        kn_netns *h = lt_open(fk);
        kn_iface **defs = kn_xcalloc((size_t) n_bridges, sizeof *defs);
        for (int i = 0; i < n_bridges; i++)
                defs[i] = definition(i);

        double ip_start = 0, kn_start = 0;
        for (int from = 0; from < n_bridges; from += CHUNK) {
                int to = from + CHUNK < n_bridges ? from + CHUNK : n_bridges;
                ip_start += ip_batch_range(fa, "start", l_start, NULL, from, to);
                kn_start += kn_start_range(h, defs, from, to);
        }

        double ip_list = 1e9, kn_list = 1e9;
        size_t listed = 0;
        for (int k = 0; k < 5; k++) {
                ip_list = min(ip_list, time_ip_list(fa));
                kn_list = min(kn_list, time_kn_list(h, &listed));
        }

        double ip_del_group = ip_batch(fa, "group", l_group, l_del_group);
        double t = now();
        kn_error err = {0};
        if (kn_live_stop_many(h, (const kn_iface *const *) defs, (size_t) n_bridges, &err) < 0) {
                fprintf(stderr, "destroy: %s\n", err.message);
                return 1;
        }
        double kn_stop = now() - t;
        int left = test_run("ip -n %s -o link show type bridge | grep -q .", fk) == 0;

        double ip_del_each = 0;
        if (!quick) {
                ip_batch(fa, "start2", l_start, NULL);
                ip_del_each = ip_batch(fa, "del", l_del, NULL);
        }
        lt_ns_kill_and_delete(fa);

        printf("live-scale: %d bridges, each with a veth port and an address (%d interfaces)\n",
               n_bridges, ifaces);
        printf("  setup (veth pairs, ip -batch)   floor %7.3f s   kvmnet run %7.3f s\n", ip_setup,
               kn_setup);
        printf("  start     ip -batch             %7.3f s   kvmnet %7.3f s   ratio %.2f (target "
               "<= 1.5)\n",
               ip_start, kn_start, kn_start / ip_start);
        printf("  list      ip -j -d addr show    %7.3f s   kvmnet %7.3f s   ratio %.2f (target "
               "<= 2; %zu links)\n",
               ip_list, kn_list, kn_list / ip_list, listed);
        if (!quick)
                printf("  destroy   ip link del, each     %7.3f s   kvmnet %7.3f s   ratio %.2f\n",
                       ip_del_each, kn_stop, kn_stop / ip_del_each);
        printf("  destroy   ip link del group     %7.3f s   kvmnet %7.3f s   ratio %.2f (target "
               "<= 1.5)\n",
               ip_del_group, kn_stop, kn_stop / ip_del_group);
        if (left)
                printf("  ERROR: bridges left after destroy\n");

        for (int i = 0; i < n_bridges; i++)
                kn_iface_free(defs[i]);
        free(defs);
        kn_netns_free(h);
        lt_ns_kill_and_delete(fk);
        return left;
}
