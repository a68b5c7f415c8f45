/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The virtual network verbs, virsh's net-*: they format requests and the
 * dispatcher's replies (src/api/net.c); what they do is the daemon's. */
#include <fcntl.h>
#include <time.h>

#include "cli.h"
#include "macro.h"

static bool boolean(json_object *o, const char *key) {
        json_object *v;
        return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

/* A file, '-' for standard input, or (net-update, as virsh) the XML itself. */
static int read_xml(const char *verb, const cli_cmd *cmd, const char *file, bool inline_ok,
                    char **ret) {
        if (inline_ok && file[0] == '<') {
                *ret = kn_xstrdup(file);
                return KN_EXIT_OK;
        }
        return cli_read_xml(verb, cmd, file, ret, NULL);
}

static int build_define(const cli_cmd *cmd, json_object **args) {
        _cleanup_free_ char *xml = NULL;
        int r = read_xml("net-define", cmd, cmd->pos[0], false, &xml);
        if (r)
                return r;
        *args = json_object_new_object();
        json_object_object_add(*args, "xml", json_object_new_string(xml));
        return KN_EXIT_OK;
}

static int build_name_flags(const cli_cmd *cmd, json_object **args) {
        /* every boolean flag of these verbs is an argument of the same name */
        static const char *const keys[][2] = {{"--all", "all"},         {"--inactive", "inactive"},
                                              {"--disable", "disable"}, {"--force", "force"},
                                              {"--live", "live"},       {"--config", "config"}};
        *args = cmd->verb->n_pos ? cli_args_name(cmd) : json_object_new_object();
        for (size_t k = 0; k < ELEMENTSOF(keys); k++)
                if (cli_cmd_flag(cmd, keys[k][0]))
                        json_object_object_add(*args, keys[k][1], json_object_new_boolean(true));
        const char *mac = cli_cmd_value(cmd, "--mac");
        if (mac)
                json_object_object_add(*args, "mac", json_object_new_string(mac));
        return KN_EXIT_OK;
}

static int build_update(const cli_cmd *cmd, json_object **args) {
        if (cmd->n_pos < 4) {
                cli_error("net-update: give NETWORK add|delete ip-dhcp-host|dns-host XML");
                return KN_EXIT_USAGE;
        }
        _cleanup_free_ char *xml = NULL;
        int r = read_xml("net-update", cmd, cmd->pos[3], true, &xml);
        if (r)
                return r;
        if ((r = build_name_flags(cmd, args)))
                return r;
        json_object_object_add(*args, "command", json_object_new_string(cmd->pos[1]));
        json_object_object_add(*args, "section", json_object_new_string(cmd->pos[2]));
        json_object_object_add(*args, "xml", json_object_new_string(xml));
        return KN_EXIT_OK;
}

static int print_done(const cli_cmd *cmd, json_object *result) {
        if (cli_cmd_flag(cmd, "--json"))
                return cli_print_json(result);
        printf("Network %s %s\n", cli_json_str(result, "name"), cmd->verb->done);
        return KN_EXIT_OK;
}

static int print_start(const cli_cmd *cmd, json_object *result) {
        if (cli_cmd_flag(cmd, "--json"))
                return cli_print_json(result);
        const char *pid = cli_json_str(result, "dnsmasq_pid");
        printf("Network %s started on %s%s%s%s\n", cli_json_str(result, "name"),
               cli_json_str(result, "bridge"), pid ? " (dnsmasq pid " : "", pid ? pid : "",
               pid ? ")" : "");
        return KN_EXIT_OK;
}

static int print_list(const cli_cmd *cmd, json_object *result) {
        json_object *list, *errors;
        if (cli_cmd_flag(cmd, "--json"))
                return cli_print_json(result);
        if (!json_object_object_get_ex(result, "networks", &list))
                return KN_EXIT_CONNECT;
        printf(" %-20s %-10s %-11s %-11s %s\n", "Name", "State", "Autostart", "Persistent",
               "Bridge");
        printf("----------------------------------------------------------------\n");
        for (size_t k = 0; k < json_object_array_length(list); k++) {
                json_object *n = json_object_array_get_idx(list, k);
                printf(" %-20s %-10s %-11s %-11s %s\n", cli_json_str(n, "name"),
                       boolean(n, "active") ? "active" : "inactive",
                       boolean(n, "autostart") ? "yes" : "no",
                       boolean(n, "persistent") ? "yes" : "no", cli_json_str(n, "bridge"));
        }
        putchar('\n');
        if (json_object_object_get_ex(result, "errors", &errors)) {
                for (size_t k = 0; k < json_object_array_length(errors); k++)
                        cli_error("%s",
                                  json_object_get_string(json_object_array_get_idx(errors, k)));
                return KN_EXIT_PARTIAL;
        }
        return KN_EXIT_OK;
}

static int print_info(const cli_cmd *cmd, json_object *result) {
        json_object *subnets;
        if (cli_cmd_flag(cmd, "--json"))
                return cli_print_json(result);
        printf("%-15s %s\n%-15s %s\n%-15s %s\n%-15s %s\n%-15s %s\n%-15s %s\n%-15s %s\n",
               "Name:", cli_json_str(result, "name"), "UUID:", cli_json_str(result, "uuid"),
               "Active:", boolean(result, "active") ? "yes" : "no",
               "Persistent:", boolean(result, "persistent") ? "yes" : "no",
               "Autostart:", boolean(result, "autostart") ? "yes" : "no",
               "Bridge:", cli_json_str(result, "bridge"),
               "Forward:", cli_json_str(result, "forward"));
        if (json_object_object_get_ex(result, "subnets", &subnets))
                for (size_t k = 0; k < json_object_array_length(subnets); k++)
                        printf("%-15s %s\n", "Subnet:",
                               json_object_get_string(json_object_array_get_idx(subnets, k)));
        if (cli_json_str(result, "dnsmasq_pid"))
                printf("%-15s %s%s\n", "DHCP/DNS:", cli_json_str(result, "dnsmasq_pid"),
                       boolean(result, "dnsmasq_adopted") ? " (adopted)" : "");
        return KN_EXIT_OK;
}

static int print_dumpxml(const cli_cmd *cmd, json_object *result) {
        fputs(cli_json_str(result, "xml"), stdout);
        return KN_EXIT_OK;
}

static int print_autostart(const cli_cmd *cmd, json_object *result) {
        printf("Network %s %s\n", cli_json_str(result, "name"),
               boolean(result, "autostart") ? "marked as autostarted" : "unmarked as autostarted");
        return KN_EXIT_OK;
}

static int print_leases(const cli_cmd *cmd, json_object *result) {
        json_object *list;
        if (cli_cmd_flag(cmd, "--json"))
                return cli_print_json(result);
        if (!json_object_object_get_ex(result, "leases", &list))
                return KN_EXIT_CONNECT;
        /* virsh's columns */
        printf(" %-20s %-18s %-9s %-20s %-12s %s\n", "Expiry Time", "MAC address", "Protocol",
               "IP address", "Hostname", "Client ID or DUID");
        printf("-----------------------------------------------------------------------------"
               "---------------\n");
        for (size_t k = 0; k < json_object_array_length(list); k++) {
                json_object *l = json_object_array_get_idx(list, k), *e;
                char when[32] = "never";
                time_t t =
                        json_object_object_get_ex(l, "expiry", &e) ? json_object_get_int64(e) : 0;
                struct tm tm;
                if (t > 0 && localtime_r(&t, &tm))
                        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
                _cleanup_free_ char *ip =
                        kn_xasprintf("%s/%s", cli_json_str(l, "ip"), cli_json_str(l, "prefix"));
                printf(" %-20s %-18s %-9s %-20s %-12s %s\n", when,
                       cli_json_str(l, "mac") ? cli_json_str(l, "mac") : "-",
                       cli_json_str(l, "family"), ip,
                       cli_json_str(l, "hostname") ? cli_json_str(l, "hostname") : "-",
                       cli_json_str(l, "client_id") ? cli_json_str(l, "client_id") : "-");
        }
        putchar('\n');
        return KN_EXIT_OK;
}

static int print_update(const cli_cmd *cmd, json_object *result) {
        printf("Updated network %s%s%s\n", cli_json_str(result, "name"),
               boolean(result, "live") ? " live" : "",
               boolean(result, "config")
                       ? (boolean(result, "live") ? " and persistent config" : " persistent config")
                       : "");
        return KN_EXIT_OK;
}

static const char *const flags_json[] = {"--json", NULL};
static const char *const help_json[] = {"print the reply as JSON", NULL};
static const char *const flags_start[] = {"--json", "--verbose", NULL};
static const char *const help_start[] = {"print the reply as JSON", CLI_VERBOSE_UNDONE_HELP, NULL};
static const char *const flags_list[] = {"--all", "--json", NULL};
static const char *const help_list[] = {"also inactive networks", "print the reply as JSON", NULL};
static const char *const flags_dump[] = {"--inactive", NULL};
static const char *const help_dump[] = {"the stored definition, not the running one", NULL};
static const char *const flags_auto[] = {"--disable", NULL};
static const char *const help_auto[] = {"do not start it with kvmnetd any more", NULL};
static const char *const flags_destroy[] = {"--force", NULL};
static const char *const help_destroy[] = {"even while guest NICs use it", NULL};
static const char *const flags_leases[] = {"--mac", "--json", NULL};
static const char *const help_leases[] = {"only the lease of this MAC", "print the reply as JSON",
                                          NULL};
static const char *const args_leases[] = {"MAC", NULL, NULL};
static const char *const flags_update[] = {"--live", "--config", NULL};
static const char *const help_update[] = {"only the running network", "only the stored definition",
                                          NULL};

#define JSON_FLAGS .flags = flags_json, .flag_help = help_json

const cli_verb cli_net_verbs[] = {
        {.name = "net-define",
         .args_synopsis = "FILE",
         .summary = "define a virtual network from network XML",
         .description = "Reads a libvirt <network> document from FILE ('-' for standard input) "
                        "and stores it; a missing <uuid> is generated, a missing bridge name "
                        "becomes the first free kvbrN.",
         .n_pos = 1,
         .build = build_define,
         .print = print_done,
         .done = "defined"},
        {.name = "net-undefine",
         .args_synopsis = "NETWORK",
         .summary = "remove a network definition",
         .description = "Removes the definition (and autostart) of NETWORK; a running network "
                        "keeps running until net-destroy.",
         .n_pos = 1,
         .build = cli_build_name,
         .print = print_done,
         .done = "undefined"},
        {.name = "net-start",
         .args_synopsis = "NETWORK",
         .summary = "start a defined network",
         .description = "Makes the bridge (MAC, MTU, STP, addresses), the forwarding sysctls, the "
                        "nftables table and dnsmasq of NETWORK. Refused, naming the conflict, "
                        "when the bridge name is in use or a subnet overlaps an address or route "
                        "of the host.",
         .n_pos = 1,
         .flags = flags_start,
         .flag_help = help_start,
         .build = cli_build_name,
         .print = print_start},
        {.name = "net-destroy",
         .args_synopsis = "NETWORK [--force]",
         .summary = "stop a running network",
         .description = "Stops dnsmasq, deletes the network's nftables table and bridge and "
                        "gives back the sysctls kvmnet set. Refused while guest NICs are on the "
                        "bridge (named) unless --force.",
         .n_pos = 1,
         .flags = flags_destroy,
         .flag_help = help_destroy,
         .build = build_name_flags,
         .print = print_done,
         .done = "destroyed"},
        {.name = "net-list",
         .args_synopsis = "[--all] [--json]",
         .summary = "list virtual networks",
         .description = "Lists the running networks, with --all the inactive ones too.",
         .flags = flags_list,
         .flag_help = help_list,
         .build = build_name_flags,
         .print = print_list},
        {.name = "net-info",
         .args_synopsis = "NETWORK",
         .summary = "show a network's state",
         .description = "Name, UUID, state, autostart, bridge, forward mode, subnets and the "
                        "dnsmasq that serves it.",
         .n_pos = 1,
         JSON_FLAGS,
         .build = cli_build_name,
         .print = print_info},
        {.name = "net-dumpxml",
         .args_synopsis = "NETWORK [--inactive]",
         .summary = "print a network's XML",
         .description = "The running definition of NETWORK, or the stored one with --inactive "
                        "or when it does not run.",
         .n_pos = 1,
         .flags = flags_dump,
         .flag_help = help_dump,
         .build = build_name_flags,
         .print = print_dumpxml},
        {.name = "net-autostart",
         .args_synopsis = "NETWORK [--disable]",
         .summary = "start a network with kvmnetd",
         .description = "Marks NETWORK to be started when kvmnetd starts (a link in "
                        "etc/kvmnet/networks/autostart), or with --disable no longer.",
         .n_pos = 1,
         .flags = flags_auto,
         .flag_help = help_auto,
         .build = build_name_flags,
         .print = print_autostart},
        {.name = "net-edit",
         .args_synopsis = "NETWORK",
         .summary = "edit a network's definition in $EDITOR",
         .description = "net-dumpxml --inactive into a temporary file, $EDITOR (else $VISUAL, "
                        "else vi), then net-define; an invalid edit is not saved.",
         .n_pos = 1,
         .run = cli_net_edit,
         .interactive = true},
        {.name = "net-dhcp-leases",
         .args_synopsis = "NETWORK [--mac MAC] [--json]",
         .summary = "show the DHCP leases of a network",
         .description = "The leases dnsmasq gave out on NETWORK, from its lease file.",
         .n_pos = 1,
         .flags = flags_leases,
         .flag_help = help_leases,
         .flag_args = args_leases,
         .build = build_name_flags,
         .print = print_leases},
        {.name = "net-update",
         .args_synopsis = "NETWORK add|delete ip-dhcp-host|dns-host XML [--live] [--config]",
         .summary = "add or delete a DHCP or DNS host",
         .description = "XML is a <host> element, given inline or as a file. Changes the stored "
                        "definition and the running network (dnsmasq re-reads its hosts, no "
                        "restart); --live or --config only one of them.",
         .n_pos = 4,
         .flags = flags_update,
         .flag_help = help_update,
         .build = build_update,
         .print = print_update},
        {},
};
