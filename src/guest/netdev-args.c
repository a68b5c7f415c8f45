/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "netdev-args.h"

#include <ctype.h>

#include "kvmnet/tap.h"
#include "macro.h"
#include "strbuf.h"

const char *kn_nic_model_driver(const char *model) {
        if (isempty(model) || streq(model, "virtio"))
                return "virtio-net-pci";
        return model;
}

/* QEMU's rule for ids: a letter, then letters, digits, '-', '.', '_'. */
static int check_id(const char *field, const char *id, kn_error *err) {
        if (isempty(id))
                return kn_error_set(err, EINVAL, "%s is empty", field);
        if (!isalpha((unsigned char) id[0]))
                return kn_error_set(err, EINVAL, "%s '%s' must start with a letter", field, id);
        for (const char *p = id; *p; p++)
                if (!isalnum((unsigned char) *p) && !strchr("-._", *p))
                        return kn_error_set(err, EINVAL,
                                            "%s '%s' contains '%c'; use letters, digits, '-', "
                                            "'.' or '_'",
                                            field, id, isprint((unsigned char) *p) ? *p : '?');
        return 0;
}

/* QEMU reads an fd "name" starting with a digit as an fd number, and
 * splits fds/vhostfds at ':'. */
static int check_fd_names(const char *field, const char *const *names, unsigned n, kn_error *err) {
        if (!names)
                return kn_error_set(err, EINVAL, "%s missing", field);
        for (unsigned i = 0; i < n; i++) {
                const char *s = names[i];
                if (isempty(s))
                        return kn_error_set(err, EINVAL, "%s[%u] is empty", field, i);
                if (isdigit((unsigned char) s[0]))
                        return kn_error_set(err, EINVAL,
                                            "%s[%u] '%s' starts with a digit (QEMU would take "
                                            "it for an fd number)",
                                            field, i, s);
                if (strchr(s, ':'))
                        return kn_error_set(err, EINVAL, "%s[%u] '%s' contains ':'", field, i, s);
        }
        return 0;
}

int kn_nic_spec_check(const kn_nic_spec *s, kn_error *err) {
        int r;
        if ((r = check_id("netdev id", s->netdev_id, err)) < 0 ||
            (r = check_id("device id", s->device_id, err)) < 0)
                return r;
        if (s->queues < 1 || s->queues > KN_TAP_MAX_QUEUES)
                return kn_error_set(err, EINVAL, "NIC %s: queues %u out of range 1..%d",
                                    s->device_id, s->queues, KN_TAP_MAX_QUEUES);
        if ((r = check_fd_names("tap fd names", s->fd_names, s->queues, err)) < 0)
                return r;
        if (s->vhost_fd_names &&
            (r = check_fd_names("vhost fd names", s->vhost_fd_names, s->queues, err)) < 0)
                return r;
        const char *driver = kn_nic_model_driver(s->model);
        if (s->queues > 1 && !streq(driver, "virtio-net-pci"))
                return kn_error_set(err, EINVAL, "NIC %s: %u queues need model virtio, not %s",
                                    s->device_id, s->queues, s->model);
        if (s->vhost_fd_names && !streq(driver, "virtio-net-pci"))
                return kn_error_set(err, EINVAL, "NIC %s: vhost-net needs model virtio, not %s",
                                    s->device_id, s->model);
        if (s->mac && (s->mac[0] & 1))
                return kn_error_set(err, EINVAL,
                                    "NIC %s: MAC %02x:%02x:%02x:%02x:%02x:%02x is a multicast "
                                    "address",
                                    s->device_id, s->mac[0], s->mac[1], s->mac[2], s->mac[3],
                                    s->mac[4], s->mac[5]);
        if (s->has_addr && (s->slot > 31 || s->function > 7))
                return kn_error_set(err, EINVAL,
                                    "NIC %s: PCI address slot %u function %u out of range "
                                    "(slot 0..31, function 0..7)",
                                    s->device_id, s->slot, s->function);
        return 0;
}

static void add_str(json_object *o, const char *key, const char *value) {
        json_object_object_add(o, key, json_object_new_string(value));
}

/* "a" for one queue (as QEMU's fd=/vhostfd=), "a:b:c" for several. */
static char *join_names(const char *const *names, unsigned n) {
        _cleanup_strbuf_ kn_strbuf b = {0};
        for (unsigned i = 0; i < n; i++) {
                if (i > 0)
                        kn_strbuf_putc(&b, ':');
                kn_strbuf_puts(&b, names[i]);
        }
        return kn_strbuf_steal(&b);
}

int kn_nic_netdev_add_args(const kn_nic_spec *s, json_object **ret, kn_error *err) {
        int r = kn_nic_spec_check(s, err);
        if (r < 0)
                return r;
        bool multi = s->queues > 1;
        json_object *o = json_object_new_object();
        add_str(o, "type", "tap");
        add_str(o, "id", s->netdev_id);
        _cleanup_free_ char *fds = join_names(s->fd_names, s->queues);
        add_str(o, multi ? "fds" : "fd", fds);
        if (s->vhost_fd_names) {
                _cleanup_free_ char *vfds = join_names(s->vhost_fd_names, s->queues);
                json_object_object_add(o, "vhost", json_object_new_boolean(true));
                add_str(o, multi ? "vhostfds" : "vhostfd", vfds);
        }
        *ret = o;
        return 0;
}

int kn_nic_device_add_args(const kn_nic_spec *s, json_object **ret, kn_error *err) {
        int r = kn_nic_spec_check(s, err);
        if (r < 0)
                return r;
        json_object *o = json_object_new_object();
        add_str(o, "driver", kn_nic_model_driver(s->model));
        add_str(o, "netdev", s->netdev_id);
        add_str(o, "id", s->device_id);
        if (s->mac) {
                char mac[18];
                snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", s->mac[0], s->mac[1],
                         s->mac[2], s->mac[3], s->mac[4], s->mac[5]);
                add_str(o, "mac", mac);
        }
        if (s->bus)
                add_str(o, "bus", s->bus);
        if (s->has_addr) {
                char addr[16];
                if (s->function > 0)
                        snprintf(addr, sizeof addr, "0x%x.0x%x", s->slot, s->function);
                else
                        snprintf(addr, sizeof addr, "0x%x", s->slot);
                add_str(o, "addr", addr);
        }
        if (s->queues > 1) {
                /* One MSI-X vector per rx and tx queue, plus config and control. */
                json_object_object_add(o, "mq", json_object_new_boolean(true));
                json_object_object_add(o, "vectors", json_object_new_int64(2 * s->queues + 2));
        }
        *ret = o;
        return 0;
}
