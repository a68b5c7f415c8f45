/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Guest definitions (the libvirt domain XML subset, docs/guests.md):
 * parse -> format -> parse round trips, libvirt's schema accepts what is
 * printed (virt-xml-validate FILE domain), and every kind of bad input
 * gets one error naming the line or field and what is valid. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kvmnet/guest.h"
#include "strbuf.h"
#include "testutil.h"

static void assert_contains(const char *hay, const char *needle) {
        if (!strstr(hay, needle))
                fail_msg("'%s' does not contain '%s'", hay, needle);
}

/* A full definition: every element kvmnet reads, and values that need
 * escaping. */
static const char FULL[] =
        "<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n"
        "  <name>vm-1_a.b+c</name>\n"
        "  <memory unit='GiB'>2</memory>\n"
        "  <vcpu>4</vcpu>\n"
        "  <os>\n"
        "    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>\n"
        "    <kernel>/boot/vmlinuz &amp; co</kernel>\n"
        "    <initrd>/boot/initrd.img</initrd>\n"
        "    <cmdline>console=ttyS0 root=\"/dev/vda\" x='1'</cmdline>\n"
        "  </os>\n"
        "  <devices>\n"
        "    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n"
        "    <disk type='file' device='disk'>\n"
        "      <driver name='qemu' type='raw'/>\n"
        "      <source file='/var/lib/images/vm 1.img'/>\n"
        "      <target dev='vda' bus='virtio'/>\n"
        "    </disk>\n"
        "    <controller type='pci' index='0' model='pcie-root'/>\n"
        "    <controller type='pci' model='pcie-root-port'/>\n"
        "    <controller type='pci' model='pcie-root-port'/>\n"
        "    <interface type='bridge'>\n"
        "      <mac address='52:54:00:AA:00:01'/>\n"
        "      <source bridge='br0'/>\n"
        "      <model type='virtio'/>\n"
        "      <driver name='vhost' queues='4'/>\n"
        "      <target dev='vm1-eth0'/>\n"
        "    </interface>\n"
        "    <interface type='bridge'>\n"
        "      <source bridge='br1'/>\n"
        "    </interface>\n"
        "    <serial type='file'>\n"
        "      <source path='/var/log/vm1.log'/>\n"
        "      <target port='0'/>\n"
        "    </serial>\n"
        "  </devices>\n"
        "  <qemu:commandline>\n"
        "    <qemu:arg value='-chardev'/>\n"
        "    <qemu:arg value='socket,id=c&lt;1&gt;,path=/tmp/&apos;x&apos;'/>\n"
        "  </qemu:commandline>\n"
        "</domain>\n";

static void test_round_trip(void **state) {
        kn_guest_def *d = NULL, *d2 = NULL;
        kn_error err = {0};
        if (kn_guest_def_parse(FULL, &d, &err) < 0)
                fail_msg("%s", err.message);
        assert_string_equal(d->name, "vm-1_a.b+c");
        assert_true(d->kvm);
        assert_int_equal(d->memory_kib, 2 * 1024 * 1024);
        assert_int_equal(d->vcpus, 4);
        assert_string_equal(d->machine, "q35");
        assert_string_equal(d->kernel, "/boot/vmlinuz & co");
        assert_string_equal(d->cmdline, "console=ttyS0 root=\"/dev/vda\" x='1'");
        assert_string_equal(d->disk, "/var/lib/images/vm 1.img");
        assert_string_equal(d->serial_log, "/var/log/vm1.log");
        assert_int_equal(d->root_ports, 2);
        assert_int_equal(d->n_nics, 2);
        assert_true(d->nics[0].has_mac);
        assert_int_equal(d->nics[0].mac[3], 0xaa);
        assert_int_equal(d->nics[0].queues, 4);
        assert_string_equal(d->nics[0].target, "vm1-eth0");
        assert_false(d->nics[1].has_mac);
        assert_int_equal(d->nics[1].queues, 1);
        assert_int_equal(d->n_qemu_args, 2);
        assert_string_equal(d->qemu_args[1], "socket,id=c<1>,path=/tmp/'x'");

        char *xml = kn_guest_def_format(d);
        if (kn_guest_def_parse(xml, &d2, &err) < 0)
                fail_msg("%s in:\n%s", err.message, xml);
        char *xml2 = kn_guest_def_format(d2);
        assert_string_equal(xml, xml2);
        assert_string_equal(d2->qemu_args[1], d->qemu_args[1]);
        assert_string_equal(d2->cmdline, d->cmdline);
        assert_int_equal(d2->root_ports, 2);
        free(xml);
        free(xml2);
        kn_guest_def_free(d);
        kn_guest_def_free(d2);
}

