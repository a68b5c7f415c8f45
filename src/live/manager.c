/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which network manager serves a namespace, and the verbs done through it
 * (kvmnet/manager.h).  The clients are manager-nm.c and
 * manager-networkd.c; this file finds the bus and the manager and says
 * which path was taken. */

#include <net/if.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <time.h>

#include "manager-internal.h"

static const char *const kind_names[] = {
        [KN_MANAGER_NONE] = "netlink",
        [KN_MANAGER_NM] = "NetworkManager",
        [KN_MANAGER_NETWORKD] = "systemd-networkd",
};

const char *kn_manager_kind_to_string(kn_manager_kind k) {
        return (unsigned) k < ELEMENTSOF(kind_names) ? kind_names[k] : "netlink";
}

void kn_manager_report_clear(kn_manager_report *rep) {
        kn_strv_free(rep->steps, rep->n_steps);
        *rep = (kn_manager_report){0};
}

void kn_mgr_step(kn_manager_report *rep, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        char *s = kn_xvasprintf(fmt, ap);
        va_end(ap);
        rep->steps = kn_xrealloc(rep->steps, (rep->n_steps + 1) * sizeof *rep->steps);
        rep->steps[rep->n_steps++] = s;
}

uint64_t kn_mgr_now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000;
}

void kn_mgr_sleep(void) {
        struct timespec ts = {0, (long) (KN_MGR_POLL_USEC * 1000)};
        nanosleep(&ts, NULL);
}

int kn_mgr_error(kn_error *err, int r, const sd_bus_error *e, const char *fmt, ...) {
        char what[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof what, fmt, ap);
        va_end(ap);
        if (e && sd_bus_error_is_set(e))
                return kn_error_set(err, r < 0 ? -r : EIO, "%s: %s", what,
                                    e->message ? e->message : e->name);
        return kn_error_set(err, r < 0 ? -r : EIO, "%s: %s", what, strerror(r < 0 ? -r : EIO));
}

static void add_names(const kn_iface *i, const char ***names, size_t *n) {
        *names = kn_xrealloc(*names, (*n + 1) * sizeof **names);
        (*names)[(*n)++] = i->name;
        for (size_t k = 0; k < i->n_children; k++)
                add_names(i->children[k], names, n);
}

void kn_mgr_iface_names(const kn_iface *def, const char ***names, size_t *n) {
        *names = NULL;
        *n = 0;
        add_names(def, names, n);
}

/* ---- The bus ---- */

const char *kn_mgr_bus_address(void) {
        const char *a = getenv("KVMNET_SYSTEM_BUS");
        if (isempty(a))
                a = getenv("DBUS_SYSTEM_BUS_ADDRESS");
        return isempty(a) ? "unix:path=/run/dbus/system_bus_socket" : a;
}

int kn_mgr_bus_open(sd_bus **ret, kn_error *err) {
        _cleanup_bus_ sd_bus *bus = NULL;
        const char *address = kn_mgr_bus_address();
        int r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_address(bus, address);
        if (r >= 0)
                r = sd_bus_set_bus_client(bus, 1);
        if (r >= 0)
                r = sd_bus_set_method_call_timeout(bus, 30 * 1000000ULL);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r < 0)
                return kn_error_set(err, -r, "system bus %s: %s", address, strerror(-r));
        *ret = TAKE_PTR(bus);
        return 0;
}

/* Is `name` owned by a process in ns's network namespace?  A manager of
 * another namespace on the same bus (the host's, while kvmnet serves a
 * test namespace) must never be handed that namespace's links. */
static bool owner_in_netns(sd_bus *bus, kn_netns *ns, const char *name) {
        _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_bus_msg_ sd_bus_message *reply = NULL;
        uint32_t pid;
        int r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                   "org.freedesktop.DBus", "GetConnectionUnixProcessID", &e, &reply,
                                   "s", name);
        if (r < 0 || sd_bus_message_read(reply, "u", &pid) < 0)
                return false; /* no owner (never activated: this asks the bus only) */
        char path[64];
        snprintf(path, sizeof path, "/proc/%u/ns/net", pid);
        struct stat st;
        return stat(path, &st) == 0 && (unsigned long) st.st_ino == ns->ino;
}

