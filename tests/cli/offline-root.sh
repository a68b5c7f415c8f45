#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# kvmnet --root DIR without --netns reads and writes only under DIR, as
# netplan generate --root-dir does: iface-list shows the configuration
# only, iface-dumpxml prints the configuration, the live verbs are refused
# naming --netns and change nothing, journals and guest state go to
# DIR/var/lib/kvmnet.  Proved with strace (when installed): every path
# kvmnet names is under DIR, but for what loading a program reads, and no
# socket is opened.  With --netns NS (root), live verbs act in NS only.
. "$(dirname "$0")/../daemon/lib.sh"
BACKEND=${1:-ifupdown}

ROOT=$T/root
IO=$T/io # the caller's files: inputs, stdout, stderr
mkdir -p "$IO"
make_root "$ROOT" "$BACKEND"
kv() { "$KVMNET" --root "$ROOT" "$@"; }

xml_bridge br0 eth0 52:54:00:00:00:01 >"$IO/br0.xml"
xml_ethernet eth5 52:54:00:AA:00:05 >"$IO/eth5.xml"
truncate -s 1M "$IO/g1.img"
cat >"$IO/g1.xml" <<XML
<domain type='qemu'>
  <name>g1</name>
  <memory unit='MiB'>64</memory>
  <os><type machine='pc'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'><source file='$IO/g1.img'/></disk>
    <interface type='bridge'><source bridge='br0'/><mac address='52:54:00:77:00:02'/></interface>
  </devices>
</domain>
XML

kv iface-define "$IO/br0.xml" >/dev/null || fail "define br0"
kv iface-define "$IO/eth5.xml" >/dev/null || fail "define eth5"
[ -d "$ROOT/var/lib/kvmnet/files" ] || fail "the state directory is not DIR/var/lib/kvmnet: $(find "$ROOT")"
pass "the state directory defaults to DIR/var/lib/kvmnet"

# A relative --root (and --state-dir) is the directory as written, from
# where kvmnet runs (the journals record absolute paths).
(cd "$T" && "$KVMNET" --root root iface-list --all) >"$T/out" 2>&1 || fail "relative --root: $(cat "$T/out")"
grep -q "^ br0 " "$T/out" || fail "relative --root lists no br0: $(cat "$T/out")"
(cd "$ROOT" && "$KVMNET" --root . --state-dir ./var/lib/kvmnet iface-dumpxml eth5) >"$T/out" 2>&1 ||
        fail "--root . --state-dir ./var/lib/kvmnet: $(cat "$T/out")"
pass "a relative --root and --state-dir work from the current directory"

# The configuration only: this machine's lo, eth0 ... are not listed.
kv iface-list --all >"$T/out" || fail "iface-list --all"
[ "$(sed -n '3,$p' "$T/out" | awk 'NF {print $1, $2, $NF}' | tr '\n' ' ')" = \
        "br0 inactive yes eth5 inactive yes " ] || fail "iface-list --all is not the configuration: $(cat "$T/out")"
kv iface-list --all --json | grep -q '"live": false' || fail "iface-list --json does not say live: false"
kv iface-list >"$T/out" 2>"$T/err" || fail "iface-list"
[ "$(sed -n '3,$p' "$T/out" | grep -c .)" = 0 ] || fail "iface-list lists something active: $(cat "$T/out")"
grep -q '^note: .*no live state without --netns.*--all' "$T/err" || fail "iface-list: no note: $(cat "$T/err")"
pass "iface-list shows the configuration, nothing of this machine"

# dumpxml: the configuration, even of a name this machine has live (lo).
kv iface-dumpxml eth5 >"$T/live.xml" || fail "iface-dumpxml eth5"
kv iface-dumpxml eth5 --inactive >"$T/inactive.xml" || fail "iface-dumpxml --inactive"
cmp -s "$T/live.xml" "$T/inactive.xml" || fail "iface-dumpxml is not the configuration: $(cat "$T/live.xml")"
expect_error 5 "no interface named 'lo'" kv iface-dumpxml lo
pass "iface-dumpxml prints the configuration"

