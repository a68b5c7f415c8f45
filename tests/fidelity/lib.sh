# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by boot.sh (on this machine) and guest-case.sh (in the test VM):
# the namespaces a case runs in and the regime's own program run there.
# The sourcing script sets HERE (this directory), BACKEND, NS and LAN, and
# LAN_PID empty.

# A fresh namespace NS with one veth per name (MAC 02:00:00:00:00:NN, not
# any the cases configure), peers up in LAN.
make_ns() {
        local n k=1
        [ -n "$LAN_PID" ] && { kill "$LAN_PID" 2>/dev/null; wait "$LAN_PID" 2>/dev/null; LAN_PID=; }
        for x in "$NS" "$LAN"; do
                for p in $(ip netns pids "$x" 2>/dev/null); do kill -9 "$p"; done
                ip netns del "$x" 2>/dev/null
        done
        ip netns add "$NS" && ip netns add "$LAN" && ip -n "$NS" link set lo up || return 1
        for n in "$@"; do
                ip -n "$NS" link add "$n" address "02:00:00:00:00:0$k" type veth \
                        peer name "lan$k" netns "$LAN" && ip -n "$LAN" link set "lan$k" up ||
                        return 1
                k=$((k + 1))
        done
}

# start_lan CASE DIR: cases/CASE.lan in the LAN namespace, in the
# background, until it has written DIR/lan.pid (10 s at most).
start_lan() {
        local i
        [ -x "$HERE/cases/$1.lan" ] || return 0
        rm -f "$2/lan.pid"
        ip netns exec "$LAN" "$HERE/cases/$1.lan" "$2" >>"$2/lan.log" 2>&1 &
        LAN_PID=$!
        for i in $(seq 100); do
                [ -s "$2/lan.pid" ] && return 0
                kill -0 "$LAN_PID" 2>/dev/null || break
                sleep 0.1
        done
        return 1
}

make_root() {
        case $BACKEND in
        networkd) mkdir -p "$1/etc/systemd/network" ;;
        nmkeyfile) mkdir -p "$1/etc/NetworkManager/system-connections" ;;
        ifupdown)
                mkdir -p "$1/etc/network/interfaces.d"
                printf 'source /etc/network/interfaces.d/*\n' >"$1/etc/network/interfaces"
                ;;
        esac
}

# run_real ROOT NAME OUT: the regime's program on ROOT's files in $NS;
# leaves its log in OUT.log.
run_real() {
        local root=$1 name=$2 out=$3
        case $BACKEND in
        networkd)
                ip netns exec "$NS" unshare -m --propagation private \
                        "$HERE/run-networkd.sh" "$root/etc/systemd/network" "$out.log" "$name"
                ;;
        ifupdown)
                ip netns exec "$NS" unshare -m --propagation private \
                        "$HERE/run-ifupdown.sh" "$root" "$out.log"
                ;;
        nmkeyfile)
                ip netns exec "$NS" unshare -m --propagation private \
                        "$HERE/run-nm.sh" "$root/etc/NetworkManager/system-connections" "$out.log" "$name"
                ;;
        esac
}

