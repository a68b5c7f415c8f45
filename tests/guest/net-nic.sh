#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Guest NICs on virtual networks through kvmnetd and the CLI, against real
# QEMU without a guest OS (firmware only: fast), in a namespace made here
# (knhg-PID-host): guest-define with <interface type='network'>; guest-start
# refused for a network that is not defined or not running (no QEMU left);
# a cold start puts the NIC's tap on the network's bridge; attach-interface
# --network and attach-device type='network'; domiflist shows type network
# and the network; --persistent keeps type='network' in guest-dumpxml
# (virt-xml-validate); net-destroy refused naming the guest and its taps
# unless --force; kvmnetd killed (-9) and restarted with a state file
# without the "bridge" keys (as older kvmnetds wrote): still listed, still
# blocking net-destroy.  Every QEMU is killed by pid at the end.
. "$(dirname "$0")/../daemon/lib.sh"

. "$(dirname "$0")/lib.sh"

H=knhg-$$-host
ip netns add "$H" || fail "ip netns add $H"
NETNS_LIST="$NETNS_LIST $H"
ip -n "$H" link set lo up
ROOT=$T/root
make_root "$ROOT" ifupdown
mkdir -m 755 "$T/state"
start_daemon --netns "$H"
master_of() { ip -n "$H" -o link show "$1" | grep -o 'master [^ ]*' | cut -d' ' -f2; }
tap_of() { # GUEST MAC
        K domiflist "$1" --json | python3 -c "import json,sys; print([i['tap'] for i in json.load(sys.stdin)['interfaces'] if i['mac']=='$2'][0])"
}

M1=52:54:00:aa:10:01 M2=52:54:00:aa:10:02 M3=52:54:00:aa:10:03
truncate -s 1M "$T/g1.img"
guest_xml() { # NETWORK
        cat <<XML
<domain type='qemu'>
  <name>g1</name>
  <memory unit='MiB'>64</memory>
  <os><type machine='pc'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'><source file='$T/g1.img'/></disk>
    <interface type='network'><source network='$1'/><mac address='$M1'/></interface>
  </devices>
</domain>
XML
}
guest_xml ../x >"$T/bad.xml"
expect_error 1 "line 7: <source network>: network name '\.\./x' starts with '\.'" K guest-define "$T/bad.xml"
guest_xml lab >"$T/g1.xml"
K guest-define "$T/g1.xml" >/dev/null || fail "guest-define with a network NIC"
K guest-dumpxml g1 | grep -q "<interface type='network'>" || fail "dumpxml: $(K guest-dumpxml g1)"
expect_error 5 "guest-start g1: no network named 'lab'" K guest-start g1
# An isolated network without addresses: a bridge and its table, no dnsmasq.
printf "<network><name>lab</name><bridge name='kvbr7'/></network>" >"$T/lab.xml"
K net-define "$T/lab.xml" >/dev/null || fail "net-define"
expect_error 1 "guest-start g1: network lab is not active \(net-start lab\)" K guest-start g1
K guest-list | grep -q "g1 *shut off" || fail "g1 runs after a refused start: $(K guest-list)"
ls "$KVMNET_RUN_DIR"/guests/g1.pid >/dev/null 2>&1 && fail "a refused start spawned QEMU"
pass "guest-define takes type='network'; guest-start refuses a network not defined / not running, before QEMU"

K net-start lab >/dev/null || fail "net-start lab"
K guest-start g1 >/dev/null || fail "guest-start on a running network"
T1=$(tap_of g1 $M1)
[ "$(master_of "$T1")" = kvbr7 ] || fail "cold-started NIC $T1 is not on kvbr7: $(ip -n "$H" -o link show "$T1")"
K domiflist g1 | grep -E "^ $T1 +network +lab +virtio +$M1 +1 +attached" >/dev/null ||
        fail "domiflist: $(K domiflist g1)"
K domiflist g1 --json | python3 -c "
import json,sys
i = json.load(sys.stdin)['interfaces'][0]
assert (i['type'], i['source'], i['bridge']) == ('network', 'lab', 'kvbr7'), i" ||
        fail "domiflist --json: $(K domiflist g1 --json)"