# Live verbs: one error naming --netns, nothing written.
before=$(root_sum "$ROOT")
expect_error 1 "^error: iface-start works on the live state.*--netns NAME" kv iface-start br0
expect_error 1 "^error: iface-destroy works on the live state.*--netns NAME" kv iface-destroy eth5
expect_error 1 "^error: iface-bridge works on the live state.*--netns NAME.*--no-start" \
        kv iface-bridge eth5 br1
expect_error 1 "^error: iface-unbridge works on the live state.*--netns NAME.*--no-start" \
        kv iface-unbridge br0
expect_error 1 "^error: attach-interface needs kvmnetd" kv attach-interface g1 --bridge br0
[ "$(root_sum "$ROOT")" = "$before" ] || fail "a refused live verb changed the root"
pass "live verbs are refused naming --netns and change nothing"

# The configuration halves of iface-bridge/iface-unbridge still work.
out=$(kv iface-bridge eth5 br1 --no-start) || fail "iface-bridge --no-start: $out"
kv iface-dumpxml br1 | grep -q "name='eth5'" || fail "br1 has no port eth5"
kv iface-unbridge br1 --no-start >/dev/null || fail "iface-unbridge --no-start"
kv iface-dumpxml eth5 | grep -q "type='ethernet'" || fail "eth5 is not back"
pass "iface-bridge/iface-unbridge --no-start change the configuration only"

# Every path kvmnet names, in one batch and in single commands, under
# strace.  Outside DIR only: what loading a program reads (the loader,
# libraries, /proc/self/exe to find the offline module beside kvmnet,
# libnl-route's constructor reading /etc/libnl/classid), the boot id the
# journal of a change records, and the caller's own files in $IO.
if command -v strace >/dev/null && strace -f -o /dev/null true 2>/dev/null; then
        cat >"$IO/batch" <<EOF
iface-list --all
iface-list
iface-dumpxml br0
iface-dumpxml eth5 --inactive
iface-mac eth5
iface-name 52:54:00:aa:00:05
iface-start br0
iface-destroy br0
iface-bridge eth5 br1 --no-start
iface-unbridge br1 --no-start
iface-undefine eth5
iface-define $IO/eth5.xml
guest-define $IO/g1.xml
guest-list
guest-dumpxml g1
domiflist g1
guest-undefine g1
EOF
        trace() {
                (cd "$IO" && strace -f -y -qq -e trace=file,network -o "$T/strace.$1" "${@:2}") \
                        >"$IO/stdout" 2>"$IO/stderr" || true
        }
        trace 1 "$KVMNET" --root "$ROOT" <"$IO/batch"
        grep -q '^ g1 ' "$IO/stdout" || fail "the traced batch did not run: $(cat "$IO/stdout" "$IO/stderr")"
        trace 2 "$KVMNET" --root "$ROOT" iface-list --all
        trace 3 "$KVMNET" --root "$ROOT" iface-dumpxml br0
        trace 4 "$KVMNET" --root "$ROOT" iface-start br0
        trace 5 "$KVMNET" --root "$ROOT" iface-define "$IO/br0.xml"
        python3 - "$ROOT" "$IO" "$KVMNET" "${KN_SANITIZED:-}" "$T"/strace.* <<'EOF' || fail "kvmnet --root touched paths outside the root"
import os, re, sys
root, io, exe, sanitized = (os.path.realpath(p) if p else p for p in sys.argv[1:5])
loading = [r'\.so(\.[0-9]+)*$', r'^/etc/ld\.so\.(cache|preload)$', r'^/etc/libnl/classid$',
           # src/txn stamps every journal with the boot, also one without live steps,
           # and its file log with the start time of the process that holds it
           r'^/proc/sys/kernel/random/boot_id$', r'^/proc/[0-9]+/stat$']
if sanitized:  # the sanitizer runtime reads its own process's /proc files
    loading.append(r'^/proc/(self|thread-self|[0-9]+)/(maps|stat|status|cmdline|environ|auxv|task.*)$')
