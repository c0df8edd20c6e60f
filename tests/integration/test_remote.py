"""remote and rspawn (issue 6): ROOT/bin/remote run directly against a scriptable SMTP
sink on 127.0.0.x (routes in control/smtproutes), and the whole path inject -> send ->
rspawn -> remote -> sink with ROOT/bin/start.

The sink (remote_sink.py) records every session: commands, MAIL/RCPT arguments, the DATA
bytes with dot-stuffing undone. remote's report records are compared exactly where qmail
fixes them. DNS is in test_remote_dns.py.
"""
import email
import email.policy
import os
import re
import signal
import socket
import struct
import subprocess
import time
import unittest

import support
from remote_sink import Sink, run_remote, san_env, write_control

HOST = "here.example"
WAIT = 20


def queued_messages(root):
    mess = os.path.join(root, "queue", "mess")
    return sorted(name for d in os.listdir(mess) for name in os.listdir(os.path.join(mess, d)))


def wait_for(predicate, what, timeout=WAIT):
    return support.wait_until(predicate, what, timeout)


class RemoteBase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        assert os.geteuid() == 0, "the integration suite runs as root"
        cls.base, cls.root = support.new_root("ms-remote-")
        cls.addClassCleanup(support.remove, cls.base)
        support.install_configured(cls.root, HOST)
        cls.san_dir = support.make_san_dir(cls.base)

    def setUp(self):
        self.sinks = []
        for name in ("smtproutes", "timeoutremote", "timeoutconnect", "tlsdestinations"):
            write_control(self.root, name, None)

    def tearDown(self):
        for s in self.sinks:
            s.stop()
        support.assert_no_sanitizer_reports(self, self.san_dir)

    def sink(self, host="127.0.0.2"):
        s = Sink(host).start()
        self.sinks.append(s)
        return s

    def route(self, *lines):
        write_control(self.root, "smtproutes", "".join(line + "\n" for line in lines))

    def remote(self, recipients, message=b"Subject: t\n\nbody\n", sender="s@here.example",
               host="x.example"):
        code, records = run_remote(self.root, host, sender, recipients, message,
                                   san_env(self.san_dir))
        self.assertEqual(code, 0)
        return records