/* What guest-dumpxml prints must pass libvirt's own schema. */
static void assert_domain_valid(const char *xml) {
        char *dir = test_tmpdir();
        char *path = kn_xasprintf("%s/domain.xml", dir);
        test_write_file(path, xml);
        int r = test_run("virt-xml-validate '%s' domain >/dev/null 2>&1", path);
        if (r != 0) {
                fprintf(stderr, "virt-xml-validate rejected:\n%s", xml);
                test_run("virt-xml-validate '%s' domain", path);
        }
        test_rmtree(dir);
        free(path);
        free(dir);
        assert_int_equal(r, 0);
}

static const char MINIMAL_PC[] = "<domain type='qemu'><name>m</name><memory>65536</memory>"
                                 "<devices><disk type='file'><source file='/x.img'/></disk>"
                                 "</devices></domain>";

static void test_libvirt_schema(void **state) {
        if (test_run("command -v virt-xml-validate >/dev/null") != 0)
                skip(); /* Debian package libvirt-clients */
        const char *docs[] = {FULL, MINIMAL_PC};
        for (size_t k = 0; k < ELEMENTSOF(docs); k++) {
                kn_guest_def *d = NULL;
                kn_error err = {0};
                if (kn_guest_def_parse(docs[k], &d, &err) < 0)
                        fail_msg("%s", err.message);
                char *xml = kn_guest_def_format(d);
                assert_domain_valid(xml);
                free(xml);
                kn_guest_def_free(d);
        }
}

/* The name is checked (kvmnet/name.h) by the parser, before it reaches a
 * path. */
static void test_names(void **state) {
        kn_error err = {0};
        kn_guest_def *d = NULL;
        assert_int_equal(kn_guest_def_parse("<domain type='qemu'><name>../../x</name>"
                                            "<memory>65536</memory></domain>",
                                            &d, &err),
                         -EINVAL);
        assert_contains(err.message, "'../../x'");
        assert_null(d);
}

/* Parse doc; expect EINVAL (or code) with msg in the message. */
static void expect_bad(const char *doc, int code, const char *msg) {
        kn_guest_def *d = NULL;
        kn_error err = {0};
        int r = kn_guest_def_parse(doc, &d, &err);
        if (r != -code)
                fail_msg("expected %d for:\n%s\ngot %d: %s", -code, doc, r, err.message);
        assert_null(d);
        assert_contains(err.message, msg);
}

#define DOC(devices, extra)                                                                        \
        "<domain type='qemu'>\n<name>t</name>\n<memory unit='MiB'>64</memory>\n" extra             \
        "<devices>\n<disk type='file'><source file='/x.img'/></disk>\n" devices "</devices>\n"     \
        "</domain>\n"

