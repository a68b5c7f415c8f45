#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Hostile names (issue 10, section 6) at every entry point, through the CLI
# and kvmnetd serving a throw-away namespace: interface names in
# iface-define XML and the iface verbs, iface-bridge's NIC and bridge,
# network names and bridges in net-define XML and the net verbs, guest
# names, <source network|bridge> and <target dev> in guest-define XML and
# the guest verbs, attach-interface's guest, --bridge, --network and
# --target, attach-device XML.  Each must get exactly one error line that
# names the thing ("WHAT name 'NAME' ...", the name shown on one line) and
# leave nothing behind: the configuration root, the state directory, the
# namespace's links and this machine's /etc stay as they were.  The
# hostile clients (floods, limits) are tests/daemon/hostile.sh.  Needs
# root (exit 77 without).  BACKEND (default ifupdown) stores the interfaces;
# networks and guests are only checked with ifupdown.
. "$(dirname "$0")/lib.sh"
BACKEND=${1:-ifupdown}

can_netns || skip "needs root and ip (network namespaces)"
for f in /etc/x /etc/x.xml /etc/x.conf; do
        [ ! -e "$f" ] || skip "$f exists, the test could not tell"
done

make_netns names
H=$NS_MADE
ROOT=$T/root
make_root "$ROOT" "$BACKEND"
mkdir -m 755 "$T/state" "$T/in"
start_daemon --netns "$H"
kv() { "$KVMNET" -c "unix://$T/rw" "$@"; }

# Everything a refused request could have created or changed.
snapshot() {
        root_sum "$ROOT"
        root_sum "$T/state"
        (cd "$T" && find . -path ./in -prune -o -path ./root -prune -o -path ./state -prune -o \
                -print | grep -v -e '^\./out$' -e '^\./err$' -e '^\./daemon\.log$' | LC_ALL=C sort)
        ip -n "$H" -o link show | cut -d: -f2
        ls -d /etc/x* 2>/dev/null
}
BEFORE=$(snapshot)

# The names, each with how the error must show it and why it is refused;
# "%s" in WHY is the kind of name the entry point checks.
NL=$'\n'
HOSTILE=(
        "../../etc/x|../../etc/x|starts with '.'"
        "..|..|starts with '.'"
        ".|.|starts with '.'"
        "a/../../../etc/x|a/../../../etc/x|contains '/'"
        "-rf|-rf|starts with '-'"
        "a b|a b|contains a space"
        "a${NL}b|a\\nb|contains a newline"
        "a	b|a\\tb|contains a tab"
        "x;rm -rf|x;rm -rf|contains ';'"
)
LONG_IF=a23456789012345x # IFNAMSIZ is 16 with the NUL
LONG_OBJ=$(printf 'g%.0s' $(seq 65))

