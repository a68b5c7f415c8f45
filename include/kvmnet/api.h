/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The request dispatcher: the verbs kvmnetd serves and the offline CLI runs
 * in-process, on one kn_config.  Requests and replies are JSON objects
 * (docs/protocol.md):
 *
 *   request  {"id": ID, "verb": "iface-list", "args": {"all": true}}
 *   reply    {"id": ID, "ok": true, "result": {...}}
 *            {"id": ID, "ok": false,
 *             "error": {"code": "ENOENT", "message": "no interface named 'br7'"}}
 *
 * ID is any JSON value the client chose; it is copied into the reply
 * unchanged (null if the request had none).  The transport (newline
 * framing, sockets, peer credentials) belongs to the daemon; nothing here
 * does I/O other than through the kn_config. */

#include <stdbool.h>

#include <json-c/json.h>

#include "kvmnet/config.h"
#include "kvmnet/error.h"

/* Where kvmnetd listens unless told otherwise: in KN_RUN_DIR (or
 * $KVMNET_RUN_DIR), the read-write socket (mode 0660: root and the
 * daemon's group) and the read-only one (0666). */
#define KN_RUN_DIR        "/run/kvmnet"
#define KN_SOCKET_NAME    "kvmnet-sock"
#define KN_SOCKET_RO_NAME "kvmnet-sock-ro"
#define KN_SOCKET_PATH    KN_RUN_DIR "/" KN_SOCKET_NAME
#define KN_SOCKET_RO_PATH KN_RUN_DIR "/" KN_SOCKET_RO_NAME

typedef enum kn_api_flags {
        KN_API_READ_ONLY = 1 << 0, /* refuse verbs that change anything (EPERM) */
} kn_api_flags;

/* Run one request.  Always produces a reply object (*reply, owned by the
 * caller), also for a malformed request; returns 0 if the reply is a
 * success and the negative errno of the error otherwise. */
int kn_api_call(kn_config *cfg, json_object *request, kn_api_flags flags, json_object **reply);

/* Parse one request line (without its newline).  Anything but one JSON
 * value on the line is an EPROTO error whose message says what is wrong;
 * whether the value is a well-formed request is kn_api_call()'s to say. */
int kn_api_parse_request(const char *line, size_t len, json_object **ret, kn_error *err);

/* An error reply for ID (may be NULL), for errors found outside a verb
 * (access denied, line too long).  code is a positive errno value. */
json_object *kn_api_error_reply(json_object *id, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Does VERB change the configuration?  false for unknown verbs. */
bool kn_api_verb_mutates(const char *verb);

/* "ENOENT" for ENOENT, ...; and back (0 if unknown).  The names are the
 * errno names, so they mean the same on every architecture. */
const char *kn_api_code_to_string(int code);
int kn_api_code_from_string(const char *name);

/* The reply's error as a kn_error (code 0 and "" if the reply is a
 * success); the message of a reply that carries none says so. */
void kn_api_reply_error(json_object *reply, kn_error *err);