static void test_unknown(void **state) {
        expect_bad(DOC("", "<features><acpi/></features>\n"), EINVAL,
                   "line 4: <features> in <domain> is not supported (valid: name, memory, vcpu, "
                   "os, devices, qemu:commandline)");
        expect_bad(DOC("", "<vcpu placement='static'>2</vcpu>\n"), EINVAL,
                   "line 4: attribute 'placement' of <vcpu> is not supported (valid: none)");
        expect_bad(DOC("<interface type='bridge'><source bridge='br0'/>\n<link state='up'/>"
                       "</interface>\n",
                       ""),
                   EINVAL,
                   "line 7: <link> in <interface> is not supported (valid: source, mac, model, "
                   "driver, target)");
        expect_bad(DOC("<interface type='bridge' trustGuestRxFilters='yes'><source "
                       "bridge='br0'/></interface>\n",
                       ""),
                   EINVAL, "line 6: attribute 'trustGuestRxFilters' of <interface>");
        expect_bad(DOC("<interface type='bridge'><source bridge='br0' mode='vepa'/></interface>\n",
                       ""),
                   EINVAL,
                   "line 6: attribute 'mode' of <source> is not supported (valid: bridge, "
                   "network)");
        expect_bad(DOC("<video/>\n", ""), EINVAL,
                   "line 6: <video> in <devices> is not supported (valid: emulator, disk, "
                   "serial, controller, interface)");
        expect_bad(DOC("<controller type='usb'/>\n", ""), EINVAL,
                   "line 6: <controller type='usb' model=''> is not supported");
        expect_bad(DOC("", "<os><type>hvm</type><boot dev='hd'/></os>\n"), EINVAL,
                   "line 4: <boot> in <os> is not supported (valid: type, kernel, initrd, "
                   "cmdline)");
        expect_bad(DOC("", "<memory>65536</memory>\n"), EINVAL,
                   "line 4: <memory> appears twice in <domain> (first on line 3)");
        expect_bad("<domain type='qemu' xmlns:x='urn:x'><name>t</name><memory>65536</memory>"
                   "<x:meta/></domain>",
                   EINVAL, "line 1: <x:meta> in <domain> is not supported");
        expect_bad("<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>"
                   "<name>t</name><memory>65536</memory>\n<qemu:commandline>\n"
                   "<qemu:env name='A' value='b'/></qemu:commandline></domain>",
                   EINVAL,
                   "line 3: <qemu:env> in <qemu:commandline> is not supported (valid: qemu:arg)");
        /* control: the skeleton itself is fine */
        kn_guest_def *d = NULL;
        kn_error err = {0};
        assert_int_equal(kn_guest_def_parse(DOC("", ""), &d, &err), 0);
        kn_guest_def_free(d);
}

static void test_values(void **state) {
        expect_bad(DOC("<interface type='bridge'><source bridge='br0'/>\n"
                       "<mac address='52:54:00:zz:00:01'/></interface>\n",
                       ""),
                   EINVAL,
                   "line 7: <mac address='52:54:00:zz:00:01'> is not a MAC address (valid: six "
                   "hex bytes, e.g. 52:54:00:12:34:56)");
        expect_bad(DOC("<interface type='bridge'><source bridge='br0'/>\n"
                       "<mac address='52:54:00:00:01'/></interface>\n",
                       ""),
                   EINVAL, "<mac address='52:54:00:00:01'> is not a MAC address");
        expect_bad(DOC("<interface type='bridge'><source bridge='br0'/>\n"
                       "<mac address='01:00:5e:00:00:01'/></interface>\n",
                       ""),
                   EINVAL, "line 7: MAC 01:00:5e:00:00:01 is a multicast address");
        expect_bad(DOC("<interface type='bridge'><source bridge='br0'/><mac "
                       "address='52:54:00:00:00:01'/></interface>\n<interface "
                       "type='bridge'><source bridge='br1'/><mac "
                       "address='52:54:00:00:00:01'/></interface>\n",
                       ""),
                   EEXIST, "guest t: two interfaces with MAC 52:54:00:00:00:01");
        expect_bad(DOC("<interface type='direct'><source dev='eth0'/></interface>\n", ""), EINVAL,
                   "<interface type='direct'> is not supported (valid: bridge, network)");
        expect_bad(DOC("<interface type='bridge'><source bridge='br0'/><driver "
                       "queues='0'/></interface>\n",
                       ""),
                   EINVAL, "<driver queues='0'> out of range (valid: 1..256)");
        expect_bad(DOC("<interface type='bridge'><source bridge='br0'/><driver "
                       "queues='257'/></interface>\n",
                       ""),
                   EINVAL, "<driver queues='257'> out of range (valid: 1..256)");
        expect_bad(DOC("<interface type='bridge'><source bridge='br0'/><target "
                       "dev='../../etc/x'/></interface>\n",
                       ""),
                   EINVAL, "<target dev>");
        /* machines */
        expect_bad(DOC("", "<os><type machine='virt'>hvm</type></os>\n"), EINVAL,
                   "line 4: guest t: machine 'virt' is not supported (valid: pc, q35, "
                   "pc-i440fx-*, pc-q35-*)");
        expect_bad(DOC("", "<os><type machine='microvm'>hvm</type></os>\n"), EINVAL,
                   "machine 'microvm' is not supported");
        expect_bad(DOC("", "<os><type arch='aarch64' machine='pc'>hvm</type></os>\n"), EINVAL,
                   "arch 'aarch64' is not supported (valid: x86_64)");
        expect_bad(DOC("", "<os><type machine='pc'>xen</type></os>\n"), EINVAL,
                   "<type>xen</type> is not supported (valid: hvm)");
        expect_bad(DOC("<controller type='pci' model='pcie-root-port'/>\n",
                       "<os><type machine='pc'>hvm</type></os>\n"),
                   EINVAL, "pcie-root-port controllers need machine q35");
        expect_bad("<domain type='xen'><name>t</name></domain>", EINVAL,
                   "<domain type='xen'> is not supported (valid: kvm, qemu)");
        expect_bad("<domain type='qemu'><name>t</name>", EINVAL, "not well-formed XML");
        expect_bad("<network/>", EINVAL, "the document's root must be <domain>, not <network>");
}

