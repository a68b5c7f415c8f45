#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Live interfaces through the kvmnet CLI, against kvmnetd serving a network
# namespace (MODE=daemon) or in-process (MODE=offline, --netns): iface-start
# and iface-destroy of an ethernet with a static address, of a bridge over
# a veth, and of DHCP, checked against `ip -j` inside the namespace; only
# the difference is applied; a failure part-way leaves nothing behind;
# iface-list --all and live iface-dumpxml.
#
#   host namespace H                      LAN namespace L
#     eth0   <-- veth -->  lan0  10.80.0.1/24 (+ dnsmasq for the DHCP test)
#     eth1   <-- veth -->  lan1  10.81.0.1/24
#     spare0 <-- veth -->  spare0p  (up; nobody configures it: never bounced)
#
# Everything lives in namespaces made here and deleted on exit; the host's
# own interfaces and routes are never touched.  Needs root (exit 77 without).
. "$(dirname "$0")/../daemon/lib.sh"
MODE=${1:-daemon}

can_netns || skip "live tests need root and ip (network namespaces)"
command -v python3 >/dev/null || skip "python3 is not installed"

make_netns host
H=$NS_MADE
make_netns lan
L=$NS_MADE
ip -n "$H" link add eth0 type veth peer name lan0 netns "$L" &&
        ip -n "$H" link add eth1 type veth peer name lan1 netns "$L" &&
        ip -n "$H" link add spare0 type veth peer name spare0p netns "$L" &&
        ip -n "$L" addr add 10.80.0.1/24 dev lan0 && ip -n "$L" addr add 10.81.0.1/24 dev lan1 &&
        ip -n "$L" link set lan0 up && ip -n "$L" link set lan1 up &&
        ip -n "$L" link set spare0p up && ip -n "$H" link set spare0 up || fail "namespace setup"

ROOT=$T/root
make_root "$ROOT" ifupdown
case $MODE in
daemon)
        start_daemon --netns "$H" -v
        kv() { "$KVMNET" -c "unix://$T/rw" "$@"; }
        ;;
offline) kv() { "$KVMNET" --root "$ROOT" --netns "$H" --state-dir "$T/state" "$@"; } ;;
*) fail "unknown mode $MODE" ;;
esac

# ---- helpers reading the namespace with ip -j ----

