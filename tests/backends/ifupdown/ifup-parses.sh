#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Debian's own parser must accept what kvmnet writes: for every golden
# case, `ifup --no-act` on every interface named in its files.  `source`
# lines name absolute paths, so the case's files are copied and those
# lines pointed into the copy; ifup then follows them itself.
#
#   ifup-parses.sh GOLDEN-DIR
set -eu

golden=$1
command -v ifup >/dev/null || { echo "ifup not installed (Debian package ifupdown)"; exit 77; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/state"

# check ROOT: ifup --no-act for each interface of ROOT; prints failures
check() {
        root=$1
        main=$root/etc/network/interfaces
        sed -i -E "s#^([[:space:]]*source(-directory)?[[:space:]]+)/#\\1$root/#" "$main"
        names=$(cat "$main" $(find "$root/etc/network" -path "$main" -o -type f -print) |
                awk '$1 == "iface" { print $2 }' | sort -u)
        [ -n "$names" ] || { echo "$root: no iface stanzas"; return 1; }
        bad=0
        for n in $names; do
                # --no-act prints the commands it would run on stderr; its
                # own complaints (errors and warnings) start with "ifup:"
                if ! ifup --no-act -i "$main" --state-dir "$tmp/state" "$n" \
                        >"$tmp/out" 2>"$tmp/err" || grep -q '^ifup:' "$tmp/err"; then
                        echo "ifup --no-act $n rejected $root:"
                        grep '^ifup:' "$tmp/err" || true
                        bad=1
                fi
        done
        return $bad
}

# The check must be able to fail: a misplaced option breaks the file.
mkdir -p "$tmp/broken/etc/network"
printf 'mtu 1500\niface eth0 inet dhcp\n' >"$tmp/broken/etc/network/interfaces"
if check "$tmp/broken" >/dev/null 2>&1; then
        echo "self-test: ifup accepted a broken file; this test checks nothing"
        exit 1
fi

status=0
for case in "$golden"/*/; do
        case=${case%/}
        name=${case##*/}
        rm -rf "$tmp/root"
        cp -a "$case/root" "$tmp/root"
        if check "$tmp/root"; then
                echo "ok $name"
        else
                echo "FAIL $name"
                status=1
        fi
done
exit $status
