# bench/lib.sh - helpers shared by the bench/*/run.sh scripts; sourced (POSIX sh) after
# `cd` to the top of the repository:
#
#     . bench/lib.sh
#     need_test_packages                 # Postfix & co. (sh tools/deps.sh test)
#     wait_for 30 grep -qs ready "$LOG" || die "not ready"
#     m=$(echo "$TIMES" | median); echo "$(ratio "$theirs" "$m")x"
#     { pf_main_cf "$PF" loopback-only; echo "relayhost = ..."; } >"$PF/conf/main.cf"

die() {
    echo "run.sh: $*" >&2
    exit 111
}

# The packages the benchmarks drive (Postfix, smtp-source/smtp-sink, Dovecot ...),
# installed when missing by tools/deps.sh without starting their daemons.
need_test_packages() {
    sh tools/deps.sh test || die "missing packages (run sh tools/deps.sh test as root)"
}

# The benchmark account $1 (msbench) must not exist already, unless a killed run of
# bench/delivery or bench/smtp left it behind: then it is removed.
drop_leftover_account() {
    id "$1" >/dev/null 2>&1 || return 0
    case $(getent passwd "$1" | cut -d: -f6) in
    */bench_smtp.*/home/$1 | */bench_delivery.*/home/$1) userdel "$1" ;;
    *) die "account $1 exists and is not a leftover of a benchmark" ;;
    esac
}

# Waits up to $1 seconds for the command that follows to succeed.
wait_for() {
    limit=$(($1 * 20))
    shift
    i=0
    while ! "$@"; do
        i=$((i + 1))
        [ "$i" -lt "$limit" ] || return 1
        sleep 0.05
    done
}
alive() { [ -e "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
gone() { ! alive "$1"; }
now() { date +%s.%N; }

# The median of the numbers on stdin (separated by spaces or newlines).
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# $1 / $2 with two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# The machine and the file system of the folder $1, for the head of a report.
print_machine() {
    echo "machine: $(nproc) CPUs, $(awk '/model name/ { sub(/.*: /, ""); print; exit }' /proc/cpuinfo)," \
        "$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r)"
    echo "file system: $(findmnt -n -o SOURCE,FSTYPE,OPTIONS -T "$1")"
}

# --- a throwaway Postfix instance in $PF: its own main.cf, master.cf, queue and log

# Makes $1/conf, $1/queue and $1/data.
pf_dirs() {
    install -d -m 755 "$1/conf" "$1/queue"
    install -d -o postfix -m 700 "$1/data"
}
# The main.cf lines every instance has: $1 the instance folder, $2 inet_interfaces.
pf_main_cf() {
    cat <<EOF
compatibility_level = 3.6
queue_directory = $1/queue
data_directory = $1/data
mail_owner = postfix
setgid_group = postdrop
myhostname = pf.bench.example
mydomain = bench.example
myorigin = \$myhostname
mydestination =
inet_interfaces = $2
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
biff = no
maillog_file = $1/maillog
maillog_file_prefixes = $(dirname "$(dirname "$1")")
EOF
}
# main.cf lines delivering pf.example with virtual(8) into $1/mail/USER/Maildir/ as the
# uid $2 and gid $3 (the map $1/conf/vmailbox), and nothing outbound.
pf_virtual_cf() {
    cat <<EOF
virtual_mailbox_domains = pf.example
virtual_mailbox_base = $1/mail
virtual_mailbox_maps = texthash:$1/conf/vmailbox
virtual_uid_maps = static:$2
virtual_gid_maps = static:$3
default_transport = error:outbound mail is off in this benchmark
relay_transport = error:outbound mail is off in this benchmark
EOF
}
# The map for pf_virtual_cf: USER@pf.example (USER is $2) to $1/mail/USER/Maildir/.
pf_vmailbox() {
    printf '%s@pf.example %s/Maildir/\n' "$2" "$2" >"$1/conf/vmailbox"
}
# The master.cf services pf_virtual_cf needs beside pf_master_cf's.
pf_virtual_services() {
    echo "tlsmgr     unix  - - n 1000? 1 tlsmgr"
    echo "proxywrite unix  - - n -     1 proxymap"
    echo "virtual    unix  - n n -     - virtual"
}
# The master.cf services every instance has (Debian's, chroot off: a chroot under a
# temporary directory lacks /etc files); no smtpd, local, smtp, lmtp or pipe.
pf_master_cf() {
    cat <<'EOF'
pickup     unix  n - n 60    1 pickup
cleanup    unix  n - n -     0 cleanup
qmgr       unix  n - n 300   1 qmgr
rewrite    unix  - - n -     - trivial-rewrite
bounce     unix  - - n -     0 bounce
defer      unix  - - n -     0 bounce
trace      unix  - - n -     0 bounce
verify     unix  - - n -     1 verify
flush      unix  n - n 1000? 0 flush
proxymap   unix  - - n -     - proxymap
showq      unix  n - n -     - showq
error      unix  - - n -     - error
retry      unix  - - n -     - error
discard    unix  - - n -     - discard
anvil      unix  - - n -     1 anvil
scache     unix  - - n -     1 scache
postlog    unix-dgram n - n - 1 postlogd
EOF
}
# Dates main.cf and master.cf of the instance $1 back (Postfix waits for a main.cf
# changed in the last second to settle), then runs postfix check.
pf_check() {
    touch -t 200001010000 "$1/conf/main.cf" "$1/conf/master.cf"
    postfix -c "$1/conf" check || die "postfix check failed"
}
