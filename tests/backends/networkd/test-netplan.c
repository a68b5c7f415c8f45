/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Cross-check of the networkd backend against netplan (Debian package
 * netplan.io): for each case below, kvmnet defines the XML into one root,
 * `netplan generate --root-dir` renders the equivalent YAML into another,
 * and the .network/.netdev files of both are compared key by key.
 *
 * Files are paired by what they configure ([Match] Name=, [NetDev] Name=),
 * not by name (10-kvmnet-X vs 10-netplan-X).  Values are compared as
 * networkd reads them: booleans as yes/no, time spans in microseconds,
 * addresses and MACs canonical, repeated keys (Address=, Gateway=, VLAN=)
 * as ordered lists; [DHCP] is read as [DHCPv4] (systemd >= 246 does).
 * Every key must be equal in both, or be one of the differences listed
 * below with the reason it is legitimate; and each case names keys that
 * must be present and equal, so an empty comparison cannot pass.
 *
 * netplan's .link files are not compared: they set MTU and Wake-on-LAN
 * when udev names the device; kvmnet uses the .network's [Link] MTUBytes=,
 * which netplan writes too. */

#include <arpa/inet.h>
#include <dirent.h>

#include "backend-test.h"
#include "backends/ini/ini.h"
#include "backends/networkd/networkd.h"

typedef struct np_case {
        const char *name;
        const char *xml;
        const char *yaml;          /* under "network:" */
        const char *const *equal;  /* "FILE SECTION.KEY", FILE = network:NAME|netdev:NAME */
        const char *const *differ; /* case-specific differences, "FILE SECTION.KEY" */
        const char *why;           /* ... and why */
} np_case;

/* Keys only netplan writes, wherever they appear. */
static const struct {
        const char *key, *why;
} netplan_only[] = {
        {"Network.LinkLocalAddressing",
         "netplan always says it (ipv6 on links, no on ports and slaves); kvmnet leaves "
         "networkd's default, the same thing (no link-local addresses on bridge ports and "
         "bond slaves, IPv6 link-local elsewhere)"},
        {"Network.ConfigureWithoutCarrier",
         "netplan's default for bridges, bonds and vlans (addresses before any port has "
         "carrier); not in the interface XML: kvmnet keeps networkd's default"},
        {"DHCPv4.RouteMetric", "netplan's default route metric for DHCP; not in the XML"},
        {"DHCPv4.UseMTU", "netplan's default; not in the XML"},
};

/* Conditional: RequiredForOnline=no beside ActivationPolicy=manual. */
static const char *manual_rfo_why = "netplan adds it to activation-mode: manual; it is "
                                    "networkd's default for ActivationPolicy=manual";

#define KEYS(...) ((const char *const[]){__VA_ARGS__, NULL})

