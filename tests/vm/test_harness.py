#!/usr/bin/env python3
"""Self-test of the TCG test VM harness (meson suite 'vm').

Boots twice: an i440fx guest through the Python API (command channel,
modules, vlan/bond, hot-plug over raw QMP, the CLI against a running VM),
then a q35 guest through the `vm` CLI (hot-plug into a pcie-root-port).
Prints TAP-like lines and the timings it measured.  Exit 0 all passed,
1 something failed, 77 the host lacks qemu/kernel/busybox (meson: skip).
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, HERE)
import kvmnetvm  # noqa: E402
from kvmnetvm import VM, VMError, VMTimeout, VMUnavailable  # noqa: E402

CLI = os.path.join(HERE, 'vm')
HOTPLUG_MAC = '52:54:00:4b:4e:01'

results = []
timings = {}


def check(name, cond, detail=''):
    results.append(bool(cond))
    n = len(results)
    if cond:
        print('ok %d - %s' % (n, name))
    else:
        print('not ok %d - %s%s' % (n, name, (': ' + detail) if detail else ''))
    sys.stdout.flush()
    return cond


def phase(name, fn, *args):
    """Run one group of checks; an exception fails it without skipping the
    rest of the test."""
    try:
        fn(*args)
    except Exception as e:
        check('%s: no exception' % name, False, '%s: %s' % (type(e).__name__, e))
        traceback.print_exc(file=sys.stdout)


def no_process_mentions(path):
    """No process has `path` in its command line (QEMU, watchdog...)."""
    me = os.getpid()
    found = []
    for d in os.listdir('/proc'):
        if not d.isdigit() or int(d) == me:
            continue
        try:
            with open('/proc/%s/cmdline' % d, 'rb') as f:
                cl = f.read()
            with open('/proc/%s/stat' % d) as f:
                state = f.read().rsplit(')', 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if path.encode() in cl and state != 'Z':
            found.append('%s: %s' % (d, cl.replace(b'\0', b' ')[:120].decode(errors='replace')))
    return found


class RawQMP:
    """QMP by hand, as the brief asks: greeting, qmp_capabilities, commands,
    events, one JSON object per line."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.buf = b''
        self.events = []
        self.greeting = self.recv(10)

    def recv(self, timeout):
        deadline = time.monotonic() + timeout
        while b'\n' not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise VMTimeout('QMP: nothing in %ss' % timeout)
            self.s.settimeout(left)
            try:
                data = self.s.recv(4096)
            except socket.timeout:
                continue
            if not data:
                raise VMError('QMP: connection closed')
            self.buf += data
        line, self.buf = self.buf.split(b'\n', 1)
        return json.loads(line)

    def cmd(self, execute, **arguments):
        msg = {'execute': execute}
        if arguments:
            msg['arguments'] = arguments
        self.s.sendall(json.dumps(msg).encode() + b'\r\n')
        while True:
            r = self.recv(30)
            if 'event' in r:
                self.events.append(r)
                continue
            return r

    def event(self, name, timeout, device=None):
        deadline = time.monotonic() + timeout
        while True:
            for i, ev in enumerate(self.events):
                if ev['event'] == name and (device is None or
                                            ev.get('data', {}).get('device') == device):
                    return self.events.pop(i)
            self.events.append(self.recv(max(0.01, deadline - time.monotonic())))

    def close(self):
        self.s.close()


