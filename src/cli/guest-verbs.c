/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The guest verbs: definitions, life cycle and NIC hot-plug (virsh's
 * define/start/destroy/attach-interface/detach-interface/domiflist). */
#include <fcntl.h>
#include <inttypes.h>

#include "cli.h"
#include "macro.h"

static int build_define(const cli_cmd *cmd, json_object **args) {
        _cleanup_free_ char *xml = NULL;
        int r = cli_read_xml("guest-define", cmd, cmd->pos[0], &xml, NULL);
        if (r)
                return r;
        *args = json_object_new_object();
        json_object_object_add(*args, "xml", json_object_new_string(xml));
        return KN_EXIT_OK;
}

/* "Guest NAME <done> (pid PID)": the name from the reply, which for
 * guest-define is the only place it is. */
static int print_done(const cli_cmd *cmd, json_object *result) {
        if (cli_cmd_flag(cmd, "--json"))
                return cli_print_json(result);
        const char *pid = cli_json_str(result, "pid");
        printf("Guest %s %s%s%s%s\n", cli_json_str(result, "name"), cmd->verb->done,
               pid ? " (pid " : "", pid ? pid : "", pid ? ")" : "");
        return KN_EXIT_OK;
}

static int print_list(const cli_cmd *cmd, json_object *result) {
        json_object *list;
        if (cli_cmd_flag(cmd, "--json"))
                return cli_print_json(result);
        if (!json_object_object_get_ex(result, "guests", &list))
                return KN_EXIT_CONNECT;
        printf(" %-20s %-10s %-8s %s\n", "Name", "State", "PID", "Persistent");
        printf("--------------------------------------------------\n");
        for (size_t k = 0; k < json_object_array_length(list); k++) {
                json_object *g = json_object_array_get_idx(list, k);
                const char *pid = cli_json_str(g, "pid");
                printf(" %-20s %-10s %-8s %s\n", cli_json_str(g, "name"), cli_json_str(g, "state"),
                       pid ? pid : "-",
                       streq(cli_json_str(g, "persistent"), "true") ? "yes" : "no");
        }
        putchar('\n');
        return KN_EXIT_OK;
}

static int print_dumpxml(const cli_cmd *cmd, json_object *result) {
        fputs(cli_json_str(result, "xml"), stdout);
        return KN_EXIT_OK;
}

static int print_info(const cli_cmd *cmd, json_object *result) {
        json_object *h;
        if (cli_cmd_flag(cmd, "--json"))
                return cli_print_json(result);
        printf("%-16s %s\n%-16s %s\n%-16s %s\n%-16s %s\n%-16s %s\n%-16s %s\n",
               "Name:", cli_json_str(result, "name"), "State:", cli_json_str(result, "state"),
               "PID:", cli_json_str(result, "pid"), "Accel:", cli_json_str(result, "accel"),
               "vCPUs:", cli_json_str(result, "vcpus"),
               "Interfaces:", cli_json_str(result, "interfaces"));
        if (json_object_object_get_ex(result, "hotplug", &h)) {
                const char *m = cli_json_str(h, "machine");
                if (streq_ptr(m, "q35"))
                        printf("%-16s q35, %s of %s pcie-root-ports free\n",
                               "Hot-plug:", cli_json_str(h, "free"), cli_json_str(h, "root_ports"));
                else
                        printf("%-16s pc, %s of %s PCI slots free\n",
                               "Hot-plug:", cli_json_str(h, "free") ? cli_json_str(h, "free") : "?",
                               cli_json_str(h, "slots") ? cli_json_str(h, "slots") : "32");
        }
        return KN_EXIT_OK;
}

static int print_domiflist(const cli_cmd *cmd, json_object *result) {
        json_object *list;
        if (cli_cmd_flag(cmd, "--json"))
                return cli_print_json(result);
        if (!json_object_object_get_ex(result, "interfaces", &list))
                return KN_EXIT_CONNECT;
        /* virsh's columns, then queues and state. */
        printf(" %-16s %-8s %-16s %-8s %-18s %-6s %s\n", "Interface", "Type", "Source", "Model",
               "MAC", "Queues", "State");
        printf("-----------------------------------------------------------------------------"
               "-------------\n");
        for (size_t k = 0; k < json_object_array_length(list); k++) {
                json_object *n = json_object_array_get_idx(list, k);
                printf(" %-16s %-8s %-16s %-8s %-18s %-6s %s\n", cli_json_str(n, "tap"),
                       cli_json_str(n, "type"), cli_json_str(n, "source"), cli_json_str(n, "model"),
                       cli_json_str(n, "mac"), cli_json_str(n, "queues"), cli_json_str(n, "state"));
        }
        putchar('\n');
        return KN_EXIT_OK;
}

