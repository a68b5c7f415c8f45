/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NetworkManager over its D-Bus API (org.freedesktop.NetworkManager):
 * ReloadConnections after kvmnet wrote the keyfiles; a profile found by
 * its connection.interface-name and activated (ActivateConnection), the
 * bridge before its ports; a device's active connection deactivated
 * (DeactivateConnection); checkpoints for transactions.  Done means the
 * device reports the profile activated (device state 100). */

#include "manager-internal.h"

#define NM_PATH          "/org/freedesktop/NetworkManager"
#define NM_IFACE         "org.freedesktop.NetworkManager"
#define NM_SETTINGS_PATH "/org/freedesktop/NetworkManager/Settings"
#define NM_SETTINGS      "org.freedesktop.NetworkManager.Settings"
#define NM_SETTINGS_CONN "org.freedesktop.NetworkManager.Settings.Connection"
#define NM_DEVICE        "org.freedesktop.NetworkManager.Device"
#define NM_ACTIVE        "org.freedesktop.NetworkManager.Connection.Active"

#define NM_DEVICE_STATE_ACTIVATED   100
#define NM_DEVICE_STATE_FAILED      120
#define NM_ACTIVE_STATE_DEACTIVATED 4
/* Devices made after the checkpoint (the new bridge) are disconnected,
 * and so deleted, on rollback.  New profiles are not deleted by NM: their
 * files are kvmnet's to restore. */
#define NM_CHECKPOINT_DISCONNECT_NEW_DEVICES 0x04

int kn_mgr_nm_reload(sd_bus *bus, kn_error *err) {
        _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
        int r = sd_bus_call_method(bus, KN_MGR_NM_NAME, NM_SETTINGS_PATH, NM_SETTINGS,
                                   "ReloadConnections", &e, NULL, NULL);
        return r < 0 ? kn_mgr_error(err, r, &e, "NetworkManager: ReloadConnections") : 0;
}

/* An object path property ("/" is none). */
static int get_path(sd_bus *bus, const char *path, const char *iface, const char *prop, char **ret,
                    sd_bus_error *e) {
        _cleanup_bus_msg_ sd_bus_message *reply = NULL;
        const char *p;
        int r = sd_bus_get_property(bus, KN_MGR_NM_NAME, path, iface, prop, e, &reply, "o");
        if (r >= 0)
                r = sd_bus_message_read(reply, "o", &p);
        if (r < 0)
                return r;
        *ret = kn_xstrdup(p);
        return 0;
}

static int get_u32(sd_bus *bus, const char *path, const char *iface, const char *prop,
                   uint32_t *ret, sd_bus_error *e) {
        return sd_bus_get_property_trivial(bus, KN_MGR_NM_NAME, path, iface, prop, e, 'u', ret);
}

/* The device of interface name, NULL if NetworkManager has none. */
static char *device_of(sd_bus *bus, const char *name) {
        _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_bus_msg_ sd_bus_message *reply = NULL;
        const char *p;
        if (sd_bus_call_method(bus, KN_MGR_NM_NAME, NM_PATH, NM_IFACE, "GetDeviceByIpIface", &e,
                               &reply, "s", name) < 0 ||
            sd_bus_message_read(reply, "o", &p) < 0)
                return NULL;
        return kn_xstrdup(p);
}

/* connection.interface-name and connection.id of a profile's settings. */
static int read_names(sd_bus_message *m, char **ifname, char **id) {
        int r = sd_bus_message_enter_container(m, 'a', "{sa{sv}}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sa{sv}")) > 0) {
                const char *group;
                r = sd_bus_message_read(m, "s", &group);
                if (r >= 0)
                        r = sd_bus_message_enter_container(m, 'a', "{sv}");
                while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                        const char *key, *val;
                        char **want = NULL;
                        r = sd_bus_message_read(m, "s", &key);
                        if (r >= 0 && streq(group, "connection"))
                                want = streq(key, "interface-name") ? ifname
                                       : streq(key, "id")           ? id
                                                                    : NULL;
                        if (r >= 0 && want) {
                                r = sd_bus_message_read(m, "v", "s", &val);
                                if (r >= 0) {
                                        free(*want);
                                        *want = kn_xstrdup(val);
                                }
                        } else if (r >= 0)
                                r = sd_bus_message_skip(m, "v");
                        if (r >= 0)
                                r = sd_bus_message_exit_container(m);
                }
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        return r < 0 ? r : sd_bus_message_exit_container(m);
}

/* The profile for interface name: the one whose interface-name is name,
 * else the one whose id is. */
