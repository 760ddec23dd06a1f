#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks for leakbridge, then builds it into build/.
# Safe to run again: it installs only what is missing and rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake pkg-config clang-format    # compilers and the checked-in format
  openjdk-17-jdk-headless                          # javac, and jvmti.h the agent builds against
  libjansson-dev libunwind-dev                     # JSON reports; native stack walking
  libyajl-dev                                      # the command reads big reports as a stream
  check libsubunit-dev                             # unit tests
  python3 python3-jsonschema                       # JVM tests validate reports against the schema
  python3-yaml prometheus                          # the shipped exporter rules and alerts: YAML, promtool
  libzstd-jni-java libzstd-jni1 libjemalloc2       # the field leak's library; production's allocator
  chromium                                         # renders the flame graph in a CLI test
  clang libclang-rt-14-dev                         # libFuzzer, for the report reader's fuzz test
  junit5                                           # JUnit 5 API and console launcher: the extension and its tests
  dpkg-dev maven                                   # the release: libunwind's source package; the POMs checked by Maven
  valgrind                                         # callgrind counts the hooks' instructions (tests/perf)
  gnuplot-nox                                      # performance.md's charts, drawn again by the docs test
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
test -f build/libleakbridge.so
echo "setup: built $(pwd)/build/libleakbridge.so"
