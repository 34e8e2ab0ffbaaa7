#!/usr/bin/env bash
# Stops the throwaway cluster that scripts/start-postgres.sh started in DIR and deletes DIR (the state in it is
# throwaway by design). Idempotent: does nothing when DIR holds no cluster.
#
# Usage: scripts/stop-postgres.sh [DIR]   (default $CPI_PG_DIR, else $TMPDIR/cpi-renewal-pg, as for start)
set -euo pipefail

dir=${1:-${CPI_PG_DIR:-${TMPDIR:-/tmp}/cpi-renewal-pg}}
data=$dir/data

# Only a directory that start-postgres.sh made is deleted, never an arbitrary path given by mistake.
if [ ! -f "$dir/conn-str" ] && [ ! -f "$dir/password" ]; then
  exit 0
fi

if [ -f "$data/postmaster.pid" ]; then
  pg_ctl=$(command -v pg_ctl 2>/dev/null || ls -d /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | sort -V -r | head -n 1)
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
  else
    "$pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
fi
rm -rf "$dir"
