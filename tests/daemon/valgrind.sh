#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# kvmnetd under valgrind through its long-running paths: every verb,
# errors, garbage, an over-long line, clients that vanish, refused peers,
# reloads.  No invalid access, no leak, none growing with the requests.
. "$(dirname "$0")/lib.sh"
: "${KN_RAWCLIENT:?}"
BACKEND=${1:-ifupdown}
RAW=$KN_RAWCLIENT
command -v valgrind >/dev/null || skip "valgrind is not installed"
[ -z "$KN_SANITIZED" ] || skip "kvmnetd is built with a sanitizer"

ROOT=$T/root
make_root "$ROOT" "$BACKEND"
xml_bridge br0 eth0 52:54:00:00:00:01 >"$T/br0.xml"
xml_ethernet eth5 52:54:00:00:00:05 >"$T/eth5.xml"
xml_vlan eth1 42 >"$T/vlan.xml"
"$KVMNET" --root "$ROOT" iface-define "$T/br0.xml" >/dev/null || fail "offline define"
make_broken_file "$ROOT" "$BACKEND" >/dev/null

KVMNETD_REAL=$KVMNETD
KVMNETD="valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible --log-file=$T/valgrind.log $KVMNETD_REAL"
# valgrind is slow to start: wait longer than start_daemon does.
: >"$T/daemon.log"
$KVMNETD --root "$ROOT" --socket "$T/rw" --ro-socket "$T/ro" --state-dir "$T/state" -v \
        --max-clients 100 --idle-timeout 3 2>>"$T/daemon.log" &
DAEMON_PID=$!
for i in $(seq 300); do
        rc=0
        "$KVMNET" -c "unix://$T/ro" iface-list >/dev/null 2>&1 || rc=$?
        [ "$rc" != 3 ] && break
        kill -0 "$DAEMON_PID" 2>/dev/null || fail "kvmnetd under valgrind exited at start: $(cat "$T/valgrind.log")"
        sleep 0.1
done
RW="unix://$T/rw"

round() {
        "$KVMNET" -c "$RW" iface-list --all >/dev/null 2>&1
        "$KVMNET" -c "$RW" iface-list --json >/dev/null 2>&1
        "$KVMNET" -c "$RW" iface-dumpxml br0 >/dev/null || fail "dumpxml"
        "$KVMNET" -c "$RW" iface-dumpxml --inactive nope0 2>/dev/null && fail "dumpxml nope0"
        "$KVMNET" -c "$RW" iface-dumpxml broken0 2>/dev/null && fail "dumpxml broken0"
        "$KVMNET" -c "$RW" iface-define "$T/eth5.xml" >/dev/null || fail "define"
        "$KVMNET" -c "$RW" iface-define "$T/vlan.xml" >/dev/null || fail "define vlan"
        "$KVMNET" -c "$RW" iface-mac eth5 >/dev/null || fail "mac"
        "$KVMNET" -c "$RW" iface-name 52:54:00:00:00:05 >/dev/null || fail "name"
        "$KVMNET" -c "$RW" iface-name 52:54:00:ff:ff:ff 2>/dev/null && fail "name of unknown mac"
        "$KVMNET" -c "$RW" iface-undefine eth5 >/dev/null || fail "undefine"
        "$KVMNET" -c "$RW" iface-undefine eth1.42 >/dev/null || fail "undefine vlan"
        echo '<interface type="bogus" name="x"/>' | "$KVMNET" -c "$RW" iface-define - 2>/dev/null && fail "bogus type"
        "$KVMNET" -c "unix://$T/ro" iface-undefine br0 2>/dev/null && fail "ro undefine"
        "$RAW" "$T/rw" 'send:garbage\n{"id":1}\n{"id":2,"verb":"iface-list","args":{"all":"yes"}}\n' read:3 >/dev/null ||
                fail "garbage"
        "$RAW" "$T/rw" 'send:{"id":1,"verb":"iface-li' || fail "half line"
        "$RAW" "$T/rw" 'send:{"id":1,"verb":"iface-list"}\n' || fail "request then close"
        printf 'iface-list --all\niface-dumpxml br0\niface-mac eth0\n' | "$KVMNET" -c "$RW" >/dev/null 2>&1
        chmod 666 "$T/rw"
        setpriv --reuid=65534 --regid=65534 --clear-groups "$KVMNET" -c "$RW" iface-list >/dev/null 2>&1
        chmod 660 "$T/rw"
}
round
"$RAW" "$T/rw" send:'{"id":1,"verb":"iface-list"' fill:$((4 * 1024 * 1024 + 10)) eof >/dev/null || fail "long line"
"$KVMNET" --root "$ROOT" iface-define "$T/eth5.xml" >/dev/null || fail "outside define"
wait_for grep -q "reloaded.*after an outside change" "$T/daemon.log" || fail "no reload"
kill -HUP "$DAEMON_PID"
round
# The hostile paths (tests/daemon/hostile.sh): refusals, the idle timeout,
# the memory cap for partial requests, strict JSON.  ("1": no RSS bounds.)
if [ "$(id -u)" = 0 ] && command -v python3 >/dev/null; then
        for c in "strict" "thousand 100" "memory 1" "idle 3"; do
                python3 "$(dirname "$0")/hostile.py" ${c%% *} "$T/ro" "$T/rw" "$DAEMON_PID" \
                        $([ "$c" = strict ] || echo "${c#* }") >"$T/hostile.out" ||
                        fail "hostile $c under valgrind: $(cat "$T/hostile.out")"
        done
else
        skip_part "hostile clients under valgrind" "need root (they run as nobody) and python3"
fi
round

kill -TERM "$DAEMON_PID"
rc=0
wait "$DAEMON_PID" || rc=$?
DAEMON_PID=
[ "$rc" = 0 ] || fail "kvmnetd under valgrind exited $rc: $(cat "$T/valgrind.log")"
# "==PID==" lines are errors and leaks; "--PID--" ones are valgrind's own
# warnings (such as openat2 being unknown to it, which kvmnet falls back from).
! grep -q '^==' "$T/valgrind.log" || fail "valgrind: $(cat "$T/valgrind.log")"
grep -q "served [0-9]* requests; stopped" "$T/daemon.log" || fail "no clean stop"
pass "kvmnetd is valgrind-clean over $(sed -n 's/.*served \([0-9]*\) requests.*/\1/p' "$T/daemon.log") requests"
