#!/bin/sh
# bench/smtp/run.sh - SMTP reception beside Postfix and smtp-sink (issue 5).
#
#     sh bench/smtp/run.sh                     (as root, from anywhere in the repository)
#     N=5000 S=20 SIZE=4096 RUNS=3 TIMEOUT=300 sh bench/smtp/run.sh
#     SMTPD=/path/to/smtpd sh bench/smtp/run.sh   (another build of smtpd, e.g. linked
#                                                  statically, replaces ROOT/bin/smtpd)
#     BASE=/mnt/ext4j sh bench/smtp/run.sh         (the temporary directory, and so both
#                                                  queues and Maildirs, on another file
#                                                  system; default /tmp)
#
# ours:    `make install` into a temporary ROOT, `mailctl init --hostname bench.example`,
#          `ROOT/bin/start ./Maildir/` for the deliveries, and
#          `tcpserver -v -H -R -l bench.example -x rules.cdb -u msd -g msnofiles 127.0.0.1 PORT
#          ROOT/bin/smtpd` (rules: 127.0.0.1 may relay; -H -R -l as in the smtp service
#          mailctl init writes: no DNS lookup of the client). msbench is a system account made
#          for the run (home in the temporary directory, default delivery ./Maildir/).
# Postfix: a throwaway instance of Debian's package (as bench/delivery/run.sh: its own
#          main.cf, master.cf, queue and log, no chroot) with one smtpd listener on
#          127.0.0.1:PORT2, delivering pf.example with virtual(8) to msbench's Maildir.
# sink:    `smtp-sink -u nobody 127.0.0.1:PORT3 1000`, which answers SMTP and stores nothing: the
#          ceiling of the client and the loopback on this machine.
# Each run: `smtp-source -s S -m N -l SIZE -f bench@example.org -t RCPT 127.0.0.1:PORT`
# (S parallel sessions, one message per connection). "accept" is N over the time until
# smtp-source returned (every message got its 250); "delivered" is the time until the Nth
# file is in Maildir/new (polled every 50 ms) with the mail system freshly started. The
# contenders alternate RUNS times; the script prints every run, the medians and the ratio
# ours/Postfix (target: at least 1.5). Then the memory of one server process in the
# middle of a 4 MB DATA, plaintext and after STARTTLS (bench/smtp/rss.py: VmHWM, VmRSS,
# RssAnon in KiB; target for ours: under 2 MB per connection). "machine CPU" is all busy
# CPU of the VM from the first connection until the last delivery, per message (other
# load on the machine included). Last, "reception only": one more run of ours with no
# send running (messages stay in the queue, removed afterwards), after a minute's pause,
# the ceiling of tcpserver + smtpd + queue when no delivery competes for the CPU.
# Every wait is bounded; the trap stops everything and removes the temporary directory
# and the msbench account. Only loopback addresses are used.
set -eu
cd "$(dirname "$0")/../.."
. bench/lib.sh
N=${N:-5000}
S=${S:-20}
SIZE=${SIZE:-4096}
RUNS=${RUNS:-3}
TIMEOUT=${TIMEOUT:-300}
USER_NAME=msbench

[ "$(id -u)" = 0 ] || die "run as root (make install creates accounts; Postfix runs as root)"
umask 022
for tool in smtp-source smtp-sink postfix python3; do
    command -v "$tool" >/dev/null || die "$tool missing (sh tools/deps.sh test)"
done
drop_leftover_account "$USER_NAME"
make -j2 all >/dev/null

BASE=${BASE:-/tmp}
W=$(mktemp -d "$BASE/bench_smtp.XXXXXX")
chmod 755 "$W"
ROOT=$W/ms
PF=$W/pf
HOME_DIR=$W/home/$USER_NAME
SEND_PID="" SERVER_PID="" SINK_PID="" USER_MADE=""

