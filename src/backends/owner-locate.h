/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Backends that can tell which of their files configure a link, for
 * owner.c.  Proposed as a vtable member:
 *
 *     int (*locate)(kn_backend *b, const char *name, const char *mac,
 *                   kn_owners *out);
 *
 * (from loaded state, no I/O: every file that defines name or matches it,
 * by pattern or by mac when mac is not NULL); until then owner.c keeps a
 * table. */

#include "kvmnet/backend.h"
#include "kvmnet/owner.h"

int kn_networkd_locate(kn_backend *b, const char *name, const char *mac, kn_owners *out);
int kn_nmkeyfile_locate(kn_backend *b, const char *name, const char *mac, kn_owners *out);
