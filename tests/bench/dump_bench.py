#!/usr/bin/python3
"""leakbridge dump benchmark: how long a report takes with many live blocks and sites, and how
long allocating threads are held up meanwhile.

A JVM (tests/bench/java/DumpLoad.java) keeps SITES x BLOCKS Unsafe blocks live at SITES
distinct stacks, with sample=0 so that every block is in the agent's table, while THREADS
threads allocate and free. The script takes DUMPS dumps with jcmd; for each it prints the time
the agent took (from its stderr line) and the longest single allocate+free of the churn
threads during the dump, next to the longest in a quiet window of the same length.

    /usr/bin/python3 tests/bench/dump_bench.py --agent build/libleakbridge.so \\
        --java-home /usr/lib/jvm/java-17-openjdk-amd64 [--sites 10000] [--blocks 100] \\
        [--options max_sites=0,report_sites=0] [--memory]

With --memory it also prints the agent's memory: the JVM's RSS once the blocks are made, with
the agent and (in a JVM of the same load without it, started first) without; the agent's own
accounting (the report's agent.arena_bytes); and for each dump the RSS before, the highest
seen during it (read every 10 ms) and after.

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


def head_member(path, key):
    """A top-level member of a report that comes before its sites (the agent writes "sites"
    last), without reading a report of gigabytes whole; None when absent."""
    with open(path) as f:
        head = f.read(16 << 20)
    end = head.find('"sites":[')
    at = head.find('"%s":' % key, 0, end if end >= 0 else len(head))
    if at < 0:
        return None
    return json.JSONDecoder().raw_decode(head, at + len(key) + 3)[0]


def rss_mb(pid):
    with open("/proc/%s/status" % pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1)) / 1024.0


def rss_without_agent(java, xmx, load):
    """RSS of the same load in a JVM without the agent, once its blocks are made."""
    jvm = subprocess.Popen([java, "-Xmx" + xmx] + load, stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, text=True, bufsize=1)
    m = re.match(r"READY pid=(\d+)", jvm.stdout.readline())
    if not m:
        raise SystemExit("DumpLoad did not start without the agent")
    rss = rss_mb(m.group(1))
    jvm.stdin.write("quit\n")
    jvm.stdin.flush()
    jvm.wait(timeout=600)
    return rss


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--agent", required=True)
    ap.add_argument("--java-home", required=True)
    ap.add_argument("--sites", type=int, default=10000)
    ap.add_argument("--blocks", type=int, default=100, help="live blocks per site")
    ap.add_argument("--threads", type=int, default=2, help="allocating threads")
    ap.add_argument("--dumps", type=int, default=5)
    ap.add_argument("--options", default="", help="more agent options, such as max_sites=0")
    ap.add_argument("--memory", action="store_true", help="print RSS figures too")
    ap.add_argument("--xmx", default="2g")
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="lb-dumpbench-")
    try:
        classes = os.path.join(work, "classes")
        os.makedirs(classes)
        run_bench.compile_bench(args.java_home, classes)
        out = os.path.join(work, "report-%n.json")
        stderr_path = os.path.join(work, "stderr.txt")
        java = os.path.join(args.java_home, "bin", "java")
        load = ["-cp", classes, "DumpLoad", str(args.sites), str(args.blocks), str(args.threads)]
        baseline = rss_without_agent(java, args.xmx, load) if args.memory else None
        cmd = [java, "-Xmx" + args.xmx,
               "-agentpath:%s=output=%s,sample=0%s" % (
                   args.agent, out, "," + args.options if args.options else "")] + load
        print("$ " + " ".join(cmd), flush=True)
        with open(stderr_path, "w") as err:
            jvm = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=err, text=True, bufsize=1)
        ready = jvm.stdout.readline()
        m = re.match(r"READY pid=(\d+) blocks=(\d+)", ready)
        if not m:
            raise SystemExit("DumpLoad did not start: %r\n%s" % (ready, open(stderr_path).read()))
        pid = m.group(1)
        ready_rss = rss_mb(pid)
        peaks = []

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
            before, peak = rss_mb(pid), 0.0
            jcmd = subprocess.Popen([os.path.join(args.java_home, "bin", "jcmd"), pid,
                                     "JVMTI.data_dump"], stdout=subprocess.DEVNULL)
            while not os.path.exists(out.replace("%n", str(n))):
                peak = max(peak, rss_mb(pid))
                time.sleep(0.01)
            jcmd.wait()
            time.sleep(1.0)  # the report is renamed into place before the dump ends
            peaks.append((before, peak, rss_mb(pid)))

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
        lock = [head_member(p, "agent")["dump_longest_lock_us"] for p in paths]
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
        if args.memory:
            first = {k: head_member(paths[0], k) for k in ("agent", "totals", "bounds")}
            print()
            bounds = first["bounds"] or {}
            print("RSS once the blocks are made: %.0f MB without the agent, %.0f MB with it "
                  "(+%.0f MB); the agent's arena: %.0f MB (sites and live table), %d sites, "
                  "%d blocks tracked, %d untracked, bounds reached: %s" % (
                      baseline, ready_rss, ready_rss - baseline,
                      first["agent"]["arena_bytes"] / 1e6, first["totals"]["sites_seen"],
                      first["agent"]["tracked_blocks"], bounds.get("untracked_count", 0),
                      ",".join(bounds.get("reached", [])) or "none"))
            for n, (before, peak, after) in enumerate(peaks, 1):
                print("dump %d: RSS %.0f MB before, %.0f MB at most during, %.0f MB after" % (
                    n, before, peak, after))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
