#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# kvmnet through a running systemd-networkd (issue 8 section 2): with
# networkd serving the namespace, iface-start reloads it over D-Bus,
# reconfigures the links and returns once networkd reports them
# configured, and says so; a networkd of another namespace on the same bus,
# or no bus at all, leaves kvmnet on its own netlink path.
#
#   H: eth0 (veth)  <-->  L: lan0 10.14.0.1/24
. "$(dirname "$0")/../daemon/lib.sh"
. "$(dirname "$0")/lib.sh"
manager_skip_unless networkd

mgr_netns host
H=$NS_MADE
mgr_netns lan
L=$NS_MADE
ip -n "$H" link add eth0 address 02:00:00:00:0e:01 type veth peer name lan0 netns "$L" &&
        ip -n "$L" addr add 10.14.0.1/24 dev lan0 && ip -n "$L" link set lan0 up ||
        fail "namespace setup"

ROOT=$T/root
mkdir -p "$ROOT/etc/systemd/network"
kv() { "$KVMNET" --root "$ROOT" --backend networkd --state-dir "$T/state" "$@"; }
cat >"$T/br1.xml" <<'X'
<interface type='bridge' name='br1'>
  <start mode='onboot'/>
  <protocol family='ipv4'>
    <ip address='10.14.0.2' prefix='24'/>
  </protocol>
  <bridge stp='off' delay='0'>
    <interface type='ethernet' name='eth0'/>
  </bridge>
</interface>
X
kv iface-define "$T/br1.xml" >/dev/null || fail "iface-define br1"
manager_start networkd "$H" "$ROOT/etc/systemd/network"

# 1. Through networkd.
kv --netns "$H" iface-start br1 --verbose >"$T/start.out" 2>&1 ||
        fail "iface-start br1: $(cat "$T/start.out")"
grep -qx 'Through systemd-networkd' "$T/start.out" ||
        fail "iface-start does not say it went through networkd: $(cat "$T/start.out")"
for s in 'configuration reloaded' 'reconfigure br1' 'reconfigure eth0' 'br1 configured' \
        'eth0 configured'; do
        grep -q "systemd-networkd: $s" "$T/start.out" || fail "no step '$s': $(cat "$T/start.out")"
done
# Done means networkd says so, at the moment kvmnet returns.
for l in br1 eth0; do
        st=$(networkd_admin_state $l)
        [ "$st" = configured ] || fail "networkd: $l is '$st' when iface-start returned"
done
grep -q 'Got message.*member=Reload ' "$T/networkd.log" || fail "networkd's log shows no Reload call"
grep -q 'member=ReconfigureLink' "$T/networkd.log" || fail "networkd's log shows no ReconfigureLink"
ip -n "$H" -br addr show br1 | grep -q ' 10\.14\.0\.2/24' || fail "br1 has no 10.14.0.2/24"
ip -n "$H" link show eth0 | grep -q 'master br1' || fail "eth0 is not a port of br1"
ip netns exec "$L" ping -c 2 -W 2 -q 10.14.0.2 >/dev/null || fail "10.14.0.2 does not answer"
pass "iface-start through systemd-networkd: reloaded, reconfigured, configured"

# 2. iface-destroy: networkd has no deactivation, and a Reload would make
# the bridge anew from its .netdev file: netlink's, and none.
kv --netns "$H" iface-destroy br1 >"$T/destroy.out" 2>&1 || fail "iface-destroy: $(cat "$T/destroy.out")"
grep -q Through "$T/destroy.out" && fail "networkd has no deactivation: iface-destroy is netlink's"
sleep 1
ip -n "$H" link show br1 >/dev/null 2>&1 && fail "br1 is there after iface-destroy (made anew?)"
pass "iface-destroy: kvmnet's netlink path (networkd has no deactivation)"

