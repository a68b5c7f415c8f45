/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The ifupdown backend beyond the golden cases: what it keeps, what it
 * refuses, where it writes, how fast it loads.
 *
 *   test-ifupdown [TEST-NAME-GLOB]   (default: all) */

#include <fnmatch.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>

#include "kvmnet/config.h"
#include "macro.h"
#include "rootfs.h"
#include "testutil.h"

/* --- helpers ---------------------------------------------------------- */

/* The file's contents, or NULL if it doesn't exist. */
static char *get(const char *root, const char *rel) {
        _cleanup_free_ char *path = kn_xasprintf("%s/%s", root, rel);
        if (access(path, F_OK) < 0)
                return NULL;
        return test_read_file(path);
}

static void assert_file(const char *root, const char *rel, const char *want) {
        _cleanup_free_ char *got = get(root, rel);
        if (!want && !got)
                return;
        if (!want || !got || !streq(want, got)) {
                fprintf(stderr, "--- %s: want\n%s--- got\n%s---\n", rel, want ? want : "(none)\n",
                        got ? got : "(none)\n");
                fail_msg("%s differs", rel);
        }
}

static kn_config *open_root(const char *root) {
        kn_config *c = NULL;
        kn_error err = {0};
        if (kn_config_open(root, "ifupdown", &c, &err) < 0)
                fail_msg("open %s: %s", root, err.message);
        return c;
}

static kn_iface *parse(const char *xml) {
        kn_iface *i = NULL;
        kn_error err = {0};
        if (kn_iface_parse_xml(xml, strlen(xml), "test", &i, &err) < 0)
                fail_msg("%s", err.message);
        return i;
}

static void define_ok(kn_config *c, const char *xml) {
        _cleanup_iface_ kn_iface *i = parse(xml);
        kn_error err = {0};
        if (kn_config_define(c, i, &err) < 0)
                fail_msg("define: %s", err.message);
}

/* define must fail; the message must contain every NULL-terminated needle */
static void define_fails(kn_config *c, const char *xml, ...) {
        _cleanup_iface_ kn_iface *i = parse(xml);
        kn_error err = {0};
        if (kn_config_define(c, i, &err) >= 0)
                fail_msg("define succeeded, should have failed");
        va_list ap;
        va_start(ap, xml);
        for (const char *s; (s = va_arg(ap, const char *));)
                if (!strstr(err.message, s))
                        fail_msg("error '%s' does not mention '%s'", err.message, s);
        va_end(ap);
}

static char *snapshot(const char *root) {
        char *copy = test_tmpdir();
        assert_int_equal(test_run("cp -a '%s/.' '%s'", root, copy), 0);
        return copy;
}

static void assert_same_tree(const char *a, const char *b) {
        if (test_run("diff -r '%s' '%s'", a, b) != 0)
                fail_msg("files changed (diff above)");
}

static const kn_diag *find_diag(kn_config *c, const char *needle) {
        const kn_diag *d;
        size_t n = kn_config_diags(c, &d);
        for (size_t k = 0; k < n; k++)
                if (strstr(d[k].message, needle))
                        return &d[k];
        return NULL;
}

static void assert_no_diags(kn_config *c) {
        const kn_diag *d;
        if (kn_config_diags(c, &d) > 0)
                fail_msg("unexpected: %s:%u: %s", d->file, d->line, d->message);
}

/* Debian's parser on ROOT's main file (sources pointed into ROOT). */
static void assert_ifup_accepts(const char *root, const char *name) {
        if (test_run("command -v ifup >/dev/null") != 0)
                return;
        _cleanup_free_ char *tmp = snapshot(root);
        assert_int_equal(test_run("sed -i -E 's#^(source(-directory)?[[:space:]]+)/#\\1%s/#' "
                                  "'%s/etc/network/interfaces'",
                                  tmp, tmp),
                         0);
        int r = test_run("mkdir -p '%s/.state' && ifup --no-act -i '%s/etc/network/interfaces' "
                         "--state-dir '%s/.state' %s 2>'%s/.err' >/dev/null && ! grep '^ifup:' "
                         "'%s/.err'",
                         tmp, tmp, tmp, name, tmp, tmp);
        test_rmtree(tmp);
        if (r != 0)
                fail_msg("ifup --no-act %s rejected the files", name);
}

static const char *const debian_main = "# interfaces(5) file used by ifup(8) and ifdown(8)\n"
                                       "source /etc/network/interfaces.d/*\n"
                                       "\n"
                                       "auto lo\n"
                                       "iface lo inet loopback\n";

/* --- tests ------------------------------------------------------------ */

