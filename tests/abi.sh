#!/bin/sh
# One ABI whatever configure found: the dynamic symbols each built
# library exports are exactly the global list of its version script.
top=${top_builddir:-..}
src=${srcdir:-.}/..
status=0
map=$(mktemp) lib=$(mktemp)
trap 'rm -f "$map" "$lib"' EXIT

# check LIB MAP: compare nm -D's defined symbols with MAP's globals
check() {
  [ -f "$1" ] || { echo "FAIL: $1 is not built"; status=1; return; }
  sed -n '/global:/,/local:/p' "$2" | sed -e '/global:/d' -e '/local:/d' -e 's/[ ;]//g' -e '/^$/d' | sort >"$map"
  nm -D --defined-only "$1" | awk '$2 != "A" { sub( /@.*/, "", $3 ); print $3 }' | sort >"$lib"
  if cmp -s "$map" "$lib"; then
    echo "PASS: $(basename "$1") exports exactly the $(wc -l <"$map") symbols of $(basename "$2")"
  else
    echo "FAIL: $(basename "$1") and $(basename "$2") differ (< map only, > library only):"
    diff "$map" "$lib" | grep '^[<>]'
    status=1
  fi
}
check "$top/.libs/librgroove.so" "$src/librgroove.map"
if [ -f "$top/launcher/mpi/librgroove_mpi.la" ]; then
  check "$top/launcher/mpi/.libs/librgroove_mpi.so" "$src/librgroove_mpi.map"
else
  echo "librgroove_mpi is not configured (no MPI): only librgroove checked"
fi
exit $status