pass "cold guest-start: the definition's network NIC is on kvbr7; domiflist: network lab (bridge kvbr7)"

expect_error 5 "attach-interface g1: no network named 'nosuch'" K attach-interface g1 --network nosuch
expect_error 1 "not both" K attach-interface g1 --network lab --bridge kvbr7
expect_error 1 "network name '../etc'" K attach-interface g1 --network ../etc
out=$(K attach-interface g1 --network lab --mac $M2 --persistent) || fail "attach --network: $out"
T2=$(tap_of g1 $M2)
echo "$out" | grep -q "tap $T2 on network lab, bridge kvbr7" || fail "attach reply: $out"
[ "$(master_of "$T2")" = kvbr7 ] || fail "$T2 is not on kvbr7"
K guest-dumpxml g1 >"$T/dump.xml"
python3 - "$T/dump.xml" "$M2" <<'PY' || fail "--persistent: $(cat "$T/dump.xml")"
import sys, xml.etree.ElementTree as ET
nics = [i for i in ET.parse(sys.argv[1]).getroot().iter('interface')
        if i.find('mac').get('address') == sys.argv[2]]
assert len(nics) == 1 and nics[0].get('type') == 'network', nics
assert nics[0].find('source').attrib == {'network': 'lab'}, nics[0].find('source').attrib
PY
xml_validate "$T/dump.xml" domain
printf "<interface type='network'><source network='lab'/><mac address='%s'/></interface>" $M3 >"$T/nic.xml"
K attach-device g1 "$T/nic.xml" >/dev/null || fail "attach-device type='network'"
T3=$(tap_of g1 $M3)
[ "$(master_of "$T3")" = kvbr7 ] || fail "$T3 (attach-device) is not on kvbr7"
pass "attach-interface --network (refusals naming the network) and attach-device type='network' put taps on kvbr7; --persistent keeps type='network'"

expect_error 7 "net-destroy: network lab is in use by guest g1 \(($T1|$T2|$T3), ($T1|$T2|$T3), ($T1|$T2|$T3)\); detach the NICs or give --force" \
        K net-destroy lab
ip -n "$H" link show kvbr7 >/dev/null || fail "a refused net-destroy took kvbr7"
pass "net-destroy is refused naming g1 and its taps"

# kvmnetd killed; its successor reads a state file as older kvmnetds wrote
# it (no "bridge" key).
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
python3 - "$KVMNET_RUN_DIR/guests/g1.json" <<'PY' || fail "state file"
import json, sys
p = sys.argv[1]
s = json.load(open(p))
assert all(n.get('bridge') == 'kvbr7' for n in s['nics']), s['nics']
for n in s['nics']:
    del n['bridge']
json.dump(s, open(p, 'w'))
PY
start_daemon --netns "$H"
grep -q "guest g1: re-attached to QEMU pid [0-9]* with 3 NICs" "$T/daemon.log" || fail "g1 not re-attached"
K domiflist g1 | grep -E "^ $T2 +network +lab .*$M2 .*attached" >/dev/null || fail "after restart: $(K domiflist g1)"
expect_error 7 "net-destroy: network lab is in use by guest g1" K net-destroy lab
pass "kvmnetd restarted on a state file without bridge keys: NICs listed as network lab, net-destroy still refused"

K detach-interface g1 --mac $M3 --timeout 0.2 >/dev/null 2>&1 # no guest OS: stays pending
K net-destroy lab --force >/dev/null || fail "net-destroy --force"
ip -n "$H" link show kvbr7 >/dev/null 2>&1 && fail "kvbr7 left after --force"
expect_error 1 "attach-interface g1: network lab is not active \(net-start lab\)" K attach-interface g1 --network lab
K guest-stop g1 >/dev/null || fail "guest-stop"
K net-start lab >/dev/null || fail "net-start again"
K guest-start g1 >/dev/null || fail "guest-start again"
[ "$(master_of "$(tap_of g1 $M2)")" = kvbr7 ] || fail "persistent network NIC not back on kvbr7"
K guest-stop g1 >/dev/null
K net-destroy lab >/dev/null || fail "net-destroy with the guest stopped"
stop_daemon
pass "net-destroy --force; an inactive network refused by name; the persistent network NIC comes back at the next start"
