"""kvmnetvm - host-side driver of kvmnet's TCG test VM (Python 3 stdlib only).

A VM is a qemu-system-x86_64 (TCG by default) booting the host's Debian
kernel with the busybox initramfs that build-initramfs makes.  Booting costs
seconds, so a test suite boots ONE guest and reuses it for all its tests:

    from kvmnetvm import VM, VMUnavailable

    with VM.start(workdir, binaries=[kvmnet_cli]) as vm:   # ~6 s under TCG
        rc, out = vm.run('ip link add d0 type dummy')
        out = vm.check('kvmnet iface list')                 # raises on rc != 0
        vm.wait_for(r'__KVMNET_NETDEV__ add (eth\\d+)')      # console log
    # QEMU killed (by pid), sockets removed

Channels, below workdir (sockets in a short /tmp/kvmnet-vm-* dir instead
when the path would exceed sun_path; see vm.cmd_socket, vm.qmp_socket):
  console.log   ttyS0: firmware, kernel, /init's report lines
  cmd.sock      ttyS1: the command loop (see run())
  qmp.sock      QMP, only with qmp_socket=True or a path
  qemu.log      QEMU's argv and stderr
Guest lines on the console:
  __KVMNET_READY__ kernel=V uptime=S nics=eth0/MAC,... modules_failed=a,b
  __KVMNET_NETDEV__ add|remove IFNAME MAC|- DEVPATH   (every net device)
  __KVMNET_CMDLOOP_RESTART__ rc=N                    (should never appear)

Environment: KVMNET_VM_ACCEL (default tcg), KVMNET_VM_QEMU (binary),
KVMNET_VM_CACHE (initramfs cache dir), KVMNET_VM_KERNEL_VERSION.
"""

import atexit
import base64
import fcntl
import itertools
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD_INITRAMFS = os.path.join(HERE, 'build-initramfs')

READY_RE = re.compile(r'__KVMNET_READY__ ([^\r\n]*)\r?\n')
STATE_FILE = 'vm.json'
DEFAULT_MEMORY = '256M'
CONSOLE_TAIL = 3000


class VMError(Exception):
    """The harness or the guest failed (not a command's own failure)."""


class VMUnavailable(VMError):
    """The host lacks what the VM needs (qemu, kernel, busybox): skip."""


class VMTimeout(VMError):
    """A command or a wait ran out of time.

    output: what the command printed before it was killed ('' if unknown).
    wedged: True if the guest did not even answer (channel may be stuck)."""

    def __init__(self, msg, output='', wedged=False):
        super().__init__(msg)
        self.output = output
        self.wedged = wedged


class VMCommandError(VMError):
    """check() of a command that exited non-zero."""

    def __init__(self, cmd, rc, output):
        super().__init__('guest command failed (rc=%d): %s\n%s' % (rc, cmd, output))
        self.cmd, self.rc, self.output = cmd, rc, output


class QMPError(VMError):
    """QMP answered with an error."""

    def __init__(self, cmd, error):
        super().__init__('QMP %s: %s: %s' % (cmd, error.get('class'), error.get('desc')))
        self.error = error


def _cache_dir():
    d = os.environ.get('KVMNET_VM_CACHE')
    if d:
        return d
    if os.environ.get('KVMNET_BUILD_ROOT'):
        return os.path.join(os.environ['KVMNET_BUILD_ROOT'], 'tests', 'vm')
    base = os.environ.get('XDG_CACHE_HOME') or os.path.expanduser('~/.cache')
    return os.path.join(base, 'kvmnet', 'vm')


def find_qemu():
    """Path of qemu-system-x86_64, or raise VMUnavailable."""
    q = os.environ.get('KVMNET_VM_QEMU') or shutil.which('qemu-system-x86_64')
    if not q or not os.access(q, os.X_OK):
        raise VMUnavailable('qemu-system-x86_64 not found (install qemu-system-x86)')
    return q


