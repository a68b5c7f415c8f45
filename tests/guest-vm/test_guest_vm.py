#!/usr/bin/env python3
"""End-to-end guest NIC hot-plug (meson suite 'guest-vm').

    test_guest_vm.py --cache-dir DIR KVMNET KVMNETD

kvmnetd (serving a network namespace made here, with bridge br0 at
10.77.0.1/24) starts ONE real guest from a definition: the VM harness's
kernel and busybox initramfs, 4 vCPUs, serial console to a file, and the
harness's command channel added through <qemu:commandline>.  Through the
kvmnet CLI only:

  1. attach-interface: the guest shows ethN, brings it up and pings br0;
  2. detach-interface: the guest loses it, the tap is gone and QEMU's fd
     count (/proc/PID/fd) is back where it was;
  3. --queues 4: /sys/class/net/ethN/queues has rx-0..rx-3;
  4. vhost-net: skipped with the reason (no /dev/vhost-net, TCG);
  5. --persistent: the NIC is there again after guest-stop + guest-start;
  6. kvmnetd stopped (SIGTERM) and started: the guest is found again;
     then killed (-9) with two NICs attached and started again: both
     are listed, detaching one removes it from the guest and its tap goes
     (kvmnetd holds no tap fd: QEMU's netdev_del closes the last one), the
     other still carries traffic;
  7. networks: attach-interface --network nat1 (kvmnetd's NAT network
     with DHCP and a <dns><host>): udhcpc in the guest gets the address a
     DHCP host entry (net-update) pins, net-dhcp-leases lists it, busybox
     nslookup resolves the name, and the
     guest pings a LAN namespace (knhg-PID-lan, no route back to the
     subnet) through the NAT; a second guest (vm2, booted for this) on the
     same network and vm1 ping each other, net-destroy names both; on an
     isolated network the guest gets a lease, reaches the host and
     not the LAN.

KVMNET_GUEST_VM_VALGRIND=1 runs kvmnetd under valgrind (memcheck, leak
check; both daemons of case 6) and fails on any error or definite leak.

Exit 0 passed, 1 failed, 77 the host lacks qemu/kernel/busybox/netns.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'vm'))
import kvmnetvm  # noqa: E402
from kvmnetvm import VM, VMUnavailable  # noqa: E402

BR_IP = '10.77.0.1'
FIGURES = {}


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


class Env:
    def __init__(self, kvmnet, kvmnetd, cache_dir):
        self.kvmnet, self.kvmnetd, self.cache_dir = kvmnet, kvmnetd, cache_dir
        self.dir = tempfile.mkdtemp(prefix='kn-gvm-')
        self.ns = 'kn-gvm-%d' % os.getpid()
        self.daemon = None
        self.vm = None
        self.extra_ns = []
        # kvmnetd's and kvmnet's runtime directory (sockets, guests' runtime
        # state): the test's own, never the host's /run/kvmnet.
        os.environ['KVMNET_RUN_DIR'] = os.path.join(self.dir, 'run')

    def sh(self, *argv):
        return subprocess.run(argv, check=True, stdout=subprocess.PIPE,
                              universal_newlines=True).stdout

    def setup(self):
        self.sh('ip', 'netns', 'add', self.ns)
        self.sh('ip', '-n', self.ns, 'link', 'set', 'lo', 'up')
        self.sh('ip', '-n', self.ns, 'link', 'add', 'br0', 'type', 'bridge')
        self.sh('ip', '-n', self.ns, 'addr', 'add', BR_IP + '/24', 'dev', 'br0')
        self.sh('ip', '-n', self.ns, 'link', 'set', 'br0', 'up')
        os.makedirs(os.path.join(self.dir, 'root', 'etc', 'network'))
        with open(os.path.join(self.dir, 'root', 'etc', 'network', 'interfaces'), 'w') as f:
            f.write('')
        self.log = open(os.path.join(self.dir, 'daemon.log'), 'w')
        self.valgrind_logs = []
        self.valgrind_seen = set()
        self.start_daemon()

    def start_daemon(self):
        rw = os.path.join(self.dir, 'rw')
        argv = [self.kvmnetd, '--root', os.path.join(self.dir, 'root'), '--backend', 'ifupdown',
                '--netns', self.ns, '--state-dir', os.path.join(self.dir, 'st'),
                '--socket', rw, '--ro-socket', os.path.join(self.dir, 'ro')]
        if os.environ.get('KVMNET_GUEST_VM_VALGRIND'):
            vlog = os.path.join(self.dir, 'valgrind-%d.log' % len(self.valgrind_logs))
            self.valgrind_logs.append(vlog)
            argv = ['valgrind', '--tool=memcheck', '--leak-check=full',
                    '--errors-for-leak-kinds=definite', '--track-fds=no',
                    '--log-file=' + vlog] + argv
        self.daemon = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT)
        # Answering, not merely there: a killed daemon leaves its socket.
        for _ in range(600):
            if os.path.exists(rw) and self.k('guest-list', ok=False).returncode == 0:
                return
            check(self.daemon.poll() is None, 'kvmnetd exited at start')
            time.sleep(0.05)
        raise Fail('kvmnetd did not answer on %s' % rw)

    def kill_daemon(self):
        self.daemon.kill()
        self.daemon.wait()
        self.daemon = None

    def stop_daemon(self):
        """SIGTERM; with valgrind, the report of every daemon run."""
        self.daemon.terminate()
        rc = self.daemon.wait(120)
        self.daemon = None
        check(rc == 0, 'kvmnetd exited with %d after SIGTERM' % rc)
        for vlog in self.valgrind_logs:
            if vlog in self.valgrind_seen:
                continue
            self.valgrind_seen.add(vlog)
            text = open(vlog).read()
            m = re.search(r'ERROR SUMMARY: (\d+) errors', text)
            lost = re.search(r'definitely lost: ([\d,]+) bytes', text)
            summary = '%s: %s errors, definitely lost %s bytes' % (
                os.path.basename(vlog), m.group(1) if m else '?',
                lost.group(1) if lost else '0')
            print('valgrind: %s' % summary)
            # A daemon killed with -9 writes no summary: nothing to judge.
            if m:
                check(m.group(1) == '0' and (not lost or lost.group(1) == '0'),
                      'valgrind: %s\n%s' % (summary, text[-4000:]))

    def k(self, *args, ok=True):
        p = subprocess.run([self.kvmnet, '-c', 'unix://' + os.path.join(self.dir, 'rw')] +
                           list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True)
        if ok and p.returncode != 0:
            raise Fail('kvmnet %s: rc=%d %s' % (' '.join(args), p.returncode, p.stderr))
        return p

    def kj(self, *args):
        return json.loads(self.k(*(args + ('--json',))).stdout)

    def taps(self):
        out = self.sh('ip', '-n', self.ns, '-o', 'link', 'show', 'type', 'tun')
        return sorted(l.split(':')[1].strip().split('@')[0] for l in out.splitlines())

    def teardown(self):
        run = os.path.join(self.dir, 'run', 'guests')
        for f in os.listdir(run) if os.path.isdir(run) else []:
            if f.endswith('.pid'):
                try:
                    pid = int(open(os.path.join(run, f)).read())
                    if b'guest=' in open('/proc/%d/cmdline' % pid, 'rb').read():
                        os.kill(pid, 9)
                except (OSError, ValueError):
                    pass
        if self.daemon:
            self.daemon.terminate()
            self.daemon.wait(120)
        for ns in [self.ns] + self.extra_ns:
            subprocess.run(['ip', 'netns', 'del', ns], stderr=subprocess.DEVNULL)
        if os.environ.get('KVMNET_VM_KEEP'):
            print('kept', self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    # ---- the guest ----

    def define(self, info, name='vm1'):
        """A guest NAME; files of guests but vm1 are prefixed NAME-."""
        w = self.dir
        f = '' if name == 'vm1' else name + '-'
        xml = """<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>%s</name>
  <memory unit='MiB'>256</memory>
  <vcpu>4</vcpu>
  <os>
    <type machine='pc'>hvm</type>
    <kernel>%s</kernel>
    <initrd>%s</initrd>
    <cmdline>console=ttyS0 quiet panic=-1</cmdline>
  </os>
  <devices>
    <serial type='file'><source path='%s/%sconsole.log'/></serial>
  </devices>
  <qemu:commandline>
    <qemu:arg value='-chardev'/>
    <qemu:arg value='socket,id=kvmnet-cmd,path=%s/%scmd.sock,server=on,wait=off'/>
    <qemu:arg value='-serial'/>
    <qemu:arg value='chardev:kvmnet-cmd'/>
    <qemu:arg value='-no-reboot'/>
  </qemu:commandline>
