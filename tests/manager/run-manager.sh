#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Inside `ip netns exec NS unshare -m --propagation private`: a system bus
# and NetworkManager or systemd-networkd on DIR's files, until SIGTERM.
# The bus socket is BUSDIR/system_bus_socket, outside this mount namespace,
# so kvmnet (which is not in it) reaches it through KVMNET_SYSTEM_BUS.
#   run-manager.sh nm|networkd DIR BUSDIR LOG
set -u
kind=$1 dir=$2 busdir=$3 log=$4
mount -t tmpfs tmpfs /run && mkdir -p /run/dbus && mount --bind "$busdir" /run/dbus || exit 1
mount -o remount,ro /sys 2>/dev/null || { umount /sys 2>/dev/null; mount -t sysfs -o ro sysfs /sys; } || exit 1
case $kind in
nm)
        mkdir -p /run/NetworkManager &&
                mount -t tmpfs tmpfs /var/lib/NetworkManager &&
                mount -t tmpfs tmpfs /etc/NetworkManager &&
                mkdir -p /etc/NetworkManager/system-connections &&
                mount --bind "$dir" /etc/NetworkManager/system-connections || exit 1
        cat >/etc/NetworkManager/NetworkManager.conf <<'C'
[main]
plugins=keyfile
no-auto-default=*
auth-polkit=false
dhcp=internal
[logging]
level=INFO
C
        cmd=(NetworkManager --no-daemon)
        ;;
networkd)
        mkdir -p /run/systemd/netif/links /run/systemd/netif/leases /run/systemd/netif/lldp &&
                chown -R systemd-network:systemd-network /run/systemd/netif &&
                mount --bind "$dir" /etc/systemd/network &&
                mount -t tmpfs tmpfs /usr/lib/systemd/network || exit 1
        cmd=(env SYSTEMD_LOG_LEVEL=debug SYSTEMD_LOG_TIME=1 /lib/systemd/systemd-networkd)
        ;;
*) echo "run-manager.sh: nm or networkd, not '$kind'" >&2; exit 2 ;;
esac
dbus-daemon --system --nofork --nopidfile >>"$log.dbus" 2>&1 &
bus=$!
for _ in $(seq 100); do [ -S /run/dbus/system_bus_socket ] && break; sleep 0.05; done
"${cmd[@]}" >>"$log" 2>&1 &
mgr=$!
trap 'kill $mgr; wait $mgr; kill $bus; wait $bus; exit 0' TERM INT
wait $mgr
echo "run-manager.sh: $kind exited ($?)" >>"$log"
kill $bus
exit 1
