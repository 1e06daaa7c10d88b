#!/bin/sh
# Assembles the NAR (a zip NiFi unpacks into its work/nar/extensions folder):
#
#   META-INF/MANIFEST.MF                                  Nar-Group, Nar-Id, Nar-Version, Build-Timestamp
#   META-INF/docs/extension-manifest.xml                  the components' usage pages (NiFi's UI)
#   META-INF/docs/additional-details/<class>/additionalDetails.md
#   META-INF/bundled-dependencies/pgcdc-nifi-processors.jar
#   META-INF/bundled-dependencies/native/libpgcdc_jni.so
#   META-INF/bundled-dependencies/native/<soname>...          libpq.so.5 and what it needs beyond
#                                                           glibc and OpenSSL 3 (native-deps.sh)
#   META-INF/bundled-dependencies/native/pgcdc-native-deps.txt  their sonames, in load order
#
# A stock NiFi host (the official image) has neither libpq nor protobuf-c:
# protobuf-c is linked into the JNI library, libpq and its closure are
# shipped here and loaded by absolute path first (NativeLibrary.java).
#
# NiFi's NarUnpacker maps META-INF/bundled-dependencies/ to
# NAR-INF/bundled-dependencies/ and NarClassLoader.findLibrary looks for native
# libraries in NAR-INF/bundled-dependencies/native/, so System.loadLibrary
# from a class of the processors jar finds the .so there. nifi-api is not
# bundled: NiFi provides it. META-INF/docs/ stays where it is: NiFi's
# StandardRuntimeManifestService reads it from the unpacked NAR.
#
#   build-nar.sh OUT.nar GROUP ID VERSION PROCESSORS.jar LIBPGCDC_JNI.so EXTENSION-MANIFEST.xml DOCS_DIR
#
# DOCS_DIR holds <class name>/additionalDetails.md.
set -eu
out=$1; group=$2; id=$3; version=$4; jar=$5; so=$6; manifest=$7; docs=$8
work=$(mktemp -d "${out}.tmp.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/nar/META-INF/bundled-dependencies/native" "$work/nar/META-INF/docs/additional-details"
cp "$jar" "$work/nar/META-INF/bundled-dependencies/pgcdc-nifi-processors.jar"
cp "$so" "$work/nar/META-INF/bundled-dependencies/native/libpgcdc_jni.so"
: > "$work/nar/META-INF/bundled-dependencies/native/pgcdc-native-deps.txt"
for dep in $("$(dirname "$0")/native-deps.sh" "$so"); do
  name=$(basename "$dep")
  cp -L "$dep" "$work/nar/META-INF/bundled-dependencies/native/$name"
  echo "$name" >> "$work/nar/META-INF/bundled-dependencies/native/pgcdc-native-deps.txt"
done
cp "$manifest" "$work/nar/META-INF/docs/extension-manifest.xml"
for d in "$docs"/*/; do
  [ -f "$d/additionalDetails.md" ] || continue
  c=$(basename "$d")
  mkdir -p "$work/nar/META-INF/docs/additional-details/$c"
  cp "$d/additionalDetails.md" "$work/nar/META-INF/docs/additional-details/$c/"
done
# SOURCE_DATE_EPOCH for reproducible builds, as nifi-nar-maven-plugin's format.
if [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
  ts=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
else
  ts=$(date -u +%Y-%m-%dT%H:%M:%SZ)
fi
cat > "$work/manifest" <<MF
Nar-Group: $group
Nar-Id: $id
Nar-Version: $version
Build-Timestamp: $ts
Build-Jdk-Spec: 17
MF
jar --create --file "$work/out.nar" --manifest "$work/manifest" -C "$work/nar" .
mv "$work/out.nar" "$out"
