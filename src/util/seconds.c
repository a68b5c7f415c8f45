/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "seconds.h"

int kn_parse_seconds(const char *s, double max, double *ret) {
        /* Decimal digits and one point only: strtod() alone would also take
         * "inf", "nan", hex floats, exponents and leading blanks. */
        if (!s || !*s || strspn(s, "0123456789.") != strlen(s) ||
            strchr(s, '.') != strrchr(s, '.') || strcmp(s, ".") == 0)
                return -EINVAL;
        char *end = NULL;
        errno = 0;
        double d = strtod(s, &end);
        if (errno != 0 || !end || *end != '\0' || d < 0 || d > max)
                return -EINVAL;
        *ret = d;
        return 0;
}
