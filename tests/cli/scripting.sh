#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The scriptable CLI (docs/cli.md "JSON output", "version", durations, "did
# you mean"), against kvmnetd (MODE=daemon) or in-process (MODE=offline):
# --json on every verb that prints a reply, errors as {"error": ...} on
# stdout with the exit code unchanged, NDJSON in batch mode; kvmnet version;
# one parser for every duration; the nearest verb or option named.
. "$(dirname "$0")/../daemon/lib.sh"
MODE=${1:-daemon}

ROOT=$T/root
make_root "$ROOT" ifupdown
case $MODE in
daemon)
        start_daemon
        kv() { "$KVMNET" -c "unix://$T/rw" "$@"; }
        ;;
offline) kv() { "$KVMNET" --root "$ROOT" --state-dir "$T/state" "$@"; } ;;
*) fail "unknown mode $MODE" ;;
esac

# json FILE EXPR: python's verdict on the JSON document in FILE (d).
json() {
        python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)' "$1" "$2"
}
# run CODE CMD...: CMD exits CODE; stdout in $T/out, stderr in $T/err.
run() {
        local code=$1 rc=0
        shift
        "$@" >"$T/out" 2>"$T/err" || rc=$?
        [ "$rc" = "$code" ] || fail "'$*' exited $rc, not $code: $(cat "$T/out" "$T/err")"
}

xml_ethernet eth5 52:54:00:aa:00:05 >"$T/eth5.xml"
kv iface-define "$T/eth5.xml" >/dev/null || fail "iface-define eth5"

# --- --json: results ---

run 0 kv iface-mac eth5 --json
json "$T/out" 'd["mac"] == "52:54:00:aa:00:05"' || fail "iface-mac --json: $(cat "$T/out")"
run 0 kv iface-name 52:54:00:AA:00:05 --json
json "$T/out" 'd["names"] == ["eth5"]' || fail "iface-name --json: $(cat "$T/out")"
run 0 kv iface-list --all --json
json "$T/out" '"eth5" in [i["name"] for i in d["interfaces"]]' || fail "iface-list --json: $(cat "$T/out")"
# kvmnet --json: as if every command had it.
run 0 kv --json iface-mac eth5
json "$T/out" 'd["mac"] == "52:54:00:aa:00:05"' || fail "kvmnet --json iface-mac: $(cat "$T/out")"
run 0 kv --json iface-list --all
json "$T/out" '"interfaces" in d' || fail "kvmnet --json iface-list: $(cat "$T/out")"
pass "--json prints the daemon's result, for verbs with and without a JSON form of their own"

# Every verb that prints a reply says --json in its help; help and the
# editors print no reply.
for v in $("$KVMNET" help --list); do
        case $v in
        help | iface-edit | net-edit | proxy) want=no ;; # proxy relays, it prints no reply
        *) want=yes ;;
        esac
        has=no
        "$KVMNET" "$v" --help | grep -q -E '^  --json ' && has=yes
        [ "$has" = "$want" ] || fail "'kvmnet $v --help' lists --json: $has (want $want)"
done
pass "every verb that prints a reply takes --json"

# --- --json: errors, on stdout, the exit code unchanged ---

run 5 kv iface-dumpxml nope0 --json
json "$T/out" 'd == {"error": {"code": "ENOENT", "errno": 2,
                    "message": "iface-dumpxml: no interface named '"'nope0'"'"}}' ||
        fail "iface-dumpxml nope0 --json: $(cat "$T/out")"
grep -q "^error: iface-dumpxml: no interface named 'nope0'" "$T/err" || fail "no error line on stderr: $(cat "$T/err")"
# Without --json, nothing on stdout.
run 5 kv iface-dumpxml nope0
[ ! -s "$T/out" ] || fail "an error without --json printed on stdout: $(cat "$T/out")"
# A refusal from the dispatcher: its own code (undefine of what is not there).
run 5 kv iface-undefine nope0 --json
json "$T/out" 'd["error"]["code"] == "ENOENT" and d["error"]["errno"] == 2' || fail "iface-undefine: $(cat "$T/out")"
# kvmnet's own errors: usage is EINVAL, exit 2, even before --json is read.
run 2 kv iface-list --bogus --json
json "$T/out" 'd["error"]["code"] == "EINVAL" and d["error"]["errno"] == 22 and
               "--bogus" in d["error"]["message"]' || fail "usage error --json: $(cat "$T/out")"
