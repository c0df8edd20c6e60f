"""supervise, svscan, svc, svstat, svok: daemontools behaviour, byte compatibility with
Debian's daemontools in both directions, restarts after SIGKILL without losing log lines,
and svscan's clean stop on SIGTERM."""
import os
import re
import signal
import stat
import subprocess
import time
import unittest

import support

WAIT = 10  # seconds: upper bound for anything the test waits for
DEBIAN = "/usr/bin"
UP = re.compile(r"^(\S+): up \(pid (\d+)\) (\d+) seconds")

# A service that logs numbered lines, "PID N", as fast as a few hundred a second.
WRITER = """#!/bin/sh
exec 2>&1
exec python3 -u -c 'import os, time
i = 0
while True:
    i += 1
    print("svtest-writer", os.getpid(), i, flush=True)
    time.sleep(0.002)
'
"""


def wait_for(predicate, what, timeout=WAIT):
    return support.wait_until(predicate, what, timeout)


def write_script(path, text):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o755)


def svstat(program, *dirs):
    proc = subprocess.run([program, *dirs], capture_output=True, text=True, timeout=WAIT)
    return proc.stdout


def up_pid(program, d):
    """The pid svstat (ours or Debian's) reports for d, or None when not up."""
    m = UP.match(svstat(program, d))
    return int(m[2]) if m else None


class SuperviseTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.base, cls.root = support.new_root()
        support.install(cls.root)
        cls.bin = os.path.join(cls.root, "bin")

    @classmethod
    def tearDownClass(cls):
        support.remove(cls.base)

    def ours(self, name):
        return os.path.join(self.bin, name)

    def service(self, name, run="#!/bin/sh\nexec sleep 1000\n"):
        d = os.path.join(self.base, name)
        os.makedirs(d)
        write_script(os.path.join(d, "run"), run)
        return d

    def start_supervise(self, program, d):
        proc = subprocess.Popen([program, d], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.addCleanup(self.end, proc, d)
        return proc

    def end(self, proc, d):
        subprocess.run([self.ours("svc"), "-dx", d], capture_output=True)
        try:
            proc.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            self.fail(f"supervise {d} did not exit after svc -dx")
        if proc.stderr:
            proc.stderr.close()

    def test_status_file_is_daemontools_bytes(self):
        d = self.service("bytes")
        self.start_supervise(self.ours("supervise"), d)
        pid = wait_for(lambda: up_pid(self.ours("svstat"), d), "the service to be up")
        with open(os.path.join(d, "supervise", "status"), "rb") as f:
            data = f.read()
        self.assertEqual(len(data), 18)
        tai = int.from_bytes(data[0:8], "big")
        self.assertLess(abs(tai - (2 ** 62 + 10) - time.time()), 5)
        self.assertLess(int.from_bytes(data[8:12], "big"), 10 ** 9)
        self.assertEqual(int.from_bytes(data[12:16], "little"), pid)
        self.assertEqual(data[16:18], b"\0u")
        for name in ("control", "ok"):
            self.assertTrue(stat.S_ISFIFO(os.stat(os.path.join(d, "supervise", name)).st_mode))
        # A second supervise on the same directory is refused.
        second = subprocess.run([self.ours("supervise"), d], capture_output=True, text=True,
                                timeout=WAIT)
        self.assertEqual(second.returncode, 111)
        self.assertIn("unable to acquire", second.stderr)

    def test_debian_tools_on_our_supervise(self):
        d = self.service("ours")
        self.start_supervise(self.ours("supervise"), d)
        first = wait_for(lambda: up_pid(f"{DEBIAN}/svstat", d), "Debian svstat to see it up")
        self.assertRegex(svstat(f"{DEBIAN}/svstat", d), rf"^{re.escape(d)}: up \(pid {first}\) "
                         r"\d+ seconds\n$")
        self.assertEqual(subprocess.run([f"{DEBIAN}/svok", d]).returncode, 0)
        subprocess.run([f"{DEBIAN}/svc", "-d", d], check=True)
        wait_for(lambda: re.match(rf"^{re.escape(d)}: down \d+ seconds, normally up\n$",
                                  svstat(f"{DEBIAN}/svstat", d)), "Debian svc -d to take it down")
        self.assertFalse(support.running(first))
        subprocess.run([f"{DEBIAN}/svc", "-u", d], check=True)
        second = wait_for(lambda: up_pid(f"{DEBIAN}/svstat", d), "Debian svc -u to start it")
        self.assertNotEqual(first, second)
        # Pause and continue, as Debian's svstat shows them.
        subprocess.run([f"{DEBIAN}/svc", "-p", d], check=True)
        wait_for(lambda: ", paused" in svstat(f"{DEBIAN}/svstat", d), "paused")
        subprocess.run([f"{DEBIAN}/svc", "-c", d], check=True)
        wait_for(lambda: ", paused" not in svstat(f"{DEBIAN}/svstat", d), "continued")
        # A down file: up but normally down.
        open(os.path.join(d, "down"), "w").close()
        self.assertIn("normally down", svstat(f"{DEBIAN}/svstat", d))

    def test_our_tools_on_debian_supervise(self):
        d = self.service("theirs")
        self.start_supervise(f"{DEBIAN}/supervise", d)
        first = wait_for(lambda: up_pid(self.ours("svstat"), d), "our svstat to see it up")
        self.assertEqual(subprocess.run([self.ours("svok"), d]).returncode, 0)
        # Debian's supervise sleeps a second after each start before it reads commands.
        subprocess.run([self.ours("svc"), "-d", d], check=True)
        wait_for(lambda: re.match(rf"^{re.escape(d)}: down \d+ seconds, normally up\n$",
                                  svstat(self.ours("svstat"), d)), "our svc -d to take it down")
        self.assertFalse(support.running(first))
        subprocess.run([self.ours("svc"), "-u", d], check=True)
        second = wait_for(lambda: up_pid(self.ours("svstat"), d), "our svc -u to start it")
        self.assertNotEqual(first, second)

    def test_svc_svok_svstat_without_supervise(self):
        d = self.service("idle")
        self.assertEqual(svstat(self.ours("svstat"), d),
                         f"{d}: unable to open supervise/ok: No such file or directory\n")
        self.assertEqual(subprocess.run([self.ours("svok"), d]).returncode, 100)
        proc = subprocess.run([self.ours("svc"), "-u", d], capture_output=True, text=True)
        self.assertEqual(proc.returncode, 0)
        self.assertIn("svc: warning: unable to control " + d, proc.stderr)
        missing = os.path.join(self.base, "missing")
        self.assertEqual(svstat(self.ours("svstat"), missing),
                         f"{missing}: unable to chdir: No such file or directory\n")
        # As daemontools' svok: a missing DIR is an error (111) with a message, not "down".
        proc = subprocess.run([self.ours("svok"), missing], capture_output=True, text=True)
        self.assertEqual(proc.returncode, 111)
        self.assertEqual(proc.stderr, f"svok: fatal: unable to chdir to {missing}: "
                         "No such file or directory\n")
        self.assertEqual(subprocess.run([self.ours("svc"), "-z", d],
                                        capture_output=True).returncode, 100)

    def test_restart_at_most_once_a_second_and_counted(self):
        d = self.service("crashy", "#!/bin/sh\necho started >> starts\nexit 1\n")
        self.start_supervise(self.ours("supervise"), d)
        time.sleep(3.5)
        subprocess.run([self.ours("svc"), "-d", d], check=True)
        with open(os.path.join(d, "starts")) as f:
            starts = len(f.readlines())
        self.assertGreaterEqual(starts, 3)
        self.assertLessEqual(starts, 5)
        with open(os.path.join(d, "supervise", "restarts")) as f:
            self.assertEqual(int(f.read()), starts - 1)

    def test_restarts_counts_what_ended_by_itself_not_svc_t(self):
        d = self.service("terminated")
        self.start_supervise(self.ours("supervise"), d)
        first = wait_for(lambda: up_pid(self.ours("svstat"), d), "the service to start")
        subprocess.run([self.ours("svc"), "-t", d], check=True)
        second = wait_for(lambda: (up_pid(self.ours("svstat"), d) or first) != first
                          and up_pid(self.ours("svstat"), d), "svc -t to restart it")
        restarts = os.path.join(d, "supervise", "restarts")
        with open(restarts) as f:
            self.assertEqual(int(f.read()), 0)  # the operator ended it: no restart of its own
        os.kill(second, signal.SIGKILL)
        wait_for(lambda: (up_pid(self.ours("svstat"), d) or second) != second,
                 "the restart after SIGKILL")
        with open(restarts) as f:
            self.assertEqual(int(f.read()), 1)

    def test_svscan_restarts_after_sigkill_and_loses_no_log_line(self):
        scan = os.path.join(self.base, "scan")
        os.makedirs(os.path.join(scan, "writer", "log"))
        write_script(os.path.join(scan, "writer", "run"), WRITER)
        write_script(os.path.join(scan, "writer", "log", "run"),
                     f"#!/bin/sh\nexec {self.ours('multilog')} t s16777215 ./main\n")
        svscan = subprocess.Popen([self.ours("svscan"), scan], stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                  start_new_session=True)
        self.addCleanup(self.kill_tree, svscan)
        writer = os.path.join(scan, "writer")
        log = os.path.join(writer, "log")
        first = wait_for(lambda: up_pid(self.ours("svstat"), writer), "the writer")
        logger = wait_for(lambda: up_pid(self.ours("svstat"), log), "its logger")
        with open(os.path.join(scan, ".svscan.lock")) as f:
            self.assertEqual(f.read(), f"{svscan.pid}\n")
        time.sleep(0.5)

        os.kill(first, signal.SIGKILL)
        killed = time.monotonic()
        second = wait_for(lambda: (p := up_pid(self.ours("svstat"), writer)) != first and p,
                          "the writer to restart")
        self.assertLess(time.monotonic() - killed, 2.0)
        time.sleep(0.5)
        os.kill(logger, signal.SIGKILL)
        killed = time.monotonic()
        wait_for(lambda: (p := up_pid(self.ours("svstat"), log)) != logger and p,
                 "the logger to restart")
        self.assertLess(time.monotonic() - killed, 2.0)
        time.sleep(0.5)

        # A new service directory is picked up at once on SIGALRM.
        extra = os.path.join(scan, "extra")
        os.makedirs(os.path.join(scan, ".extra.tmp"))
        write_script(os.path.join(scan, ".extra.tmp", "run"), "#!/bin/sh\nexec sleep 1000\n")
        os.rename(os.path.join(scan, ".extra.tmp"), extra)
        svscan.send_signal(signal.SIGALRM)
        wait_for(lambda: up_pid(self.ours("svstat"), extra), "svscan to start extra", 2)

        svscan.send_signal(signal.SIGTERM)
        self.assertEqual(svscan.wait(timeout=WAIT), 0, svscan.stderr.read())
        wait_for(lambda: not self.leftovers(scan), "every process to stop")

        main = os.path.join(log, "main")
        counts = {}
        for name in os.listdir(main):
            if name == "current" or name.startswith("@"):
                with open(os.path.join(main, name)) as f:
                    for line in f:
                        stamp, word, pid, n = line.split()
                        self.assertRegex(stamp, r"^@[0-9a-f]{24}$")
                        self.assertEqual(word, "svtest-writer")
                        counts.setdefault(int(pid), set()).add(int(n))
        self.assertIn(first, counts)
        self.assertIn(second, counts)
        for pid, numbers in counts.items():
            self.assertEqual(numbers, set(range(1, max(numbers) + 1)), f"lines lost of {pid}")
        self.assertGreater(len(counts[second]), 100)
        mode = os.stat(os.path.join(main, "current")).st_mode & 0o777
        self.assertEqual(mode, 0o744)  # the logger finished cleanly

    def leftovers(self, scan):
        """Processes of this install, or writers of this test, still running."""
        out = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or not support.running(entry):
                continue
            try:
                exe = os.readlink(f"/proc/{entry}/exe")
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    cmdline = f.read()
                cwd = os.readlink(f"/proc/{entry}/cwd")
            except OSError:
                continue
            if exe.startswith(self.bin + "/") or b"svtest-writer" in cmdline \
                    or cwd.startswith(scan):
                out.append(int(entry))
        return out

    def kill_tree(self, svscan):
        if svscan.poll() is None:
            svscan.kill()
            svscan.wait()
        svscan.stderr.close()
        for pid in self.leftovers(os.path.join(self.base, "scan")):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


if __name__ == "__main__":
    unittest.main()
