/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kvmnet: virsh's interface verbs, against kvmnetd or, with --root, on a
 * configuration root and a network namespace in-process.  Options, single
 * commands, batch mode. */
#include <getopt.h>
#include <poll.h>

#include "cli.h"
#include "macro.h"

#ifndef KN_VERSION
#define KN_VERSION "unknown"
#endif

/* How many batch requests may be in flight before kvmnet waits for a
 * reply; enough to hide the round trip. */
#define BATCH_WINDOW 64

/* Batch input: lines of fd 0, read without stdio so that kvmnet can tell
 * whether more input is already there. */
typedef struct reader {
        kn_strbuf buf;
        size_t start;
        bool eof;
} reader;

enum { LINE_OK, LINE_EOF, LINE_WOULD_BLOCK };

static int reader_next(reader *rd, bool may_block, char **line) {
        for (;;) {
                char *base = rd->buf.s ? rd->buf.s + rd->start : NULL;
                size_t avail = rd->buf.len - rd->start;
                char *nl = base ? memchr(base, '\n', avail) : NULL;
                if (nl || (rd->eof && avail > 0)) {
                        size_t len = nl ? (size_t) (nl - base) : avail;
                        *line = kn_xstrndup(base, len);
                        rd->start += nl ? len + 1 : len;
                        return LINE_OK;
                }
                if (rd->eof)
                        return LINE_EOF;
                if (rd->start > 0) {
                        memmove(rd->buf.s, rd->buf.s + rd->start, avail);
                        rd->buf.len = avail;
                        rd->start = 0;
                }
                if (!may_block) {
                        struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
                        if (poll(&p, 1, 0) == 0)
                                return LINE_WOULD_BLOCK;
                }
                char chunk[65536];
                ssize_t n = read(STDIN_FILENO, chunk, sizeof chunk);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        rd->eof = true;
                else
                        kn_strbuf_putn(&rd->buf, chunk, (size_t) n);
        }
}

/* Shell-like words: blanks separate, '…' is literal, "…" and \ escape,
 * '#' at the start of a word comments out the rest. */
static int split_words(const char *line, char ***ret, int *ret_n, const char **err) {
        char **v = NULL;
        size_t n = 0, alloc = 0;
        const char *p = line;

        for (;;) {
                while (*p == ' ' || *p == '\t' || *p == '\r')
                        p++;
                if (!*p || *p == '#')
                        break;
                kn_strbuf w = {0};
                kn_strbuf_putn(&w, "", 0);
                while (*p && *p != ' ' && *p != '\t' && *p != '\r') {
                        char q = *p;
                        if (q == '\'' || q == '"') {
                                const char *end = p + 1;
                                while (*end && *end != q) {
                                        if (q == '"' && *end == '\\' && end[1])
                                                end++;
                                        kn_strbuf_putc(&w, *end++);
                                }
                                if (*end != q) {
                                        *err = "unterminated quote";
                                        kn_strbuf_done(&w);
                                        goto fail;
                                }
                                p = end + 1;
                        } else if (q == '\\' && p[1]) {
                                kn_strbuf_putc(&w, p[1]);
                                p += 2;
                        } else
                                kn_strbuf_putc(&w, *p++);
                }
                GREEDY_REALLOC(v, alloc, n + 2);
                v[n++] = kn_strbuf_steal(&w);
                v[n] = NULL;
        }
        *ret = v;
        *ret_n = (int) n;
        return 0;
fail:
        kn_strv_free(v, n);
        return -EINVAL;
}

/* One batch command: sent to the daemon, or done locally (an error in the
 * line, help) with its output kept until the replies before it are out. */
typedef struct job {
        char **argv;
        int argc;
        cli_cmd cmd;
        bool sent;
        unsigned lineno;
        int code;        /* exit code of local work */
        char *out, *err; /* what local work printed */
} job;

static void job_done(job *j) {
        kn_strv_free(j->argv, (size_t) j->argc);
        free(j->out);
        free(j->err);
}

