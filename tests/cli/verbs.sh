#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every verb through the kvmnet CLI, against kvmnetd (MODE=daemon) or
# in-process on the root (MODE=offline): same verbs, same output.
. "$(dirname "$0")/../daemon/lib.sh"
BACKEND=${1:-ifupdown}
MODE=${2:-daemon}

ROOT=$T/root
make_root "$ROOT" "$BACKEND"
# Live state comes from an empty namespace when we may make one, so the
# host's own links do not show up in the lists.
NS_ARGS=()
if can_netns; then
        make_netns verbs
        NS=$NS_MADE
        NS_ARGS=(--netns "$NS")
fi
case $MODE in
daemon)
        start_daemon "${NS_ARGS[@]}"
        kv() { "$KVMNET" -c "unix://$T/rw" "$@"; }
        ;;
offline) kv() { "$KVMNET" --root "$ROOT" "${NS_ARGS[@]}" --state-dir "$T/state" "$@"; } ;;
*) fail "unknown mode $MODE" ;;
esac

xml_bridge br0 eth0 52:54:00:00:00:01 >"$T/br0.xml"
xml_ethernet eth5 52:54:00:AA:00:05 >"$T/eth5.xml"
xml_vlan eth1 42 >"$T/vlan.xml"

# iface-define, from a file and from stdin.
out=$(kv iface-define "$T/br0.xml") || fail "define br0"
[ "$out" = "Interface br0 defined from $T/br0.xml" ] || fail "define output: $out"
out=$(kv iface-define - <"$T/eth5.xml") || fail "define from stdin"
[ "$out" = "Interface eth5 defined from standard input" ] || fail "define - output: $out"
kv iface-define "$T/vlan.xml" >/dev/null || fail "define vlan"
pass "iface-define FILE and iface-define -"

# iface-list: none of them is live, so: nothing active by default, --all
# and --inactive list them all.
kv iface-list >"$T/out" || fail "iface-list"
head -2 "$T/out" | head -1 | grep -q '^ Name *State *MAC Address *Configured$' || fail "list header: $(cat "$T/out")"
grep -q '^ br0 ' "$T/out" && fail "inactive br0 listed without --all"
kv iface-list --all >"$T/out" || fail "iface-list --all"
grep -q '^ br0 *inactive *- *yes$' "$T/out" || fail "br0 row: $(cat "$T/out")"
grep -q '^ eth5 *inactive *52:54:00:aa:00:05 *yes$' "$T/out" || fail "eth5 row: $(cat "$T/out")"
grep -q '^ eth1\.42 *inactive' "$T/out" || fail "vlan row: $(cat "$T/out")"
grep -q '^ eth0 ' "$T/out" && fail "bridge port eth0 listed as top-level"
[ "$(sed -n '3,$p' "$T/out" | awk '$NF == "yes" {print $1}' | tr '\n' ' ')" = "br0 eth1.42 eth5 " ] ||
        fail "list not sorted by name: $(cat "$T/out")"
if [ -n "${NS:-}" ]; then
        # The namespace's own lo: live, up, nobody configured it.
        grep -q '^ lo *active *00:00:00:00:00:00 *no$' "$T/out" || fail "lo row: $(cat "$T/out")"
fi
kv iface-list --inactive | grep -q '^ eth5 ' || fail "iface-list --inactive"
kv iface-list --inactive | grep -q '^ lo ' && fail "iface-list --inactive lists the unconfigured lo"
kv iface-list --all --json >"$T/json" || fail "iface-list --json"
grep -q '"name": "eth5"' "$T/json" && grep -q '"state": "inactive"' "$T/json" &&
        grep -q '"mac": "52:54:00:aa:00:05"' "$T/json" && grep -q '"diagnostics": \[' "$T/json" &&
        grep -q '"configured": true' "$T/json" || fail "json: $(cat "$T/json")"
pass "iface-list, --all, --inactive, --json"

# iface-dumpxml round-trips through iface-define.
kv iface-dumpxml br0 >"$T/dump1" || fail "dumpxml"
grep -q "<interface type='bridge' name='br0'>" "$T/dump1" && grep -q "name='eth0'" "$T/dump1" &&
        grep -q "52:54:00:00:00:01" "$T/dump1" || fail "dumpxml content: $(cat "$T/dump1")"
kv iface-dumpxml --inactive br0 | cmp -s - "$T/dump1" || fail "dumpxml --inactive differs"
kv iface-define "$T/dump1" >/dev/null || fail "define from dumpxml"
kv iface-dumpxml br0 | cmp -s - "$T/dump1" || fail "dumpxml not stable after redefine"
expect_error 5 "iface-dumpxml: no interface named 'nope0'" kv iface-dumpxml nope0
expect_error 5 "'eth0' is not a top-level interface: it is a port of bridge br0" kv iface-dumpxml eth0
pass "iface-dumpxml"