def build_initramfs(cache_dir=None, binaries=(), files=(), modules=(),
                    default_binaries=True, force=False):
    """Run build-initramfs (cached); return its report as a dict with keys
    initramfs, kernel, kernel_version, rebuilt."""
    argv = ['sh', BUILD_INITRAMFS]
    for b in binaries:
        argv += ['--with-binary', os.fspath(b)]
    for f in files:
        argv += ['--with-file', os.fspath(f)]
    for m in modules:
        argv += ['--with-module', m]
    if not default_binaries:
        argv.append('--no-default-binaries')
    if force:
        argv.append('-f')
    argv.append(os.fspath(cache_dir or _cache_dir()))
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True)
    if p.returncode == 77:
        msg = p.stderr.strip().splitlines()[-1] if p.stderr.strip() else 'skip'
        raise VMUnavailable(msg.split('SKIP: ', 1)[-1])
    if p.returncode != 0:
        raise VMError('build-initramfs failed (rc=%d):\n%s' % (p.returncode, p.stderr))
    info = dict(l.split('=', 1) for l in p.stdout.splitlines() if '=' in l)
    info['rebuilt'] = info.get('rebuilt') == '1'
    return info


def _parse_ready(line):
    info = {}
    for tok in line.split():
        if '=' in tok:
            k, v = tok.split('=', 1)
            info[k] = v
    info['nics'] = [tuple(n.split('/', 1)) for n in info.get('nics', '').split(',') if n]
    info['modules_failed'] = [m for m in info.get('modules_failed', '').split(',') if m]
    return info