def hotplug_cycle(vm, tag, bus=None):
    """netdev_add user + device_add virtio-net-pci; the guest sees ethN, gets
    a DHCP lease from slirp and pings its gateway; device_del, DEVICE_DELETED,
    ethN gone; netdev_del."""
    q = RawQMP(vm.qmp_socket)
    try:
        check('%s: QMP greeting' % tag, 'QMP' in q.greeting, repr(q.greeting))
        r = q.cmd('qmp_capabilities')
        check('%s: qmp_capabilities' % tag, r.get('return') == {}, repr(r))
        r = q.cmd('netdev_add', type='user', id='n1')
        check('%s: netdev_add user' % tag, r.get('return') == {}, repr(r))
        dev = {'driver': 'virtio-net-pci', 'netdev': 'n1', 'id': 'd1', 'mac': HOTPLUG_MAC}
        if bus:
            dev['bus'] = bus
        mark = vm.console_mark()
        t0 = time.monotonic()
        r = q.cmd('device_add', **dev)
        t_cmd = time.monotonic() - t0
        check('%s: device_add virtio-net-pci' % tag, r.get('return') == {}, repr(r))
        m = vm.wait_for(r'__KVMNET_NETDEV__ add (eth\d+) (\S+)', timeout=30, since=mark)
        t_vis = time.monotonic() - t0
        ifname, mac = m.group(1), m.group(2)
        timings['%s_device_add_s' % tag] = t_cmd
        timings['%s_hotplug_visible_s' % tag] = t_vis
        check('%s: guest reports %s with the MAC given to QEMU' % (tag, ifname),
              mac == HOTPLUG_MAC, mac)
        rc, out = vm.run('cat /sys/class/net/%s/address' % ifname)
        check('%s: %s in guest sysfs' % (tag, ifname), rc == 0 and out.strip() == HOTPLUG_MAC,
              out)
        rc, out = vm.run('ip link set %s up && udhcpc -i %s -n -q -t 5 >/dev/null 2>&1 && '
                         'ip -4 -o addr show dev %s' % (ifname, ifname, ifname), timeout=60)
        check('%s: udhcpc lease on %s' % (tag, ifname), rc == 0 and '10.0.2.15/24' in out,
              'rc=%d %s' % (rc, out))
        rc, out = vm.run('ping -c 1 -W 5 10.0.2.2', timeout=30)
        check('%s: ping the slirp gateway' % tag, rc == 0, out)
        rc, out = vm.run('ls /sys/class/net/%s/queues' % ifname)
        check('%s: queues listed' % tag, rc == 0 and 'rx-0' in out and 'tx-0' in out, out)

        mark = vm.console_mark()
        t0 = time.monotonic()
        r = q.cmd('device_del', id='d1')
        check('%s: device_del' % tag, r.get('return') == {}, repr(r))
        ev = q.event('DEVICE_DELETED', 30, device='d1')
        timings['%s_device_deleted_s' % tag] = time.monotonic() - t0
        check('%s: DEVICE_DELETED d1' % tag, ev.get('data', {}).get('device') == 'd1', repr(ev))
        vm.wait_for(r'__KVMNET_NETDEV__ remove %s ' % ifname, timeout=30, since=mark)
        rc, out = vm.run('test -e /sys/class/net/%s' % ifname)
        check('%s: %s gone in the guest' % (tag, ifname), rc == 1, 'rc=%d' % rc)
        r = q.cmd('netdev_del', id='n1')
        check('%s: netdev_del' % tag, r.get('return') == {}, repr(r))
    finally:
        q.close()


def pc_channel(vm):
    check('pc: ready line parsed', vm.ready and vm.ready.get('kernel'), repr(vm.ready))
    check('pc: ready line on the console', '__KVMNET_READY__ ' in vm.console_text())
    check('pc: no module failed', vm.ready.get('modules_failed') == [], repr(vm.ready))
    check('pc: no NIC of QEMU\'s making', vm.ready.get('nics') == [], repr(vm.ready))

    check('pc: true -> (0, "")', vm.run('true') == (0, ''))
    check('pc: false -> rc 1', vm.run('false')[0] == 1)
    r = vm.run('echo out; echo err >&2; exit 7')
    check('pc: stdout+stderr and exit status', r == (7, 'out\nerr\n'), repr(r))
    r = vm.run('''x='single "double" $HOME `tick` \\back'; printf '%s\\n' "$x"; echo "it's"''')
    check('pc: quotes survive', r == (0, 'single "double" $HOME `tick` \\back\nit\'s\n'), repr(r))
    r = vm.run(['printf', '%s|', 'a b', "it's", '$HOME', '"q"', ''])
    check('pc: argv list is quoted', r == (0, "a b|it's|$HOME|\"q\"||"), repr(r))
    r = vm.run('cat <<EOF\nline1\n  line2\nEOF\nprintf no-newline')
    check('pc: multi-line script, output without final newline',
          r == (0, 'line1\n  line2\nno-newline'), repr(r))
    r = vm.run('echo "__KVMNET_DONE__ 1 0"; echo "__KVMNET_OUT__ x 3"; echo tail')
    check('pc: markers inside output do not confuse framing',
          r == (0, '__KVMNET_DONE__ 1 0\n__KVMNET_OUT__ x 3\ntail\n'), repr(r))
    r = vm.run('cat /proc/self/fd/0 | wc -c')   # stdin is /dev/null, no hang
    check('pc: stdin is /dev/null', r == (0, '0\n'), repr(r))

    t0 = time.monotonic()
    rc, out = vm.run('seq 1 40000')
    timings['pc_long_output_kib_per_s'] = len(out) / 1024 / (time.monotonic() - t0)
    want = ''.join('%d\n' % i for i in range(1, 40001))
    check('pc: long output (%d bytes) exact' % len(want), rc == 0 and out == want,
          'rc=%d len=%d' % (rc, len(out)))

    t0 = time.monotonic()
    try:
        vm.run('echo started; sleep 37; echo never', timeout=2)
        check('pc: timeout raises VMTimeout', False, 'returned')
    except VMTimeout as e:
        took = time.monotonic() - t0
        check('pc: timeout raises VMTimeout with partial output', e.output == 'started\n',
              repr(e.output))
        check('pc: timeout honoured (%.1fs)' % took, took < 10)
    rc, out = vm.run('ps | grep -c "[s]leep 37"')
    check('pc: timed-out command killed, channel still in step', out.strip() == '0',
          repr((rc, out)))

    data = bytes(range(256)) * 4
    vm.put_file('/tmp/kvmnet/blob', data)
    check('pc: put_file/get_file round trip', vm.get_file('/tmp/kvmnet/blob') == data)


