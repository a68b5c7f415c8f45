#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Guest NIC hot-plug through kvmnetd and the kvmnet CLI against real QEMU
# without a guest OS (firmware only: fast): guest-define/start/stop,
# attach-interface, domiflist, guest-info, the clear errors, unplug pending,
# --persistent across stop/start, q35 root-port capacity, QEMU killed during
# attach, guest-adopt.  Taps live in a namespace made here; every QEMU is
# killed by pid at the end.
. "$(dirname "$0")/../daemon/lib.sh"

skip() { echo "SKIP: $*"; exit 77; }
can_netns || skip "needs root, ip and network namespaces"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed (qemu-system-x86)"
[ -c /dev/net/tun ] || skip "no /dev/net/tun"

QEMU_PIDS=
kill_qemus() {
        local f p
        for f in "$T"/state/run/*.pid; do
                [ -f "$f" ] || continue
                p=$(cat "$f")
                grep -q "guest=" "/proc/$p/cmdline" 2>/dev/null && kill -9 "$p"
        done
        for p in $QEMU_PIDS; do kill -9 "$p" 2>/dev/null; done
        cleanup
}
trap kill_qemus EXIT

ROOT=$T/root
make_root "$ROOT" ifupdown
make_netns hp
NS=$NS_MADE
ip -n "$NS" link add br0 type bridge && ip -n "$NS" link set br0 up || fail "bridge"
start_daemon --netns "$NS"
K() { "$KVMNET" -c "unix://$T/rw" "$@"; }

truncate -s 1M "$T/g1.img" "$T/q1.img"
guest_xml() { # NAME MACHINE [EXTRA-DEVICES]
        cat <<XML
<domain type='qemu'>
  <name>$1</name>
  <memory unit='MiB'>64</memory>
  <os><type machine='$2'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'><source file='$T/$1.img'/></disk>
    <serial type='file'><source path='$T/$1.serial'/></serial>
    ${3:-}
  </devices>
</domain>
XML
}
taps() { ip -n "$NS" -o link show type tun 2>/dev/null | wc -l; }
qemu_pid() { K guest-list --json | python3 -c "import json,sys; print([g['pid'] for g in json.load(sys.stdin)['guests'] if g['name']=='$1'][0])"; }
fds() { ls "/proc/$1/fd" | wc -l; }

guest_xml g1 pc >"$T/g1.xml"
K guest-define "$T/g1.xml" >/dev/null || fail "guest-define"
expect_error 1 "not running" K attach-interface g1 --bridge br0
expect_error 1 "not defined" K attach-interface nosuch --bridge br0
expect_error 1 "guest name '../x'" K guest-start ../x
K guest-start g1 >/dev/null || fail "guest-start"
pass "guest defined and started"
P=$(qemu_pid g1)
FD0=$(fds "$P")

M1=52:54:00:aa:00:01
out=$(K attach-interface g1 --bridge br0 --mac $M1) || fail "attach-interface: $out"
tap=$(K domiflist g1 --json | python3 -c "import json,sys; print(json.load(sys.stdin)['interfaces'][0]['tap'])")
ip -n "$NS" -d link show "$tap" | grep -q "master br0" || fail "$tap is not on br0"
ip -n "$NS" link show "$tap" | grep -q "fe:54:00:aa:00:01" || fail "$tap has not the host MAC"
[ "$(fds "$P")" -gt "$FD0" ] || fail "QEMU holds no new fd"
K domiflist g1 | grep -E "$tap +bridge +br0 +virtio +$M1 +1 +attached" >/dev/null || fail "domiflist: $(K domiflist g1)"
pass "attach-interface: $tap on br0 with the host MAC, listed as attached"

expect_error 1 "already has a NIC with MAC $M1" K attach-interface g1 --bridge br0 --mac $M1
expect_error 1 "not a MAC address" K attach-interface g1 --bridge br0 --mac 52:54:00:zz:00:01
expect_error 1 "multicast" K attach-interface g1 --bridge br0 --mac 01:54:00:00:00:01
expect_error 1 "no bridge named 'nobr0'" K attach-interface g1 --bridge nobr0
expect_error 1 "virtual networks" K attach-interface g1 --network default
expect_error 1 "at most 15" K attach-interface g1 --bridge br0 --target kvn-much-too-long0
[ "$(taps)" = 1 ] || fail "a failed attach left a tap: $(ip -n "$NS" -br link)"
pass "bad MAC, duplicate MAC, unknown bridge, --network, long tap name: clear errors, nothing left"

# No guest OS: the unplug request is never answered.
expect_error 1 "unplug pending" K detach-interface g1 --mac $M1 --timeout 300
K domiflist g1 | grep -q "unplug pending" || fail "not listed as unplug pending"
[ "$(taps)" = 1 ] || fail "the tap of a NIC the guest still holds is gone"
expect_error 1 "unplug pending" K detach-interface g1 --mac $M1 --timeout 200
pass "an unanswered unplug is 'unplug pending', never success; the tap stays"

FD1=$(fds "$P")
out=$(K attach-interface g1 --bridge br0 --queues 4 --persistent --json) || fail "multiqueue: $out"
MQ=$(echo "$out" | python3 -c "import json,sys; print(json.load(sys.stdin)['interface']['mac'])")
[ "$(($(fds "$P") - FD1))" -ge 4 ] || fail "4 queues should hand QEMU 4 tap fds"
K guest-dumpxml g1 | grep -q "$MQ" || fail "--persistent did not update the definition"
K guest-dumpxml g1 | grep -q "queues='4'" || fail "queues not in the definition"
pass "multiqueue (4 fds) and --persistent updates the definition"

K guest-info g1 | grep -q "PCI slots free" || fail "guest-info: $(K guest-info g1)"
K guest-stop g1 >/dev/null || fail "guest-stop"
kill -0 "$P" 2>/dev/null && fail "QEMU $P still runs after guest-stop"
[ "$(taps)" = 0 ] || fail "taps left after guest-stop"
K guest-start g1 >/dev/null || fail "guest-start again"
K domiflist g1 | grep -q "$MQ.* 4 .*attached" || fail "persistent NIC not back: $(K domiflist g1)"
pass "guest-stop removes the taps; --persistent NIC is back after guest-start"

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
[ "$rc" = 1 ] || fail "attach during QEMU's death exited $rc: $(cat "$T/killed.out")"
grep -q "QEMU" "$T/killed.out" || fail "unclear error: $(cat "$T/killed.out")"
sleep 0.2
[ "$(taps)" = "$((before - 0))" ] || [ "$(taps)" -lt "$before" ] || fail "tap left after QEMU died"
ip -n "$NS" -br link | grep -q "kvn" && ip -n "$NS" -br link | grep -v "$(K domiflist g1 --json | python3 -c "import json,sys; print('|'.join(i['tap'] for i in json.load(sys.stdin)['interfaces']))")" | grep -q kvn && fail "stray tap: $(ip -n "$NS" -br link)"
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
expect_error 1 "already running" K guest-adopt a1 "$T/adopt.qmp"
pass "guest-adopt takes over a foreign QEMU and hot-plugs into it"

K guest-stop g1 >/dev/null || fail "guest-stop g1"
K guest-stop a1 >/dev/null || fail "guest-stop a1"
stop_daemon
pass "daemon stopped cleanly"
