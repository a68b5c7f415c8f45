#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The net-* verbs through kvmnetd serving a throw-away namespace (never
# this machine's own):
#   host  kvmnetd's namespace: an uplink veth to
#   lan   192.0.2.1, the world;
#   g1    a stand-in guest: a veth into the network's bridge, busybox udhcpc.
# Checks: the default network shipped on first run, moved off a taken
# 192.168.122.0/24 and autostarted; define/start/list/info/dumpxml (valid
# XML); a DHCP lease through net-dhcp-leases and NAT to the LAN; net-update
# live and in the file; every refusal naming its conflict; a guest tap
# blocks net-destroy without --force; kill -9 of kvmnetd and a restart
# adopt dnsmasq (same pid); after destroy no bridge, table, dnsmasq or
# changed sysctl.  Needs root, ip, dnsmasq, busybox, nft (exit 77).
. "$(dirname "$0")/../daemon/lib.sh"

can_netns || skip "needs root and ip (network namespaces)"
[ -x /usr/sbin/dnsmasq ] && command -v busybox >/dev/null && command -v nft >/dev/null &&
        command -v virt-xml-validate >/dev/null ||
        skip "needs dnsmasq, busybox, nft and virt-xml-validate"

P=knhd-$$
H=$P-host LAN=$P-lan G1=$P-g1
for ns in $H $LAN $G1; do
        ip netns add "$ns" || fail "ip netns add $ns"
        NETNS_LIST="$NETNS_LIST $ns"
        ip -n "$ns" link set lo up
done
ip -n "$H" link add up0 type veth peer name eth0 netns "$LAN" &&
        ip -n "$H" addr add 192.0.2.2/24 dev up0 && ip -n "$H" link set up0 up &&
        ip -n "$H" route add default via 192.0.2.1 &&
        ip -n "$LAN" addr add 192.0.2.1/24 dev eth0 && ip -n "$LAN" link set eth0 up ||
        fail "uplink"
# 192.168.122.0/24 is taken on the host: the default network must move.
ip -n "$H" link add taken0 type veth peer name taken0p &&
        ip -n "$H" addr add 192.168.122.5/24 dev taken0 && ip -n "$H" link set taken0 up ||
        fail "taken0"

ROOT=$T/root
make_root "$ROOT" ifupdown
mkdir -m 755 "$T/state" "$T/state2" # dnsmasq (nobody) re-reads its hosts files there
[ "$(ip netns exec "$H" cat /proc/sys/net/ipv4/ip_forward)" = 0 ] || fail "ip_forward set already"

# ---- offline, before kvmnetd: a start whose last step fails leaves nothing
ROOT2=$T/root2
make_root "$ROOT2" ifupdown
printf "<network><name>lab2</name><forward mode='nat'/><bridge name='kvbr9'/><ip address='10.88.0.1' prefix='24'><dhcp><range start='10.88.0.10' end='10.88.0.20'/></dhcp></ip></network>" >"$T/lab2.xml"
off() { "$KVMNET" --root "$ROOT2" --netns "$H" --state-dir "$T/state2" "$@"; }
off net-define "$T/lab2.xml" >/dev/null || fail "offline net-define"
rc=0
KVMNET_TEST_DNSMASQ=/bin/false off net-start lab2 >"$T/out" 2>&1 || rc=$?
[ "$rc" = 9 ] && grep -q "^error: net-start lab2: .*; the [0-9]* steps done were undone$" "$T/out" || fail "a failing dnsmasq: rc $rc, $(cat "$T/out")"
ip -n "$H" link show kvbr9 >/dev/null 2>&1 && fail "kvbr9 left by a failed start"
ip netns exec "$H" nft list tables | grep -q kvmnet && fail "a table left by a failed start"
[ "$(ip netns exec "$H" cat /proc/sys/net/ipv4/ip_forward)" = 0 ] || fail "ip_forward left on"
rc=0
KVMNET_TEST_DNSMASQ=/bin/false off net-start lab2 --verbose >"$T/out" 2>&1 || rc=$?
[ "$rc" = 9 ] && grep -A9 "^Undone (the last step done first):" "$T/out" | tr -d ' ' | tr '\n' '|' |
        grep -q "deletenfttableoflab2|releaseIPforwarding|.*createbridgekvbr9" ||
        fail "net-start --verbose does not list the undone steps, last first: rc $rc, $(cat "$T/out")"
