"""newu on a real install: users/assign compiled into users/cdb, read back with tinycdb's
`cdb` tool; malformed files refused with the line named and the old table kept."""
import os
import stat
import subprocess
import unittest

import support
from support import run

GOOD = ("=joe:joe:507:100:/home/joe:::\n"
        "=Joe.Shmoe:joe:0503:78:/home/joe::x:\n"
        "+list-:lists:1001:1002:/srv/lists:-:x-:\n"
        "+:msalias:7790:2108:/var/mail-suite/alias:-::\n"
        ".\n")

# (file text, line named, problem) for each kind of malformed line.
ENTRY = "=joe:joe:507:100:/home/joe:::\n"
MALFORMED = [
    ("", 1, 'missing the final "." line'),
    (ENTRY, 2, 'missing the final "." line'),
    (ENTRY + "\n.\n", 2,
     'empty line (users/assign has no blank lines; it ends with a "." line)'),
    ("# users\n" + ENTRY + ".\n", 1, "comment line (users/assign has no comments)"),
    (ENTRY + ".end\n", 2, 'the end line must be a single "."'),
    (ENTRY + "joe:joe:507:100:/home/joe:::\n.\n", 2,
     'line starts with neither "=" (an address) nor "+" (a prefix)'),
    (ENTRY + "=joe:joe:507:100:/home/joe::\n.\n", 2, 'missing the final ":"'),
    ("=joe:joe:507:100\n.\n", 1, "missing fields: want =local:user:uid:gid:homedir:dash:ext:"),
    ("+joe-:joe\n.\n", 1, "missing fields: want +prefix:user:uid:gid:homedir:dash:pre:"),
    ("=joe:joe:507:100:/home/joe:::x\n.\n", 1, 'text after the final ":"'),
    ("=joe:joe:507:100:/home/joe::::\n.\n", 1, 'too many fields (a field cannot hold ":")'),
    ("=:joe:507:100:/home/joe:::\n.\n", 1, 'empty address after "="'),
    ("=joe::507:100:/home/joe:::\n.\n", 1, "empty user name"),
    ("=joe:joe:5o7:100:/home/joe:::\n.\n", 1, "uid is not a decimal number"),
    ("=joe:joe:4294967295:100:/home/joe:::\n.\n", 1, "uid out of range"),
    ("=joe:joe:0:100:/home/joe:::\n.\n", 1,
     "uid 0 is not allowed (lspawn never delivers as root)"),
    ("=joe:joe:507:staff:/home/joe:::\n.\n", 1, "gid is not a decimal number"),
    ("=joe:joe:507:99999999999:/home/joe:::\n.\n", 1, "gid out of range"),
    ("=joe:joe:507:100:home/joe:::\n.\n", 1, "home directory is not an absolute path"),
    ("=joe:joe:507:100:/home/joe:+::\n.\n", 1, 'dash is neither empty nor "-"'),
    ("=jo\0e:joe:507:100:/home/joe:::\n.\n", 1, "NUL byte in line"),
    ("=joe:joe:507:100:/home/joe:::" + "x" * 8200 + ":\n.\n", 1,
     "line too long (the limit is 8192 bytes)"),
    (ENTRY + ".\n" + "=late:joe:507:100:/home/joe:::\n", 3,
     'text after the final "." line (it would be ignored)'),
]


def cdb_query(path, key):
    """tinycdb's `cdb -q`: (exit code, value bytes); exit 100 means absent."""
    proc = subprocess.run(["cdb", "-q", path, key], capture_output=True, timeout=30)
    return proc.returncode, proc.stdout


def cdb_dump(path):
    """Every record as (key, value) bytes, in file order, parsed from `cdb -d`."""
    out = subprocess.run(["cdb", "-d", path], capture_output=True, check=True,
                         timeout=30).stdout
    records = []
    pos = 0
    while out[pos:pos + 1] == b"+":
        comma = out.index(b",", pos)
        colon = out.index(b":", comma)
        klen, dlen = int(out[pos + 1:comma]), int(out[comma + 1:colon])
        key = out[colon + 1:colon + 1 + klen]
        assert out[colon + 1 + klen:colon + 3 + klen] == b"->"
        start = colon + 3 + klen
        records.append((key, out[start:start + dlen]))
        pos = start + dlen + 1
    assert out[pos:] == b"\n", out[pos:]
    return records


class NewuTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        assert os.geteuid() == 0, "the integration suite runs as root (as CI does)"
        cls.base, cls.root = support.new_root()
        proc = support.make_install(cls.root)
        assert proc.returncode == 0, proc.stderr
        cls.assign = os.path.join(cls.root, "users", "assign")
        cls.cdb = os.path.join(cls.root, "users", "cdb")

    @classmethod
    def tearDownClass(cls):
        support.remove(cls.base)

    def write_assign(self, text):
        with open(self.assign, "w", newline="") as f:
            f.write(text)

    def newu(self, *args):
        return run(self.root, "newu", *args, timeout=60)

    def build_good(self):
        self.write_assign(GOOD)
        proc = self.newu()
        self.assertEqual((proc.returncode, proc.stderr), (0, ""))
        with open(self.cdb, "rb") as f:
            return f.read()

    def assert_cdb_kept(self, before, inode):
        with open(self.cdb, "rb") as f:
            self.assertEqual(f.read(), before)
        self.assertEqual(os.stat(self.cdb).st_ino, inode)
        self.assertFalse(os.path.exists(self.cdb + ".tmp"))

    def test_good_file_gives_qmail_newu_records(self):
        self.build_good()
        self.assertEqual(cdb_dump(self.cdb), [
            (b"!joe\0", b"joe\x00507\x00100\x00/home/joe\x00\x00"),
            (b"!joe.shmoe\0", b"joe\x00503\x0078\x00/home/joe\x00\x00x"),
            (b"!list-", b"lists\x001001\x001002\x00/srv/lists\x00-\x00x-"),
            (b"!", b"msalias\x007790\x002108\x00/var/mail-suite/alias\x00-\x00"),
            (b"", b"-"),
        ])
        # Keys without a NUL can be asked for on the command line.
        self.assertEqual(cdb_query(self.cdb, "!list-"),
                         (0, b"lists\x001001\x001002\x00/srv/lists\x00-\x00x-"))
        self.assertEqual(cdb_query(self.cdb, ""), (0, b"-"))
        self.assertEqual(cdb_query(self.cdb, "!joe")[0], 100)  # '=' keys end in NUL
        st = os.stat(self.cdb)
        self.assertEqual((stat.S_IMODE(st.st_mode), st.st_uid), (0o644, 0))
        # No temporary file is left beside the table (passwd is made by make install).
        self.assertEqual(sorted(os.listdir(os.path.dirname(self.cdb))),
                         ["assign", "cdb", "passwd"])

    def test_crlf_file_and_blank_lines_after_the_end(self):
        self.write_assign(GOOD.replace("\n", "\r\n") + "\r\n\n")
        proc = self.newu()
        self.assertEqual((proc.returncode, proc.stderr), (0, ""))
        self.assertEqual(cdb_query(self.cdb, "!list-"),
                         (0, b"lists\x001001\x001002\x00/srv/lists\x00-\x00x-"))

    def test_each_malformed_line_is_named_and_the_old_table_kept(self):
        before = self.build_good()
        inode = os.stat(self.cdb).st_ino
        for text, line, problem in MALFORMED:
            with self.subTest(problem=problem, line=line):
                self.write_assign(text)
                proc = self.newu()
                self.assertEqual(proc.returncode, 100, proc.stderr)
                self.assertEqual(proc.stderr,
                                 f"newu: fatal: users/assign line {line}: {problem}\n")
                self.assertEqual(proc.stdout, "")
                self.assert_cdb_kept(before, inode)

    def test_duplicates_are_warned_about_and_the_first_wins(self):
        self.write_assign("=dup:first:11:11:/first:::\n=DUP:second:12:12:/second:::\n.\n")
        proc = self.newu()
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stderr, "newu: warning: users/assign line 2: never used: "
                                      "line 1 has the same address or prefix\n")
        self.assertEqual([k for k, _ in cdb_dump(self.cdb)], [b"!dup\0", b"!dup\0", b""])

    def test_missing_or_unreadable_assign_is_temporary(self):
        before = self.build_good()
        inode = os.stat(self.cdb).st_ino
        os.unlink(self.assign)
        proc = self.newu()
        self.assertEqual(proc.returncode, 111)
        self.assertEqual(proc.stderr, "newu: fatal: users/assign: unable to open for reading: "
                                      "No such file or directory\n")
        self.assert_cdb_kept(before, inode)
        os.mkdir(self.assign)
        try:
            proc = self.newu()
            self.assertEqual(proc.returncode, 111)
            self.assertEqual(proc.stderr,
                             "newu: fatal: users/assign: unable to read: Is a directory\n")
            self.assert_cdb_kept(before, inode)
        finally:
            os.rmdir(self.assign)

    def test_write_failure_is_temporary_and_keeps_the_old_table(self):
        before = self.build_good()
        inode = os.stat(self.cdb).st_ino
        os.mkdir(self.cdb + ".tmp")  # open(O_TRUNC) of a directory fails: EISDIR
        try:
            proc = self.newu()
            self.assertEqual(proc.returncode, 111)
            self.assertTrue(proc.stderr.startswith(
                "newu: fatal: unable to write users/cdb (through users/cdb.tmp): "),
                proc.stderr)
            self.assertIn("Is a directory", proc.stderr)
            with open(self.cdb, "rb") as f:
                self.assertEqual(f.read(), before)
            self.assertEqual(os.stat(self.cdb).st_ino, inode)
        finally:
            os.rmdir(self.cdb + ".tmp")

    def test_the_table_is_replaced_by_rename(self):
        before = self.build_good()
        old_inode = os.stat(self.cdb).st_ino
        reader = open(self.cdb, "rb")  # a reader of the old table, like a running lspawn
        try:
            # A leftover from a crashed build is overwritten, not an obstacle.
            with open(self.cdb + ".tmp", "w") as f:
                f.write("half a table")
            self.write_assign("=ann:ann:600:600:/home/ann:::\n.\n")
            proc = self.newu()
            self.assertEqual((proc.returncode, proc.stderr), (0, ""))
            self.assertNotEqual(os.stat(self.cdb).st_ino, old_inode)
            self.assertFalse(os.path.exists(self.cdb + ".tmp"))
            self.assertEqual(reader.read(), before)  # the old file is intact
            self.assertEqual([k for k, _ in cdb_dump(self.cdb)], [b"!ann\0", b""])
        finally:
            reader.close()

    def test_arguments_are_a_usage_error(self):
        proc = self.newu("users/assign")
        self.assertEqual(proc.returncode, 100)
        self.assertEqual(proc.stderr, "newu: fatal: usage: newu (it takes no arguments)\n")


if __name__ == "__main__":
    unittest.main()
