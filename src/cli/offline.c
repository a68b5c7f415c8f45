/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Finding kvmnet-offline.so (offline.h): $KVMNET_OFFLINE_MODULE if set,
 * else next to the executable (a build tree), else KN_OFFLINE_MODULE_DIR
 * (an installed kvmnet). */
#include <dlfcn.h>
#include <limits.h>

#include "cli.h"
#include "macro.h"
#include "offline.h"

#ifndef KN_OFFLINE_MODULE_DIR
#error "KN_OFFLINE_MODULE_DIR must name where kvmnet-offline.so is installed"
#endif

static const kn_offline_vtable *try_load(const char *path, kn_strbuf *tried) {
        /* RTLD_NOW: a module that does not fit fails here, with a message,
         * not at its first call.  It stays loaded until exit: a sanitizer
         * names the module's frames in a leak report only while it is
         * mapped. */
        void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
                const char *why = dlerror();
                if (access(path, F_OK) < 0)
                        kn_strbuf_printf(tried, "\n  %s: %m", path);
                else
                        kn_strbuf_printf(tried, "\n  %s", why ? why : path);
                return NULL;
        }
        const kn_offline_vtable *m = dlsym(h, KN_OFFLINE_SYMBOL);
        if (!m)
                kn_strbuf_printf(tried, "\n  %s: not kvmnet's offline module (no %s in it)", path,
                                 KN_OFFLINE_SYMBOL);
        else if (m->abi != KN_OFFLINE_ABI)
                kn_strbuf_printf(tried,
                                 "\n  %s: made for another kvmnet (interface %u, this one "
                                 "needs %u)",
                                 path, m->abi, KN_OFFLINE_ABI);
        else
                return m;
        dlclose(h);
        return NULL;
}

/* The directory of the running executable, or NULL. */
static char *exe_dir(void) {
        char buf[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
        if (n <= 0)
                return NULL;
        buf[n] = '\0';
        char *slash = strrchr(buf, '/');
        if (!slash)
                return NULL;
        return kn_xstrndup(buf, (size_t) (slash - buf));
}

const kn_offline_vtable *cli_offline_load(void) {
        static const kn_offline_vtable *loaded;
        _cleanup_strbuf_ kn_strbuf tried = {0};

        if (loaded)
                return loaded;
        const char *env = secure_getenv("KVMNET_OFFLINE_MODULE");
        if (!isempty(env))
                loaded = try_load(env, &tried);
        else {
                _cleanup_free_ char *dir = exe_dir();
                _cleanup_free_ char *here =
                        dir ? kn_xasprintf("%s/%s", dir, KN_OFFLINE_MODULE_NAME) : NULL;
                if (here)
                        loaded = try_load(here, &tried);
                if (!loaded && !streq_ptr(dir, KN_OFFLINE_MODULE_DIR))
                        loaded = try_load(KN_OFFLINE_MODULE_DIR "/" KN_OFFLINE_MODULE_NAME, &tried);
        }
        if (!loaded)
                cli_error("--root needs kvmnet's offline module %s (the library, loaded only "
                          "for --root), which could not be loaded; tried:%s\n"
                          "Install it in %s, or set $KVMNET_OFFLINE_MODULE to its path.",
                          KN_OFFLINE_MODULE_NAME, tried.s, KN_OFFLINE_MODULE_DIR);
        return loaded;
}
