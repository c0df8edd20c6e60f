"""sendmail, mailq and newaliases on a real install.

The end-to-end tests (sendmail -t -i from a shell script and from Python's email package)
go through the installed inject and queue and check the envelope the queue recorded in
todo/N; nothing runs the scheduler, so queued messages stay in todo/.
"""
import email.message
import os
import stat
import subprocess
import unittest

import support
from support import run


def read(path, mode="rb"):
    with open(path, mode) as f:
        return f.read()


class SendmailTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        assert os.geteuid() == 0, "the integration suite runs as root (as CI does)"
        cls.base, cls.root = support.new_root()
        support.install_configured(cls.root, "test.example", "--listen", "smtp=127.0.0.1:2525")
        cls.queue = os.path.join(cls.root, "queue")
        cls.split = len([d for d in os.listdir(os.path.join(cls.queue, "mess")) if d.isdigit()])
        cls.sendmail = os.path.join(cls.root, "bin", "sendmail")

    @classmethod
    def tearDownClass(cls):
        support.remove(cls.base)

    # --- helpers --------------------------------------------------------------

    def env(self, **extra):
        """A plain caller's environment: no inherited names that steer inject."""
        env = {"PATH": "/usr/bin:/bin", "USER": "alice", "LOGNAME": "alice"}
        if support.SAN == "1":
            env["ASAN_OPTIONS"] = "detect_leaks=0"  # LSan cannot run in the setuid queue
        env.update(extra)
        return env

    def todo_files(self):
        out = set()
        for dirpath, _, files in os.walk(os.path.join(self.queue, "todo")):
            out.update(os.path.join(dirpath, f) for f in files)
        return out

    def queued_since(self, before):
        """(sender, [recipients], message bytes) of the one message queued since `before`."""
        new = self.todo_files() - before
        self.assertEqual(len(new), 1, f"want one new message in todo/, got {sorted(new)}")
        path = new.pop()
        records = read(path).split(b"\0")
        self.assertEqual(records[-1], b"", "todo/N must end with a NUL")
        senders = [r[1:].decode() for r in records if r.startswith(b"F")]
        recipients = [r[1:].decode() for r in records[:-1] if r.startswith(b"T")]
        self.assertEqual(len(senders), 1, records)
        n = int(os.path.basename(path))
        message = read(os.path.join(self.queue, "mess", str(n % self.split), str(n)))
        return senders[0], recipients, message

    def header_of(self, message):
        return message.split(b"\n\n", 1)[0].decode()

    def sendmail_as_nobody(self, argv0, *args):
        return subprocess.run([argv0, *args], capture_output=True, text=True, user="nobody",
                              group="nogroup", extra_groups=[], timeout=60)

    # --- installed names ----------------------------------------------------

    def test_mailq_and_newaliases_are_links_to_sendmail(self):
        for name in ["mailq", "newaliases"]:
            path = os.path.join(self.root, "bin", name)
            self.assertTrue(stat.S_ISLNK(os.lstat(path).st_mode), name)
            self.assertEqual(os.readlink(path), "sendmail")
        st = os.stat(self.sendmail)
        self.assertEqual((st.st_uid, stat.S_IMODE(st.st_mode)), (0, 0o755))
        check = run(self.root, "mailctl", "check")
        self.assertNotIn("bin/mailq", check.stdout)
        self.assertNotIn("bin/newaliases", check.stdout)
        self.assertNotIn("bin/sendmail", check.stdout)

    def test_check_reports_a_broken_link(self):
        root = os.path.join(self.base, "broken")
        support.copy_tree(self.root, root)
        os.unlink(os.path.join(root, "bin", "mailq"))
        os.symlink("/bin/true", os.path.join(root, "bin", "mailq"))
        proc = run(root, "mailctl", "check")
        self.assertEqual(proc.returncode, 100)
        self.assertIn("bin/mailq: points to /bin/true, want sendmail", proc.stdout)
        # make install repairs it.
        self.assertEqual(support.make_install(root).returncode, 0)
        self.assertEqual(os.readlink(os.path.join(root, "bin", "mailq")), "sendmail")
        support.remove(root)

    # --- modes and usage ----------------------------------------------------

    def test_newaliases_explains_and_exits_100(self):
        proc = run(self.root, "newaliases")
        self.assertEqual(proc.returncode, 100)
        self.assertEqual(proc.stdout, "")
        self.assertEqual(len(proc.stderr.splitlines()), 1, proc.stderr)
        self.assertIn(f"aliases live in {self.root}/alias/.qmail-NAME files", proc.stderr)
        self.assertIn(f"{self.root}/alias/.qmail-postmaster", proc.stderr)
        self.assertIn("nothing to rebuild", proc.stderr)

    def test_unknown_options_are_usage_errors(self):
        before = self.todo_files()
        for args, problem in [(["-Z"], "unknown option -Z"),
                              (["-oi", "-tq"], "unknown option -q"),
                              (["--help"], "unknown option --help"),
                              (["-t", "-f"], "option -f needs an argument"),
                              (["-bz"], "unknown mode -bz")]:
            proc = run(self.root, "sendmail", *args, input="")
            self.assertEqual(proc.returncode, 100, args)
            self.assertEqual(proc.stderr.splitlines(), [
                f"sendmail: fatal: {problem}",
                "sendmail: usage: sendmail [-t] [-i] [-f sender] [-F name] [-bm | -bp | -bs] "
                "[-oX] [--] [recipient ...]"])
        self.assertEqual(self.todo_files(), before)

    def test_bs_runs_smtpd(self):
        # Sessions that queue mail are in test_smtpd.py; here only the hand-over.
        proc = run(self.root, "sendmail", "-bs", input="HELO x\r\nQUIT\r\n")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        lines = proc.stdout.splitlines()  # text mode: CRLF read as one line end
        self.assertRegex(lines[0], r"^220 \S+ ESMTP$")
        self.assertRegex(lines[1], r"^250 \S+$")
        self.assertRegex(lines[2], r"^221 2\.0\.0 \S+$")
        self.assertEqual(proc.stderr, "")

    def test_bs_end_of_input_inside_data_is_exit_111(self):
        # A shell's LF line ends never end DATA: smtpd says the message was lost, exit 111.
        before = self.todo_files()
        session = ("EHLO x\nMAIL FROM:<a@test.example>\nRCPT TO:<b@test.example>\nDATA\n"
                   "Subject: lf\n\nbody\n.\n")
        proc = run(self.root, "sendmail", "-bs", input=session, env=self.env())
        self.assertEqual(proc.returncode, 111, proc.stderr)
        self.assertEqual(proc.stdout.splitlines()[-1], "354 go ahead, end with <CRLF>.<CRLF>")
        self.assertEqual(proc.stderr, "smtpd: end of input inside DATA from uid 0; the message "
                         "was not accepted (bare LF line ends; DATA ends only at CRLF . CRLF)\n")
        self.assertEqual(self.todo_files(), before)
        # A clean end of input between transactions stays exit 0.
        proc = run(self.root, "sendmail", "-bs", input="EHLO x\nNOOP\n", env=self.env())
        self.assertEqual((proc.returncode, proc.stderr), (0, ""))

    def test_mailq_as_root_lists_the_queue(self):
        listing = run(self.root, "mailctl", "queue")
        self.assertEqual(listing.returncode, 0, listing.stderr)
        for args in [("mailq",), ("sendmail", "-bp"), ("sendmail", "-oi", "-bp")]:
            proc = run(self.root, *args)
            self.assertEqual((proc.returncode, proc.stderr), (0, ""), args)
            self.assertEqual(proc.stdout, listing.stdout)

    def test_mailq_lists_a_message_sent_with_sendmail(self):
        before = self.todo_files()
        sent = run(self.root, "sendmail", "-f", "queued@test.example", "listed@example.net",
                   input="Subject: for mailq\n\nbody\n", env=self.env())
        self.assertEqual(sent.returncode, 0, sent.stderr)
        self.queued_since(before)
        proc = run(self.root, "mailq")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("from <queued@test.example> not yet preprocessed\n"
                      "  pending <listed@example.net>\n", proc.stdout)

    def test_mailq_needs_root(self):
        for argv0, args in [(os.path.join(self.root, "bin", "mailq"), []),
                            (self.sendmail, ["-bp"])]:
            proc = self.sendmail_as_nobody(argv0, *args)
            self.assertEqual(proc.returncode, 100, proc.stderr)
            self.assertEqual(proc.stdout, "")
            self.assertEqual(len(proc.stderr.splitlines()), 1, proc.stderr)
            self.assertTrue(proc.stderr.startswith(
                "sendmail: fatal: listing the queue needs root ("), proc.stderr)

    def test_sendmail_replaces_itself_with_inject(self):
        """The exec wiring, with a recording stand-in for inject in a copy of the install:
        argv exactly as translated, no shell, the environment changes, inject's exit code."""
        root = os.path.join(self.base, "fake-inject")
        support.copy_tree(self.root, root)
        record = os.path.join(self.base, "fake-inject.out")
        inject = os.path.join(root, "bin", "inject")
        if os.path.exists(inject):
            os.unlink(inject)
        with open(inject, "w") as f:
            f.write("#!/bin/sh\n"
                    f"{{ for a in \"$@\"; do printf '%s\\n' \"arg $a\"; done; env; }} > {record}\n"
                    "exit 42\n")
        os.chmod(inject, 0o755)
        env = self.env(QMAILNAME="Inherited Name", MAILHOST="old.example", NAME="n")
        proc = subprocess.run([os.path.join(root, "bin", "sendmail"), "-oi", "-t",
                               "-fbob@example.org", "-F", "Bob Smith", "$(touch /tmp/x)",
                               "-not-an-option"], env=env, capture_output=True, text=True,
                              timeout=60)
        self.assertEqual(proc.returncode, 42, proc.stderr)
        lines = read(record, "r").splitlines()
        self.assertEqual([l[4:] for l in lines if l.startswith("arg ")],
                         ["-H", "-f", "bob@example.org", "--", "$(touch /tmp/x)",
                          "-not-an-option"])
        envs = dict(l.split("=", 1) for l in lines if not l.startswith("arg ") and "=" in l)
        self.assertEqual(envs.get("QMAILUSER"), "bob")
        self.assertEqual(envs.get("QMAILHOST"), "example.org")
        self.assertEqual(envs.get("MAILNAME"), "Bob Smith")
        self.assertEqual(envs.get("USER"), "alice")
        for gone in ["QMAILNAME", "MAILHOST", "NAME"]:
            self.assertNotIn(gone, envs)
        support.remove(root)

    # --- end to end through inject and queue ---------------------------------

    def test_t_i_from_a_shell_script(self):
        script = os.path.join(self.base, "notify.sh")
        with open(script, "w") as f:
            f.write("#!/bin/sh\n"
                    "set -e\n"
                    f"{self.sendmail} -t -i extra@example.com <<'EOF'\n"
                    "To: Ann <ann@example.org>, bob@test.example\n"
                    "Cc: carol@example.net\n"
                    "Bcc: dave@example.org\n"
                    "Subject: disk almost full\n"
                    "\n"
                    "/var is at 91%.\n"
                    ".\n"
                    "a line after a lone dot\n"
                    "EOF\n")
        os.chmod(script, 0o755)
        before = self.todo_files()
        proc = subprocess.run([script], capture_output=True, text=True, env=self.env(),
                              timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        sender, recipients, message = self.queued_since(before)
        self.assertEqual(sender, "alice@test.example")
        self.assertEqual(sorted(recipients), ["ann@example.org", "bob@test.example",
                                              "carol@example.net", "dave@example.org",
                                              "extra@example.com"])
        header = self.header_of(message)
        self.assertNotIn("Bcc", header)
        self.assertIn("Subject: disk almost full", header)
        self.assertTrue(message.endswith(b"\n\n/var is at 91%.\n.\na line after a lone dot\n"),
                        message)

    def test_python_email_and_subprocess(self):
        msg = email.message.EmailMessage()
        msg["From"] = "Reports <reports@test.example>"
        msg["To"] = "ops@example.org"
        msg["Subject"] = "nightly report"
        msg.set_content("all green\n.\nend\n")
        before = self.todo_files()
        proc = subprocess.run([self.sendmail, "-t", "-i", "-f", "bounces@test.example"],
                              input=msg.as_bytes(), capture_output=True, env=self.env(),
                              timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        sender, recipients, message = self.queued_since(before)
        self.assertEqual(sender, "bounces@test.example")
        self.assertEqual(recipients, ["ops@example.org"])
        header = self.header_of(message)
        self.assertIn("Subject: nightly report", header)
        self.assertIn("reports@test.example", header)
        self.assertIn(b"\n\nall green\n.\nend\n", message)

    def test_f_and_F_make_the_sender_and_the_from_line(self):
        before = self.todo_files()
        proc = run(self.root, "sendmail", "-oi", "-f", "bob@example.org", "-F", "Bob Smith",
                   "--", "rcpt@example.net", input="Subject: no from line\n\nhi\n",
                   env=self.env(QMAILNAME="Someone Else"))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        sender, recipients, message = self.queued_since(before)
        self.assertEqual((sender, recipients), ("bob@example.org", ["rcpt@example.net"]))
        from_lines = [l for l in self.header_of(message).splitlines() if l.startswith("From:")]
        self.assertEqual(len(from_lines), 1, message)
        self.assertIn("Bob Smith", from_lines[0])
        self.assertIn("bob@example.org", from_lines[0])
        self.assertNotIn("Someone Else", from_lines[0])

    def test_null_sender_from_line_names_the_caller(self):
        # -f '' and -f '<>' (cron, vacation) set only the envelope: the From line that
        # inject adds names the caller, never <""@host>.
        for null in ["<>", ""]:
            before = self.todo_files()
            proc = run(self.root, "sendmail", "-t", "-F", 'Doe, John "JD"', "-f", null,
                       input='To: "Two, Alice" <alice2>\nSubject: q1\n\nx\n', env=self.env())
            self.assertEqual(proc.returncode, 0, proc.stderr)
            sender, recipients, message = self.queued_since(before)
            self.assertEqual((sender, recipients), ("", ["alice2@test.example"]))
            from_lines = [l for l in self.header_of(message).splitlines()
                          if l.startswith("From:")]
            self.assertEqual(from_lines, ['From: "Doe, John \\"JD\\"" <alice@test.example>'],
                             message)

    def test_args_only_without_t(self):
        # Without -t the header's recipients are not used (inject -a).
        before = self.todo_files()
        proc = run(self.root, "sendmail", "only@example.net",
                   input="To: header@example.org\nSubject: x\n\nbody\n", env=self.env())
        self.assertEqual(proc.returncode, 0, proc.stderr)
        _, recipients, _ = self.queued_since(before)
        self.assertEqual(recipients, ["only@example.net"])


if __name__ == "__main__":
    unittest.main()
