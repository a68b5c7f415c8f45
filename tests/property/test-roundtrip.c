/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Define accepts only what reads back (issue 8, section 4), as a property
 * over generated and mutated interface XML, through every backend:
 *
 *   for each definition the XML parser and kn_iface_validate() accept,
 *   and each backend whose define() accepts it, in a fresh --root:
 *    - the list right after define and a fresh load of the files both
 *      give what the backend's normalize() predicts, and everything
 *      normalize() changed of what the XML gave was named in a warning
 *      (kn_config_prepare_define);
 *    - the dumped XML parses back to the same model, passes libvirt's own
 *      `virt-xml-validate FILE interface`, and defining it again changes
 *      no byte of the files;
 *    - ifupdown: Debian's `ifup --no-act` takes the written file;
 *   and defined into one root per backend on top of all the ones before,
 *   the list kvmnet keeps is what a fresh load of the files gives.
 *   A definition define() refuses leaves the root empty.
 *
 *   test-roundtrip [ITERATIONS [SEED]]      (0 = the defaults: 150, 1) */

#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>

#include "kvmnet/backend.h"
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
/* one time in n */
#define ONE_IN(n) (rnd(n) == 0)

/* ---- generating ---- */

/* Ordinary values and values at the limits; and, one time in eight,
 * values just beyond them (which the parser or validation must refuse). */
#define VALUE(ok, bad) (ONE_IN(8) ? PICK(bad) : PICK(ok))
static const char *const mtus[] = {"1500", "9000", "1400", "68", "65535"};
static const char *const bad_mtus[] = {"0", "67", "65536"};
static const char *const delays[] = {"0", "2", "15", "30", "2.5", "0.5", "1000000", "4"};
static const char *const bad_delays[] = {"1000000.01", "0.001", "-1"};
static const char *const freqs[] = {"100", "1", "2147483647", "250"};
static const char *const bad_freqs[] = {"0", "2147483648"};
static const char *const mdelays[] = {"0", "200", "2147483647"};
static const char *const bad_mdelays[] = {"2147483648", "-5"};
static const char *const tags[] = {"10", "0", "4095", "42"};
static const char *const bad_tags[] = {"4096"};
static const char *const v4[] = {"10.1.0.2", "192.168.5.1", "172.16.0.9", "10.1.0.2", "8.8.8.8"};
static const char *const v6[] = {"fd00::2", "2001:db8::5", "fd00::2", "fe80::9"};
static const char *const p4[] = {"24", "16", "32", "0", "8", ""};
static const char *const bad_p4[] = {"33"};
static const char *const p6[] = {"64", "128", "48", "", "0"};
static const char *const bad_p6[] = {"129"};
static const char *const starts[] = {"onboot", "none", "hotplug", ""};
static const char *const modes[] = {"",          "balance-rr", "active-backup", "balance-xor",
                                    "broadcast", "802.3ad",    "balance-tlb",   "balance-alb"};
static const char *const validates[] = {"", "none", "active", "backup", "all"};

typedef struct gen {
        kn_strbuf b;
        unsigned next_eth;
        bool named_vlans;
} gen;

static void put_mac(gen *g) {
        if (rnd(3) == 0)
                kn_strbuf_printf(&g->b, "<mac address='52:54:00:%02x:%02x:%02x'/>", rnd(256),
                                 rnd(256), rnd(256));
}

static void put_protocol(gen *g, bool six) {
        kn_strbuf_printf(&g->b, "<protocol family='%s'>", six ? "ipv6" : "ipv4");
        if (six && rnd(3) == 0)
                kn_strbuf_puts(&g->b, "<autoconf/>");
        if (rnd(3) == 0) {
                static const char *const peer[] = {"", " peerdns='yes'", " peerdns='no'"};
                kn_strbuf_printf(&g->b, "<dhcp%s/>", PICK(peer));
        }
        for (unsigned k = 0, n = rnd(4); k < n; k++) {
                const char *pfx = six ? VALUE(p6, bad_p6) : VALUE(p4, bad_p4);
                kn_strbuf_printf(&g->b, "<ip address='%s'", six ? PICK(v6) : PICK(v4));
                if (*pfx)
                        kn_strbuf_printf(&g->b, " prefix='%s'", pfx);
                kn_strbuf_puts(&g->b, "/>");
        }
        if (rnd(3) == 0)
                kn_strbuf_printf(&g->b, "<route gateway='%s'/>",
                                 six ? (rnd(2) ? "fd00::1" : "fe80::1") : "10.1.0.1");
        kn_strbuf_puts(&g->b, "</protocol>");
}

