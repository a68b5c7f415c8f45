#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Sharing a NIC with guests, through kvmnetd: iface-bridge and
# iface-unbridge while a 1 ms ping from the LAN and a TCP stream keep
# going; every step made to fail in turn; --confirm that reverts by
# itself, confirm that keeps; transactions over several changes rolled
# back; kill -9 of kvmnetd with a transaction open; every refusal.
#
#   host namespace H                      LAN namespace L
#     eth0 192.0.2.10/24, 2001:db8::10/64  <-- veth -->  lan0 192.0.2.1/24
#     default via 192.0.2.1 metric 100, 198.51.100.0/24 via .1 in table 100
#
# Config: Debian ifupdown under a temp root.  Needs root (exit 77).
. "$(dirname "$0")/../daemon/lib.sh"

can_netns || { echo "SKIP: needs root and ip (network namespaces)"; exit 77; }
command -v ping >/dev/null || { echo "SKIP: ping (iputils-ping) is not installed"; exit 77; }

make_netns host
H=$NS_MADE
make_netns lan
L=$NS_MADE
ip -n "$H" link add eth0 type veth peer name lan0 netns "$L" &&
        ip -n "$H" addr add 192.0.2.10/24 dev eth0 &&
        ip -n "$H" addr add 2001:db8::10/64 dev eth0 nodad &&
        ip -n "$H" link set eth0 up &&
        ip -n "$L" addr add 192.0.2.1/24 dev lan0 &&
        ip -n "$L" addr add 2001:db8::1/64 dev lan0 nodad &&
        ip -n "$L" link set lan0 up &&
        ip -n "$H" route add default via 192.0.2.1 metric 100 &&
        ip -n "$H" route add 198.51.100.0/24 via 192.0.2.1 table 100 || fail "namespace setup"

ROOT=$T/root
make_root "$ROOT" ifupdown
cat >"$ROOT/etc/network/interfaces" <<'EOF'
auto lo
iface lo inet loopback

auto eth0
iface eth0 inet static
    address 192.0.2.10/24
    gateway 192.0.2.1
EOF
start_daemon --netns "$H"
kv() { "$KVMNET" -c "unix://$T/rw" "$@"; }

# Addresses (with prefix and flags) and routes of every table, one per line.
state() {
        { ip -n "$H" -j addr show; echo; ip -n "$H" -j route show table all; echo; ip -n "$H" -j -d link show; } |
                python3 -c '
import json, sys
addrs, routes, links = [json.loads(p) for p in sys.stdin.read().split("\n\n")]
for a in addrs:
    for x in a["addr_info"]:
        if x.get("scope") != "link":
            print("addr", a["ifname"], x["local"], x["prefixlen"], x.get("valid_life_time"))
for r in routes:
    if r.get("table") != "local" and r.get("protocol") != "kernel":
        print("route", r.get("dst"), r.get("gateway", "-"), r.get("dev"), r.get("table", "main"), r.get("metric", 0))
for l in links:
    print("link", l["ifname"], l.get("master", "-"), l["mtu"], l["address"], "UP" in l["flags"], l.get("linkinfo", {}).get("info_kind", "-"))
' | sort
}
files() { (cd "$ROOT" && find etc -type f -print0 | sort -z | xargs -0 sha256sum); }

