"""start as installed: the processes it starts, their accounts, descriptors and pipes.

ROOT/bin/send is replaced by a stand-in (a Python script written here) that records what
it was given (uid, groups, environment, umask, descriptors), writes a log line on fd 0,
reads the slot bytes of the spawners on fd 2 and fd 4, has lspawn deliver a message to
postmaster through the real bin/lspawn and bin/local, asks the real bin/clean for a
removal, and then waits until the test tells it to end. Meanwhile the test looks at the
other processes in /proc.
"""
import grp
import json
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import support
from support import children_of, run, running

HOST = "test.example"
MESSAGE = b"From: alice@a.example\nSubject: start test\n\nbody\n"

STAND_IN_SEND = r'''#!/usr/bin/python3
import json, os, stat, time
DIR = {dir!r}
MSGID = {msgid!r}

def kind(fd):
    try:
        st = os.fstat(fd)
    except OSError:
        return "closed"
    if stat.S_ISFIFO(st.st_mode):
        return "fifo"
    if stat.S_ISCHR(st.st_mode):
        return "chr"
    return "other"

r = {{"pid": os.getpid(), "uid": os.getresuid(), "gid": os.getresgid(),
      "groups": os.getgroups(), "env": dict(os.environ), "cwd": os.getcwd()}}
mask = os.umask(0)
os.umask(mask)
r["umask"] = mask
fields = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
r["sig_blocked"] = int(fields["SigBlk"], 16)
r["sig_pending"] = int(fields["ShdPnd"], 16) | int(fields["SigPnd"], 16)
r["fds"] = [kind(fd) for fd in range(12)]
os.write(0, b"status: hello from send\n")
r["lspawn_slots"] = os.read(2, 1)[0]
first = os.read(4, 1)
r["rspawn_slots"] = first[0] if first else None
if first == b"\0":
    r["rspawn_then"] = os.read(4, 1).decode()
os.write(1, b"\x05" + MSGID.encode() + b"\0alice@a.example\0postmaster@{host}\0")
result = b""
while not result.endswith(b"\0") or len(result) < 2:
    chunk = os.read(2, 4096)
    if not chunk:
        break
    result += chunk
r["lspawn_result"] = result.decode()
os.write(5, b"todo/999\0")
r["clean_reply"] = os.read(6, 1).decode()
with open(DIR + "/report.tmp", "w") as f:
    json.dump(r, f)
os.rename(DIR + "/report.tmp", DIR + "/report")
deadline = time.monotonic() + 20
while not os.path.exists(DIR + "/done") and time.monotonic() < deadline:
    time.sleep(0.05)
'''

STAND_IN_RSPAWN = """#!/bin/sh
id -u > {dir}/rspawn-uid
printf '\\170'
cat > /dev/null
"""


class StartTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.base, cls.root = support.new_root("ms-start-")
        support.install_configured(cls.root, HOST)
        cls.mail_gid = grp.getgrnam("mailsuite").gr_gid
        cls.nofiles_gid = grp.getgrnam("msnofiles").gr_gid
        path = os.path.join(cls.root, "queue", "mess", "4", "200")
        with open(path, "wb") as f:
            f.write(MESSAGE)
        os.chown(path, support.uid("msq"), cls.mail_gid)
        os.chmod(path, 0o640)
        cls.msgid = "4/200"

    @classmethod
    def tearDownClass(cls):
        support.remove(cls.base)

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="report-", dir=self.base)
        os.chmod(self.dir, 0o777)
        self.install_program("send", STAND_IN_SEND.format(dir=self.dir, msgid=self.msgid,
                                                          host=HOST))

    def install_program(self, name, text):
        path = os.path.join(self.root, "bin", name)
        saved = path + ".saved"
        if os.path.exists(path) and not os.path.exists(saved):
            os.rename(path, saved)
            self.addCleanup(os.rename, saved, path)
        else:
            self.addCleanup(os.unlink, path)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o755)

    def start(self, *args, signal_when_started=None):
        """Runs start until the stand-in has reported; returns (process, report, helpers).
        signal_when_started is sent to start's process as soon as its first helper runs:
        start is then past its first instruction, before or after its exec of send."""
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LEAKED_SECRET": "x"}
        if support.SAN == "1":
            env["ASAN_OPTIONS"] = os.environ.get("ASAN_OPTIONS", "")
        proc = subprocess.Popen([os.path.join(self.root, "bin", "start"), *args],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env)
        if signal_when_started is not None:
            deadline = time.monotonic() + 15
            while not children_of(proc.pid) and proc.poll() is None \
                    and time.monotonic() < deadline:
                time.sleep(0.001)
            proc.send_signal(signal_when_started)
        self.addCleanup(self.cleanup, proc)
        report = os.path.join(self.dir, "report")
        deadline = time.monotonic() + 15
        while not os.path.exists(report):
            if proc.poll() is not None or time.monotonic() > deadline:
                self.fail("no report from the stand-in send: " + proc.stderr.read().decode())
            time.sleep(0.02)
        with open(report) as f:
            r = json.load(f)
        return proc, r, children_of(proc.pid)

    def finish(self, proc):
        """Lets the stand-in send end; start's process (now send) exits."""
        open(os.path.join(self.dir, "done"), "w").close()
        proc.wait(timeout=10)

    def cleanup(self, proc):
        open(os.path.join(self.dir, "done"), "w").close()
        proc.kill()
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()

    def helper(self, helpers, name):
        path = os.path.join(self.root, "bin", name).encode()
        # A script runs as "/bin/sh PATH": its name is the second word.
        found = [info for info in helpers.values() if path in info["cmdline"][:2]]
        self.assertEqual(len(found), 1, f"{name} among {helpers}")
        return found[0]

    def assert_send_setup(self, r, proc):
        mss = support.uid("mss")
        self.assertEqual(r["pid"], proc.pid)  # start became send: signals reach send
        self.assertEqual(r["uid"], [mss] * 3)
        self.assertEqual(r["gid"], [self.mail_gid] * 3)
        self.assertEqual(r["groups"], [self.mail_gid])
        self.assertEqual(set(r["env"]) - {"ASAN_OPTIONS", "LC_CTYPE"}, {"PATH"})
        self.assertEqual(r["cwd"], "/")
        self.assertEqual(r["umask"], 0o077)
        self.assertEqual(r["lspawn_slots"], 120)
        self.assertEqual(r["lspawn_result"], "\x05Kdid 1+0+0\n\0")
        self.assertEqual(r["clean_reply"], "+")

    def assert_helpers(self, helpers, default_delivery):
        lspawn = self.helper(helpers, "lspawn")
        self.assertEqual(lspawn["Uid"], [0] * 4)
        self.assertEqual(lspawn["Gid"], [self.mail_gid] * 4)
        self.assertEqual(lspawn["cmdline"][1:], [default_delivery.encode()])
        self.assertEqual(lspawn["Groups"], [self.mail_gid])
        clean = self.helper(helpers, "clean")
        self.assertEqual(clean["Uid"], [support.uid("msq")] * 4)
        self.assertEqual(clean["Gid"], [self.mail_gid] * 4)

    def test_without_logger_or_rspawn(self):
        rspawn = os.path.join(self.root, "bin", "rspawn")
        if os.path.exists(rspawn):  # built since issue 6: this case needs it absent
            os.rename(rspawn, rspawn + ".absent")
            self.addCleanup(os.rename, rspawn + ".absent", rspawn)
        proc, r, helpers = self.start()
        self.assert_send_setup(r, proc)
        self.assertEqual(r["fds"], ["fifo"] * 3 + ["chr"] + ["fifo"] * 3 + ["closed"] * 5)
        self.assertEqual(r["rspawn_slots"], 0)  # no rspawn: no remote slots ...
        self.assertEqual(r["rspawn_then"], "")  # ... and end of file after the byte
        self.assert_helpers(helpers, "./Maildir/")
        self.assertEqual(len(helpers), 2)
        self.finish(proc)
        self.assertEqual(proc.returncode, 0)
        self.assertIn(b"status: hello from send\n", proc.stdout.read())
        self.assert_gone(helpers)

    def test_with_logger_and_rspawn(self):
        self.install_program("rspawn", STAND_IN_RSPAWN.format(dir=self.dir))
        proc, r, helpers = self.start("./Mailbox", "cat")
        self.assert_send_setup(r, proc)
        self.assertEqual(r["fds"], ["fifo"] * 7 + ["closed"] * 5)
        self.assertEqual(r["rspawn_slots"], 120)
        self.assert_helpers(helpers, "./Mailbox")
        rspawn = self.helper(helpers, "rspawn")
        self.assertEqual(rspawn["Uid"], [support.uid("msr")] * 4)
        self.assertEqual(rspawn["Gid"], [self.mail_gid] * 4)
        logger = [i for i in helpers.values() if i["cmdline"][0].endswith(b"/cat")]
        self.assertEqual(len(logger), 1, helpers)
        self.assertEqual(logger[0]["Uid"], [support.uid("msl")] * 4)
        self.assertEqual(logger[0]["Gid"], [self.nofiles_gid] * 4)
        self.assertEqual(len(helpers), 4)
        self.finish(proc)
        self.assertEqual(proc.returncode, 0)
        self.assertEqual(proc.stdout.read(), b"status: hello from send\n")  # through cat
        self.assert_gone(helpers)
        with open(os.path.join(self.dir, "rspawn-uid")) as f:
            self.assertEqual(f.read().strip(), str(support.uid("msr")))

    def assert_gone(self, helpers):
        """Every helper ends once send (its pipes) has gone."""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            alive = [p for p in helpers if running(p)]
            if not alive:
                return
            time.sleep(0.05)
        self.fail(f"still running: {alive}")

    def test_signals_during_set_up_wait_for_send(self):
        # TERM, ALRM and HUP stay blocked from start's first instruction until send takes
        # them (send(8) handles TERM as an orderly exit): one sent once start has begun
        # starting its helpers must neither kill it half-way nor be lost. (Before main()
        # a TERM ends start before it has started anything, which is harmless.)
        proc, r, helpers = self.start(signal_when_started=signal.SIGTERM)
        self.assertIsNone(proc.poll())
        for sig in (signal.SIGTERM, signal.SIGALRM, signal.SIGHUP):
            self.assertTrue(r["sig_blocked"] & (1 << (sig - 1)), sig)
        self.assertEqual(r["sig_pending"] & (1 << (signal.SIGTERM - 1)), 1 << (signal.SIGTERM - 1))
        self.assert_helpers(helpers, "./Maildir/")
        self.finish(proc)
        self.assertEqual(proc.returncode, 0)

    def test_missing_program_is_a_temporary_failure(self):
        lspawn = os.path.join(self.root, "bin", "lspawn")
        shutil.move(lspawn, lspawn + ".away")
        self.addCleanup(shutil.move, lspawn + ".away", lspawn)
        proc = subprocess.run([os.path.join(self.root, "bin", "start")], capture_output=True,
                              text=True, timeout=30)
        self.assertEqual(proc.returncode, 111)
        self.assertIn(f"start: fatal: unable to find {lspawn}", proc.stderr)


if __name__ == "__main__":
    unittest.main()
