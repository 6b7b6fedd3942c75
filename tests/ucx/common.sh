# Sourced by the ucx test scripts: an rgroove-server --transport ucx on
# 127.0.0.1 over UCX's tcp transport (this host may have no RDMA), with
# a random token, stopped and cleaned up on every exit path.
top=${top_builddir:-..}
export UCX_TLS=${UCX_TLS:-tcp}
export RGROOVE_TOKEN=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
work=$(mktemp -d)
server=
cleanup() {
  [ -n "$server" ] && kill -KILL "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# start_server ARGS...: start it on a free port (a few random tries),
# wait for its ready file (bounded); sets server, port, pool.
start_server() {
  for try in 1 2 3 4 5; do
    port=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
    rm -f "$work/ready"
    "$top/launcher/rgroove-server" --transport ucx --addr 127.0.0.1 --port $port --ready-file "$work/ready" "$@" \
      >"$work/server.log" 2>&1 &
    server=$!
    for _ in $(seq 150); do [ -f "$work/ready" ] || ! kill -0 $server 2>/dev/null && break; sleep 0.1; done
    if [ -f "$work/ready" ]; then pool=ucx://127.0.0.1:$port; return 0; fi
    wait $server 2>/dev/null; server=
    grep -q "cannot listen" "$work/server.log" || break   # only a taken port is worth another try
  done
  echo "rgroove-server did not start:"; cat "$work/server.log"
  exit 1
}

# stop_server: SIGTERM; it disconnects everyone, recovers and verifies
# the pool and must exit 0 (bounded wait).
stop_server() {
  kill -TERM $server
  for _ in $(seq 100); do kill -0 $server 2>/dev/null || break; sleep 0.1; done
  wait $server
  local status=$?
  server=
  echo "== rgroove-server log"
  cat "$work/server.log"
  [ $status = 0 ] || { echo "rgroove-server exited with status $status"; exit 1; }
  grep -q "verify: success" "$work/server.log" || { echo "the server did not verify the pool at shutdown"; exit 1; }
}
