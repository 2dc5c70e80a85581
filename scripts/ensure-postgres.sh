#!/usr/bin/env bash
# Start a throwaway PostgreSQL 15 cluster for the tests on 127.0.0.1:${PG_PORT:-5433} (trust
# authentication, never a password prompt) unless one answers there, and create the test
# database. Prints nothing when all is ready.
set -euo pipefail
port="${PG_PORT:-5433}"
cluster="relance_test"
psql_() { psql -h 127.0.0.1 -p "$port" -U postgres -w -X -q "$@" </dev/null; }
if ! pg_isready -h 127.0.0.1 -p "$port" -q; then
  if pg_lsclusters -h | awk '{print $2}' | grep -qx "$cluster"; then
    pg_ctlcluster 15 "$cluster" start
  else
    pg_createcluster 15 "$cluster" --port "$port" --start -- \
      --auth-local=trust --auth-host=trust >/dev/null
  fi
  for _ in $(seq 1 100); do
    pg_isready -h 127.0.0.1 -p "$port" -q && break
    sleep 0.1
  done
fi
if [ "$(psql_ -tAc "SELECT 1 FROM pg_database WHERE datname = 'relance_test'")" != "1" ]; then
  psql_ -c "CREATE DATABASE relance_test"
fi
