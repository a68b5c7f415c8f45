#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The live state of some links in a network namespace, as a comparable
JSON document, and the comparison of two such documents.

  state.py capture NS NAME...   print the state of links NAME... in NS
  state.py compare A B LABEL-A LABEL-B [LINK.FIELD|route:DST...]
                                exit 1 and print the differences, if any,
                                but those of the fields named and of
                                routes to the destinations named

What counts: per link MTU, MAC, up, master, the bridge's STP and forward
delay, global addresses with their prefix; routes of the main tables
(IPv4 and IPv6) through those links as (destination, gateway, device).
Metrics, protocols and lifetimes are each program's business and left out;
IPv6 link-local and multicast are the kernel's."""
import json
import subprocess
import sys


def ip(ns, *args):
    out = subprocess.run(["ip", "-n", ns, "-j", *args], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out or "[]")


def capture(ns, names):
    links = {l["ifname"]: l for l in ip(ns, "-d", "link", "show")}
    addrs = {a["ifname"]: a for a in ip(ns, "addr", "show")}
    st = {"links": {}, "routes": []}
    for n in names:
        l = links.get(n)
        if l is None:
            st["links"][n] = None
            continue
        d = {
            "mtu": l.get("mtu"),
            "mac": l.get("address"),
            "up": "UP" in l.get("flags", []),
            "master": l.get("master"),
        }
        info = l.get("linkinfo", {})
        if info.get("info_kind") == "bridge":
            data = info.get("info_data", {})
            d["stp"] = data.get("stp_state")
            d["forward_delay_cs"] = data.get("forward_delay")
        d["addrs"] = sorted("%s/%d" % (a["local"], a["prefixlen"])
                            for a in addrs.get(n, {}).get("addr_info", [])
                            if a.get("scope") == "global")
        st["links"][n] = d
    for fam in ("-4", "-6"):
        for r in ip(ns, fam, "route", "show", "table", "main"):
            dev = r.get("dev")
            dst = r.get("dst")
            if dev not in names or dst.startswith("fe80::") or dst.startswith("ff00::"):
                continue
            st["routes"].append([dst, r.get("gateway", ""), dev])
    st["routes"].sort()
    return st


def compare(a, b, la, lb, *ignore):
    A, B = json.load(open(a)), json.load(open(b))
    bad = []
    for n in sorted(set(A["links"]) | set(B["links"])):
        x, y = A["links"].get(n), B["links"].get(n)
        if x is None or y is None:
            if x != y:
                bad.append("%s: %s %s, %s %s" % (n, la, "has it" if x else "has no such link",
                                                 lb, "has it" if y else "has no such link"))
            continue
        for k in sorted(set(x) | set(y)):
            if x.get(k) != y.get(k) and "%s.%s" % (n, k) not in ignore:
                bad.append("%s %s: %s %s, %s %s" % (n, k, la, x.get(k), lb, y.get(k)))
    # "route:DST" in ignore: routes to DST are not compared.
    skip = {i[len("route:"):] for i in ignore if i.startswith("route:")}
    ra = {tuple(r) for r in A["routes"] if r[0] not in skip}
    rb = {tuple(r) for r in B["routes"] if r[0] not in skip}
    for r in sorted(ra - rb):
        bad.append("route %s via '%s' dev %s: only %s" % (r + (la,)))
    for r in sorted(rb - ra):
        bad.append("route %s via '%s' dev %s: only %s" % (r + (lb,)))
    for m in bad:
        print("  mismatch: " + m)
    return 1 if bad else 0


if __name__ == "__main__":
    if sys.argv[1] == "capture":
        json.dump(capture(sys.argv[2], sys.argv[3:]), sys.stdout, indent=1, sort_keys=True)
        print()
    elif sys.argv[1] == "compare":
        sys.exit(compare(*sys.argv[2:]))
    else:
        sys.exit(2)