static void put_top_settings(gen *g) {
        const char *s = PICK(starts);
        if (*s)
                kn_strbuf_printf(&g->b, "<start mode='%s'/>", s);
        if (rnd(3) == 0)
                kn_strbuf_printf(&g->b, "<mtu size='%s'/>", VALUE(mtus, bad_mtus));
        bool six_first = rnd(2);
        if (six_first && rnd(2))
                put_protocol(g, true);
        if (rnd(3) > 0)
                put_protocol(g, false);
        if (!six_first && rnd(2))
                put_protocol(g, true);
}

static void put_eth(gen *g, bool top) {
        kn_strbuf_printf(&g->b, "<interface type='ethernet' name='eth%u'>", g->next_eth++);
        put_mac(g);
        if (top)
                put_top_settings(g);
        kn_strbuf_puts(&g->b, "</interface>");
}

static void put_bond_body(gen *g) {
        const char *m = PICK(modes);
        kn_strbuf_puts(&g->b, *m ? "<bond" : "<bond>");
        if (*m)
                kn_strbuf_printf(&g->b, " mode='%s'>", m);
        unsigned mon = rnd(3);
        if (mon == 1) {
                kn_strbuf_printf(&g->b, "<miimon freq='%s'", VALUE(freqs, bad_freqs));
                if (rnd(2))
                        kn_strbuf_printf(&g->b, " downdelay='%s'", VALUE(mdelays, bad_mdelays));
                if (rnd(2))
                        kn_strbuf_printf(&g->b, " updelay='%s'", VALUE(mdelays, bad_mdelays));
                if (rnd(3) == 0)
                        kn_strbuf_printf(&g->b, " carrier='%s'", rnd(2) ? "netif" : "ioctl");
                kn_strbuf_puts(&g->b, "/>");
        } else if (mon == 2) {
                const char *v = PICK(validates);
                kn_strbuf_printf(&g->b, "<arpmon interval='%s' target='10.1.0.254'",
                                 VALUE(freqs, bad_freqs));
                if (*v)
                        kn_strbuf_printf(&g->b, " validate='%s'", v);
                kn_strbuf_puts(&g->b, "/>");
        }
        for (unsigned k = 0, n = rnd(4); k < n; k++)
                put_eth(g, false);
        kn_strbuf_puts(&g->b, "</bond>");
}

static void put_vlan(gen *g, bool top) {
        const char *tag = VALUE(tags, bad_tags);
        unsigned parent = g->next_eth++;
        if (top || rnd(2))
                kn_strbuf_printf(&g->b, "<interface type='vlan' name='eth%u.%s'>", parent, tag);
        else
                kn_strbuf_puts(&g->b, "<interface type='vlan'>");
        if (top)
                put_top_settings(g);
        kn_strbuf_printf(&g->b, "<vlan tag='%s'><interface name='eth%u'/></vlan></interface>", tag,
                         parent);
}

static char *generate(void) {
        gen g = {0};
        unsigned kind = rnd(4);
        if (kind == 0)
                put_eth(&g, true);
        else if (kind == 1) {
                kn_strbuf_puts(&g.b, "<interface type='bridge' name='br0'>");
                put_top_settings(&g);
                kn_strbuf_puts(&g.b, "<bridge");
                if (rnd(2))
                        kn_strbuf_printf(&g.b, " stp='%s'", rnd(2) ? "on" : "off");
                if (rnd(2))
                        kn_strbuf_printf(&g.b, " delay='%s'", VALUE(delays, bad_delays));
                kn_strbuf_puts(&g.b, ">");
                for (unsigned k = 0, n = rnd(4); k < n; k++) {
                        unsigned what = rnd(4);
                        if (what == 0)
                                put_vlan(&g, false);
                        else if (what == 1) {
                                kn_strbuf_printf(&g.b, "<interface type='bond' name='bond%u'>", k);
                                put_bond_body(&g);
                                kn_strbuf_puts(&g.b, "</interface>");
                        } else
                                put_eth(&g, false);
                }
                kn_strbuf_puts(&g.b, "</bridge></interface>");
        } else if (kind == 2) {
                kn_strbuf_puts(&g.b, "<interface type='bond' name='bond0'>");
                put_top_settings(&g);
                put_bond_body(&g);
                kn_strbuf_puts(&g.b, "</interface>");
        } else
                put_vlan(&g, true);
        return kn_strbuf_steal(&g.b);
}

