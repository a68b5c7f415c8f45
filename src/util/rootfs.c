/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "rootfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <sys/random.h>
#include <time.h>
#include <linux/openat2.h>
#include <sys/syscall.h>

#include "crashpoint.h"
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

char *kn_path_absolute(const char *path) {
        if (path[0] == '/')
                return kn_xstrdup(path);
        _cleanup_free_ char *cwd = get_current_dir_name();
        if (!cwd)
                return kn_xstrdup(path); /* then the error names it as given */
        while (path[0] == '.' && path[1] == '/')
                path += 2;
        if (streq(path, "."))
                return TAKE_PTR(cwd);
        return kn_xasprintf("%s%s%s", cwd, streq(cwd, "/") ? "" : "/", path);
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
                bool link =
                        fstatat(dir, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
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
                if (streq(c, ".."))
                        return -EINVAL; /* openat(fd, "..") would leave the root */
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

bool kn_temp_name_is(const char *name) {
        if (!startswith(name, KN_TEMP_PREFIX))
                return false;
        const char *p = name + strlen(KN_TEMP_PREFIX);
        size_t digits = strspn(p, "0123456789");
        if (!digits || p[digits] != '-')
                return false;
        p += digits + 1;
        return strspn(p, "0123456789abcdef") == 16 && p[16] == '-';
}

/* A fresh temp file beside base in dfd: O_EXCL on a name with 64 random
 * bits, so neither a reused pid nor a leftover of a killed process can
 * collide with it more than by chance, and a chance collision retries. */
static int create_temp(int dfd, const char *base, mode_t mode, char name[static NAME_MAX + 1]) {
        for (int attempt = 0; attempt < 16; attempt++) {
                uint64_t rnd;
                if (getrandom(&rnd, sizeof rnd, 0) != (ssize_t) sizeof rnd)
                        return -errno;
                snprintf(name, NAME_MAX + 1, KN_TEMP_PREFIX "%d-%016" PRIx64 "-%.200s",
                         (int) getpid(), rnd, base);
                int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                                mode);
                if (fd >= 0)
                        return fd;
                if (errno != EEXIST)
                        return -errno;
        }
        return -EEXIST;
}

static int write_all(int fd, const char *data, size_t len) {
        for (size_t off = 0; off < len;) {
                ssize_t n = write(fd, data + off, len - off);
                if (n < 0 && errno != EINTR)
                        return -errno;
                if (n > 0)
                        off += (size_t) n;
        }
        return 0;
}

typedef struct write_req {
        const char *data;
        size_t len;
        mode_t mode; /* 0: keep */
        uid_t uid;   /* -1: keep */
        gid_t gid;
        bool owner_set; /* uid/gid asked for: a failing chown is an error */
        bool durable;
} write_req;

/* The one atomic replace: temp file in dfd, content, mode, owner, fsync,
 * rename over base, fsync dfd. */
static int write_in(int dfd, const char *base, const write_req *q, const char *shown,
                    kn_error *err) {
        struct stat st;
        bool existed = fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0;
        if (existed && S_ISLNK(st.st_mode))
                return kn_error_set(err, ELOOP, "%s: cannot write: too many levels of symlinks",
                                    shown);
        mode_t mode = q->mode ? q->mode : existed ? st.st_mode & 07777 : 0644;
        uid_t uid = q->uid;
        gid_t gid = q->gid;
        if (uid == (uid_t) -1 && existed)
                uid = st.st_uid;
        if (gid == (gid_t) -1 && existed)
                gid = st.st_gid;
        char tmp[NAME_MAX + 1];
        _cleanup_close_ int fd = create_temp(dfd, base, mode, tmp);
        if (fd < 0)
                return kn_error_set(err, -fd, "%s: cannot write: %s", shown, strerror(-fd));
        int e = -write_all(fd, q->data, q->len);
        if (!e && fchmod(fd, mode) < 0) /* umask must not narrow the mode asked for */
                e = errno;
        if (!e && (uid != (uid_t) -1 || gid != (gid_t) -1)) {
                struct stat now;
                if (fstat(fd, &now) == 0 && (now.st_uid != uid || now.st_gid != gid) &&
                    fchown(fd, uid, gid) < 0 && (q->owner_set || errno != EPERM))
                        e = errno;
                /* chown clears set-id bits */
                if (!e && (mode & 06000) && fchmod(fd, mode) < 0)
                        e = errno;
        }
        if (!e && q->durable && fsync(fd) < 0)
                e = errno;
        if (!e)
                kn_crashpoint("write %s: temp file written", shown);
        if (!e && renameat(dfd, tmp, dfd, base) < 0)
                e = errno;
        if (e) {
                unlinkat(dfd, tmp, 0);
                return kn_error_set(err, e, "%s: cannot write: %s", shown, strerror(e));
        }
        if (q->durable)
                (void) fsync(dfd);
        kn_crashpoint("write %s: replaced", shown);
        return 0;
}

int kn_root_resolve(const kn_root *r, const char *rel, char **ret) {
        _cleanup_free_ char *cur = kn_xstrdup(skip_slashes(rel));
        for (int hops = 0;; hops++) {
                const char *base;
                _cleanup_close_ int dfd = open_parent(r, cur, false, &base);
                if (dfd == -ENOENT && hops == 0)
                        break; /* the write creates the directories */
                if (dfd < 0)
                        return dfd;
                char target[PATH_MAX];
                ssize_t n = readlinkat(dfd, base, target, sizeof target - 1);
                if (n < 0) {
                        if (errno == EINVAL || errno == ENOENT)
                                break;
                        return -errno;
                }
                if (hops >= 40)
                        return -ELOOP;
                target[n] = '\0';
                char *next;
                const char *slash = strrchr(cur, '/');
                if (target[0] == '/') /* absolute: from the root, never the host's "/" */
                        next = kn_xstrdup(skip_slashes(target));
                else if (slash)
                        next = kn_xasprintf("%.*s/%s", (int) (slash - cur), cur, target);
                else
                        next = kn_xstrdup(target);
                free(cur);
                cur = next;
        }
        *ret = TAKE_PTR(cur);
        return 0;
}

static int root_write(const kn_root *r, const char *rel, const write_req *q, kn_error *err) {
        _cleanup_free_ char *shown = kn_root_display(r, rel);
        _cleanup_free_ char *real = NULL;
        int k = kn_root_resolve(r, rel, &real);
        if (k < 0)
                return kn_error_set(err, -k, "%s: cannot write: %s", shown, strerror(-k));
        const char *base;
        /* Directories are created for the path asked for, never for a
         * symlink's target. */
        _cleanup_close_ int dfd = open_parent(r, real, streq(real, skip_slashes(rel)), &base);
        if (dfd < 0)
                return kn_error_set(err, -dfd, "%s: cannot open directory: %s", shown,
                                    strerror(-dfd));
        if (streq(base, ".") || streq(base, ".."))
                return kn_error_set(err, EISDIR, "%s: cannot write: %s", shown, strerror(EISDIR));
        return write_in(dfd, base, q, shown, err);
}

int kn_root_write_atomic(const kn_root *r, const char *rel, const char *data, size_t len,
                         mode_t mode, kn_error *err) {
        write_req q = {data, len, mode, (uid_t) -1, (gid_t) -1, false, true};
        return root_write(r, rel, &q, err);
}

int kn_root_write_atomic_owned(const kn_root *r, const char *rel, const char *data, size_t len,
                               mode_t mode, uid_t uid, gid_t gid, kn_error *err) {
        write_req q = {data, len, mode, uid, gid, uid != (uid_t) -1 || gid != (gid_t) -1, true};
        return root_write(r, rel, &q, err);
}

int kn_root_symlink_atomic(const kn_root *r, const char *rel, const char *target, uid_t uid,
                           gid_t gid, kn_error *err) {
        _cleanup_free_ char *shown = kn_root_display(r, rel);
        const char *base;
        _cleanup_close_ int dfd = open_parent(r, rel, true, &base);
        if (dfd < 0)
                return kn_error_set(err, -dfd, "%s: cannot open directory: %s", shown,
                                    strerror(-dfd));
        char tmp[NAME_MAX + 1];
        int e = EEXIST;
        for (int attempt = 0; attempt < 16 && e == EEXIST; attempt++) {
                uint64_t rnd = 0;
                if (getrandom(&rnd, sizeof rnd, 0) != (ssize_t) sizeof rnd) {
                        e = errno;
                        break;
                }
                snprintf(tmp, sizeof tmp, KN_TEMP_PREFIX "%d-%016" PRIx64 "-%.200s", (int) getpid(),
                         rnd, base);
                e = symlinkat(target, dfd, tmp) < 0 ? errno : 0;
        }
        if (!e && (uid != (uid_t) -1 || gid != (gid_t) -1) &&
            fchownat(dfd, tmp, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
                e = errno;
        if (!e && renameat(dfd, tmp, dfd, base) < 0)
                e = errno;
        if (e) {
                unlinkat(dfd, tmp, 0);
                return kn_error_set(err, e, "%s: cannot create the symlink: %s", shown,
                                    strerror(e));
        }
        (void) fsync(dfd);
        return 0;
}

static bool rmdir_empty_at(int dfd, const char *name) {
        int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return false;
        DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return false;
        }
        bool empty = true;
        struct dirent *de;
        while (empty && (de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        empty = de->d_type == DT_DIR && rmdir_empty_at(dirfd(d), de->d_name);
        closedir(d);
        return empty && unlinkat(dfd, name, AT_REMOVEDIR) == 0;
}

int kn_root_rmdir_empty(const kn_root *r, const char *rel) {
        const char *base;
        _cleanup_close_ int dfd = open_parent(r, rel, false, &base);
        if (dfd < 0 || streq(base, ".") || streq(base, ".."))
                return 0;
        if (!rmdir_empty_at(dfd, base))
                return 0;
        (void) fsync(dfd);
        return 1;
}

static bool pid_gone(pid_t pid) {
        return kill(pid, 0) < 0 && errno == ESRCH;
}

/* When this process started, for telling its own temp files from those
 * of a killed process that had the same pid (PID 1 in a container). */
static time_t process_start;
__attribute__((constructor)) static void note_start(void) {
        process_start = time(NULL);
}

/* kn_root_clean_temps and kn_clean_temps: in the directory fd (taken). */
static int clean_temps_in(int fd) {
        if (fd < 0)
                return fd == -ENOENT || fd == -ENOTDIR ? 0 : fd;
        DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -errno;
        }
        int n = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (!kn_temp_name_is(de->d_name))
                        continue;
                pid_t pid = (pid_t) strtol(de->d_name + strlen(KN_TEMP_PREFIX), NULL, 10);
                struct stat st;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue;
                bool stale = pid == getpid() ? st.st_mtime < process_start - 1 : pid_gone(pid);
                if (stale && unlinkat(dirfd(d), de->d_name, 0) == 0)
                        n++;
        }
        if (n)
                (void) fsync(dirfd(d));
        closedir(d);
        return n;
}

int kn_root_clean_temps(const kn_root *r, const char *rel_dir) {
        return clean_temps_in(kn_root_openat(r, rel_dir, O_RDONLY | O_DIRECTORY, 0));
}

int kn_clean_temps(const char *dir) {
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        return clean_temps_in(fd < 0 ? -errno : fd);
}

int kn_write_file_atomic(const char *path, const char *data, size_t len, mode_t mode, bool durable,
                         kn_error *err) {
        const char *slash = strrchr(path, '/');
        _cleanup_free_ char *dir = slash ? kn_xstrndup(path, (size_t) (slash - path)) : NULL;
        const char *base = slash ? slash + 1 : path;
        _cleanup_close_ int dfd =
                open(dir ? (*dir ? dir : "/") : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return kn_error_set(err, errno, "%s: cannot open its directory: %m", path);
        write_req q = {data, len, mode, (uid_t) -1, (gid_t) -1, false, durable};
        return write_in(dfd, base, &q, path, err);
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
        kn_crashpoint("remove %s", rel);
        return 0;
}
