/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* --json: errors as JSON objects on stdout, in the protocol's words.  A
 * daemon's error reply carries its code (an errno name, docs/protocol.md),
 * printed as is; an error of the CLI itself (usage, no connection) was said
 * on stderr with cli_error(), so the stream behind cli_err keeps a copy of
 * what went there, and the first error line becomes the message. */
#include "cli.h"
#include "macro.h"

bool cli_json_compact, cli_json_all, cli_json_error_printed;

/* What went to stderr since cli_json_reset(), up to a page: the first
 * error line is all that is needed. */
static kn_strbuf captured;

void cli_json_reset(void) {
        cli_json_error_printed = false;
        kn_strbuf_done(&captured);
}

void cli_json_error(int code, const char *message) {
        cli_json_error_full(code, message, NULL, NULL);
}

void cli_json_error_full(int code, const char *message, const char *op, json_object *undone) {
        _cleanup_json_ json_object *o = json_object_new_object();
        json_object *e = json_object_new_object();
        json_object_object_add(e, "code", json_object_new_string(kn_api_code_to_string(code)));
        json_object_object_add(e, "errno", json_object_new_int(code));
        json_object_object_add(e, "message", json_object_new_string(message));
        if (undone)
                json_object_object_add(e, "undone", json_object_get(undone));
        json_object_object_add(o, "error", e);
        if (op)
                json_object_object_add(o, "op", json_object_new_string(op));
        cli_print_json(o);
        cli_json_error_printed = true;
}

static ssize_t tee_write(void *cookie, const char *buf, size_t len) {
        if (captured.len < 4096)
                kn_strbuf_putn(&captured, buf, len);
        fflush(stdout); /* keep the order of output and errors */
        return (ssize_t) fwrite(buf, 1, len, stderr);
}

void cli_json_capture(void) {
        FILE *f = fopencookie(NULL, "w", (cookie_io_functions_t){.write = tee_write});
        if (!f)
                return; /* errors still go to stderr; only their JSON is lost */
        setvbuf(f, NULL, _IONBF, 0);
        cli_err = f;
}

/* The errno that stands for a kind of exit code, for errors that have no
 * errno of their own (a bad option, a lost connection). */
static int code_for_exit(int r) {
        switch (r) {
        case KN_EXIT_USAGE: return EINVAL;
        case KN_EXIT_CONNECT: return ENOTCONN;
        case KN_EXIT_NOT_FOUND: return ENOENT;
        case KN_EXIT_REFUSED: return EACCES;
        case KN_EXIT_BUSY: return EBUSY;
        case KN_EXIT_TIMEOUT: return ETIMEDOUT;
        default: return EIO;
        }
}

void cli_json_local_error(const char *text, int r) {
        if (r == KN_EXIT_OK || r == KN_EXIT_PARTIAL || cli_json_error_printed)
                return;
        if (!text)
                text = captured.s ? captured.s : "";
        const char *line = NULL;
        for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
                if (startswith(p, "error: ")) {
                        line = p + strlen("error: ");
                        break;
                }
        _cleanup_free_ char *message = NULL;
        if (line) {
                /* Batch mode's "line N: " is where the line is, not what. */
                unsigned n;
                int used = 0;
                if (sscanf(line, "line %u: %n", &n, &used) == 1 && used > 0)
                        line += used;
                message = kn_xstrndup(line, strcspn(line, "\n"));
        } else
                message = kn_xasprintf("kvmnet failed with exit code %d", r);
        cli_json_error(code_for_exit(r), message);
}

/* A change's operation id (the reply's "op") goes into its JSON output, so
 * a script can follow it with kvmnet event --op. */
json_object *cli_cmd_reply_result(const cli_cmd *cmd, cli_conn *c, json_object *reply) {
        json_object *result = cli_reply_result(c, cmd->verb->name, reply), *op = NULL;
        if (!json_object_object_get_ex(reply, "op", &op) ||
            !json_object_is_type(op, json_type_string))
                op = NULL;
        /* A failed change's steps, done and undone before the reply. */
        json_object *e = NULL, *undone = NULL;
        if (!result && json_object_object_get_ex(reply, "error", &e) &&
            (!json_object_object_get_ex(e, "undone", &undone) ||
             !json_object_is_type(undone, json_type_array)))
                undone = NULL;
        if (!result && cmd->json) {
                kn_error err;
                kn_api_reply_error(reply, &err);
                if (err.code != 0)
                        cli_json_error_full(err.code, err.message,
                                            op ? json_object_get_string(op) : NULL, undone);
        } else if (!result && undone && cli_cmd_flag(cmd, "--verbose")) {
                fprintf(cli_err, "Undone (the last step done first):\n");
                for (size_t k = 0; k < json_object_array_length(undone); k++)
                        fprintf(cli_err, "  %s\n",
                                json_object_get_string(json_object_array_get_idx(undone, k)));
        }
        if (result && cmd->json && op && json_object_is_type(result, json_type_object) &&
            !json_object_object_get_ex(result, "op", NULL))
                json_object_object_add(result, "op", json_object_get(op));
        return result;
}
