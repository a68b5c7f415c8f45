#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Sharing a NIC with guests, through kvmnetd: iface-bridge and
# iface-unbridge while a 1 ms ICMP stream and a TCP echo stream from the
# LAN keep going; every step made to fail in turn; --confirm that reverts
# by itself, confirm that keeps; transactions over several changes rolled
# back; kill -9 of kvmnetd with a transaction open; every refusal.
#
# The host and its LAN are tests/txn/lib-outage.sh's (static): eth0
# 192.0.2.10/24 and 2001:db8::10/64, default via 192.0.2.1, 198.51.100.0/24
# via .1 in table 100; the LAN a switch with 192.0.2.1 behind it; the probe
# is bench/outage-probe.  "The same state" is outage_compare of two
# snapshots (addresses with flags and lifetimes, routes of every table,
# rules) and the same link lines (MAC, MTU, master, flags).
#
# Config: Debian ifupdown under a temp root.  Needs root (exit 77).
. "$(dirname "$0")/../daemon/lib.sh"
OUTAGE_NO_TRAP=1
OUTAGE_BUILD=${OUTAGE_BUILD:-$(dirname "$KVMNET")/../..}
. "$(dirname "$0")/lib-outage.sh"

can_netns || skip "needs root and ip (network namespaces)"
command -v ping >/dev/null || skip "ping (iputils-ping) is not installed"

# The namespaces (and whatever runs in them) go before lib.sh's cleanup.
trap 'outage_teardown; cleanup' EXIT
outage_setup static "${OUTAGE_NS_PREFIX:-kn-test}-$$-host" "${OUTAGE_NS_PREFIX:-kn-test}-$$-lan" ||
        fail "namespace setup"
H=$OUTAGE_HOST
MAC=$OUTAGE_MAC

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

# snap: a snapshot of the host now (prints its path).  same_as SNAP: the
# host is in the state of SNAP, links included; the differences on stdout.
NSNAP=0
snap() { NSNAP=$((NSNAP + 1)); outage_snapshot "s$NSNAP.$RANDOM"; }
same_as() {
        local now
        now=$(snap)
        outage_compare "$1" "$now" && diff <(grep '^link ' "$1") <(grep '^link ' "$now")
}
files() { (cd "$ROOT" && find etc -type f -print0 | sort -z | xargs -0 sha256sum); }
has_addr() { ip -n "$H" -o addr show dev "$1" 2>/dev/null | grep -q " $2/"; }

ORIG=$(snap)

# The probe around one change.  lost_ok fails on more than one request
# lost or a TCP connection that broke: the kernel drops frames for an
# instant while a NIC joins or leaves a bridge (the port is disabled while
# it still owns the NIC's receive path, in br_add_if and del_nbp), so at
# most one 1 ms request may go there each time (lost_ok N: N such
# moments in the window, 1 by default).  Everything kvmnet orders itself
# must lose nothing more.
probe_start() {
        outage_start_probe --tcp || fail "the probe did not start"
        sleep 0.1
}
probe_stop() { # sets lost to "LOST of SENT" (not in a subshell: OUTAGE_PROBE_JSON)
        sleep 0.3
        outage_stop_probe >/dev/null || fail "no probe result"
        lost="$(outage_json lost "$OUTAGE_PROBE_JSON") of $(outage_json sent "$OUTAGE_PROBE_JSON")"
}
lost_ok() {
        [ "${1%% *}" -le "${2:-1}" ] && [ "$(outage_json tcp_up "$OUTAGE_PROBE_JSON")" = true ]
}

# ---- iface-bridge and iface-unbridge with traffic ----

probe_start
kv iface-bridge eth0 br0 >"$T/out" 2>&1 || fail "iface-bridge: $(cat "$T/out")"
probe_stop
lost_ok "$lost" || fail "iface-bridge lost $lost requests: $OUTAGE_PROBE_JSON"
[ "$(ip -n "$H" -j link show dev eth0 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0].get("master"))')" = br0 ] ||
        fail "eth0 is not a port of br0"
