/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A duration of the command lines (kvmnet's --timeout, --confirm, --delay;
 * kvmnetd's --unplug-timeout, --idle-timeout): seconds, decimal digits and
 * at most one point ("2", "2.5", ".5"), 0 .. max.  Returns 0, or -EINVAL
 * for anything else, "inf", "nan", "1e3", hex, signs and blanks included. */
int kn_parse_seconds(const char *s, double max, double *ret);
