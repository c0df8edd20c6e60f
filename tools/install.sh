#!/bin/sh
# make install: creates the accounts (as root), the tree with its owners and modes,
# the programs, and the documentation. Idempotent: configuration and queued mail stay.
# Arguments: ROOT BUILD "PROGRAMS"
set -eu
ROOT=$1 BUILD=$2 PROGRAMS=$3
export ROOT
case $ROOT in
/*) ;;
*) echo "install: ROOT must be an absolute path: $ROOT" >&2; exit 100 ;;
esac
if [ "$(id -u)" = 0 ]; then
    # shellcheck disable=SC2046
    sh tools/accounts.sh $(sh tools/conf_names.sh)
else
    echo "install: not root: accounts are not created and owners are not set" >&2
fi
mkdir -p "$ROOT"
# shellcheck disable=SC2086
"$BUILD/bin/instdir" "$ROOT" "$BUILD/bin" $PROGRAMS
for f in README.md INSTALL docs/*.md; do
    install -m 0644 "$f" "$ROOT/doc/"
done
for f in docs/man/*.md; do
    [ -e "$f" ] && install -m 0644 "$f" "$ROOT/man/"
done
# The systemd unit that runs svscan on ROOT/service, for hosts that boot with systemd
# (docs/supervision.md says how to enable it; nothing is enabled here).
sed "s|@ROOT@|$ROOT|g" supervise/mail-suite.service.in >"$ROOT/doc/mail-suite.service"
chmod 0644 "$ROOT/doc/mail-suite.service"
echo "install: installed into $ROOT"