# ifindex of a link in H.
ifindex() { ip -n "$H" -j link show dev "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["ifindex"])'; }
# "UP" if the link is administratively up.
is_up() { ip -n "$H" -j link show dev "$1" | python3 -c 'import json,sys; sys.exit(0 if "UP" in json.load(sys.stdin)[0]["flags"] else 1)'; }
# Does DEV carry ADDRESS/PREFIX?
has_addr() {
        ip -n "$H" -j addr show dev "$1" | python3 -c '
import json, sys
a = ["%s/%s" % (x["local"], x["prefixlen"]) for x in json.load(sys.stdin)[0]["addr_info"]]
sys.exit(0 if sys.argv[1] in a else 1)' "$2"
}
# IPv4 addresses of DEV, space separated.
addrs() {
        ip -n "$H" -j -4 addr show dev "$1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(" ".join("%s/%s" % (x["local"], x["prefixlen"]) for x in (d[0]["addr_info"] if d else [])))'
}
default_via() { ip -n "$H" -j -4 route show default | python3 -c '
import json, sys
print(" ".join("%s@%s" % (r.get("gateway", "-"), r["dev"]) for r in json.load(sys.stdin)))'; }
master_of() { ip -n "$H" -j -d link show dev "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0].get("master", "-"))'; }
kind_of() { ip -n "$H" -j -d link show dev "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0].get("linkinfo", {}).get("info_kind", "-"))'; }
# Everything that matters about H, one line per link, for before/after compares.
snapshot() {
        { ip -n "$H" -j -d link show; echo; ip -n "$H" -j addr show; echo; ip -n "$H" -j route show table all; } |
                python3 -c '
import json, sys
links, addrs, routes = [json.loads(p) for p in sys.stdin.read().split("\n\n")]
for l in sorted(links, key=lambda l: l["ifname"]):
    print(l["ifname"], l["ifindex"], l.get("master", "-"), l["mtu"], "UP" in l["flags"],
          l.get("linkinfo", {}).get("info_kind", "-"))
for a in addrs:
    for x in a["addr_info"]:
        if x.get("scope") != "link":
            print("addr", a["ifname"], x["local"], x["prefixlen"])
for r in routes:
    if r.get("table") != "local" and not r.get("dst", "").startswith(("fe80::", "ff00::", "multicast")):
        print("route", r.get("table", "main"), r.get("dst"), r.get("gateway", "-"), r.get("dev", "-"))
' | LC_ALL=C sort
}
ping_lan() { ip netns exec "$H" ping -c 1 -W 2 "$1" >/dev/null 2>&1; }
journal_empty() { [ -z "$(find "$T/state/txn" -name meta 2>/dev/null)" ]; }

define() { # NAME, XML on stdin (which may be a filter of $T/NAME.xml)
        cat >"$T/$1.xml.new" && mv "$T/$1.xml.new" "$T/$1.xml"
        kv iface-define "$T/$1.xml" >/dev/null || fail "define $1"
}

spare_index=$(ifindex spare0)

# ---- ethernet with a static address ----
define eth0 <<EOF
<interface type='ethernet' name='eth0'>
  <start mode='onboot'/>
  <protocol family='ipv4'>
    <ip address='10.80.0.2' prefix='24'/>
    <route gateway='10.80.0.1'/>
  </protocol>
</interface>
EOF
eth0_index=$(ifindex eth0)
kv iface-list >"$T/out" || fail "iface-list"
grep -q '^ eth0 ' "$T/out" && fail "eth0 listed active before iface-start: $(cat "$T/out")"
out=$(kv iface-start eth0) || fail "iface-start eth0"
[ "$out" = "Interface eth0 started" ] || fail "iface-start output: $out"
is_up eth0 || fail "eth0 not up"
has_addr eth0 10.80.0.2/24 || fail "eth0 has no 10.80.0.2/24: $(addrs eth0)"
[ "$(default_via)" = "10.80.0.1@eth0" ] || fail "default route: $(default_via)"
ping_lan 10.80.0.1 || fail "no ping across eth0"
journal_empty || fail "journal left behind: $(find "$T/state/txn")"
kv iface-list >"$T/out" || fail "iface-list"
grep -q "^ eth0 *active *$(ip -n "$H" -j link show dev eth0 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])') *yes$" "$T/out" ||
        fail "eth0 not active with its live MAC: $(cat "$T/out")"
pass "iface-start of an ethernet with a static address and a gateway (ping across)"

# ---- only the difference is applied ----
sed -e "s|<start mode='onboot'/>|&<mtu size='1400'/>|" "$T/eth0.xml" | define eth0
out=$(kv iface-start eth0 --verbose) || fail "restart with mtu"
[ "$out" = "Interface eth0 started
  set mtu of eth0 to 1400 (was 1500)" ] || fail "a changed MTU should be the only change: $out"
[ "$(ifindex eth0)" = "$eth0_index" ] || fail "eth0 was re-created"
[ "$(ip -n "$H" -j link show dev eth0 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["mtu"])')" = 1400 ] ||
        fail "mtu not 1400"
sed -e "s|10.80.0.2|10.80.0.3|" "$T/eth0.xml" | define eth0
kv iface-start eth0 --verbose >"$T/out" || fail "restart with a new address"
grep -q "add address 10.80.0.3/24" "$T/out" && grep -q "remove address 10.80.0.2/24" "$T/out" ||
        fail "address change: $(cat "$T/out")"
grep -qE "mtu|bring|create" "$T/out" && fail "more than the address changed: $(cat "$T/out")"
[ "$(addrs eth0)" = "10.80.0.3/24" ] || fail "eth0 addresses after the change: $(addrs eth0)"
[ "$(ifindex eth0)" = "$eth0_index" ] && [ "$(ifindex spare0)" = "$spare_index" ] || fail "links re-created"
is_up spare0 || fail "spare0 was brought down"
[ "$(default_via)" = "10.80.0.1@eth0" ] || fail "default route after the change: $(default_via)"
ping_lan 10.80.0.1 || fail "no ping after the address change"
out=$(kv iface-start eth0 --verbose) || fail "start again"
[ "$out" = "Interface eth0 started
  (nothing to change)" ] || fail "starting a started interface changed: $out"
pass "starting again changes only what differs (MTU, address), same ifindex, nothing else bounced"

# ---- live iface-dumpxml and iface-list --all ----
kv iface-dumpxml eth0 >"$T/live.xml" || fail "live dumpxml"
grep -q "<mtu size='1400'/>" "$T/live.xml" && grep -q "<ip address='10.80.0.3' prefix='24'/>" "$T/live.xml" &&
        grep -q "<route gateway='10.80.0.1'/>" "$T/live.xml" && grep -q "<link .*state='up'" "$T/live.xml" &&
        grep -q "<mac address='" "$T/live.xml" || fail "live XML: $(cat "$T/live.xml")"
kv iface-dumpxml --inactive eth0 | cmp -s - "$T/eth0.xml" && fail "--inactive should differ from live"
kv iface-dumpxml --inactive eth0 | grep -q "<link" && fail "--inactive shows live state"
xml_validate "$T/live.xml" interface
kv iface-list --all >"$T/out" || fail "iface-list --all"
grep -q '^ spare0 *active *[0-9a-f:]* *no$' "$T/out" || fail "unconfigured spare0 not listed as such: $(cat "$T/out")"
grep -q '^ eth1 *inactive *[0-9a-f:]* *no$' "$T/out" || fail "unconfigured eth1 (down): $(cat "$T/out")"
kv iface-list --inactive >"$T/out" || fail "iface-list --inactive"
grep -qE '^ (spare0|eth1|eth0) ' "$T/out" && fail "--inactive lists more than configured-but-down: $(cat "$T/out")"
kv iface-dumpxml spare0 | grep -q "<interface type='ethernet' name='spare0'>" || fail "dumpxml of an unconfigured link"
expect_error 5 "iface-dumpxml --inactive|no interface named 'spare0'" kv iface-dumpxml --inactive spare0
pass "live iface-dumpxml (virt-xml-validate), iface-list --all marks unconfigured links"

# ---- iface-destroy ----
out=$(kv iface-destroy eth0) || fail "iface-destroy eth0"
[ "$out" = "Interface eth0 destroyed" ] || fail "iface-destroy output: $out"
is_up eth0 && fail "eth0 still up"
[ -z "$(addrs eth0)" ] || fail "eth0 keeps addresses: $(addrs eth0)"
[ -z "$(default_via)" ] || fail "default route left: $(default_via)"
[ "$(ifindex eth0)" = "$eth0_index" ] || fail "eth0 (a NIC) was deleted"
is_up spare0 || fail "spare0 brought down by iface-destroy"
kv iface-undefine eth0 >/dev/null || fail "undefine eth0"
pass "iface-destroy brings the NIC down without addresses or routes"

# ---- a bridge over a veth ----
define br0 <<EOF
<interface type='bridge' name='br0'>
  <start mode='onboot'/>
  <protocol family='ipv4'>
    <ip address='10.81.0.2' prefix='24'/>
  </protocol>
  <bridge stp='off' delay='0'>
    <interface type='ethernet' name='eth1'/>
  </bridge>
</interface>
EOF
kv iface-start br0 >/dev/null || fail "iface-start br0"
[ "$(kind_of br0)" = bridge ] || fail "br0 is a $(kind_of br0)"
[ "$(master_of eth1)" = br0 ] || fail "eth1's master: $(master_of eth1)"
is_up br0 && is_up eth1 || fail "br0 or eth1 not up"
has_addr br0 10.81.0.2/24 || fail "br0 address: $(addrs br0)"
[ -z "$(addrs eth1)" ] || fail "the port carries addresses: $(addrs eth1)"
ping_lan 10.81.0.1 || fail "no ping through the bridge"
kv iface-list >"$T/out" || fail "iface-list"
grep -q '^ br0 *active .* yes$' "$T/out" || fail "br0 not active: $(cat "$T/out")"
grep -q '^ eth1 ' "$T/out" && fail "port eth1 listed at top level: $(cat "$T/out")"
kv iface-dumpxml br0 >"$T/br0-live.xml" || fail "dumpxml br0"
grep -q "<bridge stp='off' delay='0'>" "$T/br0-live.xml" && grep -q "<interface type='ethernet' name='eth1'>" "$T/br0-live.xml" ||
        fail "live bridge XML: $(cat "$T/br0-live.xml")"
xml_validate "$T/br0-live.xml" interface
kv iface-destroy br0 >/dev/null || fail "iface-destroy br0"
ip -n "$H" link show dev br0 >/dev/null 2>&1 && fail "br0 still exists"
[ "$(master_of eth1)" = - ] || fail "eth1 still enslaved"
is_up eth1 && fail "eth1 still up"
kv iface-undefine br0 >/dev/null || fail "undefine br0"
pass "bridge over a veth: start (ping through it), live XML, destroy"

# ---- a failure part-way leaves nothing behind ----
before=$(snapshot)
define br2 <<EOF
<interface type='bridge' name='br2'>
  <mtu size='1450'/>
  <protocol family='ipv4'>
    <ip address='10.81.0.5' prefix='24'/>
    <route gateway='10.99.0.1'/>
  </protocol>
  <bridge stp='off' delay='0'>
    <interface type='ethernet' name='eth1'/>
  </bridge>
</interface>
EOF
expect_error 9 "iface-start br2: add default route via 10.99.0.1 on br2: .*unreachable.*; the [0-9]+ steps done were undone" \
        kv iface-start br2
after=$(snapshot)
[ "$before" = "$after" ] || fail "a failed iface-start left changes: $(diff <(echo "$before") <(echo "$after"))"
journal_empty || fail "journal left behind after a failure"
expect_error 5 "iface-start: no interface named 'nope0'" kv iface-start nope0
expect_error 5 "iface-start: 'eth1' is not a top-level interface: it is a port of bridge br2" kv iface-start eth1
kv iface-undefine br2 >/dev/null
pass "a refused step (route via an unreachable gateway) is named and everything is undone"

# ---- DHCP, from dnsmasq in the LAN namespace ----
if command -v dnsmasq >/dev/null && { [ -x /bin/busybox ] || [ -x /usr/bin/busybox ] || command -v udhcpc >/dev/null; }; then
        ip netns exec "$L" dnsmasq --conf-file=/dev/null --no-hosts --no-resolv --port=0 --user=root \
                --interface=lan0 --bind-interfaces --dhcp-range=10.80.0.100,10.80.0.150,255.255.255.0,1h \
                --dhcp-option=3,10.80.0.1 --dhcp-leasefile="$T/leases" --pid-file="$T/dnsmasq.pid" ||
                fail "dnsmasq"
        define eth0 <<EOF
<interface type='ethernet' name='eth0'>
  <start mode='onboot'/>
  <protocol family='ipv4'>
    <dhcp/>
  </protocol>
</interface>
EOF
        kv iface-start eth0 >/dev/null || fail "iface-start with DHCP"
        a=$(addrs eth0)
        case $a in 10.80.0.1[0-4][0-9]/24 | 10.80.0.150/24) ;; *) fail "no leased address: '$a'" ;; esac
        [ "$(default_via)" = "10.80.0.1@eth0" ] || fail "DHCP default route: $(default_via)"
        kv iface-dumpxml eth0 | grep -q "<dhcp/>" || fail "live XML without <dhcp/>"
        ping_lan 10.80.0.1 || fail "no ping with the leased address"
        [ -n "$(ip netns pids "$H")" ] || fail "no DHCP client runs in the namespace"
        kv iface-destroy eth0 >/dev/null || fail "iface-destroy of DHCP"
        [ -z "$(addrs eth0)" ] || fail "leased address left: $(addrs eth0)"
        [ -z "$(ip netns pids "$H")" ] || fail "DHCP client still running: $(ip netns pids "$H")"
        kill "$(cat "$T/dnsmasq.pid")"
        pass "DHCP: lease from dnsmasq, default route, <dhcp/> in the live XML, destroy stops the client"

        if [ "$MODE" = daemon ]; then
                # No DHCP server now: the start waits ~10 s for a lease on the
                # daemon's worker, then fails and undoes itself.  Meanwhile
                # other connections are served, and this connection's next
                # requests wait their turn.
                before=$(snapshot)
                "$KN_RAWCLIENT" "$T/rw" 'send:{"id":1,"verb":"iface-start","args":{"name":"eth0"}}\n{"id":2,"verb":"iface-list"}\n{"id":3,"verb":"hello"}\n' sleep:8 read:3 \
                        >"$T/pipelined" 2>&1 &
                SLOW=$!
                EXTRA_PIDS="$EXTRA_PIDS $SLOW"
                sleep 0.5
                t0=$(date +%s%N)
                kv iface-list --all >/dev/null || fail "iface-list while a start waits"
                kv iface-dumpxml eth1 >/dev/null || fail "iface-dumpxml while a start waits"
                t1=$(date +%s%N)
                kill -0 "$SLOW" 2>/dev/null || fail "the DHCP start ended too early: $(cat "$T/pipelined")"
                [ $(((t1 - t0) / 1000000)) -lt 2000 ] || fail "other clients waited $(((t1 - t0) / 1000000)) ms"
                wait "$SLOW" || fail "pipelined requests: $(cat "$T/pipelined")"
                [ "$(sed -n 's/^{"id":\([0-9]*\).*/\1/p' "$T/pipelined" | tr '\n' ' ')" = "1 2 3 " ] ||
                        fail "replies out of order: $(cat "$T/pipelined")"
                grep -q '^{"id":1,"ok":false,"error":{"code":"[A-Z]*","message":"iface-start eth0: eth0: no DHCP lease' "$T/pipelined" ||
                        fail "DHCP failure: $(head -1 "$T/pipelined")"
                [ "$before" = "$(snapshot)" ] || fail "a failed DHCP start left changes"
                [ -z "$(ip netns pids "$H")" ] || fail "DHCP client left running"
                pass "a start waiting for DHCP holds back only its own connection, replies stay in order, the failure is undone"

                # --timeout bounds the wait (exit 8: timeout); on a terminal
                # (script(1) gives one) the wait is shown, and --verbose lists
                # the steps undone.  With --json, no progress, the error and
                # its steps as JSON on stdout.
                t0=$(date +%s%N)
                script -qec "$KVMNET -c unix://$T/rw iface-start eth0 --timeout 2 --verbose" /dev/null \
                        >"$T/tty" 2>&1
                rc=$?
                ms=$((($(date +%s%N) - t0) / 1000000))
                [ "$rc" = 8 ] || fail "iface-start --timeout 2 exited $rc: $(cat "$T/tty")"
                [ "$ms" -ge 1500 ] && [ "$ms" -lt 6000 ] || fail "iface-start --timeout 2 took $ms ms"
                grep -q "iface-start eth0: applying it (a DHCP lease can take seconds) (1 s)" "$T/tty" ||
                        fail "no progress shown on a terminal: $(cat -v "$T/tty")"
                grep -q "error: iface-start eth0: eth0: no DHCP lease within 2 s" "$T/tty" ||
                        fail "timeout error: $(cat -v "$T/tty")"
                grep -A1 "^Undone (the last step done first):" "$T/tty" | grep -q "^  " ||
                        fail "--verbose lists no undone steps: $(cat -v "$T/tty")"
                rc=0
                kv --json iface-start eth0 --timeout 0.5 >"$T/json" 2>/dev/null || rc=$?
                [ "$rc" = 8 ] || fail "--json iface-start --timeout 0.5 exited $rc"
                python3 - "$T/json" <<'PY' || fail "--json timeout error: $(cat "$T/json")"
import json, sys
e = json.load(open(sys.argv[1]))["error"]
assert e["code"] == "ETIMEDOUT", e
assert "no DHCP lease within 0.5 s" in e["message"], e
assert e["undone"] and all(isinstance(s, str) for s in e["undone"]), e
PY
                [ "$before" = "$(snapshot)" ] || fail "a timed-out DHCP start left changes"
                [ -z "$(ip netns pids "$H")" ] || fail "DHCP client left running after --timeout"
                expect_error 2 "iface-start: --timeout '1e3' is not a number of seconds" kv iface-start eth0 --timeout 1e3
                pass "iface-start --timeout: exit 8 in time, progress on a terminal, --verbose and --json list the undone steps"
        fi
else
        skip_part DHCP "dnsmasq or busybox udhcpc missing"
fi

if [ "$MODE" = daemon ]; then
        expect_error 6 "iface-start is refused on a read-only connection" \
                "$KVMNET" -c "unix://$T/ro" iface-start br0
        expect_error 6 "iface-destroy is refused on a read-only connection" \
                "$KVMNET" -c "unix://$T/ro" iface-destroy br0
        grep -q "client [0-9]* (uid 0): error: iface-start br2: add default route" "$T/daemon.log" ||
                fail "failure not logged"
        pass "the read-only socket refuses iface-start and iface-destroy"
        stop_daemon

        # A live change whose process was killed is undone at the next
        # start: its undo log is replayed and the outcome logged.
        kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=
        mkdir -p "$T/state/txn/iface-start-br0"
        printf 'explicit=0\nuid=0\npid=1\nclient=test\nverb=iface-start\nopened=0\nconfirm_by=0\nnetns=%s\nowner_pid=4194305\nboot_id=%s\n' \
                "$H" "$(cat /proc/sys/kernel/random/boot_id)" >"$T/state/txn/iface-start-br0/meta"
        : >"$T/state/txn/iface-start-br0/live.log"
        start_daemon --netns "$H"
        grep -q "a transaction opened by uid 0 (pid 1, test) with iface-start at 1970-01-01T00:00:00Z was not committed: rolling it back" "$T/daemon.log" ||
                fail "leftover journal not reported: $(cat "$T/daemon.log")"
        journal_empty || fail "leftover journal not removed"
        pass "a live change left by a killed daemon is rolled back at the next start and logged"
        stop_daemon
else
        expect_error 1 "event needs kvmnetd" kv event
        pass "offline: event is refused, naming kvmnetd"
fi
exit 0
