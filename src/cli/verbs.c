/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What every verb shares: the command line parsed against a verb's flags,
 * the request sent and its reply printed (cli_cmd_run), help texts, the
 * helpers the verb tables use (durations, XML files, names), and the verbs
 * about kvmnet itself (event, version, proxy, help).  The tables of the
 * verbs that do things: iface-verbs.c, txn-verbs.c, guest-verbs.c,
 * net-verbs.c. */
#include <fcntl.h>
#include <inttypes.h>
#include <unistd.h>

#include "cli.h"
#include "macro.h"
#include "seconds.h"
#include "suggest.h"

#ifndef KN_VERSION
#define KN_VERSION "unknown"
#endif

bool cli_cmd_flag(const cli_cmd *cmd, const char *flag) {
        for (unsigned k = 0; cmd->verb->flags && cmd->verb->flags[k]; k++)
                if (streq(cmd->verb->flags[k], flag))
                        return cmd->flags & (1u << k);
        return false;
}

const char *cli_cmd_value(const cli_cmd *cmd, const char *flag) {
        for (unsigned k = 0; cmd->verb->flags && cmd->verb->flags[k]; k++)
                if (streq(cmd->verb->flags[k], flag))
                        return cmd->values[k];
        return NULL;
}

const char *cli_cmd_values(const cli_cmd *cmd, const char *flag, unsigned n) {
        for (unsigned k = 0; k < cmd->n_given; k++)
                if (streq(cmd->verb->flags[cmd->given[k].flag], flag) && n-- == 0)
                        return cmd->given[k].value;
        return NULL;
}

const char *cli_json_str(json_object *o, const char *key) {
        json_object *v;
        if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
                return NULL;
        return json_object_get_string(v);
}

int cli_build_none(const cli_cmd *cmd, json_object **args) {
        *args = json_object_new_object();
        return KN_EXIT_OK;
}

json_object *cli_args_name(const cli_cmd *cmd) {
        json_object *args = json_object_new_object();
        json_object_object_add(args, "name", json_object_new_string(cmd->pos[0]));
        return args;
}

int cli_build_name(const cli_cmd *cmd, json_object **args) {
        *args = cli_args_name(cmd);
        return KN_EXIT_OK;
}

int cli_print_json(json_object *result) {
        /* Batch mode prints NDJSON: one reply per line. */
        int how = cli_json_compact ? JSON_C_TO_STRING_PLAIN
                                   : JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED;
        fputs(json_object_to_json_string_ext(result, how | JSON_C_TO_STRING_NOSLASHESCAPE),
              cli_out);
        fputc('\n', cli_out);
        return KN_EXIT_OK;
}

/* Reading XML documents (iface-, guest-, net-define ...) */

static int read_all(int fd, char **ret, size_t *ret_len) {
        kn_strbuf b = {0};
        for (;;) {
                char buf[65536];
                ssize_t n = read(fd, buf, sizeof buf);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        int r = -errno;
                        kn_strbuf_done(&b);
                        return r;
                }
                if (n == 0)
                        break;
                kn_strbuf_putn(&b, buf, (size_t) n);
        }
        *ret_len = b.len;
        *ret = kn_strbuf_steal(&b);
        return 0;
}

int cli_read_xml(const char *verb, const cli_cmd *cmd, const char *file, char **ret,
                 size_t *ret_len) {
        const char *shown = streq(file, "-") ? "standard input" : file;
        _cleanup_free_ char *xml = NULL;
        size_t len = 0;
        int r;
        if (streq(file, "-")) {
                if (cmd->batch) {
                        cli_error("%s -: standard input carries the batch commands; give a file "
                                  "name",
                                  verb);
                        return KN_EXIT_USAGE;
                }
                r = read_all(STDIN_FILENO, &xml, &len);
        } else {
                _cleanup_close_ int fd = open(file, O_RDONLY | O_CLOEXEC);
                r = fd < 0 ? -errno : read_all(fd, &xml, &len);
        }
        if (r < 0) {
                cli_error("%s: cannot read %s: %s", verb, shown, strerror(-r));
                return KN_EXIT_FAILED;
        }
        if (strlen(xml) != len) {
                cli_error("%s: %s contains a NUL byte; it is not an XML document", verb, shown);
                return KN_EXIT_FAILED;
        }
        *ret = TAKE_PTR(xml);
        if (ret_len)
                *ret_len = len;
        return KN_EXIT_OK;
}

