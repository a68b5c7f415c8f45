#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# kvmnet through a running NetworkManager (issue 8 section 2), through
# kvmnetd: NetworkManager manages eth0 (its keyfile, autoconnected); while
# a 10 ms ping from the LAN keeps going,
#   iface-bridge eth0 br0      NM reloads the keyfiles and activates the
#                              bridge and its port profile
#   iface-unbridge br0         NM activates eth0's own profile again
#   iface-bridge --confirm     not confirmed: NM's checkpoint rolls back
#   iface-begin/iface-rollback the same through a transaction
#   iface-destroy/iface-start  NM deactivates / activates eth0's profile
#   kill -9 in a transaction   the restart rolls NM's checkpoint back
#   iface-start failing        NM's activations of it rolled back
# each saying it went through NetworkManager, the files back byte for
# byte where rolled back, and the ping answered all along.
#
#   H: eth0 (veth) 192.0.2.10/24  <-->  L: lan0 192.0.2.1/24
. "$(dirname "$0")/../daemon/lib.sh"
. "$(dirname "$0")/lib.sh"
manager_skip_unless nm

mgr_netns host
H=$NS_MADE
mgr_netns lan
L=$NS_MADE
ip -n "$H" link add eth0 address 02:00:00:00:0f:01 type veth peer name lan0 netns "$L" &&
        ip -n "$L" addr add 192.0.2.1/24 dev lan0 && ip -n "$L" link set lan0 up ||
        fail "namespace setup"

ROOT=$T/root
DIR=$ROOT/etc/NetworkManager/system-connections
mkdir -p "$DIR"
cat >"$T/eth0.xml" <<'X'
<interface type='ethernet' name='eth0'>
  <start mode='onboot'/>
  <protocol family='ipv4'>
    <ip address='192.0.2.10' prefix='24'/>
  </protocol>
</interface>
X
"$KVMNET" --root "$ROOT" --backend nmkeyfile iface-define "$T/eth0.xml" >/dev/null ||
        fail "iface-define eth0"
manager_start nm "$H" "$DIR"
reachable() { ip netns exec "$L" ping -c 1 -W 1 -q 192.0.2.10 >/dev/null 2>&1; }
for _ in $(seq 100); do reachable && break; sleep 0.1; done
reachable || fail "NetworkManager did not bring eth0 up: $(tail -n 20 "$T/nm.log")"
start_daemon --netns "$H" --backend nmkeyfile
kv() { "$KVMNET" -c "unix://$T/rw" "$@"; }
files() { (cd "$DIR" && find . -type f -printf '%p %m\n' -exec sha256sum {} \; | sort); }
ORIG_FILES=$(files)

# The ping from the LAN; ping_stop checks it kept going: at most MAX lost
# (10 ms apart) and answered at the end.
ping_start() {
        ip netns exec "$L" ping -n -i 0.01 -W 1 192.0.2.10 >"$T/ping.out" 2>&1 &
        PING_PID=$!
        sleep 0.3
}
ping_stop() { # WHAT MAX
        reachable || fail "$1: 192.0.2.10 does not answer afterwards"
        kill -INT "$PING_PID"
        wait "$PING_PID"
        local line sent got
        line=$(grep 'packets transmitted' "$T/ping.out")
        sent=$(echo "$line" | awk '{print $1}')
        got=$(echo "$line" | awk '{print $4}')
        [ -n "$sent" ] && [ "$got" -gt 0 ] || fail "$1: ping: $(cat "$T/ping.out")"
        echo "  $1: ping lost $((sent - got)) of $sent (10 ms apart)"
        [ $((sent - got)) -le "$2" ] || fail "$1: the ping lost $((sent - got)) of $sent"
}
bridged() {
        ip -n "$H" link show eth0 | grep -q 'master br0' &&
                ip -n "$H" -br addr show br0 | grep -q ' 192\.0\.2\.10/24' &&
                [ "$(nm_device_state br0)" = "100 (connected) br0 " ]
}
unbridged() {
        ! ip -n "$H" link show br0 >/dev/null 2>&1 &&
                ip -n "$H" -br addr show eth0 | grep -q ' 192\.0\.2\.10/24' &&
                [ "$(nm_device_state eth0)" = "100 (connected) eth0 " ]
}
through_nm() { # OUT
        grep -qx 'Through NetworkManager' "$1" || fail "not through NetworkManager: $(cat "$1")"
}

