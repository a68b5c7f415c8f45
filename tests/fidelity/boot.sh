#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Boot equivalence: what the regime's own program brings up from the files
# kvmnet writes is what `kvmnet iface-start` brings up from the same files.
#
#   boot.sh BACKEND [CASE...]     BACKEND: networkd, nmkeyfile or ifupdown
#
# For each case (cases/NAME.xml; or a golden root, see GOLDEN_CASES):
#   1. kvmnet --root R --backend BACKEND iface-define NAME.xml
#   2. a fresh namespace kn-fid-PID-real with veths named as the XML's
#      ethernets (peers lan1, lan2... in kn-fid-PID-lan; cases/NAME.lan, if
#      there, runs in the background in the LAN namespace, e.g. a DHCP
#      server, and writes DIR/lan.pid when it serves), the real program run there on R's
#      files (private mount namespace, tmpfs /run, read-only sysfs), the live
#      state read (state.py capture), the namespace deleted
#   3. the same namespace again, `kvmnet --root R --netns NS iface-start`
#   4. both states compared field by field (state.py compare).
# networkd's log must not warn about keys it does not know.  Needs root
# (exit 77 without, or without the program).  Never touches this machine's
# own links: everything is in namespaces made here, deleted on exit.
set -u
BACKEND=$1
shift
HERE=$(cd "$(dirname "$0")" && pwd)
: "${KVMNET:?KVMNET must name the kvmnet binary}"
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] && command -v ip >/dev/null || skip "needs root and ip (network namespaces)"
command -v python3 >/dev/null || skip "python3 is not installed"

T=$(mktemp -d "${TMPDIR:-/tmp}/kn-fid.XXXXXX")
NS=kn-fid-$$-real
LAN=kn-fid-$$-lan
RUNNER_PID=
LAN_PID=
cleanup() {
        [ -n "$RUNNER_PID" ] && kill "$RUNNER_PID" 2>/dev/null
        [ -n "$LAN_PID" ] && kill "$LAN_PID" 2>/dev/null
        for n in "$NS" "$LAN"; do
                for p in $(ip netns pids "$n" 2>/dev/null); do kill -9 "$p"; done
                ip netns del "$n" 2>/dev/null
        done
        [ -n "${FID_KEEP:-}" ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
FAILED=0
fail() { echo "FAIL: $*"; FAILED=1; }

# Names of the ethernets in an XML file (the veths to make), and of its top.
ethernets() { python3 - "$1" <<'PY'
import sys, xml.etree.ElementTree as E
r = E.parse(sys.argv[1]).getroot()
print(" ".join(i.get("name") for i in r.iter("interface") if i.get("type", "ethernet") == "ethernet"))
PY
}
all_names() { python3 - "$1" <<'PY'
import sys, xml.etree.ElementTree as E
r = E.parse(sys.argv[1]).getroot()
print(" ".join(i.get("name") for i in r.iter("interface") if i.get("name")))
PY
}

bridges() { python3 - "$1" <<'PY'
import sys, xml.etree.ElementTree as E
r = E.parse(sys.argv[1]).getroot()
print(" ".join(i.get("name") for i in r.iter("interface") if i.get("type") == "bridge"))
PY
}

. "$HERE/lib.sh"

case $BACKEND in
networkd) [ -x /lib/systemd/systemd-networkd ] || skip "systemd-networkd is not installed" ;;
ifupdown) command -v ifup >/dev/null && [ -x /lib/bridge-utils/ifupdown.sh ] ||
                skip "ifupdown and bridge-utils are not installed" ;;
nmkeyfile) command -v NetworkManager >/dev/null && command -v dbus-daemon >/dev/null ||
                skip "NetworkManager (network-manager) or dbus-daemon is not installed" ;;
*) echo "unknown backend $BACKEND"; exit 2 ;;
esac