kn_manager_kind kn_mgr_detect_on(sd_bus *bus, kn_netns *ns, const char *backend) {
        if ((!backend || streq(backend, "nmkeyfile")) && owner_in_netns(bus, ns, KN_MGR_NM_NAME))
                return KN_MANAGER_NM;
        if ((!backend || streq(backend, "networkd")) &&
            owner_in_netns(bus, ns, KN_MGR_NETWORKD_NAME))
                return KN_MANAGER_NETWORKD;
        return KN_MANAGER_NONE;
}

int kn_mgr_open(kn_netns *ns, const char *backend, kn_manager_kind *kind, sd_bus **ret,
                kn_error *err) {
        kn_error ignored = {0};
        sd_bus *bus = NULL;
        *kind = KN_MANAGER_NONE;
        *ret = NULL;
        /* ifcfg, ifupdown: files no manager here reads; no bus traffic. */
        if (backend && !streq(backend, "nmkeyfile") && !streq(backend, "networkd"))
                return 0;
        if (kn_mgr_bus_open(&bus, &ignored) < 0)
                return 0; /* no bus: no manager on it */
        *kind = kn_mgr_detect_on(bus, ns, backend);
        if (*kind == KN_MANAGER_NONE)
                sd_bus_flush_close_unref(bus);
        else
                *ret = bus;
        return 0;
}

kn_manager_kind kn_manager_detect(kn_netns *ns, const char *backend) {
        _cleanup_bus_ sd_bus *bus = NULL;
        kn_manager_kind k;
        (void) kn_mgr_open(ns, backend, &k, &bus, NULL);
        return k;
}

/* ---- The verbs ---- */

int kn_manager_reload(kn_netns *ns, const char *backend, kn_error *err) {
        _cleanup_bus_ sd_bus *bus = NULL;
        kn_manager_kind k;
        (void) kn_mgr_open(ns, backend, &k, &bus, err);
        switch (k) {
        case KN_MANAGER_NM: return kn_mgr_nm_reload(bus, err);
        case KN_MANAGER_NETWORKD: return kn_mgr_networkd_reload(bus, err);
        default: return 0;
        }
}

/* Reload, then bring names up: the manager's way of iface-start. */
static int up(sd_bus *bus, kn_manager_kind k, const char *const *names, size_t n,
              kn_manager_report *rep, kn_error *err) {
        int r;
        rep->via = k;
        if (k == KN_MANAGER_NM) {
                r = kn_mgr_nm_reload(bus, err);
                if (r >= 0)
                        kn_mgr_step(rep, "NetworkManager: connection files reloaded");
                return r < 0 ? r : kn_mgr_nm_up(bus, names, n, rep, err);
        }
        r = kn_mgr_networkd_reload(bus, err);
        if (r >= 0)
                kn_mgr_step(rep, "systemd-networkd: configuration reloaded");
        return r < 0 ? r : kn_mgr_networkd_up(bus, names, n, rep, err);
}

int kn_manager_start(kn_netns *ns, const char *backend, const kn_iface *def, kn_manager_report *rep,
                     kn_error *err) {
        _cleanup_bus_ sd_bus *bus = NULL;
        kn_manager_kind k;
        *rep = (kn_manager_report){0};
        (void) kn_mgr_open(ns, backend, &k, &bus, err);
        if (k == KN_MANAGER_NONE)
                return 0;
        _cleanup_free_ const char **names = NULL;
        size_t n;
        kn_mgr_iface_names(def, &names, &n);
        if (k != KN_MANAGER_NM)
                return up(bus, k, names, n, rep, err);
        /* A start that fails half way leaves nothing NetworkManager
         * activated: a checkpoint of its own around it.  Inside a
         * transaction NM refuses a second one over the same devices; the
         * transaction's covers it then. */
        kn_error ce = {0};
        _cleanup_free_ char *cp = NULL;
        (void) kn_mgr_nm_checkpoint_create(bus, KN_MGR_TIMEOUT_USEC / 1000000ULL + 30, &cp, &ce);
        int r = up(bus, k, names, n, rep, err);
        if (cp && r < 0 && kn_mgr_nm_checkpoint_rollback(bus, cp, &ce) >= 0)
                kn_mgr_step(rep, "NetworkManager: what this start activated was rolled back");
        else if (cp && r >= 0)
                (void) kn_mgr_nm_checkpoint_destroy(bus, cp, &ce);
        return r;
}

