#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A kvmnet --root DIR --netns NS killed half way through iface-bridge
# leaves live steps in NS: a later kvmnet --root DIR without --netns keeps
# the whole transaction (it cannot undo them, and files alone would not
# match the live state); the next run with --netns NS rolls both back.
. "$(dirname "$0")/../daemon/lib.sh"

can_netns || skip "needs root and ip (network namespaces)"
make_netns host
H=$NS_MADE
make_netns lan
ip -n "$H" link add eth0 type veth peer name lan0 netns "$NS_MADE" &&
        ip -n "$H" addr add 192.0.2.10/24 dev eth0 && ip -n "$H" link set eth0 up ||
        fail "namespace setup"
ROOT=$T/root
make_root "$ROOT" ifupdown
cat >"$ROOT/etc/network/interfaces" <<'E'
auto eth0
iface eth0 inet static
    address 192.0.2.10/24
E
cp "$ROOT/etc/network/interfaces" "$T/before"

KVMNET_TEST_KILL_STEP="make eth0 a port" "$KVMNET" --root "$ROOT" --netns "$H" iface-bridge eth0 br0 \
        >"$T/out" 2>&1 && fail "kvmnet was not killed: $(cat "$T/out")"
ip -n "$H" link show br0 >/dev/null 2>&1 || fail "the killed run left no bridge to roll back"

"$KVMNET" --root "$ROOT" iface-list --all >"$T/out" 2>&1
grep -q "not served here: it is kept" "$T/out" || fail "no word of the kept transaction: $(cat "$T/out")"
ls "$ROOT/var/lib/kvmnet/txn/main/meta" >/dev/null 2>&1 || fail "the journal is gone"
ip -n "$H" link show br0 >/dev/null 2>&1 || fail "br0 gone without --netns"
pass "without --netns the transaction is kept, files too"

"$KVMNET" --root "$ROOT" --netns "$H" iface-list --all >"$T/out" 2>&1 || fail "iface-list --netns: $(cat "$T/out")"
grep -q "undoing: make eth0 a port of br0" "$T/out" || fail "no undo logged: $(cat "$T/out")"
ip -n "$H" link show br0 >/dev/null 2>&1 && fail "br0 still there after the run with --netns"
ip -n "$H" -o addr show dev eth0 | grep -q "192.0.2.10/24" || fail "eth0 lost its address"
cmp -s "$T/before" "$ROOT/etc/network/interfaces" || fail "the files were not rolled back: $(cat "$ROOT/etc/network/interfaces")"
[ ! -e "$ROOT/var/lib/kvmnet/txn/main/meta" ] || fail "the journal is still there"
pass "with --netns the next run rolls files and live state back"
