#!/bin/bash
# Both examples with 4 ranks.
. "$(dirname "$0")/common.sh"
run_mpi 4 "$top/examples/01-hello/hello"
expect_status -eq
expect 'rank 1 read "hello from rank 0 of 4"'
expect "hello: OK"
run_mpi 4 "$top/examples/02-hashtable/hashtable" 300
expect_status -eq
expect "found 300 of rank 2's keys, 0 wrong"
expect "hashtable: OK"
