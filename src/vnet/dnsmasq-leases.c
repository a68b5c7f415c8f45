/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* dnsmasq's lease file.  One lease a line:
 *   IPv4: EXPIRY MAC ADDRESS HOSTNAME CLIENT-ID
 *   IPv6: EXPIRY IAID ADDRESS HOSTNAME DUID   (after a "duid SERVER-DUID" line)
 * "*" stands for no hostname or client id; EXPIRY 0 for an infinite lease. */

#include <inttypes.h>

#include "dnsmasq-private.h"
#include "macro.h"
#include "vnet-private.h"

static void copy_field(char *out, size_t size, const char *s) {
        snprintf(out, size, "%s", streq(s, "*") ? "" : s);
}

static int parse_line(char *line, kn_dnsmasq_lease *l) {
        char *f[5];
        size_t n = 0;
        for (char *save = NULL, *t = strtok_r(line, " \t", &save); t && n < 5;
             t = strtok_r(NULL, " \t", &save))
                f[n++] = t;
        if (n < 4)
                return -EINVAL;
        memset(l, 0, sizeof *l);
        char *end;
        errno = 0;
        long long exp = strtoll(f[0], &end, 10);
        if (errno || *end || exp < 0)
                return -EINVAL;
        l->expiry = exp;
        kn_vnet_addr a;
        if (kn_vnet_addr_parse("", f[2], &a, NULL) < 0)
                return -EINVAL;
        l->family = a.family;
        kn_vnet_addr_format(&a, l->ip, sizeof l->ip);
        if (a.family == AF_INET)
                copy_field(l->mac, sizeof l->mac, f[1]);
        else
                l->iaid = (uint32_t) strtoul(f[1] + (f[1][0] == 'T'), NULL, 10);
        copy_field(l->hostname, sizeof l->hostname, f[3]);
        if (n > 4)
                copy_field(l->client_id, sizeof l->client_id, f[4]);
        return 0;
}

int kn_dnsmasq_lease_cmp(const kn_dnsmasq_lease *a, const kn_dnsmasq_lease *b) {
        if (a->family != b->family)
                return a->family < b->family ? -1 : 1;
        kn_vnet_addr x, y;
        kn_vnet_addr_parse("", a->ip, &x, NULL);
        kn_vnet_addr_parse("", b->ip, &y, NULL);
        return memcmp(x.b, y.b, sizeof x.b);
}

static int cmp(const void *a, const void *b) {
        return kn_dnsmasq_lease_cmp(a, b);
}

void kn_dnsmasq_parse_leases(const char *text, kn_dnsmasq_lease **ret, size_t *ret_n) {
        _cleanup_free_ char *copy = kn_xstrdup(text);
        kn_dnsmasq_lease *v = NULL;
        size_t n = 0, alloc = 0;
        for (char *save = NULL, *line = strtok_r(copy, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save)) {
                if (startswith(line, "duid ") || !*line)
                        continue;
                GREEDY_REALLOC(v, alloc, n + 1);
                /* A line being written (dnsmasq truncates, then writes) is
                 * dropped, not an error: the next change reads it whole. */
                if (parse_line(line, &v[n]) == 0)
                        n++;
        }
        qsort_safe(v, n, sizeof *v, cmp);
        *ret = v;
        *ret_n = n;
}
