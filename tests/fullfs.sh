#!/bin/sh
# A file: pool on a filesystem too small for it (a 64 MiB tmpfs) is
# refused as full, with how much it needs, and leaves nothing behind:
# through rg_pool_create (its blocks are reserved, posix_fallocate) and
# through rgroove-server (checked before it makes anything).  Needs
# mount (root); skipped otherwise.
top=${top_builddir:-..}
dir=$(mktemp -d /tmp/rgroove-fullfs.XXXXXX)
cleanup() { umount "$dir" 2>/dev/null; rmdir "$dir"; }
trap cleanup EXIT
if ! mount -t tmpfs -o size=64m rgroove-fullfs "$dir" 2>/dev/null; then
  echo "SKIP: cannot mount a small tmpfs here (needs root)"
  exit 77
fi
status=0
RG_TEST_SMALLFS=$dir "$top/tests/test_pool_lifecycle" || status=1

if ! grep -q '^#define RG_HAVE_VERBS 1' "$top/config.h"; then
  echo "skipped rgroove-server: this rgroove was built without a network transport"
  exit $status
fi
out=$("$top/launcher/rgroove-server" --pool "file:$dir/served" --volumes 1 2>&1)
rc=$?
echo "rgroove-server --pool file:$dir/served --volumes 1: exit $rc: $out"
[ $rc = 1 ] || { echo "FAIL: expected exit 1"; status=1; }
echo "$out" | grep -q "needs 1.00 GiB ([0-9]* bytes) and $dir has 0.06 GiB ([0-9]* bytes) free" || { echo "FAIL: no full-filesystem message"; status=1; }
[ -z "$(ls -A "$dir")" ] || { echo "FAIL: left behind: $(ls -A "$dir")"; status=1; }
exit $status
