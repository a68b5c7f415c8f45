#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The runtime pieces of a virtual network on real parts, in namespaces:
#   host  a bridge (made here with ip) served by kvmnet's dnsmasq, NAT and
#         forwarding through src/vnet (vnet-helper), an uplink veth to
#   lan   a server that tells each client the address it saw;
#   c1,c2 guests: veths into the bridge, busybox udhcpc.
# Checks: a lease in range, a static host pinned, DNS names, the lease
# event at once, masquerade (the server sees the host's uplink address),
# route mode (it sees the guest's), isolated mode (no way out), net-update
# by SIGHUP (same pid), a killed dnsmasq restarted, adoption by a new
# supervisor, and after stop/delete/release: no dnsmasq, no table, the
# sysctl as it was.  Needs root, ip, dnsmasq, busybox, python3 (exit 77).
set -u

: "${VNET_HELPER:?VNET_HELPER must name the vnet-helper binary}"
[ "$(id -u)" = 0 ] && command -v ip >/dev/null || { echo "SKIP: needs root and ip"; exit 77; }
[ -x /usr/sbin/dnsmasq ] && command -v busybox >/dev/null && command -v python3 >/dev/null ||
        { echo "SKIP: needs dnsmasq, busybox and python3"; exit 77; }

P=knhe2-$$
HOST=$P-host LAN=$P-lan C1=$P-c1 C2=$P-c2
T=$(mktemp -d "${TMPDIR:-/tmp}/knhe2-vnet.XXXXXX")
chmod 755 "$T" # dnsmasq re-reads its hosts files as nobody
S=$T/state
PIDS=
NETNS=

cleanup() {
        local p
        exec 3>&- 2>/dev/null
        for p in $PIDS; do kill "$p" 2>/dev/null; done
        for p in $PIDS; do wait "$p" 2>/dev/null; done
        for p in $NETNS; do
                for pid in $(ip netns pids "$p" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
                ip netns del "$p" 2>/dev/null
        done
        rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
        echo "FAIL: $*" >&2
        [ -f "$T/events" ] && { echo "--- events" >&2; cat "$T/events" >&2; }
        [ -f "$S/net1.log" ] && { echo "--- dnsmasq log" >&2; tail -n 20 "$S/net1.log" >&2; }
        exit 1
}
pass() { echo "ok - $*"; }

# Up to 10 s for CMD to succeed (the machine may be busy).
wait_for() {
        local i
        for i in $(seq 500); do
                "$@" >/dev/null 2>&1 && return 0
                sleep 0.02
        done
        return 1
}

for ns in $HOST $LAN $C1 $C2; do
        ip netns add "$ns" || fail "ip netns add $ns"
        NETNS="$NETNS $ns"
        ip -n "$ns" link set lo up
        # No DAD: router advertisements and SLAAC within the test's time.
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.accept_dad=0 \
                net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.router_solicitation_delay=0
done
h() { ip -n "$HOST" "$@" || fail "ip -n $HOST $*"; }
h link add kvbr0 type bridge stp_state 0 forward_delay 0
h addr add 192.168.150.1/24 dev kvbr0
h addr add fd00:15::1/64 dev kvbr0 nodad
h link set kvbr0 up
n=0
for c in $C1 $C2; do
        n=$((n + 1))
        h link add vc$n type veth peer name eth0 netns "$c"
        h link set vc$n master kvbr0 up
        ip -n "$c" link set eth0 address 52:54:00:00:00:${n}${n} up || fail "eth0 in $c"
done
h link add up0 type veth peer name lan0 netns "$LAN"
h addr add 198.51.100.1/24 dev up0
h link set up0 up
ip -n "$LAN" addr add 198.51.100.2/24 dev lan0 && ip -n "$LAN" link set lan0 up || fail "lan0"

# The LAN server: answers each connection with the peer address it saw.
ip netns exec "$LAN" python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("198.51.100.2", 8080))
s.listen(8)
open(sys.argv[1], "w").close()
while True:
    c, a = s.accept()
    c.sendall(("%s %d" % a[:2]).encode())
    c.close()' "$T/server-ready" &
