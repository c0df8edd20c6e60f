"""inject: golden `inject -n` cases, the envelope it hands to the queue, and real queueing.

Golden cases live in tests/golden/inject/, one set of files per case NN-name:

  NN-name.in        the message on standard input, byte for byte
  NN-name.env       the case's settings, one per line (blank and # lines skipped):
                      K=V               an environment variable ("@ROOT@" in V is the
                                        install root); nothing else is set but PATH
                      ARGS: ...         inject's arguments, split like a shell would
                                        (the runner adds -n for the printed run)
                      CONTROL: NAME=V   ROOT/control/NAME holds V for this case only
                      EXIT: N           the expected exit code (default 0)
  NN-name.out       exit 0: the exact output of `inject -n ARGS`; otherwise the exact
                    standard error
  NN-name.envelope  exit 0: the envelope queued by `inject ARGS` (no -n), "F<sender>"
                    then one "T<recipient>" line each

Each case is run twice: printed with -n, and queued through a stand-in queue program
($QMAILQUEUE) that saves the message and envelope it is given; the queued message must be
the printed one without its Return-Path line. Date: and Message-ID: fields that inject
adds are replaced by DATE and ID (after checking they are well formed and recent), and a
QMAILINJECT=m sender's "-TIME.PID" by "-TIME.PID", before comparing. Refused cases must
not start the queue program at all.

To write the expected files after a deliberate change, run with INJECT_GOLDEN_UPDATE=1
and review the diff.

One test method is generated per case (test_golden_NN_name), so counts are real.
"""
import calendar
import email.utils
import os
import re
import shlex
import shutil
import subprocess
import time
import unittest
from concurrent.futures import ThreadPoolExecutor

import support

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(os.path.dirname(HERE), "golden", "inject")
UPDATE = os.environ.get("INJECT_GOLDEN_UPDATE") == "1"
PATH = "/usr/sbin:/usr/bin:/sbin:/bin"

DATE_RE = re.compile(
    rb"^((?:Resent-)?Date: )(\d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d -0000)$", re.M)
ID_RE = re.compile(rb"^((?:Resent-)?Message-ID: <)(\d{14})\.\d+\.[0-9a-f]{8}(@[^>]*>)$", re.M)
VERP_RE = re.compile(rb"-\d{9,11}\.\d+(?=[-@\"])")

FAKE_QUEUE = """#!/bin/sh
# A stand-in queue program: keeps the message (fd 0) and the envelope (fd 1).
cat > "$FAKE_QUEUE_DIR/message" || exit 54
cat <&1 > "$FAKE_QUEUE_DIR/envelope" || exit 54
exit "${FAKE_QUEUE_EXIT:-0}"
"""


def normalize(data, test):
    """Replaces the added Date/Message-ID values and VERP stamps; checks them first."""
    now = time.time()
    for m in DATE_RE.finditer(data):
        when = email.utils.parsedate_to_datetime(m.group(2).decode()).timestamp()
        test.assertLess(abs(when - now), 600, m.group(0))
    for m in ID_RE.finditer(data):
        stamp = time.strptime(m.group(2).decode(), "%Y%m%d%H%M%S")
        test.assertLess(abs(calendar.timegm(stamp) - now), 600, m.group(0))
    data = DATE_RE.sub(rb"\1DATE", data)
    data = ID_RE.sub(rb"\1ID\3", data)
    return VERP_RE.sub(b"-TIME.PID", data)


def parse_settings(text, root):
    settings = {"env": {"PATH": PATH}, "args": [], "controls": {}, "exit": 0}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("ARGS:"):
            settings["args"] = shlex.split(line[5:])
        elif line.startswith("CONTROL:"):
            name, _, value = line[8:].strip().partition("=")
            settings["controls"][name] = value
        elif line.startswith("EXIT:"):
            settings["exit"] = int(line[5:])
        else:
            key, _, value = line.partition("=")
            settings["env"][key] = value.replace("@ROOT@", root)
    return settings


def parse_envelope(raw):
    """The F and T records of a queue envelope, as text lines."""
    records = raw.split(b"\0")
    assert records[-2:] == [b"", b""], raw  # each record ends in NUL, then one more NUL
    return b"".join(r + b"\n" for r in records[:-2])


def read(path):
    with open(path, "rb") as f:
        return f.read()


class InjectGoldenTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        assert os.geteuid() == 0, "the integration suite runs as root (as CI does)"
        cls.base, cls.root = support.new_root("ms-inject-")
        proc = support.make_install(cls.root)
        assert proc.returncode == 0, proc.stderr
        init = support.run(cls.root, "mailctl", "init", "--hostname", "inject.example")
        assert init.returncode == 0, init.stderr
        cls.fake = os.path.join(cls.base, "fake-queue")
        with open(cls.fake, "w") as f:
            f.write(FAKE_QUEUE)
        os.chmod(cls.fake, 0o755)

    @classmethod
    def tearDownClass(cls):
        support.remove(cls.base)

    def inject(self, args, env, stdin):
        return subprocess.run([os.path.join(self.root, "bin", "inject"), *args], input=stdin,
                              env=env, capture_output=True, timeout=60)

    def run_case(self, name):
        stem = os.path.join(GOLDEN, name)
        stdin = read(stem + ".in")
        with open(stem + ".env") as f:
            s = parse_settings(f.read(), self.root)
        written = []
        try:
            for control, value in s["controls"].items():
                path = os.path.join(self.root, "control", control)
                with open(path, "w") as f:
                    f.write(value + "\n")
                written.append(path)
            self.check_printed(stem, s, stdin)
            self.check_queued(stem, s, stdin)
        finally:
            for path in written:
                os.unlink(path)

    def check_printed(self, stem, s, stdin):
        proc = self.inject(["-n", *s["args"]], s["env"], stdin)
        self.assertEqual(proc.returncode, s["exit"], proc.stderr)
        got = normalize(proc.stdout, self) if s["exit"] == 0 else proc.stderr
        if s["exit"] != 0:
            self.assertEqual(proc.stdout, b"")
        if UPDATE:
            with open(stem + ".out", "wb") as f:
                f.write(got)
        self.assertEqual(got.decode("latin-1"), read(stem + ".out").decode("latin-1"))
        self.printed = got

    def check_queued(self, stem, s, stdin):
        out = os.path.join(self.base, "queued")
        shutil.rmtree(out, ignore_errors=True)
        os.mkdir(out)
        env = dict(s["env"], QMAILQUEUE=self.fake, FAKE_QUEUE_DIR=out)
        proc = self.inject(s["args"], env, stdin)
        self.assertEqual(proc.returncode, s["exit"], proc.stderr)
        if s["exit"] != 0:
            self.assertEqual(proc.stderr, read(stem + ".out"))
            self.assertEqual(os.listdir(out), [], "the queue program ran for a refused message")
            return
        self.assertEqual(proc.stderr, b"")
        message = normalize(read(os.path.join(out, "message")), self)
        first, _, rest = self.printed.partition(b"\n")
        self.assertTrue(first.startswith(b"Return-Path: <"), first)
        self.assertEqual(message, rest)
        envelope = normalize(parse_envelope(read(os.path.join(out, "envelope"))), self)
        # The printed Return-Path is the envelope sender (quotes aside, as in "u-@h-"@[]).
        self.assertEqual(b"F" + first[len(b"Return-Path: <"):-1].replace(b'"', b""),
                         envelope.split(b"\n")[0])
        if UPDATE:
            with open(stem + ".envelope", "wb") as f:
                f.write(envelope)
        self.assertEqual(envelope.decode("latin-1"), read(stem + ".envelope").decode("latin-1"))


def golden_cases():
    return sorted(f[:-3] for f in os.listdir(GOLDEN) if f.endswith(".in"))


def add_golden_tests():
    for name in golden_cases():
        method = "test_golden_" + re.sub(r"[^0-9A-Za-z]", "_", name)
        setattr(InjectGoldenTest, method, lambda self, n=name: self.run_case(n))


add_golden_tests()