# iface-mac and iface-name.
[ "$(kv iface-mac eth5)" = 52:54:00:aa:00:05 ] || fail "iface-mac eth5"
[ "$(kv iface-mac eth0)" = 52:54:00:00:00:01 ] || fail "iface-mac of a bridge port"
expect_error 1 "interface 'br0' has no MAC address" kv iface-mac br0
expect_error 5 "no interface named 'nope0'" kv iface-mac nope0
[ "$(kv iface-name 52:54:00:aa:00:05)" = eth5 ] || fail "iface-name"
[ "$(kv iface-name 52:54:00:AA:00:05)" = eth5 ] || fail "iface-name upper case"
[ "$(kv iface-name 52:54:00:00:00:01)" = eth0 ] || fail "iface-name of a port"
expect_error 5 "no interface has MAC address 52:54:00:ff:ff:ff" kv iface-name 52:54:00:ff:ff:ff
expect_error 1 "'52:54:00' is not a MAC address" kv iface-name 52:54:00
pass "iface-mac, iface-name"

# iface-undefine.
out=$(kv iface-undefine eth5) || fail "undefine"
[ "$out" = "Interface eth5 undefined" ] || fail "undefine output: $out"
kv iface-list --all | grep -q '^ eth5 ' && fail "eth5 still listed"
expect_error 5 "eth5" kv iface-undefine eth5
expect_error 7 "eth0 is a port of bridge br0" kv iface-undefine eth0
kv iface-list --all | grep -q '^ br0 ' || fail "br0 gone after refused port undefine"
pass "iface-undefine"

# A file that does not parse is reported with FILE:LINE; the others list.
broken=$(make_broken_file "$ROOT" "$BACKEND")
if [ "$MODE" = daemon ]; then
        wait_for grep -qE "[1-9][0-9]* configuration errors" "$T/daemon.log" || fail "broken file not reloaded"
fi
rc=0
kv iface-list --all >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 4 ] || fail "iface-list with a broken file exited $rc, not 4"
grep -q "^error: $broken:[0-9][0-9]*: " "$T/err" || fail "broken file not reported as FILE:LINE: $(cat "$T/err")"
grep -q '^ br0 ' "$T/out" && grep -q '^ eth1\.42 ' "$T/out" || fail "others not listed: $(cat "$T/out")"
expect_error 1 "broken0.*could not be read: $broken:[0-9]" kv iface-dumpxml broken0
# Removing it either works or says which file to fix first.
if kv iface-undefine broken0 >/dev/null 2>"$T/err"; then
        [ -e "$broken" ] && fail "broken file still there after undefine"
else
        [ "$(grep -c '^error: ' "$T/err")" = 1 ] && grep -q "$broken" "$T/err" ||
                fail "undefine of the broken interface: $(cat "$T/err")"
        rm "$broken"
fi
wait_for kv iface-list || fail "the broken file is still reported after it went away"
pass "a broken file is reported with FILE:LINE while the others list"

# Batch mode: one command per line, in order, on one connection.
cat >"$T/batch" <<EOF
# a comment, then a blank line

iface-list --all
iface-mac eth0
iface-mac nope0
iface-dumpxml 'br0'
iface-name "52:54:00:00:00:01"
no-such-verb
iface-define $T/eth5.xml
iface-mac eth5
EOF
rc=0
kv <"$T/batch" >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 5 ] || fail "batch exit code $rc (want 5, not found, from the first failure)"
grep -q '^error: line 5: iface-mac: no interface named .nope0.' "$T/err" || fail "batch error 1: $(cat "$T/err")"
grep -q "^error: line 8: unknown verb 'no-such-verb'" "$T/err" || fail "batch error 2: $(cat "$T/err")"
[ "$(grep -c . "$T/err")" = 2 ] || fail "batch errors: $(cat "$T/err")"
[ "$(grep -c '52:54:00:00:00:01' "$T/out")" -ge 2 ] || fail "batch output: $(cat "$T/out")"
[ "$(tail -n 2 "$T/out" | head -1)" = "Interface eth5 defined from $T/eth5.xml" ] ||
        fail "batch output order: $(cat "$T/out")"
[ "$(tail -n 1 "$T/out")" = 52:54:00:aa:00:05 ] || fail "batch last line: $(cat "$T/out")"
echo "iface-edit br0" | kv >/dev/null 2>"$T/err" && fail "iface-edit in batch mode"
grep -q "iface-edit is interactive and not available in batch mode" "$T/err" || fail "batch edit: $(cat "$T/err")"
echo "iface-define -" | kv >/dev/null 2>"$T/err" && fail "iface-define - in batch mode"
pass "batch mode"

[ "$MODE" = daemon ] && stop_daemon
exit 0
