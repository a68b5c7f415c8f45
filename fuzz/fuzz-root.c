/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The backend targets read files from a root: each input is a small tree
 * in one text ("--- etc/network/interfaces" then its lines), written to a
 * directory of the target's own before each run. */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

static char *root_dir;

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        if (ftw->level == 0)
                return 0; /* keep the directory itself */
        if (type == FTW_DP)
                (void) rmdir(path);
        else
                (void) unlink(path);
        return 0;
}

static void rm_root(void) {
        if (!root_dir)
                return;
        (void) nftw(root_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        (void) rmdir(root_dir);
}

char *fuzz_root_dir(const char *name) {
        const char *tmp = getenv("TMPDIR");
        char *d;
        if (asprintf(&d, "%s/kvmnet-fuzz-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", name) < 0 ||
            !mkdtemp(d)) {
                perror("fuzz: mkdtemp");
                abort();
        }
        root_dir = d;
        atexit(rm_root);
        return d;
}

/* A path we are willing to create: relative, [A-Za-z0-9._ -/] only (the
 * backends' own names), no "." or ".." component, not too deep. */
static int path_ok(const char *p) {
        if (!*p || *p == '/' || strlen(p) > 200)
                return 0;
        for (const char *c = p; *c; c++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._- /",
                            *c))
                        return 0;
        for (const char *c = p; *c;) {
                size_t n = strcspn(c, "/");
                if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
                        return 0;
                c += n;
                if (*c == '/')
                        c++;
        }
        return 1;
}

static void mkparents(char *path) {
        for (char *s = strchr(path, '/'); s; s = strchr(s + 1, '/')) {
                *s = '\0';
                if (mkdir(path, 0755) < 0 && errno != EEXIST) {
                        *s = '/';
                        return;
                }
                *s = '/';
        }
}

static void write_file(const char *dir, const char *rel, const uint8_t *data, size_t size) {
        if (!path_ok(rel))
                return;
        char *path;
        if (asprintf(&path, "%s/%s", dir, rel) < 0)
                abort();
        mkparents(path);
        /* The same name twice: the later one wins, as a truncating write. */
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd >= 0) {
                if (size > 0 && write(fd, data, size) != (ssize_t) size)
                        abort();
                close(fd);
        }
        free(path);
}

void fuzz_root_write(const char *dir, const uint8_t *data, size_t size) {
        (void) nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);

        char *name = NULL;
        size_t start = 0;
        size_t i = 0;
        while (i <= size) {
                size_t eol = i;
                while (eol < size && data[eol] != '\n')
                        eol++;
                if (eol - i >= 4 && memcmp(data + i, "--- ", 4) == 0) {
                        if (name)
                                write_file(dir, name, data + start, i - start);
                        free(name);
                        name = malloc(eol - i - 4 + 1);
                        if (!name)
                                abort();
                        memcpy(name, data + i + 4, eol - i - 4);
                        name[eol - i - 4] = '\0';
                        if (strlen(name) != eol - i - 4) /* a NUL in the name */
                                name[0] = '\0';
                        start = eol < size ? eol + 1 : size;
                }
                i = eol + 1;
        }
        if (name)
                write_file(dir, name, data + start, size - start);
        free(name);
}
