# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# tests/txn/lib-outage.sh: a host and its LAN in two network namespaces, a
# 1 ms ping stream (and a TCP connection) from the LAN to the host, and
# snapshots of the host's addresses and routes, for tests and benchmarks
# that change the host's network live (iface-bridge, iface-unbridge,
# confirm-or-revert).  Source it from bash; needs root.
#
#   outage_setup static|dhcp [HOSTNS [LANNS]]
#       namespaces HOSTNS (default $OUTAGE_NS_PREFIX-$$-host, the prefix
#       kn-outage unless set) and LANNS (...-lan), a veth
#       pair eth0 (host) / lan0 (lan); in LANNS lan0 is a port of a switch
#       (bridge sw0) whose other port leads to client0, the LAN host:
#       192.0.2.1/24 and 2001:db8::1/64, MAC $OUTAGE_LAN_MAC.  static: 192.0.2.10/24 on eth0, default route via
#       192.0.2.1, 2001:db8::10/64, and 198.51.100.0/24 via 192.0.2.1 in
#       table 100.  dhcp: dnsmasq on client0 serving 192.0.2.100-150 and
#       busybox udhcpc on eth0, laid out as kvmnet's own client (see
#       OUTAGE_RUN_DIR below); waits for the lease.  Installs
#       `trap outage_teardown EXIT` (and INT/TERM) unless OUTAGE_NO_TRAP=1.
#   outage_attach HOSTNS LANNS ADDR
#       the probe alone, between two namespaces made elsewhere (the host
#       answers at ADDR from LANNS): no set-up; outage_teardown then stops
#       only what the harness started and leaves the namespaces alone
#   outage_start_probe [--tcp] [PROBE-OPTION...]   (--rt unless OUTAGE_PROBE_RT=0)
#       starts bench/outage-probe in LANNS against the host address; with
#       --tcp also an echo server in HOSTNS (port 7777) and one connection
#       to it.  Returns once the first reply (and echo) came back.
#   outage_stop_probe
#       stops it and prints its one JSON line (sent, received, lost,
#       max_gap_ms, window, tcp_up, tcp_bytes...); also sets
#       OUTAGE_PROBE_JSON unless called in a subshell (j=$(...) works too).
#   outage_json KEY JSON        one field of such a line
#   outage_snapshot NAME        writes $OUTAGE_DIR/snap/NAME: links (MAC,
#       MTU, master), addresses with flags and lifetimes, routes of all
#       tables (v4 and v6), rules, DHCP leases; prints the path
#   outage_compare A B [FROM=TO...]
#       diffs two snapshots (addresses, routes, rules, DHCP; not the link
#       lines) with A's device names mapped (eth0=br0); lifetimes counting
#       down read "finite", "tentative" and the local fe80 routes are
#       dropped, and so are a bridge port's own IPv6 link-local lines
#       (ports: B's "link ... master BR" lines); 0 when they match
#   outage_in host|lan CMD...   runs CMD in that namespace
#   outage_teardown             kills what the harness started (by pid),
#       deletes both namespaces and $OUTAGE_DIR (kept with OUTAGE_KEEP=1);
#       safe to call twice and from a trap
#
# Variables set by outage_setup: OUTAGE_HOST, OUTAGE_LAN (namespace names),
# OUTAGE_DIR (scratch directory), OUTAGE_MODE, OUTAGE_ADDR (192.0.2.10, or
# the leased address), OUTAGE_GW, OUTAGE_MAC (eth0's, fixed),
# OUTAGE_RUN_DIR: the DHCP client's pid and lease files are
# $OUTAGE_RUN_DIR/live/dhcp4-INODE-eth0.{pid,lease}, kvmnet's own layout,
# so a kvmnet run with KVMNET_RUN_DIR=$OUTAGE_RUN_DIR --netns $OUTAGE_HOST
# finds the client as its own and can move it.
# Inputs: OUTAGE_PROBE (the probe binary; else OUTAGE_BUILD/bench/outage-probe,
# else compiled from the source into OUTAGE_DIR), OUTAGE_TCP_PORT (7777).

OUTAGE_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUTAGE_GW=192.0.2.1
OUTAGE_MAC=02:00:c0:00:02:0a
OUTAGE_LAN_MAC=02:00:c0:00:02:01
OUTAGE_TCP_PORT=${OUTAGE_TCP_PORT:-7777}
OUTAGE_HOST=
OUTAGE_LAN=
OUTAGE_DIR=
_outage_pids=()     # our background children, to reap
_outage_probe_pid=
_outage_probe_out=
_outage_server_pid=
_outage_nprobe=0
_outage_attached=0