static const np_case cases[] = {
        {
                .name = "bond-arpmon",
                .xml = "<interface type='bond' name='bond1'><start mode='none'/>"
                       "<protocol family='ipv4'><ip address='10.1.0.5' prefix='16'/></protocol>"
                       "<bond mode='active-backup'>"
                       "<arpmon interval='250' target='10.1.0.1' validate='backup'/>"
                       "<interface type='ethernet' name='eth4'/>"
                       "<interface type='ethernet' name='eth3'/></bond></interface>",
                .yaml = "  ethernets:\n"
                        "    eth3: {}\n"
                        "    eth4: {}\n"
                        "  bonds:\n"
                        "    bond1:\n"
                        "      interfaces: [eth4, eth3]\n"
                        "      activation-mode: manual\n"
                        "      addresses: [10.1.0.5/16]\n"
                        "      parameters:\n"
                        "        mode: active-backup\n"
                        "        arp-interval: 250\n"
                        "        arp-ip-targets: [10.1.0.1]\n"
                        "        arp-validate: backup\n"
                        "        primary: eth4\n",
                .equal =
                        KEYS("netdev:bond1 NetDev.Kind", "netdev:bond1 Bond.Mode",
                             "netdev:bond1 Bond.ARPIntervalSec", "netdev:bond1 Bond.ARPIPTargets",
                             "netdev:bond1 Bond.ARPValidate", "network:bond1 Link.ActivationPolicy",
                             "network:bond1 Network.Address", "network:eth4 Network.Bond",
                             "network:eth4 Network.PrimarySlave", "network:eth3 Network.Bond"),
        },
        {
                .name = "bond-no-options",
                .xml = "<interface type='bond' name='bond2'><start mode='onboot'/><bond>"
                       "<interface type='ethernet' name='eth5'/></bond></interface>",
                .yaml = "  ethernets:\n"
                        "    eth5: {}\n"
                        "  bonds:\n"
                        "    bond2:\n"
                        "      interfaces: [eth5]\n",
                .equal = KEYS("netdev:bond2 NetDev.Kind", "netdev:bond2 NetDev.Name",
                              "network:eth5 Network.Bond"),
        },
        {
                /* 10.9.9.9 has /8 here: netplan wants a prefix on every address. */
                .name = "bridge-9-ipv4-ipv6",
                .xml = "<interface type='bridge' name='br2'><start mode='onboot'/>"
                       "<protocol family='ipv4'>"
                       "<ip address='192.168.1.1' prefix='17'/><ip address='192.168.2.1' "
                       "prefix='18'/>"
                       "<ip address='192.168.3.1' prefix='19'/><ip address='192.168.4.1' "
                       "prefix='20'/>"
                       "<ip address='192.168.5.1' prefix='21'/><ip address='192.168.6.1' "
                       "prefix='22'/>"
                       "<ip address='192.168.7.1' prefix='23'/><ip address='192.168.8.1' "
                       "prefix='24'/>"
                       "<ip address='10.9.9.9' prefix='8'/><route gateway='192.168.1.254'/>"
                       "</protocol><protocol family='ipv6'>"
                       "<ip address='2001:db8:1::1' prefix='64'/><route "
                       "gateway='2001:db8:1::fffe'/>"
                       "</protocol><bridge stp='off'><interface type='ethernet' name='eth6'>"
                       "<mac address='52:54:00:aa:bb:06'/></interface></bridge></interface>",
                .yaml = "  ethernets:\n"
                        "    eth6:\n"
                        "      macaddress: \"52:54:00:aa:bb:06\"\n"
                        "  bridges:\n"
                        "    br2:\n"
                        "      interfaces: [eth6]\n"
                        "      parameters: {stp: false}\n"
                        "      addresses: [192.168.1.1/17, 192.168.2.1/18, 192.168.3.1/19,\n"
                        "                  192.168.4.1/20, 192.168.5.1/21, 192.168.6.1/22,\n"
                        "                  192.168.7.1/23, 192.168.8.1/24, 10.9.9.9/8,\n"
                        "                  \"2001:db8:1::1/64\"]\n"
                        "      gateway4: 192.168.1.254\n"
                        "      gateway6: \"2001:db8:1::fffe\"\n"
                        "      accept-ra: false\n",
                .equal = KEYS("network:br2 Network.Address", "network:br2 Network.Gateway",
                              "network:br2 Network.IPv6AcceptRA", "netdev:br2 Bridge.STP",
                              "network:eth6 Link.MACAddress", "network:eth6 Network.Bridge"),
        },
        {
                /* Without carrier='netif': networkd has no such setting. */
                .name = "bridge-bond",
                .xml = "<interface type='bridge' name='br1'><start mode='onboot'/>"
                       "<mtu size='9000'/><protocol family='ipv4'>"
                       "<ip address='192.168.10.2' prefix='24'/><route gateway='192.168.10.1'/>"
                       "</protocol><bridge stp='on'><interface type='bond' name='bond0'>"
                       "<bond mode='active-backup'>"
                       "<miimon freq='100' downdelay='200' updelay='200'/>"
                       "<interface type='ethernet' name='eth1'><mac address='52:54:00:12:34:01'/>"
                       "</interface><interface type='ethernet' name='eth2'>"
                       "<mac address='52:54:00:12:34:02'/></interface></bond></interface>"
                       "</bridge></interface>",
                .yaml = "  ethernets:\n"
                        "    eth1: {macaddress: \"52:54:00:12:34:01\"}\n"
                        "    eth2: {macaddress: \"52:54:00:12:34:02\"}\n"
                        "  bonds:\n"
                        "    bond0:\n"
                        "      interfaces: [eth1, eth2]\n"
                        "      parameters:\n"
                        "        mode: active-backup\n"
                        "        mii-monitor-interval: 100\n"
                        "        up-delay: 200\n"
                        "        down-delay: 200\n"
                        "        primary: eth1\n"
                        "  bridges:\n"
                        "    br1:\n"
                        "      interfaces: [bond0]\n"
                        "      mtu: 9000\n"
                        "      addresses: [192.168.10.2/24]\n"
                        "      gateway4: 192.168.10.1\n"
                        "      parameters: {stp: true}\n",
                .equal = KEYS("netdev:br1 NetDev.MTUBytes", "netdev:br1 Bridge.STP",
                              "network:br1 Link.MTUBytes", "network:br1 Network.Address",
                              "network:br1 Network.Gateway", "netdev:bond0 Bond.Mode",
                              "netdev:bond0 Bond.MIIMonitorSec", "netdev:bond0 Bond.UpDelaySec",
                              "netdev:bond0 Bond.DownDelaySec", "network:bond0 Network.Bridge",
                              "network:eth1 Link.MACAddress", "network:eth1 Network.Bond",
                              "network:eth1 Network.PrimarySlave", "network:eth2 Network.Bond"),
                .differ = KEYS("network:bond0 Link.MTUBytes"),
                .why = "kvmnet gives a bridge's ports the bridge's MTU: the kernel lowers a "
                       "bridge to its ports' MTU when they join and networkd does not raise it "
                       "again (seen with systemd 252; tests/fidelity)",
        },
        {
                .name = "bridge-vlan",
                .xml = "<interface type='bridge' name='br0'><start mode='onboot'/>"
                       "<protocol family='ipv4'><dhcp/></protocol>"
                       "<bridge stp='off' delay='0'><interface type='vlan' name='eth0.42'>"
                       "<vlan tag='42'><interface name='eth0'/></vlan></interface></bridge>"
                       "</interface>",
                .yaml = "  ethernets:\n"
                        "    eth0: {}\n"
                        "  vlans:\n"
                        "    eth0.42: {id: 42, link: eth0}\n"
                        "  bridges:\n"
                        "    br0:\n"
                        "      interfaces: [eth0.42]\n"
                        "      dhcp4: true\n"
                        "      parameters: {stp: false, forward-delay: 0}\n",
                .equal = KEYS("netdev:eth0.42 NetDev.Kind", "netdev:eth0.42 VLAN.Id",
                              "network:eth0 Network.VLAN", "network:eth0.42 Network.Bridge",
                              "netdev:br0 Bridge.STP", "netdev:br0 Bridge.ForwardDelaySec",
                              "network:br0 Network.DHCP"),
        },
        {
                .name = "ethernet-dhcp-mtu-mac",
                .xml = "<interface type='ethernet' name='eth9'><start mode='onboot'/>"
                       "<mac address='52:54:00:ab:cd:ef'/><mtu size='1492'/>"
                       "<protocol family='ipv4'><dhcp peerdns='yes'/></protocol></interface>",
                .yaml = "  ethernets:\n"
                        "    eth9:\n"
                        "      dhcp4: true\n"
                        "      dhcp4-overrides: {use-dns: true}\n"
                        "      mtu: 1492\n"
                        "      macaddress: \"52:54:00:ab:cd:ef\"\n",
                .equal = KEYS("network:eth9 Link.MTUBytes", "network:eth9 Link.MACAddress",
                              "network:eth9 Network.DHCP"),
                .differ = KEYS("network:eth9 DHCPv4.UseDNS"),
                .why = "netplan writes use-dns only when false (true is networkd's default); "
                       "kvmnet writes the XML's explicit peerdns='yes', so that it reads back",
        },
        {
                /* fd00::7 has /64 here: netplan wants a prefix on every address. */
                .name = "ipv6-autoconf-dhcp-static",
                .xml = "<interface type='ethernet' name='eth7'><start mode='hotplug'/>"
                       "<mac address='52:54:00:aa:bb:07'/><protocol family='ipv6'><autoconf/>"
                       "<dhcp peerdns='no'/><ip address='2001:db8:7::7' prefix='64'/>"
                       "<ip address='2001:db8:8::7' prefix='48'/><ip address='fd00::7' "
                       "prefix='64'/>"
                       "<route gateway='fe80::1'/></protocol></interface>",
                .yaml = "  ethernets:\n"
                        "    eth7:\n"
                        "      optional: true\n"
                        "      macaddress: \"52:54:00:aa:bb:07\"\n"
                        "      accept-ra: true\n"
                        "      dhcp6: true\n"
                        "      dhcp6-overrides: {use-dns: false}\n"
                        "      addresses: [\"2001:db8:7::7/64\", \"2001:db8:8::7/48\", "
                        "\"fd00::7/64\"]\n"
                        "      gateway6: \"fe80::1\"\n",
                .equal = KEYS("network:eth7 Link.RequiredForOnline", "network:eth7 Link.MACAddress",
                              "network:eth7 Network.DHCP", "network:eth7 Network.IPv6AcceptRA",
                              "network:eth7 Network.Address", "network:eth7 Network.Gateway"),
                .differ = KEYS("network:eth7 DHCPv4.UseDNS", "network:eth7 DHCPv6.UseDNS"),
                .why = "netplan writes dhcp6-overrides into [DHCP], which networkd (since 246) "
                       "reads as [DHCPv4]; kvmnet writes DHCPv6 options into [DHCPv6]",
        },
        {
                .name = "nic-into-bridge",
                .xml = "<interface type='bridge' name='br3'><start mode='onboot'/>"
                       "<protocol family='ipv4'><dhcp/></protocol>"
                       "<bridge stp='off' delay='0.5'><interface type='ethernet' name='em1'>"
                       "<mac address='52:54:00:c0:ff:ee'/></interface></bridge></interface>",
                .yaml = "  ethernets:\n"
                        "    em1: {macaddress: \"52:54:00:c0:ff:ee\"}\n"
                        "  bridges:\n"
                        "    br3:\n"
                        "      interfaces: [em1]\n"
                        "      dhcp4: true\n"
                        "      parameters: {stp: false, forward-delay: 500ms}\n",
                .equal = KEYS("netdev:br3 Bridge.ForwardDelaySec", "netdev:br3 Bridge.STP",
                              "network:br3 Network.DHCP", "network:em1 Network.Bridge",
                              "network:em1 Link.MACAddress"),
        },
        {
                .name = "vlan-physdev",
                .xml = "<interface type='vlan' name='vlan100'><start mode='onboot'/>"
                       "<protocol family='ipv4'><ip address='10.100.0.2' prefix='24'/>"
                       "</protocol><vlan tag='100'><interface name='eth1'/></vlan></interface>",
                .yaml = "  ethernets:\n"
                        "    eth1: {}\n"
                        "  vlans:\n"
                        "    vlan100:\n"
                        "      id: 100\n"
                        "      link: eth1\n"
                        "      addresses: [10.100.0.2/24]\n",
                .equal = KEYS("netdev:vlan100 VLAN.Id", "netdev:vlan100 NetDev.Kind",
                              "network:eth1 Network.VLAN", "network:vlan100 Network.Address"),
        },
};

