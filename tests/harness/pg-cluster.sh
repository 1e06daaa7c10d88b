#!/usr/bin/env bash
# Throwaway PostgreSQL clusters for tests and demos.
#
#   pg-cluster.sh start MAJOR [-c name=value ...]   prints "PORT DATADIR" on stdout
#   pg-cluster.sh stop DATADIR                       stops the server and removes the directory
#   pg-cluster.sh bindir MAJOR                       prints the binary directory for MAJOR
#
# The cluster lives in a fresh temp dir, listens on 127.0.0.1 at a free port
# with wal_level=logical, and trusts the superuser "postgres" from 127.0.0.1;
# other roles authenticate with scram-sha-256 passwords. initdb and postgres
# refuse to run as root, so as root the server runs as the unprivileged user
# $PGCDC_TEST_PG_USER (default: postgres, created by Debian's package).
set -euo pipefail

run_as_server_user() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u "${PGCDC_TEST_PG_USER:-postgres}" -- "$@"
  else
    "$@"
  fi
}

bindir_for() {
  local major="$1"
  if [ -x "/usr/lib/postgresql/$major/bin/postgres" ]; then
    echo "/usr/lib/postgresql/$major/bin"; return
  fi
  local root
  if [ "$(id -u)" = 0 ]; then root=/var/cache/pgcdc/pg; else root="$HOME/.cache/pgcdc/pg"; fi
  root="${PGCDC_PG_ROOT:-$root}"
  if [ -x "$root/$major/bin/postgres" ]; then
    echo "$root/$major/bin"; return
  fi
  echo "pg-cluster.sh: PostgreSQL $major server binaries not found (looked in /usr/lib/postgresql/$major/bin and $root/$major/bin); run: tests/pg/install-pg.sh $major" >&2
  exit 3
}

cmd="${1:-}"; shift || true
# The server user may not be able to read the caller's working directory.
cd /
case "$cmd" in
bindir)
  bindir_for "$1"
  ;;
start)
  major="$1"; shift
  bin=$(bindir_for "$major")
  dir=$(mktemp -d "${TMPDIR:-/tmp}/pgcdc-pg$major.XXXXXX")
  chmod 755 "$dir"
  [ "$(id -u)" = 0 ] && chown "${PGCDC_TEST_PG_USER:-postgres}" "$dir"
  run_as_server_user "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 || {
    echo "pg-cluster.sh: initdb failed:" >&2; cat "$dir/initdb.log" >&2; rm -rf "$dir"; exit 1; }
  cat > "$dir/data/pg_hba.conf" <<HBA
local all all trust
host all postgres 127.0.0.1/32 trust
host replication postgres 127.0.0.1/32 trust
host all all 127.0.0.1/32 scram-sha-256
host replication all 127.0.0.1/32 scram-sha-256
HBA
  cat >> "$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
wal_level = logical
max_wal_senders = 10
max_replication_slots = 10
max_prepared_transactions = 10
password_encryption = 'scram-sha-256'
fsync = off
logging_collector = off
CONF
  for opt in "$@"; do
    case "$opt" in -c) ;; *) echo "$opt" | sed 's/=/ = /' >> "$dir/data/postgresql.conf" ;; esac
  done
  # A free port: try random ones until the server starts (a taken port fails fast).
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    port=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
    if run_as_server_user "$bin/pg_ctl" -D "$dir/data" -o "-p $port" -l "$dir/server.log" -w -t 60 start >/dev/null 2>&1; then
      echo "$port $dir"
      exit 0
    fi
    grep -q -i "address already in use\|could not create" "$dir/server.log" 2>/dev/null || break
  done
  echo "pg-cluster.sh: PostgreSQL $major did not start:" >&2
  tail -n 20 "$dir/server.log" >&2 || true
  rm -rf "$dir"
  exit 1
  ;;
stop)
  dir="$1"
  case "$dir" in */pgcdc-pg*) ;; *) echo "pg-cluster.sh: refusing to remove '$dir'" >&2; exit 2 ;; esac
  if [ -f "$dir/data/postmaster.pid" ]; then
    bin=$(dirname "$(readlink -f /proc/"$(head -1 "$dir/data/postmaster.pid")"/exe 2>/dev/null || echo /nonexistent/x)")
    if [ -x "$bin/pg_ctl" ]; then
      run_as_server_user "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    else
      kill -QUIT "$(head -1 "$dir/data/postmaster.pid")" 2>/dev/null || true
    fi
  fi
  rm -rf "$dir"
  ;;
*)
  echo "usage: pg-cluster.sh start MAJOR [-c name=value ...] | stop DATADIR | bindir MAJOR" >&2
  exit 2
  ;;
esac
