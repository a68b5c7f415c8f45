#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# kvmnetd under valgrind through its live paths: iface-start and
# iface-destroy on the worker thread (bridge, a failure undone, DHCP), a
# client that leaves while its iface-start runs, event subscribers coming
# and going, SIGTERM while a change runs.  No invalid access, no leak.
# Needs root (exit 77 without).
. "$(dirname "$0")/../daemon/lib.sh"
: "${KN_RAWCLIENT:?}"
RAW=$KN_RAWCLIENT
can_netns || skip "live tests need root and ip (network namespaces)"
command -v valgrind >/dev/null || skip "valgrind is not installed"
[ -z "$KN_SANITIZED" ] || skip "kvmnetd is built with a sanitizer"

make_netns vg
H=$NS_MADE
make_netns vglan
L=$NS_MADE
ip -n "$H" link add eth0 type veth peer name lan0 netns "$L" &&
        ip -n "$H" link add eth1 type veth peer name lan1 netns "$L" &&
        ip -n "$L" addr add 10.84.0.1/24 dev lan0 && ip -n "$L" link set lan0 up &&
        ip -n "$L" link set lan1 up || fail "namespace setup"
DHCP=
if command -v dnsmasq >/dev/null && { [ -x /bin/busybox ] || [ -x /usr/bin/busybox ]; }; then
        ip netns exec "$L" dnsmasq --conf-file=/dev/null --no-hosts --no-resolv --port=0 --user=root \
                --interface=lan0 --bind-interfaces --dhcp-range=10.84.0.100,10.84.0.150,255.255.255.0,1h \
                --dhcp-leasefile="$T/leases" --pid-file="$T/dnsmasq.pid" || fail "dnsmasq"
        DHCP=1
fi

ROOT=$T/root
make_root "$ROOT" ifupdown
cat >"$T/br0.xml" <<EOF
<interface type='bridge' name='br0'>
  <protocol family='ipv4'>
    <ip address='10.85.0.2' prefix='24'/>
  </protocol>
  <bridge stp='off' delay='0'>
    <interface type='ethernet' name='eth1'/>
  </bridge>
</interface>
EOF
cat >"$T/eth0.xml" <<EOF
<interface type='ethernet' name='eth0'>
  <protocol family='ipv4'>
    <ip address='10.84.0.2' prefix='24'/>
    <route gateway='10.99.0.1'/>
  </protocol>
</interface>
EOF
cat >"$T/dhcp.xml" <<EOF
<interface type='ethernet' name='eth0'>
  <protocol family='ipv4'>
    <dhcp/>
  </protocol>
</interface>
EOF
"$KVMNET" --root "$ROOT" iface-define "$T/br0.xml" >/dev/null || fail "define br0"
"$KVMNET" --root "$ROOT" iface-define "$T/eth0.xml" >/dev/null || fail "define eth0"

: >"$T/daemon.log"
valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect,possible \
        --errors-for-leak-kinds=definite,indirect,possible --log-file="$T/valgrind.log" \
        "$KVMNETD" --root "$ROOT" --netns "$H" --socket "$T/rw" --ro-socket "$T/ro" \
        --state-dir "$T/state" -v 2>>"$T/daemon.log" &
DAEMON_PID=$!
for i in $(seq 300); do
        rc=0
        "$KVMNET" -c "unix://$T/ro" iface-list >/dev/null 2>&1 || rc=$?
        [ "$rc" != 3 ] && break
        kill -0 "$DAEMON_PID" 2>/dev/null || fail "kvmnetd under valgrind exited at start: $(cat "$T/valgrind.log")"
        sleep 0.1
done
K=("$KVMNET" -c "unix://$T/rw")

"${K[@]}" event --loop --json --timeout 60 >"$T/events" &
EV=$!
EXTRA_PIDS="$EXTRA_PIDS $EV"
for round in 1 2; do
        "${K[@]}" iface-start br0 >/dev/null || fail "start br0"
        "${K[@]}" iface-list --all >/dev/null || fail "list"
        "${K[@]}" iface-dumpxml br0 >/dev/null || fail "live dumpxml"
        "${K[@]}" iface-start eth0 2>/dev/null && fail "start with an unreachable gateway"
        "${K[@]}" iface-destroy br0 >/dev/null || fail "destroy br0"
        "${K[@]}" event --timeout 1 >/dev/null 2>&1
        # A client that leaves while its request runs on the worker.
        "$RAW" "$T/rw" 'send:{"id":1,"verb":"iface-start","args":{"name":"br0"}}\n' || fail "request then close"
        "$RAW" "$T/rw" 'send:{"id":1,"verb":"event-subscribe"}\n{"id":2,"verb":"event-unsubscribe","args":{"events":["route"]}}\n' read:2 >/dev/null ||
                fail "subscribe, unsubscribe"
        sleep 0.5
        "${K[@]}" iface-destroy br0 >/dev/null || fail "destroy br0 after the abandoned start"
done
if [ -n "$DHCP" ]; then
        "${K[@]}" iface-define "$T/dhcp.xml" >/dev/null || fail "define dhcp"
        "${K[@]}" iface-start eth0 >/dev/null || fail "start with DHCP"
        "${K[@]}" iface-destroy eth0 >/dev/null || fail "destroy DHCP"
        # SIGTERM while a DHCP start runs: the daemon lets it finish.
        "$RAW" "$T/rw" 'send:{"id":1,"verb":"iface-start","args":{"name":"eth0"}}\n' sleep:0.3 || fail "start then close"
else
        skip_part DHCP "dnsmasq or busybox missing"
fi
kill "$EV" 2>/dev/null
wait "$EV" 2>/dev/null

kill -TERM "$DAEMON_PID"
rc=0
wait "$DAEMON_PID" || rc=$?
DAEMON_PID=
[ "$rc" = 0 ] || fail "kvmnetd under valgrind exited $rc: $(cat "$T/valgrind.log")"
! grep -q '^==' "$T/valgrind.log" || fail "valgrind: $(cat "$T/valgrind.log")"
[ -z "$(find "$T/state/txn" -name meta 2>/dev/null)" ] || fail "journal left: $(find "$T/state/txn")"
[ -z "$DHCP" ] || [ -z "$(ip netns pids "$H")" ] || {
        # The start finished before the daemon stopped; stop its DHCP client.
        "$KVMNET" --root "$ROOT" --netns "$H" --state-dir "$T/state" iface-destroy eth0 >/dev/null
}
[ -z "$DHCP" ] || kill "$(cat "$T/dnsmasq.pid")"
grep -q "served [0-9]* requests; stopped" "$T/daemon.log" || fail "no clean stop"
pass "kvmnetd is valgrind-clean over $(sed -n 's/.*served \([0-9]*\) requests.*/\1/p' "$T/daemon.log") live requests"