run 2 kv --json iface-lst
json "$T/out" 'd["error"]["code"] == "EINVAL"' || fail "kvmnet --json iface-lst: $(cat "$T/out")"
# A file that cannot be read: 1, EIO, the message names the file.
run 1 kv iface-define "$T/missing.xml" --json
json "$T/out" 'd["error"]["code"] == "EIO" and "missing.xml" in d["error"]["message"]' ||
        fail "unreadable file --json: $(cat "$T/out")"
if [ "$MODE" = daemon ]; then
        run 3 "$KVMNET" -c "unix://$T/none" iface-list --json
        json "$T/out" 'd["error"]["code"] == "ENOTCONN" and "cannot connect" in d["error"]["message"]' ||
                fail "no daemon --json: $(cat "$T/out")"
        # The read-only socket's refusal: EPERM, 6.
        run 6 "$KVMNET" -c "unix://$T/ro" iface-undefine eth5 --json
        json "$T/out" 'd["error"]["code"] == "EPERM"' || fail "read-only --json: $(cat "$T/out")"
fi
pass "--json errors: {\"error\": {code, errno, message}} on stdout, the exit code as without"

# --- batch mode: NDJSON, one reply per line, blank lines print nothing ---

printf 'iface-mac eth5\n\n# a comment\niface-mac nope0\niface-lst\niface-name 52:54:00:aa:00:05\niface-mac "eth5\n' >"$T/batch"
rc=0
kv --json <"$T/batch" >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 5 ] || fail "batch --json exited $rc, not 5 (the first failure): $(cat "$T/err")"
python3 - "$T/out" <<'EOF' || fail "batch --json output: $(cat "$T/out")"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 5, lines
d = [json.loads(l) for l in lines]
assert d[0]["mac"] == "52:54:00:aa:00:05", d[0]
assert d[1]["error"]["code"] == "ENOENT" and "nope0" in d[1]["error"]["message"], d[1]
assert d[2]["error"]["code"] == "EINVAL" and "did you mean 'iface-list'" in d[2]["error"]["message"], d[2]
assert not d[2]["error"]["message"].startswith("line "), d[2]
assert d[3]["names"] == ["eth5"], d[3]
assert d[4]["error"]["code"] == "EINVAL" and d[4]["error"]["message"] == "unterminated quote", d[4]
EOF
# --json on one line only: that line is JSON, the others text.
printf 'iface-mac eth5\niface-mac eth5 --json\n' | kv >"$T/out" 2>"$T/err" || fail "batch: $(cat "$T/err")"
[ "$(sed -n 1p "$T/out")" = 52:54:00:aa:00:05 ] || fail "batch text line: $(cat "$T/out")"
[ "$(sed -n 2p "$T/out")" = '{"name":"eth5","mac":"52:54:00:aa:00:05"}' ] || fail "batch --json line: $(cat "$T/out")"
pass "batch mode with --json prints NDJSON, one reply per command line, errors included"

# --- kvmnet version ---

