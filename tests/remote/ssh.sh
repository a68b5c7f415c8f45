#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# kvmnet -c ssh://...: Debian's sshd, started here on a free port of
# 127.0.0.1 with its own configuration, host key, client key and known
# hosts (in $T; the machine's sshd and ssh configuration are not touched),
# in front of a kvmnetd serving a test namespace.  The far kvmnet is this
# build's, on the PATH sshd gives the session, as an installed one would be.
# Needs root (sshd, a network namespace; exit 77 without).
. "$(dirname "$0")/../daemon/lib.sh"

SSHD=/usr/sbin/sshd
can_netns || skip "needs root and ip (network namespaces)"
[ -x "$SSHD" ] && command -v ssh >/dev/null && command -v ssh-keygen >/dev/null ||
        skip "needs openssh-server and openssh-client (scripts/deps.sh)"
command -v setpriv >/dev/null && command -v unshare >/dev/null ||
        skip "needs setpriv and unshare"
NOBODY_GID=$(getent group nogroup | cut -d: -f3)
[ -n "$NOBODY_GID" ] || skip "needs a nogroup group"
KVMNET=$(realpath "$KVMNET")

# ---- the host kvmnetd serves: eth0 in a namespace, an ifupdown root ----
make_nic_host
start_daemon --netns "$H" --log-level debug # reads logged too: when event --loop subscribed
# The far side's default sockets ($KVMNET_RUN_DIR, set by sshd below).
mkdir -p "$T/run"
ln -s "$T/rw" "$T/run/kvmnet-sock"
ln -s "$T/ro" "$T/run/kvmnet-sock-ro"

# ---- sshd on 127.0.0.1:PORT ----
free_port() {
        python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
PORT=$(free_port)
ssh-keygen -q -t ed25519 -N '' -C kvmnet-test-host -f "$T/hostkey" || fail "host key"
ssh-keygen -q -t ed25519 -N '' -C kvmnet-test-client -f "$T/client" || fail "client key"
cp "$T/client.pub" "$T/authorized_keys"
echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$T/hostkey.pub")" >"$T/known_hosts"
cat >"$T/sshd_config" <<E
ListenAddress 127.0.0.1:$PORT
HostKey $T/hostkey
PidFile $T/sshd.pid
AuthorizedKeysFile $T/authorized_keys
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AllowTcpForwarding no
X11Forwarding no
PrintMotd no
SetEnv KVMNET_RUN_DIR=$T/run PATH=$(dirname "$KVMNET"):/usr/sbin:/usr/bin:/sbin:/bin
LogLevel VERBOSE
E
# sshd wants its privilege separation directory /run/sshd: a /run of its
# own (tmpfs, in a mount namespace of its own), not the machine's.
unshare -m --propagation private sh -c \
        'mount -t tmpfs tmpfs /run && mkdir -m 755 /run/sshd && exec "$0" -D -e -f "$1"' \
        "$SSHD" "$T/sshd_config" 2>"$T/sshd.log" &
SSHD_PID=$!
EXTRA_PIDS="$EXTRA_PIDS $SSHD_PID"
wait_for python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT))" ||
        fail "sshd did not listen on $PORT: $(cat "$T/sshd.log")"

OPTS="keyfile=$T/client&known_hosts=$T/known_hosts&no_tty=1"
R="ssh://root@127.0.0.1:$PORT?$OPTS"
kr() { "$KVMNET" -c "$R" "$@"; }
kv() { "$KVMNET" -c "unix://$T/rw" "$@"; }

# ---- a read verb: the same as locally ----
kr iface-list --all >"$T/remote.out" 2>"$T/err" || fail "remote iface-list: $(cat "$T/err" "$T/sshd.log")"
kv iface-list --all >"$T/local.out" || fail "local iface-list"
# Nothing on stderr from either side (a sanitizer's report would be there).
[ -s "$T/err" ] && fail "remote iface-list printed on stderr: $(cat "$T/err")"
grep -q '^ eth0 ' "$T/remote.out" || fail "remote iface-list has no eth0: $(cat "$T/remote.out")"
cmp -s "$T/remote.out" "$T/local.out" || fail "remote and local iface-list differ"
KVMNET_URI=$R "$KVMNET" iface-list --all | cmp -s - "$T/local.out" || fail "\$KVMNET_URI=ssh://"
pass "iface-list through ssh, -c and \$KVMNET_URI, prints what it prints locally"

