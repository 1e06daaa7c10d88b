#!/usr/bin/env bash
# Runs a fuzz target for a bounded time.
#   tests/fuzz/run-fuzz.sh BUILD_DIR SECONDS [decoder|ingest|batch|conf|url|chunk]
# decoder (default): the pgoutput decoder, from the committed seed corpus.
# ingest: the cron, JSON, column-filter and table-name parsers.
# batch: the ChangeBatch decoder and filter; conf: the configuration file and
# every parameter it sets; url: the connection URL parsers; each from
# corpus/NAME (crash inputs found once stay there as regression tests).
# chunk: the snapshot chunk descriptor and plan codecs (seeds in corpus/chunk;
#   a 64 MB malloc limit: no count may allocate more than its text holds).
# Findings (crash-*, leak-*, timeout-*) are written to BUILD_DIR/fuzz-findings-TARGET
# and make this script exit non-zero.
set -euo pipefail
build="$1"; seconds="${2:-60}"; target="${3:-decoder}"
here=$(cd "$(dirname "$0")" && pwd)
case "$target" in
  decoder) exe="$build/tests/fuzz/fuzz_decoder"; seeds="$here/corpus"; max_len=65536 ;;
  ingest)  exe="$build/tests/ingest/fuzz_ingest"; seeds=""; max_len=4096 ;;
  batch)   exe="$build/tests/fuzz/fuzz_batch"; seeds="$here/corpus/batch"; max_len=65536 ;;
  conf)    exe="$build/tests/fuzz/fuzz_conf"; seeds="$here/corpus/conf"; max_len=16384 ;;
  url)     exe="$build/tests/fuzz/fuzz_url"; seeds="$here/corpus/url"; max_len=4096 ;;
  chunk)   exe="$build/tests/fuzz/fuzz_chunk"; seeds="$here/corpus/chunk"; max_len=16384; extra=-malloc_limit_mb=64 ;;
  *) echo "run-fuzz.sh: unknown target '$target' (decoder, ingest, batch, conf, url or chunk)" >&2; exit 2 ;;
esac
work="$build/fuzz-corpus-$target"; findings="$build/fuzz-findings-$target"
mkdir -p "$work" "$findings"
[ -n "$seeds" ] && cp -n "$seeds"/* "$work"/ 2>/dev/null || true
"$exe" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$findings/" -print_final_stats=1 ${extra:-} "$work" 2>&1 | tail -n 25
if ls "$findings"/* >/dev/null 2>&1; then
  echo "fuzz_$target: findings in $findings" >&2
  exit 1
fi
echo "fuzz_$target: ran ${seconds}s without a finding"
