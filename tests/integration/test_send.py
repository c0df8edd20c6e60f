"""send, the scheduler, as installed: ROOT/bin/send run directly with fake spawners.

The harness plays `start`: it makes the pipes of descriptors 0..6, runs bin/send as mss
(setpriv), plays lspawn (and rspawn when a test wants one) from a thread: it writes the
concurrency byte, reads the commands and answers K, Z or D, or holds a command until the
test releases it. It runs the real bin/clean as msq on fds 5/6, and puts messages into the
queue with the real bin/queue. Tests then look at send's log (fd 0), the commands the
spawners got, and the queue files.
"""
import email
import email.policy
import os
import re
import signal
import stat
import subprocess
import tempfile
import threading
import time
import unittest
from concurrent.futures import ThreadPoolExecutor

import support
from support import run

HOST = "test.example"
SLOTS = 10
WAIT = 20  # seconds: upper bound for anything the tests wait for


class LogReader(threading.Thread):
    """Collects send's log lines (its fd 0)."""

    def __init__(self, fd):
        super().__init__(daemon=True)
        self.fd = fd
        self.lines = []
        self.cond = threading.Condition()
        self.start()

    def run(self):
        rest = b""
        while True:
            chunk = os.read(self.fd, 65536)
            if not chunk:
                break
            rest += chunk
            *done, rest = rest.split(b"\n")
            with self.cond:
                self.lines.extend(line.decode("latin-1") for line in done)
                self.cond.notify_all()
        os.close(self.fd)

    def wait(self, pattern, start=0, timeout=WAIT):
        """The first match of pattern in a line at index >= start."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for line in self.lines[start:]:
                    m = regex.fullmatch(line)
                    if m:
                        return m
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no log line {pattern!r} in:\n" + "\n".join(self.lines))
                self.cond.wait(left)

    def count(self, pattern):
        regex = re.compile(pattern)
        with self.cond:
            return sum(1 for line in self.lines if regex.fullmatch(line))

    def snapshot(self):
        with self.cond:
            return list(self.lines)


class FakeSpawner(threading.Thread):
    """Plays lspawn or rspawn: the concurrency byte, then commands in and results out.

    answer(sender, recipient) gives (letter, text) to answer at once, or None to hold the
    command until release() answers it."""

    def __init__(self, slots, answer):
        super().__init__(daemon=True)
        self.command_r, self.command_w = os.pipe()  # send's fd 1 (or 3) is command_w
        self.result_r, self.result_w = os.pipe()  # send's fd 2 (or 4) is result_r
        os.write(self.result_w, bytes([slots]))
        self.answer = answer
        self.commands = []  # (slot, message id, sender, recipient)
        self.held = []
        self.cond = threading.Condition()
        self.start()

    def run(self):
        buf = b""
        while True:
            chunk = os.read(self.command_r, 65536)
            if not chunk:
                break
            buf += chunk
            while len(buf) > 1:
                fields = buf[1:].split(b"\0", 3)
                if len(fields) < 4:
                    break
                slot, (msgid, sender, recipient, buf) = buf[0], fields
                command = (slot, msgid.decode(), sender.decode("latin-1"),
                           recipient.decode("latin-1"))
                reply = self.answer(command[2], command[3])
                with self.cond:
                    self.commands.append(command)
                    if reply is None:
                        self.held.append(command)
                    self.cond.notify_all()
                if reply is not None:
                    self.reply(slot, *reply)
        os.close(self.command_r)

    def reply(self, slot, letter, text):
        os.write(self.result_w, bytes([slot]) + letter.encode() + text.encode() + b"\0")

    def wait_commands(self, n, timeout=WAIT):
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.commands) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self.commands)} commands, want {n}: "
                                         f"{self.commands}")
                self.cond.wait(left)
            return list(self.commands)

    def release(self, letter="K", text="did 0+0+1\n"):
        """Answers every held command."""
        with self.cond:
            held, self.held = self.held, []
        for command in held:
            self.reply(command[0], letter, text)
        return held

    def close(self):
        for fd in (self.result_w,):
            try:
                os.close(fd)
            except OSError:
                pass


def deliver_all(sender, recipient):
    return ("K", "did 0+0+1\n")


class Send:
    """One run of ROOT/bin/send with its pipes, fake spawners and the real clean."""

    def __init__(self, case, answer=deliver_all, remote=None, local_slots=SLOTS,
                 rspawn_byte=0):
        self.case = case
        root = case.root
        env = case.env()
        log_r, log_w = os.pipe()
        self.log = LogReader(log_r)
        self.lspawn = FakeSpawner(local_slots, answer)
        self.rspawn = FakeSpawner(remote, answer) if remote else None
        request_r, request_w = os.pipe()
        reply_r, reply_w = os.pipe()
        self.clean = subprocess.Popen([os.path.join(root, "bin", "clean")], stdin=request_r,
                                      stdout=reply_w, user="msq", group="mailsuite",
                                      extra_groups=[], env=env)
        if self.rspawn:
            fd3, fd4 = self.rspawn.command_w, self.rspawn.result_r
        else:
            # start's convention without rspawn: /dev/null on 3, the byte 0 then EOF on 4.
            fd3 = os.open("/dev/null", os.O_WRONLY)
            fd4, hold_w = os.pipe()
            if rspawn_byte is not None:
                os.write(hold_w, bytes([rspawn_byte]))
            os.close(hold_w)
        targets = [log_w, self.lspawn.command_w, self.lspawn.result_r, fd3, fd4, request_w,
                   reply_r]
        actions = [(os.POSIX_SPAWN_DUP2, fd, 200 + i) for i, fd in enumerate(targets)]
        for i in range(len(targets)):
            actions += [(os.POSIX_SPAWN_DUP2, 200 + i, i), (os.POSIX_SPAWN_CLOSE, 200 + i)]
        argv = ["/usr/bin/setpriv", "--reuid=mss", "--regid=mailsuite", "--clear-groups", "--",
                os.path.join(root, "bin", "send")]
        self.pid = os.posix_spawn(argv[0], argv, env, file_actions=actions)
        for fd in {log_w, self.lspawn.command_w, self.lspawn.result_r, fd3, fd4, request_w,
                   reply_r, request_r, reply_w}:
            os.close(fd)
        self.status = None

    def signal(self, sig):
        os.kill(self.pid, sig)

    def wait_exit(self, timeout=WAIT):
        deadline = time.monotonic() + timeout
        while self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = os.waitstatus_to_exitcode(status)
                break
            if time.monotonic() > deadline:
                raise AssertionError("send did not exit:\n" + "\n".join(self.log.snapshot()))
            time.sleep(0.02)
        self.finish_helpers()
        return self.status

    def finish_helpers(self):
        self.lspawn.close()
        if self.rspawn:
            self.rspawn.close()
        try:
            self.clean.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.clean.kill()
            self.clean.wait()
        self.log.join(timeout=WAIT)

    def stop(self):
        if self.status is None:
            try:
                self.signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
            self.lspawn.release()
            if self.rspawn:
                self.rspawn.release()
            return self.wait_exit()
        return self.status


class SendTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        assert os.geteuid() == 0, "the integration suite runs as root (as CI does)"
        cls.base, cls.root = support.new_root("ms-send-")
        proc = support.make_install(cls.root)
        assert proc.returncode == 0, proc.stderr
        proc = run(cls.root, "mailctl", "init", "--hostname", HOST)
        assert proc.returncode == 0, proc.stderr
        cls.queue = os.path.join(cls.root, "queue")
        cls.split = len([d for d in os.listdir(os.path.join(cls.queue, "mess")) if d.isdigit()])
        cls.san_dir = os.path.join(cls.base, "san")
        os.mkdir(cls.san_dir)
        os.chmod(cls.san_dir, 0o1777)

    @classmethod
    def tearDownClass(cls):
        support.remove(cls.base)

    def setUp(self):
        for top in ["mess", "intd", "todo", "info", "local", "remote", "bounce", "pid"]:
            for dirpath, _, files in os.walk(os.path.join(self.queue, top)):
                for f in files:
                    os.unlink(os.path.join(dirpath, f))
        for name in ["virtualdomains", "percenthack", "queuelifetime", "doublebounceto",
                     "doublebouncehost", "bouncehost", "concurrencylocal"]:
            try:
                os.unlink(os.path.join(self.root, "control", name))
            except FileNotFoundError:
                pass
        self.control("locals", f"{HOST}\nlocalhost\n")
        self.runs = []

    def tearDown(self):
        for r in self.runs:
            r.stop()
        support.assert_no_sanitizer_reports(self, self.san_dir)

    # --- helpers ----------------------------------------------------------------

    def env(self):
        # Reports go to files (fd 2 of send is lspawn's pipe).
        return support.san_env(self.san_dir)

    def control(self, name, text):
        with open(os.path.join(self.root, "control", name), "w") as f:
            f.write(text)

    def start(self, **kw):
        r = Send(self, **kw)
        self.runs.append(r)
        return r

    def path(self, folder, n):
        return os.path.join(self.queue, folder, str(n % self.split), str(n))

    def read(self, folder, n):
        with open(self.path(folder, n), "rb") as f:
            return f.read()

    def exists(self, folder, n):
        return os.path.exists(self.path(folder, n))

    def inject(self, sender, *recipients, body=b"Subject: test\n\nhello\n"):
        env = dict(self.env())
        if support.SAN == "1":
            env["ASAN_OPTIONS"] += ":detect_leaks=0"
        r, w = os.pipe()
        os.write(w, b"F" + sender.encode() + b"\0"
                 + b"".join(b"T" + x.encode() + b"\0" for x in recipients) + b"\0")
        os.close(w)
        proc = subprocess.run([os.path.join(self.root, "bin", "queue")], input=body, stdout=r,
                              env=env, timeout=60)
        os.close(r)
        self.assertEqual(proc.returncode, 0)

    def new_msg(self, log, sender, start=0):
        """The number of the message from sender that send has preprocessed."""
        m = log.wait(rf"info msg (\d+): bytes (\d+) from <{re.escape(sender)}> qp (\d+) uid (\d+)",
                     start)
        return int(m[1])

    def wait_gone(self, n, timeout=WAIT):
        deadline = time.monotonic() + timeout
        while self.exists("mess", n) or self.exists("info", n):
            self.assertLess(time.monotonic(), deadline, f"message {n} still queued")
            time.sleep(0.02)

    def queued_files(self):
        found = []
        for top in ["mess", "intd", "todo", "info", "local", "remote", "bounce"]:
            for dirpath, _, files in os.walk(os.path.join(self.queue, top)):
                found += [os.path.join(dirpath, f) for f in files]
        return found

    @staticmethod
    def cpu_ticks(pid):
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(") ", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime

    def parse(self, n):
        return email.message_from_bytes(self.read("mess", n), policy=email.policy.compat32)

    # --- the tests ---------------------------------------------------------------

    def test_preprocesses_delivers_and_logs(self):
        s = self.start(answer=lambda sender, recipient: None)
        s.log.wait(r"status: local 0/10 remote 0/0")
        body = b"Subject: one\n\nhello\n"
        self.inject("alice@test.example", "bob@test.example", body=body)
        n = self.new_msg(s.log, "alice@test.example")
        (slot, msgid, sender, recipient), = s.lspawn.wait_commands(1)
        self.assertEqual((slot, msgid, sender, recipient),
                         (0, f"{n % self.split}/{n}", "alice@test.example", "bob@test.example"))

        # Preprocessed: info and local written, todo and intd gone, nothing remote.
        self.assertEqual(self.read("info", n), b"Falice@test.example\0")
        self.assertEqual(self.read("local", n), b"Tbob@test.example\0")
        for folder in ["info", "local"]:
            st = os.stat(self.path(folder, n))
            self.assertEqual((st.st_uid, stat.S_IMODE(st.st_mode)), (support.uid("mss"), 0o600))
        self.assertFalse(self.exists("todo", n))
        self.assertFalse(self.exists("intd", n))
        self.assertFalse(self.exists("remote", n))

        size = os.stat(self.path("mess", n)).st_size
        self.assertGreater(size, len(body))  # the queue's Received line and the body

        s.lspawn.release("K", "did 0+0+1\n")
        s.log.wait(rf"end msg {n}")
        self.wait_gone(n)
        self.assertEqual(self.queued_files(), [])
        # Idle again: no busy loop after the trigger fifo was written to.
        before = self.cpu_ticks(s.pid)
        time.sleep(1.0)
        self.assertLess(self.cpu_ticks(s.pid) - before, 10)
        lines = s.log.snapshot()
        start = lines.index(f"new msg {n}")
        self.assertRegex(lines[start + 1],
                         rf"info msg {n}: bytes {size} from <alice@test.example> qp \d+ uid 0")
        self.assertEqual(lines[start + 2:start + 7], [
            f"starting delivery 1: msg {n} to local bob@test.example",
            "status: local 1/10 remote 0/0",
            "delivery 1: success: did_0+0+1/",
            "status: local 0/10 remote 0/0",
            f"end msg {n}",
        ])
        self.assertIn("warning: no rspawn: remote deliveries are on hold", lines)

    def test_rewriting_sorts_recipients_into_channels(self):
        self.control("virtualdomains", "virt.example:vu\n.sub.example:subs\nexcept.sub.example:\n")
        self.control("percenthack", "gw.example\n")
        s = self.start(answer=lambda sender, recipient: None)
        self.inject("a@test.example", "bare", "u%far.example@gw.example", "x@virt.example",
                    "y@a.sub.example", "z@except.sub.example", "Q@TEST.EXAMPLE", "r@far.example")
        n = self.new_msg(s.log, "a@test.example")
        s.lspawn.wait_commands(4)
        self.assertEqual(self.read("local", n),
                         b"Tbare@test.example\0Tvu-x@virt.example\0Tsubs-y@a.sub.example\0"
                         b"TQ@TEST.EXAMPLE\0")
        self.assertEqual(self.read("remote", n),
                         b"Tu@far.example\0Tz@except.sub.example\0Tr@far.example\0")
        self.assertEqual(sorted(c[3] for c in s.lspawn.commands),
                         ["Q@TEST.EXAMPLE", "bare@test.example", "subs-y@a.sub.example",
                          "vu-x@virt.example"])
        # Remote is on hold: the message stays, its remote recipients are never bounced.
        s.lspawn.release()
        s.log.wait(r"status: local 0/10 remote 0/0", s.log.snapshot().index(f"new msg {n}") + 8)
        s.signal(signal.SIGALRM)
        time.sleep(0.5)
        self.assertFalse(self.exists("local", n))
        self.assertEqual(self.read("remote", n),
                         b"Tu@far.example\0Tz@except.sub.example\0Tr@far.example\0")
        self.assertFalse(self.exists("bounce", n))
        self.assertEqual(s.log.count(rf"end msg {n}"), 0)

        # SIGHUP rereads locals: far.example is local from now on.
        self.control("locals", f"{HOST}\nfar.example\n")
        s.signal(signal.SIGHUP)
        time.sleep(0.3)
        self.inject("b@test.example", "s@far.example")
        m = self.new_msg(s.log, "b@test.example")
        s.lspawn.wait_commands(5)
        s.lspawn.release()
        s.log.wait(rf"end msg {m}")
        self.assertIn((f"{m % self.split}/{m}", "s@far.example"),
                      [(c[1], c[3]) for c in s.lspawn.commands])

    def test_deferral_is_retried_on_sigalrm(self):
        answers = iter([("Z", "temporary trouble (#4.3.0)\n"), ("K", "did 1+0+0\n")])
        s = self.start(answer=lambda sender, recipient: next(answers))
        self.inject("a@test.example", "bob@test.example")
        n = self.new_msg(s.log, "a@test.example")
        s.log.wait(r"delivery 1: deferral: temporary_trouble_\(#4.3.0\)/")
        self.assertEqual(self.read("local", n), b"Tbob@test.example\0")
        # The next attempt (birth + n*n, n >= 10) is in the channel file's mtime at once,
        # not only when send stops: mailctl queue shows it, and a crash keeps it.
        due = os.stat(self.path("local", n)).st_mtime
        self.assertIn(due - int(os.stat(self.path("info", n)).st_mtime), (100, 121))
        listing = run(self.root, "mailctl", "queue").stdout
        self.assertIn(time.strftime("next local %Y-%m-%dT%H:%M:%SZ", time.gmtime(due)), listing)
        # The next attempt is 100 s away: nothing happens meanwhile.
        time.sleep(1.0)
        self.assertEqual(len(s.lspawn.commands), 1)
        s.signal(signal.SIGALRM)
        s.log.wait(rf"starting delivery 2: msg {n} to local bob@test.example")
        s.log.wait(r"delivery 2: success: did_1\+0\+0/")
        s.log.wait(rf"end msg {n}")
        self.wait_gone(n)

    def answer_failures(self, failing, text="Sorry, no mailbox here by that name. (#5.1.1)\n",
                        hold=()):
        def answer(sender, recipient):
            if recipient in hold:
                return None
            if recipient in failing:
                return ("D", text)
            return ("K", "did 0+0+1\n")
        return answer

    def dsn_parts(self, msg):
        self.assertEqual(msg.get_content_type(), "multipart/report")
        self.assertEqual(msg.get_param("report-type"), "delivery-status")
        text, status, original = msg.get_payload()
        self.assertEqual(text.get_content_type(), "text/plain")
        self.assertEqual(status.get_content_type(), "message/delivery-status")
        blocks = status.get_payload()
        return text.get_payload(), blocks[0], blocks[1:], original

    def test_failure_comes_back_as_a_dsn(self):
        s = self.start(answer=self.answer_failures({"nosuch@test.example"},
                                                   hold={"alice@test.example"}))
        self.inject("alice@test.example", "nosuch@test.example", "ok@test.example",
                    body=b"Subject: lost\nMessage-ID: <m1@test.example>\n\nhello\n")
        n = self.new_msg(s.log, "alice@test.example")
        s.log.wait(r"delivery \d+: failure: Sorry,_no_mailbox_here_by_that_name._\(#5.1.1\)/")
        q = s.log.wait(rf"bounce msg {n} qp (\d+)")[1]
        s.log.wait(rf"end msg {n}")
        b = self.new_msg(s.log, "")
        commands = s.lspawn.wait_commands(3)
        self.assertEqual(commands[2][1:], (f"{b % self.split}/{b}", "", "alice@test.example"))
        # Held: the bounce is in mess/ while it is being delivered.
        msg = self.parse(b)
        self.assertRegex(msg["Received"], rf"mail-suite {q} invoked for bounce")
        self.assertEqual(msg["To"], "alice@test.example")
        self.assertEqual(msg["From"], f"MAILER-DAEMON@{HOST}")
        self.assertEqual(msg["Subject"], "failure notice")
        text, per_message, recipients, original = self.dsn_parts(msg)
        self.assertTrue(text.startswith(f"Hi. This is the send program at {HOST}.\n"
                                        "I'm afraid I wasn't able to deliver your message"), text)
        self.assertIn("<nosuch@test.example>:\nSorry, no mailbox here by that name. (#5.1.1)\n",
                      text)
        self.assertNotIn("ok@test.example", text)
        self.assertEqual(per_message["Reporting-MTA"], f"dns; {HOST}")
        self.assertTrue(per_message["Arrival-Date"])
        self.assertEqual(len(recipients), 1)
        r = recipients[0]
        self.assertEqual(r["Final-Recipient"], "rfc822; nosuch@test.example")
        self.assertEqual(r["Action"], "failed")
        self.assertEqual(r["Status"], "5.1.1")
        self.assertEqual(r["Diagnostic-Code"],
                         "x-unix; Sorry, no mailbox here by that name. (#5.1.1)")
        self.assertEqual(original.get_content_type(), "message/rfc822")
        copy = original.get_payload()[0]
        self.assertEqual(copy["Subject"], "lost")
        self.assertEqual(copy["Return-Path"], "<alice@test.example>")
        self.assertEqual(copy.get_payload(), "hello\n")
        s.lspawn.release()
        s.log.wait(rf"end msg {b}")

    def test_big_message_comes_back_with_its_header_only(self):
        s = self.start(answer=self.answer_failures({"nosuch@test.example"},
                                                   hold={"alice@test.example"}))
        body = b"Subject: big\nX-Big: yes\n\n" + b"x" * 100 + b"\n" * 1500
        self.inject("alice@test.example", "nosuch@test.example", body=body + b"y" * 150000)
        n = self.new_msg(s.log, "alice@test.example")
        s.log.wait(rf"bounce msg {n} qp \d+")
        b = self.new_msg(s.log, "")
        s.lspawn.wait_commands(2)
        self.assertLess(os.stat(self.path("mess", b)).st_size, 10000)
        *_, original = self.dsn_parts(self.parse(b))
        self.assertEqual(original.get_content_type(), "text/rfc822-headers")
        header = original.get_payload()
        self.assertIn("Subject: big\nX-Big: yes\n", header)
        self.assertTrue(header.startswith("Return-Path: <alice@test.example>\nReceived: "), header)
        self.assertNotIn("xxxx", header)

    def test_double_and_triple_bounces(self):
        self.control("doublebounceto", "admin\n")
        s = self.start(answer=self.answer_failures({"nosuch@test.example",
                                                    "admin@test.example"}))
        self.inject("", "nosuch@test.example", body=b"Subject: a bounce\n\nbounced\n")
        n = self.new_msg(s.log, "")
        s.log.wait(rf"bounce msg {n} qp \d+")
        double = self.new_msg(s.log, "#@[]")
        s.log.wait(rf"triple bounce: discarding bounce/{double}")
        s.log.wait(rf"end msg {double}")
        cmds = [c for c in s.lspawn.commands if c[1] == f"{double % self.split}/{double}"]
        self.assertEqual([(c[2], c[3]) for c in cmds], [("#@[]", "admin@test.example")])
        self.wait_gone(double)
        time.sleep(0.3)
        self.assertEqual(s.log.count(r"new msg \d+"), 2)  # no third message
        self.assertEqual(self.queued_files(), [])

    def test_double_bounce_text(self):
        s = self.start(answer=self.answer_failures({"nosuch@test.example"},
                                                   hold={"postmaster@test.example"}))
        self.inject("", "nosuch@test.example", body=b"Subject: a bounce\n\nbounced\n")
        self.new_msg(s.log, "")
        double = self.new_msg(s.log, "#@[]")
        s.lspawn.wait_commands(2)
        msg = self.parse(double)
        self.assertEqual(msg["To"], f"postmaster@{HOST}")
        text, _, recipients, original = self.dsn_parts(msg)
        self.assertIn("I tried to deliver a bounce message to this address, but the bounce "
                      "bounced!\n", text)
        self.assertIn("--- Below this line is the original bounce.", text)
        self.assertEqual(recipients[0]["Final-Recipient"], "rfc822; nosuch@test.example")
        self.assertEqual(original.get_payload()[0]["Return-Path"], "<>")

    def test_queuelifetime_turns_deferrals_into_a_bounce(self):
        self.control("queuelifetime", "0\n")
        s = self.start(answer=lambda sender, recipient:
                       ("Z", "mailbox busy (#4.2.1)\n") if recipient == "bob@test.example"
                       else ("K", "did 0+0+1\n"))
        self.inject("alice@test.example", "bob@test.example")
        n = self.new_msg(s.log, "alice@test.example")
        s.log.wait(r"delivery 1: (deferral|failure): mailbox_busy.*")
        deadline = time.monotonic() + WAIT
        while not s.log.count(r"delivery \d+: failure: .*"):
            self.assertLess(time.monotonic(), deadline)
            time.sleep(1.1)  # a second older than its lifetime of 0 s: dying
            s.signal(signal.SIGALRM)
        s.log.wait(r"delivery \d+: failure: mailbox_busy_\(#4.2.1\)/I'm_not_going_to_try_again;"
                   r"_this_message_has_been_in_the_queue_too_long./")
        s.log.wait(rf"bounce msg {n} qp \d+")
        b = self.new_msg(s.log, "")
        s.log.wait(rf"end msg {b}")

    def test_sigterm_waits_saves_retry_times_and_restart_recovers(self):
        held = self.start(answer=lambda sender, recipient:
                          None if recipient == "slow@test.example"
                          else ("Z", "try later (#4.3.0)\n"))
        self.inject("a@test.example", "later@test.example")
        n = self.new_msg(held.log, "a@test.example")
        held.log.wait(r"delivery 1: deferral: .*")
        self.inject("b@test.example", "slow@test.example")
        m = self.new_msg(held.log, "b@test.example")
        held.lspawn.wait_commands(2)
        # mailctl queue while send runs: the next attempt from the schedule formula.
        birth = os.stat(self.path("info", n)).st_mtime
        listing = run(self.root, "mailctl", "queue").stdout
        self.assertRegex(listing, rf"msg {n} .* next local \S+")

        held.signal(signal.SIGTERM)
        time.sleep(0.5)
        self.assertIsNone(held.status)  # a delivery is in flight: send waits for it
        self.assertEqual(os.waitpid(held.pid, os.WNOHANG), (0, 0))
        held.lspawn.release("Z", "still busy\n")
        self.assertEqual(held.wait_exit(), 0)
        lines = held.log.snapshot()
        self.assertEqual(lines[-1], "status: exiting")
        self.assertIn("status: local 0/10 remote 0/0 exitasap", lines)
        # The next attempts went into the channel files' mtimes: birth + n*n, n >= 10.
        for k in (n, m):
            wait = os.stat(self.path("local", k)).st_mtime \
                - int(os.stat(self.path("info", k)).st_mtime)
            self.assertIn(wait, (100, 121), k)
        listing = run(self.root, "mailctl", "queue").stdout
        saved = time.strftime("%Y-%m-%dT%H:%M:%SZ",
                              time.gmtime(os.stat(self.path("local", n)).st_mtime))
        self.assertIn(f"next local {saved}", listing)
        self.assertGreater(os.stat(self.path("local", n)).st_mtime, birth)

        # A third message lost its channel file in a crash: finished at start.
        self.inject("c@test.example", "gone@test.example")
        s = self.start(answer=lambda sender, recipient: ("Z", "later\n"))
        o = self.new_msg(s.log, "c@test.example")
        s.log.wait(r"delivery 1: deferral: later/")
        self.assertEqual(s.stop(), 0)
        self.assertEqual(len(s.lspawn.commands), 1)  # n and m were not due
        os.unlink(self.path("local", o))

        again = self.start()
        again.log.wait(rf"end msg {o}")
        time.sleep(1.0)
        self.assertEqual(again.lspawn.commands, [])  # n and m wait for their retry time
        again.signal(signal.SIGALRM)
        again.log.wait(rf"end msg {n}")
        again.log.wait(rf"end msg {m}")
        self.assertEqual(self.queued_files(), [])

    def mess_file(self, when=None):
        """A mess file as bin/queue makes it (msq:mailsuite 0644, named after its inode)
        that nothing refers to; its atime and mtime set to when, if given."""
        tmp = os.path.join(self.queue, "pid", "orphan.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, b"Received: (test)\nSubject: lost\n\nhello\n")
        os.fchown(fd, support.uid("msq"), support.gid("mailsuite"))
        n = os.fstat(fd).st_ino
        os.close(fd)
        os.rename(tmp, self.path("mess", n))
        if when is not None:
            os.utime(self.path("mess", n), (when, when))
        return n

    def test_orphaned_mess_file_is_removed_after_36_hours(self):
        two_days_ago = time.time() - 2 * 86400
        # A real message queued two days ago, not preprocessed yet (send is down): stays.
        self.inject("old@test.example", "bob@test.example")
        kept, = [int(f) for _, _, files in os.walk(os.path.join(self.queue, "todo"))
                 for f in files]
        os.utime(self.path("mess", kept), (two_days_ago, two_days_ago))
        orphan = self.mess_file(two_days_ago)
        young = self.mess_file()  # changed just now: stays, whatever refers to it
        s = self.start(answer=lambda sender, recipient: None)  # deliveries held
        s.log.wait(rf"warning: mess/{orphan % self.split}/{orphan} has no info or todo file "
                   r"and is 36 hours old; asking clean to remove it")
        deadline = time.monotonic() + WAIT
        while self.exists("mess", orphan):
            self.assertLess(time.monotonic(), deadline, "the orphan is still there")
            time.sleep(0.02)
        self.assertEqual(self.new_msg(s.log, "old@test.example"), kept)
        s.lspawn.wait_commands(1)
        # One step of the walk looks at 100 names: the whole of mess/ was seen already.
        self.assertTrue(self.exists("mess", kept))
        self.assertTrue(self.exists("mess", young))
        self.assertEqual(s.log.count(r"warning: mess/.*"), 1)
        # kept's foop/N goes to clean after the orphan's: its reply comes after the other.
        s.lspawn.release()
        s.log.wait(rf"end msg {kept}")
        self.assertEqual(s.stop(), 0)
        lines = s.log.snapshot()
        self.assertNotIn(f"end msg {orphan}", lines)
        self.assertEqual([x for x in lines if "clean unable" in x], [])
        self.assertTrue(self.exists("mess", young))

    def test_delivery_that_succeeds_during_the_exit_finishes_its_message(self):
        held = self.start(answer=lambda sender, recipient: None)
        self.inject("a@test.example", "slow@test.example")
        n = self.new_msg(held.log, "a@test.example")
        held.lspawn.wait_commands(1)
        held.signal(signal.SIGTERM)
        time.sleep(0.3)
        self.assertIsNone(held.status)
        held.lspawn.release("K", "delivered\n")
        self.assertEqual(held.wait_exit(), 0)
        lines = held.log.snapshot()
        self.assertEqual(lines[-1], "status: exiting")
        self.assertIn(f"end msg {n}", lines)  # finished in this run, not at the next start
        self.assertLess(lines.index(f"end msg {n}"), len(lines) - 1)
        self.assertEqual(self.queued_files(), [])

    def test_flush_and_queue_listing_with_mailctl(self):
        proc = run(self.root, "mailctl", "flush")
        self.assertEqual(proc.returncode, 111)
        self.assertIn("send is not running", proc.stderr)
        answers = iter([("Z", "later\n"), ("K", "did 0+0+1\n")])
        s = self.start(answer=lambda sender, recipient: next(answers))
        self.inject("a@test.example", "bob@test.example")
        n = self.new_msg(s.log, "a@test.example")
        s.log.wait(r"delivery 1: deferral: later/")
        with open(os.path.join(self.queue, "lock", "sendmutex")) as f:
            self.assertEqual(f.read(), f"{s.pid}\n")
        proc = run(self.root, "mailctl", "flush")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn(str(s.pid), proc.stdout)
        s.log.wait(rf"end msg {n}")

    def test_remote_channel_and_verp(self):
        s = self.start(remote=5, answer=self.answer_failures(
            {"bob@far.example"}, text="Remote host said: 550 5.1.1 <bob@far.example>... no\n"))
        s.log.wait(r"status: local 0/10 remote 0/5")
        self.inject("list-@lists.example-@[]", "bob@far.example", "carol@test.example")
        n = self.new_msg(s.log, "list-@lists.example-@[]")
        remote = s.rspawn.wait_commands(1)
        self.assertEqual(remote[0][1:], (f"{n % self.split}/{n}",
                                         "list-bob=far.example@lists.example", "bob@far.example"))
        local = s.lspawn.wait_commands(1)
        self.assertEqual(local[0][2:], ("list-carol=test.example@lists.example",
                                        "carol@test.example"))
        s.log.wait(rf"starting delivery \d+: msg {n} to remote bob@far.example")
        s.log.wait(rf"bounce msg {n} qp \d+")
        b = self.new_msg(s.log, "")
        bounce = s.rspawn.wait_commands(2)[1]
        self.assertEqual(bounce[1:], (f"{b % self.split}/{b}", "", "list-@lists.example"))
        s.log.wait(rf"end msg {b}")

    def test_rspawn_pipe_without_a_byte_means_remote_on_hold(self):
        s = self.start(rspawn_byte=None)  # end of file at once on fd 4
        s.log.wait(r"warning: no rspawn: remote deliveries are on hold")
        self.inject("a@test.example", "far@elsewhere.example", "near@test.example")
        n = self.new_msg(s.log, "a@test.example")
        s.log.wait(rf"starting delivery 1: msg {n} to local near@test.example")
        s.log.wait(r"status: local 0/10 remote 0/0")
        s.signal(signal.SIGALRM)
        time.sleep(0.3)
        self.assertEqual(self.read("remote", n), b"Tfar@elsewhere.example\0")
        self.assertFalse(self.exists("local", n))
        self.assertEqual(s.log.count(r"alert: .*"), 0)  # not a lost spawner
        self.assertEqual(s.stop(), 0)

    def test_second_send_refuses_to_start(self):
        first = self.start()
        first.log.wait(r"status: local 0/10 remote 0/0")
        second = self.start()
        self.assertEqual(second.wait_exit(), 111)
        self.assertEqual(second.log.snapshot(), ["alert: cannot start: send is already running"])

    def test_thousand_messages(self):
        count = 1000
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(lambda i: self.inject(f"s{i}@test.example", f"u{i}@test.example"),
                          range(count)))
        began = time.monotonic()
        s = self.start()
        deadline = began + 60
        while s.log.count(r"end msg \d+") < count:
            self.assertLess(time.monotonic(), deadline, f"{s.log.count(r'end msg .*')} done")
            time.sleep(0.05)
        took = time.monotonic() - began
        print(f"\n  send: {count} messages preprocessed, delivered and removed in {took:.2f} s "
              f"({count / took:.0f}/s)", flush=True)
        self.assertEqual(s.log.count(r"new msg \d+"), count)
        self.assertEqual(len(s.lspawn.commands), count)
        self.assertEqual(self.queued_files(), [])


class EndToEndTest(unittest.TestCase):
    """The real thing: bin/start runs send, lspawn, local and clean; a message to an
    unknown local address comes back to its sender's Maildir as a DSN."""

    @classmethod
    def setUpClass(cls):
        assert os.geteuid() == 0, "the integration suite runs as root (as CI does)"
        cls.base, cls.root = support.new_root("ms-send-e2e-")
        proc = support.make_install(cls.root)
        assert proc.returncode == 0, proc.stderr
        proc = run(cls.root, "mailctl", "init", "--hostname", HOST)
        assert proc.returncode == 0, proc.stderr

    @classmethod
    def tearDownClass(cls):
        support.remove(cls.base)

    def test_unknown_local_address_bounces_to_the_senders_maildir(self):
        env = {"PATH": "/usr/bin:/bin"}
        san_dir = None
        if support.SAN == "1":
            san_dir = tempfile.mkdtemp(dir=self.base)
            os.chmod(san_dir, 0o1777)
            env["ASAN_OPTIONS"] = f"log_path={san_dir}/asan:detect_leaks=0"
            env["UBSAN_OPTIONS"] = f"log_path={san_dir}/ubsan:print_stacktrace=1"
        proc = subprocess.Popen([os.path.join(self.root, "bin", "start"), "./Maildir/"],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, env=env)
        log = LogReader(os.dup(proc.stdout.fileno()))
        try:
            log.wait(r"status: local 0/\d+ remote 0/\d+")
            r, w = os.pipe()
            os.write(w, b"Fpostmaster@test.example\0Tnosuchuser@test.example\0\0")
            os.close(w)
            queued = subprocess.run([os.path.join(self.root, "bin", "queue")], stdout=r,
                                    input=b"Subject: to nobody\n\nhello\n", env=env, timeout=60)
            os.close(r)
            self.assertEqual(queued.returncode, 0)
            n = int(log.wait(r"info msg (\d+): bytes \d+ from <postmaster@test.example> .*")[1])
            log.wait(r"delivery \d+: failure: Sorry,_no_mailbox_here_by_that_name._\(#5.1.1\)/")
            log.wait(rf"bounce msg {n} qp \d+")
            b = int(log.wait(r"info msg (\d+): bytes \d+ from <> .*")[1])
            log.wait(rf"end msg {b}")
            new = os.path.join(self.root, "alias", "Maildir", "new")
            files = os.listdir(new)
            self.assertEqual(len(files), 1)
            with open(os.path.join(new, files[0]), "rb") as f:
                msg = email.message_from_bytes(f.read())
            self.assertEqual(msg["Delivered-To"], "postmaster@test.example")
            self.assertEqual(msg.get_content_type(), "multipart/report")
            text, status, original = msg.get_payload()
            self.assertIn("<nosuchuser@test.example>:\nSorry, no mailbox here by that name.",
                          text.get_payload())
            fields = status.get_payload()[1]
            self.assertEqual(fields["Final-Recipient"], "rfc822; nosuchuser@test.example")
            self.assertEqual(fields["Status"], "5.1.1")
            self.assertEqual(original.get_payload()[0]["Subject"], "to nobody")
        finally:
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=WAIT)
            log.join(timeout=WAIT)
            proc.stdout.close()
        self.assertEqual(code, 0)
        self.assertEqual(log.snapshot()[-1], "status: exiting")
        if san_dir:
            self.assertEqual(os.listdir(san_dir), [], "sanitizer reports")


if __name__ == "__main__":
    unittest.main()
