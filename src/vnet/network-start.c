/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Starting and destroying a network from its model: the refusals, then the
 * bridge through the live layer, the forwarding sysctls, the nft table and
 * dnsmasq (HD2's modules), each step with its undo beside it.  The
 * definition as started is kept in STATE/networks/NAME.xml: that file is
 * what "running" means to a restarted kvmnetd, which adopts what it finds
 * (dnsmasq is not restarted). */
#include <arpa/inet.h>
#include <sys/stat.h>

#include "dnsmasq.h"
#include "kvmnet/live.h"
#include "kvmnet/vnet.h"
#include "crashpoint.h"
#include "macro.h"
#include "mac.h"
#include "mkdir.h"
#include "net-host.h"
#include "nft.h"
#include "rootfs.h"
#include "sysctl.h"

struct kn_net_run {
        kn_net_env env;
        kn_net *def;
        kn_dnsmasq *dnsmasq;
        bool forward; /* holds the forwarding sysctls */
};

static int read_path(const char *path, char **ret, size_t *len) {
        kn_root *root = NULL;
        int r = kn_root_open("/", &root, NULL);
        if (r < 0)
                return r;
        r = kn_root_read_file(root, path, ret, len);
        kn_root_free(root);
        return r;
}

static char *run_path(const kn_net_env *e, const char *name) {
        return kn_xasprintf("%s/networks/%s.xml", e->state_dir, name);
}

static char *dnsmasq_dir(const kn_net_env *e) {
        return kn_xasprintf("%s/dnsmasq", e->state_dir);
}

static bool forwards(const kn_net *n) {
        return n->forward == KN_NET_NAT || n->forward == KN_NET_ROUTE;
}

static bool has_v6(const kn_net *n) {
        for (size_t k = 0; k < n->n_ips; k++)
                if (n->ips[k].family == AF_INET6)
                        return true;
        return false;
}

/* ---- the bridge: a kn_iface for the live layer ---- */

static int bridge_model(const kn_net *n, kn_iface **ret, kn_error *err) {
        _cleanup_iface_ kn_iface *i = kn_iface_new(KN_IFACE_BRIDGE, n->bridge);
        i->start = KN_START_ONBOOT;
        i->mtu = n->mtu;
        if (n->has_mac)
                kn_mac_to_string(n->mac, i->mac);
        i->stp = n->stp == 1 ? KN_YES : KN_NO;
        i->delay = n->delay >= 0 ? (double) n->delay : -1;
        for (size_t k = 0; k < n->n_ips; k++) {
                const kn_net_ip *ip = &n->ips[k];
                kn_protocol *p = ip->family == AF_INET ? &i->ipv4 : &i->ipv6;
                p->present = true;
                int r = kn_protocol_add_ip(p, ip->family, ip->address, (int) ip->prefix, err);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(i);
        return 0;
}

/* ---- dnsmasq's configuration from the model ---- */

typedef struct dns_conf {
        kn_dnsmasq_config c;
        kn_dnsmasq_subnet subnets[16];
        kn_dnsmasq_range *ranges;
        kn_dnsmasq_host *hosts;
        char (*macs)[KN_MAC_STR];
        kn_dnsmasq_dns_host *dns;
        char *dir;
} dns_conf;

static void dns_conf_done(dns_conf *d) {
        free(d->ranges);
        free(d->hosts);
        free(d->macs);
        free(d->dns);
        free(d->dir);
}

static void dns_conf_init(dns_conf *d, const kn_net_env *e, const kn_net *n) {
        size_t nr = 0, nh = 0;
        for (size_t k = 0; k < n->n_ips; k++) {
                nr += n->ips[k].n_ranges;
                nh += n->ips[k].n_hosts;
        }
        *d = (dns_conf){0};
        d->dir = dnsmasq_dir(e);
        d->ranges = kn_xcalloc(nr + 1, sizeof *d->ranges);
        d->hosts = kn_xcalloc(nh + 1, sizeof *d->hosts);
        d->macs = kn_xcalloc(nh + 1, sizeof *d->macs);
        d->dns = kn_xcalloc(n->n_dns_hosts + 1, sizeof *d->dns);
        d->c = (kn_dnsmasq_config){.network = n->name,
                                   .bridge = n->bridge,
                                   .state_dir = d->dir,
                                   .domain = n->domain,
                                   .subnets = d->subnets,
                                   .ranges = d->ranges,
                                   .hosts = d->hosts,
                                   .dns_hosts = d->dns,
                                   .exe = e->dnsmasq_exe,
                                   /* names the network does not know go to the host's
                                    * servers, as libvirt's networks do */
                                   .forward_dns = n->forward != KN_NET_ISOLATED};
        for (size_t k = 0; k < n->n_ips && d->c.n_subnets < ELEMENTSOF(d->subnets); k++) {
                const kn_net_ip *ip = &n->ips[k];
                d->subnets[d->c.n_subnets++] =
                        (kn_dnsmasq_subnet){.address = ip->address, .prefix = ip->prefix};
                d->c.ipv6_ra |= ip->family == AF_INET6;
                for (size_t j = 0; j < ip->n_ranges; j++)
                        d->ranges[d->c.n_ranges++] = (kn_dnsmasq_range){
                                .start = ip->ranges[j].start, .end = ip->ranges[j].end};
                for (size_t j = 0; j < ip->n_hosts; j++) {
                        const kn_net_dhcp_host *h = &ip->hosts[j];
                        char *mac = d->macs[d->c.n_hosts];
                        if (h->has_mac)
                                kn_mac_to_string(h->mac, mac);
                        d->hosts[d->c.n_hosts++] = (kn_dnsmasq_host){
                                .mac = h->has_mac ? mac : NULL, .name = h->name, .ip = h->ip};
                }
        }
        for (size_t k = 0; k < n->n_dns_hosts; k++)
                d->dns[d->c.n_dns_hosts++] = (kn_dnsmasq_dns_host){
                        .ip = n->dns_hosts[k].ip,
                        .names = (const char *const *) n->dns_hosts[k].hostnames,
                        .n_names = n->dns_hosts[k].n_hostnames};
}

static void lease_of(const kn_dnsmasq_lease *l, kn_net_lease *v) {
        *v = (kn_net_lease){.family = l->family, .expiry = l->expiry};
        snprintf(v->mac, sizeof v->mac, "%s", l->mac);
        snprintf(v->ip, sizeof v->ip, "%s", l->ip);
        snprintf(v->hostname, sizeof v->hostname, "%s", l->hostname);
        snprintf(v->client_id, sizeof v->client_id, "%s", l->client_id);
}

/* dnsmasq's events, as the network's (the api publishes and logs them) */
static void on_dnsmasq(kn_dnsmasq *d, const kn_dnsmasq_event *ev, void *userdata) {
        kn_net_run *run = userdata;
        static const char *const what[] = {
                [KN_DNSMASQ_STARTED] = "dnsmasq-started",
                [KN_DNSMASQ_EXITED] = "dnsmasq-exited",
                [KN_DNSMASQ_START_FAILED] = "dnsmasq-start-failed",
                [KN_DNSMASQ_LEASE_ADDED] = "lease-added",
                [KN_DNSMASQ_LEASE_CHANGED] = "lease-changed",
                [KN_DNSMASQ_LEASE_REMOVED] = "lease-removed",
        };
        if (!run->env.on_event || (size_t) ev->type >= ELEMENTSOF(what))
                return;
        kn_net_lease l;
        if (ev->lease)
                lease_of(ev->lease, &l);
        kn_net_event e = {.network = run->def->name,
                          .what = what[ev->type],
                          .lease = ev->lease ? &l : NULL,
                          .pid = ev->pid,
                          .wstatus = ev->wstatus,
                          .message = ev->error ? ev->error->message : NULL};
        run->env.on_event(&e, run->env.userdata);
}

/* ---- nft parameters ---- */

static int apply_nft(const kn_net_env *e, const kn_net *n, kn_error *err) {
        kn_nft_subnet subnets[16];
        char addrs[16][64];
        size_t ns = 0;
        for (size_t k = 0; k < n->n_ips && ns < ELEMENTSOF(subnets); k++) {
                char s[64];
                kn_net_ip_subnet(&n->ips[k], s, sizeof s);
                *strchr(s, '/') = '\0';
                snprintf(addrs[ns], sizeof addrs[ns], "%s", s);
                subnets[ns] = (kn_nft_subnet){.address = addrs[ns], .prefix = n->ips[k].prefix};
                ns++;
        }
        static const kn_nft_mode modes[_KN_NET_FORWARD_MAX] = {
                [KN_NET_ISOLATED] = KN_NFT_ISOLATED,
                [KN_NET_NAT] = KN_NFT_NAT,
                [KN_NET_ROUTE] = KN_NFT_ROUTE,
                [KN_NET_OPEN] = KN_NFT_OPEN,
        };
        kn_nft_params p = {.network = n->name,
                           .bridge = n->bridge,
                           .mode = modes[n->forward],
                           .dev = n->forward_dev,
                           .subnets = subnets,
                           .n_subnets = ns,
                           .port_start = n->port_start,
                           .port_end = n->port_end};
        return kn_nft_apply(e->ns, &p, err);
}

/* ---- refusals ---- */

static int check_host(const kn_net_env *e, const kn_net *n, kn_error *err) {
        kn_live_link *links = NULL;
        size_t nl = 0;
        int r = kn_live_list(e->ns, &links, &nl, err);
        if (r < 0)
                return r;
        for (size_t k = 0; k < nl && r >= 0; k++)
                if (streq(links[k].iface->name, n->bridge))
                        r = kn_error_set(err, EEXIST,
                                         "network %s: bridge %s is in use: a link of that name "
                                         "exists (%s)",
                                         n->name, n->bridge,
                                         links[k].kind[0] ? links[k].kind : "a device");
        kn_live_links_free(links, nl);
        if (r < 0)
                return r;
        kn_net_host_item *items = NULL;
        size_t ni = 0;
        if ((r = kn_net_host_read(e->ns, &items, &ni, err)) < 0)
                return r;
        r = kn_net_host_check(n, items, ni, err);
        free(items);
        return r;
}

/* ---- start ---- */

bool kn_net_running(const kn_net_env *e, const char *name) {
        if (kn_object_name_validate(name, "network", NULL) < 0)
                return false;
        _cleanup_free_ char *p = run_path(e, name);
        return access(p, F_OK) == 0;
}

static int write_run_def(const kn_net_env *e, const kn_net *n, kn_error *err) {
        _cleanup_free_ char *dir = kn_xasprintf("%s/networks", e->state_dir);
        _cleanup_free_ char *path = run_path(e, n->name);
        _cleanup_free_ char *xml = kn_net_format_xml(n);
        int r = kn_mkdir_p(dir, 0755);
        if (r < 0)
                return kn_error_set(err, -r, "%s: %s", dir, strerror(-r));
        return kn_write_file_atomic(path, xml, strlen(xml), 0644, true, err);
}

int kn_net_start(const kn_net_env *e, const kn_net *def, kn_net_run **ret, char ***undone,
                 size_t *n_undone, kn_error *err) {
        if (kn_net_running(e, def->name))
                return kn_error_set(err, EALREADY, "network %s is already active", def->name);
        int r = check_host(e, def, err);
        if (r < 0)
                return r;
        kn_net_run *run = kn_xcalloc(1, sizeof *run);
        run->env = *e;
        run->def = kn_net_copy(def);
        _cleanup_free_ char *path = run_path(e, def->name);
        _cleanup_iface_ kn_iface *br = NULL;
        _cleanup_live_txn_ kn_live_txn *undo = NULL;
        kn_error ignore = {0};
        bool bridge_up = false;

        /* 1. running: written first, so a kvmnetd killed half way finds
         * what to clean up (kn_net_destroy_stale) */
        if ((r = write_run_def(e, def, err)) < 0)
                goto fail_file;
        /* 2. the bridge, its MAC, MTU, STP and addresses, up (a step
         * refused undoes the bridge's steps before it, recorded in undo) */
        undo = kn_live_txn_new();
        if ((r = bridge_model(def, &br, err)) < 0 ||
            (r = kn_live_apply_in(e->ns, br, undo, err)) < 0)
                goto fail_file;
        bridge_up = true;
        kn_crashpoint("net-start %s: bridge %s up", def->name, def->bridge);
        /* 3. forwarding (only a network that forwards needs it) */
        if (forwards(def)) {
                if ((r = kn_sysctl_forward_acquire(e->ns, e->state_dir, def->name, has_v6(def),
                                                   NULL, err)) < 0)
                        goto fail_bridge;
                run->forward = true;
                kn_crashpoint("net-start %s: forwarding on", def->name);
        }
        /* 4. NAT and filter: one table */
        if ((r = apply_nft(e, def, err)) < 0)
                goto fail_sysctl;
        kn_crashpoint("net-start %s: nft table", def->name);
        /* 5. DHCP and DNS, on every network with an address */
        if (def->n_ips) {
                dns_conf d;
                dns_conf_init(&d, e, def);
                r = kn_mkdir_p(d.dir, 0755);
                if (r >= 0)
                        r = kn_dnsmasq_start(e->loop, e->ns, &d.c, on_dnsmasq, run, &run->dnsmasq,
                                             err);
                else
                        kn_error_set(err, -r, "%s: %s", d.dir, strerror(-r));
                dns_conf_done(&d);
                if (r < 0)
                        goto fail_nft;
                kn_crashpoint("net-start %s: dnsmasq", def->name);
        }
        *ret = run;
        return 0;

fail_nft:
        kn_nft_delete(e->ns, def->name, &ignore);
        kn_strv_pushf(undone, n_undone, "delete nft table of %s", def->name);
fail_sysctl:
        if (run->forward) {
                kn_sysctl_forward_release(e->ns, e->state_dir, def->name, NULL, &ignore);
                kn_strv_pushf(undone, n_undone, "release IP forwarding");
        }
fail_bridge:
        kn_live_txn_rollback(e->ns, undo, &ignore);
fail_file:
        /* The bridge's steps, undone here or inside kn_live_apply_in(). */
        for (size_t k = 0; undo && k < kn_live_txn_n_undone(undo); k++)
                kn_strv_pushf(undone, n_undone, "%s", kn_live_txn_undone(undo, k));
        if (bridge_up) /* else kn_live_apply_in() said what it undid */
                kn_error_append_undone(err, *n_undone);
        unlink(path);
        kn_net_run_free(run);
        kn_error_prefix(err, "net-start %s", def->name);
        return r;
}

/* ---- adopt (kvmnetd restarted) ---- */

int kn_net_adopt(const kn_net_env *e, const char *name, kn_net_run **ret, kn_error *err) {
        if (kn_object_name_validate(name, "network", err) < 0)
                return -EINVAL;
        _cleanup_free_ char *path = run_path(e, name);
        _cleanup_free_ char *xml = NULL;
        size_t len;
        int r = read_path(path, &xml, &len);
        if (r < 0)
                return kn_error_set(err, -r, "%s: %s", path, strerror(-r));
        _cleanup_net_ kn_net *def = NULL;
        if ((r = kn_net_parse_xml(xml, len, path, &def, err)) < 0)
                return r;
        kn_net_run *run = kn_xcalloc(1, sizeof *run);
        run->env = *e;
        run->def = TAKE_PTR(def);
        run->forward = forwards(run->def);
        /* what a crash or someone else took away is put back; what is there
         * is left alone (the bridge's guests keep their link) */
        _cleanup_iface_ kn_iface *br = NULL;
        /* (a kill before the forwarding step left it off: acquiring is
         * idempotent) */
        if ((r = bridge_model(run->def, &br, err)) < 0 ||
            (r = kn_live_apply(e->ns, br, NULL, err)) < 0 ||
            (run->forward && (r = kn_sysctl_forward_acquire(e->ns, e->state_dir, name,
                                                            has_v6(run->def), NULL, err)) < 0) ||
            (r = kn_nft_exists(e->ns, name, err)) < 0 ||
            (r == 0 && (r = apply_nft(e, run->def, err)) < 0))
                goto fail;
        if (run->def->n_ips) {
                dns_conf d;
                dns_conf_init(&d, e, run->def);
                r = kn_dnsmasq_start(e->loop, e->ns, &d.c, on_dnsmasq, run, &run->dnsmasq, err);
                dns_conf_done(&d);
                if (r < 0)
                        goto fail;
        }
        *ret = run;
        return 0;
fail:
        kn_net_run_free(run);
        kn_error_prefix(err, "network %s (running before kvmnetd restarted)", name);
        return r;
}

/* ---- destroy ---- */

static int taps_check(const kn_net_env *e, const kn_net *n, bool force, kn_error *err) {
        _cleanup_free_ char *taps = NULL;
        int r = kn_live_guest_taps(e->ns, n->bridge, &taps, err);
        if (r < 0 && r != -ENODEV)
                return r;
        if (r > 0 && !force)
                return kn_error_set(err, EBUSY,
                                    "network %s is in use by guest NICs (%s on %s); detach them "
                                    "or give --force",
                                    n->name, taps, n->bridge);
        return 0;
}

/* Tear down in the reverse order of start; continue past failures, the
 * first one is the error. */
static int teardown(const kn_net_env *e, const kn_net *n, kn_dnsmasq *d, kn_error *err) {
        int first = 0, r;
        if (d)
                r = kn_dnsmasq_stop(d, err);
        else {
                _cleanup_free_ char *dir = dnsmasq_dir(e);
                r = kn_dnsmasq_kill(dir, n->name, false, err);
        }
        first = first ?: (r < 0 ? r : 0);
        r = kn_nft_delete(e->ns, n->name, err);
        first = first ?: (r < 0 ? r : 0);
        if (forwards(n)) {
                r = kn_sysctl_forward_release(e->ns, e->state_dir, n->name, NULL, err);
                first = first ?: (r < 0 ? r : 0);
        }
        _cleanup_iface_ kn_iface *br = kn_iface_new(KN_IFACE_BRIDGE, n->bridge);
        r = kn_live_stop(e->ns, br, err);
        first = first ?: (r < 0 ? r : 0);
        _cleanup_free_ char *path = run_path(e, n->name);
        if (first == 0 && unlink(path) < 0 && errno != ENOENT)
                first = kn_error_set(err, errno, "%s: %m", path);
        return first;
}

int kn_net_destroy(kn_net_run *run, bool force, kn_error *err) {
        int r = taps_check(&run->env, run->def, force, err);
        if (r < 0)
                return r;
        r = teardown(&run->env, run->def, TAKE_PTR(run->dnsmasq), err);
        kn_net_run_free(run);
        return r;
}

int kn_net_destroy_stale(const kn_net_env *e, const char *name, bool force, kn_error *err) {
        if (kn_object_name_validate(name, "network", err) < 0)
                return -EINVAL;
        _cleanup_free_ char *path = run_path(e, name);
        _cleanup_free_ char *xml = NULL;
        size_t len;
        int r = read_path(path, &xml, &len);
        if (r == -ENOENT)
                return kn_error_set(err, ENOENT, "network %s is not active", name);
        if (r < 0)
                return kn_error_set(err, -r, "%s: %s", path, strerror(-r));
        _cleanup_net_ kn_net *def = NULL;
        if ((r = kn_net_parse_xml(xml, len, path, &def, err)) < 0 ||
            (r = taps_check(e, def, force, err)) < 0)
                return r;
        return teardown(e, def, NULL, err);
}

int kn_net_purge(const kn_net_env *e, const char *name, kn_error *err) {
        if (kn_object_name_validate(name, "network", err) < 0)
                return -EINVAL;
        if (kn_net_running(e, name))
                return 0;
        _cleanup_free_ char *dir = dnsmasq_dir(e);
        return kn_dnsmasq_kill(dir, name, true, err);
}

void kn_net_clean_temps(const kn_net_env *e) {
        static const char *const dirs[] = {"networks", "dnsmasq", "forward", "forward/ipv4",
                                           "forward/ipv6"};
        for (size_t k = 0; k < ELEMENTSOF(dirs); k++) {
                _cleanup_free_ char *dir = kn_xasprintf("%s/%s", e->state_dir, dirs[k]);
                (void) kn_clean_temps(dir);
        }
}

int kn_net_running_list(const kn_net_env *e, char ***ret, size_t *n) {
        _cleanup_free_ char *dir = kn_xasprintf("%s/networks", e->state_dir);
        kn_root *root = NULL;
        char **names = NULL;
        size_t nn = 0, k = 0;
        *ret = NULL;
        *n = 0;
        int r = kn_root_open("/", &root, NULL);
        if (r >= 0)
                r = kn_root_list_dir(root, dir, &names, &nn);
        kn_root_free(root);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        for (size_t j = 0; j < nn; j++) {
                size_t l = strlen(names[j]);
                if (l > 4 && streq(names[j] + l - 4, ".xml")) {
                        names[j][l - 4] = '\0';
                        names[k++] = names[j];
                } else
                        free(names[j]);
        }
        *ret = names;
        *n = k;
        return 0;
}

/* ---- the rest ---- */

kn_net_run *kn_net_run_free(kn_net_run *run) {
        if (!run)
                return NULL;
        kn_dnsmasq_free(run->dnsmasq);
        kn_net_free(run->def);
        free(run);
        return NULL;
}

const kn_net *kn_net_run_def(const kn_net_run *run) {
        return run->def;
}

int kn_net_run_dnsmasq_pid(const kn_net_run *run) {
        return run->dnsmasq ? kn_dnsmasq_pid(run->dnsmasq) : 0;
}

bool kn_net_run_adopted(const kn_net_run *run) {
        return run->dnsmasq && kn_dnsmasq_adopted(run->dnsmasq);
}

int kn_net_run_update(kn_net_run *run, const kn_net *def, kn_error *err) {
        int r = write_run_def(&run->env, def, err);
        if (r < 0)
                return r;
        kn_net *copy = kn_net_copy(def);
        kn_net_free(run->def);
        run->def = copy;
        if (!run->dnsmasq)
                return 0;
        dns_conf d;
        dns_conf_init(&d, &run->env, def);
        r = kn_dnsmasq_update(run->dnsmasq, &d.c, err);
        dns_conf_done(&d);
        return r;
}

int kn_net_leases(const kn_net_env *e, const char *name, kn_net_lease **ret, size_t *n,
                  kn_error *err) {
        if (kn_object_name_validate(name, "network", err) < 0)
                return -EINVAL;
        _cleanup_free_ char *dir = dnsmasq_dir(e);
        kn_dnsmasq_lease *l = NULL;
        size_t nl = 0;
        int r = kn_dnsmasq_read_leases(dir, name, &l, &nl, err);
        if (r < 0)
                return r;
        kn_net_lease *v = kn_xcalloc(nl + 1, sizeof *v);
        for (size_t k = 0; k < nl; k++)
                lease_of(&l[k], &v[k]);
        free(l);
        *ret = v;
        *n = nl;
        return 0;
}
