#!/bin/bash
# `make demo`: kvmnet's main job on a sandbox.  Files happen under a
# temporary root directory; live interfaces (as root) in a private network
# namespace, kvmnet-demo-PID, whose eth0 is a veth pair standing in for the
# NIC and whose LAN is another namespace.  Nothing on this host is changed.
set -euo pipefail
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
kvmnet="$build/src/cli/kvmnet"
sandbox=$(mktemp -d /tmp/kvmnet-demo-XXXXXX)
ns=kvmnet-demo-$$
lan=kvmnet-demo-$$-lan
daemon=
cleanup() {
        [ -z "$daemon" ] || { kill "$daemon" 2>/dev/null; wait "$daemon" 2>/dev/null || true; }
        for n in "$ns" "$lan"; do
                for p in $(ip netns pids "$n" 2>/dev/null); do kill -9 "$p"; done
                ip netns del "$n" 2>/dev/null || true
        done
        rm -rf "$sandbox"
}
trap cleanup EXIT

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

live=
if [ "$(id -u)" = 0 ] && command -v ip >/dev/null && ip netns list >/dev/null 2>&1; then
        live=1
        say "a private network namespace $ns stands in for the host: eth0 is one end of a veth pair, the other end is in $lan (the LAN, 192.0.2.1)"
        ip netns add "$ns"
        ip netns add "$lan"
        ip -n "$ns" link set lo up
        ip -n "$ns" link add eth0 type veth peer name lan0 netns "$lan"
        ip -n "$lan" addr add 192.0.2.1/24 dev lan0
        ip -n "$lan" link set lan0 up
        # The host is on the network through eth0, as before kvmnet.
        ip -n "$ns" addr add 192.0.2.10/24 dev eth0
        ip -n "$ns" link set eth0 up
        ip -n "$ns" route add default via 192.0.2.1
        run ip -n "$ns" -br addr
fi

say "the daemon: kvmnetd serves the ifupdown sandbox on its own sockets${live:+, and the live interfaces of $ns}"
export KVMNET_RUN_DIR="$sandbox/run"
# In the sandbox namespace kvmnetd also ships and autostarts the default
# NAT network, as on a real host (never in this host's own namespace).
# dnsmasq drops to nobody and re-reads its files in the state directory.
[ -n "$live" ] && mkdir -p "$sandbox/state" && chmod 755 "$sandbox" "$sandbox/state"
${live:+env KVMNET_SHIP_DEFAULT_NETWORK=1} "$build/src/daemon/kvmnetd" --root "$sandbox/ifupdown" \
        --state-dir "$sandbox/state" ${live:+--netns "$ns"} 2>"$sandbox/kvmnetd.log" &
daemon=$!
for _ in $(seq 50); do [ -S "$KVMNET_RUN_DIR/kvmnet-sock" ] && break; sleep 0.1; done
run "$kvmnet" iface-list --all
run "$kvmnet" iface-mac eth0
say "the read-only socket serves reads but refuses changes"
run "$kvmnet" -c "unix://$KVMNET_RUN_DIR/kvmnet-sock-ro" iface-dumpxml bond0 --inactive
run "$kvmnet" -c "unix://$KVMNET_RUN_DIR/kvmnet-sock-ro" iface-undefine bond0 || true

if [ -n "$live" ]; then
        say "live: iface-start br0 makes eth0 a port of br0 and moves the host's address to the bridge (only what differs is changed)"
        "$kvmnet" event --loop --timeout 2 >"$sandbox/events" 2>&1 &
        events=$!
        sleep 0.2
        run "$kvmnet" iface-start br0 --verbose
        wait "$events" || true
        say "the events kvmnetd saw meanwhile (kvmnet event --loop)"
        head -n 8 "$sandbox/events"
        [ "$(wc -l <"$sandbox/events")" -le 8 ] || echo "... ($(wc -l <"$sandbox/events") events)"
        run "$kvmnet" iface-list --all
        run "$kvmnet" iface-dumpxml br0
        say "the host is still on the network, through the bridge"
        run ip netns exec "$ns" ping -c 2 -W 2 192.0.2.1
        if command -v qemu-system-x86_64 >/dev/null &&
                info=$(sh "$top/tests/vm/build-initramfs" "$build/tests/vm" 2>/dev/null); then
                say "guests: kvmnetd boots a small guest (TCG) with no NIC, then hot-plugs one on br0"
                kernel=$(echo "$info" | sed -n 's/^kernel=//p')
                initrd=$(echo "$info" | sed -n 's/^initramfs=//p')
                cat >"$sandbox/vm1.xml" <<XML
<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>vm1</name><memory unit='MiB'>256</memory>
  <os><type machine='pc'>hvm</type><kernel>$kernel</kernel><initrd>$initrd</initrd>
    <cmdline>console=ttyS0 quiet panic=-1</cmdline></os>
  <devices><serial type='file'><source path='$sandbox/vm1.console'/></serial></devices>
  <qemu:commandline><qemu:arg value='-chardev'/>
    <qemu:arg value='socket,id=kvmnet-cmd,path=$sandbox/vm1.cmd,server=on,wait=off'/>
    <qemu:arg value='-serial'/><qemu:arg value='chardev:kvmnet-cmd'/></qemu:commandline>
