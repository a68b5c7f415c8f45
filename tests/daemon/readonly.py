#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# The read-only refusal, generated from the daemon's own verb table
# (the verb-list request), so that no verb escapes it:
#
#   readonly.py refuse SOCKET         on the read-only SOCKET, every verb
#                                     marked "mutates" is refused with EPERM
#                                     and no other verb is; an unknown
#                                     verb's error lists them all
#   readonly.py cli-lines SOCKET DIR  a kvmnet batch, one command line per
#                                     "mutates" verb (its files made in DIR)
#   readonly.py cli-check FILE        FILE: kvmnet --json's replies to those
#                                     lines: each one the verb's EPERM
#
# Every verb must be in MUTATING or READING below: a new verb fails here
# until it is classified, and a verb the daemon stops marking as mutating
# (or starts marking so) fails at once.
import json
import os
import socket
import sys

MUTATING = {
    "iface-define", "iface-undefine", "iface-start", "iface-destroy",
    "iface-bridge", "iface-unbridge",
    "iface-begin", "iface-commit", "iface-rollback", "confirm",
    "guest-define", "guest-undefine", "guest-start", "guest-stop", "guest-adopt",
    "attach-interface", "attach-device", "detach-interface", "detach-device",
    "net-define", "net-undefine", "net-start", "net-destroy", "net-autostart",
    "net-update",
}
READING = {
    "hello", "verb-list", "iface-list", "iface-dumpxml", "iface-mac", "iface-name",
    "event-subscribe", "event-unsubscribe",
    "guest-list", "guest-dumpxml", "guest-info", "domiflist",
    "net-list", "net-info", "net-dumpxml", "net-dhcp-leases",
}


def fail(msg):
    sys.exit("FAIL: " + msg)


class Conn:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(10)
        self.s.connect(path)
        self.buf = b""
        self.n = 0

    def call(self, verb, args=None):
        self.n += 1
        req = {"id": self.n, "verb": verb}
        if args is not None:
            req["args"] = args
        self.s.sendall(json.dumps(req).encode() + b"\n")
        while True:
            while b"\n" not in self.buf:
                chunk = self.s.recv(65536)
                if not chunk:
                    fail(f"{verb}: the daemon closed the connection")
                self.buf += chunk
            line, self.buf = self.buf.split(b"\n", 1)
            reply = json.loads(line)
            if reply.get("id") == self.n:
                return reply
            # an event (event-subscribe was tried): not a reply


def verb_table(conn):
    r = conn.call("verb-list")
    if not r.get("ok"):
        fail(f"verb-list: {r}")
    verbs = {v["name"]: v["mutates"] for v in r["result"]["verbs"]}
    if len(verbs) != len(r["result"]["verbs"]):
        fail("verb-list names a verb twice")
    mut = {v for v, m in verbs.items() if m}
    problems = []
    for v in sorted(MUTATING - mut):
        problems.append(f"{v} is not marked mutating" if v in verbs else f"{v} is gone")
    for v in sorted(READING & mut):
        problems.append(f"{v} is marked mutating")
    for v in sorted(set(verbs) - MUTATING - READING):
        problems.append(f"new verb {v}: classify it in MUTATING or READING of {sys.argv[0]}")
    for v in sorted(READING - set(verbs)):
        problems.append(f"{v} is gone")
    if problems:
        fail("the verb table: " + "; ".join(problems))
    return verbs