int kn_manager_stop(kn_netns *ns, const char *backend, const kn_iface *def, kn_manager_report *rep,
                    kn_error *err) {
        _cleanup_bus_ sd_bus *bus = NULL;
        kn_manager_kind k;
        *rep = (kn_manager_report){0};
        (void) kn_mgr_open(ns, backend, &k, &bus, err);
        if (k != KN_MANAGER_NM)
                return 0; /* networkd has no "down": kvmnet's netlink path */
        rep->via = k;
        _cleanup_free_ const char **names = NULL;
        size_t n;
        kn_mgr_iface_names(def, &names, &n);
        return kn_mgr_nm_down(bus, names, n, rep, err);
}

int kn_manager_bridge(kn_netns *ns, const char *backend, const char *nic, const char *br,
                      kn_manager_report *rep, kn_error *err) {
        _cleanup_bus_ sd_bus *bus = NULL;
        kn_manager_kind k;
        *rep = (kn_manager_report){0};
        (void) kn_mgr_open(ns, backend, &k, &bus, err);
        if (k == KN_MANAGER_NONE)
                return 0;
        const char *names[] = {br, nic};
        return up(bus, k, names, 2, rep, err);
}

int kn_manager_unbridge(kn_netns *ns, const char *backend, const char *nic, const char *br,
                        bool force, kn_live_txn *txn, kn_manager_report *rep, kn_error *err) {
        _cleanup_bus_ sd_bus *bus = NULL;
        kn_manager_kind k;
        *rep = (kn_manager_report){0};
        (void) kn_mgr_open(ns, backend, &k, &bus, err);
        if (k == KN_MANAGER_NONE)
                return 0;
        const char *names[] = {nic};
        if (k == KN_MANAGER_NETWORKD) {
                /* networkd never deletes a netdev whose file went: kvmnet's
                 * netlink path moves the NIC back; then networkd, which saw
                 * the port released under its old file, re-reads the new one
                 * and configures the NIC by it. */
                char released[IFNAMSIZ] = "";
                int r = kn_live_unbridge(ns, br, force, txn, released, err);
                if (r < 0)
                        return r;
                kn_mgr_step(rep, "netlink: %s released from %s, %s deleted", nic, br, br);
                return up(bus, k, names, 1, rep, err);
        }
        int r = up(bus, k, names, 1, rep, err);
        if (r < 0)
                return r;
        /* The NIC's own profile took it out of the bridge; the bridge's
         * profile went with its file (reloaded): make sure it is down. */
        const char *bridge[] = {br};
        return kn_mgr_nm_down(bus, bridge, 1, rep, err);
}

/* ---- Checkpoints ---- */

struct kn_manager_checkpoint {
        char *path; /* NetworkManager's object */
};

int kn_manager_checkpoint_create(kn_netns *ns, const char *backend, unsigned timeout,
                                 kn_manager_checkpoint **ret, kn_error *err) {
        _cleanup_bus_ sd_bus *bus = NULL;
        kn_manager_kind k;
        *ret = NULL;
        (void) kn_mgr_open(ns, backend, &k, &bus, err);
        if (k != KN_MANAGER_NM)
                return 0;
        char *path = NULL;
        int r = kn_mgr_nm_checkpoint_create(bus, timeout, &path, err);
        if (r < 0)
                return r;
        kn_manager_checkpoint *c = kn_xcalloc(1, sizeof *c);
        c->path = path;
        *ret = c;
        return 0;
}

int kn_manager_checkpoint_rollback(kn_manager_checkpoint *c, kn_error *err) {
        _cleanup_bus_ sd_bus *bus = NULL;
        if (!c)
                return 0;
        int r = kn_mgr_bus_open(&bus, err);
        return r < 0 ? r : kn_mgr_nm_checkpoint_rollback(bus, c->path, err);
}

int kn_manager_checkpoint_destroy(kn_manager_checkpoint *c, kn_error *err) {
        _cleanup_bus_ sd_bus *bus = NULL;
        if (!c)
                return 0;
        int r = kn_mgr_bus_open(&bus, err);
        return r < 0 ? r : kn_mgr_nm_checkpoint_destroy(bus, c->path, err);
}

const char *kn_manager_checkpoint_path(const kn_manager_checkpoint *c) {
        return c->path;
}

kn_manager_checkpoint *kn_manager_checkpoint_adopt(const char *path) {
        kn_manager_checkpoint *c = kn_xcalloc(1, sizeof *c);
        c->path = kn_xstrdup(path);
        return c;
}

kn_manager_checkpoint *kn_manager_checkpoint_free(kn_manager_checkpoint *c) {
        if (c) {
                free(c->path);
                free(c);
        }
        return NULL;
}
