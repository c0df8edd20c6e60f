#!/bin/sh
# Creates mail-suite's groups and accounts when missing (DESIGN section 2).
# Arguments: the names from conf.mk, in the order of the Makefile's call.
# Idempotent: existing accounts are left as they are.
set -eu
alias=$1 daemon=$2 log=$3 passwd=$4 queue=$5 remote=$6 send=$7 vmail=$8
gmail=$9 gnofiles=${10}

group() { getent group "$1" >/dev/null || groupadd --system "$1"; }
account() { # name primary-group home
    getent passwd "$1" >/dev/null ||
        useradd --system --gid "$2" --home-dir "$3" --no-create-home \
            --shell /usr/sbin/nologin "$1"
}
root=${ROOT:?}
group "$gmail"
group "$gnofiles"
account "$alias" "$gnofiles" "$root/alias"
account "$daemon" "$gnofiles" "$root"
account "$log" "$gnofiles" "$root"
account "$passwd" "$gnofiles" "$root"
account "$queue" "$gmail" "$root"
account "$remote" "$gmail" "$root"
account "$send" "$gmail" "$root"
account "$vmail" "$gnofiles" "$root/domains"
