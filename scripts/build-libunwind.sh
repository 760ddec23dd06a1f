#!/usr/bin/env bash
# Builds libunwind as a position-independent static library for the self-contained agent
# (CMake's LB_SELF_CONTAINED runs it once per build directory; docs/release.md).
# Usage: scripts/build-libunwind.sh WORK_DIR [SOURCE_DIR]
# Without SOURCE_DIR (or LB_LIBUNWIND_SOURCE), Debian's source package is fetched into WORK_DIR
# by scripts/fetch-libunwind-source.sh. Installs WORK_DIR/install/{lib/libunwind.a,include/}.
# Only what the agent uses is built: local unwinding, no core dumps, ptrace, setjmp,
# MiniDebugInfo (liblzma) or compressed debug sections (zlib), so it needs nothing but libc.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mkdir -p "$1" && cd "$1" && pwd)
src=${2:-${LB_LIBUNWIND_SOURCE:-}}
[ -n "$src" ] || src=$("$here/fetch-libunwind-source.sh" "$work/source")
rm -rf "$work/build" "$work/install"
mkdir -p "$work/build"
cd "$work/build"
"$src/configure" --prefix="$work/install" --disable-shared --enable-static --with-pic \
  --disable-minidebuginfo --disable-zlibdebuginfo --disable-coredump --disable-ptrace \
  --disable-setjmp --disable-tests --disable-documentation --disable-cxx-exceptions \
  CFLAGS="-O2 -g -fPIC" >configure.log 2>&1 || { tail -20 configure.log >&2; exit 1; }
make -j"$(nproc)" -C src >make.log 2>&1 || { tail -20 make.log >&2; exit 1; }
make -C src install >>make.log 2>&1
make install-data-am >>make.log 2>&1 # the headers
cp "$src/COPYING" "$work/install/COPYING" # its licence, for the notices the release ships
test -f "$work/install/lib/libunwind.a" && test -f "$work/install/include/libunwind.h"
echo "libunwind: $work/install/lib/libunwind.a from $src"
