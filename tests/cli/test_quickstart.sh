#!/usr/bin/env bash
# The README's quickstart, run against this build: after `pgcdc check` passed,
# `pgcdc run --until-caught-up` twice (snapshot, then the walkthrough's changes
# by CDC) must leave the destination rows the walkthrough expects.
set -uo pipefail
build="$1"
here=$(cd "$(dirname "$0")/../.." && pwd)
out=$(PGCDC_BUILD_DIR="$build" "$here/examples/quickstart.sh" 2>&1)
rc=$?
fail=0
expect() { # a line matching the extended regex must be in the output
  if ! grep -qE -- "$1" <<<"$out"; then echo "missing a line matching: $1"; fail=1; fi
}
expect "checks, 0 failed"
# after the changes (psql's aligned output: columns padded, | separated; the
# last column is _SNOWFLAKE_DELETED)
expect '^ +4 \| Saburo Sato +\| saburo@example.com +\|.*\| f$'
expect '^ +3 \| Monitor +\| +27800\.00 \| t +\|.*\| f$'
expect '^ +2 \| +2 \| +2 \| +1 \| shipped +\|.*\| f$'
expect '^ +3 \| +3 \| +3 \| +1 \| shipped +\|.*\| t$'
expect '^ +4 \| +4 \| +1 \| +5 \| pending +\|.*\| f$'
[ "$(grep -cE '^app\.(customers|orders|products) +INCREMENTAL_REPLICATION' <<<"$out")" = 3 ] ||
  { echo "expected the three tables in INCREMENTAL_REPLICATION"; fail=1; }
if [ $rc != 0 ] || [ $fail != 0 ]; then
  echo "quickstart exit status $rc; its output:"; echo "$out"
  exit 1
fi
echo "quickstart: ok"
