#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# kvmnetd's wire protocol with raw clients, well- and badly-behaved: the
# daemon answers what it can, drops what it must, and keeps serving.
. "$(dirname "$0")/lib.sh"
: "${KN_RAWCLIENT:?}"
BACKEND=${1:-ifupdown}
RAW=$KN_RAWCLIENT

ROOT=$T/root
make_root "$ROOT" "$BACKEND"
xml_bridge br0 eth0 52:54:00:00:00:01 >"$T/br0.xml"
"$KVMNET" --root "$ROOT" iface-define "$T/br0.xml" >/dev/null || fail "offline define"
start_daemon

list='{"id":7,"verb":"iface-list","args":{"all":true}}'
served() { # the daemon still answers a normal client
        local out
        out=$("$RAW" "$T/ro" "send:$list\n" read:1) || fail "daemon stopped serving after $*"
        grep -q '"id":7,"ok":true' <<<"$out" || fail "bad reply after $*: $out"
        grep -q '"name":"br0"' <<<"$out" || fail "br0 missing after $*: $out"
        daemon_alive "$*"
}

# A request gets a reply with its id, the result and "ok".
out=$("$RAW" "$T/rw" "send:$list\n" read:1) || fail "iface-list"
grep -q '"id":7,"ok":true,"result":{"interfaces":\[{"name":"br0","type":"bridge","state":"inactive"' <<<"$out" ||
        fail "iface-list reply: $out"
out=$("$RAW" "$T/rw" 'send:{"id":"abc","verb":"iface-dumpxml","args":{"name":"br0","inactive":true}}\n' read:1)
grep -q '"id":"abc","ok":true' <<<"$out" && grep -q "<interface type='bridge' name='br0'>" <<<"$out" ||
        fail "iface-dumpxml reply: $out"
pass "requests are answered with their id"

# Several requests in one write, answered in order.
out=$("$RAW" "$T/ro" 'send:{"id":1,"verb":"hello"}\n{"id":2,"verb":"iface-mac","args":{"name":"eth0"}}\n{"id":3,"verb":"iface-name","args":{"mac":"52:54:00:00:00:01"}}\n' read:3)
[ "$(sed -n 's/^{"id":\([0-9]*\).*/\1/p' <<<"$out" | tr '\n' ' ')" = "1 2 3 " ] || fail "pipelined order: $out"
grep -q '"read_only":true' <<<"$out" || fail "hello on ro socket: $out"
grep -q '"mac":"52:54:00:00:00:01"' <<<"$out" || fail "iface-mac: $out"
grep -q '"names":\["eth0"\]' <<<"$out" || fail "iface-name: $out"
pass "pipelined requests are answered in order"

# Garbage gets an error reply, and the connection goes on.
out=$("$RAW" "$T/rw" 'send:this is not json\n[1,2]\n{"verb":"no-such-verb"}\n{"id":4,"verb":"iface-list","args":{"bogus":1}}\n{"id":5}\n\n' "send:$list\n" read:7)
grep -q '^{"id":null,"ok":false,"error":{"code":"EPROTO","message":"the request is not valid JSON' <<<"$out" ||
        fail "garbage: $out"
grep -q '"code":"EPROTO","message":"a request must be a JSON object"' <<<"$out" || fail "array: $out"
grep -q '"code":"EOPNOTSUPP","message":"unknown verb .no-such-verb.' <<<"$out" || fail "unknown verb: $out"
grep -q '"id":4,"ok":false,"error":{"code":"EINVAL","message":"iface-list: unknown argument .bogus.' <<<"$out" ||
        fail "unknown argument: $out"
grep -q '"id":5,"ok":false,"error":{"code":"EPROTO"' <<<"$out" || fail "no verb: $out"
[ "$(grep -c '"ok":false' <<<"$out")" = 6 ] || fail "empty line should be an error too: $out"
grep -q '"id":7,"ok":true' <<<"$out" || fail "not served after garbage: $out"
pass "garbage gets error replies and the connection goes on"

# Errors carry a code and the library's message.
out=$("$RAW" "$T/rw" 'send:{"id":1,"verb":"iface-dumpxml","args":{"name":"nope0"}}\n{"id":2,"verb":"iface-dumpxml","args":{"name":"../../x"}}\n{"id":3,"verb":"iface-define","args":{"xml":"<interface"}}\n' read:3)
grep -q '"id":1,"ok":false,"error":{"code":"ENOENT","message":"iface-dumpxml: no interface named .nope0."' <<<"$out" ||
        fail "ENOENT: $out"
