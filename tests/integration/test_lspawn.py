"""lspawn as installed, driven over its pipes exactly as send drives it (issue 4).

Each case starts ROOT/bin/lspawn ./Maildir/ as root, reads the byte that announces its
slots, writes commands (slot byte, message id NUL, sender NUL, recipient NUL), closes its
input and reads the results (slot byte, letter, text, NUL) until lspawn exits. Messages
are files in ROOT/queue/mess owned by the queue account, as the queue leaves them.
Deliveries go through the real ROOT/bin/local to the alias account's files under
ROOT/alias (`mailctl init` writes .qmail-postmaster and alias/Maildir/).
"""
import os
import pwd
import subprocess
import threading
import time
import unittest

import support
from support import run

HOST = "test.example"
MESSAGE = b"From: alice@a.example\nSubject: lspawn test\n\nbody line\n"


def command(slot, msgid, sender, recipient):
    return (bytes([slot]) + msgid.encode() + b"\0" + sender.encode() + b"\0"
            + recipient.encode() + b"\0")


def parse_results(data):
    """[(slot, text)] in arrival order; fails on a malformed stream."""
    out = []
    pos = 0
    while pos < len(data):
        end = data.index(b"\0", pos + 1)
        assert end > pos + 1, data
        out.append((data[pos], data[pos + 1:end].decode("utf-8", "replace")))
        pos = end + 1
    return out


def proc_status(pid):
    """{'Uid': [...], 'Gid': [...], 'Groups': [...]} of a running process."""
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("Uid", "Gid", "Groups"):
                fields[key] = [int(v) for v in value.split()]
    return fields


class LspawnTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.base, cls.root = support.new_root("ms-lspawn-")
        support.install_configured(cls.root, HOST)
        cls.alias_uid = support.uid("msalias")
        cls.alias_gid = pwd.getpwnam("msalias").pw_gid
        cls.queue_uid = support.uid("msq")
        cls.alias = os.path.join(cls.root, "alias")
        cls.msgid = cls.message("1/100", MESSAGE)

    @classmethod
    def tearDownClass(cls):
        support.remove(cls.base)

    @classmethod
    def message(cls, msgid, data, owner=None):
        path = os.path.join(cls.root, "queue", "mess", msgid)
        with open(path, "wb") as f:
            f.write(data)
        os.chown(path, cls.queue_uid if owner is None else owner, support.gid("mailsuite"))
        os.chmod(path, 0o640)
        return msgid

    def dot_qmail(self, name, text):
        path = os.path.join(self.alias, ".qmail-" + name)
        with open(path, "w") as f:
            f.write(text)
        os.chown(path, self.alias_uid, self.alias_gid)
        os.chmod(path, 0o644)
        self.addCleanup(os.unlink, path)

    def maildir_new(self):
        d = os.path.join(self.alias, "Maildir", "new")
        files = {}
        for name in os.listdir(d):
            with open(os.path.join(d, name), "rb") as f:
                files[name] = f.read()
        return files

    def drive(self, data, during=None, timeout=30):
        """Runs lspawn on the command bytes; returns (results, seconds, stderr)."""
        lspawn = subprocess.Popen([os.path.join(self.root, "bin", "lspawn"), "./Maildir/"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        timer = threading.Timer(timeout, lspawn.kill)
        timer.start()
        try:
            self.assertEqual(lspawn.stdout.read(1), bytes([120]))
            start = time.monotonic()
            lspawn.stdin.write(data)
            lspawn.stdin.flush()
            if during:
                during(lspawn)
            lspawn.stdin.close()
            out = lspawn.stdout.read()
            seconds = time.monotonic() - start
            err = lspawn.stderr.read().decode()
            self.assertEqual(lspawn.wait(), 0, err)
        finally:
            timer.cancel()
            lspawn.kill()
            lspawn.wait()
            for f in (lspawn.stdin, lspawn.stdout, lspawn.stderr):
                f.close()
        return parse_results(out), seconds, err

    def test_postmaster_is_delivered_to_the_alias_maildir(self):
        before = self.maildir_new()
        results, _, err = self.drive(
            command(3, self.msgid, "alice@a.example", "postmaster@" + HOST))
        self.assertEqual(results, [(3, "Kdid 1+0+0\n")], err)
        new = {k: v for k, v in self.maildir_new().items() if k not in before}
        self.assertEqual(len(new), 1)
        stored = list(new.values())[0]
        self.assertEqual(stored, b"Return-Path: <alice@a.example>\nDelivered-To: postmaster@"
                         + HOST.encode() + b"\n" + MESSAGE)

    def test_unknown_address_fails_permanently(self):
        results, _, _ = self.drive(command(0, self.msgid, "a@b", "nosuchuser@" + HOST))
        self.assertEqual(results, [(0, "DSorry, no mailbox here by that name. (#5.1.1)\n")])

    def test_bad_commands_get_spawn_results(self):
        not_ours = self.message("2/101", MESSAGE, owner=0)
        before = self.maildir_new()
        results, _, _ = self.drive(
            command(1, self.msgid, "a@b", "postmaster")
            + command(200, self.msgid, "a@b", "postmaster@" + HOST)
            + command(2, not_ours, "a@b", "postmaster@" + HOST)
            + command(4, "3/999999", "a@b", "postmaster@" + HOST)
            + command(5, "3/x", "a@b", "postmaster@" + HOST))
        self.assertEqual(dict(results), {
            1: "DSorry, address must include host name. (#5.1.3)\n",
            200: "ZInternal error: delnum too big. (#4.3.5)\n",
            2: "ZSorry, message has wrong owner. (#4.3.5)\n",
            4: "Zlspawn unable to open message. (#4.3.0)\n",
            5: "DInternal error: messid has nonnumerics. (#5.3.5)\n",
        })
        self.assertEqual(self.maildir_new(), before)  # nothing was delivered

    def test_users_cdb_steers_an_address(self):
        assign = os.path.join(self.root, "users", "assign")
        with open(assign, "w") as f:
            f.write(f"+list-:msalias:{self.alias_uid}:{self.alias_gid}:{self.alias}:-:lst-:\n.\n")
        self.addCleanup(lambda: os.path.exists(assign) and os.unlink(assign))
        cdb = os.path.join(self.root, "users", "cdb")
        self.addCleanup(lambda: os.path.exists(cdb) and os.unlink(cdb))
        proc = run(self.root, "newu")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.dot_qmail("lst-news", "|echo list got it for $EXT\n")
        results, _, _ = self.drive(command(7, self.msgid, "a@b", "list-News@" + HOST))
        self.assertEqual(results, [(7, "Klist got it for lst-News\ndid 0+0+1\n")])

    def test_deliveries_run_in_parallel_as_the_recipient(self):
        self.dot_qmail("sleepy", "|id -u > sleepy-uid.$$; sleep 1\n")
        self.addCleanup(self.remove_sleepy_files)
        data = b"".join(command(i, self.msgid, "a@b", "sleepy@" + HOST) for i in range(6))
        data += command(6, self.msgid, "a@b", "postmaster@" + HOST)
        seen = {}

        def watch(lspawn):
            # While the deliveries sleep, every ROOT/bin/local runs as msalias, lspawn as root.
            local = os.path.join(self.root, "bin", "local")
            deadline = time.monotonic() + 2
            while time.monotonic() < deadline and len(seen) < 6:
                for pid in os.listdir("/proc"):
                    if not pid.isdigit() or pid in seen:
                        continue
                    try:
                        if os.readlink(f"/proc/{pid}/exe") == local:
                            seen[pid] = proc_status(pid)
                    except OSError:
                        continue
                time.sleep(0.02)
            seen["lspawn"] = proc_status(lspawn.pid)

        results, seconds, _ = self.drive(data, during=watch)
        self.assertEqual(len(results), 7)
        self.assertEqual(results[0], (6, "Kdid 1+0+0\n"))  # did not wait for the sleepers
        self.assertEqual(sorted(r[0] for r in results[1:]), list(range(6)))
        for slot, text in results[1:]:
            self.assertEqual(text, "Kdid 0+0+1\n")
        self.assertLess(seconds, 4.0)  # six one-second programs one after another take 6 s
        self.assertEqual(seen.pop("lspawn")["Uid"], [0, 0, 0, 0])
        self.assertGreaterEqual(len(seen), 1)
        for status in seen.values():
            self.assertEqual(status["Uid"], [self.alias_uid] * 4)
            self.assertEqual(status["Gid"], [self.alias_gid] * 4)
            self.assertEqual(status["Groups"], [self.alias_gid])
        uids = self.sleepy_files()
        self.assertEqual(len(uids), 6)
        for name in uids:
            with open(os.path.join(self.alias, name)) as f:
                self.assertEqual(f.read().strip(), str(self.alias_uid))

    def sleepy_files(self):
        return [n for n in os.listdir(self.alias) if n.startswith("sleepy-uid.")]

    def remove_sleepy_files(self):
        for name in self.sleepy_files():
            os.unlink(os.path.join(self.alias, name))

    def test_usage_and_end_of_input(self):
        proc = run(self.root, "lspawn")
        self.assertEqual(proc.returncode, 100)
        self.assertIn("usage: lspawn defaultdelivery", proc.stderr)
        results, _, _ = self.drive(b"")
        self.assertEqual(results, [])


if __name__ == "__main__":
    unittest.main()
