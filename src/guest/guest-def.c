/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Guest definitions: the subset of libvirt's domain XML kvmnet reads and
 * writes (docs/guests.md), and the domain <interface> element. */
#include <ctype.h>
#include <inttypes.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "kvmnet/guest.h"
#include "kvmnet/tap.h"
#include "macro.h"
#include "strbuf.h"
#include "xml-walk.h"

#define QEMU_NS "http://libvirt.org/schemas/domain/qemu/1.0"

int kn_guest_mac_parse(const char *s, uint8_t mac[6]) {
        return kn_mac_from_string(s, mac);
}

void kn_guest_mac_format(const uint8_t mac[6], char out[18]) {
        kn_mac_to_string(mac, out);
}

/* ---- the strict-XML walker (src/util/xml-walk.h), with this file's wording ---- */

static int say(kn_xml *x, const kn_xml_fault_info *f);

#define WALKER(e)                                                                                  \
        { .source = NULL, .err = (e), .say = say, .ns_href = QEMU_NS, .ns_prefix = "qemu" }

static const kn_xml guest_ns = WALKER(NULL);

static xmlNode *child(const xmlNode *n, const char *name) {
        return kn_xml_child(&guest_ns, n, name);
}

static int parse_uint(const char *s, uint64_t max, uint64_t *ret) {
        char *end;
        if (isempty(s) || !isdigit((unsigned char) *s))
                return -EINVAL;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || *end || v > max)
                return -EINVAL;
        *ret = v;
        return 0;
}

static xmlDoc *read_doc(const char *xml, const char *what, kn_error *err) {
        kn_xml x = WALKER(err);
        x.source = what;
        xmlDoc *doc = NULL;
        return kn_xml_read(&x, xml, strlen(xml), &doc) < 0 ? NULL : doc;
}

/* ---- what may appear where ----
 *
 * Everything kvmnet reads is listed here; anything else (an element, an
 * attribute) is an error naming it, its line and what is valid, so a
 * definition never silently means less than it says. */

#define L(...) ((const char *const[]){__VA_ARGS__, NULL})
static const kn_xml_rule xml_rules[] = {
        {.where = "domain",
         .attrs = L("type"),
         .children = L("name", "memory", "vcpu", "os", "devices", "qemu:commandline"),
         .kind_attr = "type",
         .kinds = L("kvm", "qemu")},
        {.where = "name"},
        {.where = "memory", .attrs = L("unit")},
        {.where = "vcpu"},
        {.where = "os", .children = L("type", "kernel", "initrd", "cmdline")},
        {.where = "os/type", .attrs = L("arch", "machine")},
        {.where = "kernel"},
        {.where = "initrd"},
        {.where = "cmdline"},
        {.where = "devices",
         .children = L("emulator", "disk", "serial", "controller", "interface"),
         .repeat = L("disk", "serial", "controller", "interface")},
        {.where = "emulator"},
        {.where = "disk",
         .attrs = L("type", "device"),
         .children = L("source", "target", "driver"),
         .kind_attr = "type",
         .kinds = L("file")},
        {.where = "disk/source", .attrs = L("file")},
        {.where = "disk/target", .attrs = L("dev", "bus")},
        {.where = "disk/driver", .attrs = L("name", "type")},
        {.where = "serial",
         .attrs = L("type"),
         .children = L("source", "target"),
         .kind_attr = "type",
         .kinds = L("file")},
        {.where = "serial/source", .attrs = L("path")},
        {.where = "serial/target", .attrs = L("type", "port")},
        {.where = "controller", .attrs = L("type", "index", "model")},
        {.where = "interface",
         .attrs = L("type"),
         .children = L("source", "mac", "model", "driver", "target"),
         .kind_attr = "type",
         .kinds = L("bridge", "network")},
        {.where = "interface/source", .attrs = L("bridge", "network")},
        {.where = "mac", .attrs = L("address")},
        {.where = "interface/model", .attrs = L("type")},
        {.where = "interface/driver", .attrs = L("name", "queues")},
        {.where = "interface/target", .attrs = L("dev")},
        {.where = "qemu:commandline", .children = L("qemu:arg"), .repeat = L("qemu:arg")},
        {.where = "qemu:arg", .attrs = L("value")},
};
#undef L

