#!/bin/bash
# The allocator suite (tests/test_alloc) over ucx://127.0.0.1:PORT,
# against rgroove-server --transport ucx over UCX's tcp transport.
. "$(dirname "$0")/common.sh"
start_server --volumes 2
RG_TEST_POOL=$pool timeout -k 5 300 "$top/tests/test_alloc"
status=$?
stop_server
exit $status
