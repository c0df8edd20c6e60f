"""POP3 and IMAP on one Maildir at the same time (audit, 2026-11-22): the installed pop3d
and imapd, each run per connection by a loopback accept loop as tcpserver would, with
poplib and imaplib as the clients of one virtual user. IMAP renames files (flags,
new/ -> cur/) while a POP3 session is open; pop3d must follow a message by its base name
for RETR, TOP and the removal at QUIT."""
import imaplib
import os
import poplib
import subprocess
import unittest

import support
from pop3_support import DOMAIN, PASSWORD, PopServer, install_with_domain, maildir, san_env

USER = f"u@{DOMAIN}"
BODIES = {
    "one": b"Subject: one\n\n.dot line\nfirst\n",
    "two": b"Subject: two\n\nsecond\n",
    "three": b"Subject: three\n\nthird\n",
}


class ImapServer(support.ProgramServer):
    def __init__(self, root, env):
        super().__init__(root, "imapd", env, stderr=subprocess.DEVNULL)


class Pop3SharedMaildirTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        install_with_domain(cls, "ms-pop3-shared-")
        cls.env = san_env(cls.san_dir)

    def setUp(self):
        self.md = maildir(self.root, "u")
        for sub in ("new", "cur"):
            for name in os.listdir(os.path.join(self.md, sub)):
                os.unlink(os.path.join(self.md, sub, name))
        self.servers = [PopServer(self.root, self.env), ImapServer(self.root, self.env)]

    def tearDown(self):
        codes = [c for s in self.servers for c in s.stop()]
        self.assertTrue(all(c == 0 for c in codes), f"exit codes {codes}")
        support.assert_no_sanitizer_reports(self, self.san_dir)

    def deliver(self, sub, info):
        """The three messages as files in sub/ (name + info), owned by the Maildir's owner."""
        st = os.stat(self.md)
        for i, (subject, body) in enumerate(BODIES.items()):
            path = os.path.join(self.md, sub, f"{1700000000 + i}.M{i}P1.{subject}.test{info}")
            with open(path, "wb") as f:
                f.write(body)
            os.chown(path, st.st_uid, st.st_gid)
            os.utime(path, (1700000000 + i, 1700000000 + i))

    def files(self):
        return sorted(f"{sub}/{name}" for sub in ("new", "cur")
                      for name in os.listdir(os.path.join(self.md, sub)))

    def pop(self):
        p = poplib.POP3("127.0.0.1", self.servers[0].port, timeout=20)
        p.user(USER)
        self.assertTrue(p.pass_(PASSWORD).startswith(b"+OK"))
        return p

    def imap(self):
        m = imaplib.IMAP4("127.0.0.1", self.servers[1].port, timeout=20)
        self.assertEqual(m.login(USER, PASSWORD)[0], "OK")
        self.assertEqual(m.select("INBOX")[0], "OK")
        return m

    def imap_number(self, m, subject):
        typ, data = m.search(None, "SUBJECT", f'"{subject}"')
        self.assertEqual(typ, "OK")
        self.assertEqual(len(data[0].split()), 1, data)
        return data[0].decode()

    def test_messages_deleted_by_pop3_go_although_imap_renamed_them(self):
        self.deliver("cur", ":2,")
        p = self.pop()
        self.assertEqual(p.stat(), (3, sum(len(b) for b in BODIES.values())))
        self.assertTrue(p.dele(1).startswith(b"+OK"))
        self.assertTrue(p.dele(2).startswith(b"+OK"))
        m = self.imap()
        self.assertEqual(m.store(self.imap_number(m, "one"), "+FLAGS", r"(\Flagged)")[0], "OK")
        self.assertEqual(m.store(self.imap_number(m, "two"), "+FLAGS", r"(\Seen)")[0], "OK")
        m.logout()
        self.assertEqual(self.files(), ["cur/1700000000.M0P1.one.test:2,F",
                                        "cur/1700000001.M1P1.two.test:2,S",
                                        "cur/1700000002.M2P1.three.test:2,"])
        self.assertEqual(p.quit(), b"+OK bye")
        self.assertEqual(self.files(), ["cur/1700000002.M2P1.three.test:2,"])

    def test_retr_and_top_follow_a_message_that_imap_moved_to_cur(self):
        self.deliver("new", "")
        p = self.pop()
        m = self.imap()  # SELECT moves new/ to cur/
        self.assertEqual(self.files(), ["cur/1700000000.M0P1.one.test:2,",
                                        "cur/1700000001.M1P1.two.test:2,",
                                        "cur/1700000002.M2P1.three.test:2,"])
        resp, lines, _ = p.retr(1)
        self.assertEqual(resp, b"+OK %d octets" % len(BODIES["one"]))
        self.assertEqual(lines, [b"Subject: one", b"", b".dot line", b"first"])  # unstuffed
        resp, lines, _ = p.top(2, 0)
        self.assertTrue(resp.startswith(b"+OK"), resp)
        self.assertEqual(lines, [b"Subject: two", b""])
        # and once more after a flag change, then deleted at QUIT
        self.assertEqual(m.store(self.imap_number(m, "three"), "+FLAGS", r"(\Seen)")[0], "OK")
        resp, lines, _ = p.retr(3)
        self.assertEqual(lines, [b"Subject: three", b"", b"third"])
        self.assertTrue(p.dele(3).startswith(b"+OK"))
        # a message that IMAP expunges while POP3 has it marked counts as removed
        self.assertEqual(m.store(self.imap_number(m, "two"), "+FLAGS", r"(\Deleted)")[0], "OK")
        self.assertEqual(m.expunge()[0], "OK")
        self.assertTrue(p.dele(2).startswith(b"+OK"))
        m.logout()
        self.assertEqual(p.quit(), b"+OK bye")
        self.assertEqual(self.files(), ["cur/1700000000.M0P1.one.test:2,"])


if __name__ == "__main__":
    unittest.main()
