#!/usr/bin/env python3
"""bench/pop3/bench.py - our pop3d beside Dovecot's pop3 on the same Maildir contents
(issue 8). Run through bench/pop3/run.sh, which documents it; arguments: BASE ROOT N SIZE RUNS.

Each session: connect, USER/PASS, LIST, UIDL, RETR of every message, QUIT (nothing
deleted), by Python's poplib on loopback. Reported per server: wall time of the session,
server CPU time (user+system of every process of the connection), the peak memory
(VmHWM) of the session process (ours: the one running as the mailbox owner; Dovecot's
pop3) and the proportional set size (PSS: shared pages divided among their users) of all
the connection's processes (ours: monitor, front, session; Dovecot: pop3, and pop3-login
while it still runs), read from /proc just before QUIT."""
import os
import poplib
import pwd
import grp
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

BASE, ROOT, N, SIZE, RUNS = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), \
    int(sys.argv[5])
USER, PASSWORD = "u@bench.test", "bench password 1"
VMAIL = pwd.getpwnam("msvmail")
NOFILES = grp.getgrnam("msnofiles").gr_gid
HZ = os.sysconf("SC_CLK_TCK")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def message(i):
    head = (f"Return-Path: <sender@example.org>\nDelivered-To: {USER}\n"
            f"From: sender@example.org\nTo: {USER}\nSubject: bench message {i}\n"
            f"Message-ID: <{i}@example.org>\n\n").encode()
    line = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.\n"
    body = (line * (SIZE // len(line) + 1))[:SIZE - len(head) - 1] + b"\n"
    return head + body


def fill(maildir):
    for sub in ("new", "cur", "tmp"):
        os.makedirs(os.path.join(maildir, sub), exist_ok=True)
    for i in range(N):
        path = os.path.join(maildir, "cur", f"{1700000000 + i}.M{i}P1Q1.bench:2,")
        with open(path, "wb") as f:
            f.write(message(i))
    for dirpath, dirs, files in os.walk(maildir):
        for name in dirs + files:
            os.chown(os.path.join(dirpath, name), VMAIL.pw_uid, NOFILES)
    os.chown(maildir, VMAIL.pw_uid, NOFILES)


def proc_status(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                out[k] = v.strip()
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(") ", 1)[1].split()
        out["cpu"] = (int(fields[11]) + int(fields[12])) / HZ
    except OSError:
        return None
    return out


def pss_kb(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid):
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = proc_status(entry)
            if st and st.get("PPid") == str(pid):
                out.append(int(entry))
    return out


def session(port, measure):
    """One client session; measure() is called before QUIT and returns (rss_kb, cpu)."""
    start = time.monotonic()
    p = poplib.POP3("127.0.0.1", port, timeout=120)
    p.user(USER)
    p.pass_(PASSWORD)
    _, listing, _ = p.list()
    _, uids, _ = p.uidl()
    assert len(listing) == N and len(uids) == N, (len(listing), len(uids))
    got = 0
    for i in range(1, N + 1):
        _, lines, octets = p.retr(i)
        got += octets
    rss, cpu = measure()
    p.quit()
    return time.monotonic() - start, rss, cpu, got


class Ours:
    name = "ours"

    def __init__(self):
        self.port = free_port()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.listen(8)
        self.proc = None

    def run(self):
        result = {}

        def serve():
            conn, addr = self.sock.accept()
            env = {"PATH": "/usr/bin:/bin", "TCPREMOTEIP": addr[0]}
            self.proc = subprocess.Popen([os.path.join(ROOT, "bin", "pop3d")], stdin=conn,
                                         stdout=conn, env=env)
            conn.close()
            _, status, usage = os.wait4(self.proc.pid, 0)
            self.proc.returncode = os.waitstatus_to_exitcode(status)
            result["cpu"] = usage.ru_utime + usage.ru_stime
        t = threading.Thread(target=serve)
        t.start()

        def measure():
            pids = [self.proc.pid] + children(self.proc.pid)
            st = {pid: proc_status(pid) for pid in pids}
            session_kb = max(int(s["VmHWM"].split()[0]) for s in st.values()
                             if s and s["Uid"].split()[0] == str(VMAIL.pw_uid))
            total_kb = sum(pss_kb(pid) for pid in pids)
            return (session_kb, total_kb), None
        wall, rss, _, got = session(self.port, measure)
        t.join(60)
        return wall, rss, result["cpu"], got

    def stop(self):
        self.sock.close()


class Dovecot:
    name = "dovecot"

    def __init__(self):
        self.dir = os.path.join(BASE, "dovecot")
        home = os.path.join(self.dir, "home")
        os.makedirs(home, exist_ok=True)
        os.chown(home, VMAIL.pw_uid, NOFILES)
        fill(os.path.join(home, "Maildir"))
        self.port = free_port()
        with open(os.path.join(self.dir, "passwd"), "w") as f:
            f.write(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        self.conf = os.path.join(self.dir, "dovecot.conf")
        with open(self.conf, "w") as f:
            f.write(f"""protocols = pop3
listen = 127.0.0.1
base_dir = {self.dir}/run
state_dir = {self.dir}/state
instance_name = msbench
log_path = {self.dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
mail_location = maildir:~/Maildir
pop3_uidl_format = %f
passdb {{
  driver = passwd-file
  args = {self.dir}/passwd
}}
userdb {{
  driver = static
  args = uid={VMAIL.pw_uid} gid={NOFILES} home={home}
}}
service pop3-login {{
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
service imap-login {{
  inet_listener imap {{
    port = 0
  }}
}}
""")
        subprocess.run(["dovecot", "-c", self.conf], check=True)
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        pid_file = os.path.join(self.dir, "run", "master.pid")
        while not os.path.exists(pid_file) and time.monotonic() < deadline:
            time.sleep(0.05)
        with open(pid_file) as f:
            self.master = int(f.read())

    def run(self):
        def measure():
            pids = children(self.master)
            st = {}
            pss = 0
            for pid in pids:
                s = proc_status(pid)
                if s and s["Name"] in ("pop3", "pop3-login"):
                    st[s["Name"]] = s
                    pss += pss_kb(pid)
            # pop3-login (service_count 1) has usually handed the connection over and
            # exited by now; it is counted when it is still there
            session_kb = int(st["pop3"]["VmHWM"].split()[0])
            total_kb = pss
            return (session_kb, total_kb), sum(x["cpu"] for x in st.values())
        cpu_box = {}

        def measure_keep():
            rss, cpu = measure()
            cpu_box["cpu"] = cpu
            return rss, cpu
        wall, rss, _, got = session(self.port, measure_keep)
        return wall, rss, cpu_box["cpu"], got

    def stop(self):
        subprocess.run(["doveadm", "-c", self.conf, "stop"], capture_output=True)
        try:
            os.kill(self.master, signal.SIGTERM)
        except OSError:
            pass


def main():
    fill(os.path.join(ROOT, "domains", "bench.test", "u", "Maildir"))
    servers = [Ours(), Dovecot()]
    results = {s.name: [] for s in servers}
    try:
        for run in range(RUNS + 1):  # run 0 warms both up (Dovecot builds its index)
            for s in servers:
                wall, rss, cpu, got = s.run()
                label = "warm-up" if run == 0 else f"run {run}"
                print(f"{label} {s.name}: {wall:.3f} s, server CPU {cpu:.3f} s, "
                      f"session process peak (VmHWM) {rss[0]} KiB, PSS of the connection's "
                      f"processes {rss[1]} KiB, {got} octets", flush=True)
                if run:
                    results[s.name].append((wall, cpu, rss[0], rss[1]))
    finally:
        for s in servers:
            s.stop()
    med = {k: [statistics.median(x[i] for x in v) for i in range(4)] for k, v in results.items()}
    o, d = med["ours"], med["dovecot"]
    print(f"median ours: {o[0]:.3f} s wall, {o[1]:.3f} s CPU, {o[2]} KiB session, "
          f"{o[3]} KiB PSS")
    print(f"median dovecot: {d[0]:.3f} s wall, {d[1]:.3f} s CPU, {d[2]} KiB session, "
          f"{d[3]} KiB PSS")
    print(f"ratio dovecot/ours: wall {d[0] / o[0]:.2f}, CPU {d[1] / o[1]:.2f}, "
          f"session peak memory {d[2] / o[2]:.2f}, PSS {d[3] / o[3]:.2f}")


main()
