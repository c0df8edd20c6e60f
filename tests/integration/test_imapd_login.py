"""imapd's login side (issue 9, step 3): an installed root with a virtual user, imapd run
as root per connection by a loopback accept loop (as tcpserver would), split into the
monitor, the front (msd) and the session (the mailbox owner) like pop3d. Python's
imaplib logs in with LOGIN, AUTHENTICATE PLAIN, after STARTTLS and over implicit TLS."""
import base64
import imaplib
import os
import socket
import ssl
import subprocess
import time
import unittest

import support
import poplib

from pop3_support import DOMAIN, PASSWORD, PopServer, install_with_domain, maildir, san_env

USER = f"u@{DOMAIN}"


def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class ImapServer(support.ProgramServer):
    """ROOT/bin/imapd [args] per connection on a free 127.0.0.1 port (support.ProgramServer)."""

    def __init__(self, root, env, args=(), remote_ip=None):
        super().__init__(root, "imapd", env, args, remote_ip, stderr=subprocess.DEVNULL)


class Raw:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.file = self.sock.makefile("rb")
        self.greeting = self.file.readline()

    def command(self, tag, text):
        self.sock.sendall(tag + b" " + text + b"\r\n")
        lines = []
        while True:
            line = self.file.readline()
            if not line:
                return lines
            lines.append(line)
            if line.startswith(tag + b" "):
                return lines

    def close(self):
        self.file.close()
        self.sock.close()


class ImapdLoginTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        install_with_domain(cls, "ms-imapd-login-")
        cls.env = san_env(cls.san_dir)
        md = maildir(cls.root, "u")
        path = os.path.join(md, "new", "1700000000.M1P1.login.test")
        with open(path, "wb") as f:
            f.write(b"Subject: hello\n\nbody\n")
        os.chown(path, os.stat(md).st_uid, os.stat(md).st_gid)

    def setUp(self):
        self.servers = []

    def tearDown(self):
        codes = [c for s in self.servers for c in s.stop()]
        self.assertTrue(all(c == 0 for c in codes), f"imapd exit codes {codes}")
        support.assert_no_sanitizer_reports(self, self.san_dir)

    def server(self, *args, remote_ip=None):
        s = ImapServer(self.root, self.env, args, remote_ip)
        self.servers.append(s)
        return s

    def check_mailbox(self, m):
        typ, data = m.select("INBOX")
        self.assertEqual((typ, data), ("OK", [b"1"]))
        typ, data = m.fetch("1", "BODY.PEEK[HEADER.FIELDS (SUBJECT)]")
        self.assertEqual(data[0][1], b"Subject: hello\r\n\r\n")
        m.logout()

    def test_login_on_loopback_then_the_session_runs_as_the_owner(self):
        m = imaplib.IMAP4("127.0.0.1", self.server().port, timeout=20)
        self.assertIn("STARTTLS", m.capabilities)
        self.assertIn("AUTH=PLAIN", m.capabilities)
        typ, data = m.login(USER, PASSWORD)
        self.assertEqual(typ, "OK")
        self.assertIn(b"[CAPABILITY IMAP4rev1", data[0])
        self.check_mailbox(m)
        md = maildir(self.root, "u")
        self.assertEqual(os.stat(os.path.join(md, "imapd.uidlist")).st_uid, os.stat(md).st_uid)

    def test_starttls_and_implicit_tls(self):
        m = imaplib.IMAP4("127.0.0.1", self.server().port, timeout=20)
        self.assertEqual(m.starttls(tls_context())[0], "OK")
        self.assertNotIn("STARTTLS", m.capabilities)
        m.login(USER, PASSWORD)
        self.check_mailbox(m)
        m = imaplib.IMAP4_SSL("127.0.0.1", self.server("--tls").port, ssl_context=tls_context(),
                              timeout=20)
        self.assertNotIn("STARTTLS", m.capabilities)
        m.login(USER, PASSWORD)
        self.check_mailbox(m)
        server = ImapServer(self.root, dict(self.env, IMAPS="1"))  # the imaps service
        self.servers.append(server)
        m = imaplib.IMAP4_SSL("127.0.0.1", server.port, ssl_context=tls_context(), timeout=20)
        m.login(USER, PASSWORD)
        self.check_mailbox(m)

    def test_authenticate_plain_with_and_without_initial_response(self):
        port = self.server().port
        m = imaplib.IMAP4("127.0.0.1", port, timeout=20)
        typ, _ = m.authenticate("PLAIN", lambda _: f"\0{USER}\0{PASSWORD}".encode())
        self.assertEqual(typ, "OK")
        self.check_mailbox(m)
        r = Raw(port)
        plain = base64.b64encode(f"\0{USER}\0{PASSWORD}".encode())
        lines = r.command(b"a", b"AUTHENTICATE PLAIN " + plain)
        self.assertRegex(lines[-1], rb"^a OK \[CAPABILITY ")
        self.assertEqual(r.command(b"b", b"SELECT INBOX")[-1], b"b OK [READ-WRITE] SELECT completed\r\n")
        r.command(b"c", b"LOGOUT")
        r.close()

    def test_plaintext_login_refused_before_tls_for_distant_clients(self):
        port = self.server(remote_ip="192.0.2.7").port
        r = Raw(port)
        self.assertIn(b"LOGINDISABLED", r.greeting)
        self.assertIn(b"STARTTLS", r.greeting)
        self.assertRegex(r.command(b"a", b"LOGIN " + USER.encode() + b" x")[-1],
                         rb"^a NO \[PRIVACYREQUIRED\]")
        plain = base64.b64encode(f"\0{USER}\0{PASSWORD}".encode())
        self.assertRegex(r.command(b"b", b"AUTHENTICATE PLAIN " + plain)[-1],
                         rb"^b NO \[PRIVACYREQUIRED\]")
        r.command(b"c", b"LOGOUT")
        r.close()
        m = imaplib.IMAP4("127.0.0.1", port, timeout=20)
        m.starttls(tls_context())
        self.assertIn("AUTH=PLAIN", m.capabilities)
        m.login(USER, PASSWORD)
        self.check_mailbox(m)

    def test_wrong_passwords_are_slowed_refused_and_end_the_connection(self):
        r = Raw(self.server().port)
        start = time.monotonic()
        self.assertEqual(r.command(b"a", b"LOGIN " + USER.encode() + b" wrong")[-1],
                         b"a NO [AUTHENTICATIONFAILED] invalid credentials\r\n")
        self.assertGreaterEqual(time.monotonic() - start, 0.9)  # control/authfaildelay: 1
        r.command(b"b", b"LOGIN nobody@example.test x")
        lines = r.command(b"c", b"LOGIN " + USER.encode() + b" again")
        self.assertEqual(lines[-1], b"c NO [AUTHENTICATIONFAILED] invalid credentials\r\n")
        self.assertEqual(r.file.readline(), b"* BYE too many failures\r\n")
        self.assertEqual(r.file.read(), b"")
        r.close()

    def test_bad_input_before_login(self):
        r = Raw(self.server().port)
        cases = [b"SELECT INBOX", b"FETCH 1 FLAGS", b"LIST \"\" *", b"BOGUS", b"LOGIN",
                 b"LOGIN onlyuser", b"LOGIN \"unterminated", b"AUTHENTICATE", b"AUTHENTICATE CRAM-MD5",
                 b"AUTHENTICATE PLAIN !!!notbase64", b"AUTHENTICATE PLAIN " + base64.b64encode(b"no nul"),
                 b"CAPABILITY x", b"STARTTLS now", b"UID FETCH 1 FLAGS", b"APPEND INBOX {1+}\r\nx",
                 b"LOGIN a b c", b"NOOP x"]
        for i, case in enumerate(cases):
            tag = b"t%d" % i
            lines = r.command(tag, case)
            self.assertRegex(lines[-1], tag + rb" (BAD|NO) ", case)
        # Big literals are refused before login, even for APPEND.
        self.assertRegex(r.command(b"big", b"APPEND INBOX {1000000}")[-1], rb"^big BAD \[TOOBIG\]")
        r.sock.sendall(b"s AUTHENTICATE PLAIN\r\n")
        self.assertEqual(r.file.readline(), b"+ \r\n")
        r.sock.sendall(b"*\r\n")
        self.assertEqual(r.file.readline(), b"s BAD authentication cancelled\r\n")
        self.assertEqual(r.command(b"z", b"LOGOUT")[-1], b"z OK LOGOUT completed\r\n")
        r.close()

    def test_uids_stay_stable_while_pop3_sessions_run(self):
        md = maildir(self.root, "u")
        owner = os.stat(md)

        def remove_added():
            for sub in ("new", "cur"):
                for name in os.listdir(os.path.join(md, sub)):
                    if ".login.test" in name and not name.startswith("1700000000."):
                        os.unlink(os.path.join(md, sub, name))

        self.addCleanup(remove_added)
        for i in range(2, 6):
            path = os.path.join(md, "new", f"17000000{i:02d}.M{i}P1.login.test")
            with open(path, "wb") as f:
                f.write(b"Subject: pop %d\n\nbody\n" % i)
            os.utime(path, (1700000000 + i, 1700000000 + i))
            os.chown(path, owner.st_uid, owner.st_gid)
        imap = imaplib.IMAP4("127.0.0.1", self.server().port, timeout=20)
        imap.login(USER, PASSWORD)
        imap.select("INBOX", readonly=True)  # leaves new/ alone for POP3

        def uids():
            typ, data = imap.fetch("1:*", "(UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            return {d[1].strip(): int(d[0].split(b"UID ")[1].split()[0])
                    for d in data if isinstance(d, tuple)}

        before = uids()
        self.assertEqual(len(before), 5)
        pop_server = PopServer(self.root, self.env)
        self.servers.append(pop_server)
        pop = poplib.POP3("127.0.0.1", pop_server.port, timeout=20)
        pop.user(USER)
        pop.pass_(PASSWORD)
        count = pop.stat()[0]
        for n in range(1, count + 1):
            if b"Subject: pop 3" in b"\n".join(pop.retr(n)[1]):
                pop.dele(n)
        pop.quit()  # removes one, moves the others from new/ to cur/
        self.assertEqual(os.listdir(os.path.join(md, "new")), [])
        self.assertEqual(imap.noop()[0], "OK")
        typ, data = imap.response("EXPUNGE")
        self.assertEqual(len(data), 1, data)  # exactly the message POP3 deleted
        after = uids()
        expected = dict(before)
        del expected[b"Subject: pop 3"]
        self.assertEqual(after, expected)
        imap.logout()

    def test_idle_through_the_front_over_tls(self):
        sock = socket.create_connection(("127.0.0.1", self.server("--tls").port), timeout=20)
        tls = tls_context().wrap_socket(sock)
        f = tls.makefile("rb")
        self.assertTrue(f.readline().startswith(b"* OK [CAPABILITY "))

        def command(tag, text):
            tls.sendall(tag + b" " + text + b"\r\n")
            lines = []
            while not lines or not lines[-1].startswith(tag + b" "):
                lines.append(f.readline())
            return lines

        self.assertRegex(command(b"a", b'LOGIN "%s" "%s"' % (USER.encode(), PASSWORD.encode()))[-1],
                         rb"^a OK ")
        exists = [l for l in command(b"b", b"SELECT INBOX") if l.endswith(b" EXISTS\r\n")][0]
        count = int(exists.split()[1])
        tls.sendall(b"c IDLE\r\n")
        self.assertEqual(f.readline(), b"+ idling\r\n")
        md = maildir(self.root, "u")

        def remove_added():
            for sub in ("new", "cur"):
                for name in os.listdir(os.path.join(md, sub)):
                    if name.startswith("1800000000."):
                        os.unlink(os.path.join(md, sub, name))

        self.addCleanup(remove_added)
        # Delivered as local does: written in tmp/, then moved into new/.
        tmp = os.path.join(md, "tmp", "1800000000.M1P1.idle.test")
        with open(tmp, "wb") as out:
            out.write(b"Subject: idle\n\nx\n")
        os.chown(tmp, os.stat(md).st_uid, os.stat(md).st_gid)
        start = time.monotonic()
        os.rename(tmp, os.path.join(md, "new", "1800000000.M1P1.idle.test"))
        self.assertEqual(f.readline(), b"* %d EXISTS\r\n" % (count + 1))
        self.assertLess(time.monotonic() - start, 1.0)
        tls.sendall(b"DONE\r\n")
        lines = []
        while not lines or not lines[-1].startswith(b"c "):
            lines.append(f.readline())
        self.assertEqual(lines[-1], b"c OK IDLE terminated\r\n")
        self.assertEqual(command(b"d", b"LOGOUT")[-1], b"d OK LOGOUT completed\r\n")
        f.close()
        tls.close()
