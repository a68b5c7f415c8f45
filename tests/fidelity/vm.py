#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Boot equivalence for VLANs and bonds, inside the TCG test VM.

    vm.py [--cache-dir DIR] [--backend B]... [CASE...]

This machine's kernel has no 8021q or bonding, so boot.sh's comparison of
"what the regime's own program brings up" with "what kvmnet iface-start
brings up" runs here in one guest (tests/vm: Debian's kernel) for the
cases in cases-vm/.  Per backend and case:
  1. kvmnet --root R --backend B iface-define CASE.xml, on this machine;
  2. R copied into the guest; in a fresh namespace there (lib.sh's make_ns)
     the real program (lib.sh's run_real: systemd-networkd, ifupdown with
     ifenslave and bridge-utils, NetworkManager with its own dbus-daemon)
     on R's files, the live state dumped with `ip -j`;
  3. the same namespace again, kvmnet --root R --netns NS iface-start;
  4. both states compared here (state.py).
Exit 0 all agree, 1 a difference or failure, 77 the host lacks qemu, the
kernel, busybox or a regime's program (that backend is skipped; all
skipped: 77).  KVMNET names the kvmnet binary."""

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'vm'))
import kvmnetvm  # noqa: E402
import state  # noqa: E402

GUEST_DIR = '/kn-fid'            # this directory, in the guest
NS, LAN = 'kn-fid-vm-real', 'kn-fid-vm-lan'

# What each regime's program needs in the guest: binaries (with their ldd
# libraries), files copied as they are, the directories it mounts over,
# and the users it drops to.
REGIMES = {
    'networkd': {
        'binaries': ['/lib/systemd/systemd-networkd'],
        'files': [],
        'dirs': ['/etc/systemd/network', '/usr/lib/systemd/network'],
        'users': ['systemd-network'],
    },
    'ifupdown': {
        'binaries': ['/sbin/ifup', '/sbin/brctl', '/usr/bin/run-parts'],
        'files': ['/lib/ifupdown', '/lib/bridge-utils', '/etc/default/bridge-utils',
                  '/etc/network/if-pre-up.d/bridge', '/etc/network/if-pre-up.d/ifenslave',
                  '/etc/network/if-up.d/ifenslave'],
        'dirs': [],
        'users': [],
    },
    'nmkeyfile': {
        'binaries': ['/usr/sbin/NetworkManager', '/usr/bin/nmcli', '/usr/bin/dbus-daemon'],
        'files': ['/usr/share/dbus-1/system.conf', '/usr/share/dbus-1/system.d'],
        'dirs': ['/var/lib/NetworkManager', '/etc/NetworkManager'],
        'users': ['messagebus'],
    },
}
COMMON_BINARIES = ['/usr/bin/bash', '/usr/bin/unshare', '/usr/bin/mount', '/usr/bin/umount',
                   '/usr/bin/seq', '/usr/bin/sed', '/usr/bin/grep']


def names(xml):
    """(top, ethernets, all names) of an interface XML file."""
    r = ET.parse(xml).getroot()
    ifs = list(r.iter('interface'))
    eths = [i.get('name') for i in ifs if i.get('type', 'ethernet') == 'ethernet']
    return r.get('name'), eths, [i.get('name') for i in ifs if i.get('name')]


def unmasked_kinds(xml):
    """Links whose MAC is not compared: a bridge or bond given no <mac> gets
    its first port's from the kernel (as kvmnet leaves it), networkd makes
    one from the machine id."""
    r = ET.parse(xml).getroot()
    return ['%s.mac' % i.get('name') for i in r.iter('interface')
            if i.get('type') in ('bridge', 'bond') and i.find('mac') is None]


def known(xml, backend):
    """Fields not compared for this backend: CASE.known's lines
    `BACKEND LINK.FIELD why`, each printed with its reason."""
    path = xml[:-4] + '.known'
    if not os.path.exists(path):
        return []
    out = []
    for line in open(path):
        w = line.split(None, 2)
        if len(w) == 3 and not line.startswith('#') and w[0] == backend:
            out.append(w[1])
            print('  known difference, not compared: %s %s %s: %s'
                  % (os.path.basename(xml)[:-4], backend, w[1], w[2].strip()))
    return out


def sh(*words):
    return ' '.join(shlex.quote(str(w)) for w in words)


class Suite:
    def __init__(self, vm, kvmnet, work):
        self.vm, self.kvmnet, self.work = vm, kvmnet, work
        self.failed = 0

    def fail(self, msg):
        print('FAIL: ' + msg)
        self.failed = 1

    def push_tree(self, local, guest):
        for d, _, files in os.walk(local):
            for f in files:
                p = os.path.join(d, f)
                with open(p, 'rb') as fh:
                    self.vm.put_file(guest + p[len(local):], fh.read(),
                                     os.stat(p).st_mode & 0o7777)

    def dump(self):
        dumps = {}
        for key, argv in state.DUMPS.items():
            out = self.vm.check(sh('ip', '-n', NS, '-j', *argv))
            dumps[key] = state.json.loads(out or '[]')
        return dumps

    def in_ns(self, backend, script, timeout=90):
        """script (bash) with lib.sh sourced, in the guest."""
        full = ('HERE=%s BACKEND=%s NS=%s LAN=%s LAN_PID=; . "$HERE/lib.sh"; %s'
                % (GUEST_DIR, backend, NS, LAN, script))
        return self.vm.run(sh('bash', '-c', full), timeout=timeout)

    def case(self, backend, xml):
        c = os.path.basename(xml)[:-4]
        label = '%s/%s' % (backend, c)
        top, eths, all_names = names(xml)
        root = os.path.join(self.work, backend, c, 'root')
        subprocess.run(['bash', '-c', '. "$0/lib.sh"; make_root "$1"', HERE, root],
                       env=dict(os.environ, BACKEND=backend), check=True)
        p = subprocess.run([self.kvmnet, '--root', root, '--backend', backend,
                            'iface-define', xml], capture_output=True, text=True)
        if p.returncode != 0:
            return self.fail('%s: iface-define: %s' % (label, p.stderr.strip()))
        groot = '/fid/%s/%s' % (backend, c)
        self.vm.check(sh('rm', '-rf', groot))
        self.push_tree(root, groot + '/root')

        rc, out = self.in_ns(backend, 'make_ns %s && run_real %s %s %s; rc=$?; cat %s.log; exit $rc'
                             % (sh(*eths), groot + '/root', top, groot + '/real', groot + '/real'))
        if rc != 0:
            return self.fail('%s: %s did not run:\n%s' % (label, backend, out[-3000:]))
        real = state.from_dumps(self.dump(), all_names)
        if backend == 'networkd':
            warn = [l for l in out.splitlines() if l.startswith('/etc/systemd/network/')]
            if warn:
                self.fail('%s: networkd warns about kvmnet\'s files:\n  %s'
                          % (label, '\n  '.join(warn)))

        rc, out = self.in_ns(backend, 'make_ns %s && KVMNET_RUN_DIR=%s/run kvmnet --root %s '
                             '--backend %s --netns %s --state-dir %s/state iface-start %s'
                             % (sh(*eths), groot, groot + '/root', backend, NS, groot, top))
        if rc != 0:
            return self.fail('%s: kvmnet iface-start: %s' % (label, out.strip()))
        mine = state.from_dumps(self.dump(), all_names)

        a, b = (os.path.join(self.work, backend, c, n + '.json') for n in ('real', 'kvmnet'))
        for path, st in ((a, real), (b, mine)):
            with open(path, 'w') as f:
                state.json.dump(st, f, indent=1, sort_keys=True)
        ignore = unmasked_kinds(xml) + known(xml, backend)
        if state.compare(a, b, backend, 'kvmnet', *ignore) == 0:
            print('ok - %s: %s and kvmnet iface-start agree' % (label, backend))
        else:
            self.fail('%s: %s and kvmnet iface-start differ (above)' % (label, backend))
            if os.environ.get('FID_VERBOSE'):
                print(open(a).read(), open(b).read())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--cache-dir')
    ap.add_argument('--backend', action='append', choices=sorted(REGIMES))
    ap.add_argument('cases', nargs='*')
    args = ap.parse_args()
    kvmnet = os.environ.get('KVMNET')
    if not kvmnet:
        sys.exit('KVMNET must name the kvmnet binary')
    if os.getuid() != 0:
        print('SKIP: needs root')
        return 77
    backends = []
    for b in args.backend or sorted(REGIMES):
        missing = [p for p in REGIMES[b]['binaries'] + REGIMES[b]['files'] if not os.path.exists(p)]
        if missing:
            print('SKIP: %s: not installed: %s' % (b, ' '.join(missing)))
        else:
            backends.append(b)
    if not backends:
        return 77
    cdir = os.path.join(HERE, 'cases-vm')
    cases = [os.path.join(cdir, c + '.xml') for c in args.cases] or \
        sorted(os.path.join(cdir, c) for c in os.listdir(cdir) if c.endswith('.xml'))

    # kvmnet and the module it loads for --root (beside it in the build).
    binaries = [os.path.realpath(kvmnet)] + COMMON_BINARIES
    offline = os.path.join(os.path.dirname(os.path.realpath(kvmnet)), 'kvmnet-offline.so')
    if os.path.exists(offline):
        binaries.append(offline)
    files = ['%s:%s' % (HERE, GUEST_DIR)]
    users, dirs = [], []
    for b in backends:
        dirs += REGIMES[b]['dirs']
        binaries += REGIMES[b]['binaries']
        files += REGIMES[b]['files']
        users += REGIMES[b]['users']
    with tempfile.TemporaryDirectory(prefix='kn-fid-vm.') as work:
        try:
            vm = kvmnetvm.VM.start(os.path.join(work, 'vm'), binaries=binaries, files=files,
                                   memory='512M', cache_dir=args.cache_dir)
        except kvmnetvm.VMUnavailable as e:
            print('SKIP: %s' % e)
            return 77
        with vm:
            # The guest's /var/run is /run (namespaces, lease files); bash
            # where the runners' #! looks; a machine id (networkd's DHCPv6
            # DUID); the programs' directories and users.
            prep = ['[ -L /var/run ] || { rmdir /var/run && ln -s /run /var/run; }',
                    'ln -sf /usr/bin/bash /bin/bash',
                    'echo 4b766d6e657466696465c17974657374 >/etc/machine-id',
                    sh('mkdir', '-p', *dirs)]
            for uid, u in enumerate(users, 900):
                prep += ["echo '%s:x:%d:%d::/:/bin/false' >>/etc/passwd" % (u, uid, uid),
                         "echo '%s:x:%d:' >>/etc/group" % (u, uid)]
            vm.check(' && '.join(prep))
            suite = Suite(vm, kvmnet, work)
            for b in backends:
                for x in cases:
                    suite.case(b, x)
            return suite.failed


if __name__ == '__main__':
    sys.exit(main())
