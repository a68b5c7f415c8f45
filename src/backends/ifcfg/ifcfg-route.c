/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* route-IFACE and route6-IFACE.  kvmnet's model has one route per family,
 * the default gateway; every other route in these files is left alone.
 * Two formats exist: shell assignments (ADDRESSn=0.0.0.0 NETMASKn=0.0.0.0
 * GATEWAYn=X is the default route; a plain GATEWAY=X is read the same way)
 * and, when the file is not all assignments, one `ip route add` argument
 * list per line ("default via X ..."). */

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>

#include "ifcfg-private.h"
#include "macro.h"

static bool is_key_format(const kn_ifcfg_file *f) {
        if (f->err)
                return false;
        for (size_t k = 0; k < f->n; k++)
                if (f->lines[k].key)
                        return true;
        return false;
}

/* Key format: the numbers n whose ADDRESSn/NETMASKn say 0.0.0.0/0. */
static bool is_default_n(const kn_ifcfg_file *f, const char *key, char *sfx, size_t sfx_len) {
        if (strncmp(key, "ADDRESS", 7) != 0 || !isdigit((unsigned char) key[7]))
                return false;
        char nm[32];
        snprintf(sfx, sfx_len, "%s", key + 7);
        snprintf(nm, sizeof nm, "NETMASK%s", sfx);
        const char *addr = kn_ifcfg_file_get(f, key), *mask = kn_ifcfg_file_get(f, nm);
        return addr && mask && streq(addr, "0.0.0.0") && streq(mask, "0.0.0.0");
}

/* ip format: "default via X ..." or "0.0.0.0/0 via X" / "::/0 via X";
 * returns the gateway token (in buf) or NULL. */
static const char *ip_line_gateway(const char *line, int family, char *buf, size_t len) {
        _cleanup_free_ char *copy = kn_xstrdup(line);
        char *save = NULL, *t = strtok_r(copy, " \t\r", &save);
        if (!t || t[0] == '#')
                return NULL;
        if (!streq(t, "default") && !streq(t, family == AF_INET ? "0.0.0.0/0" : "::/0"))
                return NULL;
        while ((t = strtok_r(NULL, " \t\r", &save)))
                if (streq(t, "via")) {
                        t = strtok_r(NULL, " \t\r", &save);
                        if (!t)
                                return NULL;
                        snprintf(buf, len, "%s", t);
                        return buf;
                }
        return NULL;
}

_printf_(3, 4) static int problem(kn_ifcfg_problem *p, unsigned line, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->message, sizeof p->message, fmt, ap);
        va_end(ap);
        p->line = line;
        return -EINVAL;
}

int kn_ifcfg_route_gateway(const kn_ifcfg_file *f, int family, char *gateway, kn_ifcfg_problem *p) {
        const char *fam = family == AF_INET ? "IPv4" : "IPv6";
        p->which = family == AF_INET ? KN_IFCFG_ROUTE4 : KN_IFCFG_ROUTE6;
        gateway[0] = '\0';
        if (is_key_format(f)) {
                if (family != AF_INET)
                        return 0;
                const kn_ifcfg_line *l = kn_ifcfg_file_find(f, "GATEWAY");
                for (size_t k = 0; !l && k < f->n; k++) {
                        char sfx[16], key[32];
                        if (f->lines[k].key && is_default_n(f, f->lines[k].key, sfx, sizeof sfx)) {
                                snprintf(key, sizeof key, "GATEWAY%s", sfx);
                                l = kn_ifcfg_file_find(f, key);
                        }
                }
                if (l && kn_ip_canonical(AF_INET, l->value, gateway) < 0)
                        return problem(p, l->lineno, "%s=%s is not an IPv4 address", l->key,
                                       l->value);
                return 0;
        }
        for (size_t k = 0; k < f->n; k++) {
                char buf[64];
                const char *gw = f->lines[k].raw
                                         ? ip_line_gateway(f->lines[k].raw, family, buf, sizeof buf)
                                         : NULL;
                if (!gw)
                        continue;
                if (kn_ip_canonical(family, gw, gateway) < 0)
                        return problem(p, f->lines[k].lineno,
                                       "default route via '%s': not an %s address", gw, fam);
                return 0;
        }
        return 0;
}

bool kn_ifcfg_route_drop_default(kn_ifcfg_file *f, int family) {
        bool changed = false;
        if (is_key_format(f)) {
                if (family != AF_INET)
                        return false;
                if (kn_ifcfg_file_find(f, "GATEWAY")) {
                        kn_ifcfg_file_set(f, "GATEWAY", NULL);
                        changed = true;
                }
                for (size_t k = 0; k < f->n; k++) {
                        char sfx[16], key[32];
                        if (!f->lines[k].key || !is_default_n(f, f->lines[k].key, sfx, sizeof sfx))
                                continue;
                        static const char *const keys[] = {"ADDRESS", "NETMASK", "GATEWAY",
                                                           "METRIC", "OPTIONS"};
                        for (size_t j = 0; j < ELEMENTSOF(keys); j++) {
                                snprintf(key, sizeof key, "%s%s", keys[j], sfx);
                                kn_ifcfg_file_set(f, key, NULL);
                        }
                        changed = true;
                        k = (size_t) -1; /* lines moved: start over */
                }
                return changed;
        }
        for (size_t k = f->n; k > 0; k--) {
                char buf[64];
                const char *raw = f->lines[k - 1].raw;
                if (raw && ip_line_gateway(raw, family, buf, sizeof buf)) {
                        kn_ifcfg_file_remove_line(f, k - 1);
                        changed = true;
                }
        }
        return changed;
}

bool kn_ifcfg_route_is_empty(const kn_ifcfg_file *f) {
        for (size_t k = 0; k < f->n; k++) {
                const kn_ifcfg_line *l = &f->lines[k];
                if (l->key || (l->raw && l->raw[strspn(l->raw, " \t\r")]))
                        return false;
        }
        return true;
}