</domain>
XML
                run "$kvmnet" guest-define "$sandbox/vm1.xml"
                run "$kvmnet" guest-start vm1
                guest() { # run a command in the guest through the harness's channel
                        python3 - "$sandbox" "$@" <<'PY'
import os, sys, json
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.environ['top'], 'tests', 'vm'))
import kvmnetvm
d = sys.argv[1]
vm = kvmnetvm.VM(os.path.join(d, 'vm1.work'))
vm.cmd_socket, vm.console_log = os.path.join(d, 'vm1.cmd'), os.path.join(d, 'vm1.console')
vm.pid = int(open(os.path.join(d, 'run', 'guests', 'vm1.pid')).read())
if sys.argv[2] == 'wait':
    print(vm.wait_for(sys.argv[3], timeout=120, since=0).group(0).strip())
else:
    rc, out = vm.run(sys.argv[2], timeout=30)
    print('[guest] $ ' + sys.argv[2]); print(out, end='')
PY
                }
                export top
                guest wait '__KVMNET_READY__[^\r\n]*'
                run "$kvmnet" attach-interface vm1 --bridge br0 --mac 52:54:00:de:00:01
                run "$kvmnet" domiflist vm1
                guest wait '__KVMNET_NETDEV__ add eth0 [^\r\n]*'
                guest 'ip addr add 192.0.2.50/24 dev eth0 && ip link set eth0 up && ping -c 2 -W 5 192.0.2.1'
                run "$kvmnet" detach-interface vm1 --mac 52:54:00:de:00:01
                guest 'ip -br link'
                run ip -n "$ns" -br link
                say "guests on the default NAT network: kvmnetd's bridge, dnsmasq and nftables in $ns (never this host's own namespace)"
                run "$kvmnet" net-list --all
                run "$kvmnet" attach-interface vm1 --network default --mac 52:54:00:de:00:02
                run "$kvmnet" domiflist vm1
                guest wait '__KVMNET_NETDEV__ add eth[0-9]+ 52:54:00:de:00:02[^\r\n]*'
                # the LAN has no route to the network's subnet: only the NAT brings the answers back
                guest 'i=$(grep -l 52:54:00:de:00:02 /sys/class/net/*/address | cut -d/ -f5); ip link set $i up && udhcpc -i $i -n -q -t 5 -T 1 >/dev/null 2>&1; ip -4 -br addr show dev $i; ping -c 2 -W 5 192.0.2.1'
                run "$kvmnet" net-dhcp-leases default
                run "$kvmnet" net-destroy default || true
                run "$kvmnet" detach-interface vm1 --mac 52:54:00:de:00:02
                run "$kvmnet" net-destroy default
                run "$kvmnet" guest-stop vm1
        else
                say "guests: skipped (needs qemu-system-x86, linux-image-amd64, busybox-static)"
        fi
        say "a change that the kernel refuses is undone as a whole"
        sed -e "s/gateway='192.0.2.1'/gateway='198.51.100.1'/" "$top/examples/br0-over-eth0.xml" >"$sandbox/br0-badgw.xml"
        run "$kvmnet" iface-define "$sandbox/br0-badgw.xml"
        run "$kvmnet" iface-start br0 || true
        run "$kvmnet" iface-define "$top/examples/br0-over-eth0.xml"
        run ip netns exec "$ns" ping -c 1 -W 2 192.0.2.1
        say "iface-destroy br0: the bridge goes, eth0 is down without addresses"
        run "$kvmnet" iface-destroy br0
        run "$kvmnet" iface-list --all
        run ip -n "$ns" -br addr

        say "share eth0 with guests in one command: iface-bridge, while the LAN pings the host every millisecond"
        run "$kvmnet" iface-undefine br0
        run "$kvmnet" iface-define "$top/examples/eth0-static.xml"
        run "$kvmnet" iface-start eth0
        # The probe of bench/bridge-outage (tests/txn/lib-outage.sh): a 1 ms
        # ICMP stream and a TCP echo stream from the LAN to the host.
        OUTAGE_NO_TRAP=1 OUTAGE_BUILD=$build
        . "$top/tests/txn/lib-outage.sh"
        outage_attach "$ns" "$lan" 192.0.2.10
        outage_start_probe --tcp
        run "$kvmnet" iface-bridge eth0 br0 --verbose
        run ip -n "$ns" -br addr
        sleep 0.5
        run "$kvmnet" iface-unbridge br0
        run ip -n "$ns" -br addr
        sleep 0.3
        outage_stop_probe >/dev/null
        j=$OUTAGE_PROBE_JSON
        echo "the probe from the LAN: $(outage_json sent "$j") requests at 1 ms, $(outage_json lost "$j") lost," \
                "longest gap $(outage_json max_gap_ms "$j") ms; TCP stream still up: $(outage_json tcp_up "$j")"
        outage_teardown
        say "--confirm: a change nobody confirms is reverted by kvmnetd itself"
        run "$kvmnet" iface-bridge eth0 br0 --confirm 2
        run ip -n "$ns" -br link
        sleep 3
        run ip -n "$ns" -br addr
        grep "not confirmed" "$sandbox/kvmnetd.log" || true
else
        say "live interfaces: skipped (needs root for a private network namespace)"
fi

say "bad input is refused, naming the thing, and nothing is written"
printf "<interface type='ethernet' name='../../etc/x'/>\n" >"$sandbox/bad.xml"
run "$kvmnet" --root "$sandbox/ifupdown" iface-define "$sandbox/bad.xml" || true
