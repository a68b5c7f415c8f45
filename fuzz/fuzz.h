/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by the libFuzzer targets in fuzz/ (built with -Dfuzz=true only).
 * Each target defines LLVMFuzzerTestOneInput; a crash, a sanitizer report
 * or a leak is a finding (docs/testing-fuzz.md). */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The input as a NUL-terminated string (for parsers that take one); an
 * embedded NUL just ends it early, as it would for the caller. */
static inline char *fuzz_strndup(const uint8_t *data, size_t size) {
        char *s = malloc(size + 1);
        if (!s)
                abort();
        memcpy(s, data, size);
        s[size] = '\0';
        return s;
}

/* Split the input into a root of files: lines "--- PATH" start a file
 * (PATH relative, no ".." component), the lines after it are its content.
 * Writes them under dir, which is emptied first.  Defined in fuzz-root.c. */
void fuzz_root_write(const char *dir, const uint8_t *data, size_t size);
/* A fresh directory under $TMPDIR (or /tmp), removed at exit. */
char *fuzz_root_dir(const char *name);
