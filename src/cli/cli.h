/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The kvmnet CLI's private pieces: the connection (conn.c: daemon socket,
 * ssh to another host's kvmnet proxy (remote.c) or in-process dispatcher,
 * loaded by offline.c), the verbs (verbs.c),
 * iface-edit (edit.c) and the command line and batch mode (kvmnet.c).  The
 * CLI formats requests and replies; what a verb does is the dispatcher's
 * business.  It links json-c and the protocol helpers only: the library
 * itself comes in, for --root, with the offline module. */

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "kvmnet/protocol.h"
#include "strbuf.h"

static inline void json_putp(json_object **o) {
        json_object_put(*o);
}
#define _cleanup_json_ _cleanup_(json_putp)

/* Exit codes (docs/cli.md). */
enum {
        KN_EXIT_OK = 0,
        KN_EXIT_FAILED = 1,    /* the operation failed; the error says why */
        KN_EXIT_USAGE = 2,     /* bad command line */
        KN_EXIT_CONNECT = 3,   /* no daemon, refused, connection lost, bad reply */
        KN_EXIT_PARTIAL = 4,   /* iface-list listed, but some files have errors */
        KN_EXIT_NOT_FOUND = 5, /* no such interface, guest, network, device */
        KN_EXIT_REFUSED = 6,   /* read-only connection, permission, read-only fs */
        KN_EXIT_BUSY = 7,      /* conflict: in use, exists already, one open already */
        KN_EXIT_TIMEOUT = 8,   /* gave up waiting (DHCP, guest, confirm) */
        KN_EXIT_UNDONE = 9,    /* failed partway; the steps done were undone */
};

/* The exit code for a daemon's error reply: its errno-style code, in the
 * one table of the CLI (docs/cli.md "Exit codes"). */
int cli_exit_for_errno(int code);
/* The same for a whole error reply: a failure whose error lists steps
 * done and undone ("undone") is KN_EXIT_UNDONE where its code alone would
 * give KN_EXIT_FAILED. */
int cli_exit_for_reply(json_object *reply, int code);

typedef struct cli_options {
        const char *uri;  /* -c/--connect, else $KVMNET_URI, else NULL */
        const char *root; /* --root: offline mode */
        const char *backend;
        const char *netns;     /* offline: the network namespace */
        const char *state_dir; /* offline: where journals go */
} cli_options;

struct kn_offline;
struct kn_offline_vtable;

typedef struct cli_conn {
        /* Offline mode: the dispatcher in-process, through the module. */
        const struct kn_offline_vtable *offline_ops;
        struct kn_offline *offline;
        json_object **replies; /* offline: replies not yet received */
        size_t n_replies, first_reply, alloc_replies;

        int fd;        /* daemon mode: the socket, or ours of a socketpair with ssh */
        pid_t ssh_pid; /* ssh:// (remote.c): the ssh carrying the connection, else 0 */
        char *where;   /* "unix:///path", "ssh://host" or "root DIR" for messages */
        bool read_only, fell_back;
        char *fallback_reason;
        /* hello goes out with the first requests; its reply is read before
         * theirs.  Until then the lines sent are kept in replay, to send
         * again on fallback_path (the read-only socket) if the daemon
         * refuses the caller. */
        bool hello_pending;
        char *fallback_path;
        kn_strbuf replay;
        unsigned long replay_first_id;
        size_t replay_n;
        kn_strbuf in, out;
        size_t in_start, out_sent;
        unsigned long next_id, expect_id;
        size_t outstanding;
        bool quiet; /* recv: keep failures in last_error, don't print */
        char last_error[512];
        int reply_exit;       /* cli_reply_result(): the exit code of its last error */
        json_object **events; /* event lines received while waiting for a reply */
        size_t n_events, alloc_events;
        /* Set around a request that may take seconds, when stderr is a
         * terminal: cli_conn_recv() shows it and the seconds waited. */
        const char *progress;
} cli_conn;

/* Connects (offline: loads the module and opens the root); for a daemon
 * the greeting is checked with the first reply.  Returns an exit code. */
int cli_conn_open(cli_conn *c, const cli_options *o);
/* Read the greeting's reply now rather than with the first reply (batch
 * mode: before any input is read).  Returns an exit code. */
int cli_conn_check(cli_conn *c);
void cli_conn_close(cli_conn *c);
/* Queue a request (takes ownership of args, may be NULL); replies come back
 * in order through cli_conn_recv().  Both return an exit code. */
int cli_conn_send(cli_conn *c, const char *verb, json_object *args);
int cli_conn_recv(cli_conn *c, json_object **reply);
/* send + recv. */
int cli_conn_call(cli_conn *c, const char *verb, json_object *args, json_object **reply);
/* The next event line (after event-subscribe), waiting up to timeout_ms
 * (< 0: for ever).  Returns an exit code; *event is NULL on timeout. */
