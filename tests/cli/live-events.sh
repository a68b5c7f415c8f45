#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Live events through kvmnetd serving a network namespace: `kvmnet event`
# sees what `ip` changes; events interleave with replies on a subscribed
# connection; a subscriber that stops reading loses events (told so by a
# "lost" event once it catches up) and never holds the daemon up.
# Needs root (exit 77 without).
. "$(dirname "$0")/../daemon/lib.sh"

can_netns || skip "live tests need root and ip (network namespaces)"
command -v python3 >/dev/null || skip "python3 is not installed"

make_netns events
H=$NS_MADE
ip -n "$H" link add spare0 type veth peer name spare0p && ip -n "$H" link set spare0p up ||
        fail "namespace setup"
ROOT=$T/root
make_root "$ROOT" ifupdown
start_daemon --netns "$H" -v
RW="unix://$T/rw"

subscribed() { [ "$(grep -c "event-subscribe: ok" "$T/daemon.log")" -ge "$1" ]; }

# --loop --json: every event as the daemon's JSON line.
"$KVMNET" -c "$RW" event --loop --json --timeout 20 >"$T/events" 2>"$T/events.err" &
EV=$!
EXTRA_PIDS="$EXTRA_PIDS $EV"
wait_for subscribed 1 || fail "event did not subscribe"
ip -n "$H" link set spare0 mtu 1300
wait_for grep -q '"event":"link","action":"new".*"ifname":"spare0".*"mtu":1300' "$T/events" ||
        fail "no link event for the MTU change: $(cat "$T/events" "$T/events.err")"
ip -n "$H" addr add 10.82.0.1/24 dev spare0
wait_for grep -q '"event":"address","action":"new".*"ifname":"spare0".*"address":"10.82.0.1","prefix":24' "$T/events" ||
        fail "no address event: $(cat "$T/events")"
ip -n "$H" link set spare0 up
ip -n "$H" route add default via 10.82.0.254
wait_for grep -q '"event":"route","action":"new".*"gateway":"10.82.0.254"' "$T/events" ||
        fail "no route event: $(cat "$T/events")"
ip -n "$H" link del spare0
wait_for grep -q '"event":"link","action":"del".*"ifname":"spare0"' "$T/events" ||
        fail "no link deletion event: $(cat "$T/events")"
python3 -c '
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert "id" not in o and o["event"] in ("link", "address", "route"), line
' "$T/events" || fail "not one JSON event per line: $(cat "$T/events")"
kill "$EV"
pass "event --loop --json follows links, addresses and routes"

# Without --loop: the first event, printed for people, then exit 0.
ip -n "$H" link add spare1 type veth peer name spare1p || fail "spare1"
"$KVMNET" -c "unix://$T/ro" event >"$T/one" 2>&1 &
ONE=$!
EXTRA_PIDS="$EXTRA_PIDS $ONE"
wait_for subscribed 2 || fail "event (no loop) did not subscribe"
ip -n "$H" link set spare1 mtu 1280
rc=0
wait "$ONE" || rc=$?
[ "$rc" = 0 ] || fail "event exited $rc: $(cat "$T/one")"
[ "$(wc -l <"$T/one")" = 1 ] || fail "event printed more than the first event: $(cat "$T/one")"
grep -q "^event 'link' for interface spare1: new .*mtu=1280" "$T/one" || fail "event output: $(cat "$T/one")"
expect_error 8 "event: no event within 1 s" "$KVMNET" -c "$RW" event --timeout 1
expect_error 2 "event: option '--timeout' needs a value" "$KVMNET" -c "$RW" event --timeout
pass "event without --loop prints the first event and exits; --timeout"

# On one connection: subscribe, change something, ask something: the
# reply comes whole, in order, with events around it.  Then stop reading
# while a flood of events arrives: the daemon keeps serving others, and
# the reader is told how many it lost once it reads again.
cat >"$T/client.py" <<'EOF'
import json, socket, subprocess, sys, time
sock, ns = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sock)
f = s.makefile("rwb", buffering=0)
def send(o):
    f.write((json.dumps(o) + "\n").encode())
def lines():
    for raw in f:
        yield json.loads(raw)
it = lines()
send({"id": 1, "verb": "event-subscribe", "args": {"events": ["link"]}})
r = next(it)
assert r["id"] == 1 and r["ok"] and r["result"]["events"] == ["link"], r
subprocess.run(["ip", "-n", ns, "link", "set", "spare1", "mtu", "1290"], check=True)
subprocess.run(["ip", "-n", ns, "addr", "add", "10.83.0.1/24", "dev", "spare1"], check=True)
send({"id": 2, "verb": "iface-list", "args": {"all": True}})
seen_event = False
while True:
    o = next(it)
    if "event" in o:
        assert o["event"] == "link", o  # subscribed to links only
        seen_event = True
        continue
    assert o["id"] == 2 and o["ok"], o
    break
print("interleaved: event before reply:", seen_event)
# Stop reading; flood.
n = 12000
with open(sys.argv[3], "w") as b:
    for k in range(n):
        b.write("link set spare1 mtu %d\n" % (1300 + k % 2))
subprocess.run(["ip", "-n", ns, "-batch", sys.argv[3]], check=True)
time.sleep(1.0)
# The daemon still answers others meanwhile.
t0 = time.time()
subprocess.run(sys.argv[4:] + ["iface-list", "--all"], check=True, stdout=subprocess.DEVNULL)
print("other client served in %.3f s" % (time.time() - t0))
# Read everything now: a "lost" event must say how many were dropped.
s.settimeout(5)
got = lost = 0
overflow = False
try:
    for o in it:
        if o.get("event") == "lost":
            lost += o["count"]
            break
        if o.get("event") == "overflow":
            overflow = True
        got += 1
except socket.timeout:
    pass
print("received %d events, lost %d, kernel overflow %s" % (got, lost, overflow))
assert lost > 0, "no lost event"
send({"id": 3, "verb": "hello"})
while True:
    o = next(it)
    if "id" in o:
        assert o["id"] == 3 and o["ok"], o
        break
print("still served after losing events")
EOF
python3 "$T/client.py" "$T/ro" "$H" "$T/flood.batch" "$KVMNET" -c "unix://$T/ro" >"$T/client.out" 2>&1 ||
        fail "slow subscriber: $(cat "$T/client.out")"
grep -q "dropping them until it catches up" "$T/daemon.log" || fail "the drop was not logged"
echo "# $(tr '\n' ';' <"$T/client.out")"
pass "events interleave with whole replies; a slow reader loses events, is told, and holds nobody up"

stop_daemon
exit 0
