#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# docs/cli.md and the CLI's verb table agree, both ways: every verb of
# 'kvmnet help --list' is documented under "## Verbs" and every verb
# documented there exists; 'kvmnet --help' lists the same verbs; every
# option of 'kvmnet VERB --help' appears in that verb's entry of the docs
# (its "###" section, or its table row), and every option of 'kvmnet
# --help' in the docs.  --json, which every verb that prints a reply takes,
# is documented once, in "## JSON output".
. "$(dirname "$0")/../daemon/lib.sh"

DOC=${KN_DOC:-$(dirname "$0")/../../docs/cli.md}
[ -r "$DOC" ] || fail "cannot read $DOC"

"$KVMNET" help --list >"$T/verbs" || fail "kvmnet help --list"
[ "$(wc -l <"$T/verbs")" -ge 40 ] || fail "help --list lists only $(wc -l <"$T/verbs") verbs"
"$KVMNET" --help >"$T/help" || fail "kvmnet --help"
while read -r v; do
        "$KVMNET" "$v" --help >"$T/help.$v" || fail "kvmnet $v --help"
done <"$T/verbs"

python3 - "$DOC" "$T" <<'EOF' || exit 1
import re, sys
doc_path, t = sys.argv[1], sys.argv[2]
doc = open(doc_path).read()
verbs = open(f"{t}/verbs").read().split()
problems = []

# The part of the docs that documents verbs: "## Verbs" to the next "## ".
m = re.search(r"^## Verbs\n(.*?)(?=^## )", doc, re.S | re.M)
if not m:
    sys.exit(f"FAIL: {doc_path} has no '## Verbs' section")
part = m.group(1)

# Each verb's entry: a "### `VERB ...`" heading with its text up to the
# next heading, or a table row whose first cell names it in backticks.
entries = {}
sections = re.split(r"^(?=### )", part, flags=re.M)
for sec in sections:
    if not sec.startswith("### "):
        continue
    heading = sec.splitlines()[0]
    for span in re.findall(r"`([^`]+)`", heading):
        entries.setdefault(span.split()[0], []).append(sec)
    for line in sec.splitlines():
        if not line.startswith("| `"):
            continue
        first = re.split(r"(?<!\\)\|", line)[1]  # "\|" is a "|" inside the cell
        for span in re.findall(r"`([^`]+)`", first):
            entries.setdefault(span.split()[0], []).append(line)
documented = {v for v in entries if re.fullmatch(r"[a-z][a-z-]+", v)}

for v in verbs:
    if v not in documented:
        problems.append(f"verb '{v}' is in 'kvmnet help --list' but not documented in {doc_path} (## Verbs)")
for v in sorted(documented - set(verbs)):
    problems.append(f"verb '{v}' is documented in {doc_path} but kvmnet has no such verb")

# kvmnet --help lists every verb.
verb_part = open(f"{t}/help").read().split("\nVerbs:\n", 1)[1].split("\n\n", 1)[0]
listed = set(re.findall(r"^  ([a-z][a-z-]+) ", verb_part, re.M))
for v in sorted(set(verbs) ^ listed):
    problems.append(f"verb '{v}' is in only one of 'kvmnet --help' and 'kvmnet help --list'")

if "## JSON output" not in doc:
    problems.append(f"{doc_path} has no '## JSON output' section")

for v in verbs:
    text = open(f"{t}/help.{v}").read()
    opts = text.split("\nOptions:\n", 1)[1] if "\nOptions:\n" in text else ""
    for opt in re.findall(r"^  (--[a-z][a-z-]*)", opts, re.M):
        if opt == "--json":
            continue
        if not any(re.search(re.escape(opt) + r"(?![a-z-])", e) for e in entries.get(v, [])):
            problems.append(f"option '{v} {opt}' (kvmnet {v} --help) is not in {v}'s entry of {doc_path}")

# The global options.
g = open(f"{t}/help").read().split("\nOptions:\n", 1)[1].split("\nVerbs:\n", 1)[0]
for opt in re.findall(r"(--[a-z][a-z-]*)", g):
    if not re.search(re.escape(opt) + r"(?![a-z-])", doc):
        problems.append(f"global option '{opt}' (kvmnet --help) is not in {doc_path}")

for p in problems:
    print("FAIL:", p, file=sys.stderr)
sys.exit(1 if problems else 0)
EOF
pass "docs/cli.md documents every verb and option of kvmnet, and nothing else"
