# SPDX-License-Identifier: LGPL-2.1-or-later
# Firmware-only QEMU guests for tests that run kvmnetd (source after
# tests/daemon/lib.sh; K is the test's kvmnet on the read-write socket):
#   guest_xml NAME MACHINE [EXTRA-DEVICES]   a definition with a second QMP
#                                            monitor for the test ($T/NAME-test.qmp)
#   qmp GUEST COMMAND [ARGUMENTS-JSON]       one command on it; QEMU's reply
#   qemu_pid GUEST                           from guest-list
#   guest_bridge_ns TAG                      ROOT (ifupdown), a namespace $NS
#                                            with br0 up
# Sourcing it skips the test (exit 77) without root, QEMU or /dev/net/tun.
# Every QEMU kvmnetd started under $T/state is killed (by its pid file,
# checked against its command line) on exit, and those in $QEMU_PIDS.

can_netns || skip "needs root, ip and network namespaces"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed (qemu-system-x86)"
[ -c /dev/net/tun ] || skip "no /dev/net/tun"

QEMU_PIDS=
kill_qemus() {
        local f p
        for f in "$KVMNET_RUN_DIR"/guests/*.pid; do
                [ -f "$f" ] || continue
                p=$(cat "$f")
                grep -q "guest=" "/proc/$p/cmdline" 2>/dev/null && kill -9 "$p"
        done
        for p in $QEMU_PIDS; do kill -9 "$p" 2>/dev/null; done
        cleanup
}
trap kill_qemus EXIT

guest_xml() { # NAME MACHINE [EXTRA-DEVICES]
        # Every guest gets a second QMP monitor for the test: QEMU sends
        # events to all monitors, and system_reset goes through it.
        cat <<XML
<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>$1</name>
  <memory unit='MiB'>64</memory>
  <os><type machine='$2'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'><source file='$T/$1.img'/></disk>
    <serial type='file'><source path='$T/$1.serial'/></serial>
    ${3:-}
  </devices>
  <qemu:commandline>
    <qemu:arg value='-qmp'/>
    <qemu:arg value='unix:$T/$1-test.qmp,server=on,wait=off'/>
  </qemu:commandline>
</domain>
XML
}
# One command on a guest's test monitor; prints QEMU's reply.
qmp() { # GUEST COMMAND [ARGUMENTS-JSON]
        python3 - "$T/$1-test.qmp" "$2" "${3:-}" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
f = s.makefile('rw')
f.readline()
def call(cmd):
    f.write(json.dumps(cmd) + '\n')
    f.flush()
    while True:
        m = json.loads(f.readline())
        if 'return' in m or 'error' in m:
            return m
call({'execute': 'qmp_capabilities'})
cmd = {'execute': sys.argv[2]}
if sys.argv[3]:
    cmd['arguments'] = json.loads(sys.argv[3])
m = call(cmd)
print(json.dumps(m))
sys.exit(0 if 'return' in m else 1)
PY
}
qemu_pid() { K guest-list --json | python3 -c "import json,sys; print([g['pid'] for g in json.load(sys.stdin)['guests'] if g['name']=='$1'][0])"; }
guest_bridge_ns() {
        ROOT=$T/root
        make_root "$ROOT" ifupdown
        make_netns "$1"
        NS=$NS_MADE
        ip -n "$NS" link add br0 type bridge && ip -n "$NS" link set br0 up || fail "bridge"
}
K() { "$KVMNET" -c "unix://$T/rw" "$@"; }
