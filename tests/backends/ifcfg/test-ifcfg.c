/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The ifcfg backend through kvmnet's config layer: lookups, keeping what
 * it does not understand, errors per file, and leaving files alone when a
 * change cannot be made. */

#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mount.h>

#include <cmocka.h>

#include "kvmnet/config.h"
#include "macro.h"
#include "testutil.h"

#define DIR "etc/sysconfig/network-scripts"

typedef struct fixture {
        char *root;
        kn_config *c;
} fixture;

static int setup(void **state) {
        fixture *f = kn_xcalloc(1, sizeof *f);
        f->root = test_tmpdir();
        test_run("mkdir -p '%s/" DIR "'", f->root);
        *state = f;
        return 0;
}

static int teardown(void **state) {
        fixture *f = *state;
        kn_config_free(f->c);
        /* lazy: a failed unlink in kn_root_unlink() may still hold a directory open */
        test_run("umount -R -l '%s' 2>/dev/null", f->root);
        test_rmtree(f->root);
        free(f->root);
        free(f);
        return 0;
}

static char *path_of(const fixture *f, const char *name) {
        return kn_xasprintf("%s/" DIR "/%s", f->root, name);
}

static void put(const fixture *f, const char *name, const char *data) {
        _cleanup_free_ char *p = path_of(f, name);
        test_write_file(p, data);
}

/* The file's contents, or NULL if it does not exist. */
static char *get(const fixture *f, const char *name) {
        _cleanup_free_ char *p = path_of(f, name);
        if (access(p, F_OK) < 0)
                return NULL;
        return test_read_file(p);
}

static void assert_file(const fixture *f, const char *name, const char *want) {
        _cleanup_free_ char *got = get(f, name);
        if (!want && !got)
                return;
        if (!want || !got || !streq(want, got))
                fail_msg("%s:\n--- want\n%s--- got\n%s", name, want ? want : "(no file)\n",
                         got ? got : "(no file)\n");
}

static void open_config(fixture *f) {
        kn_error err = {0};
        kn_config_free(f->c);
        f->c = NULL;
        if (kn_config_open(f->root, "ifcfg", &f->c, &err) < 0)
                fail_msg("open: %s", err.message);
}

static kn_iface *parse(const char *xml) {
        kn_iface *i = NULL;
        kn_error err = {0};
        if (kn_iface_parse_xml(xml, strlen(xml), "test", &i, &err) < 0)
                fail_msg("%s", err.message);
        return i;
}

static int define(fixture *f, const char *xml, kn_error *err) {
        _cleanup_iface_ kn_iface *i = parse(xml);
        return kn_config_define(f->c, i, err);
}

static void assert_xml(fixture *f, const char *name, const char *want) {
        const kn_iface *top = NULL, *i = kn_config_lookup(f->c, name, &top);
        if (!i)
                fail_msg("%s is not listed", name);
        _cleanup_free_ char *got = kn_iface_format_xml(top, KN_XML_INACTIVE);
        if (!streq(got, want))
                fail_msg("--- want\n%s--- got\n%s", want, got);
}

static size_t n_diags(fixture *f) {
        const kn_diag *d;
        return kn_config_diags(f->c, &d);
}

static void assert_no_diags(fixture *f) {
        const kn_diag *d;
        size_t n = kn_config_diags(f->c, &d);
        if (n)
                fail_msg("unexpected: %s:%u: %s", d->file, d->line, d->message);
}

static void assert_contains(const char *s, const char *part) {
        if (!s || !strstr(s, part))
                fail_msg("'%s' does not contain '%s'", s ? s : "(null)", part);
}

/* ---- lookups ---- */

