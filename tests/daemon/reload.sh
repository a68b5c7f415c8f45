#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Changes made behind the daemon's back (another tool, an editor, kvmnet
# --root) are picked up through inotify; bursts end in one reload.
. "$(dirname "$0")/lib.sh"
BACKEND=${1:-ifupdown}

ROOT=$T/root
make_root "$ROOT" "$BACKEND"
xml_bridge br0 eth0 52:54:00:00:00:01 >"$T/br0.xml"
xml_ethernet eth5 52:54:00:00:00:05 >"$T/eth5.xml"
"$KVMNET" --root "$ROOT" iface-define "$T/br0.xml" >/dev/null || fail "offline define"
start_daemon -v # debug: reloads that found nothing new are logged too
RO="unix://$T/ro"

listed() { "$KVMNET" -c "$RO" iface-list --all | grep -q "^ $1 "; }
not_listed() { ! listed "$1"; }

# Someone else defines an interface in the same root.
"$KVMNET" --root "$ROOT" iface-define "$T/eth5.xml" >/dev/null || fail "outside define"
wait_for listed eth5 || fail "outside define not picked up"
"$KVMNET" -c "$RO" iface-mac eth5 | grep -qx 52:54:00:00:00:05 || fail "iface-mac after reload"
pass "an outside define is picked up"

"$KVMNET" --root "$ROOT" iface-undefine eth5 >/dev/null || fail "outside undefine"
wait_for not_listed eth5 || fail "outside undefine not picked up"
pass "an outside undefine is picked up"

# A burst of changes ends in few reloads, not one per file.
news() { grep ' kvmnetd: reloaded' "$T/daemon.log" | grep -vc 'nothing new'; }
before=$(news)
for i in $(seq 20); do xml_ethernet "burst$i" "52:54:00:00:01:$(printf %02x "$i")" >"$T/burst$i.xml"; done
for i in $(seq 20); do echo "iface-define $T/burst$i.xml"; done | "$KVMNET" --root "$ROOT" >/dev/null ||
        fail "outside batch define"
wait_for listed burst20 || fail "burst not picked up"
sleep 1.2
after=$(news)
[ $((after - before)) -ge 1 ] && [ $((after - before)) -le 3 ] ||
        fail "20 outside defines gave $((after - before)) reloads"
pass "a burst of 20 outside changes gave $((after - before)) reload(s)"

# The configuration directory removed and created again is still watched.
case $BACKEND in
ifupdown) dir=$ROOT/etc/network ;;
ifcfg) dir=$ROOT/etc/sysconfig/network-scripts ;;
networkd) dir=$ROOT/etc/systemd/network ;;
nmkeyfile) dir=$ROOT/etc/NetworkManager/system-connections ;;
esac
mv "$dir" "$T/saved-dir"
wait_for not_listed br0 || fail "removed directory not noticed"
mv "$T/saved-dir" "$dir"
wait_for listed br0 || fail "restored directory not noticed"
"$KVMNET" --root "$ROOT" iface-undefine burst1 >/dev/null || fail "undefine after restore"
wait_for not_listed burst1 || fail "changes after the directory came back not picked up"
pass "a directory that goes and comes back is watched again"

# The directory replaced by a symlink out of the root: the reader resolves
# it inside the root (where nothing is), and so does the watch: writes in
# the directory outside are nobody's business.
mv "$dir" "$T/outside"
ln -s "$T/outside" "$dir"
wait_for not_listed br0 || fail "the symlinked directory was read outside the root"
sleep 1.2 # the reload after the move is done
before=$(grep -c ' kvmnetd: reloaded' "$T/daemon.log")
for i in 1 2 3; do touch "$T/outside/x$i" "$T/outside"/*; sleep 0.1; done
sleep 1.2
after=$(grep -c ' kvmnetd: reloaded' "$T/daemon.log")
[ "$after" = "$before" ] || fail "writes outside the root through a symlink gave $((after - before)) reloads"
rm "$dir"
mv "$T/outside" "$dir"
rm -f "$dir"/x[123]
wait_for listed br0 || fail "the directory back in place is not read"
pass "a symlink out of the root is not followed by the watch"

# A change made while a reload reads the files is not lost: the watches
# stay armed through a reload (re-adding them dropped the events queued in
# between).  With a thousand interfaces a reload takes tens of
# milliseconds; the second change of each pair lands at one of several
# offsets around the debounce's 100 ms.  Both are files copied in, as
# another tool writes them (kvmnet --root would first read the thousand).
for i in $(seq 1000); do
        xml_ethernet "pad$i" "52:54:00:01:$(printf %02x $((i / 256))):$(printf %02x $((i % 256)))" >"$T/pad$i.xml"
        echo "iface-define $T/pad$i.xml"
done | "$KVMNET" --root "$ROOT" >/dev/null || fail "outside define of 1000"
wait_for listed pad1000 || fail "1000 outside defines not picked up"
make_root "$T/empty" "$BACKEND"
(cd "$T/empty" && find . -type f | sort) >"$T/empty.files"
# The files NAME's definition adds to an empty root, under $T/scratch-NAME.
stage() { # NAME MAC
        make_root "$T/scratch-$1" "$BACKEND"
        xml_ethernet "$1" "$2" | "$KVMNET" --root "$T/scratch-$1" iface-define - >/dev/null ||
                fail "define $1 in a scratch root"
        (cd "$T/scratch-$1" && find . -type f | sort | comm -13 "$T/empty.files" -) >"$T/scratch-$1.files"
        [ -s "$T/scratch-$1.files" ] || fail "defining $1 added no file"
}
copy_in() { (cd "$T/scratch-$1" && xargs cp --parents -t "$ROOT" <"$T/scratch-$1.files"); }
for n in $(seq 15); do
        stage "first$n" "52:54:00:02:00:$(printf %02x "$n")"
        stage "second$n" "52:54:00:03:00:$(printf %02x "$n")"
        copy_in "first$n"
        sleep "$(printf 0.%03d $((90 + n * 5)))"
        copy_in "second$n"
        wait_for listed "second$n" || fail "a change made $((90 + n * 5)) ms after another was lost"
done
pass "changes made while a reload runs are picked up"

# SIGHUP reloads at once.
before=$(grep -c ' kvmnetd: reloaded .* after SIGHUP' "$T/daemon.log")
kill -HUP "$DAEMON_PID"
wait_for grep -q 'after SIGHUP' "$T/daemon.log" || fail "SIGHUP did not reload"
daemon_alive "SIGHUP"
pass "SIGHUP reloads"

# Changes made through the daemon are served at once, without a reload.
"$KVMNET" -c "unix://$T/rw" iface-define "$T/eth5.xml" >/dev/null || fail "define through the daemon"
listed eth5 || fail "own define not listed at once"
pass "changes through the daemon are visible immediately"

# ifupdown without interfaces.d: etc/network is watched both whole and as
# the place interfaces.d would appear; an edit made in place (an editor
# that does not rename, >>) to etc/network/interfaces still counts.
if [ "$BACKEND" = ifupdown ]; then
        mv "$ROOT/etc/network/interfaces.d" "$T/saved-interfaces.d"
        wait_for not_listed eth5 || fail "interfaces.d gone not noticed"
        sleep 1.2 # the reload after the move is done, the watches re-armed
        printf '\nauto eth7\niface eth7 inet dhcp\n' >>"$ROOT/etc/network/interfaces"
        wait_for listed eth7 || fail "an in-place edit of etc/network/interfaces was missed"
        pass "an in-place edit is seen while interfaces.d is missing"
fi
stop_daemon
