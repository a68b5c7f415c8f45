/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* systemd-networkd over D-Bus (org.freedesktop.network1): Reload after
 * kvmnet wrote the files, ReconfigureLink of each link concerned, then wait
 * until networkd reports every one of them "configured" (its
 * AdministrativeState).  A link that a .netdev file makes appears only
 * after the Reload: it is waited for by name. */

#include "manager-internal.h"

#define NETWORKD_PATH    "/org/freedesktop/network1"
#define NETWORKD_MANAGER "org.freedesktop.network1.Manager"
#define NETWORKD_LINK    "org.freedesktop.network1.Link"

int kn_mgr_networkd_reload(sd_bus *bus, kn_error *err) {
        _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
        int r = sd_bus_call_method(bus, KN_MGR_NETWORKD_NAME, NETWORKD_PATH, NETWORKD_MANAGER,
                                   "Reload", &e, NULL, NULL);
        return r < 0 ? kn_mgr_error(err, r, &e, "systemd-networkd: Reload") : 0;
}

typedef struct link_wait {
        const char *name;
        int ifindex;      /* 0: not there yet */
        char *path;       /* its object */
        char *state;      /* AdministrativeState last seen */
        unsigned retries; /* ReconfigureLink again after "failed" */
        bool done;
} link_wait;

/* 1 when networkd knows the link (and it was told to reconfigure it), 0
 * not yet, < 0 on a failed call. */
static int find_link(sd_bus *bus, link_wait *l, kn_error *err) {
        _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
        _cleanup_bus_msg_ sd_bus_message *reply = NULL;
        const char *path;
        int r = sd_bus_call_method(bus, KN_MGR_NETWORKD_NAME, NETWORKD_PATH, NETWORKD_MANAGER,
                                   "GetLinkByName", &e, &reply, "s", l->name);
        if (r < 0)
                return 0; /* no such link (yet): a new netdev is being made */
        r = sd_bus_message_read(reply, "io", &l->ifindex, &path);
        if (r < 0)
                return kn_mgr_error(err, r, NULL, "systemd-networkd: GetLinkByName %s", l->name);
        l->path = kn_xstrdup(path);
        sd_bus_error_free(&e);
        r = sd_bus_call_method(bus, KN_MGR_NETWORKD_NAME, NETWORKD_PATH, NETWORKD_MANAGER,
                               "ReconfigureLink", &e, NULL, "i", l->ifindex);
        if (r < 0)
                return kn_mgr_error(err, r, &e, "systemd-networkd: ReconfigureLink %s (ifindex %d)",
                                    l->name, l->ifindex);
        return 1;
}

static int look(sd_bus *bus, link_wait *l, kn_error *err) {
        _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
        char *state = NULL;
        int r = sd_bus_get_property_string(bus, KN_MGR_NETWORKD_NAME, l->path, NETWORKD_LINK,
                                           "AdministrativeState", &e, &state);
        if (r < 0)
                return kn_mgr_error(err, r, &e, "systemd-networkd: link %s", l->name);
        free(l->state);
        l->state = state;
        if (streq(state, "configured"))
                l->done = true;
        else if (streq(state, "failed") && l->retries < 3) {
                /* A request of the configuration before ours may still
                 * fail late (a port released while networkd was setting
                 * its old master): reconfigure again. */
                l->retries++;
                sd_bus_error_free(&e);
                r = sd_bus_call_method(bus, KN_MGR_NETWORKD_NAME, NETWORKD_PATH, NETWORKD_MANAGER,
                                       "ReconfigureLink", &e, NULL, "i", l->ifindex);
                if (r < 0)
                        return kn_mgr_error(err, r, &e, "systemd-networkd: ReconfigureLink %s",
                                            l->name);
        } else if (streq(state, "failed") || streq(state, "unmanaged") || streq(state, "linger"))
                return kn_error_set(err, EIO,
                                    "systemd-networkd: link %s is %s, not configured (its journal "
                                    "says why; networkctl status %s)",
                                    l->name, state, l->name);
        return 0;
}

int kn_mgr_networkd_up(sd_bus *bus, const char *const *names, size_t n, kn_manager_report *rep,
                       kn_error *err) {
        link_wait *links = kn_xcalloc(n + 1, sizeof *links);
        uint64_t deadline = kn_mgr_now() + KN_MGR_TIMEOUT_USEC;
        size_t left = n;
        int r = 0;
        for (size_t k = 0; k < n; k++)
                links[k].name = names[k];
        while (left > 0 && r >= 0) {
                for (size_t k = 0; k < n && r >= 0; k++) {
                        link_wait *l = &links[k];
                        if (l->done)
                                continue;
                        if (!l->path) {
                                r = find_link(bus, l, err);
                                if (r <= 0)
                                        continue;
                                kn_mgr_step(rep, "systemd-networkd: reconfigure %s (ifindex %d)",
                                            l->name, l->ifindex);
                        }
                        r = look(bus, l, err);
                        if (r >= 0 && l->done) {
                                kn_mgr_step(rep, "systemd-networkd: %s configured", l->name);
                                left--;
                        }
                }
                if (r < 0 || left == 0)
                        break;
                if (kn_mgr_now() > deadline) {
                        for (size_t k = 0; k < n; k++)
                                if (!links[k].done) {
                                        r = kn_error_set(
                                                err, ETIMEDOUT,
                                                "systemd-networkd: link %s is %s after %llu s, "
                                                "not configured",
                                                links[k].name,
                                                links[k].state ? links[k].state : "not there",
                                                KN_MGR_TIMEOUT_USEC / 1000000ULL);
                                        break;
                                }
                        break;
                }
                kn_mgr_sleep();
        }
        for (size_t k = 0; k < n; k++) {
                free(links[k].path);
                free(links[k].state);
        }
        free(links);
        return r < 0 ? r : 0;
}