def _pdeathsig():
    # Runs in the child before exec: QEMU gets SIGKILL when the thread that
    # started it dies, even if the test process is SIGKILLed.
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def _proc_alive(pid, marker):
    """True if pid runs and its command line contains marker (so that a
    recycled pid is never taken for our QEMU)."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            if f.read().rsplit(')', 1)[1].split()[0] == 'Z':
                return False
        with open('/proc/%d/cmdline' % pid, 'rb') as f:
            return marker.encode() in f.read()
    except (OSError, IndexError):
        return False


_live = set()
_live_owner = os.getpid()


@atexit.register
def _stop_all():
    if os.getpid() != _live_owner:
        return
    for vm in list(_live):
        try:
            vm.stop()
        except Exception:
            pass


def sigterm_exits():
    """Make SIGTERM (meson's test timeout) raise SystemExit, so that `with`
    blocks and atexit stop the VM.  Call it from a test's main()."""
    def handler(signum, frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, handler)


class VM:
    """One guest.  Create with VM.start(...) (boots) or VM.attach(workdir)
    (a VM started by another process, e.g. the `vm` CLI)."""

    _ids = itertools.count(1)

    def __init__(self, workdir=None, *, machine='pc', memory=DEFAULT_MEMORY,
                 smp=1, qmp_socket=None, binaries=(), files=(), modules=(),
                 extra_qemu_args=(), root_ports=None, cache_dir=None,
                 accel=None, append='', boot_timeout=120,
                 kill_on_parent_death=True):
        if machine not in ('pc', 'q35'):
            raise ValueError("machine must be 'pc' or 'q35', not %r" % machine)
        self._own_workdir = workdir is None
        self.workdir = os.path.abspath(workdir or tempfile.mkdtemp(prefix='kvmnet-vm-'))
        os.makedirs(self.workdir, exist_ok=True)
        self.machine = machine
        self.memory = str(memory)
        self.smp = int(smp)
        self.console_log = os.path.join(self.workdir, 'console.log')
        # sun_path holds 107 bytes: deep build dirs get their sockets in a
        # short private dir instead (removed by stop()).
        self._sockdir = None
        sockdir = self.workdir
        if len(os.path.join(sockdir, 'cmd.sock')) > 100:
            sockdir = self._sockdir = tempfile.mkdtemp(prefix='kvmnet-vm-')
        self.cmd_socket = os.path.join(sockdir, 'cmd.sock')
        if qmp_socket is True:
            qmp_socket = os.path.join(sockdir, 'qmp.sock')
        self.qmp_socket = os.path.abspath(qmp_socket) if qmp_socket else None
        self.binaries = [os.path.abspath(os.fspath(b)) for b in binaries]
        self.files = [os.fspath(f) for f in files]
        self.modules = list(modules)
        self.extra_qemu_args = [str(a) for a in extra_qemu_args]
        if root_ports is None:
            root_ports = 4 if machine == 'q35' else 0
        if root_ports and machine != 'q35':
            raise ValueError('pcie-root-port needs machine q35')
        self.root_ports = ['rp%d' % i for i in range(int(root_ports))]
        self.cache_dir = cache_dir
        self.accel = accel or os.environ.get('KVMNET_VM_ACCEL') or 'tcg'
        self.append = append
        self.boot_timeout = boot_timeout
        self.kill_on_parent_death = kill_on_parent_death
        self.pid = None
        self.ready = None          # parsed __KVMNET_READY__ line
        self.boot_seconds = None   # QEMU start -> ready line
        self.ready_seconds = None  # QEMU start -> first command answered
        self.kernel = self.initramfs = None
        self._proc = None
        self._lock = threading.Lock()
        self._cursor = 0
        self._stopped = False

    # ---- life cycle --------------------------------------------------------

    @classmethod
    def start(cls, workdir=None, extra_qemu_args=(), **kw):
        """Build the initramfs (cached), boot, wait for the ready line and a
        first command round trip.  Raises VMUnavailable when the host lacks
        qemu/kernel/busybox; on any other failure QEMU is stopped before the
        exception (with the console's tail) propagates."""
        vm = cls(workdir, extra_qemu_args=extra_qemu_args, **kw)
        try:
            vm.boot()
        except BaseException:
            vm.stop()
            raise
        return vm

    def qemu_argv(self):
        accel = self.accel
        if accel == 'tcg' and self.smp > 1:
            accel = 'tcg,thread=single'   # one host core, whatever smp says
        argv = [find_qemu(), '-accel', accel, '-nographic', '-nodefaults',
                '-no-user-config', '-machine', self.machine, '-m', self.memory,
                '-smp', str(self.smp), '-no-reboot',
                '-kernel', self.kernel, '-initrd', self.initramfs,
                '-append', ('console=ttyS0 quiet panic=-1 ' + self.append).strip(),
                '-nic', 'none',
                '-chardev', 'file,id=kvmnet-con,path=%s' % self.console_log,
                '-serial', 'chardev:kvmnet-con',
                '-chardev', 'socket,id=kvmnet-cmd,path=%s,server=on,wait=off' % self.cmd_socket,
                '-serial', 'chardev:kvmnet-cmd']
        if self.qmp_socket:
            argv += ['-qmp', 'unix:%s,server=on,wait=off' % self.qmp_socket]
        for i, rp in enumerate(self.root_ports):
            argv += ['-device', 'pcie-root-port,id=%s,bus=pcie.0,chassis=%d' % (rp, i + 1)]
        return argv + self.extra_qemu_args

    def boot(self):
        if self.pid:
            raise VMError('already started')
        try:
            other = VM.attach(self.workdir)
        except (VMError, ValueError, KeyError):
            other = None
        if other is not None and other.alive():
            raise VMError('a VM (pid %d) already runs in %s: stop it first (vm stop %s)'
                          % (other.pid, self.workdir, self.workdir))
        find_qemu()
        info = build_initramfs(self.cache_dir, self.binaries, self.files, self.modules)
        self.kernel, self.initramfs = info['kernel'], info['initramfs']
        for p in (self.cmd_socket, self.qmp_socket, self.console_log):
            if p and os.path.lexists(p):
                os.unlink(p)
        argv = self.qemu_argv()
        with open(os.path.join(self.workdir, 'qemu.log'), 'wb') as log:
            log.write(('# ' + ' '.join(shlex.quote(a) for a in argv) + '\n').encode())
            log.flush()
            t0 = time.monotonic()
            self._proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                close_fds=True, start_new_session=True,
                preexec_fn=_pdeathsig if self.kill_on_parent_death else None)
        self.pid = self._proc.pid
        self._argv = argv
        _live.add(self)
        self._save_state()
        m = self.wait_for(READY_RE, timeout=self.boot_timeout, since=0)
        self.boot_seconds = time.monotonic() - t0
        self.ready = _parse_ready(m.group(1))
        if self.ready['modules_failed']:
            raise VMError('guest failed to load modules: %s'
                          % ','.join(self.ready['modules_failed']) + self._tail())
        # The loop prints the ready line once it listens, so the first try
        # should answer; retrying costs nothing (frames carry ids).
        deadline = t0 + self.boot_timeout
        while True:
            try:
                rc, out = self.run('echo kvmnet-ok', timeout=5)
                break
            except VMTimeout:
                if time.monotonic() > deadline:
                    raise
        if rc != 0 or out.strip() != 'kvmnet-ok':
            raise VMError('command channel handshake failed: rc=%d %r' % (rc, out) + self._tail())
        self.ready_seconds = time.monotonic() - t0
        self._save_state()
        return self

    def _save_state(self):
        st = {'pid': self.pid, 'machine': self.machine, 'memory': self.memory,
              'smp': self.smp, 'console_log': self.console_log,
              'cmd_socket': self.cmd_socket, 'qmp_socket': self.qmp_socket,
              'root_ports': self.root_ports, 'kernel': self.kernel,
              'initramfs': self.initramfs, 'ready': self.ready,
              'sockdir': self._sockdir,
              'boot_seconds': self.boot_seconds}
        tmp = os.path.join(self.workdir, STATE_FILE + '.tmp')
        with open(tmp, 'w') as f:
            json.dump(st, f, indent=1)
        os.rename(tmp, os.path.join(self.workdir, STATE_FILE))

    @classmethod
    def attach(cls, workdir):
        """The VM another process started in workdir (see the `vm` CLI)."""
        workdir = os.path.abspath(workdir)
        try:
            with open(os.path.join(workdir, STATE_FILE)) as f:
                st = json.load(f)
        except OSError as e:
            raise VMError('no VM in %s: %s' % (workdir, e))
        vm = cls(workdir, machine=st['machine'], memory=st['memory'], smp=st['smp'],
                 qmp_socket=st['qmp_socket'], root_ports=len(st['root_ports']))
        if vm._sockdir:   # the constructor's guess, not the real one
            shutil.rmtree(vm._sockdir, ignore_errors=True)
        vm._sockdir, vm.cmd_socket = st['sockdir'], st['cmd_socket']
        vm.pid, vm.kernel, vm.initramfs = st['pid'], st['kernel'], st['initramfs']
        vm.ready, vm.boot_seconds = st['ready'], st['boot_seconds']
        if vm.ready:
            vm.ready['nics'] = [tuple(n) for n in vm.ready['nics']]
        return vm

    def alive(self):
        if not self.pid or self._stopped:
            return False
        if self._proc is not None:
            return self._proc.poll() is None
        return _proc_alive(self.pid, self.cmd_socket)

    def stop(self, timeout=10):
        """Kill our QEMU (SIGTERM, then SIGKILL; by pid only), remove the
        sockets and, if the workdir was our own temp dir, the workdir.
        Returns QEMU's exit status when known.  Idempotent."""
        rc = None
        if self.pid and not self._stopped:
            if self._proc is not None:
                if self._proc.poll() is None:
                    self._proc.terminate()
                    try:
                        self._proc.wait(timeout)
                    except subprocess.TimeoutExpired:
                        self._proc.kill()
                        self._proc.wait()
                rc = self._proc.returncode
            elif _proc_alive(self.pid, self.cmd_socket):
                os.kill(self.pid, signal.SIGTERM)
                deadline = time.monotonic() + timeout
                while _proc_alive(self.pid, self.cmd_socket):
                    if time.monotonic() > deadline:
                        os.kill(self.pid, signal.SIGKILL)
                        deadline = time.monotonic() + 5
                    time.sleep(0.05)
        self._stopped = True
        _live.discard(self)
        if self.pid:
            # Files of a VM that ran; a VM that never started (e.g. refused
            # because another one runs in workdir) must not touch them.
            for p in (self.cmd_socket, self.qmp_socket, os.path.join(self.workdir, 'cmd.lock'),
                      os.path.join(self.workdir, STATE_FILE)):
                if p:
                    try:
                        os.unlink(p)
                    except OSError:
                        pass
        if self._sockdir:
            shutil.rmtree(self._sockdir, ignore_errors=True)
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
        return rc

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    # ---- console -----------------------------------------------------------

    def console_text(self, since=0):
        try:
            with open(self.console_log, 'rb') as f:
                f.seek(since)
                return f.read().decode('utf-8', 'replace')
        except OSError:
            return ''

    def console_mark(self):
        """Current end of the console log, for wait_for(since=...)."""
        try:
            return os.path.getsize(self.console_log)
        except OSError:
            return 0

    def _tail(self):
        t = self.console_text()
        return '\n--- console.log (tail) ---\n' + t[-CONSOLE_TAIL:]

    def wait_for(self, regex, timeout=30, since=None):
        """Wait until regex matches the console log, searching from `since`
        (byte offset; default: the end of the previous wait_for match, so
        nothing printed in between is missed).  Returns the re.Match."""
        rx = re.compile(regex) if isinstance(regex, str) else regex
        start = self._cursor if since is None else since
        deadline = time.monotonic() + timeout
        buf, pos = b'', start
        while True:
            try:
                with open(self.console_log, 'rb') as f:
                    f.seek(pos)
                    chunk = f.read()
            except FileNotFoundError:
                chunk = b''
            buf += chunk
            pos += len(chunk)
            # surrogateescape: text and bytes map 1:1, the cursor stays exact.
            text = buf.decode('utf-8', 'surrogateescape')
            m = rx.search(text)
            if m:
                self._cursor = start + len(text[:m.end()].encode('utf-8', 'surrogateescape'))
                return m
            if not self.alive():
                raise VMError('QEMU exited while waiting for %r' % rx.pattern + self._tail())
            if time.monotonic() > deadline:
                raise VMTimeout('no %r on the console after %ss' % (rx.pattern, timeout)
                                + self._tail())
            time.sleep(0.02)

    # ---- command channel ---------------------------------------------------

    def run(self, cmd, timeout=60):
        """Run cmd (a shell script string, or an argv list) with sh in the
        guest; return (rc, output) with stdout and stderr merged.  stdin is
        /dev/null; the cwd is /root.  After `timeout` seconds (None: no
        limit) the guest kills the command's process group and VMTimeout is
        raised (with .output).  Processes the command leaves in the
        background keep running."""
        if not isinstance(cmd, str):
            cmd = ' '.join(shlex.quote(str(a)) for a in cmd)
        rid = '%x-%d-%s' % (os.getpid(), next(self._ids), os.urandom(3).hex())
        gt = 0 if timeout is None else max(1, int(timeout + 0.999))
        req = ('__KVMNET_CMD__ %s %d %s\n'
               % (rid, gt, base64.b64encode(cmd.encode()).decode())).encode()
        host_deadline = None if timeout is None else time.monotonic() + gt + max(10, gt / 2)
        with self._lock, open(os.path.join(self.workdir, 'cmd.lock'), 'a') as lk:
            # One client at a time on the socket, across processes too.
            fcntl.flock(lk, fcntl.LOCK_EX)
            s = self._connect()
            try:
                s.sendall(req)
                return self._reply(s, rid, cmd, host_deadline)
            finally:
                s.close()

    def _connect(self):
        if not self.alive():
            raise VMError('VM is not running' + self._tail())
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        try:
            s.connect(self.cmd_socket)
        except OSError as e:
            s.close()
            raise VMError('cannot connect to %s: %s' % (self.cmd_socket, e) + self._tail())
        return s

    def _reply(self, s, rid, cmd, deadline):
        buf = bytearray()

        def fill():
            while True:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise VMTimeout('guest did not answer %r in time' % cmd + self._tail(),
                                    wedged=True)
                s.settimeout(min(left, 1.0) if left is not None else 1.0)
                try:
                    data = s.recv(65536)
                except socket.timeout:
                    if not self.alive():
                        raise VMError('QEMU exited during %r' % cmd + self._tail())
                    continue
                if not data:
                    raise VMError('command channel closed during %r' % cmd + self._tail())
                buf.extend(data)
                return

        def line():
            while b'\n' not in buf:
                fill()
            i = buf.index(b'\n')
            l = bytes(buf[:i])
            del buf[:i + 1]
            return l.decode('utf-8', 'replace')

        head = '__KVMNET_OUT__ %s ' % rid
        while True:   # frames of earlier, abandoned commands are skipped
            l = line()
            j = l.find(head)
            if j >= 0:
                n = int(l[j + len(head):].split()[0])
                break
        while len(buf) < n:
            fill()
        out = bytes(buf[:n]).decode('utf-8', 'replace')
        del buf[:n]
        done = line().split()
        if len(done) < 3 or done[0] != '__KVMNET_DONE__' or done[1] != rid:
            raise VMError('command channel out of step after %r: %r' % (cmd, done))
        rc = int(done[2])
        if 'timeout' in done[3:]:
            raise VMTimeout('guest command timed out: %s' % cmd, output=out)
        if 'badrequest' in done[3:]:
            raise VMError('guest could not decode the command %r' % cmd)
        return rc, out

    def check(self, cmd, timeout=60):
        """run(), but return only the output and raise VMCommandError if the
        command exits non-zero."""
        rc, out = self.run(cmd, timeout)
        if rc != 0:
            raise VMCommandError(cmd, rc, out)
        return out

    def wait_until(self, cmd, timeout=30, interval=0.1):
        """Re-run cmd until it exits 0; return its output.  For conditions
        inside the guest (an interface appeared, an address was bound)."""
        deadline = time.monotonic() + timeout
        while True:
            rc, out = self.run(cmd, timeout=max(5, timeout))
            if rc == 0:
                return out
            if time.monotonic() > deadline:
                raise VMTimeout('%r still failing after %ss (rc=%d): %s'
                                % (cmd, timeout, rc, out), output=out)
            time.sleep(interval)

    def put_file(self, path, data, mode=0o644):
        """Write bytes/str to path in the guest (small files: it goes
        through the serial line twice base64'd)."""
        if isinstance(data, str):
            data = data.encode()
        b64 = base64.b64encode(data).decode()
        q = shlex.quote(path)
        self.check("mkdir -p \"$(dirname %s)\" && echo '%s' | base64 -d > %s && chmod %o %s"
                   % (q, b64, q, mode, q))

    def get_file(self, path):
        return base64.b64decode(self.check('base64 %s' % shlex.quote(path)))

    def netdevs(self):
        """{ifname: mac} of the guest's network devices, now."""
        out = self.check('for d in /sys/class/net/*; do [ -e $d/address ] && '
                         'echo "${d##*/} $(cat $d/address)"; done; true')
        return dict(l.split(' ', 1) for l in out.splitlines() if ' ' in l)

    # ---- QMP ---------------------------------------------------------------

    def qmp(self, timeout=10):
        """A connected, negotiated QMP client (only one at a time may be
        connected: close it before kvmnet's own client connects)."""
        if not self.qmp_socket:
            raise VMError('VM started without qmp_socket')
        return QMP(self.qmp_socket, timeout)