</domain>
""" % (name, info['kernel'], info['initramfs'], w, f, w, f)
        with open(os.path.join(w, name + '.xml'), 'w') as out:
            out.write(xml)
        self.k('guest-define', os.path.join(w, name + '.xml'))

    def start(self, name='vm1'):
        f = '' if name == 'vm1' else name + '-'
        for p in ('console.log', 'cmd.sock'):
            try:
                os.unlink(os.path.join(self.dir, f + p))
            except OSError:
                pass
        t0 = time.monotonic()
        self.k('guest-start', name)
        pid = [g['pid'] for g in self.kj('guest-list')['guests'] if g['name'] == name][0]
        vm = VM(os.path.join(self.dir, f + 'vmwork'), machine='pc', smp=4)
        vm.pid, vm.cmd_socket = pid, os.path.join(self.dir, f + 'cmd.sock')
        vm.console_log = os.path.join(self.dir, f + 'console.log')
        m = vm.wait_for(kvmnetvm.READY_RE, timeout=120, since=0)
        vm.ready = kvmnetvm._parse_ready(m.group(1))
        for _ in range(20):
            try:
                vm.run('true', timeout=5)
                break
            except kvmnetvm.VMTimeout:
                pass
        FIGURES.setdefault('boot_s', []).append(round(time.monotonic() - t0, 1))
        if name == 'vm1':
            self.vm = vm
        return vm

    def fds(self):
        """QEMU's open fds, less sockets: the command channel's client
        connection comes and goes with each guest command."""
        d = '/proc/%d/fd' % self.vm.pid
        n = 0
        for f in os.listdir(d):
            try:
                n += not os.readlink(os.path.join(d, f)).startswith('socket:')
            except OSError:
                pass
        return n


def attach(env, *extra):
    mark = env.vm.console_mark()
    t0 = time.monotonic()
    r = json.loads(env.k('attach-interface', 'vm1', '--bridge', 'br0', '--json', *extra).stdout)
    t_cli = time.monotonic() - t0
    nic = r['interface']
    m = env.vm.wait_for(r'__KVMNET_NETDEV__ add (eth\d+) %s' % nic['mac'], timeout=30,
                        since=mark)
    t_vis = time.monotonic() - t0
    FIGURES.setdefault('attach_cli_ms', []).append(round(t_cli * 1000, 1))
    FIGURES.setdefault('attach_daemon_ms', []).append(round(r['elapsed_ms'], 1))
    FIGURES.setdefault('visible_s', []).append(round(t_vis, 2))
    return nic, m.group(1)


def detach(env, nic, ifname, *extra):
    mark = env.vm.console_mark()
    t0 = time.monotonic()
    env.k('detach-interface', 'vm1', '--mac', nic['mac'], *extra)
    FIGURES.setdefault('detach_cli_ms', []).append(round((time.monotonic() - t0) * 1000, 1))
    env.vm.wait_for(r'__KVMNET_NETDEV__ remove %s ' % ifname, timeout=30, since=mark)


def case_attach_ping_detach(env):
    fd0 = env.fds()
    taps0 = env.taps()
    nic, ifname = attach(env, '--mac', '52:54:00:77:00:02')
    check(nic['tap'] in env.taps(), 'tap %s not in the namespace' % nic['tap'])
    env.vm.check('ip addr add 10.77.0.2/24 dev %s && ip link set %s up' % (ifname, ifname))
    env.vm.check('ping -c 1 -W 5 %s || ping -c 1 -W 5 %s' % (BR_IP, BR_IP), timeout=30)
    lst = env.kj('domiflist', 'vm1')['interfaces']
    check([i['state'] for i in lst] == ['attached'], 'domiflist: %r' % lst)
    detach(env, nic, ifname)
    check(ifname not in env.vm.netdevs(), 'guest still shows %s' % ifname)
    check(env.taps() == taps0, 'taps left: %r' % env.taps())
    check(env.fds() == fd0, "QEMU's fd count %d, was %d" % (env.fds(), fd0))
    check(env.kj('domiflist', 'vm1')['interfaces'] == [], 'domiflist not empty')
    print('ok - attach: guest %s pings br0; detach: gone from guest, no tap, QEMU fds %d again'
          % (ifname, fd0))


def case_multiqueue(env):
    nic, ifname = attach(env, '--queues', '4')
    q = env.vm.check('ls /sys/class/net/%s/queues' % ifname).split()
    check(sorted(x for x in q if x.startswith('rx-')) == ['rx-0', 'rx-1', 'rx-2', 'rx-3'],
          'queues: %r' % q)
    detach(env, nic, ifname)
    print('ok - --queues 4 with 4 vCPUs: %s' % ' '.join(q))


def case_vhost(env):
    log = open(os.path.join(env.dir, 'daemon.log')).read()
    m = re.search(r'without vhost-net: (.*)', log)
    check(m, 'no vhost reason logged')
    print('SKIP: vhost-net live path: %s (QMP arguments are unit-tested in guest-netdev-args)'
          % m.group(1))


def case_persistent(env):
    nic, ifname = attach(env, '--mac', '52:54:00:77:00:09', '--persistent')
    env.k('guest-stop', 'vm1')
    check(env.taps() == [], 'taps after guest-stop: %r' % env.taps())
    vm = env.start()
    check(('eth0', '52:54:00:77:00:09') in [tuple(n) for n in vm.ready['nics']],
          'NIC not back at boot: %r' % vm.ready['nics'])
    env.k('detach-interface', 'vm1', '--mac', '52:54:00:77:00:09', '--persistent')
    check('52:54:00:77:00:09' not in env.k('guest-dumpxml', 'vm1').stdout,
          'detach --persistent left it in the definition')
    print('ok - --persistent NIC back after guest-stop/guest-start (%s)' % vm.ready['nics'])


def case_restart(env):
    # A clean exit first (SIGTERM): the guest keeps running, the next
    # kvmnetd finds it.  (Under valgrind this is also the report of the
    # daemon that ran every case so far.)
    env.stop_daemon()
    env.start_daemon()
    check([g['state'] for g in env.kj('guest-list')['guests'] if g['name'] == 'vm1'] ==
          ['running'], 'vm1 not running after a clean kvmnetd restart')
    a, ifa = attach(env, '--mac', '52:54:00:77:00:0a')
    b, ifb = attach(env, '--mac', '52:54:00:77:00:0b')
    env.vm.check('ip addr add 10.77.0.3/24 dev %s && ip link set %s up' % (ifb, ifb))
    qemu_pid = env.vm.pid
    env.kill_daemon()
    check(a['tap'] in env.taps() and b['tap'] in env.taps(),
          'taps went with kvmnetd: %r' % env.taps())
    t0 = time.monotonic()
    env.start_daemon()
    FIGURES['restart_s'] = round(time.monotonic() - t0, 2)
    log = open(os.path.join(env.dir, 'daemon.log')).read()
    check('guest vm1: re-attached to QEMU pid %d with 2 NICs' % qemu_pid in log,
          'no re-attach in the log')
    lst = env.kj('domiflist', 'vm1')['interfaces']
    check([(i['mac'], i['tap'], i['state']) for i in lst] ==
          [(a['mac'], a['tap'], 'attached'), (b['mac'], b['tap'], 'attached')],
          'domiflist after the restart: %r' % lst)
    detach(env, a, ifa)
    check(ifa not in env.vm.netdevs(), 'guest still shows %s' % ifa)
    check(a['tap'] not in env.taps(), 'tap %s left after detach: %r' % (a['tap'], env.taps()))
    check([i['mac'] for i in env.kj('domiflist', 'vm1')['interfaces']] == [b['mac']],
          'domiflist after detach')
    env.vm.check('ping -c 1 -W 5 %s || ping -c 1 -W 5 %s' % (BR_IP, BR_IP), timeout=30)
    detach(env, b, ifb)
    check(env.taps() == [], 'taps left: %r' % env.taps())
    print('ok - kvmnetd stopped and started again, then killed (-9) and started again (%.2f s): '
          'both NICs listed, detach of %s removed it from the guest and its tap %s, %s still '
          'pings' % (FIGURES['restart_s'], a['mac'], a['tap'], ifb))


LAN_IP, UP_IP = '192.0.2.1', '192.0.2.2'
NAT_XML = """<network><name>nat1</name><forward mode='nat'/><bridge name='kvbr5'/>
<dns><host ip='10.78.0.1'><hostname>gw.lab</hostname></host></dns>
<ip address='10.78.0.1' prefix='24'><dhcp><range start='10.78.0.10' end='10.78.0.50'/></dhcp></ip>
</network>
"""
ISO_XML = """<network><name>iso1</name><bridge name='kvbr6'/>
<ip address='10.79.0.1' prefix='24'><dhcp><range start='10.79.0.10' end='10.79.0.50'/></dhcp></ip>
</network>
"""


def net_attach(env, net, mac, guest='vm1', vm=None):
    """attach-interface --network; the guest's ethN, then udhcpc on it."""
    vm = vm or env.vm
    mark = vm.console_mark()
    r = json.loads(env.k('attach-interface', guest, '--network', net, '--mac', mac,
                         '--json').stdout)
    nic = r['interface']
    check((nic['type'], nic['source']) == ('network', net), 'attach reply: %r' % nic)
    m = vm.wait_for(r'__KVMNET_NETDEV__ add (eth\d+) %s' % mac, timeout=30, since=mark)
    ifname = m.group(1)
    t0 = time.monotonic()
    out = vm.check('ip link set %s up && udhcpc -i %s -n -q -t 5 -T 1 >/dev/null 2>&1 && '
                       'ip -4 -o addr show dev %s' % (ifname, ifname, ifname), timeout=90)
    FIGURES.setdefault('udhcpc_s', []).append(round(time.monotonic() - t0, 2))
    return nic, ifname, out