/* Messages as guest definitions always worded them: "line N: ...". */
static int say(kn_xml *x, const kn_xml_fault_info *f) {
        char name[128];
        if (f->node)
                kn_xml_node_name(x, f->node, name, sizeof name);
        switch (f->fault) {
        case KN_XML_MALFORMED:
                return kn_error_set(x->err, EINVAL, "%s: not well-formed XML: %s (line %ld)",
                                    x->source, f->value, f->line);
        case KN_XML_BAD_KIND:
                return kn_error_set(x->err, EINVAL,
                                    "line %ld: <%s %s='%s'> is not supported (valid: %s)", f->line,
                                    name, f->name, f->value, f->valid);
        case KN_XML_UNKNOWN_ATTR:
                return kn_error_set(x->err, EINVAL,
                                    "line %ld: attribute '%s' of <%s> is not supported (valid: %s)",
                                    f->line, f->name, name, f->valid);
        case KN_XML_UNKNOWN_CHILD:
                return kn_error_set(x->err, EINVAL,
                                    "line %ld: <%s> in <%s> is not supported (valid: %s)", f->line,
                                    f->name, f->parent_name, f->valid);
        case KN_XML_TWICE:
                return kn_error_set(x->err, EINVAL,
                                    "line %ld: <%s> appears twice in <%s> (first on line %ld)",
                                    f->line, f->name, f->parent_name, xmlGetLineNo(f->first));
        }
        return -EINVAL;
}

static int check_document(const xmlNode *root, kn_error *err) {
        kn_xml x = WALKER(err);
        return kn_xml_check_tree(&x, root, xml_rules, ELEMENTSOF(xml_rules));
}

/* ---- <interface> ---- */

void kn_guest_nic_done(kn_guest_nic *nic) {
        free(nic->type);
        free(nic->source);
        free(nic->model);
        free(nic->target);
        free(nic->bridge);
        *nic = (kn_guest_nic){0};
}

const char *kn_guest_nic_bridge(const kn_guest_nic *nic) {
        return streq_ptr(nic->type, "bridge") ? nic->source : nic->bridge;
}

int kn_guest_nic_copy(const kn_guest_nic *from, kn_guest_nic *to) {
        *to = *from;
        to->type = from->type ? kn_xstrdup(from->type) : NULL;
        to->source = from->source ? kn_xstrdup(from->source) : NULL;
        to->model = from->model ? kn_xstrdup(from->model) : NULL;
        to->target = from->target ? kn_xstrdup(from->target) : NULL;
        to->bridge = from->bridge ? kn_xstrdup(from->bridge) : NULL;
        return 0;
}

