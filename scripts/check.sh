#!/bin/sh
# Run the whole suite and end with one summary line that CI reads:
#   check: N passed, N failed, N skipped
# preceded by one 'skipped: TEST: WHY' line per skipped test or cmocka case.
set -u
build=${1:-build}
meson test -C "$build" --print-errorlogs --num-processes 2 ${KVMNET_TEST_ARGS:-}
rc=$?
python3 - "$build/meson-logs/testlog.json" <<'PY'
import json, re, sys
n = {"OK": 0, "FAIL": 0, "SKIP": 0}
skips = []
for line in open(sys.argv[1]):
    t = json.loads(line)
    r = t.get("result", "")
    key = {"OK": "OK", "SKIP": "SKIP", "EXPECTEDFAIL": "OK"}.get(r, "FAIL")
    n[key] += 1
    out = (t.get("stdout") or "") + (t.get("stderr") or "")
    if key == "SKIP":
        why = [l for l in out.splitlines() if l.strip()]
        skips.append(f"{t['name']}: {why[-1] if why else 'exit 77'}")
    # A cmocka skip() inside a passing program is a skip too.
    # cmocka names each skipped case twice (as it runs, and listed at the
    # end after "[  SKIPPED ] N test(s)").
    cases = set(re.findall(r"^\[  SKIPPED \] (\S+)$", out, re.M))
    for case in sorted(cases):
        n["SKIP"] += 1
        skips.append(f"{t['name']} / {case}: skipped")
for s in skips:
    print("skipped:", s)
print(f"check: {n['OK']} passed, {n['FAIL']} failed, {n['SKIP']} skipped")
PY
exit $rc