[ ! -e "$T/state2/networks/lab2.xml" ] || fail "lab2 marked running"
off net-list --all | grep -Eq '^ lab2 +inactive' || fail "lab2 not inactive"
off net-start lab2 | grep -q "^Network lab2 started on kvbr9" || fail "offline net-start"
ip -n "$H" link show kvbr9 >/dev/null || fail "no kvbr9"
off net-destroy lab2 | grep -q "^Network lab2 destroyed" || fail "offline net-destroy"
[ "$(ip netns exec "$H" cat /proc/sys/net/ipv4/ip_forward)" = 0 ] || fail "ip_forward left on"
pgrep -f "conf-file=$T/state2/" >/dev/null && fail "offline dnsmasq left"
pass "offline: a start whose dnsmasq fails undoes bridge, table and sysctl; start and destroy without kvmnetd"

KVMNET_SHIP_DEFAULT_NETWORK=1 start_daemon --netns "$H" -v
kv() { "$KVMNET" -c "unix://$T/rw" "$@"; }

# ---- the default network: shipped, moved, autostarted
wait_for() {
        local i
        for i in $(seq 100); do "$@" >/dev/null 2>&1 && return 0; sleep 0.05; done
        return 1
}
grep -q "192.168.122.0/24 overlaps the address 192.168.122.5/24 on taken0; using 192.168.123.0/24" \
        "$T/daemon.log" || fail "the default network's move was not said"
kv net-list >"$T/out" || fail "net-list"
grep -Eq '^ default +active +yes +yes +kvbr0' "$T/out" || fail "default not active: $(cat "$T/out")"
ip -n "$H" -4 -o addr show dev kvbr0 | grep -q "192.168.123.1/24" || fail "kvbr0 has no 192.168.123.1"
[ -L "$ROOT/etc/kvmnet/networks/autostart/default.xml" ] || fail "default is not autostart"
pass "the default network is shipped on 192.168.123.0/24 (122 is taken) and autostarted on kvbr0"

# ---- define, start, list, info, dumpxml
cat >"$T/lab.xml" <<'EOF'
<network>
  <name>lab</name>
  <forward mode='nat'/>
  <bridge stp='off'/>
  <mtu size='1400'/>
  <mac address='52:54:00:0A:0B:0C'/>
  <ip address='10.77.0.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='10.77.0.100' end='10.77.0.200'/>
      <host mac='52:54:00:77:00:01' name='g1' ip='10.77.0.11'/>
    </dhcp>
  </ip>
  <ip family='ipv6' address='fd00:77::1' prefix='64'/>
</network>
EOF
kv net-define "$T/lab.xml" | grep -q "^Network lab defined$" || fail "net-define"
kv net-list | grep -q " lab " && fail "an inactive network in net-list without --all"
kv net-list --all | grep -Eq '^ lab +inactive +no +yes +kvbr1' || fail "lab inactive on kvbr1"
# Every network's lease file is watched by one inotify instance of
# kvmnetd's (root has 128 on the whole machine): a second one adds none.
inotify_fds() { find "/proc/$DAEMON_PID/fd" -lname 'anon_inode:inotify' | wc -l; }
kv net-list | grep -Eq '^ default +active' || fail "default not running: $(kv net-list)"
INO=$(inotify_fds)
kv net-start lab >"$T/out" || fail "net-start: $(cat "$T/out")"
[ "$(inotify_fds)" = "$INO" ] || fail "net-start lab: kvmnetd went from $INO to $(inotify_fds) inotify instances"
grep -q "^Network lab started on kvbr1 (dnsmasq pid [0-9]*)" "$T/out" || fail "net-start: $(cat "$T/out")"
PID1=$(sed -n 's/.*dnsmasq pid \([0-9]*\).*/\1/p' "$T/out")
ip -n "$H" -d link show kvbr1 | grep -q "mtu 1400" || fail "kvbr1 mtu"
ip -n "$H" link show kvbr1 | grep -q "link/ether 52:54:00:0a:0b:0c" || fail "kvbr1 mac: $(ip -n "$H" link show kvbr1)"
ip -n "$H" -6 addr show dev kvbr1 | grep -q "fd00:77::1/64" || fail "kvbr1 has no fd00:77::1"
[ "$(ip netns exec "$H" cat /proc/sys/net/ipv6/conf/all/forwarding)" = 1 ] || fail "IPv6 forwarding not on"
ip netns exec "$H" nft list table inet kvmnet-lab >/dev/null || fail "no nft table"
[ "$(ip netns exec "$H" cat /proc/sys/net/ipv4/ip_forward)" = 1 ] || fail "ip_forward not on"
kv net-list --json | python3 -c '
import json, sys
n = {x["name"]: x for x in json.load(sys.stdin)["networks"]}
assert n["lab"]["active"] and n["lab"]["subnets"] == ["10.77.0.0/24", "fd00:77::/64"], n
' || fail "net-list --json"
kv net-info lab | grep -q "^DHCP/DNS: *$PID1$" || fail "net-info: $(kv net-info lab)"
kv net-dumpxml lab >"$T/lab.out.xml" || fail "net-dumpxml"
virt-xml-validate "$T/lab.out.xml" network >/dev/null || fail "dumpxml not valid: $(cat "$T/lab.out.xml")"
grep -q "<bridge name='kvbr1' stp='off'/>" "$T/lab.out.xml" || fail "dumpxml bridge"
pass "net-define, net-start, net-list [--all] [--json], net-info, net-dumpxml (valid XML)"