static void test_mac_lookup_any_case(void **state) {
        fixture *f = *state;
        put(f, "ifcfg-eth0", "DEVICE=eth0\nHWADDR=52:54:00:AB:CD:EF\nONBOOT=yes\n");
        put(f, "ifcfg-br0", "DEVICE=br0\nTYPE=Bridge\n");
        put(f, "ifcfg-eth1", "DEVICE=eth1\nHWADDR=52:54:00:00:00:0a\nBRIDGE=br0\n");
        open_config(f);
        assert_no_diags(f);

        const kn_iface *const *found;
        const char *queries[] = {"52:54:00:ab:cd:ef", "52:54:00:AB:CD:EF", "52:54:00:Ab:cD:eF"};
        for (size_t k = 0; k < ELEMENTSOF(queries); k++) {
                size_t n = kn_config_lookup_mac(f->c, queries[k], &found);
                assert_int_equal(n, 1);
                assert_string_equal(found[0]->name, "eth0");
                assert_string_equal(found[0]->mac, "52:54:00:ab:cd:ef");
                free((void *) found);
        }
        /* a port's MAC finds the bridge it is in */
        size_t n = kn_config_lookup_mac(f->c, "52:54:00:00:00:0A", &found);
        assert_int_equal(n, 1);
        assert_string_equal(found[0]->name, "br0");
        free((void *) found);
        n = kn_config_lookup_mac(f->c, "52:54:00:00:00:0b", &found);
        assert_int_equal(n, 0);
        free((void *) found);
}

/* ifcfg-eth0 says DEVICE=eth9: it defines eth9.  eth0 is in ifcfg-lan. */
static void test_device_wins_over_file_name(void **state) {
        fixture *f = *state;
        const char *decoy = "DEVICE=eth9\nHWADDR=52:54:00:00:00:09\nONBOOT=no\n";
        put(f, "ifcfg-eth0", decoy);
        put(f, "ifcfg-lan", "# LAN port\nDEVICE=eth0\nHWADDR=52:54:00:00:00:01\nONBOOT=yes\n");
        put(f, "ifcfg-eth3", "HWADDR=52:54:00:00:00:03\n"); /* no DEVICE: the file name */
        open_config(f);
        assert_no_diags(f);

        const kn_iface *i = kn_config_lookup(f->c, "eth0", NULL);
        assert_non_null(i);
        assert_string_equal(i->mac, "52:54:00:00:00:01");
        assert_int_equal(i->start, KN_START_ONBOOT);
        i = kn_config_lookup(f->c, "eth9", NULL);
        assert_non_null(i);
        assert_string_equal(i->mac, "52:54:00:00:00:09");
        assert_null(kn_config_lookup(f->c, "lan", NULL));
        assert_non_null(kn_config_lookup(f->c, "eth3", NULL));

        const kn_iface *const *found;
        assert_int_equal(kn_config_lookup_mac(f->c, "52:54:00:00:00:09", &found), 1);
        assert_string_equal(found[0]->name, "eth9");
        free((void *) found);
        assert_int_equal(kn_config_lookup_mac(f->c, "52:54:00:00:00:01", &found), 1);
        assert_string_equal(found[0]->name, "eth0");
        free((void *) found);

        /* Redefining eth0 edits ifcfg-lan; the decoy is not touched. */
        kn_error err = {0};
        assert_int_equal(define(f,
                                "<interface type='ethernet' name='eth0'>\n"
                                "  <start mode='none'/>\n"
                                "  <mac address='52:54:00:00:00:01'/>\n"
                                "</interface>\n",
                                &err),
                         0);
        assert_file(f, "ifcfg-eth0", decoy);
        assert_file(f, "ifcfg-lan",
                    "# LAN port\nDEVICE=eth0\nHWADDR=52:54:00:00:00:01\nONBOOT=no\n"
                    "TYPE=Ethernet\nBOOTPROTO=none\n");
        i = kn_config_lookup(f->c, "eth0", NULL);
        assert_int_equal(i->start, KN_START_NONE);

        /* Undefining eth9 removes the file that defines it. */
        assert_int_equal(kn_config_undefine(f->c, "eth9", &err), 0);
        assert_file(f, "ifcfg-eth0", NULL);
        assert_file(f, "ifcfg-lan",
                    "# LAN port\nDEVICE=eth0\nHWADDR=52:54:00:00:00:01\nONBOOT=no\n"
                    "TYPE=Ethernet\nBOOTPROTO=none\n");
        assert_null(kn_config_lookup(f->c, "eth9", NULL));
}

