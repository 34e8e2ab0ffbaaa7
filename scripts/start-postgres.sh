#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster on 127.0.0.1 for Terraform's `pg` state backend (the state-locking test
# and examples/pg-backend), and prints its connection string on stdout as one line:
#   PG_CONN_STR=postgres://terraform:<password>@127.0.0.1:<port>/terraform_state?sslmode=disable
#
# Usage: scripts/start-postgres.sh [DIR]     stop with: scripts/stop-postgres.sh [DIR]
#   DIR holds the cluster, its log and the connection string; default $CPI_PG_DIR, else $TMPDIR/cpi-renewal-pg.
# Idempotent: when the cluster in DIR is already running, it prints the same line again and changes nothing.
# PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user (Debian's packages create it).
set -euo pipefail

dir=${1:-${CPI_PG_DIR:-${TMPDIR:-/tmp}/cpi-renewal-pg}}
database=terraform_state
superuser=terraform

fail() {
  echo "start-postgres: $*" >&2
  exit 1
}

# Debian keeps the server binaries off PATH (/usr/lib/postgresql/<major>/bin); prefer PATH, else the newest major.
bindir=
if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
  bindir=$(dirname "$(readlink -f "$(command -v pg_ctl)")")
else
  for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$candidate/initdb" ] && [ -x "$candidate/pg_ctl" ]; then
      bindir=$candidate
      break
    fi
  done
fi
[ -n "$bindir" ] || fail "initdb/pg_ctl not found on PATH nor in /usr/lib/postgresql/*/bin; install the Debian package postgresql-15 (apt-get install postgresql-15) or PostgreSQL 10 or later."
psql_bin=$(command -v psql 2>/dev/null || true)
[ -n "$psql_bin" ] || psql_bin=$bindir/psql
[ -x "$psql_bin" ] || fail "psql not found; install the Debian package postgresql-client-15."

# Runs a server binary as the cluster's owner: ourselves, or `postgres` when we are root.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}
if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
  fail "running as root and there is no 'postgres' user to run the server as (PostgreSQL refuses root); create one with 'useradd --system postgres' or run as a normal user."
fi

data=$dir/data
conn_file=$dir/conn-str
password_file=$dir/password

print_conn_str() {
  echo "PG_CONN_STR=$(cat "$conn_file")"
}

if [ -f "$data/PG_VERSION" ] && [ -f "$conn_file" ] && as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1; then
  print_conn_str
  exit 0
fi

mkdir -p "$dir"
chmod 700 "$dir"
if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir"; fi

if [ ! -f "$data/PG_VERSION" ]; then
  rm -rf "$data"
  # a random password: the cluster listens on TCP, and other users of this machine must not use it
  password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  (umask 077 && printf '%s\n' "$password" >"$password_file")
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$password_file"; fi
  as_owner "$bindir/initdb" -D "$data" --username="$superuser" --pwfile="$password_file" --auth=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 --no-instructions >"$dir/initdb.log" 2>&1 ||
    fail "initdb failed; see $dir/initdb.log: $(tail -n 5 "$dir/initdb.log")"
  # Loopback only, the socket in DIR (not /var/run/postgresql, which may be missing), and no fsync: the data is
  # thrown away, so durability only costs time.
  cat >>"$data/postgresql.conf" <<EOF

# throwaway cluster of scripts/start-postgres.sh
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
fi
password=$(cat "$password_file")

# A free port, chosen by the kernel; retried in case another process takes it before the server binds it.
free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}
started=
for _attempt in 1 2 3; do
  port=$(free_port)
  if as_owner "$bindir/pg_ctl" -D "$data" -l "$dir/postgres.log" -o "-p $port" -w -t 30 start >/dev/null 2>&1; then
    started=yes
    break
  fi
done
[ -n "$started" ] || fail "the server did not start; see $dir/postgres.log: $(tail -n 5 "$dir/postgres.log" 2>/dev/null)"

admin_url="postgres://$superuser:$password@127.0.0.1:$port/postgres?sslmode=disable"
if [ "$("$psql_bin" "$admin_url" -tAc "SELECT 1 FROM pg_database WHERE datname = '$database'")" != 1 ]; then
  "$psql_bin" "$admin_url" -q -c "CREATE DATABASE $database" >/dev/null
fi

(umask 077 && printf '%s\n' "postgres://$superuser:$password@127.0.0.1:$port/$database?sslmode=disable" >"$conn_file")
print_conn_str