int cli_conn_next_event(cli_conn *c, int timeout_ms, json_object **event);

/* The result of a success reply, or NULL after printing "error: ..." for an
 * error reply. */
json_object *cli_reply_result(cli_conn *c, const char *verb, json_object *reply);

/* A parsed command. */
typedef struct cli_verb cli_verb;
typedef struct cli_cmd {
        const cli_verb *verb;
        const char *pos[4];
        unsigned n_pos;
        unsigned flags;         /* bit k: the verb's k-th flag was given */
        const char *values[16]; /* the value of the k-th flag, if it takes one (the last) */
        /* Every value given, in order, for options given more than once
         * (event --type T...): cli_cmd_values(). */
        struct {
                unsigned flag;
                const char *value;
        } given[32];
        unsigned n_given;
        bool batch;
        /* --json (the verb's own flag, any verb's generic one, or kvmnet
         * --json): the result, or the error, as JSON on stdout.  Set as
         * soon as the command line holds it, even if parsing fails. */
        bool json;
} cli_cmd;

/* The n-th value given for flag (repeatable options), NULL past the last. */
const char *cli_cmd_values(const cli_cmd *cmd, const char *flag, unsigned n);

struct cli_verb {
        const char *name;
        const char *args_synopsis;
        const char *summary;
        const char *description;
        const char *const *flags; /* "--all", ... NULL-terminated */
        const char *const *flag_help;
        const char *const *flag_args; /* NULL, or per flag: NULL or the name of its value */
        unsigned n_pos;
        /* Build the request's args; returns an exit code, 0 if fine. */
        int (*build)(const cli_cmd *cmd, json_object **args);
        /* Print a success reply's result; returns an exit code. */
        int (*print)(const cli_cmd *cmd, json_object *result);
        /* For print_done verbs: what the verb did ("started"), printed after
         * the interface or guest. */
        const char *done;
        /* Instead of build/print: runs on its own (iface-edit, help). */
        int (*run)(const cli_cmd *cmd, cli_conn *c);
        bool interactive; /* not in batch mode */
        bool local;       /* needs no connection */
        /* The protocol verb to send, when not the CLI verb's name. */
        const char *request;
        /* What the verb may wait seconds for ("waiting for the guest"),
         * shown on a terminal while it does. */
        const char *progress;
};

extern const cli_verb cli_iface_verbs[]; /* iface-verbs.c */
extern const cli_verb cli_verbs[];       /* verbs.c: event, version, proxy, help */
extern const cli_verb cli_guest_verbs[]; /* guest-verbs.c */
extern const cli_verb cli_txn_verbs[];   /* txn-verbs.c */
extern const cli_verb cli_net_verbs[];   /* net-verbs.c */
const cli_verb *cli_verb_find(const char *name);
bool cli_cmd_flag(const cli_cmd *cmd, const char *flag);
/* FLAG's value as a number of seconds (decimals allowed) into args[key];
 * an exit code (usage) if it is not one. */
/* A member of a reply's result as a string (a number as its text), NULL
 * when absent or null. */
const char *cli_json_str(json_object *o, const char *key);
/* A verb without arguments: an empty args object. */
int cli_build_none(const cli_cmd *cmd, json_object **args);
int cli_put_seconds(const cli_cmd *cmd, const char *flag, const char *key, json_object *args);
/* --timeout SECONDS (at most an hour) into args' "timeout_ms", the
 * protocol's unit. */
int cli_put_timeout(const cli_cmd *cmd, json_object *args);
/* --verbose of a change whose failure lists what it undid. */
#define CLI_VERBOSE_UNDONE_HELP "on failure, also print each step undone (the last done first)"
/* The help of --timeout on the verbs that may wait for a DHCP lease. */
#define CLI_DHCP_TIMEOUT_HELP                                                                      \
        "seconds to wait for a DHCP lease, decimals allowed (default 10; exit 8 when none came)"
/* The value given with a flag that takes one, or NULL. */
const char *cli_cmd_value(const cli_cmd *cmd, const char *flag);

/* Shared by the verb tables: {"name": NAME}, from the first argument. */
json_object *cli_args_name(const cli_cmd *cmd);
int cli_build_name(const cli_cmd *cmd, json_object **args);
/* Print a result as JSON (--json): pretty, or one line in batch mode
 * (cli_json_compact); returns KN_EXIT_OK. */
int cli_print_json(json_object *result);

/* CLOCK_MONOTONIC µs of the CLI's own steps, for --timings: main()
 * entered, the socket connected, the last request sent, its reply read. */
