#!/usr/bin/env bash
# The whole test suite, as CI runs it, on a fresh Debian 12 machine:
#   1. installs the build dependencies and PostgreSQL 12-18 server binaries,
#   2. builds and runs every test (unit, and live against each PostgreSQL version),
#   3. runs the unit tests and PostgreSQL 15 live tests again under ASan + UBSan,
#   4. fuzzes the pgoutput decoder for $PGCDC_FUZZ_SECONDS (default 60) seconds and
#      the ingestion parameter parsers, the ChangeBatch decoder, the configuration
#      file, the connection URL parsers and the chunk/plan descriptor codecs for half that each,
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

# Runs meson test in a build dir and adds its results to the totals. Every way
# this can go wrong counts: a missing or unreadable log, or one without a
# single test, is one failure, and so is meson test exiting non-zero when the
# log shows no failed test (meson itself failed, or was interrupted).
run_suite() {
  local dir="$1"; shift
  local log="$dir/meson-logs/testlog.json" rc counts ok bad
  rm -f "$log"  # a log from an earlier run must not stand in for this one
  meson test -C "$dir" --print-errorlogs --num-processes 2 "$@"
  rc=$?
  if counts=$(python3 - "$log" <<'PY'
import json, sys
ok = bad = 0
try:
    with open(sys.argv[1]) as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)["result"]
            if r in ("OK", "EXPECTEDFAIL"): ok += 1
            elif r != "SKIP": bad += 1
except (OSError, ValueError, KeyError, TypeError) as e:
    sys.exit(f"run-all: reading {sys.argv[1]}: {type(e).__name__}: {e}")
if ok + bad == 0:
    sys.exit(f"run-all: {sys.argv[1]}: no test ran")
print(ok, bad)
PY
  ) && [[ "$counts" =~ ^[0-9]+\ [0-9]+$ ]]; then
    ok=${counts% *}; bad=${counts#* }
  else
    echo "run-all: no usable test results in $log (meson test exit status $rc): counted as 1 failed" >&2
    ok=0; bad=1
  fi
  if [ "$rc" != 0 ] && [ "$bad" = 0 ]; then
    echo "run-all: meson test exited with status $rc but its log has no failed test: counted as 1 failed" >&2
    bad=1
  fi
  passed=$((passed + ok)); failed=$((failed + bad))
}

step "build (gcc) and test against PostgreSQL $versions"
if meson setup --wipe build-ci -Dpg_versions="$versions" >/dev/null 2>&1 || meson setup build-ci -Dpg_versions="$versions"; then
  if ninja -C build-ci; then run_suite build-ci; else failed=$((failed + 1)); fi
  # Without a JDK the JNI library, the NiFi NAR and the Java tests are skipped
  # by the build (a message, not an error): here that is a failure.
  # (the list captured first: with pipefail, grep -q closing the pipe early
  # would fail the pipeline)
  ci_tests=$(meson test -C build-ci --list 2>/dev/null || true)
  if ! grep -q 'nifi-nar-layout' <<<"$ci_tests"; then
    echo "run-all: the Java/NiFi tests are missing from the build (no JDK or junit5?): counted as 1 failed" >&2
    failed=$((failed + 1))
  fi
else
  failed=$((failed + 1))
fi

if [ "${PGCDC_SKIP_SANITIZERS:-0}" != 1 ]; then
  step "unit and PostgreSQL 15 live tests under ASan + UBSan"
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
  if { meson setup --wipe build-asan -Dpg_versions=15 -Db_sanitize=address,undefined >/dev/null 2>&1 ||
       meson setup build-asan -Dpg_versions=15 -Db_sanitize=address,undefined; } && ninja -C build-asan; then
    # not the Java tests: a JVM cannot load a sanitizer-instrumented library
    # without preloading the sanitizer runtime
    run_suite build-asan --suite unit --suite pg15 --no-suite java
  else
    failed=$((failed + 1))
  fi
fi

if [ "${PGCDC_SKIP_FUZZ:-0}" != 1 ]; then
  step "fuzz the decoder for ${fuzz_seconds}s; the ingestion parameter parsers, the ChangeBatch decoder, the" \
       "configuration file, the connection URL parsers and the chunk/plan codecs for $((fuzz_seconds / 2))s each"
  if { CC=clang meson setup --wipe build-fuzz -Dfuzz=true -Db_sanitize=address,undefined \
         -Dc_args=-fsanitize=fuzzer-no-link -Db_lundef=false -Dpg_versions=15 >/dev/null 2>&1 ||
       CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined \
         -Dc_args=-fsanitize=fuzzer-no-link -Db_lundef=false -Dpg_versions=15; } &&
     ninja -C build-fuzz tests/fuzz/fuzz_decoder tests/ingest/fuzz_ingest \
       tests/fuzz/fuzz_batch tests/fuzz/fuzz_conf tests/fuzz/fuzz_url tests/fuzz/fuzz_chunk; then
    for target in decoder ingest batch conf url chunk; do
      secs=$fuzz_seconds; [ $target != decoder ] && secs=$((fuzz_seconds / 2))
      if tests/fuzz/run-fuzz.sh build-fuzz "$secs" $target; then
        passed=$((passed + 1))
      else
        failed=$((failed + 1))
      fi
    done
  else
    failed=$((failed + 1))
  fi
fi

echo
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
