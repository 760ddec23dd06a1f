#!/usr/bin/python3
"""leakbridge dump benchmark: how long a report takes with many live blocks and sites, and how
long allocating threads are held up meanwhile.

A JVM (tests/bench/java/DumpLoad.java) keeps SITES x BLOCKS Unsafe blocks live at SITES
distinct stacks, with sample=0 so that every block is in the agent's table, while THREADS
threads allocate and free. The script takes DUMPS dumps with jcmd; for each it prints the time
the agent took (from its stderr line) and the longest single allocate+free of the churn
threads during the dump, next to the longest in a quiet window of the same length.

    /usr/bin/python3 tests/bench/dump_bench.py --agent build/libleakbridge.so \\
        --java-home /usr/lib/jvm/java-17-openjdk-amd64 [--sites 10000] [--blocks 100]

Standard library only (Debian's python3).
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run_bench  # noqa: E402  (compiles tests/bench/java)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--agent", required=True)
    ap.add_argument("--java-home", required=True)
    ap.add_argument("--sites", type=int, default=10000)
    ap.add_argument("--blocks", type=int, default=100, help="live blocks per site")
    ap.add_argument("--threads", type=int, default=2, help="allocating threads")
    ap.add_argument("--dumps", type=int, default=5)
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="lb-dumpbench-")
    try:
        classes = os.path.join(work, "classes")
        os.makedirs(classes)
        run_bench.compile_bench(args.java_home, classes)
        out = os.path.join(work, "report-%n.json")
        stderr_path = os.path.join(work, "stderr.txt")
        cmd = [os.path.join(args.java_home, "bin", "java"), "-Xmx2g",
               "-agentpath:%s=output=%s,sample=0" % (args.agent, out),
               "-cp", classes, "DumpLoad", str(args.sites), str(args.blocks), str(args.threads)]
        print("$ " + " ".join(cmd), flush=True)
        with open(stderr_path, "w") as err:
            jvm = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=err, text=True, bufsize=1)
        ready = jvm.stdout.readline()
        m = re.match(r"READY pid=(\d+) blocks=(\d+)", ready)
        if not m:
            raise SystemExit("DumpLoad did not start: %r\n%s" % (ready, open(stderr_path).read()))
        pid = m.group(1)

        def window(action):
            jvm.stdin.write("mark\n")
            jvm.stdin.flush()
            t0 = time.monotonic()
            action()
            elapsed = time.monotonic() - t0
            jvm.stdin.write("read\n")
            jvm.stdin.flush()
            r = re.match(r"RESULT max_us=(\d+) ops=(\d+)", jvm.stdout.readline())
            return int(r.group(1)), int(r.group(2)), elapsed

        def dump(n):
            subprocess.run([os.path.join(args.java_home, "bin", "jcmd"), pid, "JVMTI.data_dump"],
                           capture_output=True, check=True)
            while not os.path.exists(out.replace("%n", str(n))):
                time.sleep(0.01)

        rows = []
        for n in range(1, args.dumps + 1):
            dump_max, dump_ops, elapsed = window(lambda: dump(n))
            quiet_max, _, _ = window(lambda: time.sleep(elapsed))
            rows.append((n, dump_max, quiet_max, dump_ops))
        jvm.stdin.write("quit\n")
        jvm.stdin.flush()
        jvm.wait(timeout=300)
        lines = [l for l in open(stderr_path) if "(jcmd) in" in l]
        took = [int(re.search(r"\(jcmd\) in (\d+) ms", l).group(1)) for l in lines]
        paths = [out.replace("%n", str(n)) for n in range(1, args.dumps + 1)]
        size = [os.path.getsize(p) for p in paths]
        lock = [json.load(open(p))["agent"]["dump_longest_lock_us"] for p in paths]
        print()
        print("JDK %s, %s live blocks at %d sites, %d allocating threads, sample=0" % (
            run_bench.jdk_version(os.path.join(args.java_home, "bin", "java")), m.group(2),
            args.sites, args.threads))
        print("%-5s %8s %10s %14s %22s %22s %10s" % (
            "dump", "dump ms", "report MB", "longest lock", "longest alloc (dump)",
            "longest alloc (quiet)", "ops"))
        for (n, dmax, qmax, ops), ms, sz, lk in zip(rows, took, size, lock):
            print("%-5d %8d %10.1f %11.2f ms %19.2f ms %19.2f ms %10d" % (
                n, ms, sz / 1e6, lk / 1000, dmax / 1000, qmax / 1000, ops))
        print("longest lock: the longest the dump held one shard of the live table, during "
              "which allocations and frees in that shard wait (from the report's agent facts)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