/* Text mutations on top: an element repeated, an attribute lost. */
static char *mutate(char *xml) {
        size_t n = strlen(xml);
        if (ONE_IN(4)) { /* repeat one element: <ip .../>, <mac/>, a port */
                size_t at = rnd((unsigned) n);
                char *lt = strchr(xml + at, '<');
                if (lt && lt[1] != '/') {
                        char *end = strstr(lt, "/>");
                        if (end && !memchr(lt + 1, '<', (size_t) (end - lt - 1))) {
                                size_t len = (size_t) (end + 2 - lt);
                                char *m = kn_xasprintf("%.*s%.*s%s", (int) (lt - xml + len), xml,
                                                       (int) len, lt, lt + len);
                                free(xml);
                                return m;
                        }
                }
        }
        if (ONE_IN(6)) { /* drop one attribute */
                size_t at = rnd((unsigned) n);
                char *sp = strchr(xml + at, ' ');
                char *q1 = sp ? strchr(sp, '\'') : NULL;
                char *q2 = q1 ? strchr(q1 + 1, '\'') : NULL;
                if (q2 && !memchr(sp, '>', (size_t) (q2 - sp))) {
                        memmove(sp, q2 + 1, strlen(q2 + 1) + 1);
                }
        }
        return xml;
}

/* ---- checking ---- */

static const char *backend_names[] = {"ifcfg", "ifupdown", "networkd", "nmkeyfile"};

typedef struct stats {
        unsigned parsed, refused_model, refused_backend, accepted, warned;
} stats;

static const char *tmp_base;
static unsigned failures, accumulated;

_printf_(2, 3) static void failf(const char *xml, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "FAIL: ");
        vfprintf(stderr, fmt, ap);
        fprintf(stderr, "\n  definition: %s\n", xml);
        va_end(ap);
        failures++;
}

/* The vlans given without a name are PARENT.TAG (as the config layer
 * names them before any backend sees them). */
static void name_vlans(kn_iface *i) {
        if (i->type == KN_IFACE_VLAN && !i->name[0])
                snprintf(i->name, sizeof i->name, "%.10s.%d", i->vlan_parent, i->vlan_tag & 0xfff);
        for (size_t k = 0; k < i->n_children; k++)
                name_vlans(i->children[k]);
}

static void count_diff(const char *iface, const char *w, const char *g, void *userdata) {
        (*(unsigned *) userdata)++;
}

/* What the files hold, for "defining the dump again changes no byte". */
static char *snapshot(const char *root) {
        _cleanup_free_ char *out = kn_xasprintf("%s/snap.txt", tmp_base);
        test_run("cd '%s' && find . -type f ! -path './var/*' | LC_ALL=C sort | while read f; do "
                 "echo \"== $f\"; cat \"$f\"; done > '%s'",
                 root, out);
        return test_read_file(out);
}

static bool root_has_files(const char *root) {
        _cleanup_free_ char *out = kn_xasprintf("%s/count.txt", tmp_base);
        test_run("find '%s' -type f ! -path '%s/var/*' | wc -l > '%s'", root, root, out);
        _cleanup_free_ char *n = test_read_file(out);
        return atoi(n) > 0;
}

static void virt_xml_validate(const char *xml, const char *what) {
        _cleanup_free_ char *path = kn_xasprintf("%s/dump.xml", tmp_base);
        test_write_file(path, xml);
        if (test_run("virt-xml-validate '%s' interface >/dev/null 2>&1", path) != 0)
                failf(xml, "%s: virt-xml-validate rejects the dumped XML", what);
}

static void ifup_no_act(const char *root, const char *name, const char *xml) {
        _cleanup_free_ char *st = kn_xasprintf("%s/ifstate", tmp_base);
        mkdir(st, 0755);
        int r = test_run("ifup --no-act -i '%s/etc/network/interfaces' --state-dir '%s' '%s' "
                         ">/dev/null 2>'%s/ifup.err' && ! grep -q '^ifup:' '%s/ifup.err'",
                         root, st, name, tmp_base, tmp_base);
        if (r != 0) {
                test_run("cat '%s/ifup.err' >&2; cat '%s/etc/network/interfaces' >&2", tmp_base,
                         root);
                failf(xml, "ifupdown: ifup --no-act %s rejects what kvmnet wrote", name);
        }
}

