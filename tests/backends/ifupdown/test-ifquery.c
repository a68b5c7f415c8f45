/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The ifupdown reader accepts what Debian's ifupdown accepts (issue 8,
 * section 3): random interfaces(5) files with several stanzas per
 * interface, stanzas repeated word for word, addresses given twice, and
 * for each one kvmnet's list is checked against Debian's own parser:
 *  - `ifquery --list -i FILE` (the "auto" interfaces) is exactly what
 *    kvmnet lists with <start mode='onboot'/>, `--allow hotplug` the
 *    hotplug ones (auto wins);
 *  - every interface with a stanza is listed, none with an error;
 *  - `ifquery -i FILE NAME` names the same addresses kvmnet read.
 *
 *   test-ifquery [ITERATIONS [SEED]]     (default 60, 1; exit 77 without ifquery) */

#include <stdio.h>

#include "kvmnet/config.h"
#include "macro.h"
#include "strbuf.h"
#include "testutil.h"

static unsigned long long rng;

static unsigned rnd(unsigned n) {
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        return (unsigned) ((rng >> 33) % n);
}

#define PICK(a) (a)[rnd(ELEMENTSOF(a))]

static const char *const names[] = {"eth0", "eth1", "eth2", "ens3", "ens4"};
/* one prefix per address: the same address with two prefixes is an error
 * kvmnet reports on purpose (ifup would fail on its second `ip addr add`) */
static const char *const v4[] = {"10.0.0.1/24", "10.0.1.1/24", "192.168.7.2/16"};
static const char *const v6[] = {"fd00::1/64", "fd00:1::1/64", "2001:db8::7/48"};

static char *random_config(void) {
        kn_strbuf b = {0};
        kn_strbuf_puts(&b, "auto lo\niface lo inet loopback\n\n");
        /* link options: one value per interface, or ifupdown's last wins */
        unsigned mtu[ELEMENTSOF(names)];
        for (size_t k = 0; k < ELEMENTSOF(names); k++)
                mtu[k] = rnd(3) ? 0 : 1400 + 100 * (unsigned) k;
        char *prev = NULL;
        for (unsigned j = 0, n = 1 + rnd(9); j < n; j++) {
                if (prev && rnd(4) == 0) { /* a stanza repeated word for word */
                        kn_strbuf_puts(&b, prev);
                        continue;
                }
                size_t ni = rnd(ELEMENTSOF(names));
                kn_strbuf st = {0};
                bool six = rnd(3) == 0;
                static const char *const m4[] = {"static", "dhcp", "manual"};
                static const char *const m6[] = {"static", "dhcp", "auto", "manual"};
                const char *method = six ? PICK(m6) : PICK(m4);
                if (rnd(3) == 0)
                        kn_strbuf_printf(&st, "%s %s\n", rnd(2) ? "auto" : "allow-hotplug",
                                         names[ni]);
                kn_strbuf_printf(&st, "iface %s %s %s\n", names[ni], six ? "inet6" : "inet",
                                 method);
                if (streq(method, "static"))
                        kn_strbuf_printf(&st, "    address %s\n", six ? PICK(v6) : PICK(v4));
                if (mtu[ni] && rnd(2) && !streq(method, "dhcp") && !streq(method, "auto"))
                        kn_strbuf_printf(&st, "    mtu %u\n", mtu[ni]);
                if (rnd(3) == 0)
                        kn_strbuf_printf(&st, "    up true %u\n", rnd(3));
                kn_strbuf_puts(&st, "\n");
                kn_strbuf_puts(&b, st.s);
                free(prev);
                prev = kn_strbuf_steal(&st);
        }
        free(prev);
        return kn_strbuf_steal(&b);
}

static char *run_out(const char *cmd_fmt, const char *a, const char *b2) {
        _cleanup_free_ char *out = kn_xasprintf("%s.out", a);
        _cleanup_free_ char *cmd = kn_xasprintf(cmd_fmt, a, b2 ? b2 : "");
        test_run("%s > '%s' 2>/dev/null", cmd, out);
        return test_read_file(out);
}

static bool word_in(const char *list, const char *w) {
        _cleanup_free_ char *copy = kn_xstrdup(list);
        char *save = NULL;
        for (char *t = strtok_r(copy, " \n", &save); t; t = strtok_r(NULL, " \n", &save))
                if (streq(t, w))
                        return true;
        return false;
}

static unsigned failures, n_warnings, n_listed;

