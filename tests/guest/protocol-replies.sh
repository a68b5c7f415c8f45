#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every guest verb's protocol reply and every guest-nic event, byte for
# byte against golden/protocol-replies.txt: the guest layer returns structs
# and src/api/guest.c makes the JSON, and clients must not see a
# difference.  pids, elapsed_ms, event timestamps, the boot token of
# operation ids and the temp directory are normalised.
# Real QEMU without a guest OS (pc, q35, one adopted); namespace knhe-proto-$$.
. "$(dirname "$0")/../daemon/lib.sh"

. "$(dirname "$0")/lib.sh"

NS=knhe-proto-$$
ip netns del "$NS" 2>/dev/null
ip netns add "$NS" || fail "ip netns add $NS"
NETNS_LIST="$NETNS_LIST $NS"
ip -n "$NS" link set lo up
ip -n "$NS" link add br0 type bridge && ip -n "$NS" link set br0 up || fail "bridge"
ROOT=$T/root
make_root "$ROOT" ifupdown
truncate -s 1M "$T/g1.img" "$T/q1.img"
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
# someone else's QEMU, for guest-adopt
qemu-system-x86_64 -name guest=a1 -accel tcg -machine q35 -m 64 -nodefaults -display none -S \
        -qmp "unix:$T/adopt.qmp,server=on,wait=off" \
        -device pcie-root-port,id=rp9,bus=pcie.0,chassis=9 >/dev/null 2>&1 &
QEMU_PIDS="$QEMU_PIDS $!"
wait_for test -S "$T/adopt.qmp" || fail "QEMU for guest-adopt did not start"
start_daemon --netns "$NS"

python3 - "$T/rw" "$T" >"$T/replies.txt" 2>&1 <<'PY' || fail "client: $(tail -5 "$T/replies.txt")"
import json, re, socket, sys, time
sock, T = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX)
s.settimeout(30)
s.connect(sock)
f = s.makefile('rw')
n = 0
def norm(line):
    line = re.sub(r'"pid": ?\d+', '"pid":P', line)
    line = re.sub(r'"elapsed_ms": ?[0-9.e+-]+', '"elapsed_ms":E', line)
    line = re.sub(r'requested [0-9.]+ s ago', 'requested X s ago', line)
    line = re.sub(r'"timestamp": ?\d+', '"timestamp":TS', line)
    # the boot token is random; the count shows which events are whose
    line = re.sub(r'"op": ?"[0-9a-f]{8}:', '"op":"BOOT:', line)
    return line.replace(T, 'T')
def call(verb, **args):
    global n
    n += 1
    f.write(json.dumps({"id": n, "verb": verb, "args": args}) + "\n")
    f.flush()
    while True:
        line = f.readline()
        m = json.loads(line)
        if m.get("id") == n:
            print(verb, norm(line.strip()))
            return m
        print("EVENT", norm(line.strip()))
nic = "<interface type='bridge'><source bridge='br0'/><mac address='52:54:00:aa:00:%s'/></interface>"
call("event-subscribe", events=["guest-nic"])
xml = open(T + "/g1.xml").read()
call("guest-define", xml=xml)
call("guest-define", xml=xml.replace("<name>g1</name>", "<name>q1</name>")
     .replace("machine='pc'", "machine='q35'").replace("g1.img", "q1.img"))
call("guest-define", xml="<domain/>")
call("guest-list")
call("guest-dumpxml", name="g1")
call("guest-dumpxml", name="nosuch")
call("guest-start", name="g1")
call("guest-start", name="q1")
call("guest-start", name="g1")
call("guest-info", name="g1")
call("guest-info", name="q1")
call("guest-list")
call("attach-interface", name="g1", bridge="br0", mac="52:54:00:aa:00:01")
call("attach-interface", name="q1", bridge="br0", mac="52:54:00:aa:00:02", queues=2)
call("attach-interface", name="g1", bridge="nobr0")
call("attach-device", name="g1", xml=nic % "03")
call("domiflist", name="g1")
call("domiflist", name="q1")
call("guest-info", name="g1")
call("detach-interface", name="g1", mac="52:54:00:aa:00:01", timeout_ms=300)
call("detach-interface", name="g1", mac="52:54:00:aa:00:01")
call("detach-device", name="q1", xml=nic % "02", timeout_ms=200)
call("domiflist", name="g1")
call("guest-undefine", name="q1")
call("guest-list")
call("guest-stop", name="q1")
call("guest-stop", name="g1")
time.sleep(0.5)
call("guest-list")
call("guest-adopt", name="a1", qmp=T + "/adopt.qmp")
call("guest-info", name="a1")
call("guest-list")
call("guest-stop", name="a1")
PY
sed -i "s/$NS/NS/g" "$T/replies.txt"
GOLDEN=$(dirname "$0")/golden/protocol-replies.txt
if [ -n "${KVMNET_UPDATE_GOLDEN:-}" ]; then
        cp "$T/replies.txt" "$GOLDEN"
fi
diff -u "$GOLDEN" "$T/replies.txt" >&2 || fail "guest protocol replies differ from $GOLDEN"
pass "$(wc -l <"$T/replies.txt") guest replies and events byte for byte as golden/protocol-replies.txt"
stop_daemon
