/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the runtime modules write, without root: dnsmasq's configuration
 * and hosts files, its lease file read back, the nft batch, and the
 * refusals (one error naming the field). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"
#include "vnet/dnsmasq-private.h"
#include "vnet/nft.h"

static const kn_dnsmasq_subnet subnets[] = {{"192.168.122.1", 24}, {"fd00:12::1", 64}};
static const kn_dnsmasq_range ranges[] = {{"192.168.122.2", "192.168.122.254"}};
static const kn_dnsmasq_host hosts[] = {{"52:54:00:aa:bb:cc", "web", "192.168.122.10"},
                                        {NULL, "six", "fd00:12::10"}};
static const char *const names[] = {"www", "www2"};
static const kn_dnsmasq_dns_host dns_hosts[] = {{"192.168.122.7", names, 2}};

static kn_dnsmasq_config config(const char *dir) {
        return (kn_dnsmasq_config){
                .network = "default",
                .bridge = "kvbr0",
                .state_dir = dir,
                .domain = "knet",
                .subnets = subnets,
                .n_subnets = 2,
                .ranges = ranges,
                .n_ranges = 1,
                .hosts = hosts,
                .n_hosts = 2,
                .dns_hosts = dns_hosts,
                .n_dns_hosts = 1,
                .ipv6_ra = true,
        };
}

static bool has_line(const char *text, const char *line) {
        size_t n = strlen(line);
        for (const char *p = text; (p = strstr(p, line)); p += n)
                if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
                        return true;
        return false;
}

static void test_config_text(void **state) {
        kn_dnsmasq_config c = config("/run/kvmnet/networks");
        _cleanup_free_ char *t = NULL;
        kn_error err = {0};
        assert_int_equal(kn_dnsmasq_config_text(&c, &t, &err), 0);
        const char *want[] = {
                "interface=kvbr0",
                "except-interface=lo",
                "bind-dynamic",
                "no-resolv",
                "no-hosts",
                "pid-file=/run/kvmnet/networks/default.pid",
                "dhcp-hostsfile=/run/kvmnet/networks/default.hostsfile",
                "addn-hosts=/run/kvmnet/networks/default.addnhosts",
                "dhcp-leasefile=/run/kvmnet/networks/default.leases",
                "domain=knet",
                "local=/knet/",
                "dhcp-range=192.168.122.2,192.168.122.254,255.255.255.0,3600",
                /* hosts only in the IPv6 subnet: DHCPv6 for them alone */
                "dhcp-range=fd00:12::,static,64,3600",
                "dhcp-lease-max=1277",
                "enable-ra",
        };
        for (size_t k = 0; k < ELEMENTSOF(want); k++)
                if (!has_line(t, want[k]))
                        fail_msg("no line '%s' in:\n%s", want[k], t);
        assert_false(has_line(t, "strict-order"));

        /* Upstream DNS wanted: the namespace's resolv.conf, in order. */
        free(t);
        t = NULL;
        c.forward_dns = true;
        assert_int_equal(kn_dnsmasq_config_text(&c, &t, &err), 0);
        assert_true(has_line(t, "strict-order"));
        assert_false(has_line(t, "no-resolv"));
}

/* Hosts go to the files dnsmasq re-reads on SIGHUP: adding one leaves
 * NET.conf as it was (no restart). */
static void test_files(void **state) {
        _cleanup_free_ char *dir = test_tmpdir();
        kn_dnsmasq_config c = config(dir);
        kn_dnsmasq_paths p;
        kn_dnsmasq_paths_init(&p, dir, c.network);
        kn_error err = {0};
        bool conf, changed;
        assert_int_equal(kn_dnsmasq_write_files(&c, &p, &conf, &changed, &err), 0);
        assert_true(conf && changed);
        _cleanup_free_ char *h = test_read_file(p.hostsfile);
        assert_string_equal(h, "52:54:00:aa:bb:cc,web,192.168.122.10\nsix,[fd00:12::10]\n");
        _cleanup_free_ char *a = test_read_file(p.addnhosts);
        assert_string_equal(a, "192.168.122.7 www www2\n");
        assert_int_equal(kn_dnsmasq_write_files(&c, &p, &conf, &changed, &err), 0);
        assert_false(conf || changed);
        kn_dnsmasq_host more[] = {
                hosts[0], hosts[1], {"52:54:00:aa:bb:dd", "db", "192.168.122.11"}};
        c.hosts = more;
        c.n_hosts = 3;
        assert_int_equal(kn_dnsmasq_write_files(&c, &p, &conf, &changed, &err), 0);
        assert_false(conf);
        assert_true(changed);
        kn_dnsmasq_paths_done(&p);
        test_rmtree(dir);
}

