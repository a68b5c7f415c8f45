#!/bin/bash
# Build the libFuzzer targets (fuzz/, -Dfuzz=true with clang, ASan+UBSan)
# in build-fuzz and run each for SECONDS (default 30) on a copy of its
# corpus in fuzz/corpus/NAME (the repo's corpus is never changed).  Fails
# if any target crashes, naming the input that did it (docs/testing-fuzz.md).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]      e.g. scripts/fuzz.sh 60 qmp api
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
[ $# -gt 0 ] && shift
build=${FUZZ_BUILD:-build-fuzz}
case $secs in '' | *[!0-9]*) echo "fuzz.sh: SECONDS must be a number, not '$secs'" >&2; exit 2 ;; esac

command -v clang >/dev/null || apt-get install -y -qq --no-install-recommends clang >/dev/null
if [ ! -f "$build/build.ninja" ]; then
        CC=clang meson setup "$build" -Dfuzz=true -Dtests=false \
                -Db_sanitize=address,undefined -Db_lundef=false >/dev/null
fi
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=($(ls fuzz/corpus))
ninja -C "$build" $(printf 'fuzz/fuzz-%s ' "${targets[@]}") >/dev/null

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
out=${FUZZ_OUT:-$(mktemp -d /tmp/kvmnet-fuzz-out.XXXXXX)}
failed=()
for t in "${targets[@]}"; do
        bin=$build/fuzz/fuzz-$t
        [ -x "$bin" ] || { echo "fuzz.sh: no target '$t' (have: $(ls fuzz/corpus | tr '\n' ' '))" >&2; exit 2; }
        corpus=$out/$t/corpus
        mkdir -p "$corpus" "$out/$t/crash"
        cp fuzz/corpus/"$t"/* "$corpus"/
        log=$out/$t/log
        # -rss_limit_mb: a parser that grows without bound is a finding too.
        if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
                -print_final_stats=1 -artifact_prefix="$out/$t/crash/" "$corpus" >"$log" 2>&1; then
                stats=$(grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added)' "$log" |
                        sed 's/^stat:://; s/: */=/' | tr '\n' ' ')
                echo "fuzz $t: ok, ${secs}s, $stats"
        else
                failed+=("$t")
                echo "fuzz $t: FAILED (log: $log)"
                grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | head -5 | sed 's/^/  /'
                for f in "$out/$t"/crash/*; do
                        [ -e "$f" ] && echo "  reproducer: $f (replay: $bin $f)"
                done
        fi
done
if [ ${#failed[@]} -gt 0 ]; then
        echo "fuzz: ${#failed[@]} target(s) failed: ${failed[*]}; output in $out"
        exit 1
fi
echo "fuzz: ${#targets[@]} targets ok"
[ -n "${FUZZ_OUT:-}" ] || rm -rf "$out"
