#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Guest NIC hot-plug through kvmnetd and the kvmnet CLI against real QEMU
# without a guest OS (firmware only: fast): guest-define/start/stop,
# attach-interface, domiflist, guest-info, the clear errors, unplug pending,
# --persistent across stop/start, q35 root-port capacity, QEMU killed during
# attach, guest-adopt; late completion of a pending unplug (the test's own
# QMP monitor sends system_reset, which makes QEMU finish it) with its
# guest-nic event; a pending unplug dropped by guest-stop; kvmnetd killed
# (-9) and restarted: guests re-attached, NICs reconciled, an interrupted
# guest-start undone.  Taps live in a
# namespace made here; every QEMU is killed by pid at the end.
. "$(dirname "$0")/../daemon/lib.sh"

. "$(dirname "$0")/lib.sh"

guest_bridge_ns hp
start_daemon --netns "$NS"

truncate -s 1M "$T/g1.img" "$T/q1.img"
taps() { ip -n "$NS" -o link show type tun 2>/dev/null | wc -l; }
has_tap() { ip -n "$NS" link show "$1" >/dev/null 2>&1; }
no_tap() { ! has_tap "$1"; }
listed() { K domiflist "$1" | grep -q -- "$2"; }
not_listed() { ! listed "$1" "$2"; }
tap_of() { # GUEST MAC
        K domiflist "$1" --json | python3 -c "import json,sys; print([i['tap'] for i in json.load(sys.stdin)['interfaces'] if i['mac']=='$2'][0])"
}
# The tun devices in $NS that no running guest's domiflist names.
stray_taps() {
        local listed=" " g t
        for g in $(K guest-list --json | python3 -c "import json,sys; print(' '.join(g['name'] for g in json.load(sys.stdin)['guests'] if g['state'] != 'shut off'))"); do
                listed="$listed$(K domiflist "$g" --json | python3 -c "import json,sys; print(' '.join(i['tap'] for i in json.load(sys.stdin)['interfaces'] if i.get('tap')))") "
        done
        for t in $(ip -n "$NS" -o link show type tun | awk -F': ' '{print $2}'); do
                case $listed in *" $t "*) ;; *) echo "$t" ;; esac
        done
}
fds_are() { [ "$(fds "$1")" = "$2" ]; }
# After system_reset the firmware (SeaBIOS) resets the machine itself a few
# times within ~60 ms, and each reset completes pending unplugs: let that
# pass before the next device_del, or it is completed by it.
settle() { sleep 0.5; }
fds() { ls "/proc/$1/fd" | wc -l; }

guest_xml g1 pc >"$T/g1.xml"
K guest-define "$T/g1.xml" >/dev/null || fail "guest-define"
expect_error 1 "not running" K attach-interface g1 --bridge br0
expect_error 5 "no guest named 'nosuch'" K attach-interface nosuch --bridge br0
expect_error 1 "guest name '../x'" K guest-start ../x
K guest-start g1 >/dev/null || fail "guest-start"
pass "guest defined and started"
P=$(qemu_pid g1)
FD0=$(fds "$P")

M1=52:54:00:aa:00:01
out=$(K attach-interface g1 --bridge br0 --mac $M1 --timings) || fail "attach-interface: $out"
# --timings: kvmnetd's steps between the CLI's, in order
echo "$out" | tr -s ' ' | grep -A99 '^Timings' | cut -d' ' -f2- | awk '{print $1}' | tr '\n' ' ' |
        grep -q "connect request request worker tap bridge back journal getfd netdev_add device_add reply reply" ||
        fail "attach-interface --timings: $out"
tap=$(K domiflist g1 --json | python3 -c "import json,sys; print(json.load(sys.stdin)['interfaces'][0]['tap'])")
ip -n "$NS" -d link show "$tap" | grep -q "master br0" || fail "$tap is not on br0"
ip -n "$NS" link show "$tap" | grep -q "fe:54:00:aa:00:01" || fail "$tap has not the host MAC"
[ "$(fds "$P")" -gt "$FD0" ] || fail "QEMU holds no new fd"
K domiflist g1 | grep -E "$tap +bridge +br0 +virtio +$M1 +1 +attached" >/dev/null || fail "domiflist: $(K domiflist g1)"
pass "attach-interface: $tap on br0 with the host MAC, listed as attached"

