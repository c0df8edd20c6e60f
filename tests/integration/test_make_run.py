"""make run: install, configure on first use, check, start the delivery processes once,
and say what it did."""
import os
import re
import signal
import subprocess
import time
import unittest

import support
from support import run, running

WAIT = 20  # seconds: upper bound for anything the test waits for


def make_run(root):
    return subprocess.run(["make", "-s", "run", f"ROOT={root}", f"SAN={support.SAN}"],
                          cwd=support.TOP, capture_output=True, text=True, timeout=600)


def send_pid(root):
    """The pid in the sendmutex, or None."""
    with open(os.path.join(root, "queue", "lock", "sendmutex")) as f:
        text = f.read().strip()
    return int(text) if text.isdigit() else None


class MakeRunTest(unittest.TestCase):
    def test_first_run_configures_and_starts_second_keeps(self):
        base, root = support.new_root()
        self.addCleanup(support.remove, base)
        self.addCleanup(self.stop, root)
        first = make_run(root)
        self.assertEqual(first.returncode, 0, first.stdout + first.stderr)
        self.assertIn("wrote control/me", first.stdout)
        self.assertIn("no problems found", first.stdout)
        self.assertTrue(os.path.exists(os.path.join(root, "control/tls/cert.pem")))
        m = re.search(r"run: started the delivery processes: .*/bin/start \./Maildir/ \(send "
                      r"pid (\d+)", first.stdout)
        self.assertIsNotNone(m, first.stdout)
        pid = int(m[1])
        self.assertEqual(send_pid(root), pid)
        with open(os.path.join(root, "log", "send.pid")) as f:
            self.assertEqual(f.read(), f"{pid}\n")
        self.assertIn(f"kill -TERM $(cat {root}/log/send.pid)", first.stdout)
        with open(f"/proc/{pid}/comm") as f:
            self.assertEqual(f.read(), "send\n")

        # Mail is delivered now: a message to postmaster lands in alias/Maildir/new. This
        # host's name may have no dot, which inject would qualify with itself (vm.vm, as
        # qmail-inject does): give the install a dotted name, and send the new locals
        # (SIGHUP rereads them).
        with open(os.path.join(root, "control/me"), "w") as f:
            f.write("kept.example\n")
        with open(os.path.join(root, "control/locals"), "w") as f:
            f.write("kept.example\nlocalhost\n")
        os.kill(pid, signal.SIGHUP)
        time.sleep(0.2)
        env = {"PATH": "/usr/bin:/bin"}
        if support.SAN == "1":
            env["ASAN_OPTIONS"] = "detect_leaks=0"
        proc = run(root, "inject", input="To: postmaster\nSubject: after make run\n\nhi\n",
                   env=env)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        new = os.path.join(root, "alias", "Maildir", "new")
        deadline = time.monotonic() + WAIT
        while not os.listdir(new):
            self.assertLess(time.monotonic(), deadline, "no delivery to alias/Maildir/new")
            time.sleep(0.02)
        with open(os.path.join(new, os.listdir(new)[0])) as f:
            text = f.read()
        self.assertIn("Delivered-To: postmaster@kept.example\n", text)
        self.assertIn("Subject: after make run\n", text)

        second = make_run(root)
        self.assertEqual(second.returncode, 0, second.stdout + second.stderr)
        self.assertIn("configured already", second.stdout)
        self.assertIn(f"the delivery processes run already (send pid {pid})", second.stdout)
        with open(os.path.join(root, "control/me")) as f:
            self.assertEqual(f.read(), "kept.example\n")
        self.assertEqual(send_pid(root), pid)
        with open(os.path.join(root, "log", "send.log")) as f:
            log = f.read()
        self.assertNotIn("already running", log)  # no second send was even tried
        self.assertRegex(log, r"status: local \d+/\d+ remote")

    def stop(self, root):
        """SIGTERM to the send that make run started; waits until it has gone."""
        try:
            pid = send_pid(root)
        except OSError:
            return
        if pid is None or not running(pid):
            return
        with open(f"/proc/{pid}/comm") as f:
            if f.read() != "send\n":
                return
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + WAIT
        while running(pid):
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                self.fail(f"send (pid {pid}) did not stop within {WAIT} s of SIGTERM")
            time.sleep(0.02)
        # lspawn and clean see end of file and exit too.
        programs = os.path.join(root, "bin") + "/"
        while True:
            left = []
            for entry in os.listdir("/proc"):
                try:
                    if entry.isdigit() and running(entry) \
                            and os.readlink(f"/proc/{entry}/exe").startswith(programs):
                        left.append(int(entry))
                except OSError:
                    continue
            if not left:
                break
            if time.monotonic() > deadline:
                for p in left:
                    os.kill(p, signal.SIGKILL)
                self.fail(f"still running after send stopped: {left}")
            time.sleep(0.02)


if __name__ == "__main__":
    unittest.main()
