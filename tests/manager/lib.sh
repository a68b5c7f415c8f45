# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# For tests/manager/*.sh, sourced after tests/daemon/lib.sh: a real
# NetworkManager or systemd-networkd with its own system bus in a network
# namespace of the test (private mount namespace, tmpfs /run, read-only
# sysfs: see run-manager.sh), never this machine's own.
#
#   manager_skip_unless nm|networkd     exit 77 without root or the programs
#   mgr_netns TAG                       a namespace $MGR_PREFIX-$$-TAG (lo up),
#                                       deleted on exit; its name in $NS_MADE
#   manager_start nm|networkd NS DIR    the manager on DIR's files in NS;
#                                       exports KVMNET_SYSTEM_BUS (its bus);
#                                       returns once its name is on the bus
#   mgr_bus ARGS...                     busctl on that bus
#   nm_device_state DEV                 "STATE CONNECTION" as nmcli shows them
#   networkd_admin_state LINK           networkd's AdministrativeState of LINK
MGR_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MGR_PREFIX=${MGR_PREFIX:-kn-mgr}
MANAGER_PID=

manager_skip_unless() {
        local p
        can_netns || skip "needs root and ip (network namespaces)"
        for p in dbus-daemon busctl unshare ping; do
                command -v "$p" >/dev/null || skip "$p is not installed"
        done
        case $1 in
        nm) command -v NetworkManager >/dev/null && command -v nmcli >/dev/null ||
                skip "NetworkManager (network-manager) is not installed" ;;
        networkd) [ -x /lib/systemd/systemd-networkd ] && id systemd-network >/dev/null 2>&1 ||
                skip "systemd-networkd is not installed" ;;
        esac
}

mgr_netns() {
        local ns=$MGR_PREFIX-$$-$1
        ip netns del "$ns" 2>/dev/null
        ip netns add "$ns" || fail "ip netns add $ns"
        NETNS_LIST="$NETNS_LIST $ns"
        ip -n "$ns" link set lo up || fail "lo up in $ns"
        NS_MADE=$ns
}

mgr_bus() {
        busctl --address="$KVMNET_SYSTEM_BUS" "$@"
}

manager_start() {
        local kind=$1 ns=$2 dir=$3 name i
        mkdir -p "$T/bus"
        ip netns exec "$ns" unshare -m --propagation private \
                "$MGR_HERE/run-manager.sh" "$kind" "$dir" "$T/bus" "$T/$kind.log" &
        MANAGER_PID=$!
        EXTRA_PIDS="$EXTRA_PIDS $MANAGER_PID"
        export KVMNET_SYSTEM_BUS=unix:path=$T/bus/system_bus_socket
        case $kind in
        nm) name=org.freedesktop.NetworkManager ;;
        *) name=org.freedesktop.network1 ;;
        esac
        for i in $(seq 200); do
                mgr_bus call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus \
                        NameHasOwner s "$name" 2>/dev/null | grep -q true && return 0
                kill -0 "$MANAGER_PID" 2>/dev/null || break
                sleep 0.1
        done
        tail -n 20 "$T/$kind.log" >&2
        fail "$kind did not come up on its bus"
}

nm_device_state() {
        DBUS_SYSTEM_BUS_ADDRESS=$KVMNET_SYSTEM_BUS nmcli -g GENERAL.STATE,GENERAL.CONNECTION \
                device show "$1" 2>/dev/null | tr '\n' ' '
}

networkd_admin_state() {
        local path
        path=$(mgr_bus call org.freedesktop.network1 /org/freedesktop/network1 \
                org.freedesktop.network1.Manager GetLinkByName s "$1" 2>/dev/null |
                sed -n 's/.*"\(.*\)"/\1/p')
        [ -n "$path" ] || { echo "unknown"; return; }
        mgr_bus get-property org.freedesktop.network1 "$path" org.freedesktop.network1.Link \
                AdministrativeState | sed 's/^s "\(.*\)"/\1/'
}
