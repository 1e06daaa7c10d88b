#!/bin/sh
# Compiles Java sources into one jar (meson custom_target helper for the NiFi
# processors, the nifi-api stand-in and the Java tests).
#
#   build-jar.sh OUT.jar CLASSPATH RESOURCES_DIR|- SOURCE.java...
#
# CLASSPATH is ':'-separated ('-' for none). RESOURCES_DIR, if given, is copied
# into the jar as is (META-INF/services/...). Warnings are errors: the build
# is meant to compile clean.
set -eu
out=$1; cp=$2; res=$3; shift 3
work=$(mktemp -d "${out}.tmp.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/classes"
if [ "$cp" = - ]; then cp=""; fi
javac --release 17 -encoding UTF-8 -Xlint:all,-serial,-processing,-options -Werror \
      -cp "$cp" -d "$work/classes" "$@"
if [ "$res" != - ]; then
  cp -R "$res"/. "$work/classes/"
fi
# A fixed order and no timestamps beyond jar's own: the jar changes only when its content does.
jar --create --file "$work/out.jar" -C "$work/classes" .
mv "$work/out.jar" "$out"