static void job_prepare(job *j, cli_conn *c, unsigned lineno, char *line) {
        size_t out_len, err_len;
        FILE *out = open_memstream(&j->out, &out_len);
        FILE *err = open_memstream(&j->err, &err_len);
        FILE *saved_err = cli_err;
        if (!out || !err)
                abort();
        cli_out = out;
        cli_err = err;
        cli_json_reset();

        const char *why = NULL;
        j->lineno = lineno;
        snprintf(cli_context, sizeof cli_context, "line %u", lineno);
        j->cmd.json = cli_json_all; /* until the line is parsed */
        if (split_words(line, &j->argv, &j->argc, &why) < 0) {
                cli_error("%s", why);
                j->code = KN_EXIT_USAGE;
        } else if (j->argc == 0) {
                j->code = KN_EXIT_OK;
        } else {
                j->code = cli_cmd_parse(&j->cmd, j->argc, j->argv, true);
                if (j->code == -1) /* --help */
                        j->code = KN_EXIT_OK;
                else if (j->code != 0)
                        ;
                else if (j->cmd.verb->local)
                        j->code = j->cmd.verb->run(&j->cmd, c);
                else {
                        json_object *args = NULL;
                        j->code = j->cmd.verb->build(&j->cmd, &args);
                        if (j->code == 0)
                                j->code = cli_conn_send(c, cli_verb_request(j->cmd.verb), args);
                        else
                                json_object_put(args); /* built before the bad value */
                        j->sent = j->code == 0;
                }
        }
        fflush(err);
        if (j->cmd.json && !j->sent) {
                /* The error of this line as its JSON line, in its place. */
                cli_json_local_error(j->err, j->code); /* to cli_out */
        }
        fclose(out);
        fclose(err);
        cli_out = stdout;
        cli_err = saved_err;
        cli_context[0] = '\0';
}

/* Print the oldest job's outcome; returns its exit code. */
static int job_finish_one(job *j, cli_conn *c) {
        if (!j->sent) {
                fputs(j->out, stdout);
                if (*j->err) {
                        fflush(stdout);
                        fputs(j->err, stderr);
                }
                return j->code;
        }
        _cleanup_json_ json_object *reply = NULL;
        int r = cli_conn_recv(c, &reply);
        if (r != 0)
                return r;
        return cli_cmd_print_reply(&j->cmd, c, reply);
}

static int job_finish(job *j, cli_conn *c) {
        int r;
        snprintf(cli_context, sizeof cli_context, "line %u", j->lineno);
        cli_json_reset();
        r = job_finish_one(j, c);
        if (j->sent && j->cmd.json)
                cli_json_local_error(NULL, r);
        cli_context[0] = '\0';
        return r;
}

/* Finish and drop the oldest job, q[*head]; the first failure is the exit
 * code.  Returns true when the connection is lost. */
static bool job_finish_head(job *q, size_t *head, cli_conn *c, int *ret) {
        int code = job_finish(&q[*head], c);
        job_done(&q[(*head)++]);
        if (code != 0 && *ret == 0)
                *ret = code;
        return code == KN_EXIT_CONNECT;
}

/* Commands from stdin, in order, on one connection.  Requests are sent
 * ahead of the replies (up to BATCH_WINDOW), but never while kvmnet would
 * wait for input: a caller feeding one command at a time still gets each
 * answer before it sends the next. */
static int run_batch(cli_conn *c) {
        reader rd = {0};
        cli_json_compact = true; /* NDJSON: one reply per line */
        job *q = NULL;
        size_t alloc = 0, head = 0, tail = 0;
        unsigned lineno = 0;
        int ret = KN_EXIT_OK;
        bool lost = false;

        for (;;) {
                bool pending = tail > head;
                char *line = NULL;
                int r = reader_next(&rd, !pending, &line);
                if (r == LINE_EOF)
                        break;
                if (r == LINE_WOULD_BLOCK) {
                        lost = job_finish_head(q, &head, c, &ret);
                        if (lost)
                                break;
                        continue;
                }
                lineno++;
                if (head == tail)
                        head = tail = 0;
                else if (head >= 1024) {
                        memmove(q, q + head, (tail - head) * sizeof *q);
                        tail -= head;
                        head = 0;
                }
                GREEDY_REALLOC(q, alloc, tail + 1);
                q[tail] = (job){0};
                job_prepare(&q[tail++], c, lineno, line);
                free(line);

                /* Offline, replies are there at once; on a socket, wait only
                 * once the window is full. */
                while (tail > head &&
                       (c->offline || !q[head].sent || c->outstanding >= BATCH_WINDOW)) {
                        lost = job_finish_head(q, &head, c, &ret);
                        if (lost)
                                break;
                }
                if (lost)
                        break;
        }
        while (tail > head) {
                if (lost)
                        job_done(&q[head++]);
                else
                        lost = job_finish_head(q, &head, c, &ret);
        }
        free(q);
        kn_strbuf_done(&rd.buf);
        return lost ? KN_EXIT_CONNECT : ret;
}

