"""Helpers for the POP3 and account tests: an install with a virtual domain, a loopback
accept loop that runs ROOT/bin/pop3d for each connection (as tcpserver would: socket on
fd 0 and 1, TCP* variables), and a raw line-oriented POP3 client."""
import os
import socket

import support

DOMAIN = "example.test"
PASSWORD = "correct horse 7"


san_env = support.san_env
make_san_dir = support.make_san_dir


def mailctl(root, *args, input=None, env=None):
    return support.run(root, "mailctl", *args, input=input, env=env)


def install_with_domain(test_cls, prefix):
    """make install, mailctl init, domain add, user u with PASSWORD; sets cls.base/root."""
    assert os.geteuid() == 0, "the integration suite runs as root (as CI does)"
    test_cls.base, test_cls.root = support.new_root(prefix)
    test_cls.addClassCleanup(support.remove, test_cls.base)
    support.install_configured(test_cls.root, "mx.test")
    test_cls.san_dir = make_san_dir(test_cls.base)
    for args, stdin in ((("domain", "add", DOMAIN), None),
                        (("user", "add", f"u@{DOMAIN}", "--password-stdin"), PASSWORD + "\n")):
        proc = mailctl(test_cls.root, *args, input=stdin, env=san_env(test_cls.san_dir))
        assert proc.returncode == 0, proc.stderr
    with open(os.path.join(test_cls.root, "control", "authfaildelay"), "w") as f:
        f.write("1\n")


def maildir(root, user, domain=DOMAIN):
    return os.path.join(root, "domains", domain, user, "Maildir")


def wait_subject(root, user, subject, timeout):
    """The bytes of the first message in user's Maildir/new with the Subject given, once
    there is one within timeout seconds; else None."""
    new = os.path.join(maildir(root, user), "new")

    def find():
        for name in os.listdir(new):
            with open(os.path.join(new, name), "rb") as f:
                data = f.read()
            if f"Subject: {subject}\n".encode() in data:
                return data
        return None
    return support.poll(find, timeout)


class PopServer(support.ProgramServer):
    """ROOT/bin/pop3d [args] per connection on a free 127.0.0.1 port (support.ProgramServer)."""

    def __init__(self, root, env, args=(), remote_ip=None):
        super().__init__(root, "pop3d", env, args, remote_ip)


class Raw:
    """A plain POP3 client speaking lines: send(), line(), multi()."""

    def __init__(self, port, timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.file = self.sock.makefile("rb")
        self.greeting = self.line()

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def line(self):
        return self.file.readline().decode("latin-1").rstrip("\r\n")

    def cmd(self, text):
        self.send(text + "\r\n")
        return self.line()

    def multi(self):
        lines = []
        while True:
            line = self.line()
            if line == ".":
                return lines
            lines.append(line)

    def close(self):
        self.file.close()
        self.sock.close()


wait_for = support.poll