int kn_guest_nic_from_node(void *node, kn_guest_nic *nic, kn_error *err) {
        xmlNode *n = node;
        *nic = (kn_guest_nic){.queues = 1};
        int line = n->line;
        nic->type = kn_xml_prop(n, "type");
        if (!nic->type || (!streq(nic->type, "bridge") && !streq(nic->type, "network"))) {
                kn_error_set(err, EINVAL,
                             "line %d: <interface type='%s'> is not supported (valid: bridge, "
                             "network)",
                             line, nic->type ? nic->type : "");
                goto fail;
        }
        const char *key = streq(nic->type, "bridge") ? "bridge" : "network";
        nic->source = kn_xml_prop(child(n, "source"), key);
        if (isempty(nic->source)) {
                kn_error_set(err, EINVAL, "line %d: <interface type='%s'> needs <source %s='...'/>",
                             line, nic->type, key);
                goto fail;
        }
        /* A network's name becomes a path when the api resolves it, a
         * bridge's goes to ioctl and netlink. */
        if (streq(key, "network") ? kn_object_name_validate(nic->source, "network", err) < 0
                                  : kn_ifname_validate(nic->source, "bridge", err) < 0) {
                kn_error_prefix(err, "line %d: <source %s>", line, key);
                goto fail;
        }
        xmlNode *m = child(n, "mac");
        if (m) {
                _cleanup_free_ char *a = kn_xml_prop(m, "address");
                if (kn_guest_mac_parse(a, nic->mac) < 0) {
                        kn_error_set(err, EINVAL,
                                     "line %d: <mac address='%s'> is not a MAC address (valid: "
                                     "six hex bytes, e.g. 52:54:00:12:34:56)",
                                     m->line, a ? a : "");
                        goto fail;
                }
                if (nic->mac[0] & 1) {
                        kn_error_set(err, EINVAL, "line %d: MAC %s is a multicast address", m->line,
                                     a);
                        goto fail;
                }
                nic->has_mac = true;
        }
        nic->model = kn_xml_prop(child(n, "model"), "type");
        if (!nic->model)
                nic->model = kn_xstrdup("virtio");
        char *dname = kn_xml_prop(child(n, "driver"), "name");
        if (dname && !streq(dname, "vhost") && !streq(dname, "qemu")) {
                kn_error_set(err, EINVAL,
                             "line %d: <driver name='%s'> is not supported (valid: vhost, qemu)",
                             child(n, "driver")->line, dname);
                free(dname);
                goto fail;
        }
        free(dname);
        char *q = kn_xml_prop(child(n, "driver"), "queues");
        if (q) {
                uint64_t v;
                if (parse_uint(q, KN_TAP_MAX_QUEUES, &v) < 0 || v < 1) {
                        kn_error_set(err, EINVAL,
                                     "line %d: <driver queues='%s'> out of range (valid: 1..%d)",
                                     line, q, KN_TAP_MAX_QUEUES);
                        free(q);
                        goto fail;
                }
                nic->queues = (unsigned) v;
                free(q);
        }
        nic->target = kn_xml_prop(child(n, "target"), "dev");
        if (nic->target) {
                int r = kn_ifname_validate(nic->target, "tap", err);
                if (r < 0) {
                        kn_error_prefix(err, "line %d: <target dev>", line);
                        goto fail;
                }
        }
        return 0;
fail:
        kn_guest_nic_done(nic);
        return -err->code;
}

int kn_guest_nic_parse(const char *xml, kn_guest_nic *ret, kn_error *err) {
        xmlDoc *doc = read_doc(xml, "interface XML", err);
        if (!doc)
                return -err->code;
        xmlNode *root = xmlDocGetRootElement(doc);
        int r;
        if (!root || !kn_xml_is(root, "interface"))
                r = kn_error_set(err, EINVAL, "the document's root must be <interface>, not <%s>",
                                 root ? (const char *) root->name : "");
        else if ((r = check_document(root, err)) >= 0)
                r = kn_guest_nic_from_node(root, ret, err);
        xmlFreeDoc(doc);
        return r;
}

void kn_guest_nic_format(const kn_guest_nic *nic, const char *ind, void *strbuf) {
        kn_strbuf *b = strbuf;
        char mac[18];
        kn_strbuf_printf(b, "%s<interface type='", ind);
        kn_strbuf_put_xml(b, nic->type);
        kn_strbuf_printf(b, "'>\n%s  <source %s='", ind,
                         streq(nic->type, "bridge") ? "bridge" : "network");
        kn_strbuf_put_xml(b, nic->source);
        kn_strbuf_puts(b, "'/>\n");
        if (nic->has_mac) {
                kn_guest_mac_format(nic->mac, mac);
                kn_strbuf_printf(b, "%s  <mac address='%s'/>\n", ind, mac);
        }
        if (nic->target) {
                kn_strbuf_printf(b, "%s  <target dev='", ind);
                kn_strbuf_put_xml(b, nic->target);
                kn_strbuf_puts(b, "'/>\n");
        }
        kn_strbuf_printf(b, "%s  <model type='", ind);
        kn_strbuf_put_xml(b, nic->model ? nic->model : "virtio");
        kn_strbuf_puts(b, "'/>\n");
        if (nic->queues > 1)
                kn_strbuf_printf(b, "%s  <driver name='vhost' queues='%u'/>\n", ind, nic->queues);
        kn_strbuf_printf(b, "%s</interface>\n", ind);
}

