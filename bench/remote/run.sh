#!/bin/sh
# bench/remote/run.sh - remote delivery beside Postfix's SMTP client (issue 6).
#
#     sh bench/remote/run.sh                  (as root, from anywhere in the repository)
#     N=5000 SIZE=4096 RUNS=1 CONCURRENCY=20 TIMEOUT=600 sh bench/remote/run.sh
#     RCPTS=10 N=500 sh bench/remote/run.sh    (each message to u1..u10@remote.example)
#     RCPTS=10 GROUPS=0 N=500 sh bench/remote/run.sh   (one transaction per recipient)
#     REMOTE_BIN=/tmp/remote-variant sh bench/remote/run.sh   (another bin/remote: only the
#                                             standalone memory figure uses it now)
#
# One smtp-sink (Postfix's test server, discarding everything) listens on 127.0.0.1 and a
# free port. Both systems relay N messages of SIZE bytes for u@remote.example (RCPTS > 1:
# each message for u1..uRCPTS@remote.example) to it with CONCURRENCY parallel deliveries
# (our concurrencyremote, Postfix's default_destination_concurrency_limit). With several
# recipients both send them in one transaction: send groups a message's recipients by
# domain (up to 100) into one rspawn command, Postfix's smtp_destination_recipient_limit
# (default 50) does the same; the table then also gives recipients/s and CPU per
# recipient. GROUPS=0 turns grouping off on both sides, for comparison: our messages get
# a VERP sender (bench-@example.org-@[]: send never groups those, every recipient has its
# own delivery, as in qmail), Postfix gets smtp_destination_recipient_limit = 1:
#   ours:    `make install` into a temporary ROOT, `mailctl init`, control/smtproutes
#            `remote.example:[127.0.0.1]:PORT`; the messages are injected with send
#            stopped (ROOT/bin/inject), then `ROOT/bin/start` runs and the clock runs
#            until queue/mess is empty (send -> rspawn -> one forked delivery child per
#            message and domain, running remote's code without an exec).
#   Postfix: a throwaway instance (`postfix -c DIR`, nothing listening) with
#            relayhost [127.0.0.1]:PORT; the messages go into maildrop with sendmail while
#            it is stopped, then it starts and the clock runs until its log shows N x RCPTS
#            "status=sent" lines and the queue is empty.
# CPU: clock ticks of send and its helpers with the children they reaped (rspawn reaps
# every delivery child), and of Postfix's master and its children, per message.
# With RUNS > 1 the two systems alternate and a last line gives the medians.
# Then the peak RSS of one remote delivering one message (GNU time), and its private
# memory (Private_Clean + Private_Dirty of /proc/PID/smaps_rollup at the moment of the
# final reply, with a sink that waits before answering); the same for one delivery child
# of rspawn (bench/remote/memory.py).
# Every wait is bounded; the trap stops everything and removes the temporary directory.
set -eu
cd "$(dirname "$0")/../.."
. bench/lib.sh
N=${N:-5000}
SIZE=${SIZE:-4096}
RUNS=${RUNS:-1}
CONCURRENCY=${CONCURRENCY:-20}
TIMEOUT=${TIMEOUT:-600}
RCPTS=${RCPTS:-1}
case $RCPTS in '' | *[!0-9]* | 0) die "RCPTS must be a positive number" ;; esac
if [ "$RCPTS" = 1 ]; then
    RCPT_LIST=u@remote.example
else
    RCPT_LIST=$(seq -f 'u%g@remote.example' 1 "$RCPTS" | tr '\n' ' ')
fi
DELIVERIES=$((N * RCPTS))
GROUPS=${GROUPS:-1}
if [ "$GROUPS" = 0 ]; then
    OUR_SENDER='bench-@example.org-@[]'
    PF_RCPT_LIMIT=1
else
    OUR_SENDER=bench@example.org
    PF_RCPT_LIMIT=50
fi

[ "$(id -u)" = 0 ] || die "run as root"
umask 022
command -v smtp-sink >/dev/null || die "smtp-sink missing: sh tools/deps.sh test"
command -v postfix >/dev/null || die "postfix missing: sh tools/deps.sh test"
make -j2 all >/dev/null