/* help */

static int run_help(const cli_cmd *cmd, cli_conn *c) {
        if (cli_cmd_flag(cmd, "--list")) {
                /* For scripts and tests/cli/docs.sh: every verb, one per
                 * line. */
                for (const cli_verb *const *t = cli_verb_tables(); *t; t++)
                        for (const cli_verb *v = *t; v->name; v++)
                                fprintf(cli_out, "%s\n", v->name);
                return KN_EXIT_OK;
        }
        if (cmd->n_pos == 0) {
                cli_help(cli_out);
                return KN_EXIT_OK;
        }
        const cli_verb *v = cli_verb_find(cmd->pos[0]);
        if (!v) {
                const char *near = cli_verb_suggest(cmd->pos[0]);
                if (near)
                        cli_error("help: unknown verb '%s' (did you mean '%s'?)", cmd->pos[0],
                                  near);
                else
                        cli_error("help: unknown verb '%s' (see kvmnet help)", cmd->pos[0]);
                return KN_EXIT_USAGE;
        }
        cli_verb_help(cli_out, v);
        return KN_EXIT_OK;
}

/* A year: more is a typo, and would overflow the daemon's milliseconds. */
#define SECONDS_MAX (366.0 * 24 * 3600)

int cli_parse_seconds(const char *verb, const char *flag, const char *s, double *ret) {
        if (kn_parse_seconds(s, SECONDS_MAX, ret) < 0) {
                cli_error("%s: %s '%s' is not a number of seconds (0 and up, decimals allowed: "
                          "2.5)",
                          verb, flag, s ? s : "");
                return KN_EXIT_USAGE;
        }
        return KN_EXIT_OK;
}

int cli_put_seconds(const cli_cmd *cmd, const char *flag, const char *key, json_object *args) {
        const char *v = cli_cmd_value(cmd, flag);
        double d;
        if (!v)
                return KN_EXIT_OK;
        int r = cli_parse_seconds(cmd->verb->name, flag, v, &d);
        if (r)
                return r;
        json_object_object_add(args, key, json_object_new_double(d));
        return KN_EXIT_OK;
}

int cli_put_timeout(const cli_cmd *cmd, json_object *args) {
        const char *v = cli_cmd_value(cmd, "--timeout");
        double secs;
        if (!v)
                return KN_EXIT_OK;
        int r = cli_parse_seconds(cmd->verb->name, "--timeout", v, &secs);
        if (r)
                return r;
        if (secs > 3600) {
                cli_error("%s: --timeout '%s' is more than an hour (3600 seconds)", cmd->verb->name,
                          v);
                return KN_EXIT_USAGE;
        }
        json_object_object_add(args, "timeout_ms", json_object_new_int((int) (secs * 1000 + 0.5)));
        return KN_EXIT_OK;
}

static const char *const flags_event[] = {"--loop", "--json", "--timeout", "--timestamp",
                                          "--type", "--op",   NULL};
static const char *const help_event[] = {
        "print events until interrupted, not just the first",
        "print each event as the daemon's JSON line",
        "give up after SECONDS, decimals allowed (exit 8 if no event came; with --loop exit 0)",
        "start each line with the time the daemon saw the event (UTC, ms)",
        "only events of TYPE (link, iface, txn, guest-nic, ...; repeat for several)",
        "only events caused by operation ID (the \"op\" of a change's --json reply)",
        NULL,
};
static const char *const args_event[] = {NULL, NULL, "SECONDS", NULL, "TYPE", "ID", NULL};
static const char *const flags_help[] = {"--list", NULL};
static const char *const help_help[] = {"list every verb, one per line", NULL};
static const char *const flags_version[] = {"--json", NULL};
static const char *const help_version[] = {
        "print {\"client\": {\"version\": ...}, \"server\": hello's result} as JSON", NULL};

