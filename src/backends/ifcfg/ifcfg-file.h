/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A file of shell variable assignments (ifcfg-*, route-* in key form), kept
 * line by line so that a rewrite changes only the keys it sets: comments,
 * blank lines and keys nobody asked about come back byte for byte.
 *
 * Accepted syntax, the subset of sh(1) these files use: KEY=value,
 * KEY="value" (backslash escapes \" \\ \$ \`), KEY='value', an optional
 * leading "export ", a comment after the value, '#' comment lines.  A value
 * that needs the shell to expand it ($VAR, `cmd`) is kept, but marked
 * dynamic: its meaning is not known to kvmnet. */

#include <stdbool.h>
#include <stddef.h>

typedef struct kn_ifcfg_line {
        char *raw;    /* the line as read (no '\n'); NULL once edited */
        char *key;    /* NULL for comments, blank and unparsable lines */
        char *value;  /* unquoted */
        char *trail;  /* "  # comment" after the value, kept on edit */
        char quote;   /* how the value was quoted: '"', '\'' or 0 */
        bool dynamic; /* the value uses $ or ` expansion */
        unsigned lineno;
} kn_ifcfg_line;

typedef struct kn_ifcfg_file {
        kn_ifcfg_line *lines;
        size_t n, alloc;
        unsigned err_line; /* first syntax error, 0 if none */
        char *err;
} kn_ifcfg_file;

/* Parse data into f (zero-initialised).  Returns -EINVAL if some line is
 * not an assignment (f->err, f->err_line say which); the other lines are
 * parsed all the same, so DEVICE= etc. can still name the interface. */
int kn_ifcfg_file_parse(kn_ifcfg_file *f, const char *data, size_t len);
void kn_ifcfg_file_done(kn_ifcfg_file *f);

/* The assignment that counts (the last one), or NULL. */
const kn_ifcfg_line *kn_ifcfg_file_find(const kn_ifcfg_file *f, const char *key);
static inline const char *kn_ifcfg_file_get(const kn_ifcfg_file *f, const char *key) {
        const kn_ifcfg_line *l = kn_ifcfg_file_find(f, key);
        return l ? l->value : NULL;
}

/* Set KEY to value: the last assignment is edited in place (keeping its
 * quoting style and trailing comment), earlier ones are dropped, a new key
 * is appended.  value NULL removes every assignment of KEY. */
void kn_ifcfg_file_set(kn_ifcfg_file *f, const char *key, const char *value);

/* Remove the assignments for which drop(key) is true. */
void kn_ifcfg_file_remove_if(kn_ifcfg_file *f, bool (*drop)(const char *key, void *userdata),
                             void *userdata);

/* Remove line k (comments too). */
void kn_ifcfg_file_remove_line(kn_ifcfg_file *f, size_t k);

/* The file's text; unedited lines are reproduced exactly, the result ends
 * in a newline unless it is empty. */
char *kn_ifcfg_file_format(const kn_ifcfg_file *f, size_t *ret_len);

/* Shell-quote value as the file would hold it (quote: preferred style). */
char *kn_ifcfg_quote(const char *value, char quote);