static void check_backend(const char *backend, const kn_iface *def, const char *xml, stats *st,
                          bool have_ifup) {
        const kn_backend_vtable *vt = kn_backend_find(backend);
        _cleanup_free_ char *root = kn_xasprintf("%s/root-%s", tmp_base, backend);
        test_run("rm -rf '%s' && mkdir -p '%s'", root, root);
        kn_config *c = NULL;
        kn_error err = {0};
        if (kn_config_open(root, backend, &c, &err) < 0) {
                failf(xml, "%s: open: %s", backend, err.message);
                return;
        }
        _cleanup_iface_ kn_iface *req = kn_iface_copy(def);
        char **warnings = NULL;
        size_t n_warnings = 0;
        kn_config_prepare_define(c, req, &warnings, &n_warnings);
        if (kn_config_define(c, req, &err) < 0) {
                st->refused_backend++;
                if (root_has_files(root))
                        failf(xml, "%s: define refused (%s) but left files behind", backend,
                              err.message);
                kn_strv_free(warnings, n_warnings);
                kn_config_free(c);
                return;
        }
        st->accepted++;
        st->warned += n_warnings > 0;

        /* the prediction: what was asked, as the backend stores it */
        _cleanup_iface_ kn_iface *want = kn_iface_copy(req);
        name_vlans(want);
        kn_iface_merge_addresses(want, NULL, NULL);
        _cleanup_iface_ kn_iface *asked = kn_iface_copy(want);
        if (vt->normalize)
                vt->normalize(NULL, want);
        _cleanup_free_ char *want_xml = kn_iface_format_xml(want, KN_XML_INACTIVE);
        _cleanup_free_ char *asked_xml = kn_iface_format_xml(asked, KN_XML_INACTIVE);
        /* anything normalize() changed of what was given is warned about */
        unsigned changed = 0;
        kn_iface_diff(asked, want, count_diff, &changed);
        if (changed && n_warnings < changed)
                failf(xml, "%s: stores\n%sfor\n%sbut gave no warning", backend, want_xml,
                      asked_xml);
        kn_strv_free(warnings, n_warnings);

        const kn_iface *top = NULL, *got = kn_config_lookup(c, def->name, &top);
        const kn_diag *d;
        size_t nd = kn_config_diags(c, &d);
        for (size_t k = 0; k < nd; k++)
                if (!d[k].warning)
                        failf(xml, "%s: after define: %s:%u: %s", backend, d[k].file, d[k].line,
                              d[k].message);
        if (!got || got != top) {
                failf(xml, "%s: %s is not listed after define", backend, def->name);
                kn_config_free(c);
                return;
        }
        _cleanup_free_ char *got_xml = kn_iface_format_xml(got, KN_XML_INACTIVE);
        if (!streq(got_xml, want_xml))
                failf(xml, "%s: listed after define:\n%swant:\n%s", backend, got_xml, want_xml);
        kn_config_free(c);

        /* the files alone */
        if (kn_config_open(root, backend, &c, &err) < 0) {
                failf(xml, "%s: reload: %s", backend, err.message);
                return;
        }
        nd = kn_config_diags(c, &d);
        for (size_t k = 0; k < nd; k++)
                failf(xml, "%s: reload: %s:%u: %s", backend, d[k].file, d[k].line, d[k].message);
        got = kn_config_lookup(c, def->name, &top);
        if (!got || got != top) {
                failf(xml, "%s: %s is not listed from the files", backend, def->name);
                kn_config_free(c);
                return;
        }
        _cleanup_free_ char *dump = kn_iface_format_xml(got, KN_XML_INACTIVE);
        if (!streq(dump, want_xml))
                failf(xml, "%s: the files give:\n%swant:\n%s", backend, dump, want_xml);
        virt_xml_validate(dump, backend);

        /* the dump is a definition: parses to the same, defines to the same files */
        _cleanup_iface_ kn_iface *again = NULL;
        if (kn_iface_parse_xml(dump, strlen(dump), "dump", &again, &err) < 0 ||
            kn_iface_validate(again, &err) < 0) {
                failf(dump, "%s: the dump is refused: %s", backend, err.message);
                kn_config_free(c);
                return;
        }
        strcpy(again->mac, got->mac); /* a bridge's MAC has no XML */
        if (!kn_iface_equal(again, got))
                failf(dump, "%s: the dump parses to another model", backend);
        _cleanup_free_ char *before = snapshot(root);
        if (kn_config_define(c, again, &err) < 0)
                failf(dump, "%s: defining the dump again: %s", backend, err.message);
        else {
                _cleanup_free_ char *after = snapshot(root);
                if (!streq(before, after))
                        failf(dump, "%s: defining the dump again changed the files:\n%s\n--\n%s",
                              backend, before, after);
        }
        if (have_ifup && streq(backend, "ifupdown"))
                ifup_no_act(root, def->name, xml); /* got went with the define */
        kn_config_free(c);
}