/* ---- <domain> ---- */

kn_guest_def *kn_guest_def_free(kn_guest_def *d) {
        if (!d)
                return NULL;
        free(d->name);
        free(d->machine);
        free(d->emulator);
        free(d->kernel);
        free(d->initrd);
        free(d->cmdline);
        free(d->disk);
        free(d->serial_log);
        for (size_t k = 0; k < d->n_nics; k++)
                kn_guest_nic_done(&d->nics[k]);
        free(d->nics);
        for (size_t k = 0; k < d->n_qemu_args; k++)
                free(d->qemu_args[k]);
        free(d->qemu_args);
        free(d);
        return NULL;
}

static int parse_memory(xmlNode *m, uint64_t *kib, kn_error *err) {
        _cleanup_free_ char *unit = kn_xml_prop(m, "unit");
        _cleanup_free_ char *v = kn_xml_text(m);
        static const struct {
                const char *unit;
                uint64_t mul, div;
        } units[] = {
                {"b", 1, 1024},        {"bytes", 1, 1024},      {"KB", 1000, 1024},
                {"k", 1, 1},           {"KiB", 1, 1},           {"MB", 1000000, 1024},
                {"M", 1024, 1},        {"MiB", 1024, 1},        {"GB", 1000000000, 1024},
                {"G", 1024 * 1024, 1}, {"GiB", 1024 * 1024, 1},
        };
        uint64_t n;
        if (parse_uint(v, UINT64_MAX / (1024 * 1024 * 1024ULL), &n) < 0)
                return kn_error_set(err, EINVAL, "line %d: <memory> '%s' is not a number", m->line,
                                    v ? v : "");
        if (!unit) {
                *kib = n;
                return 0;
        }
        for (size_t k = 0; k < ELEMENTSOF(units); k++)
                if (streq(units[k].unit, unit)) {
                        *kib = n * units[k].mul / units[k].div;
                        return 0;
                }
        return kn_error_set(err, EINVAL,
                            "line %d: <memory unit='%s'> unknown (valid: b, KiB, MiB, GiB, KB, "
                            "MB, GB)",
                            m->line, unit);
}