PIDS="$PIDS $!"
wait_for test -e "$T/server-ready" || fail "LAN server did not start"
# The address and port the LAN server saw of a connection from namespace
# $1 ("-" if none).
seen() {
        ip netns exec "$1" python3 -c '
import socket
try:
    s = socket.create_connection(("198.51.100.2", 8080), timeout=1)
    print(s.recv(64).decode() or "-")
except OSError:
    print("-")'
}
seen_from() { seen "$1" | cut -d' ' -f1; }

cat >"$T/udhcpc.sh" <<'EOF'
#!/bin/sh
case $1 in
bound|renew)
        ip addr flush dev "$interface"
        ip addr add "$ip/${mask:-24}" dev "$interface"
        for r in $router; do ip route replace default via "$r" dev "$interface"; break; done
        [ -z "$KN_BOUND" ] || : >"$KN_BOUND"
        ;;
esac
exit 0
EOF
chmod 755 "$T/udhcpc.sh"
# A lease for eth0 in namespace $1; prints the address.
lease() {
        ip netns exec "$1" busybox udhcpc -i eth0 -n -q -f -t 3 -T 1 -s "$T/udhcpc.sh" \
                >"$T/udhcpc.out" 2>&1 || { cat "$T/udhcpc.out" >&2; return 1; }
        ip -n "$1" -4 -o addr show dev eth0 | awk '{print $4}'
}

# ---- bad input: one error naming the field
out=$("$VNET_HELPER" dnsmasq-print "$S" --name net1 --bridge kvbr0 --subnet 192.168.150.1/24 \
        --range 192.168.150.100,192.168.151.20 2>&1) && fail "a range outside the subnet was taken"
[ "$out" = "error: network net1: DHCP range end 192.168.151.20 is in none of its subnets" ] ||
        fail "range error: $out"
out=$("$VNET_HELPER" nft-print --name 'bad/name' --bridge kvbr0 2>&1) && fail "bad name taken"
case $out in "error: network name 'bad/name' contains '/' (valid: 1-64"*) ;; *) fail "name error: $out" ;; esac
pass "bad input refused with one error naming it"

# ---- dnsmasq under a supervisor (a kn_loop in vnet-helper)
DNSMASQ_ARGS=(--name net1 --bridge kvbr0 --subnet 192.168.150.1/24
        --range 192.168.150.100,192.168.150.120 --host 52:54:00:00:00:22,pinned,192.168.150.50
        --dns-host 192.168.150.7,www --domain knet --subnet fd00:15::1/64 --ra)
mkfifo "$T/cmd"
start_supervisor() {
        "$VNET_HELPER" dnsmasq-run "$HOST" "$S" "${DNSMASQ_ARGS[@]}" <"$T/cmd" >>"$T/events" 2>&1 &
        SUP=$!
        PIDS="$PIDS $SUP"
        exec 3>"$T/cmd"
}
# The last event line matching the pattern.
event() { grep -E "$1" "$T/events" | tail -n 1; }
# A start after the exit of $1 (the last "started" line may be older than
# $1 when $1 came from an "updated" restart).
new_start() {
        awk -v pid="$1" '$1 == "exited" && $2 == pid { gone = 1; next }
                gone && $1 == "started" { found = 1 } END { exit !found }' "$T/events"
}
# Port 53 on the bridge taken: one error naming the cause, nothing left
# but the log it names.
ip netns exec "$HOST" python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.168.150.1", 53))
open(sys.argv[1], "w").close()
time.sleep(10)' "$T/busy" &
BUSY=$!
PIDS="$PIDS $BUSY"
wait_for test -e "$T/busy" || fail "port 53 holder did not start"
out=$("$VNET_HELPER" dnsmasq-run "$HOST" "$S" "${DNSMASQ_ARGS[@]}" </dev/null 2>&1) &&
        fail "dnsmasq started with port 53 taken"
case $out in
"error: network net1: dnsmasq exited at start with status 2 (dnsmasq: failed to create listening socket for 192.168.150.1: Address already in use; log: $S/net1.log)") ;;
*) fail "port 53 taken: $out" ;;
esac
[ "$(ls "$S" | tr '\n' ' ')" = "net1.leases net1.log " ] || fail "a failed start left: $(ls "$S")"
kill "$BUSY"
wait "$BUSY" 2>/dev/null
pass "port 53 taken: dnsmasq's own message in one error, only the log and lease file left"

