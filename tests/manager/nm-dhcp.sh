#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# iface-bridge of a NIC whose address is a DHCP lease NetworkManager holds
# (issue 8 section 2): NetworkManager makes the move and runs DHCP on the
# bridge, so kvmnet does not refuse the lease as it does for a client it
# cannot follow.  dnsmasq in the LAN namespace gives eth0's MAC one fixed
# address; the bridge (eth0's MAC) gets the same lease back, the host
# answers a ping from the LAN afterwards, and iface-unbridge returns the
# lease to eth0.
#
#   H: eth0 (veth, DHCP)  <-->  L: lan0 192.0.2.1/24, dnsmasq
. "$(dirname "$0")/../daemon/lib.sh"
. "$(dirname "$0")/lib.sh"
manager_skip_unless nm
command -v dnsmasq >/dev/null || skip "dnsmasq is not installed"

mgr_netns host
H=$NS_MADE
mgr_netns lan
L=$NS_MADE
MAC=02:00:00:00:0f:02
ip -n "$H" link add eth0 address $MAC type veth peer name lan0 netns "$L" &&
        ip -n "$L" addr add 192.0.2.1/24 dev lan0 && ip -n "$L" link set lan0 up ||
        fail "namespace setup"
ip netns exec "$L" dnsmasq --conf-file=/dev/null --interface=lan0 --bind-interfaces \
        --except-interface=lo --port=0 --dhcp-range=192.0.2.100,192.0.2.150,1h \
        --dhcp-host=$MAC,192.0.2.42 --dhcp-leasefile="$T/dnsmasq.leases" \
        --pid-file="$T/dnsmasq.pid" --log-facility="$T/dnsmasq.log" || fail "dnsmasq"
for _ in $(seq 50); do [ -s "$T/dnsmasq.pid" ] && break; sleep 0.1; done
EXTRA_PIDS="$EXTRA_PIDS $(cat "$T/dnsmasq.pid")"

ROOT=$T/root
DIR=$ROOT/etc/NetworkManager/system-connections
mkdir -p "$DIR"
cat >"$T/eth0.xml" <<'X'
<interface type='ethernet' name='eth0'>
  <start mode='onboot'/>
  <protocol family='ipv4'>
    <dhcp/>
  </protocol>
</interface>
X
"$KVMNET" --root "$ROOT" --backend nmkeyfile iface-define "$T/eth0.xml" >/dev/null ||
        fail "iface-define eth0"
manager_start nm "$H" "$DIR"
leased() { # DEV
        ip -n "$H" -br addr show "$1" 2>/dev/null | grep -q ' 192\.0\.2\.42/24' &&
                ip -n "$H" addr show "$1" | grep -q 'dynamic'
}
reachable() { ip netns exec "$L" ping -c 1 -W 1 -q 192.0.2.42 >/dev/null 2>&1; }
for _ in $(seq 200); do leased eth0 && break; sleep 0.1; done
leased eth0 || fail "NetworkManager got no lease on eth0: $(ip -n "$H" -br addr); $(tail -n 20 "$T/nm.log")"
start_daemon --netns "$H" --backend nmkeyfile
kv() { "$KVMNET" -c "unix://$T/rw" "$@"; }

# A 10 ms ping from the LAN meanwhile: how many it loses is printed (the
# outage is NetworkManager's DHCP exchange on the bridge, not asserted).
ip netns exec "$L" ping -n -i 0.01 -W 1 192.0.2.42 >"$T/ping.out" 2>&1 &
PING_PID=$!
EXTRA_PIDS="$EXTRA_PIDS $PING_PID"
sleep 0.3
kv iface-bridge eth0 br0 >"$T/bridge.out" 2>&1 || fail "iface-bridge: $(cat "$T/bridge.out")"
grep -qx 'Through NetworkManager' "$T/bridge.out" || fail "not through NetworkManager: $(cat "$T/bridge.out")"
for _ in $(seq 200); do leased br0 && break; sleep 0.1; done
leased br0 || fail "br0 has no lease: $(ip -n "$H" -br addr); br0: $(nm_device_state br0)"
ip -n "$H" link show eth0 | grep -q 'master br0' || fail "eth0 is not a port of br0"
reachable || fail "192.0.2.42 does not answer on br0"
kill -INT "$PING_PID"; wait "$PING_PID"
echo "  iface-bridge: $(grep 'packets transmitted' "$T/ping.out")"
grep -q '^method=auto' "$DIR/br0.nmconnection" || fail "br0's profile is not DHCP: $(cat "$DIR/br0.nmconnection")"
pass "iface-bridge of a NIC with NetworkManager's DHCP lease: br0 gets the same lease"

kv iface-unbridge br0 >"$T/unbridge.out" 2>&1 || fail "iface-unbridge: $(cat "$T/unbridge.out")"
for _ in $(seq 200); do leased eth0 && ! ip -n "$H" link show br0 >/dev/null 2>&1 && break; sleep 0.1; done
leased eth0 || fail "eth0 has no lease after iface-unbridge: $(ip -n "$H" -br addr)"
ip -n "$H" link show br0 >/dev/null 2>&1 && fail "br0 still there after iface-unbridge"
reachable || fail "192.0.2.42 does not answer on eth0"
pass "iface-unbridge: the lease back on eth0"
stop_daemon