class RemoteDirectTest(RemoteBase):
    """remote on its own: every SMTP outcome becomes the right records."""

    def test_accepted_with_esmtp_parameters_and_identical_bytes(self):
        s = self.sink()
        self.route(f"x.example:[127.0.0.2]:{s.port}")
        message = b"Subject: caf\xc3\xa9\n\n.starts with a dot\n..two\nbody \xff\n"
        records = self.remote(["a@x.example", "b@x.example"], message)
        self.assertEqual(records[:2], ["r", "r"])
        self.assertRegex(records[2], r"^K127\.0\.0\.2 accepted message\.\n"
                         r"Remote host said: 250 2\.0\.0 queued as 1\nTLS: none\.\n$")
        self.assertEqual(len(s.sessions), 1)
        session = s.sessions[0]
        self.assertEqual(session.helo, HOST)
        self.assertEqual(session.mail, f"<s@here.example> SIZE={len(message) + 5} BODY=8BITMIME")
        self.assertEqual(session.rcpts, ["<a@x.example>", "<b@x.example>"])
        self.assertEqual(session.data.replace(b"\r\n", b"\n"), message)
        self.assertNotIn(b"\n", session.data.replace(b"\r\n", b""))
        # Pipelined: MAIL, both RCPTs and DATA came before any answer was needed.
        self.assertEqual(session.commands[1:5], ["MAIL FROM:<s@here.example> SIZE=%d BODY=8BITMIME"
                                                 % (len(message) + 5), "RCPT TO:<a@x.example>",
                                                 "RCPT TO:<b@x.example>", "DATA"])

    def test_partial_last_line_null_sender_and_quoted_local_part(self):
        s = self.sink()
        s.ehlo = []  # no PIPELINING, SIZE or 8BITMIME: no parameters, one command at a time
        self.route(f"x.example:[127.0.0.2]:{s.port}")
        records = self.remote(["john doe@x.example"], b"Subject: t\n\nno newline", sender="")
        self.assertEqual(records[0], "r")
        self.assertTrue(records[1].startswith("K"))
        self.assertEqual(s.sessions[0].mail, "<>")
        self.assertEqual(s.sessions[0].rcpts, ['<"john doe"@x.example>'])
        self.assertEqual(s.sessions[0].data, b"Subject: t\r\n\r\nno newline\r\n")

    def test_helo_when_ehlo_is_refused(self):
        s = self.sink()
        s.ehlo_ok = False
        self.route(f"x.example:[127.0.0.2]:{s.port}")
        records = self.remote(["a@x.example"])
        self.assertEqual(records[0], "r")
        self.assertTrue(records[1].startswith("K"))
        self.assertEqual(s.sessions[0].commands[:2], [f"EHLO {HOST}", f"HELO {HOST}"])
        s.helo_ok = False
        records = self.remote(["a@x.example"])
        self.assertEqual(records, ["ZConnected to 127.0.0.2 but my name was rejected.\n"
                                   "Remote host said: 550 go away\nTLS: none.\n"])

    def test_failed_opportunistic_handshake_retries_in_plaintext(self):
        s = self.sink()
        s.break_tls = True
        self.route(f"x.example:[127.0.0.2]:{s.port}")
        records = self.remote(["a@x.example"])
        self.assertEqual(records[0], "r")
        self.assertTrue(records[1].startswith("K127.0.0.2 accepted message."), records)
        # The note says TLS was offered and failed, not just "none".
        self.assertRegex(records[1], r"\nTLS: none \(STARTTLS failed: TLS handshake failed"
                         r"[^\n]*\)\.\n$")
        self.assertEqual(s.connections, 2)
        self.assertIn("STARTTLS", s.sessions[0].commands)
        self.assertNotIn("STARTTLS", s.sessions[1].commands)
        # Offered but refused (the sink answers 502): on in plaintext, and the note says so.
        s.break_tls = False
        s.ehlo = s.ehlo + ["STARTTLS"]
        records = self.remote(["a@x.example"])
        self.assertTrue(records[1].endswith(
            "\nTLS: none (STARTTLS refused: 502 unknown command).\n"), records)
        self.assertIn("STARTTLS", s.sessions[2].commands)
        s.ehlo = s.ehlo[:-1]
        s.break_tls = True
        # Required TLS never falls back.
        write_control(self.root, "tlsdestinations", "x.example\n")
        records = self.remote(["a@x.example"])
        self.assertEqual(len(records), 1)
        self.assertRegex(records[0], r"^Z.*\(#4\.7\.5\)\nTLS handshake with 127\.0\.0\.2 failed")
        self.assertEqual(s.connections, 4)

    def test_per_recipient_verdicts(self):
        s = self.sink()
        s.rcpt = lambda a: ("550 5.1.1 no such user" if "bad" in a
                            else "451 4.2.2 try later" if "later" in a else "250 ok")
        self.route(f"x.example:[127.0.0.2]:{s.port}")
        records = self.remote(["bad@x.example", "good@x.example", "later@x.example"])
        self.assertEqual(records[0], "h127.0.0.2 does not like recipient.\n"
                         "Remote host said: 550 5.1.1 no such user\n")
        self.assertEqual(records[1], "r")
        self.assertEqual(records[2], "s127.0.0.2 does not like recipient.\n"
                         "Remote host said: 451 4.2.2 try later\n")
        self.assertTrue(records[3].startswith("K127.0.0.2 accepted message."))
        self.assertEqual(s.sessions[0].rcpts, ["<good@x.example>"])
        records = self.remote(["bad@x.example", "later@x.example"])
        self.assertEqual(records[2], "DGiving up on 127.0.0.2.\nTLS: none.\n")
        self.assertIsNone(s.sessions[1].data)

    def test_sender_and_data_rejections(self):
        s = self.sink()
        self.route(f"x.example:[127.0.0.2]:{s.port}")
        s.mail = lambda a: "553 5.7.1 sender refused"
        self.assertEqual(self.remote(["a@x.example"]),
                         ["DConnected to 127.0.0.2 but sender was rejected.\n"
                          "Remote host said: 553 5.7.1 sender refused\nTLS: none.\n"])
        s.mail = lambda a: "421-4.3.0 busy\r\n421 4.3.0 come back later"
        self.assertEqual(self.remote(["a@x.example"]),
                         ["ZConnected to 127.0.0.2 but sender was rejected.\n"
                          "Remote host said: 421-4.3.0 busy\n421 4.3.0 come back later\n"
                          "TLS: none.\n"])
        s.mail = lambda a: "250 ok"
        s.after_dot = "554 5.6.0 content rejected"
        self.assertEqual(self.remote(["a@x.example"]),
                         ["r", "D127.0.0.2 failed after I sent the message.\n"
                          "Remote host said: 554 5.6.0 content rejected\nTLS: none.\n"])
        s.after_dot = "452 4.3.1 out of space"
        self.assertEqual(self.remote(["a@x.example"])[1][0], "Z")
        s.data = "451 4.3.0 not now"
        self.assertEqual(self.remote(["a@x.example"]),
                         ["r", "Z127.0.0.2 failed on DATA command.\n"
                          "Remote host said: 451 4.3.0 not now\nTLS: none.\n"])

    def test_connection_lost_after_the_dot_is_a_possible_duplicate(self):
        s = self.sink()
        self.route(f"x.example:[127.0.0.2]:{s.port}")
        s.after_dot = "drop"
        records = self.remote(["a@x.example"])
        # The peer closed: nothing failed to write, so no "Broken pipe".
        self.assertEqual(records, ["r", "ZConnected to 127.0.0.2 but connection died. "
                                   "Possible duplicate! (#4.4.2)\n(connection closed)\n"
                                   "TLS: none.\n"])
        self.assertIsNotNone(s.sessions[0].data)

    def test_timeouts_defer(self):
        s = self.sink()
        self.route(f"x.example:[127.0.0.2]:{s.port}")
        write_control(self.root, "timeoutremote", "1\n")
        s.after_dot = "hang"
        started = time.monotonic()
        records = self.remote(["a@x.example"])
        self.assertLess(time.monotonic() - started, 10)
        self.assertRegex(records[1], r"^ZConnected to 127\.0\.0\.2 but connection died\. "
                         r"Possible duplicate! \(#4\.4\.2\)\n\(timed out reading")
        # A silent server before the dot: a plain deferral, no duplicate.
        silent = socket.socket()
        silent.bind(("127.0.0.2", 0))
        silent.listen(8)
        self.addCleanup(silent.close)
        self.route(f"x.example:[127.0.0.2]:{silent.getsockname()[1]}")
        records = self.remote(["a@x.example"])
        self.assertRegex(records[0], r"^ZConnected to 127\.0\.0\.2 but connection died\. "
                         r"\(#4\.4\.2\)\n")

    def test_refused_route_defers(self):
        closed = socket.socket()
        closed.bind(("127.0.0.2", 0))
        port = closed.getsockname()[1]
        closed.close()
        self.route(f".x.example:[127.0.0.2]:{port}")
        records = self.remote(["a@sub.x.example"], host="sub.x.example")
        self.assertEqual(records, ["ZSorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n"
                                   f"127.0.0.2: unable to connect: Connection refused\n"])

    def test_smtputf8(self):
        s = self.sink()
        self.route(f"x.example:[127.0.0.2]:{s.port}")
        message = "Subject: Grüße\n\nBjörn\n".encode()
        records = self.remote(["björn@x.example"], message)
        self.assertEqual(records[0], "r")
        self.assertEqual(s.sessions[0].mail,
                         f"<s@here.example> SIZE={len(message) + 3} BODY=8BITMIME SMTPUTF8")
        self.assertEqual(s.sessions[0].rcpts, ["<björn@x.example>"])
        self.assertEqual(s.sessions[0].data.replace(b"\r\n", b"\n"), message)
        s.ehlo = ["PIPELINING", "8BITMIME"]
        records = self.remote(["björn@x.example"], message)
        self.assertEqual(records, ["DThe envelope needs SMTPUTF8, which 127.0.0.2 does not support. "
                                   "(#5.6.7)\nTLS: none.\n"])
        self.assertIsNone(s.sessions[1].mail)

    def test_tcpto_records_timeouts_and_skips_failed_hosts(self):
        tcpto = os.path.join(self.root, "queue", "lock", "tcpto")
        with open(tcpto, "wb") as f:
            f.write(bytes(1024))
        # A listener whose backlog is full: the kernel drops further SYNs, connect times out.
        full = socket.socket()
        full.bind(("127.0.0.3", 0))
        full.listen(0)
        self.addCleanup(full.close)
        port = full.getsockname()[1]
        fillers = []
        for _ in range(3):
            c = socket.socket()
            c.setblocking(False)
            c.connect_ex(("127.0.0.3", port))
            fillers.append(c)
        self.addCleanup(lambda: [c.close() for c in fillers])
        time.sleep(0.2)
        write_control(self.root, "timeoutconnect", "1\n")
        self.route(f"x.example:[127.0.0.3]:{port}")
        records = self.remote(["a@x.example"])
        self.assertIn("127.0.0.3: unable to connect: Connection timed out", records[0])
        with open(tcpto, "rb") as f:
            table = f.read()
        self.assertEqual(table[:4], bytes([127, 0, 0, 3]))
        self.assertEqual(table[16:18], bytes([4, 1]))  # IPv4, one error
        # Two recent errors: the address is skipped without a connection.
        s = self.sink("127.0.0.4")
        record = bytes([127, 0, 0, 4]) + bytes(12) + bytes([4, 2]) + bytes(6) + struct.pack(
            "<q", int(time.time()))
        with open(tcpto, "wb") as f:
            f.write(record + bytes(1024 - len(record)))
        self.route(f"x.example:[127.0.0.4]:{s.port}")
        records = self.remote(["a@x.example"])
        self.assertEqual(records, ["ZSorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n"
                                   "127.0.0.4: skipped, recently unreachable (tcpto)\n"])
        self.assertEqual(s.connections, 0)

    def test_control_problems_and_usage(self):
        proc = subprocess.run([os.path.join(self.root, "bin", "remote"), "x.example", "s@y"],
                              capture_output=True, env=san_env(self.san_dir), stdin=subprocess.DEVNULL)
        self.assertEqual(proc.returncode, 100)
        self.assertIn(b"usage", proc.stderr)
        write_control(self.root, "timeoutremote", "soon\n")
        self.assertEqual(self.remote(["a@x.example"]),
                         ["ZUnable to read control files. (#4.3.0)\n"])
        write_control(self.root, "timeoutremote", None)
        self.route("x.example:[127.0.0.2]:notaport")
        self.assertEqual(self.remote(["a@x.example"]),
                         ["ZUnable to parse control/smtproutes: bad port in smtproutes. (#4.3.0)\n"])


