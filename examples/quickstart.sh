#!/usr/bin/env bash
# The quickstart: the Openflow walkthrough's scenario against a throwaway local
# PostgreSQL 15. Installs the dependencies (Debian 12), builds pgcdc, starts a
# server, loads the walkthrough's data, creates its connector role (REPLICATION
# + SELECT only) and publication, runs the preflight checks, then streams and
# decodes the walkthrough's inserts / updates / delete as they happen.
#
# (The full pipeline into a destination database arrives with `pgcdc run`.)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

# The tests run this script against their own build: PGCDC_BUILD_DIR=DIR skips
# installing and building.
if [ -n "${PGCDC_BUILD_DIR:-}" ]; then
  build="$PGCDC_BUILD_DIR"
else
  build=build
  scripts/install-deps.sh
  [ -d build ] || meson setup build >/dev/null
  ninja -C build native/cli/pgcdc >/dev/null
fi
pgcdc="$build/native/cli/pgcdc"

read -r port dir < <(tests/harness/pg-cluster.sh start 15)
cleanup() { tests/harness/pg-cluster.sh stop "$dir"; }
trap cleanup EXIT
psql_super() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres "$@"; }

echo "== source: PostgreSQL 15 on 127.0.0.1:$port, database appdb"
psql_super -d postgres -c "CREATE DATABASE appdb"
psql_super -d appdb -f examples/walkthrough/01-test-data.sql
export PGCDC_POSTGRESQL_PASSWORD="quickstart-$RANDOM$RANDOM"
psql_super -d appdb -v password="$PGCDC_POSTGRESQL_PASSWORD" -f examples/walkthrough/02-replication-setup.sql

conf="$dir/pgcdc.conf"
sed "s/@PORT@/$port/" examples/walkthrough/pgcdc.conf.in > "$conf"

echo
echo "== pgcdc check -c pgcdc.conf"
"$pgcdc" check -c "$conf"

echo
echo "== pgcdc tail -c pgcdc.conf   (while the walkthrough's changes are applied)"
out="$dir/tail.out"
"$pgcdc" tail -c "$conf" --max-commits 5 --seconds 60 > "$out" &
tail_pid=$!
# wait until the stream is up (its slot exists), then make the changes
for _ in $(seq 1 100); do
  [ "$(psql_super -d appdb -Atc "SELECT count(*) FROM pg_replication_slots WHERE active")" = 1 ] && break
  sleep 0.1
done
psql_super -d appdb -f examples/walkthrough/03-changes.sql
wait "$tail_pid"
cat "$out"
