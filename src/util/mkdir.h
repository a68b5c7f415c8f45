/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

/* mkdir -p PATH (an absolute host path: state and run directories, not
 * files under a configuration root, which go through rootfs.h).  0 if it
 * exists already. */
int kn_mkdir_p(const char *path, mode_t mode);
