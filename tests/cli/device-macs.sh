#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The devices' own MACs come from the kernel of the namespace --netns
# names (ROOT/sys/class/net without it): iface-name finds a configured
# interface by its device's MAC.  A warning in the files (a stanza repeated
# word for word) is printed as one and leaves the list whole (exit 0).
. "$(dirname "$0")/../daemon/lib.sh"

can_netns || skip "needs root and ip (network namespaces)"
make_netns dev
NS=$NS_MADE
ip -n "$NS" link add eth7 address 02:11:22:33:44:55 type veth peer name peer7 || fail "veth"
ROOT=$T/root
make_root "$ROOT" ifupdown
cat >"$ROOT/etc/network/interfaces" <<'E'
auto eth7
iface eth7 inet static
    address 192.0.2.7/24

iface eth7 inet static
    address 192.0.2.7/24
E

"$KVMNET" --root "$ROOT" --netns "$NS" iface-name 02:11:22:33:44:55 >"$T/out" 2>"$T/err" ||
        fail "iface-name with --netns: $(cat "$T/err")"
grep -qx "eth7" "$T/out" || fail "iface-name did not find eth7 by its device's MAC: $(cat "$T/out")"
"$KVMNET" --root "$ROOT" iface-name 02:11:22:33:44:55 >"$T/out" 2>&1
grep -qx "eth7" "$T/out" && fail "without --netns the machine's kernel was asked"
pass "iface-name finds an interface by the MAC its device has in the --netns namespace only"

rc=0
"$KVMNET" --root "$ROOT" iface-list --all >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 0 ] || fail "iface-list with only a warning exited $rc: $(cat "$T/err")"
grep -q "^warning: .*interfaces:[0-9]*: " "$T/err" || fail "no warning printed: $(cat "$T/err")"
grep -q "^error: " "$T/err" && fail "a warning printed as an error: $(cat "$T/err")"
grep -q " eth7 " "$T/out" || fail "eth7 not listed: $(cat "$T/out")"
"$KVMNET" --root "$ROOT" iface-list --all --json | python3 -c '
import json, sys
d = json.load(sys.stdin)["diagnostics"]
sys.exit(0 if d and all(x["warning"] is True for x in d) else 1)' || fail "the JSON does not mark the warning"
pass "a warning is printed as one, marked in the JSON, and the list exits 0"