/* ---- reading a directory of networkd files into "FILE SECTION.KEY" -> value ---- */

typedef struct kv {
        char *key, *value;
} kv;

typedef struct kvs {
        kv *v;
        size_t n, alloc;
} kvs;

static void kvs_done(kvs *s) {
        for (size_t k = 0; k < s->n; k++) {
                free(s->v[k].key);
                free(s->v[k].value);
        }
        free(s->v);
}

static const kv *kvs_get(const kvs *s, const char *key) {
        for (size_t k = 0; k < s->n; k++)
                if (streq(s->v[k].key, key))
                        return &s->v[k];
        return NULL;
}

static bool listy(const char *key) {
        return streq(key, "Address") || streq(key, "Gateway") || streq(key, "VLAN") ||
               streq(key, "ARPIPTargets");
}

static char *normalize(const char *key, const char *value) {
        static const char *const bools[] = {
                "STP",    "IPv6AcceptRA",     "PrimarySlave", "UseDNS", "ConfigureWithoutCarrier",
                "UseMTU", "RequiredForOnline"};
        size_t n = strlen(key);
        unsigned long long usec;
        for (size_t k = 0; k < ELEMENTSOF(bools); k++)
                if (streq(key, bools[k]) && kn_ini_parse_bool(value) >= 0)
                        return kn_xstrdup(kn_ini_parse_bool(value) ? "yes" : "no");
        if (n > 3 && streq(key + n - 3, "Sec") &&
            kn_networkd_parse_timespan_usec(value, &usec) >= 0)
                return kn_xasprintf("%lluus", usec);
        if (streq(key, "MACAddress")) {
                char mac[KN_MAC_STRLEN + 1];
                if (kn_mac_parse(value, mac) >= 0)
                        return kn_xstrdup(mac);
        }
        if (streq(key, "Address")) {
                int family, prefix;
                char addr[46];
                if (kn_networkd_parse_address(value, &family, addr, &prefix) >= 0)
                        return prefix >= 0 ? kn_xasprintf("%s/%d", addr, prefix) : kn_xstrdup(addr);
        }
        if (streq(key, "Gateway")) {
                char addr[46];
                if (kn_ip_canonical(strchr(value, ':') ? AF_INET6 : AF_INET, value, addr) >= 0)
                        return kn_xstrdup(addr);
        }
        return kn_xstrdup(value);
}