static void lookup_mac(void **state) {
        _cleanup_free_ char *root = test_tmpdir();
        test_put(root, "etc/network/interfaces",
                 "auto br0\n"
                 "iface br0 inet dhcp\n"
                 "    bridge_ports eth0\n"
                 "iface eth0 inet manual\n"
                 "    hwaddress ether 52:54:00:AB:cD:0f\n"
                 "auto eth1\n"
                 "iface eth1 inet dhcp\n"
                 "    hwaddress 52:54:00:00:00:0A\n");
        kn_config *c = open_root(root);
        assert_no_diags(c);
        const char *queries[] = {"52:54:00:ab:cd:0f", "52:54:00:AB:CD:0F", "52:54:00:Ab:Cd:0F"};
        for (size_t k = 0; k < ELEMENTSOF(queries); k++) {
                const kn_iface *const *found;
                size_t n = kn_config_lookup_mac(c, queries[k], &found);
                assert_int_equal(n, 1);
                assert_string_equal(found[0]->name, "br0"); /* the port's master */
                free((void *) found);
        }
        const kn_iface *const *found;
        size_t n = kn_config_lookup_mac(c, "52:54:00:00:00:0a", &found);
        assert_int_equal(n, 1);
        assert_string_equal(found[0]->name, "eth1");
        free((void *) found);
        assert_int_equal(kn_config_lookup_mac(c, "52:54:00:00:00:0b", &found), 0);
        free((void *) found);
        kn_config_free(c);
        test_rmtree(root);
}

static const char *const preserved_before = "# hand-written\n"
                                            "auto lo\n"
                                            "iface lo inet loopback\n"
                                            "\n"
                                            "mapping hotplug\n"
                                            "    script /usr/local/sbin/map-scheme\n"
                                            "    map HOME eth0-home\n"
                                            "\n"
                                            "# uplink, configured by hand\n"
                                            "auto eth0\n"
                                            "iface eth0 inet static\n"
                                            "\t# the office network\n"
                                            "\taddress 192.0.2.10\n"
                                            "\tnetmask 255.255.255.0\n"
                                            "\tdns-nameservers 192.0.2.53 192.0.2.54\n"
                                            "\tgateway 192.0.2.1\n"
                                            "\tup ip route add 198.51.100.0/24 via 192.0.2.254 \\\n"
                                            "\t\tdev eth0\n"
                                            "\tpost-down echo bye\n"
                                            "\tmtu 1500\n"
                                            "\n"
                                            "iface eth0 inet6 auto\n"
                                            "\tprivext 2\n"
                                            "\n"
                                            "# trailing comment\n";

static void unknown_preserved(void **state) {
        _cleanup_free_ char *root = test_tmpdir();
        test_put(root, "etc/network/interfaces", preserved_before);
        kn_config *c = open_root(root);
        assert_no_diags(c);

        /* The same definition again: not a byte changes. */
        const kn_iface *top;
        const kn_iface *eth0 = kn_config_lookup(c, "eth0", &top);
        assert_non_null(eth0);
        assert_int_equal(eth0->ipv4.ips[0].prefix, 24);
        _cleanup_free_ char *same = kn_iface_format_xml(eth0, KN_XML_INACTIVE);
        define_ok(c, same);
        assert_file(root, "etc/network/interfaces", preserved_before);

        /* Another address, no mtu, no IPv6: owned lines change or go,
         * everything else stays in its place. */
        define_ok(c, "<interface type='ethernet' name='eth0'>\n"
                     "  <start mode='onboot'/>\n"
                     "  <protocol family='ipv4'>\n"
                     "    <ip address='192.0.2.20' prefix='25'/>\n"
                     "    <route gateway='192.0.2.1'/>\n"
                     "  </protocol>\n"
                     "</interface>\n");
        assert_file(root, "etc/network/interfaces",
                    "# hand-written\n"
                    "auto lo\n"
                    "iface lo inet loopback\n"
                    "\n"
                    "mapping hotplug\n"
                    "    script /usr/local/sbin/map-scheme\n"
                    "    map HOME eth0-home\n"
                    "\n"
                    "# uplink, configured by hand\n"
                    "auto eth0\n"
                    "iface eth0 inet static\n"
                    "\t# the office network\n"
                    "\taddress 192.0.2.20/25\n"
                    "\tdns-nameservers 192.0.2.53 192.0.2.54\n"
                    "\tgateway 192.0.2.1\n"
                    "\tup ip route add 198.51.100.0/24 via 192.0.2.254 \\\n"
                    "\t\tdev eth0\n"
                    "\tpost-down echo bye\n"
                    "\n"
                    "iface eth0 inet6 manual\n"
                    "\tprivext 2\n"
                    "\n"
                    "# trailing comment\n");
        kn_config_free(c);

        /* and it reads back as defined */
        c = open_root(root);
        assert_no_diags(c);
        eth0 = kn_config_lookup(c, "eth0", &top);
        assert_non_null(eth0);
        assert_int_equal(eth0->ipv4.n_ips, 1);
        assert_string_equal(eth0->ipv4.ips[0].address, "192.0.2.20");
        assert_false(eth0->ipv6.present);
        assert_int_equal(eth0->mtu, 0);
        kn_config_free(c);
        test_rmtree(root);
}

