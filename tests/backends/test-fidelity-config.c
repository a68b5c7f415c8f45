/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Issue 8, sections 3 and 4, case by case (the property test in
 * tests/property covers them at random):
 *  - ifcfg: two files of one DEVICE told apart by HWADDR against the
 *    device's MAC (ROOT/sys/class/net/NAME/address);
 *  - iface-name's lookup finds a device's own MAC, in any case;
 *  - fields a backend cannot store are named at define time (ifupdown's
 *    peerdns, NetworkManager's forward delay below 2 s);
 *  - an empty IPv6 protocol is kept by every backend;
 *  - readers refuse what define refuses, and list no bond without slaves;
 *  - an address twice: refused with two prefixes, merged with one. */

#include <stdarg.h>
#include <stdio.h>

#include "kvmnet/config.h"
#include "macro.h"
#include "testutil.h"

static unsigned failures;

#define CHECK(cond, ...)                                                                           \
        do {                                                                                       \
                if (!(cond)) {                                                                     \
                        fprintf(stderr, "%s:%d: FAIL: %s: ", __FILE__, __LINE__, #cond);           \
                        fprintf(stderr, __VA_ARGS__);                                              \
                        fputc('\n', stderr);                                                       \
                        failures++;                                                                \
                }                                                                                  \
        } while (0)

static kn_config *open_root(const char *root, const char *backend) {
        kn_config *c = NULL;
        kn_error err = {0};
        if (kn_config_open(root, backend, &c, &err) < 0) {
                fprintf(stderr, "open %s: %s\n", root, err.message);
                abort();
        }
        return c;
}

static kn_iface *parse(const char *xml) {
        kn_iface *i = NULL;
        kn_error err = {0};
        if (kn_iface_parse_xml(xml, strlen(xml), "test", &i, &err) < 0) {
                fprintf(stderr, "parse: %s\n", err.message);
                abort();
        }
        return i;
}

static const kn_diag *find_diag(kn_config *c, const char *needle) {
        const kn_diag *d;
        size_t n = kn_config_diags(c, &d);
        for (size_t k = 0; k < n; k++)
                if (strstr(d[k].message, needle))
                        return &d[k];
        return NULL;
}

static bool has_warning(char **w, size_t n, const char *needle) {
        for (size_t k = 0; k < n; k++)
                if (strstr(w[k], needle))
                        return true;
        return false;
}

static void ifcfg_hwaddr(void) {
        _cleanup_free_ char *root = test_tmpdir();
        test_put(root, "etc/sysconfig/network-scripts/ifcfg-eth0",
                 "DEVICE=eth0\nHWADDR=52:54:00:00:00:0a\nBOOTPROTO=dhcp\nONBOOT=yes\n");
        test_put(root, "etc/sysconfig/network-scripts/ifcfg-eth0-new",
                 "DEVICE=eth0\nHWADDR=52:54:00:00:00:0B\nBOOTPROTO=none\n"
                 "IPADDR=10.0.0.2\nPREFIX=24\n");
        /* no device to tell them apart by: both claim eth0 */
        kn_config *c = open_root(root, "ifcfg");
        CHECK(kn_config_lookup(c, "eth0", NULL) == NULL, "listed without a device MAC");
        CHECK(find_diag(c, "defined twice") != NULL, "no 'defined twice'");
        kn_config_free(c);

        /* the device has the second file's MAC: that file is eth0's */
        test_put(root, "sys/class/net/eth0/address", "52:54:00:00:00:0b\n");
        c = open_root(root, "ifcfg");
        const kn_iface *top, *i = kn_config_lookup(c, "eth0", &top);
        CHECK(i != NULL, "eth0 not listed");
        if (i) {
                CHECK(streq(i->mac, "52:54:00:00:00:0b"), "mac %s", i->mac);
                CHECK(i->ipv4.n_ips == 1 && !i->ipv4.dhcp, "the other file was read");
        }
        CHECK(kn_config_lookup_diag(c, "eth0") == NULL, "an error for eth0");
        const kn_diag *d = find_diag(c, "is not the MAC of eth0");
        CHECK(d && d->warning && strstr(d->file, "ifcfg-eth0"), "no warning for the other file");
        /* define edits the file in effect only */
        _cleanup_iface_ kn_iface *def =
                parse("<interface type='ethernet' name='eth0'><mac address='52:54:00:00:00:0b'/>"
                      "<mtu size='9000'/><protocol family='ipv4'><ip address='10.0.0.3' "
                      "prefix='24'/></protocol></interface>");
        kn_error err = {0};
        CHECK(kn_config_define(c, def, &err) >= 0, "define: %s", err.message);
        kn_config_free(c);
        _cleanup_free_ char *old_path =
                kn_xasprintf("%s/etc/sysconfig/network-scripts/ifcfg-eth0", root);
        _cleanup_free_ char *new_path =
                kn_xasprintf("%s/etc/sysconfig/network-scripts/ifcfg-eth0-new", root);
        _cleanup_free_ char *old = test_read_file(old_path);
        _cleanup_free_ char *new = test_read_file(new_path);
        CHECK(strstr(old, "BOOTPROTO=dhcp") && !strstr(old, "MTU"), "the other file changed");
        CHECK(strstr(new, "MTU=9000") && strstr(new, "10.0.0.3"), "ifcfg-eth0-new:\n%s", new);
        test_rmtree(root);
}

static void name_by_device_mac(void) {
        _cleanup_free_ char *root = test_tmpdir();
        test_put(root, "etc/network/interfaces",
                 "auto br0\niface br0 inet dhcp\n    bridge_ports eth1\n"
                 "iface eth2 inet manual\n    hwaddress 52:54:00:00:00:02\n");
        test_put(root, "sys/class/net/eth1/address", "52:54:00:ab:cd:01\n");
        test_put(root, "sys/class/net/eth2/address", "52:54:00:ab:cd:02\n");
        kn_config *c = open_root(root, "ifupdown");
        _cleanup_free_ const char **names = NULL;
        /* a port's own device MAC, given in capitals */
        size_t n = kn_config_names_by_mac(c, "52:54:00:AB:CD:01", &names);
        CHECK(n == 1 && streq(names[0], "eth1"), "device MAC of a port: %zu", n);
        free(names);
        names = NULL;
        /* the configured MAC and the device's both name eth2 */
        n = kn_config_names_by_mac(c, "52:54:00:00:00:02", &names);
        CHECK(n == 1 && streq(names[0], "eth2"), "configured MAC: %zu", n);
        free(names);
        names = NULL;
        n = kn_config_names_by_mac(c, "52:54:00:ab:cd:02", &names);
        CHECK(n == 1 && streq(names[0], "eth2"), "device MAC: %zu", n);
        free(names);
        names = NULL;
        n = kn_config_names_by_mac(c, "52:54:00:ff:ff:ff", &names);
        CHECK(n == 0, "an unknown MAC found %zu", n);
        kn_config_free(c);
        test_rmtree(root);
}

static void unstored_warnings(void) {
        static const struct {
                const char *backend, *xml, *needle;
        } cases[] = {
                {"ifupdown",
                 "<interface type='ethernet' name='eth0'><protocol family='ipv4'>"
                 "<dhcp peerdns='no'/></protocol></interface>",
                 "the ifupdown backend cannot store <dhcp peerdns='no'/> (ipv4)"},
                {"nmkeyfile",
                 "<interface type='bridge' name='br0'><bridge stp='off' delay='1'>"
                 "<interface type='ethernet' name='eth0'/></bridge></interface>",
                 "the nmkeyfile backend cannot store <bridge delay='1'>"},
                {"nmkeyfile",
                 "<interface type='ethernet' name='eth0'><start mode='hotplug'/></interface>",
                 "reads back as <start mode='onboot'/>"},
                {"ifcfg",
                 "<interface type='bond' name='bond0'><bond mode='balance-rr'>"
                 "<interface type='ethernet' name='eth2'/><interface type='ethernet' "
                 "name='eth1'/></bond></interface>",
                 "cannot store the order of its slaves"},
        };
        for (size_t k = 0; k < ELEMENTSOF(cases); k++) {
                _cleanup_free_ char *root = test_tmpdir();
                kn_config *c = open_root(root, cases[k].backend);
                _cleanup_iface_ kn_iface *i = parse(cases[k].xml);
                char **w = NULL;
                size_t n = 0;
                kn_config_prepare_define(c, i, &w, &n);
                CHECK(has_warning(w, n, cases[k].needle), "%s: no warning '%s' (%zu warnings%s%s)",
                      cases[k].backend, cases[k].needle, n, n ? ": " : "", n ? w[0] : "");
                kn_error err = {0};
                CHECK(kn_config_define(c, i, &err) >= 0, "define: %s", err.message);
                kn_strv_free(w, n);
                kn_config_free(c);
                test_rmtree(root);
        }
}

static void empty_ipv6_kept(void) {
        static const char *const backends[] = {"ifcfg", "ifupdown", "networkd", "nmkeyfile"};
        for (size_t k = 0; k < ELEMENTSOF(backends); k++) {
                _cleanup_free_ char *root = test_tmpdir();
                kn_config *c = open_root(root, backends[k]);
                _cleanup_iface_ kn_iface *i =
                        parse("<interface type='ethernet' name='eth0'><start mode='onboot'/>"
                              "<protocol family='ipv6'/></interface>");
                kn_error err = {0};
                CHECK(kn_config_define(c, i, &err) >= 0, "%s: define: %s", backends[k],
                      err.message);
                kn_config_free(c);
                c = open_root(root, backends[k]);
                const kn_iface *got = kn_config_lookup(c, "eth0", NULL);
                CHECK(got && got->ipv6.present && !got->ipv6.autoconf && !got->ipv6.dhcp,
                      "%s: <protocol family='ipv6'/> did not come back", backends[k]);
                kn_config_free(c);
                test_rmtree(root);
        }
}

static void readers_refuse(void) {
        static const struct {
                const char *backend, *rel, *text, *name, *needle;
        } cases[] = {
                {"ifcfg", "etc/sysconfig/network-scripts/ifcfg-br0",
                 "DEVICE=br0\nTYPE=Bridge\nDELAY=2000000\n", "br0", "DELAY=2000000"},
                {"ifcfg", "etc/sysconfig/network-scripts/ifcfg-bond0",
                 "DEVICE=bond0\nTYPE=Bond\nBONDING_OPTS=\"mode=1 miimon=100\"\n", "bond0",
                 "at least one slave"},
                {"ifcfg", "etc/sysconfig/network-scripts/ifcfg-eth0", "DEVICE=eth0\nMTU=65536\n",
                 "eth0", "MTU=65536"},
                {"ifupdown", "etc/network/interfaces",
                 "iface bond0 inet manual\n    bond-slaves none\n    bond-miimon 2147483648\n",
                 "bond0", "bond-miimon"},
                {"ifupdown", "etc/network/interfaces",
                 "iface bond0 inet manual\n    bond-slaves none\n    bond-mode 1\n", "bond0",
                 "at least one slave"},
        };
        for (size_t k = 0; k < ELEMENTSOF(cases); k++) {
                _cleanup_free_ char *root = test_tmpdir();
                test_put(root, cases[k].rel, cases[k].text);
                kn_config *c = open_root(root, cases[k].backend);
                const kn_diag *d = kn_config_lookup_diag(c, cases[k].name);
                CHECK(!kn_config_lookup(c, cases[k].name, NULL) && d &&
                              strstr(d->message, cases[k].needle),
                      "%s %s: want an error with '%s', got %s", cases[k].backend, cases[k].name,
                      cases[k].needle, d ? d->message : "none");
                kn_config_free(c);
                test_rmtree(root);
        }
}

static void addresses_twice(void) {
        kn_error err = {0};
        _cleanup_iface_ kn_iface *two =
                parse("<interface type='ethernet' name='eth0'><protocol family='ipv4'>"
                      "<ip address='10.0.0.1' prefix='24'/><ip address='10.0.0.1' prefix='16'/>"
                      "</protocol></interface>");
        CHECK(kn_iface_validate(two, &err) < 0 && strstr(err.message, "given twice"),
              "two prefixes accepted: %s", err.message);
        _cleanup_iface_ kn_iface *same =
                parse("<interface type='ethernet' name='eth0'><protocol family='ipv4'>"
                      "<ip address='10.0.0.1' prefix='8'/><ip address='10.0.0.1'/>"
                      "</protocol></interface>");
        err = (kn_error){0};
        CHECK(kn_iface_validate(same, &err) >= 0, "same prefix refused: %s", err.message);
        char **w = NULL;
        size_t n = 0;
        CHECK(kn_iface_merge_addresses(same, &w, &n) == 1 && same->ipv4.n_ips == 1 && n == 1,
              "not merged");
        kn_strv_free(w, n);
        /* and the limits: <mtu size='0'> is no "not given" */
        kn_iface *i = NULL;
        err = (kn_error){0};
        const char *zero = "<interface type='ethernet' name='eth0'><mtu size='0'/></interface>";
        CHECK(kn_iface_parse_xml(zero, strlen(zero), "t", &i, &err) < 0 &&
                      strstr(err.message, "68-65535"),
              "mtu 0: %s", err.message);
        kn_iface_free(i);
}

int main(void) {
        ifcfg_hwaddr();
        name_by_device_mac();
        unstored_warnings();
        empty_ipv6_kept();
        readers_refuse();
        addresses_twice();
        printf("%s\n", failures ? "FAILED" : "ok");
        return failures ? 1 : 0;
}
