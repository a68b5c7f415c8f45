#!/usr/bin/env python3
"""Run kvmnet's live cmocka tests inside the TCG test VM (meson suite 'live-vm').

    test_live_vm.py [--cache-dir DIR] [--memory 320M] [--timeout S] TEST-BINARY...

The host kernel lacks 8021q and bonding, so test-live-vlan and
test-live-bond exit 77 there.  This boots ONE guest (tests/vm harness:
Debian kernel with 8021q, bonding, bridge, veth...) whose initramfs carries
the given test binaries (same absolute paths, with their ldd libraries) and
runs each of them in the guest, one after the other, as root with
iproute2's `ip` first on PATH.  cmocka's output is parsed and every case
is reported; a failing binary's whole guest output is printed.

In the guest a test binary exiting 77 ("kernel lacks ...") is a failure:
the guest is there precisely to provide what the host lacks.

Exit 0 all passed, 1 something failed, 77 the host lacks
qemu/kernel/busybox (meson: skipped).  KVMNET_VM_KEEP=1 keeps the VM's
workdir (console.log, qemu.log) for a post-mortem.
"""

import argparse
import os
import re
import shlex
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
VM_DIR = os.path.join(os.path.dirname(HERE), 'vm')
sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, VM_DIR)
import kvmnetvm  # noqa: E402
from kvmnetvm import VM, VMError, VMTimeout, VMUnavailable  # noqa: E402

# Longest a single test binary may run in the guest (test-live-apply takes
# 12-25 s under TCG on a loaded 2-core host), and the whole program's
# budget, kept below meson's 300 s timeout.
PER_TEST_TIMEOUT = 150
TOTAL_BUDGET = 270

# Checked once before the tests: namespaces work (ip netns add needs a
# writable /run/netns it can bind-mount shared) and the kernel has what the
# tests need.  The initramfs root is a writable rootfs, so /run needs no
# tmpfs (one would also hide the command loop's /run/kvmnet); /var/run is
# made a link to /run as on a real system.
PREFLIGHT = r'''
if [ -d /var/run ] && [ ! -L /var/run ]; then
    rmdir /var/run 2>/dev/null && ln -s /run /var/run
fi
ns=kvmnet-lvm-probe
ip netns del $ns 2>/dev/null
set -e
grep -q ' /sys sysfs ' /proc/mounts
ip netns add $ns
ip -n $ns link add p0 type veth peer name p1
ip -n $ns link add link p0 name p0.5 type vlan id 5
ip -n $ns link add b0 type bond
ip -n $ns link add br0 type bridge
ip netns del $ns
test ! -e /run/netns/$ns
echo preflight-ok
'''

CMOCKA_RE = re.compile(r'^\[\s*(RUN|OK|FAILED|SKIPPED|ERROR|PASSED)\s*\] (.*?)\s*$')
SUMMARY_RE = re.compile(r'^\d+ test\(s\)')


def parse_cmocka(output):
    """[(case, 'ok'|'failed'|'skipped'|'crashed')] in the order cases ran.
    A case that started (RUN) but never finished crashed the binary
    (abort(), signal) -- cmocka prints nothing more then."""
    order, result = [], {}
    for line in output.splitlines():
        m = CMOCKA_RE.match(line)
        if not m:
            continue
        tag, rest = m.groups()
        if SUMMARY_RE.match(rest):       # "[  FAILED  ] 1 test(s), listed below:"
            continue
        if tag == 'RUN':
            if rest not in result:
                order.append(rest)
            result[rest] = None
        elif tag in ('OK', 'FAILED', 'SKIPPED') and rest in result:
            if result[rest] is None or tag == 'FAILED':
                result[rest] = {'OK': 'ok', 'FAILED': 'failed', 'SKIPPED': 'skipped'}[tag]
    return [(c, result[c] or 'crashed') for c in order]


def indent(text, prefix='    | '):
    return ''.join(prefix + l + '\n' for l in text.rstrip('\n').splitlines())


class Run:
    def __init__(self):
        self.failed = []    # names of binaries that failed
        self.passed = []
        self.timings = []   # (name, seconds)

    def report(self, name, ok, summary, output=None):
        print('%s %s%s' % ('ok    ' if ok else 'FAILED', name, (' - ' + summary) if summary else ''))
        if not ok and output is not None:
            print('  guest output of %s:' % name)
            sys.stdout.write(indent(output) if output else '    | (none)\n')
        (self.passed if ok else self.failed).append(name)
        sys.stdout.flush()