static void test_machines(void **state) {
        static const struct {
                const char *machine, *want;
        } ok[] = {{"pc", "pc"},
                  {"pc-i440fx-7.2", "pc"},
                  {"q35", "q35"},
                  {"pc-q35-7.2", "q35"},
                  {NULL, "pc"}};
        for (size_t k = 0; k < ELEMENTSOF(ok); k++) {
                char *doc = ok[k].machine ? kn_xasprintf(DOC("", "<os><type machine='%s'>hvm"
                                                                 "</type></os>\n"),
                                                         ok[k].machine)
                                          : kn_xstrdup(DOC("", ""));
                kn_guest_def *d = NULL;
                kn_error err = {0};
                if (kn_guest_def_parse(doc, &d, &err) < 0)
                        fail_msg("%s: %s", doc, err.message);
                assert_string_equal(d->machine, ok[k].want);
                /* q35 without controllers gets the default reserve */
                if (streq(ok[k].want, "q35"))
                        assert_int_equal(d->root_ports, KN_GUEST_DEFAULT_ROOT_PORTS);
                kn_guest_def_free(d);
                free(doc);
        }
}

static void test_bounds(void **state) {
        static const struct {
                const char *memory;
                uint64_t kib; /* 0: refused */
        } mem[] = {
                {"<memory unit='MiB'>15</memory>", 0},
                {"<memory unit='MiB'>16</memory>", 16 * 1024},
                {"<memory>16383</memory>", 0},
                {"<memory unit='KiB'>16384</memory>", 16384},
                {"<memory unit='TiB'>1</memory>", 0}, /* unit unknown */
                {"<memory unit='GiB'>4096</memory>", 4ULL * 1024 * 1024 * 1024},
                {"<memory unit='GiB'>4097</memory>", 0},
                {"<memory unit='GB'>1</memory>", 976562},
                {"<memory unit='b'>1073741824</memory>", 1024 * 1024},
                {"<memory>-5</memory>", 0},
                {"<memory>12abc</memory>", 0},
                {"<memory>99999999999999999999999</memory>", 0},
        };
        for (size_t k = 0; k < ELEMENTSOF(mem); k++) {
                char *doc = kn_xasprintf("<domain type='qemu'><name>t</name>%s<devices><disk "
                                         "type='file'><source file='/x'/></disk></devices>"
                                         "</domain>",
                                         mem[k].memory);
                kn_guest_def *d = NULL;
                kn_error err = {0};
                int r = kn_guest_def_parse(doc, &d, &err);
                if (mem[k].kib) {
                        if (r < 0)
                                fail_msg("%s: %s", mem[k].memory, err.message);
                        assert_int_equal(d->memory_kib, mem[k].kib);
                } else {
                        if (r != -EINVAL)
                                fail_msg("%s accepted", mem[k].memory);
                        assert_contains(err.message, "memory");
                }
                kn_guest_def_free(d);
                free(doc);
        }
        expect_bad(DOC("", "<vcpu>0</vcpu>\n"), EINVAL,
                   "line 4: <vcpu> '0' out of range (valid: 1..255)");
        expect_bad(DOC("", "<vcpu>256</vcpu>\n"), EINVAL, "<vcpu> '256' out of range");
        expect_bad(DOC("", "<vcpu>two</vcpu>\n"), EINVAL, "<vcpu> 'two' out of range");
        kn_guest_def *d = NULL;
        kn_error err = {0};
        assert_int_equal(kn_guest_def_parse(DOC("", "<vcpu>255</vcpu>\n"), &d, &err), 0);
        assert_int_equal(d->vcpus, 255);
        kn_guest_def_free(d);
        expect_bad("<domain type='qemu'><name>t</name></domain>", EINVAL,
                   "guest t: <memory> is required");
        expect_bad("<domain type='qemu'><name>t</name><memory>65536</memory></domain>", EINVAL,
                   "nothing to boot: give <os><kernel> or a <disk>");
}

