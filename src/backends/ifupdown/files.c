/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which files ifupdown reads: etc/network/interfaces, then whatever its
 * `source` (shell globs) and `source-directory` (files whose names match
 * ^[a-zA-Z0-9_-]+$, as run-parts would pick them) lines name, recursively.
 * Paths are taken inside the root: an absolute path in a source line is
 * root-relative, a relative one is relative to the including file's
 * directory, ".." never climbs out of the root. */

#include <fnmatch.h>

#include "ifupdown.h"

#define MAX_DEPTH 16

char *kn_ifupdown_path_join(const char *dir, const char *rel) {
        _cleanup_free_ char *all =
                rel[0] == '/' ? kn_xstrdup(rel) : kn_xasprintf("%s/%s", dir ? dir : "", rel);
        kn_strbuf out = {0};
        char *save = NULL;
        for (char *c = strtok_r(all, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                if (streq(c, "."))
                        continue;
                if (streq(c, "..")) {
                        char *slash = out.s ? strrchr(out.s, '/') : NULL;
                        out.len = slash ? (size_t) (slash - out.s) : 0;
                        if (out.s)
                                out.s[out.len] = '\0';
                        continue;
                }
                if (out.len)
                        kn_strbuf_putc(&out, '/');
                kn_strbuf_puts(&out, c);
        }
        return kn_strbuf_steal(&out);
}

static char *dir_of(const char *path) {
        const char *slash = strrchr(path, '/');
        return slash ? kn_xstrndup(path, (size_t) (slash - path)) : kn_xstrdup("");
}

static bool has_glob(const char *s) {
        return strpbrk(s, "*?[") != NULL;
}

/* run-parts' rule for names in a source-directory. */
static bool run_parts_name(const char *name) {
        if (!*name)
                return false;
        for (const char *p = name; *p; p++)
                if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') ||
                      ('0' <= *p && *p <= '9') || *p == '_' || *p == '-'))
                        return false;
        return true;
}

typedef struct strv {
        char **v;
        size_t n, alloc;
} strv;

static void strv_push(strv *s, char *p) {
        GREEDY_REALLOC(s->v, s->alloc, s->n + 1);
        s->v[s->n++] = p;
}

static void strv_done(strv *s) {
        kn_strv_free(s->v, s->n);
        *s = (strv){0};
}

/* Expand PATTERN (root-relative) component by component, in sorted order as
 * glob(3) gives it; keep existing files (or directories). */
static void expand(const kn_root *root, const char *prefix, const char *rest, bool dirs,
                   strv *out) {
        while (*rest == '/')
                rest++;
        const char *slash = strchr(rest, '/');
        _cleanup_free_ char *comp =
                slash ? kn_xstrndup(rest, (size_t) (slash - rest)) : kn_xstrdup(rest);
        const char *next = slash ? slash + 1 : "";
        if (!*comp) {
                /* A file is checked when it is read (one open instead of
                 * two for each of thousands of files); a directory here. */
                struct stat st;
                if (*prefix &&
                    (!dirs || (kn_root_stat(root, prefix, &st) >= 0 && S_ISDIR(st.st_mode))))
                        strv_push(out, kn_xstrdup(prefix));
                return;
        }
        if (!has_glob(comp)) {
                _cleanup_free_ char *p =
                        *prefix ? kn_xasprintf("%s/%s", prefix, comp) : kn_xstrdup(comp);
                expand(root, p, next, dirs, out);
                return;
        }
        char **names;
        size_t n;
        if (kn_root_list_dir(root, *prefix ? prefix : ".", &names, &n) < 0)
                return;
        for (size_t k = 0; k < n; k++)
                if (fnmatch(comp, names[k], FNM_PERIOD) == 0) {
                        _cleanup_free_ char *p = *prefix ? kn_xasprintf("%s/%s", prefix, names[k])
                                                         : kn_xstrdup(names[k]);
                        expand(root, p, next, dirs, out);
                }
        kn_strv_free(names, n);
}

kn_ifupdown_file *kn_ifupdown_find_file(const kn_ifupdown_backend *u, const char *path) {
        return kn_ifupdown_file_map_get(&u->by_path, path);
}

static void watch_add(kn_ifupdown_backend *u, const char *dir) {
        for (size_t k = 0; k < u->n_watch; k++)
                if (streq(u->watch[k], dir))
                        return;
        u->watch = kn_xrealloc(u->watch, (u->n_watch + 2) * sizeof *u->watch);
        u->watch[u->n_watch++] = kn_xstrdup(dir);
        u->watch[u->n_watch] = NULL;
}

static void read_one(kn_ifupdown_backend *u, const char *path, const kn_ifupdown_file *from,
                     unsigned from_line, unsigned depth);