ORIG_STATE=$(state)
ORIG_FILES=$(files)
MAC=$(ip -n "$H" -j link show dev eth0 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')

# A 1 ms ping from the LAN; ping_stop prints how many were lost.
ping_start() {
        ip netns exec "$L" ping -n -i 0.001 -W 1 192.0.2.10 >"$T/ping.out" 2>&1 &
        PING_PID=$!
        sleep 0.3
}
# The kernel drops frames for an instant while a NIC joins or leaves a
# bridge (the port is disabled while it still owns the NIC's receive
# path, in br_add_if and del_nbp): at most one 1 ms ping may go there.
# Everything kvmnet orders itself must lose nothing more.
lost_ok() { [ "${1%% *}" -le 1 ]; }
ping_stop() {
        sleep 0.3
        kill -INT "$PING_PID"
        wait "$PING_PID" 2>/dev/null
        # Replies missing below the last one seen: the request in flight
        # when ping was stopped is not a loss.
        python3 -c '
import re, sys
seqs = {int(m) for m in re.findall(r"icmp_seq=(\d+)", open(sys.argv[1]).read())}
top = max(seqs) if seqs else 0
print("%d of %d" % (top - len(seqs) if seqs else 1, top))' "$T/ping.out"
}

# A TCP stream from the LAN to the host: the server counts bytes until the
# client stops; stream_stop fails if the connection broke.
stream_start() {
        ip netns exec "$H" python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("192.0.2.10", 5001)); s.listen(1); print("ready", flush=True)
c, _ = s.accept(); n = 0
while True:
    b = c.recv(65536)
    if not b: break
    n += len(b)
print(n, flush=True)' >"$T/stream.srv" &
        SRV_PID=$!
        for _ in $(seq 50); do grep -q ready "$T/stream.srv" && break; sleep 0.05; done
        ip netns exec "$L" python3 -c '
import socket, time, sys, os
s = socket.create_connection(("192.0.2.10", 5001), timeout=5)
end = time.time() + float(sys.argv[1]); n = 0
while time.time() < end:
    s.sendall(b"x" * 1024); n += 1024; time.sleep(0.001)
s.shutdown(socket.SHUT_WR); s.recv(1); print(n)' "$1" >"$T/stream.cli" 2>&1 &
        CLI_PID=$!
}
stream_stop() {
        wait "$CLI_PID" || fail "TCP stream broke: $(cat "$T/stream.cli")"
        wait "$SRV_PID"
        [ "$(head -1 "$T/stream.cli")" = "$(sed -n 2p "$T/stream.srv")" ] ||
                fail "TCP stream lost data: sent $(cat "$T/stream.cli"), got $(cat "$T/stream.srv")"
}

# ---- iface-bridge and iface-unbridge with traffic ----

stream_start 3
ping_start
kv iface-bridge eth0 br0 >"$T/out" 2>&1 || fail "iface-bridge: $(cat "$T/out")"
lost=$(ping_stop)
lost_ok "$lost" || fail "iface-bridge lost $lost pings"
[ "$(ip -n "$H" -j link show dev eth0 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0].get("master"))')" = br0 ] ||
        fail "eth0 is not a port of br0"
BR_STATE=$(state)
grep -q "addr br0 192.0.2.10 24" <<<"$BR_STATE" && grep -q "addr br0 2001:db8::10 64" <<<"$BR_STATE" &&
        grep -q "route default 192.0.2.1 br0 main 100" <<<"$BR_STATE" &&
        grep -q "route 198.51.100.0/24 192.0.2.1 br0 100 0" <<<"$BR_STATE" &&
        grep -q "link br0 - 1500 $MAC True bridge" <<<"$BR_STATE" ||
        fail "the bridge did not get eth0's addresses, routes and MAC: $BR_STATE"
! grep -q "addr eth0" <<<"$BR_STATE" || fail "eth0 kept an address"
grep -q "^auto br0" "$ROOT/etc/network/interfaces" && grep -q "bridge_ports eth0" "$ROOT/etc/network/interfaces" ||
        fail "br0 not in the configuration: $(cat "$ROOT/etc/network/interfaces")"
kv iface-dumpxml br0 --inactive >"$T/br0.xml" || fail "dumpxml br0"
if command -v virt-xml-validate >/dev/null; then
        virt-xml-validate "$T/br0.xml" interface >/dev/null 2>&1 || fail "br0's XML does not validate: $(cat "$T/br0.xml")"
fi
pass "iface-bridge: ping lost: $lost, eth0's addresses, routes (every table), MAC moved to br0, live and in the config"

ping_start
kv iface-unbridge br0 >"$T/out" 2>&1 || fail "iface-unbridge: $(cat "$T/out")"
lost=$(ping_stop)
stream_stop
lost_ok "$lost" || fail "iface-unbridge lost $lost pings"
[ "$(state)" = "$ORIG_STATE" ] || fail "unbridge did not restore the live state: $(diff <(echo "$ORIG_STATE") <(state))"
grep -q "iface eth0 inet static" "$ROOT/etc/network/interfaces" && ! grep -q br0 "$ROOT/etc/network/interfaces" ||
        fail "unbridge config: $(cat "$ROOT/etc/network/interfaces")"
pass "iface-unbridge: ping lost: $lost, the TCP stream survived both, the live state is as before"

# ---- every step made to fail in turn ----

