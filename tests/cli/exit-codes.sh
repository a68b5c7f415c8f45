#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# kvmnet's exit codes (docs/cli.md "Exit codes"), each triggered for real
# against a kvmnetd: the daemon's errno-style error codes map to them.
. "$(dirname "$0")/../daemon/lib.sh"

ROOT=$T/root
make_root "$ROOT" ifupdown

expect_error 3 "cannot connect" "$KVMNET" -c "unix://$T/none" iface-list
pass "no daemon: 3"

start_daemon
rw() { "$KVMNET" -c "unix://$T/rw" "$@"; }
ro() { "$KVMNET" -c "unix://$T/ro" "$@"; }

expect_error 2 "unknown|usage" rw iface-bogus-verb
pass "usage: 2"
expect_error 5 "no interface named 'nope0'" rw iface-dumpxml nope0
pass "unknown interface: 5"
expect_error 6 "read-only" ro iface-begin
pass "a change on the read-only socket: 6"
rw iface-begin >/dev/null 2>"$T/err" || fail "iface-begin: $(cat "$T/err")"
expect_error 7 "" rw iface-begin
pass "iface-begin while one is open: 7"
rw iface-rollback >/dev/null 2>"$T/err" || fail "iface-rollback: $(cat "$T/err")"
stop_daemon
