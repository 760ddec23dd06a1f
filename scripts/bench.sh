#!/usr/bin/env bash
# Builds leakbridge (scripts/setup.sh, into build/) and runs the overhead benchmark,
# tests/bench/run_bench.py, on JDK 17: each workload without the agent, with its default
# sampling and with sample=0, in fresh JVMs, and prints ns/op and the ratio to no agent.
# Extra arguments go to run_bench.py (--workloads a,b --reps N --seconds S --json OUT ...;
# --configs none,default,sample=1g for the hooks' fast path alone; --alt-agent OTHER.so to
# compare another build in the same run; a later --java-home or --agent overrides the ones
# here). Takes about 5 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -x scripts/setup.sh ]; then
  scripts/setup.sh
fi
exec /usr/bin/python3 tests/bench/run_bench.py \
  --agent build/libleakbridge.so --java-home /usr/lib/jvm/java-17-openjdk-amd64 \
  --native-lib-dir build/tests/bench/native "$@"