static void follow(kn_ifupdown_backend *u, kn_ifupdown_file *f, const kn_ifupdown_line *l,
                   unsigned depth) {
        bool directory = l->kind == IFU_SOURCE_DIR;
        _cleanup_free_ char *dir = dir_of(f->path);
        _cleanup_free_ char *pattern = kn_ifupdown_path_join(dir, l->words[1]);
        if (depth == 0) {
                GREEDY_REALLOC(u->sources, u->alloc_sources, u->n_sources + 1);
                u->sources[u->n_sources++] = (kn_ifupdown_source){.directory = directory,
                                                                  .pattern = kn_xstrdup(pattern)};
        }
        if (directory) {
                if (!has_glob(pattern))
                        watch_add(u, pattern);
        } else {
                _cleanup_free_ char *pdir = dir_of(pattern);
                if (!has_glob(pdir))
                        watch_add(u, pdir);
        }
        _cleanup_(strv_done) strv found = {0};
        expand(u->base.root, "", pattern, directory, &found);
        for (size_t k = 0; k < found.n; k++) {
                if (!directory) {
                        read_one(u, found.v[k], f, l->lineno, depth + 1);
                        continue;
                }
                watch_add(u, found.v[k]);
                char **names;
                size_t n;
                if (kn_root_list_dir(u->base.root, found.v[k], &names, &n) < 0)
                        continue;
                for (size_t j = 0; j < n; j++)
                        if (run_parts_name(names[j])) {
                                _cleanup_free_ char *p =
                                        kn_xasprintf("%s/%s", found.v[k], names[j]);
                                read_one(u, p, f, l->lineno, depth + 1);
                        }
                kn_strv_free(names, n);
        }
}

static void read_one(kn_ifupdown_backend *u, const char *path, const kn_ifupdown_file *from,
                     unsigned from_line, unsigned depth) {
        _cleanup_free_ char *shown = kn_root_display(u->base.root, path);
        const kn_ifupdown_file *seen = kn_ifupdown_find_file(u, path);
        if (seen || depth > MAX_DEPTH) {
                kn_iface_list_diag(&u->load_diags, from->shown, from_line, NULL,
                                   seen ? "%s is sourced again (it is already read); ifupdown "
                                          "would read its stanzas twice"
                                        : "%s: sources nest deeper than %d files",
                                   shown, MAX_DEPTH);
                return;
        }
        char *text;
        size_t len;
        int r = kn_root_read_file(u->base.root, path, &text, &len);
        if (r == -ENOENT || (r == -EISDIR && depth > 0))
                return; /* ifupdown skips a missing file too; a glob can match a directory */
        if (r < 0) {
                kn_iface_list_diag(&u->load_diags, shown, 0, NULL, "cannot read: %s", strerror(-r));
                return;
        }
        kn_ifupdown_file *f = kn_ifupdown_file_parse(path, shown, text, len);
        f->order = u->next_order++;
        GREEDY_REALLOC(u->files, u->alloc_files, u->n_files + 1);
        u->files[u->n_files++] = f;
        kn_ifupdown_file_map_put(&u->by_path, f);
        kn_ifupdown_index_add_file(&u->index, f);
        _cleanup_free_ char *dir = dir_of(path);
        watch_add(u, dir);
        for (size_t i = 0; i < f->n_lines; i++) {
                const kn_ifupdown_line *l = &f->lines[i];
                if ((l->kind == IFU_SOURCE || l->kind == IFU_SOURCE_DIR) && l->n_words >= 2)
                        follow(u, f, l, depth);
        }
}

int kn_ifupdown_load_files(kn_ifupdown_backend *u, kn_error *err) {
        watch_add(u, "etc/network");
        read_one(u, IFU_MAIN, NULL, 0, 0);
        return 0;
}

void kn_ifupdown_forget_files(kn_ifupdown_backend *u) {
        for (size_t k = 0; k < u->n_files; k++)
                kn_ifupdown_file_free(u->files[k]);
        free(u->files);
        u->files = NULL;
        u->n_files = u->alloc_files = 0;
        u->next_order = 0;
        kn_ifupdown_file_map_done(&u->by_path);
        kn_ifupdown_index_done(&u->index);
        kn_iface_list_done(&u->load_diags);
        for (size_t k = 0; k < u->n_sources; k++)
                free(u->sources[k].pattern);
        free(u->sources);
        u->sources = NULL;
        u->n_sources = u->alloc_sources = 0;
        kn_strv_free(u->watch, u->n_watch);
        u->watch = NULL;
        u->n_watch = 0;
}

bool kn_ifupdown_path_sourced(const kn_ifupdown_backend *u, const char *path) {
        _cleanup_free_ char *dir = dir_of(path);
        const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        for (size_t k = 0; k < u->n_sources; k++) {
                const kn_ifupdown_source *s = &u->sources[k];
                if (s->directory ? fnmatch(s->pattern, dir, FNM_PATHNAME | FNM_PERIOD) == 0 &&
                                           run_parts_name(base)
                                 : fnmatch(s->pattern, path, FNM_PATHNAME | FNM_PERIOD) == 0)
                        return true;
        }
        return false;
}
