#!/bin/sh
# The README's demo as a test: processes share a named pool, the run
# must verify and leave no object behind.
exec "${top_builddir:-..}/tools/rgroove-demo" --procs 3 --objects 2000
