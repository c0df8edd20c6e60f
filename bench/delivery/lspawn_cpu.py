"""bench/delivery/lspawn_cpu.py - CPU time of lspawn's local deliveries alone, per delivery.

    python3 bench/delivery/lspawn_cpu.py [-n 2000] [-p 10] [--runs 3] [--null] [LABEL=LSPAWN ...]

As root, after `make -j2`. Installs the tree into a temporary ROOT (`make install`,
`mailctl init`), writes n message files of 4,096 bytes into ROOT/queue/mess owned by the
queue account, and drives ROOT/bin/lspawn over its pipes exactly as send does: p
deliveries in flight (send's default concurrencylocal is 10), each to postmaster@ (the
alias account's ./Maildir/, through ROOT/alias/.qmail-postmaster), or with --null to an
address whose .qmail file holds only a comment (a delivery that writes nothing: what is
left is the process and local's reading of the message and the .qmail file, without the
file system's cost of creating and removing Maildir files). The CPU figure is
lspawn's with every delivery process it reaped (getrusage RUSAGE_CHILDREN around one
lspawn run, user + system), divided by n: what local delivery costs without send, the
queue or the submission. Each LABEL=PATH installs PATH as ROOT/bin/lspawn for its runs
(e.g. old=/tmp/lspawn-before-the-change); without any, the tree's own lspawn ("ours").
Variants alternate, runs times; the Maildir is emptied between runs. Every wait is
bounded (60 s without a result fails the run); the temporary tree is removed at the end.
"""
import argparse
import os
import resource
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "tests", "integration"))
import support  # noqa: E402

HOST = "bench.example"
SIZE = 4096


def message_bytes(i):
    head = f"From: bench@example.org\nTo: postmaster@{HOST}\nSubject: bench {i}\n\n"
    body = ("x" * 71 + "\n") * ((SIZE - len(head)) // 72 + 1)
    return (head + body)[:SIZE].encode()


NULL_QMAIL = "# bench/delivery/lspawn_cpu.py: deliver nowhere\n"


def command(slot, msgid, recipient):
    return bytes([slot]) + msgid.encode() + b"\0bench@example.org\0" + recipient.encode() + b"\0"


class Results:
    """The results lspawn writes (slot byte, letter and text, NUL), read as they come."""

    def __init__(self, stream):
        self.fd = stream.fileno()
        self.buf = b""
        self.got = []

    def more(self):
        """Reads until at least one more result is in got; False at end of output."""
        n = len(self.got)
        while len(self.got) == n:
            data = os.read(self.fd, 65536)
            if not data:
                return False
            self.buf += data
            while b"\0" in self.buf[1:]:
                end = self.buf.index(b"\0", 1)
                self.got.append((self.buf[0], self.buf[1:end].decode("latin-1")))
                self.buf = self.buf[end + 1:]
        return True


def one_run(root, msgids, parallel, recipient):
    """(seconds, CPU seconds of lspawn and its children, results) of one lspawn run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    lspawn = subprocess.Popen([os.path.join(root, "bin", "lspawn"), "./Maildir/"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    timer = threading.Timer(60 + len(msgids) * 0.05, lspawn.kill)
    timer.start()
    try:
        slots = lspawn.stdout.read(1)[0]
        parallel = min(parallel, slots)
        results = Results(lspawn.stdout)
        got = results.got
        start = time.monotonic()
        sent = 0
        free = list(range(parallel))
        while len(got) < len(msgids):
            while free and sent < len(msgids):
                lspawn.stdin.write(command(free.pop(), msgids[sent], recipient))
                sent += 1
            lspawn.stdin.flush()
            n = len(got)
            if not results.more():
                raise RuntimeError("lspawn ended early")
            free.extend(slot for slot, _ in got[n:])
        seconds = time.monotonic() - start
        lspawn.stdin.close()
        lspawn.stdout.read()
        if lspawn.wait() != 0:
            raise RuntimeError(f"lspawn exited {lspawn.returncode}")
    finally:
        timer.cancel()
        if lspawn.poll() is None:
            lspawn.kill()
            lspawn.wait()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu, got


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("-p", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--null", action="store_true", help="deliver to a comment-only .qmail")
    parser.add_argument("variants", nargs="*", help="LABEL=PATH of an lspawn to install")
    args = parser.parse_args()
    if os.getuid() != 0:
        sys.exit("lspawn_cpu.py: run as root")
    variants = [v.split("=", 1) for v in args.variants] or [["ours", ""]]
    base, root = support.new_root("ms-bench-lspawn-")
    try:
        support.install_configured(root, HOST)
        ours = os.path.join(base, "lspawn.ours")
        shutil.copy2(os.path.join(root, "bin", "lspawn"), ours)
        msq, group = support.uid("msq"), support.gid("mailsuite")
        msgids = []
        for i in range(args.n):
            msgid = f"{i % 23}/{1000000 + i}"
            path = os.path.join(root, "queue", "mess", msgid)
            with open(path, "wb") as f:
                f.write(message_bytes(i))
            os.chown(path, msq, group)
            os.chmod(path, 0o640)
            msgids.append(msgid)
        new = os.path.join(root, "alias", "Maildir", "new")
        recipient = "postmaster@" + HOST
        if args.null:
            dot_qmail = os.path.join(root, "alias", ".qmail-benchnull")
            with open(dot_qmail, "w") as f:
                f.write(NULL_QMAIL)
            os.chown(dot_qmail, support.uid("msalias"), os.stat(os.path.dirname(new)).st_gid)
            recipient = "benchnull@" + HOST
        where = "nowhere (a comment-only .qmail)" if args.null else "one Maildir"
        print(f"{args.n} deliveries of {SIZE} bytes to {where}, {args.p} in flight; "
              f"load {os.getloadavg()[0]:.2f}")
        print("| variant | run | deliveries/s | CPU ms/delivery (lspawn + its children) |")
        print("|---|---:|---:|---:|")
        per_variant = {label: [] for label, _ in variants}
        for run in range(1, args.runs + 1):
            for label, path in variants:
                shutil.copy2(path or ours, os.path.join(root, "bin", "lspawn"))
                os.chmod(os.path.join(root, "bin", "lspawn"), 0o755)
                seconds, cpu, got = one_run(root, msgids, args.p, recipient)
                bad = [text for _, text in got if not text.startswith("K")]
                delivered = args.n if args.null else len(os.listdir(new))
                if bad or delivered != args.n:
                    sys.exit(f"{label}: {delivered} delivered, failures {bad[:3]}")
                for name in os.listdir(new):
                    os.unlink(os.path.join(new, name))
                ms = cpu * 1000 / args.n
                per_variant[label].append(ms)
                print(f"| {label} | {run} | {args.n / seconds:.0f} | {ms:.3f} |", flush=True)
        for label, values in per_variant.items():
            values.sort()
            print(f"{label}: median {values[len(values) // 2]:.3f} ms of CPU per delivery")
    finally:
        support.remove(base)


if __name__ == "__main__":
    main()
