#!/bin/bash
# `make demo`: kvmnet's main job on a sandbox.  Everything happens under a
# temporary root directory; nothing on this host is read or changed.
set -euo pipefail
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
kvmnet="$build/src/cli/kvmnet"
sandbox=$(mktemp -d /tmp/kvmnet-demo-XXXXXX)
trap 'rm -rf "$sandbox"' EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

for backend in ifcfg ifupdown; do
        root="$sandbox/$backend"
        case $backend in
        ifcfg) mkdir -p "$root/etc/sysconfig/network-scripts"
               printf 'DEVICE=eth0\nBOOTPROTO=dhcp\nONBOOT=yes\n# set by the installer\nETHTOOL_OPTS="-K eth0 gro off"\n' \
                       >"$root/etc/sysconfig/network-scripts/ifcfg-eth0" ;;
        ifupdown) mkdir -p "$root/etc/network/interfaces.d"
               printf 'source /etc/network/interfaces.d/*\n\nauto lo\niface lo inet loopback\n\nauto eth0\niface eth0 inet dhcp\n    # set by the installer\n    post-up ethtool -K eth0 gro off\n' \
                       >"$root/etc/network/interfaces" ;;
        esac
        say "$backend: a host whose eth0 gets its address by DHCP (root: $root)"
        run "$kvmnet" --root "$root" iface-list --all

        say "$backend: share eth0 with guests: define br0 with eth0 as its port"
        run cat "$top/examples/br0-over-eth0.xml"
        run "$kvmnet" --root "$root" iface-define "$top/examples/br0-over-eth0.xml"
        run "$kvmnet" --root "$root" iface-define "$top/examples/bond0.xml"
        run "$kvmnet" --root "$root" iface-define "$top/examples/eth3.100.xml"

        say "$backend: the files kvmnet wrote (unknown keys and comments kept)"
        (cd "$root" && find etc -type f | sort | while read -r f; do
                printf -- '--- %s\n' "$f"; cat "$f"; done)

        say "$backend: read back"
        run "$kvmnet" --root "$root" iface-list --all
        run "$kvmnet" --root "$root" iface-dumpxml br0 --inactive
        run "$kvmnet" --root "$root" iface-name 52:54:00:12:34:56
done

say "the daemon: kvmnetd serves the ifupdown sandbox on its own sockets"
export KVMNET_RUN_DIR="$sandbox/run"
"$build/src/daemon/kvmnetd" --root "$sandbox/ifupdown" --state-dir "$sandbox/state" \
        2>"$sandbox/kvmnetd.log" &
daemon=$!
trap 'kill "$daemon" 2>/dev/null; wait "$daemon" 2>/dev/null; rm -rf "$sandbox"' EXIT
for _ in $(seq 50); do [ -S "$KVMNET_RUN_DIR/kvmnet-sock" ] && break; sleep 0.1; done
run "$kvmnet" iface-list --all
run "$kvmnet" iface-mac eth0
say "the read-only socket serves reads but refuses changes"
run "$kvmnet" -c "unix://$KVMNET_RUN_DIR/kvmnet-sock-ro" iface-dumpxml bond0 --inactive
run "$kvmnet" -c "unix://$KVMNET_RUN_DIR/kvmnet-sock-ro" iface-undefine bond0 || true

say "bad input is refused, naming the thing, and nothing is written"
printf "<interface type='ethernet' name='../../etc/x'/>\n" >"$sandbox/bad.xml"
run "$kvmnet" --root "$sandbox/ifupdown" iface-define "$sandbox/bad.xml" || true
