"""The queue program and clean, driven as installed (issue 3).

Every injection here runs ROOT/bin/queue itself (setuid msq), with the message on fd 0 and
the envelope on fd 1, as lib/queue_client.cpp and qmail's qmail.c drive it.
"""
import calendar
import concurrent.futures
import os
import random
import re
import shutil
import signal
import stat
import subprocess
import threading
import time
import unittest

import support

SPLIT = 23
RECEIVED = re.compile(rb"Received: \(mail-suite (\d+) invoked ([^)]*)\); "
                      rb"(\d{1,2}) ([A-Z][a-z]{2}) (\d{4}) (\d\d):(\d\d):(\d\d) -0000\n")


def queue_env():
    # No ASAN_OPTIONS here: a setuid process cannot read its own /proc/self/environ, where
    # the sanitizer runtime looks for them. The queue program turns LeakSanitizer off
    # itself when it runs setuid (queue/queue_main.cpp, __lsan_is_turned_off).
    return dict(os.environ)


def envelope(sender, recipients):
    out = b"F" + sender + b"\0"
    for r in recipients:
        out += b"T" + r + b"\0"
    return out + b"\0"


def write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


class Injection:
    """One run of ROOT/bin/queue: message on fd 0, envelope on fd 1."""

    def __init__(self, root, prefix=(), nonblocking=False):
        self.lock = threading.Lock()
        self.reaped = False
        mr, self.mw = os.pipe()
        er, self.ew = os.pipe()
        os.set_blocking(mr, not nonblocking)
        os.set_blocking(er, not nonblocking)
        try:
            self.proc = subprocess.Popen([*prefix, os.path.join(root, "bin", "queue")],
                                         stdin=mr, stdout=er, stderr=subprocess.PIPE,
                                         env=queue_env())
        finally:
            os.close(mr)
            os.close(er)

    def feed(self, message, env):
        """Writes both streams; a queue that exits (or dies) early just ends the writing."""
        try:
            write_all(self.mw, message)
            os.close(self.mw)
            self.mw = None
            write_all(self.ew, env)
        except BrokenPipeError:
            pass
        finally:
            for fd in (self.mw, self.ew):
                if fd is not None:
                    os.close(fd)
            self.mw = self.ew = None

    def kill(self):
        """SIGKILL, unless the process has already been reaped (its pid may be reused)."""
        with self.lock:
            if not self.reaped:
                os.kill(self.proc.pid, signal.SIGKILL)

    def finish(self):
        """Exit code (negative: killed by that signal), stderr and peak memory in KiB."""
        # Wait without reaping first, so that kill() never hits a reused pid.
        os.waitid(os.P_PID, self.proc.pid, os.WEXITED | os.WNOWAIT)
        with self.lock:
            self.reaped = True
        _, status, usage = os.wait4(self.proc.pid, 0)
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        err = self.proc.stderr.read()
        self.proc.stderr.close()
        return self.proc.returncode, err, usage.ru_maxrss


def inject(root, message, env, prefix=()):
    """(exit code, queue pid, stderr) of one injection."""
    q = Injection(root, prefix)
    q.feed(message, env)
    code, err, _ = q.finish()
    return code, q.proc.pid, err


def queue_files(root):
    """{dir: {name: path}} for pid/ and the hashed mess/, intd/, todo/."""
    out = {"pid": {}, "mess": {}, "intd": {}, "todo": {}}
    q = os.path.join(root, "queue")
    for name in os.listdir(os.path.join(q, "pid")):
        out["pid"][name] = os.path.join(q, "pid", name)
    for d in ("mess", "intd", "todo"):
        for k in range(SPLIT):
            sub = os.path.join(q, d, str(k))
            for name in os.listdir(sub):
                out[d][int(name)] = os.path.join(sub, name)
    return out


def read(path):
    with open(path, "rb") as f:
        return f.read()


def records(data):
    """The NUL-terminated records of an intd/todo file."""
    assert data.endswith(b"\0"), data[-20:]
    return data[:-1].split(b"\0")


def clear_queue(root):
    files = queue_files(root)
    for d in files.values():
        for path in d.values():
            os.unlink(path)


INSTALL = {}


