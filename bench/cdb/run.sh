#!/bin/sh
# bench/cdb/run.sh - our CdbWriter + Cdb against Postfix's postmap (cdb and lmdb tables).
#
#     sh bench/cdb/run.sh            (as root the first time: installs Postfix's packages)
#     N=100000 RUNS=5 sh bench/cdb/run.sh
#
# Builds a table of N keys shaped like qmail's users/assign
#     user123@example.org  msvmail:1002:1002:/var/mail-suite/domains/example.org/user123:-::
# and then looks every key up once, in a shuffled order, reading the keys on stdin and
# printing "key<TAB>value" lines (postmap -q - TYPE:TABLE). Each timing is one whole
# process run, start to exit, so Postfix's and our start-up costs are both included.
# The three contenders alternate RUNS times; the script prints every run, the medians
# and the ratios (Postfix time / our time: above 1 means we are faster). The outputs of
# the lookups are compared, so a wrong answer fails the benchmark. Only local files.
set -eu
cd "$(dirname "$0")/../.."
. bench/lib.sh
N=${N:-100000}
RUNS=${RUNS:-5}
# Milliseconds taken by the command given, run with stdin from $IN and stdout to $OUT.
elapsed_ms() {
    start=$(date +%s%N)
    "$@" <"$IN" >"$OUT"
    end=$(date +%s%N)
    echo $(((end - start) / 1000)) | awk '{ printf "%.1f", $1 / 1000 }'
}

need_test_packages # postfix, postfix-cdb, postfix-lmdb
make -j2 build/libmta.a >/dev/null
g++ -std=c++20 -O2 -Ilib -Ibuild/gen bench/cdb/bench_cdb.cpp build/libmta.a -lcdb -lcrypt \
    -o build/bench_cdb

W=$(mktemp -d /tmp/bench_cdb.XXXXXX)
trap 'rm -rf "$W"' EXIT
mkdir "$W/conf"
# postmap only needs a readable main.cf; the packages' own stays untouched. Postfix
# waits (in 300 ms steps) for a main.cf changed in the last second to settle, so the
# file is dated back: otherwise the first run would time that wait.
printf 'compatibility_level = 3.6\n' >"$W/conf/main.cf"
touch -t 200001010000 "$W/conf/main.cf"
awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++)
    printf "user%d@example.org msvmail:1002:1002:/var/mail-suite/domains/example.org/user%d:-::\n", i, i }' \
    >"$W/source"
awk -v n="$N" 'BEGIN { srand(1); for (i = 0; i < n; i++) printf "%.12f user%d@example.org\n", rand(), i }' |
    sort -n | cut -d' ' -f2 >"$W/keys"

pm() { postmap -c "$W/conf" "$@"; }
ours_build() { build/bench_cdb build "$W/source" "$W/ours.cdb"; }
ours_query() { build/bench_cdb query "$W/ours.cdb"; }

echo "cdb bench: N=$N keys, $RUNS alternating runs, $(nproc) CPUs, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "postmap $(dpkg-query -W -f='${Version}' postfix), tinycdb $(dpkg-query -W -f='${Version}' libcdb1)"
printf '%-4s %12s %12s %12s %12s %12s %12s\n' run ours-build pf-cdb-build pf-lmdb-build \
    ours-query pf-cdb-query pf-lmdb-query
ob="" cb="" lb="" oq="" cq="" lq=""
i=1
while [ "$i" -le "$RUNS" ]; do
    rm -f "$W/ours.cdb" "$W/source.cdb" "$W/source.lmdb"
    IN=/dev/null OUT=/dev/null
    t1=$(elapsed_ms ours_build)
    t2=$(elapsed_ms pm cdb:"$W/source")
    t3=$(elapsed_ms pm lmdb:"$W/source")
    IN="$W/keys"
    OUT="$W/ours.out"
    t4=$(elapsed_ms ours_query)
    OUT="$W/cdb.out"
    t5=$(elapsed_ms pm -q - cdb:"$W/source")
    OUT="$W/lmdb.out"
    t6=$(elapsed_ms pm -q - lmdb:"$W/source")
    if ! cmp -s "$W/ours.out" "$W/cdb.out" || ! cmp -s "$W/ours.out" "$W/lmdb.out"; then
        echo "run.sh: the lookup outputs differ" >&2
        exit 1
    fi
    [ "$(wc -l <"$W/ours.out")" -eq "$N" ] || {
        echo "run.sh: $(wc -l <"$W/ours.out") of $N keys found" >&2
        exit 1
    }
    printf '%-4s %12s %12s %12s %12s %12s %12s\n' "$i" "$t1" "$t2" "$t3" "$t4" "$t5" "$t6"
    ob="$ob $t1" cb="$cb $t2" lb="$lb $t3" oq="$oq $t4" cq="$cq $t5" lq="$lq $t6"
    i=$((i + 1))
done
mob=$(echo "$ob" | median) mcb=$(echo "$cb" | median) mlb=$(echo "$lb" | median)
moq=$(echo "$oq" | median) mcq=$(echo "$cq" | median) mlq=$(echo "$lq" | median)
printf '%-4s %12s %12s %12s %12s %12s %12s\n' median "$mob" "$mcb" "$mlb" "$moq" "$mcq" "$mlq"
echo "times in ms; ratio = Postfix median / our median (above 1: we are faster)"
echo "build:  postmap cdb $(ratio "$mcb" "$mob")x, postmap lmdb $(ratio "$mlb" "$mob")x"
echo "lookup: postmap cdb $(ratio "$mcq" "$moq")x, postmap lmdb $(ratio "$mlq" "$moq")x"
echo "table sizes: ours $(stat -c %s "$W/ours.cdb"), postmap cdb $(stat -c %s "$W/source.cdb")," \
    "lmdb $(stat -c %s "$W/source.lmdb") bytes"
