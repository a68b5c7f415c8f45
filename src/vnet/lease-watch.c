/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One inotify instance per loop, shared by every lease file (lease-watch.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "lease-watch.h"
#include "macro.h"

#define LEASE_EVENTS (IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB | IN_MOVE_SELF | IN_DELETE_SELF)

typedef struct instance instance;

struct kn_lease_watch {
        instance *in;
        char *path;
        int wd;
        void (*fn)(void *);
        void *userdata;
        kn_lease_watch *next;
};

/* Per loop: kvmnetd has one, tests may make several in turn. */
struct instance {
        kn_loop *loop;
        int fd;
        kn_loop_watch *watch;
        kn_lease_watch *files;
        instance *next;
};

static instance *instances;

/* dnsmasq opens its lease file once ("a+"): made first, the file can be
 * watched before dnsmasq runs, across its restarts, and again when
 * someone removed it. */
static int watch_file(int ino, const char *path) {
        int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        close(fd);
        int wd = inotify_add_watch(ino, path, LEASE_EVENTS);
        return wd < 0 ? -errno : wd;
}

static void on_inotify(int fd, uint32_t revents, void *userdata) {
        instance *in = userdata;
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        ssize_t n;
        while ((n = read(fd, buf, sizeof buf)) > 0)
                for (char *p = buf; p < buf + n;) {
                        const struct inotify_event *ev = (const struct inotify_event *) p;
                        p += sizeof *ev + ev->len;
                        for (kn_lease_watch *w = in->files; w; w = w->next) {
                                if (w->wd != ev->wd)
                                        continue;
                                /* Removed or replaced behind our back:
                                 * follow the new file. */
                                if (ev->mask & IN_IGNORED)
                                        w->wd = watch_file(in->fd, w->path);
                                w->fn(w->userdata);
                                break;
                        }
                }
}

static int instance_get(kn_loop *loop, instance **ret) {
        for (instance *in = instances; in; in = in->next)
                if (in->loop == loop) {
                        *ret = in;
                        return 0;
                }
        instance *in = kn_xcalloc(1, sizeof *in);
        in->loop = loop;
        in->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        int r = in->fd < 0 ? -errno
                           : kn_loop_add_fd(loop, in->fd, EPOLLIN, on_inotify, in, &in->watch);
        if (r < 0) {
                if (in->fd >= 0)
                        close(in->fd);
                free(in);
                return r;
        }
        in->next = instances;
        instances = in;
        *ret = in;
        return 0;
}

static void instance_put(instance *in) {
        if (in->files)
                return;
        for (instance **p = &instances; *p; p = &(*p)->next)
                if (*p == in) {
                        *p = in->next;
                        break;
                }
        kn_loop_del(in->loop, in->watch);
        close(in->fd);
        free(in);
}

int kn_lease_watch_add(kn_loop *loop, const char *path, void (*fn)(void *), void *userdata,
                       kn_lease_watch **ret) {
        instance *in;
        int r = instance_get(loop, &in);
        if (r < 0)
                return r;
        int wd = watch_file(in->fd, path);
        if (wd < 0) {
                r = wd;
                instance_put(in);
                return r;
        }
        kn_lease_watch *w = kn_xcalloc(1, sizeof *w);
        *w = (kn_lease_watch){.in = in,
                              .path = kn_xstrdup(path),
                              .wd = wd,
                              .fn = fn,
                              .userdata = userdata,
                              .next = in->files};
        in->files = w;
        *ret = w;
        return 0;
}

kn_lease_watch *kn_lease_watch_free(kn_lease_watch *w) {
        if (!w)
                return NULL;
        instance *in = w->in;
        for (kn_lease_watch **p = &in->files; *p; p = &(*p)->next)
                if (*p == w) {
                        *p = w->next;
                        break;
                }
        if (w->wd >= 0)
                (void) inotify_rm_watch(in->fd, w->wd);
        free(w->path);
        free(w);
        instance_put(in);
        return NULL;
}