static void add_file(kvs *out, const char *path, bool netdev) {
        _cleanup_free_ char *text = test_read_file(path);
        kn_ini ini;
        if (kn_ini_parse(&ini, KN_INI_SYSTEMD, text, strlen(text)) < 0)
                fail_msg("%s:%u: %s", path, ini.err_line, ini.err);
        const char *name =
                netdev ? kn_ini_get(&ini, "NetDev", "Name") : kn_ini_get(&ini, "Match", "Name");
        if (!name)
                fail_msg("%s: no Name=", path);
        _cleanup_free_ char *file = kn_xasprintf("%s:%s", netdev ? "netdev" : "network", name);
        for (size_t k = 0; k < ini.n; k++) {
                const kn_ini_line *l = &ini.lines[k];
                if (!l->key || streq(l->section, "Match"))
                        continue;
                const char *section = streq(l->section, "DHCP") ? "DHCPv4" : l->section;
                _cleanup_free_ char *key = kn_xasprintf("%s %s.%s", file, section, l->key);
                _cleanup_free_ char *value = normalize(l->key, l->value);
                kv *e = (kv *) kvs_get(out, key);
                if (e && listy(l->key)) {
                        char *joined = kn_xasprintf("%s %s", e->value, value);
                        free(e->value);
                        e->value = joined;
                } else if (e) {
                        free(e->value);
                        e->value = TAKE_PTR(value);
                } else {
                        GREEDY_REALLOC(out->v, out->alloc, out->n + 1);
                        out->v[out->n++] = (kv){TAKE_PTR(key), TAKE_PTR(value)};
                }
        }
        kn_ini_done(&ini);
}