/* The command's exit code; with --json its error, if any, as JSON too. */
static int finish(bool json, int r) {
        if (json)
                cli_json_local_error(NULL, r);
        return r;
}

int main(int argc, char **argv) {
        enum { ARG_ROOT = 0x100, ARG_BACKEND, ARG_NETNS, ARG_STATE, ARG_JSON };
        static const struct option longopts[] = {
                {"connect", required_argument, NULL, 'c'},
                {"root", required_argument, NULL, ARG_ROOT},
                {"backend", required_argument, NULL, ARG_BACKEND},
                {"netns", required_argument, NULL, ARG_NETNS},
                {"state-dir", required_argument, NULL, ARG_STATE},
                {"json", no_argument, NULL, ARG_JSON},
                {"help", no_argument, NULL, 'h'},
                {"version", no_argument, NULL, 'V'},
                {},
        };
        cli_options o = {0};
        cli_conn c;
        int opt, r;

        cli_times.start = cli_now_us();
        cli_out = stdout;
        cli_err = stderr;
        /* What goes to stderr is kept too: --json prints the error again,
         * as JSON on stdout. */
        cli_json_capture();
        /* "+": options after the verb are the verb's. */
        while ((opt = getopt_long(argc, argv, "+c:hV", longopts, NULL)) >= 0) {
                switch (opt) {
                case 'c': o.uri = optarg; break;
                case ARG_ROOT: o.root = optarg; break;
                case ARG_BACKEND: o.backend = optarg; break;
                case ARG_NETNS: o.netns = optarg; break;
                case ARG_STATE: o.state_dir = optarg; break;
                case ARG_JSON: cli_json_all = true; break;
                case 'h': cli_help(stdout); return KN_EXIT_OK;
                case 'V': printf("kvmnet %s\n", KN_VERSION); return KN_EXIT_OK;
                default: fputs("Try 'kvmnet --help'.\n", stderr); return KN_EXIT_USAGE;
                }
        }
        if (o.root && o.uri) {
                cli_error("--root works on files without a daemon; it cannot go with "
                          "--connect");
                return finish(cli_json_all, KN_EXIT_USAGE);
        }
        if (o.backend && !o.root) {
                cli_error("--backend needs --root (the daemon chooses its own backend)");
                return finish(cli_json_all, KN_EXIT_USAGE);
        }
        if (o.netns && !o.root) {
                cli_error("--netns needs --root (the daemon serves the namespace it was started "
                          "with: kvmnetd --netns)");
                return finish(cli_json_all, KN_EXIT_USAGE);
        }
        if (o.state_dir && !o.root) {
                cli_error("--state-dir needs --root (the daemon keeps its own state)");
                return finish(cli_json_all, KN_EXIT_USAGE);
        }
        if (!o.uri && !o.root && !isempty(getenv("KVMNET_URI")))
                o.uri = getenv("KVMNET_URI");

        if (optind == argc) {
                if (isatty(STDIN_FILENO)) {
                        cli_error("no verb given (see kvmnet --help)");
                        return finish(cli_json_all, KN_EXIT_USAGE);
                }
                r = cli_conn_open(&c, &o);
                if (r != 0)
                        return finish(cli_json_all, r);
                /* A batch is many requests: the greeting before any input
                 * is read, so a refusal stops it before it starts. */
                r = cli_conn_check(&c);
                r = r == 0 ? run_batch(&c) : finish(cli_json_all, r);
                cli_conn_close(&c);
                return r;
        }

        cli_cmd cmd;
        r = cli_cmd_parse(&cmd, argc - optind, argv + optind, false);
        if (r == -1)
                return KN_EXIT_OK;
        if (r != 0)
                return finish(cmd.json, r);
        if (cmd.verb->local)
                return cmd.verb->run(&cmd, NULL);
        r = cli_conn_open(&c, &o);
        if (r != 0) {
                cli_cmd_unconnected(&cmd, r);
                return finish(cmd.json, r);
        }
        r = cli_cmd_run(&cmd, &c);
        cli_conn_close(&c);
        if (fflush(stdout) != 0 && r == 0) {
                cli_error("cannot write the output: %m");
                r = KN_EXIT_FAILED;
        }
        return finish(cmd.json, r);
}
