/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Small helpers shared by the C tests (header-only: each test is one
 * executable).  Every failure aborts the test with a message. */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "macro.h"
#include "mkdir.h"

static inline char *test_read_file(const char *path) {
        FILE *f = fopen(path, "re");
        if (!f) {
                fprintf(stderr, "%s: %m\n", path);
                abort();
        }
        char *buf = NULL;
        size_t n = 0;
        FILE *m = open_memstream(&buf, &n);
        char chunk[4096];
        size_t k;
        while ((k = fread(chunk, 1, sizeof chunk, f)) > 0)
                fwrite(chunk, 1, k, m);
        fclose(f);
        fclose(m);
        return buf;
}

static inline void test_write_file(const char *path, const char *data) {
        FILE *f = fopen(path, "we");
        if (!f || fputs(data, f) < 0 || fclose(f) != 0) {
                fprintf(stderr, "%s: %m\n", path);
                abort();
        }
}

/* Write ROOT/REL, making its parent directories first. */
static inline void test_put(const char *root, const char *rel, const char *data) {
        char *path = kn_xasprintf("%s/%s", root, rel);
        char *dir = kn_xstrdup(path);
        *strrchr(dir, '/') = '\0';
        int r = kn_mkdir_p(dir, 0755);
        if (r < 0) {
                fprintf(stderr, "mkdir -p %s: %s\n", dir, strerror(-r));
                abort();
        }
        test_write_file(path, data);
        free(dir);
        free(path);
}

/* A fresh directory under $TMPDIR (or /tmp). */
static inline char *test_tmpdir(void) {
        const char *base = getenv("TMPDIR");
        char *p = kn_xasprintf("%s/kvmnet-test-XXXXXX", base ? base : "/tmp");
        if (!mkdtemp(p)) {
                fprintf(stderr, "mkdtemp: %m\n");
                abort();
        }
        return p;
}

/* Run a shell command; returns its exit status (-1 if it died). */
_printf_(1, 2) static inline int test_run(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        char *cmd;
        if (vasprintf(&cmd, fmt, ap) < 0)
                abort();
        va_end(ap);
        fflush(NULL);
        int st = system(cmd);
        free(cmd);
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static inline void test_rmtree(const char *dir) {
        if (dir && strncmp(dir, "/tmp/", 5) == 0)
                test_run("rm -rf '%s'", dir);
}

/* libvirt's own schema check (Debian package libvirt-clients). */
static inline void test_assert_virt_xml_valid(const char *xml) {
        char *dir = test_tmpdir();
        char *path = kn_xasprintf("%s/iface.xml", dir);
        test_write_file(path, xml);
        int r = test_run("virt-xml-validate '%s' interface >/dev/null 2>&1", path);
        if (r != 0) {
                fprintf(stderr, "virt-xml-validate rejected:\n%s", xml);
                test_run("virt-xml-validate '%s' interface", path);
        }
        test_rmtree(dir);
        free(path);
        free(dir);
        if (r != 0)
                abort();
}
