#!/bin/sh
# Usage: check-layers.sh NM STAMP LIB...   (the layers' archives, lowest first)
#
# Fails when a layer's archive needs a symbol that only a higher layer's
# archive defines (a back-edge, docs/layers.md), naming the object that
# needs it and the one that defines it.  The final link cannot catch it:
# every layer is on the daemon's command line, in a group.  On success,
# touches STAMP.
set -eu
nm=$1
stamp=$2
shift 2

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One line per symbol: RANK LAYER OBJECT SYMBOL, in def (what an archive
# defines) and use (what it needs).
rank=0
for lib in "$@"; do
        rank=$((rank + 1))
        layer=$(basename "$lib" .a)
        layer=${layer#lib}
        layer=${layer#kvmnet-}
        # -P -A: "archive[object]: name type value size"
        "$nm" -P -A -g "$lib" | awk -v r="$rank" -v l="$layer" -v tmp="$tmp" '
                { obj = $1; sub(/^.*[[\/]/, "", obj); sub(/\]:$/, "", obj) }
                $3 == "U" { print r, l, obj, $2 >> (tmp "/use"); next }
                $3 != "w" && $3 != "v" { print r, l, obj, $2 >> (tmp "/def") }
        '
done
touch "$tmp/def" "$tmp/use"

# A use is fine when the symbol is defined at its rank or below (or
# outside kvmnet: libc, libxml2...); it is a back-edge when the lowest
# rank defining it is above the user's.
awk '
        NR == FNR {
                if (!($4 in low) || $1 < low[$4]) { low[$4] = $1; lay[$4] = $2; obj[$4] = $3 }
                next
        }
        ($4 in low) && low[$4] > $1 {
                printf "layers: %s (%s) uses %s, defined in %s (%s) above it\n", $2, $3, $4, lay[$4], obj[$4]
                bad = 1
        }
        END { exit bad }
' "$tmp/def" "$tmp/use" >&2 || {
        echo "layers: a layer may use only the layers below it: move the code down, or the caller up (docs/layers.md)" >&2
        exit 1
}
touch "$stamp"