: >"$T/events"
start_supervisor
wait_for grep -q '^started ' "$T/events" || fail "dnsmasq did not start"
PID=$(event '^started ' | cut -d' ' -f2)
[ "$(cat "$S/net1.pid")" = "$PID" ] || fail "pid file $(cat "$S/net1.pid") is not $PID"
grep -qx "interface=kvbr0" "$S/net1.conf" && grep -qx bind-dynamic "$S/net1.conf" ||
        fail "config not bound to the bridge: $(cat "$S/net1.conf")"
[ "$(readlink "/proc/$PID/ns/net")" = "$(ip netns exec "$HOST" readlink /proc/self/ns/net)" ] ||
        fail "dnsmasq does not run in the host namespace"
pass "dnsmasq $PID runs in $HOST, bound to kvbr0"

A1=$(lease "$C1") || fail "no lease for c1"
case $A1 in 192.168.150.1[01][0-9]/24 | 192.168.150.120/24) ;; *) fail "c1 lease $A1 not in range" ;; esac
# Pushed by the lease file watch: the event is there (almost) at once.
for i in $(seq 50); do grep -q "^lease added ${A1%/*} 52:54:00:00:00:11" "$T/events" && break; sleep 0.02; done
grep -q "^lease added ${A1%/*} 52:54:00:00:00:11" "$T/events" || fail "no lease event within 1 s"
A2=$(lease "$C2") || fail "no lease for c2"
[ "$A2" = 192.168.150.50/24 ] || fail "static host: c2 got $A2, not 192.168.150.50"
pass "leases: c1 $A1 in range, c2 pinned to $A2, lease event at once"

dns() { ip netns exec "$C1" busybox nslookup "$1" 192.168.150.1 2>&1; }
dns www.knet | grep -q "192.168.150.7" || fail "www.knet: $(dns www.knet)"
dns pinned.knet | grep -q "192.168.150.50" || fail "pinned.knet: $(dns pinned.knet)"
pass "DNS: www.knet (a <dns><host>) and pinned.knet (a DHCP host) resolve"
slaac() { ip -n "$C1" -6 -o addr show dev eth0 scope global | grep -q ' fd00:15::'; }
# A router solicitation now, to dnsmasq (the ones at link up went unheard);
# the link going down took c1's default route with it.
ip -n "$C1" link set eth0 down && ip -n "$C1" link set eth0 up &&
        ip -n "$C1" route replace default via 192.168.150.1 || fail "c1 eth0 down/up"
wait_for slaac || fail "no router advertisement: c1 has no address in fd00:15::/64"
pass "IPv6: c1 configured an address in fd00:15::/64 from dnsmasq's router advertisements"

# ---- NAT, route, isolated
fwd() { ip netns exec "$HOST" sysctl -n net.ipv4.ip_forward net.ipv6.conf.all.forwarding | tr '\n' ' '; }
[ "$(fwd)" = "0 0 " ] || fail "forwarding is on already: $(fwd)"
[ "$("$VNET_HELPER" sysctl-enable "$HOST" "$S" net1 --ipv6)" = "ipv4 ipv6" ] || fail "sysctl-enable"
[ "$(fwd)" = "1 1 " ] || fail "forwarding not on: $(fwd)"
[ "$(seen_from "$C1")" = - ] || fail "the LAN answered without NAT (it has no route back)"
NFT=(--name net1 --bridge kvbr0 --subnet 192.168.150.1/24 --subnet fd00:15::1/64)
"$VNET_HELPER" nft-apply "$HOST" "${NFT[@]}" --mode nat || fail "nft-apply nat"
[ "$(seen_from "$C1")" = 198.51.100.1 ] || fail "NAT: the LAN saw '$(seen_from "$C1")'"
pass "NAT: the LAN server sees the host's uplink address 198.51.100.1"

"$VNET_HELPER" nft-apply "$HOST" "${NFT[@]}" --mode nat --dev up0 --ports 20000-20009 ||
        fail "nft-apply nat dev=up0"
read -r addr port <<<"$(seen "$C1")"
[ "$addr" = 198.51.100.1 ] && [ "$port" -ge 20000 ] && [ "$port" -le 20009 ] ||
        fail "NAT dev=up0 ports 20000-20009: the LAN saw $addr $port"