kv iface-bridge eth0 br0 --verbose >"$T/steps" || fail "iface-bridge --verbose"
kv iface-unbridge br0 >/dev/null || fail "unbridge"
cat "$ROOT/etc/network/interfaces" >"$T/ifaces.before"
BEFORE=$(state)
stop_daemon
n=0
while IFS= read -r step; do
        step=${step#  }
        case $step in "copy a neighbour"* | *" undo"*) continue ;; esac
        KVMNET_TEST_FAIL_STEP="$step" start_daemon --netns "$H"
        ping_start
        kv iface-bridge eth0 br0 >"$T/out" 2>&1 && fail "a failure at '$step' was not reported"
        lost=$(ping_stop)
        grep -q "injected failure" "$T/out" || fail "failure at '$step': $(cat "$T/out")"
        [ "$(state)" = "$BEFORE" ] || fail "failure at '$step' left: $(diff <(echo "$BEFORE") <(state))"
        cmp -s "$T/ifaces.before" "$ROOT/etc/network/interfaces" || fail "failure at '$step' left the config changed"
        lost_ok "$lost" || fail "failure at '$step' lost $lost pings"
        stop_daemon
        n=$((n + 1))
done < <(grep '^  ' "$T/steps")
[ "$n" -ge 8 ] || fail "only $n steps seen: $(cat "$T/steps")"
pass "a failure at each of the $n steps of iface-bridge restores config and live state, at most one ping lost"

# kvmnetd killed right after each step the kernel made: the restart undoes
# it from the journal (the undo was written before the step was sent).
n=0
while IFS= read -r step; do
        step=${step#  }
        case $step in "copy a neighbour"* | *" undo"*) continue ;; esac
        KVMNET_TEST_KILL_STEP="$step" start_daemon --netns "$H"
        kv iface-bridge eth0 br0 >"$T/out" 2>&1 && fail "kvmnetd was not killed at '$step'"
        wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=
        start_daemon --netns "$H"
        [ "$(state)" = "$BEFORE" ] || fail "after a kill at '$step' the restart left: $(diff <(echo "$BEFORE") <(state))"
        cmp -s "$T/ifaces.before" "$ROOT/etc/network/interfaces" || fail "after a kill at '$step' the config is changed"
        grep -q "undoing: $step" "$T/daemon.log" || fail "the undo of '$step' is not logged"
        stop_daemon
        n=$((n + 1))
done < <(grep '^  ' "$T/steps")
pass "kvmnetd killed (-9) after each of the $n steps of iface-bridge: the restart rolls files and live state back, step by step in its log"
start_daemon --netns "$H"

# ---- confirm or revert ----

ping_start
kv iface-bridge eth0 br0 --confirm 1 >"$T/out" 2>&1 || fail "iface-bridge --confirm: $(cat "$T/out")"
grep -q "kvmnet confirm" "$T/out" || fail "no confirm hint: $(cat "$T/out")"
for _ in $(seq 60); do [ "$(state)" = "$BEFORE" ] && break; sleep 0.1; done
lost=$(ping_stop)
[ "$(state)" = "$BEFORE" ] || fail "not reverted after the timeout: $(diff <(echo "$BEFORE") <(state)); $(tail -5 "$T/daemon.log")"
lost_ok "$lost" || fail "the revert lost $lost pings"
grep -q "not confirmed in time: the change was reverted" "$T/daemon.log" || fail "revert not logged"
pass "iface-bridge --confirm 1 without confirm reverts by itself (ping lost: $lost) and says so"

kv iface-bridge eth0 br0 --confirm 30 >/dev/null || fail "iface-bridge --confirm 30"
kv confirm >/dev/null || fail "confirm"
sleep 0.2
grep -q "addr br0 192.0.2.10" <<<"$(state)" || fail "confirmed change was not kept"
kv confirm >/dev/null 2>&1 && fail "a second confirm should find nothing to confirm"
kv iface-unbridge br0 >/dev/null || fail "unbridge after confirm"
pass "confirm keeps the change"

# ---- transactions ----

cat >"$T/eth9.xml" <<'EOF'
<interface type='ethernet' name='eth9'>
  <start mode='onboot'/>
  <protocol family='ipv4'><ip address='10.9.0.1' prefix='24'/></protocol>
</interface>
EOF
F0=$(files)
kv iface-define "$T/eth9.xml" --confirm 0.5 >/dev/null || fail "iface-define --confirm"
grep -q eth9 "$ROOT/etc/network/interfaces" || fail "eth9 not defined"
for _ in $(seq 40); do [ "$(files)" = "$F0" ] && break; sleep 0.1; done
[ "$(files)" = "$F0" ] || fail "iface-define --confirm 0.5 was not reverted"
pass "iface-define --confirm without confirm: the files come back byte for byte"

kv iface-begin >/dev/null || fail "iface-begin"
out=$(kv iface-begin 2>&1) && fail "a second iface-begin must be refused"
grep -q "a transaction is open already: opened by uid 0 (pid [0-9]*, connection [0-9]*) with iface-begin at" <<<"$out" ||
        fail "second iface-begin does not name the owner: $out"
