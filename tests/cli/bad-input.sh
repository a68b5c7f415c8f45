#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Bad input through the CLI: each gets one clear error naming the thing,
# a non-zero exit, and the files stay exactly as they were.
. "$(dirname "$0")/../daemon/lib.sh"
BACKEND=${1:-ifupdown}
MODE=${2:-daemon}

ROOT=$T/root
make_root "$ROOT" "$BACKEND"
xml_bridge br0 eth0 52:54:00:00:00:01 >"$T/br0.xml"
"$KVMNET" --root "$ROOT" iface-define "$T/br0.xml" >/dev/null || fail "offline define"
case $MODE in
daemon)
        start_daemon
        kv() { "$KVMNET" -c "unix://$T/rw" "$@"; }
        ;;
offline) kv() { "$KVMNET" --root "$ROOT" "$@"; } ;;
*) fail "unknown mode $MODE" ;;
esac
sum=$(root_sum "$ROOT")

bad() { # NAME PATTERN [CODE]  (XML on stdin)
        local name=$1 pattern=$2 code=${3:-1}
        cat >"$T/$name.xml"
        expect_error "$code" "$pattern" kv iface-define "$T/$name.xml"
        [ "$(root_sum "$ROOT")" = "$sum" ] || fail "$name: the files changed"
        pass "$name: $(sed 's/^error: //' "$T/err")"
}

printf "<interface type='ethernet' name='eth3'>\n  <start mode='onboot'/>\n  <mac address='52:54:00:00:00:03'>\n</interface>\n" |
        bad malformed "^error: $T/malformed.xml:[0-9]+: "
printf "<interface type='wifi' name='wlan0'>\n  <start mode='onboot'/>\n</interface>\n" |
        bad unknown-type "^error: $T/unknown-type.xml:1: .*wifi"
xml_vlan eth1 4096 | sed "s/10.0.4096.1/10.0.0.1/" | bad vlan-4096 "4096"
xml_ethernet ../../x 52:54:00:00:00:09 | bad name-dotdot "'\.\./\.\./x'"
xml_ethernet a23456789012345x 52:54:00:00:00:09 | bad name-16 "'a23456789012345x'"
xml_bridge br1 eth0 52:54:00:00:00:01 | bad port-taken "eth0 is already a port of bridge br0" 7
: | bad empty "empty.xml"
printf 'not xml at all\n' | bad not-xml "not-xml.xml:1"

expect_error 1 "'\.\./\.\./x'" kv iface-undefine ../../x
expect_error 1 "'a23456789012345x'" kv iface-dumpxml a23456789012345x
expect_error 1 "'\.\./x'" kv iface-mac ../x
expect_error 1 "cannot read $T/missing.xml: No such file or directory" kv iface-define "$T/missing.xml"
[ "$(root_sum "$ROOT")" = "$sum" ] || fail "the files changed"
pass "bad names in iface-undefine/dumpxml/mac, missing file"

[ "$MODE" = daemon ] && stop_daemon
exit 0