/* A new interface never takes over a file that defines another one. */
static void test_define_refuses_foreign_file(void **state) {
        fixture *f = *state;
        const char *decoy = "DEVICE=eth9\nHWADDR=52:54:00:00:00:09\n";
        put(f, "ifcfg-eth0", decoy);
        open_config(f);
        kn_error err = {0};
        int r = define(f, "<interface type='ethernet' name='eth0'/>\n", &err);
        assert_int_equal(r, -EEXIST);
        assert_contains(err.message, DIR "/ifcfg-eth0");
        assert_contains(err.message, "DEVICE=eth9");
        assert_file(f, "ifcfg-eth0", decoy);
        assert_null(kn_config_lookup(f->c, "eth0", NULL));
}

/* ---- keeping what kvmnet does not own ---- */

static void test_unknown_keys_and_comments_kept(void **state) {
        fixture *f = *state;
        put(f, "ifcfg-eth0",
            "# Managed by hand, see ticket 42\n"
            "TYPE=ethernet\n"
            "NAME=\"System eth0\"\n"
            "UUID=5fb06bd0-0bb0-7ffb-45f1-d6edd65f3e03\n"
            "DEVICE=eth0\n"
            "\n"
            "BOOTPROTO=dhcp\n"
            "PEERDNS=no  # our resolv.conf is static\n"
            "IPV6_PRIVACY=rfc3041\n"
            "ONBOOT=true\n"
            "ETHTOOL_OPTS=\"-K eth0 gro off\"\n"
            "IPADDR0=10.0.0.5\n"
            "PREFIX0=8\n"
            "IPADDR1=10.0.0.6\n"
            "NETMASK1=255.0.0.0\n"
            "USERCTL=no\n"
            "# trailing comment\n");
        open_config(f);
        assert_no_diags(f);
        assert_xml(f, "eth0",
                   "<interface type='ethernet' name='eth0'>\n"
                   "  <start mode='onboot'/>\n"
                   "  <protocol family='ipv4'>\n"
                   "    <dhcp peerdns='no'/>\n"
                   "    <ip address='10.0.0.5' prefix='8'/>\n"
                   "    <ip address='10.0.0.6' prefix='8'/>\n"
                   "  </protocol>\n"
                   "</interface>\n");

        /* static now, three addresses, an MTU: known keys change in place,
         * PEERDNS goes, the numbering and NETMASK1 stay, the rest is kept */
        kn_error err = {0};
        assert_int_equal(define(f,
                                "<interface type='ethernet' name='eth0'>\n"
                                "  <start mode='onboot'/>\n"
                                "  <mtu size='9000'/>\n"
                                "  <protocol family='ipv4'>\n"
                                "    <ip address='10.0.0.5' prefix='8'/>\n"
                                "    <ip address='10.0.0.7' prefix='16'/>\n"
                                "    <ip address='192.168.0.1' prefix='24'/>\n"
                                "  </protocol>\n"
                                "</interface>\n",
                                &err),
                         0);
        const char *second = "# Managed by hand, see ticket 42\n"
                             "TYPE=ethernet\n"
                             "NAME=\"System eth0\"\n"
                             "UUID=5fb06bd0-0bb0-7ffb-45f1-d6edd65f3e03\n"
                             "DEVICE=eth0\n"
                             "\n"
                             "BOOTPROTO=none\n"
                             "IPV6_PRIVACY=rfc3041\n"
                             "ONBOOT=true\n"
                             "ETHTOOL_OPTS=\"-K eth0 gro off\"\n"
                             "IPADDR0=10.0.0.5\n"
                             "PREFIX0=8\n"
                             "IPADDR1=10.0.0.7\n"
                             "NETMASK1=255.255.0.0\n"
                             "USERCTL=no\n"
                             "# trailing comment\n"
                             "IPADDR2=192.168.0.1\n"
                             "PREFIX2=24\n"
                             "MTU=9000\n";
        assert_file(f, "ifcfg-eth0", second);

        /* the same definition again changes nothing */
        assert_int_equal(define(f,
                                "<interface type='ethernet' name='eth0'>\n"
                                "  <start mode='onboot'/>\n"
                                "  <mtu size='9000'/>\n"
                                "  <protocol family='ipv4'>\n"
                                "    <ip address='10.0.0.5' prefix='8'/>\n"
                                "    <ip address='10.0.0.7' prefix='16'/>\n"
                                "    <ip address='192.168.0.1' prefix='24'/>\n"
                                "  </protocol>\n"
                                "</interface>\n",
                                &err),
                         0);
        assert_file(f, "ifcfg-eth0", second);

        /* back to DHCP with no address: the numbered keys go, nothing else */
        assert_int_equal(define(f,
                                "<interface type='ethernet' name='eth0'>\n"
                                "  <protocol family='ipv4'>\n"
                                "    <dhcp peerdns='yes'/>\n"
                                "  </protocol>\n"
                                "</interface>\n",
                                &err),
                         0);
        assert_file(f, "ifcfg-eth0",
                    "# Managed by hand, see ticket 42\n"
                    "TYPE=ethernet\n"
                    "NAME=\"System eth0\"\n"
                    "UUID=5fb06bd0-0bb0-7ffb-45f1-d6edd65f3e03\n"
                    "DEVICE=eth0\n"
                    "\n"
                    "BOOTPROTO=dhcp\n"
                    "IPV6_PRIVACY=rfc3041\n"
                    "ETHTOOL_OPTS=\"-K eth0 gro off\"\n"
                    "USERCTL=no\n"
                    "# trailing comment\n"
                    "PEERDNS=yes\n");
        open_config(f); /* what was written reads back as defined */
        assert_xml(f, "eth0",
                   "<interface type='ethernet' name='eth0'>\n"
                   "  <protocol family='ipv4'>\n"
                   "    <dhcp peerdns='yes'/>\n"
                   "  </protocol>\n"
                   "</interface>\n");
}

