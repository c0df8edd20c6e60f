"""The delivery engine end to end (issue 4): ROOT/bin/start as root with the real send,
lspawn, local and clean, messages put in with ROOT/bin/inject, results read from
Maildirs.

One install serves the whole file. Every test starts `ROOT/bin/start ./Maildir/` in the
background in its own session (send's log appended to ROOT/log/send.log) and stops it in
tearDown with SIGTERM to start's pid, which is send's. A system account made for this
file (home with ./Maildir/ and .qmail-EXT files, removed afterwards) is the local user.
This process is the child subreaper while the tests run, so helpers orphaned by a killed
send or lspawn come back here to be reaped and accounted for; anything of a run still
alive after tearDown's grace period is killed by pid.

Sanitizer build: reports go to files in a directory that every test checks to be empty
(send's fd 2 is lspawn's pipe, and local runs as the user). LeakSanitizer stays on (the
setuid queue program turns it off itself), except in the crash test: see there.
"""
import ctypes
import email
import email.policy
import os
import random
import re
import signal
import subprocess
import time
import unittest
from concurrent.futures import ThreadPoolExecutor

import support
from support import proc_info, run, running

HOST = "test.example"
USER = f"mstd{os.getpid() % 100000}"  # unique per run: parallel runs must not share it
WAIT = 20  # seconds: upper bound for anything a test waits for
PR_SET_CHILD_SUBREAPER = 36


