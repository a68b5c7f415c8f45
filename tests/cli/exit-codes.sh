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
printf '<interface type="ethernet" name="eth9"><bogus/></interface>\n' >"$T/bad.xml"
expect_error 1 "eth9|bogus" rw iface-define "$T/bad.xml"
pass "a change refused before it began (bad XML): 1"
expect_error 8 "" rw event --timeout 0.2
pass "event --timeout without an event: 8"
stop_daemon

# A live change the kernel refuses part-way, its steps undone: 9.
make_netns host
printf '<interface type="ethernet" name="eth0">
  <start mode="none"/>
  <protocol family="ipv4"><ip address="10.81.0.5" prefix="24"/><route gateway="10.99.0.1"/></protocol>
</interface>\n' >"$T/eth0.xml"
ip -n "$NS_MADE" link add eth0 type veth peer name eth1 || fail "veth"
start_daemon --netns "$NS_MADE"
rw iface-define "$T/eth0.xml" >/dev/null 2>"$T/err" || fail "iface-define eth0: $(cat "$T/err")"
expect_error 9 "unreachable.*; the [0-9]+ steps? done w[a-z]+ undone" rw iface-start eth0
ip -n "$NS_MADE" -4 addr show dev eth0 | grep -q 10.81.0.5 && fail "the address stayed"
pass "a live change refused part-way and undone: 9"
stop_daemon
