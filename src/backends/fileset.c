/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fileset.h"

#include "filelog-private.h"
#include "macro.h"
#include "rootfs.h"

static kn_fileset_op *op_for(kn_fileset *s, const char *rel) {
        for (size_t k = 0; k < s->n; k++)
                if (streq(s->ops[k].rel, rel)) {
                        free(s->ops[k].data);
                        s->ops[k].data = NULL;
                        return &s->ops[k];
                }
        GREEDY_REALLOC(s->ops, s->alloc, s->n + 1);
        kn_fileset_op *op = &s->ops[s->n++];
        *op = (kn_fileset_op){.rel = kn_xstrdup(rel)};
        return op;
}

void kn_fileset_write(kn_fileset *s, const char *rel, char *data, size_t len, mode_t mode) {
        kn_fileset_op *op = op_for(s, rel);
        op->data = data;
        op->len = len;
        op->mode = mode;
}

void kn_fileset_remove(kn_fileset *s, const char *rel) {
        op_for(s, rel);
}

void kn_fileset_expect(kn_fileset *s, const char *rel, const char *old, size_t old_len) {
        GREEDY_REALLOC(s->expects, s->alloc_expects, s->n_expects + 1);
        kn_fileset_expectation *e = &s->expects[s->n_expects++];
        *e = (kn_fileset_expectation){.rel = kn_xstrdup(rel), .old_len = old_len};
        if (old) {
                e->old = kn_xmalloc(old_len + 1);
                memcpy(e->old, old, old_len);
                e->old[old_len] = '\0';
        }
}

void kn_fileset_done(kn_fileset *s) {
        for (size_t k = 0; k < s->n; k++) {
                free(s->ops[k].rel);
                free(s->ops[k].data);
        }
        for (size_t k = 0; k < s->n_expects; k++) {
                free(s->expects[k].rel);
                free(s->expects[k].old);
        }
        free(s->ops);
        free(s->expects);
        *s = (kn_fileset){0};
}

static int check_expects(const kn_fileset *s, const kn_root *root, kn_error *err) {
        for (size_t k = 0; k < s->n_expects; k++) {
                const kn_fileset_expectation *e = &s->expects[k];
                _cleanup_free_ char *now = NULL;
                size_t len = 0;
                int r = kn_root_read_file(root, e->rel, &now, &len);
                bool same = e->old ? r >= 0 && len == e->old_len && memcmp(now, e->old, len) == 0
                                   : r == -ENOENT;
                if (!same) {
                        _cleanup_free_ char *shown = kn_root_display(root, e->rel);
                        return kn_error_set(err, ESTALE,
                                            "%s changed since it was read; reload and try again",
                                            shown);
                }
        }
        return 0;
}

/* One step to take: the path it really changes (a write goes through an
 * in-root symlink, a removal removes the link itself) and what was there. */
typedef struct step {
        const kn_fileset_op *op;
        kn_file_image pre;
} step;

static void steps_free(step *st, size_t n) {
        for (size_t k = 0; k < n; k++)
                kn_file_image_done(&st[k].pre);
        free(st);
}

/* The outermost missing directory of rel, or NULL if its directory is there. */
static char *missing_dir(const kn_root *root, const char *rel) {
        char *top = NULL;
        _cleanup_free_ char *dir = kn_xstrdup(rel);
        for (char *slash; (slash = strrchr(dir, '/'));) {
                *slash = '\0';
                if (!*dir || kn_root_exists(root, dir))
                        break;
                free(top);
                top = kn_xstrdup(dir);
        }
        return top;
}

/* Writes before removals, each in the order given: a failure half way
 * then leaves the new files beside the old ones, never neither. */
