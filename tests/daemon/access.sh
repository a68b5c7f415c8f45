#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Who may do what: the read-only socket serves reads to everyone and
# refuses changes; the read-write socket serves root and --group only,
# checked on the peer's credentials, not just the file mode.
. "$(dirname "$0")/lib.sh"
BACKEND=${1:-ifupdown}

[ "$(id -u)" = 0 ] || skip "needs root (to act as nobody)"
command -v setpriv >/dev/null || skip "needs setpriv"
NOBODY_GID=$(getent group nogroup | cut -d: -f3)
[ -n "$NOBODY_GID" ] || skip "needs a nogroup group"

as_nobody() { setpriv --reuid=65534 --regid="$NOBODY_GID" --clear-groups "$@"; }
as_stranger() { setpriv --reuid=65534 --regid=65533 --clear-groups "$@"; } # not in nogroup

ROOT=$T/root
make_root "$ROOT" "$BACKEND"
xml_bridge br0 eth0 52:54:00:00:00:01 >"$T/br0.xml"
xml_ethernet eth5 52:54:00:00:00:05 >"$T/eth5.xml"
chmod 644 "$T"/*.xml
"$KVMNET" --root "$ROOT" iface-define "$T/br0.xml" >/dev/null || fail "offline define"
start_daemon
RO="unix://$T/ro"
RW="unix://$T/rw"

[ "$(stat -c %a "$T/rw")" = 660 ] || fail "rw socket mode $(stat -c %a "$T/rw")"
[ "$(stat -c %a "$T/ro")" = 666 ] || fail "ro socket mode $(stat -c %a "$T/ro")"
pass "socket modes 0660 (rw) and 0666 (ro)"

# Read-only socket: reads work, changes are refused with a clear error.
sum=$(root_sum "$ROOT")
"$KVMNET" -c "$RO" iface-list --all | grep -q '^ br0 ' || fail "ro iface-list"
"$KVMNET" -c "$RO" iface-dumpxml br0 | grep -q "name='br0'" || fail "ro iface-dumpxml"
"$KVMNET" -c "$RO" iface-mac eth0 | grep -qx 52:54:00:00:00:01 || fail "ro iface-mac"
expect_error 6 "iface-define is refused on a read-only connection" \
        "$KVMNET" -c "$RO" iface-define "$T/eth5.xml"
expect_error 6 "iface-undefine is refused on a read-only connection" \
        "$KVMNET" -c "$RO" iface-undefine br0
[ "$(root_sum "$ROOT")" = "$sum" ] || fail "a refused change touched the files"
pass "read-only socket serves reads and refuses iface-define/iface-undefine"

# Every verb the daemon's table marks mutating, from verb-list: refused on
# the read-only socket (raw requests, then through kvmnet), nothing else is.
python3 "$(dirname "$0")/readonly.py" refuse "$T/ro" || fail "raw refusals"
python3 "$(dirname "$0")/readonly.py" cli-lines "$T/ro" "$T" >"$T/lines" || fail "cli lines"
"$KVMNET" -c "$RO" --json <"$T/lines" >"$T/replies" 2>"$T/err"
rc=$?
[ "$rc" = 6 ] || fail "the refused batch exited $rc, not 6: $(cat "$T/err")"
python3 "$(dirname "$0")/readonly.py" cli-check "$T/lines" "$T/replies" || fail "cli refusals"
[ "$(root_sum "$ROOT")" = "$sum" ] || fail "a refused change touched the files"
pass "every verb verb-list marks mutating is refused on the read-only socket (raw and through kvmnet), no other is"

# Everyone may use the read-only socket.
as_nobody "$KVMNET" -c "$RO" iface-list --all | grep -q '^ br0 ' || fail "nobody on ro"
expect_error 6 "refused on a read-only connection" as_nobody "$KVMNET" -c "$RO" iface-undefine br0
pass "nobody may read through the read-only socket, not change"

# The rw socket's mode keeps strangers out ...
expect_error 6 "cannot connect to unix://$T/rw: Permission denied" as_nobody "$KVMNET" -c "$RW" iface-list
# ... and so do the peer credentials, when the mode was loosened.
chmod 666 "$T/rw"
expect_error 6 "access denied: the read-write socket $T/rw serves root only, not uid 65534" \
        as_nobody "$KVMNET" -c "$RW" iface-list --all
expect_error 6 "access denied" as_nobody "$KVMNET" -c "$RW" iface-define "$T/eth5.xml"
grep -q "uid 65534 pid [0-9]* is not allowed on $T/rw" "$T/daemon.log" || fail "refusal not logged"
[ "$(root_sum "$ROOT")" = "$sum" ] || fail "a refused client touched the files"
pass "a non-root, non-group peer is refused on the rw socket"

# With the default socket, a refused client falls back to read-only.
mkdir -p "$KVMNET_RUN_DIR"
chmod 755 "$KVMNET_RUN_DIR"
ln -s "$T/rw" "$KVMNET_RUN_DIR/kvmnet-sock"
ln -s "$T/ro" "$KVMNET_RUN_DIR/kvmnet-sock-ro"
chmod 660 "$T/rw"
as_nobody env KVMNET_RUN_DIR="$KVMNET_RUN_DIR" "$KVMNET" iface-list --all | grep -q '^ br0 ' ||
        fail "default connection did not fall back to read-only"
as_nobody env KVMNET_RUN_DIR="$KVMNET_RUN_DIR" "$KVMNET" iface-undefine br0 2>"$T/err" && fail "fallback undefine"
grep -q "refused on a read-only connection" "$T/err" && grep -q "^note: kvmnet connected to the read-only socket" "$T/err" ||
        fail "fallback refusal: $(cat "$T/err")"
"$KVMNET" iface-define "$T/eth5.xml" >/dev/null || fail "root through the default socket"
"$KVMNET" iface-undefine eth5 >/dev/null || fail "root undefine through the default socket"
pass "default connection falls back to the read-only socket when refused"
stop_daemon

# --group: its members may change things, others still may not.
start_daemon --group nogroup
[ "$(stat -c %G "$T/rw")" = nogroup ] || fail "rw socket group $(stat -c %G "$T/rw")"
as_nobody "$KVMNET" -c "$RW" iface-define "$T/eth5.xml" | grep -q "Interface eth5 defined" ||
        fail "group member could not define"
as_nobody "$KVMNET" -c "$RW" iface-undefine eth5 | grep -q "Interface eth5 undefined" ||
        fail "group member could not undefine"
chmod 666 "$T/rw"
expect_error 6 "serves root and members of group nogroup only, not uid 65534" \
        as_stranger "$KVMNET" -c "$RW" iface-list --all
# Supplementary groups count too.
setpriv --reuid=65534 --regid=65533 --groups="$NOBODY_GID" "$KVMNET" -c "$RW" iface-list --all |
        grep -q '^ br0 ' || fail "supplementary group member refused"
pass "--group members may use the rw socket, others may not"
stop_daemon