class QMP:
    """Minimal QMP client: execute() and events, one JSON object per line."""

    def __init__(self, path, timeout=10):
        self.events = []
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(timeout)
        self._sock.connect(path)
        self._buf = b''
        self.greeting = self._recv(timeout)
        if 'QMP' not in self.greeting:
            raise VMError('not a QMP greeting: %r' % self.greeting)
        self.execute('qmp_capabilities')

    def _recv(self, timeout):
        deadline = time.monotonic() + timeout
        while b'\n' not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise VMTimeout('QMP: no message in %ss' % timeout)
            self._sock.settimeout(left)
            try:
                data = self._sock.recv(65536)
            except socket.timeout:
                continue
            if not data:
                raise VMError('QMP connection closed')
            self._buf += data
        l, self._buf = self._buf.split(b'\n', 1)
        return json.loads(l)

    def execute(self, cmd, args=None, timeout=30):
        msg = {'execute': cmd}
        if args:
            msg['arguments'] = args
        self._sock.sendall(json.dumps(msg).encode() + b'\n')
        deadline = time.monotonic() + timeout
        while True:
            r = self._recv(max(0.01, deadline - time.monotonic()))
            if 'event' in r:
                self.events.append(r)
            elif 'error' in r:
                raise QMPError(cmd, r['error'])
            elif 'return' in r:
                return r['return']

    def wait_event(self, name, timeout=30, match=None):
        """Next event `name` (optionally with match(event) true), including
        ones that arrived during earlier execute() calls."""
        deadline = time.monotonic() + timeout
        while True:
            for i, ev in enumerate(self.events):
                if ev['event'] == name and (match is None or match(ev)):
                    return self.events.pop(i)
            left = deadline - time.monotonic()
            if left <= 0:
                raise VMTimeout('QMP: no %s event in %ss' % (name, timeout))
            self.events.append(self._recv(left))

    def close(self):
        self._sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