static void multiple_addresses(void **state) {
        _cleanup_free_ char *root = test_tmpdir();
        /* both forms: several address lines, several stanzas */
        test_put(root, "etc/network/interfaces",
                 "iface eth0 inet static\n"
                 "    address 10.0.0.1/24\n"
                 "    address 10.0.1.1/24\n"
                 "    up true\n"
                 "iface eth0 inet static\n"
                 "    address 10.0.2.1\n"
                 "    netmask 255.255.255.128\n");
        kn_config *c = open_root(root);
        assert_no_diags(c);
        const kn_iface *top, *i = kn_config_lookup(c, "eth0", &top);
        assert_non_null(i);
        assert_int_equal(i->ipv4.n_ips, 3);
        assert_string_equal(i->ipv4.ips[1].address, "10.0.1.1");
        assert_int_equal(i->ipv4.ips[2].prefix, 25);
        _cleanup_free_ char *xml = kn_iface_format_xml(i, KN_XML_INACTIVE);
        define_ok(c, xml);
        /* rewritten as ifupdown 0.8 applies it: one address per stanza */
        assert_file(root, "etc/network/interfaces",
                    "iface eth0 inet static\n"
                    "    address 10.0.0.1/24\n"
                    "    up true\n"
                    "iface eth0 inet static\n"
                    "    address 10.0.1.1/24\n"
                    "\n"
                    "iface eth0 inet static\n"
                    "    address 10.0.2.1/25\n");
        assert_ifup_accepts(root, "eth0");
        kn_config_free(c);
        test_rmtree(root);
}

static void unparsable_file(void **state) {
        _cleanup_free_ char *root = test_tmpdir();
        test_put(root, "etc/network/interfaces", debian_main);
        test_put(root, "etc/network/interfaces.d/a", "auto eth1\niface eth1 inet dhcp\n");
        test_put(root, "etc/network/interfaces.d/b",
                 "# an option before any stanza\n"
                 "mtu 1500\n"
                 "iface eth2 inet dhcp\n");
        test_put(root, "etc/network/interfaces.d/c",
                 "auto eth3\n"
                 "\n"
                 "iface eth3 inet dhcpv4\n");
        test_put(root, "etc/network/interfaces.d/d",
                 "iface eth4 inet6 static\n    address fd00::4/64\n");
        _cleanup_free_ char *before = snapshot(root);
        kn_config *c = open_root(root);

        const kn_diag *d = find_diag(c, "outside any iface");
        assert_non_null(d);
        _cleanup_free_ char *b = kn_xasprintf("%s/etc/network/interfaces.d/b", root);
        assert_string_equal(d->file, b);
        assert_int_equal(d->line, 2);
        d = find_diag(c, "unknown method 'dhcpv4'");
        assert_non_null(d);
        _cleanup_free_ char *cc = kn_xasprintf("%s/etc/network/interfaces.d/c", root);
        assert_string_equal(d->file, cc);
        assert_int_equal(d->line, 3);

        /* the other files still list; the broken ones' interfaces don't */
        const kn_iface *top;
        assert_non_null(kn_config_lookup(c, "eth1", &top));
        assert_non_null(kn_config_lookup(c, "eth4", &top));
        assert_null(kn_config_lookup(c, "eth2", &top));
        assert_null(kn_config_lookup(c, "eth3", &top));
        d = kn_config_lookup_diag(c, "eth3");
        assert_non_null(d);
        assert_string_equal(d->file, cc);
        assert_int_equal(d->line, 3);

        /* and nothing touches a broken file */
        define_fails(c, "<interface type='ethernet' name='eth3'><start mode='onboot'/></interface>",
                     cc, ":3", NULL);
        assert_same_tree(before, root);
        kn_config_free(c);
        test_rmtree(before);
        test_rmtree(root);
}

