"""Fixtures shared by test_smtpd.py and test_smtpd_input.py: an installed ROOT with the
delivery processes running, a local account with a Maildir, the installed tcpserver with
smtpd on a free loopback port, and a raw SMTP dialog over a socket.

tcpserver runs as `tcpserver -1 -v -R -H -l HOST -x rules.cdb -u msd -g GID 127.0.0.1 0
ROOT/bin/smtpd` (port 0: the kernel picks a free port, which -1 prints). The rules
(compiled with ROOT/bin/tcprules) let 127.0.0.1 relay (RELAYCLIENT="") and allow
everyone else without; tests connect from 127.0.0.3 as the outside world.
"""
import os
import signal
import socket
import ssl
import subprocess
import time

import support
from support import run

HOST = "test.example"
WAIT = 30  # seconds: upper bound for anything a test waits for
OUTSIDE = "127.0.0.3"  # the source address of a client that may not relay
RULES = '127.0.0.1:allow,RELAYCLIENT=""\n:allow\n'


def make_maildir(home, uid, gid):
    for sub in ("", "tmp", "new", "cur"):
        path = os.path.join(home, "Maildir", sub)
        os.makedirs(path, exist_ok=True)
        os.chown(path, uid, gid)
        os.chmod(path, 0o700)
    return os.path.join(home, "Maildir")


class MailSystem:
    """One install for a test class: delivery processes, an account, smtpd."""

    def __init__(self, prefix, user):
        self.base, self.root = support.new_root(prefix)
        self.user = user
        self.start_proc = None
        self.server = None
        self.port = None
        self.san_dir = os.path.join(self.base, "san")

    def setup(self):
        support.install_configured(self.root, HOST)
        os.mkdir(self.san_dir)
        os.chmod(self.san_dir, 0o1777)
        self.home = os.path.join(self.base, "home", self.user)
        self.uid, self.gid = support.add_user(self.user, self.home)
        self.maildir = make_maildir(self.home, self.uid, self.gid)
        self.start_delivery()
        self.start_smtpd()

    def teardown(self):
        try:
            self.stop_smtpd()
        finally:
            try:
                self.stop_delivery()
            finally:
                support.remove_user(self.user)
                support.remove(self.base)

    def env(self, detect_leaks=1):
        return support.san_env(self.san_dir, detect_leaks)

    def control(self, name, text):
        """Writes ROOT/control/name (None removes it); smtpd reads it at the next connection."""
        support.write_control(self.root, name, text)

    # --- delivery ---------------------------------------------------------------------

    def start_delivery(self):
        self.send_log = os.path.join(self.base, "send.log")
        out = open(self.send_log, "ab")
        self.start_proc = subprocess.Popen(
            [os.path.join(self.root, "bin", "start"), "./Maildir/"], stdin=subprocess.DEVNULL,
            stdout=out, stderr=subprocess.STDOUT, env=self.env(), start_new_session=True)
        out.close()
        deadline = time.monotonic() + WAIT
        while b"status: local" not in open(self.send_log, "rb").read():
            if time.monotonic() > deadline or self.start_proc.poll() is not None:
                raise RuntimeError("send did not start: " + open(self.send_log).read())
            time.sleep(0.02)

    def stop_delivery(self):
        proc = self.start_proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        try:  # anything left in the session we started (lspawn, local, clean)
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    # --- smtpd under tcpserver --------------------------------------------------------

    def start_smtpd(self):
        rules = os.path.join(self.base, "rules")
        with open(rules, "w") as f:
            f.write(RULES)
        cdb = rules + ".cdb"
        proc = subprocess.run([os.path.join(self.root, "bin", "tcprules"), cdb, cdb + ".tmp"],
                              stdin=open(rules), capture_output=True, text=True, timeout=30)
        if proc.returncode != 0:
            raise RuntimeError("tcprules failed: " + proc.stderr)
        self.server_log = os.path.join(self.base, "tcpserver.log")
        log = open(self.server_log, "ab")
        self.server = subprocess.Popen(
            [os.path.join(self.root, "bin", "tcpserver"), "-1", "-v", "-R", "-H", "-l", HOST,
             "-x", cdb, "-u", str(support.uid("msd")), "-g", str(support.gid("msnofiles")),
             "127.0.0.1", "0", os.path.join(self.root, "bin", "smtpd")],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log, env=self.env(),
            start_new_session=True)
        log.close()
        line = self.server.stdout.readline()
        if not line.strip().isdigit():
            raise RuntimeError("tcpserver did not print its port: " + repr(line)
                               + open(self.server_log).read())
        self.port = int(line)

    def stop_smtpd(self):
        if self.server is None:
            return
        if self.server.poll() is None:
            self.server.send_signal(signal.SIGTERM)
            try:
                self.server.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()
        self.server.stdout.close()
        self.server = None

    def smtpd_exit_statuses(self):
        """The wait statuses of every smtpd that ended, from tcpserver's -v log."""
        statuses = []
        for line in open(self.server_log, "rb").read().decode("latin-1").splitlines():
            parts = line.split()
            if len(parts) == 5 and parts[:2] == ["tcpserver:", "end"] and parts[3] == "status":
                statuses.append(int(parts[4]))
        return statuses

    # --- mailboxes and the queue ------------------------------------------------------

    def new_files(self):
        new = os.path.join(self.maildir, "new")
        return {n: os.path.join(new, n) for n in os.listdir(new)}

    def wait_new(self, before, count=1, timeout=WAIT):
        """Paths of the files in Maildir/new not in before, once there are count of them."""
        deadline = time.monotonic() + timeout
        while True:
            added = {n: p for n, p in self.new_files().items() if n not in before}
            if len(added) >= count or time.monotonic() > deadline:
                return sorted(added.values())
            time.sleep(0.02)

    def queued_messages(self):
        """Names of the message files in the queue (mess/*/*)."""
        mess = os.path.join(self.root, "queue", "mess")
        return [n for d in os.listdir(mess) for n in os.listdir(os.path.join(mess, d))]

    def wait_queue_empty(self, timeout=WAIT):
        """Waits up to timeout seconds for the queue to empty; the messages left."""
        support.poll(lambda: not self.queued_messages(), timeout, 0.1)
        return self.queued_messages()