# Cases: cases/*.xml defined by kvmnet; GOLDEN_CASES take the files of a
# golden case as they are (what XML cannot say: a bridge's MAC).
CASES=${*:-$(cd "$HERE/cases" && ls *.xml | sed 's/\.xml$//') golden:bridge-mac}
for c in $CASES; do
        R=$T/$c/root
        mkdir -p "$R"
        case $c in
        golden:*)
                g=$HERE/../backends/$BACKEND/golden/${c#golden:}
                xml=$g/iface.xml
                cp -a "$g/root/." "$R"
                # git keeps only 0644; NetworkManager ignores a keyfile
                # others can read, and kvmnet writes them 0600.
                [ "$BACKEND" = nmkeyfile ] && find "$R" -type f -exec chmod 0600 {} +
                ;;
        *)
                xml=$HERE/cases/$c.xml
                make_root "$R"
                "$KVMNET" --root "$R" --backend "$BACKEND" iface-define "$xml" \
                        >"$T/$c/define.out" 2>"$T/$c/define.err" ||
                        { fail "$c: iface-define: $(cat "$T/$c/define.err")"; continue; }
                ;;
        esac
        top=$(python3 -c 'import sys,xml.etree.ElementTree as E; print(E.parse(sys.argv[1]).getroot().get("name"))' "$xml")
        eths=$(ethernets "$xml")
        names=$(all_names "$xml")

        make_ns $eths && start_lan "$c" "$T/$c" || { fail "$c: namespace setup ($(tail -n 3 "$T/$c/lan.log" 2>/dev/null))"; continue; }
        run_real "$R" "$top" "$T/$c/real" || fail "$c: $BACKEND did not run (log: $(tail -n 5 "$T/$c/real.log"))"
        python3 "$HERE/state.py" capture "$NS" $names >"$T/$c/real.json"
        if [ "$BACKEND" = networkd ] && grep -E '^/etc/systemd/network/[^:]+:[0-9]+: ' "$T/$c/real.log" \
                >"$T/$c/warn"; then
                fail "$c: networkd warns about kvmnet's files:"
                cat "$T/$c/warn"
        fi

        make_ns $eths && start_lan "$c" "$T/$c" || { fail "$c: namespace setup ($(tail -n 3 "$T/$c/lan.log" 2>/dev/null))"; continue; }
        # Its DHCP client's pid and lease files stay in the test's directory.
        KVMNET_RUN_DIR="$T/$c/run" "$KVMNET" --root "$R" --backend "$BACKEND" --netns "$NS" \
                --state-dir "$T/$c/state" iface-start "$top" >"$T/$c/start.out" 2>&1 ||
                fail "$c: kvmnet iface-start: $(cat "$T/$c/start.out")"
        python3 "$HERE/state.py" capture "$NS" $names >"$T/$c/kvmnet.json"

        # A bridge given no MAC: the kernel gives it its first port's, as
        # kvmnet does; networkd makes one from the machine id.  Not compared.
        ignore=
        case $c in golden:*) ;; *) for b in $(bridges "$xml"); do ignore="$ignore $b.mac"; done ;; esac
        if [ -f "$HERE/cases/$c.known" ]; then
                while read -r f why; do
                        case $f in '#'* | '') continue ;; esac
                        ignore="$ignore $f"
                        echo "  known difference, not compared: $c $f: $why"
                done <"$HERE/cases/$c.known"
        fi
        if python3 "$HERE/state.py" compare "$T/$c/real.json" "$T/$c/kvmnet.json" "$BACKEND" kvmnet $ignore; then
                echo "ok - $c: $BACKEND and kvmnet iface-start agree"
        else
                fail "$c: $BACKEND and kvmnet iface-start differ (above)"
                [ -n "${FID_VERBOSE:-}" ] && { cat "$T/$c/real.log"; cat "$T/$c/real.json" "$T/$c/kvmnet.json"; }
        fi
        # Case-specific expectations beyond agreement.
        [ -x "$HERE/cases/$c.check" ] && { "$HERE/cases/$c.check" "$T/$c" || fail "$c: $c.check"; }
done
exit $FAILED