static int find_profile(sd_bus *bus, const char *name, char **ret, kn_error *err) {
        _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_bus_msg_ sd_bus_message *list = NULL;
        _cleanup_free_ char *by_id = NULL;
        const char *p;
        int r = sd_bus_call_method(bus, KN_MGR_NM_NAME, NM_SETTINGS_PATH, NM_SETTINGS,
                                   "ListConnections", &e, &list, NULL);
        if (r < 0)
                return kn_mgr_error(err, r, &e, "NetworkManager: ListConnections");
        r = sd_bus_message_enter_container(list, 'a', "o");
        while (r >= 0 && (r = sd_bus_message_read(list, "o", &p)) > 0) {
                _cleanup_bus_msg_ sd_bus_message *s = NULL;
                _cleanup_free_ char *ifname = NULL, *id = NULL;
                sd_bus_error_free(&e);
                if (sd_bus_call_method(bus, KN_MGR_NM_NAME, p, NM_SETTINGS_CONN, "GetSettings", &e,
                                       &s, NULL) < 0)
                        continue; /* gone meanwhile */
                r = read_names(s, &ifname, &id);
                if (r < 0)
                        break;
                if (streq_ptr(ifname, name)) {
                        *ret = kn_xstrdup(p);
                        return 0;
                }
                if (!by_id && streq_ptr(id, name))
                        by_id = kn_xstrdup(p);
        }
        if (r < 0)
                return kn_mgr_error(err, r, NULL, "NetworkManager: reading the profiles");
        if (by_id) {
                *ret = TAKE_PTR(by_id);
                return 0;
        }
        return kn_error_set(err, ENOENT,
                            "NetworkManager: no profile for '%s' after reloading the files (is "
                            "its keyfile mode 0600, owned by root?)",
                            name);
}

typedef struct nm_wait {
        const char *name;
        char *profile; /* Settings.Connection */
        char *device;  /* NULL until NM has the device (a new bridge) */
        uint32_t state, reason;
        bool done;
} nm_wait;

/* Is name's device activated with its profile?  Sets done. */
static int look(sd_bus *bus, nm_wait *w, kn_error *err) {
        _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_bus_msg_ sd_bus_message *sr = NULL;
        _cleanup_free_ char *ac = NULL, *conn = NULL;
        if (!w->device && !(w->device = device_of(bus, w->name)))
                return 0;
        if (get_u32(bus, w->device, NM_DEVICE, "State", &w->state, &e) < 0)
                return 0; /* the device went (a bridge made anew) */
        if (sd_bus_get_property(bus, KN_MGR_NM_NAME, w->device, NM_DEVICE, "StateReason", &e, &sr,
                                "(uu)") >= 0)
                (void) sd_bus_message_read(sr, "(uu)", &w->state, &w->reason);
        if (w->state != NM_DEVICE_STATE_ACTIVATED)
                return 0;
        if (get_path(bus, w->device, NM_DEVICE, "ActiveConnection", &ac, &e) < 0 ||
            get_path(bus, ac, NM_ACTIVE, "Connection", &conn, &e) < 0)
                return 0;
        /* Still the old profile for a moment after ActivateConnection. */
        w->done = streq(conn, w->profile);
        return 0;
}

static int activate(sd_bus *bus, nm_wait *w, kn_manager_report *rep, kn_error *err) {
        _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
        int r = find_profile(bus, w->name, &w->profile, err);
        if (r < 0)
                return r;
        r = sd_bus_call_method(bus, KN_MGR_NM_NAME, NM_PATH, NM_IFACE, "ActivateConnection", &e,
                               NULL, "ooo", w->profile, "/", "/");
        if (r < 0)
                return kn_mgr_error(err, r, &e, "NetworkManager: activating the profile of '%s'",
                                    w->name);
        kn_mgr_step(rep, "NetworkManager: activate %s (%s)", w->name, w->profile);
        return 0;
}

int kn_mgr_nm_up(sd_bus *bus, const char *const *names, size_t n, kn_manager_report *rep,
                 kn_error *err) {
        nm_wait *ws = kn_xcalloc(n + 1, sizeof *ws);
        int r = 0;
        size_t left = n;
        /* The bridge first: a port's activation waits for its master. */
        for (size_t k = 0; k < n && r >= 0; k++) {
                ws[k].name = names[k];
                r = activate(bus, &ws[k], rep, err);
        }
        uint64_t deadline = kn_mgr_now() + KN_MGR_TIMEOUT_USEC;
        while (r >= 0 && left > 0) {
                for (size_t k = 0; k < n && r >= 0; k++) {
                        if (ws[k].done)
                                continue;
                        r = look(bus, &ws[k], err);
                        if (r >= 0 && ws[k].done) {
                                kn_mgr_step(rep, "NetworkManager: %s activated", ws[k].name);
                                left--;
                        } else if (r >= 0 && ws[k].state == NM_DEVICE_STATE_FAILED)
                                r = kn_error_set(err, EIO,
                                                 "NetworkManager: activating '%s' failed (device "
                                                 "state reason %u; nmcli device show %s)",
                                                 ws[k].name, ws[k].reason, ws[k].name);
                }
                if (r < 0 || left == 0)
                        break;
                if (kn_mgr_now() > deadline) {
                        for (size_t k = 0; k < n; k++)
                                if (!ws[k].done) {
                                        r = kn_error_set(err, ETIMEDOUT,
                                                         "NetworkManager: '%s' not activated after "
                                                         "%llu s (device state %u, reason %u)",
                                                         ws[k].name,
                                                         KN_MGR_TIMEOUT_USEC / 1000000ULL,
                                                         ws[k].state, ws[k].reason);
                                        break;
                                }
                        break;
                }
                kn_mgr_sleep();
        }
        for (size_t k = 0; k < n; k++) {
                free(ws[k].profile);
                free(ws[k].device);
        }
        free(ws);
        return r < 0 ? r : 0;
}

