#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# iface-edit with scripted editors: a valid change is saved, an invalid one
# is not (and the error is shown), no change is "not changed".
. "$(dirname "$0")/../daemon/lib.sh"
BACKEND=${1:-ifupdown}
MODE=${2:-daemon}

ROOT=$T/root
make_root "$ROOT" "$BACKEND"
xml_bridge br0 eth0 52:54:00:00:00:01 >"$T/br0.xml"
"$KVMNET" --root "$ROOT" iface-define "$T/br0.xml" >/dev/null || fail "offline define"
case $MODE in
daemon)
        start_daemon
        kv() { "$KVMNET" -c "unix://$T/rw" "$@"; }
        ;;
offline) kv() { "$KVMNET" --root "$ROOT" "$@"; } ;;
*) fail "unknown mode $MODE" ;;
esac

editor() { # NAME SCRIPT-BODY: an editor that gets the file as $1
        printf '#!/bin/sh\nset -e\n%s\n' "$2" >"$T/$1"
        chmod +x "$T/$1"
        echo "$T/$1"
}
unset VISUAL
mkdir "$T/tmp"
export TMPDIR=$T/tmp # iface-edit's temporary files, to check they go away

# Unchanged.
sum=$(root_sum "$ROOT")
out=$(EDITOR=$(editor noop 'test -s "$1"; cp "$1" '"$T/seen.xml") kv iface-edit br0 </dev/null) || fail "noop edit"
[ "$out" = "Interface br0 XML configuration not changed." ] || fail "noop edit output: $out"
cmp -s "$T/seen.xml" <(kv iface-dumpxml --inactive br0) || fail "the editor did not get dumpxml --inactive"
[ "$(root_sum "$ROOT")" = "$sum" ] || fail "noop edit changed the files"
pass "unchanged: not changed, nothing written"

# A valid change is saved.
out=$(EDITOR=$(editor valid 'sed -i "s/192.168.10.2/192.168.10.77/" "$1"') kv iface-edit br0 </dev/null) ||
        fail "valid edit"
[ "$out" = "Interface br0 XML configuration edited." ] || fail "valid edit output: $out"
kv iface-dumpxml br0 | grep -q "192.168.10.77" || fail "valid edit not saved"
pass "a valid change is saved"

# Invalid changes are not saved, the error names the problem, exit 1.
sum=$(root_sum "$ROOT")
for case in "s/stp='off'/stp='maybe'/:maybe" "s/type='ethernet'/type='wifi'/:wifi" \
        "s/name='eth0'/name='..\/..\/x'/:\.\./\.\./x" "s/<\/interface>\$//:malformed XML"; do
        script=${case%%:*} pattern=${case#*:}
        rc=0
        EDITOR=$(editor bad "sed -i \"$script\" \"\$1\"") kv iface-edit br0 </dev/null >"$T/out" 2>"$T/err" || rc=$?
        [ "$rc" = 1 ] || fail "invalid edit ($script) exited $rc"
        grep -q -E -- "$pattern" "$T/err" || fail "invalid edit ($script): error does not name it: $(cat "$T/err")"
        grep -q "^error: iface-edit: br0 not changed" "$T/err" || fail "no 'not changed' line: $(cat "$T/err")"
        [ "$(root_sum "$ROOT")" = "$sum" ] || fail "invalid edit ($script) changed the files"
done
pass "invalid changes are refused with their error and not saved"
[ -z "$(ls "$T/tmp")" ] || fail "temporary files left behind: $(ls "$T/tmp")"

# An editor that fails saves nothing, whatever it wrote.
rc=0
EDITOR=$(editor fails 'sed -i "s/192.168.10.77/192.168.10.99/" "$1"; exit 3') kv iface-edit br0 </dev/null 2>"$T/err" >/dev/null || rc=$?
[ "$rc" = 1 ] && grep -q "exited with status 3; nothing saved" "$T/err" || fail "failing editor: rc $rc $(cat "$T/err")"
[ "$(root_sum "$ROOT")" = "$sum" ] || fail "a failing editor's change was saved"
pass "a failing editor saves nothing"

# $VISUAL when $EDITOR is unset; an EDITOR with arguments.
visual=$(editor visual 'sed -i "s/192.168.10.77/192.168.10.78/" "$1"')
(
        unset EDITOR
        export VISUAL=$visual
        kv iface-edit br0 </dev/null >/dev/null
) || fail "VISUAL edit"
kv iface-dumpxml br0 | grep -q "192.168.10.78" || fail "VISUAL not used"
printf '#!/bin/sh\n[ "$1" = --flag ] || exit 9\nsed -i "s/192.168.10.78/192.168.10.79/" "$2"\n' >"$T/withargs"
chmod +x "$T/withargs"
EDITOR="$T/withargs --flag" kv iface-edit br0 </dev/null >/dev/null || fail "EDITOR with arguments"
kv iface-dumpxml br0 | grep -q "192.168.10.79" || fail "EDITOR with arguments not saved"
pass "\$VISUAL, and an \$EDITOR with arguments"

# On a terminal, an invalid edit may be edited again (here: answered y,
# and the second round fixes it).
if command -v script >/dev/null; then
        cat >"$T/twice" <<EOF
#!/bin/sh
if [ -e "$T/twice.done" ]; then
        sed -i "s/stp='maybe'/stp='on'/" "\$1"
else
        touch "$T/twice.done"
        sed -i "s/stp='off'/stp='maybe'/" "\$1"
fi
EOF
        chmod +x "$T/twice"
        export EDITOR=$T/twice
        [ "$MODE" = daemon ] && cmd="$KVMNET -c unix://$T/rw" || cmd="$KVMNET --root $ROOT"
        printf 'y\n' | script -qec "$cmd iface-edit br0" /dev/null >"$T/out" 2>&1 || fail "re-edit: $(cat "$T/out")"
        grep -q "is not 'on' or 'off'" "$T/out" && grep -q "Edit again?" "$T/out" &&
                grep -q "Interface br0 XML configuration edited." "$T/out" || fail "re-edit: $(cat "$T/out")"
        kv iface-dumpxml br0 | grep -q "stp='on'" || fail "re-edit not saved"
        pass "on a terminal, an invalid edit can be edited again"
else
        skip_part "re-edit on a terminal" "script (util-linux) is not installed"
fi

export EDITOR=true
expect_error 5 "no interface named 'nope0'" kv iface-edit nope0

[ "$MODE" = daemon ] && stop_daemon
exit 0
