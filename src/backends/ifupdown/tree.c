/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Interfaces to trees: each interface's kind (bridge, bond, vlan,
 * ethernet), who is whose port or slave, and the top-level interfaces
 * list() returns.  Whatever the writer would take along with an interface
 * (a port listed by a broken master, a slave naming a bond) is an error
 * here too, so that what is listed can be defined back unchanged. */

#include "read.h"

static loc ports_loc(const node *n) {
        return n->ports_at.f ? n->ports_at : n->at;
}

/* Settings of another kind's options (bridge_fd on a bond, bond-mode on an
 * ethernet) mean nothing to ifupdown there, and a rewrite drops them. */
static void keep_kind_settings(kn_iface *i) {
        if (i->type != KN_IFACE_BRIDGE) {
                i->stp = KN_UNSET;
                i->delay = -1;
        }
        if (i->type != KN_IFACE_BOND) {
                i->bond_mode = KN_BOND_UNSET;
                i->monitor = KN_MON_NONE;
                i->miimon_freq = 0;
                i->miimon_downdelay = i->miimon_updelay = -1;
                i->miimon_carrier = KN_CARRIER_UNSET;
                i->arpmon_interval = 0;
                i->arpmon_target[0] = '\0';
                i->arpmon_validate = KN_ARP_VALIDATE_UNSET;
        }
}

/* bridge, bond, vlan or ethernet, and the vlan's parent and tag. */
static void read_kind(reader *r, node *n) {
        kn_iface *i = n->iface;
        const char *name = n->e->name;
        char parent[KN_IFNAME_MAX + 1];
        int tag;
        const char *raw = NULL;
        for (size_t k = 0; k < n->e->n_refs && !raw; k++) {
                const kn_ifupdown_ref *ref = &n->e->refs[k];
                if (ref->kind == IFU_REF_STANZA)
                        raw = kn_ifupdown_stanza_option(ref->file, &ref->file->stanzas[ref->idx],
                                                        "vlan-raw-device", NULL);
        }
        if (n->named_master && (n->bridge || n->master_name)) {
                const kn_ifupdown_ref *ref = kn_ifupdown_entry_first(n->e, IFU_REF_SLAVE);
                const kn_ifupdown_stanza *st = &ref->file->stanzas[ref->idx];
                kn_ifupdown_diag(r, n, n->at,
                                 "iface %s: %s names it as bond-master (%s:%u), but it is %s", name,
                                 st->name, ref->file->shown, ref->file->lines[st->first].lineno,
                                 n->bridge ? "a bridge" : "a bond slave itself");
                return;
        }
        if (n->bridge) {
                i->type = KN_IFACE_BRIDGE;
                return;
        }
        if (!n->master_name && (n->bond_opts || n->named_master)) {
                i->type = KN_IFACE_BOND;
                return;
        }
        int v = kn_ifupdown_vlan_name(name, parent, &tag);
        if (v < 0) {
                kn_ifupdown_diag(r, n, n->at, "vlan %s: missing parent (the name is PARENT.ID)",
                                 name);
                return;
        }
        if (v == 0 && raw) {
                kn_ifupdown_diag(
                        r, n, n->at,
                        "vlan %s: vlan-raw-device %s is given, but ifupdown takes the vlan id from "
                        "the name (PARENT.ID, or vlanID with vlan-raw-device)",
                        name, raw);
                return;
        }
        if (v == 0)
                return;
        if (v == 2 && !raw) {
                kn_ifupdown_diag(
                        r, n, n->at,
                        "vlan %s: missing parent: a vlan named vlanID needs 'vlan-raw-device "
                        "PARENT'",
                        name);
                return;
        }
        if (tag > 4095) {
                kn_ifupdown_diag(r, n, n->at, "vlan %s: vlan id %d is out of range (valid: 0-4095)",
                                 name, tag);
                return;
        }
        if (v == 2 && kn_ifname_validate(raw, NULL, NULL) < 0) {
                kn_ifupdown_diag(r, n, n->at,
                                 "vlan %s: vlan-raw-device '%s' is not an interface name", name,
                                 raw);
                return;
        }
        i->type = KN_IFACE_VLAN;
        i->vlan_tag = tag;
        snprintf(i->vlan_parent, sizeof i->vlan_parent, "%s", v == 2 ? raw : parent);
}

static void read_type(reader *r, node *n) {
        read_kind(r, n);
        keep_kind_settings(n->iface);
}

static bool claim(reader *r, node *master, node *port, loc at) {
        if (port->master && port->master != master) {
                kn_ifupdown_diag(r, master, at, "iface %s: %s is already a port of %s (%s:%u)",
                                 master->e->name, port->e->name, port->master->e->name,
                                 port->master->at.f->shown, port->master->at.line);
                return false;
        }
        port->master = master;
        return true;
}

