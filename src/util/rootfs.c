/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "rootfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>

#include "macro.h"

struct kn_root {
        int fd;
        char *path;
};

int kn_root_open(const char *path, kn_root **ret, kn_error *err) {
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return kn_error_set(err, errno, "root directory %s: %m", path);
        kn_root *r = kn_xcalloc(1, sizeof *r);
        r->fd = fd;
        /* Strip trailing slashes so messages read ROOT/etc/..., not ROOT//etc. */
        size_t n = strlen(path);
        while (n > 1 && path[n - 1] == '/')
                n--;
        r->path = kn_xstrndup(path, n);
        *ret = r;
        return 0;
}

kn_root *kn_root_free(kn_root *r) {
        if (r) {
                close(r->fd);
                free(r->path);
                free(r);
        }
        return NULL;
}

const char *kn_root_path(const kn_root *r) {
        return r->path;
}

static const char *skip_slashes(const char *rel) {
        while (*rel == '/')
                rel++;
        return *rel ? rel : ".";
}

char *kn_root_display(const kn_root *r, const char *rel) {
        rel = skip_slashes(rel);
        if (streq(r->path, "/"))
                return kn_xasprintf("/%s", rel);
        return kn_xasprintf("%s/%s", r->path, rel);
}

static bool is_root_dir(const kn_root *r, int dfd) {
        struct stat a, b;
        return fstat(r->fd, &a) == 0 && fstat(dfd, &b) == 0 && a.st_dev == b.st_dev &&
               a.st_ino == b.st_ino;
}

/* Without openat2 (kernels before 5.6, valgrind): walk the path a component
 * at a time and follow symlinks by hand, "/" and ".." never leaving the
 * root, as RESOLVE_IN_ROOT does. */