static int parse_devices(xmlNode *devs, kn_guest_def *d, kn_error *err) {
        size_t alloc = 0;
        for (xmlNode *c = devs ? devs->children : NULL; c; c = c->next) {
                if (c->type != XML_ELEMENT_NODE)
                        continue;
                if (kn_xml_is(c, "emulator")) {
                        free(d->emulator);
                        d->emulator = kn_xml_text(c);
                } else if (kn_xml_is(c, "disk")) {
                        if (d->disk)
                                return kn_error_set(err, EINVAL,
                                                    "line %d: only one <disk> is supported",
                                                    c->line);
                        _cleanup_free_ char *type = kn_xml_prop(c, "type");
                        _cleanup_free_ char *device = kn_xml_prop(c, "device");
                        _cleanup_free_ char *bus = kn_xml_prop(child(c, "target"), "bus");
                        _cleanup_free_ char *format = kn_xml_prop(child(c, "driver"), "type");
                        if ((type && !streq(type, "file")) || (device && !streq(device, "disk")) ||
                            (bus && !streq(bus, "virtio")) || (format && !streq(format, "raw")))
                                return kn_error_set(err, EINVAL,
                                                    "line %d: <disk> must be type='file' "
                                                    "device='disk', a raw image on the virtio "
                                                    "bus",
                                                    c->line);
                        d->disk = kn_xml_prop(child(c, "source"), "file");
                        if (isempty(d->disk))
                                return kn_error_set(err, EINVAL,
                                                    "line %d: <disk> needs <source file='...'/>",
                                                    c->line);
                } else if (kn_xml_is(c, "serial")) {
                        _cleanup_free_ char *type = kn_xml_prop(c, "type");
                        if (!streq_ptr(type, "file"))
                                return kn_error_set(err, EINVAL,
                                                    "line %d: <serial type='%s'> is not supported "
                                                    "(valid: file)",
                                                    c->line, type ? type : "");
                        free(d->serial_log);
                        d->serial_log = kn_xml_prop(child(c, "source"), "path");
                        if (isempty(d->serial_log) || d->serial_log[0] != '/')
                                return kn_error_set(err, EINVAL,
                                                    "line %d: <serial> needs <source path='/...'/> "
                                                    "(an absolute path)",
                                                    c->line);
                } else if (kn_xml_is(c, "controller")) {
                        _cleanup_free_ char *type = kn_xml_prop(c, "type");
                        _cleanup_free_ char *model = kn_xml_prop(c, "model");
                        if (streq_ptr(type, "pci") && streq_ptr(model, "pcie-root-port"))
                                d->root_ports++;
                        else if (!streq_ptr(type, "pci") ||
                                 !(streq_ptr(model, "pcie-root") || streq_ptr(model, "pci-root")))
                                return kn_error_set(err, EINVAL,
                                                    "line %d: <controller type='%s' model='%s'> "
                                                    "is not supported (valid: type='pci' with "
                                                    "model 'pcie-root-port', 'pcie-root' or "
                                                    "'pci-root')",
                                                    c->line, type ? type : "", model ? model : "");
                } else if (kn_xml_is(c, "interface")) {
                        GREEDY_REALLOC(d->nics, alloc, d->n_nics + 1);
                        int r = kn_guest_nic_from_node(c, &d->nics[d->n_nics], err);
                        if (r < 0)
                                return r;
                        d->n_nics++;
                } else
                        return kn_error_set(err, EINVAL,
                                            "line %d: <%s> in <devices> is not supported (valid: "
                                            "emulator, disk, serial, controller, interface)",
                                            c->line, (const char *) c->name);
        }
        return 0;
}

static int parse_qemu_args(xmlNode *root, kn_guest_def *d, kn_error *err) {
        size_t alloc = 0;
        for (xmlNode *c = root->children; c; c = c->next) {
                if (!kn_xml_is(c, "commandline") || !c->ns ||
                    !streq((const char *) c->ns->href, QEMU_NS))
                        continue;
                for (xmlNode *a = c->children; a; a = a->next) {
                        if (!kn_xml_is(a, "arg"))
                                continue;
                        char *v = kn_xml_prop(a, "value");
                        if (!v)
                                return kn_error_set(err, EINVAL,
                                                    "line %d: <qemu:arg> needs value='...'",
                                                    a->line);
                        GREEDY_REALLOC(d->qemu_args, alloc, d->n_qemu_args + 1);
                        d->qemu_args[d->n_qemu_args++] = v;
                }
        }
        return 0;
}

