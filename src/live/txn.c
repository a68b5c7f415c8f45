/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The undo journal of the live layer: every step is recorded with the
 * message (or function) that reverses it, written next to the forward
 * step by the code that does it.
 *
 * With a log fd (kn_live_txn_set_log), each undo is also written there
 * before its forward step is sent, so a process killed at any point
 * leaves a file from which kn_live_txn_load() rebuilds what to undo.  One
 * line per record:
 *
 *   N <hex>[,<hex>] <what>   undo by these netlink messages, sent in one batch
 *   F <name> <hex-arg> <what> undo by the named function (undo_fns below)
 *   C                        the previous record's forward step failed: drop it
 *   U <count>                the newest <count> records were undone
 *
 * Fields are separated by one tab.  Lines are written whole with one
 * write(); a kill leaves at most a torn last line, which is ignored.  No
 * fsync: live state does not outlive a reboot, and a kill loses no
 * written data. */

#include <signal.h>
#include <stdarg.h>

#include "crashpoint.h"
#include "live-internal.h"

/* ---- Undo functions, by name so that a log can name them ---- */

static const struct {
        const char *name;
        kn_undo_fn fn;
} undo_fns[] = {
        {"dhcp-stop", kn_dhcp_stop_undo},
        {"dhcp-move", kn_dhcp_move_undo},
        {"apply-xml", kn_live_apply_xml_undo},
};

static const char *undo_fn_name(kn_undo_fn fn) {
        for (size_t k = 0; k < ELEMENTSOF(undo_fns); k++)
                if (undo_fns[k].fn == fn)
                        return undo_fns[k].name;
        abort(); /* every undo function is in the table */
}

static kn_undo_fn undo_fn_by_name(const char *name) {
        for (size_t k = 0; k < ELEMENTSOF(undo_fns); k++)
                if (streq(undo_fns[k].name, name))
                        return undo_fns[k].fn;
        return NULL;
}

/* ---- The log ---- */

static void put_hex(kn_strbuf *b, const void *data, size_t len) {
        static const char digits[] = "0123456789abcdef";
        const unsigned char *p = data;
        for (size_t k = 0; k < len; k++) {
                kn_strbuf_putc(b, digits[p[k] >> 4]);
                kn_strbuf_putc(b, digits[p[k] & 15]);
        }
}

static void put_what(kn_strbuf *b, const char *what) {
        for (const char *p = what; *p; p++)
                kn_strbuf_putc(b, *p == '\t' || *p == '\n' ? ' ' : *p);
}

static void log_line(kn_live_txn *t, kn_strbuf *b) {
        if (t->log_fd < 0)
                return;
        kn_strbuf_putc(b, '\n');
        for (size_t off = 0; off < b->len;) {
                ssize_t n = write(t->log_fd, b->s + off, b->len - off);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return; /* a full disk must not stop the change; undo stays in memory */
                off += (size_t) n;
        }
}

static void log_step(kn_live_txn *t, const kn_live_step *s) {
        if (t->log_fd < 0)
                return;
        _cleanup_strbuf_ kn_strbuf b = {0};
        if (s->undo_fn) {
                kn_strbuf_printf(&b, "F\t%s\t", undo_fn_name(s->undo_fn));
                put_hex(&b, s->undo_arg ? s->undo_arg : "", s->undo_arg ? strlen(s->undo_arg) : 0);
        } else {
                kn_strbuf_puts(&b, "N\t");
                for (size_t k = 0; k < ELEMENTSOF(s->undo) && s->undo[k]; k++) {
                        struct nlmsghdr *h = nlmsg_hdr(s->undo[k]);
                        if (k)
                                kn_strbuf_putc(&b, ',');
                        put_hex(&b, h, h->nlmsg_len);
                }
                if (!s->undo[0])
                        kn_strbuf_putc(&b, '-');
        }
        kn_strbuf_putc(&b, '\t');
        put_what(&b, s->what);
        log_line(t, &b);
}

