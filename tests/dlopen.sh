#!/bin/sh
# The built shared libraries load alone: librgroove, and librgroove_mpi
# (which must name libmpi itself: ldd shows it).
top=${top_builddir:-..}
set -- "$top/.libs/librgroove.so" rg_pool_open
mpi="$top/launcher/mpi/.libs/librgroove_mpi.so"
if [ -f "$top/launcher/mpi/librgroove_mpi.la" ]; then
  ldd "$mpi" | grep libmpi || { echo "FAIL: ldd $mpi names no libmpi"; exit 1; }
  set -- "$@" "$mpi" rg_mpi_open
fi
exec "$top/tests/test_dlopen" "$@"
