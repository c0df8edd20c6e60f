#!/usr/bin/env python3
"""reception_cpu - CPU of the SMTP reception path per message: tcpserver, smtpd, queue.

    python3 bench/smtp/reception_cpu.py ROOT [N] [SIZE]       (as root)

ROOT is an installed and configured tree (make install, mailctl init). Runs
`ROOT/bin/tcpserver -v -H -R -l bench.example -x RULES -u msd -g msd's group 127.0.0.1 PORT
ROOT/bin/smtpd` (the options of mailctl's SMTP service; bench/smtp/run.sh leaves out -H),
with no delivery running, sends N messages of SIZE
bytes with `smtp-source -s 1 -m N`, one message per connection, waits for N "end" lines,
stops tcpserver with SIGTERM and reads its rusage with wait4: tcpserver's own CPU plus
that of every smtpd and queue process it and they waited for. Prints
"cpu_ms_per_message tcpserver_own_cpu_ms_per_message wall_ms_per_message failures" (the
second figure, from /proc/PID/stat in clock ticks, is part of the first).
"""
import os
import pwd
import signal
import socket
import subprocess
import sys
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    root = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    size = int(sys.argv[3]) if len(sys.argv) > 3 else 4096
    msd = pwd.getpwnam("msd")
    with tempfile.TemporaryDirectory(prefix="reception_cpu.") as work:
        os.chmod(work, 0o755)  # tcpserver reads the rules as msd
        rules = os.path.join(work, "rules")
        with open(rules, "w") as f:
            f.write('127.0.0.1:allow,RELAYCLIENT=""\n:allow\n')
        with open(rules) as f:
            subprocess.run([os.path.join(root, "bin", "tcprules"), rules + ".cdb",
                            rules + ".tmp"], stdin=f, check=True)
        port = free_port()
        log = open(os.path.join(work, "tcpserver.log"), "w+")
        server = subprocess.Popen(
            [os.path.join(root, "bin", "tcpserver"), "-v", "-H", "-R", "-l", "bench.example", "-x",
             rules + ".cdb", "-u", str(msd.pw_uid), "-g", str(msd.pw_gid), "127.0.0.1",
             str(port), os.path.join(root, "bin", "smtpd")],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                break
            except OSError:
                time.sleep(0.05)
        start = time.monotonic()
        source = subprocess.run(
            ["smtp-source", "-s", "1", "-m", str(n), "-l", str(size), "-f",
             "bench@example.org", "-t", "rcpt@example.net", f"127.0.0.1:{port}"],
            stdout=subprocess.DEVNULL, timeout=600)
        if source.returncode != 0:
            server.kill()
            server.wait()
            log.seek(0)
            sys.exit("smtp-source failed; tcpserver's log:\n" + log.read()[-2000:])
        wall = time.monotonic() - start
        deadline = time.monotonic() + 60
        ends = 0
        while time.monotonic() < deadline:
            log.seek(0)
            lines = log.read().splitlines()
            ends = sum(1 for line in lines if " end " in line)
            if ends >= n + 1:  # the probe connection above ends too
                break
            time.sleep(0.05)
        with open(f"/proc/{server.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        own = (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK") / n
        server.send_signal(signal.SIGTERM)
        _, _, usage = os.wait4(server.pid, 0)
        server.returncode = 0
        failures = sum(1 for line in lines if " end " in line and " status 0" not in line)
        cpu = (usage.ru_utime + usage.ru_stime) * 1000 / n
        print(f"{cpu:.3f} {own:.3f} {wall * 1000 / n:.3f} {failures}")


if __name__ == "__main__":
    main()
