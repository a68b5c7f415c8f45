/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Forwarding sysctls with a user count on disk (see sysctl.h). */

#include "sysctl.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "macro.h"
#include "mkdir.h"
#include "rootfs.h"
#include "vnet-private.h"

static const char *proc_path(int family) {
        return family == AF_INET ? "/proc/sys/net/ipv4/ip_forward"
                                 : "/proc/sys/net/ipv6/conf/all/forwarding";
}

static const char *fam_name(int family) {
        return family == AF_INET ? "ipv4" : "ipv6";
}

typedef struct sysctl_io {
        int family;
        int write; /* the value to write, or -1 to read */
        int value; /* what was read */
} sysctl_io;

/* Inside the namespace: /proc/sys/net shows the namespace of the task
 * that opens the file. */
static int io_in_ns(void *data) {
        sysctl_io *io = data;
        _cleanup_close_ int fd =
                open(proc_path(io->family), (io->write < 0 ? O_RDONLY : O_WRONLY) | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (io->write >= 0) {
                char c[2] = {io->write ? '1' : '0', '\n'};
                return write(fd, c, 2) == 2 ? 0 : -errno;
        }
        char buf[16];
        ssize_t n = read(fd, buf, sizeof buf - 1);
        if (n <= 0)
                return n < 0 ? -errno : -EIO;
        buf[n] = '\0';
        io->value = atoi(buf);
        return 0;
}

static int sysctl_io_run(kn_netns *ns, sysctl_io *io, kn_error *err) {
        int r = kn_netns_run(ns, io_in_ns, io, err);
        if (r < 0)
                return kn_error_set(err, -r, "%s %s in network namespace '%s': %s",
                                    io->write < 0 ? "cannot read" : "cannot write",
                                    proc_path(io->family), kn_netns_name(ns), strerror(-r));
        return 0;
}

int kn_sysctl_forward_get(kn_netns *ns, int family, kn_error *err) {
        sysctl_io io = {.family = family, .write = -1};
        int r = sysctl_io_run(ns, &io, err);
        return r < 0 ? r : io.value != 0;
}

static int sysctl_set(kn_netns *ns, int family, int value, kn_error *err) {
        sysctl_io io = {.family = family, .write = value};
        return sysctl_io_run(ns, &io, err);
}

/* STATE/forward/ipv4 (the users) and STATE/forward/ipv4.saved. */
static char *users_dir(const char *state_dir, int family) {
        return kn_xasprintf("%s/forward/%s", state_dir, fam_name(family));
}

static char *saved_path(const char *state_dir, int family) {
        return kn_xasprintf("%s/forward/%s.saved", state_dir, fam_name(family));
}

static int ino_in_ns(void *data) {
        struct stat st;
        if (stat("/proc/thread-self/ns/net", &st) < 0)
                return -errno;
        *(unsigned long *) data = (unsigned long) st.st_ino;
        return 0;
}

static void remove_dir_files(const char *path) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d)))
                if (e->d_name[0] != '.')
                        unlinkat(dirfd(d), e->d_name, 0);
        if (d)
                closedir(d);
}

/* The state is about one namespace in one boot (its boot id and the
 * namespace's inode, in STATE/forward/namespace).  State of another (after
 * a reboot, or a namespace deleted and made again) is stale: its networks
 * are gone and its sysctls were reset, so it is dropped. */
static int check_namespace(kn_netns *ns, const char *state_dir, kn_error *err) {
        unsigned long ino = 0;
        int r = kn_netns_run(ns, ino_in_ns, &ino, err);
        if (r < 0)
                return kn_error_set(err, -r, "network namespace '%s': %s", kn_netns_name(ns),
                                    strerror(-r));
        char boot[64] = "";
        _cleanup_fclose_ FILE *b = fopen("/proc/sys/kernel/random/boot_id", "re");
        if (!b || !fgets(boot, sizeof boot, b))
                return kn_error_set(err, errno ? errno : EIO,
                                    "cannot read /proc/sys/kernel/random/boot_id: %m");
        boot[strcspn(boot, "\n")] = '\0';
        _cleanup_free_ char *want = kn_xasprintf("%s %lu\n", boot, ino);
        _cleanup_free_ char *dir = kn_xasprintf("%s/forward", state_dir);
        _cleanup_free_ char *path = kn_xasprintf("%s/namespace", dir);
        char have[128] = "";
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        if (f && fgets(have, sizeof have, f) && streq(have, want))
                return 0;
        static const int families[] = {AF_INET, AF_INET6};
        for (size_t k = 0; f && k < ELEMENTSOF(families); k++) {
                _cleanup_free_ char *users = users_dir(state_dir, families[k]);
                _cleanup_free_ char *saved = saved_path(state_dir, families[k]);
                remove_dir_files(users);
                unlink(saved);
        }
        r = kn_mkdir_p(dir, 0755);
        if (r < 0)
                return kn_error_set(err, -r, "state directory %s: %s", dir, strerror(-r));
        return kn_write_file_atomic(path, want, strlen(want), 0644, false, err);
}

