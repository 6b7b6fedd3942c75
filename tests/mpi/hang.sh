#!/bin/bash
# Every collective of rg_mpi_open, rg_mpi_verify and rg_mpi_close is
# bounded: with rank 1 hanging at each one in turn (tests/mpi/hang.c),
# rank 0 reports the wait it gave up and the job ends.  Without a bound
# the run would hang until run_mpi's limit and the report be missing.
. "$(dirname "$0")/common.sh"
hang="$top/tests/mpi/hang"
run_mpi 2 "$hang" 500
expect_status -eq
counts=$(sed -n 's/^collectives started: rg_mpi_open \([0-9]*\), rg_mpi_verify \([0-9]*\), rg_mpi_close \([0-9]*\)$/\1 \2 \3/p' "$out")
[ -n "$counts" ] || { echo "no count of collectives"; exit 1; }
set -- $counts
total=$(($1 + $2 + $3))
echo "== $total collectives; rank 1 hangs at each in turn"
for k in $(seq "$total"); do
  RG_HANG_RANK=1 RG_HANG_AT=$k run_mpi 2 -x RG_HANG_RANK -x RG_HANG_AT "$hang" 500 >/dev/null
  if [ "$k" -le "$1" ]; then call=rg_mpi_open; elif [ "$k" -le $(($1 + $2)) ]; then call=rg_mpi_verify; else call=rg_mpi_close; fi
  what=$(grep -o "rgroove rank 0: gave up after 500 ms waiting for the other ranks ([^)]*)" "$out" | head -n 1)
  stuck=$(grep -o "hanging at collective $k ([A-Za-z_]*)" "$out")
  echo "collective $k, in $call: ${stuck:-NOT REACHED}; ${what:-NO REPORT}"
  expect_status -ne
  expect "hanging at collective $k "
  expect "rgroove rank 0: gave up after 500 ms"
  expect "hang rank 0: $call: transport failure"
done
echo "every collective gave up in time"