def pc_links(vm):
    for mod in ('8021q', 'bonding', 'dummy', 'bridge', 'veth', 'tun', 'virtio_net'):
        rc, _ = vm.run('test -d /sys/module/%s' % mod)
        check('pc: module %s loaded' % mod, rc == 0)
    rc, out = vm.run('ip -V')
    check('pc: ip is iproute2', 'iproute2' in out, out)
    rc, out = vm.run('ip link add kt0 type dummy && '
                     'ip link add link kt0 name kt0.5 type vlan id 5 && '
                     'ip -d link show kt0.5')
    check('pc: vlan kt0.5 on a dummy', rc == 0 and 'vlan protocol 802.1Q id 5' in out, out)
    rc, out = vm.run('ip link add kb1 type dummy && ip link add kb2 type dummy && '
                     'ip link add kbond0 type bond mode active-backup && '
                     'ip link set kb1 master kbond0 && ip link set kb2 master kbond0 && '
                     'ip link set kbond0 up && cat /sys/class/net/kbond0/bonding/slaves')
    check('pc: bond of two dummies', rc == 0 and out.split() == ['kb1', 'kb2'], out)
    rc, out = vm.run('ip link add kbr0 type bridge && ip link add kv0 type veth peer name kv1 && '
                     'ip link set kv0 master kbr0 && ls /sys/class/net/kbr0/brif')
    check('pc: bridge with a veth port', rc == 0 and out.split() == ['kv0'], out)
    rc, out = vm.run('for l in kt0.5 kt0 kbond0 kb1 kb2 kbr0 kv0; do ip link del $l; done')
    check('pc: links deleted', rc == 0, out)


