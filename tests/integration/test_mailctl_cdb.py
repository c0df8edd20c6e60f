"""mailctl cdb: every cdb table rebuilt from its source (users/recipients.cdb after a
.qmail-EXT made by hand, control/morercpthosts.cdb, control/tcp.smtp.cdb), checked through
the installed tcpserver and smtpd with smtplib from a client that may not relay, and
mailctl check's line for a table out of date."""
import os
import pwd
import signal
import smtplib
import subprocess
import unittest

import support

HOST = "test.example"
DOMAIN = "virt.example"
OUTSIDE = "127.0.0.3"  # tcp.smtp (mailctl init) lets 127.0.0.1 relay, everyone else not
WAIT = 30


class MailctlCdbTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        assert os.geteuid() == 0, "the integration suite runs as root (as CI does)"
        cls.base, cls.root = support.new_root("ms-cdb-")
        cls.addClassCleanup(support.remove, cls.base)
        support.install_configured(cls.root, HOST, "--listen", "smtp=127.0.0.1:2525")
        cls.san_dir = support.make_san_dir(cls.base)
        cls.env = support.san_env(cls.san_dir)
        for args in (("domain", "add", DOMAIN),
                     ("user", "add", f"carol@{DOMAIN}", "--password-stdin")):
            proc = support.run(cls.root, "mailctl", *args, input="secret-Pass-1\n", env=cls.env)
            assert proc.returncode == 0, proc.stdout + proc.stderr
        cls.start_tcpserver()

    @classmethod
    def start_tcpserver(cls):
        log = open(os.path.join(cls.base, "tcpserver.log"), "ab")
        cls.server = subprocess.Popen(
            [os.path.join(cls.root, "bin", "tcpserver"), "-1", "-R", "-H", "-l", HOST,
             "-x", os.path.join(cls.root, "control", "tcp.smtp.cdb"),
             "-u", str(support.uid("msd")), "-g", str(support.gid("msnofiles")),
             "127.0.0.1", "0", os.path.join(cls.root, "bin", "smtpd")],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log, env=cls.env,
            start_new_session=True)
        log.close()
        cls.addClassCleanup(cls.stop_tcpserver)
        line = cls.server.stdout.readline()
        assert line.strip().isdigit(), "tcpserver did not print its port: " + repr(line)
        cls.port = int(line)

    @classmethod
    def stop_tcpserver(cls):
        cls.server.send_signal(signal.SIGTERM)
        try:
            cls.server.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            os.killpg(cls.server.pid, signal.SIGKILL)
            cls.server.wait()
        cls.server.stdout.close()

    def tearDown(self):
        support.assert_no_sanitizer_reports(self, self.san_dir)

    def path(self, rel):
        return os.path.join(self.root, rel)

    def write(self, rel, text):
        with open(self.path(rel), "w") as f:
            f.write(text)
        os.chmod(self.path(rel), 0o644)

    def mailctl(self, *args, code=0):
        proc = support.run(self.root, "mailctl", *args, env=self.env)
        if code is not None:
            self.assertEqual(proc.returncode, code, proc.stdout + proc.stderr)
        return proc

    def rcpt(self, address):
        """The reply code smtpd gives a client that may not relay for RCPT TO:<address>."""
        with smtplib.SMTP("127.0.0.1", self.port, local_hostname="client.example",
                          timeout=WAIT, source_address=(OUTSIDE, 0)) as s:
            s.ehlo("client.example")
            self.assertEqual(s.mail("sender@example.org")[0], 250)
            return s.rcpt(address)[0]

    def test_extension_made_by_hand_is_accepted_after_cdb(self):
        user_dir = self.path(f"domains/{DOMAIN}/carol")
        qmail = os.path.join(user_dir, ".qmail-news")
        with open(qmail, "w") as f:
            f.write("./Maildir/\n")
        os.chmod(qmail, 0o600)
        vmail = pwd.getpwnam("msvmail")
        os.chown(qmail, vmail.pw_uid, vmail.pw_gid)
        self.assertEqual(self.rcpt(f"carol-news@{DOMAIN}"), 550)
        check = self.mailctl("check", code=100)
        self.assertIn(f"users/recipients.cdb is older than domains/{DOMAIN}/carol/.qmail-news; "
                      "run mailctl cdb\n", check.stdout)

        proc = self.mailctl("cdb")
        # @domain, postmaster, carol, carol-news
        self.assertIn("rebuilt users/recipients.cdb (4 keys)\n", proc.stdout)
        self.assertIn("rebuilt users/cdb (2 keys)\n", proc.stdout)
        self.assertIn("rebuilt control/tcp.smtp.cdb (3 keys)\n", proc.stdout)
        self.assertEqual(self.rcpt(f"Carol-News@{DOMAIN}"), 250)
        self.assertEqual(self.rcpt(f"carol-sports@{DOMAIN}"), 550)
        self.assertNotIn("users/recipients.cdb", self.mailctl("check", code=None).stdout)

    def test_morercpthosts(self):
        self.addCleanup(support.write_control, self.root, "morercpthosts.cdb", None)
        self.addCleanup(support.write_control, self.root, "morercpthosts", None)
        self.write("control/morercpthosts", "# hosted\nMore.Example\n\n.sub.other.example\n")
        self.assertEqual(self.rcpt("x@more.example"), 553)
        self.assertIn("control/morercpthosts.cdb is missing; run mailctl cdb\n",
                      self.mailctl("check", code=None).stdout)

        proc = self.mailctl("cdb")
        self.assertIn("rebuilt control/morercpthosts.cdb (2 keys)\n", proc.stdout)
        self.assertEqual(os.stat(self.path("control/morercpthosts.cdb")).st_mode & 0o777, 0o644)
        self.assertEqual(self.rcpt("x@MORE.example"), 250)
        self.assertEqual(self.rcpt("x@a.sub.other.example"), 250)
        self.assertEqual(self.rcpt("x@sub.more.example"), 553)
        self.assertEqual(self.rcpt("x@other.example"), 553)
        self.assertNotIn("morercpthosts", self.mailctl("check", code=None).stdout)

        os.unlink(self.path("control/morercpthosts"))  # the table stays, and says so
        proc = self.mailctl("cdb")
        self.assertIn("kept control/morercpthosts.cdb: control/morercpthosts is missing",
                      proc.stdout)
        self.assertEqual(self.rcpt("x@more.example"), 250)

        self.write("control/morercpthosts", "more.example\nbad..example\n")
        proc = self.mailctl("cdb", code=100)
        self.assertIn("control/morercpthosts line 2: ", proc.stderr)

    def test_syntax_error_in_tcp_rules_leaves_its_table(self):
        rules = self.path("control/tcp.smtp")
        table = rules + ".cdb"
        with open(rules) as f:
            good = f.read()
        self.addCleanup(self.write, "control/tcp.smtp", good)
        with open(table, "rb") as f:
            before = f.read()
        stat_before = os.stat(table)
        self.write("control/tcp.smtp", good + "127.0.0.3:deny\n192.0.2.1:perhaps\n")
        lines = len(good.splitlines()) + 2

        proc = self.mailctl("cdb", code=100)
        self.assertIn(f"mailctl: control/tcp.smtp line {lines}: ", proc.stderr)
        self.assertIn("control/tcp.smtp.cdb left as it was", proc.stderr)
        self.assertIn("rebuilt users/recipients.cdb", proc.stdout)  # the others are rebuilt
        with open(table, "rb") as f:
            self.assertEqual(f.read(), before)
        self.assertEqual(os.stat(table).st_ino, stat_before.st_ino)
        self.assertFalse(os.path.exists(table + ".tmp"))
        self.assertEqual(self.rcpt(f"carol@{DOMAIN}"), 250)  # 127.0.0.3 not denied
        self.assertIn(f"control/tcp.smtp line {lines}: ", self.mailctl("check", code=100).stdout)


if __name__ == "__main__":
    unittest.main()
