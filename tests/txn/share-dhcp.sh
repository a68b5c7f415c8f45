#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Sharing a NIC whose address is a DHCP lease: tests/txn/lib-outage.sh's
# host and LAN (dhcp: dnsmasq behind the LAN's switch, busybox udhcpc on
# eth0 laid out as kvmnet's own client).  iface-bridge keeps the same
# address on the bridge and moves the client to it (same MAC: dnsmasq sees
# the same client, its lease file shows one lease), iface-unbridge moves it
# back, while a 1 ms ICMP stream and a TCP echo stream from the LAN keep
# going; addresses, routes and the lease are the originals afterwards.
# Needs root, dnsmasq and busybox (exit 77).
. "$(dirname "$0")/../daemon/lib.sh"
OUTAGE_NO_TRAP=1
OUTAGE_BUILD=${OUTAGE_BUILD:-$(dirname "$KVMNET")/../..}
. "$(dirname "$0")/lib-outage.sh"

can_netns || skip "needs root and ip (network namespaces)"
command -v dnsmasq >/dev/null && command -v ping >/dev/null && { [ -x /bin/busybox ] || [ -x /usr/bin/busybox ]; } ||
        skip "dnsmasq, ping or busybox (udhcpc) missing"

trap 'outage_teardown; cleanup' EXIT
outage_setup dhcp "${OUTAGE_NS_PREFIX:-kn-test}-$$-host" "${OUTAGE_NS_PREFIX:-kn-test}-$$-lan" ||
        fail "namespace setup (DHCP)"
H=$OUTAGE_HOST
LEASES=$OUTAGE_DIR/dnsmasq.leases
# kvmnetd finds the harness's client as its own in its run directory.
export KVMNET_RUN_DIR=$OUTAGE_RUN_DIR

ROOT=$T/root
make_root "$ROOT" ifupdown
cat >"$ROOT/etc/network/interfaces" <<'EOT'
auto lo
iface lo inet loopback

auto eth0
iface eth0 inet dhcp
EOT
start_daemon --netns "$H"
kv() { "$KVMNET" -c "unix://$T/rw" "$@"; }
addr_of() { ip -n "$H" -4 -o addr show dev "$1" 2>/dev/null | awk '{ printf "%s%s", sep, $4; sep = " " }'; }
# A live (not zombie) udhcpc for link $1 in the host namespace.
client_on() {
        local p
        for p in $(ip netns pids "$H"); do
                tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q "^udhcpc -i $1 " || continue
                [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ] && return 0
        done
        return 1
}

LEASE=$(addr_of eth0)
case $LEASE in 192.0.2.1[0-5][0-9]/24) ;; *) fail "no lease on eth0: '$LEASE'" ;; esac
client_on eth0 || fail "no DHCP client on eth0"
kv iface-dumpxml eth0 | grep -q "<dhcp/>" || fail "kvmnetd does not see eth0's client as its own: $(kv iface-dumpxml eth0)"
ORIG=$(outage_snapshot orig)

outage_start_probe --tcp || fail "the probe did not start"
sleep 0.1
kv iface-bridge eth0 br0 >"$T/out" 2>&1 || fail "iface-bridge: $(cat "$T/out")"
[ "$(addr_of br0)" = "$LEASE" ] || fail "br0 has '$(addr_of br0)', not the lease $LEASE"
[ -z "$(addr_of eth0)" ] || fail "eth0 kept $(addr_of eth0)"
client_on br0 || fail "the DHCP client did not move to br0"
! client_on eth0 || fail "a DHCP client still runs on eth0"
grep -q "iface br0 inet dhcp" "$ROOT/etc/network/interfaces" || fail "config: $(cat "$ROOT/etc/network/interfaces")"
[ "$(wc -l <"$LEASES")" = 1 ] || fail "dnsmasq has more than one lease: $(cat "$LEASES")"
# The lease, its address (lifetimes counting down), the default route and
# every other route of eth0, now on br0.
outage_compare "$ORIG" "$(outage_snapshot bridged)" eth0=br0 >"$T/diff" ||
        fail "br0 does not hold exactly eth0's addresses, routes and lease: $(cat "$T/diff")"
