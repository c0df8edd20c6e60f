#!/usr/bin/env python3
"""rss.py - memory of one SMTP server process in the middle of a big transaction.

    python3 bench/smtp/rss.py PORT PARENT_PID RCPT SIZE_BYTES [tls]

Opens one session to 127.0.0.1:PORT (with STARTTLS when "tls" is given), sends MAIL,
RCPT and DATA and then SIZE_BYTES of message body in 64 KiB writes; before the final dot
it reads /proc of every child of PARENT_PID named smtpd (the process serving us is one of
them) and prints the largest "VmHWM VmRSS RssAnon" in KiB. Then it ends the message and
quits, so the measured message is accepted normally.
"""
import os
import smtplib
import ssl
import sys


def smtpd_children(parent):
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(") ", 1)[1].split()
            with open(f"/proc/{entry}/comm") as f:
                comm = f.read().strip()
        except OSError:
            continue
        if int(fields[1]) == parent and comm == "smtpd":
            out.append(int(entry))
    return out


def memory(pid):
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS", "RssAnon"):
                values[key] = int(value.split()[0])
    return values["VmHWM"], values["VmRSS"], values["RssAnon"]


def main():
    port, parent, rcpt, size = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    tls = len(sys.argv) > 5 and sys.argv[5] == "tls"
    s = smtplib.SMTP("127.0.0.1", port, timeout=60)
    s.ehlo("rss.example")
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s.starttls(context=ctx)
        s.ehlo("rss.example")
    s.mail("bench@example.org")
    s.rcpt(rcpt)
    code, _ = s.docmd("DATA")
    assert code == 354, code
    line = b"x" * 78 + b"\r\n"
    chunk = b"Subject: rss\r\n\r\n" + line * (65536 // len(line))
    sent = 0
    while sent < size:
        s.send(chunk)
        sent += len(chunk)
    best = max(memory(pid) for pid in smtpd_children(parent))
    s.send(b".\r\n")
    code, _ = s.getreply()
    assert code == 250, code
    s.quit()
    print(*best)


if __name__ == "__main__":
    main()
