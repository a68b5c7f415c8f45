/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/inotify.h>

#include "daemon.h"
#include "macro.h"
#include "rootfs.h"

/* What changes a configuration directory: files written (editors and
 * atomic writers rename into place), removed, or the directory itself
 * going away. */
#define DIR_EVENTS                                                                                 \
        (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB |        \
         IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
/* On the nearest existing ancestor of a missing directory, only its
 * appearance matters. */
#define ANCESTOR_EVENTS (IN_CREATE | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

static void watch_event(int fd, uint32_t events, void *userdata);
static void watch_timer(void *userdata);

static void watch_clear(kn_watch *w) {
        for (size_t k = 0; k < w->n_entries; k++) {
                inotify_rm_watch(w->fd, w->entries[k].wd);
                free(w->entries[k].want);
        }
        w->n_entries = 0;
}

static bool watch_has(const struct kn_watch_entry *entries, size_t n, int wd) {
        for (size_t k = 0; k < n; k++)
                if (entries[k].wd == wd)
                        return true;
        return false;
}

/* FD: the directory, opened inside the root.  inotify is given its
 * /proc/self/fd link, so what is watched is what the root's reader sees:
 * a symlink in the root never leads the watch out of it. */
static void watch_add(kn_watch *w, int fd, const char *display, const char *want) {
        char link[64];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        /* IN_MASK_ADD: a directory watched whole and also as the ancestor
         * of a missing one (etc/network without interfaces.d) keeps every
         * event; event_matters() picks what counts. */
        int wd =
                inotify_add_watch(w->fd, link, (want ? ANCESTOR_EVENTS : DIR_EVENTS) | IN_MASK_ADD);
        if (wd < 0) {
                kn_logp(KN_LOG_WARNING, "cannot watch %s: %m", display);
                return;
        }
        /* inotify hands out one wd per inode: a directory listed twice shares it. */
        for (size_t k = 0; k < w->n_entries; k++)
                if (w->entries[k].wd == wd) {
                        if (!want) {
                                free(w->entries[k].want);
                                w->entries[k].want = NULL;
                        }
                        return;
                }
        GREEDY_REALLOC(w->entries, w->alloc_entries, w->n_entries + 1);
        w->entries[w->n_entries++] = (struct kn_watch_entry){
                .wd = wd,
                .want = want ? kn_xstrdup(want) : NULL,
        };
}

/* Watch REL under the root, or, while it does not exist, the ancestor in
 * which the next missing component would appear; never above the root. */
static void watch_dir(kn_watch *w, const kn_root *root, const char *rel) {
        while (*rel == '/')
                rel++;
        _cleanup_free_ char *cur = kn_xstrdup(rel);
        _cleanup_free_ char *want = NULL;
        for (;;) {
                _cleanup_close_ int fd =
                        kn_root_openat(root, *cur ? cur : ".", O_PATH | O_DIRECTORY, 0);
                if (fd >= 0) {
                        _cleanup_free_ char *display = kn_root_display(root, cur);
                        watch_add(w, fd, display, want);
                        return;
                }
                if (!*cur)
                        return;
                char *slash = strrchr(cur, '/');
                free(want);
                want = kn_xstrdup(slash ? slash + 1 : cur);
                *(slash ? slash : cur) = '\0';
        }
}

/* Watch what the configuration's directories are now.  A directory
 * watched already keeps its wd (inotify returns the same one for the same
 * inode), so the events queued for it still count: removing and adding
 * every watch would drop a change made while a reload ran.  Only watches
 * no longer wanted are removed. */
static void watch_arm(kn_daemon *d) {
        kn_watch *w = &d->watch;
        struct kn_watch_entry *old = TAKE_PTR(w->entries);
        size_t n_old = w->n_entries;
        w->n_entries = w->alloc_entries = 0;

        const char *const *dirs = kn_config_watch_dirs(kn_api_config(d->api));
        for (size_t k = 0; dirs && dirs[k]; k++)
                watch_dir(w, kn_config_root_fs(kn_api_config(d->api)), dirs[k]);

        for (size_t k = 0; k < n_old; k++) {
                if (!watch_has(w->entries, w->n_entries, old[k].wd))
                        inotify_rm_watch(w->fd, old[k].wd);
                free(old[k].want);
        }
        free(old);
}

int kn_watch_open(kn_daemon *d) {
        kn_watch *w = &d->watch;
        int r;

        int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = kn_loop_add_fd(d->loop, fd, EPOLLIN, watch_event, d, &w->io);
        if (r < 0) {
                close(fd);
                return r;
        }
        w->fd = fd;
        r = kn_loop_add_timer(d->loop, KN_LOOP_TIMER_OFF, watch_timer, d, &w->timer);
        if (r < 0)
                return r;
        watch_arm(d);
        return 0;
}

void kn_watch_close(kn_daemon *d) {
        kn_watch *w = &d->watch;
        if (w->fd >= 0)
                watch_clear(w);
        kn_loop_del(d->loop, TAKE_PTR(w->io));
        kn_loop_del(d->loop, TAKE_PTR(w->timer));
        free(w->entries);
        w->entries = NULL;
        w->alloc_entries = 0;
        if (w->fd >= 0)
                close(w->fd);
        w->fd = -1;
}

static bool event_matters(kn_watch *w, const struct inotify_event *ev) {
        if (ev->mask & IN_Q_OVERFLOW)
                return true;
        for (size_t k = 0; k < w->n_entries; k++)
                if (w->entries[k].wd == ev->wd)
                        return !w->entries[k].want || ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF) ||
                               (ev->len > 0 && streq(ev->name, w->entries[k].want));
        return false;
}

