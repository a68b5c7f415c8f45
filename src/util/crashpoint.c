/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crashpoint.h"

/* 0: not read yet, 1: off, 2: configured, 3: armed.  The worker thread
 * passes points too: atomics. */
static atomic_int state;
static atomic_long passed;

static int get_state(void) {
        int s = atomic_load(&state);
        if (s == 0) {
                s = isempty(getenv("KVMNET_TEST_CRASH_VERB")) ? 1 : 2;
                atomic_store(&state, s);
        }
        return s;
}

static bool listed(const char *verb, const char *list) {
        size_t n = strlen(verb);
        for (const char *p = list; p && *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
                if (strcspn(p, ",") == n && strncmp(p, verb, n) == 0)
                        return true;
        }
        return false;
}

void kn_crashpoint_request(const char *verb) {
        if (get_state() >= 2)
                atomic_store(&state, listed(verb, getenv("KVMNET_TEST_CRASH_VERB")) ? 3 : 2);
}

void kn_crashpoint(const char *fmt, ...) {
        if (atomic_load(&state) != 3)
                return;
        long n = atomic_fetch_add(&passed, 1) + 1;
        char what[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof what, fmt, ap);
        va_end(ap);
        const char *log = getenv("KVMNET_TEST_CRASH_LOG");
        if (!isempty(log)) {
                int fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
                if (fd >= 0) {
                        dprintf(fd, "%ld %s\n", n, what);
                        close(fd);
                }
        }
        const char *at = getenv("KVMNET_TEST_CRASH_AT");
        if (!isempty(at) && atol(at) == n) {
                dprintf(STDERR_FILENO, "crash point %ld (%s): SIGKILL\n", n, what);
                kill(getpid(), SIGKILL);
        }
}

bool kn_test_hook(const char *var, const char *what) {
        const char *p = getenv(var);
        return !isempty(p) && startswith(what, p);
}

int kn_test_fail_step(const char *what, kn_error *err) {
        if (!kn_test_hook("KVMNET_TEST_FAIL_STEP", what))
                return 0;
        return kn_error_set(err, EIO, "%s: injected failure (KVMNET_TEST_FAIL_STEP)", what);
}
