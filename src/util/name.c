/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "kvmnet/name.h"

#include <ctype.h>
#include <limits.h>

#include "macro.h"

typedef struct name_rules {
        const char *default_what;
        size_t max;
        const char *extra; /* allowed besides letters and digits */
        const char *valid; /* for the message */
} name_rules;

static const name_rules ifname_rules = {
        .default_what = "interface",
        .max = KN_IFNAME_MAX,
        .extra = "_-.",
        .valid = "1-15 letters, digits, '_', '-' or '.', not starting with '.' or '-'",
};

static const name_rules object_rules = {
        .default_what = "object",
        .max = KN_OBJECT_NAME_MAX,
        .extra = "-_.+",
        .valid = "1-64 letters, digits, '-', '_', '.' or '+', not starting with '.' or '-'",
};

void kn_name_shown(const char *name, char *out, size_t size) {
        size_t o = 0, k = 0;
        for (; name[k] && k < 64 && o + 5 < size; k++) {
                unsigned char c = (unsigned char) name[k];
                if (c == '\n')
                        o += (size_t) snprintf(out + o, size - o, "\\n");
                else if (c == '\t')
                        o += (size_t) snprintf(out + o, size - o, "\\t");
                else if (c < 0x20 || c >= 0x7f || c == '\\')
                        o += (size_t) snprintf(out + o, size - o, "\\x%02x", c);
                else
                        out[o++] = (char) c;
        }
        out[o] = '\0';
        if (name[k] && o + 4 <= size)
                strcpy(out + o, "...");
}

/* The offending byte, in words where quotes would not show it. */
static void char_shown(unsigned char c, char out[16]) {
        if (c == ' ')
                snprintf(out, 16, "a space");
        else if (c == '\n')
                snprintf(out, 16, "a newline");
        else if (c == '\t')
                snprintf(out, 16, "a tab");
        else if (c == '\'')
                snprintf(out, 16, "\"'\"");
        else if (c < 0x20 || c >= 0x7f)
                snprintf(out, 16, "byte 0x%02x", c);
        else
                snprintf(out, 16, "'%c'", c);
}

static int name_check(const name_rules *rules, const char *name, const char *what, kn_error *err) {
        if (!what)
                what = rules->default_what;
        if (isempty(name))
                return kn_error_set(err, EINVAL, "%s name is empty (valid: %s)", what,
                                    rules->valid);
        char shown[KN_NAME_SHOWN_MAX];
        kn_name_shown(name, shown, sizeof shown);
        if (name[0] == '.' || name[0] == '-')
                return kn_error_set(err, EINVAL, "%s name '%s' starts with '%c' (valid: %s)", what,
                                    shown, name[0], rules->valid);
        size_t n = 0;
        for (; name[n]; n++)
                if (!isalnum((unsigned char) name[n]) || !isascii((unsigned char) name[n]))
                        if (!strchr(rules->extra, name[n])) {
                                char c[16];
                                char_shown((unsigned char) name[n], c);
                                return kn_error_set(err, EINVAL,
                                                    "%s name '%s' contains %s (valid: %s)", what,
                                                    shown, c, rules->valid);
                        }
        if (n > rules->max)
                return kn_error_set(err, EINVAL, "%s name '%s' is %zu characters long (valid: %s)",
                                    what, shown, n, rules->valid);
        return 0;
}

int kn_ifname_validate(const char *name, const char *what, kn_error *err) {
        return name_check(&ifname_rules, name, what, err);
}

int kn_object_name_validate(const char *name, const char *what, kn_error *err) {
        return name_check(&object_rules, name, what, err);
}

int kn_netns_name_validate(const char *name, kn_error *err) {
        const char *valid = "what 'ip netns add' takes: 1-255 bytes, no '/', not '.' or '..'";
        if (isempty(name))
                return kn_error_set(err, EINVAL, "network namespace name is empty (valid: %s)",
                                    valid);
        char shown[KN_NAME_SHOWN_MAX];
        kn_name_shown(name, shown, sizeof shown);
        if (streq(name, ".") || streq(name, "..") || strchr(name, '/') || strlen(name) > NAME_MAX)
                return kn_error_set(err, EINVAL, "'%s' is not a network namespace name (valid: %s)",
                                    shown, valid);
        return 0;
}
