"""SMTP AUTH, submission and the service directories of issue 8, on an installed ROOT.

One install for the class: mailctl init --listen smtp, submission, smtps and pop3 on free
loopback ports, a virtual domain example.test with users u and v and an alias, the
delivery processes (start), control/smtproutes sending outside.test to a Python SMTP
sink, and the services run from the run scripts mailctl init wrote (tcpserver + smtpd or
pop3d). Clients connect from 127.0.0.3: loopback (AUTH allowed without TLS) but without
RELAYCLIENT in the default rules. smtpd is also run directly on a socket pair with
TCPREMOTEIP=192.0.2.1 to play a distant client.
"""
import base64
import os
import poplib
import signal
import smtplib
import socket
import ssl
import subprocess
import time
import unittest

import support
from pop3_support import DOMAIN, PASSWORD, mailctl, wait_subject
from remote_sink import Sink

WAIT = 30
CLIENT = "127.0.0.3"
WRONG = "not the password"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(find, timeout=WAIT):
    return support.poll(find, timeout, 0.05)


def tls_context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def b64(text):
    return base64.b64encode(text.encode()).decode()


class SmtpAuthTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        assert os.geteuid() == 0, "the integration suite runs as root"
        cls.base, cls.root = support.new_root("ms-smtpauth-")
        cls.addClassCleanup(support.remove, cls.base)
        cls.san_dir = os.path.join(cls.base, "san")
        os.mkdir(cls.san_dir)
        os.chmod(cls.san_dir, 0o1777)
        cls.ports = {name: free_port() for name in ("smtp", "submission", "smtps", "pop3")}
        listens = []
        for name, port in cls.ports.items():
            listens += ["--listen", f"{name}=127.0.0.1:{port}"]
        support.install_configured(cls.root, "mx.test", *listens)
        for args, stdin in ((("domain", "add", DOMAIN), None),
                            (("user", "add", f"u@{DOMAIN}", "--password-stdin"), PASSWORD + "\n"),
                            (("user", "add", f"v@{DOMAIN}", "--password-stdin"), PASSWORD + "\n"),
                            (("alias", "add", f"a@{DOMAIN}", f"v@{DOMAIN}"), None)):
            proc = mailctl(cls.root, *args, input=stdin, env=cls.env())
            assert proc.returncode == 0, proc.stderr
        cls.write_control("authfaildelay", "1\n")
        cls.sink = Sink("127.0.0.1").start()
        cls.addClassCleanup(cls.sink.stop)
        cls.write_control("smtproutes", f"outside.test:[127.0.0.1]:{cls.sink.port}\n")
        cls.procs = []
        cls.addClassCleanup(cls.stop_all)
        cls.start_delivery()
        cls.logs = {}
        for name in cls.ports:
            cls.start_service(name)

    @classmethod
    def env(cls, **extra):
        return support.san_env(cls.san_dir, **extra)

    @classmethod
    def write_control(cls, name, text):
        support.write_control(cls.root, name, text)

    @classmethod
    def start_delivery(cls):
        log_path = os.path.join(cls.base, "send.log")
        with open(log_path, "ab") as out:
            proc = subprocess.Popen([os.path.join(cls.root, "bin", "start"), "./Maildir/"],
                                    stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                    env=cls.env(), start_new_session=True)
        cls.procs.append(proc)
        ok = wait_for(lambda: b"status: local" in open(log_path, "rb").read())
        assert ok, "send did not start: " + open(log_path).read()

    @classmethod
    def start_service(cls, name):
        """Runs ROOT/service/NAME/run (as svscan would, minus the log) until stop_all."""
        log_path = os.path.join(cls.base, name + ".log")
        cls.logs[name] = log_path
        with open(log_path, "ab") as out:
            proc = subprocess.Popen(["/bin/sh", os.path.join(cls.root, "service", name, "run")],
                                    cwd=os.path.join(cls.root, "service", name),
                                    stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                    env=cls.env(), start_new_session=True)
        cls.procs.append(proc)

        def listening():
            try:
                socket.create_connection(("127.0.0.1", cls.ports[name]), timeout=1).close()
                return True
            except OSError:
                return False
        assert wait_for(listening), f"{name} does not listen: " + open(log_path).read()

    @classmethod
    def stop_all(cls):
        for proc in cls.procs:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for proc in cls.procs:
            try:
                proc.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def tearDown(self):
        self.write_control("authsenders", None)
        support.assert_no_sanitizer_reports(self, self.san_dir)

    # --- helpers ----------------------------------------------------------------------

    def smtp(self, service="smtp"):
        s = smtplib.SMTP("127.0.0.1", self.ports[service], timeout=WAIT,
                         source_address=(CLIENT, 0))
        self.addCleanup(s.close)
        return s

    def submission(self, login=True):
        s = self.smtp("submission")
        s.ehlo("client.test")
        s.starttls(context=tls_context())
        s.ehlo("client.test")
        if login:
            s.login(f"u@{DOMAIN}", PASSWORD)
        return s

    def wait_message(self, user, subject):
        return wait_subject(self.root, user, subject, WAIT)

    def sink_message(self, subject):
        def find():
            for session in list(self.sink.sessions):
                if session.data and f"Subject: {subject}\r\n".encode() in session.data:
                    return session
            return None
        return wait_for(find)

    def log_text(self, name):
        return open(self.logs[name], "rb").read().decode("latin-1")

    # --- port 25: recipients of a virtual domain --------------------------------------

    def test_port25_delivers_to_virtual_user_and_alias(self):
        s = self.smtp()
        s.sendmail("x@remote.test", [f"u@{DOMAIN}"], "Subject: to u\n\nhello u\n")
        data = self.wait_message("u", "to u")
        self.assertIsNotNone(data, "no message in u's Maildir")
        self.assertIn(b"Delivered-To: u@example.test\n", data)
        self.assertTrue(data.endswith(b"\nhello u\n"), data)
        s.sendmail("x@remote.test", [f"A@{DOMAIN}"], "Subject: via alias\n\nhello a\n")
        self.assertIsNotNone(self.wait_message("v", "via alias"), "the alias did not forward")

    def test_port25_unknown_user_and_relay_refused(self):
        s = self.smtp()
        s.ehlo("client.test")
        self.assertEqual(s.mail("x@remote.test")[0], 250)
        code, text = s.rcpt(f"nobody@{DOMAIN}")
        self.assertEqual((code, text[:5]), (550, b"5.1.1"))
        code, text = s.rcpt("someone@outside.test")
        self.assertEqual((code, text[:5]), (553, b"5.7.1"))
        self.assertEqual(s.rcpt(f"u@{DOMAIN}")[0], 250)

    def test_port25_checks_locals_recipients(self):
        """mx.test is in control/locals: accounts, users/assign and alias/.qmail-* count."""
        name = "msauthtest"
        support.add_user(name, os.path.join(self.base, "home", name))
        self.addCleanup(support.remove_user, name)
        s = self.smtp()
        s.ehlo("client.test")
        s.mail("x@remote.test")
        code, text = s.rcpt("no.such.user@mx.test")
        self.assertEqual((code, text[:5]), (550, b"5.1.1"))
        self.assertEqual(s.rcpt("Postmaster@MX.test")[0], 250)  # alias/.qmail-postmaster
        self.assertEqual(s.rcpt(f"{name}@mx.test")[0], 250)
        self.assertEqual(s.rcpt(f"{name}-any-thing@localhost")[0], 250)
        self.assertEqual(s.rcpt("nobody-else@localhost")[0], 550)
        alias_file = os.path.join(self.root, "alias", ".qmail-lists-default")
        with open(alias_file, "w") as f:
            f.write("./Maildir/\n")
        self.addCleanup(os.unlink, alias_file)
        self.assertEqual(s.rcpt("lists-anything@mx.test")[0], 250)
        self.assertEqual(s.rcpt("lists@mx.test")[0], 550)

    def test_catchall_choices_over_smtp(self):
        try:
            mailctl(self.root, "domain", "catchall", DOMAIN, "deliver", "u", env=self.env())
            s = self.smtp()
            s.sendmail("x@remote.test", [f"whoever@{DOMAIN}"], "Subject: caught\n\nc\n")
            self.assertIsNotNone(self.wait_message("u", "caught"))
            s.close()
            mailctl(self.root, "domain", "catchall", DOMAIN, "discard", env=self.env())
            s = self.smtp()
            s.ehlo("client.test")
            s.mail("x@remote.test")
            self.assertEqual(s.rcpt(f"whoever@{DOMAIN}")[0], 250)
            s.rset()
            s.close()
        finally:
            proc = mailctl(self.root, "domain", "catchall", DOMAIN, "bounce", env=self.env())
            self.assertEqual(proc.returncode, 0, proc.stderr)
        s = self.smtp()
        s.ehlo("client.test")
        s.mail("x@remote.test")
        self.assertEqual(s.rcpt(f"whoever@{DOMAIN}")[0], 550)

    # --- submission -------------------------------------------------------------------

    def test_submission_auth_plain_relays_with_received(self):
        s = self.smtp("submission")
        s.ehlo("client.test")
        self.assertIn("starttls", s.esmtp_features)
        code, text = s.mail(f"u@{DOMAIN}")
        self.assertEqual((code, text[:5]), (530, b"5.7.0"))
        s.starttls(context=tls_context())
        s.ehlo("client.test")
        self.assertEqual(s.esmtp_features.get("auth", "").split(), ["PLAIN", "LOGIN"])
        code, text = s.login(f"u@{DOMAIN}", PASSWORD)
        self.assertEqual((code, text[:5]), (235, b"2.7.0"))
        s.sendmail(f"u@{DOMAIN}", ["friend@outside.test"], "Subject: relayed\n\nout there\n")
        session = self.sink_message("relayed")
        self.assertIsNotNone(session, "the sink got nothing")
        self.assertEqual(session.rcpts, ["<friend@outside.test>"])
        received = session.data.split(b"\r\n\r\n")[0].decode()
        self.assertRegex(received, r"with ESMTPSA \(TLS[^)]*\) \(authenticated as u@example\.test\);")

    def test_wrong_password_is_slow_535_and_logged(self):
        s = self.submission(login=False)
        start = time.monotonic()
        with self.assertRaises(smtplib.SMTPAuthenticationError) as caught:
            s.login(f"u@{DOMAIN}", WRONG)
        self.assertGreaterEqual(time.monotonic() - start, 1.0)
        self.assertEqual(caught.exception.smtp_code, 535)
        self.assertTrue(caught.exception.smtp_error.startswith(b"5.7.8"))
        self.assertTrue(wait_for(lambda: f"authentication failed for u@{DOMAIN} from {CLIENT}"
                                 in self.log_text("submission")), self.log_text("submission"))

    def test_too_many_failures_close_with_421(self):
        s = self.submission(login=False)
        plain = b64(f"\0u@{DOMAIN}\0{WRONG}")
        self.assertEqual(s.docmd("AUTH", "PLAIN " + plain)[0], 535)
        self.assertEqual(s.docmd("AUTH", "PLAIN " + plain)[0], 535)
        code, text = s.docmd("AUTH", "PLAIN " + plain)
        self.assertEqual((code, text[:5]), (421, b"4.7.0"))
        with self.assertRaises(smtplib.SMTPServerDisconnected):
            s.noop()

    def test_auth_login_and_protocol_errors(self):
        s = self.submission(login=False)
        self.assertEqual(s.docmd("AUTH", "CRAM-MD5")[0], 504)
        code, text = s.docmd("AUTH", "PLAIN not!base64")
        self.assertEqual((code, text[:5]), (501, b"5.5.2"))
        self.assertEqual(s.docmd("AUTH", "LOGIN"), (334, b"VXNlcm5hbWU6"))
        code, text = s.docmd("*")
        self.assertEqual((code, text[:5]), (501, b"5.0.0"))
        self.assertEqual(s.docmd("AUTH", "LOGIN")[0], 334)
        self.assertEqual(s.docmd(b64(f"u@{DOMAIN}")), (334, b"UGFzc3dvcmQ6"))
        code, text = s.docmd(b64(PASSWORD))
        self.assertEqual((code, text[:5]), (235, b"2.7.0"))
        code, text = s.docmd("AUTH", "LOGIN")
        self.assertEqual((code, text[:5]), (503, b"5.5.1"))
        s.sendmail(f"u@{DOMAIN}", [f"v@{DOMAIN}"], "Subject: by login\n\nx\n")
        self.assertIsNotNone(self.wait_message("v", "by login"))

    def test_auth_during_transaction_is_503(self):
        s = self.smtp()  # port 25 from loopback: AUTH offered without TLS
        s.ehlo("client.test")
        self.assertIn("auth", s.esmtp_features)
        s.mail("x@remote.test")
        code, text = s.docmd("AUTH", "PLAIN " + b64(f"\0u@{DOMAIN}\0{PASSWORD}"))
        self.assertEqual((code, text[:5]), (503, b"5.5.1"))
        s.rset()
        self.assertEqual(s.login(f"u@{DOMAIN}", PASSWORD)[0], 235)
        self.assertEqual(s.mail(f"u@{DOMAIN}")[0], 250)
        self.assertEqual(s.rcpt("far@outside.test")[0], 250)  # authenticated: may relay

    def test_sender_must_be_own_address_or_authsenders(self):
        s = self.submission()
        code, text = s.mail(f"v@{DOMAIN}")
        self.assertEqual((code, text[:5]), (553, b"5.7.1"))
        code, text = s.mail("boss@other.test")
        self.assertEqual(code, 553)
        self.assertEqual(s.mail("")[0], 250)  # the null sender
        s.rset()
        self.assertEqual(s.mail(f"U@{DOMAIN.upper()}")[0], 250)
        s.rset()
        self.write_control("authsenders", f"u@{DOMAIN}:@other.test\nv@{DOMAIN}:@third.test\n")
        s = self.submission()  # authsenders is read once per connection
        self.assertEqual(s.mail("boss@other.test")[0], 250)
        s.rset()
        self.assertEqual(s.mail("x@third.test")[0], 553)
        check = mailctl(self.root, "check", env=self.env())
        self.assertNotIn("authsenders", check.stdout + check.stderr)

    def test_smtps_is_submission_over_implicit_tls(self):
        s = smtplib.SMTP_SSL("127.0.0.1", self.ports["smtps"], timeout=WAIT,
                             source_address=(CLIENT, 0), context=tls_context())
        self.addCleanup(s.close)
        s.ehlo("client.test")
        self.assertNotIn("starttls", s.esmtp_features)
        self.assertEqual(s.mail(f"u@{DOMAIN}")[0], 530)
        s.login(f"u@{DOMAIN}", PASSWORD)
        s.sendmail(f"u@{DOMAIN}", ["pal@outside.test"], "Subject: over smtps\n\nx\n")
        self.assertIsNotNone(self.sink_message("over smtps"))

    def test_distant_client_needs_tls_before_auth(self):
        """smtpd on a socket pair, as tcpserver would run it for 192.0.2.1 (no RELAYCLIENT)."""
        ours, theirs = socket.socketpair()
        env = self.env(TCPREMOTEIP="192.0.2.1", TCPREMOTEHOST="far.test", TCPLOCALIP="127.0.0.1",
                       TCPLOCALHOST="mx.test", SUBMISSION="1")
        proc = subprocess.Popen([os.path.join(self.root, "bin", "smtpd")], stdin=theirs,
                                stdout=theirs, stderr=subprocess.PIPE, env=env,
                                user=support.uid("msd"), group=support.gid("msnofiles"),
                                extra_groups=[])
        theirs.close()
        ours.settimeout(WAIT)
        f = ours.makefile("rb")

        def reply():
            lines = []
            while True:
                line = f.readline().decode()
                lines.append(line.rstrip("\r\n"))
                if len(line) < 4 or line[3] != "-":
                    return lines

        def command(sock, text):
            sock.sendall(text.encode() + b"\r\n")
            return reply()

        try:
            self.assertTrue(reply()[0].startswith("220 "))
            ehlo = command(ours, "EHLO far.test")
            self.assertNotIn("250-AUTH PLAIN LOGIN", ehlo)
            self.assertIn("250 STARTTLS", ehlo)
            plain = "AUTH PLAIN " + b64(f"\0u@{DOMAIN}\0{PASSWORD}")
            self.assertEqual(command(ours, plain), [
                "538 5.7.11 encryption required for requested authentication mechanism"])
            self.assertEqual(command(ours, "MAIL FROM:<u@example.test>")[0][:9], "530 5.7.0")
            self.assertEqual(command(ours, "STARTTLS")[0][:3], "220")
            tls = tls_context().wrap_socket(ours)
            f = tls.makefile("rb")
            self.assertIn("250-AUTH PLAIN LOGIN", command(tls, "EHLO far.test"))
            self.assertEqual(command(tls, plain)[0][:9], "235 2.7.0")
            self.assertEqual(command(tls, "MAIL FROM:<u@example.test>")[0][:3], "250")
            self.assertEqual(command(tls, "QUIT")[0][:3], "221")
            tls.close()
        finally:
            ours.close()
            proc.wait(timeout=WAIT)
            proc.stderr.close()

    # --- the pop3 service -------------------------------------------------------------

    def test_pop3_service_from_mailctl_init(self):
        run = open(os.path.join(self.root, "service", "pop3", "run")).read()
        self.assertNotIn(" -u ", run)  # pop3d drops privileges itself
        self.assertIn("/bin/pop3d'", run)
        sub = open(os.path.join(self.root, "service", "submission", "run")).read()
        self.assertIn("SUBMISSION=1\nexport SUBMISSION\n", sub)
        s = self.smtp()
        s.sendmail("x@remote.test", [f"u@{DOMAIN}"], "Subject: for pop\n\npop me\n")
        self.assertIsNotNone(self.wait_message("u", "for pop"))
        p = poplib.POP3("127.0.0.1", self.ports["pop3"], timeout=WAIT)
        self.addCleanup(p.close)
        p.user(f"u@{DOMAIN}")
        p.pass_(PASSWORD)
        count, _ = p.stat()
        bodies = [b"\n".join(p.retr(i)[1]) for i in range(1, count + 1)]
        self.assertTrue(any(b"Subject: for pop" in b for b in bodies))
        p.quit()


if __name__ == "__main__":
    unittest.main()
