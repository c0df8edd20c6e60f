"""mailctl start, status, restart and stop on an installed ROOT: svscan brings up send and
smtp (tcpserver + smtpd) with their loggers; a message sent over SMTP is delivered;
SIGKILL of tcpserver, send or a multilog is repaired within 2 seconds; Debian's svstat
reads the services; stop lets a delivery in flight finish and leaves no process of the
install behind."""
import os
import re
import signal
import smtplib
import socket
import subprocess
import time
import unittest

import support

HOST = "start.example"
WAIT = 20


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, what, timeout=WAIT):
    return support.wait_until(predicate, what, timeout)


class MailctlStartTest(unittest.TestCase):
    def setUp(self):
        self.base, self.root = support.new_root()
        self.addCleanup(support.remove, self.base)
        self.port = free_port()
        support.install_configured(self.root, HOST, "--listen", f"smtp=127.0.0.1:{self.port}")
        self.san_dir = os.path.join(self.base, "san")
        os.mkdir(self.san_dir)
        os.chmod(self.san_dir, 0o1777)
        self.env = {"PATH": "/usr/bin:/bin"}
        if support.SAN == "1":
            # queue is setuid: LeakSanitizer cannot run there.
            self.env["ASAN_OPTIONS"] = f"log_path={self.san_dir}/asan:detect_leaks=0"
            self.env["UBSAN_OPTIONS"] = f"log_path={self.san_dir}/ubsan:print_stacktrace=1"
        self.addCleanup(self.force_stop)

    def mailctl(self, *args):
        return support.run(self.root, "mailctl", *args, env=self.env, timeout=600)

    def service(self, name):
        return os.path.join(self.root, "service", name)

    def pid_of(self, name):
        out = subprocess.run(["/usr/bin/svstat", self.service(name)], capture_output=True,
                             text=True).stdout
        m = re.search(r": up \(pid (\d+)\)", out)
        return int(m[1]) if m else None

    def install_processes(self):
        out = []
        for entry in os.listdir("/proc"):
            try:
                if entry.isdigit() and support.running(entry) and os.readlink(
                        f"/proc/{entry}/exe").startswith(self.root + "/bin/"):
                    out.append(int(entry))
            except OSError:
                continue
        return out

    def force_stop(self):
        subprocess.run([os.path.join(self.root, "bin", "mailctl"), "stop", "--timeout", "20"],
                       capture_output=True, env=self.env)
        for pid in self.install_processes():
            os.kill(pid, signal.SIGKILL)

    def restarted(self, name, old):
        """Waits for a new pid of service name; returns the seconds it took."""
        start = time.monotonic()
        wait_for(lambda: (p := self.pid_of(name)) and p != old, f"{name} to restart")
        return time.monotonic() - start

    def send_mail(self, to, subject):
        with smtplib.SMTP("127.0.0.1", self.port, timeout=WAIT) as smtp:
            smtp.sendmail("someone@remote.example", [to],
                          f"From: someone@remote.example\nTo: {to}\nSubject: {subject}\n\nhi\n")

    def delivered(self, subject):
        new = os.path.join(self.root, "alias", "Maildir", "new")

        def found():
            for name in os.listdir(new):
                with open(os.path.join(new, name)) as f:
                    if f"Subject: {subject}\n" in f.read():
                        return True
            return False
        wait_for(found, f"delivery of {subject}")

    def test_start_deliver_kill_status_stop(self):
        start = self.mailctl("start")
        self.assertEqual(start.returncode, 0, start.stdout + start.stderr)
        self.assertRegex(start.stdout, r"(?m)^send: up \(pid \d+\) \d+ seconds, restarts 0$")
        self.assertRegex(start.stdout, r"(?m)^smtp: up \(pid \d+\) \d+ seconds, restarts 0$")
        self.assertRegex(start.stdout, r"started svscan \(pid \d+\)")
        again = self.mailctl("start")
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertIn("svscan runs already", again.stdout)

        self.send_mail(f"postmaster@{HOST}", "over smtp")
        self.delivered("over smtp")

        status = self.mailctl("status")
        self.assertEqual(status.returncode, 0, status.stdout + status.stderr)
        self.assertRegex(status.stdout, r"(?m)^svscan: up \(pid \d+\)")
        self.assertRegex(status.stdout, r"(?m)^send: up \(pid \d+\) \d+ seconds, restarts 0; "
                         r"log: up \(pid \d+\)")
        self.assertRegex(status.stdout, r"(?m)^smtp: up \(pid \d+\) \d+ seconds, restarts 0; "
                         r"log: up \(pid \d+\)")
        self.assertRegex(status.stdout, r"(?m)^queue: 0 messages")

        # SIGKILL of tcpserver, send and a multilog: each is back within 2 seconds.
        tcpserver = self.pid_of("smtp")
        with open(f"/proc/{tcpserver}/comm") as f:
            self.assertEqual(f.read(), "tcpserver\n")
        os.kill(tcpserver, signal.SIGKILL)
        self.assertLess(self.restarted("smtp", tcpserver), 2.0)
        send = self.pid_of("send")
        with open(f"/proc/{send}/comm") as f:
            self.assertEqual(f.read(), "send\n")
        os.kill(send, signal.SIGKILL)
        self.assertLess(self.restarted("send", send), 2.0)
        logger = self.pid_of("send/log")
        os.kill(logger, signal.SIGKILL)
        self.assertLess(self.restarted("send/log", logger), 2.0)
        # The system still works, and the restarts are counted.
        wait_for(lambda: self.port_open(), "smtp to listen again")
        self.send_mail(f"postmaster@{HOST}", "after the kills")
        self.delivered("after the kills")
        status = self.mailctl("status")
        self.assertRegex(status.stdout, r"(?m)^smtp: up .*, restarts 1;")
        self.assertRegex(status.stdout, r"(?m)^send: up .*, restarts 1;")
        self.assertRegex(status.stdout, r"(?m)^send: .*; log: up .*, restarts 1$")

        # Every line the services wrote is in their logs, the kills notwithstanding.
        def logged(name):
            out = []
            d = os.path.join(self.root, "log", name)
            for f in sorted(os.listdir(d)):
                if f == "current" or f.startswith("@"):
                    with open(os.path.join(d, f)) as fh:
                        out.extend(fh.read().splitlines())
            return out
        # send logs "end msg" once clean has removed the message, which may be a moment
        # after the file shows in the Maildir; multilog writes it a moment later again.
        wait_for(lambda: sum(" end msg " in line for line in logged("send")) >= 2,
                 "send's log of both messages' end")
        send_log = logged("send")
        self.assertEqual(sum("status: exiting" in line for line in send_log), 0)
        smtp_log = logged("smtp")
        self.assertGreaterEqual(sum("tcpserver: ok " in line for line in smtp_log), 2)
        for line in send_log + smtp_log:
            self.assertRegex(line, r"^@[0-9a-f]{24} ")

        stop = self.stop()
        self.assertIn("stopped every service", stop.stdout)
        self.assertIn("status: exiting", "\n".join(logged("send")))
        support.assert_no_sanitizer_reports(self, self.san_dir)

    def stop(self):
        begin = time.monotonic()
        stop = self.mailctl("stop")
        self.assertEqual(stop.returncode, 0, stop.stdout + stop.stderr)
        self.assertLess(time.monotonic() - begin, 10.0)
        self.assertEqual(self.install_processes(), [])
        status = self.mailctl("status")
        self.assertEqual(status.returncode, 111)
        self.assertIn("svscan: not running", status.stdout)
        return stop

    def port_open(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.recv(100)
            return True
        except OSError:
            return False

    def test_stop_lets_a_delivery_in_flight_finish(self):
        alias = os.path.join(self.root, "alias")
        with open(os.path.join(alias, ".qmail-slow"), "w") as f:
            f.write("|sleep 2; echo finished > ./slow-done\n")
        start = self.mailctl("start")
        self.assertEqual(start.returncode, 0, start.stdout + start.stderr)
        self.send_mail(f"slow@{HOST}", "slow one")
        current = os.path.join(self.root, "log", "send", "current")
        wait_for(lambda: "starting delivery" in open(current).read(), "the delivery to start")
        self.stop()
        with open(os.path.join(alias, "slow-done")) as f:
            self.assertEqual(f.read(), "finished\n")
        with open(current) as f:
            text = f.read()
        self.assertRegex(text, r"delivery \d+: success")
        self.assertLess(text.index(": success"), text.index("status: exiting"))

    def test_restart_one_service(self):
        # make install leaves a systemd unit for svscan, with this ROOT, enabled nowhere.
        with open(os.path.join(self.root, "doc", "mail-suite.service")) as f:
            unit = f.read()
        self.assertIn(f"\nExecStart={self.root}/bin/svscan {self.root}/service\n", unit)
        self.assertIn("\nKillMode=mixed\n", unit)
        self.assertNotIn("@ROOT@", unit)
        start = self.mailctl("start")
        self.assertEqual(start.returncode, 0, start.stdout + start.stderr)
        old = self.pid_of("smtp")
        restart = self.mailctl("restart", "smtp")
        self.assertEqual(restart.returncode, 0, restart.stdout + restart.stderr)
        new = self.pid_of("smtp")
        self.assertNotEqual(old, new)
        self.assertFalse(support.running(old))
        self.assertRegex(restart.stdout, r"(?m)^smtp: up \(pid \d+\)")
        missing = self.mailctl("restart", "nonesuch")
        self.assertEqual(missing.returncode, 100)
        self.stop()


if __name__ == "__main__":
    unittest.main()