"$VNET_HELPER" nft-apply "$HOST" "${NFT[@]}" --mode nat --dev eth9 || fail "nft-apply dev=eth9"
[ "$(seen_from "$C1")" = - ] || fail "NAT dev=eth9: the LAN was reached through up0"
pass "NAT dev=up0 with ports 20000-20009: source $addr:$port; dev=eth9: no way out through up0"

ip -n "$LAN" route add 192.168.150.0/24 via 198.51.100.1 || fail "LAN route"
"$VNET_HELPER" nft-apply "$HOST" "${NFT[@]}" --mode route || fail "nft-apply route"
[ "$(seen_from "$C1")" = "${A1%/*}" ] || fail "route: the LAN saw '$(seen_from "$C1")'"
[ "$(ip netns exec "$HOST" nft list tables)" = "table inet kvmnet-net1" ] ||
        fail "tables: $(ip netns exec "$HOST" nft list tables)"
pass "route: the LAN sees the guest's own ${A1%/*}; one table, replaced in place"

"$VNET_HELPER" nft-apply "$HOST" "${NFT[@]}" --mode isolated || fail "nft-apply isolated"
[ "$(seen_from "$C1")" = - ] || fail "isolated: the LAN was reached"
ip netns exec "$C1" busybox ping -c 1 -W 1 192.168.150.50 >/dev/null || fail "isolated: c1 cannot reach c2"
ip netns exec "$C1" busybox ping -c 1 -W 1 192.168.150.1 >/dev/null || fail "isolated: c1 cannot reach the host"
pass "isolated: the LAN is out of reach, guest to guest and guest to host work"

# ---- net-update: a new static host is a SIGHUP, not a restart
echo "host 52:54:00:00:00:33,late,192.168.150.60" >&3
wait_for grep -q '^updated ' "$T/events" || fail "no update reply"
[ "$(event '^updated ' | cut -d' ' -f2)" = "$PID" ] || fail "update restarted dnsmasq"
ip -n "$C2" link set eth0 down && ip -n "$C2" link set eth0 address 52:54:00:00:00:33 up
A3=$(lease "$C2") || fail "no lease after the update"
[ "$A3" = 192.168.150.60/24 ] || fail "updated host got $A3, not 192.168.150.60"
pass "net-update: a host added by SIGHUP ($PID still serving) gets 192.168.150.60"

# A new domain is a change of NET.conf: dnsmasq restarted with it.
echo "domain knet2" >&3
updated_twice() { [ "$(grep -c '^updated ' "$T/events")" -ge 2 ]; }
wait_for updated_twice || fail "no reply to the domain update"
PIDD=$(event '^updated ' | cut -d' ' -f2)
[ "$PIDD" != "$PID" ] && kill -0 "$PIDD" || fail "domain update: dnsmasq $PIDD not restarted"
grep -qx "domain=knet2" "$S/net1.conf" || fail "domain not in NET.conf"
dns www.knet2 | grep -q "192.168.150.7" || fail "www.knet2: $(dns www.knet2)"
DNSMASQ_ARGS=("${DNSMASQ_ARGS[@]/knet/knet2}")
PID=$PIDD
pass "a new domain restarts dnsmasq ($PID): www.knet2 resolves"

# ---- supervision: killed, restarted
kill "$PID"
wait_for grep -q "^exited $PID " "$T/events" || fail "the exit of $PID was not seen"
wait_for new_start "$PID" || fail "dnsmasq was not restarted"
PID2=$(event '^started ' | cut -d' ' -f2)
kill -0 "$PID2" 2>/dev/null && [ "$(cat "$S/net1.pid")" = "$PID2" ] || fail "restarted $PID2 not running"
A1b=$(lease "$C1") || fail "no lease from the restarted dnsmasq"
[ "$A1b" = "$A1" ] || fail "c1 got $A1b after the restart, not $A1 again"
pass "killed dnsmasq $PID restarted as $PID2; c1 gets $A1 again"

