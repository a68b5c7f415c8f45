#!/bin/sh
# clang-format (.clang-format) over every C file git tracks.
#   scripts/format.sh          reformat them in place
#   scripts/format.sh --check  only list what differs; exit 1 if anything does
set -eu
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || {
        echo "format: clang-format is not installed (apt-get install clang-format)" >&2
        exit 2
}
if [ "${1:-}" = --check ]; then
        out=$(git ls-files -z '*.c' '*.h' | xargs -0 clang-format --dry-run 2>&1 | grep 'warning:' || true)
        [ -z "$out" ] && { echo "format: clean"; exit 0; }
        echo "$out" | sed 's/: warning:.*//' | sort | uniq -c | sed 's/^/format: /'
        echo "format: $(echo "$out" | wc -l) lines differ from clang-format (scripts/format.sh fixes them)"
        exit 1
fi
git ls-files -z '*.c' '*.h' | xargs -0 clang-format -i
