/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <sys/stat.h>

#include "macro.h"
#include "mkdir.h"

int kn_mkdir_p(const char *path, mode_t mode) {
        _cleanup_free_ char *p = kn_xstrdup(path);
        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = '\0';
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        return mkdir(p, mode) < 0 && errno != EEXIST ? -errno : 0;
}