static void log_text(kn_live_txn *t, const char *fmt, ...) _printf_(2, 3);
static void log_text(kn_live_txn *t, const char *fmt, ...) {
        if (t->log_fd < 0)
                return;
        _cleanup_strbuf_ kn_strbuf b = {0};
        va_list ap;
        va_start(ap, fmt);
        _cleanup_free_ char *s = kn_xvasprintf(fmt, ap);
        va_end(ap);
        kn_strbuf_puts(&b, s);
        log_line(t, &b);
}

/* ---- Steps ---- */

kn_live_txn *kn_live_txn_new(void) {
        kn_live_txn *t = kn_xcalloc(1, sizeof *t);
        t->log_fd = -1;
        return t;
}

void kn_live_txn_set_log(kn_live_txn *t, int fd) {
        t->log_fd = fd;
}

static kn_live_step *push(kn_live_txn *t, char *what) {
        GREEDY_REALLOC(t->steps, t->alloc, t->n + 1);
        kn_live_step *s = &t->steps[t->n++];
        *s = (kn_live_step){.what = what};
        return s;
}

static void step_done(kn_live_step *s) {
        free(s->what);
        free(s->undo_arg);
        for (size_t k = 0; k < ELEMENTSOF(s->undo); k++)
                if (s->undo[k])
                        nlmsg_free(s->undo[k]);
        *s = (kn_live_step){0};
}

/* Write-ahead: the undo is logged before the forward step is sent, and
 * cancelled if the kernel refuses the step. */
static int call(kn_netns *ns, kn_live_txn *t, struct nl_msg **fwd, size_t n_fwd,
                struct nl_msg **undo, size_t n_undo, kn_nl_reply_fn fn, void *userdata,
                kn_error *err, char *what) {
        kn_live_step *s = push(t, what);
        for (size_t k = 0; k < n_undo && k < ELEMENTSOF(s->undo); k++)
                s->undo[k] = undo[k];
        bool ok = n_fwd > 0;
        for (size_t k = 0; k < n_fwd; k++)
                ok = ok && fwd[k];
        if (!ok) {
                for (size_t k = 0; k < n_fwd; k++)
                        if (fwd[k])
                                nlmsg_free(fwd[k]);
                step_done(s);
                t->n--;
                return kn_error_set(err, EINVAL, "%s: cannot build the request", what);
        }
        log_step(t, s);
        /* Tests fail a step or kill after it (crashpoint.h): the only way
         * to reach every undo and recovery path on demand. */
        int r = kn_test_fail_step(s->what, err);
        if (r < 0) {
                for (size_t k = 0; k < n_fwd; k++)
                        nlmsg_free(fwd[k]);
        } else
                r = n_fwd == 1 ? kn_nl_call(ns, NULL, fwd[0], fn, userdata, err, "%s", s->what)
                               : kn_nl_call_batch(ns, fwd, n_fwd, err, "%s", s->what);
        if (r < 0) {
                log_text(t, "C");
                step_done(s);
                t->n--;
        } else if (kn_test_hook("KVMNET_TEST_KILL_STEP", s->what))
                kill(getpid(), SIGKILL);
        else
                kn_crashpoint("live step: %s", s->what);
        return r;
}

int kn_txn_call(kn_netns *ns, kn_live_txn *t, struct nl_msg *fwd, struct nl_msg *undo,
                kn_nl_reply_fn fn, void *userdata, kn_error *err, const char *what_fmt, ...) {
        va_list ap;
        va_start(ap, what_fmt);
        char *what = kn_xvasprintf(what_fmt, ap);
        va_end(ap);
        return call(ns, t, &fwd, 1, &undo, undo ? 1 : 0, fn, userdata, err, what);
}

int kn_txn_batch(kn_netns *ns, kn_live_txn *t, struct nl_msg *fwd0, struct nl_msg *fwd1,
                 struct nl_msg *undo0, struct nl_msg *undo1, kn_error *err, const char *what_fmt,
                 ...) {
        va_list ap;
        va_start(ap, what_fmt);
        char *what = kn_xvasprintf(what_fmt, ap);
        va_end(ap);
        struct nl_msg *fwd[] = {fwd0, fwd1}, *undo[] = {undo0, undo1};
        return call(ns, t, fwd, fwd1 ? 2 : 1, undo,
                    undo1   ? 2
                    : undo0 ? 1
                            : 0,
                    NULL, NULL, err, what);
}