own=$("$KVMNET" --version) || fail "kvmnet --version"
ver=${own#kvmnet }
run 0 kv version
if [ "$MODE" = daemon ]; then
        printf 'Compiled against library: kvmnet %s\nRunning against daemon: kvmnet %s\n' "$ver" "$ver" >"$T/want"
else
        printf 'Compiled against library: kvmnet %s\nRunning in-process (--root): kvmnet %s\n' "$ver" "$ver" >"$T/want"
fi
diff -u "$T/want" "$T/out" || fail "kvmnet version"
run 0 kv version --json
json "$T/out" "d['client'] == {'version': '$ver'} and d['server']['version'] == '$ver' and
               d['server']['server'] == 'kvmnet'" || fail "version --json: $(cat "$T/out")"
if [ "$MODE" = daemon ]; then
        run 3 "$KVMNET" -c "unix://$T/none" version
        [ "$(cat "$T/out")" = "Compiled against library: kvmnet $ver" ] || fail "version without a daemon: $(cat "$T/out")"
        grep -q '^error: cannot connect' "$T/err" || fail "version without a daemon: $(cat "$T/err")"
fi
pass "kvmnet version: client and $MODE version, text and --json"

# --- did you mean ---

expect_error 2 "^error: unknown verb 'iface-lst' \(did you mean 'iface-list'\?\)$" kv iface-lst
expect_error 2 "did you mean 'net-start'" kv net-strat lab
expect_error 2 "^error: unknown verb 'xyzzy' \(see kvmnet --help\)$" kv xyzzy
expect_error 2 "^error: help: unknown verb 'iface-lst' \(did you mean 'iface-list'\?\)$" kv help iface-lst
expect_error 2 "^error: iface-list: unknown option '--al' \(did you mean '--all'\?\)$" kv iface-list --al
pass "an unknown verb or option names the nearest one (at most 2 edits)"

# The dispatcher names the nearest interface or network, in the one wording
# of a name that is not there.
expect_error 5 "^error: iface-dumpxml: no interface named 'eth6' \(did you mean 'eth5'\?\)$" kv iface-dumpxml eth6
expect_error 5 "^error: iface-mac: no interface named 'etx5x' \(did you mean 'eth5'\?\)$" kv iface-mac etx5x
expect_error 5 "^error: iface-dumpxml: no interface named 'wlan0'$" kv iface-dumpxml wlan0
expect_error 5 "^error: iface-undefine: no interface named 'nope0'$" kv iface-undefine nope0
printf "<network><name>lab</name><ip address='10.78.0.1' prefix='24'/></network>" >"$T/lab.xml"
kv net-define "$T/lab.xml" >/dev/null 2>"$T/err" || fail "net-define lab: $(cat "$T/err")"
expect_error 5 "^error: net-info: no network named 'lbb' \(did you mean 'lab'\?\)$" kv net-info lbb
expect_error 5 "^error: net-dumpxml: no network named 'default0'$" kv net-dumpxml default0
expect_error 5 "no network named 'lbb'" kv net-undefine lbb
expect_error 5 "^error: guest-dumpxml: no guest named 'g1'$" kv guest-dumpxml g1
printf "<domain type='kvm'><name>web1</name><memory unit='MiB'>64</memory><os><type arch='x86_64' machine='pc'>hvm</type><kernel>/boot/vmlinuz</kernel></os></domain>" >"$T/web1.xml"
kv guest-define "$T/web1.xml" >/dev/null 2>"$T/err" || fail "guest-define web1: $(cat "$T/err")"
expect_error 5 "^error: guest-dumpxml: no guest named 'web2' \(did you mean 'web1'\?\)$" kv guest-dumpxml web2
expect_error 5 "^error: guest-undefine: no guest named 'wb1' \(did you mean 'web1'\?\)$" kv guest-undefine wb1
kv guest-undefine web1 >/dev/null || fail "guest-undefine web1"
pass "'no interface named', 'no network named', 'no guest named', with the nearest name"

# --- durations: seconds, decimals, one error naming the option ---

for bad in -1 abc 1e3 inf nan 5s '' . 1.2.3 ' 1'; do
        expect_error 2 "^error: event: --timeout '$bad' is not a number of seconds" kv event --timeout "$bad"
        expect_error 2 "^error: iface-start: --confirm '$bad' is not a number of seconds" kv iface-start eth5 --confirm "$bad"
        expect_error 2 "^error: detach-interface: --timeout '$bad' is not a number of seconds" \
                kv detach-interface g1 --mac 52:54:00:00:00:01 --timeout "$bad"
        expect_error 2 "^error: iface-bridge: --delay '$bad' is not a number of seconds" \
                kv iface-bridge eth5 br5 --delay "$bad"
done
expect_error 2 "detach-interface: --timeout '3601' is more than an hour" \
        kv detach-interface g1 --mac 52:54:00:00:00:01 --timeout 3601
if [ "$MODE" = daemon ]; then
        # Accepted with decimals: an event wait of 0.3 s ends in time.
        start=$(date +%s%N)
        run 0 kv event --loop --timeout 0.3
        ms=$((($(date +%s%N) - start) / 1000000))
        [ "$ms" -ge 250 ] && [ "$ms" -lt 5000 ] || fail "event --timeout 0.3 took $ms ms"
        # --confirm 2.5 goes to the daemon as 2.5 seconds.
        xml_ethernet eth6 52:54:00:aa:00:06 >"$T/eth6.xml"
        run 0 kv iface-define "$T/eth6.xml" --confirm 2.5 --json
        json "$T/out" 'd["confirm_seconds"] == 2.5' || fail "--confirm 2.5: $(cat "$T/out")"
        run 0 kv confirm
        # The unplug wait goes as milliseconds: no guest, so the daemon's
        # error, not a usage error.
        rc=0
        kv detach-interface g1 --mac 52:54:00:00:00:01 --timeout 0.25 >/dev/null 2>"$T/err" || rc=$?
        [ "$rc" = 5 ] || fail "detach-interface --timeout 0.25 on no guest exited $rc: $(cat "$T/err")"
fi
pass "durations in seconds with decimals; bad ones are one usage error naming the option"

[ "$MODE" = daemon ] && stop_daemon
exit 0
