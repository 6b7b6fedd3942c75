#!/bin/bash
# mpirun -np 4 rgroove-launch --transport ucx with 2 server ranks: the
# pool over UCX's tcp transport (MPI itself bootstraps over ob1/tcp),
# cross-rank frees checked, every server verified, no object left.
. "$(dirname "$0")/../mpi/common.sh"
export UCX_TLS=${UCX_TLS:-tcp}
run_mpi 4 "$top/launcher/mpi/rgroove-launch" --transport ucx --servers 2 --iters 4 --batch 64
expect_status -eq
expect "4 rank(s), 2 server(s), transport ucx (forced)"
expect "total: 1024 allocated, 1024 checked and freed by another rank, 0 bad, 0 errors"
expect "verify: success on all 2 server(s); 0 live object(s) left"
