/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The protocol between kvmnetd and its clients (docs/protocol.md), without
 * the dispatcher: what both ends need to frame, parse and read lines.  One
 * JSON object per line:
 *
 *   request  {"id": ID, "verb": "iface-list", "args": {"all": true}}
 *   reply    {"id": ID, "ok": true, "result": {...}}
 *            {"id": ID, "ok": false,
 *             "error": {"code": "ENOENT", "message": "no interface named 'br7'"}}
 *   event    {"event": "link", "action": "new", "ifname": "br0", ...}
 *
 * ID is any JSON value the client chose; it is copied into the reply
 * unchanged (null if the request had none): numbers json-c could not give
 * back as sent (integers past 64 bits, -0) are refused with the line.
 *
 * This unit depends on json-c and the C library only, so a client (the
 * kvmnet CLI) links it without the library's XML and netlink stack.  The
 * verbs themselves, and which of them change anything, are the
 * dispatcher's (kvmnet/api.h). */

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "kvmnet/error.h"

/* Where kvmnetd listens unless told otherwise: in KN_RUN_DIR (or
 * $KVMNET_RUN_DIR), the read-write socket (mode 0660: root and the
 * daemon's group) and the read-only one (0666).  KN_RUN_DIR/live holds the
 * DHCP clients' pid files and leases. */
#define KN_RUN_DIR        "/run/kvmnet"
#define KN_SOCKET_NAME    "kvmnet-sock"
#define KN_SOCKET_RO_NAME "kvmnet-sock-ro"
#define KN_SOCKET_PATH    KN_RUN_DIR "/" KN_SOCKET_NAME
#define KN_SOCKET_RO_PATH KN_RUN_DIR "/" KN_SOCKET_RO_NAME
#define KN_STATE_DIR      "/var/lib/kvmnet"

/* $KVMNET_RUN_DIR if set and not empty, else KN_RUN_DIR. */
const char *kn_api_run_dir(void);

/* Parse one line (without its newline): a request on the daemon's side, a
 * reply or event on the client's.  Anything but one strict JSON value on
 * the line is an EPROTO error whose message says what is wrong (and at
 * which byte): not UTF-8, comments, trailing commas, single quotes, NaN or
 * Infinity, numbers out of range or not in JSON's grammar, \u0000 or raw
 * control characters in strings, lone surrogates, nesting deeper than 32
 * (docs/protocol.md, "Framing").  Whether the value is a well-formed
 * request is kn_api_call()'s to say (a JSON null gives *ret NULL). */
int kn_api_parse_request(const char *line, size_t len, json_object **ret, kn_error *err);

/* A success reply for ID (may be NULL) carrying result (taken over; NULL
 * gives an empty object). */
json_object *kn_api_result_reply(json_object *id, json_object *result);
/* An error reply for ID (may be NULL).  code is a positive errno value. */
json_object *kn_api_error_reply(json_object *id, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* "ENOENT" for ENOENT, ...; and back (0 if unknown).  The names are the
 * errno names, so they mean the same on every architecture. */
const char *kn_api_code_to_string(int code);
int kn_api_code_from_string(const char *name);

/* The reply's error as a kn_error (code 0 and "" if the reply is a
 * success); the message of a reply that carries none says so. */
void kn_api_reply_error(json_object *reply, kn_error *err);

/* Is this line from the daemon an event rather than a reply?  (An object
 * with an "event" member and no "id".) */
bool kn_api_is_event(json_object *o);
