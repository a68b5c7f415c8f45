/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The exact QMP arguments of netdev_add and device_add for a guest NIC
 * backed by a tap kvmnet opened (and optionally vhost-net), with fds
 * passed beforehand by getfd.  Pure functions: no I/O, so what QEMU
 * would be told is unit-tested even where vhost-net does not exist. */

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "kvmnet/error.h"

typedef struct kn_nic_spec {
        const char *netdev_id;             /* backend id, e.g. "hostnet0" */
        const char *device_id;             /* frontend id, e.g. "net0" */
        unsigned queues;                   /* >= 1 */
        const char *const *fd_names;       /* queues getfd names of the tap fds */
        const char *const *vhost_fd_names; /* queues names of vhost-net fds, NULL: no vhost */
        const uint8_t *mac;                /* guest MAC; NULL lets QEMU pick */
        const char *model; /* libvirt model ("virtio") or QEMU driver; NULL: virtio */
        const char *bus;   /* e.g. "pci.0"; NULL lets QEMU pick */
        bool has_addr;     /* slot/function below are set */
        unsigned slot, function;
} kn_nic_spec;

/* QEMU device driver of a libvirt NIC model ("virtio" → "virtio-net-pci");
 * other names are taken as QEMU drivers already. */
const char *kn_nic_model_driver(const char *model);

/* Check ids, names, queue count and MAC; the message names the field. */
int kn_nic_spec_check(const kn_nic_spec *s, kn_error *err);

/* {"type": "tap", "id": …, "fd" | "fds": …, ["vhost": true, "vhostfd" | "vhostfds": …]} */
int kn_nic_netdev_add_args(const kn_nic_spec *s, json_object **ret, kn_error *err);

/* {"driver": …, "netdev": …, "id": …, ["mac"], ["bus"], ["addr"],
 *  ["mq": true, "vectors": 2N+2]} */
int kn_nic_device_add_args(const kn_nic_spec *s, json_object **ret, kn_error *err);
