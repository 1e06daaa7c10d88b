#!/usr/bin/env bash
# Installs what pgcdc needs to build and test on Debian 12 (run as root or with sudo).
# Idempotent: packages already present are skipped by apt-get.
set -euo pipefail
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

packages=(
  build-essential pkg-config meson ninja-build          # build
  libpq-dev libprotobuf-c-dev protobuf-c-compiler       # libpgcdc's dependencies
  libcurl4-openssl-dev libssl-dev
  postgresql-15 postgresql-client-15                    # the test and quickstart server
  clang libclang-rt-14-dev                              # libFuzzer, sanitizers
  openjdk-17-jdk-headless junit5                        # JNI library, NiFi processors, Java tests
  python3                                               # test summary
  util-linux                                            # runuser
)
# PostgreSQL versions other than 15 come from npm (tests/pg/install-pg.sh), which
# works with Debian 12's own npm 9.2 / Node 18 as with newer ones: Debian's are
# installed only if no working npm and node are there already.
{ node --version && npm --version; } >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  # Debian's postgresql package would start a cluster on port 5432; the tests start their own.
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || {
    echo "install-deps: apt-get install ${missing[*]} failed (see apt's messages above)." >&2
    case " ${missing[*]} " in *" npm "*)
      echo "install-deps: if Node.js came from elsewhere (e.g. NodeSource), Debian's npm conflicts with it:" \
           "install npm for that Node.js instead, then run this again." >&2 ;;
    esac
    exit 1; }
fi
# initdb and postgres refuse to run as root: the servers run as this user.
id postgres >/dev/null 2>&1 || $SUDO useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