W=$(mktemp -d /tmp/bench_remote.XXXXXX)
chmod 755 "$W"
ROOT=$W/ms
PF=$W/pf
SINK_PID=""
SEND_PID=""

pf_running() { postfix -c "$PF/conf" status >/dev/null 2>&1; }
ours_stop() {
    [ -n "$SEND_PID" ] || return 0
    kill -TERM "$SEND_PID" 2>/dev/null || true
    wait "$SEND_PID" 2>/dev/null || true
    SEND_PID=""
}
cleanup() {
    status=$?
    set +e
    ours_stop
    [ -f "$PF/conf/main.cf" ] && pf_running && postfix -c "$PF/conf" stop >/dev/null 2>&1
    [ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null && wait "$SINK_PID" 2>/dev/null
    rm -rf "$W"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
smtp-sink -u postfix 127.0.0.1:"$PORT" 256 &
SINK_PID=$!

# The message: a header and SIZE bytes in all of 76-character lines.
python3 - "$SIZE" >"$W/message" <<'PY'
import sys
size = int(sys.argv[1])
head = "From: bench@example.org\nTo: u@remote.example\nSubject: remote bench\n\n"
line = "x" * 75 + "\n"
body = line * ((size - len(head)) // len(line))
sys.stdout.write(head + body + "y" * (size - len(head) - len(body) - 1) + "\n")
PY

# --- ours
make -s install ROOT="$ROOT" >/dev/null 2>&1 || die "make install ROOT=$ROOT failed"
"$ROOT/bin/mailctl" init --hostname bench.example >/dev/null
echo "remote.example:[127.0.0.1]:$PORT" >"$ROOT/control/smtproutes"
echo "$CONCURRENCY" >"$ROOT/control/concurrencyremote"
[ -z "${REMOTE_BIN:-}" ] || install -m 755 "$REMOTE_BIN" "$ROOT/bin/remote"
# CPU clock ticks used so far by the processes given and by the children they reaped.
ticks() {
    for pid in "$@"; do
        sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null || true
    done | awk '{ s += $12 + $13 + $14 + $15 } END { print s + 0 }'
}
per_msg_ms() { awk -v t="$1" -v hz="$(getconf CLK_TCK)" -v n="$N" 'BEGIN { printf "%.2f", t * 1000 / hz / n }'; }
per_rcpt_ms() { awk -v t="$1" -v hz="$(getconf CLK_TCK)" -v n="$DELIVERIES" 'BEGIN { printf "%.3f", t * 1000 / hz / n }'; }
# "seconds msg/s CPU-ms/msg rcpt/s CPU-ms/rcpt" from start, end and clock ticks.
figures() {
    echo "$(awk -v a="$1" -v b="$2" -v n="$N" 'BEGIN { printf "%.1f %.1f", b - a, n / (b - a) }') $(per_msg_ms "$3")" \
        "$(awk -v a="$1" -v b="$2" -v n="$DELIVERIES" 'BEGIN { printf "%.1f", n / (b - a) }') $(per_rcpt_ms "$3")"
}
queue_empty() { [ -z "$(find "$ROOT/queue/mess" -type f | head -1)" ]; }
ours_run() {
    i=0
    while [ "$i" -lt "$N" ]; do
        # shellcheck disable=SC2086 # one word per recipient
        "$ROOT/bin/inject" -f "$OUR_SENDER" $RCPT_LIST <"$W/message"
        i=$((i + 1))
    done
    t0=$(now)
    "$ROOT/bin/start" ./Maildir/ </dev/null >"$W/send.log" 2>&1 &
    SEND_PID=$!
    sleep 0.2
    helpers=$(pgrep -P "$SEND_PID" | tr '\n' ' ')
    wait_for "$TIMEOUT" queue_empty || die "ours: queue not empty after $TIMEOUT s"
    t1=$(now)
    c1=$(ticks "$SEND_PID" $helpers)
    ours_stop
    sent=$(grep -c 'success: 127.0.0.1_accepted_message' "$W/send.log" || true)
    [ "$sent" = "$DELIVERIES" ] || die "ours: $sent successes in the log, want $DELIVERIES"
    OURS=$(figures "$t0" "$t1" "$c1")
}

# --- Postfix
pf_dirs "$PF"
{
    pf_main_cf "$PF" loopback-only
    echo "relayhost = [127.0.0.1]:$PORT"
    echo "default_destination_concurrency_limit = $CONCURRENCY"
    echo "smtp_tls_security_level = none"
    echo "smtp_destination_recipient_limit = $PF_RCPT_LIMIT"
} >"$PF/conf/main.cf"
{
    pf_master_cf
    echo "smtp       unix  - - n -     - smtp"
    echo "relay      unix  - - n -     - smtp"
} >"$PF/conf/master.cf"
pf_check "$PF"
pf_stopped() { ! pf_running; }
pf_done() {
    [ "$(grep -c 'status=sent' "$PF/maillog" 2>/dev/null || true)" -ge "$DELIVERIES" ] &&
        [ -z "$(find "$PF/queue/maildrop" "$PF/queue/incoming" "$PF/queue/active" \
            "$PF/queue/deferred" -type f 2>/dev/null | head -1)" ]
}
pf_run() {
    : >"$PF/maillog"
    i=0
    while [ "$i" -lt "$N" ]; do
        # shellcheck disable=SC2086
        /usr/sbin/sendmail -C "$PF/conf" -f bench@example.org $RCPT_LIST <"$W/message"
        i=$((i + 1))
    done
    t0=$(now)
    postfix -c "$PF/conf" start >/dev/null 2>&1 || die "postfix start failed"
    master=$(tr -d ' ' <"$PF/queue/pid/master.pid")
    wait_for "$TIMEOUT" pf_done || die "Postfix: not done after $TIMEOUT s"
    t1=$(now)
    c1=$(ticks "$master" $(pgrep -P "$master"))
    postfix -c "$PF/conf" stop >/dev/null 2>&1
    wait_for 60 pf_stopped || die "Postfix did not stop"
    PF_RES=$(figures "$t0" "$t1" "$c1")
}
# postdrop needs the queue's directories: one start and stop makes them.
postfix -c "$PF/conf" start >/dev/null 2>&1 || die "postfix start failed"
postfix -c "$PF/conf" stop >/dev/null 2>&1
wait_for 60 pf_stopped || die "Postfix did not stop"

echo "machine: $(nproc) CPUs, load before: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "workload: $N messages of $SIZE bytes, each to $RCPTS recipient(s) at remote.example -> smtp-sink 127.0.0.1:$PORT, concurrency $CONCURRENCY, recipient groups $([ "$GROUPS" = 0 ] && echo off || echo on)"
echo
if [ "$RCPTS" = 1 ]; then
    echo "| run | load | ours s | ours msg/s | ours CPU ms/msg | Postfix s | Postfix msg/s | Postfix CPU ms/msg | ours / Postfix |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
else
    echo "| run | load | ours s | ours msg/s | ours rcpt/s | ours CPU ms/msg | ours CPU ms/rcpt | Postfix s | Postfix msg/s | Postfix rcpt/s | Postfix CPU ms/msg | Postfix CPU ms/rcpt | ours / Postfix |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
fi
r=1
while [ "$r" -le "$RUNS" ]; do
    load=$(cut -d' ' -f1 /proc/loadavg)
    ours_run
    pf_run
    set -- $OURS
    o_s=$1 o_r=$2 o_c=$3 o_rr=$4 o_rc=$5
    set -- $PF_RES
    if [ "$RCPTS" = 1 ]; then
        echo "| $r | $load | $o_s | $o_r | $o_c | $1 | $2 | $3 | $(ratio "$o_r" "$2") |"
    else
        echo "| $r | $load | $o_s | $o_r | $o_rr | $o_c | $o_rc | $1 | $2 | $4 | $3 | $5 | $(ratio "$o_r" "$2") |"
    fi
    echo "$o_r $o_c $2 $3" >>"$W/rows"
    r=$((r + 1))
done
column_median() { # column $1 of $W/rows (the mean of the middle two for an even count)
    cut -d' ' -f"$1" "$W/rows" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
if [ "$RUNS" -gt 1 ]; then
    m_or=$(column_median 1) m_oc=$(column_median 2) m_pr=$(column_median 3) m_pc=$(column_median 4)
    echo "| median | | | $m_or | $m_oc | | $m_pr | $m_pc | $(ratio "$m_or" "$m_pr") |"
fi

# --- memory of one remote
python3 bench/remote/memory.py "$ROOT" "$W/message"
