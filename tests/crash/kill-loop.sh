#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# kvmnetd killed with -9 at every crash point (src/util/crashpoint.h) of:
# a transaction (iface-define, iface-start and iface-commit inside
# iface-begin), iface-bridge, and net-start of a NAT network; restarted each
# time.  After every restart the host is exactly as before the request or
# exactly as after it -- live state (links, masters, addresses, routes), the
# configuration files (names and contents: no temp file, nothing half
# written), the journal empty -- and what the restart rolled back or
# completed is logged.  Needs root, ip, dnsmasq, nft (exit 77).
. "$(dirname "$0")/../daemon/lib.sh"
. "$(dirname "$0")/lib.sh"
can_netns || skip "needs root and ip (network namespaces)"
[ -x /usr/sbin/dnsmasq ] && command -v nft >/dev/null || skip "needs dnsmasq and nft"

make_netns host; H=$NS_MADE
make_netns lan; L=$NS_MADE
ip -n "$H" link add eth0 type veth peer name lan0 netns "$L" &&
        ip -n "$H" link add eth9 type veth peer name eth9p &&
        ip -n "$H" link set eth0 address 52:54:00:c0:00:01 && ip -n "$H" link set eth0 up &&
        ip -n "$H" link set eth9p up &&
        ip -n "$H" addr add 192.0.2.10/24 dev eth0 && ip -n "$H" route add default via 192.0.2.1 &&
        ip -n "$L" link set lan0 up && ip -n "$L" addr add 192.0.2.1/24 dev lan0 || fail "namespaces"

ROOT=$T/root
make_root "$ROOT" ifupdown
cat >"$ROOT/etc/network/interfaces" <<'CONF'
auto lo
iface lo inet loopback

auto eth0
iface eth0 inet static
    address 192.0.2.10/24
    gateway 192.0.2.1
CONF
kv() { "$KVMNET" -c "unix://$T/rw" "$@"; }

# The state compared: links (name, master, up), IPv4 addresses and routes
# of every table but the kernel's local one; the configuration's files
# with their contents; the journal.
live() {
        ip -n "$H" -o link show | awk '{ n = $2; sub(/:$/, "", n); sub(/@.*/, "", n); m = "-"
                for (i = 1; i < NF; i++) if ($i == "master") m = $(i + 1)
                up = ($3 ~ /[<,]UP[,>]/) ? "up" : "down"; print "link", n, m, up }' | sort
        ip -n "$H" -4 -o addr show | awk '{ print "addr", $2, $4 }' | sort
        ip -n "$H" -4 route show table all | grep -v "table local" | sed 's/^/route /' | sort
}
files() { (cd "$ROOT" && find etc -type f -print0 | sort -z | xargs -0 sha256sum); }
journal_empty() { [ -z "$(find "$T/state/txn" -type f 2>/dev/null)" ]; }
same() { [ "$1" = "$2" ]; }
# A restart that found something to roll back says so: something is, once
# the kernel made a step or a file under the root was replaced by the
# point the kill came at (K).
logged_rollback() { # K
        passed "$1" "live step: |write $ROOT/.*: replaced" || return 0
        restart_log "$1" | grep -Eq "interrupted|undoing|rolled back|restored"
}

# ---- a transaction: iface-define, iface-start and iface-commit inside
# iface-begin (iface-define writes the configuration file)
cat >"$T/eth9.xml" <<'XML'
<interface type='ethernet' name='eth9'>
  <start mode='onboot'/>
  <protocol family='ipv4'><ip address='10.9.0.1' prefix='24'/></protocol>