static int build_no_args(const cli_cmd *cmd, json_object **args) {
        *args = NULL;
        return KN_EXIT_OK;
}

/* version: hello's result says who answers. */
static bool printing_offline; /* cli_cmd_print_reply(): the reply is in-process */

static void print_client_version(void) {
        printf("Compiled against library: kvmnet %s\n", KN_VERSION);
}

static int print_version(const cli_cmd *cmd, json_object *result) {
        const char *v = cli_json_str(result, "version");
        if (cmd->json) {
                _cleanup_json_ json_object *o = json_object_new_object();
                json_object *client = json_object_new_object();
                json_object_object_add(client, "version", json_object_new_string(KN_VERSION));
                json_object_object_add(o, "client", client);
                json_object_object_add(o, "server", json_object_get(result));
                return cli_print_json(o);
        }
        print_client_version();
        /* A daemon before the version was in hello: say so, not "unknown". */
        if (printing_offline)
                printf("Running in-process (--root): kvmnet %s\n", v ? v : "?");
        else
                printf("Running against daemon: kvmnet %s\n", v ? v : "(too old to say)");
        return KN_EXIT_OK;
}

void cli_cmd_unconnected(const cli_cmd *cmd, int r) {
        /* What kvmnet knows without a daemon is still worth printing. */
        if (cmd->verb && streq(cmd->verb->name, "version") && !cmd->json)
                print_client_version();
}

static const char *const flags_proxy[] = {"--socket", NULL};
static const char *const help_proxy[] = {"kvmnetd's socket (default: as kvmnet's own)", NULL};
static const char *const args_proxy[] = {"PATH", NULL};
const cli_verb cli_verbs[] = {
        {
                .name = "event",
                .args_synopsis = "[--loop] [--json] [--timeout SECONDS] [--timestamp] "
                                 "[--type TYPE]... [--op ID]",
                .summary = "print events: links, addresses, routes, changes made",
                .description = "Subscribes to the daemon's events and prints them as they "
                               "happen: without --loop the first one, then exits (as virsh "
                               "event). A change made through kvmnetd has an operation id "
                               "(\"op\" in its --json output); the events it caused carry "
                               "it. Needs kvmnetd; not available in batch mode.",
                .flags = flags_event,
                .flag_help = help_event,
                .flag_args = args_event,
                .run = cli_event,
                .interactive = true,
        },
        {
                .name = "version",
                .args_synopsis = "[--json]",
                .summary = "show the versions of kvmnet and of the daemon",
                .description = "Prints the version kvmnet was built as and that of the kvmnetd "
                               "it is connected to (its hello reply), or of the library "
                               "in-process with --root. Without a daemon it prints its own "
                               "and fails with exit code 3. 'kvmnet --version' prints only "
                               "its own, without connecting.",
                .flags = flags_version,
                .flag_help = help_version,
                .build = build_no_args,
                .print = print_version,
                .request = "hello",
        },
        {
                .name = "proxy",
                .args_synopsis = "[--socket PATH]",
                .summary = "join stdin and stdout to kvmnetd (what -c ssh:// runs there)",
                .description = "Joins standard input and output to kvmnetd's socket: PATH, else "
                               "the read-write socket, falling back to the read-only one when "
                               "refused, as kvmnet does itself. kvmnet -c ssh://HOST runs it "
                               "on HOST through ssh (docs/remote.md).",
                .flags = flags_proxy,
                .flag_help = help_proxy,
                .flag_args = args_proxy,
                .run = cli_proxy,
                .interactive = true,
                .local = true,
        },
        {
                .name = "help",
                .args_synopsis = "[VERB] [--list]",
                .summary = "show help, for all verbs or one",
                .description = "Without VERB lists the verbs; with VERB describes it. --list "
                               "prints every verb name, one per line.",
                .flags = flags_help,
                .flag_help = help_help,
                .n_pos = 1, /* at most */
                .run = run_help,
                .local = true,
        },
        {},
};

