#!/usr/bin/env bash
# Configuration-file mistakes give a clear error naming the line and the fix,
# exit status 2, and never echo a password.
set -uo pipefail
pgcdc="$1"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # name, expected substring, file content
  printf '%s\n' "$3" > "$tmp/c.conf"
  out=$("$pgcdc" check -c "$tmp/c.conf" 2>&1); rc=$?
  if [ $rc != 2 ] || ! grep -qF -- "$2" <<<"$out"; then
    echo "$1: expected exit 2 and \"$2\", got exit $rc: $out"; fail=1
  fi
  if grep -q "s3cr3t" <<<"$out"; then echo "$1: password leaked: $out"; fail=1; fi
}
check "unknown section" "did you mean [PostgreSQL Source Parameters]" "[PostgreSQL Source Parameter]"
check "unknown parameter" "did you mean \"Publication Name\"" $'[PostgreSQL Source Parameters]\nPublication Nme = p'
check "parameter before section" "before any section header" "Publication Name = p"
check "no equals sign" "c.conf:2: expected \"Parameter Name = value\"" $'[PostgreSQL Ingestion Parameters]\nIncluded Table Names'
check "set twice" "is set twice" $'[PostgreSQL Source Parameters]\nPublication Name = a\nPublication Name = b'
check "bad URL" "PostgreSQL Connection URL" $'[PostgreSQL Source Parameters]\nPostgreSQL Connection URL = jdbc:mysql://h/db\nPostgreSQL Password = s3cr3t\nPublication Name = p'
check "missing publication" "Publication Name" $'[PostgreSQL Source Parameters]\nPostgreSQL Connection URL = jdbc:postgresql://127.0.0.1:1/db\nPostgreSQL Username = u\nPostgreSQL Password = s3cr3t'
PGCDC_POSTGRESQL_CONNECTION_URL="jdbc:postgresql://h:notaport/db" check "bad env value" "from the environment" $'[PostgreSQL Source Parameters]\nPublication Name = p'
out=$("$pgcdc" check 2>&1); [ $? = 2 ] && grep -q "use -c FILE" <<<"$out" || { echo "no -c: $out"; fail=1; }
out=$("$pgcdc" frobnicate 2>&1); [ $? = 2 ] && grep -q "unknown command" <<<"$out" || { echo "bad command: $out"; fail=1; }
[ $fail = 0 ] && echo "config errors: ok"
exit $fail
