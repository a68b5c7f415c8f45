/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Drives the vnet runtime modules (src/vnet/nft, sysctl, dnsmasq) from the
 * shell tests, on real namespaces.
 *
 *   vnet-helper nft-print OPTS            the batch, on stdout
 *   vnet-helper nft-apply NETNS OPTS
 *   vnet-helper nft-delete NETNS NAME
 *   vnet-helper nft-exists NETNS NAME     prints "yes" or "no"
 *   vnet-helper sysctl-enable NETNS STATE NAME [--ipv6]
 *   vnet-helper sysctl-release NETNS STATE NAME
 *         both print what they changed: "ipv4 ipv6", "ipv4" or "-"
 *   vnet-helper dnsmasq-run NETNS STATE OPTS
 *         supervises dnsmasq on a kn_loop and prints what happens, one
 *         line each ("started PID", "lease added MAC IP NAME", "exited",
 *         ...); reads commands on stdin: "host MAC,NAME,IP" (add a static
 *         host and reload), "leases", "stop" (stop dnsmasq, exit),
 *         "detach" (exit leaving it running, as a killed kvmnetd would).
 *
 * OPTS: --name N --bridge B --mode M --dev D --subnet ADDR/PREFIX (again
 * for IPv6) --ports START-END --range START,END --host MAC,NAME,IP
 * --dns-host IP,NAME --domain D --ra.
 * Errors: "error: MESSAGE" on stderr, exit 1. */

#include <getopt.h>

#include "kvmnet/live.h"
#include "macro.h"
#include "vnet/nft.h"
#include "vnet/sysctl.h"

#define MAX_ITEMS 8

typedef struct opts {
        const char *name, *bridge, *mode, *dev, *domain;
        kn_nft_subnet subnets[MAX_ITEMS];
        size_t n_subnets;
        char *subnet_text[MAX_ITEMS];
        unsigned port_start, port_end;
        char *ranges[MAX_ITEMS];
        size_t n_ranges;
        char *hosts[MAX_ITEMS];
        size_t n_hosts;
        char *dns_hosts[MAX_ITEMS];
        size_t n_dns_hosts;
        bool ra, ipv6;
} opts;

