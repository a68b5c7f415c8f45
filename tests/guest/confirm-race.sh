#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A --confirm revert and a guest attach at the same moment: both go
# through kvmnetd's one ordered queue, so the outcome is always one of the
# two orders, never a mix:
#   attach first:  the attach succeeds (its tap was put on br0 whole), then
#                  the revert deletes br0: the tap stays, bridgeless;
#   revert first:  br0 is gone before the attach looks: "no bridge named
#                  'br0'", no tap left.
# Two test hooks make the race wide: KVMNET_TEST_WORKER_DELAY_MS=300 has
# each worker job wait before it runs (the revert is queued, not yet run,
# for 300 ms after the timer fires) and KVMNET_TEST_TAP_DELAY_MS=400 holds
# the tap step between its bridge check and putting the tap on the
# bridge.  An attach in those 300 ms whose tap step did not queue behind
# the revert would have br0 deleted under it half way.
#
#   namespace knhe-race-$$: eth0 (veth, a NIC to share) -- lan0 in knhe-lan-$$
#   iface-bridge eth0 br0 --confirm 1, never confirmed: reverts at ~1.3 s
#   attach-interface at 0.5 .. 1.6 s after it
# Real QEMU without a guest OS; every QEMU killed by pid at the end.
. "$(dirname "$0")/../daemon/lib.sh"

. "$(dirname "$0")/lib.sh"

H=knhe-race-$$
L=knhe-lan-$$
for ns in "$H" "$L"; do
        ip netns del "$ns" 2>/dev/null
        ip netns add "$ns" || fail "ip netns add $ns"
        NETNS_LIST="$NETNS_LIST $ns"
        ip -n "$ns" link set lo up
done
ip -n "$H" link add eth0 type veth peer name lan0 netns "$L" &&
        ip -n "$H" addr add 192.0.2.10/24 dev eth0 &&
        ip -n "$H" link set eth0 up &&
        ip -n "$L" addr add 192.0.2.1/24 dev lan0 &&
        ip -n "$L" link set lan0 up || fail "namespace setup"

ROOT=$T/root
make_root "$ROOT" ifupdown
cat >"$ROOT/etc/network/interfaces" <<'EOF'
auto lo
iface lo inet loopback

auto eth0
iface eth0 inet static
    address 192.0.2.10/24
EOF
export KVMNET_TEST_TAP_DELAY_MS=400 KVMNET_TEST_WORKER_DELAY_MS=300
start_daemon --netns "$H"

truncate -s 1M "$T/g1.img"
cat >"$T/g1.xml" <<XML
<domain type='qemu'>
  <name>g1</name>
  <memory unit='MiB'>64</memory>
  <os><type machine='pc'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'><source file='$T/g1.img'/></disk>
  </devices>
</domain>
XML
K guest-define "$T/g1.xml" >/dev/null || fail "guest-define"
K guest-start g1 >/dev/null || fail "guest-start"

taps() { ip -n "$H" -o link show type tun 2>/dev/null | wc -l; }
nics() { K domiflist g1 --json | python3 -c "import json,sys; print(len(json.load(sys.stdin)['interfaces']))"; }
no_br0() { ! ip -n "$H" link show br0 >/dev/null 2>&1; }
reverted() { [ "$(grep -c 'not confirmed in time: the change was reverted' "$T/daemon.log")" -ge "$1" ]; }

first=0 second=0 round=0
for at in 0.5 0.9 1.0 1.05 1.1 1.2 1.6; do
        round=$((round + 1))
        mac=$(printf '52:54:00:ee:00:%02x' "$round")
        taps0=$(taps) nics0=$(nics)
        K iface-bridge eth0 br0 --confirm 1 >"$T/bridge.out" 2>&1 || fail "iface-bridge --confirm: $(cat "$T/bridge.out")"
        sleep "$at"
        rc=0
        K attach-interface g1 --bridge br0 --mac "$mac" --json >"$T/attach.out" 2>"$T/attach.err" || rc=$?
        for _ in $(seq 50); do reverted "$round" && break; sleep 0.1; done
        reverted "$round" || fail "round $round: no revert logged"
        no_br0 || fail "round $round: br0 survived the revert"
        if [ "$rc" = 0 ]; then
                # attach, then revert: the tap was on br0, br0 went later
                tap=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['interface']['tap'])" "$T/attach.out") ||
                        fail "round $round: attach reply: $(cat "$T/attach.out")"
                ip -n "$H" -d link show "$tap" >"$T/tap" 2>&1 || fail "round $round: attached tap $tap is gone"
                grep -q "master" "$T/tap" && fail "round $round: $tap has a master after br0 was deleted: $(cat "$T/tap")"
                grep -q "state UP\|,UP" "$T/tap" || fail "round $round: $tap is not up: $(cat "$T/tap")"
                [ "$(taps)" = $((taps0 + 1)) ] && [ "$(nics)" = $((nics0 + 1)) ] ||
                        fail "round $round: attach succeeded but taps $(taps) (was $taps0), NICs $(nics) (was $nics0)"
                grep -q "guest g1: kn-net$((round - 1)) attached ($tap on br0" "$T/daemon.log" ||
                        fail "round $round: attach not logged as on br0"
                # the revert found the tap on br0 (it names what it cut off)
                grep "not confirmed in time: the change was reverted" "$T/daemon.log" | tail -1 |
                        grep -q "cut off from their bridge: .*$tap (on br0)" ||
                        fail "round $round: the revert did not find $tap on br0: $(grep 'not confirmed' "$T/daemon.log" | tail -1)"
                first=$((first + 1))
                echo "# round $round (+$at s): attach first, then the revert"
        else
                # revert, then attach: refused whole, nothing left
                [ "$(grep -c '^error: ' "$T/attach.err")" = 1 ] &&
                        grep -q "error: attach-interface g1: no bridge named 'br0' in network namespace $H" "$T/attach.err" ||
                        fail "round $round (+$at s): attach failed otherwise than 'no bridge': $(cat "$T/attach.err")"
                [ "$(taps)" = "$taps0" ] && [ "$(nics)" = "$nics0" ] ||
                        fail "round $round: a refused attach left taps $(taps) (was $taps0), NICs $(nics) (was $nics0)"
                second=$((second + 1))
                echo "# round $round (+$at s): revert first, then the attach (refused: no bridge)"
        fi
        # eth0 is back as it was before the next round
        ip -n "$H" -d link show eth0 | grep -q master && fail "round $round: eth0 still a port"
done
[ "$first" -ge 1 ] && [ "$second" -ge 1 ] || fail "expected both orders over the rounds (attach first $first, revert first $second)"
pass "--confirm revert and attach at the same moment: $first x attach first, $second x revert first, never a mix"

K guest-stop g1 >/dev/null || fail "guest-stop"
[ "$(taps)" = 0 ] || fail "taps left after guest-stop: $(ip -n "$H" -br link)"
stop_daemon
pass "guest stopped: no tap left; kvmnetd exits cleanly"
