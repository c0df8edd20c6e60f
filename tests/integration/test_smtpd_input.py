"""smtpd against bad input (issue 5): a corpus of malformed, out-of-order, oversized and
smuggling sessions, each on its own connection to the installed tcpserver + smtpd, with
the exact reply expected for every step. Afterwards: no smtpd died of anything but a
normal exit, and nothing reached the queue or the Maildir except the one good message
sent at the end as a marker.
"""
import os
import time
import unittest

import support
from smtp_server import HOST, OUTSIDE, WAIT, Dialog, MailSystem, greet

USER = f"mssi{os.getpid() % 100000}"
DATABYTES = 100000
RCPT = f"{USER}@{HOST}"
MAIL = "MAIL FROM:<sender@example.org>\r\n"
TO = f"RCPT TO:<{RCPT}>\r\n"
CLOSED = "CLOSED"


def envelope():
    return [(MAIL, ["250 2.1.0"]), (TO, ["250 2.1.5"])]


def data(body):
    """DATA with body sent as is, after a good envelope."""
    return envelope() + [("DATA\r\n", ["354 "]), (body, None)]


# name: [(bytes to send, [reply prefixes expected in order] or None for no reply yet)].
# Every case starts after the greeting and EHLO; unless it ends with CLOSED, a NOOP must
# still get 250 afterwards (the session stays in step).
CASES = {
    "command line of 2000 bytes": [("NOOP " + "x" * 2000 + "\r\n", ["500 5.5.2"])],
    "MAIL line of 2000 bytes": [("MAIL FROM:<" + "a" * 2000 + "@x.example>\r\n", ["500 5.5.2"])],
    "NUL in a command": [("NO\0OP\r\n", ["500 5.5.2"])],
    "NUL in an address": [("MAIL FROM:<a\0b@x.example>\r\n", ["500 5.5.2"])],
    "unknown verb": [("EXPN staff\r\n", ["502 5.5.1"])],
    "unknown verb TURN": [("TURN\r\n", ["502 5.5.1"])],
    "empty line": [("\r\n", ["502 5.5.1"])],
    "verb with leading space": [(" NOOP\r\n", ["502 5.5.1"])],
    "RCPT before MAIL": [(TO, ["503 5.5.1"])],
    "DATA before MAIL": [("DATA\r\n", ["503 5.5.1"])],
    "DATA before RCPT": [(MAIL, ["250 2.1.0"]), ("DATA\r\n", ["503 5.5.1"])],
    "nested MAIL": [(MAIL, ["250"]), (MAIL, ["503 5.5.1"])],
    "BDAT before MAIL (chunk read and dropped)": [("BDAT 5\r\nNOOP\r", ["503 5.5.1"])],
    "DATA in a BDAT transfer": envelope() + [("BDAT 3\r\nabc", ["250 2.0.0 3 octets"]),
                                              ("DATA\r\n", ["503 5.5.1"]),
                                              (MAIL, ["503 5.5.1"]), ("RSET\r\n", ["250"])],
    "< without > in MAIL": [("MAIL FROM:<a@b.example\r\n", ["501 5.1.7"])],
    "< without > in RCPT": [(MAIL, ["250"]), (f"RCPT TO:<{RCPT}\r\n", ["501 5.1.3"])],
    "> without <": [("MAIL FROM:a@b.example>\r\n", ["501 5.1.7"])],
    "MAIL without colon": [("MAIL FROM a@b.example\r\n", ["501 5.5.4"])],
    "RCPT without TO:": [(MAIL, ["250"]), (f"RCPT <{RCPT}>\r\n", ["501 5.5.4"])],
    "unterminated quote": [('MAIL FROM:<"a@b.example>\r\n', ["501 5.1.7"])],
    "local part of 65 bytes": [("MAIL FROM:<" + "a" * 65 + "@b.example>\r\n", ["501 5.1.7"])],
    "bad domain": [(MAIL, ["250"]), ("RCPT TO:<u@exa mple..org>\r\n", ["501 5.1.3"])],
    "null recipient": [(MAIL, ["250"]), ("RCPT TO:<>\r\n", ["501 5.1.3"])],
    "unknown MAIL parameter": [("MAIL FROM:<a@b.example> RET=FULL\r\n", ["555 5.5.4"])],
    "unknown RCPT parameter": [(MAIL, ["250"]), (f"RCPT TO:<{RCPT}> NOTIFY=NEVER\r\n",
                                                 ["555 5.5.4"])],
    "SMTPUTF8 with a value": [("MAIL FROM:<a@b.example> SMTPUTF8=yes\r\n", ["555 5.5.4"])],
    "bad SIZE": [("MAIL FROM:<a@b.example> SIZE=12k\r\n", ["501 5.5.4"])],
    "BODY=BINARYMIME": [("MAIL FROM:<a@b.example> BODY=BINARYMIME\r\n", ["501 5.5.4"])],
    "SIZE over databytes": [(f"MAIL FROM:<a@b.example> SIZE={DATABYTES + 1}\r\n",
                             ["552 5.3.4"])],
    "UTF-8 sender without SMTPUTF8": [("MAIL FROM:<jörg@b.example>\r\n", ["553 5.6.7"])],
    "UTF-8 recipient without SMTPUTF8": [(MAIL, ["250"]), ("RCPT TO:<jörg@b.example>\r\n",
                                                           ["553 5.6.7"])],
    "relay attempt": [(MAIL, ["250"]), ("RCPT TO:<u@elsewhere.example>\r\n", ["553 5.7.1"])],
    "relay to a foreign address literal": [(MAIL, ["250"]),
                                           ("RCPT TO:<u@[192.0.2.1]>\r\n", ["553 5.7.1"])],
    "relay through a source route": [(MAIL, ["250"]),
                                     (f"RCPT TO:<@{HOST}:u@elsewhere.example>\r\n",
                                      ["553 5.7.1"])],
    "1001 recipients": [(MAIL, ["250"]), (TO * 1001, ["250 2.1.5"] * 1000 + ["452 4.5.3"]),
                        ("RSET\r\n", ["250"])],
    "bare LF in DATA": data("Subject: x\r\n\r\nline\nmore\r\n.\r\n") + [(b"", ["550 5.6.0"])],
    "bare CR in DATA": data("Subject: x\r\n\r\nline\rmore\r\n.\r\n") + [(b"", ["550 5.6.0"])],
    "LF.LF does not end DATA": data("Subject: x\r\n\r\nbody\n.\n") + [
        ("NOOP\r\n", None), ("\r\n.\r\n", ["550 5.6.0"])],
    "smuggling with LF.CRLF": data(f"Subject: x\r\n\r\nbody\n.\r\n{MAIL}{TO}DATA\r\n"
                                   "Subject: smuggled\r\n\r\nx\r\n.\r\n") + [(b"", ["550 5.6.0"])],
    "smuggling with CR.CR": data(f"Subject: x\r\n\r\nbody\r.\r{MAIL}{TO}DATA\r\n"
                                 "Subject: smuggled\r\n\r\nx\r\n.\r\n") + [(b"", ["550 5.6.0"])],
    "smuggling with CRLF.LF": data(f"Subject: x\r\n\r\nbody\r\n.\n{MAIL}{TO}DATA\r\n"
                                   "Subject: smuggled\r\n\r\nx\r\n.\r\n") + [(b"", ["550 5.6.0"])],
    "message over databytes": data("Subject: x\r\n\r\n" + ("y" * 99 + "\r\n") * 1001
                                    + ".\r\n") + [(b"", ["552 5.3.4"])],
    "line of 70000 bytes": data("Subject: x\r\n\r\n" + "z" * 70000 + "\r\n.\r\n")
    + [(b"", ["550 5.6.0"])],
    "100 Received lines (loop)": data("Received: from x\r\n" * 100 + "\r\nbody\r\n.\r\n")
    + [(b"", ["554 5.4.6"])],
    "BDAT with a bare LF": envelope() + [("BDAT 13 LAST\r\nSubject: x\n\r\n", ["550 5.6.0"])],
    "BDAT ending in a bare CR": envelope() + [("BDAT 3 LAST\r\nab\r", ["550 5.6.0"])],
    "BDAT size of 20 digits": envelope() + [("BDAT 99999999999999999999\r\n", ["552 5.3.4"]),
                                            (b"", [CLOSED])],
    "BDAT size over twice databytes": envelope() + [("BDAT 1000000000 LAST\r\n",
                                                     ["552 5.3.4"]), (b"", [CLOSED])],
    "BDAT without a size": envelope() + [("BDAT LAST\r\n", ["501 5.5.4"]), (b"", [CLOSED])],
    "BDAT chunks over databytes": envelope() + [
        (f"BDAT {DATABYTES}\r\n" + ("a" * 98 + "\r\n") * 1000, ["250 2.0.0"]),
        ("BDAT 2000 LAST\r\n" + ("b" * 98 + "\r\n") * 20, ["552 5.3.4"])],
    "HELO without a name": [("HELO\r\n", ["501 5.5.4"])],
    "EHLO without a name": [("EHLO\r\n", ["501 5.5.4"])],
    "DATA with an argument": envelope() + [("DATA now\r\n", ["501 5.5.4"])],
    "STARTTLS with an argument": [("STARTTLS now\r\n", ["501 5.5.4"])],
    "commands pipelined after QUIT": [("QUIT\r\nNOOP\r\nNOOP\r\n", ["221 2.0.0"]),
                                      (b"", [CLOSED])],
    "too many errors": [("FOO\r\n" * 20, ["502 5.5.1"] * 20 + ["421 4.7.0"]),
                        (b"", [CLOSED])],
}


class SmtpdInputTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        assert os.geteuid() == 0, "the integration suite runs as root (as CI does)"
        cls.ms = MailSystem("ms-smtpd-input-", USER)
        cls.addClassCleanup(cls.ms.teardown)
        cls.ms.setup()
        cls.ms.control("databytes", f"{DATABYTES}\n")

    def tearDown(self):
        self.ms.control("timeoutsmtpd", None)
        support.assert_no_sanitizer_reports(self, self.ms.san_dir)

    def play(self, name, steps):
        d = greet(self.ms.port)
        try:
            closed = False
            for send, expected in steps:
                if send:
                    d.send(send)
                for want in expected or []:
                    if want == CLOSED:
                        self.assertTrue(d.at_end(), f"{name}: connection still open")
                        closed = True
                        continue
                    got = d.reply()
                    self.assertTrue(got and got[-1].startswith(want),
                                    f"{name}: sent {send[:60]!r}, want {want!r}, got {got!r}")
            if not closed:
                self.assertEqual(d.command("NOOP"), "250 2.0.0 ok", f"{name}: out of step")
        finally:
            d.close()

    def test_corpus(self):
        self.assertGreaterEqual(len(CASES), 40)
        before = self.ms.new_files()
        earlier = len(self.ms.smtpd_exit_statuses())  # other tests' sessions
        for name, steps in CASES.items():
            with self.subTest(case=name):
                self.play(name, steps)
        # A good message as a marker: once it is delivered, anything queued before it
        # would have been delivered too.
        d = greet(self.ms.port)
        for line in (MAIL, TO):
            self.assertTrue(d.command(line.rstrip()).startswith("250"))
        self.assertTrue(d.command("DATA").startswith("354"))
        self.assertRegex(d.command("Subject: marker\r\n\r\nok\r\n."), r"^250 2\.0\.0 ok ")
        d.close()
        files = self.ms.wait_new(before)
        time.sleep(1)
        files = self.ms.wait_new(before)
        self.assertEqual(len(files), 1, files)
        with open(files[0], "rb") as f:
            self.assertIn(b"Subject: marker\n\nok\n", f.read())
        self.assertEqual(self.ms.wait_queue_empty(), [])
        self.assertEqual([s for s in self.ms.smtpd_exit_statuses()[earlier:] if s != 0], [])

    def test_client_that_stops_talking(self):
        self.ms.control("timeoutsmtpd", "1\n")
        before = self.ms.new_files()
        for steps in ([], [(MAIL, ["250"])], data("Subject: half\r\n\r\nno end"),
                      envelope() + [("BDAT 100\r\nonly part of it", None)]):
            d = greet(self.ms.port)
            for send, expected in steps:
                d.send(send)
                for want in expected or []:
                    self.assertTrue(d.reply()[-1].startswith(want))
            start = time.monotonic()
            self.assertTrue(d.reply()[-1].startswith("421 4.4.2 "))
            self.assertTrue(d.at_end())
            self.assertLess(time.monotonic() - start, 5)
            d.close()
        time.sleep(1)
        self.assertEqual(set(self.ms.new_files()), set(before))

    def test_client_that_leaves_in_the_middle(self):
        # A message cut off is lost: smtpd logs it and exits 111 (tcpserver: status 28416);
        # a client leaving between transactions is a normal end, exit 0.
        before = self.ms.new_files()
        statuses = len(self.ms.smtpd_exit_statuses())
        sessions = [(data("Subject: half\r\n\r\nno end\r\n"), "DATA", 28416),
                    (envelope() + [("BDAT 100\r\nonly part", None)], "BDAT", 28416),
                    (envelope() + [("BDAT 3\r\nabc", ["250 2.0.0"])], "BDAT", 28416),
                    (envelope(), None, 0)]
        for steps, _, _ in sessions:
            d = greet(self.ms.port)
            for send, expected in steps:
                d.send(send)
                for want in expected or []:
                    self.assertTrue(d.reply()[-1].startswith(want))
            d.close()
            deadline = time.monotonic() + WAIT
            while len(self.ms.smtpd_exit_statuses()) == statuses and time.monotonic() < deadline:
                time.sleep(0.05)
            statuses += 1
        self.assertEqual(self.ms.smtpd_exit_statuses()[-4:], [s for _, _, s in sessions])
        with open(self.ms.server_log, "rb") as f:
            lost = [l for l in f.read().decode("latin-1").splitlines() if "end of input" in l]
        self.assertEqual(lost[-3:], [f"smtpd: end of input inside {verb} from {OUTSIDE}; "
                                     "the message was not accepted"
                                     for _, verb, _ in sessions[:3]])
        time.sleep(1)
        self.assertEqual(set(self.ms.new_files()), set(before))
        self.assertEqual(self.ms.wait_queue_empty(), [])


if __name__ == "__main__":
    unittest.main()
