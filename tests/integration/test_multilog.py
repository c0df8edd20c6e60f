"""multilog: size rotation and the number of files kept, a 100,000-line burst without
loss, stamps Debian's tai64nlocal reads, selection, =file, e, SIGALRM, SIGTERM, lock;
also our tai64nlocal, envdir, setuidgid and softlimit as run scripts use them."""
import datetime
import os
import re
import signal
import subprocess
import time
import unittest

import support

WAIT = 20


def log_files(d):
    return sorted(n for n in os.listdir(d) if n.startswith("@"))


def all_lines(d):
    out = []
    for name in log_files(d) + ["current"]:
        with open(os.path.join(d, name)) as f:
            out.extend(f.read().splitlines())
    return out


class MultilogTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.base, cls.root = support.new_root()
        support.install(cls.root)

    @classmethod
    def tearDownClass(cls):
        support.remove(cls.base)

    def prog(self, name):
        return os.path.join(self.root, "bin", name)

    def multilog(self, *script, input):
        return subprocess.run([self.prog("multilog"), *script], input=input,
                              capture_output=True, text=True, cwd=self.base, timeout=WAIT)

    def test_burst_of_100000_lines_loses_nothing(self):
        d = os.path.join(self.base, "burst")
        lines = "".join(f"line {i} of the burst\n" for i in range(1, 100001))
        start = time.monotonic()
        proc = self.multilog("t", "s1000000", "n100", d, input=lines)
        elapsed = time.monotonic() - start
        self.assertEqual(proc.returncode, 0, proc.stderr)
        got = all_lines(d)
        self.assertEqual(len(got), 100000)
        numbers = [int(line.split()[2]) for line in got]
        self.assertEqual(numbers, list(range(1, 100001)))  # every line, in order
        self.assertGreaterEqual(len(log_files(d)), 3)
        print(f"multilog: 100,000 lines in {elapsed:.2f} s")

    def test_rotation_at_size_keeps_num_files(self):
        d = os.path.join(self.base, "rotate")
        lines = "".join(f"{i:06d} " + "x" * 90 + "\n" for i in range(2000))  # 200 KB
        proc = self.multilog("s5000", "n4", d, input=lines)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        files = log_files(d)
        self.assertEqual(len(files), 4)
        for name in files:
            self.assertRegex(name, r"^@[0-9a-f]{24}\.s$")
            size = os.path.getsize(os.path.join(d, name))
            self.assertLessEqual(size, 5000)
            self.assertGreaterEqual(size, 5000 - 2000 - 98)
            self.assertEqual(os.stat(os.path.join(d, name)).st_mode & 0o777, 0o744)
        kept = [int(line.split()[0]) for line in all_lines(d)]
        self.assertEqual(kept, list(range(kept[0], 2000)))  # the newest lines, unbroken
        self.assertEqual(os.stat(os.path.join(d, "current")).st_mode & 0o777, 0o744)

    def test_debian_tai64nlocal_reads_our_stamps(self):
        d = os.path.join(self.base, "stamps")
        before = datetime.datetime.now().replace(microsecond=0)
        self.assertEqual(self.multilog("t", d, input="hello\nworld\n").returncode, 0)
        for reader in ("/usr/bin/tai64nlocal", self.prog("tai64nlocal")):
            with open(os.path.join(d, "current")) as f:
                out = subprocess.run([reader], stdin=f, capture_output=True, text=True).stdout
            got = out.splitlines()
            self.assertEqual(len(got), 2)
            m = re.match(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\.\d{9} hello$", got[0])
            self.assertIsNotNone(m, out)
            when = datetime.datetime.strptime(m[1], "%Y-%m-%d %H:%M:%S")
            self.assertLessEqual(abs((when - before).total_seconds()), 60)
            self.assertTrue(got[1].endswith(" world"))

    def test_selection_status_file_and_alert(self):
        d = os.path.join(self.base, "select")
        status = os.path.join(self.base, "status")
        proc = self.multilog("-*", "+STAT*", "=" + status, "+*keep*", "e", d,
                             input="drop me\nSTAT one\nkeep this\nSTAT two\nplain\n" + "y" * 300 + "\n")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(all_lines(d), ["STAT one", "keep this", "STAT two"])
        with open(status) as f:
            text = f.read()
        self.assertEqual(len(text), 1001)
        self.assertEqual(text, "STAT two" + "\n" * 993)
        self.assertEqual(proc.stderr, "STAT one\nkeep this\nSTAT two\n")
        long = self.multilog("e", input="z" * 300 + "\n")
        self.assertEqual(long.stderr, "z" * 200 + "...\n")

    def test_partial_last_line_gets_a_newline(self):
        d = os.path.join(self.base, "partial")
        self.assertEqual(self.multilog(d, input="one\ntwo").returncode, 0)
        with open(os.path.join(d, "current")) as f:
            self.assertEqual(f.read(), "one\ntwo\n")

    def test_alarm_rotates_term_flushes_and_lock(self):
        d = os.path.join(self.base, "signals")
        proc = subprocess.Popen([self.prog("multilog"), d], stdin=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        proc.stdin.write("before alarm\n")
        proc.stdin.flush()
        current = os.path.join(d, "current")
        deadline = time.monotonic() + WAIT
        while not (os.path.exists(current) and os.path.getsize(current) > 0):
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.02)
        second = subprocess.run([self.prog("multilog"), d], input="", capture_output=True,
                                text=True, timeout=WAIT)
        self.assertEqual(second.returncode, 111)
        self.assertIn("unable to lock", second.stderr)
        proc.send_signal(signal.SIGALRM)
        while len(log_files(d)) != 1:
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.02)
        proc.stdin.write("after alarm\n")
        proc.stdin.flush()
        while os.path.getsize(current) == 0:
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.02)
        proc.send_signal(signal.SIGTERM)  # stdin stays open: TERM alone ends it
        self.assertEqual(proc.wait(timeout=WAIT), 0)
        proc.stdin.close()
        proc.stderr.close()
        with open(os.path.join(d, log_files(d)[0])) as f:
            self.assertEqual(f.read(), "before alarm\n")
        with open(current) as f:
            self.assertEqual(f.read(), "after alarm\n")
        self.assertEqual(os.stat(current).st_mode & 0o777, 0o744)

    def test_unfinished_current_becomes_u(self):
        d = os.path.join(self.base, "crash")
        os.makedirs(d)
        with open(os.path.join(d, "current"), "w") as f:
            f.write("cut off in the mid")
        os.chmod(os.path.join(d, "current"), 0o644)
        self.assertEqual(self.multilog(d, input="next\n").returncode, 0)
        files = log_files(d)
        self.assertEqual(len(files), 1)
        self.assertTrue(files[0].endswith(".u"))
        with open(os.path.join(d, "current")) as f:
            self.assertEqual(f.read(), "next\n")

    def test_bad_script_is_usage_error(self):
        proc = self.multilog("./x", "t", input="")
        self.assertEqual(proc.returncode, 100)
        self.assertIn("usage: multilog", proc.stderr)

    def test_envdir_setuidgid_softlimit(self):
        env = os.path.join(self.base, "env")
        os.makedirs(env)
        with open(os.path.join(env, "GREETING"), "w") as f:
            f.write("hello there  \nignored\n")
        open(os.path.join(env, "HOME"), "w").close()  # empty: unset
        proc = subprocess.run([self.prog("envdir"), env, "sh", "-c",
                               'echo "$GREETING|${HOME-unset}"'], capture_output=True, text=True,
                              env={"PATH": "/usr/bin:/bin", "HOME": "/root"})
        self.assertEqual(proc.stdout, "hello there|unset\n", proc.stderr)
        proc = subprocess.run([self.prog("setuidgid"), "msl", "id", "-un"], capture_output=True,
                              text=True)
        self.assertEqual(proc.stdout, "msl\n", proc.stderr)
        proc = subprocess.run([self.prog("setuidgid"), "no-such-account-x", "true"],
                              capture_output=True, text=True)
        self.assertEqual(proc.returncode, 111)
        proc = subprocess.run([self.prog("softlimit"), "-o", "17", "-c", "0", "sh", "-c",
                               "ulimit -n; ulimit -c"], capture_output=True, text=True)
        self.assertEqual(proc.stdout, "17\n0\n", proc.stderr)
        proc = subprocess.run([self.prog("softlimit"), "-q", "1", "true"], capture_output=True)
        self.assertEqual(proc.returncode, 100)


if __name__ == "__main__":
    unittest.main()