/* Bond options kvmnet has no field for survive a redefine, after its own. */
static void test_bond_opts_unknown_kept(void **state) {
        fixture *f = *state;
        put(f, "ifcfg-bond0",
            "DEVICE=bond0\nBONDING_OPTS='mode=4 xmit_hash_policy=layer3+4 miimon=100 "
            "lacp_rate=fast'\nONBOOT=yes\n");
        put(f, "ifcfg-eth1", "DEVICE=eth1\nMASTER=bond0\nSLAVE=yes\n");
        open_config(f);
        assert_no_diags(f);
        assert_xml(f, "bond0",
                   "<interface type='bond' name='bond0'>\n"
                   "  <start mode='onboot'/>\n"
                   "  <bond mode='802.3ad'>\n"
                   "    <miimon freq='100'/>\n"
                   "    <interface type='ethernet' name='eth1'/>\n"
                   "  </bond>\n"
                   "</interface>\n");
        kn_error err = {0};
        const char *xml = "<interface type='bond' name='bond0'>\n"
                          "  <start mode='onboot'/>\n"
                          "  <bond mode='802.3ad'>\n"
                          "    <miimon freq='200' updelay='400'/>\n"
                          "    <interface type='ethernet' name='eth1'/>\n"
                          "  </bond>\n"
                          "</interface>\n";
        assert_int_equal(define(f, xml, &err), 0);
        assert_file(f, "ifcfg-bond0",
                    "DEVICE=bond0\nBONDING_OPTS='mode=802.3ad miimon=200 updelay=400 "
                    "xmit_hash_policy=layer3+4 lacp_rate=fast'\nONBOOT=yes\nTYPE=Bond\n"
                    "BONDING_MASTER=yes\nBOOTPROTO=none\n");
        open_config(f);
        assert_xml(f, "bond0", xml);
}

/* ---- errors ---- */