outage_log() { printf 'outage: %s\n' "$*" >&2; }

outage_in() {
        local which=$1
        shift
        case $which in
        host) ip netns exec "$OUTAGE_HOST" "$@" ;;
        lan) ip netns exec "$OUTAGE_LAN" "$@" ;;
        *) outage_log "outage_in: host or lan, not '$which'"; return 2 ;;
        esac
}

_outage_wait_file() { # FILE TIMEOUT-MS [PID]
        local k
        for ((k = 0; k < $2 / 10; k++)); do
                [ -e "$1" ] && return 0
                [ -n "${3:-}" ] && ! kill -0 "$3" 2>/dev/null && return 1
                sleep 0.01
        done
        return 1
}

_outage_probe_bin() {
        if [ -n "${OUTAGE_PROBE:-}" ]; then
                echo "$OUTAGE_PROBE"
        elif [ -n "${OUTAGE_BUILD:-}" ] && [ -x "$OUTAGE_BUILD/bench/outage-probe" ]; then
                echo "$OUTAGE_BUILD/bench/outage-probe"
        else
                local bin=$OUTAGE_DIR/outage-probe
                [ -x "$bin" ] || cc -O2 -Wall -o "$bin" "$OUTAGE_SRC/bench/outage-probe.c" ||
                        return 1
                echo "$bin"
        fi
}

# The DHCP client's files, named as src/live/dhcp.c names them.
outage_dhcp_file() { # IFNAME pid|lease|log
        local ino
        ino=$(stat -L -c %i "/run/netns/$OUTAGE_HOST") || return 1
        echo "$OUTAGE_RUN_DIR/live/dhcp4-$ino-$1.$2"
}

_outage_udhcpc_script() {
        cat >"$OUTAGE_DIR/udhcpc.sh" <<'EOF'
#!/bin/sh
# lib-outage.sh's udhcpc script: the lease on $interface, recorded in
# $OUTAGE_LEASE as address=/router=/lease= lines; nothing else touched.
old=
[ -f "$OUTAGE_LEASE" ] && old=$(sed -n 's/^address=//p' "$OUTAGE_LEASE")
case $1 in
deconfig)
        [ -n "$old" ] && ip -4 addr del "$old" dev "$interface"
        rm -f "$OUTAGE_LEASE" ;;
bound|renew)
        ip -4 addr replace "$ip/${mask:-24}" dev "$interface" \
                valid_lft "${lease:-forever}" preferred_lft "${lease:-forever}" || exit 1
        for r in $router; do
                ip -4 route replace default via "$r" dev "$interface" proto dhcp && break
        done
        printf 'address=%s\nrouter=%s\ndns=%s\ndomain=%s\nlease=%s\n' "$ip/${mask:-24}" \
                "$router" "$dns" "$domain" "$lease" >"$OUTAGE_LEASE.tmp" &&
                mv -f "$OUTAGE_LEASE.tmp" "$OUTAGE_LEASE" ;;
esac
exit 0
EOF
        chmod 0755 "$OUTAGE_DIR/udhcpc.sh"
}

