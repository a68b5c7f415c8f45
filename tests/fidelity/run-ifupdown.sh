#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Inside `ip netns exec NS unshare -m --propagation private`: Debian's
# `ifup -a` on ROOT/etc/network/interfaces (its `source` lines pointed into
# ROOT), with a private /run and state directory.  Its "inet dhcp" runs
# the first of /sbin/dhclient, pump, udhcpc it finds: here /sbin/udhcpc is
# busybox's, with udhcpc-script.sh as its lease script, laid over /usr/sbin
# (read-only overlay) in this mount namespace only.
#   run-ifupdown.sh ROOT LOG
set -u
root=$1 log=$2
here=$(cd "$(dirname "$0")" && pwd)
mount -t tmpfs tmpfs /run && mkdir -p /run/network /run/h2-sbin || exit 1
if [ ! -e /sbin/dhclient ] && [ ! -e /sbin/udhcpc ] && bb=$(command -v busybox); then
        printf '#!/bin/sh\nexec %s udhcpc -s %s "$@"\n' "$bb" "$here/udhcpc-script.sh" >/run/h2-sbin/udhcpc &&
                chmod 0755 /run/h2-sbin/udhcpc &&
                mount -t overlay overlay -o lowerdir=/run/h2-sbin:/usr/sbin /usr/sbin || exit 1
fi
copy=/run/h2-root
cp -a "$root" "$copy"
find "$copy/etc/network" -type f -exec \
        sed -i -E "s#^([[:space:]]*source(-directory)?[[:space:]]+)/#\\1$copy/#" {} +
ifup -v -a -i "$copy/etc/network/interfaces" --state-dir /run/network >"$log" 2>&1
