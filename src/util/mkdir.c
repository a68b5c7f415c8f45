/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <sys/stat.h>

#include "macro.h"
#include "mkdir.h"

/* The deepest directory first, its parents only when it is missing: the
 * directories above one that exists are never touched (kvmnet --root DIR
 * makes DIR/var/lib/kvmnet without as much as a mkdir("/tmp")). */
int kn_mkdir_p(const char *path, mode_t mode) {
        if (mkdir(path, mode) == 0 || errno == EEXIST)
                return 0;
        if (errno != ENOENT)
                return -errno;
        _cleanup_free_ char *parent = kn_xstrdup(path);
        char *slash = strrchr(parent, '/');
        while (slash && slash > parent && slash[1] == '\0') { /* "a/b/" */
                *slash = '\0';
                slash = strrchr(parent, '/');
        }
        if (!slash || slash == parent)
                return -ENOENT;
        *slash = '\0';
        int r = kn_mkdir_p(parent, mode);
        if (r < 0)
                return r;
        return mkdir(path, mode) < 0 && errno != EEXIST ? -errno : 0;
}
