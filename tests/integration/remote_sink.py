"""A scriptable SMTP server for the remote delivery tests (loopback only).

    sink = Sink("127.0.0.2")                   # port 0: a free port is picked
    sink.rcpt = lambda addr: "550 5.1.1 no such user" if "bad" in addr else "250 ok"
    sink.start()
    ... sink.port ... sink.sessions[0].data ...
    sink.stop()

Every session records its HELO/EHLO, the MAIL and RCPT arguments, the raw DATA bytes
(CRLF kept, dot-stuffing undone, final dot removed) and whether TLS was on. Replies can be
changed per instance: greeting, ehlo (the extension lines), mail, rcpt (a function of
the address), data, after_dot ("drop" closes the connection after the final dot,
"hang" never answers). tls_context (an ssl.SSLContext) makes the sink offer STARTTLS.
Every socket has a timeout, and stop() closes everything.
"""
import socket
import ssl
import threading

import support


class Session:
    def __init__(self):
        self.helo = None
        self.mail = None
        self.rcpts = []
        self.data = None
        self.tls = False
        self.commands = []


class Sink:
    def __init__(self, host="127.0.0.1", port=0, family=socket.AF_INET):
        self.greeting = "220 sink.test ESMTP"
        self.ehlo = ["PIPELINING", "SIZE 100000000", "8BITMIME", "SMTPUTF8"]
        self.ehlo_ok = True
        self.helo_ok = True
        self.mail = lambda args: "250 2.1.0 ok"
        self.rcpt = lambda addr: "250 2.1.5 ok"
        self.data = "354 go ahead"
        self.after_dot = "250 2.0.0 queued as 1"
        self.tls_context = None
        self.break_tls = False  # offer STARTTLS, say 220, then hang up: a failed handshake
        self.sessions = []
        self.connections = 0
        self._sock = socket.socket(family, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self._sock.listen(64)
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._threads = []
        self._open = []
        self._lock = threading.Lock()

    def start(self):
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def stop(self):
        self._stop.set()
        with self._lock:
            for c in self._open:
                try:
                    c.close()
                except OSError:
                    pass
        for t in self._threads:
            t.join(5)
        self._sock.close()

    def _accept(self):
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self._open.append(conn)
            t = threading.Thread(target=self._serve_safely, args=(conn,), daemon=True)
            t.start()
            self._threads.append(t)

    def _serve_safely(self, conn):
        try:
            conn.settimeout(30)
            self._serve(conn)
        except (OSError, ssl.SSLError, ValueError):
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def _serve(self, conn):
        s = Session()
        with self._lock:
            self.sessions.append(s)
        reader = conn.makefile("rb")

        def send(text):
            conn.sendall(text.encode() + b"\r\n")

        send(self.greeting)
        if not self.greeting.startswith("220"):
            return
        while not self._stop.is_set():
            line = reader.readline()
            if not line:
                return
            cmd = line.rstrip(b"\r\n").decode("utf-8", "surrogateescape")
            s.commands.append(cmd)
            verb = cmd[:4].upper()
            if verb == "EHLO" and not self.ehlo_ok:
                send("502 no EHLO here")
            elif verb == "EHLO":
                s.helo = cmd[5:]
                ext = list(self.ehlo)
                if (self.tls_context is not None or self.break_tls) and not s.tls:
                    ext.append("STARTTLS")
                lines = ["sink.test hello"] + ext
                send("".join(f"250-{x}\r\n" for x in lines[:-1]) + f"250 {lines[-1]}")
            elif verb == "HELO":
                s.helo = cmd[5:]
                send("250 sink.test" if self.helo_ok else "550 go away")
            elif verb == "STAR" and self.break_tls:
                send("220 ready for TLS")
                return
            elif verb == "STAR" and self.tls_context is not None:
                send("220 ready for TLS")
                conn = self.tls_context.wrap_socket(conn, server_side=True)
                with self._lock:
                    self._open.append(conn)
                reader = conn.makefile("rb")
                s.tls = True
            elif verb == "MAIL":
                s.mail = cmd[10:]
                send(self.mail(s.mail))
            elif verb == "RCPT":
                addr = cmd[8:]
                reply = self.rcpt(addr)
                if reply.startswith("2"):
                    s.rcpts.append(addr)
                send(reply)
            elif verb == "DATA":
                if not s.rcpts:
                    send("554 no valid recipients")
                    continue
                send(self.data)
                if not self.data.startswith("354"):
                    continue
                body = []
                while True:
                    raw = reader.readline()
                    if not raw:
                        return
                    if raw == b".\r\n":
                        break
                    body.append(raw[1:] if raw.startswith(b".") else raw)
                s.data = b"".join(body)
                if self.after_dot == "drop":
                    return
                if self.after_dot == "hang":
                    self._stop.wait(60)
                    return
                send(self.after_dot)
            elif verb == "QUIT":
                send("221 bye")
                return
            elif verb == "RSET" or verb == "NOOP":
                send("250 ok")
            else:
                send("502 unknown command")


# --- running remote directly -----------------------------------------------------------

san_env = support.san_env


def run_remote(root, host, sender, recipients, message, env, timeout=60):
    """ROOT/bin/remote host sender recipients... with message (bytes) on fd 0 from a
    file; returns (exit code, [records as str])."""
    import os
    import subprocess
    import tempfile
    with tempfile.TemporaryFile() as f:
        f.write(message)
        f.seek(0)
        proc = subprocess.run([os.path.join(root, "bin", "remote"), host, sender, *recipients],
                              stdin=f, capture_output=True, env=env, timeout=timeout)
    out = proc.stdout.decode("utf-8", "surrogateescape")
    records = out.split("\0")
    assert records[-1] == "", f"output does not end with NUL: {out!r} {proc.stderr!r}"
    return proc.returncode, records[:-1]


write_control = support.write_control
