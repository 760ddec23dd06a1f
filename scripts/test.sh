#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and runs every test: Check unit tests under ASan/UBSan, the JVM
# tests on JDK 17 and on Temurin 25 when it is installed. ctest's last line says what ran.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
ctest --test-dir build --output-on-failure -j"$(nproc)" "$@"
