"""tcpserver and tcprules on a real install, loopback only: the TCP* environment and rule
variables reach the program, deny rules close before the program runs, CIDR and ranges
match, -c and the per-IP limit -C hold, IPv6 works, -v lines have ucspi-tcp's shapes, -u/-g
drop privileges, and tcprules refuses a bad line without touching the old table."""
import os
import re
import select
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

import support

HOLD = "#!/bin/sh\necho ready $$\nread x\necho bye\n"
ENV = "#!/bin/sh\nenv | LC_ALL=C sort\n"
# What a program can see of how it was started: signal state, descriptors, environment.
STATE = ("#!/bin/sh\nenv | grep -E '^(PROTO|TCP|RULE)' | grep -v PORT= | LC_ALL=C sort\n"
         "echo fds $(ls /proc/$$/fd | sort -n)\n"
         "exec grep -E '^Sig(Blk|Ign):' /proc/self/status\n")


def cdb_dump(path):
    """Every record of a cdb as (key, value) bytes, parsed from tinycdb's `cdb -d`."""
    out = subprocess.run(["cdb", "-d", path], capture_output=True, check=True,
                         timeout=30).stdout
    records, pos = [], 0
    while out[pos:pos + 1] == b"+":
        comma = out.index(b",", pos)
        colon = out.index(b":", comma)
        klen, dlen = int(out[pos + 1:comma]), int(out[comma + 1:colon])
        start = colon + 1 + klen + 2
        records.append((out[colon + 1:colon + 1 + klen], out[start:start + dlen]))
        pos = start + dlen + 1
    return records


def connect(port, host="127.0.0.1", source=None):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(10)
    if source:
        s.bind((source, 0))
    s.connect((host, port))
    return s


def read_all(s):
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return data
        data += chunk


def read_line(s, timeout=10):
    s.settimeout(timeout)
    data = b""
    while not data.endswith(b"\n"):
        chunk = s.recv(1)
        if not chunk:
            break
        data += chunk
    return data


def parse_env(data):
    env = {}
    for line in data.decode().splitlines():
        key, _, value = line.partition("=")
        env[key] = value
    return env


class FakeIdentd:
    """An RFC 1413 server on ADDRESS:113 answering one query with reply(query), or never
    (reply None); records the queries."""

    def __init__(self, address, reply):
        self.reply = reply
        self.queries = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((address, 113))
        self.sock.listen(5)
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(10)
            query = read_line(conn).decode()
            self.queries.append(query)
            if self.reply is None:
                time.sleep(1.5)
                return
            conn.sendall(self.reply(query).encode())

    def close(self):
        self.sock.close()
        self.thread.join(10)


class Server:
    """ROOT/bin/tcpserver -1 ARGS HOST 0 PROGRAM, its port and its stderr log."""

    def __init__(self, test, args, program, host="127.0.0.1"):
        self.log_path = os.path.join(test.tmp, f"log{time.monotonic_ns()}")
        env = dict(os.environ)
        if support.SAN == "1":
            env["ASAN_OPTIONS"] = f"log_path={test.san_dir}/asan:detect_leaks=1"
            env["UBSAN_OPTIONS"] = f"log_path={test.san_dir}/ubsan:print_stacktrace=1"
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(
                [os.path.join(test.root, "bin", "tcpserver"), "-1", *args, host, "0", *program],
                stdout=subprocess.PIPE, stderr=log, env=env)
        ready, _, _ = select.select([self.proc.stdout], [], [], 20)
        line = self.proc.stdout.readline() if ready else b""
        if not line:
            self.stop()
            raise AssertionError("tcpserver printed no port: " + self.log())
        self.port = int(line)

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def wait_log(self, pattern, timeout=10):
        """The first match of the regex pattern (multiline) in the log, waiting for it."""
        deadline = time.monotonic() + timeout
        while True:
            m = re.search(pattern, self.log(), re.M)
            if m or time.monotonic() > deadline:
                if not m:
                    raise AssertionError(f"no {pattern!r} in log:\n{self.log()}")
                return m
            time.sleep(0.02)

    def wait_ends(self, count, status, timeout=10):
        """Waits until count children have ended and the last line is status."""
        deadline = time.monotonic() + timeout
        while True:
            log = self.log()
            if log.count("tcpserver: end ") >= count and log.endswith(status + "\n"):
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"want {count} ends and {status!r} last:\n{log}")
            time.sleep(0.02)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise


class TcpserverTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        assert os.geteuid() == 0, "the integration suite runs as root (as CI does)"
        cls.base, cls.root = support.new_root()
        support.install(cls.root)
        cls.san_dir = support.make_san_dir(cls.base)

    @classmethod
    def tearDownClass(cls):
        support.remove(cls.base)

    def setUp(self):
        self.tmp = tempfile.mkdtemp(dir=self.base)
        os.chmod(self.tmp, 0o755)
        self.servers = []

    def tearDown(self):
        for server in self.servers:
            server.stop()
        support.assert_no_sanitizer_reports(self, self.san_dir)

    def script(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o755)
        return path

    def rules(self, text, name="rules"):
        """Compiles text with the installed tcprules; returns the cdb path."""
        cdb = os.path.join(self.tmp, name + ".cdb")
        proc = support.run(self.root, "tcprules", cdb, cdb + ".tmp", input=text)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return cdb

    def server(self, args, program, **kwargs):
        server = Server(self, args, program, **kwargs)
        self.servers.append(server)
        return server

    def env_from(self, server, host="127.0.0.1", source=None):
        with connect(server.port, host, source) as s:
            return parse_env(read_all(s))

    # --- environment and rules ---

    def test_environment_and_rule_variables_reach_the_program(self):
        cdb = self.rules('127.0.0.1:allow,RELAYCLIENT="",GREETING="a b:c",DATABYTES=1000\n')
        server = self.server(["-x", cdb, "-H", "-R", "-l", "0"], [self.script("env", ENV)])
        with connect(server.port) as s:
            client_port = s.getsockname()[1]
            env = parse_env(read_all(s))
        self.assertEqual(env["PROTO"], "TCP")
        self.assertEqual(env["TCPREMOTEIP"], "127.0.0.1")
        self.assertEqual(env["TCPREMOTEPORT"], str(client_port))
        self.assertEqual(env["TCPLOCALIP"], "127.0.0.1")
        self.assertEqual(env["TCPLOCALPORT"], str(server.port))
        self.assertEqual(env["TCPLOCALHOST"], "0")
        self.assertNotIn("TCPREMOTEHOST", env)
        self.assertNotIn("TCPREMOTEINFO", env)
        self.assertNotIn("TCP6REMOTEIP", env)
        self.assertEqual(env["RELAYCLIENT"], "")
        self.assertEqual(env["GREETING"], "a b:c")
        self.assertEqual(env["DATABYTES"], "1000")

    def test_remote_host_name_with_h_and_paranoid(self):
        expected = socket.getnameinfo(("127.0.0.1", 0), socket.NI_NAMEREQD)[0].lower()
        server = self.server(["-h", "-p", "-R"], [self.script("env", ENV)])
        env = self.env_from(server)
        self.assertEqual(env["TCPREMOTEHOST"], expected)
        self.assertIn("TCPLOCALHOST", env)

    def test_deny_closes_before_the_program_runs(self):
        marker = os.path.join(self.tmp, "marker")
        program = self.script("mark", f"#!/bin/sh\necho ran > {marker}\necho hello\n")
        cdb = self.rules("127.0.0.2:deny\n:allow\n")
        server = self.server(["-v", "-H", "-R", "-l", "0", "-x", cdb], [program])
        with connect(server.port, source="127.0.0.2") as s:
            self.assertEqual(read_all(s), b"")
        m = server.wait_log(r"^tcpserver: deny (\d+) 0:127\.0\.0\.1:%d :127\.0\.0\.2::\d+$"
                            % server.port)
        server.wait_log(r"^tcpserver: end %s status 25600$" % m.group(1))
        self.assertFalse(os.path.exists(marker))
        with connect(server.port, source="127.0.0.3") as s:
            self.assertEqual(read_all(s), b"hello\n")
        self.assertTrue(os.path.exists(marker))

    def test_cidr_ranges_prefixes_and_default(self):
        cdb = self.rules("# most specific first wins\n"
                         "127.0.0.0/30:allow,NET=\"cidr\"\n"
                         "127.0.0.5-6:allow,NET=\"range\"\n"
                         "127.0.1.:allow,NET=\"prefix\"\n"
                         "127.0.2.0/23:allow,NET=\"cidr23\"\n"
                         "127.0.0.7:deny\n"
                         ":allow,NET=\"default\"\n")
        server = self.server(["-x", cdb, "-H", "-R"], [self.script("env", ENV)])
        for source, net in [("127.0.0.2", "cidr"), ("127.0.0.3", "cidr"),
                            ("127.0.0.5", "range"), ("127.0.0.6", "range"),
                            ("127.0.1.9", "prefix"), ("127.0.3.200", "cidr23"),
                            ("127.0.0.4", "default"), ("127.0.4.1", "default")]:
            self.assertEqual(self.env_from(server, source=source).get("NET"), net, source)
        self.assertEqual(self.env_from(server, source="127.0.0.7"), {})

    def test_missing_rules_drop_unless_X(self):
        missing = os.path.join(self.tmp, "missing.cdb")
        program = self.script("env", ENV)
        strict = self.server(["-x", missing, "-H", "-R"], [program])
        with connect(strict.port) as s:
            self.assertEqual(read_all(s), b"")
        strict.wait_log(r"^tcpserver: warning: dropping connection, unable to read "
                        + re.escape(missing) + ": No such file or directory$")
        lenient = self.server(["-X", "-x", missing, "-H", "-R"], [program])
        self.assertEqual(self.env_from(lenient)["PROTO"], "TCP")

    def test_ident_gives_remoteinfo_and_info_rules(self):
        def answer(query):
            ports = query.strip()
            return f"{ports} : USERID : UNIX : joe\r\n"
        identd = FakeIdentd("127.0.0.5", answer)
        try:
            cdb = self.rules('joe@127.0.0.5:allow,WHO="joe"\n:allow,WHO="nobody"\n')
            server = self.server(["-v", "-r", "-t", "5", "-H", "-l", "0", "-x", cdb],
                                 [self.script("env", ENV)])
            with connect(server.port, source="127.0.0.5") as s:
                client_port = s.getsockname()[1]
                env = parse_env(read_all(s))
        finally:
            identd.close()
        self.assertEqual(identd.queries, [f"{client_port} , {server.port}\r\n"])
        self.assertEqual(env["TCPREMOTEINFO"], "joe")
        self.assertEqual(env["WHO"], "joe")
        server.wait_log(r"^tcpserver: ok \d+ 0:127\.0\.0\.1:%d :127\.0\.0\.5:joe:%d$"
                        % (server.port, client_port))

    def test_ident_timeout_goes_on_without_remoteinfo(self):
        identd = FakeIdentd("127.0.0.6", None)
        try:
            server = self.server(["-r", "-t", "1", "-H"], [self.script("env", ENV)])
            start = time.monotonic()
            env = self.env_from(server, source="127.0.0.6")
            elapsed = time.monotonic() - start
        finally:
            identd.close()
        self.assertNotIn("TCPREMOTEINFO", env)
        self.assertEqual(env["TCPREMOTEIP"], "127.0.0.6")
        self.assertGreater(elapsed, 0.8)
        self.assertLess(elapsed, 2.5)

    def test_program_that_cannot_run_drops_the_connection(self):
        server = self.server(["-H", "-R"], ["/nonexistent/program"])
        with connect(server.port) as s:
            self.assertEqual(read_all(s), b"")
        server.wait_log(r"^tcpserver: warning: dropping connection, unable to run "
                        r"/nonexistent/program: No such file or directory$")
        self.assertIsNone(server.proc.poll())

    def test_direct_start_drops_a_program_that_cannot_run_as_fork_does(self):
        # -H -R -l without -B: tcpserver starts the program itself (posix_spawn); when that
        # fails it forks and the child reports as before.
        server = self.server(["-v", "-H", "-R", "-l", "0"], ["/nonexistent/program"])
        with connect(server.port) as s:
            self.assertEqual(read_all(s), b"")
        m = server.wait_log(r"^tcpserver: pid (\d+) from 127\.0\.0\.1$")
        server.wait_log(r"^tcpserver: warning: dropping connection, unable to run "
                        r"/nonexistent/program: No such file or directory$")
        server.wait_log(r"^tcpserver: end %s status 28416$" % m.group(1))
        self.assertIsNone(server.proc.poll())

    def test_direct_start_and_fork_give_the_program_the_same_start(self):
        cdb = self.rules('127.0.0.1:allow,RULE="yes"\n')
        state = self.script("state", STATE)
        seen = []
        for extra in ([], ["-B", "banner\n"]):  # a banner makes tcpserver fork
            server = self.server(["-x", cdb, "-H", "-R", "-l", "name", *extra], [state])
            with connect(server.port) as s:
                out = read_all(s).decode()
            seen.append(out[len("banner\n"):] if extra else out)
        self.assertEqual(seen[0], seen[1])
        lines = seen[0].splitlines()
        self.assertEqual(lines[-2], "SigBlk:\t0000000000000000")
        ignored = int(lines[-1].split("\t")[1], 16)
        self.assertEqual(ignored & (1 << (signal.SIGPIPE - 1)), 0)
        self.assertTrue(lines[-3].startswith("fds 0 1 2"), lines[-3])
        self.assertIn("RULE=yes", lines)
        self.assertIn("TCPLOCALHOST=name", lines)
        self.assertIn("TCPREMOTEIP=127.0.0.1", lines)

    # --- IPv6 ---

    def test_ipv6_loopback(self):
        cdb = self.rules("::1:allow,V6=\"yes\"\n")
        server = self.server(["-x", cdb, "-H", "-R", "-l", "0"], [self.script("env", ENV)],
                             host="::1")
        with connect(server.port, "::1") as s:
            client_port = s.getsockname()[1]
            env = parse_env(read_all(s))
        self.assertEqual(env["PROTO"], "TCP6")
        self.assertEqual(env["TCPREMOTEIP"], "::1")
        self.assertEqual(env["TCP6REMOTEIP"], "::1")
        self.assertEqual(env["TCPLOCALIP"], "::1")
        self.assertEqual(env["TCPREMOTEPORT"], str(client_port))
        self.assertEqual(env["V6"], "yes")

    def test_any_ipv6_address_takes_ipv4_clients_as_ipv4(self):
        cdb = self.rules("::1:allow,NET=\"v6\"\n127.:allow,NET=\"v4\"\n")
        server = self.server(["-x", cdb, "-H", "-R"], [self.script("env", ENV)], host="::")
        v4 = self.env_from(server, "127.0.0.1")
        self.assertEqual((v4["PROTO"], v4["TCPREMOTEIP"], v4["NET"]), ("TCP", "127.0.0.1", "v4"))
        v6 = self.env_from(server, "::1")
        self.assertEqual((v6["PROTO"], v6["TCPREMOTEIP"], v6["NET"]), ("TCP6", "::1", "v6"))

    # --- limits ---

    def test_c_limit_stops_accepting_until_a_child_ends(self):
        server = self.server(["-v", "-c", "2", "-H", "-R"], [self.script("hold", HOLD)])
        first, second = connect(server.port), connect(server.port)
        self.assertTrue(read_line(first).startswith(b"ready"))
        self.assertTrue(read_line(second).startswith(b"ready"))
        server.wait_log(r"^tcpserver: status: 2/2$")
        third = connect(server.port)  # the kernel completes it; tcpserver does not accept
        with self.assertRaises(socket.timeout):
            third.settimeout(1.5)
            third.recv(100)
        first.sendall(b"x\n")
        self.assertEqual(read_all(first), b"bye\n")
        self.assertTrue(read_line(third).startswith(b"ready"))
        for s in (second, third):
            s.sendall(b"x\n")
            self.assertEqual(read_all(s), b"bye\n")
            s.close()
        first.close()
        server.wait_ends(3, "tcpserver: status: 0/2")

    def test_per_ip_limit(self):
        server = self.server(["-v", "-c", "10", "-C", "1", "-H", "-R"],
                             [self.script("hold", HOLD)])
        first = connect(server.port)
        self.assertTrue(read_line(first).startswith(b"ready"))
        with connect(server.port) as again:
            self.assertEqual(read_all(again), b"")  # closed at once, nothing written
        server.wait_log(r"^tcpserver: perip 1/1 from 127\.0\.0\.1$")
        with connect(server.port, source="127.0.0.2") as other:
            self.assertTrue(read_line(other).startswith(b"ready"))
            other.sendall(b"x\n")
            self.assertEqual(read_all(other), b"bye\n")
        first.sendall(b"x\n")
        self.assertEqual(read_all(first), b"bye\n")
        first.close()
        server.wait_ends(2, "tcpserver: status: 0/10")
        with connect(server.port) as later:
            self.assertTrue(read_line(later).startswith(b"ready"))
            later.sendall(b"x\n")
            self.assertEqual(read_all(later), b"bye\n")

    # --- logging, options, signals ---

    def test_verbose_lines_have_ucspi_shapes(self):
        server = self.server(["-v", "-H", "-R", "-l", "0"], [self.script("env", ENV)])
        with connect(server.port) as s:
            client_port = s.getsockname()[1]
            read_all(s)
        server.wait_ends(1, "tcpserver: status: 0/40")
        lines = server.log().splitlines()
        pid = re.match(r"tcpserver: pid (\d+) from 127\.0\.0\.1$", lines[2]).group(1)
        self.assertEqual(lines, [
            "tcpserver: status: 0/40",
            "tcpserver: status: 1/40",
            f"tcpserver: pid {pid} from 127.0.0.1",
            f"tcpserver: ok {pid} 0:127.0.0.1:{server.port} :127.0.0.1::{client_port}",
            f"tcpserver: end {pid} status 0",
            "tcpserver: status: 0/40",
        ])

    def test_banner_and_sigterm(self):
        server = self.server(["-B", "hello there\r\n", "-H", "-R"],
                             ["/bin/sh", "-c", "echo program"])
        with connect(server.port) as s:
            self.assertEqual(read_all(s), b"hello there\r\nprogram\n")
        self.assertEqual(server.stop(), 0)
        with self.assertRaises(ConnectionRefusedError):
            connect(server.port)

    def test_u_and_g_drop_privileges(self):
        uid, gid = support.uid("msd"), support.gid("msnofiles")
        server = self.server(["-u", "msd", "-g", "msnofiles", "-H", "-R"],
                             [self.script("hold", HOLD)])
        parent = support.proc_info(server.proc.pid)
        self.assertEqual(parent["Uid"], [uid] * 4)
        self.assertEqual(parent["Gid"], [gid] * 4)
        self.assertEqual(parent["Groups"], [gid])
        with connect(server.port) as s:
            child = int(read_line(s).split()[1])
            info = support.proc_info(child)
            self.assertEqual(info["Uid"], [uid] * 4)
            self.assertEqual(info["Gid"], [gid] * 4)
            self.assertEqual(info["Groups"], [gid])
            s.sendall(b"x\n")
            self.assertEqual(read_all(s), b"bye\n")
        numeric = self.server(["-u", str(uid), "-g", str(gid), "-H", "-R"],
                              [self.script("env", ENV)])
        self.assertEqual(support.proc_info(numeric.proc.pid)["Uid"], [uid] * 4)

    def test_usage_errors_exit_100(self):
        for args in (["-c", "0", "0", "25", "x"], ["0", "25"], ["-Z", "0", "25", "x"]):
            proc = support.run(self.root, "tcpserver", *args)
            self.assertEqual(proc.returncode, 100, args)
            self.assertIn("usage: tcpserver", proc.stderr)

    # --- tcprules ---

    def test_tcprules_writes_ucspi_encoding(self):
        cdb = self.rules("10.1.2.3:deny\n"
                         "192.168.:allow,RELAYCLIENT=\"\",X=/q\"uote/\n"
                         "1.2.3.4-5:allow\n"
                         "10.64.0.0/10:allow\n"
                         "2001:DB8::/32:allow\n"
                         "=Mail.Example.org:allow\n"
                         ":deny\n")
        self.assertEqual(cdb_dump(cdb), [
            (b"10.1.2.3", b"D\0"),
            (b"192.168.", b"+RELAYCLIENT=\0+X=q\"uote\0"),
            (b"1.2.3.4", b""), (b"1.2.3.5", b""),
            (b"10.64.0.0/10", b""),
            (b"2001:db8::/32", b""),
            (b"=mail.example.org", b""),
            (b"", b"D\0"),
        ])
        self.assertFalse(os.path.exists(cdb + ".tmp"))

    def test_tcprules_syntax_error_keeps_the_old_table(self):
        cdb = self.rules("127.:allow\n")
        with open(cdb, "rb") as f:
            before = f.read()
        with open(cdb + ".tmp", "w") as f:
            f.write("stale")
        proc = support.run(self.root, "tcprules", cdb, cdb + ".tmp",
                           input="# ok\n127.:allow\n10.0.0.0/33:allow\n")
        self.assertEqual(proc.returncode, 100)
        self.assertEqual(proc.stderr, "tcprules: fatal: syntax error on line 3: CIDR length is "
                         "not a number from 0 to 32: 10.0.0.0/33:allow\n")
        with open(cdb, "rb") as f:
            self.assertEqual(f.read(), before)
        self.assertFalse(os.path.exists(cdb + ".tmp"))
        proc = support.run(self.root, "tcprules", cdb)
        self.assertEqual(proc.returncode, 100)
        self.assertIn("usage: tcprules rules.cdb rules.tmp", proc.stderr)


if __name__ == "__main__":
    unittest.main()