static void test_unparsable_file_others_list(void **state) {
        fixture *f = *state;
        put(f, "ifcfg-eth0", "DEVICE=eth0\nONBOOT=yes\n");
        const char *bad = "DEVICE=eth1\n# fine so far\nIPADDR=10.0.0.1 10.0.0.2\nONBOOT=yes\n";
        put(f, "ifcfg-eth1", bad);
        put(f, "ifcfg-eth2", "DEVICE=eth2\n\nBOOTPROTO=carrier-pigeon\n");
        put(f, "ifcfg-eth3", "DEVICE=eth3\nHWADDR=52:54:00:00:00:03\n");
        put(f, "ifcfg-eth4", "DEVICE=\"eth4\nONBOOT=yes\n");
        open_config(f);

        const kn_iface *const *items;
        size_t n = kn_config_list(f->c, &items);
        assert_int_equal(n, 2);
        assert_string_equal(items[0]->name, "eth0");
        assert_string_equal(items[1]->name, "eth3");

        const kn_diag *d;
        assert_int_equal(kn_config_diags(f->c, &d), 3);
        _cleanup_free_ char *p1 = path_of(f, "ifcfg-eth1");
        d = kn_config_lookup_diag(f->c, "eth1");
        assert_non_null(d);
        assert_string_equal(d->file, p1);
        assert_int_equal(d->line, 3);
        assert_contains(d->message, "quote");
        d = kn_config_lookup_diag(f->c, "eth2");
        assert_non_null(d);
        assert_int_equal(d->line, 3);
        assert_contains(d->message, "BOOTPROTO=carrier-pigeon");
        d = kn_config_lookup_diag(f->c, "eth4"); /* no DEVICE known: the file name */
        assert_non_null(d);
        assert_int_equal(d->line, 1);
        assert_contains(d->message, "unterminated");

        /* a broken file is not edited over, and stays as it is */
        kn_error err = {0};
        assert_true(define(f, "<interface type='ethernet' name='eth1'/>\n", &err) < 0);
        assert_contains(err.message, "ifcfg-eth1:3:");
        assert_file(f, "ifcfg-eth1", bad);
        /* but it can be undefined */
        kn_error_clear(&err);
        assert_int_equal(kn_config_undefine(f->c, "eth1", &err), 0);
        assert_file(f, "ifcfg-eth1", NULL);
        assert_int_equal(n_diags(f), 2);
}

static void test_duplicate_device(void **state) {
        fixture *f = *state;
        const char *a = "DEVICE=eth0\nBOOTPROTO=dhcp\n", *b = "DEVICE=eth0\nBOOTPROTO=none\n";
        put(f, "ifcfg-eth0", a);
        put(f, "ifcfg-uplink", b);
        put(f, "ifcfg-eth1", "DEVICE=eth1\n");
        open_config(f);
        assert_null(kn_config_lookup(f->c, "eth0", NULL));
        assert_non_null(kn_config_lookup(f->c, "eth1", NULL));
        const kn_diag *d = kn_config_lookup_diag(f->c, "eth0");
        assert_non_null(d);
        _cleanup_free_ char *pa = path_of(f, "ifcfg-eth0"), *pb = path_of(f, "ifcfg-uplink");
        assert_contains(d->message, pa);
        assert_contains(d->message, pb);
        assert_int_equal(n_diags(f), 1);

        kn_error err = {0};
        assert_int_equal(define(f, "<interface type='ethernet' name='eth0'/>\n", &err), -EEXIST);
        assert_contains(err.message, pa);
        assert_contains(err.message, pb);
        assert_file(f, "ifcfg-eth0", a);
        assert_file(f, "ifcfg-uplink", b);

        /* undefine settles it: both go */
        kn_error_clear(&err);
        assert_int_equal(kn_config_undefine(f->c, "eth0", &err), 0);
        assert_file(f, "ifcfg-eth0", NULL);
        assert_file(f, "ifcfg-uplink", NULL);
        assert_int_equal(n_diags(f), 0);
}

static void test_vlan_without_parent(void **state) {
        fixture *f = *state;
        put(f, "ifcfg-vlan5", "DEVICE=vlan5\nVLAN=yes\nONBOOT=yes\n");
        put(f, "ifcfg-eth0.x", "DEVICE=eth0.x\nTYPE=Vlan\n");
        put(f, "ifcfg-eth0.5000", "DEVICE=eth0.5000\nVLAN=yes\n");
        put(f, "ifcfg-eth0.7", "VLAN=yes\n");
        put(f, "ifcfg-vlan8", "DEVICE=vlan8\nVLAN=yes\nPHYSDEV=eth0\n");
        put(f, "ifcfg-vlan9", "DEVICE=vlan9\nVLAN=yes\nPHYSDEV=eth1/x\n");
        open_config(f);

        const kn_diag *d = kn_config_lookup_diag(f->c, "vlan5");
        assert_non_null(d);
        assert_int_equal(d->line, 2);
        assert_contains(d->message, "no parent device");
        assert_contains(d->message, "PHYSDEV");
        d = kn_config_lookup_diag(f->c, "eth0.x");
        assert_non_null(d);
        assert_contains(d->message, "no parent device");
        d = kn_config_lookup_diag(f->c, "eth0.5000");
        assert_non_null(d);
        assert_contains(d->message, "out of range");
        d = kn_config_lookup_diag(f->c, "vlan9");
        assert_non_null(d);
        assert_int_equal(d->line, 3);
        assert_contains(d->message, "PHYSDEV");
        assert_int_equal(n_diags(f), 4);

        const kn_iface *i = kn_config_lookup(f->c, "eth0.7", NULL);
        assert_non_null(i);
        assert_string_equal(i->vlan_parent, "eth0");
        assert_int_equal(i->vlan_tag, 7);
        i = kn_config_lookup(f->c, "vlan8", NULL);
        assert_non_null(i);
        assert_string_equal(i->vlan_parent, "eth0");
        assert_int_equal(i->vlan_tag, 8);
}

