#!/bin/sh
# Installs the Debian packages that building and testing need, when missing.
# Needs root for apt-get; as another user it only reports what is missing.
set -eu
PACKAGES="g++ make libssl-dev libcdb-dev tinycdb catch2 libcrypt-dev python3 openssl
clang libclang-rt-14-dev passwd procps"
missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "deps: missing packages:$missing (run as root, or install them)" >&2
    exit 111
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
