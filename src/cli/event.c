/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* kvmnet event: subscribe, then print events as the daemon sends them
 * (virsh event's shape: the first one, or every one with --loop; its
 * --timestamp prefix), only some types (--type) or one operation's (--op). */
#include <inttypes.h>
#include <time.h>

#include "cli.h"
#include "macro.h"

static long msec_now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void print_member(const char *key, json_object *v) {
        switch (json_object_get_type(v)) {
        case json_type_boolean:
                printf(" %s=%s", key, json_object_get_boolean(v) ? "yes" : "no");
                break;
        case json_type_int: printf(" %s=%" PRId64, key, json_object_get_int64(v)); break;
        case json_type_string: printf(" %s=%s", key, json_object_get_string(v)); break;
        default:
                printf(" %s=%s", key,
                       json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
                                                                 JSON_C_TO_STRING_NOSLASHESCAPE));
                break;
        }
}

/* event 'link' for interface eth0: new ifindex=4 state=up ... */
static void print_event(json_object *ev) {
        json_object *o;
        const char *type = json_object_get_string(json_object_object_get(ev, "event"));
        if (streq(type, "lost")) {
                int64_t n =
                        json_object_object_get_ex(ev, "count", &o) ? json_object_get_int64(o) : 0;
                printf("event 'lost': %" PRId64 " event%s not delivered: this client read too "
                       "slowly\n",
                       n, n == 1 ? " was" : "s were");
                return;
        }
        if (streq(type, "overflow")) {
                printf("event 'overflow': the kernel dropped events; re-read the live state\n");
                return;
        }
        printf("event '%s'", type);
        if (json_object_object_get_ex(ev, "ifname", &o))
                printf(" for interface %s", json_object_get_string(o));
        printf(":");
        if (json_object_object_get_ex(ev, "action", &o))
                printf(" %s", json_object_get_string(o));
        json_object_object_foreach(ev, key, val) {
                if (!streq(key, "event") && !streq(key, "ifname") && !streq(key, "action") &&
                    !streq(key, "timestamp"))
                        print_member(key, val);
        }
        putchar('\n');
}

/* "2026-12-03 07:10:00.123+0000: " as virsh event --timestamp prints it:
 * the daemon's "timestamp" (microseconds since the epoch), else now. */
static void print_timestamp(json_object *ev) {
        json_object *o;
        int64_t us;
        if (json_object_object_get_ex(ev, "timestamp", &o) && json_object_is_type(o, json_type_int))
                us = json_object_get_int64(o);
        else {
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                us = (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
        }
        time_t secs = (time_t) (us / 1000000);
        struct tm tm;
        char when[32] = "";
        if (gmtime_r(&secs, &tm))
                strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
        printf("%s.%03d+0000: ", when, (int) (us % 1000000 / 1000));
}

/* Is ev one --op asked for?  "lost" and "overflow" are always shown: the
 * events missed may have been the operation's. */
static bool op_matches(json_object *ev, const char *op) {
        json_object *o;
        if (!op)
                return true;
        const char *type = json_object_get_string(json_object_object_get(ev, "event"));
        if (streq(type, "lost") || streq(type, "overflow"))
                return true;
        return json_object_object_get_ex(ev, "op", &o) &&
               json_object_is_type(o, json_type_string) && streq(json_object_get_string(o), op);
}

int cli_event(const cli_cmd *cmd, cli_conn *c) {
        bool loop = cli_cmd_flag(cmd, "--loop"), as_json = cli_cmd_flag(cmd, "--json");
        bool stamp = cli_cmd_flag(cmd, "--timestamp");
        const char *op = cli_cmd_value(cmd, "--op");
        const char *t = cli_cmd_value(cmd, "--timeout");
        long timeout_ms = -1;
        if (t) {
                double secs;
                int r = cli_parse_seconds("event", "--timeout", t, &secs);
                if (r)
                        return r;
                timeout_ms = (long) (secs * 1000 + 0.5);
        }

        if (c->offline) {
                cli_error("event needs kvmnetd: the daemon follows the events and sends them to "
                          "its clients; it is not available with --root");
                return KN_EXIT_FAILED;
        }
        /* --type: the daemon filters (and names a type it does not know). */
        json_object *args = NULL;
        if (cli_cmd_values(cmd, "--type", 0)) {
                json_object *types = json_object_new_array();
                for (unsigned k = 0; cli_cmd_values(cmd, "--type", k); k++)
                        json_object_array_add(
                                types, json_object_new_string(cli_cmd_values(cmd, "--type", k)));
                args = json_object_new_object();
                json_object_object_add(args, "events", types);
        }
        _cleanup_json_ json_object *reply = NULL;
        int r = cli_conn_call(c, "event-subscribe", args, &reply);
        if (r != 0)
                return r;
        if (!cli_cmd_reply_result(cmd, c, reply))
                return c->reply_exit;

        long deadline = timeout_ms >= 0 ? msec_now() + timeout_ms : -1;
        for (;;) {
                long left = deadline < 0 ? -1 : deadline - msec_now();
                json_object *ev = NULL;
                r = deadline >= 0 && left <= 0 ? KN_EXIT_OK
                                               : cli_conn_next_event(c, (int) left, &ev);
                if (r != KN_EXIT_OK)
                        return r;
                if (!ev) {
                        if (loop)
                                return KN_EXIT_OK;
                        cli_error("event: no event within %s s", t);
                        return KN_EXIT_TIMEOUT;
                }
                if (!op_matches(ev, op)) {
                        json_object_put(ev);
                        continue;
                }
                if (stamp)
                        print_timestamp(ev);
                if (as_json)
                        puts(json_object_to_json_string_ext(
                                ev, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
                else
                        print_event(ev);
                json_object_put(ev);
                if (fflush(stdout) != 0) {
                        cli_error("event: cannot write the output: %m");
                        return KN_EXIT_FAILED;
                }
                if (!loop)
                        return KN_EXIT_OK;
        }
}
