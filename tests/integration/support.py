"""Shared fixtures for the integration tests: temporary installs and program runs.

Every test installs into a temporary ROOT with `make install ROOT=...` exactly as an
operator installs into /var/mail-suite, then drives the installed programs.
"""
import os
import pwd
import grp
import shutil
import subprocess
import tempfile

TOP = os.environ.get("MS_TOP", os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
BUILD = os.environ.get("MS_BUILD", "build")
SAN = os.environ.get("MS_SAN", "0")


def make_install(root):
    """Runs `make install ROOT=root` from the top of the tree; returns the process."""
    return subprocess.run(["make", "-s", "install", f"ROOT={root}", f"SAN={SAN}"],
                          cwd=TOP, capture_output=True, text=True, timeout=600)


def new_root(prefix="ms-"):
    """A fresh temporary directory and the ROOT inside it (not created yet)."""
    base = tempfile.mkdtemp(prefix=prefix)
    os.chmod(base, 0o755)
    return base, os.path.join(base, "ms")


def run(root, program, *args, env=None, input=None, timeout=120):
    """Runs ROOT/bin/program with args; returns the CompletedProcess (text mode)."""
    return subprocess.run([os.path.join(root, "bin", program), *args], capture_output=True,
                          text=True, env=env, input=input, timeout=timeout)


def uid(name):
    return pwd.getpwnam(name).pw_uid


def gid(name):
    return grp.getgrnam(name).gr_gid


def copy_tree(src, dst):
    """Copies an install keeping owners, modes, fifos and links (cp -a)."""
    subprocess.run(["cp", "-a", src, dst], check=True)


def remove(base):
    shutil.rmtree(base, ignore_errors=True)