static void read_dir(const char *dir, kvs *out) {
        DIR *d = opendir(dir);
        if (!d)
                fail_msg("%s: %m", dir);
        struct dirent *de;
        while ((de = readdir(d))) {
                size_t n = strlen(de->d_name);
                bool network = n > 8 && streq(de->d_name + n - 8, ".network");
                bool netdev = n > 7 && streq(de->d_name + n - 7, ".netdev");
                if (!network && !netdev)
                        continue;
                _cleanup_free_ char *path = kn_xasprintf("%s/%s", dir, de->d_name);
                add_file(out, path, netdev);
        }
        closedir(d);
}

/* ---- comparing ---- */

static bool in_list(const char *const *list, const char *key) {
        for (; list && *list; list++)
                if (streq(*list, key))
                        return true;
        return false;
}

/* Why a difference is fine, or NULL. */
static const char *allowed(const np_case *c, const kvs *ours, const kvs *theirs, const char *key) {
        const char *dot = strchr(key, ' ') + 1;
        const kv *o = kvs_get(ours, key), *t = kvs_get(theirs, key);
        if (in_list(c->differ, key))
                return c->why;
        for (size_t k = 0; k < ELEMENTSOF(netplan_only); k++)
                if (!o && streq(dot, netplan_only[k].key))
                        return netplan_only[k].why;
        if (!o && t && streq(dot, "Link.RequiredForOnline") && streq(t->value, "no")) {
                _cleanup_free_ char *policy = kn_xstrndup(key, (size_t) (dot - key));
                char *p = kn_xasprintf("%sLink.ActivationPolicy", policy);
                const kv *a = kvs_get(ours, p);
                free(p);
                if (a && streq(a->value, "manual"))
                        return manual_rfo_why;
        }
        return NULL;
}