def inside(p):
    p = os.path.normpath(p)
    return p == root or p.startswith(root + '/') or p.startswith(io + '/') or p == io
bad = []
for trace in sys.argv[5:]:
    for line in open(trace):
        line = line.rstrip('\n')
        call = re.sub(r'^[0-9]+ +', '', line)
        if call.startswith('execve("%s"' % exe) or call.startswith('readlink("/proc/self/exe"'):
            continue
        if re.match(r'(socket|socketpair|connect|bind)\(', call) or 'socket:[' in call:
            bad.append('a socket: ' + line)
            continue
        args = call.rsplit(') = ', 1)[0]
        args = re.sub(r'AT_FDCWD<[^>]*>', 'AT_FDCWD', args)
        for fdpath in re.findall(r'[0-9]+<([^>]*)>', args):
            if fdpath.startswith('/') and not inside(fdpath) and not any(re.search(x, fdpath) for x in loading):
                bad.append(line)
        for s in re.findall(r'"((?:[^"\\]|\\.)*)"', args):
            if not s:
                continue
            if not s.startswith('/'):
                # Relative to the working directory ($IO) it is outside.
                if 'AT_FDCWD, "%s"' % s in args or re.match(r'[a-z0-9]+\("%s"' % re.escape(s), call):
                    bad.append(line)
                continue
            if not inside(s) and not any(re.search(x, s) for x in loading):
                bad.append(line)
if bad:
    print('outside %s:' % root)
    print('\n'.join(sorted(set(bad))[:40]))
    sys.exit(1)
EOF
        pass "strace: kvmnet --root reads and writes only under the root, opens no socket"
else
        skip_part "strace path check" "strace is not installed or cannot trace here"
fi

# --root DIR --netns NS: live verbs act in NS alone.
if can_netns; then
        NS=${KN_NETNS_PREFIX:-kn-test-}$$-offline
        ip netns del "$NS" 2>/dev/null
        ip netns add "$NS" || fail "ip netns add $NS"
        NETNS_LIST="$NETNS_LIST $NS"
        ip -n "$NS" link add eth7 type veth peer name eth7p || fail "veth in $NS"
        ip -n "$NS" link set eth7p up || fail "eth7p up"
        cat >"$IO/eth7.xml" <<'EOF'
<interface type='ethernet' name='eth7'>
  <start mode='onboot'/>
  <protocol family='ipv4'>
    <ip address='198.51.100.7' prefix='24'/>
  </protocol>
</interface>
EOF
        kv iface-define "$IO/eth7.xml" >/dev/null || fail "define eth7"
        ip link show eth7 >/dev/null 2>&1 && fail "this namespace has an eth7 already: cannot tell"
        kv --netns "$NS" iface-start eth7 >/dev/null 2>"$T/err" ||
                fail "--netns iface-start eth7: $(cat "$T/err")"
        ip -n "$NS" -o addr show dev eth7 | grep -q '198\.51\.100\.7/24' || fail "eth7 has no address in $NS"
        ip -o addr | grep -q '198\.51\.100\.7' && fail "the address went to this namespace"
        "$KVMNET" --root "$ROOT" --netns "$NS" iface-list --all >"$T/out" || fail "--netns iface-list"
        grep -q '^ eth7 *active .* yes$' "$T/out" || fail "eth7 is not active in $NS: $(cat "$T/out")"
        grep -q '^ lo ' "$T/out" || fail "the namespace's lo is not listed: $(cat "$T/out")"
        "$KVMNET" --root "$ROOT" --netns "$NS" iface-destroy eth7 >/dev/null || fail "--netns iface-destroy"
        ip -n "$NS" -o addr show dev eth7 | grep -q '198\.51\.100\.7' && fail "eth7 kept its address"
        pass "--root DIR --netns NS: live verbs act in NS only"
else
        skip_part "--root DIR --netns NS" "needs root and ip (network namespaces)"
fi