expect_error 7 "already has a NIC with MAC $M1" K attach-interface g1 --bridge br0 --mac $M1
expect_error 1 "not a MAC address" K attach-interface g1 --bridge br0 --mac 52:54:00:zz:00:01
expect_error 1 "multicast" K attach-interface g1 --bridge br0 --mac 01:54:00:00:00:01
expect_error 5 "no bridge named 'nobr0'" K attach-interface g1 --bridge nobr0
expect_error 5 "no network named 'default'" K attach-interface g1 --network default
expect_error 1 "tap name .kvn-much-too-long0. is 18 characters long \(valid: 1-15" K attach-interface g1 --bridge br0 --target kvn-much-too-long0
[ "$(taps)" = 1 ] || fail "a failed attach left a tap: $(ip -n "$NS" -br link)"
pass "bad MAC, duplicate MAC, unknown bridge, --network, long tap name: clear errors, nothing left"

# No guest OS: the unplug request is never answered.
"$KVMNET" -c "unix://$T/ro" event --loop --timeout 60 >"$T/events.out" 2>&1 &
EV_PID=$!
EXTRA_PIDS="$EXTRA_PIDS $EV_PID"
sleep 0.3 # subscribed
expect_error 8 "the guest did not release NIC $M1 \(tap $tap\) within 500 ms; it stays 'unplug pending' and will be removed when the guest releases it \(at the latest at the guest's next reset\)" \
        K --json detach-interface g1 --mac $M1 --timeout 0.5
det_op=$(python3 -c 'import json,sys; print(json.load(sys.stdin).get("op", ""))' <"$T/out")
[ -n "$det_op" ] || fail "the timed-out detach's JSON error has no op: $(cat "$T/out")"
K domiflist g1 | grep -E "$tap .*$M1 .*unplug pending" >/dev/null || fail "not listed as unplug pending: $(K domiflist g1)"
has_tap "$tap" || fail "the tap of a NIC the guest still holds is gone"
expect_error 7 "NIC $M1 \(tap $tap\) is already 'unplug pending' \(requested [0-9.]+ s ago\)" \
        K detach-interface g1 --mac $M1
[ "$(grep -c '^error: ' "$T/err")" = 1 ] && ! grep -qi "qemu" "$T/err" || fail "second detach: $(cat "$T/err")"
pass "an unanswered unplug is 'unplug pending', never success; the tap stays; a second detach says it is pending already"

# The guest's reset completes the pending removal: kvmnetd sees
# DEVICE_DELETED, deletes the netdev, the tap goes.
t0=$(date +%s%N)
qmp g1 system_reset >/dev/null || fail "system_reset on the test monitor"
wait_for not_listed g1 $M1 || fail "NIC still listed after the reset: $(K domiflist g1)"
wait_for no_tap "$tap" || fail "tap $tap still there after the late removal"
late_ms=$((($(date +%s%N) - t0) / 1000000))
settle
wait_for fds_are "$P" "$FD0" || fail "QEMU holds $(fds "$P") fds, not $FD0 as before the attach"
grep -q "kn-net0 detached after all" "$T/daemon.log" || fail "no late-removal log line"
wait_for grep -q "event 'guest-nic': removed guest=g1 mac=$M1 tap=$tap" "$T/events.out" ||
        fail "no removed event: $(cat "$T/events.out")"
grep -q "event 'guest-nic': unplug-pending guest=g1 mac=$M1" "$T/events.out" ||
        fail "no unplug-pending event: $(cat "$T/events.out")"
# Both are the detach's doing, the late removal too (docs/protocol.md, op).
op_of() { grep "event 'guest-nic': $1 guest=g1 mac=$M1" "$T/events.out" | grep -o ' op=[^ ]*' | head -n 1; }
[ "$(op_of unplug-pending)" = " op=$det_op" ] && [ "$(op_of removed)" = " op=$det_op" ] ||
        fail "the late removal does not carry the detach's op: $(cat "$T/events.out")"
kill "$EV_PID"
pass "pending unplug completed by the guest's reset in $late_ms ms: netdev deleted, tap gone, QEMU fds back to $FD0, 'removed' event sent"

