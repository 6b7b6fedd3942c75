#!/bin/sh
# setup.sh: install what rgroove needs (Debian 12), build it, run the demo.
#
#   ./setup.sh            install packages, build, run the shared-memory demo
#   ./setup.sh --no-demo  install and build only
#
# Installing packages needs root (or sudo).  CONFIGURE_FLAGS adds options
# to ./configure (CI passes --enable-werror).
set -eu
cd "$(dirname "$0")"

case "${1:-}" in
  -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  --no-demo|"") ;;
  *) echo "setup.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
esac

PACKAGES="build-essential autoconf automake libtool pkg-config libcunit1-dev help2man
  libibverbs-dev librdmacm-dev libucx-dev rdma-core ibverbs-providers ibverbs-utils rdmacm-utils perftest
  libopenmpi-dev openmpi-bin qemu-system-x86 busybox-static cpio kmod iproute2
  gnuplot-nox jq"

missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "== installing:$missing"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi

echo "== building"
[ -x configure ] || ./autogen.sh
[ -f Makefile ] || ./configure ${CONFIGURE_FLAGS:-}
make -j2

[ "${1:-}" = "--no-demo" ] && exit 0
echo "== demo: 4 processes share one pool"
./tools/rgroove-demo --procs 4 --objects 10000
