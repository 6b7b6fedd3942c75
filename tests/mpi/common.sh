# Sourced by the MPI test scripts: how to run mpirun here, and checks.
# Open MPI as root on one host; MPI only bootstraps (ob1 over tcp/vader).
MPIRUN="mpirun --allow-run-as-root --oversubscribe --bind-to none --mca pml ob1 --mca btl self,vader,tcp"
export OMPI_MCA_osc=^rdma
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}   # Open MPI's own allocations are not ours to judge
top=${top_builddir:-..}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# run_mpi NP ARGS...: run under a time limit, keep the output in $out
run_mpi() {
  local np=$1; shift
  timeout -k 5 300 $MPIRUN -np "$np" "$@" >"$out" 2>&1
  status=$?
  cat "$out"
  return 0
}

expect() { grep -q -- "$1" "$out" || { echo "MISSING in the output: $1"; exit 1; }; }
expect_status() { [ "$status" "$1" 0 ] || { echo "exit status $status, expected $1 0"; exit 1; }; }