static void duplicated_stanza(void **state) {
        _cleanup_free_ char *root = test_tmpdir();
        test_put(root, "etc/network/interfaces",
                 "source /etc/network/interfaces.d/*\n"
                 "\n"
                 "auto eth0\n"
                 "iface eth0 inet dhcp\n"
                 "\n"
                 "iface eth1 inet static\n"
                 "    address 10.1.0.1/24\n"
                 "iface eth1 inet static\n"
                 "    address 10.1.0.1/16\n"
                 "\n"
                 "iface eth2 inet static\n"
                 "    address 10.2.0.1/24\n"
                 "    mtu 1500\n"
                 "iface eth2 inet6 static\n"
                 "    address fd00::2/64\n"
                 "    mtu 9000\n"
                 "\n"
                 "iface eth3 inet dhcp\n"
                 "iface eth3 inet static\n"
                 "    address 10.3.0.1/24\n"
                 "    mtu 1500\n"
                 "iface eth3 inet6 static\n"
                 "    address fd00::3/64\n"
                 "    mtu 1500\n");
        test_put(root, "etc/network/interfaces.d/eth0", "iface eth0 inet dhcp\n    up true\n");
        kn_config *c = open_root(root);
        _cleanup_free_ char *main_file = kn_xasprintf("%s/etc/network/interfaces", root);

        /* same family and method: legal (ifupdown runs both), listed */
        const kn_iface *top;
        assert_null(kn_config_lookup_diag(c, "eth0"));
        assert_non_null(kn_config_lookup(c, "eth0", &top));
        assert_true(kn_config_lookup(c, "eth0", &top)->ipv4.dhcp);
        assert_null(find_diag(c, "eth0"));

        /* the same address with two prefixes */
        const kn_diag *d = kn_config_lookup_diag(c, "eth1");
        assert_non_null(d);
        assert_non_null(strstr(d->message, "duplicated address 10.1.0.1, with another prefix"));
        assert_int_equal(d->line, 9);
        _cleanup_free_ char *at7 = kn_xasprintf("%s:7", main_file);
        assert_non_null(strstr(d->message, at7));

        /* one setting, two values */
        d = kn_config_lookup_diag(c, "eth2");
        assert_non_null(d);
        assert_non_null(strstr(d->message, "conflicts"));

        /* dhcp next to static, and one value given twice: fine */
        assert_null(kn_config_lookup_diag(c, "eth3"));
        const kn_iface *eth3 = kn_config_lookup(c, "eth3", &top);
        assert_non_null(eth3);
        assert_true(eth3->ipv4.dhcp);
        assert_int_equal(eth3->ipv4.n_ips, 1);
        assert_null(kn_config_lookup(c, "eth1", &top));

        /* redefining takes one stanza over, the other goes (its foreign
         * lines move over) */
        define_ok(c, "<interface type='ethernet' name='eth0'><start mode='onboot'/>"
                     "<protocol family='ipv4'><dhcp/></protocol></interface>");
        assert_null(kn_config_lookup_diag(c, "eth0"));
        assert_non_null(kn_config_lookup(c, "eth0", &top));
        assert_file(root, "etc/network/interfaces.d/eth0", NULL);
        _cleanup_free_ char *m = get(root, "etc/network/interfaces");
        assert_non_null(strstr(m, "auto eth0\niface eth0 inet dhcp\n    up true\n\niface eth1"));
        kn_config_free(c);
        test_rmtree(root);
}

static void vlan_missing_parent(void **state) {
        _cleanup_free_ char *root = test_tmpdir();
        test_put(root, "etc/network/interfaces",
                 "auto vlan10\n"
                 "iface vlan10 inet static\n"
                 "    address 10.10.0.1/24\n"
                 "\n"
                 "iface br0 inet manual\n"
                 "    bridge_ports vlan20\n"
                 "\n"
                 "iface vlan30 inet manual\n"
                 "    vlan-raw-device eth0\n"
                 "\n"
                 "iface eth0.40 inet manual\n");
        kn_config *c = open_root(root);
        _cleanup_free_ char *main_file = kn_xasprintf("%s/etc/network/interfaces", root);
        const kn_diag *d = kn_config_lookup_diag(c, "vlan10");
        assert_non_null(d);
        assert_string_equal(d->file, main_file);
        assert_int_equal(d->line, 2);
        assert_non_null(strstr(d->message, "missing parent"));
        assert_non_null(strstr(d->message, "vlan-raw-device"));
        d = kn_config_lookup_diag(c, "br0");
        assert_non_null(d);
        assert_non_null(strstr(d->message, "vlan20: missing parent"));
        const kn_iface *top, *v = kn_config_lookup(c, "vlan30", &top);
        assert_non_null(v);
        assert_int_equal(v->type, KN_IFACE_VLAN);
        assert_int_equal(v->vlan_tag, 30);
        assert_string_equal(v->vlan_parent, "eth0");
        v = kn_config_lookup(c, "eth0.40", &top);
        assert_non_null(v);
        assert_int_equal(v->vlan_tag, 40);
        assert_string_equal(v->vlan_parent, "eth0");

        /* a definition ifupdown can't express is refused, files untouched */
        _cleanup_free_ char *before = snapshot(root);
        define_fails(c,
                     "<interface type='vlan' name='mgmt'><vlan tag='5'><interface name='eth0'/>"
                     "</vlan></interface>",
                     "mgmt", "eth0.5", "vlan5", NULL);
        define_fails(c,
                     "<interface type='vlan' name='eth0.6'><vlan tag='6'><interface name='eth1'/>"
                     "</vlan></interface>",
                     "eth0.6", "eth1", NULL);
        assert_same_tree(before, root);

        define_ok(c, "<interface type='vlan' name='vlan10'><start mode='onboot'/>"
                     "<protocol family='ipv4'><ip address='10.10.0.1' prefix='24'/></protocol>"
                     "<vlan tag='10'><interface name='eth1'/></vlan></interface>");
        assert_null(kn_config_lookup_diag(c, "vlan10"));
        _cleanup_free_ char *m = get(root, "etc/network/interfaces");
        assert_non_null(strstr(m, "iface vlan10 inet static\n    address 10.10.0.1/24\n"
                                  "    vlan-raw-device eth1\n"));
        kn_config_free(c);
        test_rmtree(before);
        test_rmtree(root);
}

