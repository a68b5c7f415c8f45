#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Against real QEMU without a guest OS (firmware only):
#  - a failed attach is undone at each step before QEMU's: tap create,
#    bridge join, the getfd of the first and of the second fd (failed by
#    kvmnetd's test hook); after each, no tap, QEMU holds the fds it held
#    before, has no kvmnet netdev, and the error names the step;
#  - a failed attach is undone at each QEMU step: the test's own monitor
#    takes the id kvmnetd would use first for the netdev (netdev_add is
#    refused: the fd names it passed must be closed), then for the device
#    (device_add is refused: its netdev must be deleted); after each, QEMU
#    holds the fds it held before, has no kvmnet netdev and the tap is gone;
#  - attach-device and detach-device from a libvirt <interface>, with
#    --persistent;
#  - guest-undefine of a stopped guest, and of a running one (it keeps
#    running, then is gone at guest-stop).
# Taps live in a namespace made here; every QEMU is killed by pid at the end.
. "$(dirname "$0")/../daemon/lib.sh"

. "$(dirname "$0")/lib.sh"

guest_bridge_ns undo
start_daemon --netns "$NS"

taps() { ip -n "$NS" -o link show type tun 2>/dev/null | wc -l; }
fds() { ls "/proc/$1/fd" | wc -l; }
tun_fds() { # the tun fds QEMU holds
        local n=0 f
        for f in /proc/"$1"/fd/*; do
                [ "$(readlink "$f")" = /dev/net/tun ] && n=$((n + 1))
        done
        echo "$n"
}
listed() { K domiflist "$1" | grep -q -- "$2"; }
# The netdevs QEMU has, from its human monitor ("info network").
netdevs() { # GUEST
        qmp "$1" human-monitor-command '{"command-line": "info network"}' |
                python3 -c "import json,sys; print(json.load(sys.stdin)['return'])"
}
# The index kvmnetd gives the next NIC (kn-netN, kn-hostnetN).
next_index() { # GUEST
        python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['next_index'])" "$KVMNET_RUN_DIR/guests/$1.json"
}

truncate -s 1M "$T/u1.img" "$T/u2.img"
guest_xml u1 pc >"$T/u1.xml"
K guest-define "$T/u1.xml" >/dev/null && K guest-start u1 >/dev/null || fail "start u1"
P=$(qemu_pid u1)

# ---- the steps before QEMU's: tap create, bridge join, each getfd ----
# Neither the kernel nor QEMU can be made to refuse these on demand, so
# kvmnetd's test hook fails the step named in KVMNET_TEST_FAIL_STEP
# (src/util/crashpoint.h) as a refusal would; the undo then runs against
# the real tap, bridge and QEMU.  kvmnetd restarts with the hook set for
# each (u1 keeps running; the restart re-attaches to it).
M0=52:54:00:bb:00:10
# A refusal after the tap was made is exit 9, its error naming how many
# steps were undone (the tap; the fds QEMU had by then).
fail_at() { # STEP QUEUES UNDONE
        local step=$1 queues=$2 undone=$3 fd0 tun0 code=9 tail
        stop_daemon
        KVMNET_TEST_FAIL_STEP=$step start_daemon --netns "$NS"
        fd0=$(fds "$P") tun0=$(tun_fds "$P")
        case $undone in
        0) code=1 tail='$' ;;
        1) tail='; the step done was undone$' ;;
        *) tail="; the $undone steps done were undone\$" ;;
        esac
        expect_error $code "^error: attach-interface u1: $step: injected failure.*$tail" \
                K attach-interface u1 --bridge br0 --mac $M0 --queues "$queues"
        [ "$(taps)" = 0 ] || fail "$step failed: a tap is left: $(ip -n "$NS" -br link)"
        [ "$(fds "$P")" = "$fd0" ] || fail "$step failed: QEMU holds $(fds "$P") fds, not $fd0"
        [ "$(tun_fds "$P")" = "$tun0" ] || fail "$step failed: QEMU holds $(tun_fds "$P") tun fds, not $tun0"
        netdevs u1 >"$T/netdevs"
        grep -q "kn-hostnet" "$T/netdevs" && fail "$step failed: a netdev is left: $(cat "$T/netdevs")"
        listed u1 $M0 && fail "$step failed: the NIC is listed: $(K domiflist u1)"
        pass "$step refused: no tap, QEMU's fds as before, no netdev, not listed, the error names the step"
}
fail_at "tap create" 1 0
fail_at "bridge join" 1 1
fail_at "getfd kn-net$(next_index u1)-tap0" 1 1
fail_at "getfd kn-net$(next_index u1)-tap1" 2 2 # the first fd passed: closefd
grep -q "guest u1: attaching .* rolled back: .*getfd kn-net.*-tap1: injected failure" "$T/daemon.log" ||
        fail "the second getfd's failure: no roll-back logged"
stop_daemon
start_daemon --netns "$NS"

# ---- netdev_add refused: the fds passed (two queues: two getfd) closed ----
i=$(next_index u1)
qmp u1 netdev_add "{\"type\": \"hubport\", \"id\": \"kn-hostnet$i\", \"hubid\": 9}" >/dev/null ||
        fail "netdev_add on the test monitor"
FD0=$(fds "$P") TUN0=$(tun_fds "$P")
M1=52:54:00:bb:00:01
expect_error 9 "attach-interface u1: .*kn-hostnet$i.*; the 3 steps done were undone" \
        K attach-interface u1 --bridge br0 --mac $M1 --queues 2
[ "$(fds "$P")" = "$FD0" ] || fail "after a refused netdev_add QEMU holds $(fds "$P") fds, not $FD0"
[ "$(tun_fds "$P")" = "$TUN0" ] || fail "after a refused netdev_add QEMU holds $(tun_fds "$P") tun fds"
[ "$(taps)" = 0 ] || fail "a tap is left after a refused netdev_add: $(ip -n "$NS" -br link)"
listed u1 $M1 && fail "the NIC of a refused attach is listed: $(K domiflist u1)"
grep -q "guest u1: attaching .* rolled back" "$T/daemon.log" || fail "no roll-back logged"
qmp u1 netdev_del "{\"id\": \"kn-hostnet$i\"}" >/dev/null || fail "netdev_del of the test's hubport"
pass "netdev_add refused (its id taken): the passed fds closed, no tap, not listed"

# ---- device_add refused: the netdev kvmnetd added deleted ----
i=$(next_index u1)
qmp u1 device_add "{\"driver\": \"virtio-rng-pci\", \"id\": \"kn-net$i\"}" >/dev/null ||
        fail "device_add on the test monitor"
FD0=$(fds "$P") TUN0=$(tun_fds "$P")
expect_error 9 "attach-interface u1: .*kn-net$i.*; the 2 steps done were undone" \
        K attach-interface u1 --bridge br0 --mac $M1 --json
python3 -c '
import json, sys
e = json.load(open(sys.argv[1]))["error"]
want = ["netdev_del kn-hostnet" + sys.argv[2], "delete tap "]
assert len(e["undone"]) == 2 and e["undone"][0] == want[0] and e["undone"][1].startswith(want[1]), e
' "$T/out" "$i" || fail "the JSON error does not list the undone steps: $(cat "$T/out")"
netdevs u1 >"$T/netdevs"
grep -q "kn-hostnet$i" "$T/netdevs" && fail "the netdev of a refused device_add is left: $(cat "$T/netdevs")"
[ "$(tun_fds "$P")" = "$TUN0" ] || fail "after a refused device_add QEMU holds $(tun_fds "$P") tun fds, not $TUN0"
[ "$(fds "$P")" = "$FD0" ] || fail "after a refused device_add QEMU holds $(fds "$P") fds, not $FD0"
[ "$(taps)" = 0 ] || fail "a tap is left after a refused device_add: $(ip -n "$NS" -br link)"
listed u1 $M1 && fail "the NIC of a refused attach is listed: $(K domiflist u1)"
pass "device_add refused (its id taken): netdev deleted, QEMU's fds as before, no tap, not listed"

# ---- and the next attach works ----
K attach-interface u1 --bridge br0 --mac $M1 >/dev/null || fail "attach after the refusals"
listed u1 "$M1 .*attached" || fail "not attached: $(K domiflist u1)"
[ "$(tun_fds "$P")" = $((TUN0 + 1)) ] || fail "QEMU holds $(tun_fds "$P") tun fds, not $((TUN0 + 1))"
netdevs u1 | grep "kn-hostnet$((i + 1))" >/dev/null || fail "no netdev kn-hostnet$((i + 1)): $(netdevs u1)"
pass "an attach after the refused ones works (one tun fd more, its netdev there)"

# ---- attach-device / detach-device from a libvirt <interface> ----
M2=52:54:00:bb:00:02
cat >"$T/nic.xml" <<E
<interface type='bridge'>
  <source bridge='br0'/>
  <mac address='$M2'/>
  <model type='virtio'/>
</interface>
E
TUN1=$(tun_fds "$P")
K attach-device u1 "$T/nic.xml" --persistent >"$T/out" || fail "attach-device: $(cat "$T/out")"
listed u1 "bridge  *br0  *virtio  *$M2  *1  *attached" || fail "attach-device: $(K domiflist u1)"
tap=$(K domiflist u1 --json | python3 -c "import json,sys; print([i['tap'] for i in json.load(sys.stdin)['interfaces'] if i['mac']=='$M2'][0])")
ip -n "$NS" -d link show "$tap" | grep -q "master br0" || fail "$tap is not on br0"
[ "$(tun_fds "$P")" = $((TUN1 + 1)) ] || fail "attach-device: QEMU holds $(tun_fds "$P") tun fds"
K guest-dumpxml u1 | grep -q "$M2" || fail "attach-device --persistent did not update the definition"
expect_error 7 "already has a NIC with MAC $M2" K attach-device u1 "$T/nic.xml"
sed "s/virtio/e1000/" "$T/nic.xml" >"$T/e1000.xml"
expect_error 1 "model 'e1000' is not supported" K attach-device u1 "$T/e1000.xml"
pass "attach-device: $tap on br0, listed, --persistent in the definition; a duplicate or an unsupported model refused"

sed "s/$M2/52:54:00:bb:00:99/" "$T/nic.xml" >"$T/other.xml"
expect_error 5 "52:54:00:bb:00:99" K detach-device u1 "$T/other.xml"
# No guest OS answers the unplug: pending, then the test monitor's reset
# completes it (as in daemon-hotplug.sh).
expect_error 8 "the guest did not release NIC $M2 \(tap $tap\) within 300 ms" \
        K detach-device u1 "$T/nic.xml" --persistent --timeout 0.3
listed u1 "$M2 .*unplug pending" || fail "detach-device: not pending: $(K domiflist u1)"
qmp u1 system_reset >/dev/null || fail "system_reset"
wait_for sh -c "! ip -n $NS link show $tap" || fail "tap $tap left after detach-device and reset"
wait_for sh -c "! $KVMNET -c unix://$T/rw domiflist u1 | grep -q $M2" || fail "still listed: $(K domiflist u1)"
wait_for sh -c "[ \$(ls -l /proc/$P/fd | grep -c /dev/net/tun) = $TUN1 ]" ||
        fail "QEMU holds $(tun_fds "$P") tun fds after detach-device, not $TUN1"
K guest-dumpxml u1 | grep -q "$M2" && fail "detach-device --persistent left the NIC in the definition"
pass "detach-device: the MAC from the XML (an unknown one: exit 5), pending then removed at reset, tap and fd gone, definition updated"
sleep 0.5 # the firmware's own resets after system_reset

# ---- guest-undefine ----
guest_xml u2 pc >"$T/u2.xml"
K guest-define "$T/u2.xml" >/dev/null || fail "define u2"
K guest-undefine u2 >"$T/out" || fail "guest-undefine u2: $(cat "$T/out")"
K guest-list | grep -q "u2" && fail "an undefined guest is listed: $(K guest-list)"
[ -e "$T/state/guests/u2.xml" ] && fail "guest-undefine left the definition file"
expect_error 5 "no guest named 'u2'" K guest-dumpxml u2
expect_error 5 "no guest named 'u2'" K guest-undefine u2
expect_error 5 "no guest named 'u2'" K guest-start u2
pass "guest-undefine of a stopped guest: gone from guest-list, its file, dumpxml; a second undefine is exit 5"

K guest-undefine u1 >"$T/out" || fail "guest-undefine of the running u1: $(cat "$T/out")"
[ -e "$T/state/guests/u1.xml" ] && fail "guest-undefine of a running guest left the definition file"
kill -0 "$P" || fail "guest-undefine stopped the running QEMU"
K guest-list | grep -q "u1 *running" || fail "the undefined running guest is not listed: $(K guest-list)"
listed u1 "$M1 .*attached" || fail "its NIC went: $(K domiflist u1)"
K guest-stop u1 >/dev/null || fail "guest-stop of the undefined u1"
wait_for sh -c "! kill -0 $P 2>/dev/null || grep -q '^State:.*Z' /proc/$P/status" || fail "QEMU $P still runs"
K guest-list | grep -q "u1" && fail "an undefined guest is listed after guest-stop: $(K guest-list)"
[ "$(taps)" = 0 ] || fail "taps left: $(ip -n "$NS" -br link)"
pass "guest-undefine of a running guest: it keeps running with its NICs, and is gone after guest-stop"

stop_daemon
pass "daemon stopped cleanly"