static int parse_domain(xmlNode *root, kn_guest_def *d, kn_error *err) {
        int r;
        if (!kn_xml_is(root, "domain"))
                return kn_error_set(err, EINVAL, "the document's root must be <domain>, not <%s>",
                                    (const char *) root->name);
        _cleanup_free_ char *type = kn_xml_prop(root, "type");
        if (!type || (!streq(type, "kvm") && !streq(type, "qemu")))
                return kn_error_set(err, EINVAL,
                                    "<domain type='%s'> is not supported (valid: kvm, qemu)",
                                    type ? type : "");
        d->kvm = streq(type, "kvm");
        r = check_document(root, err);
        if (r < 0)
                return r;
        d->name = kn_xml_text(child(root, "name"));
        r = kn_object_name_validate(d->name, "guest", err);
        if (r < 0)
                return r;
        xmlNode *m = child(root, "memory");
        if (!m)
                return kn_error_set(err, EINVAL, "guest %s: <memory> is required", d->name);
        r = parse_memory(m, &d->memory_kib, err);
        if (r < 0)
                return r;
        if (d->memory_kib < KN_GUEST_MEMORY_MIN_KIB || d->memory_kib > KN_GUEST_MEMORY_MAX_KIB)
                return kn_error_set(err, EINVAL,
                                    "guest %s: <memory> of %" PRIu64
                                    " KiB is out of range (valid: 16 MiB to 4 TiB)",
                                    d->name, d->memory_kib);
        d->vcpus = 1;
        xmlNode *v = child(root, "vcpu");
        if (v) {
                _cleanup_free_ char *s = kn_xml_text(v);
                uint64_t n;
                if (parse_uint(s, KN_GUEST_VCPUS_MAX, &n) < 0 || n < 1)
                        return kn_error_set(err, EINVAL,
                                            "line %d: <vcpu> '%s' out of range (valid: 1..255)",
                                            v->line, s ? s : "");
                d->vcpus = (unsigned) n;
        }
        xmlNode *os = child(root, "os");
        _cleanup_free_ char *machine = kn_xml_prop(child(os, "type"), "machine");
        _cleanup_free_ char *arch = kn_xml_prop(child(os, "type"), "arch");
        _cleanup_free_ char *ostype = kn_xml_text(child(os, "type"));
        if (arch && !streq(arch, "x86_64"))
                return kn_error_set(err, EINVAL,
                                    "line %d: guest %s: arch '%s' is not supported (valid: x86_64)",
                                    child(os, "type")->line, d->name, arch);
        if (ostype && !streq(ostype, "hvm"))
                return kn_error_set(err, EINVAL,
                                    "line %d: guest %s: <type>%s</type> is not supported (valid: "
                                    "hvm)",
                                    child(os, "type")->line, d->name, ostype);
        if (!machine || streq(machine, "pc") || strncmp(machine, "pc-i440fx", 9) == 0)
                d->machine = kn_xstrdup("pc");
        else if (streq(machine, "q35") || strncmp(machine, "pc-q35", 6) == 0)
                d->machine = kn_xstrdup("q35");
        else
                return kn_error_set(err, EINVAL,
                                    "line %d: guest %s: machine '%s' is not supported (valid: pc, "
                                    "q35, pc-i440fx-*, pc-q35-*)",
                                    child(os, "type")->line, d->name, machine);
        d->kernel = kn_xml_text(child(os, "kernel"));
        d->initrd = kn_xml_text(child(os, "initrd"));
        d->cmdline = kn_xml_text(child(os, "cmdline"));
        r = parse_devices(child(root, "devices"), d, err);
        if (r < 0) {
                kn_error_prefix(err, "guest %s", d->name);
                return r;
        }
        if (!d->kernel && !d->disk)
                return kn_error_set(err, EINVAL,
                                    "guest %s: nothing to boot: give <os><kernel> or a <disk>",
                                    d->name);
        if ((d->initrd || d->cmdline) && !d->kernel)
                return kn_error_set(err, EINVAL, "guest %s: <initrd>/<cmdline> need <kernel>",
                                    d->name);
        if (streq(d->machine, "pc") && d->root_ports)
                return kn_error_set(err, EINVAL,
                                    "guest %s: pcie-root-port controllers need machine q35",
                                    d->name);
        if (streq(d->machine, "q35") && !d->root_ports)
                d->root_ports = KN_GUEST_DEFAULT_ROOT_PORTS;
        for (size_t a = 0; a < d->n_nics; a++)
                for (size_t b = 0; b < a; b++)
                        if (d->nics[a].has_mac && d->nics[b].has_mac &&
                            memcmp(d->nics[a].mac, d->nics[b].mac, 6) == 0) {
                                char mac[18];
                                kn_guest_mac_format(d->nics[a].mac, mac);
                                return kn_error_set(err, EEXIST,
                                                    "guest %s: two interfaces with MAC %s", d->name,
                                                    mac);
                        }
        return parse_qemu_args(root, d, err);
}