FD1=$(fds "$P")
out=$(K attach-interface g1 --bridge br0 --queues 4 --persistent --json) || fail "multiqueue: $out"
MQ=$(echo "$out" | python3 -c "import json,sys; print(json.load(sys.stdin)['interface']['mac'])")
[ "$(($(fds "$P") - FD1))" -ge 4 ] || fail "4 queues should hand QEMU 4 tap fds"
K guest-dumpxml g1 | grep -q "$MQ" || fail "--persistent did not update the definition"
K guest-dumpxml g1 | grep -q "queues='4'" || fail "queues not in the definition"
K guest-dumpxml g1 >"$T/dump.xml" || fail "guest-dumpxml g1"
xml_validate "$T/dump.xml" domain
pass "multiqueue (4 fds) and --persistent updates the definition (guest-dumpxml passes virt-xml-validate)"

K guest-info g1 | grep -q "PCI slots free" || fail "guest-info: $(K guest-info g1)"
K guest-stop g1 >/dev/null || fail "guest-stop"
kill -0 "$P" 2>/dev/null && fail "QEMU $P still runs after guest-stop"
[ "$(taps)" = 0 ] || fail "taps left after guest-stop"
K guest-start g1 >/dev/null || fail "guest-start again"
K domiflist g1 | grep -q "$MQ.* 4 .*attached" || fail "persistent NIC not back: $(K domiflist g1)"
pass "guest-stop removes the taps; --persistent NIC is back after guest-start"

# A pending unplug with --persistent: guest-stop drops the NIC, and the
# definition no longer has it, so guest-start does not bring it back.
expect_error 8 "unplug pending" K detach-interface g1 --mac "$MQ" --persistent --timeout 0.2
K guest-dumpxml g1 | grep -q "$MQ" || fail "the definition lost the NIC before it was removed"
K guest-stop g1 >/dev/null || fail "guest-stop with a pending unplug"
K guest-dumpxml g1 | grep -q "$MQ" && fail "guest-stop kept the pending --persistent NIC in the definition"
K guest-start g1 >/dev/null || fail "guest-start after the pending unplug"
listed g1 "$MQ" && fail "the pending NIC came back: $(K domiflist g1)"
[ "$(taps)" = 0 ] || fail "taps after guest-start: $(ip -n "$NS" -br link)"
pass "guest-stop drops a NIC with a pending unplug, and --persistent drops it from the definition"

# q35: two reserved root ports, a third NIC has no room.
guest_xml q1 q35 "<controller type='pci' model='pcie-root-port'/><controller type='pci' model='pcie-root-port'/>" >"$T/q1.xml"
K guest-define "$T/q1.xml" >/dev/null && K guest-start q1 >/dev/null || fail "q35 start"
K attach-interface q1 --bridge br0 >/dev/null || fail "q35 attach 1"
K guest-info q1 | grep -q "1 of 2 pcie-root-ports free" || fail "q35 capacity: $(K guest-info q1)"
K attach-interface q1 --bridge br0 >/dev/null || fail "q35 attach 2"
expect_error 1 "no free pcie-root-port" K attach-interface q1 --bridge br0
pass "q35: NICs go on reserved pcie-root-ports; capacity is reported and enforced"

# QEMU killed in the middle of an attach: stopped, so getfd is never answered.
PQ=$(qemu_pid q1)
K guest-stop q1 >/dev/null
K guest-start q1 >/dev/null || fail "q35 restart"
PQ=$(qemu_pid q1)
before=$(taps)
kill -STOP "$PQ"
K attach-interface q1 --bridge br0 >"$T/killed.out" 2>&1 &
AP=$!
sleep 0.5
kill -9 "$PQ"
rc=0; wait $AP || rc=$?
[ "$rc" = 9 ] || fail "attach during QEMU's death exited $rc (not 9: failed part-way, undone): $(cat "$T/killed.out")"
grep -q "QEMU" "$T/killed.out" || fail "unclear error: $(cat "$T/killed.out")"
sleep 0.2
[ "$(taps)" = "$((before - 0))" ] || [ "$(taps)" -lt "$before" ] || fail "tap left after QEMU died"
strays=$(stray_taps)
[ -z "$strays" ] || fail "stray tap $strays: $(ip -n "$NS" -br link)"
K guest-list | grep -q "q1 *shut off" || fail "q1 not shut off: $(K guest-list)"
pass "QEMU killed during attach: clear error ($(head -c 120 "$T/killed.out")), no tap left"

# guest-adopt: a QEMU someone else started.
qemu-system-x86_64 -accel tcg -machine pc -S -display none -nodefaults -m 64 \
        -qmp "unix:$T/adopt.qmp,server=on,wait=off" >/dev/null 2>&1 &