static void expect_error(kn_dnsmasq_config c, const char *message) {
        _cleanup_free_ char *t = NULL;
        kn_error err = {0};
        assert_int_equal(kn_dnsmasq_config_text(&c, &t, &err), -EINVAL);
        assert_string_equal(err.message, message);
}

static void test_refusals(void **state) {
        kn_dnsmasq_config c = config("/x");
        kn_dnsmasq_range out[] = {{"192.168.122.200", "192.168.123.1"}};
        kn_dnsmasq_range down[] = {{"192.168.122.200", "192.168.122.100"}};
        kn_dnsmasq_host badmac[] = {{"52:54:00:aa:bb", "x", "192.168.122.3"}};
        kn_dnsmasq_host outside[] = {{"52:54:00:aa:bb:cc", "x", "10.0.0.3"}};
        kn_dnsmasq_host badname[] = {{"52:54:00:aa:bb:cc", "a b", "192.168.122.3"}};
        c.ranges = out;
        expect_error(c, "network default: DHCP range end 192.168.123.1 is in none of its subnets");
        c.ranges = down;
        expect_error(c, "network default: DHCP range 192.168.122.200-192.168.122.100 does not "
                        "run upwards inside one subnet");
        c = config("/x");
        c.n_hosts = 1;
        c.hosts = badmac;
        expect_error(c, "network default: DHCP host 192.168.122.3: '52:54:00:aa:bb' is not a MAC "
                        "address (aa:bb:cc:dd:ee:ff)");
        c.hosts = outside;
        expect_error(c, "network default: DHCP host address 10.0.0.3 is in none of its subnets");
        c.hosts = badname;
        expect_error(c, "network default: DHCP host name 'a b' is not a host name (letters, "
                        "digits, '-' and '.')");
        c = config("relative");
        expect_error(c, "network default: state directory 'relative' is not an absolute path");
        c = config("/x");
        c.bridge = "a-bridge-name-too-long";
        expect_error(c, "network default: bridge name 'a-bridge-name-too-long' is 22 characters "
                        "long (valid: 1-15 letters, digits, '_', '-' or '.', not starting with "
                        "'.' or '-')");
        c = config("/x");
        c.network = "../etc";
        expect_error(c, "network name '../etc' starts with '.' (valid: 1-64 letters, digits, "
                        "'-', '_', '.' or '+', not starting with '.' or '-')");
}

/* dnsmasq itself accepts what kvmnet writes (its --test syntax check):
 * IPv4 and IPv6 ranges, static-only subnets, ra-only, upstream DNS. */
static void test_dnsmasq_accepts(void **state) {
        if (access("/usr/sbin/dnsmasq", X_OK) < 0)
                skip();
        _cleanup_free_ char *dir = test_tmpdir();
        kn_dnsmasq_subnet v6only[] = {{"fd00:1::1", 64}};
        kn_dnsmasq_range v6range[] = {{"fd00:1::10", "fd00:1::ff"}};
        kn_dnsmasq_config cs[4];
        for (size_t k = 0; k < ELEMENTSOF(cs); k++)
                cs[k] = config(dir);
        cs[1].forward_dns = true;
        cs[1].n_ranges = 0; /* hosts only: static ranges in both families */
        cs[2] = (kn_dnsmasq_config){.network = "ra",
                                    .bridge = "kvbr1",
                                    .state_dir = dir,
                                    .subnets = v6only,
                                    .n_subnets = 1,
                                    .ipv6_ra = true};
        cs[3] = cs[2];
        cs[3].ranges = v6range;
        cs[3].n_ranges = 1;
        for (size_t k = 0; k < ELEMENTSOF(cs); k++) {
                _cleanup_free_ char *t = NULL;
                kn_error err = {0};
                assert_int_equal(kn_dnsmasq_config_text(&cs[k], &t, &err), 0);
                _cleanup_free_ char *path = kn_xasprintf("%s/t%zu.conf", dir, k);
                test_write_file(path, t);
                if (test_run("/usr/sbin/dnsmasq --test --conf-file='%s' >/dev/null 2>&1", path) !=
                    0) {
                        test_run("/usr/sbin/dnsmasq --test --conf-file='%s'", path);
                        fail_msg("dnsmasq rejects:\n%s", t);
                }
        }
        test_rmtree(dir);
}

