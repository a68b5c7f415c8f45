#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Sharing a NIC whose address is a DHCP lease (dnsmasq on the LAN side,
# kvmnet's udhcpc on the host): iface-bridge keeps the same address on the
# bridge and moves the client to it (same MAC: dnsmasq sees the same
# client, its lease file shows one lease), iface-unbridge moves it back,
# a 1 ms ping going all along.  Needs root, dnsmasq and busybox (exit 77).
. "$(dirname "$0")/../daemon/lib.sh"

can_netns || { echo "SKIP: needs root and ip (network namespaces)"; exit 77; }
command -v dnsmasq >/dev/null && { [ -x /bin/busybox ] || [ -x /usr/bin/busybox ]; } ||
        { echo "SKIP: dnsmasq or busybox (udhcpc) missing"; exit 77; }

make_netns host
H=$NS_MADE
make_netns lan
L=$NS_MADE
ip -n "$H" link add eth0 type veth peer name lan0 netns "$L" &&
        ip -n "$L" addr add 192.0.2.1/24 dev lan0 && ip -n "$L" link set lan0 up || fail "setup"
ip netns exec "$L" dnsmasq --conf-file=/dev/null --no-hosts --no-resolv --port=0 --user=root \
        --interface=lan0 --bind-interfaces --dhcp-range=192.0.2.100,192.0.2.150,255.255.255.0,1h \
        --dhcp-option=3,192.0.2.1 --dhcp-leasefile="$T/leases" --pid-file="$T/dnsmasq.pid" ||
        fail "dnsmasq"
trap 'kill "$(cat "$T/dnsmasq.pid" 2>/dev/null)" 2>/dev/null; cleanup' EXIT

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
addr_of() { ip -n "$H" -j -4 addr show dev "$1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(" ".join("%s/%s" % (x["local"], x["prefixlen"]) for x in (d[0]["addr_info"] if d else [])))'; }
# A live (not zombie) udhcpc for link $1 in the host namespace.
client_on() {
        local p
        for p in $(ip netns pids "$H"); do
                tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q "^udhcpc -i $1 " || continue
                [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ] && return 0
        done
        return 1
}

kv iface-start eth0 >/dev/null || fail "iface-start eth0 (DHCP)"
LEASE=$(addr_of eth0)
case $LEASE in 192.0.2.1[0-5][0-9]/24) ;; *) fail "no lease on eth0: '$LEASE'" ;; esac
client_on eth0 || fail "no DHCP client on eth0"

ip netns exec "$L" ping -n -i 0.001 -W 1 "${LEASE%/*}" >"$T/ping.out" 2>&1 &
PING=$!
sleep 0.3
kv iface-bridge eth0 br0 >"$T/out" 2>&1 || fail "iface-bridge: $(cat "$T/out")"
[ "$(addr_of br0)" = "$LEASE" ] || fail "br0 has '$(addr_of br0)', not the lease $LEASE"
[ -z "$(addr_of eth0)" ] || fail "eth0 kept $(addr_of eth0)"
client_on br0 || fail "the DHCP client did not move to br0"
! client_on eth0 || fail "a DHCP client still runs on eth0"
grep -q "iface br0 inet dhcp" "$ROOT/etc/network/interfaces" || fail "config: $(cat "$ROOT/etc/network/interfaces")"
[ "$(wc -l <"$T/leases")" = 1 ] || fail "dnsmasq has more than one lease: $(cat "$T/leases")"
sleep 0.3
kv iface-unbridge br0 >"$T/out" 2>&1 || fail "iface-unbridge: $(cat "$T/out")"
[ "$(addr_of eth0)" = "$LEASE" ] || fail "eth0 has '$(addr_of eth0)' back, not $LEASE"
client_on eth0 || fail "the DHCP client did not move back to eth0"
! client_on br0 || fail "a DHCP client still runs on br0"
sleep 0.3
kill -INT "$PING"; wait "$PING" 2>/dev/null
lost=$(python3 -c '
import re, sys
s = {int(m) for m in re.findall(r"icmp_seq=(\d+)", open(sys.argv[1]).read())}
print(max(s) - len(s) if s else 999)' "$T/ping.out")
[ "$lost" -le 2 ] || fail "$lost pings lost across bridge and unbridge"
[ "$(wc -l <"$T/leases")" = 1 ] || fail "dnsmasq has more than one lease: $(cat "$T/leases")"
kv iface-destroy eth0 >/dev/null || fail "destroy"
pass "a DHCP lease stays: same address on br0 and back on eth0, the client moves with it, one lease at dnsmasq, $lost pings lost"
stop_daemon
exit 0