class Dialog:
    """A raw SMTP client: send bytes, read whole (multi-line) replies."""

    def __init__(self, port, source=OUTSIDE, timeout=WAIT):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                             source_address=(source, 0))
        self.buf = b""

    def close(self):
        self.sock.close()

    def send(self, data):
        self.sock.sendall(data.encode("utf-8") if isinstance(data, str) else data)

    def line(self):
        """One reply line without CRLF, or None at end of input."""
        while b"\r\n" not in self.buf:
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode("utf-8", "replace")

    def reply(self):
        """The lines of one reply (the last has a space after the code); [] at end."""
        lines = []
        while True:
            line = self.line()
            if line is None:
                return lines
            lines.append(line)
            if len(line) < 4 or line[3] != "-":
                return lines

    def command(self, data):
        """Sends data + CRLF and returns the last line of the reply ("" at end of input)."""
        self.send(data + ("\r\n" if isinstance(data, str) else b"\r\n"))
        lines = self.reply()
        return lines[-1] if lines else ""

    def at_end(self):
        """True when the server closed the connection with nothing more to say."""
        return self.line() is None

    def start_tls(self):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        self.sock = ctx.wrap_socket(self.sock)
        return self.sock


def greet(port, source=OUTSIDE):
    """A Dialog past the greeting and EHLO."""
    d = Dialog(port, source)
    greeting = d.reply()
    assert greeting and greeting[-1].startswith("220 "), greeting
    ehlo = d.command("EHLO client.example")
    assert ehlo.startswith("250 "), ehlo
    return d


def run_as(uid, gid, argv):
    """argv run as uid/gid (setpriv), for sendmail -bs as a local user."""
    return ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", "--", *argv]


__all__ = ["HOST", "WAIT", "OUTSIDE", "MailSystem", "Dialog", "greet", "run_as", "run"]
