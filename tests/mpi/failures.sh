#!/bin/bash
# A rank killed or gone early, and bad configurations: a clear error,
# a non-zero exit, no hang (run_mpi bounds each run).
. "$(dirname "$0")/common.sh"
launch="$top/launcher/mpi/rgroove-launch --servers 1 --timeout-ms 5000"

run_mpi 4 $launch --kill-rank 2
expect_status -ne
expect "rank 2: killing myself"
expect "rank 2 .* exited on signal 9"

run_mpi 4 $launch --exit-rank 1
expect_status -ne
expect "rank 1: exiting early"

run_mpi 4 "$top/launcher/mpi/rgroove-launch" --servers 5
expect_status -ne
expect "5 servers asked for, but the job has only 4 ranks"
[ "$(grep -c 'could not open the pool' "$out")" = 4 ] || { echo "not every rank reported the error"; exit 1; }

if ! rdma link show 2>/dev/null | grep -q ACTIVE; then
  run_mpi 2 "$top/launcher/mpi/rgroove-launch" --transport verbs
  expect_status -ne
  expect "the verbs transport is forced but \(cannot be used here: no RDMA device\|this rgroove was built without it\)"
fi

# a server rank that cannot get the memory it is asked for (an address-
# space limit; the address sanitizer cannot run under one, so its build
# skips this case)
if ldd "$top/launcher/mpi/.libs/rgroove-launch" 2>/dev/null | grep -q libasan; then
  echo "skipped the memory case: the address sanitizer cannot run under ulimit -v"
else
  (ulimit -v 6000000; run_mpi 4 "$top/launcher/mpi/rgroove-launch" --servers 2 --volumes 8 --timeout-ms 5000)
  grep -q "cannot serve a pool of 8 volume(s): mmap of .* failed" "$out" || { echo "no memory error reported"; exit 1; }
  [ "$(grep -c 'could not open the pool' "$out")" = 4 ] || { echo "not every rank failed"; exit 1; }
fi
echo "all failure cases reported"