def setUpModule():
    assert os.geteuid() == 0, "the integration suite runs as root (as CI does)"
    INSTALL["base"], INSTALL["root"] = support.new_root("ms-queue-")
    proc = support.make_install(INSTALL["root"])
    assert proc.returncode == 0, proc.stderr


def tearDownModule():
    support.remove(INSTALL["base"])


class QueueCase(unittest.TestCase):
    """One install for the whole file; every test starts with an empty queue."""

    def setUp(self):
        self.base, self.root = INSTALL["base"], INSTALL["root"]
        clear_queue(self.root)

    def assert_only_committed(self, root=None):
        """No pid/ file, and every mess/ and intd/ file belongs to a todo/ entry whose
        mess/ file is complete (starts with the Received line)."""
        files = queue_files(root or self.root)
        self.assertEqual(files["pid"], {})
        self.assertEqual(set(files["mess"]), set(files["todo"]))
        self.assertEqual(set(files["intd"]), set(files["todo"]))
        for n, todo in files["todo"].items():
            self.assertTrue(RECEIVED.match(read(files["mess"][n])), n)
            self.assertEqual(os.stat(todo).st_ino, os.stat(files["intd"][n]).st_ino)
        return files

    def committed(self, root=None):
        """{sender: (message bytes after the Received line, todo records)} of todo/."""
        files = self.assert_only_committed(root)
        out = {}
        for n, todo in files["todo"].items():
            recs = records(read(todo))
            sender = recs[2][1:]
            mess = read(files["mess"][n])
            m = RECEIVED.match(mess)
            self.assertNotIn(sender, out)
            out[sender] = (mess[m.end():], recs)
        return out

    def run_clean(self, *args, input=b"", as_msq=True):
        prefix = ["setpriv", "--reuid=msq", "--regid=mailsuite", "--clear-groups"] if as_msq else []
        return subprocess.run([*prefix, os.path.join(self.root, "bin", "clean"), *args],
                              input=input, capture_output=True, timeout=60)


