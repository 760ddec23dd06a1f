#!/usr/bin/env bash
# Sets up leakbridge and runs the demo: a small reader that leaks zstd streams and direct
# buffers the way field report 000 did; leakbridge finds both and prints where they are.
# LB_DEMO_NO_SETUP=1 skips the setup (the test of the demo runs it on a build it already has).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${LB_DEMO_NO_SETUP:-}" = 1 ] || scripts/setup.sh
JDK=${JDK:-/usr/lib/jvm/java-17-openjdk-amd64}
out=$(mktemp -d)
"$JDK/bin/javac" --release 11 -cp /usr/share/java/zstd-jni.jar -d "$out/classes" java/demo/ParquetLikeReader.java
echo "demo: running ParquetLikeReader under leakbridge"
"$JDK/bin/java" -agentpath:"$(pwd)/build/libleakbridge.so=output=$out/report.json" \
  -Djava.library.path=/usr/lib/x86_64-linux-gnu \
  -cp "$out/classes:/usr/share/java/zstd-jni.jar" ParquetLikeReader 3000
echo
build/leakbridge top "$out/report.json" -n 3
echo
echo "demo: the full report is $out/report.json"
