#!/usr/bin/env bash
# Runs the decoder fuzzer for a bounded time from the committed seed corpus.
#   tests/fuzz/run-fuzz.sh BUILD_DIR SECONDS
# Findings (crash-*, leak-*, timeout-*) are written to BUILD_DIR/fuzz-findings and
# make this script exit non-zero.
set -euo pipefail
build="$1"; seconds="${2:-60}"
here=$(cd "$(dirname "$0")" && pwd)
work="$build/fuzz-corpus"; findings="$build/fuzz-findings"
mkdir -p "$work" "$findings"
cp -n "$here"/corpus/* "$work"/ 2>/dev/null || true
"$build/tests/fuzz/fuzz_decoder" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$findings/" -print_final_stats=1 "$work" 2>&1 | tail -n 25
if ls "$findings"/* >/dev/null 2>&1; then
  echo "fuzz_decoder: findings in $findings" >&2
  exit 1
fi
echo "fuzz_decoder: ran ${seconds}s without a finding"
