#!/bin/sh
# Usage: check-back-edge.sh CHECK-LAYERS NM LOW.a HIGH.a
#
# scripts/check-layers.sh must refuse LOW below HIGH (LOW calls into HIGH),
# naming the symbol and both objects, and accept the same archives the other
# way round: the rule is about direction, not about calls between archives.
set -u
check=$1
nm=$2
low=$3
high=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if "$check" "$nm" "$tmp/ok" "$low" "$high" 2>"$tmp/err"; then
        echo "FAIL: a back-edge passed"
        exit 1
fi
cat "$tmp/err"
grep -q 'layers-low (probe-low.c.o) uses kn_layers_probe_high, defined in layers-high (probe-high.c.o) above it' "$tmp/err" || {
        echo "FAIL: the refusal does not name the edge"
        exit 1
}
[ ! -e "$tmp/ok" ] || { echo "FAIL: stamp written on failure"; exit 1; }

"$check" "$nm" "$tmp/ok" "$high" "$low" || { echo "FAIL: a down-edge was refused"; exit 1; }
[ -e "$tmp/ok" ] || { echo "FAIL: no stamp"; exit 1; }
echo "back-edge refused, down-edge accepted"