# 1. iface-bridge of the NIC NetworkManager manages.
ping_start
kv iface-bridge eth0 br0 --verbose >"$T/bridge.out" 2>&1 || fail "iface-bridge: $(cat "$T/bridge.out")"
through_nm "$T/bridge.out"
grep -q 'NetworkManager: activate br0' "$T/bridge.out" &&
        grep -q 'NetworkManager: eth0 activated' "$T/bridge.out" ||
        fail "iface-bridge steps: $(cat "$T/bridge.out")"
bridged || fail "after iface-bridge: $(ip -n "$H" -br addr); br0: $(nm_device_state br0)"
ping_stop iface-bridge 100
pass "iface-bridge through NetworkManager: br0 and its port profile activated"

# 2. iface-unbridge.
ping_start
kv iface-unbridge br0 --verbose >"$T/unbridge.out" 2>&1 || fail "iface-unbridge: $(cat "$T/unbridge.out")"
through_nm "$T/unbridge.out"
for _ in $(seq 50); do unbridged && break; sleep 0.1; done
unbridged || fail "after iface-unbridge: $(ip -n "$H" -br addr); eth0: $(nm_device_state eth0)"
ping_stop iface-unbridge 100
# Not byte for byte the first file: eth0's definition now names its MAC
# (the bridge took it), as on kvmnet's netlink path.
[ ! -e "$DIR/br0.nmconnection" ] && grep -qx 'address1=192.0.2.10/24' "$DIR/eth0.nmconnection" ||
        fail "iface-unbridge: keyfiles: $(files)"
ORIG_FILES=$(files)
pass "iface-unbridge through NetworkManager: eth0's own profile again"

# 3. --confirm not confirmed: NetworkManager's checkpoint rolls it back.
ping_start
kv iface-bridge eth0 br0 --confirm 2 >"$T/confirm.out" 2>&1 || fail "iface-bridge --confirm: $(cat "$T/confirm.out")"
through_nm "$T/confirm.out"
bridged || fail "iface-bridge --confirm did not bridge"
nm_checkpoints() {
        mgr_bus get-property org.freedesktop.NetworkManager /org/freedesktop/NetworkManager \
                org.freedesktop.NetworkManager Checkpoints
}
case $(nm_checkpoints) in "ao 1 "*) ;; *) fail "no NetworkManager checkpoint while waiting: $(nm_checkpoints)" ;; esac
for _ in $(seq 150); do unbridged && break; sleep 0.1; done
unbridged || fail "not reverted: $(ip -n "$H" -br addr); eth0: $(nm_device_state eth0); $(tail -n 5 "$T/daemon.log")"
ping_stop "--confirm revert" 150
[ "$(files)" = "$ORIG_FILES" ] || fail "--confirm revert: keyfiles differ from the start"
pass "iface-bridge --confirm, not confirmed: reverted through NetworkManager's checkpoint"

# 4. A transaction rolled back.
kv iface-begin >/dev/null || fail "iface-begin"
kv iface-bridge eth0 br0 >"$T/txn.out" 2>&1 || fail "iface-bridge in a transaction: $(cat "$T/txn.out")"
bridged || fail "iface-bridge in a transaction did not bridge"
ping_start
kv iface-rollback >"$T/rollback.out" 2>&1 || fail "iface-rollback: $(cat "$T/rollback.out")"
for _ in $(seq 50); do unbridged && break; sleep 0.1; done
unbridged || fail "not rolled back: $(ip -n "$H" -br addr); eth0: $(nm_device_state eth0)"
ping_stop iface-rollback 150
[ "$(files)" = "$ORIG_FILES" ] || fail "iface-rollback: keyfiles differ from the start"
pass "iface-begin, iface-bridge, iface-rollback: NetworkManager's checkpoint rolled back"

# 5. A transaction committed keeps it, and leaves no checkpoint behind.
kv iface-begin >/dev/null && kv iface-bridge eth0 br0 >/dev/null && kv iface-commit >/dev/null ||
        fail "begin, bridge, commit"
bridged || fail "committed: not bridged"
[ "$(nm_checkpoints)" = "ao 0" ] || fail "checkpoints left after commit: $(nm_checkpoints)"
pass "a committed transaction keeps the bridge and destroys the checkpoint"

