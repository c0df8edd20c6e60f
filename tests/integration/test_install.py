"""make install, mailctl init and mailctl check, driven as an operator would."""
import os
import stat
import subprocess
import unittest

import support
from support import run

QUEUE_MODES = {
    # path: (owner, group, mode, split)
    "queue": ("msq", "mailsuite", 0o750, False),
    "queue/pid": ("msq", "mailsuite", 0o700, False),
    "queue/mess": ("msq", "mailsuite", 0o750, True),
    "queue/intd": ("msq", "mailsuite", 0o700, True),
    "queue/todo": ("msq", "mailsuite", 0o750, True),
    "queue/info": ("mss", "mailsuite", 0o700, True),
    "queue/local": ("mss", "mailsuite", 0o700, True),
    "queue/remote": ("mss", "mailsuite", 0o700, True),
    "queue/bounce": ("mss", "mailsuite", 0o700, False),
    "queue/lock": ("msq", "mailsuite", 0o750, False),
}


def snapshot(root):
    """Every path under root with its type, owner, group, mode and content digest."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            content = None
            if stat.S_ISREG(st.st_mode):
                with open(path, "rb") as f:
                    content = f.read()
            out[os.path.relpath(path, root)] = (stat.S_IFMT(st.st_mode), st.st_uid, st.st_gid,
                                                stat.S_IMODE(st.st_mode), content)
    return out


class InstallTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        assert os.geteuid() == 0, "the integration suite runs as root (as CI does)"
        cls.base, cls.root = support.new_root()
        proc = support.make_install(cls.root)
        assert proc.returncode == 0, proc.stderr

    @classmethod
    def tearDownClass(cls):
        support.remove(cls.base)

    def test_queue_tree_owners_and_modes(self):
        for rel, (owner, group, mode, split) in QUEUE_MODES.items():
            paths = [rel] + ([f"{rel}/{i}" for i in range(23)] if split else [])
            for p in paths:
                st = os.lstat(os.path.join(self.root, p))
                self.assertTrue(stat.S_ISDIR(st.st_mode), p)
                self.assertEqual(st.st_uid, support.uid(owner), p)
                self.assertEqual(st.st_gid, support.gid(group), p)
                self.assertEqual(stat.S_IMODE(st.st_mode), mode, f"{p}: {oct(st.st_mode)}")
            self.assertFalse(os.path.exists(os.path.join(self.root, rel, "23")))

    def test_lock_files(self):
        lock = os.path.join(self.root, "queue/lock")
        trigger = os.lstat(os.path.join(lock, "trigger"))
        self.assertTrue(stat.S_ISFIFO(trigger.st_mode))
        self.assertEqual(stat.S_IMODE(trigger.st_mode), 0o622)
        self.assertEqual(trigger.st_uid, support.uid("mss"))
        mutex = os.lstat(os.path.join(lock, "sendmutex"))
        self.assertEqual((mutex.st_uid, stat.S_IMODE(mutex.st_mode)), (support.uid("mss"), 0o600))
        tcpto = os.lstat(os.path.join(lock, "tcpto"))
        self.assertEqual((tcpto.st_uid, tcpto.st_size), (support.uid("msr"), 1024))

    def test_top_level_folders(self):
        for name in ["bin", "control", "control/tls", "queue", "users", "alias", "domains",
                     "service", "log", "doc", "man"]:
            self.assertTrue(os.path.isdir(os.path.join(self.root, name)), name)
        alias = os.lstat(os.path.join(self.root, "alias"))
        self.assertEqual(alias.st_uid, support.uid("msalias"))
        self.assertEqual(stat.S_IMODE(alias.st_mode), 0o2755)
        mailctl = os.lstat(os.path.join(self.root, "bin/mailctl"))
        self.assertEqual((mailctl.st_uid, stat.S_IMODE(mailctl.st_mode)), (0, 0o755))
        self.assertFalse(os.path.exists(os.path.join(self.root, "bin/instdir")))
        self.assertTrue(os.path.exists(os.path.join(self.root, "doc/README.md")))

    def test_accounts_exist(self):
        for name in ["msalias", "msd", "msl", "msp", "msq", "msr", "mss", "msvmail"]:
            support.uid(name)
        for name in ["mailsuite", "msnofiles"]:
            support.gid(name)
        self.assertEqual(support.gid("mailsuite"),
                         __import__("pwd").getpwnam("msq").pw_gid)

    def test_reinstall_changes_nothing_and_keeps_mail(self):
        base, root = support.new_root()
        try:
            self.assertEqual(support.make_install(root).returncode, 0)
            self.assertEqual(run(root, "mailctl", "init", "--hostname", "a.example").returncode, 0)
            # An operator's edit and a queued message must survive a reinstall.
            with open(os.path.join(root, "control/databytes"), "w") as f:
                f.write("1000000\n")
            mess = os.path.join(root, "queue/mess/5/12345")
            with open(mess, "w") as f:
                f.write("Subject: queued\n\nbody\n")
            os.chown(mess, support.uid("msq"), support.gid("mailsuite"))
            before = snapshot(root)
            proc = support.make_install(root)
            self.assertEqual(proc.returncode, 0, proc.stderr)
            after = snapshot(root)
            changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
            self.assertEqual(changed, set())
        finally:
            support.remove(base)

    def test_reinstall_repairs_modes(self):
        base, root = support.new_root()
        try:
            self.assertEqual(support.make_install(root).returncode, 0)
            todo = os.path.join(root, "queue/todo")
            os.chmod(todo, 0o777)
            os.chown(todo, 0, 0)
            self.assertEqual(support.make_install(root).returncode, 0)
            st = os.lstat(todo)
            self.assertEqual((st.st_uid, stat.S_IMODE(st.st_mode)), (support.uid("msq"), 0o750))
        finally:
            support.remove(base)

    def test_relative_root_refused(self):
        proc = subprocess.run(["make", "-s", "install", "ROOT=relative/ms", f"SAN={support.SAN}"],
                              cwd=support.TOP, capture_output=True, text=True, timeout=300)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("ROOT must be an absolute path", proc.stderr)


if __name__ == "__main__":
    unittest.main()
