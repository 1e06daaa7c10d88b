#!/usr/bin/env bash
# The whole test suite, as CI runs it, on a fresh Debian 12 machine:
#   1. installs the build dependencies and PostgreSQL 12-18 server binaries,
#   2. builds and runs every test (unit, and live against each PostgreSQL version),
#   3. runs the unit tests and PostgreSQL 15 live tests again under ASan + UBSan,
#   4. fuzzes the pgoutput decoder for $PGCDC_FUZZ_SECONDS (default 60) seconds,
# and ends with the line "N passed, N failed".
#
# Environment: PGCDC_PG_VERSIONS (default 12,13,14,15,16,17,18), PGCDC_FUZZ_SECONDS,
# PGCDC_SKIP_SANITIZERS=1, PGCDC_SKIP_FUZZ=1.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

versions="${PGCDC_PG_VERSIONS:-12,13,14,15,16,17,18}"
fuzz_seconds="${PGCDC_FUZZ_SECONDS:-60}"
passed=0; failed=0

step() { echo; echo "=== $*"; }

step "dependencies"
scripts/install-deps.sh || { echo "0 passed, 1 failed"; exit 1; }
tests/pg/install-pg.sh ${versions//,/ } || { echo "0 passed, 1 failed"; exit 1; }

# Runs meson test in a build dir and adds its results to the totals.
run_suite() {
  local dir="$1"; shift
  meson test -C "$dir" --print-errorlogs --num-processes 2 "$@"
  local counts
  counts=$(python3 - "$dir/meson-logs/testlog.json" <<'PY'
import json, sys
ok = bad = 0
for line in open(sys.argv[1]):
    r = json.loads(line).get("result")
    if r in ("OK", "EXPECTEDFAIL"): ok += 1
    elif r != "SKIP": bad += 1
print(ok, bad)
PY
)
  passed=$((passed + ${counts% *})); failed=$((failed + ${counts#* }))
}

step "build (gcc) and test against PostgreSQL $versions"
if meson setup --wipe build-ci -Dpg_versions="$versions" >/dev/null 2>&1 || meson setup build-ci -Dpg_versions="$versions"; then
  if ninja -C build-ci; then run_suite build-ci; else failed=$((failed + 1)); fi
else
  failed=$((failed + 1))
fi

if [ "${PGCDC_SKIP_SANITIZERS:-0}" != 1 ]; then
  step "unit and PostgreSQL 15 live tests under ASan + UBSan"
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
  if { meson setup --wipe build-asan -Dpg_versions=15 -Db_sanitize=address,undefined >/dev/null 2>&1 ||
       meson setup build-asan -Dpg_versions=15 -Db_sanitize=address,undefined; } && ninja -C build-asan; then
    run_suite build-asan --suite unit --suite pg15
  else
    failed=$((failed + 1))
  fi
fi

if [ "${PGCDC_SKIP_FUZZ:-0}" != 1 ]; then
  step "fuzz the decoder for ${fuzz_seconds}s"
  if { CC=clang meson setup --wipe build-fuzz -Dfuzz=true -Db_sanitize=address,undefined \
         -Dc_args=-fsanitize=fuzzer-no-link -Db_lundef=false -Dpg_versions=15 >/dev/null 2>&1 ||
       CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined \
         -Dc_args=-fsanitize=fuzzer-no-link -Db_lundef=false -Dpg_versions=15; } &&
     ninja -C build-fuzz tests/fuzz/fuzz_decoder && tests/fuzz/run-fuzz.sh build-fuzz "$fuzz_seconds"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
  fi
fi

echo
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
