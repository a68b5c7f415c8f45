# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared by the daemon and CLI tests (bash).  Source it, then use:
#   make_root DIR BACKEND       an empty configuration root for BACKEND
#                               (ifupdown, ifcfg, networkd, nmkeyfile)
#   start_daemon [ARGS]         kvmnetd on $T/rw and $T/ro, root $ROOT
#   can_netns / make_netns TAG  (root) a throw-away network namespace, in $NS_MADE
#   make_nic_host               (root) $H with eth0 to a LAN namespace, $ROOT for it
#   stop_daemon                 SIGTERM, check a clean exit and no sockets left
#   fail MSG / pass MSG
#   skip WHY                    the whole test cannot run here: exit 77
#   skip_part PART WHY          one part cannot run; the test goes on
#                               (scripts/check.sh counts each as a skip)
#   root_sum DIR                checksum of a tree (names, modes, contents)
#   xml_validate FILE SCHEMA    virt-xml-validate (a skipped part without it)
#   expect_error CODE PATTERN CMD...   CMD exits CODE with exactly one
#                               "error:" line on stderr, matching PATTERN
# Everything lives in $T, removed on exit with the processes started here.

set -u

: "${KVMNET:?KVMNET must name the kvmnet binary}"
: "${KVMNETD:?KVMNETD must name the kvmnetd binary}"

T=$(mktemp -d "${TMPDIR:-/tmp}/kvmnet-test.XXXXXX")
chmod 755 "$T" # other users (nobody) must reach the sockets
DAEMON_PID=
EXTRA_PIDS=
export KVMNET_RUN_DIR="$T/run" # never the host's /run/kvmnet
# Built with AddressSanitizer?  (No valgrind then, and memory use differs.)
KN_SANITIZED=
ldd "$KVMNETD" 2>/dev/null | grep -q -e libasan -e libubsan && KN_SANITIZED=1
unset KVMNET_URI

NETNS_LIST=
cleanup() {
        local p
        for p in $EXTRA_PIDS $DAEMON_PID; do
                kill "$p" 2>/dev/null
        done
        for p in $EXTRA_PIDS $DAEMON_PID; do
                wait "$p" 2>/dev/null
        done
        for p in $NETNS_LIST; do
                for pid in $(ip netns pids "$p" 2>/dev/null); do kill -9 "$pid"; done
                ip netns del "$p" 2>/dev/null
        done
        rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
        echo "FAIL: $*" >&2
        if [ -s "$T/daemon.log" ]; then
                echo "--- daemon log (last 30 lines)" >&2
                tail -n 30 "$T/daemon.log" >&2
        fi
        exit 1
}

pass() {
        echo "ok - $*"
}

# The one form of a skip, which scripts/check.sh reads: "SKIP: WHY" ends a
# test with 77 (meson's skip); "SKIP: PART: WHY" from a test that goes on
# is a skipped part, counted and listed apart from the test's own result.
skip() {
        echo "SKIP: $*"
        exit 77
}

skip_part() {
        echo "SKIP: $1: ${*:2}"
}

make_root() {
        local dir=$1 backend=$2
        case $backend in
        ifupdown)
                mkdir -p "$dir/etc/network/interfaces.d"
                printf 'source /etc/network/interfaces.d/*\n' >"$dir/etc/network/interfaces"
                ;;
        ifcfg)
                mkdir -p "$dir/etc/sysconfig/network-scripts"
                ;;
        networkd) # an empty directory is enough to detect it
                mkdir -p "$dir/etc/systemd/network"
                ;;
        nmkeyfile)
                mkdir -p "$dir/etc/NetworkManager/system-connections"
                ;;
        *) fail "unknown backend $backend" ;;
        esac
}

# A file that does not parse, in BACKEND's format; prints its path.
make_broken_file() {
        local dir=$1 backend=$2
        case $backend in
        ifupdown)
                printf 'iface broken0 inet static\n\taddress 10.9.9.9/24\niface broken0 inet6 bogus-method-x\n' \
                        >"$dir/etc/network/interfaces.d/broken0"
                echo "$dir/etc/network/interfaces.d/broken0"
                ;;
        ifcfg)
                printf 'DEVICE=broken0\nTYPE=Ethernet\nthis line is not KEY=VALUE "\n' \
                        >"$dir/etc/sysconfig/network-scripts/ifcfg-broken0"
                echo "$dir/etc/sysconfig/network-scripts/ifcfg-broken0"
                ;;
        networkd)
                printf '[Match]\nName=broken0\n\n[Network]\nAddress=10.9.9.9/24\nthis line has no equals sign\n' \
                        >"$dir/etc/systemd/network/10-broken0.network"
                echo "$dir/etc/systemd/network/10-broken0.network"
                ;;
        nmkeyfile)
                printf '[connection]\nid=broken0\ntype=ethernet\ninterface-name=broken0\nthis line has no equals sign\n' \
                        >"$dir/etc/NetworkManager/system-connections/broken0.nmconnection"
                chmod 600 "$dir/etc/NetworkManager/system-connections/broken0.nmconnection"
                echo "$dir/etc/NetworkManager/system-connections/broken0.nmconnection"
                ;;
        esac
}

