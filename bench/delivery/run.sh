#!/bin/sh
# bench/delivery/run.sh - end-to-end local delivery beside Postfix and the disk (issue 4).
#
#     sh bench/delivery/run.sh                 (as root, from anywhere in the repository)
#     N=5000 P=4 SIZE=4096 RUNS=3 DISK_SECONDS=5 TIMEOUT=300 STRACE_N=200 sh bench/delivery/run.sh
#     LSPAWN_BIN=/tmp/lspawn-variant sh bench/delivery/run.sh  (another bin/lspawn, e.g. one
#                                              built before a change, installed over ours)
#
# ours:    `make install` into a temporary ROOT, `mailctl init --hostname bench.example`,
#          `ROOT/bin/start ./Maildir/` (send, lspawn, clean; local per delivery) with its
#          log in a file. N messages of SIZE bytes for msbench@bench.example go in through
#          `ROOT/bin/inject -f bench@example.org msbench@bench.example`, P injectors in
#          parallel; msbench is a system account made for the run (home in the temporary
#          directory, no .qmail: start's default delivery ./Maildir/ applies).
# Postfix: a throwaway instance of Debian's package (`postfix -c DIR start`, its own
#          main.cf, master.cf, queue and log file, no chroot, no listener at all), which
#          delivers the domain pf.example with virtual(8) into a Maildir of the same
#          account msbench (static uid/gid); everything else goes to error:. The same
#          messages go in through `sendmail -C DIR -f bench@example.org
#          msbench@pf.example` (sendmail + postdrop + pickup), P submitters in parallel.
# disk:    "create, write 4 KB, fsync, link, fsync directory" cycles per second with 1 and
#          with P writers on the same file system (bench/queue/disk_cycles.cpp): the
#          durable-write ceiling we compare against.
# Each timing (build/bench/deliver_bench) runs from the first submission until the Nth
# file is in the Maildir's new/ (polled every 50 ms), each mail system freshly started
# and idle. The contenders alternate RUNS times (ours, Postfix, disk); the script prints
# every run, the medians, ours/Postfix (target: at least 1.5) and each rate against the
# disk limit, then the accept rates (until the last submission returned) and the CPU time
# per message: the mail system's own processes (the submission, from getrusage, and the
# daemons, from /proc/PID/stat) and the whole machine's; and ours split out: lspawn with
# the local deliveries it reaped (the CPU of the local deliveries themselves). Then, on STRACE_N more messages each under `strace -f -T`, it counts per
# message and program the processes started, the fsyncs and the time spent in them on each
# path (bench/delivery/syscalls.awk; set STRACE_N=0 to skip). The cleanup at the end can
# take a minute or two: every file of the runs is deleted only then.
# Every wait is bounded; the trap stops both mail systems and removes the temporary
# directory and the msbench account whatever happens. Nothing listens on any address.
set -eu
cd "$(dirname "$0")/../.."
. bench/lib.sh
N=${N:-5000}
P=${P:-4}
SIZE=${SIZE:-4096}
RUNS=${RUNS:-3}
DISK_SECONDS=${DISK_SECONDS:-5}
TIMEOUT=${TIMEOUT:-300}
STRACE_N=${STRACE_N:-200}
USER_NAME=msbench

[ "$(id -u)" = 0 ] || die "run as root (make install creates accounts; Postfix runs as root)"
umask 022

drop_leftover_account "$USER_NAME"

need_test_packages
make -j2 all >/dev/null
mkdir -p build/bench
g++ -std=c++20 -O2 -Wall -Wextra -Wshadow -Werror bench/delivery/deliver_bench.cpp \
    -o build/bench/deliver_bench
g++ -std=c++20 -O2 -Wall -Wextra -Werror bench/queue/disk_cycles.cpp -o build/bench/disk_cycles