static int cmp_kv(const void *a, const void *b) {
        return strcmp(((const kv *) a)->key, ((const kv *) b)->key);
}

static void check_case(void **state) {
        const np_case *c = *state;
        _cleanup_free_ char *ours_root = test_tmpdir(), *their_root = test_tmpdir();

        bt_define_ok(ours_root, "networkd", c->xml);
        _cleanup_free_ char *yaml =
                kn_xasprintf("network:\n  version: 2\n  renderer: networkd\n%s", c->yaml);
        bt_write_mode(their_root, "etc/netplan/90-kvmnet-test.yaml", yaml, 0600);
        int r = test_run("netplan generate --root-dir '%s' >'%s/netplan.log' 2>&1", their_root,
                         their_root);
        if (r != 0) {
                test_run("cat '%s/netplan.log'", their_root);
                fail_msg("%s: netplan generate failed", c->name);
        }

        kvs ours = {0}, theirs = {0}, all = {0};
        _cleanup_free_ char *od = kn_xasprintf("%s/etc/systemd/network", ours_root);
        _cleanup_free_ char *td = kn_xasprintf("%s/run/systemd/network", their_root);
        read_dir(od, &ours);
        read_dir(td, &theirs);
        for (size_t k = 0; k < ours.n; k++)
                if (!kvs_get(&all, ours.v[k].key)) {
                        GREEDY_REALLOC(all.v, all.alloc, all.n + 1);
                        all.v[all.n++] = (kv){kn_xstrdup(ours.v[k].key), NULL};
                }
        for (size_t k = 0; k < theirs.n; k++)
                if (!kvs_get(&all, theirs.v[k].key)) {
                        GREEDY_REALLOC(all.v, all.alloc, all.n + 1);
                        all.v[all.n++] = (kv){kn_xstrdup(theirs.v[k].key), NULL};
                }
        qsort(all.v, all.n, sizeof *all.v, cmp_kv);

        printf("--- %s\n", c->name);
        size_t bad = 0;
        for (size_t k = 0; k < all.n; k++) {
                const char *key = all.v[k].key;
                const kv *o = kvs_get(&ours, key), *t = kvs_get(&theirs, key);
                const char *why = NULL;
                if (o && t && streq(o->value, t->value))
                        printf("  =  %-44s %s\n", key, o->value);
                else if ((why = allowed(c, &ours, &theirs, key)))
                        printf("  ~  %-44s kvmnet: %s | netplan: %s\n       (%s)\n", key,
                               o ? o->value : "-", t ? t->value : "-", why);
                else {
                        printf("  !! %-44s kvmnet: %s | netplan: %s\n", key, o ? o->value : "-",
                               t ? t->value : "-");
                        bad++;
                }
        }
        for (const char *const *e = c->equal; *e; e++) {
                const kv *o = kvs_get(&ours, *e), *t = kvs_get(&theirs, *e);
                if (!o || !t || !streq(o->value, t->value)) {
                        printf("  !! %s: expected present and equal in both\n", *e);
                        bad++;
                }
        }
        kvs_done(&ours);
        kvs_done(&theirs);
        kvs_done(&all);
        test_rmtree(ours_root);
        test_rmtree(their_root);
        if (bad)
                fail_msg("%s: %zu difference(s) with netplan (marked !! above)", c->name, bad);
}

int main(int argc, char **argv) {
        if (test_run("command -v netplan >/dev/null 2>&1") != 0) {
                printf("SKIP: netplan is not installed (Debian package netplan.io), so there "
                       "is nothing to cross-check the networkd backend against\n");
                return 77;
        }
        struct CMUnitTest tests[ELEMENTSOF(cases)];
        for (size_t k = 0; k < ELEMENTSOF(cases); k++)
                tests[k] = (struct CMUnitTest){
                        .name = cases[k].name,
                        .test_func = check_case,
                        .initial_state = (void *) &cases[k],
                };
        return _cmocka_run_group_tests("netplan-networkd", tests, ELEMENTSOF(tests), NULL, NULL);
}
