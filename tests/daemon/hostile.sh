#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# kvmnetd against hostile local clients (issue 10, section 6): nobody must
# not lock root out (limits per socket and per uid, an idle timeout, one
# memory cap for partial requests), requests are strict JSON, and floods,
# clients that never read, 1,000 connections and running out of fds get
# an error or a closed connection, never a stall or growth.  The raw
# clients are tests/daemon/hostile.py; nobody's parts drop to uid 65534.
# Hostile names at every entry point are tests/daemon/names.sh.
. "$(dirname "$0")/lib.sh"
BACKEND=${1:-ifupdown}
HOSTILE="python3 $(dirname "$0")/hostile.py"
[ "$(id -u)" = 0 ] || skip "needs root (clients run as nobody)"
command -v python3 >/dev/null || skip "python3 is not installed"

ROOT=$T/root
make_root "$ROOT" "$BACKEND"
xml_bridge br0 eth0 52:54:00:00:00:01 >"$T/br0.xml"
"$KVMNET" --root "$ROOT" iface-define "$T/br0.xml" >/dev/null || fail "offline define"

hostile() { # CASE ARG...: one case of hostile.py against the running daemon
        local c=$1
        shift
        $HOSTILE "$c" "$T/ro" "$T/rw" "$DAEMON_PID" "$@" || fail "case $c"
        daemon_alive "case $c"
        "$KVMNET" -c "unix://$T/rw" iface-list --all >/dev/null || fail "root not served after $c"
}

# Default limits: 512 per socket, 64 per uid, idle timeout 120 s.
start_daemon
hostile strict
hostile lockout 64
grep -q "refusing a connection on $T/ro from uid 65534.*more refusals since" "$T/daemon.log" ||
        grep -q "refusing a connection on $T/ro from uid 65534" "$T/daemon.log" ||
        fail "refusals not logged"
[ "$(grep -c 'refusing a connection' "$T/daemon.log")" -lt 50 ] || fail "refusals flood the log"
hostile thousand 512
hostile memory "$KN_SANITIZED"
grep -q "memory for unfinished requests (64 MiB" "$T/daemon.log" || fail "memory cap not logged"
hostile noread "$KN_SANITIZED"
hostile longline "$KN_SANITIZED"
stop_daemon

# The idle timeout, short.
start_daemon --idle-timeout 1
hostile idle 1
stop_daemon

# A CLI refused for too many connections says so.
start_daemon --max-clients 3
(
        exec 5<>/dev/null
        pids=
        for i in 1 2 3; do
                # Subscribed (its reply read) before the marker: counted.
                python3 -c 'import socket,sys,time; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"{\"id\":1,\"verb\":\"event-subscribe\"}\n"); s.recv(4096); open(sys.argv[2], "w").close(); time.sleep(5)' "$T/ro" "$T/subscribed.$i" &
                pids="$pids $!"
        done
        for i in 1 2 3; do wait_for test -e "$T/subscribed.$i" || fail "subscriber $i"; done
        rc=0
        "$KVMNET" -c "unix://$T/ro" iface-list >"$T/out" 2>"$T/err" || rc=$?
        [ "$rc" != 0 ] && [ "$(grep -c '^error: ' "$T/err")" = 1 ] &&
                grep -q 'error: too many connections: .*has 3 clients already.*--max-clients' "$T/err" ||
                fail "a refused CLI (exit $rc) should say why once: $(cat "$T/err")"
        "$KVMNET" -c "unix://$T/rw" iface-list >/dev/null || fail "root refused on rw with ro full"
        wait $pids
) || exit 1
pass "the CLI refused for too many connections shows why; root still gets in on rw"
stop_daemon

# Out of file descriptors: no busy loop on accept.
if command -v prlimit >/dev/null; then
        start_daemon
        prlimit --pid "$DAEMON_PID" --nofile=200:200 || fail "prlimit"
        hostile fds "$KN_SANITIZED"
        stop_daemon
else
        skip_part "out of file descriptors" "no prlimit"
fi