# ---- a guest gets its pinned lease and reaches the LAN through the NAT
ip -n "$H" link add g1p type veth peer name eth0 netns "$G1" &&
        ip -n "$H" link set g1p master kvbr1 && ip -n "$H" link set g1p up &&
        ip -n "$G1" link set eth0 address 52:54:00:77:00:01 && ip -n "$G1" link set eth0 up ||
        fail "guest veth"
"$KVMNET" -c "unix://$T/ro" event --loop --json --timeout 30 >"$T/events" 2>&1 &
EV=$!
EXTRA_PIDS="$EXTRA_PIDS $EV"
wait_for grep -q "event-subscribe: ok" "$T/daemon.log" || fail "event did not subscribe"
cat >"$T/udhcpc.sh" <<'EOF'
#!/bin/sh
case $1 in
bound|renew)
        ip addr flush dev "$interface"
        ip addr add "$ip/${mask:-24}" dev "$interface"
        for r in $router; do ip route replace default via "$r" dev "$interface"; break; done
        ;;
esac
exit 0
EOF
chmod 755 "$T/udhcpc.sh"
ip netns exec "$G1" busybox udhcpc -i eth0 -n -q -f -t 5 -T 1 -s "$T/udhcpc.sh" >"$T/udhcpc.out" 2>&1 ||
        fail "no DHCP lease: $(cat "$T/udhcpc.out")"
ip -n "$G1" -4 -o addr show dev eth0 | grep -q "10.77.0.11/24" || fail "not the pinned address"
wait_for sh -c "\"$KVMNET\" -c unix://$T/rw net-dhcp-leases lab | grep -q '52:54:00:77:00:01 *ipv4 *10.77.0.11/24'" ||
        fail "net-dhcp-leases: $(kv net-dhcp-leases lab)"
[ "$(kv net-dhcp-leases lab --mac 52:54:00:00:00:99 | grep -c ipv4)" = 0 ] || fail "--mac filter"
wait_for grep -q '"event":"net-lease","action":"added","network":"lab","family":"ipv4","ip":"10.77.0.11","mac":"52:54:00:77:00:01"' "$T/events" ||
        fail "no net-lease event: $(cat "$T/events")"
kill "$EV"
ip netns exec "$G1" ping -c 1 -W 2 192.0.2.1 >/dev/null || fail "no way to the LAN through the NAT"
pass "a guest gets its pinned address (net-dhcp-leases and a net-lease event show it) and reaches the LAN"

# ---- net-update: live (same dnsmasq) and in the file
kv net-update lab add dns-host "<host ip='10.77.0.50'><hostname>db</hostname></host>" |
        grep -q "Updated network lab live and persistent config" || fail "net-update"
grep -q "db" "$T/state/dnsmasq/lab.addnhosts" 2>/dev/null || fail "addn-hosts: $(ls "$T/state/dnsmasq")"
grep -q "<hostname>db</hostname>" "$ROOT/etc/kvmnet/networks/lab.xml" || fail "not in the file"
wait_for sh -c "ip netns exec $G1 busybox nslookup db 10.77.0.1 | grep -q 10.77.0.50" ||
        fail "db does not resolve"
[ "$(pgrep -f "conf-file=$T/state/dnsmasq/lab.conf")" = "$PID1" ] || fail "dnsmasq was restarted"
expect_error 7 "a DHCP host for 10.77.0.11 is already there" kv net-update lab add ip-dhcp-host \
        "<host mac='52:54:00:77:00:01' ip='10.77.0.11'/>"
