#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# kvmnetd's log: time and priority on every line, --log-level, the
# journal's <PRIORITY> form when stderr is the stream $JOURNAL_STREAM
# names, and its own writes are not logged as outside changes.
. "$(dirname "$0")/lib.sh"

ROOT=$T/root
make_root "$ROOT" ifupdown
xml_ethernet eth5 52:54:00:00:00:05 >"$T/eth5.xml"
start_daemon
kv() { "$KVMNET" -c "unix://$T/rw" "$@"; }

kv iface-define "$T/eth5.xml" >/dev/null || fail "iface-define"
kv iface-list --all >/dev/null || fail "iface-list"
sleep 1.5 # past the watch's debounce: its reload has run
grep -q 'client [0-9]* (uid 0): iface-define eth5: ok' "$T/daemon.log" || fail "the define is not logged"
grep -q 'iface-list' "$T/daemon.log" && fail "a read is logged at the default level"
grep -q 'after an outside change' "$T/daemon.log" &&
        fail "kvmnetd's own write logged as an outside change: $(grep outside "$T/daemon.log")"
bad=$(grep -Ev '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z kvmnetd: ' "$T/daemon.log")
[ -z "$bad" ] || fail "lines without the time: $bad"
pass "every line has the time; changes are logged, reads and kvmnetd's own writes are not"

# An outside change is still news.
"$KVMNET" --root "$ROOT" iface-undefine eth5 >/dev/null || fail "outside undefine"
wait_for grep -q 'after an outside change: 0 interfaces' "$T/daemon.log" || fail "the outside change is not logged"
pass "an outside change is logged"
stop_daemon

: >"$T/daemon.log"
start_daemon --log-level warning
kv iface-define "$T/eth5.xml" >/dev/null || fail "iface-define at warning"
"$KVMNET" -c "unix://$T/rw" iface-dumpxml nosuch >/dev/null 2>&1
stop_daemon
[ -s "$T/daemon.log" ] && fail "--log-level warning still logs: $(cat "$T/daemon.log")"
"$KVMNETD" --log-level loud 2>"$T/err" && fail "--log-level loud accepted"
grep -q "valid: error, warning, notice, info, debug" "$T/err" || fail "--log-level loud: $(cat "$T/err")"
pass "--log-level warning leaves out info; an unknown level is refused"

# Durations are seconds everywhere, parsed by one parser: decimals yes,
# exponents, signs and "inf" no, each refusal naming the option.
for bad in 1e3 -1 inf 0x10 "" 3601; do
        "$KVMNETD" --unplug-timeout "$bad" 2>"$T/err" && fail "--unplug-timeout '$bad' accepted"
        grep -q "kvmnetd: --unplug-timeout '$bad' is not a number of seconds (valid: 0..3600, decimals allowed)" "$T/err" ||
                fail "--unplug-timeout '$bad': $(cat "$T/err")"
done
"$KVMNETD" --idle-timeout 1e3 2>"$T/err" && fail "--idle-timeout 1e3 accepted"
grep -q "kvmnetd: --idle-timeout '1e3' is not a number of seconds" "$T/err" || fail "--idle-timeout 1e3: $(cat "$T/err")"
"$KVMNETD" --help | grep -q -- "--unplug-timeout SECONDS" || fail "--help does not say seconds"
pass "kvmnetd's --unplug-timeout and --idle-timeout take seconds and refuse what is not"

: >"$T/daemon.log"
start_daemon -v
kv iface-list >/dev/null || fail "iface-list at debug"
stop_daemon
grep -q 'client [0-9]*: uid 0 pid [0-9]* on ' "$T/daemon.log" || fail "-v does not log connections"

# The journal: stderr is a file here, so name that file's device and inode.
: >"$T/daemon.log"
JOURNAL_STREAM=$(stat -c '%d:%i' "$T/daemon.log") start_daemon
stop_daemon
grep -q '^<6>serving ' "$T/daemon.log" || fail "no <6> journal line: $(head -3 "$T/daemon.log")"
grep -Ev '^<[3-7]>' "$T/daemon.log" && fail "a journal line without its priority"
pass "with stderr the journal stream, lines are <PRIORITY>message"