class QueueProgramTest(QueueCase):
    def test_message_and_envelope_land_exactly(self):
        trigger = os.open(os.path.join(self.root, "queue/lock/trigger"),
                          os.O_RDONLY | os.O_NONBLOCK)
        try:
            message = b"Subject: test\r\nX-8bit: \xe9\xff\n\nbody\0with NUL\nlast line no LF"
            before = int(time.time())
            code, pid, err = inject(self.root, message,
                                    envelope(b"sender@example.org", [b"a@example.net", b"b@x"]))
            after = int(time.time())
            self.assertEqual((code, err), (0, b""))
            self.assertEqual(os.read(trigger, 10), b"\0")
        finally:
            os.close(trigger)
        files = queue_files(self.root)
        self.assertEqual(files["pid"], {})
        self.assertEqual(len(files["todo"]), 1)
        [(n, todo)] = files["todo"].items()
        self.assertEqual(todo, os.path.join(self.root, "queue/todo", str(n % SPLIT), str(n)))
        mess = files["mess"][n]
        self.assertEqual(os.stat(mess).st_ino, n)  # the message number is the inode
        data = read(mess)
        m = RECEIVED.match(data)
        self.assertIsNotNone(m, data[:100])
        self.assertEqual(int(m.group(1)), pid)
        self.assertEqual(m.group(2), b"by uid 0")
        stamp = time.strptime(b" ".join(m.groups()[2:5]).decode() + " " +
                              b":".join(m.groups()[5:8]).decode(), "%d %b %Y %H:%M:%S")
        when = calendar.timegm(stamp)
        self.assertTrue(before <= when <= after, (before, when, after))
        self.assertEqual(data[m.end():], message)
        want = b"u0\0p%d\0Fsender@example.org\0Ta@example.net\0Tb@x\0" % pid
        self.assertEqual(read(todo), want)
        # intd/N stays, as the same inode, until clean's todo/N request removes both.
        self.assertEqual(os.stat(files["intd"][n]).st_ino, os.stat(todo).st_ino)
        for path in (mess, todo):
            st = os.stat(path)
            self.assertEqual(st.st_uid, support.uid("msq"))
            self.assertEqual(stat.S_IMODE(st.st_mode), 0o644)  # umask 033

    def test_empty_message_and_sender(self):
        code, pid, _ = inject(self.root, b"", b"F\0\0")
        self.assertEqual(code, 0)
        files = queue_files(self.root)
        [(n, todo)] = files["todo"].items()
        self.assertEqual(read(todo), b"u0\0p%d\0F\0" % pid)
        self.assertTrue(RECEIVED.fullmatch(read(files["mess"][n])))

    def test_unprivileged_caller(self):
        prefix = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
        code, pid, err = inject(self.root, b"Subject: from nobody\n\nhi\n",
                                envelope(b"nobody@example.org", [b"r@example.org"]), prefix)
        self.assertEqual((code, err), (0, b""))
        files = queue_files(self.root)
        [(n, todo)] = files["todo"].items()
        nobody = support.uid("nobody")
        self.assertEqual(nobody, 65534)
        data = read(files["mess"][n])
        self.assertTrue(data.startswith(b"Received: (mail-suite %d invoked by uid 65534); " % pid),
                        data[:80])
        self.assertEqual(records(read(todo))[:2], [b"u65534", b"p%d" % pid])
        for path in (files["mess"][n], todo):
            self.assertEqual(os.stat(path).st_uid, support.uid("msq"))
        # Without the setuid bit the same caller cannot write the queue at all.
        copy = os.path.join(self.base, "queue-copy")
        shutil.copy(os.path.join(self.root, "bin/queue"), copy)
        os.chmod(copy, 0o755)
        proc = subprocess.run([*prefix, copy], stdin=subprocess.DEVNULL, capture_output=True,
                              env=queue_env(), timeout=30)
        self.assertIn(proc.returncode, (61, 62))  # ROOT/queue is msq's, mode 0750
        os.unlink(copy)

    def test_network_caller_is_named(self):
        prefix = ["setpriv", "--reuid=msd", "--regid=msnofiles", "--clear-groups"]
        code, pid, _ = inject(self.root, b"x\n", envelope(b"", [b"r@example.org"]), prefix)
        self.assertEqual(code, 0)
        [(n, mess)] = queue_files(self.root)["mess"].items()
        self.assertTrue(read(mess).startswith(b"Received: (mail-suite %d invoked from network); "
                                              % pid))

    def test_envelope_errors(self):
        long_addr = b"a" * 1003
        ok_addr = b"a" * 1002
        many = [b"r%d@example.org" % i for i in range(10001)]
        big = b"x" * (1 << 20)  # more than a pipe holds: the mess file has data when it fails
        cases = [
            ("1003-byte sender", b"m\n", envelope(long_addr, [b"r@x"]), 11),
            ("1003-byte recipient", big, envelope(b"s@x", [b"r@x", long_addr]), 11),
            ("10,001 recipients", big, envelope(b"s@x", many), 31),
            ("first byte not F", b"m\n", b"Xs@x\0Tr@x\0\0", 91),
            ("empty first record", b"m\n", b"\0", 91),
            ("recipient not T", big, b"Fs@x\0Tr@x\0Fr@y\0\0", 91),
            ("EOF before the final NUL", big, b"Fs@x\0Tr@x\0", 54),
            ("EOF inside a record", b"m\n", b"Fs@x\0Tr@", 54),
            ("no envelope at all", b"m\n", b"", 54),
        ]
        for name, message, env, want in cases:
            with self.subTest(name):
                code, _, err = inject(self.root, message, env)
                self.assertEqual(code, want, err)
                files = queue_files(self.root)
                self.assertEqual(files, {"pid": {}, "mess": {}, "intd": {}, "todo": {}})
        # The limits themselves pass.
        code, _, _ = inject(self.root, b"m\n", envelope(ok_addr, [ok_addr] + many[:9999]))
        self.assertEqual(code, 0)
        [(n, todo)] = queue_files(self.root)["todo"].items()
        self.assertEqual(len(records(read(todo))), 2 + 1 + 10000)

    def test_trailing_bytes_after_the_envelope_are_ignored(self):
        code, _, _ = inject(self.root, b"m\n", envelope(b"s@x", [b"r@x"]) + b"junk\0more")
        self.assertEqual(code, 0)
        [(n, todo)] = queue_files(self.root)["todo"].items()
        self.assertTrue(read(todo).endswith(b"\0Fs@x\0Tr@x\0"))

    def test_nonblocking_pipes_from_the_caller(self):
        q = Injection(self.root, nonblocking=True)
        time.sleep(0.2)  # the queue program finds both pipes empty first
        write_all(q.mw, b"Subject: slow\n\n")
        time.sleep(0.2)
        q.feed(b"rest\n", envelope(b"slow@x", [b"r@x"]))
        code, err, _ = q.finish()
        self.assertEqual((code, err), (0, b""))
        [(message, recs)] = self.committed().values()
        self.assertEqual(message, b"Subject: slow\n\nrest\n")

    def test_memory_is_constant_whatever_the_message_size(self):
        peaks = {}
        for size in (1 << 10, 48 << 20):
            q = Injection(self.root)
            q.feed(b"x" * size, envelope(b"s@x", [b"r@x"]))
            code, err, maxrss = q.finish()
            self.assertEqual((code, err), (0, b""))
            peaks[size] = maxrss
        files = self.assert_only_committed()
        sizes = sorted(os.path.getsize(p) for p in files["mess"].values())
        self.assertGreater(sizes[1], 48 << 20)
        # 48 MiB more message may cost at most 2 MiB more memory.
        self.assertLess(peaks[48 << 20] - peaks[1 << 10], 2048, peaks)

    def test_parallel_injections_all_arrive(self):
        total, workers = 1000, 8

        def one(i):
            body = b"Subject: %d\n\n" % i + bytes(random.Random(i).randbytes(i % 3000))
            code, pid, err = inject(self.root, body,
                                    envelope(b"s%d@example.org" % i, [b"r%d@x" % i, b"all@x"]))
            return i, body, code, pid, err

        started = time.time()
        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            results = list(pool.map(one, range(total)))
        elapsed = time.time() - started
        bad = [(i, code, err) for i, _, code, _, err in results if code != 0]
        self.assertEqual(bad, [])
        got = self.committed()
        self.assertEqual(len(got), total)
        for i, body, _, pid, _ in results:
            message, recs = got[b"s%d@example.org" % i]
            self.assertEqual(message, body)
            self.assertEqual(recs, [b"u0", b"p%d" % pid, b"Fs%d@example.org" % i,
                                    b"Tr%d@x" % i, b"Tall@x"])
        self.assertLess(elapsed, 60)

    def test_sigkill_at_random_instants_loses_nothing(self):
        """500 injections, 8 at a time; about a third get SIGKILL at a random instant (which
        may come after the commit) and a third at a random point of the message stream (so
        always before it). Every one that exited 0 is queued byte for byte, nothing partial
        is in todo/, and clean -s 0 removes every leftover while keeping every committed
        message."""
        total, workers = 500, 8
        rng = random.Random(20261122)
        plans = [(i, rng.choice(["none", "timer", "stream"]), rng.uniform(0, 0.012),
                  rng.choice([0, 100, 70000, 300000]), rng.random()) for i in range(total)]

        def one(plan):
            i, kill, delay, size, where = plan
            body = b"Subject: crash %d\n\n" % i + bytes([65 + i % 26]) * size
            q = Injection(self.root)
            timer = None
            if kill == "timer":
                timer = threading.Timer(delay, q.kill)
                timer.start()
            elif kill == "stream":
                cut = int(len(body) * where)
                write_all(q.mw, body[:cut])
                q.kill()
                body_rest = body[cut:]
            q.feed(body_rest if kill == "stream" else body,
                   envelope(b"c%d@example.org" % i, [b"r%d@x" % i]))
            code, err, _ = q.finish()
            if timer:
                timer.cancel()
                timer.join()
            return i, body, code, err

        started = time.time()
        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            results = list(pool.map(one, plans))
        codes = [code for _, _, code, _ in results]
        self.assertEqual(set(codes) - {0, -signal.SIGKILL}, set(),
                         [(i, c, e) for i, _, c, e in results if c not in (0, -9)][:5])
        killed = codes.count(-signal.SIGKILL)
        self.assertGreater(killed, 100)
        self.assertGreater(codes.count(0), 100)

        before = queue_files(self.root)
        leftovers = (len(before["pid"]) + len(set(before["mess"]) - set(before["todo"]))
                     + len(set(before["intd"]) - set(before["todo"])))
        # Nothing partial in todo/: each todo entry has its intd inode and a complete mess.
        for n, todo in before["todo"].items():
            self.assertIn(n, before["mess"])
            self.assertEqual(os.stat(todo).st_ino, os.stat(before["intd"][n]).st_ino)
            recs = records(read(todo))
            self.assertEqual(len(recs), 4, recs)
        queued = {}
        for n, todo in before["todo"].items():
            sender = records(read(todo))[2][1:]
            m = RECEIVED.match(read(before["mess"][n]))
            queued[sender] = read(before["mess"][n])[m.end():]
        for i, body, code, _ in results:
            sender = b"c%d@example.org" % i
            if code == 0:
                self.assertIn(sender, queued)
            if sender in queued:  # also those killed after their commit point
                self.assertEqual(queued[sender], body, i)

        sweep = self.run_clean("-s", "0")
        self.assertEqual(sweep.returncode, 0, sweep.stderr)
        self.assertTrue(sweep.stdout.startswith(b"removed "), sweep.stdout)
        after = self.assert_only_committed()
        self.assertEqual(set(after["todo"]), set(before["todo"]))
        counts = [int(x) for x in re.findall(rb"\d+", sweep.stdout)[:3]]
        self.assertEqual(sum(counts) > 0, leftovers > 0, (sweep.stdout, leftovers))
        # A second sweep finds nothing more.
        again = self.run_clean("-s", "0")
        self.assertTrue(again.stdout.startswith(b"removed 0 pid files, 0 messages, 0 intd"),
                        again.stdout)
        self.assertLess(time.time() - started, 60)


