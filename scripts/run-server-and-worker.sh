#!/usr/bin/env bash
# `make run`: the platform's server and one worker together (long work and the schedule run in the
# worker). Ctrl-C stops both; if either ends, the other is stopped too.
# Usage: scripts/run-server-and-worker.sh LTCI_EXECUTABLE [serve options...]
set -uo pipefail
ltci="$1"; shift
"$ltci" worker &
worker=$!
"$ltci" serve "$@" &
server=$!
stop() { kill -TERM "$worker" "$server" 2>/dev/null; }
trap stop INT TERM
wait -n "$worker" "$server"
status=$?
stop
wait
exit "$status"
