#!/bin/sh
# Run the whole suite and end with one summary line that CI reads:
#   check: N passed, N failed, N skipped
set -u
build=${1:-build}
meson test -C "$build" --print-errorlogs --num-processes 2 ${KVMNET_TEST_ARGS:-}
rc=$?
python3 - "$build/meson-logs/testlog.json" <<'PY'
import json, sys
n = {"OK": 0, "FAIL": 0, "SKIP": 0}
for line in open(sys.argv[1]):
    r = json.loads(line).get("result", "")
    key = {"OK": "OK", "SKIP": "SKIP", "EXPECTEDFAIL": "OK"}.get(r, "FAIL")
    n[key] += 1
print(f"check: {n['OK']} passed, {n['FAIL']} failed, {n['SKIP']} skipped")
PY
exit $rc