static int acquire_one(kn_netns *ns, const char *state_dir, const char *network, int family,
                       bool *changed, kn_error *err) {
        _cleanup_free_ char *dir = users_dir(state_dir, family);
        int r = kn_mkdir_p(dir, 0755);
        if (r < 0)
                return kn_error_set(err, -r, "state directory %s: %s", dir, strerror(-r));
        _cleanup_free_ char *user = kn_xasprintf("%s/%s", dir, network);
        /* Not fsync'ed: a crash that loses it resets the sysctls too. */
        r = kn_write_file_atomic(user, "", 0, 0644, false, err);
        if (r < 0)
                return r;
        int v = kn_sysctl_forward_get(ns, family, err);
        if (v != 0)
                return v < 0 ? v : 0;
        /* Saved before the change: a kvmnetd killed in between still
         * restores it.  An older saved value (from such a kill) wins. */
        _cleanup_free_ char *saved = saved_path(state_dir, family);
        if (access(saved, F_OK) < 0) {
                r = kn_write_file_atomic(saved, "0\n", 2, 0644, false, err);
                if (r < 0)
                        return r;
        }
        r = sysctl_set(ns, family, 1, err);
        if (r < 0)
                return r;
        *changed = true;
        return 0;
}

static bool dir_has_users(const char *path) {
        DIR *d = opendir(path);
        if (!d)
                return false;
        bool any = false;
        struct dirent *e;
        while (!any && (e = readdir(d)))
                any = e->d_name[0] != '.';
        closedir(d);
        return any;
}

static int release_one(kn_netns *ns, const char *state_dir, const char *network, int family,
                       bool *restored, kn_error *err) {
        _cleanup_free_ char *dir = users_dir(state_dir, family);
        _cleanup_free_ char *user = kn_xasprintf("%s/%s", dir, network);
        if (unlink(user) < 0 && errno != ENOENT)
                return kn_error_set(err, errno, "%s: %m", user);
        if (dir_has_users(dir))
                return 0;
        _cleanup_free_ char *saved = saved_path(state_dir, family);
        _cleanup_fclose_ FILE *f = fopen(saved, "re");
        if (!f)
                return errno == ENOENT ? 0 : kn_error_set(err, errno, "%s: %m", saved);
        int old;
        if (fscanf(f, "%d", &old) != 1 || (old != 0 && old != 1))
                return kn_error_set(err, EINVAL,
                                    "%s: not a saved forwarding value (0 or 1); remove it to "
                                    "leave %s as it is",
                                    saved, proc_path(family));
        int r = sysctl_set(ns, family, old, err);
        if (r < 0)
                return r;
        if (unlink(saved) < 0 && errno != ENOENT)
                return kn_error_set(err, errno, "%s: %m", saved);
        *restored = true;
        return 0;
}

int kn_sysctl_forward_acquire(kn_netns *ns, const char *state_dir, const char *network, bool ipv6,
                              kn_sysctl_change *ret, kn_error *err) {
        kn_sysctl_change c = {0};
        int r = kn_object_name_validate(network, "network", err);
        if (r < 0)
                return r;
        r = check_namespace(ns, state_dir, err);
        if (r < 0)
                return r;
        r = acquire_one(ns, state_dir, network, AF_INET, &c.ipv4, err);
        if (r == 0 && ipv6)
                r = acquire_one(ns, state_dir, network, AF_INET6, &c.ipv6, err);
        if (r < 0) {
                /* Undo: the registration(s) made and whatever they changed. */
                kn_sysctl_change ignored;
                kn_sysctl_forward_release(ns, state_dir, network, &ignored, NULL);
                return r;
        }
        if (ret)
                *ret = c;
        return 0;
}

int kn_sysctl_forward_release(kn_netns *ns, const char *state_dir, const char *network,
                              kn_sysctl_change *ret, kn_error *err) {
        kn_sysctl_change c = {0};
        int r = kn_object_name_validate(network, "network", err);
        if (r < 0)
                return r;
        r = check_namespace(ns, state_dir, err);
        if (r < 0)
                return r;
        r = release_one(ns, state_dir, network, AF_INET, &c.ipv4, err);
        int r6 = release_one(ns, state_dir, network, AF_INET6, &c.ipv6, err);
        if (ret)
                *ret = c;
        return r < 0 ? r : r6;
}
