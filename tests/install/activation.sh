#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# kvmnetd as a systemd service: the units pass systemd-analyze verify; the
# sockets a service manager passes (systemd-socket-activate, the same
# LISTEN_FDS protocol as kvmnetd.socket) are adopted, told apart by their
# paths, and left in place at exit (they are the manager's); readiness is
# sent to $NOTIFY_SOCKET; a passed socket that is neither is refused.
. "$(dirname "$0")/../daemon/lib.sh"
: "${KVMNETD_UNITS:?KVMNETD_UNITS must name the directory of the built units}"

ROOT=$T/root
make_root "$ROOT" ifupdown

# ---- the units, with ExecStart pointed at this build's kvmnetd
if command -v systemd-analyze >/dev/null; then
        mkdir "$T/units"
        cp "$KVMNETD_UNITS"/kvmnetd.service "$(dirname "$0")"/../../data/systemd/*.socket "$T/units/"
        sed -i "s|^ExecStart=[^ ]*|ExecStart=$KVMNETD|" "$T/units/kvmnetd.service"
        (cd "$T/units" && systemd-analyze verify --man=no kvmnetd.service kvmnetd.socket \
                kvmnetd-ro.socket) >"$T/verify" 2>&1 || fail "systemd-analyze verify: $(cat "$T/verify")"
        [ -s "$T/verify" ] && fail "systemd-analyze verify warns: $(cat "$T/verify")"
        grep -q '^Type=notify' "$T/units/kvmnetd.service" || fail "not Type=notify"
        pass "the units pass systemd-analyze verify"
else
        skip_part "systemd-analyze verify" "systemd-analyze is not installed"
fi

command -v systemd-socket-activate >/dev/null || skip "needs systemd-socket-activate"

# A $NOTIFY_SOCKET of the test's own: what kvmnetd sends it.
notify_listen() {
        python3 - "$T/notify" "$T/notified" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(20)
with open(sys.argv[2], 'a') as out:
    try:
        while True:
            out.write(s.recv(4096).decode() + '\n---\n')
            out.flush()
    except socket.timeout:
        pass
PY
        EXTRA_PIDS="$EXTRA_PIDS $!"
        wait_for test -S "$T/notify" || fail "no notify socket"
}
notify_listen

systemd-socket-activate -E KVMNET_RUN_DIR -E NOTIFY_SOCKET="$T/notify" -l "$T/rw" -l "$T/ro" \
        "$KVMNETD" --root "$ROOT" --socket "$T/rw" --ro-socket "$T/ro" --state-dir "$T/state" \
        2>>"$T/daemon.log" &
DAEMON_PID=$! # systemd-socket-activate execs kvmnetd: the same pid
wait_for test -S "$T/ro" || fail "systemd-socket-activate made no sockets"
"$KVMNET" -c "unix://$T/ro" iface-list --all >"$T/out" 2>&1 || fail "iface-list on the passed ro socket: $(cat "$T/out")"
"$KVMNET" -c "unix://$T/rw" iface-define "$(xml_ethernet eth5 52:54:00:00:00:05 >"$T/eth5.xml"; echo "$T/eth5.xml")" \
        >"$T/out" 2>&1 || fail "iface-define on the passed rw socket: $(cat "$T/out")"
wait_for grep -q "READY=1" "$T/notified" || fail "no READY=1 on \$NOTIFY_SOCKET: $(cat "$T/notified" 2>/dev/null)"
grep -q "STATUS=serving $ROOT on $T/rw" "$T/notified" || fail "no STATUS: $(cat "$T/notified")"
grep -q "cannot bind\|another daemon" "$T/daemon.log" && fail "kvmnetd bound its own: $(cat "$T/daemon.log")"
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID" || fail "kvmnetd exited with $? after SIGTERM"
DAEMON_PID=
[ -S "$T/rw" ] && [ -S "$T/ro" ] || fail "kvmnetd removed the sockets the manager owns"
wait_for grep -q "STOPPING=1" "$T/notified" || fail "no STOPPING=1"
pass "passed sockets adopted by path, READY=1 and STATUS sent, STOPPING=1 at exit, the sockets left to the manager"

# Only the read-write socket passed: the read-only one is made as usual.
rm -f "$T/rw" "$T/ro"
systemd-socket-activate -E KVMNET_RUN_DIR -l "$T/rw" "$KVMNETD" --root "$ROOT" --socket "$T/rw" --ro-socket "$T/ro" \
        --state-dir "$T/state" 2>>"$T/daemon.log" &
DAEMON_PID=$!
wait_for test -S "$T/rw" || fail "no rw socket"
"$KVMNET" -c "unix://$T/rw" iface-list >/dev/null 2>&1 || fail "the passed rw socket does not serve"
wait_for test -S "$T/ro" || fail "kvmnetd did not make the ro socket itself"
"$KVMNET" -c "unix://$T/ro" iface-list >/dev/null || fail "its own ro socket does not serve"
stop_daemon_keep_rw() { kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"; DAEMON_PID=; }
stop_daemon_keep_rw
[ -S "$T/rw" ] && [ ! -e "$T/ro" ] || fail "at exit: the passed one must stay, its own must go"
pass "a socket that is not passed is made by kvmnetd, and removed by it at exit"

# A passed socket that is neither of kvmnetd's paths: refused, naming it.
rm -f "$T/rw"
rc=0
systemd-socket-activate -E KVMNET_RUN_DIR -l "$T/other" "$KVMNETD" --root "$ROOT" --socket "$T/rw" --ro-socket "$T/ro" \
        --state-dir "$T/state" 2>"$T/err" &
P=$!
wait_for test -S "$T/other" || fail "no socket"
"$KVMNET" -c "unix://$T/other" iface-list >/dev/null 2>&1 # the connection that starts it
wait "$P" || rc=$?
[ "$rc" = 1 ] || fail "kvmnetd with a foreign socket exited $rc, not 1"
grep -q "passed socket $T/other is neither of kvmnetd's (kvmnetd serves --socket $T/rw and --ro-socket $T/ro)" "$T/err" ||
        fail "no error naming the socket: $(cat "$T/err")"
pass "a passed socket of another path is refused, naming it"
