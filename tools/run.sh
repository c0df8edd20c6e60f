#!/bin/sh
# make run: configures ROOT on first use, checks it, and starts the services that exist.
set -eu
ROOT=$1
if [ ! -e "$ROOT/control/me" ]; then
    "$ROOT/bin/mailctl" init
else
    echo "run: $ROOT is configured already (control/me exists); mailctl init not run"
fi
"$ROOT/bin/mailctl" check
# Services are started here as later programs arrive (mailctl start). Until then the
# install holds no program that listens or delivers.
echo "run: installed and configured $ROOT; no mail service is part of this build yet"
