#!/usr/bin/env bash
# Makes sure a PostgreSQL answers at 127.0.0.1:5432 with database `test` (trust auth, user
# postgres), as the PostgreSQL-backed tests expect: start the local cluster if it is down,
# install it with apt-get if it is missing. Idempotent; prints what it did.
set -euo pipefail
HOST=127.0.0.1 PORT=5432

ready() { pg_isready -q -h "$HOST" -p "$PORT" 2>/dev/null; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }

if ! command -v pg_isready >/dev/null 2>&1 || ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
  echo "ensure-postgres: installing PostgreSQL with apt-get"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql >/dev/null
  ver=$(ls /etc/postgresql | sort -V | tail -n1)
  conf=/etc/postgresql/$ver/main
  # Trust auth on loopback, as on the project's machines (test-only clusters).
  as_root sed -i -E 's/^(host|local)(\s+all\s+all\s+.*)\s(scram-sha-256|md5|peer)$/\1\2 trust/' "$conf/pg_hba.conf"
fi

if ! ready; then
  echo "ensure-postgres: starting the local cluster"
  as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n1)" main start || true
  for _ in $(seq 1 60); do ready && break; sleep 0.5; done
fi
ready || { echo "ensure-postgres: PostgreSQL is not answering at $HOST:$PORT" >&2; exit 1; }

if ! psql -h "$HOST" -p "$PORT" -U postgres -d test -Atc 'select 1' >/dev/null 2>&1; then
  echo "ensure-postgres: creating database test"
  psql -h "$HOST" -p "$PORT" -U postgres -d postgres -qc 'create database test' \
    || as_root su postgres -c "psql -qc 'create database test'"
fi
echo "ensure-postgres: PostgreSQL ready at $HOST:$PORT/test"