static int build_adopt(const cli_cmd *cmd, json_object **args) {
        *args = cli_args_name(cmd);
        json_object_object_add(*args, "qmp", json_object_new_string(cmd->pos[1]));
        return KN_EXIT_OK;
}

static int parse_uint(const char *verb, const char *flag, const char *s, long max, long *ret) {
        char *end;
        errno = 0;
        long v = s ? strtol(s, &end, 10) : -1;
        if (!s || errno || *end || v < 0 || v > max) {
                cli_error("%s: %s '%s' is not a number in 0..%ld", verb, flag, s ? s : "", max);
                return KN_EXIT_USAGE;
        }
        *ret = v;
        return KN_EXIT_OK;
}

static int build_attach(const cli_cmd *cmd, json_object **args) {
        const char *v = "attach-interface";
        *args = cli_args_name(cmd);
        static const char *const strs[][2] = {{"--bridge", "bridge"},
                                              {"--network", "network"},
                                              {"--mac", "mac"},
                                              {"--model", "model"},
                                              {"--target", "target"}};
        for (size_t k = 0; k < ELEMENTSOF(strs); k++) {
                const char *s = cli_cmd_value(cmd, strs[k][0]);
                if (s)
                        json_object_object_add(*args, strs[k][1], json_object_new_string(s));
        }
        if (!cli_cmd_value(cmd, "--bridge") && !cli_cmd_value(cmd, "--network")) {
                cli_error("%s: give --bridge BRIDGE or --network NETWORK", v);
                return KN_EXIT_USAGE;
        }
        if (cli_cmd_value(cmd, "--queues")) {
                long q;
                int r = parse_uint(v, "--queues", cli_cmd_value(cmd, "--queues"), 256, &q);
                if (r)
                        return r;
                json_object_object_add(*args, "queues", json_object_new_int((int) q));
        }
        if (cli_cmd_flag(cmd, "--persistent"))
                json_object_object_add(*args, "persistent", json_object_new_boolean(true));
        if (cli_cmd_flag(cmd, "--timings"))
                json_object_object_add(*args, "timings", json_object_new_boolean(true));
        return KN_EXIT_OK;
}

static int add_detach_opts(const char *v, const cli_cmd *cmd, json_object *args) {
        if (cli_cmd_flag(cmd, "--persistent"))
                json_object_object_add(args, "persistent", json_object_new_boolean(true));
        return cli_put_timeout(cmd, args);
}

static int build_detach(const cli_cmd *cmd, json_object **args) {
        *args = cli_args_name(cmd);
        const char *mac = cli_cmd_value(cmd, "--mac");
        if (!mac) {
                cli_error("detach-interface: give --mac MAC (see domiflist %s)", cmd->pos[0]);
                return KN_EXIT_USAGE;
        }
        json_object_object_add(*args, "mac", json_object_new_string(mac));
        if (cli_cmd_flag(cmd, "--timings"))
                json_object_object_add(*args, "timings", json_object_new_boolean(true));
        return add_detach_opts("detach-interface", cmd, *args);
}

static int build_device(const cli_cmd *cmd, json_object **args) {
        _cleanup_free_ char *xml = NULL;
        int r = cli_read_xml(cmd->verb->name, cmd, cmd->pos[1], &xml, NULL);
        if (r)
                return r;
        *args = cli_args_name(cmd);
        json_object_object_add(*args, "xml", json_object_new_string(xml));
        if (streq(cmd->verb->name, "attach-device")) {
                if (cli_cmd_flag(cmd, "--persistent"))
                        json_object_object_add(*args, "persistent", json_object_new_boolean(true));
                return KN_EXIT_OK;
        }
        return add_detach_opts(cmd->verb->name, cmd, *args);
}

static json_object *step_json(const char *name, int64_t at_us) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "step", json_object_new_string(name));
        json_object_object_add(o, "at_us", json_object_new_int64(at_us));
        return o;
}

/* --timings: the daemon's steps with the CLI's own around them; printed
 * as ms since main() (--json: in the result, CLOCK_MONOTONIC µs). */
static void add_cli_timings(json_object *result) {
        json_object *daemon = NULL, *a = json_object_new_array();
        json_object_array_add(a, step_json("cli start", cli_times.start));
        json_object_array_add(a, step_json("connect", cli_times.connected));
        json_object_array_add(a, step_json("request sent", cli_times.sent));
        if (json_object_object_get_ex(result, "timings", &daemon))
                for (size_t k = 0; k < json_object_array_length(daemon); k++)
                        json_object_array_add(
                                a, json_object_get(json_object_array_get_idx(daemon, k)));
        json_object_array_add(a, step_json("reply read", cli_times.received));
        json_object_object_add(result, "timings", a);
}

