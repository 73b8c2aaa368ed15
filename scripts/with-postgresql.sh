#!/usr/bin/env bash
# Runs a command against a throw-away PostgreSQL cluster: installs Debian's server when it is
# missing, starts a cluster in a temporary directory listening on a unix socket only (no TCP port
# to collide with), exports DATABASE_URL (and PGHOST, PGUSER, psql on PATH), runs the command and
# removes the cluster.
# Usage: scripts/with-postgresql.sh COMMAND [ARGS...]
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: $0 COMMAND [ARGS...]" >&2
  exit 2
fi

find_bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
  done
  return 1
}

BINDIR="$(find_bindir || true)"
if [ -z "$BINDIR" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Debian's PostgreSQL server..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq postgresql >/dev/null
    BINDIR="$(find_bindir)"
  else
    echo "ERROR: no PostgreSQL server (initdb) found and cannot install one (needs root and apt-get)." >&2
    exit 1
  fi
fi

# initdb refuses to run as root: run the server as the unprivileged `postgres` user when we are root.
AS=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  AS=(runuser -u postgres --)
fi

WORK="$(mktemp -d /tmp/ltci-pg.XXXXXX)"
chmod 755 "$WORK"
mkdir -p "$WORK/data" "$WORK/sock"
[ "$(id -u)" = 0 ] && chown -R postgres: "$WORK/data" "$WORK/sock"

cleanup() {
  "${AS[@]}" "$BINDIR/pg_ctl" -D "$WORK/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

"${AS[@]}" "$BINDIR/initdb" -D "$WORK/data" -U postgres --auth=trust --encoding=UTF8 \
  --locale=C.UTF-8 >"$WORK/initdb.log" 2>&1 || { cat "$WORK/initdb.log" >&2; exit 1; }

# Durability is irrelevant for a cluster that lives as long as one test run.
"${AS[@]}" "$BINDIR/pg_ctl" -D "$WORK/data" -l "$WORK/sock/server.log" -w -t 60 start \
  -o "-c listen_addresses='' -c unix_socket_directories='$WORK/sock' -c fsync=off \
      -c synchronous_commit=off -c full_page_writes=off -c max_connections=50" >/dev/null \
  || { cat "$WORK/sock/server.log" >&2; exit 1; }

"$BINDIR/createdb" -h "$WORK/sock" -U postgres ltci
VERSION="$("$BINDIR/psql" -h "$WORK/sock" -U postgres -d ltci -Atc 'SHOW server_version')"
echo "PostgreSQL $VERSION: throw-away cluster on socket $WORK/sock"

# dj-database-url reads a percent-encoded socket directory as the host.
export DATABASE_URL="postgres://postgres@$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$WORK/sock")/ltci"
# psql and the other client programs reach the same cluster (scripts/postgresql-roles-check.sh uses them).
export PGHOST="$WORK/sock" PGUSER=postgres PATH="$BINDIR:$PATH"

set +e
"$@"
STATUS=$?
set -e
exit $STATUS