</interface>
XML
A_LIVE= A_FILES= B_LIVE= B_FILES=
run_txn() { kv iface-begin && kv iface-define "$T/eth9.xml" && kv iface-start eth9 && kv iface-commit; }
check_state() { # K
        local l f
        l=$(live) f=$(files)
        no_temps "$ROOT" "$T/state" || return 1
        journal_empty || { echo "the journal is not empty: $(find "$T/state/txn" -type f)"; return 1; }
        if [ "$1" = 0 ]; then A_LIVE=$l A_FILES=$f; fi
        if [ "$1" = baseline ]; then B_LIVE=$l B_FILES=$f; fi
        if same "$l" "$B_LIVE" && same "$f" "$B_FILES"; then
                case $1 in baseline | reset) ;; *) logged_rollback "$1" ;; esac || { echo "rolled back without a word: $(cat "$T/daemon.log")"; return 1; }
                echo before
        elif same "$l" "$A_LIVE" && same "$f" "$A_FILES"; then
                echo after
        else
                echo "neither before nor after: against before: $(diff <(echo "$B_LIVE$B_FILES") <(echo "$l$f") | tr "\n" " "); against after: $(diff <(echo "$A_LIVE$A_FILES") <(echo "$l$f") | tr "\n" " ")"
                return 1
        fi
}
reset_txn() { kv iface-destroy eth9 >/dev/null && kv iface-undefine eth9 >/dev/null || fail "reset eth9"; }
kill_loop iface-define,iface-start,iface-commit run_txn check_state reset_txn --netns "$H"
pass "transaction: killed at each of its $KILL_POINTS points (iface-define, iface-start, iface-commit): $KILLED_BEFORE rolled back, $KILLED_AFTER complete"

# ---- iface-bridge
run_bridge() { kv iface-bridge eth0 br0; }
reset_bridge() { kv iface-unbridge br0 >/dev/null || fail "reset: iface-unbridge"; }
kill_loop iface-bridge run_bridge check_state reset_bridge --netns "$H"
pass "iface-bridge: killed at each of its $KILL_POINTS points: $KILLED_BEFORE rolled back, $KILLED_AFTER complete"

# ---- net-start
cat >"$T/lab.xml" <<'XML'
<network>
  <name>lab</name>
  <forward mode='nat'/>
  <bridge name='kvbr7'/>
  <ip address='10.77.0.1' prefix='24'><dhcp><range start='10.77.0.100' end='10.77.0.120'/></dhcp></ip>
</network>
XML
start_daemon --netns "$H"
kv net-define "$T/lab.xml" >/dev/null || fail "net-define"
stop_daemon
dnsmasq_of_lab() { pgrep -f "conf-file=$T/state/dnsmasq/lab.conf"; }
# A network whose run file (STATE/networks/lab.xml) was in place is adopted
# (completed) by the restart, which says so; without it, nothing of it may
# be left.
logged_net() { # K OUTCOME
        killed "$1" || return 0
        if [ "$2" = after ]; then
                restart_log "$1" | grep -q "network lab: adopted" ||
                        { echo "completed without a word"; return 1; }
        elif passed "$1" "write $T/state/networks/lab.xml: replaced"; then
                restart_log "$1" | grep -q "network lab: " ||
                        { echo "rolled back without a word"; return 1; }
        fi
}
check_net() { # K
        local active=no bridge=no table=no dns=no fwd state
        no_temps "$ROOT" "$T/state" || return 1
        kv net-list | grep -Eq '^ lab +active' && active=yes
        ip -n "$H" link show kvbr7 >/dev/null 2>&1 && bridge=yes
        ip netns exec "$H" nft list table inet kvmnet-lab >/dev/null 2>&1 && table=yes
        dnsmasq_of_lab >/dev/null && dns=yes
        fwd=$(ip netns exec "$H" cat /proc/sys/net/ipv4/ip_forward)
        case "$active $bridge $table $dns $fwd" in
        "no no no no 0") state=before ;;
        "yes yes yes yes 1") state=after ;;
        *) echo "half: active $active, bridge $bridge, table $table, dnsmasq $dns, ip_forward $fwd"; return 1 ;;
        esac
        logged_net "$1" "$state" || return 1
        echo "$state"
}
run_net() { kv net-start lab; }
reset_net() { kv net-destroy lab >/dev/null || fail "reset: net-destroy"; }
kill_loop net-start run_net check_net reset_net --netns "$H"
pass "net-start: killed at each of its $KILL_POINTS points: $KILLED_BEFORE rolled back, $KILLED_AFTER complete (adopted)"