# ---- a mutation, with a file argument (its content goes, not its path) ----
xml_ethernet eth5 52:54:00:00:00:05 >"$T/eth5.xml"
kr iface-define "$T/eth5.xml" >"$T/out" 2>&1 || fail "remote iface-define: $(cat "$T/out")"
grep -q "Interface eth5 defined" "$T/out" || fail "remote iface-define said: $(cat "$T/out")"
kv iface-mac eth5 | grep -qx 52:54:00:00:00:05 || fail "eth5 not defined in the daemon"
# iface-edit: the editor runs here, on a file here; the daemon is there.
printf '#!/bin/sh\nsed -i s/52:54:00:00:00:05/52:54:00:00:00:06/ "$1"\n' >"$T/editor"
chmod 755 "$T/editor"
EDITOR=$T/editor kr iface-edit eth5 </dev/null >"$T/out" 2>&1 || fail "remote iface-edit: $(cat "$T/out")"
grep -q "Interface eth5 XML configuration edited" "$T/out" || fail "remote iface-edit said: $(cat "$T/out")"
kv iface-mac eth5 | grep -qx 52:54:00:00:00:06 || fail "remote iface-edit did not reach the daemon"
printf 'iface-mac eth5\niface-undefine eth5\niface-mac eth5\n' | kr >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" = 5 ] || fail "remote batch exited $rc, not 5: $(cat "$T/out" "$T/err")"
[ "$(head -1 "$T/out")" = 52:54:00:00:00:06 ] && grep -q "Interface eth5 undefined" "$T/out" &&
        grep -q "line 3: .*eth5" "$T/err" || fail "remote batch: $(cat "$T/out" "$T/err")"
# Many requests in flight, both ways at once through the proxy.
for _ in $(seq 3000); do echo "iface-dumpxml eth0"; done | kr >"$T/out" 2>"$T/err" ||
        fail "a 3000-line batch through ssh: $(tail -3 "$T/err")"
[ "$(grep -c "^<interface type='ethernet' name='eth0'" "$T/out")" = 3000 ] ||
        fail "a 3000-line batch through ssh: $(grep -c "^<interface" "$T/out") replies"
[ -s "$T/err" ] && fail "a 3000-line batch through ssh printed on stderr: $(head -5 "$T/err")"
pass "iface-define FILE, iface-edit (the editor here) and batches (undefine, not found: exit 5; 3000 requests in flight) through ssh"

# ---- event --loop: an event caused by another client ----
n0=$(grep -c "event-subscribe: ok" "$T/daemon.log")
subscribed() { [ "$(grep -c "event-subscribe: ok" "$T/daemon.log")" -gt "$n0" ]; }
"$KVMNET" -c "$R" event --loop --json >"$T/events" 2>"$T/events.err" &
EV=$!
EXTRA_PIDS="$EXTRA_PIDS $EV"
wait_for subscribed || fail "event --loop through ssh did not subscribe: $(cat "$T/events.err")"
EV_SSH=$(pgrep -P "$EV" -x ssh) || fail "no ssh under event --loop"
kv iface-bridge eth0 br0 >"$T/out" 2>&1 || fail "local iface-bridge: $(cat "$T/out")"
wait_for grep -q '"ifname":"br0"' "$T/events" ||
        fail "no br0 event through ssh: $(cat "$T/events" "$T/events.err")"
kill "$EV"
wait "$EV" 2>/dev/null
for _ in $(seq 50); do kill -0 "$EV_SSH" 2>/dev/null || break; sleep 0.1; done
kill -0 "$EV_SSH" 2>/dev/null && fail "the ssh of the killed event --loop is still running"
kv iface-unbridge br0 >/dev/null || fail "local iface-unbridge"
pass "event --loop through ssh receives another client's iface-bridge (and its ssh ends with it)"

