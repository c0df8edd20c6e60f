"""remote with DNS (issue 6): dnsmasq on 127.0.0.1 and a free port serves MX, A and AAAA
records for test domains (control/resolvers points remote's libunbound at it), and
sinks on 127.0.0.2, 127.0.0.3 and ::1 share one free port (the route `.example::PORT`
keeps DNS resolution and only changes the port). dnsmasq answers NXDOMAIN for unknown
names under example (--local), REFUSED for names elsewhere (unbound turns that into
SERVFAIL), and forwards sf.example to a closed port (no answer at all). dnsmasq runs in
the foreground as a child of this test and is killed at the end.
"""
import os
import select
import socket
import struct
import subprocess
import time
import unittest

import support
from remote_sink import Sink, run_remote, san_env, write_control
import test_remote
from test_remote import queued_messages

HOST = "here.example"


def free_port(kind=socket.SOCK_DGRAM):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def dns_answers(port, name="t.example"):
    """True when a DNS server on 127.0.0.1:port answers an MX query for name."""
    query = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + b"".join(
        bytes([len(label)]) + label.encode() for label in name.split(".")) + b"\0" + struct.pack(
        ">HH", 15, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.2)
    try:
        s.sendto(query, ("127.0.0.1", port))
        return s.recv(512)[:2] == b"\x12\x34"
    except OSError:
        return False
    finally:
        s.close()


def dnsmasq_args(port, closed_port):
    return [
        "dnsmasq", "--no-daemon", f"--port={port}", "--listen-address=127.0.0.1",
        "--bind-interfaces", "--no-resolv", "--no-hosts", "--conf-file=/dev/null",
        "--pid-file=", "--local=/example/", f"--server=/sf.example/127.0.0.1#{closed_port}",
        "--mx-host=t.example,mx1.t.example,10", "--mx-host=t.example,mx2.t.example,20",
        "--host-record=mx1.t.example,127.0.0.2", "--host-record=mx2.t.example,127.0.0.3",
        "--mx-host=dead.example,gone.dead.example,10", "--mx-host=dead.example,mx2.t.example,20",
        "--host-record=gone.dead.example,127.0.0.4",
        "--host-record=a.example,127.0.0.3",
        "--mx-host=v6.example,mx6.v6.example,10", "--host-record=mx6.v6.example,::1",
        "--mx-host=eq.example,mx1.t.example,10", "--mx-host=eq.example,mx2.t.example,10",
        f"--mx-host=self.example,{HOST},10", "--mx-host=self.example,mx2.t.example,20",
        "--mx-host=lower.example,gone.dead.example,10", f"--mx-host=lower.example,{HOST},20",
        "--mx-host=lower.example,mx2.t.example,30",
        "--mx-host=tls.example,mx.tls.example,10", "--host-record=mx.tls.example,127.0.0.5",
        "--mx-host=plain.example,mx2.t.example,10",
    ]