def pc_cli(vm):
    """The shell front end against the VM the Python API started."""
    p = subprocess.run([CLI, 'run', vm.workdir, 'echo', 'from-cli;', 'exit', '5'],
                       stdout=subprocess.PIPE, universal_newlines=True, timeout=60)
    check('pc: vm run passes output and exit status', (p.returncode, p.stdout) == (5, 'from-cli\n'),
          repr((p.returncode, p.stdout)))
    p = subprocess.run([CLI, 'run', vm.workdir, '-'], input='echo "$((6*7))"\n',
                       stdout=subprocess.PIPE, universal_newlines=True, timeout=60)
    check('pc: vm run - reads the script from stdin', p.stdout == '42\n', repr(p.stdout))
    p = subprocess.run([CLI, 'run', '-t', '1', vm.workdir, 'sleep 30'],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    check('pc: vm run timeout exits 124', p.returncode == 124, repr(p.returncode))
    p = subprocess.run([CLI, 'wait', '-t', '5', vm.workdir, r'__KVMNET_READY__ \S+'],
                       stdout=subprocess.PIPE, universal_newlines=True, timeout=60)
    check('pc: vm wait finds the ready line', p.returncode == 0 and 'READY' in p.stdout,
          p.stdout)


def run_pc(base, cache):
    work = os.path.join(base, 'pc')
    with VM.start(work, qmp_socket=True, cache_dir=cache) as vm:
        pid = vm.pid
        timings['pc_boot_s'] = vm.boot_seconds
        timings['pc_ready_s'] = vm.ready_seconds
        print('# pc guest booted in %.2fs (pid %d)' % (vm.boot_seconds, pid))
        phase('pc channel', pc_channel, vm)
        phase('pc links', pc_links, vm)
        phase('pc hotplug', hotplug_cycle, vm, 'pc')
        phase('pc cli', pc_cli, vm)
        t0 = time.monotonic()
        rc, out = vm.run('true')
        timings['pc_round_trip_s'] = time.monotonic() - t0
        if not all(results):
            print('# console.log tail:\n' + vm.console_text()[-2000:])
    check('pc: QEMU gone after stop', not os.path.exists('/proc/%d' % pid))
    check('pc: sockets removed', not any(os.path.exists(os.path.join(work, f))
                                         for f in ('cmd.sock', 'qmp.sock')))
    left = no_process_mentions(work)
    check('pc: no process left', not left, '; '.join(left))


def run_q35(base, cache):
    work = os.path.join(base, 'q35')
    t0 = time.monotonic()
    p = subprocess.run([CLI, 'start', work, '--machine', 'q35', '--qmp', '--cache-dir', cache,
                        '--die-with', str(os.getpid())],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=200)
    info = dict(l.split('=', 1) for l in p.stdout.splitlines() if '=' in l)
    try:
        if not check('q35: vm start', p.returncode == 0, p.stderr):
            return
        timings['q35_boot_s'] = float(info['boot_seconds'])
        timings['q35_cli_start_s'] = time.monotonic() - t0
        check('q35: root ports rp0..rp3', info.get('root_ports') == 'rp0,rp1,rp2,rp3',
              repr(info))
        p2 = subprocess.run([CLI, 'status', work], stdout=subprocess.PIPE,
                            universal_newlines=True)
        check('q35: vm status running', p2.returncode == 0 and p2.stdout.startswith('running'))
        p2 = subprocess.run([CLI, 'qmp', work, 'query-status'], stdout=subprocess.PIPE,
                            universal_newlines=True)
        check('q35: vm qmp query-status', p2.returncode == 0 and
              json.loads(p2.stdout or '{}').get('status') == 'running', p2.stdout)
        vm = VM.attach(work)
        phase('q35 hotplug', hotplug_cycle, vm, 'q35', 'rp0')
    finally:
        pid = int(info.get('pid', 0) or 0)
        p = subprocess.run([CLI, 'stop', work])
        check('q35: vm stop', p.returncode == 0)
    if pid:
        deadline = time.monotonic() + 5
        while kvmnetvm._proc_alive(pid, work) and time.monotonic() < deadline:
            time.sleep(0.1)
        check('q35: QEMU gone after stop', not kvmnetvm._proc_alive(pid, work))
    time.sleep(1)   # the --die-with watchdog polls every 0.5s
    left = no_process_mentions(work)
    check('q35: no process left (QEMU, watchdog)', not left, '; '.join(left))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--cache-dir', default=None,
                    help='initramfs cache and scratch space (meson: the build dir)')
    a = ap.parse_args()
    kvmnetvm.sigterm_exits()
    cache = os.path.abspath(a.cache_dir or kvmnetvm._cache_dir())
    try:
        kvmnetvm.find_qemu()
        t0 = time.monotonic()
        info = kvmnetvm.build_initramfs(cache)
        timings['initramfs_build_s'] = time.monotonic() - t0
        print('# initramfs %s (%s)' % (info['initramfs'],
                                      'rebuilt' if info['rebuilt'] else 'cached'))
    except VMUnavailable as e:
        print('SKIP: %s' % e)
        return 77
    os.makedirs(cache, exist_ok=True)
    base = tempfile.mkdtemp(prefix='harness-', dir=cache)
    try:
        phase('pc', run_pc, base, cache)
        phase('q35', run_q35, base, cache)
    finally:
        if os.environ.get('KVMNET_VM_KEEP'):
            print('# kept %s' % base)
        else:
            shutil.rmtree(base, ignore_errors=True)
    print('# timings (host %s, accel %s):' % (os.uname().nodename,
                                               os.environ.get('KVMNET_VM_ACCEL', 'tcg')))
    for k in sorted(timings):
        print('#   %-28s %.3f' % (k, timings[k]))
    failed = results.count(False)
    print('# %d checks, %d failed' % (len(results), failed))
    return 1 if failed or not results else 0


if __name__ == '__main__':
    sys.exit(main())
