/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* [Match] of .network files, as far as kvmnet can evaluate it offline:
 * Name= (shell globs, '!' inverting the list) and MACAddress= /
 * PermanentMACAddress=.  Other conditions (Driver=, Type=, Host=, ...)
 * depend on the running system. */

#include <ctype.h>
#include <fnmatch.h>

#include "macro.h"
#include "networkd.h"
#include "strbuf.h"

static void strv_push(char ***v, size_t *n, char *s) {
        *v = kn_xrealloc(*v, (*n + 1) * sizeof **v);
        (*v)[(*n)++] = s;
}

static void strv_clear(char ***v, size_t *n) {
        for (size_t k = 0; k < *n; k++)
                free((*v)[k]);
        free(*v);
        *v = NULL;
        *n = 0;
}

/* Hardware addresses in the forms networkd takes (colon, hyphen or dot
 * separated) to aa:bb:cc:dd:ee:ff; anything else lower-cased (IPv4/IPv6
 * tunnel addresses never equal an Ethernet MAC). */
static char *mac_normalize(const char *s) {
        char hex[13];
        size_t n = 0;
        for (const char *p = s; *p; p++) {
                if (isxdigit((unsigned char) *p) && n < 12)
                        hex[n++] = (char) tolower((unsigned char) *p);
                else if (!strchr(":-.", *p) || isxdigit((unsigned char) *p)) {
                        n = 0;
                        break;
                }
        }
        if (n == 12)
                return kn_xasprintf("%.2s:%.2s:%.2s:%.2s:%.2s:%.2s", hex, hex + 2, hex + 4, hex + 6,
                                    hex + 8, hex + 10);
        char *o = kn_xstrdup(s);
        for (char *p = o; *p; p++)
                *p = (char) tolower((unsigned char) *p);
        return o;
}

static void split_into(const char *value, char ***v, size_t *n, bool macs) {
        const char *p = value;
        while (*p) {
                while (*p && isspace((unsigned char) *p))
                        p++;
                const char *start = p;
                while (*p && !isspace((unsigned char) *p))
                        p++;
                if (p == start)
                        break;
                _cleanup_free_ char *word = kn_xstrndup(start, (size_t) (p - start));
                strv_push(v, n, macs ? mac_normalize(word) : TAKE_PTR(word));
        }
}

void kn_networkd_match_clear(kn_networkd_file *f) {
        strv_clear(&f->globs, &f->n_globs);
        strv_clear(&f->macs, &f->n_macs);
        f->negated = f->other_match = false;
        f->literal = NULL;
}

void kn_networkd_match_parse(kn_networkd_file *f) {
        kn_networkd_match_clear(f);
        KN_INI_FOREACH(k, &f->file.ini, "Match", NULL) {
                const kn_ini_line *l = &f->file.ini.lines[k];
                if (streq(l->key, "Name")) {
                        /* An empty assignment resets the list. */
                        if (!*l->value) {
                                strv_clear(&f->globs, &f->n_globs);
                                f->negated = false;
                                continue;
                        }
                        const char *v = l->value;
                        if (*v == '!') {
                                f->negated = true;
                                v++;
                        }
                        split_into(v, &f->globs, &f->n_globs, false);
                } else if (streq(l->key, "MACAddress") || streq(l->key, "PermanentMACAddress")) {
                        if (!*l->value)
                                strv_clear(&f->macs, &f->n_macs);
                        else
                                split_into(l->value, &f->macs, &f->n_macs, true);
                } else
                        f->other_match = true;
        }
        if (!f->negated && f->n_globs == 1 && !strpbrk(f->globs[0], "*?[") &&
            kn_ifname_validate(f->globs[0], NULL, NULL) >= 0)
                f->literal = f->globs[0];
}

bool kn_networkd_match(const kn_networkd_file *f, const char *link, const char *mac) {
        if (f->masked)
                return false;
        if (f->literal) {
                if (!streq(f->literal, link))
                        return false;
        } else if (f->n_globs) {
                bool hit = false;
                for (size_t k = 0; k < f->n_globs && !hit; k++)
                        hit = fnmatch(f->globs[k], link, 0) == 0;
                if (hit == f->negated)
                        return false;
        }
        if (f->n_macs) {
                if (isempty(mac))
                        return f->n_globs > 0;
                _cleanup_free_ char *m = mac_normalize(mac);
                for (size_t k = 0; k < f->n_macs; k++)
                        if (streq(f->macs[k], m))
                                return true;
                return false;
        }
        if (!f->n_globs)
                return !f->other_match;
        return true;
}

char *kn_networkd_match_describe(const kn_networkd_file *f) {
        kn_strbuf b = {0};
        kn_strbuf_puts(&b, "[Match]");
        KN_INI_FOREACH(k, &f->file.ini, "Match", NULL) {
                const kn_ini_line *l = &f->file.ini.lines[k];
                kn_strbuf_printf(&b, " %s=%s", l->key, l->value);
        }
        if (b.len == strlen("[Match]"))
                kn_strbuf_puts(&b, " (empty: every link)");
        return kn_strbuf_steal(&b);
}