def start_dnsmasq(cls):
    """Starts dnsmasq (dnsmasq_args) on a free port for a test class, stopped by a class
    cleanup, and points cls.root's control/resolvers at it."""
    cls.dns_port = free_port()
    cls.dnsmasq = subprocess.Popen(dnsmasq_args(cls.dns_port, free_port()),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    cls.addClassCleanup(support.stop_process, cls.dnsmasq)
    deadline = time.monotonic() + 10
    while not dns_answers(cls.dns_port):
        assert cls.dnsmasq.poll() is None, cls.dnsmasq.stderr.read()
        assert time.monotonic() < deadline, "dnsmasq did not answer"
        time.sleep(0.05)
    write_control(cls.root, "resolvers", f"127.0.0.1@{cls.dns_port}\n")


class RemoteDnsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        assert os.geteuid() == 0, "the integration suite runs as root"
        cls.base, cls.root = support.new_root("ms-remote-dns-")
        cls.addClassCleanup(support.remove, cls.base)
        support.install_configured(cls.root, HOST)
        cls.san_dir = support.make_san_dir(cls.base)
        start_dnsmasq(cls)
        write_control(cls.root, "timeoutdns", "3\n")

    def setUp(self):
        # Three sinks on one port: 127.0.0.2 (mx1), 127.0.0.3 (mx2), ::1 (mx6).
        for _ in range(20):
            try:
                self.s2 = Sink("127.0.0.2")
                self.s3 = Sink("127.0.0.3", self.s2.port)
                self.s6 = Sink("::1", self.s2.port, socket.AF_INET6)
                break
            except OSError:
                continue
        for s in (self.s2, self.s3, self.s6):
            s.start()
            self.addCleanup(s.stop)
        write_control(self.root, "smtproutes", f".example::{self.s2.port}\n")

    def tearDown(self):
        support.assert_no_sanitizer_reports(self, self.san_dir)

    def remote(self, host, recipient=None):
        code, records = run_remote(self.root, host, "s@here.example",
                                   [recipient or f"u@{host}"], b"Subject: t\n\nx\n",
                                   san_env(self.san_dir))
        self.assertEqual(code, 0)
        return records

    def test_mx_order_and_fallback(self):
        records = self.remote("t.example")
        self.assertEqual(records[0], "r")
        self.assertTrue(records[1].startswith("Kmx1.t.example[127.0.0.2] accepted message."),
                        records)
        self.assertEqual((self.s2.connections, self.s3.connections), (1, 0))
        # A dead first MX: the second one gets the mail.
        records = self.remote("dead.example")
        self.assertTrue(records[1].startswith("Kmx2.t.example[127.0.0.3] accepted message."),
                        records)
        self.assertEqual(self.s3.connections, 1)
        # No MX: the host's own address.
        records = self.remote("a.example")
        self.assertTrue(records[1].startswith("Ka.example[127.0.0.3] accepted message."), records)
        # An exchanger with only an IPv6 address.
        records = self.remote("v6.example")
        self.assertTrue(records[1].startswith("Kmx6.v6.example[::1] accepted message."), records)
        self.assertEqual(self.s6.connections, 1)

    def test_equal_preferences_are_tried_in_random_order(self):
        for _ in range(20):
            self.assertEqual(self.remote("eq.example")[0], "r")
        self.assertGreater(self.s2.connections, 0)
        self.assertGreater(self.s3.connections, 0)
        self.assertEqual(self.s2.connections + self.s3.connections, 20)

    def test_self_mx_rule(self):
        records = self.remote("self.example")
        self.assertEqual(records, [
            "DSorry. Although I'm listed as a best-preference MX or A for that host,\n"
            "it isn't in my control/locals file, so I don't treat it as local. (#5.4.6)\n"])
        # We are MX 20: only the (dead) MX 10 may be tried, never the MX 30.
        records = self.remote("lower.example")
        self.assertEqual(records, ["ZSorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n"
                                   f"gone.dead.example[127.0.0.4]: unable to connect: "
                                   "Connection refused\n"])
        self.assertEqual(self.s3.connections, 0)

    def test_dns_failures(self):
        self.assertEqual(self.remote("nx.example"),
                         ["DSorry, I couldn't find any host named nx.example. (#5.1.2)\n"])
        # REFUSED upstream: unbound reports SERVFAIL at once.
        self.assertEqual(self.remote("fail.zz"),
                         ["ZSorry, I couldn't find any host by that name. (#4.1.2)\n"
                          "(DNS: MX of fail.zz: SERVFAIL)\n"])
        # No answer at all: the lookup gives up after control/timeoutdns (3 s).
        started = time.monotonic()
        self.assertEqual(self.remote("sf.example"),
                         ["ZSorry, I couldn't find any host by that name. (#4.1.2)\n"
                          "(DNS: MX of sf.example: timed out)\n"])
        self.assertLess(time.monotonic() - started, 8)
        self.assertEqual(self.s2.connections + self.s3.connections, 0)


class RemoteDnsEndToEndTest(test_remote.RemoteEndToEndTest):
    """NXDOMAIN bounces with 5.1.2 and SERVFAIL defers, through send and rspawn."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        start_dnsmasq(cls)

    def setUp(self):
        super().setUp()
        # The sender's domain t.example has mx1 = 127.0.0.2, where self.s listens.
        self.route(f"t.example::{self.s.port}")

    def test_nxdomain_bounces_and_servfail_defers(self):
        before = queued_messages(self.root)
        self.inject("Subject: nx\n\nhello\n", "u@nx.example", sender="snd@t.example")
        self.inject("Subject: sf\n\nhello\n", "u@fail.zz", sender="snd@t.example")
        self.wait(lambda: self.sessions_to("snd@t.example"), "the bounce")
        bounce = self.sessions_to("snd@t.example")[0].data
        self.assertIn(b"Sorry, I couldn't find any host named nx.example. (#5.1.2)", bounce)
        self.assertIn(b"Status: 5.1.2", bounce)
        self.wait(lambda: "deferral: Sorry,_I_couldn't_find_any_host_by_that_name._(#4.1.2)/"
                  in self.log(), "the deferral")
        self.wait(lambda: len(set(queued_messages(self.root)) - set(before)) == 1,
                  "only the deferred message left")

    # The tests of the parent class run once, in test_remote.py.
    test_delivered_deferred_and_bounced = None
    test_eight_bit_and_smtputf8_messages_arrive_byte_identical = None
    test_recipients_of_one_domain_share_one_transaction = None


class RemoteTlsTest(unittest.TestCase):
    """STARTTLS to our own smtpd (a second install, mx.tls.example, under the installed
    tcpserver on 127.0.0.5) and control/tlsdestinations."""

    @classmethod
    def setUpClass(cls):
        assert os.geteuid() == 0, "the integration suite runs as root"
        cls.base, cls.root = support.new_root("ms-remote-tls-")
        cls.addClassCleanup(support.remove, cls.base)
        support.install_configured(cls.root, HOST)
        cls.rx_root = os.path.join(cls.base, "rx")
        support.install_configured(cls.rx_root, "mx.tls.example")
        write_control(cls.rx_root, "rcpthosts", "tls.example\n")
        cls.san_dir = support.make_san_dir(cls.base)
        start_dnsmasq(cls)
        cls.server = subprocess.Popen(
            [os.path.join(cls.rx_root, "bin", "tcpserver"), "-1", "-R", "-H", "-l",
             "mx.tls.example", "-u", str(support.uid("msd")), "-g", str(support.gid("msnofiles")),
             "127.0.0.5", "0", os.path.join(cls.rx_root, "bin", "smtpd")],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=san_env(cls.san_dir), start_new_session=True)
        cls.addClassCleanup(support.stop_process, cls.server)
        cls.port = int(cls.server.stdout.readline())
        cls.ca = os.path.join(cls.rx_root, "control", "tls", "cert.pem")

    def setUp(self):
        self.sink = Sink("127.0.0.3").start()
        self.addCleanup(self.sink.stop)
        write_control(self.root, "smtproutes",
                      f"tls.example::{self.port}\nplain.example::{self.sink.port}\n")
        write_control(self.root, "tlsdestinations", None)
        write_control(self.root, "tlsca", None)

    def tearDown(self):
        support.assert_no_sanitizer_reports(self, self.san_dir)

    def remote(self, host, message=b"Subject: tls\n\nsecret\n"):
        code, records = run_remote(self.root, host, "s@here.example", [f"u@{host}"], message,
                                   san_env(self.san_dir))
        self.assertEqual(code, 0)
        return records

    def rx_messages(self):
        mess = os.path.join(self.rx_root, "queue", "mess")
        out = {}
        for d in os.listdir(mess):
            for name in os.listdir(os.path.join(mess, d)):
                with open(os.path.join(mess, d, name), "rb") as f:
                    out[name] = f.read()
        return out

    def test_starttls_verified_and_shown_in_received(self):
        with open(self.ca, "rb") as f:
            write_control(self.root, "tlsca", f.read().decode())
        before = self.rx_messages()
        message = b"Subject: tls\n\nsecret \xc3\xa4\n"
        records = self.remote("tls.example", message)
        self.assertEqual(records[0], "r")
        self.assertRegex(records[1], r"^Kmx\.tls\.example\[127\.0\.0\.5\] accepted message\.\n"
                         r"Remote host said: 250 .*\nTLS: TLSv1\.[23] \S+, certificate verified\.\n$")
        new = [m for k, m in self.rx_messages().items() if k not in before]
        self.assertEqual(len(new), 1)
        received = new[0].split(b"\n\n")[0]
        self.assertRegex(received.decode("latin-1"), r"TLSv1\.[23]")
        self.assertTrue(new[0].endswith(message), new[0])

    def test_opportunistic_tls_without_verification_still_delivers(self):
        records = self.remote("tls.example")
        self.assertRegex(records[1], r"^Kmx\.tls\.example\[127\.0\.0\.5\] accepted message\."
                         r"(.|\n)*\nTLS: TLSv1\.[23] \S+, certificate not verified \(.+\)\.\n$")

    def test_tlsdestinations_defer_instead_of_plaintext(self):
        write_control(self.root, "tlsdestinations", "tls.example\n.plain.example\nplain.example\n")
        before = self.rx_messages()
        records = self.remote("tls.example")
        self.assertEqual(len(records), 1)
        self.assertRegex(records[0], r"^ZSorry, tls\.example requires verified TLS "
                         r"\(control/tlsdestinations\), and no exchanger offered it\. \(#4\.7\.5\)\n"
                         r"TLS certificate of mx\.tls\.example\[127\.0\.0\.5\] not verified: ")
        self.assertEqual(self.rx_messages(), before)
        # A peer without STARTTLS: no MAIL is ever sent.
        records = self.remote("plain.example")
        self.assertRegex(records[0], r"^ZSorry, plain\.example requires verified TLS (.|\n)*"
                         r"mx2\.t\.example\[127\.0\.0\.3\] does not offer STARTTLS\n$")
        self.assertEqual(self.sink.connections, 1)
        self.assertIsNone(self.sink.sessions[0].mail)
        # With the right CA the required TLS is there.
        with open(self.ca, "rb") as f:
            write_control(self.root, "tlsca", f.read().decode())
        records = self.remote("tls.example")
        self.assertRegex(records[1], r"^Kmx\.tls\.example(.|\n)*certificate verified\.\n$")

    def queue_message(self, message, sender, recipient):
        """ROOT/bin/queue; the new message's id relative to queue/mess ("D/N")."""
        mess = os.path.join(self.root, "queue", "mess")
        before = {f"{d}/{n}" for d in os.listdir(mess) for n in os.listdir(os.path.join(mess, d))}
        r, w = os.pipe()
        os.write(w, b"F" + sender.encode() + b"\0T" + recipient.encode() + b"\0\0")
        os.close(w)
        try:
            proc = subprocess.run([os.path.join(self.root, "bin", "queue")], input=message,
                                  stdout=r, stderr=subprocess.PIPE, env=san_env(self.san_dir),
                                  timeout=60)
        finally:
            os.close(r)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        after = {f"{d}/{n}" for d in os.listdir(mess) for n in os.listdir(os.path.join(mess, d))}
        new = after - before
        self.assertEqual(len(new), 1)
        return new.pop()

    def test_rspawn_delivers_in_forked_children_that_reread_control_files(self):
        """rspawn runs remote's code in forked children (bin/remote is not even
        executable here), with the TLS context it loaded at startup, and every child reads
        the control files again: control/tlsca written after rspawn started counts."""
        remote_bin = os.path.join(self.root, "bin", "remote")
        os.chmod(remote_bin, 0)
        self.addCleanup(os.chmod, remote_bin, 0o755)
        rspawn = subprocess.Popen(
            [os.path.join(self.root, "bin", "rspawn")], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, env=san_env(self.san_dir), user=support.uid("msr"),
            group=support.gid("mailsuite"), cwd="/")
        self.addCleanup(rspawn.wait, 60)
        self.addCleanup(rspawn.stdin.close)

        def read_until_nul():
            out = b""
            deadline = time.monotonic() + 60
            while not out.endswith(b"\0") or len(out) < 3:
                ready, _, _ = select.select([rspawn.stdout], [], [], deadline - time.monotonic())
                self.assertTrue(ready, f"no result from rspawn: {out!r}")
                chunk = os.read(rspawn.stdout.fileno(), 4096)
                self.assertTrue(chunk, f"rspawn ended: {out!r}")
                out += chunk
            return out

        def deliver(slot, message):
            mid = self.queue_message(message, "s@here.example", "u@tls.example")
            rspawn.stdin.write(bytes([slot]) + mid.encode() + b"\0s@here.example\0u@tls.example\0")
            rspawn.stdin.flush()
            result = read_until_nul()
            self.assertEqual(result[0], slot)
            return result[1:-1].decode("latin-1")

        ready, _, _ = select.select([rspawn.stdout], [], [], 60)
        self.assertTrue(ready)
        self.assertEqual(os.read(rspawn.stdout.fileno(), 1), bytes([120]))
        before = self.rx_messages()
        result = deliver(3, b"Subject: one\n\nfirst\n")
        self.assertRegex(result, r"^Kmx\.tls\.example\[127\.0\.0\.5\] accepted message\.\n"
                         r"(.|\n)*\nTLS: TLSv1\.[23] \S+, certificate not verified \(.+\)\.\n$")
        with open(self.ca, "rb") as f:
            write_control(self.root, "tlsca", f.read().decode())
        result = deliver(4, b"Subject: two\n\nsecond\n")
        self.assertRegex(result, r"^Kmx\.tls\.example(.|\n)*certificate verified\.\n$")
        new = [m for k, m in self.rx_messages().items() if k not in before]
        self.assertEqual(sorted(m.endswith(b"first\n") or m.endswith(b"second\n") for m in new),
                         [True, True])
        # A bad control file is the child's Z record; rspawn goes on.
        self.addCleanup(write_control, self.root, "timeoutremote", None)
        write_control(self.root, "timeoutremote", "never\n")
        result = deliver(5, b"Subject: three\n\nthird\n")
        self.assertEqual(result, "ZUnable to read control files. (#4.3.0)\n")
        rspawn.stdin.close()
        self.assertEqual(rspawn.wait(60), 0)


if __name__ == "__main__":
    unittest.main()
