"""local, the .qmail delivery program, driven as installed (issue 4, the `local` part).

Each case runs ROOT/bin/local exactly as lspawn will: as an unprivileged account (created
for this file and removed afterwards), with the message on fd 0 as a file, and the
arguments `user homedir local dash ext domain sender defaultdelivery`. Forwards go to a
recording fake queue named by $QMAILQUEUE, so these tests do not depend on the queue.
Mailboxes are read back with Python's mailbox module.
"""
import grp
import mailbox
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
import unittest

import support

USER = "mstlocal"
HOST = "x.example"
SENDER = "alice@a.example"
MESSAGE = (b"From: alice@a.example\nTo: " + USER.encode() + b"@x.example\nSubject: test\n\n"
           b"Hello\nFrom the body\n>From quoted\nlast line\n")

# A program line that records what it was given: its environment, stdin, uid and cwd.
RECORDER = ("|env > {d}/env.$$; cat > {d}/stdin.$$; id -u > {d}/uid.$$; pwd > {d}/pwd.$$; "
            "echo $$ >> {d}/order")

FAKE_QUEUE = """#!/bin/sh
# Records one queue call: the message (fd 0) and the envelope (fd 1).
n=$$
cat > {d}/q.$n.message
cat <&1 > {d}/q.$n.envelope
echo $n >> {d}/q.calls
exit ${{FAKE_QUEUE_EXIT:-0}}
"""


def parse_envelope(data):
    """F<sender>\\0 T<rcpt>\\0 ... \\0 -> (sender, [recipients]); fails on a bad layout."""
    assert data.endswith(b"\0\0") or data == b"F\0\0", data
    records = data[:-1].split(b"\0")[:-1]
    assert records[0].startswith(b"F"), data
    assert all(r.startswith(b"T") for r in records[1:]), data
    return records[0][1:].decode(), [r[1:].decode() for r in records[1:]]


class LocalTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.base, cls.root = support.new_root("ms-local-")
        proc = support.make_install(cls.root)
        if proc.returncode != 0:
            raise RuntimeError("make install failed: " + proc.stdout + proc.stderr)
        cls.local = os.path.join(cls.root, "bin", "local")
        if cls._user_exists():
            subprocess.run(["userdel", USER], check=True)
        subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                        "--shell", "/usr/sbin/nologin", "--user-group", USER], check=True)
        cls.uid = pwd.getpwnam(USER).pw_uid
        cls.gid = grp.getgrnam(USER).gr_gid

    @classmethod
    def tearDownClass(cls):
        if cls._user_exists():
            subprocess.run(["userdel", USER], check=False)
        support.remove(cls.base)

    @staticmethod
    def _user_exists():
        try:
            pwd.getpwnam(USER)
            return True
        except KeyError:
            return False

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ms-local-case-", dir=self.base)
        os.chmod(self.tmp, 0o755)
        self.home = self.mkdir_user(os.path.join(self.tmp, "home"))
        self.rec = self.mkdir_user(os.path.join(self.tmp, "rec"))  # recorder output
        self.fake_queue = os.path.join(self.tmp, "fake-queue")
        with open(self.fake_queue, "w") as f:
            f.write(FAKE_QUEUE.format(d=self.rec))
        os.chmod(self.fake_queue, 0o755)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    # --- helpers -----------------------------------------------------------------------

    def mkdir_user(self, path, mode=0o755):
        os.mkdir(path)
        os.chown(path, self.uid, self.gid)
        os.chmod(path, mode)
        return path

    def maildir(self, name="Maildir"):
        top = self.mkdir_user(os.path.join(self.home, name), 0o700)
        for sub in ("tmp", "new", "cur"):
            self.mkdir_user(os.path.join(top, sub), 0o700)
        return top

    def dot_qmail(self, ext, text, mode=0o644):
        """Writes ~/.qmail-EXT (ext None: ~/.qmail), owned by the user."""
        path = os.path.join(self.home, ".qmail" if ext is None else ".qmail-" + ext)
        with open(path, "w") as f:
            f.write(text)
        os.chown(path, self.uid, self.gid)
        os.chmod(path, mode)
        return path

    def run_local(self, ext="", sender=SENDER, message=MESSAGE, default="./Maildir/\n",
                  flags=(), env=None, stdin=None, home=None):
        """local as the user; dash is "-" when ext is given; returns CompletedProcess."""
        dash = "-" if ext else ""
        local_part = USER + dash + ext
        if stdin is None:
            path = os.path.join(self.tmp, "message")
            with open(path, "wb") as f:
                f.write(message)
            os.chmod(path, 0o600)  # root's: local reads it through the descriptor only
            stdin = open(path, "rb")
        full_env = {"PATH": "/usr/bin:/bin", "QMAILQUEUE": self.fake_queue}
        if support.SAN == "1":
            full_env["ASAN_OPTIONS"] = os.environ.get("ASAN_OPTIONS", "")
        full_env.update(env or {})
        args = ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--clear-groups",
                "--", self.local, *flags, "--", USER, home or self.home, local_part, dash, ext,
                HOST, sender, default]
        try:
            return subprocess.run(args, stdin=stdin, capture_output=True, env=full_env,
                                  timeout=60)
        finally:
            stdin.close()

    def assert_ok(self, proc, report=None):
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        if report is not None:
            self.assertEqual(proc.stdout, report)

    def assert_fails(self, proc, code, text):
        self.assertEqual(proc.returncode, code, proc.stdout + proc.stderr)
        self.assertIn(text.encode(), proc.stderr)

    def maildir_messages(self, name="Maildir"):
        box = mailbox.Maildir(os.path.join(self.home, name), factory=None, create=False)
        return [box.get_bytes(key) for key in sorted(box.keys())]

    def mbox_messages(self, name="Mailbox"):
        box = mailbox.mbox(os.path.join(self.home, name), create=False)
        try:
            return list(box)
        finally:
            box.close()

    def recorded(self, kind):
        """The recorder's files of one kind, in the order the programs ran."""
        order_path = os.path.join(self.rec, "order")
        if not os.path.exists(order_path):
            return []
        with open(order_path) as f:
            pids = f.read().split()
        out = []
        for pid in pids:
            with open(os.path.join(self.rec, f"{kind}.{pid}"), "rb") as f:
                out.append(f.read())
        return out

    def recorded_env(self):
        envs = self.recorded("env")
        self.assertEqual(len(envs), 1)
        return dict(line.split("=", 1) for line in envs[0].decode().splitlines() if "=" in line)

    def queue_calls(self):
        """[(sender, recipients, message bytes)] for each call of the fake queue."""
        calls_path = os.path.join(self.rec, "q.calls")
        if not os.path.exists(calls_path):
            return []
        out = []
        with open(calls_path) as f:
            for n in f.read().split():
                with open(os.path.join(self.rec, f"q.{n}.envelope"), "rb") as e:
                    sender, rcpts = parse_envelope(e.read())
                with open(os.path.join(self.rec, f"q.{n}.message"), "rb") as m:
                    out.append((sender, rcpts, m.read()))
        return out

    def head(self, local_part=USER, sender=SENDER):
        return (f"Return-Path: <{sender}>\nDelivered-To: {local_part}@{HOST}\n").encode()

    # --- default delivery, Maildir, mbox -----------------------------------------------

    def test_no_dot_qmail_uses_default_delivery(self):
        self.maildir()
        proc = self.run_local()
        self.assert_ok(proc, b"did 1+0+0\n")
        self.assertEqual(self.maildir_messages(), [self.head() + MESSAGE])
        self.assertEqual(os.listdir(os.path.join(self.home, "Maildir", "tmp")), [])

    def test_maildir_read_back_by_python(self):
        self.maildir()
        self.dot_qmail(None, "./Maildir/\n")
        for _ in range(3):
            self.assert_ok(self.run_local())
        box = mailbox.Maildir(os.path.join(self.home, "Maildir"), create=False)
        msgs = list(box)
        self.assertEqual(len(msgs), 3)
        for msg in msgs:
            self.assertEqual(msg["Return-Path"], f"<{SENDER}>")
            self.assertEqual(msg["Delivered-To"], f"{USER}@{HOST}")
            self.assertEqual(msg["Subject"], "test")
            self.assertEqual(msg.get_payload(), "Hello\nFrom the body\n>From quoted\nlast line\n")
        names = os.listdir(os.path.join(self.home, "Maildir", "new"))
        self.assertEqual(len(set(names)), 3)
        st = os.stat(os.path.join(self.home, "Maildir", "new", names[0]))
        self.assertEqual(st.st_uid, self.uid)
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)

    def test_mbox_read_back_by_python(self):
        self.dot_qmail(None, "./Mailbox\n")
        self.assert_ok(self.run_local(), b"did 1+0+0\n")
        self.assert_ok(self.run_local(sender=""))
        path = os.path.join(self.home, "Mailbox")
        st = os.stat(path)
        self.assertEqual((st.st_uid, stat.S_IMODE(st.st_mode)), (self.uid, 0o600))
        msgs = self.mbox_messages()
        self.assertEqual(len(msgs), 2)
        self.assertTrue(msgs[0].get_from().startswith(SENDER + " "))
        self.assertTrue(msgs[1].get_from().startswith("MAILER-DAEMON "))
        self.assertEqual(msgs[0]["Return-Path"], f"<{SENDER}>")
        self.assertEqual(msgs[1]["Return-Path"], "<>")
        self.assertEqual(msgs[0]["Delivered-To"], f"{USER}@{HOST}")
        # mboxrd: one more '>' in the file; Python's mbox keeps the quoting as stored and
        # drops the blank line that separates messages.
        self.assertEqual(msgs[0].get_payload(),
                         "Hello\n>From the body\n>>From quoted\nlast line\n")
        with open(path, "rb") as f:
            raw = f.read()
        self.assertTrue(raw.startswith(b"From " + SENDER.encode() + b" "))
        self.assertIn(b"\n\nFrom MAILER-DAEMON ", raw)
        self.assertTrue(raw.endswith(b"last line\n\n"))

    def test_mbox_adds_missing_final_newline(self):
        self.dot_qmail(None, "./Mailbox\n")
        self.assert_ok(self.run_local(message=b"Subject: x\n\nno newline"))
        with open(os.path.join(self.home, "Mailbox"), "rb") as f:
            self.assertTrue(f.read().endswith(b"\nno newline\n\n"))

    def test_mbox_symlink_refused(self):
        target = os.path.join(self.home, "target")
        open(target, "w").close()
        os.chown(target, self.uid, self.gid)
        os.symlink(target, os.path.join(self.home, "Mailbox"))
        self.dot_qmail(None, "./Mailbox\n")
        self.assert_fails(self.run_local(), 111, "Unable to open ./Mailbox: is a symbolic link.")
        self.assertEqual(os.path.getsize(target), 0)

    def test_missing_maildir_is_temporary(self):
        self.assert_fails(self.run_local(), 111, "Unable to chdir to maildir. (#4.2.1)")

    def test_empty_dot_qmail_uses_default_delivery(self):
        self.maildir()
        self.dot_qmail(None, "")
        self.assert_ok(self.run_local(), b"did 1+0+0\n")
        self.assertEqual(len(self.maildir_messages()), 1)

    def test_default_delivery_with_several_lines(self):
        self.maildir()
        self.assert_ok(self.run_local(default="./Maildir/\n./Mailbox\n"), b"did 2+0+0\n")
        self.assertEqual(len(self.maildir_messages()), 1)
        self.assertEqual(len(self.mbox_messages()), 1)

    def test_comments_and_blank_lines(self):
        self.maildir()
        self.dot_qmail(None, "# deliver here\n./Maildir/\n\n# and nowhere else\n   \n")
        self.assert_ok(self.run_local(), b"did 1+0+0\n")
        self.assertEqual(len(self.maildir_messages()), 1)

    # --- extensions and -default --------------------------------------------------------

    def test_extension_file(self):
        self.maildir("Foo")
        self.dot_qmail("foo", "./Foo/\n")
        self.assert_ok(self.run_local(ext="foo"))
        self.assertEqual(self.maildir_messages("Foo"), [self.head(USER + "-foo") + MESSAGE])

    def test_extension_is_lowercased_and_dots_become_colons(self):
        self.maildir("Lists")
        self.dot_qmail("news:letter", "./Lists/\n")
        self.assert_ok(self.run_local(ext="News.Letter"))
        self.assertEqual(len(self.maildir_messages("Lists")), 1)

    def test_default_chain_most_specific_first(self):
        self.dot_qmail("a-b-default", RECORDER.format(d=self.rec) + "\n")
        self.dot_qmail("a-default", "|exit 100\n")
        self.dot_qmail("default", "|exit 100\n")
        self.assert_ok(self.run_local(ext="a-b-C-d"))
        env = self.recorded_env()
        self.assertEqual(env["DEFAULT"], "C-d")
        self.assertEqual(env["EXT"], "a-b-C-d")

    def test_default_chain_falls_back(self):
        self.dot_qmail("a-default", RECORDER.format(d=self.rec) + "\n")
        self.assert_ok(self.run_local(ext="A-x-y"))
        self.assertEqual(self.recorded_env()["DEFAULT"], "x-y")

    def test_catch_all_default(self):
        self.dot_qmail("default", RECORDER.format(d=self.rec) + "\n")
        self.assert_ok(self.run_local(ext="anything"))
        self.assertEqual(self.recorded_env()["DEFAULT"], "anything")

    def test_exact_file_has_no_default(self):
        self.dot_qmail("x", RECORDER.format(d=self.rec) + "\n")
        self.dot_qmail("default", "|exit 100\n")
        self.assert_ok(self.run_local(ext="x", env={"DEFAULT": "inherited"}))
        self.assertNotIn("DEFAULT", self.recorded_env())

    def test_no_mailbox_by_that_name(self):
        self.maildir()
        self.dot_qmail(None, "./Maildir/\n")
        self.assert_fails(self.run_local(ext="nosuch"), 100,
                          "Sorry, no mailbox here by that name. (#5.1.1)")
        self.assertEqual(self.maildir_messages(), [])

    # --- programs ------------------------------------------------------------------------

    def test_program_environment(self):
        self.dot_qmail("list-default", RECORDER.format(d=self.rec) + "\n")
        self.assert_ok(self.run_local(ext="list-Foo-bar", env={"KEEP_ME": "1"}),
                       b"did 0+0+1\n")
        env = self.recorded_env()
        local_part = USER + "-list-Foo-bar"
        want = {
            "USER": USER, "HOME": self.home, "LOCAL": local_part, "HOST": HOST,
            "RECIPIENT": f"{local_part}@{HOST}", "SENDER": SENDER, "NEWSENDER": SENDER,
            "EXT": "list-Foo-bar", "EXT2": "Foo-bar", "EXT3": "bar", "EXT4": "",
            "HOST2": "x", "HOST3": "x", "HOST4": "x", "DEFAULT": "Foo-bar", "KEEP_ME": "1",
        }
        for name, value in want.items():
            self.assertEqual(env.get(name), value, name)
        # The multi-line values: env(1) prints the LF inside the value.
        envs = self.recorded("env")[0].decode()
        self.assertIn(f"DTLINE=Delivered-To: {local_part}@{HOST}\n\n", envs)
        self.assertIn(f"RPLINE=Return-Path: <{SENDER}>\n\n", envs)
        self.assertRegex(envs, r"UFLINE=From alice@a\.example [A-Z][a-z]{2} [A-Z][a-z]{2} "
                               r"\d\d \d\d:\d\d:\d\d \d{4}\n\n")

    def test_program_stdin_uid_and_cwd(self):
        self.dot_qmail(None, RECORDER.format(d=self.rec) + "\n")
        self.assert_ok(self.run_local())
        self.assertEqual(self.recorded("stdin"), [MESSAGE])  # no Return-Path/Delivered-To
        self.assertEqual(self.recorded("uid"), [f"{self.uid}\n".encode()])
        self.assertEqual(self.recorded("pwd"), [(self.home + "\n").encode()])

    def test_program_output_is_the_report(self):
        self.dot_qmail(None, "|echo out; echo err >&2; exit 100\n")
        proc = self.run_local()
        self.assertEqual(proc.returncode, 100)
        self.assertEqual(proc.stdout, b"out\n")
        self.assertEqual(proc.stderr, b"err\n")

    def test_program_exit_99_skips_the_rest_but_forwards(self):
        self.maildir()
        rec = RECORDER.format(d=self.rec)
        self.dot_qmail(None, f"&early@b.example\n{rec}\n|exit 99\n./Maildir/\n{rec}\n"
                             "&late@b.example\n")
        self.assert_ok(self.run_local())
        self.assertEqual(len(self.recorded("stdin")), 1)
        self.assertEqual(self.maildir_messages(), [])
        calls = self.queue_calls()
        self.assertEqual([c[1] for c in calls], [["early@b.example"]])

    def test_program_exit_codes(self):
        cases = [(0, 0), (99, 0), (100, 100), (64, 100), (65, 100), (70, 100), (76, 100),
                 (77, 100), (78, 100), (112, 100), (111, 111), (1, 111), (75, 111)]
        for code, want in cases:
            with self.subTest(exit=code):
                self.dot_qmail(None, f"|exit {code}\n")
                self.assertEqual(self.run_local().returncode, want)

    def test_failing_program_stops_later_lines(self):
        self.maildir()
        self.dot_qmail(None, "./Maildir/\n|exit 111\n./Mailbox\n")
        proc = self.run_local()
        self.assertEqual(proc.returncode, 111)
        self.assertEqual(len(self.maildir_messages()), 1)  # done before the failure
        self.assertFalse(os.path.exists(os.path.join(self.home, "Mailbox")))

    def test_crashed_program(self):
        self.dot_qmail(None, "|kill -KILL $$\n")
        self.assert_fails(self.run_local(), 111, "Aack, child crashed. (#4.3.0)")

    # --- forwards ------------------------------------------------------------------------

    def test_forwards_in_one_queue_call(self):
        self.dot_qmail(None, "&one@b.example\ntwo@c.example\n# not me\n&three\n")
        proc = self.run_local()
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertRegex(proc.stdout, rb"^did 0\+3\+0\nqp \d+\n$")
        calls = self.queue_calls()
        self.assertEqual(len(calls), 1)
        sender, rcpts, message = calls[0]
        self.assertEqual(sender, SENDER)
        self.assertEqual(rcpts, ["one@b.example", "two@c.example", "three"])
        self.assertEqual(message, f"Delivered-To: {USER}@{HOST}\n".encode() + MESSAGE)

    def test_forward_of_a_bounce_keeps_null_sender(self):
        self.dot_qmail("list", "&member@b.example\n")
        self.dot_qmail("list-owner", "&owner@b.example\n")
        self.assert_ok(self.run_local(ext="list", sender=""))
        self.assertEqual(self.queue_calls()[0][0], "")

    def test_owner_sender(self):
        self.dot_qmail("list", "&member@b.example\n")
        self.dot_qmail("list-owner", "&owner@b.example\n")
        self.assert_ok(self.run_local(ext="list"))
        self.assertEqual(self.queue_calls()[0][0], f"{USER}-list-owner@{HOST}")

    def test_owner_verp_sender(self):
        self.dot_qmail("list", "&member@b.example\n" + RECORDER.format(d=self.rec) + "\n")
        self.dot_qmail("list-owner", "&owner@b.example\n")
        self.dot_qmail("list-owner-default", "&owner@b.example\n")
        self.assert_ok(self.run_local(ext="list"))
        want = f"{USER}-list-owner-@{HOST}-@[]"
        self.assertEqual(self.queue_calls()[0][0], want)
        self.assertEqual(self.recorded_env()["NEWSENDER"], want)

    def test_forward_refused_by_the_queue(self):
        self.dot_qmail(None, "&one@b.example\n")
        self.assert_fails(self.run_local(env={"FAKE_QUEUE_EXIT": "31"}), 100,
                          "Unable to forward message: mail server permanently rejected "
                          "message (#5.3.0).")
        self.assert_fails(self.run_local(env={"FAKE_QUEUE_EXIT": "53"}), 111,
                          "Unable to forward message: qq write error or disk full (#4.3.0).")

    def test_plus_list_makes_the_rest_forward_only(self):
        self.dot_qmail(None, "+list\n&a@b.example\n|echo no\n")
        self.assert_fails(self.run_local(), 111,
                          "Uh-oh: .qmail has prog delivery but has x bit set. (#4.7.0)")
        self.assertEqual(self.queue_calls(), [])

    # --- loops and safety checks ---------------------------------------------------------

    def test_loop_detected(self):
        self.maildir()
        looping = f"Delivered-To: {USER}@{HOST}\n".encode() + MESSAGE
        self.assert_fails(self.run_local(message=looping), 100,
                          "This message is looping: it already has my Delivered-To line. "
                          "(#5.4.6)")
        self.assertEqual(self.maildir_messages(), [])
        # Another address's line, or ours in the body, is not a loop.
        other = b"Delivered-To: someone@else\n" + MESSAGE + f"Delivered-To: {USER}@{HOST}\n".encode()
        self.assert_ok(self.run_local(message=other))

    def test_sticky_home(self):
        self.maildir()
        os.chmod(self.home, 0o1755)
        self.assert_fails(self.run_local(), 111,
                          "Home directory is sticky: user is editing his .qmail file. (#4.2.1)")
        self.assertEqual(self.maildir_messages(), [])
        proc = self.run_local(flags=("-n",))
        self.assertEqual(proc.returncode, 0)
        self.assertEqual(proc.stderr, b"Warning: home directory is sticky.\n")

    def test_writable_home(self):
        self.maildir()
        os.chmod(self.home, 0o757)
        self.assert_fails(self.run_local(), 111, "Uh-oh: home directory is writable. (#4.7.0)")
        self.assertEqual(self.maildir_messages(), [])

    def test_writable_dot_qmail(self):
        self.maildir()
        self.dot_qmail(None, "./Maildir/\n", mode=0o646)
        self.assert_fails(self.run_local(), 111, "Uh-oh: .qmail file is writable. (#4.7.0)")

    def test_unreadable_dot_qmail(self):
        self.dot_qmail("secret", "&a@b.example\n", mode=0o000)
        self.assert_fails(self.run_local(ext="secret"), 111,
                          "Unable to open .qmail-secret: Permission denied. (#4.3.0)")

    def test_x_bit_means_forward_only(self):
        self.maildir()
        self.dot_qmail(None, "./Maildir/\n", mode=0o744)
        self.assert_fails(self.run_local(), 111,
                          "Uh-oh: .qmail has file delivery but has x bit set. (#4.7.0)")
        self.dot_qmail(None, "&a@b.example\n", mode=0o744)
        self.assert_ok(self.run_local())

    def test_blank_first_line(self):
        self.dot_qmail(None, "\n./Maildir/\n")
        self.assert_fails(self.run_local(), 111,
                          "Uh-oh: first line of .qmail file is blank. (#4.2.1)")

    def test_unseekable_stdin_refused(self):
        self.maildir()
        r, w = os.pipe()
        os.write(w, MESSAGE)
        os.close(w)
        proc = self.run_local(stdin=os.fdopen(r, "rb"))
        self.assert_fails(proc, 111, "Unable to rewind message: standard input is not a "
                                     "seekable file")
        self.assertEqual(self.maildir_messages(), [])

    # --- local -n, usage ----------------------------------------------------------------

    def test_show_mode(self):
        self.dot_qmail(None, "# c\n./Maildir/\n./Mailbox\n|preline procmail\n&a@b.example\n"
                             "c@d.example\n")
        proc = self.run_local(flags=("-n",), stdin=open(os.devnull, "rb"))
        self.assert_ok(proc, b"maildir ./Maildir/\nmbox ./Mailbox\nprogram preline procmail\n"
                             b"forward a@b.example\nforward c@d.example\ndid 2+2+1\n")
        self.assertEqual(self.queue_calls(), [])
        self.assertFalse(os.path.exists(os.path.join(self.home, "Mailbox")))

    def test_usage(self):
        proc = subprocess.run([self.local, "only", "three", "args"], capture_output=True,
                              timeout=60)
        self.assert_fails(proc, 100, "local: usage: local [-nN]")
        proc = subprocess.run([self.local, "u", "relative", "u", "", "", HOST, "", "./M/"],
                              capture_output=True, timeout=60)
        self.assertEqual(proc.returncode, 100)


if __name__ == "__main__":
    unittest.main()
