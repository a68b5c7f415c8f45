#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Inside `ip netns exec NS unshare -m --propagation private`: Debian's
# `ifup -a` on ROOT/etc/network/interfaces (its `source` lines pointed into
# ROOT), with a private /run and state directory.
#   run-ifupdown.sh ROOT LOG
set -u
root=$1 log=$2
mount -t tmpfs tmpfs /run && mkdir -p /run/network || exit 1
copy=/run/h2-root
cp -a "$root" "$copy"
find "$copy/etc/network" -type f -exec \
        sed -i -E "s#^([[:space:]]*source(-directory)?[[:space:]]+)/#\\1$copy/#" {} +
ifup -v -a -i "$copy/etc/network/interfaces" --state-dir /run/network >"$log" 2>&1
