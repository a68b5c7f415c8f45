#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Lifecycle edges, against kvmnetd (MODE=daemon) or in-process with
# --netns (MODE=offline), in a namespace made here:
#  - iface-undefine of an active interface leaves it manageable: listed,
#    and iface-destroy tears it down from what the kernel has;
#  - iface-destroy of an interface that is not running is an error, as in
#    virsh (no link, or its link down), unless --force;
#  - iface-undefine of an ifcfg file that is a dangling symlink says so and
#    leaves the link (ifcfg only);
#  - kvmnetd on a root without any regime names the paths it looked for;
#    an empty etc/systemd/network/ or etc/NetworkManager/system-connections/
#    is that regime.
. "$(dirname "$0")/../daemon/lib.sh"
BACKEND=${1:-ifupdown}
MODE=${2:-daemon}

can_netns || skip "needs root and ip (network namespaces)"
NS=${KN_NETNS_PREFIX:-kn-test-}$$-life
ip netns del "$NS" 2>/dev/null
ip netns add "$NS" || fail "ip netns add $NS"
NETNS_LIST="$NETNS_LIST $NS"
ip -n "$NS" link set lo up && ip -n "$NS" link add eth0 type veth peer name eth0p &&
        ip -n "$NS" link add eth1 type veth peer name eth1p && ip -n "$NS" link set eth0p up &&
        ip -n "$NS" link set eth1p up || fail "namespace setup"

ROOT=$T/root
make_root "$ROOT" "$BACKEND"
case $MODE in
daemon)
        start_daemon --netns "$NS"
        kv() { "$KVMNET" -c "unix://$T/rw" "$@"; }
        ;;
offline) kv() { "$KVMNET" --root "$ROOT" --netns "$NS" --state-dir "$T/state" "$@"; } ;;
*) fail "unknown mode $MODE" ;;
esac

# Undefined while active: still listed, still destroyed.
xml_bridge br0 eth0 52:54:00:00:00:01 >"$T/br0.xml"
kv iface-define "$T/br0.xml" >/dev/null || fail "define br0"
kv iface-start br0 >/dev/null 2>"$T/err" || fail "start br0: $(cat "$T/err")"
kv iface-undefine br0 >/dev/null || fail "undefine br0"
kv iface-list --all >"$T/out" || fail "iface-list --all"
grep -q '^ br0 *active .* no$' "$T/out" || fail "undefined br0 is not listed active: $(cat "$T/out")"
out=$(kv iface-destroy br0 2>&1) || fail "iface-destroy of the undefined br0: $out"
[ "$out" = "Interface br0 destroyed" ] || fail "iface-destroy output: $out"
ip -n "$NS" link show br0 >/dev/null 2>&1 && fail "br0 is still there"
ip -n "$NS" -o link show eth0 | grep -q 'master' && fail "eth0 is still a port"
expect_error 5 "iface-destroy: no interface named 'br0' in network namespace $NS" kv iface-destroy br0
pass "iface-undefine of an active interface leaves it to iface-destroy"

# A port of a live bridge nobody configured is named as such.
ip -n "$NS" link add brx type bridge && ip -n "$NS" link set eth1 master brx &&
        ip -n "$NS" link set brx up || fail "brx"
expect_error 1 "'eth1' is not a top-level interface: it is a port of brx" kv iface-destroy eth1
ip -n "$NS" link del brx

# Not running: no link, or its link down.
xml_bridge br1 eth1 52:54:00:00:00:02 >"$T/br1.xml"
kv iface-define "$T/br1.xml" >/dev/null || fail "define br1"
expect_error 1 "iface-destroy: interface 'br1' is not running \(it has no link in network namespace $NS\); --force" \
        kv iface-destroy br1
cat >"$T/eth0.xml" <<'EOF'
<interface type='ethernet' name='eth0'>
  <start mode='onboot'/>
  <protocol family='ipv4'>
    <ip address='198.51.100.9' prefix='24'/>
  </protocol>