grep -q '"id":2,"ok":false,"error":{"code":"EINVAL"' <<<"$out" || fail "bad name: $out"
grep -q '"id":3,"ok":false,"error":{"code":"[A-Z]*","message":"<request>:1' <<<"$out" ||
        fail "malformed XML should name <request>:LINE: $out"
pass "errors carry an errno name and a message naming the thing"

# Half a line, then gone.
"$RAW" "$T/rw" 'send:{"id":1,"verb":"iface-li' || fail "half line"
served "half a line then close"
# A full request, then gone before reading the reply.
"$RAW" "$T/rw" "send:$list\n" || fail "request then close"
"$RAW" "$T/rw" "send:$list\n$list\n$list\n" shutwr || fail "requests then shutdown"
served "requests then close"
# A last request without its newline, then shutdown: still answered.
out=$("$RAW" "$T/ro" "send:$list" shutwr eof) || fail "unterminated last line"
grep -q '"id":7,"ok":true' <<<"$out" || fail "last line without newline not answered: $out"
pass "clients that leave mid-request don't disturb the daemon"

# An over-long line: one EMSGSIZE error, then the daemon hangs up.
out=$("$RAW" "$T/rw" send:'{"id":1,"verb":"iface-define","args":{"xml":"' fill:$((5 * 1024 * 1024)) eof) ||
        fail "long line"
grep -q '"code":"EMSGSIZE","message":"request line longer than 4194304 bytes' <<<"$out" ||
        fail "long line reply: $(head -c 300 <<<"$out")"
grep -q 'request line longer than' "$T/daemon.log" || fail "long line not logged"
served "an over-long line"
# Just under the limit is fine (an XML error, not a size error).
pad=$(head -c $((4 * 1024 * 1024 - 200)) /dev/zero | tr '\0' ' ')
out=$(printf '{"id":9,"verb":"iface-define","args":{"xml":"<interface type=\\"ethernet\\" name=\\"eth9\\"/>%s"}}\n' "$pad" |
        "$RAW" "$T/rw" stdin read:1) || fail "big line"
grep -q '"id":9' <<<"$out" && ! grep -q EMSGSIZE <<<"$out" || fail "line under the limit refused: $out"
pass "over-long lines are refused, long ones are not"

# A client that sends and never reads: others are still served while it
# hogs its connection, and it does not grow the daemon without bound.
"$RAW" "$T/ro" flood:3 sleep:2 2>"$T/flood.err" &
flood_pid=$!
EXTRA_PIDS="$EXTRA_PIDS $flood_pid"
sleep 1
served "a client that never reads (during)"
rss1=$(awk '/VmRSS/ {print $2}' /proc/$DAEMON_PID/status)
sleep 2
served "a client that never reads (later)"
rss2=$(awk '/VmRSS/ {print $2}' /proc/$DAEMON_PID/status)
# (AddressSanitizer's quarantine holds freed memory: no bound to check there.)
[ -n "$KN_SANITIZED" ] || [ "$rss2" -lt $((rss1 + 20000)) ] || fail "daemon memory grew from ${rss1} to ${rss2} kB"
wait "$flood_pid" || fail "flood client failed: $(cat "$T/flood.err")"
served "a client that never reads (after)"
pass "a client that never reads is held back, others are served (rss ${rss1}->${rss2} kB)"

# Many clients at once.
pids=
for i in $(seq 20); do
        "$RAW" "$T/ro" "send:$list\n" read:1 >"$T/c$i.out" &
        pids="$pids $!"
done
for p in $pids; do wait "$p" || fail "parallel client failed"; done
cat "$T"/c*.out | grep -c '"ok":true' | grep -qx 20 || fail "parallel clients"
pass "20 clients at once"

# A second daemon on the same sockets is refused; the first keeps them.
rc=0
"$KVMNETD" --root "$ROOT" --socket "$T/rw" --ro-socket "$T/ro" --state-dir "$T/state" 2>"$T/second.err" || rc=$?
[ "$rc" != 0 ] || fail "second daemon started"
grep -q "another daemon is listening" "$T/second.err" || fail "second daemon: $(cat "$T/second.err")"
served "a second daemon tried to start"
pass "a second daemon does not steal the sockets"

stop_daemon
pass "SIGTERM: clean exit, sockets removed"

# A stale socket from a killed daemon is replaced.
start_daemon
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
DAEMON_PID=
[ -S "$T/rw" ] || fail "no stale socket to test with"
start_daemon
served "restart over stale sockets"
stop_daemon
pass "stale sockets of a killed daemon are replaced"