# 3. A networkd serving another namespace is not this one's manager.
mgr_netns other
O=$NS_MADE
ip -n "$O" link add eth0 type veth peer name lan0 || fail "setup $O"
ip -n "$O" link set lan0 up
kv --netns "$O" iface-start br1 --verbose >"$T/other.out" 2>&1 || fail "iface-start in $O: $(cat "$T/other.out")"
grep -q -i networkd "$T/other.out" && fail "networkd of $H used for $O: $(cat "$T/other.out")"
ip -n "$O" -br addr show br1 | grep -q ' 10\.14\.0\.2/24' || fail "netlink path: no br1 in $O"
pass "a networkd of another namespace on the same bus is not used"

# 4. No bus: netlink, no error.
KVMNET_SYSTEM_BUS=unix:path=$T/no-such-socket kv --netns "$O" iface-destroy br1 >"$T/nobus.out" 2>&1 ||
        fail "iface-destroy with no bus: $(cat "$T/nobus.out")"
pass "no bus: the netlink path"

# 5. iface-bridge of a NIC networkd configured: the files written, networkd
# reloaded, the bridge and its port reconfigured and waited for.
ip -n "$H" link add eth1 address 02:00:00:00:0e:02 type veth peer name lan1 netns "$L" &&
        ip -n "$L" addr add 10.15.0.1/24 dev lan1 && ip -n "$L" link set lan1 up || fail "eth1 setup"
cat >"$T/eth1.xml" <<'X'
<interface type='ethernet' name='eth1'>
  <start mode='onboot'/>
  <protocol family='ipv4'>
    <ip address='10.15.0.2' prefix='24'/>
  </protocol>
</interface>
X
kv --netns "$H" iface-define "$T/eth1.xml" >/dev/null || fail "iface-define eth1"
# The define's Reload: networkd configures eth1 by itself.
for _ in $(seq 300); do [ "$(networkd_admin_state eth1)" = configured ] && break; sleep 0.1; done
[ "$(networkd_admin_state eth1)" = configured ] || fail "networkd did not configure eth1 after the define"
kv --netns "$H" iface-bridge eth1 br2 --verbose >"$T/bridge.out" 2>&1 ||
        fail "iface-bridge eth1 br2: $(cat "$T/bridge.out")"
grep -qx 'Through systemd-networkd' "$T/bridge.out" && grep -q 'br2 configured' "$T/bridge.out" ||
        fail "iface-bridge not through networkd: $(cat "$T/bridge.out")"
[ "$(networkd_admin_state br2)" = configured ] || fail "br2 is $(networkd_admin_state br2)"
ip -n "$H" link show eth1 | grep -q 'master br2' || fail "eth1 is not a port of br2"
ip netns exec "$L" ping -c 2 -W 2 -q 10.15.0.2 >/dev/null || fail "10.15.0.2 does not answer on br2"
pass "iface-bridge through systemd-networkd"

# networkd deletes no netdev: kvmnet moves the NIC back over netlink, then
# networkd (which saw the port released under the old file) is reloaded
# and reconfigures eth1 by the new one.
kv --netns "$H" iface-unbridge br2 --verbose >"$T/unbridge.out" 2>&1 ||
        fail "iface-unbridge: $(cat "$T/unbridge.out")"
grep -qx 'Through systemd-networkd' "$T/unbridge.out" &&
        grep -q 'netlink: eth1 released from br2' "$T/unbridge.out" &&
        grep -q 'systemd-networkd: eth1 configured' "$T/unbridge.out" ||
        fail "iface-unbridge steps: $(cat "$T/unbridge.out")"
ip -n "$H" link show br2 >/dev/null 2>&1 && fail "br2 still there after iface-unbridge"
ip -n "$H" -br addr show eth1 | grep -q ' 10\.15\.0\.2/24' || fail "eth1 lacks 10.15.0.2/24 after unbridge"
[ "$(networkd_admin_state eth1)" = configured ] || fail "networkd: eth1 is $(networkd_admin_state eth1) after unbridge"
ip netns exec "$L" ping -c 2 -W 2 -q 10.15.0.2 >/dev/null || fail "10.15.0.2 does not answer after unbridge"
pass "iface-unbridge: netlink, then networkd reloaded and eth1 configured by it"