/* Every interface of a config, as XML, in list order. */
static char *list_text(kn_config *c) {
        kn_strbuf b = {0};
        const kn_iface *const *items;
        size_t n = kn_config_list(c, &items);
        for (size_t k = 0; k < n; k++) {
                _cleanup_free_ char *x = kn_iface_format_xml(items[k], KN_XML_INACTIVE);
                kn_strbuf_puts(&b, x);
        }
        const kn_diag *d;
        size_t nd = kn_config_diags(c, &d);
        for (size_t k = 0; k < nd; k++)
                kn_strbuf_printf(&b, "%s:%u: %s\n", d[k].file, d[k].line, d[k].message);
        return kn_strbuf_steal(&b);
}

/* One root per backend that every accepted definition goes into, on top of
 * the ones before (existing files, ports taken over, kinds changing): the
 * list kvmnet keeps after each define is what a fresh load reads. */
static void check_accumulated(const char *backend, const kn_iface *def, const char *xml) {
        _cleanup_free_ char *root = kn_xasprintf("%s/acc-%s", tmp_base, backend);
        test_run("mkdir -p '%s'", root);
        kn_config *c = NULL;
        kn_error err = {0};
        if (kn_config_open(root, backend, &c, &err) < 0) {
                failf(xml, "%s: open the shared root: %s", backend, err.message);
                return;
        }
        _cleanup_iface_ kn_iface *req = kn_iface_copy(def);
        char **w = NULL;
        size_t n_w = 0;
        kn_config_prepare_define(c, req, &w, &n_w);
        kn_strv_free(w, n_w);
        if (kn_config_define(c, req, &err) >= 0) {
                accumulated++;
                _cleanup_free_ char *kept = list_text(c);
                kn_config *fresh = NULL;
                if (kn_config_open(root, backend, &fresh, &err) < 0)
                        failf(xml, "%s: reload the shared root: %s", backend, err.message);
                else {
                        _cleanup_free_ char *read = list_text(fresh);
                        if (!streq(kept, read))
                                failf(xml,
                                      "%s: after define in a used root, kvmnet lists\n%s"
                                      "but the files say\n%s",
                                      backend, kept, read);
                        kn_config_free(fresh);
                }
        }
        kn_config_free(c);
}

int main(int argc, char **argv) {
        unsigned iterations = argc > 1 && atoi(argv[1]) > 0 ? (unsigned) atoi(argv[1]) : 150;
        rng = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
        if (test_run("command -v virt-xml-validate >/dev/null") != 0) {
                printf("SKIP: virt-xml-validate is not installed (libvirt-clients)\n");
                return 77;
        }
        bool have_ifup = test_run("command -v ifup >/dev/null") == 0;
        _cleanup_free_ char *tmp = test_tmpdir();
        tmp_base = tmp;
        stats st[ELEMENTSOF(backend_names)] = {0};
        unsigned generated = 0, refused_xml = 0, refused_model = 0;
        for (unsigned it = 0; it < iterations; it++) {
                _cleanup_free_ char *xml = mutate(generate());
                generated++;
                _cleanup_iface_ kn_iface *def = NULL;
                kn_error err = {0};
                if (kn_iface_parse_xml(xml, strlen(xml), "gen", &def, &err) < 0) {
                        refused_xml++;
                        continue;
                }
                if (kn_iface_validate(def, &err) < 0) {
                        refused_model++;
                        continue;
                }
                for (size_t b = 0; b < ELEMENTSOF(backend_names); b++) {
                        check_backend(backend_names[b], def, xml, &st[b], have_ifup);
                        check_accumulated(backend_names[b], def, xml);
                }
        }
        printf("%u definitions: %u refused by the XML parser, %u by validation\n", generated,
               refused_xml, refused_model);
        for (size_t b = 0; b < ELEMENTSOF(backend_names); b++)
                printf("  %-9s accepted %u (%u with warnings), refused %u\n", backend_names[b],
                       st[b].accepted, st[b].warned, st[b].refused_backend);
        printf("  %u defines on top of the earlier ones in a used root\n", accumulated);
        if (!have_ifup)
                printf("  (ifup not installed: ifupdown files not checked by Debian's parser)\n");
        test_rmtree(tmp);
        printf("%s\n", failures ? "FAILED" : "ok");
        return failures ? 1 : 0;
}