pass "net-update dns-host: live by SIGHUP (same dnsmasq, the name resolves) and in the file"

# ---- refusals, each naming its conflict
printf "<network><name>clash</name><ip address='192.0.2.50' prefix='24'/></network>" >"$T/c.xml"
kv net-define "$T/c.xml" >/dev/null || fail "define clash"
expect_error 1 "subnet 192.0.2.0/24 overlaps the host's (address 192.0.2.2/24 on up0|route 192.0.2.0/24 dev up0)" kv net-start clash
printf "<network><name>busy</name><bridge name='up0'/></network>" >"$T/b.xml"
kv net-define "$T/b.xml" >/dev/null || fail "define busy"
expect_error 7 "bridge up0 is in use: a link of that name exists" kv net-start busy
printf "<network><name>lab</name><ip address='10.78.0.1' prefix='24'/></network>" >"$T/d.xml"
expect_error 7 "network lab is already defined with UUID" kv net-define "$T/d.xml"
printf "<network><name>other</name><bridge name='kvbr1'/></network>" >"$T/e.xml"
expect_error 7 "bridge kvbr1 is network lab's" kv net-define "$T/e.xml"
printf "<network><name>r</name><ip address='10.79.0.1' prefix='24'><dhcp><range start='10.80.0.2' end='10.80.0.9'/></dhcp></ip></network>" >"$T/f.xml"
expect_error 1 "DHCP range 10.80.0.2-10.80.0.9: 10.80.0.2 is outside the subnet 10.79.0.0/24" kv net-define "$T/f.xml"
printf "<network><name>../../etc/x</name></network>" >"$T/g.xml"
expect_error 1 "network name '../../etc/x' starts with '.'" kv net-define "$T/g.xml"
printf "<network><name>x</name><bridge name='a23456789012345x'/></network>" >"$T/h.xml"
expect_error 1 "bridge name 'a23456789012345x' is 16 characters long" kv net-define "$T/h.xml"
printf "<network><name>x</name>\n<dhcp/></network>" >"$T/i.xml"
expect_error 1 "net-define XML:2: element <dhcp>: not expected inside <network>" kv net-define "$T/i.xml"
[ ! -e "$ROOT/etc/x.xml" ] && [ ! -e "$ROOT/etc/kvmnet/networks/x.xml" ] || fail "a refused define wrote"
for verb in net-start net-destroy net-info net-dumpxml net-dhcp-leases net-undefine net-autostart; do
        expect_error 1 "$verb: network name '../../etc/passwd' starts with '.'" kv $verb ../../etc/passwd
done
expect_error 1 "net-update: network name 'a/b' contains '/'" kv net-update a/b add dns-host "<host ip='1.2.3.4'><hostname>x</hostname></host>"
expect_error 7 "network lab is already active" kv net-start lab
kv net-undefine clash >/dev/null && kv net-undefine busy >/dev/null || fail "undefine"
[ ! -e "$ROOT/etc/kvmnet/networks/clash.xml" ] || fail "clash.xml left"
pass "refusals: host address, bridge in use, same name, another network's bridge, range outside, hostile names, 16-char bridge, bad XML with its line, already active"

# ---- a guest tap on the bridge blocks net-destroy
ip -n "$H" tuntap add kvtap9 mode tap && ip -n "$H" link set kvtap9 master kvbr1 || fail "tap"
expect_error 7 "network lab is in use by guest NICs \(kvtap9 on kvbr1\)" kv net-destroy lab
pass "net-destroy is refused while a guest tap is on the bridge, naming it"

# ---- kvmnetd killed with -9 and restarted: dnsmasq adopted, not restarted
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
DAEMON_PID=
rm -f "$T/rw" "$T/ro"
ip netns exec "$H" nft delete table inet kvmnet-lab || fail "nft delete" # lost meanwhile
start_daemon --netns "$H" -v
ip netns exec "$H" nft list table inet kvmnet-lab >/dev/null || fail "the lost table not put back"
kv net-info lab >"$T/out" || fail "net-info after restart"
grep -q "^DHCP/DNS: *$PID1 (adopted)" "$T/out" || fail "dnsmasq not adopted: $(cat "$T/out")"
grep -q "network lab: adopted" "$T/daemon.log" || fail "no adoption logged"
kv net-dhcp-leases lab | grep -q "10.77.0.11/24" || fail "the lease is gone after the restart"
pass "kill -9 of kvmnetd and a restart adopt dnsmasq (same pid), keep the lease, put a lost nft table back"

