"""mailctl queue and mailctl queue --stats on queues built by hand (and one real injection).

The queue states are written file by file with the real owners and modes, so these tests
do not depend on the queue, inject or send programs; one test injects through bin/queue.
"""
import os
import re
import subprocess
import time
import unittest

import support
from support import run

MSG_LINE = re.compile(r"^msg (\d+) arrived (\S+) age (\d+) size (\d+) from (<\S*>)(.*)$")


def parse_listing(text):
    """[(id, arrived, age, size, sender, flags, [(state, address)])] from mailctl queue."""
    messages = []
    for line in text.splitlines():
        if line.startswith("  "):
            state, address = line.strip().rsplit(" ", 1)
            messages[-1][6].append((state, address))
            continue
        m = MSG_LINE.match(line)
        assert m, f"not a message line: {line!r}"
        messages.append((int(m[1]), m[2], int(m[3]), int(m[4]), m[5], m[6].strip(), []))
    return messages


def utc(when):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))


def parse_stats(text):
    return {k: int(v) for k, v in (line.rsplit(": ", 1) for line in text.splitlines())}


class MailctlQueueTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        assert os.geteuid() == 0, "the integration suite runs as root (as CI does)"
        cls.base, cls.root = support.new_root()
        proc = support.make_install(cls.root)
        assert proc.returncode == 0, proc.stderr
        cls.queue = os.path.join(cls.root, "queue")
        cls.split = len([d for d in os.listdir(os.path.join(cls.queue, "mess")) if d.isdigit()])
        assert cls.split > 1

    @classmethod
    def tearDownClass(cls):
        support.remove(cls.base)

    def setUp(self):
        # Every test starts from an empty queue.
        for top in ["mess", "intd", "todo", "info", "local", "remote", "bounce", "pid"]:
            for dirpath, _, files in os.walk(os.path.join(self.queue, top)):
                for f in files:
                    os.unlink(os.path.join(dirpath, f))

    # --- building queue states by hand ----------------------------------------

    def put(self, folder, n, data, owner, mode, mtime=None, hashed=True):
        path = os.path.join(self.queue, folder, str(n % self.split), str(n)) if hashed \
            else os.path.join(self.queue, folder, str(n))
        with open(path, "wb") as f:
            f.write(data)
        os.chown(path, support.uid(owner), support.gid("mailsuite"))
        os.chmod(path, mode)
        if mtime is not None:
            os.utime(path, (mtime, mtime))
        return path

    def mess(self, n, data, mtime=None):
        return self.put("mess", n, data, "msq", 0o644, mtime)

    def todo(self, n, sender, recipients, uid=0, pid=4242):
        data = f"u{uid}\0p{pid}\0".encode() + b"F" + sender + b"\0" + \
            b"".join(b"T" + r + b"\0" for r in recipients)
        self.put("intd", n, data, "msq", 0o644)
        os.link(os.path.join(self.queue, "intd", str(n % self.split), str(n)),
                os.path.join(self.queue, "todo", str(n % self.split), str(n)))

    def preprocessed(self, n, sender, local=(), remote=(), mtime=None):
        """info/N, and local/N, remote/N of (done, address) pairs."""
        self.put("info", n, b"F" + sender + b"\0", "mss", 0o600, mtime)
        for folder, recips in [("local", local), ("remote", remote)]:
            if recips:
                data = b"".join((b"D" if done else b"T") + a + b"\0" for done, a in recips)
                self.put(folder, n, data, "mss", 0o600)

    def listing(self, *args):
        proc = run(self.root, "mailctl", "queue", *args)
        return proc

    # --- the tests ------------------------------------------------------------

    def test_empty_queue(self):
        proc = self.listing()
        self.assertEqual((proc.returncode, proc.stdout, proc.stderr), (0, "", ""))
        proc = self.listing("--stats")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout,
                         "messages in queue: 0\n"
                         "messages not yet preprocessed: 0\n"
                         "local recipients pending: 0\n"
                         "remote recipients pending: 0\n"
                         "recipients not yet preprocessed: 0\n")

    def test_lists_every_state(self):
        now = int(time.time())
        # A preprocessed message, 2 hours old, with done and pending recipients.
        self.mess(100, b"x" * 4096, mtime=now - 7300)
        self.preprocessed(100, b"alice@example.org",
                          local=[(False, b"bob@test.example"), (True, b"carol@test.example")],
                          remote=[(True, b"dave@example.net"), (False, b"erin@example.net")],
                          mtime=now - 7200)
        # A message not yet preprocessed (only todo/N), 1 minute old, null sender.
        self.mess(5000, b"Subject: hi\n\nbody\n", mtime=now - 60)
        self.todo(5000, b"", [b"frank@example.com", b"grace@test.example"])
        # A bouncing message whose sender holds a space and an escape byte.
        self.mess(31, b"m", mtime=now - 30)
        self.preprocessed(31, b'"a b"@x.example\x1b', remote=[(False, b"h@example.net")],
                          mtime=now - 30)
        self.put("bounce", 31, b"h@example.net:\nfailed\n\n", "mss", 0o600, hashed=False)

        proc = self.listing()
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stderr, "")
        got = parse_listing(proc.stdout)
        # Oldest first.
        self.assertEqual([m[0] for m in got], [100, 5000, 31])
        first, second, third = got
        self.assertEqual(first[1], time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 7200)))
        self.assertAlmostEqual(first[2], 7200, delta=30)
        self.assertEqual((first[3], first[4]), (4096, "<alice@example.org>"))
        # send's schedule from the arrival, 7200 s ago: local (90 s)^2, remote (100 s)^2 later.
        self.assertEqual(first[5], f"next local {utc(now - 7200 + 8100)} "
                                   f"next remote {utc(now - 7200 + 10000)}")
        self.assertEqual(first[6], [("local pending", "<bob@test.example>"),
                                    ("local done", "<carol@test.example>"),
                                    ("remote done", "<dave@example.net>"),
                                    ("remote pending", "<erin@example.net>")])
        self.assertAlmostEqual(second[2], 60, delta=30)
        self.assertEqual((second[3], second[4], second[5]), (18, "<>", "not yet preprocessed"))
        self.assertEqual(second[6], [("pending", "<frank@example.com>"),
                                     ("pending", "<grace@test.example>")])
        self.assertEqual((third[4], third[5]), ('<"a\\x20b"@x.example\\x1b>',
                                                f"next remote {utc(now - 30 + 400)} bouncing"))
        self.assertEqual(third[6], [("remote pending", "<h@example.net>")])
        self.assertIn(f"msg 100 arrived {first[1]} age ", proc.stdout)

        stats = self.listing("--stats")
        self.assertEqual(stats.returncode, 0, stats.stderr)
        self.assertEqual(parse_stats(stats.stdout), {
            "messages in queue": 3,
            "messages not yet preprocessed": 1,
            "local recipients pending": 1,
            "remote recipients pending": 2,
            "recipients not yet preprocessed": 2,
        })

    def test_todo_wins_over_a_stale_info(self):
        # Preprocessing was interrupted: send preprocesses todo/N again, so do we.
        self.mess(77, b"m")
        self.todo(77, b"new@example.org", [b"r@example.net"])
        self.preprocessed(77, b"old@example.org", local=[(False, b"stale@test.example")])
        got = parse_listing(self.listing().stdout)
        self.assertEqual(len(got), 1)
        self.assertEqual((got[0][4], got[0][5], got[0][6]),
                         ("<new@example.org>", "not yet preprocessed",
                          [("pending", "<r@example.net>")]))

    def test_message_being_injected_is_not_listed(self):
        # mess/N and intd/N without todo/N: not queued yet (or a crash that clean removes).
        self.mess(12, b"partial")
        self.put("intd", 12, b"u0\0p1\0Fa@b\0", "msq", 0o644)
        self.assertEqual(self.listing().stdout, "")
        self.assertEqual(parse_stats(self.listing("--stats").stdout)["messages in queue"], 0)

    def test_damaged_message_is_named_and_the_rest_listed(self):
        self.preprocessed(66, b"lost@example.org", local=[(False, b"x@test.example")])
        self.mess(67, b"fine")
        self.preprocessed(67, b"ok@example.org", local=[(False, b"y@test.example")])
        proc = self.listing()
        self.assertEqual(proc.returncode, 111)
        self.assertEqual(proc.stderr,
                         "mailctl: warning: trouble with message 66: info/N without mess/N\n")
        self.assertEqual([m[0] for m in parse_listing(proc.stdout)], [67])
        stats = self.listing("--stats")
        self.assertEqual(stats.returncode, 111)
        self.assertEqual(parse_stats(stats.stdout)["messages in queue"], 1)

    def test_needs_root(self):
        self.mess(100, b"m")
        self.preprocessed(100, b"a@b", local=[(False, b"c@d")])
        for args in [[], ["--stats"]]:
            proc = subprocess.run([os.path.join(self.root, "bin", "mailctl"), "queue", *args],
                                  capture_output=True, text=True, user="nobody",
                                  group="nogroup", extra_groups=[], timeout=60)
            self.assertEqual(proc.returncode, 111, proc.stderr)
            self.assertEqual(proc.stdout, "")
            self.assertEqual(len(proc.stderr.splitlines()), 1, proc.stderr)
            self.assertTrue(proc.stderr.startswith(
                "mailctl: fatal: listing the queue needs root ("), proc.stderr)

    def test_usage_and_help(self):
        proc = self.listing("--bogus")
        self.assertEqual(proc.returncode, 100)
        self.assertEqual(proc.stderr, "mailctl: fatal: usage: mailctl queue [--stats]\n")
        self.assertEqual(self.listing("--stats", "extra").returncode, 100)
        proc = self.listing("--help")
        self.assertEqual(proc.returncode, 0)
        self.assertIn("usage: mailctl queue [--stats]", proc.stdout)
        self.assertIn("not yet preprocessed", proc.stdout)
        top = run(self.root, "mailctl", "--help")
        self.assertIn("queue", top.stdout)

    def test_lists_a_message_injected_through_bin_queue(self):
        queue_program = os.path.join(self.root, "bin", "queue")
        self.assertTrue(os.path.exists(queue_program), "bin/queue is not installed yet")
        env = dict(os.environ)
        if support.SAN == "1":
            env["ASAN_OPTIONS"] = "detect_leaks=0"  # LSan cannot run in a setuid process
        body = b"Subject: listed\n\nhello\n"
        envelope = b"Fsender@example.org\0Tone@example.net\0Ttwo@test.example\0\0"
        r, w = os.pipe()
        os.write(w, envelope)
        os.close(w)
        proc = subprocess.run([queue_program], input=body, stdout=r, env=env, timeout=60)
        os.close(r)
        self.assertEqual(proc.returncode, 0)
        got = parse_listing(self.listing().stdout)
        self.assertEqual(len(got), 1)
        n, _, age, size, sender, flags, recips = got[0]
        mess = os.path.join(self.queue, "mess", str(n % self.split), str(n))
        self.assertEqual(os.stat(mess).st_ino, n)
        self.assertEqual(size, os.stat(mess).st_size)
        with open(mess, "rb") as f:
            self.assertTrue(f.read().endswith(body))
        self.assertLess(age, 60)
        self.assertEqual((sender, flags), ("<sender@example.org>", "not yet preprocessed"))
        self.assertEqual(recips, [("pending", "<one@example.net>"),
                                  ("pending", "<two@test.example>")])


if __name__ == "__main__":
    unittest.main()
