/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Helpers for the live tests.  Every test makes its own network namespaces
 * ("kn<pid>-<tag>"), and a watchdog process deletes them (killing what
 * runs inside: DHCP clients, dnsmasq) when the test process ends, however
 * it ends.  Nothing runs in the host's namespace except `ip netns add/del`:
 * every other command is `ip -n NS ...` or `ip netns exec NS ...`. */

#include <dirent.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kvmnet/live.h"
#include "macro.h"
#include "testutil.h"

static char lt_prefix[32];
static char lt_state_dir[64];

/* Run, and fail the test (abort) if the command fails. */
#define lt_sh(...)                                                                                 \
        do {                                                                                       \
                if (test_run(__VA_ARGS__) != 0) {                                                  \
                        fprintf(stderr, "%s:%d: command failed\n", __FILE__, __LINE__);            \
                        abort();                                                                   \
                }                                                                                  \
        } while (0)

/* stdout of a command, parsed as JSON (NULL if it fails). */
_printf_(1, 2) static inline json_object *lt_json(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        char *cmd;
        if (vasprintf(&cmd, fmt, ap) < 0)
                abort();
        va_end(ap);
        fflush(NULL);
        FILE *p = popen(cmd, "r");
        free(cmd);
        if (!p)
                return NULL;
        char *buf = NULL;
        size_t n = 0;
        FILE *m = open_memstream(&buf, &n);
        char chunk[4096];
        size_t k;
        while ((k = fread(chunk, 1, sizeof chunk, p)) > 0)
                fwrite(chunk, 1, k, m);
        fclose(m);
        int st = pclose(p);
        json_object *o = st == 0 ? json_tokener_parse(buf) : NULL;
        free(buf);
        return o;
}

static inline void lt_ns_kill_and_delete(const char *name) {
        test_run("for p in $(ip netns pids %s 2>/dev/null); do kill -9 $p; done; "
                 "ip netns del %s 2>/dev/null",
                 name, name);
}

static inline void lt_cleanup_all(void) {
        DIR *d = opendir("/run/netns");
        struct dirent *de;
        while (d && (de = readdir(d)))
                if (strncmp(de->d_name, lt_prefix, strlen(lt_prefix)) == 0)
                        lt_ns_kill_and_delete(de->d_name);
        if (d)
                closedir(d);
        if (lt_state_dir[0])
                test_run("rm -rf '%s'", lt_state_dir);
}

/* Call first.  Exits 77 (skipped) without root or ip. */
static inline void lt_init(void) {
        if (geteuid() != 0) {
                printf("skipped: live tests need root (network namespaces)\n");
                exit(77);
        }
        if (test_run("ip -V >/dev/null 2>&1") != 0) {
                printf("skipped: iproute2 (ip) is not installed\n");
                exit(77);
        }
        snprintf(lt_prefix, sizeof lt_prefix, "kn%d-", (int) getpid());
        snprintf(lt_state_dir, sizeof lt_state_dir, "/tmp/kvmnet-live-%d", (int) getpid());
        int fds[2];
        if (pipe(fds) < 0)
                abort();
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0)
                abort();
        if (pid == 0) {
                /* The watchdog: waits for the test process to go away. */
                close(fds[1]);
                setsid();
                signal(SIGTERM, SIG_IGN);
                signal(SIGINT, SIG_IGN);
                char c;
                while (read(fds[0], &c, 1) != 0)
                        ;
                lt_cleanup_all();
                _exit(0);
        }
        close(fds[0]); /* the write end stays open until this process ends */
}

/* A new namespace "kn<pid>-tag" with lo up; returns its name (static per tag). */
static inline const char *lt_ns(const char *tag) {
        static char names[8][64];
        static int next;
        char *name = names[next++ % 8];
        snprintf(name, 64, "%s%s", lt_prefix, tag);
        lt_ns_kill_and_delete(name);
        lt_sh("ip netns add %s && ip -n %s link set lo up", name, name);
        return name;
}

static inline kn_netns *lt_open(const char *ns) {
        kn_netns *h = NULL;
        kn_error err = {0};
        if (kn_netns_open(ns, &h, &err) < 0) {
                fprintf(stderr, "kn_netns_open(%s): %s\n", ns, err.message);
                abort();
        }
        if (kn_netns_set_state_dir(h, lt_state_dir, &err) < 0)
                abort();
        return h;
}

/* `ip -n NS -j -d link show dev IF` as the one object in its array. */
static inline json_object *lt_ip_link(const char *ns, const char *ifname) {
        json_object *a = lt_json("ip -n %s -j -d link show dev %s 2>/dev/null", ns, ifname);
        if (!a)
                return NULL;
        json_object *o = json_object_get(json_object_array_get_idx(a, 0));
        json_object_put(a);
        return o;
}

static inline const char *lt_str(json_object *o, const char *key) {
        json_object *v;
        return o && json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

static inline int64_t lt_int(json_object *o, const char *key) {
        json_object *v;
        return o && json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : -1;
}

/* Does `ip -j addr show dev IF` list ADDRESS/PREFIX? */
static inline bool lt_has_addr(const char *ns, const char *ifname, const char *address,
                               int prefix) {
        json_object *a = lt_json("ip -n %s -j addr show dev %s 2>/dev/null", ns, ifname);
        json_object *info;
        bool found = false;
        if (a && json_object_object_get_ex(json_object_array_get_idx(a, 0), "addr_info", &info))
                for (size_t k = 0; k < json_object_array_length(info) && !found; k++) {
                        json_object *x = json_object_array_get_idx(info, k);
                        found = streq_ptr(lt_str(x, "local"), address) &&
                                lt_int(x, "prefixlen") == prefix;
                }
        json_object_put(a);
        return found;
}

static inline bool lt_link_exists(const char *ns, const char *ifname) {
        return test_run("ip -n %s link show dev %s >/dev/null 2>&1", ns, ifname) == 0;
}

/* Is the interface flagged UP in `ip -j link`? */
static inline bool lt_link_up(const char *ns, const char *ifname) {
        json_object *o = lt_ip_link(ns, ifname), *flags;
        bool up = false;
        if (o && json_object_object_get_ex(o, "flags", &flags))
                for (size_t k = 0; k < json_object_array_length(flags); k++)
                        up |= streq(json_object_get_string(json_object_array_get_idx(flags, k)),
                                    "UP");
        json_object_put(o);
        return up;
}

static inline kn_iface *lt_parse(const char *xml) {
        kn_iface *i = NULL;
        kn_error err = {0};
        if (kn_iface_parse_xml(xml, strlen(xml), "<test>", &i, &err) < 0) {
                fprintf(stderr, "bad test XML: %s\n", err.message);
                abort();
        }
        return i;
}