BR=$(snap)
# Every address and route of eth0 (every table), now on br0 and only there.
outage_compare "$ORIG" "$BR" eth0=br0 >"$T/diff" ||
        fail "the bridge did not get exactly eth0's addresses and routes: $(cat "$T/diff")"
grep -q "^link br0 mtu 1500 mac $MAC master - <BROADCAST,MULTICAST,UP,LOWER_UP>" "$BR" &&
        grep -q "^link eth0 mtu 1500 mac $MAC master br0 <BROADCAST,MULTICAST,UP,LOWER_UP>" "$BR" ||
        fail "br0 does not have eth0's MAC and MTU, or eth0 is no port of it: $(grep '^link' "$BR")"
grep -q "^auto br0" "$ROOT/etc/network/interfaces" && grep -q "bridge_ports eth0" "$ROOT/etc/network/interfaces" ||
        fail "br0 not in the configuration: $(cat "$ROOT/etc/network/interfaces")"
kv iface-dumpxml br0 --inactive >"$T/br0.xml" || fail "dumpxml br0"
xml_validate "$T/br0.xml" interface
pass "iface-bridge: lost $lost requests, TCP up, eth0's addresses, routes (every table), MAC moved to br0, live and in the config"

probe_start
kv iface-unbridge br0 >"$T/out" 2>&1 || fail "iface-unbridge: $(cat "$T/out")"
probe_stop
lost_ok "$lost" || fail "iface-unbridge lost $lost requests: $OUTAGE_PROBE_JSON"
same_as "$ORIG" >"$T/diff" || fail "unbridge did not restore the live state: $(cat "$T/diff")"
grep -q "iface eth0 inet static" "$ROOT/etc/network/interfaces" && ! grep -q br0 "$ROOT/etc/network/interfaces" ||
        fail "unbridge config: $(cat "$ROOT/etc/network/interfaces")"
pass "iface-unbridge: lost $lost requests, TCP up, the live state is as before"

# ---- every step made to fail in turn ----

kv iface-bridge eth0 br0 --verbose >"$T/steps" || fail "iface-bridge --verbose"
kv iface-unbridge br0 >/dev/null || fail "unbridge"
cat "$ROOT/etc/network/interfaces" >"$T/ifaces.before"
BEFORE=$(snap)
stop_daemon
n=0
while IFS= read -r step; do
        step=${step#  }
        case $step in "copy a neighbour"* | *" undo"*) continue ;; esac
        KVMNET_TEST_FAIL_STEP="$step" start_daemon --netns "$H"
        probe_start
        kv iface-bridge eth0 br0 --verbose >"$T/out" 2>&1 && fail "a failure at '$step' was not reported"
        probe_stop
        grep -q "injected failure" "$T/out" || fail "failure at '$step': $(cat "$T/out")"
        # --verbose: the steps done before it, undone last first.
        want=$(grep '^  ' "$T/steps" | sed -n "/^  $(printf '%s' "$step" | sed 's/[][\/.*^$]/\\&/g')\$/q;p" | tac)
        got=$(sed -n '/^Undone (the last step done first):$/,$p' "$T/out" | grep '^  ')
        [ "$got" = "$want" ] || fail "failure at '$step': --verbose undone '$got', not '$want'"
        same_as "$BEFORE" >"$T/diff" || fail "failure at '$step' left: $(cat "$T/diff")"
        cmp -s "$T/ifaces.before" "$ROOT/etc/network/interfaces" || fail "failure at '$step' left the config changed"
        # joined and, by the undo, left again
        lost_ok "$lost" 2 || fail "failure at '$step' lost $lost requests: $OUTAGE_PROBE_JSON"
        stop_daemon
        n=$((n + 1))