class RemoteEndToEndTest(RemoteBase):
    """inject -> send -> rspawn -> remote -> sink, with ROOT/bin/start running."""

    def setUp(self):
        super().setUp()
        self.log_path = os.path.join(self.root, "log", "send.log")
        os.makedirs(os.path.dirname(self.log_path), exist_ok=True)
        self.s = self.sink()
        self.s.rcpt = lambda a: ("550 5.1.1 <%s> no such user" % a[1:-1] if "bad" in a
                                 else "451 4.2.1 mailbox busy" if "later" in a else "250 ok")
        self.route(f".example.net:[127.0.0.2]:{self.s.port}")
        with open(self.log_path, "ab") as out:
            self.proc = subprocess.Popen([os.path.join(self.root, "bin", "start"), "./Maildir/"],
                                         stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT, env=san_env(self.san_dir),
                                         start_new_session=True)
        self.wait(lambda: "status: local" in self.log(), "send to start")

    def tearDown(self):
        try:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout=WAIT)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
                    self.fail("send did not stop on SIGTERM")
            self.assertEqual(self.proc.returncode, 0)
            left = self.session_pids()
            deadline = time.monotonic() + WAIT
            while left and time.monotonic() < deadline:
                time.sleep(0.05)
                left = self.session_pids()
            for pid in left:
                os.kill(pid, signal.SIGKILL)
            self.assertEqual(left, [], "helpers still running after send stopped")
        finally:
            super().tearDown()

    def wait(self, predicate, what):
        try:
            return wait_for(predicate, what)
        except AssertionError as e:
            raise AssertionError(f"{e}; send's log:\n" + "\n".join(self.log().split("\n")[-30:]))

    def session_pids(self):
        pids = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as f:
                        fields = f.read().rsplit(") ", 1)[1].split()
                except OSError:
                    continue
                if int(fields[3]) == self.proc.pid and fields[0] != "Z":
                    pids.append(int(entry))
        return pids

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("latin-1")

    def inject(self, text, *recipients, sender="snd@back.example.net"):
        proc = subprocess.run([os.path.join(self.root, "bin", "inject"), "-f", sender, "--",
                               *recipients], input=text.encode(), capture_output=True,
                              env=san_env(self.san_dir), timeout=WAIT)
        self.assertEqual(proc.returncode, 0, proc.stderr)

    def sessions_to(self, address):
        return [x for x in self.s.sessions if x.data is not None and f"<{address}>" in x.rcpts]

    def test_delivered_deferred_and_bounced(self):
        before = queued_messages(self.root)
        self.s.rcpt = lambda a: ("550-5.1.1 <%s> no such user\r\n550 5.1.1 Ünïcode" % a[1:-1]
                                 if "bad" in a
                                 else "451 4.2.1 mailbox busy" if "later" in a else "250 ok")
        self.inject("Subject: mixed\n\nhello\n", "good@a.example.net", "bad@a.example.net")
        self.inject("Subject: busy\n\nhello\n", "later@a.example.net")
        self.wait(lambda: self.sessions_to("good@a.example.net"), "the good recipient")
        # The bounce for bad@ goes back to the sender, through the same route.
        self.wait(lambda: self.sessions_to("snd@back.example.net"), "the bounce")
        bounce = self.sessions_to("snd@back.example.net")[0]
        self.assertEqual(bounce.mail.split()[0], "<>")
        self.assertIn(b"<bad@a.example.net> no such user", bounce.data)
        self.assertIn(b"5.1.1", bounce.data)
        self.assertNotIn(b"good@a.example.net>:", bounce.data)
        self.check_dsn(bounce.data)
        log = self.log()
        self.assertRegex(log, r"delivery \d+: success: 127\.0\.0\.2_accepted_message\./"
                         r"Remote_host_said:_250_2\.0\.0_queued_as_1/TLS:_none\./")
        # Refused in a transaction that went on for good@: its text ends with the note too.
        self.assertRegex(log, r"delivery \d+: failure: 127\.0\.0\.2_does_not_like_recipient\./"
                         r"Remote_host_said:_550-5\.1\.1_<bad@a\.example\.net>_no_such_user/"
                         r"550_5\.1\.1_\S+/TLS:_none\./\n")
        self.wait(lambda: "deferral: 127.0.0.2_does_not_like_recipient./Remote_host_said:_451_4.2.1"
                  in self.log(), "the deferral")
        # later@ stays queued for the next attempt; the rest, bounce included, is gone.
        self.wait(lambda: len(set(queued_messages(self.root)) - set(before)) == 1,
                  "only the deferred message left")

    def check_dsn(self, data):
        """The bounce for bad@a.example.net as Python's email reads it (RFC 3464)."""
        msg = email.message_from_bytes(data.replace(b"\r\n", b"\n"), policy=email.policy.default)
        self.assertEqual(msg.get_content_type(), "multipart/report")
        text, status, _ = msg.iter_parts()
        for part in (msg, text, status):
            self.assertEqual(part.defects, [], part.get_content_type())
        # The reply's 8-bit text: declared utf-8, and it decodes as such.
        self.assertEqual(text.get_content_charset(), "utf-8")
        self.assertIn("<bad@a.example.net>:\n127.0.0.2 does not like recipient.\n"
                      "Remote host said: 550-5.1.1 <bad@a.example.net> no such user\n"
                      "550 5.1.1 Ünïcode\nTLS: none.\n", text.get_content())
        blocks = status.get_payload()
        self.assertEqual(len(blocks), 2)
        rcpt = blocks[1]
        self.assertEqual(rcpt["Final-Recipient"], "rfc822; bad@a.example.net")
        self.assertEqual(rcpt["Status"], "5.1.1")
        self.assertEqual(rcpt["Remote-MTA"], "dns; 127.0.0.2")
        self.assertEqual(str(rcpt["Diagnostic-Code"]),
                         "smtp; 550-5.1.1 <bad@a.example.net> no such user 550 5.1.1 ??n??code")

    def transactions_with(self, address):
        """Sessions whose MAIL transaction tried RCPT for address (accepted or not)."""
        return [x for x in self.s.sessions if f"RCPT TO:<{address}>" in x.commands]

    def test_recipients_of_one_domain_share_one_transaction(self):
        """Issue 6: send groups a message's remote recipients by domain (up to 100) into
        one spawn command; rspawn runs one delivery: one SMTP transaction, one RCPT
        each, and each recipient gets its own result."""
        before = queued_messages(self.root)
        ten = [f"u{i}@one.example.net" for i in range(1, 11)]
        self.inject("Subject: ten\n\nhello\n", *ten)
        self.wait(lambda: self.sessions_to("u1@one.example.net"), "the ten recipients")
        sessions = self.transactions_with("u1@one.example.net")
        self.assertEqual(len(sessions), 1)
        self.assertEqual(sessions[0].rcpts, [f"<{r}>" for r in ten])
        self.assertEqual(len([c for c in sessions[0].commands if c.startswith("MAIL")]), 1)
        self.assertEqual(self.log().count(" to remote u"), 10)  # one line per recipient

        # Two domains (one in other case), and a 550 that bounces alone.
        self.inject("Subject: two\n\nhello\n", "a1@two.example.net", "bad@two.example.net",
                    "b1@three.example.net", "a2@two.example.net", "b2@Three.Example.NET")
        self.wait(lambda: self.sessions_to("a1@two.example.net")
                  and self.sessions_to("b1@three.example.net"), "both domains")
        two = self.transactions_with("a1@two.example.net")
        self.assertEqual(len(two), 1)
        self.assertEqual(
            [c for c in two[0].commands if c.startswith("RCPT")],
            ["RCPT TO:<a1@two.example.net>", "RCPT TO:<bad@two.example.net>",
             "RCPT TO:<a2@two.example.net>"])
        self.assertEqual(two[0].rcpts, ["<a1@two.example.net>", "<a2@two.example.net>"])
        three = self.transactions_with("b1@three.example.net")
        self.assertEqual(len(three), 1)
        self.assertEqual(three[0].rcpts, ["<b1@three.example.net>", "<b2@Three.Example.NET>"])
        self.assertIsNot(two[0], three[0])
        self.wait(lambda: self.sessions_to("snd@back.example.net"), "the bounce")
        bounce = self.sessions_to("snd@back.example.net")[0].data
        self.assertIn(b"<bad@two.example.net>", bounce)
        self.assertIn(b"550 5.1.1 <bad@two.example.net> no such user", bounce)
        # Whole addresses: "a2@" alone also matches a Message-ID ending in hex "a2".
        for other in (b"a1@two.", b"a2@two.", b"b1@three.", b"b2@Three."):
            self.assertNotIn(other, bounce)

        # A 451 to one recipient of a group: only that one is tried again.
        self.inject("Subject: four\n\nhello\n", "x1@four.example.net",
                    "later@four.example.net", "x2@four.example.net")
        self.wait(lambda: self.sessions_to("x1@four.example.net"), "the first attempt")
        first = self.transactions_with("later@four.example.net")
        self.assertEqual(len(first), 1)
        self.assertEqual(first[0].rcpts, ["<x1@four.example.net>", "<x2@four.example.net>"])
        # Every delivery of this message has its result (so the message waits in the
        # queue for its retry) before the SIGALRM; an earlier message's 451 would not do.
        msg = self.wait(lambda: re.search(
            r"starting delivery \d+: msg (\d+) to remote later@four", self.log()), "the pass")[1]

        def all_results_in():
            log = self.log()
            log = log[log.rfind(f"new msg {msg}\n"):]  # numbers are inodes: they come again
            started = re.findall(rf"starting delivery (\d+): msg {msg} to remote ", log)
            return len(started) == 3 and all(
                re.search(rf"delivery {d}: (success|deferral|failure): ", log) for d in started)
        self.wait(all_results_in, "the results of the first attempt")
        self.assertRegex(self.log(), r"deferral: 127.0.0.2_does_not_like_recipient./"
                         r"Remote_host_said:_451")
        self.proc.send_signal(signal.SIGALRM)  # every queued message is due now
        self.wait(lambda: len(self.transactions_with("later@four.example.net")) == 2, "the retry")
        retry = self.transactions_with("later@four.example.net")[1]
        self.assertEqual([c for c in retry.commands if c.startswith("RCPT")],
                         ["RCPT TO:<later@four.example.net>"])
        self.assertEqual(len(self.transactions_with("x1@four.example.net")), 1)
        # Everything but the deferred message has left the queue.
        self.wait(lambda: len(set(queued_messages(self.root)) - set(before)) == 1,
                  "only the deferred message left")

    def queue(self, message, sender, *recipients):
        """ROOT/bin/queue with message on fd 0 and the envelope on fd 1, as qmail-queue."""
        envelope = b"F" + sender.encode() + b"\0" + b"".join(
            b"T" + r.encode() + b"\0" for r in recipients) + b"\0"
        r, w = os.pipe()
        os.write(w, envelope)
        os.close(w)
        try:
            proc = subprocess.run([os.path.join(self.root, "bin", "queue")], input=message,
                                  stdout=r, stderr=subprocess.PIPE, env=san_env(self.san_dir),
                                  timeout=WAIT)
        finally:
            os.close(r)
        self.assertEqual(proc.returncode, 0, proc.stderr)

    def test_eight_bit_and_smtputf8_messages_arrive_byte_identical(self):
        cases = [
            ("good8@a.example.net", "snd@back.example.net",
             "Subject: 8bit\n\nZeile mit Umlauten: äöü\n.dot\n..two\nend\n".encode()),
            ("jörg@a.example.net", "smtputf8@back.example.net",
             "From: jörg@a.example.net\nSubject: Grüße\n\nÄ\r\nmixed line ends\n".encode()),
        ]
        before = queued_messages(self.root)
        for rcpt, sender, message in cases:
            self.queue(message, sender, rcpt)
        for rcpt, sender, message in cases:
            self.wait(lambda: self.sessions_to(rcpt), rcpt)
            got = self.sessions_to(rcpt)[0]
            self.assertIn("BODY=8BITMIME", got.mail)
            self.assertEqual("SMTPUTF8" in got.mail, "ö" in rcpt)
            # The queue puts its Received line on top; everything after it is the original.
            self.assertTrue(got.data.startswith(b"Received: "), got.data)
            self.assertTrue(got.data.replace(b"\r\n", b"\n").endswith(
                message.replace(b"\r\n", b"\n")), got.data)
        self.wait(lambda: queued_messages(self.root) == before, "the messages to leave the queue")


if __name__ == "__main__":
    unittest.main()
