#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# kvmnetd killed with -9 at every crash point of attach-interface and of
# detach-interface, against a running firmware-only QEMU (it stays up; each
# restarted kvmnetd re-attaches to it).  After every restart the NIC is
# either fully there (listed, its tap on the bridge, one tap fd in QEMU,
# one NIC in QEMU) or fully gone (not listed, no tap, no tap fd and no NIC
# left in QEMU): no tap leaked, no fd orphaned inside QEMU, no temp file of
# the guest's state left; and the restart's log says what became of a NIC
# the kill left half attached or half detached.  attach-interface
# --persistent once more: the guest's definition and state files whole,
# the definition with the NIC exactly when QEMU has it.  The guest
# "answers" an unplug by the test's system_reset on its own monitor.
. "$(dirname "$0")/../daemon/lib.sh"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../guest/lib.sh"

guest_bridge_ns g
M=52:54:00:aa:00:01

truncate -s 1M "$T/g1.img"
guest_xml g1 pc >"$T/g1.xml"
start_daemon --netns "$NS"
K guest-define "$T/g1.xml" >/dev/null && K guest-start g1 >/dev/null || fail "guest g1"
QPID=$(qemu_pid g1)
stop_daemon

# The NIC as kvmnet, the kernel and QEMU each see it.
nic_state() {
        local listed=no taps ports fds nics
        K domiflist g1 2>/dev/null | grep -q -- "$M" && listed=yes
        taps=$(ip -n "$NS" -o link show type tun 2>/dev/null | wc -l)
        ports=$(ip -n "$NS" -o link show master br0 type tun 2>/dev/null | wc -l)
        fds=$(find "/proc/$QPID/fd" -lname /dev/net/tun 2>/dev/null | wc -l)
        nics=$(qmp g1 human-monitor-command '{"command-line": "info network"}' |
                python3 -c 'import json,sys; print(json.load(sys.stdin)["return"].count("model="))')
        echo "listed $listed, taps $taps, on br0 $ports, QEMU tap fds $fds, QEMU NICs $nics"
}
# What the restart after a kill at K said: the guest re-attached with the
# NICs it found, and of a NIC the journal (the state file) held half way
# -- written once by the request and due to be written again -- whether it
# was kept or dropped.
STATE_WRITE="write $KVMNET_RUN_DIR/guests/g1.json: replaced"
logged_nic() { # K ATTACHED(yes/no)
        local log said
        killed "$1" || return 0
        log=$(restart_log "$1")
        said=$(echo "$log" | grep -- "guest g1: NIC $M ")
        if [ "$2" = yes ]; then
                echo "$log" | grep -q "guest g1: re-attached to QEMU pid $QPID with 1 NIC$" ||
                        { echo "the restart did not re-attach with the NIC: $log"; return 1; }
                echo "$said" | grep -q "dropped" && { echo "kept, but logged: $said"; return 1; }
        else
                echo "$log" | grep -q "guest g1: re-attached to QEMU pid $QPID with 0 NICs$" ||
                        { echo "the restart did not re-attach without the NIC: $log"; return 1; }
                [ -z "$said" ] || echo "$said" | grep -q "dropped, tap gone" ||
                        { echo "gone, but logged: $said"; return 1; }
        fi
        if passed "$1" "$STATE_WRITE" && tail -n +$(($1 + 1)) "$CRASH_POINTS" | grep -q "$STATE_WRITE"; then
                [ -n "$said" ] || { echo "the NIC the journal held half way went without a word: $log"; return 1; }
        fi
}
check_nic() { # K
        local s attached
        kill -0 "$QPID" || { echo "QEMU died"; return 1; }
        no_temps "$KVMNET_RUN_DIR" "$T/state" || return 1
        s=$(nic_state)
        case $s in
        "listed no, taps 0, on br0 0, QEMU tap fds 0, QEMU NICs 0") attached=no ;;
        "listed yes, taps 1, on br0 1, QEMU tap fds 1, QEMU NICs 1") attached=yes ;;
        *) echo "half: $s"; return 1 ;;
        esac
        logged_nic "$1" "$attached" || return 1
        if [ "$attached" = "$ATTACHED_IS_AFTER" ]; then echo after; else echo before; fi
}
# After system_reset the firmware resets a few times within ~60 ms, each
# completing pending unplugs: let that pass.
settle() { sleep 0.5; }
PERSISTENT= # --persistent for attach and detach
attach() { K attach-interface g1 --bridge br0 --mac "$M" ${PERSISTENT:+"$PERSISTENT"}; }
detach() { # the guest lets go 0.3 s after the request
        (sleep 0.3 && qmp g1 system_reset >/dev/null) &
        local r=0 reset=$!
        K detach-interface g1 --mac "$M" --timeout 5 ${PERSISTENT:+"$PERSISTENT"} || r=$?
        wait "$reset"
        settle
        return $r
}
detach_now() { detach >/dev/null || fail "reset: detach"; }
attach_now() { attach >/dev/null || fail "reset: attach"; }

ATTACHED_IS_AFTER=yes
kill_loop attach-interface attach check_nic detach_now --netns "$NS"
pass "attach-interface: killed at each of its $KILL_POINTS points: $KILLED_BEFORE rolled back, $KILLED_AFTER complete; no tap or QEMU fd left over"

start_daemon --netns "$NS"
attach_now
stop_daemon
ATTACHED_IS_AFTER=no
kill_loop detach-interface detach check_nic attach_now --netns "$NS"
pass "detach-interface: killed at each of its $KILL_POINTS points: $KILLED_BEFORE kept, $KILLED_AFTER removed; no tap or QEMU fd left over"

# The definition (STATE/guests/g1.xml) and the runtime state (g1.json),
# each whole: "yes" if the definition has the NIC, "no" if not.
def_has_nic() {
        python3 - "$T/state/guests/g1.xml" "$KVMNET_RUN_DIR/guests/g1.json" "$M" <<'PY'
import json, sys, xml.etree.ElementTree as ET
json.load(open(sys.argv[2]))
macs = [m.get('address') for m in ET.parse(sys.argv[1]).iter('mac')]
print('yes' if sys.argv[3] in macs else 'no')
PY
}
check_persistent() { # K
        local s d
        s=$(check_nic "$1") || { echo "$s"; return 1; }
        d=$(def_has_nic 2>&1) || { echo "$s, but a file is not whole: $d"; return 1; }
        case "$s $d" in
        "after yes" | "before no") echo "$s" ;;
        *) echo "$s, but the definition has the NIC: $d"; return 1 ;;
        esac
}
start_daemon --netns "$NS"
detach_now
stop_daemon
ATTACHED_IS_AFTER=yes PERSISTENT=--persistent
kill_loop attach-interface attach check_persistent detach_now --netns "$NS"
pass "attach-interface --persistent: killed at each of its $KILL_POINTS points: $KILLED_BEFORE rolled back, $KILLED_AFTER complete; the definition and state files whole, the NIC in the definition exactly when attached"
