#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Operation ids and the event stream, against kvmnetd serving a network
# namespace: a change's reply carries its "op" (errors too, reads none), the
# events it caused carry the same one (also a --confirm revert that comes
# later, from the timer); the kernel's own events carry none; `event --op`
# shows one operation's events, `--type` filters, `--timestamp` prints the
# daemon's time as virsh does; two changes never share an id, neither do
# two kvmnetd runs.  Every event of issue 10's list (section 2) fires with
# its op: iface defined, undefined, started, destroyed, bridged,
# unbridged; txn begin, rolled-back, confirm-pending, confirmed, reverted;
# net defined, started, destroyed, undefined, autostart, updated; and with
# QEMU (else that part is skipped): guest defined, started, stopped (also
# a QEMU killed from outside, no op), undefined, adopted, guest-nic attached,
# unplug-pending, removed.  Needs root
# (exit 77 without).
. "$(dirname "$0")/lib.sh"

can_netns || skip "needs root and ip (network namespaces)"
command -v python3 >/dev/null || skip "python3 is not installed"

make_netns ops
H=$NS_MADE
ip -n "$H" link add kop0 type veth peer name kop0p && ip -n "$H" link set kop0p up &&
        ip -n "$H" link add kop1 type veth peer name kop1p ||
        fail "namespace setup"
ROOT=$T/root
make_root "$ROOT" ifupdown
start_daemon --netns "$H" -v
RW="unix://$T/rw"

subscribed() { [ "$(grep -c "event-subscribe: ok" "$T/daemon.log")" -ge "$1" ]; }
# The member KEY of the JSON object on stdin ("" if absent).
member() { python3 -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1], ""))' "$1"; }

cat >"$T/br.xml" <<EOF
<interface type='bridge' name='kob0'>
  <start mode='onboot'/>
  <protocol family='ipv4'>
    <ip address='10.77.0.1' prefix='24'/>
  </protocol>
  <bridge stp='off' delay='0'>
    <interface type='ethernet' name='kop0'/>
  </bridge>
</interface>
EOF

"$KVMNET" -c "$RW" event --loop --json --timeout 30 >"$T/all" 2>&1 &
EXTRA_PIDS="$EXTRA_PIDS $!"
"$KVMNET" -c "$RW" event --loop --json --timeout 30 --type iface --type txn >"$T/typed" 2>&1 &
EXTRA_PIDS="$EXTRA_PIDS $!"
"$KVMNET" -c "$RW" event --loop --timestamp --type iface --timeout 30 >"$T/stamped" 2>&1 &
EXTRA_PIDS="$EXTRA_PIDS $!"
wait_for subscribed 3 || fail "event did not subscribe"

# Reads are no operations.
"$KVMNET" -c "$RW" --json iface-list >"$T/out" || fail "iface-list"
[ -z "$(member op <"$T/out")" ] || fail "a read got an op: $(cat "$T/out")"