class InjectQueueTest(unittest.TestCase):
    """inject with the real queue program of the install."""

    @classmethod
    def setUpClass(cls):
        assert os.geteuid() == 0, "the integration suite runs as root (as CI does)"
        cls.base, cls.root = support.new_root("ms-injectq-")
        proc = support.make_install(cls.root)
        assert proc.returncode == 0, proc.stderr
        init = support.run(cls.root, "mailctl", "init", "--hostname", "inject.example")
        assert init.returncode == 0, init.stderr
        cls.queue = os.path.join(cls.root, "queue")
        cls.pristine_queue = os.path.join(cls.base, "queue.pristine")
        support.copy_tree(cls.queue, cls.pristine_queue)

    @classmethod
    def tearDownClass(cls):
        support.remove(cls.base)

    def setUp(self):
        # Every test starts from the empty queue the installer made.
        shutil.rmtree(self.queue)
        support.copy_tree(self.pristine_queue, self.queue)

    def env(self, **extra):
        env = {"PATH": PATH, "USER": "joe"}
        if support.SAN == "1":
            # LeakSanitizer cannot run in the setuid queue program.
            env["ASAN_OPTIONS"] = "detect_leaks=0"
        env.update(extra)
        return env

    def inject(self, args, stdin, env=None, prefix=()):
        return subprocess.run([*prefix, os.path.join(self.root, "bin", "inject"), *args],
                              input=stdin, env=env or self.env(), capture_output=True,
                              timeout=120)

    def files(self, sub):
        top = os.path.join(self.queue, sub)
        found = []
        for dirpath, _, names in os.walk(top):
            found += [os.path.join(dirpath, n) for n in names]
        return found

    def queued(self):
        """(todo record fields, mess bytes) of every queued message."""
        out = []
        for todo in self.files("todo"):
            number = os.path.basename(todo)
            mess = os.path.join(self.queue, "mess", str(int(number) % 23), number)
            out.append((read(todo).split(b"\0"), read(mess)))
        return out

    def assert_no_strays(self):
        self.assertEqual(self.files("pid"), [])
        todo = sorted(os.path.basename(p) for p in self.files("todo"))
        intd = sorted(os.path.basename(p) for p in self.files("intd"))
        self.assertTrue(set(intd) <= set(todo), "intd entries without todo")

    def check_one_message(self, uid, prefix=()):
        message = (b"From: joe@inject.example\nTo: ann@x.example, bob\n"
                   b"Bcc: hidden@h.example\nSubject: queued\n\nbody \xe9\r\nlast")
        printed = self.inject(["-n"], message, prefix=prefix)
        self.assertEqual(printed.returncode, 0, printed.stderr)
        proc = self.inject([], message, prefix=prefix)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stderr, b"")
        [(records, mess)] = self.queued()
        self.assertEqual(records[0], b"u%d" % uid)
        self.assertTrue(records[1].startswith(b"p"), records)
        self.assertEqual(records[2:], [b"Fjoe@inject.example", b"Tann@x.example",
                                       b"Tbob@inject.example", b"Thidden@h.example", b""])
        received, _, rest = mess.partition(b"\n")
        self.assertRegex(received, rb"^Received: \(mail-suite \d+ invoked by uid %d\); " % uid)
        expected = printed.stdout.partition(b"\n")[2]
        self.assertEqual(normalize(rest, self), normalize(expected, self))
        self.assertTrue(rest.endswith(b"\n\nbody \xe9\nlast\n"), rest)
        self.assertNotIn(b"hidden", rest)
        self.assert_no_strays()

    def test_queue_as_root(self):
        self.check_one_message(0)

    def test_dotless_me_is_not_added_to_itself(self):
        # What `mailctl init` writes on a host named "vm" (no dot): control/me "vm", and
        # locals "vm". qmail's rule would queue root@vm.vm, which no local domain matches.
        me = os.path.join(self.root, "control", "me")
        saved = read(me)
        self.addCleanup(lambda: open(me, "wb").write(saved))
        with open(me, "wb") as f:
            f.write(b"vm\n")
        proc = self.inject(["root"], b"To: postmaster, ann@nas\nSubject: dotless\n\nhi\n")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        [(records, mess)] = self.queued()
        self.assertEqual(records[2:], [b"Fjoe@vm", b"Troot@vm", b""])
        self.assertIn(b"\nTo: postmaster@vm, ann@nas.vm\n", mess)
        self.assertIn(b"\nFrom: joe@vm\n", mess)

    def test_queue_as_unprivileged_user(self):
        nobody = support.uid("nobody")
        self.check_one_message(nobody, prefix=(
            "setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"))

    def test_parallel_injections_all_arrive_intact(self):
        count, workers = 1000, 8

        def message(i):
            return (b"Date: 7 Mar 2024 09:05:01 -0000\nMessage-ID: <%d@x.example>\n"
                    b"From: joe@x.example\nTo: rcpt%d@x.example\nX-Seq: %d\n\n"
                    b"message %d\n%s\n" % (i, i, i, i, b"x" * (i % 300)))

        def one(i):
            return i, self.inject([], message(i))

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(one, range(count)))
        elapsed = time.monotonic() - started
        failed = [(i, p.returncode, p.stderr) for i, p in results if p.returncode != 0]
        self.assertEqual(failed, [])
        queued = self.queued()
        self.assertEqual(len(queued), count)
        seen = set()
        for records, mess in queued:
            received, _, rest = mess.partition(b"\n")
            self.assertTrue(received.startswith(b"Received: (mail-suite "), received)
            seq = int(re.search(rb"^X-Seq: (\d+)$", rest, re.M).group(1))
            self.assertEqual(rest, message(seq))
            self.assertEqual(records[2:], [b"Fjoe@inject.example", b"Trcpt%d@x.example" % seq, b""])
            seen.add(seq)
        self.assertEqual(seen, set(range(count)))
        self.assert_no_strays()
        print(f"\ninject: {count} messages by {workers} parallel injectors in {elapsed:.1f} s")

    def test_inject_memory_stays_small_for_a_big_body(self):
        # 64 MiB go through inject -n (the body path is the same when queueing); its peak
        # memory (VmHWM), read while it still waits for the last bytes, must stay far below.
        chunk = (b"x" * 1022 + b"\r\n") * 1024
        output = os.path.join(self.base, "big.out")
        with open(output, "wb") as out:
            proc = subprocess.Popen([os.path.join(self.root, "bin", "inject"), "-n"],
                                    stdin=subprocess.PIPE, stdout=out,
                                    stderr=subprocess.PIPE, env=self.env())
            proc.stdin.write(b"From: joe@x.example\nTo: ann@x.example\n\n")
            for _ in range(64):
                proc.stdin.write(chunk)
            proc.stdin.flush()
            with open(f"/proc/{proc.pid}/status") as f:
                hwm_kb = int(re.search(r"^VmHWM:\s+(\d+) kB$", f.read(), re.M).group(1))
            proc.stdin.write(b"the end")
            proc.stdin.close()
            self.assertEqual(proc.wait(timeout=300), 0, proc.stderr.read())
            proc.stderr.close()
        limit_mb = 48 if support.SAN == "1" else 16
        print(f"\ninject: peak memory {hwm_kb} kB for a 64 MiB body")
        self.assertLess(hwm_kb, limit_mb * 1024, "inject keeps the body in memory")
        body = chunk.replace(b"\r\n", b"\n") * 64 + b"the end\n"
        header, _, rest = read(output).partition(b"\n\n")
        self.assertTrue(header.startswith(b"Return-Path: <joe@inject.example>\n"), header)
        self.assertEqual(rest, body)
        os.unlink(output)

    def test_header_too_long_is_refused(self):
        stdin = b"To: ann@x.example\n" + b"X-Filler: " + b"y" * (1024 * 1024) + b"\n\nbody\n"
        proc = self.inject([], stdin)
        self.assertEqual(proc.returncode, 100)
        self.assertEqual(proc.stderr, b"inject: fatal: header too long\n")
        self.assertEqual(self.queued(), [])

    def queue_stand_in(self, script):
        path = os.path.join(self.base, "stand-in")
        with open(path, "w") as f:
            f.write("#!/bin/sh\ncat > /dev/null\ncat <&1 > /dev/null\n" + script)
        os.chmod(path, 0o755)
        return path

    def test_queue_failures_become_exit_codes(self):
        cases = [
            ("exit 31\n", 100, b"inject: fatal: mail server permanently rejected message (#5.3.0)\n"),
            ("exit 53\n", 111, b"inject: fatal: qq write error or disk full (#4.3.0)\n"),
            ("printf 'Dno thanks (#5.7.1)' >&6; exit 82\n", 100, b"inject: fatal: no thanks (#5.7.1)\n"),
            ("printf 'Zlater (#4.3.0)' >&6; exit 82\n", 111, b"inject: fatal: later (#4.3.0)\n"),
            ("kill -9 $$\n", 111, None),
        ]
        for script, code, stderr in cases:
            with self.subTest(script=script):
                env = self.env(QMAILQUEUE=self.queue_stand_in(script))
                proc = self.inject(["ann@x.example"], b"Subject: x\n\nbody\n", env=env)
                self.assertEqual(proc.returncode, code, proc.stderr)
                if stderr is not None:
                    self.assertEqual(proc.stderr, stderr)
                else:
                    self.assertTrue(proc.stderr.startswith(b"inject: fatal: "), proc.stderr)

    def test_missing_queue_program_is_temporary(self):
        env = self.env(QMAILQUEUE=os.path.join(self.base, "no-such-program"))
        proc = self.inject(["ann@x.example"], b"Subject: x\n\nbody\n", env=env)
        self.assertEqual(proc.returncode, 111, proc.stderr)
        self.assertTrue(proc.stderr.startswith(b"inject: fatal: "), proc.stderr)

    def test_unreadable_control_file_is_temporary(self):
        path = os.path.join(self.root, "control", "defaulthost")
        os.mkdir(path)
        try:
            proc = self.inject(["-n", "ann"], b"Subject: x\n\nbody\n")
        finally:
            os.rmdir(path)
        self.assertEqual(proc.returncode, 111, proc.stderr)
        self.assertIn(b"inject: fatal: unable to read " + path.encode(), proc.stderr)


if __name__ == "__main__":
    unittest.main()
