/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Sharing a NIC and transactions: iface-bridge, iface-unbridge (virsh's
 * verbs and options), iface-begin, iface-commit, iface-rollback, confirm. */
#include "cli.h"
#include "macro.h"

static void put_flag(const cli_cmd *cmd, const char *flag, const char *key, json_object *args) {
        if (cli_cmd_flag(cmd, flag))
                json_object_object_add(args, key, json_object_new_boolean(true));
}

static int build_bridge(const cli_cmd *cmd, json_object **args) {
        *args = cli_args_name(cmd);
        json_object_object_add(*args, "bridge", json_object_new_string(cmd->pos[1]));
        put_flag(cmd, "--stp", "stp", *args);
        put_flag(cmd, "--no-stp", "no_stp", *args);
        put_flag(cmd, "--no-start", "no_start", *args);
        put_flag(cmd, "--force", "force", *args);
        int r = cli_put_seconds(cmd, "--delay", "delay", *args);
        if (!r)
                r = cli_put_timeout(cmd, *args);
        return r ? r : cli_put_seconds(cmd, "--confirm", "confirm", *args);
}

static int build_unbridge(const cli_cmd *cmd, json_object **args) {
        *args = cli_args_name(cmd);
        put_flag(cmd, "--no-start", "no_start", *args);
        put_flag(cmd, "--force", "force", *args);
        int r = cli_put_timeout(cmd, *args);
        return r ? r : cli_put_seconds(cmd, "--confirm", "confirm", *args);
}

static int build_commit(const cli_cmd *cmd, json_object **args) {
        *args = json_object_new_object();
        return cli_put_seconds(cmd, "--confirm", "confirm", *args);
}

static void print_confirm(json_object *result) {
        json_object *s;
        if (json_object_object_get_ex(result, "confirm_seconds", &s))
                printf("Run 'kvmnet confirm' within %g seconds to keep it; otherwise it is "
                       "reverted\n",
                       json_object_get_double(s));
}

static void print_changes(const cli_cmd *cmd, json_object *result) {
        json_object *changes;
        if (!cli_cmd_flag(cmd, "--verbose") ||
            !json_object_object_get_ex(result, "changes", &changes))
                return;
        for (size_t k = 0; k < json_object_array_length(changes); k++)
                printf("  %s\n", json_object_get_string(json_object_array_get_idx(changes, k)));
}

/* "Through NetworkManager" when a network manager did the live part. */
static void print_via(json_object *result) {
        json_object *o;
        if (json_object_object_get_ex(result, "via", &o) &&
            !streq(json_object_get_string(o), "netlink"))
                printf("Through %s\n", json_object_get_string(o));
}

static int print_bridge(const cli_cmd *cmd, json_object *result) {
        json_object *live;
        bool started =
                json_object_object_get_ex(result, "live", &live) && json_object_get_boolean(live);
        printf("Created bridge %s with attached device %s\n", cmd->pos[1], cmd->pos[0]);
        if (started)
                printf("Bridge interface %s started\n", cmd->pos[1]);
        print_via(result);
        print_changes(cmd, result);
        print_confirm(result);
        return KN_EXIT_OK;
}

static int print_unbridge(const cli_cmd *cmd, json_object *result) {
        json_object *o;
        const char *nic = json_object_object_get_ex(result, "interface", &o)
                                  ? json_object_get_string(o)
                                  : "?";
        printf("Device %s un-attached from bridge %s\n", nic, cmd->pos[0]);
        if (json_object_object_get_ex(result, "live", &o) && json_object_get_boolean(o))
                printf("Interface %s started\n", nic);
        print_via(result);
        print_changes(cmd, result);
        print_confirm(result);
        return KN_EXIT_OK;
}

static int print_begin(const cli_cmd *cmd, json_object *result) {
        printf("Network config change transaction started\n");
        return KN_EXIT_OK;
}

static int print_commit(const cli_cmd *cmd, json_object *result) {
        printf("Network config change transaction committed\n");
        print_confirm(result);
        return KN_EXIT_OK;
}

static int print_rollback(const cli_cmd *cmd, json_object *result) {
        json_object *o;
        printf("Network config change transaction rolled back\n");
        if (json_object_object_get_ex(result, "guest_nics_cut_off", &o))
                printf("Guest NICs cut off from their bridge: %s\n", json_object_get_string(o));
        return KN_EXIT_OK;
}

static int print_confirmed(const cli_cmd *cmd, json_object *result) {
        printf("Change confirmed: kept\n");
        return KN_EXIT_OK;
}

static const char *const flags_bridge[] = {"--stp",      "--no-stp",  "--delay",
                                           "--no-start", "--confirm", "--force",
                                           "--verbose",  "--timeout", NULL};