_outage_dhcp() {
        local d=$OUTAGE_DIR bb
        outage_in lan dnsmasq --conf-file=/dev/null --interface=client0 --bind-interfaces \
                --except-interface=lo --port=0 --dhcp-authoritative \
                --dhcp-range=192.0.2.100,192.0.2.150,255.255.255.0,1h \
                --dhcp-option=3,$OUTAGE_GW --dhcp-leasefile="$d/dnsmasq.leases" \
                --pid-file="$d/dnsmasq.pid" --log-facility="$d/dnsmasq.log" || return 1
        _outage_wait_file "$d/dnsmasq.pid" 3000 || return 1
        bb=$(command -v busybox) || { outage_log "no busybox (udhcpc)"; return 1; }
        _outage_udhcpc_script
        mkdir -p "$OUTAGE_RUN_DIR/live"
        local pidfile lease
        pidfile=$(outage_dhcp_file eth0 pid) && lease=$(outage_dhcp_file eth0 lease) || return 1
        # argv[0] udhcpc, as kvmnet starts it (its pid check reads argv[0]);
        # udhcpc forks into the background once it holds the lease.
        OUTAGE_LEASE=$lease outage_in host bash -c 'exec -a udhcpc "$@"' udhcpc "$bb" \
                -i eth0 -p "$pidfile" -s "$d/udhcpc.sh" -n -R -t 5 -T 2 \
                >"$d/udhcpc.log" 2>&1 || { outage_log "no DHCP lease: $(tail -1 "$d/udhcpc.log")"; return 1; }
        _outage_wait_file "$pidfile" 3000 || return 1
        OUTAGE_ADDR=$(sed -n 's/^address=//p' "$lease")
        OUTAGE_ADDR=${OUTAGE_ADDR%/*}
        [ -n "$OUTAGE_ADDR" ]
}

outage_setup() {
        local mode=${1:-static}
        case $mode in static | dhcp) ;; *) outage_log "outage_setup static|dhcp"; return 2 ;; esac
        [ -n "$OUTAGE_HOST" ] && outage_teardown
        OUTAGE_MODE=$mode
        OUTAGE_HOST=${2:-${OUTAGE_NS_PREFIX:-kn-outage}-$$-host}
        OUTAGE_LAN=${3:-${OUTAGE_NS_PREFIX:-kn-outage}-$$-lan}
        OUTAGE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kn-outage.XXXXXX") || return 1
        OUTAGE_RUN_DIR=$OUTAGE_DIR/run
        mkdir -p "$OUTAGE_DIR/snap" "$OUTAGE_RUN_DIR"
        if [ "${OUTAGE_NO_TRAP:-0}" != 1 ]; then
                trap outage_teardown EXIT
                trap 'exit 130' INT TERM
        fi
        ip netns add "$OUTAGE_HOST" && ip netns add "$OUTAGE_LAN" || return 1
        local h=(ip -n "$OUTAGE_HOST") l=(ip -n "$OUTAGE_LAN")
        # The LAN is a switch: lan0 is a port of sw0, and the LAN's own
        # address sits on client0, a second port (veth client0/swp0).  So
        # the host's NIC losing its link is not the LAN host losing its
        # carrier (which would flush its ARP cache), as on a real LAN.
        "${h[@]}" link add eth0 address $OUTAGE_MAC type veth peer name lan0 \
                netns "$OUTAGE_LAN" || return 1
        "${h[@]}" link set lo up && "${l[@]}" link set lo up || return 1
        # sw0 is no host: it must not answer ARP for client0's address.
        outage_in lan sysctl -qw net.ipv4.conf.all.arp_ignore=1 \
                net.ipv6.conf.default.disable_ipv6=1 || return 1
        "${l[@]}" link add sw0 type bridge stp_state 0 forward_delay 0 &&
                "${l[@]}" link add client0 address $OUTAGE_LAN_MAC type veth peer name swp0 &&
                "${l[@]}" link set lan0 master sw0 && "${l[@]}" link set swp0 master sw0 &&
                "${l[@]}" link set sw0 up && "${l[@]}" link set lan0 up &&
                "${l[@]}" link set swp0 up || return 1
        outage_in lan sysctl -qw net.ipv6.conf.client0.disable_ipv6=0 || return 1
        "${l[@]}" addr add $OUTAGE_GW/24 dev client0 &&
                "${l[@]}" addr add 2001:db8::1/64 dev client0 nodad &&
                "${l[@]}" link set client0 up || return 1
        if [ "$mode" = static ]; then
                OUTAGE_ADDR=192.0.2.10
                "${h[@]}" addr add $OUTAGE_ADDR/24 dev eth0 &&
                        "${h[@]}" addr add 2001:db8::10/64 dev eth0 nodad &&
                        "${h[@]}" link set eth0 up &&
                        "${h[@]}" route add default via $OUTAGE_GW dev eth0 &&
                        "${h[@]}" route add 198.51.100.0/24 via $OUTAGE_GW dev eth0 \
                                table 100 metric 50 proto static || return 1
        else
                "${h[@]}" link set eth0 up && _outage_dhcp || return 1
        fi
        # Link-local addresses out of DAD, carrier and neighbours both ways,
        # before anyone measures or takes a snapshot.
        local k
        for ((k = 0; k < 500; k++)); do
                [ -z "$(ip -n "$OUTAGE_HOST" -6 addr show tentative)" ] && break
                sleep 0.01
        done
        for ((k = 0; k < 300; k++)); do
                outage_in lan ping -c1 -W1 -q "$OUTAGE_ADDR" >/dev/null 2>&1 && return 0
                sleep 0.01
        done
        outage_log "setup: $OUTAGE_ADDR does not answer from $OUTAGE_LAN"
        return 1
}

outage_attach() {
        [ $# = 3 ] || { outage_log "outage_attach HOSTNS LANNS ADDR"; return 2; }
        [ -n "$OUTAGE_HOST" ] && outage_teardown
        OUTAGE_HOST=$1 OUTAGE_LAN=$2 OUTAGE_ADDR=$3 OUTAGE_MODE=attached _outage_attached=1
        OUTAGE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kn-outage.XXXXXX") || return 1
        OUTAGE_RUN_DIR=$OUTAGE_DIR/run
        mkdir -p "$OUTAGE_DIR/snap" "$OUTAGE_RUN_DIR"
}

outage_start_probe() {
        local tcp=() bin
        if [ "${1:-}" = --tcp ]; then
                shift
                if [ -z "$_outage_server_pid" ]; then
                        bin=$(_outage_probe_bin) || return 1
                        rm -f "$OUTAGE_DIR/server.ready"
                        ip netns exec "$OUTAGE_HOST" "$bin" --serve-tcp "$OUTAGE_TCP_PORT" \
                                --ready "$OUTAGE_DIR/server.ready" 2>>"$OUTAGE_DIR/server.log" &
                        _outage_server_pid=$!
                        _outage_pids+=("$!")
                        _outage_wait_file "$OUTAGE_DIR/server.ready" 3000 "$!" ||
                                { outage_log "tcp echo server did not start"; return 1; }
                fi
                tcp=(--tcp "$OUTAGE_ADDR:$OUTAGE_TCP_PORT")
        fi
        # One at a time (a probe stopped in a subshell left its pid here).
        if [ -n "$_outage_probe_pid" ] && [ ! -s "$_outage_probe_out.json" ]; then
                outage_stop_probe >/dev/null
        fi
        bin=$(_outage_probe_bin) || return 1
        _outage_nprobe=$((_outage_nprobe + 1))
        _outage_probe_out=$OUTAGE_DIR/probe.$_outage_nprobe
        # Not through outage_in: a function put in the background is a
        # subshell.  ip netns exec execs the probe: $! is the probe itself.
        local rt=(--rt)
        [ "${OUTAGE_PROBE_RT:-1}" = 1 ] || rt=()
        ip netns exec "$OUTAGE_LAN" "$bin" "${rt[@]}" --ready "$_outage_probe_out.ready" "${tcp[@]}" "$@" "$OUTAGE_ADDR" \
                >"$_outage_probe_out.json" 2>"$_outage_probe_out.err" </dev/null &
        _outage_probe_pid=$!
        _outage_pids+=("$!")
        _outage_wait_file "$_outage_probe_out.ready" 5000 "$!" && return 0
        outage_log "probe not established: $(cat "$_outage_probe_out.err")"
        outage_stop_probe >/dev/null
        return 1
}

outage_stop_probe() {
        local pid=$_outage_probe_pid k line=
        [ -n "$pid" ] || { outage_log "no probe running"; return 1; }
        _outage_probe_pid=
        kill -TERM "$pid" 2>/dev/null || :
        # Polled, not `wait`: in j=$(outage_stop_probe) this runs in a
        # subshell, of which the probe is no child.  It prints after its
        # grace time (200 ms) for late replies.
        for ((k = 0; k < 500; k++)); do
                line=$(tail -n1 "$_outage_probe_out.json")
                [ -n "$line" ] && break
                sleep 0.01
        done
        [ -n "$line" ] || { outage_log "probe printed nothing: $(cat "$_outage_probe_out.err")"; return 1; }
        OUTAGE_PROBE_JSON=$line
        echo "$line"
}

outage_json() { # KEY JSON: a number, true/false or the string's contents
        sed -n -E "s/.*\"$1\":(\"([^\"]*)\"|([^,}]*)).*/\2\3/p" <<<"$2"
}

outage_snapshot() {
        local f=$OUTAGE_DIR/snap/$1 lease
        {
                echo "# links"
                ip -n "$OUTAGE_HOST" -o link show | awk '{
                        name = $2; sub(/:$/, "", name); sub(/@.*/, "", name)
                        if (name == "lo") next
                        mtu = mac = master = "-"
                        for (i = 3; i < NF; i++) {
                                if ($i == "mtu") mtu = $(i + 1)
                                if ($i == "master") master = $(i + 1)
                                if ($i == "link/ether") mac = $(i + 1)
                        }
                        print "link " name " mtu " mtu " mac " mac " master " master " " $3
                }' | sort
                echo "# addresses"
                ip -n "$OUTAGE_HOST" -o addr show | sed -E 's/^[0-9]+: //; s/\\ +/ /g; s/ +/ /g' |
                        grep -v '^lo ' | sort
                echo "# routes"
                { ip -n "$OUTAGE_HOST" -4 route show table all
                  ip -n "$OUTAGE_HOST" -6 route show table all; } | grep -v ' dev lo ' |
                        sed -E 's/ +$//' | sort
                echo "# rules"
                ip -n "$OUTAGE_HOST" rule show
                echo "# dhcp"
                for lease in "$OUTAGE_RUN_DIR"/live/dhcp4-*.lease; do
                        [ -f "$lease" ] || continue
                        echo "client $(basename "$lease" .lease | sed 's/.*-//')"
                        grep -E '^(address|router)=' "$lease"
                done
                [ -f "$OUTAGE_DIR/dnsmasq.leases" ] &&
                        sed 's/^/server /' "$OUTAGE_DIR/dnsmasq.leases"
        } >"$f"
        echo "$f"
}

