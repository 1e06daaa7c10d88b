#!/bin/sh
# Lists the shared libraries a JNI library needs that a stock NiFi host
# (a glibc-based JRE image) does not have, in load order (each after the
# libraries it needs), one path a line:
#
#   native-deps.sh LIBPGCDC_JNI.so
#
# Everything ldd resolves is listed except glibc's own libraries and
# OpenSSL 3 (libssl.so.3, libcrypto.so.3), which the host must provide.
# NativeLibrary.java loads the listed files by absolute path before the JNI
# library, so its NEEDED entries resolve to them.
set -eu
so=$1
host_lib() {
  case "$1" in
    linux-vdso.so.*|ld-linux*|libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|librt.so.*|libresolv.so.*) return 0 ;;
    libssl.so.3|libcrypto.so.3) return 0 ;;
  esac
  return 1
}
# soname -> path of the closure
map=$(ldd "$so" | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }')
ship=""
for soname in $(printf '%s\n' "$map" | awk '{print $1}'); do
  host_lib "$soname" || ship="$ship $soname"
done
path_of() { printf '%s\n' "$map" | awk -v n="$1" '$1 == n { print $2 }'; }
needed_of() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\].*/\1/p'; }
done_list=" "
left=$ship
while [ -n "$(echo $left)" ]; do
  progress=""
  next=""
  for s in $left; do
    ready=yes
    for n in $(needed_of "$(path_of "$s")"); do
      case " $ship " in *" $n "*) case "$done_list" in *" $n "*) ;; *) ready="" ;; esac ;; esac
    done
    if [ -n "$ready" ]; then
      path_of "$s"
      done_list="$done_list$s "
      progress=yes
    else
      next="$next $s"
    fi
  done
  [ -n "$progress" ] || { echo "native-deps.sh: a dependency cycle among:$next" >&2; exit 1; }
  left=$next
done