static const cli_verb *const verb_tables[] = {cli_iface_verbs, cli_verbs,     cli_txn_verbs,
                                              cli_guest_verbs, cli_net_verbs, NULL};

const cli_verb *const *cli_verb_tables(void) {
        return verb_tables;
}

const char *cli_verb_request(const cli_verb *v) {
        return v->request ? v->request : v->name;
}

static bool verb_has_flag(const cli_verb *v, const char *flag) {
        for (size_t k = 0; v->flags && v->flags[k]; k++)
                if (streq(v->flags[k], flag))
                        return true;
        return false;
}

bool cli_verb_takes_json(const cli_verb *v) {
        /* Every verb that prints a reply; help and the editors print none. */
        return verb_has_flag(v, "--json") || (!v->local && !v->interactive);
}

const char *cli_suggest(const char *name, const char *const *candidates) {
        kn_suggest s;
        kn_suggest_init(&s, name);
        for (size_t k = 0; candidates && candidates[k]; k++)
                kn_suggest_add(&s, candidates[k]);
        return kn_suggest_result(&s);
}

const char *cli_verb_suggest(const char *name) {
        kn_suggest s;
        kn_suggest_init(&s, name);
        for (const cli_verb *const *t = verb_tables; *t; t++)
                for (const cli_verb *v = *t; v->name; v++)
                        kn_suggest_add(&s, v->name);
        return kn_suggest_result(&s);
}

const cli_verb *cli_verb_find(const char *name) {
        for (const cli_verb *const *t = verb_tables; *t; t++)
                for (const cli_verb *v = *t; v->name; v++)
                        if (streq(v->name, name))
                                return v;
        return NULL;
}

void cli_help(FILE *f) {
        fprintf(f,
                "Usage: kvmnet [-c URI | --root DIR [--backend NAME] [--netns NAME]\n"
                "              [--state-dir DIR]] [--json] VERB [ARG...]\n"
                "       kvmnet [-c URI | --root DIR ...] [--json] < COMMANDS\n"
                "Manage the host's network interfaces, configured and live, through\n"
                "kvmnetd, or directly on a configuration root and network namespace.\n\n"
                "Options:\n"
                "  -c, --connect URI  daemon to talk to: unix:///PATH (default $KVMNET_URI,\n"
                "                     else unix://%s, falling back to\n"
                "                     unix://%s when refused;\n"
                "                     $KVMNET_RUN_DIR replaces %s there), or\n"
                "                     ssh://[USER@]HOST[:PORT][/PATH][?PARAM=VALUE&...]:\n"
                "                     kvmnet proxy on HOST through ssh (docs/remote.md)\n"
                "  --root DIR         no daemon: work on the files under DIR, and\n"
                "                     nothing else (no live state without --netns)\n"
                "  --backend NAME     with --root: ifupdown, ifcfg, networkd or\n"
                "                     nmkeyfile (default: detected)\n"
                "  --netns NAME       with --root: the network namespace whose live\n"
                "                     interfaces to use (a name or a path; default:\n"
                "                     none, live verbs are refused)\n"
                "  --state-dir DIR    with --root: where journals go (default\n"
                "                     DIR/var/lib/kvmnet of the --root DIR)\n"
                "  --json             every command as with --json: results and errors\n"
                "                     as JSON on stdout (batch mode: one per line)\n"
                "  -h, --help         show this help\n"
                "  -V, --version      show the version\n\n"
                "Verbs:\n",
                KN_SOCKET_PATH, KN_SOCKET_RO_PATH, KN_RUN_DIR);
        for (const cli_verb *const *t = verb_tables; *t; t++)
                for (const cli_verb *v = *t; v->name; v++)
                        fprintf(f, "  %-16s %s\n", v->name, v->summary);
        fprintf(f, "\nWithout a verb, when standard input is not a terminal, kvmnet reads one\n"
                   "command per line (VERB ARG..., '#' starts a comment) and runs them in\n"
                   "order on one connection.\n\n"
                   "Exit codes: 0 ok, 1 the operation failed, 2 usage error, 3 cannot connect\n"
                   "or the connection failed, 4 listed but some files have errors, 5 not\n"
                   "found, 6 refused (read-only, permission), 7 conflict or busy, 8 timeout.\n"
                   "Durations (--timeout, --confirm, --delay) are in seconds, decimals allowed.\n"
                   "'kvmnet help VERB' or 'kvmnet VERB --help' describes a verb.\n");
}

