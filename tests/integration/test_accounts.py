"""Virtual domains, users and aliases (issue 8): mailctl domain|user|alias on an installed
root, delivery to them through send, lspawn, local and vdeliver (mail put in with
ROOT/bin/inject), and auth, the checkpassword program."""
import os
import re
import signal
import stat
import struct
import subprocess
import time
import unittest

import support
from pop3_support import (DOMAIN, PASSWORD, PopServer, install_with_domain, maildir, mailctl,
                          san_env, wait_for, wait_subject)
import poplib

WAIT = 20


def cdb_records(path):
    """Every (key, value) of a cdb file, in file order."""
    with open(path, "rb") as f:
        data = f.read()
    end = min(struct.unpack_from("<I", data, 8 * i)[0] for i in range(256))
    pos, out = 2048, []
    while pos < end:
        klen, dlen = struct.unpack_from("<II", data, pos)
        pos += 8
        out.append((data[pos:pos + klen].decode(), data[pos + klen:pos + klen + dlen].decode()))
        pos += klen + dlen
    return out


class AccountsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        install_with_domain(cls, "ms-accounts-")
        cls.env = san_env(cls.san_dir)
        cls.log_path = os.path.join(cls.root, "log", "send.log")
        open(cls.log_path, "wb").close()

    def setUp(self):
        self.start = None

    def tearDown(self):
        if self.start is not None:
            self.start.send_signal(signal.SIGTERM)
            try:
                self.assertEqual(self.start.wait(timeout=WAIT), 0)
            except subprocess.TimeoutExpired:
                os.killpg(self.start.pid, signal.SIGKILL)
                self.start.wait()
                self.fail("send did not stop")
            # lspawn and clean end once send has gone
            wait_for(lambda: not any(support.running(p) for p in self.group_pids()), WAIT)
            for pid in self.group_pids():
                os.kill(pid, signal.SIGKILL)
        support.assert_no_sanitizer_reports(self, self.san_dir)

    def group_pids(self):
        out = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    if os.getpgid(int(entry)) == self.start.pid and support.running(entry):
                        out.append(int(entry))
                except OSError:
                    pass
        return out

    def ctl(self, *args, input=None, code=0):
        proc = mailctl(self.root, *args, input=input, env=self.env)
        self.assertEqual(proc.returncode, code, proc.stdout + proc.stderr)
        return proc

    # --- delivery helpers ---------------------------------------------------------

    def run_delivery(self):
        with open(self.log_path, "rb") as f:
            mark = len(f.read())
        out = open(self.log_path, "ab")
        self.start = subprocess.Popen([os.path.join(self.root, "bin", "start"), "./Maildir/"],
                                      stdin=subprocess.DEVNULL, stdout=out,
                                      stderr=subprocess.STDOUT, env=self.env,
                                      start_new_session=True)
        out.close()
        self.assertTrue(wait_for(lambda: b"status:" in self.log()[mark:], WAIT))

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read()

    def inject(self, to, subject, body="hello\n"):
        text = f"From: sender@mx.test\nTo: {to}\nSubject: {subject}\n\n{body}"
        proc = subprocess.run([os.path.join(self.root, "bin", "inject"), to],
                              input=text.encode(), capture_output=True, env=self.env,
                              timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)

    def wait_subject(self, user, subject):
        return wait_subject(self.root, user, subject, WAIT)

    def subjects(self, user):
        out = []
        for sub in ("new", "cur"):
            d = os.path.join(maildir(self.root, user), sub)
            for name in os.listdir(d):
                with open(os.path.join(d, name), "rb") as f:
                    m = re.search(rb"^Subject: (.*)$", f.read(), re.M)
                out.append(m.group(1).decode() if m else None)
        return out

    # --- tests -------------------------------------------------------------------------

    def test_domain_add_writes_every_file(self):
        self.ctl("domain", "add", "Second.Test")
        with open(os.path.join(self.root, "control", "rcpthosts")) as f:
            self.assertIn("second.test", f.read().split())
        with open(os.path.join(self.root, "control", "virtualdomains")) as f:
            self.assertIn("second.test:msvmail-second.test", f.read().split("\n"))
        with open(os.path.join(self.root, "users", "assign")) as f:
            assign = f.read()
        vmail = support.uid("msvmail")
        self.assertIn(f"+msvmail-second.test-:msvmail:{vmail}:{support.gid('msnofiles')}:"
                      f"{self.root}/domains/second.test:-::\n", assign)
        self.assertTrue(assign.endswith("\n.\n"))
        keys = dict(cdb_records(os.path.join(self.root, "users", "cdb")))
        self.assertIn("!msvmail-second.test-", keys)
        d = os.path.join(self.root, "domains", "second.test")
        st = os.stat(d)
        self.assertEqual((st.st_uid, stat.S_IMODE(st.st_mode)), (vmail, 0o700))
        with open(os.path.join(d, ".qmail-default")) as f:
            self.assertEqual(f.read(), f"|{self.root}/bin/vdeliver bounce\n")
        self.assertTrue(os.path.isdir(os.path.join(d, "postmaster", "Maildir", "new")))
        listing = self.ctl("domain", "list").stdout
        self.assertIn("second.test users 1 catchall bounce", listing)
        proc = self.ctl("domain", "add", "second.test", code=100)
        self.assertIn("exists already", proc.stderr)
        self.ctl("domain", "add", "bad_domain!", code=100)
        proc = self.ctl("domain", "add", "mx.test", code=100)  # in control/locals
        self.assertIn("control/locals", proc.stderr)
        self.ctl("domain", "del", "second.test")
        self.assertFalse(os.path.exists(d))
        with open(os.path.join(self.root, "control", "virtualdomains")) as f:
            self.assertNotIn("second.test", f.read())
        self.assertNotIn("second.test", self.ctl("domain", "list").stdout)

    def test_user_add_stores_only_a_hash(self):
        address = f"hash@{DOMAIN}"
        self.ctl("user", "add", address, "--password-stdin", input="s3cret\n")
        path = os.path.join(self.root, "users", "passwd")
        st = os.stat(path)
        self.assertEqual((st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)),
                         (support.uid("msp"), 0, 0o400))
        with open(path) as f:
            line = [l for l in f.read().split("\n") if l.startswith(address + ":")][0]
        self.assertTrue(line.split(":")[1].startswith("$y$"))
        self.assertNotIn("s3cret", line)
        # no terminal and no --password-stdin: refused; a password argument is a usage error
        proc = subprocess.run([os.path.join(self.root, "bin", "mailctl"), "user", "add",
                               f"tty@{DOMAIN}"], capture_output=True, text=True, env=self.env,
                              stdin=subprocess.DEVNULL, start_new_session=True)
        self.assertEqual(proc.returncode, 100)
        self.assertIn("--password-stdin", proc.stderr)
        self.ctl("user", "add", f"x@{DOMAIN}", "pw", code=100)
        self.ctl("user", "add", address, "--password-stdin", input="x\n", code=100)
        self.ctl("user", "add", f"nodomain@nowhere.test", "--password-stdin", input="x\n",
                 code=100)
        self.ctl("user", "add", f"default@{DOMAIN}", "--password-stdin", input="x\n", code=100)
        self.assertIn(address, self.ctl("user", "list", DOMAIN).stdout.split())
        self.ctl("user", "del", address)
        self.assertNotIn(address, self.ctl("user", "list").stdout.split())

    def test_recipients_cdb_lists_valid_addresses(self):
        self.ctl("alias", "add", f"Sales.Team@{DOMAIN}", f"u@{DOMAIN}")
        records = dict(cdb_records(os.path.join(self.root, "users", "recipients.cdb")))
        self.assertEqual(records[f"@{DOMAIN}"], "domain")
        self.assertEqual(records[f"u@{DOMAIN}"], "user")
        self.assertEqual(records[f"postmaster@{DOMAIN}"], "user")
        self.assertEqual(records[f"sales.team@{DOMAIN}"], "alias")
        self.assertNotIn("nobody@" + DOMAIN, records)
        for value in records.values():
            self.assertNotIn("$", value)
        self.ctl("alias", "del", f"sales.team@{DOMAIN}")
        records = dict(cdb_records(os.path.join(self.root, "users", "recipients.cdb")))
        self.assertNotIn(f"sales.team@{DOMAIN}", records)

    def test_delivery_alias_dot_qmail_and_catchall(self):
        self.ctl("user", "add", f"v@{DOMAIN}", "--password-stdin", input="pw\n")
        self.ctl("alias", "add", f"team@{DOMAIN}", f"u@{DOMAIN}", f"v@{DOMAIN}")
        home = os.path.join(self.root, "domains", DOMAIN, "v")
        with open(os.path.join(home, ".qmail-lists"), "w") as f:
            f.write("./Maildir/\n")
        os.chown(os.path.join(home, ".qmail-lists"), support.uid("msvmail"),
                 support.gid("msnofiles"))
        self.run_delivery()
        self.inject(f"u@{DOMAIN}", "to-u")
        data = self.wait_subject("u", "to-u")
        self.assertIsNotNone(data, self.log().decode()[-2000:])
        self.assertTrue(data.startswith(b"Return-Path: <"))
        self.assertIn(f"Delivered-To: u@{DOMAIN}\n".encode(), data)
        self.inject(f"TEAM@{DOMAIN}", "to-team")
        self.assertIsNotNone(self.wait_subject("u", "to-team"))
        self.assertIsNotNone(self.wait_subject("v", "to-team"))
        self.inject(f"v-lists@{DOMAIN}", "to-extension")
        self.assertIsNotNone(self.wait_subject("v", "to-extension"))
        # catch-all: bounce (default), then deliver to v, then discard
        self.inject(f"nobody@{DOMAIN}", "to-nobody")
        self.assertTrue(wait_for(lambda: re.search(
            rb"failure: Sorry,_no_mailbox_here_by_that_name", self.log()), WAIT),
            self.log().decode()[-2000:])
        self.ctl("domain", "catchall", DOMAIN, "deliver", "v")
        self.assertIn(f"{DOMAIN} users 3 catchall deliver v", self.ctl("domain", "list").stdout)
        records = dict(cdb_records(os.path.join(self.root, "users", "recipients.cdb")))
        self.assertEqual(records[f"@{DOMAIN}"], "catchall")
        self.inject(f"someone@{DOMAIN}", "to-someone")
        self.assertIsNotNone(self.wait_subject("v", "to-someone"))
        proc = self.ctl("user", "del", f"v@{DOMAIN}", "--force", code=100)
        self.assertIn("catch-all", proc.stderr)
        self.ctl("domain", "catchall", DOMAIN, "discard")
        before = len(self.log())
        self.inject(f"else@{DOMAIN}", "to-else")
        self.assertTrue(wait_for(lambda: b"discarded" in self.log()[before:], WAIT))
        self.assertNotIn("to-else", self.subjects("u") + self.subjects("v"))
        self.ctl("domain", "catchall", DOMAIN, "bounce")
        self.ctl("domain", "catchall", DOMAIN, "deliver", "ghost", code=100)
        # the user's own .qmail: forward to u and keep a copy
        with open(os.path.join(home, ".qmail"), "w") as f:
            f.write(f"&u@{DOMAIN}\n./Maildir/\n")
        os.chown(os.path.join(home, ".qmail"), support.uid("msvmail"), support.gid("msnofiles"))
        self.inject(f"v@{DOMAIN}", "forwarded")
        self.assertIsNotNone(self.wait_subject("v", "forwarded"))
        self.assertIsNotNone(self.wait_subject("u", "forwarded"))
        # user info, then deleting a user with mail needs --force
        info = self.ctl("user", "info", f"v@{DOMAIN}").stdout
        self.assertIn(f"mailbox: {maildir(self.root, 'v')}/", info)
        count = len(self.subjects("v"))
        self.assertIn(f"messages: {count}\n", info)
        size = sum(os.path.getsize(os.path.join(maildir(self.root, "v"), s, n))
                   for s in ("new", "cur") for n in os.listdir(os.path.join(maildir(self.root, "v"), s)))
        self.assertIn(f"size: {size} bytes\n", info)
        proc = self.ctl("user", "del", f"v@{DOMAIN}", code=100)
        self.assertIn("--force", proc.stderr)
        self.ctl("user", "del", f"v@{DOMAIN}", "--force")
        self.assertFalse(os.path.exists(home))
        self.ctl("alias", "del", f"team@{DOMAIN}")

    def test_delivered_mail_is_retrieved_by_pop3(self):
        self.run_delivery()
        self.inject(f"u@{DOMAIN}", "pop-me", body=".dot line\nsecond\n")
        self.assertIsNotNone(self.wait_subject("u", "pop-me"))
        new = os.path.join(maildir(self.root, "u"), "new")
        files = {}
        for name in os.listdir(new):
            with open(os.path.join(new, name), "rb") as f:
                files[name] = f.read()
        server = PopServer(self.root, self.env)
        try:
            p = poplib.POP3("127.0.0.1", server.port, timeout=20)
            p.user(f"u@{DOMAIN}")
            p.pass_(PASSWORD)
            _, uids, _ = p.uidl()
            for entry in uids:
                number, uid = entry.decode().split(" ")
                _, lines, _ = p.retr(int(number))
                self.assertEqual(b"\n".join(lines) + b"\n", files[uid])
            p.quit()
        finally:
            self.assertEqual(set(server.stop()), {0})

    def test_domain_del_with_mail_needs_force(self):
        self.ctl("domain", "add", "third.test")
        self.ctl("user", "add", "w@third.test", "--password-stdin", input="pw\n")
        with open(os.path.join(maildir(self.root, "w", "third.test"), "new", "1.M1P1.x"), "w") as f:
            f.write("Subject: x\n\n")
        proc = self.ctl("domain", "del", "third.test", code=100)
        self.assertIn("1 messages", proc.stderr)
        self.assertTrue(os.path.isdir(os.path.join(self.root, "domains", "third.test")))
        self.ctl("domain", "del", "third.test", "--force")
        self.assertFalse(os.path.exists(os.path.join(self.root, "domains", "third.test")))
        with open(os.path.join(self.root, "users", "passwd")) as f:
            self.assertNotIn("third.test", f.read())

    # --- auth ------------------------------------------------------------------------

    def auth(self, data, *args, user="msd"):
        r, w = os.pipe()
        os.write(w, data)
        os.close(w)
        argv = ["setpriv", f"--reuid={support.uid(user)}", f"--regid={support.gid('msnofiles')}",
                "--clear-groups", "--", os.path.join(self.root, "bin", "auth"), *args]
        start = time.monotonic()
        proc = subprocess.run(argv, pass_fds=(r,), capture_output=True, env=self.env,
                              preexec_fn=lambda: os.dup2(r, 3), timeout=30)
        os.close(r)
        return proc, time.monotonic() - start

    def test_auth_exit_codes_delay_and_identity(self):
        good = f"u@{DOMAIN}\0{PASSWORD}\0<1.2@mx.test>\0".encode()
        proc, _ = self.auth(good)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        proc, took = self.auth(f"u@{DOMAIN}\0wrong\0<1.2@mx.test>\0".encode())
        self.assertEqual(proc.returncode, 1)
        self.assertGreaterEqual(took, 0.9)
        proc, took = self.auth(f"nobody@{DOMAIN}\0{PASSWORD}\0\0".encode())
        self.assertEqual(proc.returncode, 1)
        self.assertGreaterEqual(took, 0.9)
        proc, _ = self.auth(f"postmaster@{DOMAIN}\0\0\0".encode())  # no password set
        self.assertEqual(proc.returncode, 1)
        proc, _ = self.auth(b"no nul at all")
        self.assertEqual(proc.returncode, 2)
        proc, _ = self.auth(b"x" * 600 + b"\0p\0")
        self.assertEqual(proc.returncode, 2)
        # the case of the login does not matter; the rest of the command line runs as msp
        proc, _ = self.auth(f"U@{DOMAIN.upper()}\0{PASSWORD}\0\0".encode(), "/bin/sh", "-c",
                            "grep ^Uid: /proc/self/status; echo $USER $HOME")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        msp = support.uid("msp")
        self.assertEqual(proc.stdout.decode(),
                         f"Uid:\t{msp}\t{msp}\t{msp}\t{msp}\n"
                         f"u@{DOMAIN} {self.root}/domains/{DOMAIN}/u\n")
        st = os.stat(os.path.join(self.root, "bin", "auth"))
        self.assertEqual((st.st_uid, stat.S_IMODE(st.st_mode)), (msp, 0o4711))

    def test_passwd_change(self):
        self.ctl("user", "add", f"p@{DOMAIN}", "--password-stdin", input="first\n")
        self.assertEqual(self.auth(f"p@{DOMAIN}\0first\0\0".encode())[0].returncode, 0)
        self.ctl("user", "passwd", f"p@{DOMAIN}", "--password-stdin", input="second\n")
        self.assertEqual(self.auth(f"p@{DOMAIN}\0first\0\0".encode())[0].returncode, 1)
        self.assertEqual(self.auth(f"p@{DOMAIN}\0second\0\0".encode())[0].returncode, 0)
        self.ctl("user", "passwd", f"ghost@{DOMAIN}", "--password-stdin", input="x\n", code=100)
        self.ctl("user", "del", f"p@{DOMAIN}")

    def test_check_reports_a_readable_passwd(self):
        path = os.path.join(self.root, "users", "passwd")
        self.assertEqual(self.ctl("check").returncode, 0)
        os.chmod(path, 0o644)
        try:
            proc = self.ctl("check", code=100)
            self.assertIn("users/passwd: mode 0644, want 0400", proc.stdout)
        finally:
            os.chmod(path, 0o400)


if __name__ == "__main__":
    unittest.main()