# ---- a killed dnsmasq is started again
kill -9 "$PID1"
wait_for sh -c "pgrep -f 'conf-file=$T/state/dnsmasq/lab.conf' | grep -vx $PID1" ||
        fail "dnsmasq was not restarted"
grep -q "network lab: dnsmasq $PID1 exited" "$T/daemon.log" || fail "the death is not logged"
pass "a killed dnsmasq is restarted by kvmnetd (and logged)"

# ---- destroy: nothing left
kv net-destroy lab --force | grep -q "^Network lab destroyed$" || fail "net-destroy --force"
ip -n "$H" link show kvbr1 >/dev/null 2>&1 && fail "kvbr1 left"
ip netns exec "$H" nft list table inet kvmnet-lab >/dev/null 2>&1 && fail "table left"
pgrep -f "conf-file=$T/state/dnsmasq/lab.conf" >/dev/null && fail "dnsmasq left"
kv net-list --all | grep -Eq '^ lab +inactive' || fail "lab not inactive"
[ "$(ip netns exec "$H" cat /proc/sys/net/ipv4/ip_forward)" = 1 ] || fail "default still forwards"
[ "$(ip netns exec "$H" cat /proc/sys/net/ipv6/conf/all/forwarding)" = 0 ] || fail "IPv6 forwarding not restored"
kv net-destroy default >/dev/null || fail "destroy default"
[ "$(ip netns exec "$H" cat /proc/sys/net/ipv4/ip_forward)" = 0 ] || fail "ip_forward not restored"
ip netns exec "$H" nft list tables | grep -q kvmnet && fail "a kvmnet table left"
pgrep -f "conf-file=$T/state/dnsmasq/" >/dev/null && fail "a dnsmasq left"
pass "net-destroy leaves no bridge, table, dnsmasq; the last network gives ip_forward back"

# ---- net-edit: $EDITOR on the stored definition, checked by net-define
EDITOR="sed -i s/1400/1300/" kv net-edit lab | grep -q "^Network lab XML configuration edited.$" ||
        fail "net-edit"
grep -q "<mtu size='1300'/>" "$ROOT/etc/kvmnet/networks/lab.xml" || fail "net-edit did not save"
rc=0
EDITOR="sed -i s/1300/99999/" kv net-edit lab </dev/null >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 1 ] && grep -q "kvmnet-lab-.*\.xml:[0-9]*: element <mtu>: attribute 'size': 99999 is out of range" "$T/err" &&
        grep -q "net-edit: lab not changed" "$T/err" || fail "a bad edit: rc $rc, $(cat "$T/err")"
grep -q "<mtu size='1300'/>" "$ROOT/etc/kvmnet/networks/lab.xml" || fail "a bad edit was saved"
pass "net-edit saves a valid edit and refuses an invalid one"

# ---- autostart, undefine; a restart starts autostart networks only
kv net-autostart lab | grep -q "marked as autostarted" || fail "net-autostart"
kv net-autostart default --disable >/dev/null || fail "net-autostart --disable"
[ -L "$ROOT/etc/kvmnet/networks/autostart/lab.xml" ] && [ ! -e "$ROOT/etc/kvmnet/networks/autostart/default.xml" ] ||
        fail "autostart links"
stop_daemon
start_daemon --netns "$H" -v
kv net-list | grep -Eq '^ lab +active' || fail "lab not autostarted"
kv net-list | grep -q " default " && fail "default started though not autostart"
kv net-undefine lab >/dev/null || fail "undefine"
[ ! -e "$ROOT/etc/kvmnet/networks/lab.xml" ] && [ ! -e "$ROOT/etc/kvmnet/networks/autostart/lab.xml" ] ||
        fail "lab's files left"
kv net-list | grep -Eq '^ lab +active +no +no +kvbr1' || fail "undefined lab not listed as running: $(kv net-list)"
kv net-destroy lab >/dev/null || fail "destroy of an undefined running network"
kv net-list --all | grep -q " lab " && fail "lab still listed"
kv net-undefine default >/dev/null || fail "undefine default"
[ ! -e "$T/state/dnsmasq/default.leases" ] || fail "an undefined network's leases kept"
stop_daemon
pass "net-autostart [--disable]: kvmnetd starts exactly the autostart networks; net-undefine of a running network leaves it running until destroy"