/* Ports whose master is missing or of the wrong kind are reported, not
 * listed as if they were on their own. */
static void test_orphan_ports(void **state) {
        fixture *f = *state;
        put(f, "ifcfg-eth0", "DEVICE=eth0\nBRIDGE=br9\n");
        put(f, "ifcfg-eth1", "DEVICE=eth1\nMASTER=br0\nSLAVE=yes\n");
        put(f, "ifcfg-br0", "DEVICE=br0\nTYPE=Bridge\n");
        open_config(f);
        const kn_diag *d = kn_config_lookup_diag(f->c, "eth0");
        assert_non_null(d);
        assert_int_equal(d->line, 2);
        assert_contains(d->message, "no ifcfg file defines br9");
        d = kn_config_lookup_diag(f->c, "eth1");
        assert_non_null(d);
        assert_contains(d->message, "br0 is a bridge, not a bond");
        assert_int_equal(n_diags(f), 2);
        assert_non_null(kn_config_lookup(f->c, "br0", NULL));
}

/* ---- define/undefine of trees ---- */

static const char *bridge_xml = "<interface type='bridge' name='br0'>\n"
                                "  <start mode='onboot'/>\n"
                                "  <protocol family='ipv4'>\n"
                                "    <dhcp/>\n"
                                "  </protocol>\n"
                                "  <bridge stp='on'>\n"
                                "    <interface type='ethernet' name='eth0'/>\n"
                                "    <interface type='ethernet' name='eth1'/>\n"
                                "  </bridge>\n"
                                "</interface>\n";

static void test_redefine_drops_old_ports(void **state) {
        fixture *f = *state;
        open_config(f);
        kn_error err = {0};
        assert_int_equal(define(f, bridge_xml, &err), 0);
        assert_file(f, "ifcfg-eth1", "DEVICE=eth1\nTYPE=Ethernet\nONBOOT=yes\nBRIDGE=br0\n");
        assert_xml(f, "eth1", bridge_xml);
        assert_int_equal(define(f,
                                "<interface type='bridge' name='br0'>\n"
                                "  <bridge>\n"
                                "    <interface type='ethernet' name='eth0'/>\n"
                                "  </bridge>\n"
                                "</interface>\n",
                                &err),
                         0);
        assert_file(f, "ifcfg-eth1", NULL);
        assert_file(f, "ifcfg-eth0", "DEVICE=eth0\nTYPE=Ethernet\nBRIDGE=br0\n");
        assert_file(f, "ifcfg-br0", "DEVICE=br0\nTYPE=Bridge\nBOOTPROTO=none\n");
        assert_null(kn_config_lookup(f->c, "eth1", NULL));

        put(f, "route-br0", "10.0.0.0/8 via 192.168.0.1\n");
        open_config(f);
        assert_int_equal(kn_config_undefine(f->c, "br0", &err), 0);
        _cleanup_free_ char *dir = kn_xasprintf("%s/" DIR, f->root);
        assert_int_equal(test_run("test -z \"$(ls -A '%s')\"", dir), 0);
        const kn_iface *const *items;
        assert_int_equal(kn_config_list(f->c, &items), 0);
}

