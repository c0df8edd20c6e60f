"""imapd, the IMAP server's mailbox engine (issue 9), driven as installed.

ROOT/bin/imapd runs exactly as a login front end starts it after a good login: as the
mailbox owner (a system account made for this file), in the owner's home, with
`imapd Maildir` and the connection on fd 0/1 (here one end of a socketpair). It greets
with "* PREAUTH", so Python's imaplib talks to it unchanged. Messages arrive through the
installed `local` run as the same account, so the files are what real deliveries make.
Structures and parts are checked against Python's email parser of the same files.

Sanitizer build: reports go to files in a directory checked to be empty after each test.
"""
import ctypes
import email
import email.policy
import imaplib
import os
import random
import re
import select
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time
import unittest
from multiprocessing.pool import ThreadPool

import support

USER = f"mstimap{os.getpid() % 100000}"
HOST = "imap.example"

MULTIPART = (b"From: \"Alice Example\" <alice@a.example>\n"
             b"To: bob@b.example, Carol <carol@c.example>\n"
             b"Cc: team: dan@d.example, eve@e.example;\n"
             b"Subject: quarterly report\n"
             b"Date: Fri, 20 Nov 2026 09:30:00 +0100\n"
             b"Message-ID: <report-1@a.example>\n"
             b"MIME-Version: 1.0\n"
             b"Content-Type: multipart/mixed; boundary=\"=-outer\"\n"
             b"\n"
             b"This is a multi-part message.\n"
             b"--=-outer\n"
             b"Content-Type: multipart/alternative; boundary=inner\n"
             b"\n"
             b"--inner\n"
             b"Content-Type: text/plain; charset=utf-8\n"
             b"Content-Transfer-Encoding: quoted-printable\n"
             b"\n"
             b"Numbers are up =E2=82=AC.\n"
             b"Second line.\n"
             b"--inner\n"
             b"Content-Type: text/html; charset=utf-8\n"
             b"\n"
             b"<p>Numbers are up.</p>\n"
             b"--inner--\n"
             b"--=-outer\n"
             b"Content-Type: application/pdf; name=\"report.pdf\"\n"
             b"Content-Disposition: attachment; filename=\"report.pdf\"\n"
             b"Content-Transfer-Encoding: base64\n"
             b"\n"
             b"JVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFI+PgpzdHJlYW0K\n"
             b"--=-outer\n"
             b"Content-Type: message/rfc822\n"
             b"\n"
             b"From: old@o.example\n"
             b"Subject: forwarded\n"
             b"\n"
             b"the forwarded text\n"
             b"--=-outer--\n")


def plain(subject, body="hello\n", sender="x@y.example"):
    return (f"From: {sender}\nTo: {USER}@{HOST}\nSubject: {subject}\n"
            f"Date: Sat, 21 Nov 2026 12:00:00 +0000\n\n{body}").encode()


def crlf(data):
    return re.sub(rb"(?<!\r)\n", b"\r\n", data)


def parse_sexp(data):
    """An IMAP parenthesized list (quoted strings, NIL, numbers, atoms) -> nested lists."""
    pos = 0

    def value():
        nonlocal pos
        while data[pos:pos + 1] == b" ":
            pos += 1
        c = data[pos:pos + 1]
        if c == b"(":
            pos += 1
            items = []
            while True:
                while data[pos:pos + 1] == b" ":
                    pos += 1
                if data[pos:pos + 1] == b")":
                    pos += 1
                    return items
                items.append(value())
        if c == b'"':
            pos += 1
            out = b""
            while data[pos:pos + 1] != b'"':
                if data[pos:pos + 1] == b"\\":
                    pos += 1
                out += data[pos:pos + 1]
                pos += 1
            pos += 1
            return out.decode()
        m = re.compile(rb"[^ ()]+").match(data, pos)
        pos = m.end()
        word = m.group().decode()
        return None if word == "NIL" else int(word) if word.isdigit() else word

    return value()



def write_mbsyncrc(near, tunnel):
    """An mbsync configuration syncing INBOX between the imapd of tunnel and the Maildir
    folder near; returns its path."""
    rc = os.path.join(near, "mbsyncrc")
    with open(rc, "w") as f:
        f.write(f'FSync no\n\nIMAPAccount acc\nTunnel "{tunnel}"\n\n'
                f"IMAPStore far\nAccount acc\n\n"
                f"MaildirStore near\nPath {near}/\nInbox {near}/INBOX\n\n"
                f"Channel ch\nFar :far:\nNear :near:\nPatterns INBOX\nCreate Both\n"
                f"SyncState *\nSync All\nExpunge Both\n")
    return rc

class PreauthIMAP(imaplib.IMAP4):
    """imaplib over a socketpair to ROOT/bin/imapd running as the test user."""

    def __init__(self, test, args=("Maildir",)):
        self.test = test
        self.args = args
        super().__init__()

    def open(self, host=None, port=None, timeout=None):
        ours, theirs = socket.socketpair()
        self.proc = subprocess.Popen(self.test.command(*self.args), stdin=theirs, stdout=theirs,
                                     stderr=subprocess.PIPE, cwd=self.test.home,
                                     env=self.test.env())
        theirs.close()
        self.sock = ours
        self.sock.settimeout(20)
        self.file = self.sock.makefile("rb")

    def shutdown(self):
        self.file.close()
        self.sock.close()
        try:
            self.proc.wait(timeout=20)
        finally:
            self.proc.stderr.close()


class Raw:
    """A byte-level client for what imaplib cannot send (bad input, IDLE)."""

    def __init__(self, test):
        self.ours, theirs = socket.socketpair()
        self.proc = subprocess.Popen(test.command("Maildir"), stdin=theirs, stdout=theirs,
                                     stderr=subprocess.PIPE, cwd=test.home, env=test.env())
        theirs.close()
        self.ours.settimeout(20)
        self.file = self.ours.makefile("rb")
        self.greeting = self.file.readline()

    def send(self, data):
        self.ours.sendall(data)

    def line(self):
        return self.file.readline()

    def command(self, tag, data):
        """Sends `tag data` and returns every line up to and including the tagged one."""
        self.send(tag + b" " + data + b"\r\n")
        return self.until(tag)

    def until(self, tag):
        lines = []
        while True:
            line = self.file.readline()
            if not line:
                raise AssertionError(f"connection closed; got {lines!r}")
            lines.append(line)
            if line.startswith(tag + b" "):
                return lines

    def close(self):
        self.file.close()
        self.ours.close()
        try:
            return self.proc.wait(timeout=20)
        finally:
            self.proc.stderr.close()


class ImapdTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.base, cls.root = support.new_root("ms-imapd-")
        proc = support.make_install(cls.root)
        if proc.returncode != 0:
            raise RuntimeError("make install failed: " + proc.stdout + proc.stderr)
        cls.san_dir = os.path.join(cls.base, "san")
        os.mkdir(cls.san_dir)
        os.chmod(cls.san_dir, 0o1777)
        cls.home = os.path.join(cls.base, "home")
        cls.uid, cls.gid = support.add_user(USER, cls.home)

    @classmethod
    def tearDownClass(cls):
        support.remove_user(USER)
        support.remove(cls.base)

    def setUp(self):
        self.maildir = os.path.join(self.home, "Maildir")
        shutil.rmtree(self.maildir, ignore_errors=True)
        for sub in ("", "tmp", "new", "cur"):
            path = os.path.join(self.maildir, sub)
            os.mkdir(path, 0o700)
            os.chown(path, self.uid, self.gid)
        self.clients = []

    def tearDown(self):
        for c in self.clients:
            try:
                c.shutdown() if isinstance(c, PreauthIMAP) else c.close()
            except Exception:
                pass
        support.assert_no_sanitizer_reports(self, self.san_dir)

    # --- helpers ------------------------------------------------------------------------

    def env(self):
        env = {"PATH": "/usr/bin:/bin", "HOME": self.home}
        if support.SAN == "1":
            env["ASAN_OPTIONS"] = f"log_path={self.san_dir}/asan"
            env["UBSAN_OPTIONS"] = f"log_path={self.san_dir}/ubsan:print_stacktrace=1"
        return env

    def command(self, *args):
        return ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--clear-groups", "--",
                os.path.join(self.root, "bin", "imapd"), *args]

    def deliver(self, message):
        """Delivers with ROOT/bin/local as the user (default delivery ./Maildir/)."""
        with tempfile.TemporaryFile() as f:
            f.write(message)
            f.seek(0)
            proc = subprocess.run(
                ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--clear-groups", "--",
                 os.path.join(self.root, "bin", "local"), "--", USER, self.home, USER, "", "",
                 HOST, "sender@s.example", "./Maildir/\n"],
                stdin=f, capture_output=True, env=self.env(), timeout=30)
        self.assertEqual(proc.returncode, 0, proc.stderr)

    def connect(self):
        m = PreauthIMAP(self)
        self.clients.append(m)
        self.assertEqual(m.state, "AUTH")
        return m

    def raw(self):
        r = Raw(self)
        self.clients.append(r)
        self.assertTrue(r.greeting.startswith(b"* PREAUTH "), r.greeting)
        return r

    def files(self, folder=""):
        """{base name: flags} of the messages in a folder."""
        out = {}
        top = os.path.join(self.maildir, folder)
        for sub in ("new", "cur"):
            for name in os.listdir(os.path.join(top, sub)):
                base, _, info = name.partition(":")
                out[base] = info[2:] if info.startswith("2,") else ""
        return out

    def file_bytes(self, base):
        for sub in ("new", "cur"):
            for name in os.listdir(os.path.join(self.maildir, sub)):
                if name.split(":")[0] == base:
                    with open(os.path.join(self.maildir, sub, name), "rb") as f:
                        return f.read()
        raise AssertionError(base)

    # --- tests --------------------------------------------------------------------------

    def test_greeting_capabilities_and_special_use_folders(self):
        m = self.connect()
        for cap in ("IMAP4REV1", "IDLE", "UIDPLUS", "MOVE", "NAMESPACE", "ENABLE", "SPECIAL-USE",
                    "LITERAL+", "UNSELECT", "ID", "CONDSTORE"):
            self.assertIn(cap, m.capabilities)
        typ, data = m.list()
        self.assertEqual(typ, "OK")
        listed = {d.decode() for d in data}
        for name, use in (("Drafts", "\\Drafts"), ("Sent", "\\Sent"), ("Trash", "\\Trash"),
                          ("Junk", "\\Junk"), ("Archive", "\\Archive")):
            self.assertIn(f'(\\HasNoChildren {use}) "." "{name}"', listed)
            self.assertTrue(os.path.isdir(os.path.join(self.maildir, "." + name, "cur")))
        self.assertIn('(\\HasNoChildren) "." "INBOX"', listed)
        typ, data = m.namespace()
        self.assertEqual(data, [b'(("" ".")) NIL NIL'])
        self.assertEqual(m.select("INBOX"), ("OK", [b"0"]))
        self.assertEqual(m.fetch("1:*", "FLAGS"), ("OK", [None]))  # no message, no error
        with self.assertRaises(imaplib.IMAP4.error):
            m.fetch("1", "FLAGS")  # BAD: there is no message 1
        m.logout()
        # Root never serves a mailbox.
        proc = subprocess.run([os.path.join(self.root, "bin", "imapd"), "Maildir"],
                              cwd=self.home, capture_output=True, env=self.env(), timeout=20)
        self.assertEqual(proc.returncode, 1)
        self.assertIn(b"* BYE", proc.stdout)

    def test_fetch_agrees_with_python_email_parser(self):
        self.deliver(MULTIPART)
        self.deliver(plain("second"))
        m = self.connect()
        typ, data = m.select("INBOX")
        self.assertEqual(data, [b"2"])
        base = sorted(self.files(), key=lambda b: b)[0]
        stored = self.file_bytes(base)
        if b"quarterly" not in stored:
            base = sorted(self.files())[1]
            stored = self.file_bytes(base)
        wire = crlf(stored)
        msg = email.message_from_bytes(stored, policy=email.policy.compat32)
        seq = b"1"
        typ, data = m.fetch(seq, "(RFC822.SIZE BODYSTRUCTURE ENVELOPE FLAGS)")
        self.assertEqual(typ, "OK")
        head = data[0] if isinstance(data[0], bytes) else data[0][0]
        self.assertIn(b"RFC822.SIZE %d " % len(wire), head)
        bs = parse_sexp(head[head.index(b"BODYSTRUCTURE ") + 14:])

        leaves = []

        def check(struct, part, number):
            if part.is_multipart() and part.get_content_maintype() == "multipart":
                self.assertIsInstance(struct[0], list)
                count = 0
                while isinstance(struct[count], list):
                    count += 1
                children = struct[:count]
                subtype = struct[count]
                self.assertEqual(subtype.lower(), part.get_content_subtype())
                self.assertEqual(len(children), len(part.get_payload()))
                for i, (s, p) in enumerate(zip(children, part.get_payload()), 1):
                    check(s, p, number + [i])
                return
            self.assertEqual(struct[0].lower(), part.get_content_maintype())
            self.assertEqual(struct[1].lower(), part.get_content_subtype())
            leaves.append((number, part))
            if part.get_content_type() == "message/rfc822":
                inner = part.get_payload()[0]
                self.assertEqual(struct[7][1], inner["Subject"])  # the envelope's subject
                return
            payload = part.get_payload(decode=False).encode("latin-1")
            self.assertEqual(struct[6], len(crlf(payload)), number)
            params = dict(zip(struct[2][::2], struct[2][1::2])) if struct[2] else {}
            for key, value in part.get_params()[1:]:
                self.assertEqual(params.get(key), value)
            cte = part.get("Content-Transfer-Encoding", "7bit")
            self.assertEqual(struct[5].lower(), cte.lower())

        check(bs, msg, [])
        self.assertEqual(len(leaves), 4)
        # Each leaf by part number, whole and in pieces, matches the parser's payload.
        for number, part in leaves:
            spec = ".".join(map(str, number))
            if part.get_content_type() == "message/rfc822":
                typ, data = m.fetch(seq, f"(BODY.PEEK[{spec}.HEADER] BODY.PEEK[{spec}.TEXT])")
                self.assertEqual(data[0][1], crlf(part.get_payload()[0].as_bytes().split(b"\n\n")[0] + b"\n\n"))
                self.assertEqual(data[1][1], crlf(part.get_payload()[0].get_payload().encode()))
                continue
            payload = crlf(part.get_payload(decode=False).encode("latin-1"))
            typ, data = m.fetch(seq, f"(BODY.PEEK[{spec}] BODY.PEEK[{spec}]<3.10> BODY.PEEK[{spec}.MIME])")
            self.assertEqual(typ, "OK")
            self.assertEqual(data[0][1], payload, spec)
            self.assertEqual(data[1][1], payload[3:13], spec)
            mime_header = data[2][1].decode()
            self.assertTrue(mime_header.endswith("\r\n\r\n"))
            for key in part.keys():
                self.assertIn(key, mime_header)
        typ, data = m.fetch(seq, "(BODY.PEEK[] BODY.PEEK[HEADER] BODY.PEEK[TEXT]<0.20> "
                                 "BODY.PEEK[HEADER.FIELDS (Subject cc)] BODY.PEEK[]<100000.5>)")
        self.assertEqual(data[0][1], wire)
        header, _, body = wire.partition(b"\r\n\r\n")
        self.assertEqual(data[1][1], header + b"\r\n\r\n")
        self.assertEqual(data[2][1], body[:20])
        self.assertEqual(data[3][1], b"Cc: team: dan@d.example, eve@e.example;\r\n"
                                     b"Subject: quarterly report\r\n\r\n")
        self.assertEqual(data[4][1], b"")
        # ENVELOPE addresses as the parser sees them, including the group.
        typ, data = m.fetch(seq, "ENVELOPE")
        env = parse_sexp(data[0][data[0].index(b"ENVELOPE ") + 9:])
        self.assertEqual(env[1], msg["Subject"])
        self.assertEqual(env[2], [["Alice Example", None, "alice", "a.example"]])
        self.assertEqual([a[2] + "@" + a[3] for a in env[5]], ["bob@b.example", "carol@c.example"])
        self.assertEqual(env[6], [[None, None, "team", None], [None, None, "dan", "d.example"],
                                  [None, None, "eve", "e.example"], [None, None, None, None]])
        self.assertEqual(env[9], "<report-1@a.example>")
        # Nothing above set \Seen (PEEK); a plain BODY[] does, and the file name shows it.
        self.assertEqual(self.files()[base], "")
        typ, data = m.fetch(seq, "BODY[1.1]")
        self.assertIn(b"\\Seen", data[1])
        self.assertEqual(self.files()[base], "S")

    def test_store_search_expunge_and_flags_on_disk(self):
        for i in range(6):
            self.deliver(plain(f"message {i}", body=f"body number {i}\n",
                               sender="alice@a.example" if i % 2 else "bob@b.example"))
        m = self.connect()
        m.select("INBOX")
        self.assertEqual(m.store("1:2", "+FLAGS", "(\\Seen \\Flagged)")[0], "OK")
        self.assertEqual(m.store("3", "+FLAGS", "($Work)")[0], "OK")
        self.assertEqual(m.store("4", "FLAGS", "(\\Deleted \\Answered)")[0], "OK")
        self.assertEqual(m.store("1", "-FLAGS", "(\\Flagged)")[0], "OK")
        on_disk = sorted(self.files().values())
        self.assertEqual(on_disk, sorted(["S", "FS", "a", "RT", "", ""]))
        with open(os.path.join(self.maildir, "imapd.keywords")) as f:
            self.assertEqual(f.read(), "a $Work\n")

        def search(*criteria):
            typ, data = m.search(None, *criteria)
            self.assertEqual(typ, "OK", criteria)
            return data[0].split()

        self.assertEqual(search("ALL"), [b"1", b"2", b"3", b"4", b"5", b"6"])
        self.assertEqual(search("SEEN"), [b"1", b"2"])
        self.assertEqual(search("UNSEEN", "NOT", "DELETED"), [b"3", b"5", b"6"])
        self.assertEqual(search("FLAGGED"), [b"2"])
        self.assertEqual(search("KEYWORD", "$Work"), [b"3"])
        self.assertEqual(search("UNKEYWORD", "$work"), [b"1", b"2", b"4", b"5", b"6"])
        self.assertEqual(search("FROM", "ALICE"), [b"2", b"4", b"6"])
        self.assertEqual(search("OR", "SUBJECT", '"message 1"', "BODY", '"number 5"'), [b"2", b"6"])
        self.assertEqual(search("TEXT", "bob@b.example"), [b"1", b"3", b"5"])
        self.assertEqual(search("HEADER", "Subject", '"message 3"'), [b"4"])
        self.assertEqual(search("2:3,6"), [b"2", b"3", b"6"])
        self.assertEqual(search("SENTON", "21-Nov-2026"), [b"1", b"2", b"3", b"4", b"5", b"6"])
        self.assertEqual(search("SENTBEFORE", "21-Nov-2026"), [])
        self.assertEqual(search("SINCE", "1-Jan-2000", "LARGER", "10", "SMALLER", "100000"),
                         [b"1", b"2", b"3", b"4", b"5", b"6"])
        self.assertEqual(search("BEFORE", "1-Jan-2000"), [])
        self.assertEqual(search("CHARSET", "UTF-8", "SUBJECT", "message"),
                         [b"1", b"2", b"3", b"4", b"5", b"6"])
        typ, data = m.uid("SEARCH", "UID", "2:4")
        self.assertEqual(data[0].split(), [b"2", b"3", b"4"])
        typ, data = m.search("KOI8-R", "ALL")
        self.assertEqual(typ, "NO")
        self.assertIn(b"[BADCHARSET (UTF-8 US-ASCII)]", data[0])
        # EXPUNGE removes exactly the \Deleted file.
        typ, data = m.expunge()
        self.assertEqual(data, [b"4"])
        self.assertEqual(len(self.files()), 5)
        self.assertNotIn("RT", self.files().values())
        self.assertEqual(search("ALL"), [b"1", b"2", b"3", b"4", b"5"])

    def test_two_sessions_see_each_others_changes(self):
        for i in range(3):
            self.deliver(plain(f"m{i}"))
        a = self.raw()
        b = self.raw()
        self.assertIn(b"* 3 EXISTS\r\n", a.command(b"a1", b"SELECT INBOX"))
        self.assertIn(b"* 3 EXISTS\r\n", b.command(b"b1", b"SELECT INBOX"))
        a.command(b"a2", b"STORE 2 +FLAGS (\\Flagged)")
        lines = b.command(b"b2", b"NOOP")
        self.assertTrue(any(re.match(rb"\* 2 FETCH \(UID 2 FLAGS \(\\Flagged\)\)", l) for l in lines),
                        lines)
        a.command(b"a3", b"STORE 1 +FLAGS (\\Deleted)")
        a.command(b"a4", b"EXPUNGE")
        self.deliver(plain("m3"))
        lines = b.command(b"b3", b"NOOP")
        self.assertIn(b"* 1 EXPUNGE\r\n", lines)
        self.assertIn(b"* 3 EXISTS\r\n", lines)
        # No EXPUNGE during FETCH: b's numbers stay valid until a command that allows it.
        a.command(b"a5", b"STORE 1 +FLAGS (\\Deleted)")
        a.command(b"a6", b"EXPUNGE")
        lines = b.command(b"b4", b"FETCH 1:* (UID)")
        self.assertFalse(any(l.endswith(b" EXPUNGE\r\n") for l in lines), lines)
        self.assertTrue(lines[-1].startswith(b"b4 NO [EXPUNGEISSUED] "), lines)
        lines = b.command(b"b5", b"UID FETCH 1:* (FLAGS)")  # EXPUNGE first, then the rest
        self.assertEqual(lines[0], b"* 1 EXPUNGE\r\n", lines)
        self.assertEqual(len([l for l in lines if b" FETCH (" in l]), 2, lines)
        self.assertEqual(lines[-1], b"b5 OK UID FETCH completed\r\n")

    def test_idle_reports_a_delivery_within_a_second(self):
        self.deliver(plain("first"))
        r = self.raw()
        r.command(b"s", b"SELECT INBOX")
        r.send(b"i IDLE\r\n")
        self.assertEqual(r.line(), b"+ idling\r\n")
        start = time.monotonic()
        self.deliver(plain("second"))
        readable, _, _ = select.select([r.ours], [], [], 5)
        self.assertTrue(readable, "no update within 5 seconds")
        line = r.line()
        elapsed = time.monotonic() - start
        self.assertEqual(line, b"* 2 EXISTS\r\n")
        self.assertLess(elapsed, 1.0)
        r.send(b"DONE\r\n")
        lines = r.until(b"i")
        self.assertEqual(lines[-1], b"i OK IDLE terminated\r\n")
        self.assertEqual(r.command(b"n", b"NOOP")[-1], b"n OK NOOP completed\r\n")

    def test_selected_mailbox_deleted_by_another_session_ends_the_session(self):
        a = self.raw()
        b = self.raw()
        a.command(b"a1", b"CREATE Projects")
        a.command(b"a2", b"SELECT Projects")
        self.assertEqual(b.command(b"b1", b"DELETE Projects")[-1], b"b1 OK DELETE completed\r\n")
        lines = a.command(b"a3", b"NOOP")
        self.assertIn(b"* BYE the selected mailbox was deleted or renamed\r\n", lines)
        self.assertEqual(a.file.read(), b"")
        self.assertEqual(a.close(), 0)
        self.clients.remove(a)

    def test_uids_stay_stable_across_restarts_deliveries_and_other_readers(self):
        for i in range(4):
            self.deliver(plain(f"s{i}"))
        m = self.connect()
        m.select("INBOX")
        typ, data = m.fetch("1:*", "(UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        first = {re.search(rb"UID (\d+)", d[0]).group(1): d[1] for d in data if isinstance(d, tuple)}
        validity = m.response("UIDVALIDITY")[1][0]
        m.logout()
        # A POP3-style reader deletes one message and marks another read by renaming.
        by_subject = {}
        for name in os.listdir(os.path.join(self.maildir, "cur")):
            with open(os.path.join(self.maildir, "cur", name), "rb") as f:
                by_subject[re.search(rb"Subject: (\w+)", f.read()).group(1)] = name
        os.unlink(os.path.join(self.maildir, "cur", by_subject[b"s0"]))
        os.rename(os.path.join(self.maildir, "cur", by_subject[b"s1"]),
                  os.path.join(self.maildir, "cur", by_subject[b"s1"].split(":")[0] + ":2,S"))
        self.deliver(plain("s4"))
        m = self.connect()
        typ, data = m.select("INBOX")
        self.assertEqual(m.response("UIDVALIDITY")[1][0], validity)
        typ, data = m.fetch("1:*", "(UID FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        second = {re.search(rb"UID (\d+)", d[0]).group(1): d[1] for d in data if isinstance(d, tuple)}
        self.assertEqual(sorted(second), [b"2", b"3", b"4", b"5"])
        for uid in (b"2", b"3", b"4"):
            self.assertEqual(second[uid], first[uid])
        self.assertIn(b"s4", second[b"5"])
        self.assertIn(b"\\Seen", [d[0] for d in data if isinstance(d, tuple)][0])

    def test_copy_move_append_with_uidplus(self):
        for i in range(3):
            self.deliver(plain(f"c{i}"))
        m = self.connect()
        m.select("INBOX")
        m.store("1", "+FLAGS", "(\\Flagged $Keep)")
        typ, data = m.copy("1:2", "Archive")
        self.assertEqual(typ, "OK")
        self.assertRegex(data[0], rb"^\[COPYUID \d+ 1:2 1:2\]")
        self.assertEqual(sorted(self.files(".Archive").values()), ["", "Fa"])
        typ, data = m.uid("MOVE", "3", "Trash")
        self.assertEqual(typ, "OK")
        self.assertEqual(len(self.files()), 2)
        self.assertEqual(len(self.files(".Trash")), 1)
        self.assertRegex(m.untagged_responses.get("OK", [b""])[-1], rb"COPYUID \d+ 3 1")
        typ, data = m.copy("1", "Nowhere")
        self.assertEqual(typ, "NO")
        self.assertIn(b"[TRYCREATE]", data[0])
        when = imaplib.Time2Internaldate(time.mktime((2020, 5, 17, 10, 20, 30, 0, 0, -1)))
        typ, data = m.append("Drafts", "(\\Draft \\Seen)", when, b"Subject: draft\r\n\r\ntext\r\n")
        self.assertEqual(typ, "OK")
        self.assertRegex(data[0], rb"^\[APPENDUID \d+ 1\]")
        self.assertEqual(list(self.files(".Drafts").values()), ["DS"])
        with open(os.path.join(self.maildir, ".Drafts", "cur",
                               os.listdir(os.path.join(self.maildir, ".Drafts", "cur"))[0]), "rb") as f:
            self.assertEqual(f.read(), b"Subject: draft\n\ntext\n")
        typ, data = m.select("Drafts", readonly=True)
        typ, data = m.fetch("1", "(INTERNALDATE RFC822.SIZE FLAGS)")
        self.assertIn(b"RFC822.SIZE 24", data[0])
        self.assertEqual(imaplib.Internaldate2tuple(data[0])[:6],
                         time.localtime(time.mktime((2020, 5, 17, 10, 20, 30, 0, 0, -1)))[:6])
        typ, data = m.store("1", "+FLAGS", "\\Deleted")
        self.assertEqual(typ, "NO")  # EXAMINE is read-only
        typ, data = m.append("Nowhere", None, None, b"x\r\n")
        self.assertEqual(typ, "NO")
        self.assertIn(b"[TRYCREATE]", data[0])

    def test_messages_removed_by_another_program_are_not_reported_as_done(self):
        """A message the client still knows but whose file another program removed (POP3
        DELE, another session's EXPUNGE): COPY and MOVE by number copy nothing and answer NO,
        FETCH and STORE answer NO after doing the rest (RFC 2180 4.1.2, 4.2, RFC 5530
        EXPUNGEISSUED); the UID forms send the EXPUNGE first, handle the rest and answer OK;
        a message merely renamed by another program still works."""
        for i in range(4):
            self.deliver(plain(f"v{i}"))
        m = self.connect()
        m.select("INBOX")  # read-write: all four now in cur/
        cur = os.path.join(self.maildir, "cur")
        by_subject = {}
        for name in os.listdir(cur):
            with open(os.path.join(cur, name), "rb") as f:
                by_subject[re.search(rb"Subject: (v\d)", f.read()).group(1)] = name
        # Another program removes v0 and marks v1 read (a rename).
        os.unlink(os.path.join(cur, by_subject[b"v0"]))
        base1 = by_subject[b"v1"].split(":")[0]
        os.rename(os.path.join(cur, by_subject[b"v1"]), os.path.join(cur, base1 + ":2,S"))
        gone = b"[EXPUNGEISSUED] some of the requested messages no longer exist"

        self.assertEqual(m.copy("1", "Archive"), ("NO", [gone + b", nothing was copied"]))
        self.assertEqual(m.copy("1:2", "Archive")[0], "NO")  # all or nothing: not v1 either
        self.assertEqual(self.files(".Archive"), {})
        self.assertEqual(m._simple_command("MOVE", "1:2", "Trash"),
                         ("NO", [gone + b", nothing was moved"]))
        self.assertEqual(self.files(".Trash"), {})
        self.assertEqual(len(self.files()), 3)
        self.assertEqual(m.response("EXPUNGE"), ("EXPUNGE", [b"1"]))  # MOVE may report it
        # Now v1 is 1, v2 is 2 and v3 is 3; v3 goes and the client is not told yet.
        os.unlink(os.path.join(cur, by_subject[b"v3"]))
        typ, data = m.fetch("1:3", "(UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        self.assertEqual((typ, data), ("NO", [gone]))
        fetched = m.untagged_responses.pop("FETCH")
        self.assertEqual([d[1] for d in fetched if isinstance(d, tuple)],
                         [b"Subject: v1\r\n\r\n", b"Subject: v2\r\n\r\n"])
        self.assertEqual(m.fetch("3", "(BODY[])"), ("NO", [gone]))
        self.assertEqual(m.store("2:3", "+FLAGS", "(\\Flagged)"), ("NO", [gone]))
        self.assertEqual(m.untagged_responses.pop("FETCH"), [b"2 (FLAGS (\\Flagged \\Recent))"])
        self.assertEqual(m.store("3", "+FLAGS.SILENT", "(\\Answered)")[0], "OK")  # RFC 2180 4.2.1
        self.assertEqual(m.response("EXPUNGE"), ("EXPUNGE", [None]))  # not during these
        # The renamed v1 and v2 copy, with their flags.
        typ, data = m.copy("1:2", "Archive")
        self.assertEqual(typ, "OK")
        self.assertRegex(data[0], rb"^\[COPYUID \d+ 2:3 1:2\] COPY completed$")
        self.assertEqual(sorted(self.files(".Archive").values()), ["F", "S"])
        self.assertEqual(m.noop()[0], "OK")
        self.assertEqual(m.response("EXPUNGE"), ("EXPUNGE", [b"3"]))
        # The UID forms: a UID that no longer exists is simply not there (RFC 3501 6.4.8,
        # RFC 9051 6.4.9); its EXPUNGE comes first in the same response, then the others
        # are handled and the answer is OK, like Dovecot (mbsync's UID FETCH 1:*).
        for i in range(4, 8):
            self.deliver(plain(f"v{i}"))  # UIDs 5 to 8
        r = self.raw()
        self.assertIn(b"* 6 EXISTS\r\n", r.command(b"r1", b"SELECT INBOX"))  # UIDs 2 3 5:8
        files = {}
        for name in os.listdir(cur):
            with open(os.path.join(cur, name), "rb") as f:
                files[re.search(rb"Subject: (v\d)", f.read()).group(1)] = name

        def fetched_uids(lines):
            return [int(re.search(rb"UID (\d+)", l).group(1)) for l in lines if b" FETCH (" in l]

        os.unlink(os.path.join(cur, files[b"v4"]))  # 3, UID 5
        lines = r.command(b"r2", b"UID FETCH 1:* (UID FLAGS)")
        self.assertEqual(lines[0], b"* 3 EXPUNGE\r\n", lines)
        self.assertEqual(fetched_uids(lines), [2, 3, 6, 7, 8], lines)
        self.assertIn(b"* 3 FETCH (UID 6 FLAGS (", b"".join(lines))  # numbers after it
        self.assertEqual(lines[-1], b"r2 OK UID FETCH completed\r\n")
        os.unlink(os.path.join(cur, files[b"v5"]))  # now 3, UID 6
        lines = r.command(b"r3", b"UID STORE 3:* +FLAGS (\\Seen)")
        self.assertEqual(lines[0], b"* 3 EXPUNGE\r\n", lines)
        self.assertEqual(fetched_uids(lines), [3, 7, 8], lines)
        self.assertEqual(lines[-1], b"r3 OK UID STORE completed\r\n")
        self.assertIn("S", self.files()[files[b"v7"].split(":")[0]])
        os.unlink(os.path.join(cur, files[b"v6"].split(":")[0] + ":2,S"))  # now 3, UID 7
        lines = r.command(b"r4", b"UID COPY 1:* Archive")
        self.assertEqual(lines[0], b"* 3 EXPUNGE\r\n", lines)
        self.assertRegex(lines[-1], rb"^r4 OK \[COPYUID \d+ 2:3,8 3:5\] UID COPY completed\r\n$")

        def subjects(folder):
            out = []
            for sub in ("new", "cur"):
                for name in os.listdir(os.path.join(self.maildir, folder, sub)):
                    with open(os.path.join(self.maildir, folder, sub, name), "rb") as f:
                        out.append(re.search(rb"Subject: (v\d)", f.read()).group(1))
            return sorted(out)

        self.assertEqual(subjects(".Archive"), [b"v1", b"v1", b"v2", b"v2", b"v7"])
        os.unlink(os.path.join(cur, files[b"v7"].split(":")[0] + ":2,S"))  # now 3, UID 8
        lines = r.command(b"r5", b"UID MOVE 3:* Trash")
        self.assertEqual(lines[0], b"* 3 EXPUNGE\r\n", lines)
        self.assertRegex(b"".join(lines[1:]),
                         rb"^\* OK \[COPYUID \d+ 3 1\] moved\r\n\* 2 EXPUNGE\r\n"
                         rb"r5 OK UID MOVE completed\r\n$")
        self.assertEqual(subjects(".Trash"), [b"v2"])
        os.unlink(os.path.join(cur, base1 + ":2,S"))  # 1, UID 2: nothing left to copy
        lines = r.command(b"r6", b"UID COPY 2 Archive")
        self.assertEqual(lines, [b"* 1 EXPUNGE\r\n", b"r6 OK UID COPY completed\r\n"])
        self.assertEqual(len(subjects(".Archive")), 5)
        self.assertEqual(self.files(), {})

    def test_a_read_only_session_follows_a_move_from_new_to_cur(self):
        self.deliver(plain("n0"))
        e = self.connect()
        e.select("INBOX", readonly=True)  # the message stays in new/
        self.assertEqual(len(os.listdir(os.path.join(self.maildir, "new"))), 1)
        m = self.connect()
        m.select("INBOX")  # moves it to cur/ behind e's back
        self.assertEqual(os.listdir(os.path.join(self.maildir, "new")), [])
        typ, data = e.copy("1", "Archive")
        self.assertEqual(typ, "OK")
        self.assertRegex(data[0], rb"^\[COPYUID \d+ 1 1\]")
        typ, data = e.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        self.assertEqual((typ, data[0][1]), ("OK", b"Subject: n0\r\n\r\n"))

    def test_mailbox_management(self):
        m = self.connect()
        self.assertEqual(m.create("Projects")[0], "OK")
        self.assertEqual(m.create("Projects.2026")[0], "OK")
        typ, data = m.create("Projects")
        self.assertEqual(typ, "NO")
        self.assertIn(b"[ALREADYEXISTS]", data[0])
        typ, data = m.list('""', "Projects*")
        self.assertEqual(data, [b'(\\HasChildren) "." "Projects"',
                                b'(\\HasNoChildren) "." "Projects.2026"'])
        typ, data = m.list("Projects.", "%")
        self.assertEqual(data, [b'(\\HasNoChildren) "." "Projects.2026"'])
        self.assertEqual(m.rename("Projects", "Work")[0], "OK")
        self.assertTrue(os.path.isdir(os.path.join(self.maildir, ".Work.2026", "cur")))
        self.assertEqual(m.subscribe("Work.2026")[0], "OK")
        typ, data = m.lsub('""', "Work*")
        self.assertEqual(data, [b'() "." "Work.2026"'])
        self.assertEqual(m.unsubscribe("Work.2026")[0], "OK")
        self.assertEqual(m.lsub('""', "Work*")[1], [None])
        typ, data = m.status("Work", "(MESSAGES UNSEEN UIDNEXT UIDVALIDITY RECENT)")
        self.assertRegex(data[0], rb'^"Work" \(MESSAGES 0 UNSEEN 0 UIDNEXT 1 UIDVALIDITY \d+ RECENT 0\)$')
        self.assertEqual(m.delete("Work")[0], "OK")
        typ, data = m.list('""', "Work*")
        self.assertEqual(data, [b'(\\Noselect \\HasChildren) "." "Work"',
                                b'(\\HasNoChildren) "." "Work.2026"'])
        typ, data = m.delete("INBOX")
        self.assertEqual(typ, "NO")
        typ, data = m.select("Missing")
        self.assertEqual(typ, "NO")
        self.assertIn(b"[NONEXISTENT]", data[0])
        imaplib.Commands.setdefault("ID", ("AUTH", "SELECTED"))
        self.assertEqual(m._simple_command("ID", '("name" "test")')[0], "OK")
        self.assertEqual(m.untagged_responses.pop("ID"), [b'("name" "mail-suite imapd")'])
        self.assertEqual(m.enable("CONDSTORE")[0], "OK")
        m.select("INBOX")
        self.assertEqual(m.unselect()[0], "OK")
        self.assertEqual(m.state, "AUTH")
        m.select("INBOX", readonly=True)
        self.assertEqual(m.close()[0], "OK")

    def test_condstore(self):
        for i in range(3):
            self.deliver(plain(f"q{i}"))
        r = self.raw()
        lines = r.command(b"s", b"SELECT INBOX (CONDSTORE)")
        highest = int(re.search(rb"HIGHESTMODSEQ (\d+)", b"".join(lines)).group(1))
        lines = r.command(b"f", b"FETCH 1:* (MODSEQ)")
        modseqs = [int(x) for x in re.findall(rb"MODSEQ \((\d+)\)", b"".join(lines))]
        self.assertEqual(len(modseqs), 3)
        self.assertLessEqual(max(modseqs), highest)
        lines = r.command(b"t", b"STORE 2 +FLAGS (\\Seen)")
        new = int(re.search(rb"MODSEQ \((\d+)\)", b"".join(lines)).group(1))
        self.assertGreater(new, highest)
        lines = r.command(b"c", b"FETCH 1:* (FLAGS) (CHANGEDSINCE %d)" % highest)
        self.assertEqual([l for l in lines if l.startswith(b"* ")],
                         [b"* 2 FETCH (FLAGS (\\Seen \\Recent) MODSEQ (%d))\r\n" % new])
        lines = r.command(b"u", b"STORE 1:3 (UNCHANGEDSINCE %d) +FLAGS (\\Flagged)" % highest)
        self.assertEqual(lines[-1], b"u OK [MODIFIED 2] conditional STORE failed for some\r\n")
        lines = r.command(b"q", b"SEARCH MODSEQ %d" % (new + 1))
        self.assertRegex(lines[0], rb"^\* SEARCH 1 3 \(MODSEQ \d+\)\r\n$")

    def test_bad_input_gets_bad_or_no_and_the_session_goes_on(self):
        for i in range(2):
            self.deliver(plain(f"b{i}"))
        r = self.raw()
        before = self.files()
        # (command, expected tagged result) in the authenticated state.
        auth_cases = [
            b"FETCH 1 FLAGS", b"STORE 1 +FLAGS \\Seen", b"SEARCH ALL", b"EXPUNGE", b"CLOSE",
            b"UID FETCH 1 FLAGS", b"COPY 1 Trash", b"CHECK", b"UNSELECT", b"NOSUCHCOMMAND",
            b"LOGIN a b", b"SELECT", b"SELECT \"unterminated", b"SELECT a b", b"CREATE",
            b"CREATE a/b", b"CREATE ..", b"DELETE", b"RENAME a", b"LIST \"\"", b"LIST",
            b"STATUS INBOX", b"STATUS INBOX (MESSAGES", b"STATUS INBOX (BOGUS)",
            b"STATUS INBOX MESSAGES", b"SUBSCRIBE", b"APPEND INBOX", b"APPEND INBOX (\\Seen",
            b"APPEND INBOX \"bad date\" {1+}\r\nx", b"APPEND INBOX (\\Bogus) {1+}\r\nx",
            b"ENABLE", b"ID", b"ID (\"a\")", b"CAPABILITY junk", b"NOOP junk", b"LOGOUT now",
            b"IDLE now", b"NAMESPACE x", b"UID", b"UID NOOP",
        ]
        for i, case in enumerate(auth_cases):
            tag = b"A%d" % i
            lines = r.command(tag, case)
            self.assertRegex(lines[-1], tag + rb" (BAD|NO) ", case)
        r.command(b"sel", b"SELECT INBOX")
        selected_cases = [
            b"FETCH", b"FETCH 1", b"FETCH 0 FLAGS", b"FETCH 3 FLAGS", b"FETCH 1:3 FLAGS",
            b"FETCH * (FLAGS", b"FETCH 1 FLAGS)", b"FETCH 1 ((FLAGS))", b"FETCH 1 BODY[",
            b"FETCH 1 BODY[1.]", b"FETCH 1 BODY[TEXT]<1>", b"FETCH 1 BODY[HEADER.FIELDS ()]",
            b"FETCH 1 BOGUS", b"FETCH a:b FLAGS", b"FETCH 1,,2 FLAGS", b"FETCH 1:2:3 FLAGS",
            b"FETCH -1 FLAGS", b"FETCH 99999999999 FLAGS", b"FETCH 1 (FLAGS) (CHANGEDSINCE x)",
            b"STORE 1 FLAGS", b"STORE 1 +FLAGS (\\Seen", b"STORE 1 BOGUS (\\Seen)",
            b"STORE 1 +FLAGS (\\Bogus)", b"STORE 5 +FLAGS (\\Seen)", b"STORE 1 (UNCHANGEDSINCE) +FLAGS x",
            b"SEARCH", b"SEARCH BOGUS", b"SEARCH (ALL", b"SEARCH ALL)", b"SEARCH OR ALL",
            b"SEARCH NOT", b"SEARCH SINCE 1-Foo-2020", b"SEARCH SINCE yesterday", b"SEARCH LARGER x",
            b"SEARCH CHARSET KOI8-R ALL", b"SEARCH CHARSET", b"SEARCH HEADER Subject",
            b"SEARCH UID", b"SEARCH " + b"(" * 300 + b"ALL" + b")" * 300,
            b"COPY 1", b"COPY 1 Nowhere", b"COPY x Trash", b"MOVE 1", b"UID MOVE x Trash",
            b"UID EXPUNGE", b"UID EXPUNGE x", b"UID BOGUS 1", b"EXPUNGE now", b"CLOSE now",
            b"SEARCH TEXT \xff\xfe\x80", b"\xff\xfe BOGUS", b"FETCH 1 BODY[\xff]",
            b"SELECT (CONDSTORE", b"STORE 1 +FLAGS (\\Seen) junk",
        ]
        for i, case in enumerate(selected_cases):
            tag = b"S%d" % i
            lines = r.command(tag, case)
            self.assertRegex(lines[-1], tag + rb" (BAD|NO) ", case)
        # Lines without a usable tag get an untagged BAD.
        r.send(b"\r\n")
        self.assertEqual(r.line(), b"* BAD missing tag or command\r\n")
        r.send(b"+ bogus\r\n")
        self.assertEqual(r.line(), b"* BAD missing tag or command\r\n")
        # Over the limits: a long line, a huge synchronizing literal (refused, no "+"),
        # a huge non-synchronizing one (read and thrown away).
        lines = r.command(b"L1", b"NOOP " + b"x" * 70000)
        self.assertRegex(lines[-1], rb"^L1 BAD \[TOOBIG\]")
        lines = r.command(b"L2", b"SEARCH TEXT {999999999}")
        self.assertRegex(lines[-1], rb"^L2 BAD \[TOOBIG\]")
        lines = r.command(b"L3", b"SEARCH TEXT {100000+}\r\n" + b"y" * 100000)
        self.assertRegex(lines[-1], rb"^L3 BAD \[TOOBIG\]")
        lines = r.command(b"L4", b"APPEND INBOX {99999999999}")
        self.assertRegex(lines[-1], rb"^L4 BAD \[TOOBIG\]")
        total = len(auth_cases) + len(selected_cases) + 6
        self.assertGreaterEqual(total, 60)
        # Still usable, nothing changed on disk.
        self.assertEqual(r.command(b"ok", b"NOOP")[-1], b"ok OK NOOP completed\r\n")
        self.assertEqual(self.files(), {k: "" for k in before})
        self.assertEqual(r.command(b"bye", b"LOGOUT")[-1], b"bye OK LOGOUT completed\r\n")
        self.assertEqual(r.close(), 0)

    def test_random_garbage_never_crashes_the_server(self):
        self.deliver(plain("g"))
        rng = random.Random(9)
        alphabet = b"() {}[]<>*%\\\"+-.:,0123456789 aAbBzZ\r\n\x00\xff" + b"FETCH STORE SEARCH UID BODY"
        for round_ in range(20):
            r = self.raw()
            r.command(b"s", b"SELECT INBOX")
            chunk = bytes(rng.choice(alphabet) for _ in range(rng.randrange(1, 3000)))
            r.send(chunk.replace(b"+}", b"}") + b"\r\nzz LOGOUT\r\n")
            r.ours.shutdown(socket.SHUT_WR)
            while r.line():
                pass
            code = r.close()
            self.clients.remove(r)
            self.assertIn(code, (0, 111), chunk)
        self.assertEqual(list(self.files().values()), [""])

    def test_mbsync_round_trip_of_2000_messages(self):
        """Debian's mbsync syncs the mailbox to a local Maildir through a PREAUTH tunnel,
        then flags, a deletion and a new message go back, and both sides agree."""
        count = 2000
        new = os.path.join(self.maildir, "new")
        for i in range(count):
            path = os.path.join(new, f"{1700000000 + i}.M{i}P1.host")
            with open(path, "wb") as f:
                f.write(plain(f"bulk {i}", body=f"body {i}\n"))
            os.chown(path, self.uid, self.gid)
        near = tempfile.mkdtemp(prefix="near-", dir=self.base)
        rc = write_mbsyncrc(near, " ".join(["cd", self.home, "&&", "exec",
                                             *self.command("Maildir")]))

        def mbsync():
            proc = subprocess.run(["mbsync", "-c", rc, "-a"], capture_output=True, text=True,
                                  env=self.env(), timeout=120)
            self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)

        def near_messages():
            out = {}
            for sub in ("new", "cur"):
                for name in os.listdir(os.path.join(near, "INBOX", sub)):
                    with open(os.path.join(near, "INBOX", sub, name), "rb") as f:
                        subject = re.search(rb"Subject: (.*)", f.read()).group(1)
                    flags = name.split(":2,")[1] if ":2," in name else ""
                    out[subject] = flags
            return out

        def far_messages():
            out = {}
            for sub in ("new", "cur"):
                for name in os.listdir(os.path.join(self.maildir, sub)):
                    with open(os.path.join(self.maildir, sub, name), "rb") as f:
                        subject = re.search(rb"Subject: (.*)", f.read()).group(1)
                    flags = name.split(":2,")[1] if ":2," in name else ""
                    out[subject] = "".join(c for c in flags if c.isupper())
            return out

        mbsync()
        pulled = near_messages()
        self.assertEqual(len(pulled), count)
        self.assertEqual(set(pulled), {b"bulk %d" % i for i in range(count)})
        # Near side: two read, one flagged, one deleted, one new message.
        inbox = os.path.join(near, "INBOX")
        names = {}
        for sub in ("new", "cur"):
            for name in os.listdir(os.path.join(inbox, sub)):
                with open(os.path.join(inbox, sub, name), "rb") as f:
                    names[re.search(rb"Subject: (.*)", f.read()).group(1)] = (sub, name)

        def set_flags(subject, flags):
            sub, name = names[subject]
            os.rename(os.path.join(inbox, sub, name),
                      os.path.join(inbox, "cur", name.split(":2,")[0] + ":2," + flags))

        set_flags(b"bulk 1", "S")
        set_flags(b"bulk 2", "S")
        set_flags(b"bulk 3", "F")
        sub, name = names[b"bulk 4"]
        os.unlink(os.path.join(inbox, sub, name))
        with open(os.path.join(inbox, "new", "1800000000.near.host"), "wb") as f:
            f.write(plain("written near"))
        mbsync()
        far = far_messages()
        self.assertEqual(len(far), count)  # one deleted, one added
        self.assertNotIn(b"bulk 4", far)
        self.assertIn(b"written near", far)
        self.assertEqual(far[b"bulk 1"], "S")
        self.assertEqual(far[b"bulk 2"], "S")
        self.assertEqual(far[b"bulk 3"], "F")
        self.assertEqual(far[b"bulk 5"], "")
        # A third run changes nothing, and both sides hold the same messages and flags.
        mbsync()
        self.assertEqual(far_messages(), far)
        self.assertEqual({k: "".join(c for c in v if c.isupper()) for k, v in near_messages().items()},
                         far)

    def test_mbsync_sync_while_a_message_is_removed_behind_imapd(self):
        """A POP3 client removes a message between mbsync's SELECT and its UID FETCH 1:N:
        the sync succeeds with the others (mbsync failed when that FETCH answered NO)."""
        for i in range(3):
            self.deliver(plain(f"s{i}"))
        new = os.path.join(self.maildir, "new")
        for name in os.listdir(new):
            with open(os.path.join(new, name), "rb") as f:
                if b"Subject: s1\n" in f.read():
                    victim = name
        near = tempfile.mkdtemp(prefix="near-", dir=self.base)
        proxy = os.path.join(near, "proxy.py")
        # The tunnel: imapd's input passes through this; before the first UID FETCH is
        # passed on (what came before it given 0.3 s to be answered), victim goes. Its
        # input is read with select (imapd makes the shared socket non-blocking), and it
        # ends with imapd (mbsync waits for the tunnel to close).
        with open(proxy, "w") as f:
            f.write("import os, select, subprocess, sys, time\n"
                    "maildir, base, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]\n"
                    "p = subprocess.Popen(cmd, stdin=subprocess.PIPE)\n"
                    "while p.poll() is None:\n"
                    "    if not select.select([0], [], [], 0.1)[0]:\n"
                    "        continue\n"
                    "    try:\n"
                    "        data = os.read(0, 65536)\n"
                    "    except BlockingIOError:\n"
                    "        continue\n"
                    "    if not data:\n"
                    "        break\n"
                    "    at = data.find(b'UID FETCH')\n"
                    "    if base and at >= 0:\n"
                    "        p.stdin.write(data[:data.rfind(b'\\n', 0, at) + 1])\n"
                    "        p.stdin.flush()\n"
                    "        time.sleep(0.3)\n"
                    "        for sub in ('new', 'cur'):\n"
                    "            for n in os.listdir(os.path.join(maildir, sub)):\n"
                    "                if n.startswith(base):\n"
                    "                    os.unlink(os.path.join(maildir, sub, n))\n"
                    "        data, base = data[data.rfind(b'\\n', 0, at) + 1:], ''\n"
                    "    p.stdin.write(data)\n"
                    "    p.stdin.flush()\n"
                    "p.stdin.close()\n"
                    "sys.exit(p.wait())\n")
        tunnel = " ".join(["cd", self.home, "&&", "exec", "python3", proxy, self.maildir,
                           victim, *self.command("Maildir")])
        rc = write_mbsyncrc(near, tunnel)
        proc = subprocess.run(["mbsync", "-c", rc, "-a"], capture_output=True, text=True,
                              env=self.env(), timeout=30)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        pulled = []
        for sub in ("new", "cur"):
            for name in os.listdir(os.path.join(near, "INBOX", sub)):
                with open(os.path.join(near, "INBOX", sub, name), "rb") as f:
                    pulled.append(re.search(rb"Subject: (.*)", f.read()).group(1))
        self.assertEqual(sorted(pulled), [b"s0", b"s2"])
        self.assertEqual(len(self.files()), 2)

    def test_concurrent_sessions_and_deliveries_agree_on_uids(self):
        """Three sessions poll while deliveries and flag changes run in parallel: every
        session ends with the same UID for each message, and no UID is given twice."""
        sessions = [self.raw() for _ in range(3)]
        for i, r in enumerate(sessions):
            r.command(b"s%d" % i, b"SELECT INBOX")
        stop = threading.Event()
        errors = []

        def poll(r, name):
            n = 0
            try:
                while not stop.is_set():
                    n += 1
                    lines = r.command(b"%s%d" % (name, n), b"NOOP")
                    if not lines[-1].startswith(b"%s%d OK" % (name, n)):
                        errors.append(lines)
                    r.command(b"%sf%d" % (name, n), b"STORE 1:* +FLAGS.SILENT (\\Seen)"
                              if n % 2 else b"NOOP")
            except Exception as e:  # reported below
                errors.append(repr(e))

        threads = [threading.Thread(target=poll, args=(r, b"p%d" % i))
                   for i, r in enumerate(sessions[1:])]
        for t in threads:
            t.start()
        with ThreadPool(4) as pool:
            pool.map(lambda i: self.deliver(plain(f"c{i}")), range(24))
        stop.set()
        for t in threads:
            t.join(timeout=30)
        self.assertEqual(errors, [])
        maps = []
        for i, r in enumerate(sessions):
            r.command(b"n%d" % i, b"NOOP")
            lines = r.command(b"f%d" % i, b"UID FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            text = b"".join(lines)
            maps.append(dict(re.findall(rb"UID (\d+) BODY\[HEADER\.FIELDS \(SUBJECT\)\] \{\d+\}\r\n"
                                        rb"Subject: (c\d+)", text)))
        self.assertEqual(len(maps[0]), 24)
        self.assertEqual(len(set(maps[0].values())), 24)
        self.assertEqual(maps[1], maps[0])
        self.assertEqual(maps[2], maps[0])
        self.assertEqual(sorted(int(u) for u in maps[0]), list(range(1, 25)))

    def test_warm_fetch_and_header_search_read_no_message_file(self):
        """The cache answers FETCH (FLAGS RFC822.SIZE ENVELOPE) and SEARCH SUBJECT: once a
        session has seen the messages, a new session opens none of their files (watched
        with inotify IN_OPEN on cur/)."""
        for i in range(40):
            self.deliver(plain(f"cached {i % 7}", body=f"text {i}\n"))
        m = self.connect()
        m.select("INBOX")
        m.fetch("1:*", "(FLAGS RFC822.SIZE ENVELOPE)")
        m.logout()
        self.clients.remove(m)
        libc = ctypes.CDLL(None, use_errno=True)
        fd = libc.inotify_init1(os.O_NONBLOCK)
        self.assertGreaterEqual(fd, 0)
        try:
            in_open = 0x20
            cur = os.path.join(self.maildir, "cur").encode()
            self.assertGreaterEqual(libc.inotify_add_watch(fd, cur, in_open), 0)
            m = self.connect()
            m.select("INBOX")
            typ, data = m.fetch("1:*", "(FLAGS RFC822.SIZE ENVELOPE)")
            self.assertEqual(len(data), 40)
            typ, data = m.uid("SEARCH", "SUBJECT", '"cached 3"')
            self.assertEqual(len(data[0].split()), 6)
            m.logout()
            opened = []
            try:
                events = os.read(fd, 65536)
            except BlockingIOError:
                events = b""
            pos = 0
            while pos < len(events):
                wd, mask, cookie, length = struct.unpack_from("iIII", events, pos)
                name = events[pos + 16:pos + 16 + length].rstrip(b"\0")
                if name:
                    opened.append(name)
                pos += 16 + length
            self.assertEqual(opened, [])
            # The check can fail: reading a body opens its file.
            m = self.connect()
            m.select("INBOX")
            m.fetch("1", "BODY.PEEK[TEXT]")
            m.logout()
            self.assertGreater(len(os.read(fd, 65536)), 0)
        finally:
            os.close(fd)