static void check(const char *root, const char *text) {
        _cleanup_free_ char *file = kn_xasprintf("%s/etc/network/interfaces", root);
        test_write_file(file, text);
        kn_config *c = NULL;
        kn_error err = {0};
        if (kn_config_open(root, "ifupdown", &c, &err) < 0) {
                fprintf(stderr, "open: %s\n", err.message);
                abort();
        }
        _cleanup_free_ char *autos = run_out("ifquery --list -i '%s'", file, NULL);
        _cleanup_free_ char *hotplug =
                run_out("ifquery --list --allow hotplug -i '%s'", file, NULL);
        bool bad = false;
        const kn_diag *d;
        size_t nd = kn_config_diags(c, &d);
        for (size_t k = 0; k < nd; k++)
                if (d[k].warning)
                        n_warnings++;
                else {
                        fprintf(stderr, "error kvmnet reports: %s:%u: %s\n", d[k].file, d[k].line,
                                d[k].message);
                        bad = true;
                }
        for (size_t k = 0; k < ELEMENTSOF(names); k++) {
                const char *n = names[k];
                bool has_stanza = false;
                char needle[32];
                snprintf(needle, sizeof needle, "iface %s ", n);
                has_stanza = strstr(text, needle) != NULL;
                const kn_iface *top, *i = kn_config_lookup(c, n, &top);
                if (has_stanza != (i != NULL)) {
                        fprintf(stderr, "%s: %s by kvmnet, but it %s a stanza\n", n,
                                i ? "listed" : "not listed", has_stanza ? "has" : "has no");
                        bad = true;
                        continue;
                }
                if (!i)
                        continue;
                n_listed++;
                bool a = word_in(autos, n), h = word_in(hotplug, n) && !a;
                kn_start_mode want = a ? KN_START_ONBOOT : h ? KN_START_HOTPLUG : KN_START_NONE;
                if (i->start != want) {
                        fprintf(stderr, "%s: kvmnet says start %s, ifquery --list %s\n", n,
                                kn_start_mode_to_string(i->start),
                                a   ? "lists it"
                                : h ? "--allow hotplug lists it"
                                    : "does not");
                        bad = true;
                }
                /* the addresses ifupdown applies */
                _cleanup_free_ char *q = run_out("ifquery -i '%s' '%s'", file, n);
                const kn_protocol *ps[] = {&i->ipv4, &i->ipv6};
                size_t n_model = 0, n_query = 0;
                for (size_t p = 0; p < 2; p++)
                        for (size_t j = 0; j < ps[p]->n_ips; j++) {
                                char line[80];
                                snprintf(line, sizeof line, "address: %s\n", ps[p]->ips[j].address);
                                n_model++;
                                if (!strstr(q, line)) {
                                        fprintf(stderr, "%s: kvmnet has %s, ifquery not\n", n,
                                                ps[p]->ips[j].address);
                                        bad = true;
                                }
                        }
                /* each address ifquery names, kvmnet has (repeats once) */
                for (const char *s = q; (s = strstr(s, "address: ")); s += 9) {
                        char addr[64] = "";
                        sscanf(s + 9, "%63s", addr);
                        bool found = false;
                        for (size_t p = 0; p < 2 && !found; p++)
                                for (size_t j = 0; j < ps[p]->n_ips && !found; j++)
                                        found = streq(ps[p]->ips[j].address, addr);
                        n_query++;
                        if (!found) {
                                fprintf(stderr, "%s: ifquery has address %s, kvmnet not\n", n,
                                        addr);
                                bad = true;
                        }
                }
                (void) n_query;
        }
        if (bad) {
                fprintf(stderr, "--- in this file:\n%s---\n", text);
                failures++;
        }
        kn_config_free(c);
}

int main(int argc, char **argv) {
        unsigned iterations = argc > 1 && atoi(argv[1]) > 0 ? (unsigned) atoi(argv[1]) : 60;
        rng = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
        if (test_run("command -v ifquery >/dev/null") != 0) {
                printf("SKIP: ifquery is not installed (Debian package ifupdown)\n");
                return 77;
        }
        _cleanup_free_ char *root = test_tmpdir();
        test_run("mkdir -p '%s/etc/network'", root);
        for (unsigned it = 0; it < iterations; it++) {
                _cleanup_free_ char *text = random_config();
                check(root, text);
        }
        test_rmtree(root);
        printf("%u files, %u interfaces listed, %u repeats warned about, %u disagreements with "
               "ifquery\n",
               iterations, n_listed, n_warnings, failures);
        return failures ? 1 : 0;
}