# A restart that fails is tried again, later each time, until it works.
cp "$S/net1.conf" "$T/good.conf"
echo "no-such-option" >>"$S/net1.conf"
kill "$PID2"
wait_for grep -q '^start-failed ' "$T/events" || fail "no failed restart with a broken NET.conf"
line=$(event '^start-failed ')
case $line in
"start-failed "[1-9]*" network net1: dnsmasq exited at start with status 1 (dnsmasq: bad option at line "*) ;;
*) fail "failed restart: $line" ;;
esac
cp "$T/good.conf" "$S/net1.conf"
wait_for new_start "$PID2" || fail "no restart once NET.conf was good again"
PID2=$(event '^started ' | cut -d' ' -f2)
pass "a failing restart is tried again ($(echo "$line" | cut -d' ' -f2) ms later): $PID2 runs once NET.conf is good"

# ---- a new supervisor adopts the running dnsmasq
echo detach >&3
wait "$SUP" || fail "supervisor exit on detach"
exec 3>&-
kill -0 "$PID2" || fail "detach stopped dnsmasq"
DNSMASQ_ARGS+=(--host 52:54:00:00:00:33,late,192.168.150.60)
start_supervisor
wait_for grep -q "^adopted $PID2\$" "$T/events" || fail "$PID2 was not adopted"
kill "$PID2"
wait_for grep -q "^exited $PID2 -1 " "$T/events" || fail "the adopted dnsmasq's exit was not seen"
wait_for new_start "$PID2" || fail "adopted dnsmasq not restarted"
PID3=$(event '^started ' | cut -d' ' -f2)
pass "a new supervisor adopts $PID2 and restarts it as $PID3 when killed"

# A released lease is an event too.
ip netns exec "$C2" env KN_BOUND="$T/bound" busybox udhcpc -i eth0 -f -R -t 3 -T 1 \
        -s "$T/udhcpc.sh" >/dev/null 2>&1 &
U=$!
PIDS="$PIDS $U"
wait_for test -e "$T/bound" || fail "udhcpc -R in c2 got no lease"
kill -TERM "$U" # -R: it sends a DHCPRELEASE as it exits
wait "$U"
wait_for grep -q "^lease removed 192.168.150.60 52:54:00:00:00:33" "$T/events" ||
        fail "no event for the released lease"
pass "a released lease is reported removed"

# ---- teardown leaves nothing
echo stop >&3
wait_for grep -q '^stopped$' "$T/events" || fail "stop"
wait "$SUP" || fail "supervisor exit after stop"
! kill -0 "$PID3" 2>/dev/null || fail "dnsmasq $PID3 still runs"
[ "$(ls "$S" | grep '^net1\.' | tr '\n' ' ')" = "net1.leases " ] || fail "left: $(ls "$S")"
"$VNET_HELPER" nft-delete "$HOST" net1 || fail "nft-delete"
[ -z "$(ip netns exec "$HOST" nft list tables)" ] || fail "tables left: $(ip netns exec "$HOST" nft list tables)"
"$VNET_HELPER" nft-delete "$HOST" net1 || fail "a second nft-delete"
[ "$("$VNET_HELPER" nft-exists "$HOST" net1)" = no ] || fail "nft-exists"
[ "$("$VNET_HELPER" sysctl-release "$HOST" "$S" net1)" = "ipv4 ipv6" ] || fail "sysctl-release"
[ "$(fwd)" = "0 0 " ] || fail "forwarding not restored: $(fwd)"
pass "stop/delete/release: no dnsmasq, no table, forwarding back to 0, only the lease file kept"

# ---- sysctl state of a namespace that is gone is dropped, not obeyed
RE=$P-re
ip netns add "$RE" && NETNS="$NETNS $RE" || fail "ip netns add $RE"
[ "$("$VNET_HELPER" sysctl-enable "$RE" "$T/re" net1)" = ipv4 ] || fail "sysctl-enable in $RE"
ip netns del "$RE" && ip netns add "$RE" || fail "re-making $RE"
[ "$("$VNET_HELPER" sysctl-release "$RE" "$T/re" net1)" = - ] || fail "stale state was restored"
[ "$("$VNET_HELPER" sysctl-enable "$RE" "$T/re" net2)" = ipv4 ] || fail "sysctl-enable after re-making"
[ "$(ls "$T/re/forward/ipv4")" = net2 ] || fail "stale users kept: $(ls "$T/re/forward/ipv4")"
[ "$("$VNET_HELPER" sysctl-release "$RE" "$T/re" net2)" = ipv4 ] || fail "release after re-making"
pass "forwarding state of a deleted namespace is dropped when one of that name is made again"
exit 0
