#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The live state of some links in a network namespace, as a comparable
JSON document, and the comparison of two such documents.

  state.py capture NS NAME...   print the state of links NAME... in NS
  state.py capture-dir DIR NAME...  the same from the `ip -j` dumps in DIR
                                (lib.sh's dump_state, e.g. made in the VM)
  state.py compare A B LABEL-A LABEL-B [LINK.FIELD|route:DST...]
                                exit 1 and print the differences, if any,
                                but those of the fields named and of
                                routes to the destinations named

What counts: per link MTU, MAC, up, master, the bridge's STP and forward
delay, a VLAN's tag and parent, a bond's mode and link monitoring, global addresses with their prefix; routes of the main tables
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


# The dumps a state is made of: file name in a dump directory -> `ip` argv.
DUMPS = {
    "link": ["-d", "link", "show"],
    "addr": ["addr", "show"],
    "route4": ["-4", "route", "show", "table", "main"],
    "route6": ["-6", "route", "show", "table", "main"],
}
# Kind-specific fields compared, as `ip -j -d link` names them.
KIND_FIELDS = {
    "bridge": {"stp": "stp_state", "forward_delay_cs": "forward_delay"},
    "vlan": {"vlan_id": "id", "vlan_protocol": "protocol"},
    "bond": {"bond_mode": "mode", "miimon": "miimon", "updelay": "updelay",
             "downdelay": "downdelay", "arp_interval": "arp_interval",
             "arp_ip_target": "arp_ip_target", "primary": "primary"},
}


def capture(ns, names):
    return from_dumps({k: ip(ns, *argv) for k, argv in DUMPS.items()}, names)


def capture_dir(d, names):
    def load(k):
        with open("%s/%s.json" % (d, k)) as f:
            return json.loads(f.read() or "[]")
    return from_dumps({k: load(k) for k in DUMPS}, names)


def from_dumps(dumps, names):
    links = {l["ifname"]: l for l in dumps["link"]}
    addrs = {a["ifname"]: a for a in dumps["addr"]}
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
        kind = info.get("info_kind")
        if kind == "vlan":
            d["vlan_parent"] = l.get("link")
        for field, key in KIND_FIELDS.get(kind, {}).items():
            d[field] = info.get("info_data", {}).get(key)
        d["addrs"] = sorted("%s/%d" % (a["local"], a["prefixlen"])
                            for a in addrs.get(n, {}).get("addr_info", [])
                            if a.get("scope") == "global")
        st["links"][n] = d
    for fam in ("route4", "route6"):
        for r in dumps[fam]:
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
    elif sys.argv[1] == "capture-dir":
        json.dump(capture_dir(sys.argv[2], sys.argv[3:]), sys.stdout, indent=1, sort_keys=True)
        print()
    elif sys.argv[1] == "compare":
        sys.exit(compare(*sys.argv[2:]))
    else:
        sys.exit(2)
