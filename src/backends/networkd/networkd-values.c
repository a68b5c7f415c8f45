/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* networkd's value syntax -> numbers and flags: systemd.time(7) spans,
 * byte sizes, DHCP=, Address=, the start mode and whether a file has keys
 * kvmnet maps (networkd.h).  No files, no model trees: networkd-read.c
 * builds those. */

#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>

#include "macro.h"
#include "networkd.h"

static const struct {
        const char *unit;
        unsigned long long usec;
} time_units[] = {
        {"us", 1ULL},
        {"usec", 1ULL},
        {"ms", 1000ULL},
        {"msec", 1000ULL},
        {"s", 1000000ULL},
        {"sec", 1000000ULL},
        {"second", 1000000ULL},
        {"seconds", 1000000ULL},
        {"m", 60000000ULL},
        {"min", 60000000ULL},
        {"minute", 60000000ULL},
        {"minutes", 60000000ULL},
        {"h", 3600000000ULL},
        {"hr", 3600000000ULL},
        {"hour", 3600000000ULL},
        {"hours", 3600000000ULL},
        {"d", 86400000000ULL},
        {"day", 86400000000ULL},
        {"days", 86400000000ULL},
        {"w", 604800000000ULL},
        {"week", 604800000000ULL},
        {"weeks", 604800000000ULL},
};

/* systemd.time(7) spans: "100ms", "1.5s", "1min 30s"; a bare number is
 * seconds. */
int kn_networkd_parse_timespan_usec(const char *s, unsigned long long *ret) {
        unsigned long long total = 0;
        bool any = false;
        const char *p = s;
        for (;;) {
                while (isspace((unsigned char) *p))
                        p++;
                if (!*p)
                        break;
                if (!isdigit((unsigned char) *p) && *p != '.')
                        return -EINVAL;
                unsigned long long whole = 0, frac = 0, scale = 1;
                for (; isdigit((unsigned char) *p); p++) {
                        if (whole > 1000000000000ULL)
                                return -ERANGE;
                        whole = whole * 10 + (unsigned) (*p - '0');
                }
                if (*p == '.')
                        for (p++; isdigit((unsigned char) *p); p++)
                                if (scale < 1000000000ULL) {
                                        frac = frac * 10 + (unsigned) (*p - '0');
                                        scale *= 10;
                                }
                while (isspace((unsigned char) *p))
                        p++;
                const char *u = p;
                while (isalpha((unsigned char) *p))
                        p++;
                unsigned long long mul = 1000000ULL;
                if (p > u) {
                        size_t n = (size_t) (p - u);
                        mul = 0;
                        for (size_t k = 0; k < ELEMENTSOF(time_units); k++)
                                if (strlen(time_units[k].unit) == n &&
                                    strncmp(time_units[k].unit, u, n) == 0)
                                        mul = time_units[k].usec;
                        if (!mul)
                                return -EINVAL;
                }
                total += whole * mul + frac * mul / scale;
                any = true;
        }
        if (!any)
                return -EINVAL;
        *ret = total;
        return 0;
}

/* Sizes as MTUBytes= takes them: a number, optionally K, M or G (1024). */
int kn_networkd_parse_bytes(const char *s, unsigned long long *ret) {
        char *end;
        if (!s || !isdigit((unsigned char) *s))
                return -EINVAL;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno)
                return -ERANGE;
        while (isspace((unsigned char) *end))
                end++;
        const char *suffixes = "KMG";
        if (*end) {
                const char *hit = strchr(suffixes, *end);
                if (!hit || end[1])
                        return -EINVAL;
                for (const char *q = suffixes; q <= hit; q++)
                        v *= 1024;
        }
        *ret = v;
        return 0;
}

kn_start_mode kn_networkd_read_start(const kn_ini *ini) {
        const char *policy = kn_ini_get(ini, "Link", "ActivationPolicy");
        if (policy &&
            (streq(policy, "manual") || streq(policy, "down") || streq(policy, "always-down")))
                return KN_START_NONE;
        if (kn_ini_parse_bool(kn_ini_get(ini, "Link", "RequiredForOnline")) == 0)
                return KN_START_HOTPLUG;
        return KN_START_ONBOOT;
}

static const char *const mapped_keys[][2] = {
        {"Link", "MACAddress"},        {"Link", "MTUBytes"},        {"Link", "ActivationPolicy"},
        {"Link", "RequiredForOnline"}, {"Network", "DHCP"},         {"Network", "Address"},
        {"Network", "Gateway"},        {"Network", "IPv6AcceptRA"}, {"Network", "Bridge"},
        {"Network", "Bond"},           {"Network", "PrimarySlave"},
};

bool kn_networkd_has_mapped_keys(const kn_ini *ini) {
        for (size_t k = 0; k < ini->n; k++) {
                const kn_ini_line *l = &ini->lines[k];
                if (!l->key)
                        continue;
                for (size_t j = 0; j < ELEMENTSOF(mapped_keys); j++)
                        if (streq(l->key, mapped_keys[j][1]) &&
                            streq(l->section, mapped_keys[j][0]))
                                return true;
        }
        return false;
}

bool kn_networkd_parse_dhcp(const char *s, bool *v4, bool *v6) {
        int b = kn_ini_parse_bool(s);
        if (b >= 0) {
                *v4 = *v6 = b;
                return true;
        }
        if (streq(s, "ipv4") || streq(s, "v4"))
                *v4 = true, *v6 = false;
        else if (streq(s, "ipv6") || streq(s, "v6"))
                *v4 = false, *v6 = true;
        else if (streq(s, "both"))
                *v4 = *v6 = true;
        else if (streq(s, "none"))
                *v4 = *v6 = false;
        else
                return false;
        return true;
}

/* "ADDR[/PREFIX]" -> family, canonical address, prefix (-1 if none). */
int kn_networkd_parse_address(const char *s, int *family, char *addr, int *prefix) {
        char buf[64];
        const char *slash = strchr(s, '/');
        size_t n = slash ? (size_t) (slash - s) : strlen(s);
        if (n >= sizeof buf)
                return -EINVAL;
        memcpy(buf, s, n);
        buf[n] = '\0';
        *family = strchr(buf, ':') ? AF_INET6 : AF_INET;
        if (kn_ip_canonical(*family, buf, addr) < 0)
                return -EINVAL;
        *prefix = -1;
        if (slash) {
                char *end;
                long p = strtol(slash + 1, &end, 10);
                if (!isdigit((unsigned char) slash[1]) || *end ||
                    p > (*family == AF_INET ? 32 : 128))
                        return -EINVAL;
                *prefix = (int) p;
        }
        return 0;
}