done < <(grep '^  ' "$T/steps")
[ "$n" -ge 8 ] || fail "only $n steps seen: $(cat "$T/steps")"
pass "a failure at each of the $n steps of iface-bridge restores config and live state, at most one request lost per join or release, TCP up"

# The same for iface-unbridge: back to the bridged state, and the undo of
# every step succeeds (a route the kernel put back by itself is no error).
start_daemon --netns "$H"
kv iface-bridge eth0 br0 >/dev/null || fail "iface-bridge before the unbridge failures"
kv iface-unbridge br0 --verbose >"$T/usteps" || fail "iface-unbridge --verbose"
kv iface-bridge eth0 br0 >/dev/null || fail "iface-bridge again"
cat "$ROOT/etc/network/interfaces" >"$T/ifaces.bridged"
BRIDGED=$(snap)
stop_daemon
n=0
while IFS= read -r step; do
        step=${step#  }
        case $step in "copy a neighbour"* | *" undo"*) continue ;; esac
        KVMNET_TEST_FAIL_STEP="$step" start_daemon --netns "$H"
        kv iface-unbridge br0 >"$T/out" 2>&1 && fail "a failure at unbridge '$step' was not reported"
        grep -Eq "injected failure.*(were|was) undone$" "$T/out" || fail "failure at unbridge '$step': $(cat "$T/out")"
        same_as "$BRIDGED" >"$T/diff" || fail "failure at unbridge '$step' left: $(cat "$T/diff")"
        cmp -s "$T/ifaces.bridged" "$ROOT/etc/network/interfaces" || fail "failure at unbridge '$step' left the config changed"
        stop_daemon
        n=$((n + 1))
done < <(grep '^  ' "$T/usteps")
[ "$n" -ge 4 ] || fail "only $n unbridge steps seen: $(cat "$T/usteps")"
start_daemon --netns "$H"
kv iface-unbridge br0 >/dev/null || fail "unbridge after the failures"
stop_daemon
pass "a failure at each of the $n steps of iface-unbridge is undone without an undo error, back to the bridged state"

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
        same_as "$BEFORE" >"$T/diff" || fail "after a kill at '$step' the restart left: $(cat "$T/diff")"
        cmp -s "$T/ifaces.before" "$ROOT/etc/network/interfaces" || fail "after a kill at '$step' the config is changed"
        grep -q "undoing: $step" "$T/daemon.log" || fail "the undo of '$step' is not logged"
        stop_daemon
        n=$((n + 1))
done < <(grep '^  ' "$T/steps")
pass "kvmnetd killed (-9) after each of the $n steps of iface-bridge: the restart rolls files and live state back, step by step in its log"
start_daemon --netns "$H"

# ---- confirm or revert ----

probe_start
kv iface-bridge eth0 br0 --confirm 1 >"$T/out" 2>&1 || fail "iface-bridge --confirm: $(cat "$T/out")"
grep -q "kvmnet confirm" "$T/out" || fail "no confirm hint: $(cat "$T/out")"
sleep 0.5
for _ in $(seq 60); do same_as "$BEFORE" >/dev/null && break; sleep 0.1; done
probe_stop
same_as "$BEFORE" >"$T/diff" || fail "not reverted after the timeout: $(cat "$T/diff"); $(tail -5 "$T/daemon.log")"
lost_ok "$lost" 2 || fail "the bridge and its revert lost $lost requests: $OUTAGE_PROBE_JSON"
grep -q "not confirmed in time: the change was reverted" "$T/daemon.log" || fail "revert not logged"
pass "iface-bridge --confirm 1 without confirm reverts by itself (lost $lost requests, TCP up) and says so"