static const char *const help_bridge[] = {
        "turn STP on (off by default: with STP the kernel holds a new port for twice the "
        "forward delay before it forwards)",
        "STP off (the default; accepted for virsh users)",
        "forward delay in seconds (default 0; with --stp the kernel's 15)",
        "change the configuration only, not the live state",
        "revert by itself unless 'kvmnet confirm' follows within SECONDS",
        "go ahead where the host could lose connectivity (a DHCP lease nobody renews, "
        "vlans left behind)",
        "also print each live step, one per line (on failure: each step undone)",
        CLI_DHCP_TIMEOUT_HELP,
        NULL,
};
static const char *const args_bridge[] = {NULL, NULL, "SECONDS", NULL, "SECONDS",
                                          NULL, NULL, "SECONDS", NULL};
static const char *const flags_unbridge[] = {"--no-start", "--confirm", "--force",
                                             "--verbose",  "--timeout", NULL};
static const char *const help_unbridge[] = {
        "change the configuration only, not the live state",
        "revert by itself unless 'kvmnet confirm' follows within SECONDS",
        "go ahead although guest NICs sit on the bridge (they lose their network)",
        "also print each live step, one per line (on failure: each step undone)",
        CLI_DHCP_TIMEOUT_HELP,
        NULL,
};
static const char *const args_unbridge[] = {NULL, "SECONDS", NULL, NULL, "SECONDS", NULL};
static const char *const flags_commit[] = {"--confirm", NULL};
static const char *const help_commit[] = {
        "keep the transaction open SECONDS more: 'kvmnet confirm' keeps it, else it is "
        "rolled back by itself",
        NULL,
};
static const char *const args_commit[] = {"SECONDS", NULL};

const cli_verb cli_txn_verbs[] = {
        {.name = "iface-bridge",
         .args_synopsis = "INTERFACE BRIDGE [--stp|--no-stp] [--delay SECONDS] [--no-start] "
                          "[--confirm SECONDS] [--force] [--verbose] [--timeout SECONDS]",
         .summary = "share a NIC: make it a port of a new bridge, live, losing no packet",
         .description = "Defines bridge BRIDGE with INTERFACE as its port and moves "
                        "INTERFACE's IP configuration, MTU and MAC to the bridge, in the "
                        "configuration and live: addresses, routes of every table, neighbours "
                        "and kvmnet's DHCP client move in the order that keeps traffic "
                        "flowing; the NIC's link never goes down. On any failure everything "
                        "is put back.",
         .flags = flags_bridge,
         .flag_help = help_bridge,
         .flag_args = args_bridge,
         .n_pos = 2,
         .build = build_bridge,
         .print = print_bridge,
         .progress = "moving its configuration to the bridge"},
        {.name = "iface-unbridge",
         .args_synopsis = "BRIDGE [--no-start] [--confirm SECONDS] [--force] [--verbose] "
                          "[--timeout SECONDS]",
         .summary = "undo iface-bridge: the NIC gets its configuration back, live",
         .description = "Gives BRIDGE's IP configuration back to its one NIC port, in the "
                        "configuration and live, without taking the NIC's link down, and "
                        "deletes the bridge.",
         .flags = flags_unbridge,
         .flag_help = help_unbridge,
         .flag_args = args_unbridge,
         .n_pos = 1,
         .build = build_unbridge,
         .print = print_unbridge,
         .progress = "giving its configuration back to its NIC"},
        {.name = "iface-begin",
         .args_synopsis = "",
         .summary = "open a transaction over interface changes",
         .description = "Until iface-commit or iface-rollback, every define, undefine, start, "
                        "destroy, bridge and unbridge is part of the transaction. Needs "
                        "kvmnetd. If kvmnetd is killed meanwhile, its restart rolls it back.",
         .build = cli_build_none,
         .print = print_begin},
        {.name = "iface-commit",
         .args_synopsis = "[--confirm SECONDS]",
         .summary = "keep the changes of the open transaction",
         .description = "Ends the open transaction and keeps its changes. With --confirm "
                        "they stay pending: 'kvmnet confirm' within SECONDS keeps them, else "
                        "kvmnetd rolls them back by itself, files and live state.",
         .flags = flags_commit,
         .flag_help = help_commit,
         .flag_args = args_commit,
         .build = build_commit,
         .print = print_commit},
        {.name = "iface-rollback",
         .args_synopsis = "",
         .summary = "undo every change of the open transaction",
         .description = "Restores every configuration file byte for byte and the live state "
                        "as it was at iface-begin.",
         .build = cli_build_none,
         .print = print_rollback},
        {.name = "confirm",
         .args_synopsis = "",
         .summary = "keep a change made with --confirm",
         .description = "Keeps the change pending since a verb ran with --confirm SECONDS "
                        "(or iface-commit --confirm) and stops kvmnetd's timer, which would "
                        "otherwise revert it.",
         .build = cli_build_none,
         .print = print_confirmed},
        {},
};