static void test_leases(void **state) {
        static const char text[] =
                "1700003600 52:54:00:aa:bb:cc 192.168.122.10 web 01:52:54:00:aa:bb:cc\n"
                "0 52:54:00:00:00:01 192.168.122.9 * *\n"
                "duid 00:01:00:01:2c:aa:bb:cc:52:54:00:00:00:01\n"
                "1700003600 1234 fd00:12::10 six 00:04:ab:cd\n"
                "1700003600 52:54:00:00:00:02 192.168.1"; /* half written */
        kn_dnsmasq_lease *l = NULL;
        size_t n = 0;
        kn_dnsmasq_parse_leases(text, &l, &n);
        assert_int_equal(n, 3);
        assert_int_equal(l[0].family, AF_INET);
        assert_string_equal(l[0].ip, "192.168.122.9");
        assert_int_equal(l[0].expiry, 0);
        assert_string_equal(l[0].hostname, "");
        assert_string_equal(l[0].client_id, "");
        assert_string_equal(l[1].ip, "192.168.122.10");
        assert_string_equal(l[1].mac, "52:54:00:aa:bb:cc");
        assert_string_equal(l[1].hostname, "web");
        assert_int_equal(l[1].expiry, 1700003600);
        assert_int_equal(l[2].family, AF_INET6);
        assert_string_equal(l[2].ip, "fd00:12::10");
        assert_int_equal(l[2].iaid, 1234);
        assert_string_equal(l[2].client_id, "00:04:ab:cd");
        free(l);
}

static void test_nft_ruleset(void **state) {
        kn_nft_subnet s[] = {{"192.168.122.1", 24}, {"fd00:12::1", 64}};
        kn_nft_params p = {.network = "a+b",
                           .bridge = "kvbr0",
                           .mode = KN_NFT_NAT,
                           .dev = "eth0",
                           .subnets = s,
                           .n_subnets = 2,
                           .port_start = 1024,
                           .port_end = 65535};
        _cleanup_free_ char *t = NULL;
        kn_error err = {0};
        assert_int_equal(kn_nft_ruleset(&p, &t, &err), 0);
        const char *want[] = {
                "add table inet kvmnet-a/b",
                "delete table inet kvmnet-a/b",
                "\t\tiifname \"kvbr0\" oifname \"eth0\" ip saddr 192.168.122.0/24 accept",
                "\t\toifname \"kvbr0\" iifname \"eth0\" ip daddr 192.168.122.0/24 ct state "
                "established,related accept",
                /* IPv6 is routed, not NATed */
                "\t\toifname \"kvbr0\" iifname \"eth0\" ip6 daddr fd00:12::/64 accept",
                "\t\toifname \"eth0\" ip saddr 192.168.122.0/24 ip daddr != 192.168.122.0/24 meta "
                "l4proto { tcp, udp } masquerade to :1024-65535",
                "\t\tiifname \"kvbr0\" reject",
        };
        for (size_t k = 0; k < ELEMENTSOF(want); k++)
                if (!has_line(t, want[k]))
                        fail_msg("no line '%s' in:\n%s", want[k], t);
        assert_null(strstr(t, "ip6 saddr fd00:12::/64 ip6 daddr"));

        free(t);
        t = NULL;
        p.mode = KN_NFT_ISOLATED;
        assert_int_equal(kn_nft_ruleset(&p, &t, &err), 0);
        assert_null(strstr(t, "masquerade"));
        assert_null(strstr(t, "saddr"));
        free(t);
        t = NULL;
        p.mode = KN_NFT_OPEN;
        assert_int_equal(kn_nft_ruleset(&p, &t, &err), 0);
        assert_null(t);

        p.mode = KN_NFT_NAT;
        p.dev = "kvbr0";
        assert_int_equal(kn_nft_ruleset(&p, &t, &err), -EINVAL);
        assert_string_equal(err.message, "network a+b: forward dev 'kvbr0' is its own bridge");
        kn_error_clear(&err);
        p.dev = NULL;
        p.port_start = 2000;
        p.port_end = 1000;
        assert_int_equal(kn_nft_ruleset(&p, &t, &err), -EINVAL);
        assert_string_equal(err.message, "network a+b: NAT port range 2000-1000 is not valid (1 "
                                         "<= start <= end <= 65535)");
        assert_int_equal(kn_nft_mode_from_string("nat"), KN_NFT_NAT);
        assert_int_equal((int) kn_nft_mode_from_string("bridge"), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_config_text), cmocka_unit_test(test_files),
                cmocka_unit_test(test_refusals),    cmocka_unit_test(test_dnsmasq_accepts),
                cmocka_unit_test(test_leases),      cmocka_unit_test(test_nft_ruleset),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