kv iface-define "$T/eth9.xml" >/dev/null || fail "define in txn"
kv iface-bridge eth0 br0 >/dev/null || fail "bridge in txn"
grep -q "addr br0 192.0.2.10" <<<"$(state)" || fail "bridge in txn not live"
kv iface-rollback >/dev/null || fail "iface-rollback"
[ "$(state)" = "$BEFORE" ] || fail "rollback live: $(diff <(echo "$BEFORE") <(state))"
[ "$(files)" = "$F0" ] || fail "rollback did not restore the files byte for byte"
pass "iface-begin, define, bridge, iface-rollback: files byte for byte and live state as before"

kv iface-begin >/dev/null && kv iface-bridge eth0 br0 >/dev/null || fail "begin+bridge"
kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=
start_daemon --netns "$H"
[ "$(state)" = "$BEFORE" ] || fail "restart did not roll back: $(diff <(echo "$BEFORE") <(state))"
[ "$(files)" = "$F0" ] || fail "restart did not restore the files"
grep -q "was not committed: rolling it back" "$T/daemon.log" || fail "recovery not logged: $(cat "$T/daemon.log")"
pass "kill -9 of kvmnetd with a transaction open: the restart rolls files and live state back and logs it"

# ---- refusals, each before anything changes ----

refused() { # DESCRIPTION PATTERN ARGS...
        local what=$1 pat=$2
        shift 2
        local out
        out=$(kv "$@" 2>&1) && fail "$what: accepted"
        grep -q -- "$pat" <<<"$out" || fail "$what: $out"
        [ "$(state)" = "$BEFORE" ] || fail "$what changed the live state"
        [ "$(files)" = "$F0" ] || fail "$what changed the files"
}
refused "unknown NIC" "no interface named 'eth7'" iface-bridge eth7 br0
refused "bridge name in use" "'lo' exists already (an ethernet link)" iface-bridge eth0 lo
refused "same name" "name of its own" iface-bridge eth0 eth0
refused "hostile name" "not a valid interface name\|valid:" iface-bridge eth0 ../../etc/x
refused "16-character name" "the kernel allows at most 15" iface-bridge eth0 abcdefghijklmnop
ip -n "$H" link add br9 type bridge && ip -n "$H" link add v9 type veth peer name v9p &&
        ip -n "$H" link set v9 master br9 || fail "setup br9"
BEFORE=$(state)
refused "already a port" "already a port of bridge 'br9'" iface-bridge v9 br0
ip -n "$H" tuntap add dev tap9 mode tap && ip -n "$H" link set tap9 master br9 || fail "tap"
BEFORE=$(state)
refused "taps on the bridge" "guest NICs tap9 sit on bridge 'br9'" iface-unbridge br9
printf "<interface type='bridge' name='br9'><bridge><interface type='ethernet' name='v9'/></bridge></interface>\n" >"$T/br9.xml"
kv iface-define "$T/br9.xml" >/dev/null || fail "define br9"
out=$(kv iface-destroy br9 2>&1) && fail "iface-destroy of a bridge with guest taps accepted"
grep -q "guest NICs tap9 sit on bridge 'br9'.*--force" <<<"$out" || fail "iface-destroy br9: $out"
[ "$(state)" = "$BEFORE" ] || fail "the refused iface-destroy changed the live state"
kv iface-undefine br9 >/dev/null || fail "undefine br9"
ip -n "$H" link del br9; ip -n "$H" link del v9; ip -n "$H" link del tap9
ip -n "$H" addr add 192.0.2.77/24 dev eth0 valid_lft 600 preferred_lft 600 || fail "lease"
BEFORE=$(state)
refused "lease nobody renews" "leased address 192.0.2.77/24 from a DHCP client kvmnet does not run" iface-bridge eth0 br0
ip -n "$H" addr del 192.0.2.77/24 dev eth0
BEFORE=$(state)
refused "--stp with a short delay" "2 to 30 seconds" iface-bridge eth0 br0 --stp --delay 1
out=$("$KVMNET" -c "unix://$T/ro" iface-bridge eth0 br0 2>&1) && fail "read-only socket accepted iface-bridge"
for v in "iface-unbridge br0" iface-begin iface-commit iface-rollback confirm; do
        # shellcheck disable=SC2086
        "$KVMNET" -c "unix://$T/ro" $v >/dev/null 2>&1 && fail "read-only socket accepted $v"
done
pass "refused with one clear message, nothing changed: unknown NIC, name in use, hostile names, a port already, guest taps (unbridge and destroy), a lease nobody would renew, --stp with a short delay, the read-only socket"

stop_daemon
exit 0