</interface>
EOF
kv iface-define "$T/eth0.xml" >/dev/null || fail "define eth0"
ip -n "$NS" link set eth0 down
expect_error 1 "iface-destroy: interface 'eth0' is not running \(its link is down" kv iface-destroy eth0
kv iface-destroy eth0 --force >/dev/null 2>"$T/err" || fail "iface-destroy --force: $(cat "$T/err")"
kv iface-start eth0 >/dev/null 2>"$T/err" || fail "start eth0: $(cat "$T/err")"
kv iface-destroy eth0 >/dev/null 2>"$T/err" || fail "destroy of the running eth0: $(cat "$T/err")"
ip -n "$NS" -o addr show dev eth0 | grep -q '198\.51\.100\.9' && fail "eth0 kept its address"
pass "iface-destroy of an interface that is not running is an error, --force goes ahead"

if [ "$BACKEND" = ifcfg ]; then
        dir=$ROOT/etc/sysconfig/network-scripts
        ln -s /nonexistent/ifcfg-eth5 "$dir/ifcfg-eth5"
        seen() { kv iface-list --all 2>&1 | grep -q 'ifcfg-eth5: cannot read'; }
        wait_for seen || fail "the broken ifcfg-eth5 is not reported: $(kv iface-list --all 2>&1)"
        expect_error 5 "iface-undefine: $dir/ifcfg-eth5 is a symbolic link to '/nonexistent/ifcfg-eth5', which does not exist under .*nothing was removed" \
                kv iface-undefine eth5
        [ -L "$dir/ifcfg-eth5" ] || fail "the link went away"
        rm "$dir/ifcfg-eth5"
        pass "iface-undefine of a dangling ifcfg symlink says what it found"
fi
[ "$MODE" = daemon ] && stop_daemon

# Regimes: none, then an empty directory of each.
daemon_on() { # ROOT TAG: kvmnetd's first lines in $T/d.log, then it is stopped
        # Emptied here, not by the background job's redirection, which may
        # come after the first look at the log.
        : >"$T/d.log"
        "$KVMNETD" --root "$1" --netns "$NS" --socket "$T/rw-$2" --ro-socket "$T/ro-$2" \
                --state-dir "$T/state-$2" 2>>"$T/d.log" &
        local pid=$! i
        EXTRA_PIDS="$EXTRA_PIDS $pid"
        for i in $(seq 100); do
                grep -q 'serving\|error' "$T/d.log" && break
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.05
        done
        kill "$pid" 2>/dev/null
        local rc=0
        wait "$pid" 2>/dev/null || rc=$?
        [ "$rc" = 0 ] || echo "(kvmnetd exited $rc)" >>"$T/d.log"
}
mkdir -p "$T/empty"
daemon_on "$T/empty" empty
for p in etc/network/interfaces etc/sysconfig/network-scripts/ etc/systemd/network/ \
        run/systemd/network/ etc/NetworkManager/system-connections/ run/NetworkManager/system-connections/; do
        grep -q "kvmnetd: .*cannot tell the configuration regime of $T/empty.*looked for.*$T/empty/$p" "$T/d.log" ||
                fail "no regime: the error does not name $p: $(cat "$T/d.log")"
done
mkdir -p "$T/nd/etc/systemd/network" "$T/nm/etc/NetworkManager/system-connections"
daemon_on "$T/nd" nd
grep -q "serving $T/nd (backend networkd" "$T/d.log" || fail "empty etc/systemd/network: $(cat "$T/d.log")"
daemon_on "$T/nm" nm
grep -q "serving $T/nm (backend nmkeyfile" "$T/d.log" ||
        fail "empty etc/NetworkManager/system-connections: $(cat "$T/d.log")"
pass "no regime names the paths; an empty networkd or NetworkManager directory is that regime"