def run_binary(vm, path, timeout, run):
    name = os.path.basename(path)
    cmd = ('cd /tmp && CMOCKA_MESSAGE_OUTPUT=stdout exec %s </dev/null 2>&1'
           % shlex.quote(path))
    t0 = time.monotonic()
    try:
        rc, out = vm.run(cmd, timeout=timeout)
    except VMTimeout as e:
        secs = time.monotonic() - t0
        run.timings.append((name, secs))
        for case, res in parse_cmocka(e.output):
            print('    %-8s %s.%s' % ('hung' if res == 'crashed' else res, name, case))
        run.report(name, False, 'timed out after %.0f s in the guest' % secs, e.output)
        return not e.wedged          # a wedged channel ends the run
    secs = time.monotonic() - t0
    run.timings.append((name, secs))
    cases = parse_cmocka(out)
    for case, res in cases:
        print('    %-8s %s.%s' % (res, name, case))
    n_ok = sum(1 for _, r in cases if r == 'ok')
    bad = [c for c, r in cases if r not in ('ok',)]
    summary = '%d/%d cases ok, rc=%d, %.1f s' % (n_ok, len(cases), rc, secs)
    if rc == 77:
        run.report(name, False, summary + ': skipped itself in the guest (kernel or tools '
                   'missing there?)', out)
    elif rc != 0 or bad or not cases:
        if not cases:
            summary += ', no cmocka output'
        run.report(name, False, summary, out)
    else:
        run.report(name, True, summary)
    return True


def main():
    kvmnetvm.sigterm_exits()     # meson's timeout SIGTERM -> QEMU stopped
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--cache-dir', help='initramfs cache (default: the harness default)')
    ap.add_argument('--memory', default='320M')
    ap.add_argument('--timeout', type=float, default=PER_TEST_TIMEOUT,
                    help='per test binary, seconds')
    ap.add_argument('binaries', nargs='+', metavar='TEST-BINARY')
    args = ap.parse_args()
    start = time.monotonic()

    binaries = [os.path.abspath(b) for b in args.binaries]
    missing = [b for b in binaries if not (os.path.isfile(b) and os.access(b, os.X_OK))]
    if missing:
        print('error: not an executable: %s' % ', '.join(missing))
        return 1

    keep = os.environ.get('KVMNET_VM_KEEP') == '1'
    workdir = tempfile.mkdtemp(prefix='kvmnet-live-vm-')
    run = Run()
    vm = None
    try:
        try:
            vm = VM.start(workdir, memory=args.memory, binaries=binaries,
                          cache_dir=args.cache_dir, boot_timeout=120)
        except VMUnavailable as e:
            print('SKIP: %s' % e)
            return 77
        except VMError as e:
            print('FAILED to boot the test VM: %s' % e)
            return 1
        with vm:
            print('# guest %s booted in %.1f s (command channel after %.1f s), %s, '
                  'memory %s' % (vm.ready.get('kernel'), vm.boot_seconds, vm.ready_seconds,
                                 vm.machine, vm.memory))
            rc, out = vm.run(PREFLIGHT, timeout=60)
            if rc != 0 or 'preflight-ok' not in out:
                run.report('preflight (netns, veth, vlan, bond, bridge in the guest)',
                           False, 'rc=%d' % rc, out)
                return 1
            for b in binaries:
                left = TOTAL_BUDGET - (time.monotonic() - start)
                if left < 10:
                    run.report(os.path.basename(b), False,
                               'not run: the %d s budget is spent' % TOTAL_BUDGET)
                    continue
                if not run_binary(vm, b, min(args.timeout, left), run):
                    for rest in binaries[binaries.index(b) + 1:]:
                        run.report(os.path.basename(rest), False,
                                   'not run: the guest stopped answering')
                    break
    except VMError as e:     # QEMU died, channel broke: fail, with the console
        print('FAILED: test VM error: %s' % e)
        run.failed.append('vm')
    finally:
        if keep:
            print('# KVMNET_VM_KEEP=1: workdir kept: %s' % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    total = time.monotonic() - start
    print('# timings: boot %.1f s, %s, total %.1f s'
          % ((vm and vm.ready_seconds) or 0, ', '.join('%s %.1f s' % t for t in run.timings), total))
    print('# %d passed, %d failed%s' % (len(run.passed), len(run.failed),
                                        (': ' + ', '.join(run.failed)) if run.failed else ''))
    return 1 if run.failed else 0


if __name__ == '__main__':
    sys.exit(main())