static void sources_followed(void **state) {
        _cleanup_free_ char *root = test_tmpdir();
        test_put(root, "etc/network/interfaces",
                 "source interfaces.d/*.cfg\n"
                 "source-directory /etc/network/more.d\n"
                 "source /etc/network/missing/*\n"
                 "auto lo\n"
                 "iface lo inet loopback\n");
        test_put(root, "etc/network/interfaces.d/a.cfg", "iface eth1 inet dhcp\nsource nested/x\n");
        test_put(root, "etc/network/interfaces.d/b.txt", "iface eth2 inet dhcp\n");
        test_put(root, "etc/network/interfaces.d/nested/x",
                 "iface eth5 inet dhcp\nsource ../a.cfg\n");
        test_put(root, "etc/network/more.d/eth3", "iface eth3 inet dhcp\n");
        test_put(root, "etc/network/more.d/eth4.cfg", "iface eth4 inet dhcp\n");
        test_put(root, "etc/network/more.d/.eth6", "iface eth6 inet dhcp\n");
        /* absolute symlinks resolve inside the root */
        assert_int_equal(test_run("ln -s /etc/network/more.d/eth3 '%s/etc/network/interfaces.d/"
                                  "z.cfg' && mkdir -p '%s/etc/network/escape.d'",
                                  root, root),
                         0);
        kn_config *c = open_root(root);
        const kn_iface *top;
        assert_non_null(kn_config_lookup(c, "eth1", &top));
        assert_non_null(kn_config_lookup(c, "eth5", &top));
        assert_null(kn_config_lookup(c, "eth2", &top)); /* not *.cfg */
        assert_null(kn_config_lookup(c, "eth4", &top)); /* not a run-parts name */
        assert_null(kn_config_lookup(c, "eth6", &top));
        /* a.cfg sourced again from nested/x; z.cfg is more.d/eth3 once more
         * under another name, which ifupdown would read twice too */
        assert_non_null(find_diag(c, "sourced again"));
        /* a repeat word for word is a warning: eth3 is listed */
        assert_null(kn_config_lookup_diag(c, "eth3"));
        assert_non_null(kn_config_lookup(c, "eth3", &top));
        const kn_diag *d = find_diag(c, "repeated word for word");
        assert_non_null(d);
        assert_true(d->warning);

        const char *const *dirs = kn_config_watch_dirs(c);
        bool more = false, network = false;
        for (size_t k = 0; dirs[k]; k++) {
                more |= streq(dirs[k], "etc/network/more.d");
                network |= streq(dirs[k], "etc/network");
        }
        assert_true(more && network);

        /* interfaces.d/NAME isn't sourced here (*.cfg): a new interface goes
         * to the main file */
        define_ok(c, "<interface type='ethernet' name='eth7'><start mode='onboot'/></interface>");
        assert_file(root, "etc/network/interfaces.d/eth7", NULL);
        _cleanup_free_ char *m = get(root, "etc/network/interfaces");
        assert_non_null(strstr(m, "iface lo inet loopback\n\nauto eth7\niface eth7 inet manual\n"));
        kn_config_free(c);

        /* with source-directory interfaces.d it goes there, if the name is
         * one run-parts would pick */
        test_put(root, "etc/network/interfaces",
                 "source-directory interfaces.d\nauto lo\niface lo inet loopback\n");
        c = open_root(root);
        define_ok(c, "<interface type='ethernet' name='eth8'><start mode='onboot'/></interface>");
        assert_file(root, "etc/network/interfaces.d/eth8", "auto eth8\niface eth8 inet manual\n");
        define_ok(c, "<interface type='vlan' name='eth8.9'><start mode='onboot'/>"
                     "<vlan tag='9'><interface name='eth8'/></vlan></interface>");
        assert_file(root, "etc/network/interfaces.d/eth8.9", NULL);
        m = (free(m), get(root, "etc/network/interfaces"));
        assert_non_null(strstr(m, "\nauto eth8.9\niface eth8.9 inet manual\n"));
        kn_config_free(c);
        c = open_root(root);
        assert_non_null(kn_config_lookup(c, "eth8", &top));
        assert_non_null(kn_config_lookup(c, "eth8.9", &top));
        kn_config_free(c);
        test_rmtree(root);
}

