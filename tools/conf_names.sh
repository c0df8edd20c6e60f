#!/bin/sh
# Prints the account and group names of conf.mk (overridable from the environment),
# in the order tools/accounts.sh takes them.
set -eu
val() {
    eval "v=\${$1:-}"
    # shellcheck disable=SC2154
    if [ -n "$v" ]; then echo "$v"; return; fi
    sed -n "s/^$1 *?= *//p" conf.mk
}
for n in USER_ALIAS USER_DAEMON USER_LOG USER_PASSWD USER_QUEUE USER_REMOTE USER_SEND \
    USER_VMAIL GROUP_MAIL GROUP_NOFILES; do
    val "$n"
done
