/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Golden tests of a backend, both directions, one cmocka test per case:
 *
 *   golden BACKEND DIR
 *
 * DIR/CASE/iface.xml  the interface as kvmnet prints it
 * DIR/CASE/root/      the files the backend writes for it
 * DIR/CASE/seed/      optional: files present before the define
 * DIR/CASE/read-only  optional: only check files -> XML (e.g. NETMASK
 *                     input, which kvmnet writes back as a prefix)
 * DIR/CASE/model-mac  optional: a MAC the top interface has in the model
 *                     but XML cannot carry (a bridge's); set before the
 *                     define, expected back from the files
 *
 * Checks: define(iface.xml) on seed/ gives exactly root/; load(root/) and
 * format give exactly iface.xml; that XML parses back to the same model;
 * virt-xml-validate accepts it. */

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "kvmnet/config.h"
#include "macro.h"
#include "testutil.h"

static const char *backend;

static void check_case(void **state) {
        const char *dir = *state;
        _cleanup_free_ char *xml_path = kn_xasprintf("%s/iface.xml", dir);
        _cleanup_free_ char *root = kn_xasprintf("%s/root", dir);
        _cleanup_free_ char *xml = test_read_file(xml_path);
        kn_error err = {0};
        _cleanup_iface_ kn_iface *want = NULL;

        if (kn_iface_parse_xml(xml, strlen(xml), xml_path, &want, &err) < 0)
                fail_msg("%s", err.message);
        _cleanup_free_ char *mac_path = kn_xasprintf("%s/model-mac", dir);
        if (access(mac_path, F_OK) == 0) {
                _cleanup_free_ char *mac = test_read_file(mac_path);
                mac[strcspn(mac, "\n")] = '\0';
                assert_int_equal(kn_mac_parse(mac, want->mac), 0);
        }

        /* XML -> files */
        _cleanup_free_ char *seed = kn_xasprintf("%s/seed", dir);
        _cleanup_free_ char *ro = kn_xasprintf("%s/read-only", dir);
        if (access(ro, F_OK) < 0) {
                _cleanup_free_ char *tmp = test_tmpdir();
                if (access(seed, F_OK) == 0)
                        test_run("cp -a '%s/.' '%s'", seed, tmp);
                kn_config *c = NULL;
                if (kn_config_open(tmp, backend, &c, &err) < 0 ||
                    kn_config_define(c, want, &err) < 0)
                        fail_msg("%s: define: %s", dir, err.message);
                kn_config_free(c);
                if (test_run("diff -ru '%s' '%s'", root, tmp) != 0)
                        fail_msg("%s: define wrote something other than root/ (diff above)", dir);
                test_rmtree(tmp);
        }

        /* files -> XML */
        kn_config *c = NULL;
        if (kn_config_open(root, backend, &c, &err) < 0)
                fail_msg("%s: load: %s", dir, err.message);
        const kn_diag *d;
        if (kn_config_diags(c, &d) > 0)
                fail_msg("%s: unexpected error: %s:%u: %s", dir, d->file, d->line, d->message);
        const kn_iface *top = NULL, *got = kn_config_lookup(c, want->name, &top);
        if (!got || got != top)
                fail_msg("%s: %s is not listed as a top-level interface", dir, want->name);
        if (!streq(got->mac, want->mac))
                fail_msg("%s: the files give %s the MAC '%s', want '%s'", dir, want->name, got->mac,
                         want->mac);
        _cleanup_free_ char *out = kn_iface_format_xml(got, KN_XML_INACTIVE);
        if (!streq(out, xml)) {
                fprintf(stderr, "--- want (%s)\n%s--- got\n%s", xml_path, xml, out);
                fail_msg("%s: formatted XML differs", dir);
        }
        kn_config_free(c);

        /* printed XML -> same model, and libvirt's schema accepts it */
        _cleanup_iface_ kn_iface *again = NULL;
        assert_int_equal(kn_iface_parse_xml(out, strlen(out), "formatted", &again, &err), 0);
        if (want->type == KN_IFACE_BRIDGE)
                strcpy(again->mac, want->mac);
        assert_true(kn_iface_equal(want, again));
        test_assert_virt_xml_valid(out);
}

int main(int argc, char **argv) {
        if (argc != 3) {
                fprintf(stderr, "usage: %s BACKEND GOLDEN-DIR\n", argv[0]);
                return 2;
        }
        backend = argv[1];
        DIR *d = opendir(argv[2]);
        if (!d) {
                fprintf(stderr, "%s: %m\n", argv[2]);
                return 1;
        }
        struct CMUnitTest *tests = NULL;
        size_t n = 0, alloc = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                GREEDY_REALLOC(tests, alloc, n + 1);
                tests[n++] = (struct CMUnitTest){
                        .name = kn_xstrdup(de->d_name),
                        .test_func = check_case,
                        .initial_state = kn_xasprintf("%s/%s", argv[2], de->d_name),
                };
        }
        closedir(d);
        if (n == 0) {
                fprintf(stderr, "%s: no golden cases\n", argv[2]);
                return 1;
        }
        char name[64];
        snprintf(name, sizeof name, "golden-%s", backend);
        int r = _cmocka_run_group_tests(name, tests, n, NULL, NULL);
        for (size_t k = 0; k < n; k++) {
                free((char *) tests[k].name);
                free(tests[k].initial_state);
        }
        free(tests);
        return r;
}
