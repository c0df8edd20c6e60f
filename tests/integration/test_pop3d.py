"""pop3d end to end (issue 8): an installed root with a virtual domain, pop3d run per
connection by a loopback accept loop (as tcpserver would), real clients (poplib,
fetchmail) and a raw client for the bad-input cases. Messages are written straight into
the Maildir with fixed names and mtimes, so numbering and UIDs are known."""
import base64
import os
import poplib
import shutil
import ssl
import subprocess
import threading
import time
import unittest

import support
from pop3_support import (DOMAIN, PASSWORD, PopServer, Raw, install_with_domain, maildir,
                          mailctl, san_env, wait_for)

USER = f"u@{DOMAIN}"
MESSAGES = [
    b"Return-Path: <a@b.test>\nSubject: one\n\nplain body\n",
    b"Subject: dots\n\n.leading dot\n..two dots\n.\nend\n",
    b"Subject: eight bit \xe9\n\n\xff\xfe binary-ish \x01 bytes\n" + b"x" * 1500 + b"\n",
    b"Subject: empty body\n\n",
    b"Subject: many lines\n\n" + b"".join(b"line %d\n" % i for i in range(300)),
]


def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class Pop3dTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        install_with_domain(cls, "ms-pop3d-")
        cls.env = san_env(cls.san_dir)

    def setUp(self):
        self.md = maildir(self.root, "u")
        for sub in ("new", "cur", "tmp"):
            d = os.path.join(self.md, sub)
            for name in os.listdir(d):
                os.unlink(os.path.join(d, name))
        self.names = []
        for i, body in enumerate(MESSAGES):
            name = f"{1700000000 + i}.M{i}P1Q1.pop.test"
            path = os.path.join(self.md, "new", name)
            with open(path, "wb") as f:
                f.write(body)
            os.utime(path, (1700000000 + i, 1700000000 + i))
            self.names.append(name)
        self.servers = []

    def tearDown(self):
        codes = [c for s in self.servers for c in s.stop()]
        self.assertTrue(all(c == 0 for c in codes), f"pop3d exit codes {codes}")
        support.assert_no_sanitizer_reports(self, self.san_dir)

    def server(self, *args, remote_ip=None):
        s = PopServer(self.root, self.env, args, remote_ip)
        self.servers.append(s)
        return s

    def login(self, port):
        p = poplib.POP3("127.0.0.1", port, timeout=20)
        p.user(USER)
        self.assertTrue(p.pass_(PASSWORD).startswith(b"+OK"))
        return p

    def files(self):
        out = {}
        for sub in ("new", "cur"):
            for name in os.listdir(os.path.join(self.md, sub)):
                out[name.split(":")[0]] = f"{sub}/{name}"
        return out

    # --- retrieval ---------------------------------------------------------------

    def test_retr_gives_the_file_bytes_back(self):
        p = self.login(self.server().port)
        self.assertEqual(p.stat(), (len(MESSAGES), sum(len(m) for m in MESSAGES)))
        for i, body in enumerate(MESSAGES, 1):
            resp, lines, _ = p.retr(i)
            self.assertTrue(resp.startswith(b"+OK"))
            self.assertEqual(b"\n".join(lines) + b"\n", body, f"message {i}")
        _, listing, _ = p.list()
        self.assertEqual(listing, [b"%d %d" % (i, len(m)) for i, m in enumerate(MESSAGES, 1)])
        p.quit()
        # QUIT moved new/ to cur/ with the info suffix, contents unchanged
        self.assertEqual(sorted(os.listdir(os.path.join(self.md, "new"))), [])
        self.assertEqual(sorted(os.listdir(os.path.join(self.md, "cur"))),
                         sorted(n + ":2," for n in self.names))

    def test_top(self):
        p = self.login(self.server().port)
        _, lines, _ = p.top(5, 2)
        self.assertEqual(lines, [b"Subject: many lines", b"", b"line 0", b"line 1"])
        _, lines, _ = p.top(2, 0)
        self.assertEqual(lines, [b"Subject: dots", b""])
        _, lines, _ = p.top(2, 100)
        self.assertEqual(b"\n".join(lines) + b"\n", MESSAGES[1])
        p.quit()

    def test_uidl_is_the_unique_name_and_stable(self):
        port = self.server().port
        p = self.login(port)
        _, first, _ = p.uidl()
        self.assertEqual(first, [b"%d %s" % (i, n.encode()) for i, n in enumerate(self.names, 1)])
        self.assertEqual(p.uidl(3), b"+OK 3 " + self.names[2].encode())
        p.quit()  # moves every message to cur/NAME:2,
        p = self.login(port)
        _, second, _ = p.uidl()
        p.quit()
        self.assertEqual(first, second)

    def test_dele_then_quit_removes(self):
        p = self.login(self.server().port)
        p.dele(2)
        p.dele(4)
        self.assertEqual(p.stat()[0], len(MESSAGES) - 2)
        p.quit()
        left = self.files()
        self.assertEqual(sorted(left), sorted(self.names[i] for i in (0, 2, 4)))

    def test_dele_then_dropped_connection_removes_nothing(self):
        p = self.login(self.server().port)
        p.dele(1)
        p.dele(2)
        p.file.close()
        p.sock.close()  # no QUIT
        self.assertTrue(wait_for(lambda: all(s.poll() is not None
                                             for s in self.servers[0].procs)))
        self.assertEqual(sorted(self.files()), sorted(self.names))
        self.assertEqual(sorted(os.listdir(os.path.join(self.md, "new"))), sorted(self.names))

    def test_rset_undeletes(self):
        p = self.login(self.server().port)
        p.dele(1)
        p.rset()
        p.quit()
        self.assertEqual(len(self.files()), len(MESSAGES))

    def test_fetchmail_retrieves_identical_bytes(self):
        out = os.path.join(self.base, "fetched")
        shutil.rmtree(out, ignore_errors=True)
        os.mkdir(out)
        mda = os.path.join(self.base, "mda.sh")
        with open(mda, "w") as f:
            f.write(f"#!/bin/sh\ncat > {out}/msg.$(date +%s%N)\n")
        os.chmod(mda, 0o755)
        rc = os.path.join(self.base, "fetchmailrc")
        with open(rc, "w") as f:
            f.write(f'poll 127.0.0.1 service {self.server().port} protocol pop3 uidl '
                    f'auth password\n  user "{USER}" there with password "{PASSWORD}" '
                    f'is root here\n  sslproto \'\' keep norewrite mda "{mda}"\n')
        os.chmod(rc, 0o600)
        proc = subprocess.run(["fetchmail", "-f", rc, "--invisible", "--nosyslog",
                               "-i", os.path.join(self.base, "fetchids")],
                              capture_output=True, text=True, timeout=60,
                              env={"PATH": "/usr/bin:/bin", "HOME": self.base})
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        got = []
        for name in sorted(os.listdir(out)):
            with open(os.path.join(out, name), "rb") as f:
                got.append(f.read())
        self.assertEqual(sorted(got), sorted(MESSAGES))

    # --- TLS and login policy ------------------------------------------------------

    def test_stls(self):
        p = poplib.POP3("127.0.0.1", self.server().port, timeout=20)
        self.assertIn("STLS", p.capa())
        self.assertTrue(p.stls(tls_context()).startswith(b"+OK"))
        self.assertNotIn("STLS", p.capa())
        p.user(USER)
        p.pass_(PASSWORD)
        self.assertEqual(p.retr(1)[1], MESSAGES[0].rstrip(b"\n").split(b"\n"))
        p.quit()

    def test_implicit_tls(self):
        p = poplib.POP3_SSL("127.0.0.1", self.server("--tls").port, context=tls_context(),
                            timeout=20)
        self.assertNotIn("STLS", p.capa())
        p.user(USER)
        p.pass_(PASSWORD)
        self.assertEqual(p.stat()[0], len(MESSAGES))
        p.quit()
        env = dict(self.env, POP3S="1")  # what the pop3s service's run script sets
        server = PopServer(self.root, env)
        self.servers.append(server)
        p = poplib.POP3_SSL("127.0.0.1", server.port, context=tls_context(), timeout=20)
        p.user(USER)
        p.pass_(PASSWORD)
        self.assertEqual(p.stat()[0], len(MESSAGES))
        p.quit()

    def test_plaintext_login_refused_before_tls_for_distant_clients(self):
        port = self.server(remote_ip="192.0.2.7").port
        c = Raw(port)
        capa = (c.cmd("CAPA"), c.multi())
        self.assertNotIn("USER", capa[1])
        self.assertNotIn("SASL PLAIN", capa[1])
        self.assertIn("STLS", capa[1])
        self.assertIn("plaintext login refused", c.cmd(f"USER {USER}"))
        plain = base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()).decode()
        self.assertIn("plaintext login refused", c.cmd(f"AUTH PLAIN {plain}"))
        self.assertTrue(c.cmd("QUIT").startswith("+OK"))
        c.close()
        p = poplib.POP3("127.0.0.1", port, timeout=20)
        p.stls(tls_context())
        self.assertIn("USER", p.capa())
        p.user(USER)
        self.assertTrue(p.pass_(PASSWORD).startswith(b"+OK"))
        p.quit()

    def test_auth_plain(self):
        port = self.server().port
        c = Raw(port)
        plain = base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()).decode()
        self.assertTrue(c.cmd(f"AUTH PLAIN {plain}").startswith("+OK maildrop has 5"))
        self.assertEqual(c.cmd("STAT"), f"+OK 5 {sum(len(m) for m in MESSAGES)}")
        c.cmd("QUIT")
        c.close()
        c = Raw(port)
        self.assertEqual(c.cmd("AUTH PLAIN"), "+ ")
        self.assertTrue(c.cmd(plain).startswith("+OK"))
        c.cmd("QUIT")
        c.close()

    def test_wrong_password_is_slowed_and_refused(self):
        c = Raw(self.server().port)
        c.cmd(f"USER {USER}")
        start = time.monotonic()
        self.assertEqual(c.cmd("PASS wrong"), "-ERR [AUTH] invalid user name or password")
        self.assertGreaterEqual(time.monotonic() - start, 0.9)  # control/authfaildelay: 1
        c.cmd("USER nobody@example.test")
        self.assertEqual(c.cmd("PASS x"), "-ERR [AUTH] invalid user name or password")
        c.cmd(f"USER {USER}")
        self.assertIn("too many failures", c.cmd("PASS wrong again"))
        self.assertEqual(c.file.read(), b"")  # closed
        c.close()

    def test_second_session_is_refused(self):
        port = self.server().port
        p = self.login(port)
        q = poplib.POP3("127.0.0.1", port, timeout=20)
        q.user(USER)
        with self.assertRaises(poplib.error_proto) as err:
            q.pass_(PASSWORD)
        self.assertIn(b"[IN-USE]", err.exception.args[0])
        q.close()
        p.quit()
        q = self.login(port)  # free again
        q.quit()

    def test_processes_run_as_msd_mailbox_owner_and_msp(self):
        server = self.server()
        c = Raw(server.port)
        monitor = wait_for(lambda: server.procs and server.procs[0].pid)
        # (a child counts once it has run pop3d --front: before its exec it is a copy
        # of the monitor, still root)
        def part(flag):
            return [i for i in support.children_of(monitor).values() if flag in i["cmdline"]]
        fronts = wait_for(lambda: part(b"--front"))
        self.assertEqual(support.proc_info(monitor)["Uid"], [0, 0, 0, 0])
        (front,) = fronts
        self.assertEqual(front["Uid"], [support.uid("msd")] * 4)
        self.assertEqual(front["Groups"], [support.gid("msnofiles")])
        # a failed login keeps auth (setuid msp) busy for the failure delay
        c.cmd(f"USER {USER}")
        c.send("PASS wrong\r\n")
        exe = os.path.join(self.root, "bin", "auth")

        def auth_process():
            for pid, info in support.children_of(monitor).items():
                try:
                    # (after its first step: the real and saved uid become msp too)
                    if os.readlink(f"/proc/{pid}/exe") == exe \
                            and info["Uid"][0] != support.uid("msd"):
                        return info
                except OSError:
                    pass
            return None
        auth = wait_for(auth_process)
        self.assertIsNotNone(auth)
        self.assertEqual(auth["Uid"], [support.uid("msp")] * 4)
        self.assertTrue(c.line().startswith("-ERR [AUTH]"))
        c.cmd(f"USER {USER}")
        self.assertTrue(c.cmd(f"PASS {PASSWORD}").startswith("+OK"))
        session = wait_for(lambda: part(b"--session"))
        self.assertEqual(session[0]["Uid"], [support.uid("msvmail")] * 4)
        self.assertNotIn(0, session[0]["Gid"])
        c.cmd("QUIT")
        c.close()

    def test_large_mailbox_is_listed_without_reading_bodies(self):
        n = 100000
        new = os.path.join(self.md, "new")
        body = b"Subject: big\n\n" + b"y" * 100 + b"\n"
        for i in range(n):
            with open(os.path.join(new, f"1600000000.M{i}P2Q1.big"), "wb") as f:
                f.write(body)
        try:
            p = self.login(self.server().port)
            start = time.monotonic()
            _, listing, _ = p.list()
            _, uids, _ = p.uidl()
            took = time.monotonic() - start
            self.assertEqual(len(listing), n + len(MESSAGES))
            self.assertEqual(len(uids), n + len(MESSAGES))
            self.assertLess(took, 30)
            p.file.close()
            p.sock.close()  # no QUIT: leave the files where they are
        finally:
            for i in range(n):
                os.unlink(os.path.join(new, f"1600000000.M{i}P2Q1.big"))

    # --- bad input -----------------------------------------------------------------

    def expect_errors(self, c, cases):
        for command, text in cases:
            reply = c.cmd(command)
            self.assertTrue(reply.startswith("-ERR"), f"{command!r}: {reply!r}")
            self.assertIn(text, reply, f"{command!r}")

    def test_bad_input_before_login(self):
        port = self.server().port
        cases = [
            ("", "empty command"),
            ("FOO", "unknown command"),
            ("RETRX 1", "unknown command"),
            ("STAT", "log in first"),
            ("LIST", "log in first"),
            ("RETR 1", "log in first"),
            ("DELE 1", "log in first"),
            ("UIDL", "log in first"),
            ("TOP 1 1", "log in first"),
            ("RSET", "log in first"),
            ("NOOP", "log in first"),
            ("PASS secret", "USER first"),
            ("USER", "syntax error"),
            ("USER " + "a" * 300, "too long"),
            ("APOP u 0123456789abcdef0123456789abcdef", "not supported"),
            ("AUTH", "syntax error"),
            ("AUTH CRAM-MD5", "unsupported authentication mechanism"),
            ("AUTH PLAIN !!!!", "malformed base64"),
        ]
        c = Raw(port)
        self.expect_errors(c, cases)
        self.assertTrue(c.cmd("QUIT").startswith("+OK"))
        c.close()
        c = Raw(port)
        self.expect_errors(c, [
            ("AUTH PLAIN " + base64.b64encode(b"no nul at all").decode(), "malformed PLAIN"),
            ("AUTH PLAIN " + base64.b64encode(b"other\0u@example.test\0pw").decode(),
             "another user"),
            ("AUTH PLAIN " + base64.b64encode(b"\0\0pw").decode(), "empty user name"),
            ("CAPA extra", "takes no argument"),
            ("QUIT now", "takes no argument"),
            ("STLS now", "takes no argument"),
            ("X" * 2000, "line too long"),
        ])
        self.assertEqual(c.cmd("AUTH PLAIN"), "+ ")
        self.assertEqual(c.cmd("*"), "-ERR authentication cancelled")
        c.cmd("QUIT")
        c.close()
        # too many errors close the connection
        c = Raw(port)
        for _ in range(19):
            c.cmd("BAD")
        self.assertIn("unknown command", c.cmd("BAD"))
        self.assertIn("too many errors", c.line())
        self.assertEqual(c.file.read(), b"")
        c.close()

    def test_bad_input_after_login(self):
        c = Raw(self.server().port)
        c.cmd(f"USER {USER}")
        self.assertTrue(c.cmd(f"PASS {PASSWORD}").startswith("+OK"))
        self.assertTrue(c.cmd("DELE 3").startswith("+OK"))
        cases = [
            ("RETR 0", "numbered from 1"),
            ("RETR -1", "invalid message number"),
            ("RETR 6", "only 5 messages"),
            ("RETR 99999999999999999999", "invalid message number"),
            ("RETR 3", "is deleted"),
            ("RETR", "syntax error"),
            ("RETR 1 2", "syntax error"),
            ("RETR x", "invalid message number"),
            ("RETR +1", "invalid message number"),
            ("LIST 0", "numbered from 1"),
            ("LIST 6", "only 5 messages"),
            ("LIST 3", "is deleted"),
            ("LIST a", "invalid message number"),
            ("UIDL 0", "numbered from 1"),
            ("UIDL 7", "only 5 messages"),
            ("UIDL 3", "is deleted"),
            ("DELE 0", "numbered from 1"),
            ("DELE 3", "is deleted"),
            ("DELE 10", "only 5 messages"),
            ("DELE", "invalid message number"),
            ("TOP 1", "syntax error"),
            ("TOP 1 x", "invalid line count"),
            ("TOP 1 -1", "invalid line count"),
            ("TOP 0 1", "numbered from 1"),
            ("TOP 3 1", "is deleted"),
            ("STAT 1", "takes no argument"),
            ("NOOP x", "takes no argument"),
            ("RSET x", "takes no argument"),
            ("USER again", "already logged in"),
            ("PASS again", "already logged in"),
            ("AUTH PLAIN", "already logged in"),
            ("STLS", "already logged in"),
            ("APOP a b", "already logged in"),
            ("HELP", "unknown command"),
            ("", "empty command"),
            ("Y" * 5000, "line too long"),
            ("LIST  1", "invalid message number"),
        ]
        self.expect_errors(c, cases)
        self.assertEqual(c.cmd("NOOP"), "+OK")
        self.assertEqual(c.cmd("QUIT"), "+OK bye")
        c.close()
        self.assertEqual(len(self.files()), len(MESSAGES) - 1)


if __name__ == "__main__":
    unittest.main()