static void wrap(FILE *f, const char *text, int indent, int width) {
        int col = indent;
        fprintf(f, "%*s", indent, "");
        while (*text) {
                size_t n = strcspn(text, " ");
                if (col > indent && col + 1 + (int) n > width) {
                        fprintf(f, "\n%*s", indent, "");
                        col = indent;
                } else if (col > indent) {
                        fputc(' ', f);
                        col++;
                }
                fwrite(text, 1, n, f);
                col += (int) n;
                text += n;
                while (*text == ' ')
                        text++;
        }
        fputc('\n', f);
}

void cli_verb_help(FILE *f, const cli_verb *v) {
        bool generic_json = cli_verb_takes_json(v) && !verb_has_flag(v, "--json");
        fprintf(f, "Usage: kvmnet %s %s\n\n", v->name, v->args_synopsis);
        wrap(f, v->description, 2, 76);
        if (v->flags || generic_json) {
                fputs("\nOptions:\n", f);
                for (size_t k = 0; v->flags && v->flags[k]; k++) {
                        char flag[64];
                        const char *arg = v->flag_args ? v->flag_args[k] : NULL;
                        snprintf(flag, sizeof flag, "%s%s%s", v->flags[k], arg ? " " : "",
                                 arg ? arg : "");
                        fprintf(f, "  %-20s %s\n", flag, v->flag_help[k]);
                }
                if (generic_json)
                        fprintf(f, "  %-20s %s\n", "--json",
                                "print the daemon's result, or the error, as JSON");
        }
}