static void nic_into_bridge(void **state) {
        _cleanup_free_ char *root = test_tmpdir();
        test_put(root, "etc/network/interfaces",
                 "source /etc/network/interfaces.d/*\n"
                 "\n"
                 "auto lo\n"
                 "iface lo inet loopback\n"
                 "\n"
                 "# uplink\n"
                 "auto eth0 eth1\n"
                 "iface eth0 inet dhcp\n"
                 "    dns-search example.org\n"
                 "\n"
                 "iface eth0 inet6 static\n"
                 "    address 2001:db8::5/64\n"
                 "    accept_ra 0\n"
                 "\n"
                 "iface eth1 inet manual\n");
        kn_config *c = open_root(root);
        define_ok(c, "<interface type='bridge' name='br0'>\n"
                     "  <start mode='onboot'/>\n"
                     "  <protocol family='ipv4'><dhcp/></protocol>\n"
                     "  <bridge stp='off'>\n"
                     "    <interface type='ethernet' name='eth0'/>\n"
                     "  </bridge>\n"
                     "</interface>\n");
        assert_file(root, "etc/network/interfaces",
                    "source /etc/network/interfaces.d/*\n"
                    "\n"
                    "auto lo\n"
                    "iface lo inet loopback\n"
                    "\n"
                    "# uplink\n"
                    "auto eth0 eth1\n" /* the port starts with its bridge */
                    "iface eth0 inet manual\n"
                    "    dns-search example.org\n"
                    "\n"
                    "iface eth0 inet6 manual\n"
                    "    accept_ra 0\n"
                    "\n"
                    "iface eth1 inet manual\n");
        assert_file(root, "etc/network/interfaces.d/br0",
                    "auto br0\n"
                    "iface br0 inet dhcp\n"
                    "    bridge_ports eth0\n"
                    "    bridge_stp off\n");
        assert_ifup_accepts(root, "br0");
        assert_ifup_accepts(root, "eth0");

        /* a port can't be taken by another bridge, or undefined alone */
        _cleanup_free_ char *before = snapshot(root);
        define_fails(c,
                     "<interface type='bridge' name='br1'><bridge>"
                     "<interface type='ethernet' name='eth0'/></bridge></interface>",
                     "eth0", "br0", NULL);
        kn_error err = {0};
        assert_true(kn_config_undefine(c, "eth0", &err) < 0);
        assert_same_tree(before, root);

        /* undefine takes the bridge's ports along, nothing else */
        assert_int_equal(kn_config_undefine(c, "br0", &err), 0);
        assert_file(root, "etc/network/interfaces.d/br0", NULL);
        assert_file(root, "etc/network/interfaces",
                    "source /etc/network/interfaces.d/*\n"
                    "\n"
                    "auto lo\n"
                    "iface lo inet loopback\n"
                    "\n"
                    "# uplink\n"
                    "auto eth1\n"
                    "iface eth1 inet manual\n");
        const kn_iface *const *l;
        assert_int_equal(kn_config_list(c, &l), 1);
        assert_string_equal(l[0]->name, "eth1");
        kn_config_free(c);
        test_rmtree(before);
        test_rmtree(root);
}

static void undefine_mentions(void **state) {
        _cleanup_free_ char *root = test_tmpdir();
        test_put(root, "etc/network/interfaces",
                 "auto lo bond0 eth9\n"
                 "allow-hotplug eth1\n"
                 "allow-bond0 eth2\n"
                 "iface bond0 inet dhcp\n"
                 "    bond-slaves none\n"
                 "    bond-mode 1\n"
                 "iface eth1 inet manual\n"
                 "    bond-master bond0\n"
                 "iface eth2 inet manual\n"
                 "    bond-master bond0\n"
                 "iface eth9 inet dhcp\n");
        kn_config *c = open_root(root);
        assert_no_diags(c);
        const kn_iface *top, *b = kn_config_lookup(c, "bond0", &top);
        assert_non_null(b);
        assert_int_equal(b->bond_mode, KN_BOND_ACTIVE_BACKUP);
        assert_int_equal(b->n_children, 2);
        kn_error err = {0};
        assert_int_equal(kn_config_undefine(c, "bond0", &err), 0);
        assert_file(root, "etc/network/interfaces", "auto lo eth9\niface eth9 inet dhcp\n");
        assert_true(kn_config_undefine(c, "bond0", &err) < 0);
        kn_config_free(c);
        test_rmtree(root);
}

static void bond_master_dangling(void **state) {
        _cleanup_free_ char *root = test_tmpdir();
        test_put(root, "etc/network/interfaces",
                 "allow-hotplug eth1\n"
                 "iface eth1 inet manual\n"
                 "    bond-master bond0\n"
                 "    bond-give-a-chance 10\n");
        kn_config *c = open_root(root);
        const kn_diag *d = kn_config_lookup_diag(c, "eth1");
        assert_non_null(d);
        assert_non_null(strstr(d->message, "there is no bond bond0"));
        assert_int_equal(d->line, 3);

        /* bond0 as anything but a bond with eth1 would take eth1 along */
        _cleanup_free_ char *before = snapshot(root);
        define_fails(c, "<interface type='ethernet' name='bond0'/>", "eth1", "bond-master", NULL);
        assert_same_tree(before, root);

        /* as the bond of eth1: eth1's stanza is kept, hotplug and all */
        define_ok(c, "<interface type='bond' name='bond0'><start mode='onboot'/>"
                     "<bond mode='active-backup'><interface type='ethernet' name='eth1'/>"
                     "<interface type='ethernet' name='eth2'/></bond></interface>");
        assert_no_diags(c);
        assert_file(root, "etc/network/interfaces",
                    "iface eth1 inet manual\n"
                    "    bond-master bond0\n"
                    "    bond-give-a-chance 10\n"
                    "\n"
                    "auto bond0\n"
                    "iface bond0 inet manual\n"
                    "    bond-slaves eth1 eth2\n"
                    "    bond-mode active-backup\n"
                    "    bond-primary eth1\n"
                    "\n"
                    "iface eth2 inet manual\n"
                    "    bond-master bond0\n");
        assert_ifup_accepts(root, "bond0");
        kn_config_free(c);
        test_rmtree(before);
        test_rmtree(root);
}

