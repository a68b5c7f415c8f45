#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Inside `ip netns exec NS unshare -m --propagation private`: systemd-networkd
# on DIR's files only, until LINK is configured (or 30 s), then killed.
#   run-networkd.sh DIR LOG LINK
set -u
dir=$1 log=$2 link=$3
mount -t tmpfs tmpfs /run && mkdir -p /run/systemd &&
        mount --bind "$dir" /etc/systemd/network &&
        mount -t tmpfs tmpfs /usr/lib/systemd/network || exit 1
mount -o remount,ro /sys 2>/dev/null || { umount /sys 2>/dev/null; mount -t sysfs -o ro sysfs /sys; } || exit 1
SYSTEMD_LOG_LEVEL=debug /lib/systemd/systemd-networkd >"$log" 2>&1 &
pid=$!
idx=
for _ in $(seq 300); do
        sleep 0.1
        idx=$(cat "/sys/class/net/$link/ifindex" 2>/dev/null) || continue
        grep -q '^ADMIN_STATE=configured' "/run/systemd/netif/links/$idx" 2>/dev/null && break
done
sleep 1 # addresses past DAD, routes after them
rc=0
grep -q '^ADMIN_STATE=configured' "/run/systemd/netif/links/$idx" 2>/dev/null || rc=1
# SIGKILL: a stopped networkd releases its DHCP leases and drops their
# addresses; killed, it leaves what it configured for state.py to read.
kill -KILL "$pid"
wait "$pid" 2>/dev/null
exit $rc
