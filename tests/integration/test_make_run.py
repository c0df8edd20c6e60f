"""make run: install, configure on first use, check, and say what it did."""
import os
import subprocess
import unittest

import support


def make_run(root):
    return subprocess.run(["make", "-s", "run", f"ROOT={root}", f"SAN={support.SAN}"],
                          cwd=support.TOP, capture_output=True, text=True, timeout=600)


class MakeRunTest(unittest.TestCase):
    def test_first_run_configures_and_second_keeps(self):
        base, root = support.new_root()
        try:
            first = make_run(root)
            self.assertEqual(first.returncode, 0, first.stdout + first.stderr)
            self.assertIn("wrote control/me", first.stdout)
            self.assertIn("no problems found", first.stdout)
            self.assertTrue(os.path.exists(os.path.join(root, "control/tls/cert.pem")))
            with open(os.path.join(root, "control/me"), "w") as f:
                f.write("kept.example\n")
            second = make_run(root)
            self.assertEqual(second.returncode, 0, second.stdout + second.stderr)
            self.assertIn("configured already", second.stdout)
            self.assertEqual(open(os.path.join(root, "control/me")).read(), "kept.example\n")
        finally:
            support.remove(base)


if __name__ == "__main__":
    unittest.main()