outage_compare() { # A B [FROM=TO...]: A's device names mapped, then diffed with B
        local a=$1 b=$2 m sedargs=(-e '') ports
        shift 2
        for m in "$@"; do
                sedargs+=(-e "s/\\b${m%%=*}\\b/${m#*=}/g")
        done
        # A bridge port keeps its IPv6 link-local address and routes: not a
        # difference.  Countdowns (lifetimes, lease expiry) change by the
        # second; DAD still running on a new link is not a difference either.
        ports=$(awk '$1 == "link" && $9 != "-" { printf "%s|", $2 }' "$b")
        ports=${ports%|}
        _outage_norm() {
                sed -E 's/(valid|preferred)_lft [0-9]+sec/\1_lft finite/g; s/ tentative//
                        s/ expires [0-9]+sec//; s/^server [0-9]+ /server /
                        /^local fe80::/d' |
                        { if [ -n "$ports" ]; then
                                grep -Ev "^($ports) inet6 fe80::|^(fe80::/64|multicast ff00::/8) dev ($ports) "
                          else cat; fi; } | sort
        }
        # Links are not compared: after iface-bridge eth0 is still there, as
        # a port.  Look at the "# links" lines for MAC, MTU and master.
        diff <(grep -v '^link ' "$a" | sed "${sedargs[@]}" | _outage_norm) \
                <(grep -v '^link ' "$b" | _outage_norm)
}

