#!/bin/sh
# make deb: the Debian package of this tree, built with dpkg-buildpackage
# in a copy of it (so nothing is written beside the checkout), then checked
# with lintian.  The .deb files land in OUTDIR (default ./deb).
set -eu
cd "$(dirname "$0")/.."
OUT=$(realpath -m "${1:-deb}")
VERSION=$(sed -n "s/^  version : '\(.*\)',$/\1/p" meson.build)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kvmnet-deb.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

SRC=$WORK/kvmnet-$VERSION
mkdir -p "$SRC" "$OUT"
# What git tracks, and new files not ignored: the tree as it is now.
git ls-files -z -co --exclude-standard | xargs -0 cp -P --parents -t "$SRC"
(cd "$SRC" && dpkg-buildpackage -us -uc -b >"$WORK/build.log" 2>&1) || {
        tail -n 40 "$WORK/build.log" >&2
        echo "deb: dpkg-buildpackage failed (log above)" >&2
        exit 1
}
lintian --fail-on error --suppress-tags bad-distribution-in-changes-file \
        "$WORK"/kvmnet_"$VERSION"_*.changes >"$WORK/lintian.log" 2>&1 || {
        cat "$WORK/lintian.log" >&2
        echo "deb: lintian reports errors (above)" >&2
        exit 1
}
cp "$WORK"/*.deb "$OUT"/
[ -s "$WORK/lintian.log" ] && sed 's/^/lintian: /' "$WORK/lintian.log"
ls "$OUT"/*.deb
