/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The file log: pre-images of the files a kn_fileset changes, on disk
 * before the change.
 *
 * Layout of DIR (STATE_DIR/files):
 *
 *   lock           flock()ed for the length of an apply, begin, commit,
 *                  rollback or recovery (serialises processes)
 *   txn/           the record; absent when nothing is in flight
 *   txn/manifest   lines appended and fsync'ed, each "TEXT ~CRC\n" where
 *                  CRC is the CRC-32 of TEXT in 8 hex digits:
 *                    kvmnet-filelog 1                  first line
 *                    begin PID START BOOT-ID [held]    an explicit transaction;
 *                                                      held: its journal
 *                                                      (src/txn/txn.c) decides
 *                                                      its fate at recovery
 *                    pre N KIND MODE UID GID LEN CRC REL
 *                  KIND: f regular file, l symlink, - did not exist; MODE
 *                  octal; LEN and CRC (hex) of the content; REL relative to
 *                  the root, with bytes <= ' ', '%' and 0x7f as %XX.
 *   txn/N.pre      the content of entry N (a symlink's target), written
 *                  and fsync'ed, with txn/ fsync'ed, before its line is
 *                  appended
 *
 * Order of an apply: N.pre files durable, then their lines durable, then
 * the files change, then the manifest is unlinked (the commit point) and
 * txn/ emptied.  Reading stops at the first line that is torn (no newline)
 * or whose CRC does not match: such a line was being appended when the
 * process died, so the file it names had not been touched yet.  A txn/
 * without a manifest is the remains of a drop and is simply removed.
 *
 * Recovery restores the entries newest first, so with several pre-images
 * of one path the oldest one wins. */

#include "filelog-private.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "crashpoint.h"
#include "macro.h"
#include "mkdir.h"
#include "rootfs.h"
#include "strbuf.h"

#define MANIFEST "manifest"
#define HEADER   "kvmnet-filelog 1"

struct kn_filelog {
        char *dir;
        int dfd;
        int lock_fd;
        bool in_txn;
        char **rels; /* recorded in the open transaction */
        size_t n_rels, alloc_rels;
        unsigned next; /* number of the next N.pre */
};

void (*kn_filelog_step_hook)(const char *what);

void kn_filelog_step(const char *what) {
        kn_crashpoint("file log: %s", what);
        if (kn_filelog_step_hook)
                kn_filelog_step_hook(what);
}

static uint32_t crc32_of(const void *data, size_t len) {
        static uint32_t table[256];
        if (!table[1])
                for (uint32_t i = 0; i < 256; i++) {
                        uint32_t c = i;
                        for (int k = 0; k < 8; k++)
                                c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
                        table[i] = c;
                }
        uint32_t c = 0xffffffffu;
        for (size_t i = 0; i < len; i++)
                c = table[(c ^ ((const unsigned char *) data)[i]) & 0xff] ^ (c >> 8);
        return c ^ 0xffffffffu;
}

/* ---- file images ---- */

void kn_file_image_done(kn_file_image *img) {
        free(img->rel);
        free(img->data);
        *img = (kn_file_image){0};
}

static int read_fd(int fd, char **ret, size_t *ret_len) {
        size_t alloc = 4096, len = 0;
        _cleanup_free_ char *buf = kn_xmalloc(alloc);
        for (;;) {
                if (len + 1 >= alloc)
                        buf = kn_xrealloc(buf, alloc *= 2);
                ssize_t n = read(fd, buf + len, alloc - len - 1);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                len += (size_t) n;
        }
        buf[len] = '\0';
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

int kn_file_image_read(const kn_root *root, const char *rel, kn_file_image *ret, kn_error *err) {
        kn_file_image img = {.rel = kn_xstrdup(rel)};
        _cleanup_free_ char *shown = kn_root_display(root, rel);
        _cleanup_close_ int fd = kn_root_openat(root, rel, O_PATH | O_NOFOLLOW, 0);
        struct stat st;
        int r = fd < 0 ? fd : fstat(fd, &st) < 0 ? -errno : 0;
        if (r == -ENOENT || r == -ENOTDIR) {
                *ret = img;
                return 0;
        }
        if (r >= 0 && S_ISLNK(st.st_mode)) {
                char target[PATH_MAX];
                ssize_t n = readlinkat(fd, "", target, sizeof target - 1);
                if (n < 0)
                        r = -errno;
                else {
                        img.kind = KN_FILE_SYMLINK;
                        img.data = kn_xstrndup(target, (size_t) n);
                        img.len = (size_t) n;
                }
        } else if (r >= 0 && S_ISREG(st.st_mode)) {
                _cleanup_close_ int rfd =
                        kn_root_openat(root, rel, O_RDONLY | O_NOFOLLOW | O_NOCTTY, 0);
                r = rfd < 0 ? rfd : read_fd(rfd, &img.data, &img.len);
                img.kind = KN_FILE_REGULAR;
        } else if (r >= 0)
                r = -EISDIR;
        if (r < 0) {
                kn_file_image_done(&img);
                return kn_error_set(err, -r, "%s: cannot read: %s", shown,
                                    r == -EISDIR ? "not a regular file" : strerror(-r));
        }
        img.mode = st.st_mode & 07777;
        img.uid = st.st_uid;
        img.gid = st.st_gid;
        *ret = img;
        return 0;
}

static bool image_same(const kn_file_image *a, const kn_file_image *b) {
        if (a->kind != b->kind)
                return false;
        if (a->kind == KN_FILE_ABSENT)
                return true;
        return a->len == b->len && memcmp(a->data, b->data, a->len) == 0 && a->uid == b->uid &&
               a->gid == b->gid && (a->kind == KN_FILE_SYMLINK || a->mode == b->mode);
}

int kn_file_image_restore(const kn_root *root, const kn_file_image *img, kn_error *err) {
        kn_file_image now = {0};
        int r = kn_file_image_read(root, img->rel, &now, NULL);
        if (r >= 0 && image_same(&now, img)) {
                kn_file_image_done(&now);
                return 0;
        }
        bool link_now = r >= 0 && now.kind == KN_FILE_SYMLINK;
        kn_file_image_done(&now);
        /* A symlink where a file was: write the file, not through the link. */
        if (img->kind == KN_FILE_ABSENT && r == -EISDIR) /* a directory a write made */
                return kn_root_rmdir_empty(root, img->rel);
        if (img->kind == KN_FILE_ABSENT || (img->kind == KN_FILE_REGULAR && link_now)) {
                r = kn_root_unlink(root, img->rel, err);
                if (r < 0 || img->kind == KN_FILE_ABSENT)
                        return r < 0 ? r : 1;
        }
        if (img->kind == KN_FILE_SYMLINK)
                r = kn_root_symlink_atomic(root, img->rel, img->data, img->uid, img->gid, err);
        else
                r = kn_root_write_atomic_owned(root, img->rel, img->data, img->len, img->mode,
                                               img->uid, img->gid, err);
        return r < 0 ? r : 1;
}

/* ---- the log ---- */

int kn_filelog_open(const char *dir, kn_filelog **ret, kn_error *err) {
        if (isempty(dir) || dir[0] != '/')
                return kn_error_set(err, EINVAL, "file log directory '%s' is not an absolute path",
                                    dir ? dir : "");
        int r = kn_mkdir_p(dir, 0700);
        if (r < 0)
                return kn_error_set(err, -r, "file log directory %s: %s", dir, strerror(-r));
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return kn_error_set(err, errno, "file log directory %s: %m", dir);
        kn_filelog *l = kn_xcalloc(1, sizeof *l);
        l->dir = kn_xstrdup(dir);
        l->dfd = dfd;
        l->lock_fd = -1;
        *ret = l;
        return 0;
}

static void rels_clear(kn_filelog *l) {
        kn_strv_free(l->rels, l->n_rels);
        l->rels = NULL;
        l->n_rels = l->alloc_rels = 0;
        l->next = 0;
}

kn_filelog *kn_filelog_free(kn_filelog *l) {
        if (!l)
                return NULL;
        kn_filelog_unlock(l);
        close(l->dfd);
        rels_clear(l);
        free(l->dir);
        free(l);
        return NULL;
}

const char *kn_filelog_dir(const kn_filelog *l) {
        return l->dir;
}

bool kn_filelog_in_txn(const kn_filelog *l) {
        return l->in_txn;
}

int kn_filelog_lock(kn_filelog *l, kn_error *err) {
        if (l->lock_fd >= 0)
                return 0;
        int fd = openat(l->dfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
                return kn_error_set(err, errno, "%s/lock: %m", l->dir);
        while (flock(fd, LOCK_EX) < 0)
                if (errno != EINTR) {
                        int e = errno;
                        close(fd);
                        return kn_error_set(err, e, "%s/lock: %s", l->dir, strerror(e));
                }
        l->lock_fd = fd;
        return 0;
}

void kn_filelog_unlock(kn_filelog *l) {
        if (l->lock_fd >= 0) {
                close(l->lock_fd); /* releases the flock */
                l->lock_fd = -1;
        }
}

bool kn_filelog_has(const kn_filelog *l, const char *rel) {
        for (size_t k = 0; k < l->n_rels; k++)
                if (streq(l->rels[k], rel))
                        return true;
        return false;
}

/* ---- the manifest ---- */

typedef struct entry {
        unsigned n;
        kn_file_kind kind;
        mode_t mode;
        uid_t uid;
        gid_t gid;
        size_t len;
        uint32_t crc;
        char *rel;
} entry;

typedef struct manifest {
        bool exists;   /* txn/ is there */
        bool has_file; /* txn/manifest is there */
        bool begin;    /* an explicit transaction */
        bool held;     /* ... whose outcome its kn_txn journal decides */
        pid_t pid;
        unsigned long long start;
        char boot[40];
        entry *e;
        size_t n, alloc;
} manifest;

static void manifest_done(manifest *m) {
        for (size_t k = 0; k < m->n; k++)
                free(m->e[k].rel);
        free(m->e);
        *m = (manifest){0};
}

static void escape(kn_strbuf *b, const char *s) {
        for (; *s; s++) {
                unsigned char c = (unsigned char) *s;
                if (c <= ' ' || c == '%' || c == 0x7f)
                        kn_strbuf_printf(b, "%%%02X", c);
                else
                        kn_strbuf_putc(b, (char) c);
        }
}

static char *unescape(const char *s) {
        char *out = kn_xmalloc(strlen(s) + 1), *o = out;
        for (; *s; s++) {
                unsigned v;
                if (*s == '%' && sscanf(s + 1, "%2x", &v) == 1 && s[1] && s[2]) {
                        *o++ = (char) v;
                        s += 2;
                } else
                        *o++ = *s;
        }
        *o = '\0';
        return out;
}

static void line_end(kn_strbuf *b, size_t start) {
        uint32_t c = crc32_of(b->s + start, b->len - start);
        kn_strbuf_printf(b, " ~%08" PRIx32 "\n", c);
}

/* One line without its "\n"; false if it is torn or damaged. */
static bool parse_line(manifest *m, char *line, bool first) {
        char *tilde = strrchr(line, '~');
        uint32_t want;
        if (!tilde || tilde == line || tilde[-1] != ' ' || strlen(tilde + 1) != 8 ||
            sscanf(tilde + 1, "%8" SCNx32, &want) != 1)
                return false;
        tilde[-1] = '\0';
        if (crc32_of(line, strlen(line)) != want)
                return false;
        if (first)
                return streq(line, HEADER);
        if (startswith(line, "begin ")) {
                char tag[8] = "";
                m->begin = true;
                int n = sscanf(line, "begin %d %llu %39s %7s", &m->pid, &m->start, m->boot, tag);
                m->held = n == 4 && streq(tag, "held");
                return n == 3 || m->held;
        }
        entry e = {0};
        char kind;
        unsigned mode, uid, gid;
        size_t len;
        int off = 0;
        if (sscanf(line, "pre %u %c %o %u %u %zu %" SCNx32 " %n", &e.n, &kind, &mode, &uid, &gid,
                   &len, &e.crc, &off) != 7 ||
            off <= 0 || !line[off])
                return false;
        e.kind = kind == 'f' ? KN_FILE_REGULAR : kind == 'l' ? KN_FILE_SYMLINK : KN_FILE_ABSENT;
        e.mode = (mode_t) mode;
        e.uid = (uid_t) uid;
        e.gid = (gid_t) gid;
        e.len = len;
        e.rel = unescape(line + off);
        GREEDY_REALLOC(m->e, m->alloc, m->n + 1);
        m->e[m->n++] = e;
        return true;
}

static int manifest_read(kn_filelog *l, manifest *m, kn_error *err) {
        *m = (manifest){0};
        _cleanup_close_ int tfd = openat(l->dfd, "txn", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (tfd < 0)
                return errno == ENOENT ? 0 : kn_error_set(err, errno, "%s/txn: %m", l->dir);
        m->exists = true;
        _cleanup_close_ int fd = openat(tfd, MANIFEST, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT
                               ? 0
                               : kn_error_set(err, errno, "%s/txn/" MANIFEST ": %m", l->dir);
        m->has_file = true;
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r = read_fd(fd, &text, &len);
        if (r < 0)
                return kn_error_set(err, -r, "%s/txn/" MANIFEST ": %s", l->dir, strerror(-r));
        char *p = text;
        for (bool first = true;; first = false) {
                char *nl = memchr(p, '\n', len - (size_t) (p - text));
                if (!nl)
                        break; /* torn last line, or the end */
                *nl = '\0';
                if (!parse_line(m, p, first))
                        break;
                p = nl + 1;
        }
        return 0;
}

/* Remove txn/ and all in it; the manifest goes first (the commit point). */
static int txn_remove(kn_filelog *l, kn_error *err) {
        int tfd = openat(l->dfd, "txn", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (tfd < 0)
                return errno == ENOENT ? 0 : kn_error_set(err, errno, "%s/txn: %m", l->dir);
        if (unlinkat(tfd, MANIFEST, 0) < 0 && errno != ENOENT) {
                int e = errno;
                close(tfd);
                return kn_error_set(err, e, "%s/txn/" MANIFEST ": cannot remove: %s", l->dir,
                                    strerror(e));
        }
        (void) fsync(tfd);
        kn_filelog_step("dropped");
        DIR *d = fdopendir(tfd);
        if (!d) {
                close(tfd);
                return kn_error_set(err, errno, "%s/txn: %m", l->dir);
        }
        struct dirent *de;
        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        (void) unlinkat(dirfd(d), de->d_name, 0);
        closedir(d);
        if (unlinkat(l->dfd, "txn", AT_REMOVEDIR) < 0 && errno != ENOENT)
                return kn_error_set(err, errno, "%s/txn: cannot remove: %m", l->dir);
        (void) fsync(l->dfd);
        return 0;
}

static int write_pre(int tfd, unsigned n, const kn_file_image *img) {
        char name[32];
        snprintf(name, sizeof name, "%04u.pre", n);
        _cleanup_close_ int fd =
                openat(tfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        for (size_t off = 0; off < img->len;) {
                ssize_t w = write(fd, img->data + off, img->len - off);
                if (w < 0 && errno != EINTR)
                        return -errno;
                if (w > 0)
                        off += (size_t) w;
        }
        return fsync(fd) < 0 ? -errno : 0;
}

static int txn_dir(kn_filelog *l, bool *created, kn_error *err) {
        *created = mkdirat(l->dfd, "txn", 0700) == 0;
        if (!*created && errno != EEXIST)
                return kn_error_set(err, errno, "%s/txn: %m", l->dir);
        if (*created)
                (void) fsync(l->dfd);
        int tfd = openat(l->dfd, "txn", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        return tfd < 0 ? kn_error_set(err, errno, "%s/txn: %m", l->dir) : tfd;
}

/* Append lines to the manifest (created with its header if missing). */
static int append(kn_filelog *l, int tfd, const char *text, size_t len, kn_error *err) {
        _cleanup_close_ int fd =
                openat(tfd, MANIFEST, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0)
                return kn_error_set(err, errno, "%s/txn/" MANIFEST ": %m", l->dir);
        kn_strbuf b = {0};
        if (st.st_size == 0) {
                kn_strbuf_puts(&b, HEADER);
                line_end(&b, 0);
        }
        kn_strbuf_putn(&b, text, len);
        int e = 0;
        const char *s = b.s;
        for (size_t off = 0, n = b.len; off < n && !e;) {
                ssize_t w = write(fd, s + off, n - off);
                if (w < 0 && errno != EINTR)
                        e = errno;
                else if (w > 0)
                        off += (size_t) w;
        }
        kn_strbuf_done(&b);
        if (!e && fsync(fd) < 0)
                e = errno;
        if (!e && st.st_size == 0)
                (void) fsync(tfd);
        return e ? kn_error_set(err, e, "%s/txn/" MANIFEST ": cannot write: %s", l->dir,
                                strerror(e))
                 : 0;
}

int kn_filelog_record(kn_filelog *l, const kn_file_image *imgs, size_t n, kn_error *err) {
        if (n == 0)
                return 0;
        bool created;
        _cleanup_close_ int tfd = txn_dir(l, &created, err);
        if (tfd < 0)
                return tfd;
        kn_strbuf b = {0};
        int r = 0;
        for (size_t k = 0; k < n && r >= 0; k++) {
                const kn_file_image *img = &imgs[k];
                unsigned num = l->next++;
                if (img->kind != KN_FILE_ABSENT) {
                        r = write_pre(tfd, num, img);
                        if (r < 0) {
                                r = kn_error_set(err, -r, "%s/txn/%04u.pre: %s", l->dir, num,
                                                 strerror(-r));
                                break;
                        }
                }
                kn_filelog_step("pre-image");
                size_t start = b.len;
                kn_strbuf_printf(&b, "pre %u %c %o %u %u %zu %08" PRIx32 " ", num,
                                 img->kind == KN_FILE_REGULAR   ? 'f'
                                 : img->kind == KN_FILE_SYMLINK ? 'l'
                                                                : '-',
                                 (unsigned) img->mode, (unsigned) img->uid, (unsigned) img->gid,
                                 img->len, img->kind ? crc32_of(img->data, img->len) : 0);
                escape(&b, img->rel);
                line_end(&b, start);
        }
        if (r >= 0) {
                (void) fsync(tfd); /* the N.pre names before the lines naming them */
                r = append(l, tfd, b.s, b.len, err);
        }
        kn_strbuf_done(&b);
        if (r < 0)
                return r;
        for (size_t k = 0; k < n; k++) {
                GREEDY_REALLOC(l->rels, l->alloc_rels, l->n_rels + 1);
                l->rels[l->n_rels++] = kn_xstrdup(imgs[k].rel);
        }
        kn_filelog_step("recorded");
        return 0;
}

int kn_filelog_drop(kn_filelog *l, kn_error *err) {
        int r = txn_remove(l, err);
        if (r >= 0)
                rels_clear(l);
        return r;
}

/* ---- owners ---- */

static unsigned long long proc_start(pid_t pid) {
        char path[64], buf[1024];
        snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
        if (n <= 0)
                return 0;
        buf[n] = '\0';
        char *p = strrchr(buf, ')'); /* comm may hold spaces */
        unsigned long long start = 0;
        for (int field = 2; p && *p; p++)
                if (*p == ' ' && ++field == 22) {
                        start = strtoull(p + 1, NULL, 10);
                        break;
                }
        return start;
}

static void boot_id(char out[40]) {
        out[0] = '\0';
        _cleanup_close_ int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
        ssize_t n = fd < 0 ? -1 : read(fd, out, 39);
        out[n > 0 ? n : 0] = '\0';
        out[strcspn(out, "\n")] = '\0';
        if (!out[0])
                snprintf(out, 40, "unknown");
}

/* The process that opened the transaction still runs (not a reused pid). */
static bool owner_alive(const manifest *m) {
        char boot[40];
        boot_id(boot);
        if (!streq(boot, m->boot) || m->pid <= 0)
                return false;
        if (kill(m->pid, 0) < 0 && errno == ESRCH)
                return false;
        return proc_start(m->pid) == m->start;
}

/* ---- begin, commit, rollback, recover ---- */

static int busy(kn_filelog *l, const manifest *m, kn_error *err) {
        if (m->begin)
                return kn_error_set(err, EBUSY,
                                    "a transaction opened by pid %d is open on %s; commit or roll "
                                    "it back first",
                                    (int) m->pid, l->dir);
        return kn_error_set(err, EBUSY,
                            "%s/txn holds the pre-images of an interrupted change; run kvmnet "
                            "again (or restart kvmnetd) to restore them first",
                            l->dir);
}

int kn_filelog_check(kn_filelog *l, kn_error *err) {
        manifest m;
        int r = manifest_read(l, &m, err);
        if (r >= 0 && m.exists && !l->in_txn) {
                if (m.has_file && (m.begin || m.n))
                        r = busy(l, &m, err);
                else /* the remains of a drop, or a record torn before its first entry */
                        r = txn_remove(l, err);
        }
        manifest_done(&m);
        return r;
}

static int begin(kn_filelog *l, bool held, kn_error *err) {
        if (l->in_txn)
                return kn_error_set(err, EBUSY, "a transaction is open already on %s", l->dir);
        int r = kn_filelog_lock(l, err);
        if (r < 0)
                return r;
        r = kn_filelog_check(l, err);
        if (r >= 0) {
                bool created;
                int tfd = txn_dir(l, &created, err);
                r = tfd;
                if (tfd >= 0) {
                        char boot[40];
                        boot_id(boot);
                        kn_strbuf b = {0};
                        kn_strbuf_printf(&b, "begin %d %llu %s%s", (int) getpid(),
                                         proc_start(getpid()), boot, held ? " held" : "");
                        line_end(&b, 0);
                        r = append(l, tfd, b.s, b.len, err);
                        kn_strbuf_done(&b);
                        close(tfd);
                }
                if (r >= 0) {
                        rels_clear(l);
                        l->in_txn = true;
                } else
                        (void) txn_remove(l, NULL);
        }
        kn_filelog_unlock(l);
        return r;
}

int kn_filelog_begin(kn_filelog *l, kn_error *err) {
        return begin(l, false, err);
}

int kn_filelog_begin_held(kn_filelog *l, kn_error *err) {
        return begin(l, true, err);
}

int kn_filelog_commit(kn_filelog *l, kn_error *err) {
        if (!l->in_txn)
                return kn_error_set(err, EINVAL, "no transaction is open on %s", l->dir);
        int r = kn_filelog_lock(l, err);
        if (r >= 0)
                r = kn_filelog_drop(l, err);
        if (r >= 0)
                l->in_txn = false;
        kn_filelog_unlock(l);
        return r;
}

/* Entry k's pre-image as it was recorded. */
static int load_entry(kn_filelog *l, int tfd, const entry *e, kn_file_image *img, kn_error *err) {
        *img = (kn_file_image){.rel = kn_xstrdup(e->rel),
                               .kind = e->kind,
                               .mode = e->mode,
                               .uid = e->uid,
                               .gid = e->gid};
        if (e->kind == KN_FILE_ABSENT)
                return 0;
        char name[32];
        snprintf(name, sizeof name, "%04u.pre", e->n);
        _cleanup_close_ int fd = openat(tfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        int r = fd < 0 ? -errno : read_fd(fd, &img->data, &img->len);
        if (r >= 0 && (img->len != e->len || crc32_of(img->data, img->len) != e->crc))
                r = -EBADMSG;
        if (r < 0) {
                kn_file_image_done(img);
                return kn_error_set(err, -r, "%s/txn/%s: the pre-image of %s is %s", l->dir, name,
                                    e->rel, r == -EBADMSG ? "damaged" : strerror(-r));
        }
        return 0;
}

/* Restore every entry, newest first; continues past failures (the first
 * is returned).  Returns how many files changed. */
static int restore_all(kn_filelog *l, const manifest *m, const kn_root *root, const char *why,
                       void (*report)(const char *, void *), void *ud, kn_error *err) {
        _cleanup_close_ int tfd = openat(l->dfd, "txn", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (tfd < 0)
                return kn_error_set(err, errno, "%s/txn: %m", l->dir);
        int first = 0, n = 0;
        for (size_t k = m->n; k-- > 0;) {
                kn_file_image img;
                int r = load_entry(l, tfd, &m->e[k], &img, err);
                if (r >= 0) {
                        r = kn_file_image_restore(root, &img, err);
                        if (r > 0) {
                                _cleanup_free_ char *shown = kn_root_display(root, img.rel);
                                kn_reportf(report, ud, "restored %s (as before %s)", shown, why);
                                n++;
                        }
                        kn_file_image_done(&img);
                }
                if (r < 0 && !first)
                        first = r;
        }
        return first < 0 ? first : n;
}

int kn_filelog_rollback(kn_filelog *l, const kn_root *root,
                        void (*report)(const char *message, void *userdata), void *userdata,
                        kn_error *err) {
        if (!l->in_txn)
                return kn_error_set(err, EINVAL, "no transaction is open on %s", l->dir);
        int r = kn_filelog_lock(l, err);
        manifest m = {0};
        if (r >= 0)
                r = manifest_read(l, &m, err);
        if (r >= 0)
                r = restore_all(l, &m, root, "the transaction", report, userdata, err);
        if (r >= 0) {
                int q = kn_filelog_drop(l, err);
                if (q < 0)
                        r = q;
                else
                        l->in_txn = false;
        }
        manifest_done(&m);
        kn_filelog_unlock(l);
        return r;
}

/* Put the record's files back (unless keep), then drop the record. */
static int restore_and_drop(kn_filelog *l, const manifest *m, const kn_root *root, bool keep,
                            void (*report)(const char *, void *), void *ud, kn_error *err) {
        int r = keep ? 0
                     : restore_all(l, m, root,
                                   m->begin ? "the transaction" : "the interrupted change", report,
                                   ud, err);
        if (r >= 0) {
                int q = kn_filelog_drop(l, err);
                if (q < 0)
                        r = q;
        }
        return r;
}

int kn_filelog_recover(kn_filelog *l, const kn_root *root,
                       void (*report)(const char *message, void *userdata), void *userdata,
                       kn_error *err) {
        if (l->in_txn)
                return 0; /* ours, and open */
        int r = kn_filelog_lock(l, err);
        manifest m = {0};
        if (r >= 0)
                r = manifest_read(l, &m, err);
        if (r >= 0 && m.exists) {
                if (m.begin && owner_alive(&m)) {
                        kn_reportf(report, userdata,
                                   "%s: the transaction of pid %d is open; left alone", l->dir,
                                   (int) m.pid);
                        r = 0;
                } else if (m.held) {
                        r = 0; /* kn_filelog_settle(), once its journal is read */
                } else
                        r = restore_and_drop(l, &m, root, false, report, userdata, err);
        }
        manifest_done(&m);
        kn_filelog_unlock(l);
        return r;
}

int kn_filelog_settle(kn_filelog *l, const kn_root *root, bool rollback,
                      void (*report)(const char *message, void *userdata), void *userdata,
                      kn_error *err) {
        if (l->in_txn)
                return 0; /* ours, and open: its kn_txn ends it */
        int r = kn_filelog_lock(l, err);
        manifest m = {0};
        if (r >= 0)
                r = manifest_read(l, &m, err);
        if (r >= 0 && m.exists && m.held && !owner_alive(&m))
                r = restore_and_drop(l, &m, root, !rollback, report, userdata, err);
        manifest_done(&m);
        kn_filelog_unlock(l);
        return r;
}