def set_subreaper(on):
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1 if on else 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def stat_of(pid):
    """(state, parent, process group) of pid, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(") ", 1)[1].split()
    except OSError:
        return None
    return fields[0], int(fields[1]), int(fields[2])


def make_maildir(home, name, uid, gid):
    for sub in ("", "tmp", "new", "cur"):
        path = os.path.join(home, name, sub)
        os.makedirs(path, exist_ok=True)
        os.chown(path, uid, gid)
        os.chmod(path, 0o700)
    return os.path.join(home, name)


class LogFile:
    """send's log, a file that every run appends to; reads are by line index."""

    def __init__(self, path):
        self.path = path

    def lines(self):
        with open(self.path, "rb") as f:
            return f.read().decode("latin-1").split("\n")[:-1]

    def mark(self):
        return len(self.lines())

    def wait(self, pattern, start=0, timeout=WAIT):
        """The first full match of pattern in a line at index >= start."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            for line in self.lines()[start:]:
                m = regex.fullmatch(line)
                if m:
                    return m
            if time.monotonic() > deadline:
                raise AssertionError(f"no log line {pattern!r} after line {start} in:\n"
                                     + "\n".join(self.lines()[-60:]))
            time.sleep(0.01)

    def count(self, pattern, start=0):
        regex = re.compile(pattern)
        return sum(1 for line in self.lines()[start:] if regex.fullmatch(line))


class DeliveryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        assert os.geteuid() == 0, "the integration suite runs as root (as CI does)"
        cls.base, cls.root = support.new_root("ms-delivery-")
        cls.addClassCleanup(support.remove, cls.base)
        proc = support.make_install(cls.root)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        proc = run(cls.root, "mailctl", "init", "--hostname", HOST)
        assert proc.returncode == 0, proc.stderr
        cls.home = os.path.join(cls.base, "home", USER)
        cls.addClassCleanup(support.remove_user, USER)
        cls.uid, cls.gid = support.add_user(USER, cls.home)
        make_maildir(cls.home, "Maildir", cls.uid, cls.gid)
        cls.san_dir = os.path.join(cls.base, "san")
        os.mkdir(cls.san_dir)
        os.chmod(cls.san_dir, 0o1777)
        cls.log = LogFile(os.path.join(cls.root, "log", "send.log"))
        open(cls.log.path, "wb").close()
        set_subreaper(True)
        cls.addClassCleanup(set_subreaper, False)

    def setUp(self):
        self.runs = []  # every start process of this test (Popen), the live one last
        self.detect_leaks = 1
        self.start_ready()

    def tearDown(self):
        try:
            self.stop()
        finally:
            self.reap()
        support.assert_no_sanitizer_reports(self, self.san_dir)

    # --- the delivery processes -------------------------------------------------

    def env(self):
        return support.san_env(self.san_dir, self.detect_leaks)

    def start(self):
        """Starts bin/start in its own session; returns (Popen, index of its first line)."""
        mark = self.log.mark()
        with open(self.log.path, "ab") as out:
            proc = subprocess.Popen([os.path.join(self.root, "bin", "start"), "./Maildir/"],
                                    stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, env=self.env(),
                                    start_new_session=True)
        self.runs.append(proc)
        return proc, mark

    def start_ready(self):
        proc, mark = self.start()
        self.log.wait(r"status: local \d+/\d+ remote \d+/\d+", mark)
        return proc

    def send_pid(self):
        return self.runs[-1].pid

    def stop(self):
        """SIGTERM to send (start's pid), then the helpers end on end of file; anything of
        our runs still alive after the grace period is killed by pid, and fails the test."""
        proc = self.runs[-1] if self.runs else None
        problems = []
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=WAIT)
                if proc.returncode != 0:
                    problems.append(f"send exited {proc.returncode} after SIGTERM")
            except subprocess.TimeoutExpired:
                problems.append(f"send did not stop within {WAIT} s of SIGTERM: "
                                + self.describe(proc.pid) + "\n"
                                + "\n".join(self.log.lines()[-30:]))
        for p in self.runs:
            if p.poll() is None:
                p.kill()
                p.wait()
        # Once send has gone, lspawn and clean see end of file and exit, and so does
        # everything they started.
        deadline = time.monotonic() + WAIT
        while self.session_pids() and time.monotonic() < deadline:
            self.reap()
            time.sleep(0.02)
        left = {pid: stat_of(pid) for pid in self.session_pids()}
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        if left:
            problems.append(f"still running after send stopped: {left}")
        if problems:
            self.fail("\n".join(problems))

    @staticmethod
    def describe(pid):
        """What pid is doing, for a failure message."""
        out = []
        for name in ("wchan", "stack", "syscall"):
            try:
                with open(f"/proc/{pid}/{name}") as f:
                    out.append(f"{name}: {f.read().strip()}")
            except OSError as e:
                out.append(f"{name}: {e}")
        return "\n".join(out)

    def session_pids(self):
        """Live processes in the sessions (process groups) of this test's start runs."""
        groups = {p.pid for p in self.runs}
        found = []
        for entry in os.listdir("/proc"):
            st = stat_of(entry) if entry.isdigit() else None
            if st and st[0] != "Z" and st[2] in groups:
                found.append(int(entry))
        return found

    def reap(self):
        """Collects the exit of helpers orphaned to us (we are the subreaper): processes
        in the sessions of our runs, never a start run itself or another child of ours
        (subprocess must see those exit codes)."""
        groups = {p.pid for p in self.runs}
        for entry in os.listdir("/proc"):
            st = stat_of(entry) if entry.isdigit() else None
            if st and st[1] == os.getpid() and st[2] in groups and int(entry) not in groups:
                try:
                    os.waitpid(int(entry), os.WNOHANG)
                except ChildProcessError:
                    pass

    def kill(self, pid, name):
        """SIGKILL to pid if it still runs program NAME (a pidfd: no reused pid is hit)."""
        try:
            fd = os.pidfd_open(pid)
        except OSError:
            return False
        try:
            if self.program_of(pid) != name or stat_of(pid)[0] == "Z":
                return False
            signal.pidfd_send_signal(fd, signal.SIGKILL)
            return True
        except OSError:
            return False
        finally:
            os.close(fd)

    def helpers(self, name):
        """Pids of the running NAME processes of the live start run: lspawn is the one that
        send started (not a child on its way to become local), local a delivery process
        that lspawn started (not a process that local cloned, as LeakSanitizer does)."""
        run = self.runs[-1].pid
        parents = {"lspawn": [run], "local": self.helpers("lspawn") if name == "local" else []}
        found = []
        for entry in os.listdir("/proc"):
            st = stat_of(entry) if entry.isdigit() else None
            if not st or st[0] == "Z" or st[2] != run \
                    or (name in parents and st[1] not in parents[name]):
                continue
            try:
                if self.program_of(entry) == name:
                    found.append(int(entry))
            except OSError:
                continue
        return found

    def program_of(self, pid):
        """The program a process of this install runs: the name of ROOT/bin/NAME, except
        that lspawn's delivery children, forked and not exec'd, run local (they name
        themselves "local" once they are the recipient); None for other programs."""
        exe = os.readlink(f"/proc/{pid}/exe")
        if os.path.dirname(exe) != os.path.join(self.root, "bin"):
            return None
        name = os.path.basename(exe)
        if name == "lspawn":
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() == "local":
                    return "local"
        return name

    # --- accounts, messages, mailboxes ---------------------------------------------

    def dot_qmail(self, ext, text):
        path = os.path.join(self.home, ".qmail-" + ext)
        with open(path, "w") as f:
            f.write(text)
        os.chown(path, self.uid, self.gid)
        os.chmod(path, 0o644)
        self.addCleanup(os.unlink, path)

    def inject(self, text, *args, user=None):
        """ROOT/bin/inject with the message text; as the test account when user."""
        env = self.env()
        argv = [os.path.join(self.root, "bin", "inject"), *args]
        if user:
            env["USER"] = USER
            argv = ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--clear-groups",
                    "--", *argv]
        proc = subprocess.run(argv, input=text.encode(), capture_output=True, env=env,
                              timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)

    def flush(self):
        proc = run(self.root, "mailctl", "flush")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn(f"asked send (pid {self.send_pid()})", proc.stdout)

    def new_files(self, folder):
        new = os.path.join(folder, "new")
        return {name: os.path.join(new, name) for name in os.listdir(new)}

    def wait_new(self, folder, before, timeout=WAIT, poll=0.01):
        """The names in folder/new that are not in before, once there is one."""
        deadline = time.monotonic() + timeout
        while True:
            added = set(self.new_files(folder)) - set(before)
            if added or time.monotonic() > deadline:
                return added
            time.sleep(poll)

    def read_message(self, path):
        with open(path, "rb") as f:
            return email.message_from_bytes(f.read(), policy=email.policy.compat32)

    def queue_stats(self):
        proc = run(self.root, "mailctl", "queue", "--stats")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return {k: int(v) for k, v in re.findall(r"^(.*): (\d+)$", proc.stdout, re.M)}

    def dsn_parts(self, msg):
        """(text, per-message fields, [per-recipient fields], original part) of a DSN."""
        self.assertEqual(msg.get_content_type(), "multipart/report")
        self.assertEqual(msg.get_param("report-type"), "delivery-status")
        text, status, original = msg.get_payload()
        self.assertEqual(text.get_content_type(), "text/plain")
        self.assertEqual(status.get_content_type(), "message/delivery-status")
        per_message, *recipients = status.get_payload()
        return text.get_payload(), per_message, recipients, original

    # --- the tests -------------------------------------------------------------------

    def test_aliases_are_delivered_within_a_second(self):
        alias = os.path.join(self.root, "alias", "Maildir")
        latencies = {}
        for name in ("postmaster", "root", "mailer-daemon"):
            before = self.new_files(alias)
            self.inject(f"to: {name}\nsubject: for {name}\n\nhello {name}\n")
            injected = time.monotonic()
            added = self.wait_new(alias, before, timeout=WAIT, poll=0.01)
            latencies[name] = time.monotonic() - injected
            self.assertEqual(len(added), 1, name)
            with open(self.new_files(alias)[added.pop()], "rb") as f:
                data = f.read()
            # The two lines local adds come first, in this order.
            self.assertEqual(data.split(b"\n")[:2], [f"Return-Path: <anonymous@{HOST}>".encode(),
                                                     f"Delivered-To: {name}@{HOST}".encode()])
            msg = email.message_from_bytes(data, policy=email.policy.compat32)
            self.assertEqual(msg["To"], f"{name}@{HOST}")
            self.assertEqual(msg["Subject"], f"for {name}")
            self.assertEqual(msg.get_payload(), f"hello {name}\n")
        print("\n  inject to alias Maildir: " + ", ".join(
            f"{k} {v * 1000:.0f} ms" for k, v in latencies.items()), flush=True)
        for name, seconds in latencies.items():
            self.assertLessEqual(seconds, 1.0, name)

    def test_unknown_local_address_bounces_to_the_local_sender(self):
        inbox = os.path.join(self.home, "Maildir")
        before = self.new_files(inbox)
        mark = self.log.mark()
        self.inject(f"To: nosuchuser@{HOST}\nSubject: to nobody\nMessage-ID: <lost.1@{HOST}>\n"
                    "\nhello nobody\n", user=True)
        self.log.wait(r"delivery \d+: failure: Sorry,_no_mailbox_here_by_that_name._"
                      r"\(#5.1.1\)/", mark)
        added = self.wait_new(inbox, before)
        self.assertEqual(len(added), 1)
        msg = self.read_message(self.new_files(inbox)[added.pop()])
        self.assertEqual(msg["Return-Path"], "<>")
        self.assertEqual(msg["Delivered-To"], f"{USER}@{HOST}")
        self.assertEqual(msg["To"], f"{USER}@{HOST}")
        self.assertEqual(msg["Subject"], "failure notice")
        text, per_message, recipients, original = self.dsn_parts(msg)
        self.assertIn(f"<nosuchuser@{HOST}>:\nSorry, no mailbox here by that name. (#5.1.1)",
                      text)
        self.assertEqual(per_message["Reporting-MTA"], f"dns; {HOST}")
        self.assertEqual(len(recipients), 1)
        self.assertEqual(recipients[0]["Final-Recipient"], f"rfc822; nosuchuser@{HOST}")
        self.assertEqual(recipients[0]["Action"], "failed")
        self.assertEqual(recipients[0]["Status"], "5.1.1")
        self.assertEqual(recipients[0]["Diagnostic-Code"],
                         "x-unix; Sorry, no mailbox here by that name. (#5.1.1)")
        self.assertEqual(original.get_content_type(), "message/rfc822")
        copy = original.get_payload()[0]
        self.assertEqual(copy["Return-Path"], f"<{USER}@{HOST}>")
        self.assertEqual(copy["Message-ID"], f"<lost.1@{HOST}>")
        self.assertEqual(copy["Subject"], "to nobody")
        self.assertEqual(copy.get_payload(), "hello nobody\n")

    def test_program_deferring_twice_gets_the_message_after_two_flushes(self):
        self.dot_qmail("retry", "|n=$(cat retry-count 2>/dev/null || echo 0); n=$((n+1)); "
                       "echo $n > retry-count; if [ $n -lt 3 ]; then echo not yet $n; "
                       "exit 111; fi; cat > retry-got\n")
        got = os.path.join(self.home, "retry-got")
        self.addCleanup(lambda: [os.unlink(p) for p in (got, got.replace("got", "count"))
                                 if os.path.exists(p)])
        mark = self.log.mark()
        self.inject(f"To: {USER}-retry@{HOST}\nSubject: third time lucky\n\nbody\n")
        n = self.log.wait(r"info msg (\d+): .*", mark)[1]
        for attempt in (1, 2):
            self.log.wait(rf"delivery \d+: deferral: not_yet_{attempt}/", mark)
            time.sleep(0.2)  # nothing else happens on its own: the next try is 100 s away
            self.assertFalse(os.path.exists(got), attempt)
            self.flush()
        self.log.wait(r"delivery \d+: success: did_0\+0\+1/", mark)
        self.log.wait(rf"end msg {n}", mark)
        with open(got) as f:
            self.assertIn("Subject: third time lucky\n", f.read())
        self.assertEqual(self.log.count(r"starting delivery \d+: msg .*", mark), 3)

    def test_deferral_past_queuelifetime_becomes_a_bounce(self):
        self.stop()
        path = os.path.join(self.root, "control", "queuelifetime")
        with open(path, "w") as f:
            f.write("2\n")
        self.addCleanup(os.unlink, path)
        self.start_ready()  # send reads queuelifetime at start only
        self.dot_qmail("busy", "|echo mailbox is busy '(#4.2.1)'; exit 111\n")
        inbox = os.path.join(self.home, "Maildir")
        before = self.new_files(inbox)
        mark = self.log.mark()
        self.inject(f"To: {USER}-busy@{HOST}\nSubject: patience\n\nbody\n", user=True)
        n = self.log.wait(r"info msg (\d+): .*", mark)[1]
        self.log.wait(r"delivery \d+: deferral: mailbox_is_busy_\(#4.2.1\)/", mark)
        deadline = time.monotonic() + WAIT
        while not self.log.count(r"delivery \d+: failure: .*", mark):
            self.assertLess(time.monotonic(), deadline, "no failure after queuelifetime")
            time.sleep(1.0)
            self.flush()
        self.log.wait(r"delivery \d+: failure: mailbox_is_busy_\(#4.2.1\)/I'm_not_going_to_try"
                      r"_again;_this_message_has_been_in_the_queue_too_long./", mark)
        self.log.wait(rf"bounce msg {n} qp \d+", mark)
        added = self.wait_new(inbox, before)
        self.assertEqual(len(added), 1)
        _, _, recipients, original = self.dsn_parts(
            self.read_message(self.new_files(inbox)[added.pop()]))
        self.assertEqual(recipients[0]["Final-Recipient"], f"rfc822; {USER}-busy@{HOST}")
        self.assertEqual(recipients[0]["Action"], "failed")
        self.assertEqual(recipients[0]["Status"], "4.2.1")
        self.assertIn("I'm not going to try again", recipients[0]["Diagnostic-Code"])
        self.assertEqual(original.get_payload()[0]["Subject"], "patience")

    def test_privilege_separation_seen_in_proc(self):
        send = self.send_pid()
        self.dot_qmail("sleepy", "|sleep 1\n")
        mark = self.log.mark()
        for i in range(3):
            self.inject(f"To: {USER}-sleepy@{HOST}\nSubject: sleepy {i}\n\nzzz\n")
        names = ("send", "lspawn", "local", "clean", "rspawn")
        # (pid, exe, kind) -> (kind, Uid, Gid) of every process seen in start's tree. A
        # child of lspawn that has not yet become local (named so once it runs as the
        # recipient) is still lspawn's program: "fork".
        seen = {}
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline and not {"local", "program"} <= {
                v[0] for v in seen.values()}:
            for pid, info in self.tree(send).items():
                try:
                    exe = os.readlink(f"/proc/{pid}/exe")
                    kind = self.program_of(pid)
                except OSError:
                    continue
                kind = kind if kind in names else "program"
                if kind == "lspawn" and info["PPid"] != [send]:
                    kind = "fork"
                seen.setdefault((pid, exe, kind), (kind, info["Uid"], info["Gid"]))
            time.sleep(0.01)
        kinds = {}
        for (pid, exe, _), (kind, uids, gids) in seen.items():
            kinds.setdefault(kind, []).append((pid, exe, uids, gids))
        self.assertLessEqual({"send", "lspawn", "local", "clean", "program"}, set(kinds), seen)
        self.assertEqual([p for p, *_ in kinds["send"]], [send])  # start became send
        self.assertEqual(len(kinds["lspawn"]), 1, kinds["lspawn"])
        expect = {"send": support.uid("mss"), "clean": support.uid("msq"), "lspawn": 0,
                  "local": self.uid, "program": self.uid, "rspawn": support.uid("msr")}
        for kind, procs in kinds.items():
            for pid, exe, uids, gids in procs:
                if kind == "fork":  # before or after it dropped root for the recipient
                    self.assertIn(uids, [[0] * 4, [self.uid] * 4], f"{kind} {pid} {exe}")
                    continue
                self.assertEqual(uids, [expect[kind]] * 4, f"{kind} {pid} {exe}")
                if kind in ("local", "program"):
                    self.assertEqual(gids, [self.gid] * 4, f"{kind} {pid} {exe}")
        # Nothing runs as root but lspawn (and its forks on their way to local).
        as_root = {kind for kind, uids, _ in seen.values() if 0 in uids}
        self.assertLessEqual(as_root, {"lspawn", "fork"})
        deadline = time.monotonic() + WAIT
        while self.log.count(r"delivery \d+: success: did_0\+0\+1/", mark) < 3:
            self.assertLess(time.monotonic(), deadline, "the sleepy deliveries did not end")
            time.sleep(0.05)

    def tree(self, top):
        """{pid: proc_info} of top and every live process below it."""
        infos = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit() and running(entry):
                try:
                    infos[int(entry)] = proc_info(entry)
                except OSError:
                    continue
        out = {top: infos[top]} if top in infos else {}
        grew = True
        while grew:
            grew = False
            for pid, info in infos.items():
                if pid not in out and info["PPid"][0] in out:
                    out[pid] = info
                    grew = True
        return out

    def kill_by_plan(self, plan, kills, rnd, injected, count, deadline):
        """Carries out plan, [(injected messages, kind)], while the injection runs and
        starts everything again whenever send has died; returns the number of restarts."""
        restarts = 0
        late = flushed = reaped = calm = 0.0  # when: no victim at the end, flush, reap, kill
        while plan or injected() < count:
            self.assertLess(time.monotonic(), deadline, f"{injected()} injected")
            time.sleep(0.005)
            if time.monotonic() > reaped + 0.2:
                self.reap()
                reaped = time.monotonic()
            if self.runs[-1].poll() is not None:  # send died: start everything again
                self.start()
                restarts += 1
                calm = time.monotonic() + 0.2
            if not plan or injected() < plan[0][0] or time.monotonic() < calm:
                continue
            kind = plan[0][1]
            pids = self.helpers(kind)
            if pids and self.kill(rnd.choice(pids), kind):
                kills[kind] += 1
                plan.pop(0)
                calm = time.monotonic() + 0.2
                late = 0.0
            elif injected() == count:  # at the end: deliveries may be rare now
                late = late or time.monotonic()
                if time.monotonic() > late + 2:  # none came: drop this kill
                    plan.pop(0)
                    late = 0.0
                elif kind == "local" and time.monotonic() > flushed + 0.3:
                    run(self.root, "mailctl", "flush")  # the deferred ones run again
                    flushed = time.monotonic()
        return restarts

    def test_crash_kills_lose_no_message(self):
        # 1,000 as the issue asks: 4 to 6 s on the 2-core development machine, 13 to 17 s
        # with two busy loops beside it. The sanitizer build starts each instrumented
        # inject and queue far more slowly (1,000 took 36 to 43 s just to inject at load
        # 13), so it runs 400 (6 to 9 s) to stay well inside the 60 s deadline.
        count = 400 if support.SAN == "1" else 1000
        if support.SAN == "1":
            # A SIGKILL that lands during a process's exit-time leak scan makes LSan's
            # tracer report "Unable to get registers from thread N": a report about the
            # kill, not about the program. ASan and UBSan still report everything.
            self.stop()
            self.detect_leaks = 0
            self.start_ready()
        crash = make_maildir(self.home, "Crash", self.uid, self.gid)
        self.dot_qmail("crash", "./Crash/\n")
        seed = random.randrange(1 << 30)
        rnd = random.Random(seed)
        mark = self.log.mark()
        began = time.monotonic()
        deadline = began + 60
        injected = []

        def inject(i):
            self.inject(f"To: {USER}-crash@{HOST}\nSubject: crash {i}\n"
                        f"Message-ID: <crash.{i}@{HOST}>\n\nmessage {i}\n")
            injected.append(i)

        # The kill plan: 4 SIGKILLs of each of send, lspawn and local, in random order, each
        # when a random number of messages has been injected, so that the kills spread
        # over the whole run however fast this machine is; at least 0.2 s apart and after
        # a restart, so that each kill has its effect before the next.
        plan = [["send", "lspawn", "local"][i % 3] for i in range(12)]
        rnd.shuffle(plan)
        plan = list(zip(sorted(rnd.sample(range(20, count), len(plan))), plan))
        kills = {"send": 0, "lspawn": 0, "local": 0}
        with ThreadPoolExecutor(6) as pool:
            injecting = pool.map(inject, range(count))
            try:
                restarts = self.kill_by_plan(plan, kills, rnd, lambda: len(injected), count,
                                             deadline)
            except BaseException:  # do not wait for the injections still to come
                pool.shutdown(cancel_futures=True)
                raise
            list(injecting)  # raises the first failed injection, if any
        all_in = time.monotonic()
        # Drain: start again when send died, retry the deferred, until the queue is empty.
        while True:
            self.reap()
            if self.runs[-1].poll() is not None:
                self.start()
                restarts += 1
            run(self.root, "mailctl", "flush")
            stats = self.queue_stats()
            if stats["messages in queue"] == 0:
                break
            self.assertLess(time.monotonic(), deadline, f"still queued: {stats}")
            time.sleep(0.3)
        drained = time.monotonic()
        numbers = []
        for path in self.new_files(crash).values():
            with open(path, "rb") as f:
                m = re.search(rb"^Subject: crash (\d+)$", f.read(), re.M)
            self.assertIsNotNone(m, path)
            numbers.append(int(m[1]))
        missing = sorted(set(range(count)) - set(numbers))
        duplicates = len(numbers) - len(set(numbers))
        lost_spawner = self.log.count(r"alert: oh no! lost spawn connection! dying\.\.\.", mark)
        crashed = self.log.count(r"delivery \d+: deferral: local_crashed\./", mark)
        print(f"\n  crash test (seed {seed}): {count} messages, SIGKILLs {kills}, "
              f"{restarts} restarts ({lost_spawner} 'lost spawn connection', {crashed} 'local "
              f"crashed'); all injected after {all_in - began:.1f} s, queue empty after "
              f"{drained - began:.1f} s; {len(numbers)} delivered, {duplicates} duplicates, "
              f"{len(missing)} lost", flush=True)
        self.assertEqual(missing, [])
        self.assertLessEqual(set(numbers), set(range(count)))
        self.assertGreaterEqual(min(kills.values()), 1, kills)


if __name__ == "__main__":
    unittest.main()
