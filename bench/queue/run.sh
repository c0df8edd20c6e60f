#!/bin/sh
# bench/queue/run.sh - queue injection rate beside the disk's durable-write limit (issue 3).
#
#     sh bench/queue/run.sh                    (as root: make install creates the accounts)
#     N=5000 P=4 SIZE=4096 RUNS=5 DISK_SECONDS=5 sh bench/queue/run.sh
#
# ours:  N injections of a SIZE-byte message by P parallel injectors, each a process that
#        runs one injection after the other (build/bench/bench_inject): straight into
#        ROOT/bin/queue (message on fd 0, envelope on fd 1) and, when ROOT/bin/inject
#        exists, through `inject -f sender rcpt`. A third contender is the same queue
#        program linked with -static-libstdc++ -static-libgcc (installed beside it as
#        bin/queue-scxx, setuid msq too): what that link option would buy.
# limit: how many "create, write 4 KB, fsync, link, fsync directory" cycles per second the
#        same file system sustains with 1 and with P writers (build/bench/disk_cycles).
# The contenders alternate RUNS times in one run of the script, in the same directory;
# the script prints every run, the medians, the ratios to the limit, the peak memory
# (ru_maxrss) and the fsyncs of one injection (strace -c -f). Nothing is deleted until the
# end: on ext4 without a journal, allocating inodes right after mass deletions is slow
# (the allocator skips recently deleted inodes), which would distort later runs.
set -eu
cd "$(dirname "$0")/../.."
. bench/lib.sh
N=${N:-5000}
P=${P:-4}
SIZE=${SIZE:-4096}
RUNS=${RUNS:-3}
DISK_SECONDS=${DISK_SECONDS:-5}

make -j2 all >/dev/null
mkdir -p build/bench
g++ -std=c++20 -O2 -Wall -Wextra -Werror bench/queue/bench_inject.cpp -o build/bench/bench_inject
g++ -std=c++20 -O2 -Wall -Wextra -Werror bench/queue/disk_cycles.cpp -o build/bench/disk_cycles

W=$(mktemp -d /tmp/bench_queue.XXXXXX)
chmod 755 "$W"
trap 'rm -rf "$W"' EXIT
ROOT=$W/ms
make -s install ROOT="$ROOT" >/dev/null 2>&1
"$ROOT/bin/mailctl" init --hostname bench.example >/dev/null
g++ -o "$ROOT/bin/queue-scxx" build/queue/queue_main.o build/queue/libqueue.a build/libmta.a \
    -static-libstdc++ -static-libgcc
chown --reference="$ROOT/bin/queue" "$ROOT/bin/queue-scxx"
chmod 04711 "$ROOT/bin/queue-scxx"
INJECT=""
[ -x "$ROOT/bin/inject" ] && INJECT=$ROOT/bin/inject

max() { tr ' ' '\n' | grep . | sort -n | tail -1; }

print_machine "$W"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "workload: $N injections of $SIZE bytes, $P parallel injectors; disk cycles for ${DISK_SECONDS}s"
echo

Q_RATES="" S_RATES="" I_RATES="" D1_RATES="" DP_RATES="" Q_PEAKS="" S_PEAKS="" I_PEAKS=""
printf '| run | queue msg/s | queue-scxx msg/s | inject msg/s | disk 1 writer cycles/s | disk %s writers cycles/s |\n' "$P"
printf '|---|---:|---:|---:|---:|---:|\n'
for run in $(seq 1 "$RUNS"); do
    set -- $(build/bench/bench_inject queue "$ROOT/bin/queue" "$N" "$P" "$SIZE")
    q_rate=$1 q_peak=$2
    [ "$3" = 0 ] || { echo "run.sh: $3 queue injections failed" >&2; exit 1; }
    d1=$(build/bench/disk_cycles "$(mktemp -d "$W/disk.XXXX")" 1 "$DISK_SECONDS")
    set -- $(build/bench/bench_inject queue "$ROOT/bin/queue-scxx" "$N" "$P" "$SIZE")
    s_rate=$1
    S_RATES="$S_RATES $s_rate" S_PEAKS="$S_PEAKS $2"
    [ "$3" = 0 ] || { echo "run.sh: $3 queue-scxx injections failed" >&2; exit 1; }
    i_rate="-"
    if [ -n "$INJECT" ]; then
        set -- $(build/bench/bench_inject inject "$INJECT" "$N" "$P" "$SIZE")
        i_rate=$1
        I_PEAKS="$I_PEAKS $2"
        I_RATES="$I_RATES $i_rate"
        [ "$3" = 0 ] || { echo "run.sh: $3 inject runs failed" >&2; exit 1; }
    fi
    dp=$(build/bench/disk_cycles "$(mktemp -d "$W/disk.XXXX")" "$P" "$DISK_SECONDS")
    printf '| %s | %s | %s | %s | %s | %s |\n' "$run" "$q_rate" "$s_rate" "$i_rate" "$d1" "$dp"
    Q_RATES="$Q_RATES $q_rate" D1_RATES="$D1_RATES $d1" DP_RATES="$DP_RATES $dp"
    Q_PEAKS="$Q_PEAKS $q_peak"
done
q=$(echo "$Q_RATES" | median)
sx=$(echo "$S_RATES" | median)
d1=$(echo "$D1_RATES" | median)
dp=$(echo "$DP_RATES" | median)
i="-"
[ -n "$INJECT" ] && i=$(echo "$I_RATES" | median)
printf '| **median** | **%s** | **%s** | **%s** | **%s** | **%s** |\n' "$q" "$sx" "$i" "$d1" "$dp"
echo
echo "ratio queue / disk limit with $P writers: $(ratio "$q" "$dp")  (with 1 writer: $(ratio "$q" "$d1"))"
echo "ratio queue-scxx / disk limit with $P writers: $(ratio "$sx" "$dp"); queue-scxx / queue: $(ratio "$sx" "$q")"
[ -n "$INJECT" ] && echo "ratio inject / disk limit with $P writers: $(ratio "$i" "$dp")"
echo "peak memory (ru_maxrss) of queue: $(echo "$Q_PEAKS" | max) KiB, queue-scxx: $(echo "$S_PEAKS" | max) KiB"
[ -n "$INJECT" ] && echo "peak memory of inject or its queue, whichever is larger: $(echo "$I_PEAKS" | max) KiB"

# Every injection must have arrived.
queued=$(find "$ROOT/queue/todo" -type f | wc -l)
want=$((N * RUNS * (2 + $([ -n "$INJECT" ] && echo 1 || echo 0))))
echo "messages in todo/: $queued (expected $want)"
[ "$queued" = "$want" ] || exit 1

# fsyncs of one injection, counted by strace on the queue program (and inject's child).
echo
printf 'Subject: one\n\nbody\n' >"$W/one.txt"
printf 'Fs@example.org\0Tr@example.net\0\0' >"$W/one.env"
strace -f -c -o "$W/strace.queue" "$ROOT/bin/queue" <"$W/one.txt" 1<"$W/one.env"
echo "strace -c -f, one injection into bin/queue:"
grep -wE 'fsync|sync_file_range|link|unlink|openat|total' "$W/strace.queue" || true
if [ -n "$INJECT" ]; then
    strace -f -c -o "$W/strace.inject" "$INJECT" -f s@example.org r@example.net <"$W/one.txt"
    echo "strace -c -f, one injection through bin/inject:"
    grep -wE 'fsync|sync_file_range|total' "$W/strace.inject" || true
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
