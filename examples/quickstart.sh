#!/usr/bin/env bash
# The quickstart: the Openflow walkthrough's scenario against a throwaway local
# PostgreSQL 15. Installs the dependencies (Debian 12), builds pgcdc, starts a
# server with a source database (appdb) and a destination database
# (appdb_replica), loads the walkthrough's data, creates its connector role
# (REPLICATION + SELECT only) and publication, runs the preflight checks, runs
# the connector until caught up (snapshot), applies the walkthrough's inserts /
# updates / delete, runs it again (CDC), and prints the destination rows with
# their metadata columns.
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

echo "== PostgreSQL 15 on 127.0.0.1:$port: source database appdb, destination database appdb_replica"
psql_super -d postgres -c "CREATE DATABASE appdb" -c "CREATE DATABASE appdb_replica"
psql_super -d appdb -f examples/walkthrough/01-test-data.sql
export PGCDC_POSTGRESQL_PASSWORD="quickstart-$RANDOM$RANDOM"
psql_super -d appdb -v password="$PGCDC_POSTGRESQL_PASSWORD" -f examples/walkthrough/02-replication-setup.sql

conf="$dir/pgcdc.conf"
sed "s/@PORT@/$port/" examples/walkthrough/pgcdc.conf.in > "$conf"

echo
echo "== pgcdc check -c pgcdc.conf"
"$pgcdc" check -c "$conf"

show_destination() {
  for t in customers products orders; do
    echo "-- appdb_replica: app.$t"
    psql_super -d appdb_replica -P pager=off -c "SELECT * FROM app.$t ORDER BY 1"
  done
}

echo
echo "== pgcdc run -c pgcdc.conf --until-caught-up   (snapshot of the three tables)"
"$pgcdc" run -c "$conf" --until-caught-up
show_destination

echo
echo "== the walkthrough's inserts, updates and delete on the source"
psql_super -d appdb -f examples/walkthrough/03-changes.sql

echo
echo "== pgcdc run -c pgcdc.conf --until-caught-up   (the changes, by CDC)"
"$pgcdc" run -c "$conf" --until-caught-up
show_destination

echo
echo "== pgcdc status -c pgcdc.conf"
"$pgcdc" status -c "$conf"
