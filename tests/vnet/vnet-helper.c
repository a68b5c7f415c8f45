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
 *         host and reload), "dns IP,NAME", "domain NAME", "leases", "stop" (stop dnsmasq, exit),
 *         "detach" (exit leaving it running, as a killed kvmnetd would).
 *   vnet-helper dnsmasq-print STATE OPTS  the configuration file's text
 *
 * OPTS: --name N --bridge B --mode M --dev D --subnet ADDR/PREFIX (again
 * for IPv6) --ports START-END --range START,END --host MAC,NAME,IP
 * --dns-host IP,NAME --domain D --ra.
 * Errors: "error: MESSAGE" on stderr, exit 1. */

#include <getopt.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/wait.h>

#include "kvmnet/live.h"
#include "macro.h"
#include "kvmnet/loop.h"
#include "vnet/dnsmasq.h"
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

/* ---- dnsmasq ---- */

#define MAX_HOSTS 32

typedef struct run {
        kn_loop *loop;
        kn_netns *ns;
        kn_dnsmasq *d;
        kn_dnsmasq_config c;
        kn_dnsmasq_subnet subnets[MAX_ITEMS];
        kn_dnsmasq_range ranges[MAX_ITEMS];
        kn_dnsmasq_host hosts[MAX_HOSTS];
        kn_dnsmasq_dns_host dns[MAX_HOSTS];
        char *dns_names[MAX_HOSTS];
        char *owned[4 * MAX_HOSTS];
        size_t n_owned;
        char line[1024];
        size_t line_len;
} run;

/* Split "a,b,c" in place into at most n fields. */
static size_t split(char *s, char **f, size_t n) {
        size_t k = 0;
        for (char *save = NULL, *t = strtok_r(s, ",", &save); t && k < n;
             t = strtok_r(NULL, ",", &save))
                f[k++] = t;
        return k;
}

static void add_host(run *u, char *spec) {
        char *f[3];
        if (split(spec, f, 3) != 3 || u->c.n_hosts >= MAX_HOSTS)
                die("host '%s': not MAC,NAME,IP", spec);
        u->hosts[u->c.n_hosts++] = (kn_dnsmasq_host){.mac = f[0], .name = f[1], .ip = f[2]};
}

static void add_dns(run *u, char *spec) {
        char *f[2];
        size_t k = u->c.n_dns_hosts;
        if (split(spec, f, 2) != 2 || k >= MAX_HOSTS)
                die("DNS host '%s': not IP,NAME", spec);
        u->dns_names[k] = f[1];
        u->dns[k] = (kn_dnsmasq_dns_host){
                .ip = f[0], .names = (const char *const *) &u->dns_names[k], .n_names = 1};
        u->c.n_dns_hosts++;
}

static void dnsmasq_config(run *u, opts *o, const char *state) {
        u->c = (kn_dnsmasq_config){
                .network = o->name,
                .bridge = o->bridge,
                .state_dir = state,
                .domain = o->domain,
                .subnets = u->subnets,
                .n_subnets = o->n_subnets,
                .ranges = u->ranges,
                .n_ranges = o->n_ranges,
                .hosts = u->hosts,
                .dns_hosts = u->dns,
                .ipv6_ra = o->ra,
        };
        for (size_t k = 0; k < o->n_subnets; k++)
                u->subnets[k] = (kn_dnsmasq_subnet){o->subnets[k].address, o->subnets[k].prefix};
        for (size_t k = 0; k < o->n_ranges; k++) {
                char *f[2];
                if (split(o->ranges[k], f, 2) != 2)
                        die("--range %s: not START,END", o->ranges[k]);
                u->ranges[k] = (kn_dnsmasq_range){f[0], f[1]};
        }
        for (size_t k = 0; k < o->n_hosts; k++)
                add_host(u, o->hosts[k]);
        for (size_t k = 0; k < o->n_dns_hosts; k++)
                add_dns(u, o->dns_hosts[k]);
}

static void on_event(kn_dnsmasq *d, const kn_dnsmasq_event *ev, void *userdata) {
        const kn_dnsmasq_lease *l = ev->lease;
        switch (ev->type) {
        case KN_DNSMASQ_STARTED: printf("started %d\n", (int) ev->pid); break;
        case KN_DNSMASQ_EXITED:
                printf("exited %d %d %llu\n", (int) ev->pid, ev->wstatus,
                       (unsigned long long) ev->restart_usec / 1000);
                break;
        case KN_DNSMASQ_START_FAILED:
                printf("start-failed %llu %s\n", (unsigned long long) ev->restart_usec / 1000,
                       ev->error->message);
                break;
        case KN_DNSMASQ_LEASE_ADDED:
        case KN_DNSMASQ_LEASE_CHANGED:
        case KN_DNSMASQ_LEASE_REMOVED:
                printf("lease %s %s %s %s\n",
                       ev->type == KN_DNSMASQ_LEASE_ADDED     ? "added"
                       : ev->type == KN_DNSMASQ_LEASE_CHANGED ? "changed"
                                                              : "removed",
                       l->ip, l->mac[0] ? l->mac : "-", l->hostname[0] ? l->hostname : "-");
                break;
        }
        fflush(stdout);
}