int kn_guest_def_parse(const char *xml, kn_guest_def **ret, kn_error *err) {
        xmlDoc *doc = read_doc(xml, "domain XML", err);
        if (!doc)
                return -err->code;
        kn_guest_def *d = kn_xcalloc(1, sizeof *d);
        xmlNode *root = xmlDocGetRootElement(doc);
        int r = root ? parse_domain(root, d, err)
                     : kn_error_set(err, EINVAL, "domain XML: empty document");
        xmlFreeDoc(doc);
        if (r < 0) {
                kn_guest_def_free(d);
                return r;
        }
        *ret = d;
        return 0;
}

static void put_elem(kn_strbuf *b, const char *ind, const char *name, const char *value) {
        if (!value)
                return;
        kn_strbuf_printf(b, "%s<%s>", ind, name);
        kn_strbuf_put_xml(b, value);
        kn_strbuf_printf(b, "</%s>\n", name);
}

char *kn_guest_def_format(const kn_guest_def *d) {
        _cleanup_strbuf_ kn_strbuf b = {0};
        kn_strbuf_printf(&b, "<domain type='%s'%s>\n", d->kvm ? "kvm" : "qemu",
                         d->n_qemu_args ? " xmlns:qemu='" QEMU_NS "'" : "");
        put_elem(&b, "  ", "name", d->name);
        kn_strbuf_printf(&b, "  <memory unit='KiB'>%" PRIu64 "</memory>\n", d->memory_kib);
        kn_strbuf_printf(&b, "  <vcpu>%u</vcpu>\n", d->vcpus);
        kn_strbuf_printf(&b, "  <os>\n    <type arch='x86_64' machine='%s'>hvm</type>\n",
                         d->machine);
        put_elem(&b, "    ", "kernel", d->kernel);
        put_elem(&b, "    ", "initrd", d->initrd);
        put_elem(&b, "    ", "cmdline", d->cmdline);
        kn_strbuf_puts(&b, "  </os>\n  <devices>\n");
        put_elem(&b, "    ", "emulator", d->emulator);
        if (d->disk) {
                kn_strbuf_puts(&b, "    <disk type='file' device='disk'>\n      <source file='");
                kn_strbuf_put_xml(&b, d->disk);
                kn_strbuf_puts(&b, "'/>\n      <target dev='vda' bus='virtio'/>\n    </disk>\n");
        }
        if (streq(d->machine, "q35")) {
                kn_strbuf_puts(&b, "    <controller type='pci' model='pcie-root'/>\n");
                for (unsigned k = 0; k < d->root_ports; k++)
                        kn_strbuf_puts(&b, "    <controller type='pci' model='pcie-root-port'/>\n");
        }
        for (size_t k = 0; k < d->n_nics; k++)
                kn_guest_nic_format(&d->nics[k], "    ", &b);
        if (d->serial_log) {
                kn_strbuf_puts(&b, "    <serial type='file'>\n      <source path='");
                kn_strbuf_put_xml(&b, d->serial_log);
                kn_strbuf_puts(&b, "'/>\n    </serial>\n");
        }
        kn_strbuf_puts(&b, "  </devices>\n");
        if (d->n_qemu_args) {
                kn_strbuf_puts(&b, "  <qemu:commandline>\n");
                for (size_t k = 0; k < d->n_qemu_args; k++) {
                        kn_strbuf_puts(&b, "    <qemu:arg value='");
                        kn_strbuf_put_xml(&b, d->qemu_args[k]);
                        kn_strbuf_puts(&b, "'/>\n");
                }
                kn_strbuf_puts(&b, "  </qemu:commandline>\n");
        }
        kn_strbuf_puts(&b, "</domain>\n");
        return kn_strbuf_steal(&b);
}
