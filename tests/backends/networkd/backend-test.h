/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Helpers of the networkd and nmkeyfile backend tests (header-only, used
 * by both directories): throw-away roots, files in them, define/list
 * through the config layer, and a snapshot of a root (paths, modes and
 * contents) to tell "nothing changed". */

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "kvmnet/config.h"
#include "macro.h"
#include "testutil.h"

static inline void bt_write_mode(const char *root, const char *rel, const char *data, mode_t mode) {
        _cleanup_free_ char *path = kn_xasprintf("%s/%s", root, rel);
        _cleanup_free_ char *dir = kn_xstrdup(path);
        *strrchr(dir, '/') = '\0';
        test_run("mkdir -p '%s'", dir);
        test_write_file(path, data);
        chmod(path, mode);
}

static inline void bt_write(const char *root, const char *rel, const char *data) {
        bt_write_mode(root, rel, data, 0644);
}

static inline char *bt_read(const char *root, const char *rel) {
        _cleanup_free_ char *path = kn_xasprintf("%s/%s", root, rel);
        return test_read_file(path);
}

static inline bool bt_exists(const char *root, const char *rel) {
        _cleanup_free_ char *path = kn_xasprintf("%s/%s", root, rel);
        return access(path, F_OK) == 0;
}

static inline mode_t bt_mode(const char *root, const char *rel) {
        _cleanup_free_ char *path = kn_xasprintf("%s/%s", root, rel);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        return st.st_mode & 07777;
}

static inline kn_iface *bt_xml(const char *xml) {
        kn_iface *i = NULL;
        kn_error err = {0};
        if (kn_iface_parse_xml(xml, strlen(xml), "test", &i, &err) < 0)
                fail_msg("bad test XML: %s", err.message);
        return i;
}

static inline kn_config *bt_open(const char *root, const char *backend) {
        kn_config *c = NULL;
        kn_error err = {0};
        if (kn_config_open(root, backend, &c, &err) < 0)
                fail_msg("open %s: %s", root, err.message);
        return c;
}

/* 0 or the negative errno, with the message in err. */
static inline int bt_define(const char *root, const char *backend, const char *xml, kn_error *err) {
        _cleanup_iface_ kn_iface *i = bt_xml(xml);
        kn_config *c = bt_open(root, backend);
        kn_error_clear(err);
        int r = kn_config_define(c, i, err);
        kn_config_free(c);
        return r;
}

static inline void bt_define_ok(const char *root, const char *backend, const char *xml) {
        kn_error err = {0};
        if (bt_define(root, backend, xml, &err) < 0)
                fail_msg("define: %s", err.message);
}

static inline int bt_undefine(const char *root, const char *backend, const char *name,
                              kn_error *err) {
        kn_config *c = bt_open(root, backend);
        kn_error_clear(err);
        int r = kn_config_undefine(c, name, err);
        kn_config_free(c);
        return r;
}

/* The listed XML of name, or NULL if not listed. */
static inline char *bt_dump(const char *root, const char *backend, const char *name) {
        kn_config *c = bt_open(root, backend);
        const kn_iface *top = NULL, *i = kn_config_lookup(c, name, &top);
        char *xml = i && i == top ? kn_iface_format_xml(i, KN_XML_INACTIVE) : NULL;
        kn_config_free(c);
        return xml;
}

/* "FILE:LINE: [IFACE] MESSAGE\n" for every diagnostic. */
static inline char *bt_diags(const char *root, const char *backend) {
        kn_config *c = bt_open(root, backend);
        const kn_diag *d;
        size_t n = kn_config_diags(c, &d);
        char *buf = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&buf, &len);
        for (size_t k = 0; k < n; k++)
                fprintf(m, "%s:%u: [%s] %s\n", d[k].file, d[k].line, d[k].iface ? d[k].iface : "-",
                        d[k].message);
        fclose(m);
        kn_config_free(c);
        return buf;
}

static inline size_t bt_count(const char *root, const char *backend) {
        kn_config *c = bt_open(root, backend);
        const kn_iface *const *l;
        size_t n = kn_config_list(c, &l);
        kn_config_free(c);
        return n;
}

/* Every file under root: path, mode, contents. */
static inline char *bt_snapshot(const char *root) {
        _cleanup_free_ char *cmd =
                kn_xasprintf("cd '%s' && find . -type f | LC_ALL=C sort | while read -r f; do "
                             "stat -c '%%n %%a' \"$f\"; cat \"$f\"; done",
                             root);
        FILE *p = popen(cmd, "r");
        assert_non_null(p);
        char *buf = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&buf, &len);
        char chunk[4096];
        size_t k;
        while ((k = fread(chunk, 1, sizeof chunk, p)) > 0)
                fwrite(chunk, 1, k, m);
        pclose(p);
        fclose(m);
        return buf;
}

static inline void bt_assert_contains(const char *haystack, const char *needle) {
        if (!haystack || !strstr(haystack, needle))
                fail_msg("expected to find\n  %s\nin\n%s", needle, haystack ? haystack : "(null)");
}

/* Whether this process may make a private mount namespace (root, and not
 * in a container that forbids it). */
static inline bool bt_can_unshare(void) {
        return test_run("unshare -m true >/dev/null 2>&1") == 0;
}

/* Run `SELF --ro-define ROOT BACKEND XMLFILE` with ROOT bind-mounted
 * read-only in a private mount namespace; the child exits 0 if the define
 * failed with EROFS and left a message naming a file. */
static inline int bt_define_readonly(const char *root, const char *backend, const char *xml) {
        _cleanup_free_ char *xmlfile = kn_xasprintf("%s.xml", root);
        test_write_file(xmlfile, xml);
        char self[4096];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        assert_true(n > 0);
        self[n] = '\0';
        int r = test_run("unshare -m sh -c \"mount --bind '%s' '%s' && "
                         "mount -o remount,bind,ro '%s' && '%s' --ro-define '%s' '%s' '%s'\"",
                         root, root, root, self, root, backend, xmlfile);
        unlink(xmlfile);
        return r;
}

/* The child side of bt_define_readonly(); call first thing in main(). */
static inline void bt_ro_child(int argc, char **argv) {
        if (argc != 5 || !streq(argv[1], "--ro-define"))
                return;
        char *xml = test_read_file(argv[4]);
        kn_error err = {0};
        int r = bt_define(argv[2], argv[3], xml, &err);
        free(xml);
        printf("read-only define: %d: %s\n", r, err.message);
        exit(r == -EROFS && strstr(err.message, argv[2]) ? 0 : 1);
}
