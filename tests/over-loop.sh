#!/bin/sh
# over-loop.sh PROGRAM: run a CUnit suite over the loop transport (the
# remote code path on a local pool), as make check does for test_alloc
# and test_concurrency.
export RG_TEST_POOL=loop:anon RG_TEST_TRANSPORT=loop
exec "${top_builddir:-..}/tests/$1"  # the build tree's program (a VPATH build keeps this script apart)
