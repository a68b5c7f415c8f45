/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fileset.h"

#include <sys/stat.h>

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

/* Removals after writes: a failure half way then leaves the new files
 * beside the old ones, never neither. */
static int cmp_op(const void *a, const void *b) {
        const kn_fileset_op *x = a, *y = b;
        return (x->data == NULL) - (y->data == NULL);
}

static void undo(const kn_root *root, kn_fileset_op *op) {
        if (op->existed)
                (void) kn_root_write_atomic(root, op->rel, op->old, op->old_len, op->old_mode,
                                            NULL);
        else
                (void) kn_root_unlink(root, op->rel, NULL);
}

int kn_fileset_apply(kn_fileset *s, const kn_root *root, kn_error *err) {
        /* qsort is not stable: keep the order within writes and removals. */
        for (size_t k = 1; k < s->n; k++)
                for (size_t j = k; j > 0 && cmp_op(&s->ops[j - 1], &s->ops[j]) > 0; j--) {
                        kn_fileset_op t = s->ops[j];
                        s->ops[j] = s->ops[j - 1];
                        s->ops[j - 1] = t;
                }
        for (size_t k = 0; k < s->n; k++) {
                kn_fileset_op *op = &s->ops[k];
                struct stat st;
                op->existed = kn_root_stat(root, op->rel, &st) >= 0;
                if (op->existed) {
                        op->old_mode = st.st_mode & 07777;
                        int r = kn_root_read_file(root, op->rel, &op->old, &op->old_len);
                        if (r < 0) {
                                _cleanup_free_ char *shown = kn_root_display(root, op->rel);
                                return kn_error_set(err, -r, "%s: cannot read: %s", shown,
                                                    strerror(-r));
                        }
                }
        }
        for (size_t k = 0; k < s->n; k++) {
                kn_fileset_op *op = &s->ops[k];
                int r = op->data ? kn_root_write_atomic(root, op->rel, op->data, op->len, op->mode,
                                                        err)
                                 : kn_root_unlink(root, op->rel, err);
                if (r < 0) {
                        while (k-- > 0)
                                undo(root, &s->ops[k]);
                        return r;
                }
        }
        return 0;
}

void kn_fileset_done(kn_fileset *s) {
        for (size_t k = 0; k < s->n; k++) {
                free(s->ops[k].rel);
                free(s->ops[k].data);
                free(s->ops[k].old);
        }
        free(s->ops);
        *s = (kn_fileset){0};
}