# 6. iface-destroy and iface-start of the bridge: NetworkManager takes
# down its profile and the port's, and deletes the bridge it made.
kv iface-destroy br0 >"$T/destroy-br.out" 2>&1 || fail "iface-destroy br0: $(cat "$T/destroy-br.out")"
through_nm "$T/destroy-br.out"
for _ in $(seq 50); do ip -n "$H" link show br0 >/dev/null 2>&1 || break; sleep 0.1; done
ip -n "$H" link show br0 >/dev/null 2>&1 && fail "br0 still there after iface-destroy"
reachable && fail "192.0.2.10 answers after iface-destroy br0"
kv iface-start br0 >"$T/start-br.out" 2>&1 || fail "iface-start br0: $(cat "$T/start-br.out")"
through_nm "$T/start-br.out"
bridged || fail "iface-start br0: $(ip -n "$H" -br addr); br0: $(nm_device_state br0)"
reachable || fail "iface-start br0: 192.0.2.10 does not answer"
kv iface-unbridge br0 >/dev/null || fail "iface-unbridge after commit"
for _ in $(seq 50); do unbridged && break; sleep 0.1; done
unbridged || fail "iface-unbridge after commit"
pass "iface-destroy and iface-start of the bridge through NetworkManager"

# 7. iface-destroy and iface-start of eth0: NetworkManager deactivates, activates.
kv iface-destroy eth0 >"$T/destroy.out" 2>&1 || fail "iface-destroy: $(cat "$T/destroy.out")"
through_nm "$T/destroy.out"
ip -n "$H" -br addr show eth0 | grep -q 192.0.2.10 && fail "eth0 keeps its address after iface-destroy"
case $(nm_device_state eth0) in 100*) fail "NetworkManager still has eth0 connected" ;; esac
sleep 1
reachable && fail "NetworkManager brought eth0 back by itself after iface-destroy"
kv iface-start eth0 >"$T/start.out" 2>&1 || fail "iface-start: $(cat "$T/start.out")"
through_nm "$T/start.out"
[ "$(nm_device_state eth0)" = "100 (connected) eth0 " ] || fail "iface-start: eth0 $(nm_device_state eth0)"
reachable || fail "iface-start: 192.0.2.10 does not answer"
pass "iface-destroy and iface-start through NetworkManager"

# 8. kvmnetd killed with a transaction open: the restart rolls back
# NetworkManager's checkpoint (journaled with the transaction), which NM
# would otherwise keep for ever and so refuse the next one.
kv iface-begin >/dev/null && kv iface-bridge eth0 br0 >/dev/null || fail "begin+bridge before kill"
bridged || fail "iface-bridge before kill -9 did not bridge"
case $(nm_checkpoints) in "ao 1 "*) ;; *) fail "no checkpoint before kill -9: $(nm_checkpoints)" ;; esac
kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=
start_daemon --netns "$H" --backend nmkeyfile
for _ in $(seq 50); do unbridged && break; sleep 0.1; done
unbridged || fail "restart did not roll back: $(ip -n "$H" -br addr); eth0: $(nm_device_state eth0)"
[ "$(nm_checkpoints)" = "ao 0" ] || fail "checkpoint left after the restart: $(nm_checkpoints)"
grep -q "rolled back NetworkManager checkpoint" "$T/daemon.log" ||
        fail "checkpoint rollback not logged: $(tail -n 5 "$T/daemon.log")"
[ "$(files)" = "$ORIG_FILES" ] || fail "restart: keyfiles differ from the start"
kv iface-begin >/dev/null && kv iface-rollback >/dev/null || fail "iface-begin after the restart"
pass "kill -9 of kvmnetd in a transaction: the restart rolls NetworkManager's checkpoint back"

# 9. A plain iface-start that fails half way (the bridge activated, its
# port has no device) leaves nothing NetworkManager activated.
cat >"$T/br9.xml" <<'X'
<interface type='bridge' name='br9'>
  <start mode='none'/>
  <protocol family='ipv4'>
    <ip address='198.51.100.9' prefix='24'/>
  </protocol>
  <bridge stp='off'>
    <interface type='ethernet' name='eth9'/>
  </bridge>
</interface>
X
kv iface-define "$T/br9.xml" >/dev/null || fail "iface-define br9"
kv iface-start br9 >"$T/start9.out" 2>&1 && fail "iface-start br9 without eth9 succeeded: $(cat "$T/start9.out")"
grep -q "eth9" "$T/start9.out" || fail "iface-start br9: the error does not name eth9: $(cat "$T/start9.out")"
for _ in $(seq 50); do ip -n "$H" link show br9 >/dev/null 2>&1 || break; sleep 0.1; done
ip -n "$H" link show br9 >/dev/null 2>&1 && fail "a failed iface-start left br9 behind: $(nm_device_state br9)"
[ "$(nm_checkpoints)" = "ao 0" ] || fail "checkpoint left after the failed start: $(nm_checkpoints)"
reachable || fail "192.0.2.10 does not answer after the failed start"
kv iface-undefine br9 >/dev/null || fail "iface-undefine br9"
pass "a failed iface-start through NetworkManager leaves nothing activated"
stop_daemon