static void command(run *u, char *cmd) {
        kn_error err = {0};
        if (startswith(cmd, "host ") || startswith(cmd, "dns ") || startswith(cmd, "domain ")) {
                char *spec = kn_xstrdup(strchr(cmd, ' ') + 1);
                if (u->n_owned >= ELEMENTSOF(u->owned))
                        die("too many updates");
                u->owned[u->n_owned++] = spec;
                if (cmd[0] == 'h')
                        add_host(u, spec);
                else if (startswith(cmd, "dns "))
                        add_dns(u, spec);
                else
                        u->c.domain = spec;
                if (kn_dnsmasq_update(u->d, &u->c, &err) < 0)
                        printf("update-failed %s\n", err.message);
                else
                        printf("updated %d\n", (int) kn_dnsmasq_pid(u->d));
        } else if (streq(cmd, "leases")) {
                size_t n;
                const kn_dnsmasq_lease *l = kn_dnsmasq_leases(u->d, &n);
                for (size_t k = 0; k < n; k++)
                        printf("has %s %s %s\n", l[k].ip, l[k].mac[0] ? l[k].mac : "-",
                               l[k].hostname[0] ? l[k].hostname : "-");
                printf("leases %zu\n", n);
        } else if (streq(cmd, "stop")) {
                int r = kn_dnsmasq_stop(u->d, &err);
                u->d = NULL;
                printf(r < 0 ? "stop-failed %s\n" : "stopped\n", err.message);
                kn_loop_quit(u->loop);
        } else if (streq(cmd, "detach")) {
                u->d = kn_dnsmasq_free(u->d);
                printf("detached\n");
                kn_loop_quit(u->loop);
        } else
                printf("unknown-command %s\n", cmd);
        fflush(stdout);
}

static void on_stdin(int fd, uint32_t revents, void *userdata) {
        run *u = userdata;
        ssize_t n = read(fd, u->line + u->line_len, sizeof u->line - 1 - u->line_len);
        if (n <= 0) {
                /* The test went away: stop, leaving nothing behind. */
                command(u, (char[]){"stop"});
                return;
        }
        u->line_len += (size_t) n;
        u->line[u->line_len] = '\0';
        char *nl;
        while (u->d && (nl = strchr(u->line, '\n'))) {
                *nl = '\0';
                command(u, u->line);
                memmove(u->line, nl + 1, u->line_len - (size_t) (nl + 1 - u->line) + 1);
                u->line_len = strlen(u->line);
        }
}

static int cmd_dnsmasq(const char *verb, int argc, char **argv) {
        static run u; /* big, and the loop's callbacks hold it */
        opts o = {0};
        kn_error err = {0};
        if (streq(verb, "dnsmasq-print")) {
                if (argc < 2)
                        die("usage: dnsmasq-print STATE OPTS");
                parse_opts(argc - 1, argv + 1, &o);
                dnsmasq_config(&u, &o, argv[1]);
                _cleanup_free_ char *text = NULL;
                if (kn_dnsmasq_config_text(&u.c, &text, &err) < 0)
                        die("%s", err.message);
                fputs(text, stdout);
                return 0;
        }
        if (argc < 3)
                die("usage: dnsmasq-run NETNS STATE OPTS");
        parse_opts(argc - 2, argv + 2, &o);
        dnsmasq_config(&u, &o, argv[2]);
        u.ns = open_ns(argv[1]);
        if (kn_loop_new(&u.loop) < 0)
                die("no loop");
        if (kn_dnsmasq_start(u.loop, u.ns, &u.c, on_event, &u, &u.d, &err) < 0)
                die("%s", err.message);
        printf("%s %d\n", kn_dnsmasq_adopted(u.d) ? "adopted" : "started",
               (int) kn_dnsmasq_pid(u.d));
        fflush(stdout);
        kn_loop_add_fd(u.loop, 0, EPOLLIN, on_stdin, &u, NULL);
        int r = kn_loop_run(u.loop);
        kn_dnsmasq_free(u.d);
        kn_loop_free(u.loop);
        kn_netns_free(u.ns);
        for (size_t k = 0; k < u.n_owned; k++)
                free(u.owned[k]);
        return r < 0 ? 1 : 0;
}

int main(int argc, char **argv) {
        if (argc < 2)
                die("usage: vnet-helper VERB ARGS");
        const char *verb = argv[1];
        if (startswith(verb, "nft-"))
                return cmd_nft(verb, argc - 1, argv + 1);
        if (startswith(verb, "dnsmasq-"))
                return cmd_dnsmasq(verb, argc - 1, argv + 1);
        if (startswith(verb, "sysctl-"))
                return cmd_sysctl(verb, argc - 1, argv + 1);
        die("unknown verb %s", verb);
}
