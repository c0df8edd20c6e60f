"""TLS fixtures for the integration tests: a throwaway CA, certificates it signs, and
installing a certificate as the server's ROOT/control/tls/{cert.pem,key.pem}.

    ca = tls_support.make_ca(tmp)                     # CA(cert=..., key=...)
    leaf = tls_support.make_cert(tmp, ca)             # Cert(cert=..., key=...) for
                                                      # localhost and 127.0.0.1
    tls_support.install_cert(root, leaf.cert, leaf.key)
    ctx = tls_support.client_context(ca.cert)         # ssl.SSLContext trusting only ca
    smtp.starttls(context=ctx)

Keys are EC P-256 and certificates carry a subjectAltName (DNS names and IP addresses),
made with the `openssl` command; everything is valid for 30 days from now. Each call
writes new files into the given directory (the caller removes it).
"""
import collections
import ipaddress
import os
import pwd
import shutil
import ssl
import subprocess

CA = collections.namedtuple("CA", "cert key")
Cert = collections.namedtuple("Cert", "cert key")

# The owner of control/tls/key.pem, as `mailctl init` sets it (conf.mk USER_DAEMON).
KEY_OWNER = os.environ.get("USER_DAEMON", "msd")

_DAYS = "30"
_NEW_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


def _openssl(*args):
    proc = subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise RuntimeError(f"openssl {args[0]} failed: {proc.stderr.strip()}")


def _unused(directory, stem):
    """directory/stem, or directory/stem-N when that exists already."""
    n = 0
    while True:
        base = os.path.join(directory, stem if n == 0 else f"{stem}-{n}")
        if not os.path.exists(base + ".pem"):
            return base
        n += 1


def make_ca(directory, name="mail-suite test CA"):
    """A self-signed CA certificate and key in directory; returns CA(cert, key) paths."""
    base = _unused(directory, "ca")
    _openssl("req", "-x509", *_NEW_KEY, "-days", _DAYS, "-subj", f"/CN={name}",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign",
             "-keyout", base + ".key", "-out", base + ".pem")
    return CA(base + ".pem", base + ".key")


def make_cert(directory, ca, names=("localhost", "127.0.0.1")):
    """A server certificate signed by ca (from make_ca) for names (host names and IP
    addresses; the first is also the CN); returns Cert(cert, key) paths. The cert file
    holds the leaf only, as control/tls/cert.pem may."""
    base = _unused(directory, "server")
    alt = ",".join(f"IP:{n}" if _is_ip(n) else f"DNS:{n}" for n in names)
    ext = base + ".ext"
    with open(ext, "w") as f:
        f.write(f"subjectAltName={alt}\nbasicConstraints=critical,CA:FALSE\n"
                "keyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\n")
    _openssl("req", "-new", *_NEW_KEY, "-subj", f"/CN={names[0]}",
             "-keyout", base + ".key", "-out", base + ".csr")
    _openssl("x509", "-req", "-in", base + ".csr", "-CA", ca.cert, "-CAkey", ca.key,
             "-set_serial", str(int.from_bytes(os.urandom(8), "big")), "-days", _DAYS,
             "-extfile", ext, "-out", base + ".pem")
    return Cert(base + ".pem", base + ".key")


def install_cert(root, cert, key):
    """Copies cert and key to ROOT/control/tls/cert.pem (root, 0644) and key.pem
    (KEY_OWNER and its group, 0400), the owners and modes `mailctl init` gives its
    self-signed pair; returns the two installed paths. Runs as root (as the tests do)."""
    tls_dir = os.path.join(root, "control", "tls")
    os.makedirs(tls_dir, mode=0o755, exist_ok=True)
    for src, name, owner, mode in ((cert, "cert.pem", "root", 0o644),
                                   (key, "key.pem", KEY_OWNER, 0o400)):
        dst = os.path.join(tls_dir, name)
        tmp = dst + ".tmp"
        shutil.copyfile(src, tmp)
        account = pwd.getpwnam(owner)
        os.chown(tmp, account.pw_uid, account.pw_gid)
        os.chmod(tmp, mode)
        os.replace(tmp, dst)
    return os.path.join(tls_dir, "cert.pem"), os.path.join(tls_dir, "key.pem")


def client_context(ca_cert=None):
    """An ssl.SSLContext for test clients: verifying the server against ca_cert (and its
    name), or, without ca_cert, not verifying at all (for self-signed servers)."""
    if ca_cert:
        return ssl.create_default_context(cafile=ca_cert)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _is_ip(name):
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return False