static void print_timings(json_object *result) {
        json_object *a = json_object_object_get(result, "timings");
        int64_t prev = cli_times.start;
        printf("Timings (ms since the CLI started; each step's own time):\n");
        for (size_t k = 1; k < json_object_array_length(a); k++) {
                json_object *s = json_object_array_get_idx(a, k);
                int64_t at = json_object_get_int64(json_object_object_get(s, "at_us"));
                printf("  %-18s %8.3f  %+8.3f\n", cli_json_str(s, "step"),
                       (double) (at - cli_times.start) / 1000.0, (double) (at - prev) / 1000.0);
                prev = at;
        }
}

static int print_nic(const cli_cmd *cmd, json_object *result) {
        json_object *n;
        bool timings = cli_cmd_flag(cmd, "--timings");
        if (timings)
                add_cli_timings(result);
        if (cli_cmd_flag(cmd, "--json"))
                return cli_print_json(result);
        if (!json_object_object_get_ex(result, "interface", &n))
                return KN_EXIT_CONNECT;
        bool attach = strncmp(cmd->verb->name, "attach", 6) == 0;
        bool net = streq_ptr(cli_json_str(n, "type"), "network");
        printf("Interface %s %s guest %s: tap %s on %s%s%s%s, %s queue(s) (%.1f ms)\n",
               cli_json_str(n, "mac"), attach ? "attached to" : "detached from",
               cli_json_str(result, "name"), cli_json_str(n, "tap"), net ? "network " : "",
               cli_json_str(n, "source"), net ? ", bridge " : "",
               net ? cli_json_str(n, "bridge") : "", cli_json_str(n, "queues"),
               json_object_get_double(json_object_object_get(result, "elapsed_ms")));
        if (timings)
                print_timings(result);
        return KN_EXIT_OK;
}

static const char *const flags_json[] = {"--json", NULL};
static const char *const help_json[] = {"print the reply as JSON", NULL};
static const char *const flags_attach[] = {
        "--bridge",     "--network", "--mac",     "--model",   "--queues", "--target",
        "--persistent", "--json",    "--timings", "--verbose", NULL};
static const char *const help_attach[] = {
        "bridge to put the tap on",
        "virtual network to put it on (a running one: its bridge)",
        "guest MAC (default: 52:54:00 + random)",
        "NIC model: virtio (default)",
        "queue pairs (multiqueue tap, vectors 2N+2)",
        "tap name (default: kvmnet's allocator, kvnN)",
        "also add it to the guest's definition",
        "print the reply as JSON",
        "also print where the time went, step by step (docs/bench-hotplug.md)",
        CLI_VERBOSE_UNDONE_HELP,
        NULL};
static const char *const args_attach[] = {"BRIDGE", "NETWORK", "MAC", "MODEL", "N",
                                          "NAME",   NULL,      NULL,  NULL,    NULL};
static const char *const flags_detach[] = {"--mac",  "--timeout", "--persistent",
                                           "--json", "--timings", NULL};
static const char *const help_detach[] = {
        "MAC of the NIC to remove",
        "seconds to wait for the guest, decimals allowed (default: kvmnetd --unplug-timeout)",
        "also remove it from the guest's definition",
        "print the reply as JSON",
        "also print where the time went, step by step (docs/bench-hotplug.md)",
        NULL};
static const char *const args_detach[] = {"MAC", "SECONDS", NULL, NULL, NULL};
static const char *const flags_detach_dev[] = {"--timeout", "--persistent", "--json", NULL};
static const char *const help_detach_dev[] = {
        "seconds to wait for the guest, decimals allowed (default: kvmnetd --unplug-timeout)",
        "also remove it from the guest's definition", "print the reply as JSON", NULL};
static const char *const args_detach_dev[] = {"SECONDS", NULL, NULL};
static const char *const flags_attach_dev[] = {"--persistent", "--json", "--verbose", NULL};
static const char *const help_attach_dev[] = {"also add it to the guest's definition",
                                              "print the reply as JSON", CLI_VERBOSE_UNDONE_HELP,
                                              NULL};

#define JSON_FLAGS .flags = flags_json, .flag_help = help_json