def refuse(path):
    conn = Conn(path)
    verbs = verb_table(conn)
    for verb, mutates in verbs.items():
        r = conn.call(verb)
        code = None if r.get("ok") else r["error"]["code"]
        if mutates:
            want = f"{verb} is refused on a read-only connection"
            if code != "EPERM" or not r["error"]["message"].startswith(want):
                fail(f"{verb} on the read-only socket: {r}")
        elif code == "EPERM":
            fail(f"{verb}, which changes nothing, refused on the read-only socket: {r}")
    # An unknown verb's error lists every verb.
    r = conn.call("no-such-verb")
    m = r["error"]["message"]
    listed = m[m.index("(valid: ") + 8:].rstrip(")").split(", ") if "(valid: " in m else []
    if r["error"]["code"] != "EOPNOTSUPP" or listed != list(verbs):
        fail(f"an unknown verb's error does not list the {len(verbs)} verbs: {m}")
    print(f"{sum(verbs.values())} mutating verbs refused, {len(verbs) - sum(verbs.values())} "
          "others not")


def cli_lines(path, d):
    verbs = verb_table(Conn(path))
    files = {
        "eth9.xml": "<interface type='ethernet' name='eth9'><mac address='52:54:00:00:00:99'/></interface>\n",
        "guest.xml": "<domain type='kvm'><name>g9</name><memory>65536</memory></domain>\n",
        "nic.xml": "<interface type='bridge'><source bridge='br0'/><mac address='52:54:00:00:00:99'/></interface>\n",
        "net.xml": "<network><name>n9</name><bridge name='kvbr9'/>"
                   "<ip address='10.99.0.1' netmask='255.255.255.0'/></network>\n",
    }
    for name, text in files.items():
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
    host = "\"<host mac='52:54:00:00:00:99' ip='10.99.0.9'/>\""
    lines = {
        "iface-define": f"iface-define {d}/eth9.xml",
        "iface-undefine": "iface-undefine eth0",
        "iface-start": "iface-start eth0",
        "iface-destroy": "iface-destroy eth0",
        "iface-bridge": "iface-bridge eth0 br9",
        "iface-unbridge": "iface-unbridge br9",
        "iface-begin": "iface-begin",
        "iface-commit": "iface-commit",
        "iface-rollback": "iface-rollback",
        "confirm": "confirm",
        "guest-define": f"guest-define {d}/guest.xml",
        "guest-undefine": "guest-undefine g9",
        "guest-start": "guest-start g9",
        "guest-stop": "guest-stop g9",
        "guest-adopt": f"guest-adopt g9 {d}/qmp.sock",
        "attach-interface": "attach-interface g9 --bridge br0",
        "attach-device": f"attach-device g9 {d}/nic.xml",
        "detach-interface": "detach-interface g9 --mac 52:54:00:00:00:99",
        "detach-device": f"detach-device g9 {d}/nic.xml",
        "net-define": f"net-define {d}/net.xml",
        "net-undefine": "net-undefine n9",
        "net-start": "net-start n9",
        "net-destroy": "net-destroy n9",
        "net-autostart": "net-autostart n9",
        "net-update": f"net-update n9 add ip-dhcp-host {host}",
    }
    out = []
    for verb, mutates in verbs.items():
        if mutates:
            if verb not in lines:
                fail(f"no kvmnet command line for the mutating verb {verb} in {sys.argv[0]}")
            out.append(lines[verb])
    print("\n".join(out))


def cli_check(lines_file, replies_file):
    lines = open(lines_file).read().splitlines()
    replies = open(replies_file).read().splitlines()
    if len(replies) != len(lines):
        fail(f"{len(lines)} commands, {len(replies)} replies: {replies}")
    for line, reply in zip(lines, replies):
        verb = line.split()[0]
        r = json.loads(reply)
        e = r.get("error", {})
        if e.get("code") != "EPERM" or \
                not e.get("message", "").startswith(f"{verb} is refused on a read-only connection"):
            fail(f"kvmnet {line} on a read-only connection: {reply}")
    print(f"{len(lines)} mutating verbs refused through kvmnet")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "refuse":
        refuse(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "cli-lines":
        cli_lines(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "cli-check":
        cli_check(sys.argv[2], sys.argv[3])
    else:
        sys.exit("usage: readonly.py refuse SOCKET | cli-lines SOCKET DIR | cli-check LINES REPLIES")
