#!/usr/bin/env bash
# A cluster must not outlive the process that owns it, however that process
# ends: pg-cluster.sh's watchdog stops it and removes its directory. Owners
# that are SIGKILLed (a timeout), abort (a sanitizer report) and a shell that
# started the cluster as the quickstart does; and a normal stop leaves no
# watchdog behind.
#   test_watchdog.sh WATCHDOG_HELPER PG_CLUSTER_SH     (PGCDC_TEST_PG_VERSION: the major)
set -uo pipefail
helper="$1" cluster_sh="$2"
major="${PGCDC_TEST_PG_VERSION:-15}"
work=$(mktemp -d)
ulimit -c 0   # the aborting owner leaves no core file
checks=0 failures=0
children=()
cleanup() {
  for p in "${children[@]}"; do kill -9 "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

check() {  # check DESCRIPTION COMMAND...
  local what="$1"; shift
  checks=$((checks + 1))
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; failures=$((failures + 1)); fi
}

# Waits (up to 10 s) for COMMAND... to succeed.
within_10s() {
  for _ in $(seq 1 50); do "$@" && return 0; sleep 0.2; done
  return 1
}

accepting() { "$helper" ping "$1"; }
not_accepting() { ! "$helper" ping "$1"; }
dir_gone() { [ ! -e "$1" ]; }
# A live (not zombie) process whose command line has "_watchdog" and DIR.
watchdog_running() {
  local f cmdline state
  for f in /proc/[0-9]*/cmdline; do
    cmdline=$(tr '\0' ' ' 2>/dev/null <"$f") || continue
    case "$cmdline" in *" _watchdog "*" $1 ") ;; *) continue ;; esac
    state=$(awk '{ sub(/.*\) /, ""); print $1 }' "${f%/cmdline}/stat" 2>/dev/null)
    [ -n "$state" ] && [ "$state" != Z ] && return 0
  done
  return 1
}
no_watchdog() { ! watchdog_running "$1"; }

# Reads "PORT DIR" from the owner's output file (up to 60 s: initdb + start).
read_cluster() {
  local out="$1"
  for _ in $(seq 1 300); do
    if [ -s "$out" ] && read -r port dir <"$out" && [ -n "${dir:-}" ]; then return 0; fi
    sleep 0.2
  done
  echo "FAIL: no cluster from the owner; its output:"; cat "$out"; exit 1
}

# 1. A C test (pgt.c) that is SIGKILLed, as meson does on a timeout. It is not
# reaped until the end: to the watchdog a zombie owner is a dead one.
"$helper" hold >"$work/hold.out" & owner=$!; children+=("$owner")
read_cluster "$work/hold.out"
check "sigkill: the server accepts connections while the owner lives" accepting "$port"
check "sigkill: the owner's cluster has a watchdog" watchdog_running "$dir"
kill -9 "$owner"
check "sigkill: the server stops within 10 s of the owner's death" within_10s not_accepting "$port"
check "sigkill: its directory is removed" within_10s dir_gone "$dir"
check "sigkill: the watchdog exits" within_10s no_watchdog "$dir"
wait "$owner" 2>/dev/null

# 2. A C test that aborts (ASan abort_on_error, UBSan halt_on_error): no atexit.
"$helper" abort >"$work/abort.out" 2>/dev/null & owner=$!; children+=("$owner")
read_cluster "$work/abort.out"
wait "$owner" 2>/dev/null
check "abort: the server stops within 10 s" within_10s not_accepting "$port"
check "abort: its directory is removed" within_10s dir_gone "$dir"
check "abort: the watchdog exits" within_10s no_watchdog "$dir"

# 3. A script that starts a cluster as examples/quickstart.sh does (owner: the
# script's shell, by default) and is SIGKILLed before its EXIT trap can run.
bash -c 'read -r port dir < <("$1" start "$2"); echo "$port $dir"; trap "\"$1\" stop \"\$dir\"" EXIT; while :; do sleep 0.2; done' \
  _ "$cluster_sh" "$major" >"$work/script.out" & owner=$!; children+=("$owner")
read_cluster "$work/script.out"
check "script: the server accepts connections while the script runs" accepting "$port"
kill -9 "$owner"; wait "$owner" 2>/dev/null
check "script: the server stops within 10 s of the script's death" within_10s not_accepting "$port"
check "script: its directory is removed" within_10s dir_gone "$dir"
check "script: the watchdog exits" within_10s no_watchdog "$dir"

# 4. A normal pgt_cluster_stop: the cluster is gone at once, and so is its watchdog.
"$helper" stop >"$work/stop.out"; rc=$?
read_cluster "$work/stop.out"
check "stop: the owner exits 0" [ "$rc" = 0 ]
check "stop: pgt_cluster_stop returned" grep -qx stopped "$work/stop.out"
check "stop: the server is stopped" not_accepting "$port"
check "stop: its directory is removed" dir_gone "$dir"
check "stop: no watchdog is left" no_watchdog "$dir"

echo "watchdog: $checks checks, $failures failed"
[ "$failures" = 0 ]
