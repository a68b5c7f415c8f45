#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# meson install --destdir: binaries, the offline module, the units,
# tmpfiles.d and sysusers.d (applied to the throw-away root by
# systemd-tmpfiles and systemd-sysusers), man pages that render without
# warnings and name every verb and option the binaries have, and bash
# completion that completes verbs, options and names from --root and from
# kvmnetd (interfaces, networks, guests).
. "$(dirname "$0")/../daemon/lib.sh"
: "${KVMNET_BUILD_ROOT:?}"

D=$T/dest
meson install -C "$KVMNET_BUILD_ROOT" --destdir "$D" --no-rebuild --quiet >"$T/install.log" 2>&1 ||
        fail "meson install: $(cat "$T/install.log")"
PREFIX=$(meson introspect "$KVMNET_BUILD_ROOT" --buildoptions |
        python3 -c 'import json,sys; print({o["name"]: o["value"] for o in json.load(sys.stdin)}["prefix"])')
P=$D$PREFIX
find "$D" -type f -o -type l | sed "s|^$P/||" | sort >"$T/files"
for f in bin/kvmnet sbin/kvmnetd share/man/man1/kvmnet.1 share/man/man8/kvmnetd.8 \
        share/man/man5/kvmnet-xml.5 share/bash-completion/completions/kvmnet \
        lib/tmpfiles.d/kvmnet.conf lib/sysusers.d/kvmnet.conf; do
        grep -qx "$f" "$T/files" || fail "not installed: $f (installed: $(cat "$T/files"))"
done
UNITS=$(grep -E 'systemd/system/kvmnetd(-ro)?\.(service|socket)$' "$T/files" | wc -l)
[ "$UNITS" = 3 ] || fail "units installed: $(grep systemd "$T/files")"
MODULE=$(grep 'kvmnet/kvmnet-offline.so$' "$T/files") || fail "no offline module"
grep -q "^ExecStart=$PREFIX/sbin/kvmnetd " "$D"/*/systemd/system/kvmnetd.service "$P"/lib/systemd/system/kvmnetd.service 2>/dev/null ||
        fail "ExecStart does not name the installed kvmnetd: $(grep -h ExecStart "$D"/*/systemd/system/kvmnetd.service "$P"/lib/systemd/system/kvmnetd.service 2>/dev/null)"
grep -q "^include\|kvmnet.pc" "$T/files" && fail "a public header or .pc installed: the library is internal"
pass "meson install puts binaries, module, units, tmpfiles, sysusers, man pages, completion in place; nothing public of the library"

# The installed binaries run (the module found where $KVMNET_OFFLINE_MODULE says).
"$P/bin/kvmnet" --version | grep -q "^kvmnet [0-9]" || fail "installed kvmnet --version"
"$P/sbin/kvmnetd" --version | grep -q "^kvmnetd [0-9]" || fail "installed kvmnetd --version"
make_root "$T/root" ifupdown
printf 'auto eth7\niface eth7 inet dhcp\n' >>"$T/root/etc/network/interfaces"
KVMNET_OFFLINE_MODULE=$P/$MODULE "$P/bin/kvmnet" --root "$T/root" iface-list --all | grep -q "^ eth7 " ||
        fail "installed kvmnet --root"
pass "the installed kvmnet and kvmnetd run"

# tmpfiles.d and sysusers.d, applied to the throw-away root.
if command -v systemd-tmpfiles >/dev/null && command -v systemd-sysusers >/dev/null; then
        systemd-tmpfiles --root="$D" --create "$P/lib/tmpfiles.d/kvmnet.conf" 2>"$T/err" ||
                fail "systemd-tmpfiles: $(cat "$T/err")"
        [ -d "$D/run/kvmnet" ] && [ -d "$D/var/lib/kvmnet" ] || fail "tmpfiles made: $(find "$D/run" "$D/var" 2>&1)"
        mkdir -p "$D/etc"
        systemd-sysusers --root="$D" "$P/lib/sysusers.d/kvmnet.conf" 2>"$T/err" || fail "systemd-sysusers: $(cat "$T/err")"
        grep -q "^kvmnet:x:[0-9]*:" "$D/etc/group" || fail "no kvmnet group: $(cat "$D/etc/group")"
        pass "tmpfiles.d makes /run/kvmnet and /var/lib/kvmnet, sysusers.d the kvmnet group (in the throw-away root)"
else
        skip_part "tmpfiles.d and sysusers.d" "systemd-tmpfiles or systemd-sysusers is not installed"
fi

# Man pages: no warnings, every verb and every option named.
for m in man1/kvmnet.1 man8/kvmnetd.8 man5/kvmnet-xml.5; do
        groff -man -ww -z "$P/share/man/$m" 2>"$T/err" || fail "groff $m"
        [ -s "$T/err" ] && fail "groff warns on $m: $(cat "$T/err")"
        grep -q "@VERSION@" "$P/share/man/$m" && fail "$m: @VERSION@ not replaced"
done
# (The source, with roff's \- as -: formatted text breaks lines at hyphens.)
sed 's/\\-/-/g' "$P/share/man/man1/kvmnet.1" >"$T/kvmnet.txt"
"$KVMNET" --help | awk '/^Verbs:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }' >"$T/verbs"
[ "$(wc -l <"$T/verbs")" -gt 30 ] || fail "verbs from --help: $(cat "$T/verbs")"
while read -r v; do
        grep -qw -- "$v" "$T/kvmnet.txt" || fail "kvmnet(1) does not name the verb $v"