void kn_txn_note(kn_live_txn *t, struct nl_msg *undo, const char *what_fmt, ...) {
        va_list ap;
        va_start(ap, what_fmt);
        kn_live_step *s = push(t, kn_xvasprintf(what_fmt, ap));
        va_end(ap);
        s->undo[0] = undo;
        log_step(t, s);
}

void kn_txn_record(kn_live_txn *t, const char *what, kn_undo_fn fn, const char *arg) {
        kn_live_step *s = push(t, kn_xstrdup(what));
        s->undo_fn = fn;
        s->undo_arg = arg ? kn_xstrdup(arg) : NULL;
        log_step(t, s);
}

/* An undo that only puts addresses, routes or neighbours back: one the
 * kernel made again by itself meanwhile (the prefix route of an address
 * an earlier undo gave back) is already what the undo wants. */
static bool undo_restores_entries(const kn_live_step *s) {
        for (size_t k = 0; k < ELEMENTSOF(s->undo) && s->undo[k]; k++)
                switch (nlmsg_hdr(s->undo[k])->nlmsg_type) {
                case RTM_NEWROUTE:
                case RTM_DELROUTE:
                case RTM_NEWADDR:
                case RTM_DELADDR:
                case RTM_NEWNEIGH:
                case RTM_DELNEIGH: break;
                default: return false;
                }
        return true;
}

static int undo_step(kn_netns *ns, kn_live_step *s, kn_error *e) {
        if (s->undo_fn)
                return s->undo_fn(ns, s->undo_arg, e);
        bool entries = undo_restores_entries(s);
        int r = 0;
        if (s->undo[1]) {
                struct nl_msg *m[] = {TAKE_PTR(s->undo[0]), TAKE_PTR(s->undo[1])};
                r = kn_nl_call_batch(ns, m, 2, e, "undo '%s'", s->what);
        } else if (s->undo[0])
                r = kn_nl_call(ns, NULL, TAKE_PTR(s->undo[0]), NULL, NULL, e, "undo '%s'", s->what);
        if (r == -EEXIST && entries) {
                kn_error_clear(e);
                return 0;
        }
        return r;
}

void kn_live_txn_clear_undone(kn_live_txn *t) {
        for (size_t k = 0; k < t->n_undone; k++)
                free(t->undone[k]);
        free(t->undone);
        t->undone = NULL;
        t->n_undone = 0;
}

int kn_live_txn_rollback_to(kn_netns *ns, kn_live_txn *t, size_t mark, kn_error *err) {
        int first = 0;
        size_t undone = 0;
        kn_live_txn_clear_undone(t);
        if (t->n > mark)
                t->undone = kn_xcalloc(t->n - mark, sizeof *t->undone);
        for (size_t k = t->n; k-- > mark;) {
                kn_error e = {0};
                int r = undo_step(ns, &t->steps[k], &e);
                if (r < 0 && !first) {
                        first = r;
                        kn_error_set(err, -r, "%s", e.message);
                }
                t->undone[t->n_undone++] = TAKE_PTR(t->steps[k].what);
                step_done(&t->steps[k]);
                undone++;
        }
        t->n = mark < t->n ? mark : t->n;
        if (undone)
                log_text(t, "U\t%zu", undone);
        return first;
}

int kn_live_txn_rollback(kn_netns *ns, kn_live_txn *t, kn_error *err) {
        return kn_live_txn_rollback_to(ns, t, 0, err);
}

size_t kn_live_txn_size(const kn_live_txn *t) {
        return t ? t->n : 0;
}

const char *kn_live_txn_step(const kn_live_txn *t, size_t i) {
        return t && i < t->n ? t->steps[i].what : NULL;
}

size_t kn_live_txn_n_undone(const kn_live_txn *t) {
        return t ? t->n_undone : 0;
}

const char *kn_live_txn_undone(const kn_live_txn *t, size_t i) {
        return t && i < t->n_undone ? t->undone[i] : NULL;
}

