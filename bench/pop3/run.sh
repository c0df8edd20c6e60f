#!/bin/sh
# bench/pop3/run.sh - our pop3d beside Dovecot's (issue 8).
#
#     sh bench/pop3/run.sh                    (as root, from anywhere in the repository)
#     N=5000 SIZE=4096 RUNS=3 sh bench/pop3/run.sh
#
# A Maildir of N messages of SIZE bytes (in cur/, owned by msvmail) is served by
#   ours:    `make install` into a temporary ROOT, `mailctl init`, `mailctl domain add
#            bench.test`, `mailctl user add u@bench.test`; ROOT/bin/pop3d is started as
#            root per connection by a loopback accept loop (as tcpserver would);
#   Dovecot: Debian's dovecot-pop3d (tools/deps.sh test installs it without starting
#            it), a private instance with its own config, base_dir and log in the
#            temporary directory, listening on a free loopback port, passwd-file passdb,
#            static userdb (msvmail), the same messages in its own copy of the Maildir.
# Each session (Python's poplib): USER/PASS, LIST, UIDL, RETR of every message, QUIT.
# A warm-up session each, then RUNS alternating sessions; bench/pop3/bench.py prints each
# run, the medians and the ratios: wall time, CPU time of the connection's server
# processes (ours: pop3d and every process it started, from wait4; Dovecot: pop3 and
# pop3-login, from /proc), the peak memory (VmHWM) of the session process, and the PSS
# of all the connection's processes (ours: monitor, front, session; Dovecot: pop3, and
# pop3-login if it has not exited yet). Dovecot's shared daemons (master, auth, config,
# log, anvil) and our tcpserver stand-in are not counted.
# The trap stops Dovecot and removes the temporary directory.
set -eu
cd "$(dirname "$0")/../.."
N=${N:-5000}
SIZE=${SIZE:-4096}
RUNS=${RUNS:-3}
[ "$(id -u)" = 0 ] || { echo "run.sh: run as root" >&2; exit 111; }
command -v dovecot >/dev/null || { echo "run.sh: no dovecot (sh tools/deps.sh test)" >&2; exit 111; }
base=$(mktemp -d /tmp/ms-pop3-bench.XXXXXX)
chmod 755 "$base"
trap 'for p in $(cat "$base/dovecot/run/master.pid" 2>/dev/null); do kill "$p" 2>/dev/null || true; done; sleep 1; rm -rf "$base"' EXIT INT TERM
root=$base/ms
make -s install ROOT="$root" >/dev/null
"$root/bin/mailctl" init --hostname bench.test >/dev/null
"$root/bin/mailctl" domain add bench.test >/dev/null
echo "bench password 1" | "$root/bin/mailctl" user add u@bench.test --password-stdin >/dev/null
echo "pop3 benchmark: $N messages of $SIZE bytes, $RUNS runs, $(date -u +%Y-%m-%dT%H:%MZ)"
python3 bench/pop3/bench.py "$base" "$root" "$N" "$SIZE" "$RUNS"
