#!/usr/bin/env python3
"""The summary of a meson test run (scripts/check.sh prints it after the
suite): one 'skipped: ...' line per skip, then
    check: N passed, N failed, N skipped
from a testlog.json (default build/meson-logs/testlog.json).

What counts: each test once, by its result; a test that exits 77 is one
skip.  A test that runs counts once more as skipped for each part it did
not run: a cmocka case it skipped ('[  SKIPPED ] CASE'), a line
'SKIP: PART: WHY' from a shell or Python test that goes on (tests/daemon/
lib.sh's skip_part).  So a test with two parts skipped that passes is
1 passed and 2 skipped."""
import json
import re
import sys

SKIPPED_CASE = re.compile(r"^\[  SKIPPED \] (\S+)$", re.M)
SKIPPED_PART = re.compile(r"^SKIP: (.+?)\s*$", re.M)


def parts(out):
    """A running test's skipped parts, each once, as 'PART: WHY'."""
    # cmocka names each skipped case twice (as it runs, and listed at the
    # end after "[  SKIPPED ] N test(s)").
    found = [f"{c}: skipped" for c in sorted(set(SKIPPED_CASE.findall(out)))]
    found += SKIPPED_PART.findall(out)
    return list(dict.fromkeys(found))


def main(path):
    n = {"OK": 0, "FAIL": 0, "SKIP": 0}
    skips = []
    for line in open(path):
        t = json.loads(line)
        key = {"OK": "OK", "SKIP": "SKIP", "EXPECTEDFAIL": "OK"}.get(t.get("result", ""), "FAIL")
        n[key] += 1
        out = (t.get("stdout") or "") + (t.get("stderr") or "")
        if key == "SKIP":
            why = [l for l in out.splitlines() if l.strip()]
            why = why[-1].removeprefix("SKIP: ") if why else "exit 77"
            skips.append(f"{t['name']}: {why}")
            continue
        for p in parts(out):
            n["SKIP"] += 1
            skips.append(f"{t['name']} / {p}")
    for s in skips:
        print("skipped:", s)
    print(f"check: {n['OK']} passed, {n['FAIL']} failed, {n['SKIP']} skipped")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "build/meson-logs/testlog.json")
