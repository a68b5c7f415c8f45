#!/bin/sh
# Run the whole suite and end with one summary line that CI reads:
#   check: N passed, N failed, N skipped
# preceded by one 'skipped: TEST: WHY' line per test that skipped itself
# (exit 77) and one 'skipped: TEST / PART: WHY' line per part a running
# test skipped (a cmocka case, a 'SKIP: PART: WHY' line).  A test counts
# once, passed or failed, and each of its skipped parts once more, as
# skipped: scripts/check-summary.py, which reads any testlog.json.
set -u
build=${1:-build}
meson test -C "$build" --print-errorlogs --num-processes 2 ${KVMNET_TEST_ARGS:-}
rc=$?
python3 "$(dirname "$0")/check-summary.py" "$build/meson-logs/testlog.json"
exit $rc
