/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the registry reports, as structs: NICs, guests, NIC events.  They
 * own copies, so an answer outlives the NIC it describes (a detach reports
 * the NIC it just removed).  Protocol JSON is src/api's (guest.c). */
#include "guest-private.h"

void kn_gnic_info_fill(const kn_gnic *n, kn_gnic_info *ret) {
        *ret = (kn_gnic_info){
                .queues = n->nic.queues,
                .state = kn_gnic_state_to_string(n->state),
                .vhost = n->vhost,
        };
        memcpy(ret->tap, n->tap, sizeof ret->tap);
        memcpy(ret->mac, n->nic.mac, 6);
        ret->type = n->nic.type ? kn_xstrdup(n->nic.type) : NULL;
        ret->source = n->nic.source ? kn_xstrdup(n->nic.source) : NULL;
        ret->model = n->nic.model ? kn_xstrdup(n->nic.model) : NULL;
        const char *br = kn_guest_nic_bridge(&n->nic);
        ret->bridge = br ? kn_xstrdup(br) : NULL;
        snprintf(ret->device, sizeof ret->device, "%s", n->device_id);
        snprintf(ret->netdev, sizeof ret->netdev, "%s", n->netdev_id);
        ret->root_port = n->root_port ? kn_xstrdup(n->root_port) : NULL;
}

void kn_gnic_info_done(kn_gnic_info *i) {
        free(i->type);
        free(i->source);
        free(i->model);
        free(i->bridge);
        free(i->root_port);
        *i = (kn_gnic_info){0};
}

void kn_gnic_info_free_array(kn_gnic_info *a, size_t n) {
        for (size_t k = 0; k < n; k++)
                kn_gnic_info_done(&a[k]);
        free(a);
}

void kn_gnic_result_done(kn_gnic_result *r) {
        free(r->guest);
        kn_gnic_info_done(&r->nic);
        kn_strv_free(r->undone, r->n_undone);
        *r = (kn_gnic_result){0};
}

size_t kn_guest_nics_on(kn_guest_registry *reg, const char *network, const char *bridge,
                        kn_gnic_result **ret) {
        size_t n = 0;
        *ret = NULL;
        for (kn_guest *g = reg->guests; g; g = g->next)
                for (kn_gnic *x = g->nics; x; x = x->next) {
                        bool on = (network && streq_ptr(x->nic.type, "network") &&
                                   streq_ptr(x->nic.source, network)) ||
                                  (bridge && streq_ptr(kn_guest_nic_bridge(&x->nic), bridge));
                        if (!on)
                                continue;
                        *ret = kn_xrealloc(*ret, (n + 1) * sizeof **ret);
                        (*ret)[n] = (kn_gnic_result){.guest = kn_xstrdup(g->name)};
                        kn_gnic_info_fill(x, &(*ret)[n++].nic);
                }
        return n;
}

void kn_gnic_timings_add(kn_gnic_timings *t, const char *name, int64_t at_us) {
        if (t->n < KN_GNIC_MAX_STEPS)
                t->steps[t->n++] = (kn_gnic_step){name, at_us > 0 ? at_us : kn_guest_now_us()};
}

void kn_gop_report(const kn_gop *op, const kn_gnic *n, double elapsed_ms) {
        if (!op->result)
                return;
        kn_gnic_result_done(op->result);
        op->result->guest = kn_xstrdup(n->guest->name);
        kn_gnic_info_fill(n, &op->result->nic);
        op->result->elapsed_ms = elapsed_ms;
        op->result->timings = op->timings;
}

void kn_guest_status_fill(const kn_guest *g, kn_guest_status *ret) {
        unsigned n = 0;
        for (kn_gnic *x = g->nics; x; x = x->next)
                n++;
        kn_guest_status_done(ret);
        *ret = (kn_guest_status){
                .name = kn_xstrdup(g->name),
                .state = g->state == KN_GUEST_STARTING   ? "starting"
                         : g->state == KN_GUEST_STOPPING ? "stopping"
                                                         : "running",
                .pid = g->pid,
                .adopted = g->adopted,
                .kvm = g->kvm,
                .vcpus = g->vcpus,
                .qmp = g->qmp_path ? kn_xstrdup(g->qmp_path) : NULL,
                .n_interfaces = n,
                .hotplug = {.q35 = g->q35},
        };
        if (g->q35) {
                ret->hotplug.root_ports = (unsigned) g->n_ports;
                ret->hotplug.free = (unsigned) kn_guest_free_ports(g);
        }
}

void kn_guest_status_done(kn_guest_status *s) {
        free(s->name);
        free(s->qmp);
        *s = (kn_guest_status){0};
}

void kn_guest_status_free_array(kn_guest_status *a, size_t n) {
        for (size_t k = 0; k < n; k++)
                kn_guest_status_done(&a[k]);
        free(a);
}

void kn_gnic_set_cause(kn_gnic *n) {
        const char *op = n->guest->reg->op ? *n->guest->reg->op : NULL;
        free(n->cause_op);
        n->cause_op = op ? kn_xstrdup(op) : NULL;
}

void kn_gnic_publish(const kn_gnic *n, const char *action, const char *reason) {
        kn_guest_registry *reg = n->guest->reg;
        if (!reg->event)
                return;
        kn_gnic_event e = {
                .action = action,
                .guest = n->guest->name,
                .tap = n->tap,
                .device = n->device_id,
                .source = n->nic.source ? n->nic.source : "",
                .reason = reason,
                /* the guest ejecting it on its own is nobody's operation */
                .op = n->ejected ? NULL : n->cause_op,
        };
        memcpy(e.mac, n->nic.mac, 6);
        reg->event(&e, reg->event_data);
}
