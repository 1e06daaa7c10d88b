#!/usr/bin/env bash
# The README's quickstart, run against this build: the walkthrough's changes
# must come out of `pgcdc tail`, decoded, after `pgcdc check` passed.
set -uo pipefail
build="$1"
here=$(cd "$(dirname "$0")/../.." && pwd)
out=$(PGCDC_BUILD_DIR="$build" "$here/examples/quickstart.sh" 2>&1)
rc=$?
fail=0
expect() {
  if ! grep -qF -- "$1" <<<"$out"; then echo "missing: $1"; fail=1; fi
}
expect "0 failed"
expect "INSERT app.customers customer_id='4' name='Saburo Sato' email='saburo@example.com'"
expect "INSERT app.orders order_id='4' customer_id='4' product_id='1' quantity='5' status='pending'"
expect "UPDATE app.products product_id='3' name='Monitor' price='27800.00' in_stock='t'"
expect "UPDATE app.orders order_id='2' customer_id='2' product_id='2' quantity='1' status='shipped'"
expect "DELETE app.orders order_id='3'"
[ "$(grep -c '^COMMIT' <<<"$out")" = 5 ] || { echo "expected 5 COMMIT lines"; fail=1; }
if [ $rc != 0 ] || [ $fail != 0 ]; then
  echo "quickstart exit status $rc; its output:"; echo "$out"
  exit 1
fi
echo "quickstart: ok"