# ---- a read-only remote user: falls back to the read-only socket ----
# The far kvmnet runs as nobody, who may not open the read-write socket.
cat >"$T/kvmnet-nobody" <<E
#!/bin/sh
exec setpriv --reuid=65534 --regid=$NOBODY_GID --clear-groups "$KVMNET" "\$@"
E
chmod 755 "$T/kvmnet-nobody"
RN="ssh://root@127.0.0.1:$PORT?$OPTS&kvmnet=$T/kvmnet-nobody"
"$KVMNET" -c "$RN" iface-list --all | cmp -s - "$T/local.out" || fail "read-only remote iface-list"
sum=$(root_sum "$ROOT")
expect_error 6 "iface-undefine is refused on a read-only connection" \
        "$KVMNET" -c "$RN" iface-undefine eth0
expect_error 6 "iface-bridge is refused on a read-only connection" \
        "$KVMNET" -c "$RN" iface-bridge eth0 br0
grep -q "^note: .*read-only socket because .*the SSH user on 127.0.0.1 may not use it" "$T/err" ||
        fail "no note on the far fallback: $(cat "$T/err")"
# The same when the socket's mode lets nobody in and kvmnetd refuses hello.
chmod 666 "$T/rw"
"$KVMNET" -c "$RN" iface-list --all | cmp -s - "$T/local.out" || fail "read-only remote iface-list (0666)"
expect_error 6 "iface-undefine is refused on a read-only connection" \
        "$KVMNET" -c "$RN" iface-undefine eth0
chmod 660 "$T/rw"
grep -q "uid 65534 pid [0-9]* is not allowed on $T/rw" "$T/daemon.log" ||
        fail "kvmnetd did not refuse nobody on the read-write socket: $(grep 65534 "$T/daemon.log")"
[ "$(root_sum "$ROOT")" = "$sum" ] || fail "a refused remote change touched the files"
ip -n "$H" link show br0 >/dev/null 2>&1 && fail "a refused remote iface-bridge made br0"
pass "a remote user without the read-write socket reads through the read-only one and is refused changes (exit 6)"

