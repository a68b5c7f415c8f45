/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kvmnetd's log on stderr.  Under systemd (stderr is the journal stream
 * $JOURNAL_STREAM names) each line is "<PRIORITY>message": journald takes
 * the priority and adds the time and identifier itself.  Anywhere else a
 * line carries its own UTC time with milliseconds, "kvmnetd:" and, above
 * info, the priority's name. */
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "daemon.h"

static int max_priority = KN_LOG_INFO;
static bool journal;

static const char *const names[] = {
        [KN_LOG_ERR] = "error", [KN_LOG_WARNING] = "warning", [KN_LOG_NOTICE] = "notice",
        [KN_LOG_INFO] = "info", [KN_LOG_DEBUG] = "debug",
};

int kn_log_level_from_string(const char *s) {
        for (int p = KN_LOG_ERR; p <= KN_LOG_DEBUG; p++)
                if (streq_ptr(s, names[p]))
                        return p;
        return -EINVAL;
}

/* stderr is the stream $JOURNAL_STREAM ("DEV:INODE") names. */
static bool stderr_is_journal(void) {
        const char *js = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;
        return js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) == 0 &&
               (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino;
}

void kn_log_setup(int priority) {
        max_priority = priority;
        journal = stderr_is_journal();
}

bool kn_log_enabled(int priority) {
        return priority <= max_priority;
}

void kn_logv(int priority, const char *fmt, va_list ap) {
        int saved = errno;
        if (!kn_log_enabled(priority))
                return;
        if (journal)
                fprintf(stderr, "<%d>", priority);
        else {
                struct timespec ts;
                struct tm tm;
                char when[32];
                clock_gettime(CLOCK_REALTIME, &ts);
                gmtime_r(&ts.tv_sec, &tm);
                strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
                fprintf(stderr, "%s.%03ldZ kvmnetd: %s%s", when, ts.tv_nsec / 1000000,
                        priority < KN_LOG_INFO ? names[priority] : "",
                        priority < KN_LOG_INFO ? ": " : "");
        }
        errno = saved; /* for %m */
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        errno = saved;
}

void kn_logp(int priority, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        kn_logv(priority, fmt, ap);
        va_end(ap);
}

void kn_log(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        kn_logv(KN_LOG_INFO, fmt, ap);
        va_end(ap);
}
