"""lspawn as installed, driven over its pipes exactly as send drives it (issue 4).

Each case starts ROOT/bin/lspawn ./Maildir/ as root, reads the byte that announces its
slots, writes commands (slot byte, message id NUL, sender NUL, recipient NUL), closes its
input and reads the results (slot byte, letter, text, NUL) until lspawn exits. Messages
are files in ROOT/queue/mess owned by the queue account, as the queue leaves them.
Deliveries run local's real code (in lspawn's forked children) to the alias account's files
under ROOT/alias (`mailctl init` writes .qmail-postmaster and alias/Maildir/); one case
compares what a .qmail program sees there with what ROOT/bin/local run directly gives it.
"""
import os
import pwd
import re
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


def is_delivery(pid, lspawn_pid):
    """True for a running child of lspawn that is a delivery as the recipient: one named
    local (lspawn's forked children name themselves so after taking the recipient's ids;
    an exec'd ROOT/bin/local has that name too)."""
    with open(f"/proc/{pid}/stat") as f:
        name, _, rest = f.read().partition("(")[2].rpartition(") ")
    state, ppid = rest.split()[:2]
    return name == "local" and state != "Z" and int(ppid) == lspawn_pid


def without_date(text):
    """text with the date of a UFLINE (the two runs may fall in different seconds) cut."""
    return re.sub(r"^(UFLINE=From \S+  ).*$", r"\1DATE", text, flags=re.M)


def status_fields(text, names):
    """{name: value} of the lines NAME:\tVALUE of a /proc/PID/status text."""
    out = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key in names:
            out[key] = value.strip()
    return out


