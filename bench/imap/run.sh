#!/bin/sh
# bench/imap/run.sh - our imapd beside Dovecot's imap on the same mailbox (issue 9).
#
#     sh bench/imap/run.sh                    (as root, from anywhere in the repository)
#     N=10000 RUNS=3 sh bench/imap/run.sh
#
# Both servers run as the mailbox owner (nobody) in PREAUTH mode on a socketpair, as a
# login would leave them: ours is build/bin/imapd Maildir, Dovecot's is Debian's
# /usr/lib/dovecot/imap (dovecot-imapd, installed by tools/deps.sh test without starting
# any daemon) with a private config in the temporary directory. Each has its own copy of
# the same N messages (mixed sizes, every fifth multipart). bench/imap/bench.py runs a
# cold session each (no index or cache yet), then RUNS alternating warm sessions, and
# prints the times of each step, the server's CPU time and peak memory (VmHWM), the
# medians and the ratios. The trap removes the temporary directory.
set -eu
cd "$(dirname "$0")/../.."
N=${N:-10000}
RUNS=${RUNS:-3}
[ "$(id -u)" = 0 ] || { echo "run.sh: run as root" >&2; exit 111; }
[ -x /usr/lib/dovecot/imap ] || { echo "run.sh: no dovecot-imapd (sh tools/deps.sh test)" >&2; exit 111; }
[ -x build/bin/imapd ] || { echo "run.sh: build imapd first (make -j2 build/bin/imapd)" >&2; exit 111; }
base=$(mktemp -d /tmp/ms-imap-bench.XXXXXX)
chmod 755 "$base"
trap 'rm -rf "$base"' EXIT INT TERM
echo "imap benchmark: $N messages, $RUNS runs, $(date -u +%Y-%m-%dT%H:%MZ)"
python3 bench/imap/bench.py "$base" "$(pwd)/build/bin/imapd" "$N" "$RUNS"
