"""smtpd end to end (issue 5): the installed tcpserver runs ROOT/bin/smtpd on a loopback
port of an installed, configured ROOT whose delivery processes run; mail goes in with
smtplib, swaks, openssl s_client, smtp-source and raw sockets, and comes out in a local
account's Maildir. The bad-input corpus is in test_smtpd_input.py.
"""
import email
import email.policy
import os
import re
import smtplib
import subprocess
import time
import unittest

import support
from smtp_server import HOST, OUTSIDE, WAIT, Dialog, MailSystem, greet, run_as

USER = f"mssd{os.getpid() % 100000}"
DATABYTES = 200000
DATE = r"\d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d -0000"


class SmtpdTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        assert os.geteuid() == 0, "the integration suite runs as root (as CI does)"
        cls.ms = MailSystem("ms-smtpd-", USER)
        cls.addClassCleanup(cls.ms.teardown)
        cls.ms.setup()
        cls.ms.control("databytes", f"{DATABYTES}\n")
        cls.ms.control("badmailfrom", "@junk.example\nspammer@example.com\n")
        cls.rcpt = f"{USER}@{HOST}"

    def tearDown(self):
        self.ms.control("timeoutsmtpd", None)
        support.assert_no_sanitizer_reports(self, self.ms.san_dir)

    def smtp(self, source=OUTSIDE):
        s = smtplib.SMTP("127.0.0.1", self.ms.port, local_hostname="client.example",
                         timeout=WAIT, source_address=(source, 0))
        self.addCleanup(s.close)
        return s

    def delivered(self, before, count=1):
        files = self.ms.wait_new(before, count)
        self.assertEqual(len(files), count, "messages in Maildir/new")
        return files

    def read(self, path):
        with open(path, "rb") as f:
            return f.read()

    # --- sessions ----------------------------------------------------------------------

    def test_ehlo_capabilities(self):
        s = self.smtp()
        code, text = s.ehlo("client.example")
        self.assertEqual(code, 250)
        lines = text.decode().split("\n")
        self.assertEqual(lines[0], HOST)
        self.assertEqual(lines[1:], ["PIPELINING", "8BITMIME", f"SIZE {DATABYTES}",
                                     "ENHANCEDSTATUSCODES", "SMTPUTF8", "AUTH PLAIN LOGIN",
                                     "CHUNKING", "STARTTLS"])  # AUTH: a loopback client
        self.assertEqual(s.helo("client.example"), (250, HOST.encode()))
        self.assertEqual(s.noop(), (250, b"2.0.0 ok"))
        self.assertEqual(s.verify("x")[0], 252)
        self.assertEqual(s.docmd("HELP")[0], 214)
        self.assertEqual(s.rset(), (250, b"2.0.0 flushed"))
        self.assertEqual(s.quit(), (221, f"2.0.0 {HOST}".encode()))

    def test_mail_arrives_with_received_line(self):
        before = self.ms.new_files()
        s = self.smtp()
        s.ehlo("client.example")
        body = "Subject: hello\r\n\r\nfirst line\r\n.leading dot\r\n"
        refused = s.sendmail("sender@example.org", [self.rcpt], body)
        self.assertEqual(refused, {})
        s.quit()
        [path] = self.delivered(before)
        text = self.read(path).decode()
        self.assertRegex(text, r"\AReturn-Path: <sender@example\.org>\n"
                         rf"Delivered-To: {USER}@{re.escape(HOST)}\n"
                         rf"Received: \(mail-suite \d+ invoked from network\); {DATE}\n"
                         r"Received: from unknown \(HELO client\.example\) \(127\.0\.0\.3\)\n"
                         rf"  by {re.escape(HOST)} with ESMTP; {DATE}\n"
                         r"Subject: hello\n\nfirst line\n\.leading dot\n\Z")

    def test_relay_denied_without_relayclient(self):
        s = self.smtp()
        s.ehlo("client.example")
        self.assertEqual(s.mail("sender@example.org")[0], 250)
        code, text = s.rcpt("someone@elsewhere.example")
        self.assertEqual((code, text[:6]), (553, b"5.7.1 "))
        self.assertEqual(s.rcpt("someone@[192.0.2.1]")[0], 553)
        self.assertEqual(s.rcpt(self.rcpt)[0], 250)
        self.assertEqual(s.rcpt(f"{USER}@[127.0.0.1]")[0], 250)  # localiphost

    def test_refusals_are_logged(self):
        def logged(verb):
            with open(self.ms.server_log, "rb") as f:
                lines = f.read().decode("latin-1").splitlines()
            return [l for l in lines if l.startswith(f"smtpd: refused {verb} from {OUTSIDE}: ")]

        mail_before, rcpt_before = len(logged("MAIL")), len(logged("RCPT"))
        s = self.smtp()
        s.ehlo("client.example")
        self.assertEqual(s.mail("big@example.org", [f"SIZE={DATABYTES + 1}"])[0], 552)
        self.assertEqual(s.mail("sender@example.org")[0], 250)
        self.assertEqual(s.rcpt("someone@elsewhere.example")[0], 553)
        self.assertEqual(s.docmd("RCPT", "TO:<some\x01one@elsewhere.example>")[0], 501)
        self.assertEqual(s.rcpt(self.rcpt)[0], 250)  # accepted: not logged
        self.assertEqual(logged("MAIL")[mail_before:], [
            f"smtpd: refused MAIL from {OUTSIDE}: 552 5.3.4 message size exceeds fixed "
            "maximum message size; from=<big@example.org> helo=<client.example>"])
        rcpt = logged("RCPT")[rcpt_before:]
        self.assertEqual(len(rcpt), 2, rcpt)
        self.assertEqual(rcpt[0], f"smtpd: refused RCPT from {OUTSIDE}: 553 5.7.1 sorry, that "
                         "domain isn't in my list of allowed rcpthosts; from=<sender@example.org> "
                         "to=<someone@elsewhere.example> helo=<client.example>")
        # Client text is logged without control characters.
        self.assertRegex(rcpt[1], rf"^smtpd: refused RCPT from {OUTSIDE}: 501 5\.1\.3 [ -~]*; "
                         r"from=<sender@example\.org> to=<some\?one@elsewhere\.example> "
                         r"helo=<client\.example>$")

    def test_relay_allowed_with_relayclient_from_rules(self):
        s = self.smtp(source="127.0.0.1")
        s.ehlo("client.example")
        self.assertEqual(s.mail("sender@example.org")[0], 250)
        self.assertEqual(s.rcpt("someone@elsewhere.example"), (250, b"2.1.5 ok"))
        s.rset()

    def test_unknown_virtual_user_refused_at_rcpt(self):
        for args in (("domain", "add", "virt.example"),
                     ("user", "add", "joe@virt.example", "--password-stdin")):
            proc = support.run(self.ms.root, "mailctl", *args, input="secret-Pass-1\n")
            self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        s = self.smtp()
        s.ehlo("client.example")
        self.assertEqual(s.mail("sender@example.org")[0], 250)
        self.assertEqual(s.rcpt("Joe@virt.example"), (250, b"2.1.5 ok"))
        self.assertEqual(s.rcpt("postmaster@virt.example")[0], 250)
        code, text = s.rcpt("nobody@virt.example")
        self.assertEqual((code, text[:6]), (550, b"5.1.1 "))
        self.assertEqual(s.rcpt(self.rcpt)[0], 250)  # a locals domain: no table check
        s.rset()

    def test_badmailfrom(self):
        s = self.smtp()
        s.ehlo("client.example")
        for sender in ("anyone@junk.example", "Spammer@Example.COM"):
            self.assertEqual(s.mail(sender)[0], 250)
            code, text = s.rcpt(self.rcpt)
            self.assertEqual((code, text[:6]), (553, b"5.7.1 "), sender)
            s.rset()

    def test_size_over_limit(self):
        before = self.ms.new_files()
        s = self.smtp()
        s.ehlo("client.example")
        code, text = s.mail("sender@example.org", [f"SIZE={DATABYTES + 1}"])
        self.assertEqual((code, text[:6]), (552, b"5.3.4 "))
        self.assertEqual(s.mail("sender@example.org", [f"SIZE={DATABYTES}"])[0], 250)
        self.assertEqual(s.rcpt(self.rcpt)[0], 250)
        code, text = s.data("x" * 100 + "\r\n" + ("y" * 998 + "\r\n") * (DATABYTES // 999 + 1))
        self.assertEqual((code, text[:6]), (552, b"5.3.4 "))
        self.assertEqual(s.noop()[0], 250)
        s.quit()
        time.sleep(1)
        self.assertEqual(set(self.ms.new_files()), set(before))

    def test_bdat_arrives_intact(self):
        before = self.ms.new_files()
        d = greet(self.ms.port)
        self.assertTrue(d.command("MAIL FROM:<sender@example.org> BODY=8BITMIME")
                        .startswith("250 2.1.0"))
        self.assertTrue(d.command(f"RCPT TO:<{self.rcpt}>").startswith("250 2.1.5"))
        chunks = [b"Subject: chunks\r\n\r\n", b"8-bit \xc3\xa9\xff\x01 bytes\r", b"\n.\r\n..\r\n",
                  b"line split", b" across chunks\r\n", b"no final line end"]
        for i, chunk in enumerate(chunks):
            last = " LAST" if i == len(chunks) - 1 else ""
            d.send(f"BDAT {len(chunk)}{last}\r\n".encode() + chunk)
        replies = [d.reply()[-1] for _ in chunks]
        self.assertEqual(replies[:-1], [f"250 2.0.0 {len(c)} octets received" for c in chunks[:-1]])
        self.assertRegex(replies[-1], r"^250 2\.0\.0 ok \d+ qp \d+$")
        self.assertTrue(d.command("QUIT").startswith("221"))
        [path] = self.delivered(before)
        body = self.read(path).split(b"\n\n", 1)[1]
        self.assertEqual(body, b"8-bit \xc3\xa9\xff\x01 bytes\n.\n..\nline split across chunks\n"
                         b"no final line end\n")

    def test_smtputf8_address_delivered(self):
        before = self.ms.new_files()
        s = self.smtp()
        s.ehlo("client.example")
        sender = "jörg@exämple.org"
        msg = "Subject: utf8\r\n\r\nGrüße\r\n".encode()
        refused = s.sendmail(sender, [self.rcpt], msg, mail_options=["SMTPUTF8", "BODY=8BITMIME"])
        self.assertEqual(refused, {})
        code, _ = s.mail(sender)  # without SMTPUTF8
        self.assertEqual(code, 553)
        s.quit()
        [path] = self.delivered(before)
        text = self.read(path).decode()
        self.assertTrue(text.startswith(f"Return-Path: <{sender}>\n"), text)
        self.assertIn(f"  by {HOST} with UTF8SMTP; ", text)
        self.assertIn("Grüße\n", text)

    def test_data_smuggling_is_one_refused_message(self):
        before = self.ms.new_files()
        d = greet(self.ms.port)
        d.command("MAIL FROM:<sender@example.org>")
        d.command(f"RCPT TO:<{self.rcpt}>")
        self.assertTrue(d.command("DATA").startswith("354 "))
        d.send(f"Subject: one\r\n\r\nbody\r\n.\nMAIL FROM:<evil@example.org>\r\n"
               f"RCPT TO:<{self.rcpt}>\r\nDATA\r\nSubject: smuggled\r\n\r\nx\r\n.\r\nNOOP\r\n")
        self.assertTrue(d.reply()[-1].startswith("550 5.6.0 "))
        self.assertEqual(d.reply(), ["250 2.0.0 ok"])
        d.close()
        time.sleep(1)
        self.assertEqual(set(self.ms.new_files()), set(before))

    # --- TLS ---------------------------------------------------------------------------

    def s_client(self, *args, input=b"EHLO c.example\r\nQUIT\r\n"):
        return subprocess.run(["openssl", "s_client", "-starttls", "smtp", "-connect",
                               f"127.0.0.1:{self.ms.port}", "-ign_eof", *args],
                              input=input, capture_output=True, timeout=WAIT)

    def test_starttls_tls13_and_old_versions_refused(self):
        proc = self.s_client("-tls1_3")
        out = proc.stdout.decode()
        self.assertEqual(proc.returncode, 0, out + proc.stderr.decode())
        self.assertRegex(out, r"New, TLSv1\.3, Cipher is TLS_")
        self.assertIn("250-PIPELINING", out)
        self.assertNotIn("STARTTLS", out.split("250-PIPELINING", 1)[1])  # not offered twice
        self.assertIn("221 2.0.0", out)
        proc = self.s_client("-tls1_2")
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        self.assertIn("New, TLSv1.2, Cipher is ", proc.stdout.decode())
        for old in ("-tls1_1", "-tls1"):
            proc = self.s_client(old, "-cipher", "DEFAULT@SECLEVEL=0")
            self.assertNotEqual(proc.returncode, 0, old)
            self.assertIn(b"alert protocol version", proc.stderr, old)

    def test_swaks_tls_delivers(self):
        before = self.ms.new_files()
        proc = subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(self.ms.port),
                               "--local-interface", OUTSIDE, "--helo", "swaks.example",
                               "--from", "sender@example.org", "--to", self.rcpt, "--tls",
                               "--header", "Subject: over tls"],
                              capture_output=True, text=True, timeout=WAIT)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        [path] = self.delivered(before)
        text = self.read(path).decode()
        self.assertRegex(text, r"Received: from unknown \(HELO swaks\.example\) \(127\.0\.0\.3\)\n"
                         rf"  by {re.escape(HOST)} with ESMTPS \(TLSv1\.3 TLS_[A-Z0-9_]+\); {DATE}\n")

    def test_plaintext_after_starttls_is_discarded(self):
        d = greet(self.ms.port)
        d.send("STARTTLS\r\nNOOP\r\n")
        self.assertEqual(d.reply(), ["220 2.0.0 ready to start TLS"])
        d.start_tls()
        # The first reply over TLS is for EHLO: the NOOP sent in plaintext was dropped.
        ehlo = d.command("EHLO again.example")
        self.assertTrue(ehlo.startswith("250 CHUNKING"), ehlo)
        self.assertEqual(d.command("NOOP"), "250 2.0.0 ok")
        self.assertEqual(d.command("STARTTLS"), "502 5.5.1 STARTTLS not available")
        self.assertTrue(d.command("QUIT").startswith("221 "))

    # --- limits and load ---------------------------------------------------------------

    def test_idle_timeout(self):
        self.ms.control("timeoutsmtpd", "1\n")
        d = greet(self.ms.port)
        start = time.monotonic()
        self.assertEqual(d.reply(), [f"421 4.4.2 {HOST} timeout, closing connection"])
        self.assertTrue(d.at_end())
        self.assertLess(time.monotonic() - start, 5)

    def test_smtp_source_2000_all_delivered(self):
        before = self.ms.new_files()
        proc = subprocess.run(["smtp-source", "-s", "20", "-m", "2000", "-l", "1024",
                               "-f", "sender@example.org", "-t", self.rcpt,
                               f"127.0.0.1:{self.ms.port}"],
                              capture_output=True, text=True, timeout=120)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        files = self.ms.wait_new(before, 2000, timeout=120)
        self.assertEqual(len(files), 2000)
        self.assertEqual(self.ms.wait_queue_empty(), [])
        self.assertEqual([s for s in self.ms.smtpd_exit_statuses() if s != 0], [])

    # --- sendmail -bs --------------------------------------------------------------------

    def test_sendmail_bs_session_as_local_user(self):
        before = self.ms.new_files()
        session = (f"EHLO local.example\r\nMAIL FROM:<{USER}@{HOST}>\r\n"
                   "RCPT TO:<someone@elsewhere.example>\r\nRSET\r\n"
                   f"MAIL FROM:<{USER}@{HOST}>\r\nRCPT TO:<{self.rcpt}>\r\nDATA\r\n"
                   "Subject: bs\r\n\r\nvia sendmail -bs\r\n.\r\nQUIT\r\n")
        env = self.ms.env()
        env["TCPREMOTEIP"] = "192.0.2.9"  # must not reach smtpd
        proc = subprocess.run(run_as(self.ms.uid, self.ms.gid,
                                     [os.path.join(self.ms.root, "bin", "sendmail"), "-bs"]),
                              input=session.encode(), capture_output=True, env=env, timeout=WAIT)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        replies = proc.stdout.decode().split("\r\n")
        self.assertNotIn("250-STARTTLS", replies)
        codes = [r[:4] for r in replies if r and r[3] == " "]
        self.assertEqual(codes, ["220 ", "250 ", "250 ", "250 ", "250 ", "250 ", "250 ", "354 ",
                                 "250 ", "221 "])
        [path] = self.delivered(before)
        text = self.read(path).decode()
        self.assertRegex(text, rf"Received: \(mail-suite \d+ invoked by uid {self.ms.uid}\); "
                         rf"{DATE}\nReceived: from localhost \(HELO local\.example\) "
                         rf"\(uid {self.ms.uid}\)\n  by {re.escape(HOST)} with ESMTP; {DATE}\n")


if __name__ == "__main__":
    unittest.main()