start_daemon() {
        : >>"$T/daemon.log"
        "$KVMNETD" --root "$ROOT" --socket "$T/rw" --ro-socket "$T/ro" \
                --state-dir "$T/state" "$@" 2>>"$T/daemon.log" &
        DAEMON_PID=$!
        local i
        for i in $(seq 100); do
                # Connectable, not merely there: a killed daemon leaves sockets.
                local rc=0
                "$KVMNET" -c "unix://$T/ro" iface-list >/dev/null 2>&1 || rc=$?
                [ "$rc" != 3 ] && [ -S "$T/rw" ] && return 0
                kill -0 "$DAEMON_PID" 2>/dev/null || fail "kvmnetd exited at start"
                sleep 0.05
        done
        fail "kvmnetd did not create its sockets"
}

stop_daemon() {
        [ -n "$DAEMON_PID" ] || return 0
        kill -TERM "$DAEMON_PID"
        local rc=0
        wait "$DAEMON_PID" || rc=$?
        DAEMON_PID=
        [ "$rc" = 0 ] || fail "kvmnetd exited with $rc after SIGTERM"
        [ ! -e "$T/rw" ] && [ ! -e "$T/ro" ] || fail "kvmnetd left its sockets behind"
}

daemon_alive() {
        kill -0 "$DAEMON_PID" 2>/dev/null || fail "kvmnetd died: $*"
}

root_sum() {
        (cd "$1" && find . -printf '%p %y %m %s\n' | LC_ALL=C sort &&
                find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
}

xml_validate() {
        local file=$1 schema=$2
        command -v virt-xml-validate >/dev/null || {
                skip_part "virt-xml-validate $(basename "$file")" "not installed (libvirt-clients)"
                return 0
        }
        virt-xml-validate "$file" "$schema" >"$T/vxv" 2>&1 ||
                fail "virt-xml-validate $file $schema: $(cat "$T/vxv") $(cat "$file")"
}

expect_error() {
        local code=$1 pattern=$2
        shift 2
        local rc=0
        "$@" >"$T/out" 2>"$T/err" || rc=$?
        [ "$rc" = "$code" ] || fail "'$*' exited $rc, not $code; stderr: $(cat "$T/err")"
        [ "$(grep -c '^error: ' "$T/err")" = 1 ] ||
                fail "'$*' should print exactly one error, printed: $(cat "$T/err")"
        grep -q -E -- "$pattern" "$T/err" ||
                fail "'$*': error does not match /$pattern/: $(cat "$T/err")"
}

# A new, empty network namespace named kn-test-$$-TAG with lo up, deleted
# on exit; its name is left in $NS_MADE (not printed: a $(...) subshell
# would lose the cleanup list).  Needs root and ip: check with can_netns.
can_netns() {
        [ "$(id -u)" = 0 ] && command -v ip >/dev/null && ip netns list >/dev/null 2>&1
}
make_netns() {
        local ns=kn-test-$$-$1
        ip netns del "$ns" 2>/dev/null
        ip netns add "$ns" || fail "ip netns add $ns"
        NETNS_LIST="$NETNS_LIST $ns"
        ip -n "$ns" link set lo up || fail "lo up in $ns"
        NS_MADE=$ns
}

# Wait until CMD succeeds (up to 5 s).
wait_for() {
        local i
        for i in $(seq 100); do
                "$@" >/dev/null 2>&1 && return 0
                sleep 0.05
        done
        return 1
}

# (root) A host to share a NIC on: namespace $H whose eth0 (a veth, up,
# 192.0.2.10/24) reaches lan0 (up) in a LAN namespace, and $ROOT
# (ifupdown) configuring eth0 as it is live.
make_nic_host() {
        make_netns host
        H=$NS_MADE
        make_netns lan
        ip -n "$H" link add eth0 type veth peer name lan0 netns "$NS_MADE" &&
                ip -n "$H" addr add 192.0.2.10/24 dev eth0 && ip -n "$H" link set eth0 up &&
                ip -n "$NS_MADE" link set lan0 up || fail "namespace setup"
        ROOT=$T/root
        make_root "$ROOT" ifupdown
        printf 'auto eth0\niface eth0 inet static\n    address 192.0.2.10/24\n' \
                >"$ROOT/etc/network/interfaces"
}

# The XML documents the tests define.
xml_bridge() { # NAME PORT MAC
        cat <<EOF
<interface type='bridge' name='$1'>
  <start mode='onboot'/>
  <protocol family='ipv4'>
    <ip address='192.168.10.2' prefix='24'/>
    <route gateway='192.168.10.1'/>
  </protocol>
  <bridge stp='off' delay='0'>
    <interface type='ethernet' name='$2'>
      <mac address='$3'/>
    </interface>
  </bridge>
</interface>
EOF
}

xml_ethernet() { # NAME MAC
        cat <<EOF
<interface type='ethernet' name='$1'>
  <start mode='onboot'/>
  <mac address='$2'/>
  <protocol family='ipv4'>
    <dhcp/>
  </protocol>
</interface>
EOF
}

xml_vlan() { # PARENT TAG
        cat <<EOF
<interface type='vlan' name='$1.$2'>
  <start mode='onboot'/>
  <protocol family='ipv4'>
    <ip address='10.0.$2.1' prefix='24'/>
  </protocol>
  <vlan tag='$2'>
    <interface name='$1'/>
  </vlan>
</interface>
EOF
}
