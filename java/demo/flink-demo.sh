#!/usr/bin/env bash
# The Flink-shaped demo (field report 000): one "TaskManager" JVM runs three source tasks in turn,
# each decompressing zstd pages through a decompressor that never closes its stream. The demo
# writes a report after each task (LeakBridge.dump from io.leakbridge), then `leakbridge diff`
# shows what each task left behind and names HeapBytesDecompressor.decompress.
#
# Usage: java/demo/flink-demo.sh [OUT_DIR]. Environment: LB_SKIP_SETUP=1 uses the existing build/
# (no apt-get, no rebuild); LB_BUILD (default build/), JDK, LB_OPTIONS (agent options, default
# sample=0: exact figures; leave it empty for the production default sampling).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -n "${LB_SKIP_SETUP:-}" ] || scripts/setup.sh
LB_BUILD=${LB_BUILD:-$PWD/build}
JDK=${JDK:-/usr/lib/jvm/java-17-openjdk-amd64}
out=${1:-$(mktemp -d)}
mkdir -p "$out"

echo "demo: a TaskManager runs 3 source tasks; leakbridge dumps after each"
"$JDK/bin/java" \
  -agentpath:"$LB_BUILD/libleakbridge.so=output=$out/taskmanager-%p-%n.json,${LB_OPTIONS-sample=0}" \
  -Djava.library.path=/usr/lib/x86_64-linux-gnu \
  -cp "$LB_BUILD/java/demo-classes:$LB_BUILD/java/leakbridge.jar:/usr/share/java/zstd-jni.jar" \
  FlinkLikeTaskManager --tasks 3 --pages 200 --dumps "$out"
for t in 2 3; do
  echo
  echo "demo: leakbridge diff -v task-$((t - 1)).json task-$t.json"
  "$LB_BUILD/leakbridge" diff -v "$out/task-$((t - 1)).json" "$out/task-$t.json"
done
echo
echo "demo: reports in $out"