static void test_route_files(void **state) {
        fixture *f = *state;
        put(f, "ifcfg-eth0",
            "DEVICE=eth0\nBOOTPROTO=none\nIPADDR=192.168.0.2\nPREFIX=24\n"
            "IPV6INIT=yes\nIPV6ADDR=2001:db8::2/64\n");
        put(f, "route-eth0",
            "# static routes\n10.0.0.0/8 via 192.168.0.254 dev eth0\n"
            "default via 192.168.0.1 dev eth0\n");
        put(f, "route6-eth0", "default via 2001:db8::1 dev eth0\n");
        put(f, "ifcfg-eth1", "DEVICE=eth1\nIPADDR=10.1.0.2\nPREFIX=16\n");
        put(f, "route-eth1", "ADDRESS0=0.0.0.0\nNETMASK0=0.0.0.0\nGATEWAY0=10.1.0.1\n");
        open_config(f);
        assert_no_diags(f);
        assert_xml(f, "eth0",
                   "<interface type='ethernet' name='eth0'>\n"
                   "  <protocol family='ipv4'>\n"
                   "    <ip address='192.168.0.2' prefix='24'/>\n"
                   "    <route gateway='192.168.0.1'/>\n"
                   "  </protocol>\n"
                   "  <protocol family='ipv6'>\n"
                   "    <autoconf/>\n"
                   "    <ip address='2001:db8::2' prefix='64'/>\n"
                   "    <route gateway='2001:db8::1'/>\n"
                   "  </protocol>\n"
                   "</interface>\n");
        assert_xml(f, "eth1",
                   "<interface type='ethernet' name='eth1'>\n"
                   "  <protocol family='ipv4'>\n"
                   "    <ip address='10.1.0.2' prefix='16'/>\n"
                   "    <route gateway='10.1.0.1'/>\n"
                   "  </protocol>\n"
                   "</interface>\n");

        /* a bad route file is that interface's error, naming its line */
        put(f, "ifcfg-eth2", "DEVICE=eth2\nIPV6INIT=yes\n");
        put(f, "route6-eth2", "\n2001:db8:5::/64 via fe80::5\ndefault via 10.0.0.1\n");
        open_config(f);
        const kn_diag *d = kn_config_lookup_diag(f->c, "eth2");
        assert_non_null(d);
        _cleanup_free_ char *route6 = path_of(f, "route6-eth2");
        assert_string_equal(d->file, route6);
        assert_int_equal(d->line, 3);
        assert_contains(d->message, "not an IPv6 address");
        assert_int_equal(n_diags(f), 1);

        /* The gateway moves into the ifcfg file; other routes stay. */
        kn_error err = {0};
        assert_int_equal(define(f,
                                "<interface type='ethernet' name='eth0'>\n"
                                "  <protocol family='ipv4'>\n"
                                "    <ip address='192.168.0.2' prefix='24'/>\n"
                                "    <route gateway='192.168.0.3'/>\n"
                                "  </protocol>\n"
                                "</interface>\n",
                                &err),
                         0);
        assert_file(f, "route-eth0", "# static routes\n10.0.0.0/8 via 192.168.0.254 dev eth0\n");
        assert_file(f, "route6-eth0", NULL);
        assert_file(f, "ifcfg-eth0",
                    "DEVICE=eth0\nBOOTPROTO=none\nIPADDR=192.168.0.2\nPREFIX=24\n"
                    "IPV6INIT=no\nTYPE=Ethernet\nGATEWAY=192.168.0.3\n");
        assert_int_equal(define(f,
                                "<interface type='ethernet' name='eth1'>\n"
                                "  <protocol family='ipv4'>\n"
                                "    <ip address='10.1.0.2' prefix='16'/>\n"
                                "  </protocol>\n"
                                "</interface>\n",
                                &err),
                         0);
        assert_file(f, "route-eth1", NULL);
        open_config(f);
        assert_xml(f, "eth0",
                   "<interface type='ethernet' name='eth0'>\n"
                   "  <protocol family='ipv4'>\n"
                   "    <ip address='192.168.0.2' prefix='24'/>\n"
                   "    <route gateway='192.168.0.3'/>\n"
                   "  </protocol>\n"
                   "</interface>\n");
}

/* ---- nothing changes when writing fails ---- */

/* A private mount namespace, so the test can mount without touching the
 * host's mounts.  Skips when not allowed (not root). */
static void private_mounts(void) {
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                skip();
}