sleep 0.3
kv iface-unbridge br0 >"$T/out" 2>&1 || fail "iface-unbridge: $(cat "$T/out")"
[ "$(addr_of eth0)" = "$LEASE" ] || fail "eth0 has '$(addr_of eth0)' back, not $LEASE"
client_on eth0 || fail "the DHCP client did not move back to eth0"
! client_on br0 || fail "a DHCP client still runs on br0"
sleep 0.3
outage_stop_probe >/dev/null || fail "no probe result"
lost=$(outage_json lost "$OUTAGE_PROBE_JSON")
[ "$lost" -le 2 ] || fail "$lost requests lost across bridge and unbridge: $OUTAGE_PROBE_JSON"
[ "$(outage_json tcp_up "$OUTAGE_PROBE_JSON")" = true ] || fail "the TCP stream broke: $OUTAGE_PROBE_JSON"
[ "$(wc -l <"$LEASES")" = 1 ] || fail "dnsmasq has more than one lease: $(cat "$LEASES")"
outage_compare "$ORIG" "$(outage_snapshot after)" >"$T/diff" ||
        fail "after unbridge the addresses, routes or lease differ: $(cat "$T/diff")"
pass "a DHCP lease stays: same address on br0 and back on eth0, the client moves with it, one lease at dnsmasq, $lost requests lost, TCP up, addresses and routes as before"

# A failure before the client moved: the undo must not start a second one.
clients() { # the live udhcpc processes in the host namespace
        local p n=0
        for p in $(ip netns pids "$H"); do
                tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q "^udhcpc " &&
                        [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ] && n=$((n + 1))
        done
        echo "$n"
}
stop_daemon
KVMNET_TEST_FAIL_STEP="make eth0 a port" start_daemon --netns "$H"
kv iface-bridge eth0 br0 >"$T/out" 2>&1 && fail "a failure at the enslave was not reported"
grep -q "injected failure" "$T/out" || fail "failure at the enslave: $(cat "$T/out")"
[ "$(clients)" = 1 ] && client_on eth0 || fail "after a failed iface-bridge: $(clients) DHCP clients, not one on eth0"
outage_compare "$ORIG" "$(outage_snapshot failed-bridge)" >"$T/diff" ||
        fail "a failed iface-bridge left: $(cat "$T/diff")"
stop_daemon
KVMNET_TEST_FAIL_STEP="release eth0" start_daemon --netns "$H"
kv iface-bridge eth0 br0 >"$T/out" 2>&1 || fail "iface-bridge: $(cat "$T/out")"
BR=$(outage_snapshot bridged-again)
kv iface-unbridge br0 >"$T/out" 2>&1 && fail "a failure at the release was not reported"
grep -q "injected failure" "$T/out" || fail "failure at the release: $(cat "$T/out")"
[ "$(clients)" = 1 ] && client_on br0 || fail "after a failed iface-unbridge: $(clients) DHCP clients, not one on br0"
outage_compare "$BR" "$(outage_snapshot failed-unbridge)" >"$T/diff" ||
        fail "a failed iface-unbridge left: $(cat "$T/diff")"
stop_daemon
start_daemon --netns "$H"
kv iface-unbridge br0 >"$T/out" 2>&1 || fail "iface-unbridge: $(cat "$T/out")"
[ "$(clients)" = 1 ] && client_on eth0 || fail "after iface-unbridge: $(clients) DHCP clients, not one on eth0"
pass "a failed iface-bridge or iface-unbridge (injected at the enslave, at the release) leaves one DHCP client, where it was, and the state as before"
kv iface-destroy eth0 >/dev/null || fail "destroy"
! client_on eth0 || fail "iface-destroy left the DHCP client running"
stop_daemon
exit 0