static int openat_in_root_slow(const kn_root *r, const char *rel, int flags, mode_t mode) {
        char path[PATH_MAX];
        int hops = 0;
        if (snprintf(path, sizeof path, "%s", rel) >= (int) sizeof path)
                return -ENAMETOOLONG;
        _cleanup_close_ int dir = openat(r->fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0)
                return -errno;
        char *p = path;
        for (;;) {
                while (*p == '/')
                        p++;
                if (!*p) {
                        int fd = openat(dir, ".", flags, mode);
                        return fd < 0 ? -errno : fd;
                }
                char *end = strchrnul(p, '/'), *next = end;
                while (*next == '/')
                        next++;
                bool last = !*next;
                char comp[NAME_MAX + 1];
                if ((size_t) (end - p) > NAME_MAX)
                        return -ENAMETOOLONG;
                memcpy(comp, p, (size_t) (end - p));
                comp[end - p] = '\0';
                p = next;
                if (streq(comp, "."))
                        continue;
                if (streq(comp, "..") && is_root_dir(r, dir))
                        continue;
                struct stat st;
                bool link = fstatat(dir, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
                if (link && !(last && (flags & O_NOFOLLOW))) {
                        char target[PATH_MAX], rest[PATH_MAX];
                        ssize_t n = readlinkat(dir, comp, target, sizeof target - 1);
                        if (n < 0)
                                return -errno;
                        target[n] = '\0';
                        if (++hops > 40)
                                return -ELOOP;
                        if (snprintf(rest, sizeof rest, "%s/%s", target, p) >= (int) sizeof rest)
                                return -ENAMETOOLONG;
                        memcpy(path, rest, strlen(rest) + 1);
                        p = path;
                        if (target[0] == '/') {
                                close(dir);
                                dir = openat(r->fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
                                if (dir < 0)
                                        return -errno;
                        }
                        continue;
                }
                if (last) {
                        int fd = openat(dir, comp, flags | O_NOFOLLOW, mode);
                        return fd < 0 ? -errno : fd;
                }
                int sub = openat(dir, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sub < 0)
                        return -errno;
                close(dir);
                dir = sub;
        }
}

bool kn_root_no_openat2 = false;

int kn_root_openat(const kn_root *r, const char *rel, int flags, mode_t mode) {
        rel = skip_slashes(rel);
        flags |= O_CLOEXEC;
        if (!kn_root_no_openat2) {
                struct open_how how = {
                        .flags = (unsigned) flags,
                        .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
                        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
                };
                long fd = syscall(SYS_openat2, r->fd, rel, &how, sizeof how);
                if (fd >= 0)
                        return (int) fd;
                if (errno != ENOSYS)
                        return -errno;
                kn_root_no_openat2 = true;
        }
        return openat_in_root_slow(r, rel, flags, mode);
}

int kn_root_stat(const kn_root *r, const char *rel, struct stat *st) {
        _cleanup_close_ int fd = kn_root_openat(r, rel, O_PATH, 0);
        if (fd < 0)
                return fd;
        return fstat(fd, st) < 0 ? -errno : 0;
}

bool kn_root_exists(const kn_root *r, const char *rel) {
        struct stat st;
        return kn_root_stat(r, rel, &st) >= 0;
}

int kn_root_read_file(const kn_root *r, const char *rel, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = kn_root_openat(r, rel, O_RDONLY | O_NOCTTY, 0);
        if (fd < 0)
                return fd;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        size_t alloc = st.st_size > 0 ? (size_t) st.st_size + 2 : 4096, len = 0;
        _cleanup_free_ char *buf = kn_xmalloc(alloc);
        for (;;) {
                if (len + 1 >= alloc)
                        buf = kn_xrealloc(buf, alloc *= 2);
                ssize_t n = read(fd, buf + len, alloc - len - 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        buf[len] = '\0';
        if (ret_len)
                *ret_len = len;
        *ret = TAKE_PTR(buf);
        return 0;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int kn_root_list_dir(const kn_root *r, const char *rel, char ***ret, size_t *ret_n) {
        int fd = kn_root_openat(r, rel, O_RDONLY | O_DIRECTORY, 0);
        if (fd < 0)
                return fd;
        DIR *d = fdopendir(fd);
        if (!d) {
                int e = -errno;
                close(fd);
                return e;
        }
        char **v = NULL;
        size_t n = 0, alloc = 0;
        struct dirent *de;
        while ((errno = 0, de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                GREEDY_REALLOC(v, alloc, n + 1);
                v[n++] = kn_xstrdup(de->d_name);
        }
        int e = errno;
        closedir(d);
        if (e) {
                kn_strv_free(v, n);
                return -e;
        }
        if (n > 1)
                qsort_safe(v, n, sizeof *v, cmp_str);
        *ret = v;
        *ret_n = n;
        return 0;
}

/* mkdir -p DIR under the root; returns an fd of DIR.  Only reached when DIR
 * is missing, so refusing symlinked components here costs nothing. */
static int mkdir_p(const kn_root *r, const char *dir) {
        _cleanup_close_ int fd = kn_root_openat(r, ".", O_RDONLY | O_DIRECTORY, 0);
        if (fd < 0)
                return fd;
        _cleanup_free_ char *copy = kn_xstrdup(dir);
        char *save = NULL;
        for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                if (mkdirat(fd, c, 0755) < 0 && errno != EEXIST)
                        return -errno;
                int next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0)
                        return -errno;
                close(fd);
                fd = next;
        }
        return TAKE_FD(fd);
}

/* Split REL into an open fd of its directory and its base name. */
static int open_parent(const kn_root *r, const char *rel, bool create, const char **base) {
        rel = skip_slashes(rel);
        const char *slash = strrchr(rel, '/');
        *base = slash ? slash + 1 : rel;
        if (!slash)
                return kn_root_openat(r, ".", O_RDONLY | O_DIRECTORY, 0);
        _cleanup_free_ char *dir = kn_xstrndup(rel, (size_t) (slash - rel));
        int fd = kn_root_openat(r, dir, O_RDONLY | O_DIRECTORY, 0);
        if (fd == -ENOENT && create)
                fd = mkdir_p(r, dir);
        return fd;
}

int kn_root_write_atomic(const kn_root *r, const char *rel, const char *data, size_t len,
                         mode_t mode, kn_error *err) {
        _cleanup_free_ char *shown = kn_root_display(r, rel);
        const char *base;
        _cleanup_close_ int dfd = open_parent(r, rel, true, &base);
        if (dfd < 0)
                return kn_error_set(err, -dfd, "%s: cannot open directory: %s", shown,
                                    strerror(-dfd));
        if (mode == 0) {
                struct stat st;
                mode = fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 ? st.st_mode & 07777
                                                                        : 0644;
        }
        char tmp[NAME_MAX + 1];
        snprintf(tmp, sizeof tmp, ".%.200s.kvmnet-%d-%lx", base, (int) getpid(),
                 (unsigned long) random());
        _cleanup_close_ int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
        if (fd < 0)
                return kn_error_set(err, errno, "%s: cannot write: %m", shown);
        int e = 0;
        for (size_t off = 0; off < len && !e;) {
                ssize_t n = write(fd, data + off, len - off);
                if (n < 0 && errno != EINTR)
                        e = errno;
                else if (n > 0)
                        off += (size_t) n;
        }
        if (!e && fchmod(fd, mode) < 0) /* umask must not narrow the mode asked for */
                e = errno;
        if (!e && fsync(fd) < 0)
                e = errno;
        if (!e && renameat(dfd, tmp, dfd, base) < 0)
                e = errno;
        if (e) {
                unlinkat(dfd, tmp, 0);
                return kn_error_set(err, e, "%s: cannot write: %s", shown, strerror(e));
        }
        (void) fsync(dfd);
        return 0;
}

int kn_root_unlink(const kn_root *r, const char *rel, kn_error *err) {
        const char *base;
        _cleanup_close_ int dfd = open_parent(r, rel, false, &base);
        int e = dfd < 0 ? -dfd : 0;
        if (dfd >= 0 && unlinkat(dfd, base, 0) < 0)
                e = errno;
        if (e == ENOENT)
                return 0;
        if (e) {
                _cleanup_free_ char *shown = kn_root_display(r, rel);
                return kn_error_set(err, e, "%s: cannot remove: %s", shown, strerror(e));
        }
        (void) fsync(dfd);
        return 0;
}