# What a .qmail program can see of itself and of the local process that runs it ($PPID):
# ids, groups, umask, signal masks, capabilities, limits, environment, directory, stdin;
# and whether the recipient can read local's memory (its environ needs ptrace access).
# The shell reads its own status with builtins: while it forks, dash blocks signals.
# local starts each program with posix_spawn, which blocks every signal in local until the
# child has exec'd: the first line looks again (at most 1 s) until local has unblocked them.
PROBE = """|for i in 1 2 3 4 5 6 7 8 9 10; do cat /proc/$PPID/status > probe.local-status; \
grep -q '^SigBlk:.0000000000000000$' probe.local-status && break; sleep 0.1; done; \
cat /proc/$PPID/limits > probe.local-limits
|while IFS= read -r l; do echo "$l"; done < /proc/$$/status > probe.status
|env | sort > probe.env; pwd > probe.pwd; cat > probe.in
|if cat /proc/$PPID/environ >/dev/null 2>&1; then echo readable; else echo protected; fi >probe.mem
"""
# The status lines that exec of bin/local and lspawn's fork must give alike. The caught
# signals too, except in the sanitizer build: there bin/local has the sanitizers' handlers
# from its start, and lspawn's fork resets them, as exec does.
SAME_STATUS = ("Name", "Umask", "Uid", "Gid", "Groups", "SigBlk", "SigIgn", "CapInh", "CapPrm",
               "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp") \
    + (("SigCgt",) if support.SAN != "1" else ())


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
            # While the deliveries sleep, every delivery process (a child of lspawn named
            # local) runs as msalias and holds the message, the output pipe and nothing else;
            # lspawn runs as root.
            deadline = time.monotonic() + 2
            while time.monotonic() < deadline and len(seen) < 6:
                for pid in os.listdir("/proc"):
                    if not pid.isdigit() or pid in seen:
                        continue
                    try:
                        if is_delivery(pid, lspawn.pid):
                            seen[pid] = proc_status(pid)
                            seen[pid]["fds"] = {fd: os.readlink(f"/proc/{pid}/fd/{fd}")
                                                for fd in os.listdir(f"/proc/{pid}/fd")}
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
        message = os.path.join(self.root, "queue", "mess", self.msgid)
        for status in seen.values():
            self.assertEqual(status["Uid"], [self.alias_uid] * 4)
            self.assertEqual(status["Gid"], [self.alias_gid] * 4)
            self.assertEqual(status["Groups"], [self.alias_gid])
            fds = status["fds"]
            # Beyond 0, 1 and 2 only what local opened itself: the postmaster delivery may
            # be seen while it writes its Maildir file, syncs new/ or reads the time zone.
            own = (os.path.join(self.root, "alias", "Maildir") + "/", "/usr/share/zoneinfo/",
                   "/etc/localtime")
            extra = {fd: target for fd, target in fds.items() if fd not in ("0", "1", "2")}
            self.assertTrue(all(t.startswith(own) for t in extra.values()), fds)
            self.assertEqual(sorted(set(fds) - set(extra)), ["0", "1", "2"], fds)
            self.assertEqual(fds["0"], message)
            self.assertTrue(fds["1"].startswith("pipe:"), fds)
            self.assertEqual(fds["1"], fds["2"])
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

    def probe_files(self):
        """{name: text} of the probe.* files the PROBE lines wrote, which are removed."""
        out = {}
        for name in os.listdir(self.alias):
            if name.startswith("probe."):
                path = os.path.join(self.alias, name)
                with open(path, encoding="latin-1") as f:
                    out[name[len("probe."):]] = f.read()
                os.unlink(path)
        return out

    def run_bin_local(self, recipient_local, sender):
        """ROOT/bin/local run as lspawn ran it before it forked instead: as msalias (its
        gid, no other groups), in ROOT/alias, with lspawn's delivery environment, the
        message file on fd 0 and one pipe as fd 1 and 2. Returns (exit code, output)."""
        env = {"PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin")}
        for name in ("TZ", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if name in os.environ:
                env[name] = os.environ[name]
        local = os.path.join(self.root, "bin", "local")
        with open(os.path.join(self.root, "queue", "mess", self.msgid), "rb") as message:
            proc = subprocess.run(
                ["setpriv", f"--reuid={self.alias_uid}", f"--regid={self.alias_gid}",
                 f"--groups={self.alias_gid}", "--", local, "--", "msalias", self.alias,
                 recipient_local, "-", recipient_local, HOST, sender, "./Maildir/"],
                stdin=message, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                cwd=self.alias, timeout=30)
        return proc.returncode, proc.stdout.decode()

    def test_programs_see_what_bin_local_gave_them(self):
        self.dot_qmail("probe", PROBE)
        self.probe_files()
        results, _, err = self.drive(command(9, self.msgid, "a@b", "probe@" + HOST))
        self.assertEqual(results, [(9, "Kdid 0+0+4\n")], err)
        forked = self.probe_files()
        code, out = self.run_bin_local("probe", "a@b")
        self.assertEqual((code, out), (0, "did 0+0+4\n"))
        execd = self.probe_files()
        self.assertEqual(sorted(forked), ["env", "in", "local-limits", "local-status", "mem",
                                          "pwd", "status"])
        self.assertEqual(forked["in"], MESSAGE.decode())
        self.assertEqual(forked["pwd"], self.alias + "\n")
        self.assertIn("RECIPIENT=probe@" + HOST + "\n", forked["env"])
        for name in ("env", "in", "pwd", "local-limits"):
            self.assertEqual(without_date(forked[name]), without_date(execd[name]), name)
        for name in ("status", "local-status"):
            want = status_fields(execd[name], SAME_STATUS)
            self.assertEqual(len(want), len(SAME_STATUS), execd[name])
            self.assertEqual(status_fields(forked[name], SAME_STATUS), want, name)
        local = status_fields(forked["local-status"], SAME_STATUS)
        self.assertEqual(local["Name"], "local")
        self.assertEqual(local["Umask"], "0077")
        self.assertEqual(local["Groups"], str(self.alias_gid))
        self.assertEqual(local["SigBlk"], "0000000000000000")
        # The forked local holds lspawn's memory image: the recipient must not read it.
        self.assertEqual(forked["mem"], "protected\n")

    def test_a_crashing_delivery_is_a_temporary_failure(self):
        # The program kills its local process with SIGSEGV: a crash of local's own code.
        self.dot_qmail("crash", "|exec > /dev/null 2>&1; kill -SEGV $PPID\n")
        before = self.maildir_new()
        results, _, err = self.drive(
            command(4, self.msgid, "a@b", "crash@" + HOST)
            + command(5, self.msgid, "a@b", "postmaster@" + HOST))
        self.assertEqual(dict(results), {4: "Zlocal crashed.\n", 5: "Kdid 1+0+0\n"}, err)
        self.assertEqual(len(self.maildir_new()) - len(before), 1)  # lspawn went on

    def test_usage_and_end_of_input(self):
        proc = run(self.root, "lspawn")
        self.assertEqual(proc.returncode, 100)
        self.assertIn("usage: lspawn defaultdelivery", proc.stderr)
        results, _, _ = self.drive(b"")
        self.assertEqual(results, [])


if __name__ == "__main__":
    unittest.main()
