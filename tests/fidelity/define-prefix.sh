#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# An address without a prefix gets one explicit prefix at define time
# (IPv4 classful, IPv6 /64), with a warning on stderr and in the reply;
# every backend writes and reads back that prefix.
#   define-prefix.sh BACKEND
set -eu
BACKEND=$1
HERE=$(cd "$(dirname "$0")" && pwd)
: "${KVMNET:?KVMNET must name the kvmnet binary}"
T=$(mktemp -d "${TMPDIR:-/tmp}/h2-prefix.XXXXXX")
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
R=$T/root
case $BACKEND in
networkd) mkdir -p "$R/etc/systemd/network" ;;
nmkeyfile) mkdir -p "$R/etc/NetworkManager/system-connections" ;;
ifcfg) mkdir -p "$R/etc/sysconfig/network-scripts" ;;
ifupdown) mkdir -p "$R/etc/network" && : >"$R/etc/network/interfaces" ;;
esac
cat >"$T/x.xml" <<'X'
<interface type='ethernet' name='eth0'>
  <protocol family='ipv4'>
    <ip address='10.9.9.9'/>
    <ip address='172.16.1.1'/>
    <ip address='192.168.7.7'/>
  </protocol>
  <protocol family='ipv6'>
    <ip address='fd00::7'/>
  </protocol>
</interface>
X
"$KVMNET" --root "$R" --backend "$BACKEND" iface-define "$T/x.xml" >"$T/out" 2>"$T/err" ||
        fail "define: $(cat "$T/err")"
for w in 10.9.9.9/8 172.16.1.1/16 192.168.7.7/24 fd00::7/64; do
        grep -q "^warning: eth0: address ${w%/*} has no prefix; defined as $w " "$T/err" ||
                fail "no warning for $w on stderr: $(cat "$T/err")"
done
# (The CLI prints the reply's "warnings" array: stderr shows the reply.)
echo "ok - four warnings on stderr"
"$KVMNET" --root "$R" --backend "$BACKEND" iface-dumpxml eth0 --inactive >"$T/dump" ||
        fail "dumpxml"
for a in "10.9.9.9' prefix='8'" "172.16.1.1' prefix='16'" "192.168.7.7' prefix='24'" "fd00::7' prefix='64'"; do
        grep -q "address='$a" "$T/dump" || fail "dumpxml lacks $a: $(cat "$T/dump")"
done
echo "ok - $BACKEND stores and reads back the explicit prefixes"