QEMU_PIDS="$QEMU_PIDS $!"
wait_for test -S "$T/adopt.qmp"
K guest-adopt a1 "$T/adopt.qmp" >/dev/null || fail "guest-adopt"
K attach-interface a1 --bridge br0 --mac 52:54:00:aa:00:a1 >/dev/null || fail "attach to adopted"
K domiflist a1 | grep -q "52:54:00:aa:00:a1" || fail "adopted domiflist"
K guest-list | grep -q "a1 *running" || fail "adopted guest not listed"
expect_error 7 "already running" K guest-adopt a1 "$T/adopt.qmp"
pass "guest-adopt takes over a foreign QEMU and hot-plugs into it"

# kvmnetd killed and restarted: it re-attaches to the guests whose QEMU
# still runs and checks every NIC against QEMU and the namespace.
M2=52:54:00:aa:00:02 M3=52:54:00:aa:00:03
K attach-interface g1 --bridge br0 --mac $M2 >/dev/null || fail "attach $M2"
K attach-interface g1 --bridge br0 --mac $M3 >/dev/null || fail "attach $M3"
tap2=$(tap_of g1 $M2) tap3=$(tap_of g1 $M3)
# On a terminal (script(1) makes one) the wait is shown while it lasts.
rc=0
script -qec "$KVMNET -c unix://$T/rw detach-interface g1 --mac $M3 --timeout 1.2" /dev/null >"$T/tty" 2>&1 || rc=$?
[ "$rc" = 8 ] && grep -q "unplug pending" "$T/tty" || fail "detach on a terminal: exit $rc: $(cat -v "$T/tty")"
grep -q "detach-interface g1: waiting for the guest to release the NIC (1 s)" "$T/tty" ||
        fail "no progress shown on a terminal: $(cat -v "$T/tty")"
P=$(qemu_pid g1)
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
has_tap "$tap2" && has_tap "$tap3" || fail "taps went with kvmnetd: $(ip -n "$NS" -br link)"
start_daemon --netns "$NS" --unplug-timeout 0.3
grep -q "guest g1: re-attached to QEMU pid $P with 2 NICs" "$T/daemon.log" || fail "g1 not re-attached"
grep -q "guest a1: re-attached to QEMU pid [0-9]* (adopted)" "$T/daemon.log" || fail "a1 not re-attached"
K domiflist g1 | grep -E "$tap2 .*$M2 .*attached" >/dev/null || fail "domiflist after restart: $(K domiflist g1)"
K domiflist g1 | grep -E "$tap3 .*$M3 .*unplug pending" >/dev/null || fail "pending NIC after restart: $(K domiflist g1)"
pass "kvmnetd killed (-9) and restarted: g1 and adopted a1 re-attached, NICs listed as they were"

# A fresh detach of the other NIC (no --timeout: kvmnetd's 300 ms), then
# one reset completes both pending unplugs, the one from before the
# restart too: kvmnetd holds no tap fd, QEMU's netdev_del alone makes the
# taps go.
t0=$(date +%s%N)
expect_error 8 "within 300 ms; it stays 'unplug pending'" K detach-interface g1 --mac $M2
[ $((($(date +%s%N) - t0) / 1000000)) -ge 300 ] || fail "detach returned before --unplug-timeout"
qmp g1 system_reset >/dev/null || fail "system_reset"
wait_for no_tap "$tap3" || fail "$tap3 still there"
wait_for no_tap "$tap2" || fail "$tap2 still there after detach + reset"
wait_for not_listed g1 $M3 || fail "$M3 still listed"
wait_for not_listed g1 $M2 || fail "$M2 still listed"
settle
pass "after the restart: a new detach (kvmnetd --unplug-timeout 0.3, no --timeout) is pending too; one reset completes both, taps gone"