/* Bursts (an editor's save, a script rewriting many files) end in one
 * reload: wait for RELOAD_MSEC of quiet, but no more than RELOAD_MAX_MSEC
 * after the first change. */
static void watch_event(int fd, uint32_t events, void *userdata) {
        kn_daemon *d = userdata;
        kn_watch *w = &d->watch;
        char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
        bool changed = false;

        for (;;) {
                ssize_t n = read(w->fd, buf, sizeof buf);
                if (n <= 0)
                        break;
                for (char *p = buf; p < buf + n;) {
                        const struct inotify_event *ev = (const struct inotify_event *) p;
                        changed = changed || event_matters(w, ev);
                        p += sizeof *ev + ev->len;
                }
        }
        if (!changed)
                return;
        uint64_t now = kn_loop_now_usec();
        if (!w->pending) {
                w->pending = true;
                w->first_change_usec = now;
        }
        uint64_t deadline = w->first_change_usec + KN_DAEMON_RELOAD_MAX_MSEC * 1000ull;
        uint64_t left = deadline > now ? deadline - now : 0;
        uint64_t quiet = KN_DAEMON_RELOAD_MSEC * 1000ull;
        kn_loop_timer_set(d->loop, w->timer, left < quiet ? left : quiet);
}

/* What the configuration says, as one number: kvmnetd's own writes have
 * been read back already when their inotify events arrive, so a reload
 * that changes nothing is not news. */
static uint64_t config_digest(kn_config *cfg) {
        uint64_t h = 1469598103934665603ull; /* FNV-1a */
        const kn_iface *const *list;
        const kn_diag *diags;
        size_t n = kn_config_list(cfg, &list);
        size_t nd = kn_config_diags(cfg, &diags);
        for (size_t k = 0; k < n + nd; k++) {
                _cleanup_free_ char *text =
                        k < n ? kn_iface_format_xml(list[k], KN_XML_INACTIVE)
                              : kn_xasprintf("%s:%u:%s", diags[k - n].file, diags[k - n].line,
                                             diags[k - n].message);
                for (const char *c = text; *c; c++)
                        h = (h ^ (unsigned char) *c) * 1099511628211ull;
                h = (h ^ 0xff) * 1099511628211ull; /* between items */
        }
        return h;
}

void kn_watch_reload(kn_daemon *d, const char *why) {
        kn_error err = {0};
        d->watch.pending = false;
        /* A reload (SIGHUP) covers the changes a timer was waiting for. */
        kn_loop_timer_set(d->loop, d->watch.timer, KN_LOOP_TIMER_OFF);
        uint64_t before = config_digest(kn_api_config(d->api));
        /* Directories may have come or gone: watch them before reading, so a
         * change made while the files are read is another event, and again
         * after (ifupdown's source lines may name other directories). */
        watch_arm(d);
        int r = kn_config_reload(kn_api_config(d->api), &err);
        if (r < 0)
                kn_logp(KN_LOG_ERR,
                        "reloading %s after %s failed, keeping what was loaded before: %s",
                        kn_config_root(kn_api_config(d->api)), why, err.message);
        else {
                const kn_iface *const *list;
                const kn_diag *diags;
                size_t n = kn_config_list(kn_api_config(d->api), &list);
                size_t nd = kn_config_diags(kn_api_config(d->api), &diags);
                /* After inotify only: a SIGHUP is always answered. */
                bool same = !streq(why, "SIGHUP") && config_digest(kn_api_config(d->api)) == before;
                kn_logp(same ? KN_LOG_DEBUG : KN_LOG_INFO,
                        "reloaded %s after %s: %zu interfaces, %zu configuration errors%s",
                        kn_config_root(kn_api_config(d->api)), why, n, nd,
                        same ? " (nothing new)" : "");
        }
        watch_arm(d);
}

static void watch_timer(void *userdata) {
        kn_watch_reload(userdata, "an outside change");
}
