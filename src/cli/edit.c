/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* iface-edit and net-edit: dumpxml --inactive into a temporary file,
 * $EDITOR, define.  The edited file is checked by the same define every
 * other client uses; an invalid edit is never saved. */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "cli.h"
#include "macro.h"

typedef struct edit_kind {
        const char *verb, *dump, *define, *noun; /* "iface-edit", ..., "Interface" */
} edit_kind;

static const edit_kind iface_kind = {"iface-edit", "iface-dumpxml", "iface-define", "Interface"};
static const edit_kind net_kind = {"net-edit", "net-dumpxml", "net-define", "Network"};

static const char *editor(void) {
        const char *e = getenv("EDITOR");
        if (isempty(e))
                e = getenv("VISUAL");
        return isempty(e) ? "vi" : e;
}

/* Through the shell, as EDITOR may carry arguments ("emacs -nw"). */
static int run_editor(const edit_kind *k, const char *path) {
        const char *ed = editor();
        _cleanup_free_ char *script = kn_xasprintf("%s \"$1\"", ed);
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                execl("/bin/sh", "sh", "-c", script, "sh", path, (char *) NULL);
                _exit(127);
        }
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return 0;
        if (WIFEXITED(status))
                cli_error("%s: editor '%s' exited with status %d; nothing saved", k->verb, ed,
                          WEXITSTATUS(status));
        else
                cli_error("%s: editor '%s' was killed by signal %d; nothing saved", k->verb, ed,
                          WTERMSIG(status));
        return -ECANCELED;
}

static int write_file(int fd, const char *s, size_t len) {
        while (len > 0) {
                ssize_t n = write(fd, s, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                s += n;
                len -= (size_t) n;
        }
        return 0;
}

static int read_file(const char *path, char **ret) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        if (!f)
                return -errno;
        kn_strbuf b = {0};
        char buf[8192];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0)
                kn_strbuf_putn(&b, buf, n);
        if (ferror(f)) {
                kn_strbuf_done(&b);
                return -EIO;
        }
        *ret = kn_strbuf_steal(&b);
        return 0;
}

/* Ask on the terminal; anything but yes is no. */
static bool ask_again(void) {
        if (!isatty(STDIN_FILENO))
                return false;
        for (;;) {
                fputs("Edit again? [y/n]: ", stdout);
                fflush(stdout);
                char buf[64];
                if (!fgets(buf, sizeof buf, stdin))
                        return false;
                if (buf[0] == 'y' || buf[0] == 'Y')
                        return true;
                if (buf[0] == 'n' || buf[0] == 'N')
                        return false;
        }
}

static int edit_loop(const edit_kind *k, const cli_cmd *cmd, cli_conn *c, const char *path,
                     const char *orig) {
        const char *name = cmd->pos[0];
        for (;;) {
                _cleanup_json_ json_object *reply = NULL;
                _cleanup_free_ char *xml = NULL;
                int r;

                if (run_editor(k, path) < 0)
                        return KN_EXIT_FAILED;
                r = read_file(path, &xml);
                if (r < 0) {
                        cli_error("%s: cannot read back %s: %s", k->verb, path, strerror(-r));
                        return KN_EXIT_FAILED;
                }
                if (streq(xml, orig)) {
                        printf("%s %s XML configuration not changed.\n", k->noun, name);
                        return KN_EXIT_OK;
                }
                json_object *args = json_object_new_object();
                json_object_object_add(args, "xml", json_object_new_string(xml));
                json_object_object_add(args, "source", json_object_new_string(path));
                r = cli_conn_call(c, k->define, args, &reply);
                if (r != 0)
                        return r;
                json_object *result = cli_reply_result(c, k->define, reply);
                if (result) {
                        json_object *o;
                        const char *defined = json_object_object_get_ex(result, "name", &o)
                                                      ? json_object_get_string(o)
                                                      : name;
                        printf("%s %s XML configuration edited.\n", k->noun, defined);
                        return KN_EXIT_OK;
                }
                if (!ask_again()) {
                        cli_error("%s: %s not changed", k->verb, name);
                        return KN_EXIT_FAILED;
                }
        }
}

static int edit(const edit_kind *k, const cli_cmd *cmd, cli_conn *c) {
        _cleanup_json_ json_object *reply = NULL;
        const char *name = cmd->pos[0];
        int r;

        json_object *args = json_object_new_object();
        json_object_object_add(args, "name", json_object_new_string(name));
        json_object_object_add(args, "inactive", json_object_new_boolean(true));
        r = cli_conn_call(c, k->dump, args, &reply);
        if (r != 0)
                return r;
        json_object *result = cli_reply_result(c, k->dump, reply), *o;
        if (!result)
                return c->reply_exit;
        if (!json_object_object_get_ex(result, "xml", &o) ||
            !json_object_is_type(o, json_type_string)) {
                cli_error("%s: the reply carries no XML", k->verb);
                return KN_EXIT_CONNECT;
        }
        const char *orig = json_object_get_string(o);

        /* The name went through the daemon's name check: no '/' in it. */
        const char *tmp = getenv("TMPDIR");
        _cleanup_free_ char *path =
                kn_xasprintf("%s/kvmnet-%s-XXXXXX.xml", isempty(tmp) ? "/tmp" : tmp, name);
        _cleanup_close_ int fd = mkstemps(path, 4);
        if (fd < 0) {
                cli_error("%s: cannot create a temporary file %s: %m", k->verb, path);
                return KN_EXIT_FAILED;
        }
        r = write_file(fd, orig, strlen(orig));
        if (r < 0) {
                cli_error("%s: cannot write %s: %s", k->verb, path, strerror(-r));
                unlink(path);
                return KN_EXIT_FAILED;
        }
        close(TAKE_FD(fd));
        r = edit_loop(k, cmd, c, path, orig);
        unlink(path);
        return r;
}

int cli_iface_edit(const cli_cmd *cmd, cli_conn *c) {
        return edit(&iface_kind, cmd, c);
}

int cli_net_edit(const cli_cmd *cmd, cli_conn *c) {
        return edit(&net_kind, cmd, c);
}
