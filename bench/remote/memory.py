"""Memory of one remote delivering one message (bench/remote/run.sh): peak RSS from
GNU time, and RSS, PSS and private memory from /proc/PID/smaps_rollup while remote
waits for the final reply (the sink holds it until they are read). Then the same for one
delivery child of rspawn (a fork of rspawn running remote's code: its private dirty
memory is what the delivery costs; the rest is shared with rspawn), with the message
queued by ROOT/bin/inject and rspawn run as msr with one spawn command.

    python3 bench/remote/memory.py ROOT MESSAGE_FILE
"""
import grp
import os
import pwd
import select
import socket
import subprocess
import sys
import threading
import time

root, message = sys.argv[1], sys.argv[2]
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
srv.settimeout(20)
at_dot = threading.Event()
hold = threading.Event()


def serve():
    try:
        converse()
    except OSError:
        pass


def converse():
    c, _ = srv.accept()
    c.settimeout(20)
    f = c.makefile("rb")
    c.sendall(b"220 x\r\n")
    while True:
        line = f.readline()
        if not line:
            return
        verb = line[:4].upper()
        if verb == b"EHLO":
            c.sendall(b"250-x\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
        elif verb == b"DATA":
            c.sendall(b"354 go\r\n")
            while f.readline() not in (b".\r\n", b""):
                pass
            at_dot.set()
            hold.wait(20)
            c.sendall(b"250 ok\r\n")
        elif verb == b"QUIT":
            c.sendall(b"221 x\r\n")
            return
        else:
            c.sendall(b"250 ok\r\n")


def rollup(pid):
    fields = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            key, _, value = line.partition(":")
            if value.strip().endswith("kB"):
                fields[key] = int(value.split()[0])
    return fields


threading.Thread(target=serve, daemon=True).start()
with open(os.path.join(root, "control", "smtproutes"), "w") as f:
    f.write(f"remote.example:[127.0.0.1]:{srv.getsockname()[1]}\n")
# GNU time reports remote's own peak RSS (a forked Python child's size before the exec
# would count in getrusage here).
p = subprocess.Popen(["/usr/bin/time", "-f", "%M", os.path.join(root, "bin", "remote"),
                      "remote.example", "b@example.org", "u@remote.example"],
                     stdin=open(message, "rb"), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
fields = {}
if at_dot.wait(20):
    remote_pid = int(open(f"/proc/{p.pid}/task/{p.pid}/children").read().split()[0])
    fields = rollup(remote_pid)
hold.set()
out, err = p.communicate(timeout=30)
peak = err.decode().strip().split("\n")[-1]
private = fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
print(f"remote, one delivery: peak RSS {peak} KiB; at the final reply: RSS {fields.get('Rss')} "
      f"KiB, PSS {fields.get('Pss')} KiB, private {private} KiB (dirty "
      f"{fields.get('Private_Dirty')} KiB); report {out[:30]!r}")

# --- one delivery child of rspawn
at_dot.clear()
hold.clear()
threading.Thread(target=serve, daemon=True).start()
mess = os.path.join(root, "queue", "mess")


def queued():
    return {f"{d}/{n}" for d in os.listdir(mess) for n in os.listdir(os.path.join(mess, d))}


before = queued()
subprocess.run([os.path.join(root, "bin", "inject"), "-f", "b@example.org", "u@remote.example"],
               stdin=open(message, "rb"), check=True, timeout=30)
mid = (queued() - before).pop()
rs = subprocess.Popen([os.path.join(root, "bin", "rspawn")], stdin=subprocess.PIPE,
                      stdout=subprocess.PIPE, user=pwd.getpwnam("msr").pw_uid,
                      group=grp.getgrnam("mailsuite").gr_gid, cwd="/")
rs.stdout.read(1)
rs.stdin.write(b"\0" + mid.encode() + b"\0b@example.org\0u@remote.example\0")
rs.stdin.flush()
child, parent = {}, {}
if at_dot.wait(20):
    child_pid = int(open(f"/proc/{rs.pid}/task/{rs.pid}/children").read().split()[0])
    child, parent = rollup(child_pid), rollup(rs.pid)
hold.set()
ready, _, _ = select.select([rs.stdout], [], [], 30)
result = os.read(rs.stdout.fileno(), 4096) if ready else b""
rs.stdin.close()
rs.wait(30)
print(f"rspawn child, one delivery, at the final reply: RSS {child.get('Rss')} KiB, PSS "
      f"{child.get('Pss')} KiB, private dirty {child.get('Private_Dirty')} KiB (rspawn itself: "
      f"RSS {parent.get('Rss')} KiB, private dirty {parent.get('Private_Dirty')} KiB); "
      f"result {result[:30]!r}")
