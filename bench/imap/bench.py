#!/usr/bin/env python3
"""bench/imap/bench.py - our imapd beside Dovecot's imap (issue 9). Run through
bench/imap/run.sh, which documents it; arguments: BASE IMAPD N RUNS.

Steps of a session (Python's imaplib over a socketpair, PREAUTH): SELECT INBOX; FETCH 1:*
(FLAGS RFC822.SIZE ENVELOPE); FETCH 1:100 BODY.PEEK[]; UID SEARCH SUBJECT of a word in a
few hundred messages; STORE 1:* +FLAGS.SILENT (\\Flagged) (undone afterwards, untimed).
Per session: wall time of each step, the server's CPU time and its peak memory (VmHWM),
read from /proc just before LOGOUT."""
import imaplib
import os
import pwd
import random
import shutil
import socket
import statistics
import subprocess
import sys
import time

BASE, IMAPD, N, RUNS = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
OWNER = pwd.getpwnam("nobody")
HZ = os.sysconf("SC_CLK_TCK")
STEPS = ["select", "fetch_envelope", "fetch_100_bodies", "uid_search", "store_all"]


def message(i, rng):
    size = rng.choice([600, 2000, 4000, 8000, 30000])
    line = f"lorem ipsum dolor sit amet, message {i} line\n"
    body = line * max(1, size // len(line))
    head = (f"Return-Path: <s{i}@example.org>\nFrom: Sender {i} <s{i}@example.org>\n"
            f"To: bench@example.com\nSubject: report {i} on topic{i % 37}\n"
            f"Date: Sat, 21 Nov 2026 10:00:00 +0000\nMessage-ID: <{i}@example.org>\n")
    if i % 5 == 0:
        return (head + "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n"
                f"--b\nContent-Type: text/plain\n\n{body}--b\nContent-Type: application/pdf\n"
                "Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n--b--\n").encode()
    return (head + "\n" + body).encode()


def fill(maildir):
    rng = random.Random(7)
    for sub in ("new", "cur", "tmp"):
        os.makedirs(os.path.join(maildir, sub))
    for i in range(N):
        with open(os.path.join(maildir, "cur", f"{1700000000 + i}.M{i}P1Q1.bench:2,"), "wb") as f:
            f.write(message(i, rng))
    subprocess.run(["chown", "-R", f"{OWNER.pw_uid}:{OWNER.pw_gid}", maildir], check=True)


class Preauth(imaplib.IMAP4):
    def __init__(self, argv, env, cwd):
        self.argv, self.env, self.cwd = argv, env, cwd
        super().__init__()

    def open(self, host=None, port=None, timeout=None):
        ours, theirs = socket.socketpair()
        self.proc = subprocess.Popen(
            ["setpriv", f"--reuid={OWNER.pw_uid}", f"--regid={OWNER.pw_gid}", "--clear-groups",
             "--", *self.argv], stdin=theirs, stdout=theirs, stderr=subprocess.DEVNULL,
            env=self.env, cwd=self.cwd)
        theirs.close()
        self.sock = ours
        self.file = ours.makefile("rb")

    def shutdown(self):
        self.file.close()
        self.sock.close()
        self.proc.wait()


def server_pid(m):
    """setpriv execs the server, so the child is the server itself."""
    return m.proc.pid


def usage(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(") ", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / HZ
    hwm = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) // 1024
    return cpu, hwm


def session(server, steps=STEPS):
    times = {}
    start = time.monotonic()
    m = Preauth(*server)
    typ, _ = m.select("INBOX")
    assert typ == "OK"
    times["select"] = time.monotonic() - start
    for step in steps[1:]:
        t = time.monotonic()
        if step == "fetch_envelope":
            typ, data = m.fetch("1:*", "(FLAGS RFC822.SIZE ENVELOPE)")
            assert typ == "OK" and len(data) == N, (typ, len(data))
        elif step == "fetch_100_bodies":
            typ, data = m.fetch("1:100", "BODY.PEEK[]")
            assert typ == "OK"
        elif step == "uid_search":
            typ, data = m.uid("SEARCH", "SUBJECT", "topic7")
            assert typ == "OK" and len(data[0].split()) == len(range(7, N, 37)), data
        elif step == "store_all":
            typ, _ = m.store("1:*", "+FLAGS.SILENT", "(\\Flagged)")
            assert typ == "OK"
        times[step] = time.monotonic() - t
    if "store_all" in steps:
        m.store("1:*", "-FLAGS.SILENT", "(\\Flagged)")
    times["cpu"], times["vmhwm_mb"] = usage(server_pid(m))
    m.logout()
    return times


def main():
    ours_home = os.path.join(BASE, "ours")
    dc_home = os.path.join(BASE, "dovecot")
    fill(os.path.join(ours_home, "Maildir"))
    shutil.copytree(os.path.join(ours_home, "Maildir"), os.path.join(dc_home, "Maildir"))
    subprocess.run(["chown", "-R", f"{OWNER.pw_uid}:{OWNER.pw_gid}", dc_home, ours_home], check=True)
    conf = os.path.join(BASE, "dovecot.conf")
    for d in ("dcbase", "dcstate"):
        os.makedirs(os.path.join(BASE, d))
        os.chown(os.path.join(BASE, d), OWNER.pw_uid, OWNER.pw_gid)
    with open(conf, "w") as f:
        f.write(f"mail_location = maildir:~/Maildir\nssl = no\nlog_path = {BASE}/dovecot.log\n"
                f"base_dir = {BASE}/dcbase\nstate_dir = {BASE}/dcstate\n")
    env = {"PATH": "/usr/bin:/bin", "USER": "nobody"}
    servers = {
        "ours": ([IMAPD, "Maildir"], dict(env, HOME=ours_home), ours_home),
        "dovecot": (["/usr/lib/dovecot/imap", "-c", conf], dict(env, HOME=dc_home), dc_home),
    }
    cold = {name: session(s, STEPS[:2]) for name, s in servers.items()}
    print("cold start (no cache or index): SELECT + FETCH (FLAGS RFC822.SIZE ENVELOPE)")
    for name, t in cold.items():
        print(f"  {name:8} select {t['select']:.3f}s fetch {t['fetch_envelope']:.3f}s "
              f"cpu {t['cpu']:.2f}s vmhwm {t['vmhwm_mb']} MB")
    runs = {name: [] for name in servers}
    for i in range(RUNS):
        for name, s in servers.items():
            t = session(s)
            runs[name].append(t)
            print(f"run {i + 1} {name:8} " + " ".join(f"{k} {v:.3f}" for k, v in t.items()))
    print("medians (warm):")
    keys = STEPS + ["cpu", "vmhwm_mb"]
    med = {name: {k: statistics.median(r[k] for r in runs[name]) for k in keys} for name in runs}
    print(f"  {'step':18} {'ours':>9} {'dovecot':>9} {'dovecot/ours':>13}")
    for k in keys:
        a, b = med["ours"][k], med["dovecot"][k]
        print(f"  {k:18} {a:9.3f} {b:9.3f} {b / a if a else float('inf'):13.2f}")
    a, b = cold["ours"]["fetch_envelope"], cold["dovecot"]["fetch_envelope"]
    print(f"  {'cold fetch':18} {a:9.3f} {b:9.3f} {b / a:13.2f}")


main()