static void bad_input_untouched(void **state) {
        _cleanup_free_ char *root = test_tmpdir();
        test_put(root, "etc/network/interfaces", debian_main);
        test_put(root, "etc/network/interfaces.d/eth0", "auto eth0\niface eth0 inet dhcp\n");
        _cleanup_free_ char *before = snapshot(root);
        kn_config *c = open_root(root);
        /* an ethernet ifupdown would read as a vlan */
        define_fails(c, "<interface type='ethernet' name='eth0.5'/>", "vlan", NULL);
        /* the loopback is not kvmnet's */
        define_fails(c, "<interface type='ethernet' name='lo'/>", "loopback", NULL);
        /* a name twice in one tree */
        define_fails(c,
                     "<interface type='bridge' name='br0'><bridge>"
                     "<interface type='bond' name='bond0'><bond>"
                     "<interface type='ethernet' name='eth1'/></bond></interface>"
                     "<interface type='ethernet' name='eth1'/></bridge></interface>",
                     "eth1", NULL);
        assert_same_tree(before, root);

        /* someone else changed the file since it was read: no clobbering */
        test_put(root, "etc/network/interfaces.d/eth0",
                 "auto eth0\niface eth0 inet static\n"
                 "    address 10.0.0.1/8\n");
        define_fails(c, "<interface type='ethernet' name='eth0'><start mode='onboot'/></interface>",
                     "changed since it was read", NULL);
        assert_file(root, "etc/network/interfaces.d/eth0",
                    "auto eth0\niface eth0 inet static\n    address 10.0.0.1/8\n");
        kn_config_free(c);
        test_rmtree(before);
        test_rmtree(root);
}

/* Run fn(root) in a child with its own mount namespace in which the paths
 * listed are read-only bind mounts; returns the child's exit status. */
static int in_readonly(const char *root, const char *const *ro, int (*fn)(const char *)) {
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                if (unshare(CLONE_NEWNS) < 0 ||
                    mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0) {
                        fprintf(stderr, "unshare -m: %m\n");
                        _exit(77);
                }
                for (size_t k = 0; ro[k]; k++) {
                        _cleanup_free_ char *p = kn_xasprintf("%s/%s", root, ro[k]);
                        if (mount(p, p, "none", MS_BIND, NULL) < 0 ||
                            mount("none", p, "none", MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0) {
                                fprintf(stderr, "bind mount %s: %m\n", p);
                                _exit(77);
                        }
                }
                _exit(fn(root));
        }
        int st;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 100;
}

static int try_define_br0(const char *root) {
        kn_config *c = NULL;
        kn_error err = {0};
        if (kn_config_open(root, "ifupdown", &c, &err) < 0)
                return 2;
        kn_iface *i = NULL;
        const char *xml = "<interface type='bridge' name='br0'><start mode='onboot'/>"
                          "<bridge><interface type='ethernet' name='eth0'/></bridge></interface>";
        if (kn_iface_parse_xml(xml, strlen(xml), "test", &i, &err) < 0)
                return 3;
        int r = kn_config_define(c, i, &err);
        kn_iface_free(i);
        kn_config_free(c);
        if (r >= 0)
                return 4;
        if (!strstr(err.message, "Read-only file system")) {
                fprintf(stderr, "unexpected error: %s\n", err.message);
                return 5;
        }
        return 0;
}

static double ctime_of(const char *root, const char *rel) {
        _cleanup_free_ char *p = kn_xasprintf("%s/%s", root, rel);
        struct stat st;
        assert_int_equal(stat(p, &st), 0);
        return (double) st.st_ctim.tv_sec + (double) st.st_ctim.tv_nsec / 1e9;
}

static void readonly_root(void **state) {
        _cleanup_free_ char *root = test_tmpdir();
        test_put(root, "etc/network/interfaces",
                 "source /etc/network/interfaces.d/*\n"
                 "auto eth0\n"
                 "iface eth0 inet dhcp\n"
                 "    up true\n");
        test_put(root, "etc/network/interfaces.d/eth1", "iface eth1 inet dhcp\n");
        _cleanup_free_ char *before = snapshot(root);

        /* everything read-only */
        const char *const all[] = {".", NULL};
        int r = in_readonly(root, all, try_define_br0);
        if (r == 77)
                skip();
        assert_int_equal(r, 0);
        assert_same_tree(before, root);

        /* half way: eth0's stanza in the main file is rewritten first, then
         * creating interfaces.d/br0 fails: the main file must be put back
         * (a new ctime with the old contents shows it was written) */
        double ctime = ctime_of(root, "etc/network/interfaces");
        usleep(50 * 1000);
        const char *const ro_dir[] = {"etc/network/interfaces.d", NULL};
        assert_int_equal(in_readonly(root, ro_dir, try_define_br0), 0);
        assert_same_tree(before, root);
        assert_true(ctime_of(root, "etc/network/interfaces") != ctime);
        test_rmtree(before);
        test_rmtree(root);
}