# refused WHAT SHOWN WHY CMD...: one error, "WHAT name 'SHOWN' WHY".
refused() {
        local what=$1 shown=$2 why=$3
        shift 3
        local pat
        pat=$(printf '%s' "$what name '$shown' $why" | sed 's/[][\.*^$()+?{}|]/\\&/g')
        expect_error 1 "$pat" "$@"
        daemon_alive "$*"
}
# each_name KIND WHAT CMD...: CMD refused for every hostile name, with @ in
# its arguments replaced by the name (and $NAME set to it); KIND is iface
# or object (which long name), WHAT the kind of name the error must say.
each_name() {
        local kind=$1 what=$2
        shift 2
        local h shown why long
        # A message shows at most 64 bytes of a name.
        if [ "$kind" = iface ]; then
                long="$LONG_IF|$LONG_IF|is ${#LONG_IF} characters long"
        else
                long="$LONG_OBJ|${LONG_OBJ:0:64}...|is ${#LONG_OBJ} characters long"
        fi
        for h in "${HOSTILE[@]}" "$long"; do
                IFS='|' read -r -d '' NAME shown why <<<"$h" || true
                why=${why%"$NL"}
                local argv=() a
                for a in "$@"; do argv+=("${a//@/"$NAME"}"); done
                refused "$what" "$shown" "$why" "${argv[@]}"
        done
        # Nothing made, by any of them (one look for all: it is the slow part).
        [ "$(snapshot)" = "$BEFORE" ] ||
                fail "'$*' with a hostile name left something behind: $(diff <(echo "$BEFORE") <(snapshot))"
}
# xml_doc CMD TEMPLATE: CMD FILE, FILE the template with %N% replaced by
# $NAME as XML text (a newline or tab as a character reference: XML makes
# a literal one in an attribute a space).
xml_doc() {
        local nl='&#10;' tab='&#9;' x
        x=${NAME//$NL/"$nl"}
        x=${x//	/"$tab"}
        printf '%s\n' "${2//%N%/"$x"}" >"$T/in/doc.xml"
        $1 "$T/in/doc.xml"
}

# ---- host interfaces
define_iface() { kv iface-define "$@"; }
each_name iface interface xml_doc define_iface "<interface type='ethernet' name='%N%'><start mode='onboot'/></interface>"
each_name iface interface xml_doc define_iface "<interface type='bridge' name='br0'><bridge><interface type='ethernet' name='%N%'/></bridge></interface>"
each_name iface interface xml_doc define_iface "<interface type='vlan' name='v42'><vlan tag='42'><interface name='%N%'/></vlan></interface>"
pass "iface-define: interface names, bridge ports and vlan parents"
for verb in iface-undefine iface-dumpxml iface-mac iface-start iface-destroy iface-unbridge; do
        each_name iface interface kv "$verb" -- @
done
pass "iface-undefine, iface-dumpxml, iface-mac, iface-start, iface-destroy, iface-unbridge"
each_name iface interface kv iface-bridge -- @ br0
each_name iface bridge kv iface-bridge -- eth0 @
pass "iface-bridge: the NIC and the bridge"

# Networks and guests are kept in the state directory whatever the
# backend: checked once.
if [ "$BACKEND" != ifupdown ]; then
        stop_daemon
        exit 0
fi

# ---- virtual networks
define_net() { kv net-define "$@"; }
each_name object network xml_doc define_net "<network><name>%N%</name></network>"
each_name iface bridge xml_doc define_net "<network><name>n1</name><bridge name='%N%'/></network>"
each_name iface interface xml_doc define_net "<network><name>n1</name><forward mode='nat' dev='%N%'/><bridge name='kvbr7'/></network>"
pass "net-define: network names, bridges and forward devices"
for verb in net-start net-destroy net-info net-dumpxml net-undefine net-autostart net-dhcp-leases; do
        each_name object network kv "$verb" -- @
done
pass "net-start, net-destroy, net-info, net-dumpxml, net-undefine, net-autostart, net-dhcp-leases"

# ---- guests
domain() { # NAME INTERFACE-XML
        printf "<domain type='qemu'><name>%s</name><memory unit='MiB'>64</memory><os><type machine='pc'>hvm</type></os><devices>%s</devices></domain>" "$1" "$2"
}
define_guest() { kv guest-define "$@"; }
each_name object guest xml_doc define_guest "$(domain %N% '')"
each_name object network xml_doc define_guest "$(domain g1 "<interface type='network'><source network='%N%'/></interface>")"
each_name iface bridge xml_doc define_guest "$(domain g1 "<interface type='bridge'><source bridge='%N%'/></interface>")"
each_name iface tap xml_doc define_guest "$(domain g1 "<interface type='bridge'><source bridge='br0'/><target dev='%N%'/></interface>")"
pass "guest-define: guest names, <source network>, <source bridge>, <target dev>"
for verb in guest-undefine guest-dumpxml guest-start guest-stop guest-info domiflist; do
        each_name object guest kv "$verb" -- @
done
each_name object guest kv guest-adopt -- @ "$T/in/qmp.sock"
pass "guest-undefine, guest-dumpxml, guest-start, guest-stop, guest-info, domiflist, guest-adopt"
each_name object guest kv attach-interface --bridge br0 -- @
each_name object guest kv detach-interface --mac 52:54:00:00:00:01 -- @
each_name iface bridge kv attach-interface g1 --bridge @
each_name object network kv attach-interface g1 --network @
each_name iface tap kv attach-interface g1 --bridge br0 --target @
attach_dev() { kv attach-device g1 "$@"; }
each_name iface bridge xml_doc attach_dev "<interface type='bridge'><source bridge='%N%'/></interface>"
each_name iface tap xml_doc attach_dev "<interface type='bridge'><source bridge='br0'/><target dev='%N%'/></interface>"
pass "attach-interface (guest, --bridge, --network, --target), detach-interface, attach-device"

# ---- a NUL inside a JSON string would cut the name short on the way in
out=$("$KN_RAWCLIENT" "$T/rw" 'send:{"id":1,"verb":"guest-define","args":{"xml":"<domain type=\u0027qemu\u0027><name>g\u0000/../../x</name></domain>"}}\n' read:1) ||
        fail "rawclient: $out"
grep -q '"code":"EPROTO".*u0000 in the string' <<<"$out" || fail "a NUL in a string: $out"
[ "$(snapshot)" = "$BEFORE" ] || fail "a NUL in a string left something behind"
pass "a NUL in a JSON string is refused, not cut short"

# ---- --netns: what 'ip netns add' takes, shown on one line when refused
for ns in .. . "$(printf 'n%.0s' $(seq 256))" "a/b"; do
        expect_error 1 "is not a network namespace name|network namespace 'a/b'" \
                "$KVMNET" --root "$ROOT" --state-dir "$T/state" --netns "$ns" iface-list --all
done
expect_error 1 "network namespace 'x\\\\ny': No such file or directory" \
        "$KVMNET" --root "$ROOT" --state-dir "$T/state" --netns "x${NL}y" iface-list --all
[ "$(snapshot)" = "$BEFORE" ] || fail "a refused --netns left something behind"
pass "--netns: '.', '..', 256 bytes refused, a name with a newline shown as one line"

stop_daemon
