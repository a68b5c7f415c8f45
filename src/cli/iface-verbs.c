/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host interface verbs (virsh's iface-*): their requests and how their
 * replies print.  The transaction and bridge verbs are in txn-verbs.c. */
#include "cli.h"
#include "kvmnet/iface.h"
#include "macro.h"

/* iface-list */

static int build_list(const cli_cmd *cmd, json_object **args) {
        *args = json_object_new_object();
        json_object_object_add(*args, "all", json_object_new_boolean(cli_cmd_flag(cmd, "--all")));
        json_object_object_add(*args, "inactive",
                               json_object_new_boolean(cli_cmd_flag(cmd, "--inactive")));
        return 0;
}

/* One line per FILE:LINE: a backend may report a broken stanza both for
 * the file and for the interface it held; the JSON keeps both. */
static int print_diags(json_object *result) {
        json_object *diags;
        if (!json_object_object_get_ex(result, "diagnostics", &diags) ||
            !json_object_is_type(diags, json_type_array))
                return KN_EXIT_OK;
        size_t n = json_object_array_length(diags), errors = 0;
        const char *prev_file = NULL;
        int64_t prev_line = -1;
        for (size_t k = 0; k < n; k++) {
                json_object *d = json_object_array_get_idx(diags, k), *o;
                const char *file = cli_json_str(d, "file"), *msg = cli_json_str(d, "message");
                int64_t line =
                        json_object_object_get_ex(d, "line", &o) ? json_object_get_int64(o) : 0;
                /* A warning leaves the interface listed: no partial list. */
                bool warning =
                        json_object_object_get_ex(d, "warning", &o) && json_object_get_boolean(o);
                errors += !warning;
                if (line > 0 && line == prev_line && streq_ptr(file, prev_file))
                        continue;
                prev_file = file;
                prev_line = line;
                void (*say)(const char *, ...) = warning ? cli_warning : cli_error;
                if (line > 0)
                        say("%s:%" PRId64 ": %s", file ? file : "?", line, msg ? msg : "?");
                else
                        say("%s: %s", file ? file : "?", msg ? msg : "?");
        }
        return errors > 0 ? KN_EXIT_PARTIAL : KN_EXIT_OK;
}

static int print_list(const cli_cmd *cmd, json_object *result) {
        json_object *list;
        if (cli_cmd_flag(cmd, "--json")) {
                cli_print_json(result);
                return print_diags(result);
        }
        if (!json_object_object_get_ex(result, "interfaces", &list) ||
            !json_object_is_type(list, json_type_array)) {
                cli_error("iface-list: the reply has no interface list");
                return KN_EXIT_CONNECT;
        }
        size_t n = json_object_array_length(list);
        int wname = 4, wstate = 5;
        for (size_t k = 0; k < n; k++) {
                json_object *i = json_object_array_get_idx(list, k);
                const char *name = cli_json_str(i, "name"), *state = cli_json_str(i, "state");
                if (name && (int) strlen(name) > wname)
                        wname = (int) strlen(name);
                if (state && (int) strlen(state) > wstate)
                        wstate = (int) strlen(state);
        }
        /* virsh's three columns, then whether kvmnet has a configuration for
         * it (--all also lists live links nobody configured). */
        printf(" %-*s   %-*s   %-*s   %s\n", wname, "Name", wstate, "State", KN_MAC_STRLEN,
               "MAC Address", "Configured");
        for (int k = 0; k < wname + wstate + KN_MAC_STRLEN + 10 + 1 + 3 * 3; k++)
                putchar('-');
        putchar('\n');
        for (size_t k = 0; k < n; k++) {
                json_object *i = json_object_array_get_idx(list, k), *o;
                const char *name = cli_json_str(i, "name"), *state = cli_json_str(i, "state"),
                           *mac = cli_json_str(i, "mac");
                bool configured = !json_object_object_get_ex(i, "configured", &o) ||
                                  json_object_get_boolean(o);
                printf(" %-*s   %-*s   %-*s   %s\n", wname, name ? name : "?", wstate,
                       state ? state : "?", KN_MAC_STRLEN, mac ? mac : "-",
                       configured ? "yes" : "no");
        }
        putchar('\n');
        /* kvmnet --root without --netns: nothing is active, so the default
         * (active interfaces) lists none. */
        if (json_object_object_get_ex(result, "live", &list) && !json_object_get_boolean(list) &&
            !cli_cmd_flag(cmd, "--all") && !cli_cmd_flag(cmd, "--inactive")) {
                fflush(stdout);
                fputs("note: there is no live state without --netns, so no interface is active; "
                      "iface-list --all lists the configuration\n",
                      cli_err);
        }
        return print_diags(result);
}

/* iface-dumpxml */

static int build_dumpxml(const cli_cmd *cmd, json_object **args) {
        *args = cli_args_name(cmd);
        json_object_object_add(*args, "inactive",
                               json_object_new_boolean(cli_cmd_flag(cmd, "--inactive")));
        return 0;
}

static int print_dumpxml(const cli_cmd *cmd, json_object *result) {
        const char *xml = cli_json_str(result, "xml");
        if (!xml) {
                cli_error("iface-dumpxml: the reply carries no XML");
                return KN_EXIT_CONNECT;
        }
        fputs(xml, stdout);
        return KN_EXIT_OK;
}

static int build_define(const cli_cmd *cmd, json_object **args) {
        const char *file = cmd->pos[0];
        _cleanup_free_ char *xml = NULL;
        size_t len;
        int r = cli_read_xml("iface-define", cmd, file, &xml, &len);
        if (r)
                return r;
        *args = json_object_new_object();
        json_object_object_add(*args, "xml", json_object_new_string_len(xml, (int) len));
        json_object_object_add(*args, "source",
                               json_object_new_string(streq(file, "-") ? "<stdin>" : file));
        return cli_put_seconds(cmd, "--confirm", "confirm", *args);
}

static int print_define(const cli_cmd *cmd, json_object *result) {
        const char *name = cli_json_str(result, "name");
        json_object *w;
        if (json_object_object_get_ex(result, "warnings", &w) &&
            json_object_is_type(w, json_type_array))
                for (size_t k = 0; k < json_object_array_length(w); k++)
                        cli_warning("%s", json_object_get_string(json_object_array_get_idx(w, k)));
        printf("Interface %s defined from %s\n", name ? name : "?",
               streq(cmd->pos[0], "-") ? "standard input" : cmd->pos[0]);
        return KN_EXIT_OK;
}

/* iface-mac, iface-name */

/* iface-start, iface-destroy, iface-undefine: "Interface NAME <done>". */
static int print_done(const cli_cmd *cmd, json_object *result) {
        printf("Interface %s %s\n", cmd->pos[0], cmd->verb->done);
        const char *via = cli_json_str(result, "via"); /* a network manager did it */
        if (via && !streq(via, "netlink"))
                printf("Through %s\n", via);
        return KN_EXIT_OK;
}

static int print_mac(const cli_cmd *cmd, json_object *result) {
        const char *mac = cli_json_str(result, "mac");
        printf("%s\n", mac ? mac : "");
        return KN_EXIT_OK;
}

static int build_iface_name(const cli_cmd *cmd, json_object **args) {
        *args = json_object_new_object();
        json_object_object_add(*args, "mac", json_object_new_string(cmd->pos[0]));
        return 0;
}

static int print_iface_name(const cli_cmd *cmd, json_object *result) {
        json_object *names;
        if (!json_object_object_get_ex(result, "names", &names) ||
            !json_object_is_type(names, json_type_array)) {
                cli_error("iface-name: the reply has no names");
                return KN_EXIT_CONNECT;
        }
        for (size_t k = 0; k < json_object_array_length(names); k++)
                printf("%s\n", json_object_get_string(json_object_array_get_idx(names, k)));
        return KN_EXIT_OK;
}

/* iface-start */

static int print_start(const cli_cmd *cmd, json_object *result) {
        json_object *changes;
        print_done(cmd, result);
        if (cli_cmd_flag(cmd, "--verbose") &&
            json_object_object_get_ex(result, "changes", &changes) &&
            json_object_is_type(changes, json_type_array)) {
                size_t n = json_object_array_length(changes);
                for (size_t k = 0; k < n; k++)
                        printf("  %s\n",
                               json_object_get_string(json_object_array_get_idx(changes, k)));
                if (n == 0)
                        printf("  (nothing to change)\n");
        }
        return KN_EXIT_OK;
}

static const char *const flags_list[] = {"--all", "--inactive", "--json", NULL};
static const char *const help_list[] = {
        "list active and inactive interfaces",
        "list inactive interfaces only",
        "print the daemon's reply (interfaces and file errors) as JSON",
        NULL,
};
static const char *const flags_start[] = {"--verbose", "--confirm", "--timeout", NULL};
static const char *const help_start[] = {
        "also print each change made, one per line (on failure: each change undone)",
        "revert by itself unless 'kvmnet confirm' follows within SECONDS",
        CLI_DHCP_TIMEOUT_HELP,
        NULL,
};
static const char *const args_start[] = {NULL, "SECONDS", "SECONDS", NULL};
static const char *const flags_confirm[] = {"--confirm", NULL};
static const char *const help_confirm[] = {
        "revert by itself unless 'kvmnet confirm' follows within SECONDS",
        NULL,
};
static const char *const args_confirm[] = {"SECONDS", NULL};
static const char *const flags_destroy[] = {"--confirm", "--force", NULL};
static const char *const help_destroy[] = {
        "revert by itself unless 'kvmnet confirm' follows within SECONDS",
        "destroy a bridge although guest NICs sit on it, or what is left of an "
        "interface that is not running",
        NULL,
};
static const char *const args_destroy[] = {"SECONDS", NULL, NULL};

static const char *const flags_inactive[] = {"--inactive", NULL};
static const char *const help_inactive[] = {
        "the configuration as stored, not the live state",
        NULL,
};

static int build_confirmable(const cli_cmd *cmd, json_object **args) {
        *args = cli_args_name(cmd);
        return cli_put_seconds(cmd, "--confirm", "confirm", *args);
}

static int build_start(const cli_cmd *cmd, json_object **args) {
        int r = build_confirmable(cmd, args);
        return r ? r : cli_put_timeout(cmd, *args);
}

static int build_destroy(const cli_cmd *cmd, json_object **args) {
        int r = build_confirmable(cmd, args);
        if (r == KN_EXIT_OK && cli_cmd_flag(cmd, "--force"))
                json_object_object_add(*args, "force", json_object_new_boolean(true));
        return r;
}
const cli_verb cli_iface_verbs[] = {
        {
                .name = "iface-list",
                .args_synopsis = "[--all|--inactive] [--json]",
                .summary = "list the physical host interfaces",
                .description = "Lists top-level interfaces (bridge ports and bond slaves "
                               "appear inside their master) as Name, State, MAC Address and "
                               "Configured. An interface is active when its link exists and "
                               "is up. Without a flag the configured active interfaces are "
                               "listed; --inactive the configured ones that are down or "
                               "absent; --all both, and the live links that have no "
                               "configuration (Configured: no). Files that could not be "
                               "parsed are reported on stderr as FILE:LINE and the exit code "
                               "is 4; the others are still listed.",
                .flags = flags_list,
                .flag_help = help_list,
                .build = build_list,
                .print = print_list,
        },
        {
                .name = "iface-dumpxml",
                .args_synopsis = "NAME [--inactive]",
                .summary = "print an interface's XML definition",
                .description = "Prints the libvirt interface XML of the top-level interface "
                               "NAME: its live state (MAC, MTU, link state and speed, "
                               "addresses, default routes, bridge ports, bond slaves, vlan "
                               "tag) when the link exists, else its configuration.",
                .flags = flags_inactive,
                .flag_help = help_inactive,
                .n_pos = 1,
                .build = build_dumpxml,
                .print = print_dumpxml,
        },
        {
                .name = "iface-start",
                .args_synopsis = "NAME [--verbose] [--confirm SECONDS] [--timeout SECONDS]",
                .summary = "start an interface: apply its configuration live",
                .description = "Applies the configured definition of NAME to the kernel, "
                               "changing only what differs (links that already match are not "
                               "touched), then reads the result back. Any difference, or a "
                               "step the kernel refuses, is reported and everything done is "
                               "undone.",
                .flags = flags_start,
                .flag_help = help_start,
                .flag_args = args_start,
                .n_pos = 1,
                .build = build_start,
                .print = print_start,
                .progress = "applying it (a DHCP lease can take seconds)",
                .done = "started",
        },
        {
                .name = "iface-destroy",
                .args_synopsis = "NAME [--confirm SECONDS] [--force]",
                .summary = "stop an interface: tear down its live state",
                .description = "Stops NAME's DHCP client, deletes the bridges, bonds and vlans "
                               "of its definition and brings its physical interfaces down, "
                               "without addresses. The configuration is kept. An interface "
                               "undefined while it ran is torn down from what the kernel has. "
                               "One that is not running (no link, or down) is an error, as in "
                               "virsh, and so is a bridge that guest NICs sit on (naming "
                               "them), unless --force.",
                .flags = flags_destroy,
                .flag_help = help_destroy,
                .flag_args = args_destroy,
                .n_pos = 1,
                .build = build_destroy,
                .print = print_done,
                .done = "destroyed",
        },
        {
                .name = "iface-define",
                .args_synopsis = "FILE [--confirm SECONDS]",
                .summary = "define (create or replace) an interface from XML",
                .description = "Reads libvirt interface XML from FILE ('-' for standard "
                               "input), checks it and writes the interface's configuration "
                               "files. On any error nothing is changed.",
                .flags = flags_confirm,
                .flag_help = help_confirm,
                .flag_args = args_confirm,
                .n_pos = 1,
                .build = build_define,
                .print = print_define,
        },
        {
                .name = "iface-undefine",
                .args_synopsis = "NAME",
                .summary = "remove an interface's configuration",
                .description = "Removes the configuration of the top-level interface NAME "
                               "(with its ports or slaves). Its live state stays: iface-destroy "
                               "NAME still tears it down.",
                .n_pos = 1,
                .build = cli_build_name,
                .print = print_done,
                .done = "undefined",
        },
        {
                .name = "iface-edit",
                .args_synopsis = "NAME",
                .summary = "edit an interface's XML in $EDITOR",
                .description = "Opens the interface's inactive XML in $EDITOR (else $VISUAL, "
                               "else vi). When the editor exits the XML is checked and "
                               "defined; if it has an error, the error is shown and, on a "
                               "terminal, you may edit again; otherwise nothing is saved. "
                               "Not available in batch mode.",
                .n_pos = 1,
                .run = cli_iface_edit,
                .interactive = true,
        },
        {
                .name = "iface-mac",
                .args_synopsis = "NAME",
                .summary = "print an interface's MAC address",
                .description = "Prints the configured MAC address of NAME (which may be a "
                               "bridge port or bond slave).",
                .n_pos = 1,
                .build = cli_build_name,
                .print = print_mac,
        },
        {
                .name = "iface-name",
                .args_synopsis = "MAC",
                .summary = "print the interfaces that carry a MAC address",
                .description = "Prints, one per line, the interfaces configured with MAC "
                               "(any case).",
                .n_pos = 1,
                .build = build_iface_name,
                .print = print_iface_name,
        },
        {},
};
