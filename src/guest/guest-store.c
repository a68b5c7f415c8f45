/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Guest definitions on disk: STATE/guests/NAME.xml, written atomically. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "guest-private.h"
#include "suggest.h"
#include "rootfs.h"
#include "strbuf.h"
#include "mkdir.h"

char *kn_guest_def_path(kn_guest_registry *reg, const char *name) {
        return kn_xasprintf("%s/%s.xml", reg->guests_dir, name);
}

static char *read_file(const char *path, int *ret_errno) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        if (!f) {
                *ret_errno = errno;
                return NULL;
        }
        _cleanup_strbuf_ kn_strbuf b = {0};
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0)
                kn_strbuf_putn(&b, buf, n);
        if (ferror(f)) {
                *ret_errno = EIO;
                return NULL;
        }
        kn_strbuf_puts(&b, "");
        return kn_strbuf_steal(&b);
}

int kn_guest_def_load(kn_guest_registry *reg, const char *name, kn_guest_def **ret, kn_error *err) {
        int r = kn_object_name_validate(name, "guest", err);
        if (r < 0)
                return r;
        _cleanup_free_ char *path = kn_guest_def_path(reg, name);
        int e = 0;
        _cleanup_free_ char *xml = read_file(path, &e);
        if (!xml) {
                if (e == ENOENT)
                        return kn_guest_error_no_such(reg, NULL, name, err);
                return kn_error_set(err, e, "%s: %s", path, strerror(e));
        }
        r = kn_guest_def_parse(xml, ret, err);
        if (r < 0)
                kn_error_prefix(err, "%s", path);
        return r;
}

int kn_guest_def_store(kn_guest_registry *reg, const kn_guest_def *def, kn_error *err) {
        int r = kn_mkdir_p(reg->guests_dir, 0755);
        if (r < 0)
                return kn_error_set(err, -r, "%s: %s", reg->guests_dir, strerror(-r));
        _cleanup_free_ char *path = kn_guest_def_path(reg, def->name);
        _cleanup_free_ char *xml = kn_guest_def_format(def);
        return kn_write_file_atomic(path, xml, strlen(xml), 0644, true, err);
}

int kn_guest_define(kn_guest_registry *reg, const char *xml, char **ret_name, kn_error *err) {
        _cleanup_(kn_guest_def_freep) kn_guest_def *def = NULL;
        int r = kn_guest_def_parse(xml, &def, err);
        if (r < 0)
                return r;
        /* (A network NIC's network need not exist yet: guest-start checks.)
         * Where guests run (a loop), the emulator is checked at once; the
         * offline CLI runs nothing, and guest-start checks again anyway. */
        _cleanup_free_ char *exe = NULL;
        if (reg->loop && (r = kn_guest_emulator_resolve(reg, def->emulator, &exe, err)) < 0)
                return r;
        r = kn_guest_def_store(reg, def, err);
        if (r < 0)
                return r;
        if (ret_name)
                *ret_name = kn_xstrdup(def->name);
        return 0;
}

int kn_guest_undefine(kn_guest_registry *reg, const char *name, bool *ret_running, kn_error *err) {
        int r = kn_object_name_validate(name, "guest", err);
        if (r < 0)
                return r;
        _cleanup_free_ char *path = kn_guest_def_path(reg, name);
        if (unlink(path) < 0) {
                if (errno == ENOENT)
                        return kn_guest_error_no_such(reg, NULL, name, err);
                return kn_error_set(err, errno, "%s: %m", path);
        }
        /* A running guest keeps running, now transient. */
        if (ret_running)
                *ret_running = kn_guest_find(reg, name) != NULL;
        return 0;
}

int kn_guest_dumpxml(kn_guest_registry *reg, const char *name, char **ret_xml, kn_error *err) {
        _cleanup_(kn_guest_def_freep) kn_guest_def *def = NULL;
        int r = kn_guest_def_load(reg, name, &def, err);
        if (r < 0)
                return r;
        *ret_xml = kn_guest_def_format(def);
        return 0;
}

static const char *guest_state(const kn_guest *g) {
        if (!g)
                return "shut off";
        switch (g->state) {
        case KN_GUEST_STARTING: return "starting";
        case KN_GUEST_STOPPING: return "stopping";
        default: return "running";
        }
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int kn_guest_list(kn_guest_registry *reg, kn_guest_status **ret, size_t *ret_n, kn_error *err) {
        char **names = NULL;
        size_t n = 0, alloc = 0;
        DIR *d = opendir(reg->guests_dir);
        for (struct dirent *de; d && (de = readdir(d));) {
                size_t l = strlen(de->d_name);
                if (l < 5 || !streq(de->d_name + l - 4, ".xml"))
                        continue;
                char *name = kn_xstrndup(de->d_name, l - 4);
                if (kn_object_name_validate(name, "guest", NULL) < 0) {
                        free(name);
                        continue;
                }
                GREEDY_REALLOC(names, alloc, n + 1);
                names[n++] = name;
        }
        if (d)
                closedir(d);
        /* Running guests without a definition (adopted, undefined). */
        for (kn_guest *g = reg->guests; g; g = g->next) {
                bool found = false;
                for (size_t k = 0; k < n && !found; k++)
                        found = streq(names[k], g->name);
                if (!found) {
                        GREEDY_REALLOC(names, alloc, n + 1);
                        names[n++] = kn_xstrdup(g->name);
                }
        }
        qsort_safe(names, n, sizeof *names, cmp_str);
        kn_guest_status *list = kn_xcalloc(n + 1, sizeof *list);
        for (size_t k = 0; k < n; k++) {
                kn_guest *g = kn_guest_find(reg, names[k]);
                _cleanup_free_ char *path = kn_guest_def_path(reg, names[k]);
                list[k] = (kn_guest_status){
                        .name = names[k],
                        .state = guest_state(g),
                        .pid = g ? g->pid : 0,
                        .persistent = access(path, F_OK) == 0,
                        .adopted = g && g->adopted,
                };
        }
        free(names);
        *ret = list;
        *ret_n = n;
        return 0;
}

int kn_guest_error_no_such(kn_guest_registry *reg, const char *verb, const char *name,
                           kn_error *err) {
        kn_guest_status *list = NULL;
        size_t n = 0;
        kn_suggest near;
        kn_suggest_init(&near, name);
        if (kn_guest_list(reg, &list, &n, NULL) >= 0)
                for (size_t k = 0; k < n; k++)
                        kn_suggest_add(&near, list[k].name);
        const char *best = kn_suggest_result(&near);
        int r = kn_error_set(err, ENOENT, "%s%sno guest named '%s'%s%s%s", verb ? verb : "",
                             verb ? ": " : "", name, best ? " (did you mean '" : "",
                             best ? best : "", best ? "'?)" : "");
        kn_guest_status_free_array(list, n);
        return r;
}
