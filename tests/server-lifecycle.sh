#!/bin/bash
# rgroove-server refuses, at once and before it makes or serves
# anything: a pool another process owns (the owner named), a pool larger
# than the memory it would pin, more than the memory-lock limit allows,
# and bad numbers.  None of these needs an RDMA device.
top=${top_builddir:-..}
server="$top/launcher/rgroove-server"
pool=$(mktemp /tmp/rgroove-lock.XXXXXX)
holder=
cleanup() { [ -n "$holder" ] && kill "$holder" 2>/dev/null; wait 2>/dev/null; rm -f "$pool"; }
trap cleanup EXIT
status=0
# built without verbs (and ucx), rgroove-server has no transport to
# serve with and stops before the pool: only its numbers are checked
grep -q '^#define RG_HAVE_VERBS 1' "$top/config.h" && serves=1 || serves=0

# expect RC TEXT CMD...: CMD exits RC and prints TEXT
expect() {
  local rc=$1 text=$2; shift 2
  local out; out=$("$@" 2>&1); local got=$?
  echo "$(basename "$1") ${*:2}: exit $got: $out"
  [ "$got" = "$rc" ] || { echo "FAIL: expected exit $rc"; status=1; }
  grep -q -- "$text" <<<"$out" || { echo "FAIL: expected '$text'"; status=1; }
}

if [ $serves = 1 ]; then
  echo "== a pool another process owns"
  head -c 65536 /dev/zero >"$pool"
  # the owner takes the lock itself, as a server does (flock(1) would leave
  # its own short-lived pid in /proc/locks)
  perl -e 'use Fcntl ":flock"; open( my $f, "+<", $ARGV[0] ) or die; flock( $f, LOCK_EX ) or die; sleep 60' "$pool" &
  holder=$!
  for _ in $(seq 100); do flock -n "$pool" true || break; sleep 0.05; done
  expect 1 "$pool is owned by pid $holder (perl)" "$server" --pool "file:$pool"
  expect 1 "$pool is owned by pid $holder (perl)" "$server" --pool "file:$pool" --verify --recover
  kill "$holder"; wait "$holder" 2>/dev/null; holder=
  expect 1 "is not a pool" "$server" --pool "file:$pool"   # the lock is free now: the next check speaks

  echo "== more memory than this host has to pin"
  avail_gib=$(awk '/^MemAvailable:/ { print int($2/1048576) }' /proc/meminfo)
  expect 1 "MemAvailable" "$server" --pool anon --volumes $((avail_gib + 1))
  name=/rgroove-preflight-$$
  expect 1 "MemAvailable\|/dev/shm has" "$server" --pool "shm:$name" --volumes $((avail_gib + 1))
  [ ! -e "/dev/shm$name" ] || { echo "FAIL: /dev/shm$name was left"; rm -f "/dev/shm$name"; status=1; }

  echo "== more than the memory-lock limit, without CAP_IPC_LOCK"
  if [ "$(id -u)" = 0 ]; then drop="setpriv --bounding-set=-ipc_lock"; else drop=; fi
  expect 1 "may lock only 64 KiB (ulimit -l)" bash -c "ulimit -l 64 && exec $drop $server --volumes 1"

else
  echo "skipped the pool cases: this rgroove was built without a network transport"
fi

echo "== bad numbers"
expect 2 "--volumes abc: expected a number from 1 to 65535" "$server" --volumes abc
expect 2 "--volumes 0: expected a number" "$server" --volumes 0
expect 2 "--port 70000: expected a number from 1 to 65535" "$server" --port 70000
exit $status