class CleanTest(QueueCase):
    def inject_some(self, count):
        numbers = []
        for i in range(count):
            code, _, _ = inject(self.root, b"m%d\n" % i, envelope(b"s%d@x" % i, [b"r@x"]))
            self.assertEqual(code, 0)
        files = queue_files(self.root)
        for n, todo in files["todo"].items():
            numbers.append((int(records(read(todo))[2][2:].split(b"@")[0]), n))
        return [n for _, n in sorted(numbers)]

    def test_requests_and_replies(self):
        a, b = self.inject_some(2)
        requests = (b"todo/%d\0foop/%d\0todo/%d\0bad\0foop/%d\0todo/999999999\0foop/12x\0"
                    b"foop/\0" % (a, a, a, b) + b"todo/" + b"1" * 200 + b"\0")
        proc = self.run_clean(input=requests)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout, b"+++x++xxx")
        files = queue_files(self.root)
        self.assertEqual(set(files["mess"]), set())  # a: todo then foop; b: foop
        self.assertEqual(set(files["todo"]), {b})  # foop leaves todo alone
        self.assertEqual(set(files["intd"]), set())

    def test_unlink_failure_is_bang(self):
        n = 46  # a directory where a file should be makes unlink fail
        os.mkdir(os.path.join(self.root, "queue/mess", str(n % SPLIT), str(n)))
        try:
            proc = self.run_clean(input=b"foop/46\0todo/46\0")
            self.assertEqual(proc.stdout, b"!+")
        finally:
            os.rmdir(os.path.join(self.root, "queue/mess", str(n % SPLIT), str(n)))

    def test_serving_sweeps_first(self):
        [n, kept] = self.inject_some(2)
        q = os.path.join(self.root, "queue")
        pid_dir = os.path.join(q, "pid")
        gone = time.time() - 36 * 3600 - 5
        old, young = os.path.join(pid_dir, "123.456.1"), os.path.join(pid_dir, "124.456.1")
        for p in (old, young):
            open(p, "w").close()
        os.utime(old, (gone, gone))
        # An injection killed before its commit, 37 hours ago: intd/K/M without todo/K/M.
        orphan = os.path.join(pid_dir, "125.456.1")
        open(orphan, "w").close()
        m = os.stat(orphan).st_ino
        intd = os.path.join(q, "intd", str(m % SPLIT), str(m))
        open(intd, "w").close()
        os.link(orphan, os.path.join(q, "mess", str(m % SPLIT), str(m)))
        os.unlink(orphan)
        for p in (intd, os.path.join(q, "mess", str(m % SPLIT), str(m))):
            os.utime(p, (gone, gone))
        # A pid name beside a queued message (as after a machine crash): only the name goes.
        stale = os.path.join(pid_dir, "126.456.1")
        os.link(queue_files(self.root)["mess"][kept], stale)
        os.utime(stale, (gone, gone))
        proc = self.run_clean(input=b"todo/%d\0" % n)
        self.assertEqual(proc.stdout, b"+")
        self.assertEqual(sorted(os.listdir(pid_dir)), ["124.456.1"])
        files = queue_files(self.root)
        self.assertEqual(set(files["mess"]), {n, kept})
        self.assertEqual(set(files["todo"]), {kept})
        self.assertEqual(set(files["intd"]), {kept})

    def test_sweep_option(self):
        self.inject_some(1)
        pid_file = os.path.join(self.root, "queue/pid/1.2.3")
        open(pid_file, "w").close()
        proc = self.run_clean("-s", "3600")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout, b"removed 0 pid files, 0 messages, 0 intd files; "
                                      b"skipped 0 running, 1 younger than 3600 s\n")
        proc = self.run_clean("-s", "0")
        self.assertEqual(proc.stdout, b"removed 1 pid files, 0 messages, 0 intd files; "
                                      b"skipped 0 running, 0 younger than 0 s\n")
        self.assertEqual(len(self.assert_only_committed()["todo"]), 1)
        for bad in (["-s"], ["-s", "x"], ["-x"], ["-s", "-1"]):
            proc = self.run_clean(*bad)
            self.assertEqual(proc.returncode, 100, bad)
            self.assertIn(b"usage: clean [-s AGE_SECONDS]", proc.stderr)


