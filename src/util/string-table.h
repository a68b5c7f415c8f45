/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Enum <-> string tables, so parsing and printing can't drift apart.
 * Index 0 of a table may be NULL, meaning "unset": it is never parsed. */

#include <errno.h>
#include <stddef.h>
#include <string.h>

#define DEFINE_STRING_TABLE_LOOKUP(name, type)                                                     \
        const char *name##_to_string(type i) {                                                     \
                if ((int) i < 0 || (size_t) i >= ELEMENTSOF(name##_table))                         \
                        return NULL;                                                               \
                return name##_table[i];                                                            \
        }                                                                                          \
        type name##_from_string(const char *s) {                                                   \
                if (!s)                                                                            \
                        return (type) -EINVAL;                                                     \
                for (size_t i = 0; i < ELEMENTSOF(name##_table); i++)                              \
                        if (name##_table[i] && strcmp(name##_table[i], s) == 0)                    \
                                return (type) i;                                                   \
                return (type) -EINVAL;                                                             \
        }