done <"$T/verbs"
sed 's/\\-/-/g' "$P/share/man/man8/kvmnetd.8" >"$T/kvmnetd.txt"
"$KVMNETD" --help | grep -oE '^  (-[a-zA-Z], )?--[a-z-]+' | grep -oE -- '--[a-z-]+' >"$T/opts"
while read -r o; do
        grep -q -- "$o" "$T/kvmnetd.txt" || fail "kvmnetd(8) does not name the option $o"
done <"$T/opts"
pass "man pages render without warnings; kvmnet(1) names all $(wc -l <"$T/verbs") verbs, kvmnetd(8) all $(wc -l <"$T/opts") options"

# Bash completion: verbs, a verb's options, names from the --root on the line
# and from kvmnetd.
BC=/usr/share/bash-completion/bash_completion
if [ -r "$BC" ]; then
        # The words as readline gives them: ':' and '=' (in COMP_WORDBREAKS)
        # are words of their own, so unix:///x is "unix" ":" "///x".
        complete_line() { # WORDS...: what completes the last word
                bash -c '
                        . "$1"; . "$2"; shift 2
                        COMP_WORDS=()
                        for w in "$@"; do
                                [ -z "$w" ] && COMP_WORDS+=("")
                                while [[ $w =~ ^([^:=]*)([:=])(.*)$ ]]; do
                                        [ -n "${BASH_REMATCH[1]}" ] && COMP_WORDS+=("${BASH_REMATCH[1]}")
                                        COMP_WORDS+=("${BASH_REMATCH[2]}")
                                        w=${BASH_REMATCH[3]}
                                done
                                [ -n "$w" ] && COMP_WORDS+=("$w")
                        done
                        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
                        COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
                        _kvmnet "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
                        printf "%s\n" "${COMPREPLY[@]}" | sort' - "$BC" "$P/share/bash-completion/completions/kvmnet" "$@"
        }
        PATH=$(dirname "$KVMNET"):$PATH
        complete_line kvmnet iface-l | grep -qx iface-list || fail "verb: $(complete_line kvmnet iface-l)"
        complete_line kvmnet iface-bridge eth0 br0 --s | grep -qx -- --stp ||
                fail "option: $(complete_line kvmnet iface-bridge eth0 br0 --s)"
        complete_line kvmnet --root "$T/root" iface-start e | grep -qx eth7 ||
                fail "name: $(complete_line kvmnet --root "$T/root" iface-start e)"
        complete_line kvmnet --b | grep -qx -- --backend || fail "global option"
        complete_line kvmnet --js | grep -qx -- --json || fail "global option --json: $(complete_line kvmnet --js)"
        pass "bash completion: verbs, options, interface names from --root"

        # Names from kvmnetd: on its socket given with -c, or by $KVMNET_URI.
        ROOT=$T/root
        start_daemon
        K() { "$KVMNET" -c "unix://$T/rw" "$@"; }
        for n in lab7 lab8; do
                printf "<network><name>%s</name><bridge name='kv%s'/></network>" $n $n >"$T/$n.xml"
                K net-define "$T/$n.xml" >/dev/null || fail "net-define $n"
        done
        completes() { # WANT WORDS...: the last word completes to WANT (lines), nothing else
                local got
                got=$(complete_line "${@:2}")
                [ "$got" = "$1" ] || fail "completing '${*:2}': '$got', not '$1'"
        }
        completes "$(printf 'lab7\nlab8')" kvmnet -c "unix://$T/ro" net-start ""
        completes lab8 kvmnet -c "unix://$T/ro" net-undefine lab8
        completes "" kvmnet -c "unix://$T/ro" net-start lab9
        completes eth7 kvmnet -c "unix://$T/ro" iface-start eth7
        K net-undefine lab8 >/dev/null || fail "net-undefine lab8"
        KVMNET_URI=unix://$T/ro completes lab7 kvmnet net-info ""
        completes "$(printf 'unix:///run/kvmnet/kvmnet-sock\nunix:///run/kvmnet/kvmnet-sock-ro')" kvmnet -c unix
        pass "bash completion: network and interface names from kvmnetd (-c URI, \$KVMNET_URI)"
        if command -v qemu-system-x86_64 >/dev/null; then
                cat >"$T/vm-alpha.xml" <<XML
<domain type='qemu'>
  <name>vm-alpha</name>
  <memory unit='MiB'>64</memory>
  <os><type machine='pc'>hvm</type></os>
  <devices><disk type='file' device='disk'><source file='$T/vm-alpha.img'/></disk></devices>
</domain>
XML
                truncate -s 1M "$T/vm-alpha.img"
                K guest-define "$T/vm-alpha.xml" >/dev/null || fail "guest-define vm-alpha"
                completes vm-alpha kvmnet -c "unix://$T/ro" attach-interface ""
                completes vm-alpha kvmnet -c "unix://$T/ro" guest-start v
                completes "" kvmnet -c "unix://$T/ro" guest-start w
                # --network: running networks only (attach-interface refuses others).
                completes "" kvmnet -c "unix://$T/ro" attach-interface vm-alpha --network ""
                pass "bash completion: guest names from kvmnetd; no inactive network for --network"
        else
                skip_part "bash completion of guest names" "guest-define needs qemu-system-x86_64"
        fi
        stop_daemon
else
        skip_part "bash completion" "$BC is not there (bash-completion)"
fi