/* <interface> alone, as attach-device / detach-device take it. */
static void test_interface(void **state) {
        kn_guest_nic nic;
        kn_error err = {0};
        assert_int_equal(kn_guest_nic_parse("<interface type='bridge'>\n"
                                            "  <mac address='52:54:00:12:34:56'/>\n"
                                            "  <source bridge='br0'/>\n"
                                            "  <model type='virtio'/>\n"
                                            "  <driver name='vhost' queues='2'/>\n"
                                            "</interface>",
                                            &nic, &err),
                         0);
        assert_string_equal(nic.source, "br0");
        assert_int_equal(nic.queues, 2);
        kn_guest_nic_done(&nic);
        assert_int_equal(kn_guest_nic_parse("<interface type='bridge'>\n<source bridge='br0'/>\n"
                                            "<alias name='net0'/>\n</interface>",
                                            &nic, &err),
                         -EINVAL);
        assert_contains(err.message, "line 3: <alias> in <interface> is not supported");
        kn_error_clear(&err);
        assert_int_equal(kn_guest_nic_parse("<interface type='bridge'><source bridge='br0'/>"
                                            "<driver name='vfio'/></interface>",
                                            &nic, &err),
                         -EINVAL);
        assert_contains(err.message, "<driver name='vfio'> is not supported (valid: vhost, qemu)");
        kn_error_clear(&err);
        assert_int_equal(kn_guest_nic_parse("<interface type='bridge'/>", &nic, &err), -EINVAL);
        assert_contains(err.message, "needs <source bridge='...'/>");
        kn_error_clear(&err);
        assert_int_equal(kn_guest_nic_parse("<domain/>", &nic, &err), -EINVAL);
        assert_contains(err.message, "root must be <interface>, not <domain>");
        kn_error_clear(&err);
}

/* type='network': the network is the source; its bridge is resolved at
 * attach, never read from or printed to XML. */
static void test_network_nic(void **state) {
        kn_guest_nic nic, copy;
        kn_error err = {0};
        assert_int_equal(kn_guest_nic_parse("<interface type='network'><source network='lab'/>"
                                            "<mac address='52:54:00:12:34:57'/></interface>",
                                            &nic, &err),
                         0);
        assert_string_equal(nic.type, "network");
        assert_string_equal(nic.source, "lab");
        assert_null(nic.bridge);
        assert_null(kn_guest_nic_bridge(&nic));
        nic.bridge = strdup("kvbr3");
        assert_string_equal(kn_guest_nic_bridge(&nic), "kvbr3");
        kn_guest_nic_copy(&nic, &copy);
        assert_string_equal(copy.bridge, "kvbr3");
        kn_strbuf b = {0};
        kn_guest_nic_format(&copy, "", &b);
        assert_contains(b.s, "<interface type='network'>\n  <source network='lab'/>\n");
        assert_null(strstr(b.s, "kvbr3"));
        free(b.s);
        kn_guest_nic_done(&copy);
        kn_guest_nic_done(&nic);
        assert_int_equal(kn_guest_nic_parse("<interface type='network'><source "
                                            "network='../etc'/></interface>",
                                            &nic, &err),
                         -EINVAL);
        assert_contains(err.message, "<source network>: network name '../etc' starts with '.'");
        kn_error_clear(&err);
        assert_int_equal(kn_guest_nic_parse("<interface type='network'><source bridge='br0'/>"
                                            "</interface>",
                                            &nic, &err),
                         -EINVAL);
        assert_contains(err.message, "needs <source network='...'/>");
        kn_error_clear(&err);
        assert_int_equal(kn_guest_nic_parse("<interface type='bridge'><source bridge='br0'/>"
                                            "</interface>",
                                            &nic, &err),
                         0);
        assert_string_equal(kn_guest_nic_bridge(&nic), "br0");
        kn_guest_nic_done(&nic);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_round_trip),  cmocka_unit_test(test_libvirt_schema),
                cmocka_unit_test(test_names),       cmocka_unit_test(test_unknown),
                cmocka_unit_test(test_values),      cmocka_unit_test(test_machines),
                cmocka_unit_test(test_bounds),      cmocka_unit_test(test_interface),
                cmocka_unit_test(test_network_nic),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
