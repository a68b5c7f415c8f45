/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The undo journal of kn_live_apply: every step is recorded with the
 * message (or function) that reverses it, written next to the forward
 * step by the code that does it. */

#include <stdarg.h>

#include "live-internal.h"

static kn_live_step *push(kn_live_txn *t, char *what) {
        GREEDY_REALLOC(t->steps, t->alloc, t->n + 1);
        kn_live_step *s = &t->steps[t->n++];
        *s = (kn_live_step){.what = what};
        return s;
}

int kn_txn_call(kn_netns *ns, kn_live_txn *t, struct nl_msg *fwd, struct nl_msg *undo,
                kn_nl_reply_fn fn, void *userdata, kn_error *err, const char *what_fmt, ...) {
        va_list ap;
        va_start(ap, what_fmt);
        char *what;
        if (vasprintf(&what, what_fmt, ap) < 0)
                abort();
        va_end(ap);
        int r = fwd ? kn_nl_call(ns, NULL, fwd, fn, userdata, err, "%s", what)
                    : kn_error_set(err, EINVAL, "%s: cannot build the request", what);
        if (r < 0) {
                if (undo)
                        nlmsg_free(undo);
                free(what);
                return r;
        }
        push(t, what)->undo = undo;
        return 0;
}

void kn_txn_note(kn_live_txn *t, struct nl_msg *undo, const char *what_fmt, ...) {
        va_list ap;
        va_start(ap, what_fmt);
        char *what;
        if (vasprintf(&what, what_fmt, ap) < 0)
                abort();
        va_end(ap);
        push(t, what)->undo = undo;
}

void kn_txn_record(kn_live_txn *t, const char *what, kn_undo_fn fn, const char *arg) {
        kn_live_step *s = push(t, kn_xstrdup(what));
        s->undo_fn = fn;
        s->undo_arg = arg ? kn_xstrdup(arg) : NULL;
}

int kn_live_txn_rollback(kn_netns *ns, kn_live_txn *t, kn_error *err) {
        int first = 0;
        for (size_t k = t->n; k-- > 0;) {
                kn_live_step *s = &t->steps[k];
                int r = 0;
                kn_error e = {0};
                if (s->undo)
                        r = kn_nl_call(ns, NULL, TAKE_PTR(s->undo), NULL, NULL, &e, "undo '%s'",
                                       s->what);
                else if (s->undo_fn)
                        r = s->undo_fn(ns, s->undo_arg, &e);
                if (r < 0 && !first) {
                        first = r;
                        kn_error_set(err, -r, "%s", e.message);
                }
        }
        /* Undone steps are gone; the journal is empty now. */
        for (size_t k = 0; k < t->n; k++) {
                free(t->steps[k].what);
                free(t->steps[k].undo_arg);
        }
        t->n = 0;
        return first;
}

size_t kn_live_txn_size(const kn_live_txn *t) {
        return t ? t->n : 0;
}

const char *kn_live_txn_step(const kn_live_txn *t, size_t i) {
        return t && i < t->n ? t->steps[i].what : NULL;
}

kn_live_txn *kn_live_txn_free(kn_live_txn *t) {
        if (!t)
                return NULL;
        for (size_t k = 0; k < t->n; k++) {
                free(t->steps[k].what);
                free(t->steps[k].undo_arg);
                if (t->steps[k].undo)
                        nlmsg_free(t->steps[k].undo);
        }
        free(t->steps);
        free(t);
        return NULL;
}