kn_live_txn *kn_live_txn_free(kn_live_txn *t) {
        if (!t)
                return NULL;
        for (size_t k = 0; k < t->n; k++)
                step_done(&t->steps[k]);
        free(t->steps);
        kn_live_txn_clear_undone(t);
        free(t);
        return NULL;
}

/* ---- Reading a log back ---- */

static int hexval(char c) {
        return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decode hex [p, end) into a fresh buffer; NULL if malformed. */
static unsigned char *unhex(const char *p, const char *end, size_t *len) {
        if ((end - p) % 2)
                return NULL;
        size_t n = (size_t) (end - p) / 2;
        unsigned char *b = kn_xmalloc(n + 1);
        for (size_t k = 0; k < n; k++) {
                int hi = hexval(p[2 * k]), lo = hexval(p[2 * k + 1]);
                if (hi < 0 || lo < 0) {
                        free(b);
                        return NULL;
                }
                b[k] = (unsigned char) (hi << 4 | lo);
        }
        b[n] = '\0';
        *len = n;
        return b;
}

static struct nl_msg *msg_from_hex(const char *p, const char *end) {
        size_t len;
        _cleanup_free_ unsigned char *b = unhex(p, end, &len);
        if (!b || len < NLMSG_HDRLEN || ((struct nlmsghdr *) b)->nlmsg_len != len)
                return NULL;
        return nlmsg_convert((struct nlmsghdr *) b);
}

/* One line into t; false if it is malformed (then nothing is added). */
static bool load_line(kn_live_txn *t, char *line) {
        char *f[4] = {line};
        size_t n = 1;
        for (char *p = line; *p && n < ELEMENTSOF(f); p++)
                if (*p == '\t') {
                        *p = '\0';
                        f[n++] = p + 1;
                }
        if (streq(f[0], "C") && t->n > 0) {
                step_done(&t->steps[--t->n]);
                return true;
        }
        if (streq(f[0], "U") && n == 2) {
                size_t k = strtoul(f[1], NULL, 10);
                while (k-- > 0 && t->n > 0)
                        step_done(&t->steps[--t->n]);
                return true;
        }
        if (streq(f[0], "F") && n == 4) {
                kn_undo_fn fn = undo_fn_by_name(f[1]);
                size_t len;
                _cleanup_free_ unsigned char *arg = unhex(f[2], f[2] + strlen(f[2]), &len);
                if (!fn || !arg)
                        return false;
                kn_live_step *s = push(t, kn_xstrdup(f[3]));
                s->undo_fn = fn;
                s->undo_arg = kn_xstrdup((char *) arg);
                return true;
        }
        if (streq(f[0], "N") && n == 3) {
                struct nl_msg *m[2] = {NULL, NULL};
                size_t k = 0;
                for (char *p = f[1]; !streq(f[1], "-") && *p && k < 2; k++) {
                        char *end = strchrnul(p, ',');
                        m[k] = msg_from_hex(p, end);
                        if (!m[k]) {
                                if (k)
                                        nlmsg_free(m[0]);
                                return false;
                        }
                        p = *end ? end + 1 : end;
                }
                kn_live_step *s = push(t, kn_xstrdup(f[2]));
                s->undo[0] = m[0];
                s->undo[1] = m[1];
                return true;
        }
        return false;
}

int kn_live_txn_load(const char *text, size_t len, kn_live_txn **ret, kn_error *err) {
        kn_live_txn *t = kn_live_txn_new();
        size_t lineno = 0;
        for (size_t off = 0; off < len;) {
                const char *nl = memchr(text + off, '\n', len - off);
                if (!nl)
                        break; /* torn last line: its step was never sent */
                _cleanup_free_ char *line = kn_xstrndup(text + off, (size_t) (nl - text - off));
                lineno++;
                off = (size_t) (nl - text) + 1;
                if (!load_line(t, line)) {
                        kn_live_txn_free(t);
                        return kn_error_set(err, EBADMSG, "live undo log, line %zu: malformed",
                                            lineno);
                }
        }
        *ret = t;
        return 0;
}
