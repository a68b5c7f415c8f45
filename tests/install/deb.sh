#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# make deb: dpkg-buildpackage builds the package from a copy of this tree,
# lintian reports no errors; the .deb unpacks into a throw-away root with
# dpkg --root (its preinst run there, busybox as /bin/sh), and kvmnet and
# kvmnetd run from it.
. "$(dirname "$0")/../daemon/lib.sh"
: "${KVMNET_SOURCE_ROOT:?}"
for t in dpkg-buildpackage lintian dh busybox; do
        command -v "$t" >/dev/null || skip "needs $t (scripts/deps.sh installs it)"
done

"$KVMNET_SOURCE_ROOT/scripts/deb.sh" "$T/out" >"$T/deb.log" 2>&1 || fail "make deb: $(tail -n 40 "$T/deb.log")"
DEB=$(ls "$T"/out/kvmnet_*_*.deb) || fail "no .deb: $(cat "$T/deb.log")"
grep -v "^lintian: running with root privileges" "$T/deb.log" | grep "^lintian: " &&
        echo "(lintian warnings above; errors would have failed the build)"
pass "dpkg-buildpackage builds $(basename "$DEB"), lintian reports no errors"

R=$T/root
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/bin"
: >"$R/var/lib/dpkg/status"
cp "$(command -v busybox)" "$R/bin/busybox"
ln -s busybox "$R/bin/sh"
dpkg --root="$R" --force-depends --unpack "$DEB" >"$T/dpkg.log" 2>&1 || fail "dpkg --root --unpack: $(cat "$T/dpkg.log")"
dpkg --root="$R" -L kvmnet >"$T/list" || fail "dpkg -L"
for f in /usr/bin/kvmnet /usr/sbin/kvmnetd /lib/systemd/system/kvmnetd.service /lib/systemd/system/kvmnetd.socket \
        /usr/lib/sysusers.d/kvmnet.conf /usr/share/man/man1/kvmnet.1.gz; do
        grep -qx "$f" "$T/list" || fail "the package has no $f"
done
VERSION=$(sed -n "s/^  version : '\(.*\)',$/\1/p" "$KVMNET_SOURCE_ROOT/meson.build")
[ "$("$R/usr/bin/kvmnet" --version)" = "kvmnet $VERSION" ] || fail "kvmnet --version from the root: $("$R/usr/bin/kvmnet" --version 2>&1)"
[ "$("$R/usr/sbin/kvmnetd" --version)" = "kvmnetd $VERSION" ] || fail "kvmnetd --version from the root"
pass "the package unpacks into a throw-away root (dpkg --root); kvmnet $VERSION and kvmnetd run from it"
