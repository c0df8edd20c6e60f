"""mailctl init and mailctl check on real installs, with planted problems."""
import os
import stat
import subprocess
import unittest

import support
from support import run


class MailctlTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        assert os.geteuid() == 0, "the integration suite runs as root (as CI does)"
        cls.base, cls.pristine = support.new_root()
        proc = support.make_install(cls.pristine)
        assert proc.returncode == 0, proc.stderr
        init = run(cls.pristine, "mailctl", "init", "--hostname", "test.example",
                   "--listen", "smtp=127.0.0.1:2525")
        assert init.returncode == 0, init.stderr
        cls.init_output = init.stdout
        cls.count = 0

    @classmethod
    def tearDownClass(cls):
        support.remove(cls.base)

    def fresh(self):
        """A copy of the configured install, for one planted problem."""
        type(self).count += 1
        root = os.path.join(self.base, f"copy{self.count}")
        support.copy_tree(self.pristine, root)
        return root

    def path(self, root, rel):
        return os.path.join(root, rel)

    def write(self, root, rel, text, mode=0o644):
        with open(self.path(root, rel), "w") as f:
            f.write(text)
        os.chmod(self.path(root, rel), mode)

    def assert_check_finds(self, root, *expected):
        proc = run(root, "mailctl", "check")
        self.assertEqual(proc.returncode, 100, proc.stdout + proc.stderr)
        for line in expected:
            self.assertIn(line, proc.stdout)
        self.assertIn("problem", proc.stderr)
        return proc

    # --- init -------------------------------------------------------------------

    def test_init_writes_control_files(self):
        root = self.pristine
        read = lambda rel: open(self.path(root, rel)).read()
        self.assertEqual(read("control/me"), "test.example\n")
        self.assertEqual(read("control/locals"), "test.example\nlocalhost\n")
        self.assertEqual(read("control/rcpthosts"), "test.example\nlocalhost\n")
        services = [l for l in read("control/services").splitlines() if not l.startswith("#")]
        self.assertEqual(services, ["smtp=127.0.0.1:2525"])
        for name in ["postmaster", "root", "mailer-daemon"]:
            rel = f"alias/.qmail-{name}"
            self.assertEqual(read(rel), "./Maildir/\n")
            self.assertEqual(os.lstat(self.path(root, rel)).st_uid, support.uid("msalias"))
        for sub in ["cur", "new", "tmp"]:
            st = os.lstat(self.path(root, f"alias/Maildir/{sub}"))
            self.assertEqual((st.st_uid, stat.S_IMODE(st.st_mode)), (support.uid("msalias"), 0o700))
        self.assertIn("wrote control/me", self.init_output)

    def test_init_makes_a_matching_self_signed_pair(self):
        cert = self.path(self.pristine, "control/tls/cert.pem")
        key = self.path(self.pristine, "control/tls/key.pem")
        st = os.lstat(key)
        self.assertEqual((st.st_uid, stat.S_IMODE(st.st_mode)), (support.uid("msd"), 0o400))
        text = subprocess.run(["openssl", "x509", "-in", cert, "-noout", "-subject", "-ext",
                               "subjectAltName"], capture_output=True, text=True).stdout
        self.assertIn("CN = test.example", text)
        self.assertIn("DNS:test.example", text)
        cert_pub = subprocess.run(["openssl", "x509", "-in", cert, "-noout", "-pubkey"],
                                  capture_output=True, text=True).stdout
        key_pub = subprocess.run(["openssl", "pkey", "-in", key, "-pubout"],
                                 capture_output=True, text=True).stdout
        self.assertTrue(cert_pub.startswith("-----BEGIN PUBLIC KEY"))
        self.assertEqual(cert_pub, key_pub)

    def test_init_without_listen_records_every_standard_service(self):
        base, root = support.new_root()
        try:
            self.assertEqual(support.make_install(root).returncode, 0)
            proc = run(root, "mailctl", "init", "--hostname", "b.example")
            self.assertEqual(proc.returncode, 0, proc.stderr)
            lines = [l for l in open(self.path(root, "control/services")).read().splitlines()
                     if not l.startswith("#")]
            self.assertEqual(lines, ["smtp=*:25", "submission=*:587", "smtps=*:465",
                                     "pop3=*:110", "pop3s=*:995", "imap=*:143", "imaps=*:993"])
        finally:
            support.remove(base)

    def test_init_again_keeps_operator_changes(self):
        root = self.fresh()
        self.write(root, "control/me", "mail.changed.example\n")
        self.write(root, "control/locals", "changed.example\n")
        cert_before = open(self.path(root, "control/tls/cert.pem")).read()
        proc = run(root, "mailctl", "init", "--hostname", "other.example")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(open(self.path(root, "control/me")).read(), "mail.changed.example\n")
        self.assertEqual(open(self.path(root, "control/locals")).read(), "changed.example\n")
        self.assertEqual(open(self.path(root, "control/tls/cert.pem")).read(), cert_before)
        self.assertIn("kept control/me", proc.stdout)
        self.assertIn("control/me exists and was kept", proc.stderr)

    def test_each_root_configures_itself(self):
        base, root = support.new_root()
        try:
            self.assertEqual(support.make_install(root).returncode, 0)
            self.assertEqual(run(root, "mailctl", "init", "--hostname", "c.example").returncode, 0)
            self.assertEqual(open(self.path(root, "control/me")).read(), "c.example\n")
            self.assertEqual(open(self.path(self.pristine, "control/me")).read(),
                             "test.example\n")
        finally:
            support.remove(base)

    def test_init_rejects_bad_arguments(self):
        cases = [
            (["--listen", "ftp=127.0.0.1:21"], "unknown service"),
            (["--listen", "smtp=127.0.0.1:99999"], "bad port"),
            (["--listen", "smtp=300.1.1.1:25"], "bad address"),
            (["--listen", "imaps=[::zz]:993"], "bad IPv6 address"),
            (["--hostname", "bad..example"], "bad --hostname"),
            (["--bogus"], "usage: mailctl init"),
        ]
        for args, message in cases:
            proc = run(self.pristine, "mailctl", "init", *args)
            self.assertEqual(proc.returncode, 100, args)
            self.assertIn(message, proc.stderr, args)
            self.assertEqual(proc.stderr.count("\n"), 1, proc.stderr)

    def test_help(self):
        proc = run(self.pristine, "mailctl", "--help")
        self.assertEqual(proc.returncode, 0)
        self.assertIn("init", proc.stdout)
        self.assertIn("check", proc.stdout)
        for command in ["init", "check"]:
            for args in (["help", command], [command, "--help"]):
                proc = run(self.pristine, "mailctl", *args)
                self.assertEqual(proc.returncode, 0, args)
                self.assertIn(f"usage: mailctl {command}", proc.stdout)
        proc = run(self.pristine, "mailctl", "frobnicate")
        self.assertEqual(proc.returncode, 100)
        self.assertIn("unknown command frobnicate", proc.stderr)
        self.assertEqual(run(self.pristine, "mailctl").returncode, 100)

    # --- check ------------------------------------------------------------------

    def test_check_passes_on_a_fresh_install(self):
        proc = run(self.pristine, "mailctl", "check")
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertIn("no problems found", proc.stdout)

    def test_check_tolerates_crlf_and_comments(self):
        root = self.fresh()
        self.write(root, "control/me", "test.example\r\n")
        self.write(root, "control/rcpthosts", "# ours\r\ntest.example\r\n\r\n.sub.example")
        self.write(root, "control/databytes", "10485760\r\n")
        proc = run(root, "mailctl", "check")
        self.assertEqual(proc.returncode, 0, proc.stdout)

    def test_check_finds_a_bad_integer(self):
        root = self.fresh()
        self.write(root, "control/databytes", "12x\n")
        self.assert_check_finds(root, "control/databytes: not a number: 12x")

    def test_check_finds_an_integer_out_of_range(self):
        root = self.fresh()
        self.write(root, "control/concurrencylocal", "9999\n")
        self.assert_check_finds(root, "control/concurrencylocal: out of range: 9999 (want 1..500)")

    def test_check_finds_an_unreadable_control_file(self):
        root = self.fresh()
        os.chmod(self.path(root, "control/locals"), 0o600)
        self.assert_check_finds(root, "control/locals: not readable by the mail accounts")

    def test_check_finds_a_world_writable_control_file(self):
        root = self.fresh()
        os.chmod(self.path(root, "control/rcpthosts"), 0o666)
        self.assert_check_finds(root, "control/rcpthosts: writable by group or others")

    def test_check_finds_a_wrong_owner(self):
        root = self.fresh()
        os.chown(self.path(root, "queue/mess"), 0, 0)
        self.assert_check_finds(root, "queue/mess: owner uid 0, want msq")

    def test_check_finds_a_wrong_mode(self):
        root = self.fresh()
        os.chmod(self.path(root, "queue/todo"), 0o777)
        self.assert_check_finds(root, "queue/todo: mode 0777, want 0750")

    def test_check_finds_a_missing_split_directory(self):
        root = self.fresh()
        os.rmdir(self.path(root, "queue/intd/5"))
        self.assert_check_finds(root, "queue/intd/5: missing")

    def test_check_finds_a_trigger_that_is_not_a_fifo(self):
        root = self.fresh()
        os.unlink(self.path(root, "queue/lock/trigger"))
        self.write(root, "queue/lock/trigger", "")
        self.assert_check_finds(root, "queue/lock/trigger: not a fifo")

    def test_check_finds_a_world_writable_dot_qmail(self):
        root = self.fresh()
        os.chmod(self.path(root, "alias/.qmail-root"), 0o666)
        self.assert_check_finds(root, "alias/.qmail-root: world-writable")

    def test_check_finds_a_missing_postmaster_alias(self):
        root = self.fresh()
        os.unlink(self.path(root, "alias/.qmail-postmaster"))
        self.assert_check_finds(root, "alias/.qmail-postmaster: missing")

    def test_check_finds_a_key_that_does_not_match_the_certificate(self):
        root = self.fresh()
        key = self.path(root, "control/tls/key.pem")
        os.unlink(key)
        subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                        "rsa_keygen_bits:2048", "-out", key], check=True, capture_output=True)
        os.chown(key, support.uid("msd"), 0)
        os.chmod(key, 0o400)
        self.assert_check_finds(root,
                                "control/tls/key.pem: key does not match the certificate")

    def test_check_finds_a_readable_key(self):
        root = self.fresh()
        os.chmod(self.path(root, "control/tls/key.pem"), 0o644)
        self.assert_check_finds(root, "control/tls/key.pem: readable by group or others")

    def test_check_finds_a_certificate_that_is_not_pem(self):
        root = self.fresh()
        self.write(root, "control/tls/cert.pem", "garbage\n")
        self.assert_check_finds(root, "control/tls/cert.pem: not a PEM certificate")

    def test_check_finds_a_missing_me(self):
        root = self.fresh()
        os.unlink(self.path(root, "control/me"))
        self.assert_check_finds(root, "control/me: missing (run mailctl init)")

    def test_check_finds_a_bad_domain_in_a_list(self):
        root = self.fresh()
        self.write(root, "control/locals", "test.example\nlocalhost\nbad..example\n")
        self.assert_check_finds(root, "control/locals: line 3: empty label in domain: bad..example")

    def test_check_finds_a_bad_host_name(self):
        root = self.fresh()
        self.write(root, "control/me", "-bad-.example\n")
        self.assert_check_finds(root, "control/me: domain label starts or ends with a hyphen")

    def test_check_finds_a_misspelt_control_file(self):
        root = self.fresh()
        self.write(root, "control/rcpthost", "test.example\n")
        self.assert_check_finds(root,
                                "control/rcpthost: unknown control file; did you mean rcpthosts?")

    def test_check_finds_a_bad_service_line(self):
        root = self.fresh()
        self.write(root, "control/services", "smtp=127.0.0.1:2525\nftp=*:21\nsmtp=*:25\n")
        self.assert_check_finds(root, "control/services: line 2: unknown service",
                                "control/services: line 3: duplicate entry: smtp")

    def test_check_finds_bad_smtproutes_and_virtualdomains(self):
        root = self.fresh()
        self.write(root, "control/smtproutes", ":relay.example:25\nx.example:[192.0.2.1]:0\n")
        self.write(root, "control/virtualdomains", "virt.example:virt\nnocolon\n")
        self.assert_check_finds(root, "control/smtproutes: line 2: bad port: 0",
                                "control/virtualdomains: line 2: want [user@]domain:prefix")

    def test_check_finds_a_huge_line(self):
        root = self.fresh()
        self.write(root, "control/smtpgreeting", "x" * 100000 + "\n")
        self.assert_check_finds(root, "control/smtpgreeting: line too long")

    def test_check_accepts_a_compiled_users_assign(self):
        root = self.fresh()
        self.write(root, "users/assign", "=joe:nobody:65534:65534:/nonexistent:::\n.\n")
        self.assertEqual(run(root, "newu").returncode, 0)
        proc = run(root, "mailctl", "check")
        self.assertEqual(proc.returncode, 0, proc.stdout)

    def test_check_finds_a_malformed_users_assign(self):
        root = self.fresh()
        self.write(root, "users/assign", "=joe:nobody:x:65534:/nonexistent:::\n.\n")
        self.assert_check_finds(root, "users/assign line 1: ")

    def test_check_finds_a_stale_users_cdb(self):
        root = self.fresh()
        self.write(root, "users/assign", "=joe:nobody:65534:65534:/nonexistent:::\n.\n")
        self.assertEqual(run(root, "newu").returncode, 0)
        self.write(root, "users/assign", "=ann:nobody:65534:65534:/nonexistent:::\n.\n")
        self.assert_check_finds(root, "users/cdb: out of date with users/assign (run newu)")

    def test_check_finds_a_missing_users_cdb(self):
        root = self.fresh()
        self.write(root, "users/assign", "=joe:nobody:65534:65534:/nonexistent:::\n.\n")
        self.assert_check_finds(root, "users/cdb: ")

    def test_check_reports_every_problem_at_once(self):
        root = self.fresh()
        self.write(root, "control/databytes", "-5\n")
        os.chmod(self.path(root, "queue/pid"), 0o755)
        os.chmod(self.path(root, "alias/.qmail-mailer-daemon"), 0o664)
        proc = self.assert_check_finds(root, "control/databytes: out of range: -5",
                                       "queue/pid: mode 0755, want 0700",
                                       "alias/.qmail-mailer-daemon: group-writable")
        self.assertIn("3 problems found", proc.stderr)


if __name__ == "__main__":
    unittest.main()