static void link_nodes(reader *r) {
        size_t n_all = r->u->index.n_all;
        for (size_t k = 0; k < n_all; k++) {
                node *n = &r->nodes[k];
                for (size_t j = 0; n->iface && !n->skip && j < n->n_ports; j++) {
                        node *p = kn_ifupdown_node_any(r, n->ports[j]);
                        if (p && p->skip) {
                                kn_ifupdown_diag(r, n, n->ports_at, "iface %s: %s cannot be a port",
                                                 n->e->name, n->ports[j]);
                                break;
                        }
                        if (p == n) {
                                kn_ifupdown_diag(r, n, n->ports_at,
                                                 "iface %s: lists itself as a port", n->e->name);
                                break;
                        }
                        if (p && !claim(r, n, p, n->ports_at))
                                break;
                }
        }
        for (size_t k = 0; k < n_all; k++) {
                node *s = &r->nodes[k];
                if (!s->iface || s->skip || !s->master_name)
                        continue;
                node *m = kn_ifupdown_node_of(r, s->master_name);
                if (!m || m->skip || !m->iface || m->iface->type != KN_IFACE_BOND || m == s)
                        kn_ifupdown_diag(
                                r, s, s->master_at,
                                "iface %s: bond-master %s: there is no bond %s (an 'iface %s' "
                                "stanza with bond-slaves or bond-* options)",
                                s->e->name, s->master_name, s->master_name, s->master_name);
        }
        /* Slaves naming a bond as bond-master, in reading order, even those
         * with errors: they are part of the bond as the writer sees it. */
        for (size_t k = 0; k < n_all; k++) {
                node *m = &r->nodes[k];
                if (!m->iface || m->skip || m->bad || m->iface->type != KN_IFACE_BOND)
                        continue;
                for (size_t j = 0; j < m->e->n_refs; j++) {
                        const kn_ifupdown_ref *ref = &m->e->refs[j];
                        if (ref->kind != IFU_REF_SLAVE)
                                continue;
                        const kn_ifupdown_stanza *st = &ref->file->stanzas[ref->idx];
                        node *s = kn_ifupdown_node_any(r, st->name);
                        loc at = {ref->file, ref->file->lines[st->first].lineno};
                        if (s && s->skip) {
                                kn_ifupdown_diag(r, m, at, "iface %s: %s cannot be a slave",
                                                 m->e->name, st->name);
                                break;
                        }
                        if (!s || s == m || s->master == m)
                                continue;
                        if (!claim(r, m, s, at))
                                break;
                        GREEDY_REALLOC(m->ports, m->alloc_ports, m->n_ports + 1);
                        m->ports[m->n_ports++] = kn_xstrdup(st->name);
                }
        }
}

/* A port or slave of a master that has errors (or isn't kvmnet's) is not
 * listed, alone or in another master: defining it would take it from that
 * master. */
static void orphans(reader *r) {
        for (size_t k = 0; k < r->u->index.n_all; k++) {
                node *n = &r->nodes[k];
                if (n->skip || n->bad || (!n->iface && !n->master))
                        continue;
                for (size_t j = 0; j < n->e->n_refs; j++) {
                        const kn_ifupdown_ref *ref = &n->e->refs[j];
                        const char *m = NULL;
                        if (ref->kind == IFU_REF_PORT_OF)
                                m = ref->file->stanzas[ref->idx].name;
                        else if (ref->kind == IFU_REF_STANZA)
                                m = kn_ifupdown_stanza_option(ref->file,
                                                              &ref->file->stanzas[ref->idx],
                                                              "bond-master", NULL);
                        node *c = m ? kn_ifupdown_node_of(r, m) : NULL;
                        if (!c || c == n || c == n->master || (!c->bad && !c->skip))
                                continue;
                        loc at = {ref->file,
                                  ref->file->lines[ref->file->stanzas[ref->idx].first].lineno};
                        kn_ifupdown_diag(r, n, at, "iface %s is a port or slave of %s, which %s",
                                         n->e->name, m,
                                         c->skip ? "kvmnet does not manage" : "has errors");
                        break;
                }
        }
}

static bool port_type_ok(kn_iface_type master, kn_iface_type port) {
        if (master == KN_IFACE_BRIDGE)
                return port != KN_IFACE_BRIDGE;
        return port == KN_IFACE_ETHERNET;
}

