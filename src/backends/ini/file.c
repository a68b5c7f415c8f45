/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "file.h"

#include <stdarg.h>

#include "dir.h"
#include "macro.h"
#include "rootfs.h"

static bool in_run_dir(const kn_ini_dir *d, const char *rel) {
        size_t n = strlen(d->type->run_dir);
        return strncmp(rel, d->type->run_dir, n) == 0 && rel[n] == '/';
}

unsigned kn_ini_file_rank(const kn_ini_dir *d, const char *rel) {
        /* A shadowing dir has one name order across both directories. */
        return !(d->type->flags & KN_INI_DIR_SHADOW) && in_run_dir(d, rel);
}

const char *kn_ini_file_basename(const char *rel) {
        const char *slash = strrchr(rel, '/');
        return slash ? slash + 1 : rel;
}

void kn_ini_file_init(kn_ini_file *f, const kn_ini_dir *d, const char *rel, const char *data,
                      size_t len) {
        f->name = kn_xstrdup(kn_ini_file_basename(rel));
        f->rel = kn_xstrdup(rel);
        f->shown = kn_root_display(d->root, rel);
        f->runtime = in_run_dir(d, rel);
        f->rank = kn_ini_file_rank(d, rel);
        f->broken = kn_ini_parse(&f->ini, d->type->syntax, data ? data : "", len) < 0;
}

void kn_ini_file_done(kn_ini_file *f) {
        kn_ini_done(&f->ini);
        free(f->problem);
        free(f->name);
        free(f->rel);
        free(f->shown);
}

bool kn_ini_file_fail(kn_ini_file *f, unsigned line, const char *fmt, ...) {
        if (f->problem)
                return false;
        va_list ap;
        va_start(ap, fmt);
        f->problem = kn_xvasprintf(fmt, ap);
        va_end(ap);
        f->problem_line = line;
        return false;
}

int kn_ini_file_cmp(const kn_ini_file *a, const kn_ini_file *b) {
        if (a->rank != b->rank)
                return a->rank < b->rank ? -1 : 1;
        return strcmp(a->name, b->name);
}