stop_pid() { # $1: pid started by this script; TERM, then KILL after 60 s
    [ -n "$1" ] || return 0
    kill -TERM "$1" 2>/dev/null || true
    wait_for 60 gone "$1" || kill -KILL "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}
pf_running() { postfix -c "$PF/conf" status >/dev/null 2>&1; }
pf_stop() {
    [ -f "$PF/conf/main.cf" ] && pf_running || return 0
    postfix -c "$PF/conf" stop >/dev/null 2>&1 || true
    wait_for 60 sh -c "! postfix -c '$PF/conf' status >/dev/null 2>&1" ||
        postfix -c "$PF/conf" abort >/dev/null 2>&1 || true
}
ours_stop() {
    stop_pid "$SERVER_PID"
    SERVER_PID=""
    stop_pid "$SEND_PID"
    SEND_PID=""
}
cleanup() {
    status=$?
    set +e
    stop_pid "$SINK_PID"
    ours_stop
    pf_stop
    if [ -n "$USER_MADE" ]; then
        pids=$(pgrep -u "$USER_NAME")
        [ -z "$pids" ] || kill -KILL $pids 2>/dev/null
        userdel "$USER_NAME"
    fi
    rm -rf "$W"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.1f", n / (b - a) }'; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
count_new() { find "$1" -maxdepth 1 -type f | wc -l; }
at_least() { [ "$(count_new "$1")" -ge "$2" ]; }

# --- the account, our install, the Postfix instance
useradd --system --home-dir "$HOME_DIR" --no-create-home --shell /usr/sbin/nologin "$USER_NAME"
USER_MADE=1
UID_=$(id -u "$USER_NAME")
GID_=$(id -g "$USER_NAME")
make_maildir() { install -d -o "$USER_NAME" -g "$USER_NAME" -m 700 "$1" "$1/cur" "$1/new" "$1/tmp"; }
install -d -m 755 "$W/home" "$PF" "$PF/mail"
install -d -o "$USER_NAME" -g "$USER_NAME" -m 700 "$HOME_DIR" "$PF/mail/$USER_NAME"
OURS_MD=$HOME_DIR/Maildir
PF_MD=$PF/mail/$USER_NAME/Maildir
make_maildir "$OURS_MD"
make_maildir "$PF_MD"

make -s install ROOT="$ROOT" >/dev/null 2>&1 || die "make install ROOT=$ROOT failed"
"$ROOT/bin/mailctl" init --hostname bench.example >/dev/null
if [ -n "${SMTPD:-}" ]; then
    install -m 755 "$SMTPD" "$ROOT/bin/smtpd" || die "cannot install $SMTPD"
fi
for p in start tcpserver tcprules smtpd queue; do
    [ -x "$ROOT/bin/$p" ] || die "$ROOT/bin/$p missing"
done
printf '127.0.0.1:allow,RELAYCLIENT=""\n:allow\n' >"$W/rules"
"$ROOT/bin/tcprules" "$W/rules.cdb" "$W/rules.tmp" <"$W/rules"
OURS_PORT=$(free_port)
PF_PORT=$(free_port)
SINK_PORT=$(free_port)

pf_dirs "$PF"
{
    pf_main_cf "$PF" 127.0.0.1
    echo "smtpd_banner = \$myhostname ESMTP"
    pf_virtual_cf "$PF" "$UID_" "$GID_"
} >"$PF/conf/main.cf"
pf_vmailbox "$PF" "$USER_NAME"
{
    echo "127.0.0.1:$PF_PORT inet n - n - - smtpd"
    pf_master_cf
    pf_virtual_services
} >"$PF/conf/master.cf"
pf_check "$PF"

# --- starting and stopping each system (outside the timings)
listening() { python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $1), 1).close()" 2>/dev/null; }
ours_start() { # $1: label; $2: "nosend" starts only the SMTP side
    if [ "${2:-}" != nosend ]; then
        "$ROOT/bin/start" ./Maildir/ </dev/null >"$W/send.$1.log" 2>&1 &
        SEND_PID=$!
        wait_for 30 grep -qs '^status: local 0/' "$W/send.$1.log" || die "send did not start"
    fi
    "$ROOT/bin/tcpserver" -v -H -R -l bench.example -x "$W/rules.cdb" -u "$(id -u msd)" \
        -g "$(id -g msd)" 127.0.0.1 "$OURS_PORT" "$ROOT/bin/smtpd" </dev/null \
        >"$W/tcpserver.$1.log" 2>&1 &
    SERVER_PID=$!
    wait_for 30 listening "$OURS_PORT" || die "tcpserver did not start: $(cat "$W/tcpserver.$1.log")"
}
pf_start() {
    postfix -c "$PF/conf" start >/dev/null 2>&1 || die "postfix start failed: $(tail -5 "$PF/maillog")"
    wait_for 30 listening "$PF_PORT" || die "Postfix smtpd did not listen: $(tail -5 "$PF/maillog")"
}
fresh_new() { # $1: Maildir, $2: label
    mv "$1/new" "$1/new.$2"
    install -d -o "$USER_NAME" -g "$USER_NAME" -m 700 "$1/new"
}
# Busy CPU ticks of the whole machine (all but idle and iowait).
busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
per_msg_ms() { awk -v a="$1" -v b="$2" -v hz="$(getconf CLK_TCK)" -v n="$N" \
    'BEGIN { printf "%.2f", (b - a) * 1000 / hz / n }'; }
# Sets RESULT to "accept_msg/s delivered_msg/s accept_seconds delivered_seconds
# machine_cpu_ms_per_msg_until_delivered".
timed_run() { # $1: port, $2: recipient, $3: Maildir/new
    c0=$(busy)
    t0=$(now)
    timeout "$TIMEOUT" smtp-source -s "$S" -m "$N" -l "$SIZE" -f bench@example.org -t "$2" \
        "127.0.0.1:$1" >"$W/source.out" 2>&1 || die "smtp-source failed: $(tail -5 "$W/source.out")"
    t1=$(now)
    wait_for "$TIMEOUT" at_least "$3" "$N" || die "only $(count_new "$3") of $N delivered"
    t2=$(now)
    c1=$(busy)
    RESULT="$(rate "$N" "$t0" "$t1") $(rate "$N" "$t0" "$t2") $(secs "$t0" "$t1") $(secs "$t0" "$t2") $(per_msg_ms "$c0" "$c1")"
}
ours_run() {
    fresh_new "$OURS_MD" "$1"
    ours_start "$1"
    timed_run "$OURS_PORT" "$USER_NAME@bench.example" "$OURS_MD/new"
    ours_stop
    failed=$(grep -c 'end [0-9]* status [1-9]' "$W/tcpserver.$1.log" || true)
    [ "$failed" = 0 ] || die "ours, run $1: $failed smtpd processes exited non-zero"
}
pf_run() {
    fresh_new "$PF_MD" "$1"
    pf_start
    timed_run "$PF_PORT" "$USER_NAME@pf.example" "$PF_MD/new"
    pf_stop
}
sink_run() {
    smtp-sink -u nobody "127.0.0.1:$SINK_PORT" 1000 >/dev/null 2>&1 &
    SINK_PID=$!
    wait_for 30 listening "$SINK_PORT" || die "smtp-sink did not listen"
    t0=$(now)
    timeout "$TIMEOUT" smtp-source -s "$S" -m "$N" -l "$SIZE" -f bench@example.org \
        -t sink@example.org "127.0.0.1:$SINK_PORT" >/dev/null 2>&1 || die "smtp-source to smtp-sink failed"
    t1=$(now)
    stop_pid "$SINK_PID"
    SINK_PID=""
    RESULT=$(rate "$N" "$t0" "$t1")
}

print_machine "$W"
echo "Postfix $(dpkg-query -W -f='${Version}' postfix); $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "workload: smtp-source -s $S -m $N -l $SIZE (one message per connection)"
echo "smtpd: ${SMTPD:-as built by make} ($(ldd "$ROOT/bin/smtpd" 2>/dev/null | grep -c '=>') shared libraries)"
echo
printf '| run | load | ours accept msg/s | Postfix accept msg/s | accept ours / Postfix | ours delivered msg/s | Postfix delivered msg/s | ours s until all delivered | Postfix s until all delivered | ours machine CPU ms/msg | Postfix machine CPU ms/msg | smtp-sink msg/s |\n'
printf '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n'
OA="" PA="" OD="" PD="" OS="" PS="" R="" K="" OC="" PC=""
for run in $(seq 1 "$RUNS"); do
    load=$(cut -d' ' -f1 /proc/loadavg)
    ours_run "$run"
    set -- $RESULT
    oa=$1 od=$2 os=$4 oc=$5
    pf_run "$run"
    set -- $RESULT
    pa=$1 pd=$2 ps=$4 pc=$5
    sink_run
    k=$RESULT
    r=$(ratio "$oa" "$pa")
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$run" "$load" "$oa" \
        "$pa" "$r" "$od" "$pd" "$os" "$ps" "$oc" "$pc" "$k"
    OA="$OA $oa" PA="$PA $pa" OD="$OD $od" PD="$PD $pd" OS="$OS $os" PS="$PS $ps" R="$R $r" K="$K $k"
    OC="$OC $oc" PC="$PC $pc"
done
printf '| **median** | | **%s** | **%s** | **%s** | **%s** | **%s** | **%s** | **%s** | **%s** | **%s** | **%s** |\n' \
    "$(echo "$OA" | median)" "$(echo "$PA" | median)" "$(echo "$R" | median)" \
    "$(echo "$OD" | median)" "$(echo "$PD" | median)" "$(echo "$OS" | median)" \
    "$(echo "$PS" | median)" "$(echo "$OC" | median)" "$(echo "$PC" | median)" \
    "$(echo "$K" | median)"
r=$(echo "$R" | median)
echo
echo "accept rate ours / Postfix (median of the runs): $r" \
    "(target 1.5: $(awk -v r="$r" 'BEGIN { print (r >= 1.5 ? "met" : "not met") }'))"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- memory of one server process in the middle of a 4 MB message
echo
echo "| server | session | VmHWM KiB | VmRSS KiB | RssAnon KiB |"
echo "|---|---|---:|---:|---:|"
ours_start rss
for mode in plain tls; do
    set -- $(python3 bench/smtp/rss.py "$OURS_PORT" "$SERVER_PID" "$USER_NAME@bench.example" 4194304 "$mode")
    echo "| ours (smtpd) | $mode | $1 | $2 | $3 |"
done
ours_stop
pf_start
master=$(tr -d ' ' <"$PF/queue/pid/master.pid")
set -- $(python3 bench/smtp/rss.py "$PF_PORT" "$master" "$USER_NAME@pf.example" 4194304 plain)
echo "| Postfix (smtpd) | plain | $1 | $2 | $3 |"
pf_stop

# --- the reception ceiling: ours with no delivery running. First a minute's pause: ext4
# without a journal does not reuse an inode freed in the last 30 to 60 s, and the runs
# above freed tens of thousands (bench/RESULTS.md, issue 5, session 4).
sleep 60
ours_start ceiling nosend
c0=$(busy)
t0=$(now)
timeout "$TIMEOUT" smtp-source -s "$S" -m "$N" -l "$SIZE" -f bench@example.org \
    -t "$USER_NAME@bench.example" "127.0.0.1:$OURS_PORT" >"$W/source.out" 2>&1 ||
    die "smtp-source failed: $(tail -5 "$W/source.out")"
t1=$(now)
c1=$(busy)
ours_stop
queued=$(find "$ROOT/queue/todo" -type f | wc -l)
[ "$queued" = "$N" ] || die "reception only: $queued of $N messages in todo/"
echo "reception only (no send running): $(rate "$N" "$t0" "$t1") msg/s," \
    "machine CPU $(per_msg_ms "$c0" "$c1") ms/msg ($queued messages queued)"
