#!/usr/bin/env bash
# Throwaway PostgreSQL clusters for tests and demos.
#
#   pg-cluster.sh start MAJOR [-c name=value ...]   prints "PORT DATADIR" on stdout
#   pg-cluster.sh stop DATADIR                       stops the server and removes the directory
#   pg-cluster.sh restart DATADIR [SECONDS]          stops the server (fast shutdown), keeps it down
#                                                    SECONDS (default 0), starts it on the same port
#   pg-cluster.sh bindir MAJOR                       prints the binary directory for MAJOR
#
# A cluster belongs to an owner process: $PGCDC_PG_CLUSTER_OWNER (a PID), by
# default the process that ran this script ($PPID: the shell of a script that
# calls `pg-cluster.sh start`, also through `< <(...)` or `$(...)`). `start`
# leaves a detached watchdog (own session, no open terminals or pipes) that
# polls the owner every second and, once it is gone, stops the server and
# removes the directory: a test that aborts, segfaults or is killed on a
# timeout never runs its own cleanup, and the postmaster, which pg_ctl starts
# in a session of its own, would otherwise run on. `stop` ends the watchdog
# too. PGCDC_PG_CLUSTER_OWNER=none starts no watchdog (the cluster then lives
# until `stop`).
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

# "start TIME" of a live (not zombie) process, from /proc/PID/stat; fails if
# there is none. With the PID it identifies a process even if the PID is reused.
proc_start_time() {
  local stat rest
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  rest=${stat##*) }          # the fields after "(comm)", which may hold spaces
  local -a f
  read -r -a f <<<"$rest"
  [ "${f[0]}" != Z ] && [ "${f[0]}" != X ] || return 1
  echo "${f[19]}"            # field 22: starttime
}

# Stops the server of cluster DIR (if it runs) and removes DIR.
stop_cluster() {
  local dir="$1" pid exe
  # (The server may be exiting and removing postmaster.pid meanwhile.)
  pid=$(head -1 "$dir/data/postmaster.pid" 2>/dev/null) || pid=""
  if [ -n "$pid" ]; then
    # No such process: the server is gone already (and the PID may be reused).
    if exe=$(readlink -f "/proc/$pid/exe" 2>/dev/null) && [ "${exe##*/}" = postgres ]; then
      if [ -x "${exe%/*}/pg_ctl" ]; then
        run_as_server_user "${exe%/*}/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
      else
        kill -QUIT "$pid" 2>/dev/null || true
      fi
    fi
  fi
  rm -rf "$dir"
}

# Ends the watchdog of cluster DIR, checking that the PID recorded is still it.
stop_watchdog() {
  local dir="$1" pid
  pid=$(cat "$dir/watchdog.pid" 2>/dev/null) || return 0
  case "$pid" in ''|*[!0-9]*) return 0 ;; esac
  local cmdline
  cmdline=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 0
  case "$cmdline" in *" _watchdog "*" $dir ") ;; *) return 0 ;; esac
  # Its own process group: this takes its `sleep` along.
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do
    proc_start_time "$pid" >/dev/null || return 0
    sleep 0.1
  done
}

self=$(readlink -f "$0")
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
  owner="${PGCDC_PG_CLUSTER_OWNER:-$PPID}"
  owner_start=""
  if [ "$owner" != none ]; then
    case "$owner" in ''|*[!0-9]*)
      echo "pg-cluster.sh: PGCDC_PG_CLUSTER_OWNER must be a process id or 'none', not '$owner'" >&2; exit 2 ;;
    esac
    owner_start=$(proc_start_time "$owner") || {
      echo "pg-cluster.sh: the owner process $owner is not running; set PGCDC_PG_CLUSTER_OWNER to the PID of the process that stops the cluster, or to 'none'" >&2
      exit 2; }
  fi
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
      if [ "$owner" != none ]; then
        # Detached: its own session (meson kills a timed-out test's process
        # group), and no inherited descriptor, so neither popen() in pgt.c nor
        # a `$(...)` waits for it.
        (
          for f in /proc/"$BASHPID"/fd/*; do
            n=${f##*/}
            case "$n" in 0|1|2|255) ;; *) eval "exec $n>&-" 2>/dev/null || true ;; esac
          done
          exec setsid "$self" _watchdog "$owner" "$owner_start" "$dir" </dev/null >/dev/null 2>&1
        ) &
        # Return only once it is watching, so a `stop` right away finds it.
        for _ in $(seq 1 100); do [ -s "$dir/watchdog.pid" ] && break; sleep 0.05; done
        if [ ! -s "$dir/watchdog.pid" ]; then
          echo "pg-cluster.sh: the cluster's watchdog did not start" >&2
          stop_cluster "$dir"; exit 1
        fi
      fi
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
  stop_watchdog "$dir"
  stop_cluster "$dir"
  ;;
restart)
  # A server restart as clients see it: their connections end (fast
  # shutdown), connecting fails for a while, then the same port answers
  # again. The data, the watchdog and the directory stay.
  dir="$1"; down="${2:-0}"
  case "$dir" in */pgcdc-pg*) ;; *) echo "pg-cluster.sh: refusing to restart '$dir'" >&2; exit 2 ;; esac
  case "$down" in ''|*[!0-9.]*) echo "pg-cluster.sh: restart: SECONDS must be a number, not '$down'" >&2; exit 2 ;; esac
  bin=$(bindir_for "$(cat "$dir/data/PG_VERSION")")
  port=$(sed -n 4p "$dir/data/postmaster.pid" 2>/dev/null) || port=""
  case "$port" in ''|*[!0-9]*) echo "pg-cluster.sh: restart: the server of $dir is not running" >&2; exit 1 ;; esac
  run_as_server_user "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 || {
    echo "pg-cluster.sh: restart: the server of $dir did not stop" >&2; exit 1; }
  sleep "$down"
  run_as_server_user "$bin/pg_ctl" -D "$dir/data" -o "-p $port" -l "$dir/server.log" -w -t 60 start >/dev/null 2>&1 || {
    echo "pg-cluster.sh: restart: PostgreSQL did not start again on port $port:" >&2
    tail -n 20 "$dir/server.log" >&2 || true
    exit 1; }
  ;;
_watchdog)
  # Internal: _watchdog OWNER_PID OWNER_START_TIME DIR (started by `start`).
  owner="$1" owner_start="$2" dir="$3"
  echo "$$" > "$dir/watchdog.pid" || exit 0
  # Polls the owner; ends by itself when `stop` has removed the directory.
  while [ -d "$dir" ]; do
    if [ "$(proc_start_time "$owner" || true)" != "$owner_start" ]; then
      stop_cluster "$dir"
      exit 0
    fi
    sleep 1
  done
  ;;
*)
  echo "usage: pg-cluster.sh start MAJOR [-c name=value ...] | stop DATADIR | restart DATADIR [SECONDS] | bindir MAJOR" >&2
  exit 2
  ;;
esac