int cli_cmd_parse(cli_cmd *cmd, int argc, char **argv, bool batch) {
        *cmd = (cli_cmd){.batch = batch, .json = cli_json_all};
        /* Known before anything can fail, so that a usage error is JSON too. */
        for (int k = 1; k < argc && !streq(argv[k], "--"); k++)
                if (streq(argv[k], "--json"))
                        cmd->json = true;
        const cli_verb *v = cli_verb_find(argv[0]);
        if (!v) {
                const char *near = cli_verb_suggest(argv[0]);
                if (near)
                        cli_error("unknown verb '%s' (did you mean '%s'?)", argv[0], near);
                else
                        cli_error("unknown verb '%s' (see kvmnet --help)", argv[0]);
                return KN_EXIT_USAGE;
        }
        if (!cli_verb_takes_json(v))
                cmd->json = false; /* help and the editors print text */
        cmd->verb = v;
        bool options_done = false;
        for (int k = 1; k < argc; k++) {
                const char *a = argv[k];
                if (!options_done && streq(a, "--")) {
                        options_done = true;
                        continue;
                }
                if (!options_done && (streq(a, "--help") || streq(a, "-h"))) {
                        cli_verb_help(cli_out, v);
                        return -1;
                }
                if (!options_done && a[0] == '-' && a[1] != '\0') {
                        const char *eq = strchr(a, '=');
                        size_t len = eq ? (size_t) (eq - a) : strlen(a);
                        unsigned f = 0;
                        while (v->flags && v->flags[f] &&
                               !(strlen(v->flags[f]) == len && strncmp(v->flags[f], a, len) == 0))
                                f++;
                        if ((!v->flags || !v->flags[f]) && streq(a, "--json") &&
                            cli_verb_takes_json(v))
                                continue; /* the generic one: cmd->json */
                        if (!v->flags || !v->flags[f]) {
                                _cleanup_free_ char *opt = kn_xstrndup(a, len);
                                const char *near = cli_suggest(opt, v->flags);
                                if (near)
                                        cli_error("%s: unknown option '%s' (did you mean '%s'?)",
                                                  v->name, opt, near);
                                else
                                        cli_error("%s: unknown option '%s' (see kvmnet %s --help)",
                                                  v->name, opt, v->name);
                                return KN_EXIT_USAGE;
                        }
                        const char *arg = v->flag_args ? v->flag_args[f] : NULL;
                        if (arg && !eq && k + 1 >= argc) {
                                cli_error("%s: option '%s' needs a value (%s)", v->name, a, arg);
                                return KN_EXIT_USAGE;
                        }
                        if (!arg && eq) {
                                cli_error("%s: option '%.*s' takes no value", v->name, (int) len,
                                          a);
                                return KN_EXIT_USAGE;
                        }
                        if (arg) {
                                cmd->values[f] = eq ? eq + 1 : argv[++k];
                                if (cmd->n_given >= ELEMENTSOF(cmd->given)) {
                                        cli_error("%s: too many options with values (at most %zu)",
                                                  v->name, ELEMENTSOF(cmd->given));
                                        return KN_EXIT_USAGE;
                                }
                                cmd->given[cmd->n_given].flag = f;
                                cmd->given[cmd->n_given++].value = cmd->values[f];
                        }
                        cmd->flags |= 1u << f;
                        continue;
                }
                if (cmd->n_pos >= v->n_pos) {
                        cli_error("%s: unexpected argument '%s' (usage: kvmnet %s %s)", v->name, a,
                                  v->name, v->args_synopsis);
                        return KN_EXIT_USAGE;
                }
                cmd->pos[cmd->n_pos++] = a;
        }
        if (cmd->n_pos < v->n_pos && !v->local) {
                cli_error("%s: missing argument (usage: kvmnet %s %s)", v->name, v->name,
                          v->args_synopsis);
                return KN_EXIT_USAGE;
        }
        /* kvmnet --json: the verb's own --json as if given. */
        for (unsigned f = 0; cmd->json && v->flags && v->flags[f]; f++)
                if (streq(v->flags[f], "--json"))
                        cmd->flags |= 1u << f;
        if (batch && v->interactive) {
                cli_error("%s is interactive and not available in batch mode", v->name);
                return KN_EXIT_USAGE;
        }
        return KN_EXIT_OK;
}

int cli_cmd_run(const cli_cmd *cmd, cli_conn *c) {
        _cleanup_json_ json_object *reply = NULL;
        json_object *args = NULL;
        int r;

        if (cmd->verb->run)
                return cmd->verb->run(cmd, c);
        r = cmd->verb->build(cmd, &args);
        if (r != 0) {
                json_object_put(args); /* what was built before the bad value */
                return r;
        }
        /* The message shown meanwhile on a terminal, not for scripts. */
        _cleanup_free_ char *progress = NULL;
        if (cmd->verb->progress && !cmd->json && isatty(STDERR_FILENO))
                progress = kn_xasprintf("%s %s: %s", cmd->verb->name, cmd->pos[0],
                                        cmd->verb->progress);
        c->progress = progress;
        r = cli_conn_call(c, cli_verb_request(cmd->verb), args, &reply);
        c->progress = NULL;
        if (r == KN_EXIT_CONNECT)
                cli_cmd_unconnected(cmd, r);
        if (r != 0)
                return r;
        return cli_cmd_print_reply(cmd, c, reply);
}

int cli_cmd_print_reply(const cli_cmd *cmd, cli_conn *c, json_object *reply) {
        json_object *result = cli_cmd_reply_result(cmd, c, reply);
        if (!result)
                return c->reply_exit;
        /* A verb with a --json of its own prints it its way; the others
         * print the daemon's result as it is. */
        if (cmd->json && !verb_has_flag(cmd->verb, "--json"))
                return cli_print_json(result);
        printing_offline = c->offline != NULL;
        return cmd->verb->print(cmd, result);
}
