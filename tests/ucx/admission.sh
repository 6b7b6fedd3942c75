#!/bin/sh
# tests/test_ucx (a server in its own process) over UCX's tcp transport.
export UCX_TLS=${UCX_TLS:-tcp}
exec timeout -k 5 300 "${top_builddir:-..}/tests/test_ucx"