t0=$(date +%s)
"$KVMNET" -c "$RW" --json iface-define "$T/br.xml" >"$T/out" || fail "iface-define: $(cat "$T/out")"
op1=$(member op <"$T/out")
[[ $op1 =~ ^[0-9a-f]{8}:[0-9]+$ ]] || fail "iface-define's op: '$op1' in $(cat "$T/out")"
# The next change's id, before it is made: ids count up per daemon.
op2=${op1%:*}:$((${op1##*:} + 1))
"$KVMNET" -c "$RW" event --loop --json --timeout 30 --op "$op2" >"$T/byop" 2>&1 &
EXTRA_PIDS="$EXTRA_PIDS $!"
wait_for subscribed 4 || fail "event --op did not subscribe"
"$KVMNET" -c "$RW" --json iface-start kob0 >"$T/out" || fail "iface-start: $(cat "$T/out")"
[ "$(member op <"$T/out")" = "$op2" ] || fail "iface-start's op is not $op2: $(cat "$T/out")"
pass "a change's reply carries its op ($op1, then $op2); a read's none"

# An error of a change carries its op too.
rc=0
"$KVMNET" -c "$RW" --json iface-start nosuch0 >"$T/out" 2>/dev/null || rc=$?
[ "$rc" != 0 ] || fail "iface-start nosuch0 succeeded"
op3=$(member op <"$T/out")
[[ $op3 =~ ^[0-9a-f]{8}:[0-9]+$ ]] && [ "$op3" != "$op2" ] && [ "$op3" != "$op1" ] ||
        fail "a failed change's op: '$op3' in $(cat "$T/out")"
[ "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["error"]["code"])' <"$T/out")" = ENOENT ] ||
        fail "not the error: $(cat "$T/out")"
pass "a failed change's error carries its own op"

# --confirm: confirm-pending now, the timer's revert a second later, both
# the operation's.
"$KVMNET" -c "$RW" --json iface-destroy kob0 --confirm 1 >"$T/out" || fail "iface-destroy --confirm: $(cat "$T/out")"
op4=$(member op <"$T/out")
wait_for grep -q "\"action\":\"reverted\".*\"op\":\"$op4\"" "$T/all" ||
        fail "no revert event carrying $op4: $(cat "$T/all")"

# confirm: its own op on "confirmed".
"$KVMNET" -c "$RW" --json iface-start kob0 --confirm 30 >"$T/out" || fail "iface-start --confirm: $(cat "$T/out")"
op6=$(member op <"$T/out")
"$KVMNET" -c "$RW" --json confirm >"$T/out" || fail "confirm: $(cat "$T/out")"
op7=$(member op <"$T/out")
wait_for grep -q "\"action\":\"confirmed\".*\"op\":\"$op7\"" "$T/all" ||
        fail "no confirmed event carrying $op7: $(cat "$T/all")"
grep -q "\"action\":\"confirm-pending\".*\"op\":\"$op6\"" "$T/all" ||
        fail "no confirm-pending event carrying $op6: $(cat "$T/all")"

wait_for grep -q '"event":"iface","action":"started".*"op":"'"$op2"'"' "$T/all" ||
        fail "no iface started event with $op2: $(cat "$T/all")"
python3 - "$T/all" "$op1" "$op2" "$op4" "$t0" <<'EOF' || fail "events: $(cat "$T/all")"
import json, sys, time
path, op1, op2, op4, t0 = sys.argv[1:6]
evs = [json.loads(l) for l in open(path)]
def find(typ, action):
    return [e for e in evs if e["event"] == typ and e.get("action") == action]
assert [e["op"] for e in find("iface", "defined")] == [op1], "defined"
assert [e["op"] for e in find("iface", "started")][0] == op2, "started"
assert [e["op"] for e in find("iface", "destroyed")] == [op4], "destroyed"
assert [e["op"] for e in find("txn", "confirm-pending")][0] == op4, "confirm-pending"
assert [e["op"] for e in find("txn", "reverted")] == [op4], "reverted"
links = [e for e in evs if e["event"] in ("link", "address", "route")]
assert links, "no kernel events"
assert all("op" not in e for e in links), "a kernel event with an op"
for e in evs:
    if e["event"] != "lost":
        ts = e["timestamp"] / 1e6
        assert int(t0) - 1 <= ts <= time.time() + 1, "timestamp %s" % e
EOF
pass "events carry the op of the change that caused them (the timer's revert too, confirm its own); kernel events none"

# --op: that operation's events only; --type: those types only.
[ -s "$T/byop" ] || fail "event --op printed nothing"
python3 - "$T/byop" "$op2" <<'EOF' || fail "event --op $op2: $(cat "$T/byop")"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
assert evs and all(e["op"] == sys.argv[2] for e in evs)
assert any(e["event"] == "iface" and e["action"] == "started" for e in evs)
EOF
python3 - "$T/typed" <<'EOF' || fail "event --type iface --type txn: $(cat "$T/typed")"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
types = {e["event"] for e in evs}
assert types == {"iface", "txn"}, types
EOF
expect_error 1 "unknown event type 'bogus' \(valid: .*iface.*\)" \
        "$KVMNET" -c "$RW" event --type bogus --timeout 1
pass "event --op shows one operation's events; --type filters (and names the valid types)"

# --timestamp: "YYYY-MM-DD HH:MM:SS.mmm+0000: " (virsh event's), the daemon's time.
grep -q -E "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}\+0000: event 'iface': started name=kob0 .*op=$op2" "$T/stamped" ||
        fail "event --timestamp: $(cat "$T/stamped")"
want=$(python3 - "$T/all" <<'EOF'
import json, sys, time
e = [json.loads(l) for l in open(sys.argv[1]) if '"action":"started"' in l][0]
us = e["timestamp"]
print(time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(us // 1000000)) + ".%03d+0000: " % (us % 1000000 // 1000))
EOF
)
grep -q -F "${want}event 'iface': started" "$T/stamped" ||
        fail "event --timestamp does not print the daemon's time ($want): $(cat "$T/stamped")"
pass "event --timestamp prints when the daemon saw the event"

# Networks and iface-bridge: their events carry their ops too.
printf "<network><name>kon</name><bridge name='konbr0'/><ip address='10.89.0.1' prefix='24'/></network>" >"$T/net.xml"
"$KVMNET" -c "$RW" event --loop --json --timeout 30 --type net --type iface >"$T/net" 2>&1 &
EXTRA_PIDS="$EXTRA_PIDS $!"
wait_for subscribed 5 || fail "event --type net did not subscribe"
declare -A ops
for cmd in "net-define $T/net.xml" "net-start kon" "net-destroy kon" "net-undefine kon" \
        "iface-bridge kop1 kob1 --no-start"; do
        "$KVMNET" -c "$RW" --json $cmd >"$T/out" || fail "$cmd: $(cat "$T/out")"
        ops[${cmd%% *}]=$(member op <"$T/out")
done
for want in "net defined ${ops[net-define]}" "net started ${ops[net-start]}" \
        "net destroyed ${ops[net-destroy]}" "net undefined ${ops[net-undefine]}" \
        "iface bridged ${ops[iface-bridge]}"; do
        set -- $want
        wait_for grep -q "\"event\":\"$1\",\"action\":\"$2\".*\"op\":\"$3\"" "$T/net" ||
                fail "no $1 $2 event with op $3: $(cat "$T/net")"
done
grep -q '"action":"bridged","name":"kop1","bridge":"kob1"' "$T/net" || fail "bridged event: $(cat "$T/net")"
[ "$(printf '%s\n' "${ops[@]}" | sort -u | wc -l)" = 5 ] || fail "ops not distinct: ${ops[*]}"
pass "net-define, net-start, net-destroy, net-undefine, iface-bridge: one op each, on their events"

# The rest of issue 10's list (section 2), each with its op: unbridged,
# undefined, a transaction's begin and rolled-back, net-autostart on and
# off, net-update.
"$KVMNET" -c "$RW" event --loop --json --timeout 60 >"$T/more" 2>&1 &
EXTRA_PIDS="$EXTRA_PIDS $!"
wait_for subscribed 6 || fail "the second event did not subscribe"
change() { # KEY CMD...: make the change, keep its op in ops[KEY]
        local key=$1
        shift
        "$KVMNET" -c "$RW" --json "$@" >"$T/out" || fail "$*: $(cat "$T/out")"
        ops[$key]=$(member op <"$T/out")
}
xml_ethernet koe9 52:54:00:00:00:99 >"$T/koe9.xml"
printf "<network><name>kon2</name><bridge name='konbr2'/><ip address='10.89.2.1' prefix='24'/></network>" >"$T/net2.xml"
change unbridge iface-unbridge kob1 --no-start
change begin iface-begin
change define2 iface-define "$T/koe9.xml"
change rollback iface-rollback
change netdef net-define "$T/net2.xml"
change auto net-autostart kon2
change noauto net-autostart kon2 --disable
change update net-update kon2 add dns-host "<host ip='10.89.2.5'><hostname>h5</hostname></host>"
change netundef net-undefine kon2
change undefine iface-undefine kob0
# events.py FILE [TYPE ACTION OP [KEY=VALUE...]]... -- each one seen, with
# those members (OP "-": none).
cat >"$T/events.py" <<'PY'
import json, sys, time
path, wants = sys.argv[1], sys.argv[2:]
for _ in range(100):
    evs = [json.loads(l) for l in open(path)]
    missing = []
    for w in wants:
        typ, action, op, *kv = w.split()
        want = dict(x.split("=", 1) for x in kv)
        op = None if op == "-" else op
        if not any(e["event"] == typ and e.get("action") == action and e.get("op") == op and
                   all(str(e.get(k)) == v for k, v in want.items()) for e in evs):
            missing.append(w)
    if not missing:
        sys.exit(0)
    time.sleep(0.05)
sys.exit("missing: %s" % missing)
PY
python3 "$T/events.py" "$T/more" \
        "iface unbridged ${ops[unbridge]} bridge=kob1 name=kop1" \
        "txn begin ${ops[begin]}" \
        "iface defined ${ops[define2]} name=koe9" \
        "txn rolled-back ${ops[rollback]}" \
        "net defined ${ops[netdef]} network=kon2" \
        "net autostart ${ops[auto]} network=kon2 autostart=True" \
        "net autostart ${ops[noauto]} network=kon2 autostart=False" \
        "net updated ${ops[update]} network=kon2 command=add section=dns-host config=True live=False" \
        "net undefined ${ops[netundef]} network=kon2" \
        "iface undefined ${ops[undefine]} name=kob0" ||
        fail "events: $(cat "$T/more")"
pass "iface unbridged and undefined, txn begin and rolled-back, net autostart (on, off) and updated: each with its op"

# Guests and their NICs (real QEMU, no guest OS: an unplug stays pending
# until the test's reset).
if command -v qemu-system-x86_64 >/dev/null && [ -c /dev/net/tun ]; then
        . "$(dirname "$0")/../guest/lib.sh"
        ip -n "$H" link add kgbr0 type bridge && ip -n "$H" link set kgbr0 up || fail "kgbr0"
        truncate -s 1M "$T/g1.img"
        guest_xml g1 pc >"$T/g1.xml"
        "$KVMNET" -c "$RW" event --loop --json --timeout 60 --type guest --type guest-nic >"$T/guests" 2>&1 &
        EXTRA_PIDS="$EXTRA_PIDS $!"
        wait_for subscribed 7 || fail "event --type guest did not subscribe"
        M=52:54:00:ee:00:01
        change gdef guest-define "$T/g1.xml"
        change gstart guest-start g1
        change attach attach-interface g1 --bridge kgbr0 --mac $M
        rc=0
        "$KVMNET" -c "$RW" --json detach-interface g1 --mac $M --timeout 0.3 >"$T/out" 2>/dev/null || rc=$?
        [ "$rc" = 8 ] || fail "detach without a guest OS: exit $rc, $(cat "$T/out")"
        ops[detach]=$(member op <"$T/out")
        qmp g1 system_reset >/dev/null || fail "system_reset"
        python3 "$T/events.py" "$T/guests" "guest-nic removed ${ops[detach]} mac=$M" ||
                fail "no late removal: $(cat "$T/guests")"
        change gstop guest-stop g1
        # QEMU killed from outside: "stopped", nobody's operation.
        change gstart2 guest-start g1
        P=$(qemu_pid g1)
        kill -9 "$P"
        python3 "$T/events.py" "$T/guests" "guest stopped - guest=g1 pid=$P" ||
                fail "no stopped event for a killed QEMU: $(cat "$T/guests")"
        change gundef guest-undefine g1
        # A QEMU started by someone else, adopted: its pid in the event.
        qemu-system-x86_64 -accel tcg -machine pc -S -display none -nodefaults -m 64 \
                -qmp "unix:$T/adopt.qmp,server=on,wait=off" >/dev/null 2>&1 &
        A=$!
        QEMU_PIDS="$QEMU_PIDS $A"
        wait_for test -S "$T/adopt.qmp" || fail "the foreign QEMU's monitor"
        change adopt guest-adopt a1 "$T/adopt.qmp"
        python3 "$T/events.py" "$T/guests" \
                "guest adopted ${ops[adopt]} guest=a1 pid=$A" \
                "guest defined ${ops[gdef]} guest=g1" \
                "guest started ${ops[gstart]} guest=g1" \
                "guest-nic attached ${ops[attach]} guest=g1 mac=$M source=kgbr0" \
                "guest-nic unplug-pending ${ops[detach]} guest=g1 mac=$M" \
                "guest stopped ${ops[gstop]} guest=g1" \
                "guest undefined ${ops[gundef]} guest=g1" ||
                fail "guest events: $(cat "$T/guests")"
        grep -q '"event":"guest","action":"started".*"pid":[1-9]' "$T/guests" || fail "started without pid: $(cat "$T/guests")"
        grep -q '"action":"stopped","guest":"g1","pid":'"$P"',"reason":"QEMU exited without guest-stop"' "$T/guests" ||
                fail "the killed QEMU's event: $(cat "$T/guests")"
        pass "guest defined, started, stopped (guest-stop; QEMU killed: no op), undefined, adopted; NIC attached, unplug-pending, removed (late, the detach's op)"
else
        skip_part "guest events" "need qemu-system-x86_64 and /dev/net/tun"
fi

# A restarted kvmnetd never hands out an id again.
stop_daemon
start_daemon --netns "$H"
"$KVMNET" -c "$RW" --json iface-define "$T/br.xml" >"$T/out" || fail "iface-define: $(cat "$T/out")"
op5=$(member op <"$T/out")
[[ $op5 =~ ^[0-9a-f]{8}:[0-9]+$ ]] || fail "op after the restart: '$op5'"
[ "${op5%:*}" != "${op1%:*}" ] || fail "the restarted kvmnetd reuses the token of its ids: $op1, $op5"
pass "ids of a restarted kvmnetd differ from its predecessor's ($op1 .. $op4, then $op5)"
stop_daemon
