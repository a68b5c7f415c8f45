#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Inside `ip netns exec NS unshare -m --propagation private`: NetworkManager
# with its own `dbus-daemon --system`, keyfile plugin only, on DIR's
# profiles; `nmcli con up` of LINK's profile, then both stopped.
#   run-nm.sh DIR LOG LINK
set -u
dir=$1 log=$2 link=$3
mount -t tmpfs tmpfs /run && mkdir -p /run/dbus /run/NetworkManager &&
        mount -t tmpfs tmpfs /var/lib/NetworkManager &&
        mount -t tmpfs tmpfs /etc/NetworkManager && mkdir -p /etc/NetworkManager/system-connections &&
        mount --bind "$dir" /etc/NetworkManager/system-connections || exit 1
mount -o remount,ro /sys 2>/dev/null || { umount /sys 2>/dev/null; mount -t sysfs -o ro sysfs /sys; } || exit 1
cat >/etc/NetworkManager/NetworkManager.conf <<'C'
[main]
plugins=keyfile
no-auto-default=*
auth-polkit=false
dhcp=internal
[logging]
level=INFO
C
dbus-daemon --system --fork --nopidfile --print-pid=3 \
        --address=unix:path=/run/dbus/system_bus_socket 3>/run/dbus.pid >>"$log" 2>&1 || exit 1
NetworkManager --no-daemon >>"$log" 2>&1 &
pid=$!
rc=1
for _ in $(seq 100); do
        sleep 0.2
        nmcli -t general status >/dev/null 2>&1 && { rc=0; break; }
done
[ $rc = 0 ] && { nmcli -w 40 con up "$link" >>"$log" 2>&1 || rc=1; }
# The master is up before its ports are (a bond under a bridge activates
# its own slaves after): wait until every profile's device is connected.
devs=$(sed -n 's/^interface-name=//p' "$dir"/*.nmconnection 2>/dev/null | sort -u)
for _ in $(seq 150); do
        all=1
        for d in $devs; do
                nmcli -t -f DEVICE,STATE dev 2>/dev/null | grep -q "^$d:connected" || { all=; break; }
        done
        [ -n "$all" ] && break
        sleep 0.2
done
[ -n "$all" ] || echo "run-nm.sh: not all of $devs connected: $(nmcli -t -f DEVICE,STATE dev)" >>"$log"
sleep 0.5
kill "$pid"
wait "$pid"
kill "$(cat /run/dbus.pid)"
exit $rc