int kn_mgr_nm_down(sd_bus *bus, const char *const *names, size_t n, kn_manager_report *rep,
                   kn_error *err) {
        char **acs = kn_xcalloc(n + 1, sizeof *acs);
        int r = 0;
        for (size_t k = 0; k < n && r >= 0; k++) {
                _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
                _cleanup_free_ char *dev = device_of(bus, names[k]);
                char *ac = NULL;
                if (!dev || get_path(bus, dev, NM_DEVICE, "ActiveConnection", &ac, &e) < 0)
                        continue; /* no such device: nothing to take down */
                if (streq(ac, "/")) {
                        free(ac);
                        continue; /* a port already gone with its master */
                }
                r = sd_bus_call_method(bus, KN_MGR_NM_NAME, NM_PATH, NM_IFACE,
                                       "DeactivateConnection", &e, NULL, "o", ac);
                if (r < 0 && !sd_bus_error_has_name(&e, "org.freedesktop.NetworkManager."
                                                        "ConnectionNotActive")) {
                        r = kn_mgr_error(err, r, &e, "NetworkManager: deactivating '%s'", names[k]);
                        free(ac);
                        break;
                }
                r = 0;
                kn_mgr_step(rep, "NetworkManager: deactivate %s", names[k]);
                acs[k] = ac;
        }
        /* Gone when the active connection object is, or reads deactivated. */
        uint64_t deadline = kn_mgr_now() + KN_MGR_TIMEOUT_USEC;
        for (size_t k = 0; k < n && r >= 0; k++) {
                while (acs[k]) {
                        _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
                        uint32_t state;
                        if (get_u32(bus, acs[k], NM_ACTIVE, "State", &state, &e) < 0 ||
                            state == NM_ACTIVE_STATE_DEACTIVATED)
                                break;
                        if (kn_mgr_now() > deadline) {
                                r = kn_error_set(err, ETIMEDOUT,
                                                 "NetworkManager: '%s' still deactivating after "
                                                 "%llu s",
                                                 names[k], KN_MGR_TIMEOUT_USEC / 1000000ULL);
                                break;
                        }
                        kn_mgr_sleep();
                }
        }
        kn_strv_free(acs, n);
        return r;
}

/* ---- Checkpoints ---- */

int kn_mgr_nm_checkpoint_create(sd_bus *bus, unsigned timeout, char **ret_path, kn_error *err) {
        _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_bus_msg_ sd_bus_message *reply = NULL;
        const char *p;
        /* No devices named: all of them. */
        int r = sd_bus_call_method(bus, KN_MGR_NM_NAME, NM_PATH, NM_IFACE, "CheckpointCreate", &e,
                                   &reply, "aouu", 0, timeout,
                                   NM_CHECKPOINT_DISCONNECT_NEW_DEVICES);
        if (r >= 0)
                r = sd_bus_message_read(reply, "o", &p);
        if (r < 0)
                return kn_mgr_error(err, r, &e, "NetworkManager: CheckpointCreate");
        *ret_path = kn_xstrdup(p);
        return 0;
}

int kn_mgr_nm_checkpoint_rollback(sd_bus *bus, const char *path, kn_error *err) {
        _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_bus_msg_ sd_bus_message *reply = NULL;
        int r = sd_bus_call_method(bus, KN_MGR_NM_NAME, NM_PATH, NM_IFACE, "CheckpointRollback", &e,
                                   &reply, "o", path);
        if (r < 0)
                return kn_mgr_error(err, r, &e, "NetworkManager: CheckpointRollback %s", path);
        /* a{su}: per device, 0 when it was restored. */
        const char *dev;
        uint32_t result;
        r = sd_bus_message_enter_container(reply, 'a', "{su}");
        while (r >= 0 && (r = sd_bus_message_read(reply, "{su}", &dev, &result)) > 0)
                if (result != 0)
                        return kn_error_set(err, EIO,
                                            "NetworkManager: CheckpointRollback: device %s was "
                                            "not restored (result %u)",
                                            dev, result);
        return r < 0 ? kn_mgr_error(err, r, NULL, "NetworkManager: CheckpointRollback") : 0;
}

int kn_mgr_nm_checkpoint_destroy(sd_bus *bus, const char *path, kn_error *err) {
        _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
        int r = sd_bus_call_method(bus, KN_MGR_NM_NAME, NM_PATH, NM_IFACE, "CheckpointDestroy", &e,
                                   NULL, "o", path);
        return r < 0 ? kn_mgr_error(err, r, &e, "NetworkManager: CheckpointDestroy %s", path) : 0;
}
