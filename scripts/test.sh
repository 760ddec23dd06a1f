#!/usr/bin/env bash
# Sets up (scripts/setup.sh) and runs every test: Check unit tests under ASan/UBSan, the JVM
# tests on JDK 17 and on Temurin 25 when it is installed. The last line says what ran (ctest's
# "N% tests passed, M tests failed out of T", repeated after its per-label times).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
rc=0
ctest --test-dir build --output-on-failure -j"$(nproc)" "$@" 2>&1 | tee build/ctest.log || rc=$?
grep -E "tests passed|No tests were found" build/ctest.log | tail -1 || true
exit "$rc"
