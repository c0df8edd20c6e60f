"""Shared fixtures for the integration tests: temporary installs and program runs.

Every test installs into a temporary ROOT with `make install ROOT=...` exactly as an
operator installs into /var/mail-suite, then drives the installed programs.
"""
import os
import pwd
import grp
import shutil
import signal
import threading
import socket
import subprocess
import tempfile
import time

TOP = os.environ.get("MS_TOP", os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
BUILD = os.environ.get("MS_BUILD", "build")
SAN = os.environ.get("MS_SAN", "0")


def make_install(root):
    """Runs `make install ROOT=root` from the top of the tree; returns the process."""
    return subprocess.run(["make", "-s", "install", f"ROOT={root}", f"SAN={SAN}"],
                          cwd=TOP, capture_output=True, text=True, timeout=600)


def new_root(prefix="ms-"):
    """A fresh temporary directory and the ROOT inside it (not created yet)."""
    base = tempfile.mkdtemp(prefix=prefix)
    os.chmod(base, 0o755)
    return base, os.path.join(base, "ms")


def run(root, program, *args, env=None, input=None, timeout=120):
    """Runs ROOT/bin/program with args; returns the CompletedProcess (text mode)."""
    return subprocess.run([os.path.join(root, "bin", program), *args], capture_output=True,
                          text=True, env=env, input=input, timeout=timeout)


def uid(name):
    return pwd.getpwnam(name).pw_uid


def gid(name):
    return grp.getgrnam(name).gr_gid


def proc_info(pid):
    """Uid, Gid, Groups and PPid (lists of numbers) and cmdline (list of bytes) of pid."""
    info = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("Uid", "Gid", "Groups", "PPid"):
                info[key] = [int(v) for v in value.split()]
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        info["cmdline"] = f.read().split(b"\0")[:-1]
    return info


def children_of(pid):
    """{pid: info} of the live processes whose parent is pid."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            info = proc_info(entry)
        except OSError:
            continue
        if info["PPid"] == [pid]:
            out[int(entry)] = info
    return out


def running(pid):
    """True while pid exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return not f.read().rsplit(") ", 1)[1].startswith("Z")
    except OSError:
        return False


def install_processes(root):
    """{pid: command line} of the live processes running a program of root/bin."""
    prefix = os.path.join(root, "bin") + "/"
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            exe = os.readlink(f"/proc/{entry}/exe")
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        if exe.startswith(prefix) and running(entry):
            out[int(entry)] = cmdline
    return out


def kill_install_processes(root):
    """SIGKILLs every process of root/bin (a failed test's leftovers); {pid: cmdline}."""
    left = install_processes(root)
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return left


class ProgramServer:
    """Accepts on 127.0.0.1 (a free port) and runs ROOT/bin/PROGRAM [args] for each
    connection on fd 0 and 1, with tcpserver's TCP* environment; TCPREMOTEIP = remote_ip
    when given (a made-up address lets a test act as a distant client)."""

    def __init__(self, root, program, env, args=(), remote_ip=None, stderr=None):
        self.root, self.program, self.env = root, program, env
        self.args, self.remote_ip, self.stderr = list(args), remote_ip, stderr
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.procs = []
        self.stopping = False
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        while not self.stopping:
            try:
                conn, addr = self.sock.accept()
            except OSError:
                return
            env = dict(self.env, TCPREMOTEIP=self.remote_ip or addr[0],
                       TCPREMOTEPORT=str(addr[1]), TCPLOCALIP="127.0.0.1",
                       TCPLOCALPORT=str(self.port))
            self.procs.append(subprocess.Popen(
                [os.path.join(self.root, "bin", self.program), *self.args],
                stdin=conn.fileno(), stdout=conn.fileno(), stderr=self.stderr, env=env))
            conn.close()

    def stop(self):
        """Stops accepting; waits for every program (killing those still running after
        10 s); returns the list of exit codes."""
        self.stopping = True
        # shutdown wakes the accept() and the thread ends before the descriptor is closed:
        # a thread still in accept() (retried after EINTR on the same number) could take a
        # connection of the next test's server, which got that descriptor number.
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.thread.join(timeout=10)
        self.sock.close()
        codes = []
        for p in self.procs:
            try:
                codes.append(p.wait(timeout=10))
            except subprocess.TimeoutExpired:
                p.kill()
                codes.append(p.wait())
        return codes


def add_user(name, home):
    """A system account with its own group and home (made here, owned by it, 0755);
    a stale account of that name is removed first. Returns (uid, gid)."""
    remove_user(name)
    subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir", home,
                    "--shell", "/usr/sbin/nologin", "--user-group", name], check=True)
    entry = pwd.getpwnam(name)
    os.makedirs(home, exist_ok=True)
    os.chown(home, entry.pw_uid, entry.pw_gid)
    os.chmod(home, 0o755)
    return entry.pw_uid, entry.pw_gid


