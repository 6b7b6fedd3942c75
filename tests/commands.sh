#!/bin/bash
# Every command: --version prints "NAME (rgroove) VERSION" and exits 0;
# --help documents every option of its getopt table (the short form
# too, where it has one); a bad number exits 2 saying what was expected.
top=${top_builddir:-..}
src=${srcdir:-.}/..
version=$(sed -n 's/^#define RG_VERSION_STRING "\(.*\)"$/\1/p' "$top/include/rgroove/rg_version.h")
status=0
fail() { echo "FAIL: $*"; status=1; }

# check NAME PROGRAM SOURCE
check() {
  local name=$1 prog=$2 source=$3
  [ -x "$prog" ] || { echo "skipped: $name is not built"; return; }
  local out; out=$("$prog" --version); local rc=$?
  echo "$name --version: $out"
  [ $rc = 0 ] && [ "$out" = "$name (rgroove) $version" ] || fail "$name --version: exit $rc, '$out'"
  local help; help=$("$prog" --help) || fail "$name --help exits non-zero"
  local shorts; shorts=$(grep -o 'getopt_long( argc, argv, "[^"]*"' "$source" | sed 's/.*"\(.*\)"/\1/')
  local n=0
  for entry in $(grep -o '{ "[a-z-]*", [a-z_]*, NULL, '"'"'.'"'" "$source" | sed "s/{ \"\([a-z-]*\)\", [a-z_]*, NULL, '\(.\)'/\1:\2/"); do
    local long=${entry%%:*} short=${entry##*:}
    n=$((n + 1))
    if [[ "$shorts" == *"$short"* ]]; then
      grep -q -- "-$short, --$long\b" <<<"$help" || fail "$name --help does not show -$short, --$long"
    else
      grep -q -- "--$long\b" <<<"$help" || fail "$name --help does not show --$long"
    fi
  done
  [ $n -gt 2 ] || fail "$name: found only $n options in $source"
  echo "$name --help: all $n options documented"
}
check rgroove-server "$top/launcher/rgroove-server" "$src/launcher/rgroove-server.c"
check rgroove-demo   "$top/tools/rgroove-demo"      "$src/tools/rgroove-demo.c"
if [ -f "$top/launcher/mpi/librgroove_mpi.la" ]; then
  check rgroove-launch "$top/launcher/mpi/rgroove-launch" "$src/launcher/mpi/rgroove-launch.c"
fi

# bad_number RC TEXT CMD...: CMD exits 2 with TEXT (before any MPI or pool)
bad_number() {
  local text=$1; shift
  local out; out=$("$@" 2>&1); local rc=$?
  echo "$(basename "$1") ${*:2}: exit $rc: $out"
  [ $rc = 2 ] && grep -q -- "$text" <<<"$out" || fail "expected exit 2 and '$text'"
}
bad_number "--objects 0: expected a number from 1 to 1000000" "$top/tools/rgroove-demo" --objects 0
bad_number "--procs 4x: expected a number from 1 to 64" "$top/tools/rgroove-demo" --procs 4x
bad_number "--port 0x10000: expected a number from 1 to 65535" "$top/launcher/rgroove-server" --port 0x10000
if [ -f "$top/launcher/mpi/librgroove_mpi.la" ]; then
  bad_number "--iters abc: expected a number" "$top/launcher/mpi/rgroove-launch" --iters abc
  bad_number "--batch 5000: expected a number from 1 to 4096" "$top/launcher/mpi/rgroove-launch" --batch 5000
fi
exit $status