typedef struct cli_timings {
        int64_t start, connected, sent, received;
} cli_timings;
extern cli_timings cli_times;
int64_t cli_now_us(void);
extern bool cli_json_compact;
/* kvmnet --json: every command as if it had --json. */
extern bool cli_json_all;

/* --json errors (json-out.c): {"error": {"code": "ENOENT", "errno": 2,
 * "message": "..."}} on stdout, code the protocol's (an errno name).
 * cli_json_error() prints one; cli_json_error_printed tells whether one was
 * printed since cli_json_reset().  Errors of the CLI itself (usage,
 * connection) were said on stderr through cli_error(); the capture keeps
 * what went there so that cli_json_local_error() can print the first one,
 * with the errno of its exit code's kind (EINVAL usage, ENOTCONN
 * connection, ...). */
void cli_json_error(int code, const char *message);
/* The same with the operation id of the change that failed and the live
 * steps it undid (a JSON array); either may be NULL. */
void cli_json_error_full(int code, const char *message, const char *op, json_object *undone);
void cli_json_reset(void);
extern bool cli_json_error_printed;
/* Make cli_err a stream that writes through to stderr and keeps a copy. */
void cli_json_capture(void);
/* Print the first "error: ..." line of text (NULL: what the capture holds)
 * as a JSON error for exit code r, unless one was printed already or r is
 * not an error (0, 4). */
void cli_json_local_error(const char *text, int r);
/* cli_reply_result(), but an error reply is also printed as JSON when cmd
 * has --json. */
json_object *cli_cmd_reply_result(const cli_cmd *cmd, cli_conn *c, json_object *reply);
/* Seconds (decimals allowed, 0 and up, at most a year), the one parser of
 * every duration option; an exit code (usage) naming verb and flag if
 * s is not one. */
int cli_parse_seconds(const char *verb, const char *flag, const char *s, double *ret);
/* The verb nearest to name (edit distance <= 2), or NULL. */
const char *cli_verb_suggest(const char *name);
/* The same over a NULL-terminated list. */
const char *cli_suggest(const char *name, const char *const *candidates);
/* Called when the connection for cmd could not be made (exit code r). */
void cli_cmd_unconnected(const cli_cmd *cmd, int r);
/* The protocol verb a CLI verb sends. */
const char *cli_verb_request(const cli_verb *v);
/* Does the verb take --json (its own flag or the generic one)? */
bool cli_verb_takes_json(const cli_verb *v);
/* For every verb table in turn (help, help --list, did-you-mean). */
const cli_verb *const *cli_verb_tables(void);

/* Print a reply to cmd through the verb's print (single and batch mode
 * alike): an error reply is printed as such.  Returns an exit code. */
int cli_cmd_print_reply(const cli_cmd *cmd, cli_conn *c, json_object *reply);

/* Parse "VERB ARG..." (argv[0] is the verb); prints usage errors.  Returns
 * an exit code; -1 when the command was --help and is done. */
int cli_cmd_parse(cli_cmd *cmd, int argc, char **argv, bool batch);
/* Run a parsed command on c (single-command mode). */
int cli_cmd_run(const cli_cmd *cmd, cli_conn *c);

void cli_help(FILE *f);
void cli_verb_help(FILE *f, const cli_verb *v);

/* ssh:// (remote.c): whether uri is one; run ssh, c->fd its socketpair,
 * or print the error (an exit code); after the connection failed, why
 * (an exit code); reap ssh once c->fd is closed. */
bool cli_ssh_uri(const char *uri);
int cli_ssh_open(cli_conn *c, const char *uri);
int cli_ssh_failed(cli_conn *c);
void cli_ssh_close(cli_conn *c);
/* kvmnet proxy: standard input and output joined to the daemon's socket. */
int cli_proxy(const cli_cmd *cmd, cli_conn *c);

int cli_iface_edit(const cli_cmd *cmd, cli_conn *c);
int cli_net_edit(const cli_cmd *cmd, cli_conn *c);
int cli_event(const cli_cmd *cmd, cli_conn *c);

/* Where help and errors go: stdout and stderr, except while batch mode
 * reads ahead of the replies it has yet to print. */
extern FILE *cli_out, *cli_err;
/* Put in front of every error (batch mode: "line 7"), "" for none. */
extern char cli_context[64];
_printf_(1, 2) void cli_error(const char *fmt, ...);
/* FILE's content ('-': standard input, refused in batch mode), refused if
 * it holds a NUL byte; errors name verb and file.  Returns an exit code.
 * ret_len may be NULL. */
int cli_read_xml(const char *verb, const cli_cmd *cmd, const char *file, char **ret,
                 size_t *ret_len);
/* The same, as "warning: ..." (nothing failed). */
_printf_(1, 2) void cli_warning(const char *fmt, ...);