/* The tree under n, or NULL (with a diagnostic) if any part of it is bad. */
static kn_iface *build(reader *r, node *n, bool top, unsigned depth) {
        if (n->bad || !n->iface || depth > 3 || n->listed)
                return NULL;
        n->listed = true;
        /* each node is in one tree at most: the tree takes its model */
        kn_iface *i = TAKE_PTR(n->iface);
        if (!top) { /* a port carries no addresses, start mode or mtu */
                free(i->ipv4.ips);
                free(i->ipv6.ips);
                i->ipv4 = i->ipv6 = (kn_protocol){0};
                i->start = KN_START_UNSET;
                i->mtu = 0;
        }
        const char *what = i->type == KN_IFACE_BOND ? "slave" : "port";
        for (size_t k = 0; k < n->n_ports; k++) {
                node *p = kn_ifupdown_node_any(r, n->ports[k]);
                kn_iface *c;
                if (p && (p->iface || p->bad)) {
                        c = build(r, p, false, depth + 1);
                        if (!c) {
                                kn_ifupdown_diag(r, n, ports_loc(n), "iface %s: %s %s has errors",
                                                 n->e->name, what, n->ports[k]);
                                return kn_iface_free(i);
                        }
                } else {
                        char parent[KN_IFNAME_MAX + 1];
                        int tag;
                        const kn_ifupdown_ref *slave =
                                p ? kn_ifupdown_entry_first(p->e, IFU_REF_SLAVE) : NULL;
                        if (slave) {
                                /* ifenslave would make it a bond; kvmnet
                                 * wants the bond's own stanza */
                                const kn_ifupdown_stanza *ss = &slave->file->stanzas[slave->idx];
                                kn_ifupdown_diag(
                                        r, n, ports_loc(n),
                                        "iface %s: %s %s has no stanza, but %s names it as "
                                        "bond-master (%s:%u)",
                                        n->e->name, what, n->ports[k], ss->name, slave->file->shown,
                                        slave->file->lines[ss->first].lineno);
                                return kn_iface_free(i);
                        }
                        int v = kn_ifupdown_vlan_name(n->ports[k], parent, &tag);
                        if (v == 1 && tag <= 4095) {
                                c = kn_iface_new(KN_IFACE_VLAN, n->ports[k]);
                                c->vlan_tag = tag;
                                snprintf(c->vlan_parent, sizeof c->vlan_parent, "%s", parent);
                        } else if (v != 0) {
                                kn_ifupdown_diag(
                                        r, n, ports_loc(n),
                                        "iface %s: vlan %s: missing parent (no 'iface %s' stanza "
                                        "with vlan-raw-device, and no PARENT.ID name)",
                                        n->e->name, n->ports[k], n->ports[k]);
                                return kn_iface_free(i);
                        } else
                                c = kn_iface_new(KN_IFACE_ETHERNET, n->ports[k]);
                }
                if (!port_type_ok(i->type, c->type)) {
                        kn_ifupdown_diag(r, n, ports_loc(n),
                                         "iface %s: a %s cannot be a %s of a %s (%s)", n->e->name,
                                         kn_iface_type_to_string(c->type), what,
                                         kn_iface_type_to_string(i->type), c->name);
                        kn_iface_free(c);
                        return kn_iface_free(i);
                }
                /* bond-primary: the first slave is the primary */
                if (n->primary && i->type == KN_IFACE_BOND && streq(c->name, n->primary) &&
                    i->n_children > 0) {
                        kn_iface_add_child(i, c);
                        memmove(i->children + 1, i->children,
                                (i->n_children - 1) * sizeof *i->children);
                        i->children[0] = c;
                } else
                        kn_iface_add_child(i, c);
        }
        return i;
}

void kn_ifupdown_list(kn_ifupdown_backend *u, kn_iface_list *out) {
        for (size_t k = 0; k < u->load_diags.n_diags; k++) {
                const kn_diag *d = &u->load_diags.diags[k];
                kn_iface_list_diag(out, d->file, d->line, d->iface, "%s", d->message);
        }
        /* Files with a syntax error: one diagnostic each, naming the place. */
        for (size_t k = 0; k < u->n_files; k++) {
                const kn_ifupdown_file *f = u->files[k];
                if (kn_ifupdown_file_broken(f))
                        kn_iface_list_diag(out, f->shown, f->err_line, NULL, "%s", f->err);
        }

        size_t n_all = u->index.n_all;
        reader r = {.u = u, .out = out, .nodes = kn_xcalloc(n_all, sizeof(node))};
        for (size_t k = 0; k < n_all; k++)
                r.nodes[k].e = u->index.all[k];
        for (size_t k = 0; k < n_all; k++) {
                node *n = &r.nodes[k];
                if (kn_ifupdown_entry_count(n->e, IFU_REF_STANZA) ||
                    kn_ifupdown_entry_first(n->e, IFU_REF_BROKEN))
                        kn_ifupdown_read_node(&r, n);
        }
        for (size_t k = 0; k < n_all; k++) /* as ifenslave, which makes it a bond */
                r.nodes[k].named_master =
                        kn_ifupdown_entry_first(r.nodes[k].e, IFU_REF_SLAVE) != NULL;
        for (size_t k = 0; k < n_all; k++) {
                node *n = &r.nodes[k];
                if (n->iface && !n->skip && !n->bad)
                        read_type(&r, n);
        }
        link_nodes(&r);
        orphans(&r);
        for (size_t k = 0; k < n_all; k++) {
                node *n = &r.nodes[k];
                if (!n->iface || n->skip || n->master)
                        continue;
                kn_iface *i = build(&r, n, true, 0);
                kn_error e = {0};
                /* what is listed, define takes back (a bond with no slave
                 * would print as XML no schema accepts) */
                if (i && kn_iface_validate(i, &e) < 0) {
                        kn_ifupdown_diag(&r, n, n->at, "%s", e.message);
                        i = kn_iface_free(i);
                }
                if (i)
                        kn_iface_list_add(out, i);
        }
        for (size_t k = 0; k < n_all; k++) {
                kn_iface_free(r.nodes[k].iface);
                kn_strv_free(r.nodes[k].ports, r.nodes[k].n_ports);
        }
        free(r.nodes);
}