_outage_kill() { # PID...: TERM, then KILL what is still there after 1 s
        local p k
        for p in "$@"; do kill -TERM "$p" 2>/dev/null || :; done
        for ((k = 0; k < 100; k++)); do
                local left=0
                for p in "$@"; do kill -0 "$p" 2>/dev/null && left=1; done
                [ $left = 0 ] && return 0
                sleep 0.01
        done
        for p in "$@"; do kill -KILL "$p" 2>/dev/null || :; done
}

outage_teardown() {
        local p pids=() ns
        [ -n "$OUTAGE_HOST$OUTAGE_DIR" ] || return 0
        # Everything that runs in the two namespaces was started in them by
        # this harness or its caller: the probe, the echo server, dnsmasq,
        # udhcpc (or the one kvmnet moved to the bridge), kvmnetd.  Nothing
        # is killed by a pid file: a stale one could name a reused pid.
        if [ "$_outage_attached" = 1 ]; then
                pids=("${_outage_pids[@]}")
        else
                for ns in "$OUTAGE_HOST" "$OUTAGE_LAN"; do
                        [ -n "$ns" ] && [ -e "/run/netns/$ns" ] &&
                                mapfile -t -O "${#pids[@]}" pids < <(ip netns pids "$ns" 2>/dev/null)
                done
        fi
        [ ${#pids[@]} -gt 0 ] && _outage_kill "${pids[@]}"
        for p in "${_outage_pids[@]}"; do wait "$p" 2>/dev/null || :; done
        for ns in "$OUTAGE_HOST" "$OUTAGE_LAN"; do
                [ "$_outage_attached" = 0 ] && [ -n "$ns" ] && [ -e "/run/netns/$ns" ] && ip netns del "$ns"
        done
        if [ -n "$OUTAGE_DIR" ] && [ "${OUTAGE_KEEP:-0}" != 1 ]; then
                rm -rf "$OUTAGE_DIR"
        elif [ -n "$OUTAGE_DIR" ]; then
                outage_log "kept $OUTAGE_DIR"
        fi
        OUTAGE_HOST= OUTAGE_LAN= OUTAGE_DIR=
        _outage_pids=() _outage_probe_pid= _outage_server_pid= _outage_attached=0
        return 0
}
