#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""kill -9 at random points of `kvmnet --root DIR --backend ifcfg iface-define`.

Two definitions of a bridge over a bond over two ethernets (they differ in
every file, and the bond has another name, so files appear and go) are
defined in turn by the real offline CLI, which is SIGKILLed after a random
delay, 60 times.  After each kill a read-only verb (iface-list --all) runs,
which recovers from STATE_DIR/files; the configuration directory must then
be exactly the old set or the new set (names, types, modes, contents), no
temp file may be left anywhere under the root, and the journal must be
empty.  Usage: kill-define.py [KVMNET]  (default $KVMNET)."""

import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

KVMNET = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("KVMNET")
KILLS = int(os.environ.get("KILLS", "60"))
IFCFG = "etc/sysconfig/network-scripts"

XML = {
    "A": """<interface type='bridge' name='br1'>
  <start mode='onboot'/>
  <mtu size='9000'/>
  <protocol family='ipv4'>
    <ip address='192.168.10.2' prefix='24'/>
    <route gateway='192.168.10.1'/>
  </protocol>
  <bridge stp='on'>
    <interface type='bond' name='bond0'>
      <bond mode='active-backup'>
        <miimon freq='100' downdelay='200' updelay='200'/>
        <interface type='ethernet' name='eth1'>
          <mac address='52:54:00:12:34:01'/>
        </interface>
        <interface type='ethernet' name='eth2'>
          <mac address='52:54:00:12:34:02'/>
        </interface>
      </bond>
    </interface>
  </bridge>
</interface>
""",
    "B": """<interface type='bridge' name='br1'>
  <start mode='none'/>
  <mtu size='1500'/>
  <protocol family='ipv4'>
    <ip address='10.0.0.3' prefix='16'/>
    <route gateway='10.0.0.1'/>
  </protocol>
  <bridge stp='off' delay='2'>
    <interface type='bond' name='bond7'>
      <bond mode='balance-rr'>
        <miimon freq='250'/>
        <interface type='ethernet' name='eth1'>
          <mac address='52:54:00:ab:cd:11'/>
        </interface>
        <interface type='ethernet' name='eth2'>
          <mac address='52:54:00:ab:cd:12'/>
        </interface>
      </bond>
    </interface>
  </bridge>
</interface>
""",
}


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def tree(root, sub):
    """{relative path: (type, mode, content)} of everything under root/sub."""
    out = {}
    base = os.path.join(root, sub)
    for dirpath, dirnames, filenames in os.walk(base):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            rel = os.path.relpath(p, root)
            if os.path.islink(p):
                out[rel] = ("link", 0, os.readlink(p))
            elif os.path.isdir(p):
                out[rel] = ("dir", st.st_mode & 0o7777, None)
            else:
                with open(p, "rb") as f:
                    out[rel] = ("file", st.st_mode & 0o7777, f.read())
    return out


def temps(root):
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        found += [os.path.join(dirpath, n) for n in filenames if n.startswith(".kvmnet-tmp-")]
    return found


def run(root, *args, check=True):
    p = subprocess.run([KVMNET, "--root", root, "--backend", "ifcfg", *args],
                       capture_output=True, text=True, timeout=60)
    if check and p.returncode != 0:
        fail("%s: exit %d\n%s%s" % (" ".join(args), p.returncode, p.stdout, p.stderr))
    return p


def main():
    if not KVMNET:
        fail("no kvmnet binary (argument or $KVMNET)")
    # On the disk, not tmpfs: fsync must cost what it costs.
    tmp = tempfile.mkdtemp(prefix="kvmnet-kill-", dir=os.environ.get("TMPDIR", "/tmp"))
    try:
        root = os.path.join(tmp, "root")
        os.makedirs(os.path.join(root, IFCFG))
        with open(os.path.join(root, IFCFG, "ifcfg-eth0"), "w") as f:
            f.write("DEVICE=eth0\nBOOTPROTO=dhcp\nONBOOT=yes\n")
        xml = {}
        for k, text in XML.items():
            xml[k] = os.path.join(tmp, k + ".xml")
            with open(xml[k], "w") as f:
                f.write(text)
        sets = {}
        durations = []
        for k in ("A", "B", "A", "B"):
            t0 = time.monotonic()
            run(root, "iface-define", xml[k])
            durations.append(time.monotonic() - t0)
            sets[k] = tree(root, IFCFG)
        if sets["A"] == sets["B"]:
            fail("the two definitions give the same files")
        if not any("bond0" in p for p in sets["A"]) or any("bond0" in p for p in sets["B"]):
            fail("defining B should replace bond0 by bond7: %s" % sorted(sets["B"]))
        dur = max(durations)
        print("one define takes %.1f ms; killing in [0, %.1f] ms" % (dur * 1000, dur * 1200),
              flush=True)

        rng = random.Random(int(os.environ.get("SEED", "0")) or None)
        current = "B"
        landed = {"old": 0, "new": 0, "recovered": 0}
        for i in range(KILLS):
            want = "A" if current == "B" else "B"
            p = subprocess.Popen([KVMNET, "--root", root, "--backend", "ifcfg", "iface-define",
                                  xml[want]], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0, dur * 1.2))
            p.send_signal(signal.SIGKILL)
            p.wait()
            r = run(root, "iface-list", "--all", check=False)
            if r.returncode != 0:
                fail("kill %d: iface-list after the kill: exit %d\n%s" % (i, r.returncode,
                                                                          r.stderr))
            if "restored" in r.stderr:
                landed["recovered"] += 1
            now = tree(root, IFCFG)
            if now == sets[current]:
                landed["old"] += 1
            elif now == sets[want]:
                landed["new"] += 1
                current = want
            else:
                old, new = sets[current], sets[want]
                diff = sorted(p for p in set(now) | set(old) | set(new)
                              if now.get(p) != old.get(p) and now.get(p) != new.get(p))
                fail("kill %d (defining %s over %s): files are neither the old nor the new "
                     "set; differing: %s\n%s" % (i, want, current, diff, r.stderr))
            left = temps(root)
            if left:
                fail("kill %d: temp files left: %s" % (i, left))
            journal = os.path.join(root, "var/lib/kvmnet/files/txn")
            if os.path.exists(journal):
                fail("kill %d: the journal %s is still there after recovery" % (i, journal))
        print("%d kills: %d left the old set, %d the new set, %d recovered by restoring files"
              % (KILLS, landed["old"], landed["new"], landed["recovered"]), flush=True)
        # The last state still loads and lists the bridge.
        r = run(root, "iface-dumpxml", "br1", "--inactive")
        if "br1" not in r.stdout:
            fail("iface-dumpxml br1: %s" % r.stdout)
        print("PASS")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


main()
