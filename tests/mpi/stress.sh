#!/bin/bash
# mpirun -np 4 over shm: one server rank and three clients, then two and
# two; cross-rank frees, patterns checked, every server verified and no
# object left.
. "$(dirname "$0")/common.sh"
for servers in 1 2; do
  run_mpi 4 "$top/launcher/mpi/rgroove-launch" --servers $servers --workload stress --transport shm
  expect_status -eq
  expect "4 rank(s), $servers server(s), transport shm"
  expect "total: 20480 allocated, 20480 checked and freed by another rank, 0 bad, 0 errors"
  expect "verify: success on all $servers server(s); 0 live object(s) left"
done
run_mpi 4 "$top/launcher/mpi/rgroove-launch" --servers 2 --workload bench --iters 20000
expect_status -eq
expect "^#bytes  *avg\[usec\]"
expect "^65536  *[0-9.]*  *[0-9.]*  *[0-9.]*  *[0-9]*  *[0-9]*  *[-0-9.]*  *0$"
expect "total: .* pairs/s over 4 ranks and 2 server(s), 0 errors"
