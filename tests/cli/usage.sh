#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The command line itself: help, usage errors (2), connection errors (3),
# connection selection ($KVMNET_URI, -c).
. "$(dirname "$0")/../daemon/lib.sh"

"$KVMNET" --help >"$T/out" || fail "--help"
for v in iface-list iface-dumpxml iface-define iface-undefine iface-edit iface-mac iface-name; do
        grep -q "^  $v " "$T/out" || fail "--help does not list $v"
done
grep -q "Exit codes" "$T/out" || fail "--help does not give the exit codes"
"$KVMNET" help iface-list | grep -q -- "--inactive" || fail "help iface-list"
# Every verb --help lists has its own help with a description.
for v in $(sed -n '/^Verbs:/,/^$/s/^  \([a-z-]*\) .*/\1/p' "$T/out"); do
        "$KVMNET" help "$v" >"$T/help" 2>&1 || fail "help $v: exit $?"
        [ "$(sed -n 3p "$T/help")" != "" ] || fail "help $v: no description"
done
"$KVMNET" iface-dumpxml --help | grep -q "^Usage: kvmnet iface-dumpxml NAME \[--inactive\]" || fail "verb --help"
"$KVMNET" --version | grep -q "^kvmnet " || fail "--version"
"$KVMNETD" --help | grep -q -- "--ro-socket" || fail "kvmnetd --help"
pass "help"

expect_error 2 "unknown verb 'iface-frobnicate'" "$KVMNET" iface-frobnicate
expect_error 2 "iface-dumpxml: missing argument" "$KVMNET" iface-dumpxml
expect_error 2 "iface-mac: unexpected argument 'b'" "$KVMNET" iface-mac a b
expect_error 2 "iface-list: unknown option '--bogus'" "$KVMNET" iface-list --bogus
expect_error 2 "unsupported connection URI 'tcp://x'" "$KVMNET" -c tcp://x iface-list
expect_error 2 "cannot go with --connect" "$KVMNET" --root / -c unix:///x iface-list
expect_error 2 "--backend needs --root" "$KVMNET" --backend ifcfg iface-list
expect_error 2 "unknown verb 'nope'" "$KVMNET" help nope
rc=0
"$KVMNET" --bogus-option >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "unknown global option exited $rc"
rc=0
"$KVMNETD" --bogus-option >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "kvmnetd: unknown option exited $rc"
pass "usage errors exit 2"

expect_error 3 "cannot connect to unix://$T/none: No such file or directory \(is kvmnetd running" \
        "$KVMNET" -c "unix://$T/none" iface-list
expect_error 3 "cannot connect to unix://$KVMNET_RUN_DIR/kvmnet-sock" "$KVMNET" iface-list
touch "$T/plainfile"
expect_error 3 "cannot connect to unix://$T/plainfile" "$KVMNET" -c "unix://$T/plainfile" iface-list
expect_error 1 "root directory $T/nodir" "$KVMNET" --root "$T/nodir" iface-list
pass "connection errors exit 3"

ROOT=$T/root
make_root "$ROOT" ifupdown
start_daemon
KVMNET_URI="unix://$T/ro" "$KVMNET" iface-list --all >/dev/null || fail "\$KVMNET_URI not used"
KVMNET_URI="unix://$T/none" "$KVMNET" -c "unix://$T/ro" iface-list >/dev/null || fail "-c does not win over \$KVMNET_URI"
stop_daemon
pass "\$KVMNET_URI and -c"