kv iface-bridge eth0 br0 --confirm 30 >/dev/null || fail "iface-bridge --confirm 30"
kv confirm >/dev/null || fail "confirm"
sleep 0.2
has_addr br0 192.0.2.10 || fail "confirmed change was not kept"
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
has_addr br0 192.0.2.10 || fail "bridge in txn not live"
kv iface-rollback >/dev/null || fail "iface-rollback"
same_as "$BEFORE" >"$T/diff" || fail "rollback live: $(cat "$T/diff")"
[ "$(files)" = "$F0" ] || fail "rollback did not restore the files byte for byte"
pass "iface-begin, define, bridge, iface-rollback: files byte for byte and live state as before"

kv iface-begin >/dev/null && kv iface-bridge eth0 br0 >/dev/null || fail "begin+bridge"
kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=
start_daemon --netns "$H"
same_as "$BEFORE" >"$T/diff" || fail "restart did not roll back: $(cat "$T/diff")"
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
        same_as "$BEFORE" >"$T/diff" || fail "$what changed the live state: $(cat "$T/diff")"
        [ "$(files)" = "$F0" ] || fail "$what changed the files"
}
refused "unknown NIC" "no interface named 'eth7'" iface-bridge eth7 br0
refused "bridge name in use" "'lo' exists already (an ethernet link)" iface-bridge eth0 lo
refused "same name" "name of its own" iface-bridge eth0 eth0
refused "hostile name" "bridge name .\.\./\.\./etc/x. starts with .\.. (valid: 1-15" iface-bridge eth0 ../../etc/x
refused "16-character name" "bridge name .abcdefghijklmnop. is 16 characters long" iface-bridge eth0 abcdefghijklmnop
ip -n "$H" link add br9 type bridge && ip -n "$H" link add v9 type veth peer name v9p &&
        ip -n "$H" link set v9 master br9 || fail "setup br9"
BEFORE=$(snap)
refused "already a port" "already a port of bridge 'br9'" iface-bridge v9 br0
ip -n "$H" tuntap add dev tap9 mode tap && ip -n "$H" link set tap9 master br9 || fail "tap"
BEFORE=$(snap)
refused "taps on the bridge" "guest NICs tap9 sit on bridge 'br9'" iface-unbridge br9
printf "<interface type='bridge' name='br9'><bridge><interface type='ethernet' name='v9'/></bridge></interface>\n" >"$T/br9.xml"
kv iface-define "$T/br9.xml" >/dev/null || fail "define br9"
out=$(kv iface-destroy br9 2>&1) && fail "iface-destroy of a bridge with guest taps accepted"
grep -q "guest NICs tap9 sit on bridge 'br9'.*--force" <<<"$out" || fail "iface-destroy br9: $out"
same_as "$BEFORE" >"$T/diff" || fail "the refused iface-destroy changed the live state: $(cat "$T/diff")"
kv iface-undefine br9 >/dev/null || fail "undefine br9"
ip -n "$H" link del br9; ip -n "$H" link del v9; ip -n "$H" link del tap9
ip -n "$H" addr add 192.0.2.77/24 dev eth0 valid_lft 600 preferred_lft 600 || fail "lease"
BEFORE=$(snap)
refused "lease nobody renews" "leased address 192.0.2.77/24 from a DHCP client kvmnet does not run" iface-bridge eth0 br0
ip -n "$H" addr del 192.0.2.77/24 dev eth0
BEFORE=$(snap)
refused "--stp with a short delay" "2 to 30 seconds" iface-bridge eth0 br0 --stp --delay 1
out=$("$KVMNET" -c "unix://$T/ro" iface-bridge eth0 br0 2>&1) && fail "read-only socket accepted iface-bridge"
for v in "iface-unbridge br0" iface-begin iface-commit iface-rollback confirm; do
        # shellcheck disable=SC2086
        "$KVMNET" -c "unix://$T/ro" $v >/dev/null 2>&1 && fail "read-only socket accepted $v"
done
pass "refused with one clear message, nothing changed: unknown NIC, name in use, hostile names, a port already, guest taps (unbridge and destroy), a lease nobody would renew, --stp with a short delay, the read-only socket"

stop_daemon
exit 0