# While kvmnetd is down: a pending unplug completes (reset), q1's QEMU dies.
K attach-interface g1 --bridge br0 --mac $M2 >/dev/null || fail "attach $M2 again"
tap2=$(tap_of g1 $M2)
expect_error 8 "within 150 ms; it stays 'unplug pending'" K detach-interface g1 --mac $M2 --timeout 0.15
K guest-start q1 >/dev/null || fail "q1 start"
K attach-interface q1 --bridge br0 >/dev/null || fail "q1 attach"
PQ=$(qemu_pid q1)
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
qmp g1 system_reset >/dev/null || fail "system_reset with kvmnetd down"
kill -9 "$PQ"
printf '#!/bin/sh\nsleep 1\nexec qemu-system-x86_64 "$@"\n' >"$T/slow-qemu"
chmod +x "$T/slow-qemu"
start_daemon --netns "$NS" --emulator qemu-system-x86_64 --emulator "$T/slow-qemu"
grep -q "guest g1: NIC $M2 (kn-net[0-9]*, tap $tap2) was released by the guest while kvmnetd was away (unplug completed): dropped, tap gone" "$T/daemon.log" ||
        fail "unplug completed while away not reported"
no_tap "$tap2" || fail "$tap2 left after reconciliation"
not_listed g1 $M2 || fail "$M2 still listed"
grep -q "guest q1: QEMU (pid $PQ) is gone: forgotten" "$T/daemon.log" || fail "dead q1 not reported"
K guest-list | grep -q "q1 *shut off" || fail "q1 not shut off: $(K guest-list)"
[ -e "$KVMNET_RUN_DIR/guests/q1.json" ] && fail "q1's runtime state file is left"
pass "--timeout 0.15 wins over --unplug-timeout; restart reconciles: an unplug completed meanwhile is finished (tap gone), a dead QEMU is forgotten"

# kvmnetd killed in the middle of guest-start (an emulator that takes its
# time): the next kvmnetd kills the paused QEMU it finds 'starting'.
# <emulator> names only what kvmnetd --emulator allows (QEMU runs as root):
# not /bin/sh, nor a link to it under an allowed name, at define or start.
ln -s /bin/sh "$T/qemu-system-x86_64"
for e in /bin/sh "$T/qemu-system-x86_64" "$T/no-such-qemu"; do
        guest_xml e1 pc "<emulator>$e</emulator>" >"$T/e1.xml"
        case $e in
        */no-such-qemu) expect_error 5 "guest-define: emulator $e not found" K guest-define "$T/e1.xml" ;;
        *) expect_error 6 "guest-define: emulator $e is not one kvmnetd runs \(allowed: qemu-system-x86_64, $T/slow-qemu; see kvmnetd --emulator\)" K guest-define "$T/e1.xml" ;;
        esac
done
[ -e "$T/state/guests/e1.xml" ] && fail "a refused definition was stored"
cp "$T/e1.xml" "$T/state/guests/e1.xml" # written behind kvmnetd's back
sed -i "s|$T/no-such-qemu|/bin/sh|" "$T/state/guests/e1.xml"
expect_error 6 "guest-start e1: emulator /bin/sh is not one kvmnetd runs" K guest-start e1
rm "$T/state/guests/e1.xml"
pass "<emulator>: only kvmnetd --emulator's binaries, at guest-define and guest-start"
guest_xml s1 pc "<emulator>$T/slow-qemu</emulator>" >"$T/s1.xml"
truncate -s 1M "$T/s1.img"
K guest-define "$T/s1.xml" >/dev/null || fail "define s1"
K guest-start s1 >/dev/null 2>&1 &
SP=$!
wait_for test -s "$KVMNET_RUN_DIR/guests/s1.pid" || fail "s1 not spawned"
PS=$(cat "$KVMNET_RUN_DIR/guests/s1.pid")
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
wait "$SP" 2>/dev/null
wait_for test -S "$KVMNET_RUN_DIR/guests/s1.qmp" || fail "s1's QEMU did not come up"
start_daemon --netns "$NS"
grep -q "guest s1: guest-start was interrupted: QEMU pid $PS killed" "$T/daemon.log" ||
        fail "interrupted start not undone"
wait_for sh -c "! kill -0 $PS 2>/dev/null || grep -q '^State:.*Z' /proc/$PS/status" ||
        fail "QEMU $PS of the interrupted start still runs"
K guest-list | grep -q "s1 *shut off" || fail "s1 not shut off: $(K guest-list)"
pass "kvmnetd killed during guest-start: the next one kills the paused QEMU and forgets it"

K guest-stop g1 >/dev/null || fail "guest-stop g1"
K guest-stop a1 >/dev/null || fail "guest-stop a1"
[ -e "$KVMNET_RUN_DIR/guests/g1.json" ] && fail "g1's runtime state file is left after guest-stop"
stop_daemon
pass "daemon stopped cleanly"