def case_network(env):
    """The guest on a NAT network (kvmnetd's dnsmasq and nftables in the
    test's namespace) reaches a LAN namespace through the NAT; on an
    isolated network it does not."""
    if not os.path.exists('/usr/sbin/dnsmasq'):
        print('SKIP: networks: no /usr/sbin/dnsmasq (dnsmasq-base)')
        return
    lan = 'knhg-%d-lan' % os.getpid()
    env.extra_ns.append(lan)
    # dnsmasq drops to nobody and re-reads its host files in the state dir
    os.chmod(env.dir, 0o755)
    os.makedirs(os.path.join(env.dir, 'st'), mode=0o755, exist_ok=True)
    os.chmod(os.path.join(env.dir, 'st'), 0o755)
    env.sh('ip', 'netns', 'add', lan)
    env.sh('ip', '-n', env.ns, 'link', 'add', 'up0', 'type', 'veth', 'peer', 'name', 'eth0',
           'netns', lan)
    env.sh('ip', '-n', env.ns, 'addr', 'add', UP_IP + '/24', 'dev', 'up0')
    env.sh('ip', '-n', env.ns, 'link', 'set', 'up0', 'up')
    env.sh('ip', '-n', env.ns, 'route', 'add', 'default', 'via', LAN_IP)
    # The LAN has no route to the network's subnet: only NAT gets answers back.
    env.sh('ip', '-n', lan, 'addr', 'add', LAN_IP + '/24', 'dev', 'eth0')
    env.sh('ip', '-n', lan, 'link', 'set', 'eth0', 'up')
    env.sh('ip', '-n', lan, 'link', 'set', 'lo', 'up')
    # ... but it has one to the isolated network's: there only the
    # network's own table stops the guest's packets.
    env.sh('ip', '-n', lan, 'route', 'add', '10.79.0.0/24', 'via', UP_IP)
    for name, xml in (('nat1', NAT_XML), ('iso1', ISO_XML)):
        path = os.path.join(env.dir, name + '.xml')
        with open(path, 'w') as f:
            f.write(xml)
        env.k('net-define', path)
    p = env.k('attach-interface', 'vm1', '--network', 'nat1', ok=False)
    check(p.returncode == 1 and 'network nat1 is not active (net-start nat1)' in p.stderr,
          'attach to an inactive network: rc=%d %s' % (p.returncode, p.stderr))
    env.k('net-start', 'nat1')

    mac = '52:54:00:77:01:01'
    # a DHCP host entry pins the guest's address (live: dnsmasq re-reads it)
    env.k('net-update', 'nat1', 'add', 'ip-dhcp-host',
          "<host mac='%s' ip='10.78.0.77'/>" % mac)
    nic, ifname, out = net_attach(env, 'nat1', mac)
    ip = re.search(r'inet (10\.78\.0\.\d+)/24', out)
    check(ip, 'no lease from nat1 on %s: %s' % (ifname, out))
    ip = ip.group(1)
    check(ip == '10.78.0.77', 'the pinned address is 10.78.0.77, the guest got %s' % ip)
    br = env.sh('ip', '-n', env.ns, '-o', 'link', 'show', nic['tap'])
    check('master kvbr5' in br, 'tap %s is not on kvbr5: %s' % (nic['tap'], br))
    lst = [i for i in env.kj('domiflist', 'vm1')['interfaces'] if i['mac'] == mac]
    check([(i['type'], i['source']) for i in lst] == [('network', 'nat1')],
          'domiflist: %r' % lst)
    leases = env.kj('net-dhcp-leases', 'nat1')['leases']
    check([(l['mac'], l['ip']) for l in leases] == [(mac, ip)], 'net-dhcp-leases: %r' % leases)
    ns = env.vm.check('busybox nslookup gw.lab 10.78.0.1', timeout=30)
    check(re.search(r'Address:? .*10\.78\.0\.1', ns.split('gw.lab', 1)[-1]),
          'nslookup gw.lab: %s' % ns)
    env.vm.check('ping -c 1 -W 5 %s || ping -c 1 -W 5 %s' % (LAN_IP, LAN_IP), timeout=30)
    # A second guest on the same network: they reach each other.
    env.define(env.info, 'vm2')
    vm2 = env.start('vm2')
    nic2, if2, out2 = net_attach(env, 'nat1', '52:54:00:77:02:01', 'vm2', vm2)
    ip2 = re.search(r'inet (10\.78\.0\.\d+)/24', out2)
    check(ip2 and ip2.group(1) != ip, 'vm2 got no lease of its own: %s' % out2)
    vm2.check('ping -c 1 -W 5 %s || ping -c 1 -W 5 %s' % (ip, ip), timeout=30)
    env.vm.check('ping -c 1 -W 5 %s || ping -c 1 -W 5 %s' % (ip2.group(1), ip2.group(1)),
                 timeout=30)
    p = env.k('net-destroy', 'nat1', ok=False)
    check(p.returncode == 7 and re.search(r'in use by guests (vm1 \(%s\), vm2 \(%s\)|vm2 '
                                          r'\(%s\), vm1 \(%s\))' % (nic['tap'], nic2['tap'],
                                                                     nic2['tap'], nic['tap']),
                                          p.stderr),
          'net-destroy while in use: rc=%d %s' % (p.returncode, p.stderr))
    env.k('guest-stop', 'vm2')
    print('ok - a second guest vm2 on nat1 (%s) and vm1 (%s) ping each other; net-destroy '
          'names both' % (ip2.group(1), ip))
    p = env.k('net-destroy', 'nat1', ok=False)
    check(p.returncode == 7 and 'in use by guest vm1 (%s)' % nic['tap'] in p.stderr,
          'net-destroy while in use: rc=%d %s' % (p.returncode, p.stderr))
    detach(env, nic, ifname)
    print('ok - network nat1: tap %s on kvbr5, the guest got %s (pinned) by DHCP (net-dhcp-leases '
          'lists it), resolved gw.lab, pinged the LAN %s through the NAT; net-destroy refused '
          'while attached' % (nic['tap'], ip, LAN_IP))

    env.k('net-start', 'iso1')
    nic, ifname, out = net_attach(env, 'iso1', '52:54:00:77:01:02')
    check('inet 10.79.0.' in out, 'no lease from iso1: %s' % out)
    env.vm.check('ping -c 1 -W 5 10.79.0.1 || ping -c 1 -W 5 10.79.0.1', timeout=30)
    rc, o = env.vm.run('ip route replace default via 10.79.0.1 dev %s && ping -c 2 -W 2 %s'
                       % (ifname, LAN_IP), timeout=30)
    check('default via 10.79.0.1' in env.vm.check('ip route'), 'no route via the host')
    check(rc != 0, 'isolated network reached the LAN: %s' % o)
    detach(env, nic, ifname)
    for net in ('nat1', 'iso1'):
        env.k('net-destroy', net)
    check(env.taps() == [], 'taps left: %r' % env.taps())
    print('ok - isolated network iso1: lease, the host answers, the LAN does not')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--cache-dir')
    ap.add_argument('kvmnet')
    ap.add_argument('kvmnetd')
    a = ap.parse_args()
    kvmnetvm.sigterm_exits()
    if os.geteuid() != 0 or not shutil.which('ip'):
        print('SKIP: needs root and iproute2')
        return 77
    try:
        kvmnetvm.find_qemu()
        info = kvmnetvm.build_initramfs(a.cache_dir)
    except VMUnavailable as e:
        print('SKIP: %s' % e)
        return 77
    env = Env(a.kvmnet, a.kvmnetd, a.cache_dir)
    try:
        env.setup()
        env.info = info
        env.define(info)
        env.start()
        for case in (case_attach_ping_detach, case_multiqueue, case_vhost, case_persistent,
                     case_restart, case_network):
            case(env)
        env.k('guest-stop', 'vm1')
        env.stop_daemon()
        print('figures: %s' % json.dumps(FIGURES))
        return 0
    except (Fail, VMError) as e:
        # VMError too: a wedged guest's console tail (hung tasks, oopses)
        # is what tells a guest-kernel stall from a kvmnet bug.
        print('FAIL: %s: %s' % (type(e).__name__, e))
        print(open(os.path.join(env.dir, 'daemon.log')).read()[-3000:])
        return 1
    finally:
        env.teardown()


if __name__ == '__main__':
    sys.exit(main())
