#!/usr/bin/env python3
"""Writes a big report from a real one: the real report's header (jvm, options, totals,
modules, memory section, ...) and SITES synthesized sites with mixed Java and native stacks,
largest first, written as the agent writes them (compact JSON, one line). The frames vary from
site to site the way a big application's do: classes of many packages, methods, lines, native
libraries and symbols; some stacks share their inner frames, as sites under one allocation
function do. The same seed gives the same file; another seed moves sizes and lines, so that
diff has changes to show.

    big_report.py TEMPLATE OUT SITES [--seed N]

tests/bench/cli_bench.py uses it for the command's benchmark, tests/cli/test_big_report.py at a
small size."""
import argparse
import json
import random

PACKAGES = ["org.apache.flink.runtime.io.network.buffer", "org.apache.flink.streaming.runtime",
            "com.github.luben.zstd", "io.netty.buffer", "org.rocksdb", "com.example.shop.orders",
            "org.apache.kafka.clients.consumer.internals", "com.fasterxml.jackson.databind.deser",
            "org.apache.parquet.hadoop", "io.grpc.netty.shaded.io.netty.channel.epoll"]
JDK = [("java.nio.DirectByteBuffer", "<init>", "(I)V", "DirectByteBuffer.java"),
       ("java.nio.ByteBuffer", "allocateDirect", "(I)Ljava/nio/ByteBuffer;", "ByteBuffer.java"),
       ("java.util.concurrent.ThreadPoolExecutor", "runWorker",
        "(Ljava/util/concurrent/ThreadPoolExecutor$Worker;)V", "ThreadPoolExecutor.java"),
       ("java.lang.Thread", "run", "()V", "Thread.java")]
LIBS = ["/usr/lib/x86_64-linux-gnu/libzstd.so.1.5.4", "/tmp/librocksdbjni-linux64.so",
        "/usr/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/jvm/java-17-openjdk-amd64/lib/libzip.so",
        "/tmp/libnetty_tcnative_linux_x86_64.so"]
KINDS = ["malloc", "malloc", "malloc", "direct_buffer", "unsafe", "mmap"]


def java_frame(rng):
    if rng.random() < 0.25:
        cls, method, sig, src = rng.choice(JDK)
        return {"type": "java", "class": cls, "method": method, "signature": sig, "file": src,
                "line": rng.randint(50, 900)}
    pkg = rng.choice(PACKAGES)
    name = "C%d" % rng.randint(0, 4999)
    frame = {"type": "java", "class": "%s.%s" % (pkg, name),
             "method": "m%d" % rng.randint(0, 199),
             "signature": rng.choice(["()V", "(I)J", "(Ljava/lang/String;)V", "([BII)I"]),
             "file": name + ".java"}
    if rng.random() < 0.9:
        frame["line"] = rng.randint(1, 3000)
    return frame


def native_frame(rng):
    lib = rng.choice(LIBS)
    if rng.random() < 0.1:
        return {"type": "native", "module": lib, "symbol": None,
                "offset": hex(rng.randint(0x1000, 0xfffff))}
    return {"type": "native", "module": lib, "symbol": "fn_%d" % rng.randint(0, 2999),
            "offset": hex(rng.randint(0x1000, 0xfffff)), "symbol_offset": rng.randint(0, 4000)}


def stack(rng, index):
    """Leaf first: a few native frames (none for most direct buffers), then Java frames down to
    Thread.run; sites in groups of eight share their innermost frames."""
    inner = random.Random(index // 8)
    frames = [native_frame(inner) for _ in range(inner.randint(1, 4))]
    frames += [java_frame(rng) for _ in range(rng.randint(2, 8))]
    frames.append({"type": "java", "class": "java.lang.Thread", "method": "run",
                   "signature": "()V", "file": "Thread.java", "line": 833})
    return frames


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("template")
    ap.add_argument("out")
    ap.add_argument("sites", type=int)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    with open(args.template) as f:
        report = json.load(f)
    rng = random.Random(args.seed)
    sites = []
    for i in range(args.sites):
        # The stack is the same for a site index whatever the seed: diff matches them.
        frames = stack(random.Random(i), i)
        count = rng.randint(1, 5000)
        size = rng.choice([16, 64, 1008, 4096, 65536])
        freed = rng.randint(0, 3 * count)
        sites.append({"id": i + 1, "kind": KINDS[i % len(KINDS)], "status": "live",
                      "live_bytes": count * size, "live_count": count,
                      "allocated_bytes": (count + freed) * size,
                      "allocated_count": count + freed, "freed_count": freed,
                      "status_rule": "default",
                      "age": {"oldest_ms": 900, "p50_ms": 400, "p90_ms": 800,
                              "gcs_survived_max": 3, "gcs_survived_p50": 1},
                      "frames": frames})
    sites.sort(key=lambda s: -s["live_bytes"])
    totals = report["totals"]
    totals["live_bytes"] = sum(s["live_bytes"] for s in sites)
    totals["live_count"] = sum(s["live_count"] for s in sites)
    totals["allocated_bytes"] = sum(s["allocated_bytes"] for s in sites)
    totals["allocated_count"] = sum(s["allocated_count"] for s in sites)
    totals["freed_count"] = sum(s["freed_count"] for s in sites)
    totals["sites"] = totals["sites_seen"] = len(sites)
    by_kind = {k: {"live_bytes": 0, "live_count": 0} for k in totals["by_kind"]}
    for s in sites:
        k = by_kind.setdefault(s["kind"], {"live_bytes": 0, "live_count": 0})
        k["live_bytes"] += s["live_bytes"]
        k["live_count"] += s["live_count"]
    totals["by_kind"] = by_kind
    report["sites"] = sites
    with open(args.out, "w") as f:
        json.dump(report, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
