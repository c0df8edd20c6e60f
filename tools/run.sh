#!/bin/sh
# make run: configures ROOT on first use, checks it, and starts the delivery processes
# (ROOT/bin/start ./Maildir/) in the background unless send runs already.
set -eu
ROOT=$1
if [ ! -e "$ROOT/control/me" ]; then
    "$ROOT/bin/mailctl" init
else
    echo "run: $ROOT is configured already (control/me exists); mailctl init not run"
fi
"$ROOT/bin/mailctl" check

MUTEX=$ROOT/queue/lock/sendmutex
LOG=$ROOT/log/send.log
PIDFILE=$ROOT/log/send.pid
# send holds an exclusive flock on the mutex while it runs and keeps its pid there.
send_running() { ! flock -n -s "$MUTEX" true; }
send_pid() { head -n 1 "$MUTEX" 2>/dev/null || true; }

if [ "$(id -u)" != 0 ]; then
    echo "run: not root: the delivery processes were not started (start must run as root)"
elif send_running; then
    echo "run: the delivery processes run already (send pid $(send_pid)); nothing started"
else
    # start becomes send: its pid is send's. setsid detaches it from make's session.
    setsid "$ROOT/bin/start" ./Maildir/ </dev/null >>"$LOG" 2>&1 &
    tries=0
    until send_running && [ -n "$(send_pid)" ]; do
        tries=$((tries + 1))
        if [ "$tries" -gt 100 ]; then
            echo "run: the delivery processes did not start; the end of $LOG:" >&2
            tail -n 5 "$LOG" >&2
            exit 111
        fi
        sleep 0.1
    done
    send_pid >"$PIDFILE"
    echo "run: started the delivery processes: $ROOT/bin/start ./Maildir/ (send pid" \
        "$(send_pid), with lspawn and clean; local mail is delivered now)"
    echo "run: send logs to $LOG; stop it with: kill -TERM \$(cat $PIDFILE)"
fi
echo "run: installed and configured $ROOT; no SMTP, POP3 or IMAP service is part of this build yet"