static const char *eth0_file = "# uplink\nDEVICE=eth0\nBOOTPROTO=dhcp\nFOO=bar\n";
static const char *eth1_file = "DEVICE=eth1\nONBOOT=no\n";

static void snapshot_is(const fixture *f, bool with_br0) {
        assert_file(f, "ifcfg-eth0", eth0_file);
        assert_file(f, "ifcfg-eth1", eth1_file);
        assert_file(f, "ifcfg-br0", with_br0 ? "DEVICE=br0\nTYPE=Bridge\n" : NULL);
        _cleanup_free_ char *dir = kn_xasprintf("%s/" DIR, f->root);
        assert_int_equal(test_run("test \"$(ls -A '%s' | wc -l)\" = %d", dir, with_br0 ? 3 : 2), 0);
}

static void test_read_only_root(void **state) {
        fixture *f = *state;
        put(f, "ifcfg-eth0", eth0_file);
        put(f, "ifcfg-eth1", eth1_file);
        put(f, "ifcfg-br0", "DEVICE=br0\nTYPE=Bridge\n");
        private_mounts();
        if (mount(f->root, f->root, NULL, MS_BIND, NULL) < 0 ||
            mount(NULL, f->root, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
                fail_msg("read-only bind mount of %s: %m", f->root);
        open_config(f);

        kn_error err = {0};
        assert_int_equal(define(f, bridge_xml, &err), -EROFS);
        assert_contains(err.message, DIR "/ifcfg-br0");
        snapshot_is(f, true);
        kn_error_clear(&err);
        assert_int_equal(kn_config_undefine(f->c, "br0", &err), -EROFS);
        snapshot_is(f, true);
        /* and the state still says what the files say */
        const kn_iface *br0 = kn_config_lookup(f->c, "br0", NULL);
        assert_non_null(br0);
        assert_int_equal(br0->n_children, 0);
        assert_non_null(kn_config_lookup(f->c, "eth1", NULL));
}

/* The third of three writes fails: the two before are undone. */
static void test_rollback_half_way(void **state) {
        fixture *f = *state;
        put(f, "ifcfg-eth0", eth0_file);
        put(f, "ifcfg-eth1", eth1_file);
        private_mounts();
        /* renaming over a mount point fails with EBUSY, reading it works */
        _cleanup_free_ char *eth1 = path_of(f, "ifcfg-eth1");
        if (mount(eth1, eth1, NULL, MS_BIND, NULL) < 0)
                fail_msg("bind mount: %m");
        open_config(f);

        kn_error err = {0};
        int r = define(f, bridge_xml, &err);
        assert_int_equal(r, -EBUSY);
        assert_contains(err.message, "ifcfg-eth1");
        test_run("umount '%s'", eth1);
        snapshot_is(f, false);
        assert_null(kn_config_lookup(f->c, "br0", NULL));
        const kn_iface *eth0 = kn_config_lookup(f->c, "eth0", NULL);
        assert_non_null(eth0);
        assert_true(eth0->ipv4.dhcp);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_mac_lookup_any_case, setup, teardown),
                cmocka_unit_test_setup_teardown(test_device_wins_over_file_name, setup, teardown),
                cmocka_unit_test_setup_teardown(test_define_refuses_foreign_file, setup, teardown),
                cmocka_unit_test_setup_teardown(test_unknown_keys_and_comments_kept, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_bond_opts_unknown_kept, setup, teardown),
                cmocka_unit_test_setup_teardown(test_unparsable_file_others_list, setup, teardown),
                cmocka_unit_test_setup_teardown(test_duplicate_device, setup, teardown),
                cmocka_unit_test_setup_teardown(test_vlan_without_parent, setup, teardown),
                cmocka_unit_test_setup_teardown(test_orphan_ports, setup, teardown),
                cmocka_unit_test_setup_teardown(test_redefine_drops_old_ports, setup, teardown),
                cmocka_unit_test_setup_teardown(test_route_files, setup, teardown),
                cmocka_unit_test_setup_teardown(test_read_only_root, setup, teardown),
                cmocka_unit_test_setup_teardown(test_rollback_half_way, setup, teardown),
        };
        return cmocka_run_group_tests_name("ifcfg", tests, NULL, NULL);
}