# Every verb kvmnetd's verb-list marks mutating, through ssh as that user:
# one batch on one connection, each command refused with EPERM (exit 6).
python3 "$(dirname "$0")/../daemon/readonly.py" cli-lines "$T/ro" "$T" >"$T/lines" || fail "cli lines"
chmod 644 "$T"/*.xml
"$KVMNET" -c "$RN" --json <"$T/lines" >"$T/replies" 2>"$T/err"
rc=$?
[ "$rc" = 6 ] || fail "the refused batch through ssh exited $rc, not 6: $(cat "$T/err")"
python3 "$(dirname "$0")/../daemon/readonly.py" cli-check "$T/lines" "$T/replies" || fail "ssh refusals"
[ "$(root_sum "$ROOT")" = "$sum" ] || fail "a refused remote change touched the files"
pass "every mutating verb of verb-list, through ssh as a read-only user, is refused (exit 6)"

# ---- bad URIs, unreachable hosts, hostile input ----
expect_error 2 "unknown parameter 'bogus' in connection URI" \
        "$KVMNET" -c "ssh://root@127.0.0.1:$PORT?$OPTS&bogus=1" iface-list
expect_error 2 "parameter 'no_verify' .* is 0 or 1, not 'yes'" \
        "$KVMNET" -c "ssh://127.0.0.1?no_verify=yes" iface-list
expect_error 2 "known_hosts '/a b' holds a blank" "$KVMNET" -c "ssh://127.0.0.1?known_hosts=/a%20b" iface-list
DEAD=$(free_port)
expect_error 3 "cannot reach ssh://root@127.0.0.1:$DEAD: ssh failed" \
        "$KVMNET" -c "ssh://root@127.0.0.1:$DEAD?$OPTS" iface-list
grep -q "Connection refused" "$T/err" || fail "ssh's own message is not shown: $(cat "$T/err")"
# An unknown host key: refused, unless no_verify=1 (which records it).
: >"$T/known_hosts2"
U2="ssh://root@127.0.0.1:$PORT?keyfile=$T/client&known_hosts=$T/known_hosts2&no_tty=1"
expect_error 3 "cannot reach" "$KVMNET" -c "$U2" iface-list
grep -q "Host key verification failed" "$T/err" || fail "unknown host key: $(cat "$T/err")"
"$KVMNET" -c "$U2&no_verify=1" iface-list --all 2>"$T/err" | cmp -s - "$T/local.out" ||
        fail "no_verify=1: $(cat "$T/err")"
[ -s "$T/known_hosts2" ] || fail "no_verify=1 did not record the host key"
expect_error 3 "no kvmnet there .*kvmnet=PATH" \
        "$KVMNET" -c "$R&kvmnet=$T/no-such-kvmnet" iface-list
# Something else than kvmnetd on the far side's output (a login script's echo).
printf '#!/bin/sh\necho "Welcome to hv1"\nexec kvmnet "$@"\n' >"$T/kvmnet-noisy"
chmod 755 "$T/kvmnet-noisy"
start=$(date +%s)
expect_error 3 "cannot talk to kvmnetd through ssh://root@127.0.0.1:$PORT: .*sent an invalid reply" \
        "$KVMNET" -c "$R&kvmnet=$T/kvmnet-noisy" iface-list
[ $(($(date +%s) - start)) -lt 4 ] || fail "a far side that is not kvmnetd took $(($(date +%s) - start)) s to give up"
expect_error 3 "cannot connect to unix://$T/nothing-here" \
        "$KVMNET" -c "ssh://root@127.0.0.1:$PORT$T/nothing-here?$OPTS" iface-list
# command= is the ssh program, as libvirt's; ssh gets the host after "--".
cat >"$T/ssh-log" <<E
#!/bin/sh
printf '%s\n' "\$@" >"$T/ssh-args"
exec ssh "\$@"
E
chmod 755 "$T/ssh-log"
"$KVMNET" -c "$R&command=$T/ssh-log" iface-list --all | cmp -s - "$T/local.out" || fail "command="
[ "$(tail -3 "$T/ssh-args")" = "$(printf -- '--\n127.0.0.1\nkvmnet proxy')" ] ||
        fail "ssh's arguments: $(cat "$T/ssh-args")"
grep -qx -- -T "$T/ssh-args" && grep -qx "UserKnownHostsFile=$T/known_hosts" "$T/ssh-args" &&
        grep -qx "BatchMode=yes" "$T/ssh-args" || fail "ssh's options: $(cat "$T/ssh-args")"
expect_error 3 "no ssh program '$T/no-ssh'" "$KVMNET" -c "$R&command=$T/no-ssh" iface-list
pass "unknown and bad parameters (exit 2); ssh failing, an unknown host key, no kvmnet or no daemon there (exit 3)"

# A host that would be an option of ssh's never reaches it.
expect_error 2 "is not a host name or address" \
        "$KVMNET" -c "ssh://-oProxyCommand=touch%20$T/pwned?$OPTS" iface-list
expect_error 2 "is not a host name or address" \
        "$KVMNET" -c "ssh://-oProxyCommand=touch $T/pwned" iface-list
expect_error 2 "is not a user name" \
        "$KVMNET" -c "ssh://-oProxyCommand=x@127.0.0.1:$PORT?$OPTS" iface-list
# A socket path with shell syntax reaches the far kvmnet as it is.
HOSTILE="$T/x'; touch $T/pwned; echo '\$(touch $T/pwned2) \`touch $T/pwned3\`"
ENC=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$HOSTILE")
expect_error 3 "cannot connect to unix://$T/x'; touch" \
        "$KVMNET" -c "ssh://root@127.0.0.1:$PORT$ENC?$OPTS" iface-list
grep -qF "unix://$HOSTILE:" "$T/err" || fail "the far side did not get the path as it was: $(cat "$T/err")"
expect_error 3 "cannot connect to unix://$T/x'" \
        "$KVMNET" -c "ssh://root@127.0.0.1:$PORT?$OPTS&socket=$ENC" iface-list
# Short enough for a socket address, so the far side tries it.
expect_error 3 "kvmnet proxy on .*: cannot connect to unix:///tmp/'\\\$\\(id" \
        "$KVMNET" -c "ssh://root@127.0.0.1:$PORT/tmp/'%24(id%3E%262)%60id%3E%262%60%3Bid%3E%262?$OPTS" iface-list
grep -q "uid=" "$T/err" && fail "the far shell ran id: $(cat "$T/err")"
ls "$T"/pwned* >/dev/null 2>&1 && fail "hostile input ran a command: $(ls "$T"/pwned*)"
pass "a host or user that would be an ssh option is refused; a socket path with shell syntax is quoted for the far shell"

# ---- --confirm lives in the far daemon: a dropped ssh reverts the change ----
# A batch through ssh sends LINES; once kvmnetd logged LAST-VERB's success
# the ssh under kvmnet is killed; the confirm that would keep the change
# then finds the connection gone (exit 3), and the far daemon reverts the
# change, files and live state, when its timer runs out.
mkfifo "$T/batch"
drop_mid_confirm() { # LAST-VERB LINE...
        local last=$1 n0 rc=0 sum n_reverted
        shift
        sum=$(root_sum "$ROOT")
        n0=$(grep -c "): $last: ok" "$T/daemon.log")
        n_reverted=$(grep -c "not confirmed in time: the change was reverted" "$T/daemon.log")
        done_() { [ "$(grep -c "): $last: ok" "$T/daemon.log")" -gt "$n0" ]; }
        reverted() { [ "$(grep -c "not confirmed in time: the change was reverted" "$T/daemon.log")" -gt "$n_reverted" ]; }
        "$KVMNET" -c "$R" <"$T/batch" >"$T/out" 2>"$T/err" &
        KV=$!
        EXTRA_PIDS="$EXTRA_PIDS $KV"
        exec 7>"$T/batch"
        printf '%s\n' "$@" >&7
        wait_for done_ || fail "$* through ssh: $(cat "$T/out" "$T/err")"
        ip -n "$H" link show br0 >/dev/null || fail "no br0 after $* through ssh"
        sleep 0.5 # the reply on its way back (batch output is printed at exit)
        SSH_PID=$(pgrep -P "$KV" -x ssh) || fail "no ssh under kvmnet $KV"
        kill -9 "$SSH_PID"
        echo confirm >&7
        wait "$KV" || rc=$?
        exec 7>&-
        [ "$rc" = 3 ] || fail "kvmnet exited $rc after its ssh was killed, not 3: $(cat "$T/err")"
        grep -q "connection to ssh://root@127.0.0.1:$PORT lost" "$T/err" || fail "lost connection: $(cat "$T/err")"
        grep -q "kvmnet confirm" "$T/out" || fail "no confirm hint: $(cat "$T/out" "$T/err")"
        ip -n "$H" link show br0 >/dev/null 2>&1 || fail "br0 went before the confirm timeout"
        for _ in $(seq 100); do ip -n "$H" link show br0 >/dev/null 2>&1 || break; sleep 0.1; done
        ip -n "$H" link show br0 >/dev/null 2>&1 && fail "br0 still there after the confirm timeout ($*)"
        ip -n "$H" -4 addr show eth0 | grep -q 192.0.2.10/24 || fail "eth0 did not get its address back ($*)"
        wait_for reverted || fail "revert not logged ($*)"
        [ "$(root_sum "$ROOT")" = "$sum" ] || fail "the files are not as before ($*)"
}
drop_mid_confirm iface-bridge "iface-bridge eth0 br0 --confirm 2"
pass "killing the ssh client mid iface-bridge --confirm: kvmnet exits 3 and the far daemon reverts the change"
drop_mid_confirm iface-commit iface-begin "iface-bridge eth0 br0" "iface-commit --confirm 2"
pass "the same for a transaction committed with --confirm through ssh"

daemon_alive "after the remote tests"
stop_daemon