static int plan(kn_fileset *s, const kn_root *root, step **ret, kn_error *err) {
        step *st = kn_xcalloc(2 * s->n + 1, sizeof *st); /* a write may add a directory step */
        size_t n = 0;
        for (int pass = 0; pass < 2; pass++)
                for (size_t k = 0; k < s->n; k++) {
                        const kn_fileset_op *op = &s->ops[k];
                        if ((op->data == NULL) != (pass == 1))
                                continue;
                        _cleanup_free_ char *real = NULL;
                        int r = op->data ? kn_root_resolve(root, op->rel, &real) : 0;
                        if (r >= 0)
                                r = kn_file_image_read(root, real ? real : op->rel, &st[n].pre,
                                                       err);
                        else {
                                _cleanup_free_ char *shown = kn_root_display(root, op->rel);
                                r = kn_error_set(err, -r, "%s: %s", shown, strerror(-r));
                        }
                        if (r < 0) {
                                steps_free(st, n);
                                return r;
                        }
                        st[n].op = op;
                        if (op->data && st[n].pre.kind == KN_FILE_ABSENT) {
                                /* The directories the write will make go on undo too:
                                 * a step of its own, before the write's. */
                                _cleanup_free_ char *top = missing_dir(root, st[n].pre.rel);
                                if (top) {
                                        st[n + 1] = st[n];
                                        st[n] = (step){.pre = {.rel = TAKE_PTR(top)}};
                                        n++;
                                }
                        }
                        n++;
                }
        *ret = st;
        return (int) n;
}

static int do_step(const kn_root *root, const step *st, kn_error *err) {
        const kn_fileset_op *op = st->op;
        if (!op) /* a directory the next write makes */
                return 0;
        if (!op->data)
                return kn_root_unlink(root, op->rel, err);
        return kn_root_write_atomic(root, st->pre.rel, op->data, op->len, op->mode, err);
}

/* Put back steps [0, n), newest first. */
static int undo(const kn_root *root, const step *st, size_t n, kn_error *err) {
        int first = 0;
        while (n-- > 0) {
                kn_error e = {0};
                int r = kn_file_image_restore(root, &st[n].pre, &e);
                if (r < 0 && !first) {
                        first = r;
                        if (err) {
                                size_t len = strlen(err->message);
                                snprintf(err->message + len, sizeof err->message - len,
                                         "; restoring the files written before failed too: %s",
                                         e.message);
                        }
                }
        }
        return first;
}

static int apply_locked(kn_fileset *s, const kn_root *root, kn_filelog *log, kn_error *err) {
        int r = log ? kn_filelog_check(log, err) : 0;
        if (r >= 0)
                r = check_expects(s, root, err);
        if (r < 0)
                return r;
        step *st;
        int n = plan(s, root, &st, err);
        if (n < 0)
                return n;
        if (log) {
                /* In a transaction only the first pre-image of a file counts. */
                kn_file_image *rec = kn_xcalloc((size_t) n + 1, sizeof *rec);
                size_t n_rec = 0;
                for (int k = 0; k < n; k++)
                        if (!kn_filelog_in_txn(log) || !kn_filelog_has(log, st[k].pre.rel))
                                rec[n_rec++] = st[k].pre; /* borrowed */
                r = kn_filelog_record(log, rec, n_rec, err);
                free(rec);
        }
        size_t done = 0;
        while (r >= 0 && done < (size_t) n) {
                r = do_step(root, &st[done], err);
                if (r < 0)
                        break;
                if (st[done].op)
                        kn_filelog_step(st[done].op->data ? "written" : "removed");
                done++;
        }
        if (r < 0 && done > 0 && undo(root, st, done, err) < 0 && log && !kn_filelog_in_txn(log)) {
                /* Keep the record: the next start restores the old set. */
                steps_free(st, (size_t) n);
                return r;
        }
        if (log && !kn_filelog_in_txn(log)) {
                kn_error e = {0};
                int q = kn_filelog_drop(log, r < 0 ? &e : err);
                if (q < 0 && r >= 0)
                        r = q; /* the files are new; the next start restores the old ones */
        }
        steps_free(st, (size_t) n);
        return r;
}

int kn_fileset_apply(kn_fileset *s, const kn_root *root, kn_filelog *log, kn_error *err) {
        int r = log ? kn_filelog_lock(log, err) : 0;
        if (r < 0)
                return r;
        r = apply_locked(s, root, log, err);
        if (log)
                kn_filelog_unlock(log);
        return r;
}