static double clock_s(clockid_t id) {
        struct timespec ts;
        clock_gettime(id, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static double now(void) {
        return clock_s(CLOCK_MONOTONIC);
}

/* CPU time: what the code costs, whatever else the machine runs (the
 * tests run in parallel on two cores) */
static double cpu(void) {
        return clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

static void scale(void **state) {
        _cleanup_free_ char *root = test_tmpdir();
        enum { N = 10000 };
        test_put(root, "etc/network/interfaces", debian_main);
        char text[512];
        for (int i = 0; i < N; i++) {
                char rel[64];
                snprintf(rel, sizeof rel, "etc/network/interfaces.d/br%d", i);
                snprintf(text, sizeof text,
                         "auto br%d\n"
                         "iface br%d inet static\n"
                         "    address 10.%d.%d.1/24\n"
                         "    bridge_ports eth%d.%d\n"
                         "    bridge_stp off\n"
                         "\n"
                         "iface eth%d.%d inet manual\n",
                         i, i, i / 256, i % 256, i / 4000, i % 4000 + 1, i / 4000, i % 4000 + 1);
                if (i == 0)
                        test_put(root, rel, text);
                else {
                        _cleanup_free_ char *p = kn_xasprintf("%s/%s", root, rel);
                        test_write_file(p, text);
                }
        }
        double t0 = now(), c0 = cpu();
        kn_config *c = open_root(root);
        const kn_iface *const *l;
        size_t n = kn_config_list(c, &l);
        double t1 = now(), c1 = cpu();
        assert_int_equal(n, N);
        assert_no_diags(c);
        fprintf(stderr, "load+list of %d bridges over vlans: %.3f s (cpu %.3f s)\n", N, t1 - t0,
                c1 - c0);
        /* Speed is measured by bench/iface-scale, not asserted here. */

        kn_config_free(c);

        /* define and undefine among 10,000 others, on the backend alone
         * (times printed for information; bench/ measures speed) */
        extern const kn_backend_vtable kn_ifupdown_vtable;
        kn_root *kr = NULL;
        kn_error err = {0};
        assert_int_equal(kn_root_open(root, &kr, &err), 0);
        kn_backend *b = kn_xcalloc(1, kn_ifupdown_vtable.object_size);
        b->vt = &kn_ifupdown_vtable;
        b->root = kr;
        assert_int_equal(b->vt->load(b, &err), 0);
        _cleanup_iface_ kn_iface *brx =
                parse("<interface type='bridge' name='brx'><start mode='onboot'/><bridge>"
                      "<interface type='vlan' name='eth9.9'><vlan tag='9'><interface name='eth9'/>"
                      "</vlan></interface></bridge></interface>");
        _cleanup_iface_ kn_iface *br78 =
                parse("<interface type='bridge' name='br78'><start mode='onboot'/><bridge>"
                      "<interface type='vlan' name='eth0.79'><vlan tag='79'>"
                      "<interface name='eth0'/></vlan></interface></bridge></interface>");
        t0 = now(), c0 = cpu();
        assert_int_equal(b->vt->define(b, brx, &err), 0);
        assert_int_equal(b->vt->undefine(b, "br77", &err), 0);
        assert_int_equal(b->vt->define(b, br78, &err), 0);
        t1 = now(), c1 = cpu();
        fprintf(stderr, "define + undefine + redefine: %.4f s (cpu %.4f s)\n", t1 - t0, c1 - c0);
        b->vt->done(b);
        free(b);
        kn_root_free(kr);

        c = open_root(root);
        assert_int_equal(kn_config_list(c, &l), N);
        _cleanup_free_ char *brx_file = get(root, "etc/network/interfaces.d/brx");
        assert_non_null(brx_file);
        assert_null(get(root, "etc/network/interfaces.d/br77"));
        kn_config_free(c);
        test_rmtree(root);
}

int main(int argc, char **argv) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(lookup_mac),
                cmocka_unit_test(unknown_preserved),
                cmocka_unit_test(multiple_addresses),
                cmocka_unit_test(unparsable_file),
                cmocka_unit_test(duplicated_stanza),
                cmocka_unit_test(vlan_missing_parent),
                cmocka_unit_test(sources_followed),
                cmocka_unit_test(nic_into_bridge),
                cmocka_unit_test(undefine_mentions),
                cmocka_unit_test(bond_master_dangling),
                cmocka_unit_test(bad_input_untouched),
                cmocka_unit_test(readonly_root),
                cmocka_unit_test(scale),
        };
        /* meson runs one test per name: a name that matches none (a test
         * renamed, a typo in meson.build) must fail, not run 0 tests. */
        struct CMUnitTest run[ELEMENTSOF(tests)];
        size_t n = 0;
        for (size_t k = 0; k < ELEMENTSOF(tests); k++)
                if (argc < 2 || fnmatch(argv[1], tests[k].name, 0) == 0)
                        run[n++] = tests[k];
        if (n == 0) {
                fprintf(stderr, "test-ifupdown: no test matches '%s'\n", argv[1]);
                return 1;
        }
        return _cmocka_run_group_tests("ifupdown", run, n, NULL, NULL);
}
