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
printf '[PostgreSQL Source Parameters]\nPublication Name = p\0q\n' > "$tmp/nul.conf"
out=$("$pgcdc" check -c "$tmp/nul.conf" 2>&1); [ $? = 2 ] && grep -q "nul.conf:2: the line holds a NUL byte" <<<"$out" ||
  { echo "NUL byte: $out"; fail=1; }
out=$("$pgcdc" check 2>&1); [ $? = 2 ] && grep -q "use -c FILE" <<<"$out" || { echo "no -c: $out"; fail=1; }
out=$("$pgcdc" frobnicate 2>&1); [ $? = 2 ] && grep -q "unknown command" <<<"$out" || { echo "bad command: $out"; fail=1; }

# A configuration file holding a secret and readable by group or others gets a
# warning naming the file, its mode and the chmod to run (as ssh does for keys).
src_ok=$'[PostgreSQL Source Parameters]\nPostgreSQL Connection URL = jdbc:postgresql://127.0.0.1:1/db\nPostgreSQL Username = u\nPublication Name = p'
warned() { # mode, content -> 0 if pgcdc check warned
  printf '%s\n' "$2" > "$tmp/w.conf"; chmod "$1" "$tmp/w.conf"
  out=$("$pgcdc" check -c "$tmp/w.conf" 2>&1)
  if grep -q "s3cr3t" <<<"$out"; then echo "mode $1: password leaked: $out"; fail=1; fi
  grep -q "too open" <<<"$out"
}
want_warning() { # name, mode, content
  if ! warned "$2" "$3"; then echo "$1: no warning: $out"; fail=1; return; fi
  grep -qF "permissions $2 for configuration file $tmp/w.conf are too open" <<<"$out" &&
    grep -qF "chmod 600 $tmp/w.conf" <<<"$out" || { echo "$1: warning lacks the mode or the chmod: $out"; fail=1; }
}
no_warning() { if warned "$2" "$3"; then echo "$1: unexpected warning: $out"; fail=1; fi; }
want_warning "0644 with a password" 0644 "$src_ok"$'\nPostgreSQL Password = s3cr3t'
want_warning "0640 with a password in the URL" 0640 \
  $'[PostgreSQL Source Parameters]\nPostgreSQL Connection URL = postgresql://u:s3cr3t@127.0.0.1:1/db\nPublication Name = p'
want_warning "0604 with a destination password" 0604 "$src_ok"$'\n[PostgreSQL Destination Parameters]\nDestination Password = s3cr3t'
no_warning "0600 with a password" 0600 "$src_ok"$'\nPostgreSQL Password = s3cr3t'
no_warning "0644 without a secret" 0644 "$src_ok"
PGCDC_POSTGRESQL_PASSWORD=s3cr3t no_warning "0644, password only in the environment" 0644 "$src_ok"
PGCDC_POSTGRESQL_PASSWORD=other want_warning "0644, the file's password overridden by the environment" 0644 \
  "$src_ok"$'\nPostgreSQL Password = s3cr3t'

# While it runs (here: retrying an unreachable source), pgcdc is not dumpable:
# the kernel then gives its /proc/PID files to root and refuses other processes
# of the same user its environ (and ptrace, and core dumps). Checked as a user
# other than root, for whom the difference shows.
as_user=()
if [ "$(id -u)" = 0 ]; then
  id -u postgres >/dev/null 2>&1 && as_user=(runuser -u postgres --)
fi
if [ "$(id -u)" != 0 ] || [ ${#as_user[@]} -gt 0 ]; then
  run_conf=$(mktemp); trap 'rm -rf "$tmp" "$run_conf"' EXIT
  printf '%s\n' "$src_ok" $'PostgreSQL Password = s3cr3t\n[PostgreSQL Destination Parameters]' \
    $'Destination Connection URL = postgresql://u@127.0.0.1:1/d\n[PostgreSQL Ingestion Parameters]' \
    $'Included Table Names = a.b' > "$run_conf"
  chmod 600 "$run_conf"; [ ${#as_user[@]} -gt 0 ] && chown postgres "$run_conf"
  "${as_user[@]}" "$pgcdc" run -c "$run_conf" >/dev/null 2>&1 &
  runner=$!
  sleep 1
  pid=$(pgrep -P "$runner" -x pgcdc || echo "$runner") # runuser forks pgcdc
  owner=$(stat -c %U "/proc/$pid/status" 2>/dev/null)
  comm=$(cat "/proc/$pid/comm" 2>/dev/null)
  if [ "$comm" != pgcdc ]; then
    echo "dumpable: pgcdc run did not keep running (pid $pid is '$comm')"; fail=1
  elif [ "$owner" != root ]; then
    echo "dumpable: /proc/$pid/status of a running pgcdc is owned by $owner, not root: it is dumpable"; fail=1
  elif "${as_user[@]}" cat "/proc/$pid/environ" >/dev/null 2>&1; then
    echo "dumpable: another process of the same user read pgcdc's environ"; fail=1
  fi
  kill "$pid" 2>/dev/null; wait "$runner" 2>/dev/null
else
  echo "dumpable: skipped (root without a postgres user to run pgcdc as)"
fi

[ $fail = 0 ] && echo "config errors: ok"
exit $fail