static _Noreturn void die(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        fputs("error: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
        exit(1);
}

static void add_item(char **v, size_t *n, const char *what) {
        if (*n >= MAX_ITEMS)
                die("too many %s", what);
        v[(*n)++] = optarg;
}

static void parse_opts(int argc, char **argv, opts *o) {
        static const struct option longopts[] = {
                {"name", required_argument, NULL, 'n'},
                {"bridge", required_argument, NULL, 'b'},
                {"mode", required_argument, NULL, 'm'},
                {"dev", required_argument, NULL, 'd'},
                {"subnet", required_argument, NULL, 's'},
                {"ports", required_argument, NULL, 'p'},
                {"range", required_argument, NULL, 'r'},
                {"host", required_argument, NULL, 'h'},
                {"dns-host", required_argument, NULL, 'D'},
                {"domain", required_argument, NULL, 'o'},
                {"ra", no_argument, NULL, 'R'},
                {"ipv6", no_argument, NULL, '6'},
                {},
        };
        int c;
        optind = 1;
        while ((c = getopt_long(argc, argv, "", longopts, NULL)) >= 0) {
                switch (c) {
                case 'n': o->name = optarg; break;
                case 'b': o->bridge = optarg; break;
                case 'm': o->mode = optarg; break;
                case 'd': o->dev = optarg; break;
                case 'o': o->domain = optarg; break;
                case 'R': o->ra = true; break;
                case '6': o->ipv6 = true; break;
                case 's': {
                        if (o->n_subnets >= MAX_ITEMS)
                                die("too many subnets");
                        char *slash = strchr(optarg, '/');
                        if (!slash)
                                die("--subnet %s: no /PREFIX", optarg);
                        *slash = '\0';
                        o->subnets[o->n_subnets].address = optarg;
                        o->subnets[o->n_subnets].prefix = (unsigned) atoi(slash + 1);
                        o->n_subnets++;
                        break;
                }
                case 'p':
                        if (sscanf(optarg, "%u-%u", &o->port_start, &o->port_end) != 2)
                                die("--ports %s: not START-END", optarg);
                        break;
                case 'r': add_item(o->ranges, &o->n_ranges, "ranges"); break;
                case 'h': add_item(o->hosts, &o->n_hosts, "hosts"); break;
                case 'D': add_item(o->dns_hosts, &o->n_dns_hosts, "DNS hosts"); break;
                default: die("bad option");
                }
        }
}

static kn_nft_params nft_params(const opts *o) {
        kn_nft_params p = {
                .network = o->name,
                .bridge = o->bridge,
                .mode = KN_NFT_NAT,
                .dev = o->dev,
                .subnets = o->subnets,
                .n_subnets = o->n_subnets,
                .port_start = o->port_start,
                .port_end = o->port_end,
        };
        if (o->mode) {
                p.mode = kn_nft_mode_from_string(o->mode);
                if ((int) p.mode < 0)
                        die("--mode %s: not isolated, nat, route or open", o->mode);
        }
        return p;
}

static kn_netns *open_ns(const char *name) {
        kn_netns *ns;
        kn_error err = {0};
        if (kn_netns_open(name, &ns, &err) < 0)
                die("%s", err.message);
        return ns;
}

static int cmd_nft(const char *verb, int argc, char **argv) {
        kn_error err = {0};
        opts o = {0};
        if (streq(verb, "nft-print")) {
                parse_opts(argc, argv, &o);
                kn_nft_params p = nft_params(&o);
                _cleanup_free_ char *text = NULL;
                if (kn_nft_ruleset(&p, &text, &err) < 0)
                        die("%s", err.message);
                fputs(text ? text : "", stdout);
                return 0;
        }
        if (argc < 2)
                die("%s: no namespace", verb);
        _cleanup_netns_ kn_netns *ns = open_ns(argv[1]);
        if (streq(verb, "nft-apply")) {
                parse_opts(argc - 1, argv + 1, &o);
                kn_nft_params p = nft_params(&o);
                if (kn_nft_apply(ns, &p, &err) < 0)
                        die("%s", err.message);
                return 0;
        }
        if (argc < 3)
                die("%s: no network name", verb);
        if (streq(verb, "nft-delete")) {
                if (kn_nft_delete(ns, argv[2], &err) < 0)
                        die("%s", err.message);
                return 0;
        }
        int r = kn_nft_exists(ns, argv[2], &err);
        if (r < 0)
                die("%s", err.message);
        puts(r ? "yes" : "no");
        return 0;
}

static void print_change(const kn_sysctl_change *c) {
        printf("%s\n", c->ipv4 && c->ipv6 ? "ipv4 ipv6"
                       : c->ipv4          ? "ipv4"
                       : c->ipv6          ? "ipv6"
                                          : "-");
}

static int cmd_sysctl(const char *verb, int argc, char **argv) {
        if (argc < 4)
                die("usage: %s NETNS STATE NAME", verb);
        _cleanup_netns_ kn_netns *ns = open_ns(argv[1]);
        opts o = {0};
        parse_opts(argc - 3, argv + 3, &o);
        kn_error err = {0};
        kn_sysctl_change c;
        int r = streq(verb, "sysctl-enable")
                        ? kn_sysctl_forward_acquire(ns, argv[2], argv[3], o.ipv6, &c, &err)
                        : kn_sysctl_forward_release(ns, argv[2], argv[3], &c, &err);
        if (r < 0)
                die("%s", err.message);
        print_change(&c);
        return 0;
}

int main(int argc, char **argv) {
        if (argc < 2)
                die("usage: vnet-helper VERB ARGS");
        const char *verb = argv[1];
        if (startswith(verb, "nft-"))
                return cmd_nft(verb, argc - 1, argv + 1);
        if (startswith(verb, "sysctl-"))
                return cmd_sysctl(verb, argc - 1, argv + 1);
        die("unknown verb %s", verb);
}