class DiskFullTest(QueueCase):
    """ROOT/queue on a 300 KiB tmpfs."""

    def setUp(self):
        super().setUp()
        self.queue = os.path.join(self.root, "queue")
        self.saved = os.path.join(self.base, "queue.saved")
        subprocess.run(["cp", "-a", self.queue, self.saved], check=True)
        self.addCleanup(shutil.rmtree, self.saved, ignore_errors=True)
        options = f"size=300k,mode=0750,uid={support.uid('msq')},gid={support.gid('mailsuite')}"
        subprocess.run(["mount", "-t", "tmpfs", "-o", options, "ms-queue-test", self.queue],
                       check=True)
        self.addCleanup(self.unmount)  # runs even when the rest of setUp fails
        subprocess.run(["cp", "-a", self.saved + "/.", self.queue + "/"], check=True)
        st = os.stat(self.queue)
        self.assertEqual((st.st_uid, stat.S_IMODE(st.st_mode)), (support.uid("msq"), 0o750))

    def unmount(self):
        subprocess.run(["umount", self.queue], check=False)
        if os.path.ismount(self.queue):
            subprocess.run(["umount", "-l", self.queue], check=False)

    def test_disk_full_is_53_and_nothing_partial(self):
        codes = []
        sent = {}
        for i in range(60):
            body = b"Subject: %d\n\n" % i + b"z" * 15000
            code, _, err = inject(self.root, body, envelope(b"d%d@x" % i, [b"r@x"]))
            codes.append(code)
            if code == 0:
                sent[b"d%d@x" % i] = body
        self.assertIn(53, codes)
        self.assertEqual(set(codes), {0, 53}, codes)
        self.assertGreater(codes.count(0), 5)
        got = self.committed()
        self.assertEqual({s: m for s, (m, _) in got.items()}, sent)
        # A message bigger than the whole file system fails the same way.
        code, _, _ = inject(self.root, b"y" * (1 << 20), envelope(b"big@x", [b"r@x"]))
        self.assertEqual(code, 53)
        self.assert_only_committed()

        # Space freed through clean's requests: injection works again.
        files = queue_files(self.root)
        requests = b"".join(b"todo/%d\0foop/%d\0" % (n, n) for n in files["todo"])
        proc = self.run_clean(input=requests)
        self.assertEqual(proc.stdout, b"+" * (2 * len(files["todo"])))
        self.assertEqual(queue_files(self.root), {"pid": {}, "mess": {}, "intd": {}, "todo": {}})
        code, _, _ = inject(self.root, b"Subject: again\n\n" + b"z" * 15000,
                            envelope(b"again@x", [b"r@x"]))
        self.assertEqual(code, 0)
        self.assertEqual(list(self.committed()), [b"again@x"])


if __name__ == "__main__":
    unittest.main()