W=$(mktemp -d /tmp/bench_delivery.XXXXXX)
chmod 755 "$W"
ROOT=$W/ms
PF=$W/pf
HOME_DIR=$W/home/$USER_NAME
SEND_PID=""
HELPERS=""
STRACERS=""
BENCH_PID=""
BENCH_WRAP=""
USER_MADE=""
LSPAWN_PID=""

none_alive() {
    for pid in "$@"; do
        alive "$pid" && return 1
    done
    return 0
}

ours_stop() {
    [ -n "$SEND_PID" ] || return 0
    kill -TERM "$SEND_PID" 2>/dev/null || true
    if ! wait_for 60 none_alive "$SEND_PID" $HELPERS; then
        echo "run.sh: send did not stop within 60 s: killing it and its helpers" >&2
        kill -KILL "$SEND_PID" $HELPERS 2>/dev/null || true
    fi
    wait "$SEND_PID" 2>/dev/null || true
    # local processes of a killed lspawn run as msbench: userdel needs them gone.
    wait_for 10 none_alive $(pgrep -u "$USER_NAME") || kill -KILL $(pgrep -u "$USER_NAME") 2>/dev/null || true
    SEND_PID="" HELPERS=""
}
pf_running() { postfix -c "$PF/conf" status >/dev/null 2>&1; }
pf_stop() {
    [ -f "$PF/conf/main.cf" ] || return 0
    pf_running || return 0
    master=$(pf_master)
    postfix -c "$PF/conf" stop >/dev/null 2>&1 || true
    if ! wait_for 60 none_alive "$master" $(pgrep -P "$master"); then
        echo "run.sh: Postfix did not stop within 60 s: aborting it" >&2
        postfix -c "$PF/conf" abort >/dev/null 2>&1 || true
        wait_for 10 none_alive "$master"
    fi
}
cleanup() {
    status=$?
    set +e
    [ -n "$BENCH_PID" ] && kill -TERM "$BENCH_PID" 2>/dev/null && wait "$BENCH_PID"
    [ -n "$STRACERS" ] && kill -INT $STRACERS 2>/dev/null
    ours_stop
    pf_stop
    if [ -n "$USER_MADE" ]; then
        wait_for 10 none_alive $(pgrep -u "$USER_NAME")
        userdel "$USER_NAME"
    fi
    rm -rf "$W"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the account, our install, the Postfix instance
useradd --system --home-dir "$HOME_DIR" --no-create-home --shell /usr/sbin/nologin "$USER_NAME"
USER_MADE=1
UID_=$(id -u "$USER_NAME")
GID_=$(id -g "$USER_NAME")
# A Maildir owned by msbench and closed to others, like a user's.
make_maildir() {
    install -d -o "$USER_NAME" -g "$USER_NAME" -m 700 "$1" "$1/cur" "$1/new" "$1/tmp"
}
install -d -m 755 "$W/home" "$PF" "$PF/mail"
install -d -o "$USER_NAME" -g "$USER_NAME" -m 700 "$HOME_DIR" "$PF/mail/$USER_NAME"
OURS_MD=$HOME_DIR/Maildir
PF_MD=$PF/mail/$USER_NAME/Maildir
make_maildir "$OURS_MD"
make_maildir "$PF_MD"

make -s install ROOT="$ROOT" >/dev/null 2>&1 || die "make install ROOT=$ROOT failed"
"$ROOT/bin/mailctl" init --hostname bench.example >/dev/null
[ -z "${LSPAWN_BIN:-}" ] || install -m 755 "$LSPAWN_BIN" "$ROOT/bin/lspawn"
for p in start send lspawn local clean inject queue; do
    [ -x "$ROOT/bin/$p" ] || die "$ROOT/bin/$p missing: our half cannot run yet"
done

pf_dirs "$PF"
{
    pf_main_cf "$PF" loopback-only
    pf_virtual_cf "$PF" "$UID_" "$GID_"
} >"$PF/conf/main.cf"
pf_vmailbox "$PF" "$USER_NAME"
# Nothing listens on the network.
{
    pf_master_cf
    pf_virtual_services
} >"$PF/conf/master.cf"
pf_check "$PF"

# --- starting and stopping each system (outside the timings)
ours_start() { # $1: the log file
    "$ROOT/bin/start" ./Maildir/ </dev/null >"$1" 2>"$1.err" &
    SEND_PID=$!
    wait_for 30 grep -qs '^status: local 0/' "$1" || die "send did not start: $(cat "$1.err" "$1")"
    HELPERS=$(pgrep -P "$SEND_PID" | tr '\n' ' ')
    LSPAWN_PID=$(pgrep -P "$SEND_PID" -x lspawn)
}
pf_start() {
    postfix -c "$PF/conf" start >/dev/null 2>&1 || die "postfix start failed: $(tail -5 "$PF/maillog")"
    wait_for 30 pf_running || die "Postfix did not start: $(tail -5 "$PF/maillog")"
}
# Moves the full new/ aside (nothing is deleted until the end) and makes an empty one.
fresh_new() { # $1: Maildir, $2: label
    mv "$1/new" "$1/new.$2"
    install -d -o "$USER_NAME" -g "$USER_NAME" -m 700 "$1/new"
}
ours_submit() { echo "$ROOT/bin/inject -f bench@example.org $USER_NAME@bench.example"; }
pf_submit() { echo "/usr/sbin/sendmail -C $PF/conf -f bench@example.org $USER_NAME@pf.example"; }
# deliver_bench NEWDIR COUNT RCPT PROGRAM ARGS..., its line into $W/line, run under
# $BENCH_WRAP if set. In the background, so that a signal to this script runs the trap at
# once rather than after the timing.
bench() {
    dir=$1 count=$2 rcpt=$3
    shift 3
    $BENCH_WRAP build/bench/deliver_bench "$dir" "$count" "$P" "$SIZE" "$TIMEOUT" "$rcpt" -- "$@" \
        >"$W/line" &
    BENCH_PID=$!
    status=0
    wait "$BENCH_PID" || status=$?
    BENCH_PID=""
    return "$status"
}
# Set RESULT to deliver_bench's line "e2e accept failures delivered seconds cpu_ms" for N
# messages. (In this shell, not in a $(...) subshell: the trap must know SEND_PID.)
# CPU clock ticks used so far by the processes given and by the children they reaped
# (lspawn reaps every local; Postfix's master every daemon that exited).
ticks() {
    for pid in "$@"; do
        sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null || true
    done | awk '{ s += $12 + $13 + $14 + $15 } END { print s + 0 }'
}
per_msg_ms() { awk -v a="$1" -v b="$2" -v hz="$(getconf CLK_TCK)" -v n="$N" \
    'BEGIN { printf "%.2f", (b - a) * 1000 / hz / n }'; }
pf_master() { tr -d ' ' <"$PF/queue/pid/master.pid"; }
ours_run() { # $1: label
    fresh_new "$OURS_MD" "$1"
    ours_start "$W/send.$1.log"
    t0=$(ticks "$SEND_PID" $HELPERS)
    l0=$(ticks "$LSPAWN_PID")
    bench "$OURS_MD/new" "$N" "$USER_NAME@bench.example" $(ours_submit) ||
        die "ours, run $1: $(cat "$W/line")"
    t1=$(ticks "$SEND_PID" $HELPERS)
    l1=$(ticks "$LSPAWN_PID")
    line=$(cat "$W/line")
    ours_stop
    got=$(ls "$OURS_MD/new" | wc -l)
    [ "$got" = "$N" ] || die "ours, run $1: $got files in new/ after stopping, want $N"
    RESULT="$line $(per_msg_ms "$t0" "$t1") $(per_msg_ms "$l0" "$l1")"
}
pf_run() { # $1: label
    fresh_new "$PF_MD" "$1"
    pf_start
    master=$(pf_master)
    t0=$(ticks "$master" $(pgrep -P "$master"))
    bench "$PF_MD/new" "$N" "$USER_NAME@pf.example" $(pf_submit) ||
        die "Postfix, run $1: $(cat "$W/line")"
    t1=$(ticks "$master" $(pgrep -P "$master"))
    line=$(cat "$W/line")
    pf_stop
    got=$(ls "$PF_MD/new" | wc -l)
    [ "$got" = "$N" ] || die "Postfix, run $1: $got files in new/ after stopping, want $N"
    RESULT="$line $(per_msg_ms "$t0" "$t1")"
}

print_machine "$W"
echo "Postfix $(dpkg-query -W -f='${Version}' postfix); $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "workload: $N messages of $SIZE bytes to one Maildir, $P parallel submitters;" \
    "disk cycles for ${DISK_SECONDS}s"
echo

O_RATES="" F_RATES="" D1_RATES="" DP_RATES="" RATIOS=""
O_ACC="" F_ACC="" O_CPU="" F_CPU="" O_SUB="" F_SUB="" O_OWN="" F_OWN="" CPU_ROWS="" O_LOCAL=""
printf '| run | load | ours msg/s | Postfix msg/s | ours / Postfix | disk 1 writer cycles/s | disk %s writers cycles/s |\n' "$P"
printf '|---|---:|---:|---:|---:|---:|---:|\n'
for run in $(seq 1 "$RUNS"); do
    load=$(cut -d' ' -f1 /proc/loadavg)
    ours_run "$run"
    set -- $RESULT
    o=$1 oa=$2 oc=$6 os=$7 oo=$(awk -v a="$7" -v b="$8" 'BEGIN { printf "%.2f", a + b }')
    O_LOCAL="$O_LOCAL $9"
    pf_run "$run"
    set -- $RESULT
    f=$1 fa=$2 fc=$6 fs=$7 fo=$(awk -v a="$7" -v b="$8" 'BEGIN { printf "%.2f", a + b }')
    d1=$(build/bench/disk_cycles "$(mktemp -d "$W/disk.XXXX")" 1 "$DISK_SECONDS")
    dp=$(build/bench/disk_cycles "$(mktemp -d "$W/disk.XXXX")" "$P" "$DISK_SECONDS")
    r=$(ratio "$o" "$f")
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$run" "$load" "$o" "$f" "$r" "$d1" "$dp"
    CPU_ROWS="$CPU_ROWS$(printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |' \
        "$run" "$oa" "$fa" "$oo" "$fo" "$os" "$fs" "$oc" "$fc")
"
    O_RATES="$O_RATES $o" F_RATES="$F_RATES $f" RATIOS="$RATIOS $r"
    O_ACC="$O_ACC $oa" F_ACC="$F_ACC $fa" O_CPU="$O_CPU $oc" F_CPU="$F_CPU $fc"
    O_SUB="$O_SUB $os" F_SUB="$F_SUB $fs" O_OWN="$O_OWN $oo" F_OWN="$F_OWN $fo"
    D1_RATES="$D1_RATES $d1" DP_RATES="$DP_RATES $dp"
done
o=$(echo "$O_RATES" | median) f=$(echo "$F_RATES" | median) r=$(echo "$RATIOS" | median)
d1=$(echo "$D1_RATES" | median) dp=$(echo "$DP_RATES" | median)
printf '| **median** | | **%s** | **%s** | **%s** | **%s** | **%s** |\n' "$o" "$f" "$r" "$d1" "$dp"
echo
echo "ours / Postfix (medians): $(ratio "$o" "$f"); median of the per-run ratios: $r" \
    "(target 1.5: $(awk -v r="$r" 'BEGIN { print (r >= 1.5 ? "met" : "not met") }'))"
echo "ours / disk limit: $(ratio "$o" "$dp") with $P writers, $(ratio "$o" "$d1") with 1 writer"
echo "Postfix / disk limit: $(ratio "$f" "$dp") with $P writers, $(ratio "$f" "$d1") with 1 writer"
echo
echo "accept = until the last submission returned. CPU per message: own = the mail system's"
echo "processes (submit: inject + queue, sendmail + postdrop; plus send, lspawn, local, clean,"
echo "or Postfix's master and daemons); machine = all busy CPU of the machine over the timing,"
echo "other load included (2 CPUs x seconds / messages at saturation):"
echo
echo "| run | ours accept msg/s | Postfix accept msg/s | ours own CPU ms/msg | Postfix own CPU ms/msg | ours submit CPU ms/msg | Postfix submit CPU ms/msg | ours machine CPU ms/msg | Postfix machine CPU ms/msg |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
printf '%s' "$CPU_ROWS"
printf '| **median** | **%s** | **%s** | **%s** | **%s** | **%s** | **%s** | **%s** | **%s** |\n' \
    "$(echo "$O_ACC" | median)" "$(echo "$F_ACC" | median)" "$(echo "$O_OWN" | median)" \
    "$(echo "$F_OWN" | median)" "$(echo "$O_SUB" | median)" "$(echo "$F_SUB" | median)" \
    "$(echo "$O_CPU" | median)" "$(echo "$F_CPU" | median)"
echo
echo "ours, lspawn with its local deliveries, CPU ms/msg by run:$O_LOCAL" \
    "(median $(echo "$O_LOCAL" | median))"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- per-message fsyncs and process starts, each path under strace -f
[ "$STRACE_N" -gt 0 ] || exit 0
command -v strace >/dev/null || die "strace missing (apt-get install strace), or set STRACE_N=0"
TRACE=trace=execve,clone,clone3,fork,vfork,fsync,fdatasync,sync_file_range,link,linkat,rename,renameat,renameat2
traced() { # $1: output file; the pids follow. Returns when strace has attached to all.
    out=$1
    shift
    args=""
    for pid in "$@"; do
        args="$args -p $pid"
        echo "$pid $(cat "/proc/$pid/comm")" >>"$out.names"
    done
    strace -f -T -qq -e "$TRACE" -o "$out" $args 2>/dev/null &
    STRACERS="$STRACERS $!"
    for pid in "$@"; do
        wait_for 10 sh -c "! grep -q '^TracerPid:[[:space:]]*0\$' /proc/$pid/status" ||
            die "strace did not attach to $pid"
    done
}
strace_run() { # $1: name, $2: Maildir, $3: recipient, $4: submitter; the daemons' pids follow
    name=$1 md=$2 rcpt=$3 submit=$4
    shift 4
    : >"$W/strace.$name.names"
    traced "$W/strace.$name" "$@"
    BENCH_WRAP="strace -f -T -qq -e $TRACE -o $W/strace.$name.submit"
    bench "$md/new" "$STRACE_N" "$rcpt" $submit || die "$name under strace: $(cat "$W/line")"
    BENCH_WRAP=""
    sleep 2 # the last messages' queue files are removed after the delivery
    kill -INT $STRACERS
    wait $STRACERS 2>/dev/null || true
    STRACERS=""
    awk -v n="$STRACE_N" -f bench/delivery/syscalls.awk "$W/strace.$name.names" \
        "$W/strace.$name" "$W/strace.$name.submit"
}
echo
echo "per message, over $STRACE_N messages under strace -f -T, by program (submitters and daemons):"
echo
printf '| program | processes started | fsync | fdatasync | sync_file_range | link | rename | ms waiting in those syncs |\n'
printf '|---|---:|---:|---:|---:|---:|---:|---:|\n'
echo "| *ours* | | | | | | | |"
fresh_new "$OURS_MD" strace
ours_start "$W/send.strace.log"
strace_run ours "$OURS_MD" "$USER_NAME@bench.example" "$(ours_submit)" "$SEND_PID" $HELPERS
ours_stop
echo "| *Postfix* | | | | | | | |"
fresh_new "$PF_MD" strace
pf_start
master=$(pf_master)
strace_run postfix "$PF_MD" "$USER_NAME@pf.example" "$(pf_submit)" "$master" $(pgrep -P "$master")
pf_stop
echo "(deliver_bench is the driver: one fork per submission on both paths)"
