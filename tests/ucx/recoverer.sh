#!/bin/bash
# rgroove-server's recoverer (launcher/rg_recoverer.c) when the region is
# formatted anew under it, as the allocator suite does against a server:
# a departure seen while the region shows no magic pauses online
# recovery, the next one after a whole format resumes it, and clients
# SIGKILLed after that are recovered online by the server (test_kill).
# It used to turn online recovery off for good there.
. "$(dirname "$0")/common.sh"
start_server --volumes 2
wait_log() { # PATTERN: in the server's log within 10 s
  for _ in $(seq 100); do grep -q -- "$1" "$work/server.log" && return 0; sleep 0.1; done
  echo "the server's log never said: $1"; cat "$work/server.log"; exit 1
}
"$top/tests/region_tool" "$pool" blank || exit 1
wait_log "online recovery paused: it cannot join the region"
"$top/tests/region_tool" "$pool" format || exit 1
wait_log "online recovery resumed"
RG_TEST_POOL=$pool timeout -k 5 300 "$top/tests/test_kill" 3
status=$?
grep -c "recovered online in" "$work/server.log" | sed 's/^/clients recovered online by the server: /'
stop_server
exit $status
