/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* An INI-style file ([Section] lines and Key=value assignments), kept line
 * by line so that a rewrite changes only the keys it sets: comments, blank
 * lines, unknown sections and keys come back byte for byte.  Shared by the
 * systemd-networkd backend (.network/.netdev) and the NetworkManager
 * keyfile backend (.nmconnection).
 *
 * Two syntaxes:
 *  - KN_INI_SYSTEMD, systemd.syntax(7): comment lines start with '#' or ';',
 *    a line ending in a backslash continues on the next one (the backslash
 *    reads as a space), values are taken as they are.
 *  - KN_INI_KEYFILE, GLib key files: comment lines start with '#', values
 *    use the escapes \s \t \n \r \\.
 *
 * Sections and keys are case-sensitive in both.  A section may appear
 * several times (networkd's [Address], [Route]); a lookup sees every
 * instance, in file order. */

#include <stdbool.h>
#include <stddef.h>

typedef enum kn_ini_syntax {
        KN_INI_SYSTEMD,
        KN_INI_KEYFILE,
} kn_ini_syntax;

typedef struct kn_ini_line {
        char *raw;       /* the text as read, continuation lines included (no final
                          * '\n'); NULL once edited or added */
        char *section;   /* the section the line is in (for a [Section] line: its
                          * name); NULL before the first section */
        char *key;       /* NULL unless the line is an assignment */
        char *value;     /* unescaped, without surrounding blanks */
        bool header;     /* a [Section] line */
        unsigned lineno; /* first line number in the file, 0 for added lines */
} kn_ini_line;

typedef struct kn_ini {
        kn_ini_syntax syntax;
        kn_ini_line *lines;
        size_t n, alloc;
        unsigned err_line; /* first syntax error, 0 if none */
        char *err;
} kn_ini;

/* Parse data into f (zero-initialised).  Returns -EINVAL if some line is
 * neither a comment, blank, [Section] nor Key=value inside a section
 * (f->err and f->err_line say which); every other line is parsed all the
 * same, so the file can still name its interface. */
int kn_ini_parse(kn_ini *f, kn_ini_syntax syntax, const char *data, size_t len);
/* An empty file of that syntax, to fill with kn_ini_set(). */
void kn_ini_init(kn_ini *f, kn_ini_syntax syntax);
void kn_ini_done(kn_ini *f);

/* The file's text: unedited lines exactly as read; ends in a newline
 * unless empty. */
char *kn_ini_format(const kn_ini *f, size_t *ret_len);

/* Index of the next assignment of key (any key if NULL) in a section
 * named section at or after line `from`, or f->n. */
size_t kn_ini_next(const kn_ini *f, const char *section, const char *key, size_t from);
#define KN_INI_FOREACH(k, f, section, key)                                                         \
        for (size_t k = kn_ini_next((f), (section), (key), 0); k < (f)->n;                         \
             k = kn_ini_next((f), (section), (key), k + 1))

/* The assignment that counts (the last one), or NULL. */
const kn_ini_line *kn_ini_find(const kn_ini *f, const char *section, const char *key);
static inline const char *kn_ini_get(const kn_ini *f, const char *section, const char *key) {
        const kn_ini_line *l = kn_ini_find(f, section, key);
        return l ? l->value : NULL;
}
bool kn_ini_has_section(const kn_ini *f, const char *section);

/* Set section.key to value: the last assignment is edited in place, the
 * others are dropped; a new key goes after the last assignment of the
 * section's last instance; a new section is appended to the file, after a
 * blank line.  value NULL removes every assignment of the key. */
void kn_ini_set(kn_ini *f, const char *section, const char *key, const char *value);
void kn_ini_setf(kn_ini *f, const char *section, const char *key, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* A key that may be given several times (networkd's Address=, VLAN=):
 * the new assignments, one per line, take the place of the first old one;
 * the others are dropped.  n == 0 removes the key. */
void kn_ini_set_list(kn_ini *f, const char *section, const char *key, char *const *values,
                     size_t n);

/* Remove every instance of the section, with the lines in it. */
void kn_ini_remove_section(kn_ini *f, const char *section);

/* Remove the instances of section that hold neither assignments nor
 * comments (only after kvmnet emptied them: empty sections written by
 * others stay). */
void kn_ini_prune(kn_ini *f, const char *section);

/* Comment lines (with their '#'), at the top of the file. */
bool kn_ini_has_comment(const kn_ini *f, const char *text);
void kn_ini_add_comment(kn_ini *f, const char *text);
void kn_ini_remove_comment(kn_ini *f, const char *text);

/* Booleans as systemd and GLib accept them (1/yes/y/true/t/on and
 * 0/no/n/false/f/off, any case): 1, 0, or -EINVAL. */
int kn_ini_parse_bool(const char *s);