const cli_verb cli_guest_verbs[] = {
        {.name = "guest-define",
         .args_synopsis = "FILE",
         .summary = "define a guest from domain XML",
         .description = "Reads a libvirt <domain> document (the subset in docs/guests.md) from "
                        "FILE ('-' for standard input) and stores it as the guest's definition.",
         .n_pos = 1,
         .build = build_define,
         .print = print_done,
         .done = "defined"},
        {.name = "guest-undefine",
         .args_synopsis = "NAME",
         .summary = "remove a guest definition",
         .description = "Removes the definition of guest NAME; a running guest keeps running.",
         .n_pos = 1,
         .build = cli_build_name,
         .print = print_done,
         .done = "undefined"},
        {.name = "guest-list",
         .args_synopsis = "[--json]",
         .summary = "list guests",
         .description = "Lists defined, running and adopted guests.",
         JSON_FLAGS,
         .build = cli_build_none,
         .print = print_list},
        {.name = "guest-dumpxml",
         .args_synopsis = "NAME",
         .summary = "print a guest definition",
         .description = "Prints the stored domain XML of guest NAME.",
         .n_pos = 1,
         .build = cli_build_name,
         .print = print_dumpxml},
        {.name = "guest-start",
         .args_synopsis = "NAME",
         .summary = "start a defined guest",
         .description = "Starts QEMU for guest NAME (paused), hot-plugs the NICs of its "
                        "definition, then lets it run. Needs kvmnetd.",
         .n_pos = 1,
         JSON_FLAGS,
         .build = cli_build_name,
         .print = print_done,
         .done = "started"},
        {.name = "guest-stop",
         .args_synopsis = "NAME",
         .summary = "stop a running guest",
         .description = "Tells QEMU to quit (killing it after 10 s). Needs kvmnetd.",
         .n_pos = 1,
         JSON_FLAGS,
         .build = cli_build_name,
         .print = print_done,
         .done = "stopped"},
        {.name = "guest-adopt",
         .args_synopsis = "NAME QMP-SOCKET",
         .summary = "take over a QEMU started elsewhere",
         .description = "Connects to the QMP socket of a running QEMU and manages its NICs "
                        "under NAME. Needs kvmnetd.",
         .n_pos = 2,
         JSON_FLAGS,
         .build = build_adopt,
         .print = print_done,
         .done = "adopted"},
        {.name = "guest-info",
         .args_synopsis = "NAME",
         .summary = "show a running guest",
         .description = "Shows pid, accelerator, vCPUs, NICs and free hot-plug capacity "
                        "(pcie-root-ports on q35, PCI slots on pc).",
         .n_pos = 1,
         JSON_FLAGS,
         .build = cli_build_name,
         .print = print_info},
        {.name = "domiflist",
         .args_synopsis = "GUEST",
         .summary = "list a guest's NICs",
         .description = "Lists the NICs kvmnet attached to GUEST: tap, type, source, model, MAC, "
                        "queues and state (attached, detaching, unplug pending).",
         .n_pos = 1,
         JSON_FLAGS,
         .build = cli_build_name,
         .print = print_domiflist},
        {.name = "attach-interface",
         .args_synopsis = "GUEST --bridge BRIDGE | --network NETWORK [OPTION...]",
         .summary = "hot-plug a NIC on a bridge or a virtual network",
         .description = "Creates a tap on BRIDGE (or on the bridge of the running virtual "
                        "network NETWORK) and hot-plugs a virtio NIC backed by it into the "
                        "running GUEST. On any failure nothing is left behind.",
         .flags = flags_attach,
         .flag_help = help_attach,
         .flag_args = args_attach,
         .n_pos = 1,
         .build = build_attach,
         .print = print_nic},
        {.name = "attach-device",
         .args_synopsis = "GUEST FILE",
         .summary = "hot-plug a NIC from <interface> XML",
         .description = "As attach-interface, from a libvirt domain <interface> element in FILE.",
         .flags = flags_attach_dev,
         .flag_help = help_attach_dev,
         .n_pos = 2,
         .build = build_device,
         .print = print_nic},
        {.name = "detach-interface",
         .args_synopsis = "GUEST --mac MAC [--timeout SECONDS] [--persistent]",
         .summary = "hot-unplug a NIC",
         .description = "Asks the guest to release the NIC with MAC and waits for it; then the "
                        "backend and the tap go. If the guest does not release it in time the "
                        "NIC stays, 'unplug pending', and the command fails.",
         .flags = flags_detach,
         .flag_help = help_detach,
         .flag_args = args_detach,
         .n_pos = 1,
         .build = build_detach,
         .print = print_nic,
         .progress = "waiting for the guest to release the NIC"},
        {.name = "detach-device",
         .args_synopsis = "GUEST FILE [--timeout SECONDS] [--persistent]",
         .summary = "hot-unplug the NIC an <interface> XML names",
         .description = "As detach-interface, with the MAC taken from the <interface> in FILE.",
         .flags = flags_detach_dev,
         .flag_help = help_detach_dev,
         .flag_args = args_detach_dev,
         .n_pos = 2,
         .build = build_device,
         .print = print_nic,
         .progress = "waiting for the guest to release the NIC"},
        {},
};
