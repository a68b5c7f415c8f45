#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A revert or rollback that deletes a bridge guest taps sit on goes ahead
# (the host's own network comes first) and names the taps it cut off: in
# the confirm timer's event and log line, and in iface-rollback's reply.
# Config: Debian ifupdown under a temp root.  Needs root (exit 77).
. "$(dirname "$0")/../daemon/lib.sh"

can_netns || skip "needs root and ip (network namespaces)"
make_nic_host
start_daemon --netns "$H"
kv() { "$KVMNET" -c "unix://$T/rw" "$@"; }
# A guest's tap as kvmnet's attach leaves it: a tun link, port of br0.
add_tap() {
        ip -n "$H" tuntap add dev "$1" mode tap && ip -n "$H" link set "$1" master br0 up ||
                fail "tap $1 on br0"
}

"$KVMNET" -c "unix://$T/ro" event --loop --json >"$T/events" 2>&1 &
EV=$!
sleep 0.2
kv iface-bridge eth0 br0 --confirm 1 >"$T/out" 2>&1 || fail "iface-bridge --confirm 1: $(cat "$T/out")"
add_tap vnet7
for _ in $(seq 60); do ip -n "$H" link show br0 >/dev/null 2>&1 || break; sleep 0.1; done
ip -n "$H" link show br0 >/dev/null 2>&1 && fail "br0 still there after the confirm timeout"
sleep 0.2
kill "$EV"; wait "$EV" 2>/dev/null
grep -q "reverted.*cut off from their bridge: vnet7 (on br0)" "$T/daemon.log" ||
        fail "the revert's log line does not name vnet7: $(grep -i revert "$T/daemon.log")"
python3 - "$T/events" <<'P' || fail "no txn event naming vnet7: $(cat "$T/events")"
import json, sys
ok = any(e.get("event") == "txn" and e.get("action") == "reverted"
         and e.get("guest_nics_cut_off") == "vnet7 (on br0)"
         for e in (json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")))
sys.exit(0 if ok else 1)
P
ip -n "$H" -j link show vnet7 | grep -q '"master"' && fail "vnet7 still has a master"
ip -n "$H" link del vnet7
pass "a confirm timeout reverts a bridge with a guest tap on it and names the tap (log, event)"

kv iface-begin >/dev/null || fail "iface-begin"
kv iface-bridge eth0 br0 >/dev/null || fail "iface-bridge in a transaction"
add_tap vnet8
kv iface-rollback >"$T/out" 2>&1 || fail "iface-rollback: $(cat "$T/out")"
grep -q 'cut off from their bridge: vnet8 (on br0)' "$T/out" || fail "rollback reply: $(cat "$T/out")"
ip -n "$H" link show br0 >/dev/null 2>&1 && fail "br0 still there after the rollback"
pass "iface-rollback names the guest taps it cut off in its reply"
