#!/bin/sh
# Installs the Debian packages that building (and, with "test", testing and benchmarking)
# need, when missing. Needs root for apt-get; as another user it only reports what is
# missing.
#
#     sh tools/deps.sh          build and run: compilers and libraries
#     sh tools/deps.sh test     also the real clients and servers the tests drive
#
# Postfix (for smtp-source and smtp-sink, and as the benchmark peer) and Dovecot are
# installed with a policy-rc.d that forbids starting their daemons, so they never take
# port 25, 110 or 143 from us.
set -eu
BUILD_PACKAGES="g++ make libssl-dev libcdb-dev tinycdb catch2 libcrypt-dev libunbound-dev
python3 openssl passwd procps"
TEST_PACKAGES="clang libclang-rt-14-dev swaks libnet-ssleay-perl postfix postfix-cdb postfix-lmdb dnsmasq-base
daemontools fetchmail isync ca-certificates dovecot-pop3d dovecot-imapd"
packages=$BUILD_PACKAGES
[ "${1:-}" = test ] && packages="$packages $TEST_PACKAGES"

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

missing=""
for p in $packages; do
    installed "$p" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "deps: missing packages:$missing (run as root, or install them)" >&2
    exit 111
fi
echo "deps: installing$missing"
made_policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT INT TERM
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    made_policy=1
fi
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
export DEBIAN_FRONTEND=noninteractive
status=0
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1 || {
    apt-get update -qq &&
        apt-get install -y -qq --no-install-recommends $missing >/dev/null
} || status=$?
if [ -n "$made_policy" ]; then
    rm -f /usr/sbin/policy-rc.d
    trap - EXIT INT TERM
fi
exit "$status"
