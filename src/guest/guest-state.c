/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The runtime state of a running guest, RUN/guests/NAME.json: what a
 * restarted kvmnetd needs to find the guest again and reconcile its NICs
 * (guest-recover.c).  Rewritten atomically (rename) on every change, before the
 * change is made where that matters (an attach is journaled before QEMU
 * hears of it, a detach before device_del):
 *
 *   {"version": 1, "name": "vm1", "state": "running", "pid": 1234,
 *    "qmp": "/run/kvmnet/guests/vm1.qmp", "adopted": false, "kvm": true,
 *    "q35": false, "vcpus": 2, "root_ports": [], "next_index": 2,
 *    "nics": [{"index": 0, "device": "kn-net0", "netdev": "kn-hostnet0",
 *              "tap": "kvn0", "mac": "52:54:00:aa:00:01", "type": "bridge",
 *              "source": "br0", "model": "virtio", "queues": 1,
 *              "target": null, "root_port": null, "vhost": false,
 *              "state": "attached", "persistent": false}]}
 * (A NIC of type "network" has its network as "source" and its bridge as
 * "bridge"; "pending_since_us": CLOCK_MONOTONIC of the unplug request, for a NIC
 * in "unplug pending".) */
#include "guest-private.h"
#include "rootfs.h"

char *kn_guest_state_path(kn_guest_registry *reg, const char *name) {
        return kn_xasprintf("%s/%s.json", reg->run_dir, name);
}

static json_object *str_or_null(const char *s) {
        return s ? json_object_new_string(s) : NULL;
}

static json_object *nic_to_json(const kn_gnic *n) {
        json_object *o = json_object_new_object();
        char mac[18];
        kn_guest_mac_format(n->nic.mac, mac);
        json_object_object_add(o, "index", json_object_new_int((int) n->index));
        json_object_object_add(o, "device", json_object_new_string(n->device_id));
        json_object_object_add(o, "netdev", json_object_new_string(n->netdev_id));
        json_object_object_add(o, "tap", json_object_new_string(n->tap));
        json_object_object_add(o, "mac", json_object_new_string(mac));
        json_object_object_add(o, "type", str_or_null(n->nic.type));
        json_object_object_add(o, "source", str_or_null(n->nic.source));
        if (n->nic.bridge) /* a network NIC's bridge; files without it still load */
                json_object_object_add(o, "bridge", json_object_new_string(n->nic.bridge));
        json_object_object_add(o, "model", str_or_null(n->nic.model));
        json_object_object_add(o, "queues", json_object_new_int((int) n->nic.queues));
        json_object_object_add(o, "target", str_or_null(n->nic.target));
        json_object_object_add(o, "root_port", str_or_null(n->root_port));
        json_object_object_add(o, "vhost", json_object_new_boolean(n->vhost));
        json_object_object_add(o, "state",
                               json_object_new_string(kn_gnic_state_to_string(n->state)));
        json_object_object_add(o, "persistent", json_object_new_boolean(n->persistent));
        if (n->state == KN_GNIC_UNPLUG_PENDING)
                json_object_object_add(o, "pending_since_us",
                                       json_object_new_int64(n->pending_since_us));
        return o;
}

static const char *guest_state_name(const kn_guest *g) {
        switch (g->state) {
        case KN_GUEST_STARTING: return "starting";
        case KN_GUEST_STOPPING: return "stopping";
        default: return "running";
        }
}

void kn_guest_state_save(kn_guest *g) {
        kn_guest_registry *reg = g->reg;
        if (g->gone || g->left_running)
                return;
        int r = kn_guest_run_dir_make(reg);
        if (r < 0) {
                kn_guest_log(reg, "guest %s: runtime state not saved: %s: %s", g->name,
                             reg->run_dir, strerror(-r));
                return;
        }
        json_object *o = json_object_new_object();
        json_object_object_add(o, "version", json_object_new_int(1));
        json_object_object_add(o, "name", json_object_new_string(g->name));
        json_object_object_add(o, "state", json_object_new_string(guest_state_name(g)));
        json_object_object_add(o, "pid", json_object_new_int(g->pid));
        json_object_object_add(o, "qmp", str_or_null(g->qmp_path));
        json_object_object_add(o, "adopted", json_object_new_boolean(g->adopted));
        json_object_object_add(o, "kvm", json_object_new_boolean(g->kvm));
        json_object_object_add(o, "q35", json_object_new_boolean(g->q35));
        json_object_object_add(o, "vcpus", json_object_new_int((int) g->vcpus));
        json_object *ports = json_object_new_array();
        for (size_t k = 0; k < g->n_ports; k++)
                json_object_array_add(ports, json_object_new_string(g->ports[k]));
        json_object_object_add(o, "root_ports", ports);
        json_object_object_add(o, "next_index", json_object_new_int((int) g->next_index));
        /* Oldest first, as attached (the list is newest first). */
        json_object *nics = json_object_new_array();
        size_t n = 0;
        for (kn_gnic *x = g->nics; x; x = x->next)
                n++;
        for (size_t k = n; k > 0; k--) {
                kn_gnic *x = g->nics;
                for (size_t j = 1; j < k; j++)
                        x = x->next;
                /* An attach whose tap step is still queued has nothing
                 * anywhere yet: nothing to reconcile. */
                if (x->tap[0])
                        json_object_array_add(nics, nic_to_json(x));
        }
        json_object_object_add(o, "nics", nics);
        kn_error err = {0};
        _cleanup_free_ char *path = kn_guest_state_path(reg, g->name);
        const char *text = json_object_to_json_string_ext(
                o,
                JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
        /* Atomic (rename) but not fsync'ed: what the file describes -- a
         * running QEMU and its fds -- does not survive the host going down
         * either, and a killed kvmnetd leaves the page cache intact.  This
         * keeps the two writes of an attach off the disk's latency. */
        if (kn_write_file_atomic(path, text, strlen(text), 0644, false, &err) < 0)
                kn_guest_log(reg, "guest %s: runtime state not saved: %s", g->name, err.message);
        json_object_put(o);
}

void kn_guest_state_remove(kn_guest_registry *reg, const char *name) {
        _cleanup_free_ char *path = kn_guest_state_path(reg, name);
        if (unlink(path) < 0 && errno != ENOENT)
                kn_guest_log(reg, "guest %s: %s: %m", name, path);
}
