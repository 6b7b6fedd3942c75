#!/bin/bash
# A demo that is killed leaves nothing behind: SIGKILL of all its
# processes once its workers have the pool open, SIGTERM of the parent,
# and a worker killed mid-run.  Each run is its own process group.
top=${top_builddir:-..}
demo="$top/tools/rgroove-demo --procs 2 --objects 100000"
out=$(mktemp)
group=
cleanup() { [ -n "$group" ] && kill -KILL -- -"$group" 2>/dev/null; rm -f "$out"; }
trap cleanup EXIT
status=0
fail() { echo "FAIL: $*"; cat "$out"; status=1; }

# start: run the demo in a new process group; group = its pid
start() {
  setsid $demo >"$out" 2>&1 &
  group=$!
}
# wait_for TEXT: until the demo prints TEXT (at most 60 s)
wait_for() {
  for _ in $(seq 6000); do grep -q -- "$1" "$out" && return 0; sleep 0.01; done
  fail "no '$1' within 60 s"
  return 1
}
# members: the processes of the run's group (from /proc: field 5 of stat)
members() {
  local stat line rest
  for stat in /proc/[0-9]*/stat; do
    read -r line 2>/dev/null <"$stat" || continue
    rest=${line##*) }
    set -- $rest
    [ "$3" = "$group" ] && echo "${stat//[^0-9]/}"
  done
}
# left: what the run left once its processes are gone (a killed one
# takes a moment to exit: at most 10 s): its shm name, its processes
left() {
  for _ in $(seq 100); do [ -z "$(members)" ] && break; sleep 0.1; done
  [ -e "/dev/shm/rgroove-demo-$group" ] && echo "/dev/shm/rgroove-demo-$group"
  members | sed 's/^/process /'
}

echo "== SIGKILL of every process, once the workers have the pool open"
start
if wait_for "pool name removed"; then
  kill -STOP -- -"$group"          # frozen mid-run, so the kill below meets it running
  kill -0 "$group" 2>/dev/null || fail "the demo ended before it could be killed"
  kill -KILL -- -"$group"; kill -CONT -- -"$group" 2>/dev/null
  wait "$group" 2>/dev/null
  [ -z "$(left)" ] && echo "nothing left" || fail "left behind: $(left)"
fi

echo "== SIGTERM of the parent"
start
wait_for "pool shm:/rgroove-demo-$group" && kill -TERM "$group"
wait "$group"; rc=$?
grep -- "stopped by signal 15" "$out" && [ $rc = 143 ] || fail "exit $rc, no 'stopped by signal 15'"
[ -z "$(left)" ] && echo "nothing left" || fail "left behind: $(left)"

echo "== a worker killed mid-run"
start
if wait_for "worker 0 (pid"; then
  worker=$(sed -n 's/^worker 0 (pid \([0-9]*\)).*/\1/p' "$out")
  kill -KILL "$worker"
  wait "$group"; rc=$?
  grep -- "worker 0 (pid $worker) was killed by signal 9" "$out" && [ $rc = 1 ] || fail "exit $rc, the death not reported"
  [ -z "$(left)" ] && echo "nothing left" || fail "left behind: $(left)"
fi
group=
exit $status
