#!/bin/sh
# make run: configures ROOT on first use (mailctl init, with $MAILSUITE_INIT_ARGS, e.g.
# "--hostname mx.example.org --listen smtp=127.0.0.1:2525"), checks it, starts svscan on
# ROOT/service (mailctl start, which does nothing when it runs already), and says where
# mail goes, how to send a test message and where the logs are.
set -eu
ROOT=$1
if [ ! -e "$ROOT/control/me" ]; then
    # shellcheck disable=SC2086
    "$ROOT/bin/mailctl" init ${MAILSUITE_INIT_ARGS:-}
else
    echo "run: $ROOT is configured already (control/me exists); mailctl init not run"
fi
"$ROOT/bin/mailctl" check

if [ "$(id -u)" != 0 ]; then
    echo "run: not root: the services were not started (mailctl start must run as root)"
    exit 0
fi
"$ROOT/bin/mailctl" start

ME=$(head -n 1 "$ROOT/control/me")
SMTP=$(sed -n 's/^smtp=//p' "$ROOT/control/services" | head -n 1)
echo
echo "run: mail-suite runs from $ROOT (mailctl status shows it; mailctl stop stops it)."
echo "run: mail for postmaster@$ME (and root, mailer-daemon) goes to $ROOT/alias/Maildir/;"
echo "run: mail for a local account u goes to ~u/Maildir/ (see $ROOT/control/locals)."
if [ -n "$SMTP" ]; then
    HOSTPART=${SMTP%:*}
    PORT=${SMTP##*:}
    case $HOSTPART in
    \*) HOSTPART=127.0.0.1 ;;
    \[*) HOSTPART=${HOSTPART#[} HOSTPART=${HOSTPART%]} ;;
    esac
    echo "run: SMTP listens on $SMTP; send a test message with:"
    echo "run:   swaks --server $HOSTPART --port $PORT --to postmaster@$ME"
fi
echo "run: or locally: echo 'Subject: test' | $ROOT/bin/sendmail postmaster@$ME"
echo "run: logs: $ROOT/log/NAME/current (send, smtp, ...); read them with" \
    "tai64nlocal < $ROOT/log/send/current"