def remove_user(name):
    try:
        pwd.getpwnam(name)
    except KeyError:
        return
    subprocess.run(["userdel", name], check=False)


def copy_tree(src, dst):
    """Copies an install keeping owners, modes, fifos and links (cp -a)."""
    subprocess.run(["cp", "-a", src, dst], check=True)


def remove(base):
    shutil.rmtree(base, ignore_errors=True)


def install(root):
    """make install into root; RuntimeError with its output when it fails."""
    proc = make_install(root)
    if proc.returncode != 0:
        raise RuntimeError("make install failed: " + proc.stdout + proc.stderr)


def install_configured(root, hostname, *init_args):
    """make install into root, then mailctl init --hostname hostname [init_args].

    Raises RuntimeError with the programs' output when either step fails."""
    install(root)
    init = run(root, "mailctl", "init", "--hostname", hostname, *init_args)
    if init.returncode != 0:
        raise RuntimeError("mailctl init failed: " + init.stdout + init.stderr)


def make_san_dir(base):
    """base/san, writable by every account (sanitizer reports of setuid programs)."""
    san_dir = os.path.join(base, "san")
    os.mkdir(san_dir)
    os.chmod(san_dir, 0o1777)
    return san_dir


def san_env(san_dir, detect_leaks=1, **extra):
    """The environment of a program run by a test: PATH and extra, plus the sanitizer
    options (reports into san_dir) in the sanitizer build."""
    env = {"PATH": "/usr/bin:/bin", **extra}
    if SAN == "1":
        env["ASAN_OPTIONS"] = f"log_path={san_dir}/asan:detect_leaks={detect_leaks}"
        env["UBSAN_OPTIONS"] = f"log_path={san_dir}/ubsan:print_stacktrace=1"
    return env


def write_control(root, name, text):
    """Writes ROOT/control/name, mode 0644 (text None removes it)."""
    path = os.path.join(root, "control", name)
    if text is None:
        if os.path.exists(path):
            os.unlink(path)
        return
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)


def poll(predicate, timeout=10, step=0.02):
    """predicate()'s first true value within timeout seconds, else its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


def wait_until(predicate, what, timeout):
    """predicate()'s first true value within timeout seconds; AssertionError after."""
    value = poll(predicate, timeout)
    if not value:
        raise AssertionError(f"timed out waiting for {what}")
    return value


def stop_process(proc, timeout=10):
    """SIGTERM to a Popen, then SIGKILL when it has not ended after timeout seconds."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def assert_no_sanitizer_reports(test, san_dir):
    """Prints and removes every sanitizer report in san_dir; fails test if there was one."""
    reports = os.listdir(san_dir)
    for name in reports:
        with open(os.path.join(san_dir, name)) as f:
            print(f.read())
        os.unlink(os.path.join(san_dir, name))
    test.assertEqual(reports, [], "sanitizer reports")
