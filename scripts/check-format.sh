#!/usr/bin/env bash
# Fails if any C/C++ source differs from what the checked-in .clang-format makes of it.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(find agent common include tests cli -name '*.[ch]' -o -name '*.cpp' | sort)
clang-format --dry-run -Werror "${files[@]}"
echo "format: ${#files[@]} files match .clang-format"
