"""The TLS fixtures of tls_support.py: certificates that verify, and installing them with
the owners and modes of `mailctl init`."""
import os
import pwd
import shutil
import socket
import ssl
import stat
import subprocess
import tempfile
import threading
import unittest

import support
import tls_support


class TlsSupportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="ms-tls-")
        cls.ca = tls_support.make_ca(cls.dir)
        cls.leaf = tls_support.make_cert(cls.dir, cls.ca)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    def openssl(self, *args):
        return subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=60)

    def test_certificate_verifies_and_names_its_hosts(self):
        other = tls_support.make_cert(self.dir, self.ca, names=["mx.example.org", "::1"])
        self.assertNotEqual(other.cert, self.leaf.cert)
        got = self.openssl("verify", "-CAfile", self.ca.cert, self.leaf.cert, other.cert)
        self.assertEqual(got.returncode, 0, got.stderr)
        san = self.openssl("x509", "-in", self.leaf.cert, "-noout", "-ext", "subjectAltName")
        self.assertIn("DNS:localhost, IP Address:127.0.0.1", san.stdout)
        san = self.openssl("x509", "-in", other.cert, "-noout", "-ext", "subjectAltName")
        self.assertIn("DNS:mx.example.org, IP Address:0:0:0:0:0:0:0:1", san.stdout)
        stranger = tls_support.make_ca(self.dir, "another CA")
        got = self.openssl("verify", "-CAfile", stranger.cert, self.leaf.cert)
        self.assertNotEqual(got.returncode, 0)

    def handshake(self, context, name):
        server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server_ctx.load_cert_chain(self.leaf.cert, self.leaf.key)
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(10)

        def serve():
            try:
                conn, _ = listener.accept()
                with server_ctx.wrap_socket(conn, server_side=True) as s:
                    s.sendall(b"hello\n")
            except (OSError, ssl.SSLError):
                pass  # the client refused the certificate

        thread = threading.Thread(target=serve)
        thread.start()
        try:
            with socket.create_connection(listener.getsockname(), timeout=10) as raw:
                with context.wrap_socket(raw, server_hostname=name) as s:
                    return s.recv(100)
        finally:
            thread.join(15)
            listener.close()

    def test_client_context_trusts_the_ca_and_checks_the_name(self):
        self.assertEqual(self.handshake(tls_support.client_context(self.ca.cert), "localhost"),
                         b"hello\n")
        with self.assertRaises(ssl.SSLCertVerificationError):
            self.handshake(tls_support.client_context(self.ca.cert), "other.example")
        with self.assertRaises(ssl.SSLCertVerificationError):
            self.handshake(ssl.create_default_context(), "localhost")
        self.assertEqual(self.handshake(tls_support.client_context(), "other.example"),
                         b"hello\n")

    def test_install_cert_uses_the_owners_and_modes_of_mailctl_init(self):
        root = os.path.join(self.dir, "root")
        cert, key = tls_support.install_cert(root, self.leaf.cert, self.leaf.key)
        self.assertEqual(cert, os.path.join(root, "control", "tls", "cert.pem"))
        self.assertEqual(key, os.path.join(root, "control", "tls", "key.pem"))
        st = os.stat(cert)
        self.assertEqual((st.st_uid, stat.S_IMODE(st.st_mode)), (0, 0o644))
        st = os.stat(key)
        self.assertEqual((st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)),
                         (support.uid("msd"), pwd.getpwnam("msd").pw_gid, 0o400))
        with open(cert) as a, open(self.leaf.cert) as b:
            self.assertEqual(a.read(), b.read())
        with open(key) as a, open(self.leaf.key) as b:
            self.assertEqual(a.read(), b.read())
        self.assertEqual(sorted(os.listdir(os.path.dirname(cert))), ["cert.pem", "key.pem"])


if __name__ == "__main__":
    unittest.main()
