#!/usr/bin/python3
"""leakbridge overhead benchmark: runs tests/bench/java/Bench.java's workloads in fresh JVMs
without the agent (`none`), with its default sampling (`default`) and recording every
allocation (`sample=0`), and prints each configuration's median ns/op and its ratio to `none`.
`--configs` can add `sample=1g` (hooks installed, a sample per GiB: mostly the hooks' fast
path) and `sample=16k` (mostly the samples' cost), and `--alt-agent` (repeatable) runs every agent configuration again with another build
of the agent, in the same round-robin, and prints how the builds compare.

Besides Bench's workloads (`gzip-pages`, not a default, is the JDK's own zlib: a GZIPInputStream
per 64 KiB page; `jni-pool-churn` and `jni-pool-bare`, not defaults, are blocks carved from a
JNI library's arena with and without the pool API's calls), `startup-N` (e.g. `startup-2000`) measures JVM start-up: N classes are
generated, compiled with the JDK's javac and put in a jar with the JDK's jar tool (once, at the
start of the run), and each measurement starts `--startup-starts` JVMs on that jar whose main
loads the N classes by name and then prints one line; one op is one start, timed from spawn to
that line, and ns/op is the median start of the JVMs of one measurement.

`WORKLOAD-Nt` (e.g. `jni-malloc-churn-2t`) runs a Bench workload on N threads and adds a
scaling table. Other tools run as configurations too (`--configs none,default,jemalloc-prof,
nmt-summary,nmt-detail,heaptrack,...`; see PEERS), with a side-by-side table of throughput
ratios, and `--leak-check` runs `zstd-leak` once per configuration and says whether each tool
found its leaked zstd streams, and with which frames. tests/bench/charts.py draws the --json
output.

The configurations are interleaved round-robin (and the order rotates every repetition), so
that machine noise hits them all alike; every JVM gets the same flags. An agent run that fails,
or writes no report, is an error, not a number. This is a benchmark, not a test: missing a
target is reported in the table, not in the exit status.

    /usr/bin/python3 tests/bench/run_bench.py --agent build/libleakbridge.so \\
        --java-home /usr/lib/jvm/java-17-openjdk-amd64 [--workloads a,b] [--reps N] \\
        [--seconds S] [--json OUT] [--configs none,default,sample=1g] [--alt-agent OTHER.so]
    /usr/bin/python3 tests/bench/run_bench.py --agent build/libleakbridge.so \
        --java-home /usr/lib/jvm/java-17-openjdk-amd64 --workloads gzip-pages,startup-2000 \
        --configs none,default --reps 3

Standard library only (Debian's python3).
"""

import argparse
import datetime
import glob
import json
import os
import platform
import re
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
JAVA_SOURCES = os.path.join(HERE, "java")

DEFAULT_WORKLOADS = ["unsafe-churn", "direct-buffers", "jni-malloc-churn", "zstd-streams"]

# Every JVM, of every workload and configuration, gets these. The young generation is small
# and fixed so direct-buffers collects (and its Cleaners free) several times a second; the
# survivor spaces are large enough for the Cleaners that outlive their first collection, so
# they do not spill into the old generation and end in full GCs; direct memory has room for
# what accumulates between two collections, so Bits.reserveMemory never calls System.gc().
JVM_FLAGS = [
    "-Xms256m", "-Xmx256m", "-Xmn16m", "-XX:SurvivorRatio=2", "-XX:+UseG1GC",
    "-XX:MaxDirectMemorySize=1g",
]

# Extra JVM arguments for one workload (same for all its configurations), for instance
# "-Djava.library.path=..." for a JNI workload.
WORKLOAD_JVM_ARGS = {
    "jni-malloc-churn": ["-Djava.library.path={native_lib_dir}"],
    "jni-pool-churn": ["-Djava.library.path={native_lib_dir}"],
    "jni-pool-bare": ["-Djava.library.path={native_lib_dir}"],
    "zstd-streams": ["-Djava.library.path=/usr/lib/x86_64-linux-gnu"],
}

# Workloads that allocate nothing the agent records, on purpose: jni-pool-bare is
# jni-pool-churn's loop without its pool API calls (what those calls cost is the difference).
RECORDS_NOTHING = {"jni-pool-bare"}

# Jars on the class path of javac and of every run, when they exist (e.g. zstd-jni's).
EXTRA_CLASSPATH = [
    "/usr/share/java/zstd-jni.jar",
]

# Configuration name -> agent options (None: no agent). `output=` is added per run.
CONFIGS = {
    "none": None,
    "default": "",
    "sample=0": "sample=0",
    # Hooks installed, a sample every GiB: mostly what the fast path of the hooks costs.
    "sample=1g": "sample=1g",
    # A sample every 16 KiB: mostly what the samples cost (jni-malloc-churn: ~0.3 per op).
    "sample=16k": "sample=16k",
}
# Other tools, run in the same round-robin as the agent's configurations (--configs): extra
# environment (LD_PRELOAD replaces --preload), JVM flags, and a command the JVM runs under.
# Debian's libjemalloc2 is built with profiling (mallctl config.prof is true); its profiler
# samples every 2^19 bytes (512 KiB) on average. NMT sees only the JVM's own mallocs.
JEMALLOC = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"
PEERS = {
    # The allocator alone, to tell jemalloc's own speed from its profiler's.
    "jemalloc": {"env": {"LD_PRELOAD": JEMALLOC}, "finds_nothing": True},
    "jemalloc-prof": {"env": {"LD_PRELOAD": JEMALLOC,
                              "MALLOC_CONF": "prof:true,lg_prof_sample:19"},
                      # --leak-check: a profile of what is live at exit, read with jeprof.
                      "leak_env": {"MALLOC_CONF": "prof:true,lg_prof_sample:19,prof_final:true,"
                                                  "prof_prefix:{run_dir}/jeprof"}},
    # --leak-check: the JVM prints what jcmd VM.native_memory would, at exit.
    "nmt-summary": {"jvm": ["-XX:NativeMemoryTracking=summary"],
                    "leak_jvm": ["-XX:+UnlockDiagnosticVMOptions", "-XX:+PrintNMTStatistics"]},
    "nmt-detail": {"jvm": ["-XX:NativeMemoryTracking=detail"],
                   "leak_jvm": ["-XX:+UnlockDiagnosticVMOptions", "-XX:+PrintNMTStatistics"]},
    # Records every malloc and free with its stack (Debian's heaptrack); the data is written
    # and compressed by heaptrack's own processes, whose CPU is not in cpu ns/op.
    "heaptrack": {"wrapper": ["heaptrack", "-o", "{run_dir}/heaptrack"]},
}
PEER_CONFIGS = list(PEERS)
DEFAULT_CONFIGS = ["none", "default", "sample=0"]
BASELINE = "none"
# Suffix of the configurations run with the n-th --alt-agent: "default" -> "default@alt",
# "default@alt2", ...
ALT_SUFFIX = "@alt"


def alt_label(i):
    return ALT_SUFFIX if i == 0 else "%s%d" % (ALT_SUFFIX, i + 1)

# What we are judged against: (workload, config) -> largest acceptable ratio to `none`.
TARGETS = {
    ("unsafe-churn", "default"): 1.5,
    ("direct-buffers", "default"): 1.05,
    ("unsafe-churn", "sample=0"): 20.0,
    ("jni-malloc-churn", "default"): 1.3,
    ("zstd-streams", "default"): 1.03,
}

RESULT_RE = re.compile(r"^RESULT (.*)$", re.M)

# "WORKLOAD-Nt" (e.g. jni-malloc-churn-2t) runs Bench's WORKLOAD on N pool threads side by side
# (-Dbench.threads=N; -1t is one pool thread, whose Java stack is as deep as the others', unlike
# plain WORKLOAD's on the main thread): ns/op is the wall time over all threads' ops, so
# 1e9/(ns/op) is the throughput of all of them; print_scaling compares the thread counts.
THREADS_RE = re.compile(r"^(.+)-(\d+)t$")


def split_threads(workload):
    """("jni-malloc-churn", 2) for "jni-malloc-churn-2t"; (workload, None) otherwise."""
    m = THREADS_RE.match(workload)
    return (m.group(1), int(m.group(2))) if m else (workload, None)

# Start-up workloads, measured here rather than by Bench: "startup-N" starts JVMs on a jar of N
# generated classes (see build_startup_jar); one op is one start, from spawn to main's line.
STARTUP_RE = re.compile(r"^startup-(\d+)$")
STARTUP_PACKAGE = "lbstart"
STARTUP_MAIN = "StartupMain"
STARTUP_LINE = "started "
ENV_DROP = ("JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS")


# A run during which other processes kept more than this many cores busy on average is flagged.
BUSY_OTHERS_WARN = 0.25


class BenchError(Exception):
    pass


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def jdk_version(java):
    p = subprocess.run([java, "-version"], capture_output=True, text=True, env=clean_env())
    lines = [l.strip() for l in p.stderr.splitlines() if l.strip()]
    return "; ".join(lines[:2]) if lines else "unknown"


def cpu_seconds():
    """(CPU seconds the whole machine spent busy, those our finished children spent): their
    difference over a run is what other processes (and the hypervisor's steal) took."""
    busy = 0.0
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        # user nice system idle iowait irq softirq steal ...
        busy = (sum(v[:8]) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        pass
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return busy, ru.ru_utime + ru.ru_stime


def clean_env(preload=None):
    env = {k: v for k, v in os.environ.items() if k not in ENV_DROP and k != "LD_PRELOAD"}
    if preload:
        env["LD_PRELOAD"] = preload
    return env


def classpath(classes):
    return os.pathsep.join([classes] + [j for j in EXTRA_CLASSPATH if os.path.exists(j)])


def compile_bench(java_home, out):
    sources = sorted(glob.glob(os.path.join(JAVA_SOURCES, "*.java")))
    if not sources:
        raise BenchError("no Java sources in %s" % JAVA_SOURCES)
    javac = os.path.join(java_home, "bin", "javac")
    cmd = [javac, "--release", "11", "-Xlint:all", "-Werror", "-cp", classpath(out),
           "-d", out] + sources
    p = subprocess.run(cmd, capture_output=True, text=True, env=clean_env())
    if p.returncode != 0:
        raise BenchError("javac failed (%d):\n$ %s\n%s%s" % (
            p.returncode, shlex.join(cmd), p.stdout, p.stderr))


def parse_result(stdout):
    m = RESULT_RE.findall(stdout)
    if len(m) != 1:
        return None
    try:
        fields = dict(kv.split("=", 1) for kv in m[0].split())
        return {"ns_per_op": float(fields["ns_per_op"]), "ops": int(fields["ops"]),
                "round_min": float(fields.get("round_min", "nan")),
                "round_max": float(fields.get("round_max", "nan")),
                "cpu_ns_per_op": float(fields.get("cpu_ns_per_op", "-1"))}
    except (KeyError, ValueError):
        return None


def tail(text, n=20):
    return "\n".join(text.splitlines()[-n:])


def check_report(run_dir, config, result, records=True):
    """The agent run's report: exactly one, valid JSON, written at exit, with allocations. An
    --alt-agent (another build, often an older one) may not hook a newer workload at all
    (gzip-pages before issue 13): for it, a report without allocations is noted, not an
    error. records=False: the workload records nothing on purpose (RECORDS_NOTHING)."""
    paths = glob.glob(os.path.join(run_dir, "report-*.json"))
    if len(paths) != 1:
        raise BenchError("expected one report in %s, found %d: %s" % (
            run_dir, len(paths), os.listdir(run_dir)))
    try:
        with open(paths[0]) as f:
            report = json.load(f)
    except (OSError, ValueError) as e:
        raise BenchError("report %s is not readable JSON: %s" % (paths[0], e))
    if report.get("format") != "leakbridge-report" or report.get("reason") != "exit":
        raise BenchError("%s is not an exit report (format %r, reason %r)" % (
            paths[0], report.get("format"), report.get("reason")))
    allocated = report.get("totals", {}).get("allocated_count", 0)
    # The hooks must have been on the workload's path, or the ratio measures nothing. With
    # sample=0 every allocation is recorded, warm-up's too, so there are more than ops; with
    # sample=1g a run may well record nothing.
    alt, config = "@" in config, base_config(config)
    # A workload in RECORDS_NOTHING (records False) is exempt.
    if records and ((allocated <= 0 and config != "sample=1g") or (
            config == "sample=0" and allocated < result["ops"])):
        if alt:
            log("note: %s recorded %d allocations for %d ops: this --alt-agent does not hook "
                "the workload" % (paths[0], allocated, result["ops"]))
            return {"path": paths[0], "allocated_count": allocated,
                    "bytes": os.path.getsize(paths[0]), "hooks_missed": True}
        raise BenchError("%s recorded %d allocations for %d ops: the hooks missed the workload" % (
            paths[0], allocated, result["ops"]))
    return {"path": paths[0], "allocated_count": allocated,
            "bytes": os.path.getsize(paths[0])}


def base_config(config):
    """The entry of CONFIGS a configuration runs: "default@alt2" -> "default"."""
    return config.split("@", 1)[0]


def agent_of(args, config):
    """The agent a configuration runs: --agent, or the --alt-agent its suffix names."""
    if "@" not in config:
        return args.agent
    return args.alt_agent[[alt_label(i) for i in range(len(args.alt_agent))].index(
        config[config.index("@"):])]


def startup_classes(workload):
    """N of a "startup-N" workload, or None for a Bench workload."""
    m = STARTUP_RE.match(workload)
    return int(m.group(1)) if m else None


def build_startup_jar(java_home, work, n):
    """A jar of N small generated classes (each with a static initializer, a static method and
    an instance method) and a main class that loads them all by name, initializes them, then
    prints one line "started N SUM": compiled with the JDK's javac, packed (deflated) with its
    jar tool. Returns the jar's path."""
    root = os.path.join(work, "startup-%d" % n)
    src, classes = os.path.join(root, "src"), os.path.join(root, "classes")
    os.makedirs(os.path.join(src, STARTUP_PACKAGE))
    os.makedirs(classes)
    files = []
    for i in range(n):
        path = os.path.join(src, STARTUP_PACKAGE, "C%d.java" % i)
        with open(path, "w") as f:
            f.write("package %s;\n\npublic final class C%d {\n"
                    "    static final int[] TABLE = new int[16];\n\n"
                    "    static {\n"
                    "        for (int i = 0; i < TABLE.length; i++) {\n"
                    "            TABLE[i] = i * %d + 1;\n"
                    "        }\n"
                    "    }\n\n"
                    "    public static int f(int x) {\n"
                    "        return x + TABLE[x & 15];\n"
                    "    }\n\n"
                    "    @Override\n"
                    "    public String toString() {\n"
                    "        return \"C%d:\" + f(%d);\n"
                    "    }\n"
                    "}\n" % (STARTUP_PACKAGE, i, i % 97, i, i))
        files.append(path)
    main = os.path.join(src, STARTUP_MAIN + ".java")
    with open(main, "w") as f:
        f.write("public final class %s {\n"
                "    public static void main(String[] args) throws Exception {\n"
                "        int n = Integer.parseInt(args[0]);\n"
                "        long sum = 0;\n"
                "        for (int i = 0; i < n; i++) {\n"
                "            sum += Class.forName(\"%s.C\" + i).getName().length();\n"
                "        }\n"
                "        System.out.println(\"%s\" + n + \" \" + sum);\n"
                "        System.out.flush();\n"
                "    }\n"
                "}\n" % (STARTUP_MAIN, STARTUP_PACKAGE, STARTUP_LINE))
    files.append(main)
    argfile = os.path.join(root, "sources.txt")
    with open(argfile, "w") as f:
        f.write("\n".join(files) + "\n")
    jar = os.path.join(root, "startup-%d.jar" % n)
    for cmd in ([os.path.join(java_home, "bin", "javac"), "--release", "11", "-d", classes,
                 "@" + argfile],
                [os.path.join(java_home, "bin", "jar"), "--create", "--file", jar, "-C", classes,
                 "."]):
        p = subprocess.run(cmd, capture_output=True, text=True, env=clean_env())
        if p.returncode != 0:
            raise BenchError("%s failed (%d):\n$ %s\n%s%s" % (
                os.path.basename(cmd[0]), p.returncode, shlex.join(cmd), tail(p.stdout),
                tail(p.stderr)))
    return jar


def run_startup(args, jar, work, workload, config, rep):
    """--startup-starts JVMs of a startup-N workload, one after the other; returns a run like
    run_one's, whose ns_per_op is the median start (spawn to main's line) and round_min/max the
    fastest and slowest; cpu_ns_per_op is the median CPU time of a whole JVM (to its exit)."""
    n = startup_classes(workload)
    run_dir = os.path.join(work, "%s.%s.%d" % (
        workload, config.replace("=", "").replace("@", "."), rep))
    os.makedirs(run_dir)
    options = CONFIGS.get(base_config(config))
    times, cpus, reports = [], [], []
    t_all = time.monotonic()
    busy0, ours0 = cpu_seconds()
    for k in range(args.startup_starts):
        start_dir = os.path.join(run_dir, str(k))
        os.makedirs(start_dir)
        cmd = [os.path.join(args.java_home, "bin", "java")]
        if options is not None:
            out = "output=" + os.path.join(start_dir, "report-%p.json")
            cmd.append("-agentpath:%s=%s" % (agent_of(args, config),
                                             ",".join(filter(None, [out, options]))))
        cmd += JVM_FLAGS + ["-cp", jar, STARTUP_MAIN, str(n)]
        with open(os.path.join(start_dir, "stderr"), "w") as err:
            _, cpu_before = cpu_seconds()
            t0 = time.monotonic()
            p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True,
                                 env=clean_env(args.preload))
            first, lines = None, []
            for line in p.stdout:
                lines.append(line)
                if line.startswith(STARTUP_LINE):
                    first = time.monotonic() - t0
                    break
            lines += p.stdout.readlines()
            try:
                code = p.wait(timeout=180)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                raise BenchError("%s/%s: a JVM did not exit:\n$ %s" % (workload, config,
                                                                       shlex.join(cmd)))
            _, cpu_after = cpu_seconds()
        if code != 0 or first is None:
            raise BenchError("%s/%s rep %d start %d failed (exit %d%s):\n$ %s\n%s\n%s" % (
                workload, config, rep + 1, k + 1, code, "" if first else ", no start line",
                shlex.join(cmd), tail("".join(lines)),
                tail(open(os.path.join(start_dir, "stderr")).read())))
        times.append(first * 1e9)
        cpus.append((cpu_after - cpu_before) * 1e9)
        if options is not None:
            reports.append(check_startup_report(start_dir))
    wall = time.monotonic() - t_all
    busy1, ours1 = cpu_seconds()
    others = max(0.0, (busy1 - busy0) - (ours1 - ours0)) / wall
    run = {"workload": workload, "config": config, "rep": rep + 1, "wall_s": round(wall, 3),
           "jvm_cpu_s": round(ours1 - ours0, 3), "others_cores": round(others, 3), "cmd": cmd,
           "ns_per_op": statistics.median(times), "ops": len(times), "round_min": min(times),
           "round_max": max(times), "cpu_ns_per_op": statistics.median(cpus),
           "starts_ns": [round(t) for t in times]}
    if reports:
        run["report"] = reports[-1]
    return run


def check_startup_report(run_dir):
    """A start-up run's report: exactly one exit report (what it recorded is not checked: the
    default sampling may well record nothing in a start)."""
    paths = glob.glob(os.path.join(run_dir, "report-*.json"))
    if len(paths) != 1:
        raise BenchError("expected one report in %s, found %d" % (run_dir, len(paths)))
    try:
        with open(paths[0]) as f:
            report = json.load(f)
    except (OSError, ValueError) as e:
        raise BenchError("report %s is not readable JSON: %s" % (paths[0], e))
    if report.get("format") != "leakbridge-report" or report.get("reason") != "exit":
        raise BenchError("%s is not an exit report" % paths[0])
    return {"path": paths[0], "allocated_count": report.get("totals", {}).get("allocated_count"),
            "modules": len(report.get("modules", [])), "bytes": os.path.getsize(paths[0])}


def run_one(args, classes, work, workload, config, rep, leak=False):
    """One JVM of a workload and configuration; leak: for --leak-check (each tool asked to
    write what it found: PEERS' leak_env and leak_jvm), returns the run with its directory."""
    if startup_classes(workload) is not None:
        return run_startup(args, args.startup_jars[workload], work, workload, config, rep)
    run_dir = os.path.join(work, "%s.%s.%d%s" % (
        workload, config.replace("=", "").replace("@", "."), rep, ".leak" if leak else ""))
    os.makedirs(run_dir)
    java = os.path.join(args.java_home, "bin", "java")
    peer = PEERS.get(config, {})
    cmd = [a.format(run_dir=run_dir) for a in peer.get("wrapper", [])] + [java]
    options = CONFIGS.get(base_config(config))
    agent = agent_of(args, config)
    if options is not None:
        out = "output=" + os.path.join(run_dir, "report-%p.json")
        cmd.append("-agentpath:%s=%s" % (agent, ",".join(filter(None, [out, options]))))
    bench, threads = split_threads(workload)
    cmd += JVM_FLAGS + peer.get("jvm", []) + (peer.get("leak_jvm", []) if leak else []) + [
        a.format(native_lib_dir=args.native_lib_dir) for a in WORKLOAD_JVM_ARGS.get(bench, [])]
    cmd += ["-Dbench.warmup=%g" % args.warmup] + (
        ["-Dbench.threads=%d" % threads] if threads else []) + [
        "-cp", classpath(classes), "Bench", bench, "%g" % args.seconds]
    env = clean_env(args.preload)
    env.update({k: v.format(run_dir=run_dir) for k, v in peer.get("env", {}).items()})
    if leak:
        env.update({k: v.format(run_dir=run_dir) for k, v in peer.get("leak_env", {}).items()})
    t0 = time.monotonic()
    busy0, ours0 = cpu_seconds()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, env=env,
                           timeout=args.warmup + args.seconds + 180)
    except subprocess.TimeoutExpired as e:
        raise BenchError("timed out after %ds:\n$ %s" % (e.timeout, shlex.join(cmd)))
    wall = time.monotonic() - t0
    busy1, ours1 = cpu_seconds()
    others = max(0.0, (busy1 - busy0) - (ours1 - ours0)) / wall
    with open(os.path.join(run_dir, "stdout"), "w") as f:
        f.write(p.stdout)
    with open(os.path.join(run_dir, "stderr"), "w") as f:
        f.write(p.stderr)
    result = parse_result(p.stdout)
    if p.returncode != 0 or result is None:
        raise BenchError("%s/%s rep %d failed (exit %d%s):\n$ %s\n%s\n%s" % (
            workload, config, rep + 1, p.returncode, "" if result else ", no RESULT line",
            shlex.join(cmd), tail(p.stdout), tail(p.stderr)))
    run = {"workload": workload, "config": config, "rep": rep + 1, "wall_s": round(wall, 3),
           "jvm_cpu_s": round(ours1 - ours0, 3), "others_cores": round(others, 3), "cmd": cmd}
    run.update(result)
    if options is not None:
        run["report"] = check_report(run_dir, config, result, bench not in RECORDS_NOTHING)
    if peer:
        run["peer"] = {"env": peer.get("env", {}), "jvm": peer.get("jvm", []),
                       "wrapper": peer.get("wrapper", [])}
    if leak:
        run["run_dir"], run["stdout"] = run_dir, p.stdout
    return run


def summarize(runs, workloads, configs):
    rows = []
    for w in workloads:
        base = base_cpu = None
        base_by_rep = {r["rep"]: r["ns_per_op"] for r in runs
                       if r["workload"] == w and r["config"] == BASELINE}
        for c in configs:
            mine = [r for r in runs if r["workload"] == w and r["config"] == c]
            if not mine:
                continue
            vals = [r["ns_per_op"] for r in mine]
            med = statistics.median(vals)
            cpus = [r["cpu_ns_per_op"] for r in mine if r["cpu_ns_per_op"] >= 0]
            cpu = statistics.median(cpus) if cpus else None
            if c == BASELINE:
                base, base_cpu = med, cpu
            # Each repetition against the baseline of the same repetition, run seconds apart:
            # less sensitive to load that comes and goes than the ratio of medians.
            paired = [r["ns_per_op"] / base_by_rep[r["rep"]] for r in mine if r["rep"] in base_by_rep]
            row = {"workload": w, "config": c, "median_ns_per_op": med, "min_ns_per_op": min(vals),
                   "max_ns_per_op": max(vals), "reps": len(vals),
                   "ratio": med / base if base else None,
                   "paired_ratio": statistics.median(paired) if paired else None,
                   "paired_ratios": paired, "cpu_ns_per_op": cpu,
                   "cpu_ratio": cpu / base_cpu if cpu and base_cpu else None}
            target = TARGETS.get((w, base_config(c)))
            if target is not None:
                row["target"] = target
                row["meets_target"] = row["ratio"] is not None and row["ratio"] <= target
            rows.append(row)
    return rows


def compare_agents(runs, workloads, configs):
    """Each agent configuration against the same configuration with --alt-agent."""
    rows = []
    for w in workloads:
        for c in configs:
            if "@" not in c:
                continue
            mine = {r["rep"]: r["ns_per_op"] for r in runs
                    if r["workload"] == w and r["config"] == base_config(c)}
            alt = {r["rep"]: r["ns_per_op"] for r in runs
                   if r["workload"] == w and r["config"] == c}
            if not mine or not alt:
                continue
            paired = [mine[k] / alt[k] for k in mine if k in alt]
            rows.append({"workload": w, "config": base_config(c), "alt": c[c.index("@") + 1:],
                         "agent_ns_per_op": statistics.median(mine.values()),
                         "alt_ns_per_op": statistics.median(alt.values()),
                         "ratio": statistics.median(mine.values()) / statistics.median(alt.values()),
                         "paired_ratio": statistics.median(paired) if paired else None})
    return rows


def print_comparison(rows):
    print("\n--agent against --alt-agent, same run (below 1: --agent is faster):\n")
    cols = ["workload", "config", "alt", "agent ns/op", "alt ns/op", "agent/alt", "paired"]
    table = [[r["workload"], r["config"], r["alt"], fmt_ns(r["agent_ns_per_op"]),
              fmt_ns(r["alt_ns_per_op"]),
              "%.3fx" % r["ratio"],
              "%.3fx" % r["paired_ratio"] if r["paired_ratio"] is not None else "-"] for r in rows]
    widths = [max(len(str(x)) for x in col) for col in zip(cols, *table)]
    for line in [cols] + table:
        print("  ".join(str(x).rjust(wd) if i >= 3 else str(x).ljust(wd)
                        for i, (x, wd) in enumerate(zip(line, widths))).rstrip())
    print("(paired: median over the repetitions of agent/alt within the same repetition)")
    sys.stdout.flush()


def fmt_ns(x):
    return "%.1f" % x if x < 10000 else "%.0f" % x


def print_table(header, rows):
    for line in header:
        print(line)
    print()
    cols = ["workload", "config", "median ns/op", "min..max ns/op", "vs none", "paired",
            "cpu ns/op", "cpu vs none", "target"]
    table = []
    for r in rows:
        ratio = "%.3fx" % r["ratio"] if r["ratio"] is not None else "-"
        paired = "%.3fx" % r["paired_ratio"] if r["paired_ratio"] is not None else "-"
        cpu = fmt_ns(r["cpu_ns_per_op"]) if r["cpu_ns_per_op"] is not None else "-"
        cpu_ratio = "%.3fx" % r["cpu_ratio"] if r["cpu_ratio"] is not None else "-"
        target = ""
        if "target" in r:
            target = "<=%gx %s" % (r["target"], "ok" if r["meets_target"] else "MISSED")
        table.append([r["workload"], r["config"], fmt_ns(r["median_ns_per_op"]),
                      "%s..%s" % (fmt_ns(r["min_ns_per_op"]), fmt_ns(r["max_ns_per_op"])),
                      ratio, paired, cpu, cpu_ratio, target])
    widths = [max(len(str(x)) for x in col) for col in zip(cols, *table)]
    right = {2, 3, 4, 5, 6, 7}
    for line in [cols] + table:
        print("  ".join(str(x).rjust(wd) if i in right else str(x).ljust(wd)
                        for i, (x, wd) in enumerate(zip(line, widths))).rstrip())
    print("(ns/op: wall clock, median round of each JVM; vs none: ratio of the medians over the "
          "JVMs; paired: median of each\n repetition's ratio to the same repetition's none; cpu: "
          "CPU time of all the JVM's threads per op; targets apply to vs none)")
    sys.stdout.flush()


def throughput_ratio(row):
    """Throughput against none in the same run (the issue's convention: below 1 is slower),
    from the paired ratio where there is one."""
    r = row["paired_ratio"] if row["paired_ratio"] is not None else row["ratio"]
    return 1.0 / r if r else None


def side_by_side(rows, workloads, configs):
    """{config: {workload: throughput ratio}} for every configuration but none."""
    table = {}
    for c in configs:
        if c == BASELINE:
            continue
        table[c] = {r["workload"]: throughput_ratio(r) for r in rows if r["config"] == c}
    return table


def print_side_by_side(rows, workloads, configs):
    """Every configuration against none, the workloads side by side: throughput ratios."""
    table = side_by_side(rows, workloads, configs)
    if not table or BASELINE not in configs:
        return
    print("\nthroughput against none, side by side (paired median; below 1: slower):\n")
    cols = ["config"] + workloads
    lines = [[c] + ["%.2f" % table[c][w] if table[c].get(w) else "-" for w in workloads]
             for c in table]
    widths = [max(len(str(x)) for x in col) for col in zip(cols, *lines)]
    for line in [cols] + lines:
        print("  ".join(str(x).rjust(wd) if i else str(x).ljust(wd)
                        for i, (x, wd) in enumerate(zip(line, widths))).rstrip())
    sys.stdout.flush()


def scaling(rows):
    """[{workload, config, threads, mops, ratio, cpu_ns_per_op, cpu_ratio}] for the workloads run
    on several thread counts (WORKLOAD-Nt for several N), in thread order: throughput in millions
    of ops a second (all threads together) and its ratio to none at the same thread count; the
    CPU time per op of the whole JVM, and none's over it (a throughput ratio by CPU time, which
    other processes on a shared machine disturb less than the wall clock)."""
    counts = {}
    for r in rows:
        base, threads = split_threads(r["workload"])
        if threads:
            counts.setdefault(base, set()).add(threads)
    out = []
    for r in rows:
        base, threads = split_threads(r["workload"])
        if threads and len(counts[base]) > 1:
            out.append({"workload": base, "config": r["config"], "threads": threads,
                        "mops": 1e3 / r["median_ns_per_op"],
                        "ratio": throughput_ratio(r) if r["config"] != BASELINE else None,
                        "cpu_ns_per_op": r["cpu_ns_per_op"],
                        "cpu_ratio": 1.0 / r["cpu_ratio"]
                        if r["cpu_ratio"] and r["config"] != BASELINE else None})
    return sorted(out, key=lambda x: (x["workload"], x["config"], x["threads"]))


def print_scaling(rows):
    """Throughput per thread count and configuration, and whether the ratio to none holds as
    threads are added (the agent must not serialize them: issue 17's item 4)."""
    table = scaling(rows)
    if not table:
        return
    print("\nscaling: throughput of all threads together (Mops/s), ratio to none at the same "
          "thread count (wall clock; by CPU time),\nand the ratio's change from 1 thread:\n")
    one = {(x["workload"], x["config"]): x for x in table if x["threads"] == 1}
    for x in table:
        first = one.get((x["workload"], x["config"]))
        change = ""
        if x["ratio"] and first and first["ratio"] and x["threads"] != 1:
            change = "  %+.0f%% from 1 thread" % ((x["ratio"] / first["ratio"] - 1) * 100)
            if x["cpu_ratio"] and first["cpu_ratio"]:
                change += " (by CPU %+.0f%%)" % ((x["cpu_ratio"] / first["cpu_ratio"] - 1) * 100)
        print("  %-18s %-14s %2d threads  %8.2f Mops/s  cpu %7.1f ns/op%s%s" % (
            x["workload"], x["config"], x["threads"], x["mops"], x["cpu_ns_per_op"] or -1,
            "  ratio %.2f (by CPU %.2f)" % (x["ratio"], x["cpu_ratio"] or float("nan"))
            if x["ratio"] else "", change))
    sys.stdout.flush()


# --leak-check: the zstd workload's leaked streams, as each tool shows them. The leaked block is
# the ZSTD_DStream malloc'd in ZSTD_createDStream; the Java frame that opened the stream is
# Bench$ZstdRead.openLeaky.
LEAK_WORKLOAD = "zstd-leak"
LEAK_FUNCTION = "ZSTD_createDStream"
LEAK_JAVA = "openLeaky"
LEAK_EVERY = 64  # Bench.ZstdLeak.LEAK_EVERY


def tool_output(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, env=clean_env())
    if p.returncode != 0:
        raise BenchError("%s exited %d:\n%s" % (shlex.join(cmd), p.returncode, tail(p.stderr)))
    return p.stdout


def judge_leak(args, config, run):
    """(verdict, evidence): whether the tool's output names the leaked streams' site, and with
    the Java frame that opened them: found / found without Java frames / not found."""
    run_dir, peer = run["run_dir"], base_config(config)
    if CONFIGS.get(peer) is not None:
        with open(run["report"]["path"]) as f:
            sites = json.load(f).get("sites", [])
        hits = [s for s in sites if s.get("live_bytes", 0) > 0 and any(
            fr.get("symbol") == LEAK_FUNCTION for fr in s.get("frames", []))]
        if not hits:
            return "not found", "no live site with %s" % LEAK_FUNCTION
        top = max(hits, key=lambda s: s["live_bytes"])
        java = [fr["class"] + "." + fr["method"] for fr in top["frames"] if fr.get("type") == "java"]
        return ("found" if any(LEAK_JAVA in j for j in java) else "found without Java frames",
                "site of %d live bytes in %d blocks: %s" % (
                    top["live_bytes"], top["live_count"], " > ... > ".join(
                        [LEAK_FUNCTION] + [j for j in java if LEAK_JAVA in j][:1])))
    if peer == "jemalloc-prof":
        heaps = sorted(glob.glob(os.path.join(run_dir, "jeprof.*.f.heap")))
        if not heaps:
            return "not found", "no final profile written"
        java = os.path.join(args.java_home, "bin", "java")
        text = tool_output(["jeprof", "--text", "--show_bytes", java, heaps[-1]])
        line = [l for l in text.splitlines() if l.rstrip().endswith(" " + LEAK_FUNCTION)]
        if not line:
            return "not found", "jeprof --text has no %s" % LEAK_FUNCTION
        return ("found" if LEAK_JAVA in text else "found without Java frames",
                "jeprof --text: %s (Java frames are ?? in its output)" % " ".join(line[0].split()))
    if peer.startswith("nmt-"):
        out = run["stdout"]
        if "Native Memory Tracking" not in out:
            return "not found", "no NMT statistics printed at exit"
        return ("found" if LEAK_FUNCTION in out else "not found",
                "NMT at exit (as jcmd VM.native_memory): %s" % (
                    "names it" if LEAK_FUNCTION in out else
                    "no %s, nor any zstd frame: JNI libraries' malloc is not tracked"
                    % LEAK_FUNCTION))
    if peer == "heaptrack":
        data = glob.glob(os.path.join(run_dir, "heaptrack*.zst"))
        if not data:
            return "not found", "no heaptrack data written"
        text = tool_output(["heaptrack_print", "-f", data[0], "--print-leaks", "1", "-p", "0",
                            "-a", "0", "-T", "0"])
        leaks = text[text.find("MEMORY LEAKS"):] if "MEMORY LEAKS" in text else ""
        m = re.search(r"^(\S+) leaked over (\d+) calls from\n%s$" % LEAK_FUNCTION, leaks, re.M)
        if not m:
            return "not found", "heaptrack_print --print-leaks has no %s" % LEAK_FUNCTION
        return ("found" if LEAK_JAVA in leaks else "found without Java frames",
                "heaptrack_print --print-leaks: %s leaked from %s (its callers: ?? for JIT code)" % (
                    m.group(1), LEAK_FUNCTION))
    return "not found", "no way to read this tool's output"


def leak_check(args, classes, work, configs):
    """Runs zstd-leak once per configuration but none and judges each tool's output (not for
    an allocator alone, which reports nothing)."""
    results = []
    for c in configs:
        if c == BASELINE or PEERS.get(c, {}).get("finds_nothing"):
            continue
        log("leak check: %s with %s" % (LEAK_WORKLOAD, c))
        run = run_one(args, classes, work, LEAK_WORKLOAD, c, 0, leak=True)
        verdict, evidence = judge_leak(args, c, run)
        results.append({"config": c, "verdict": verdict, "evidence": evidence,
                        "ops": run["ops"]})
    print("\nleak check: %s (every %dth zstd stream never closed), what each tool shows:\n" % (
        LEAK_WORKLOAD, LEAK_EVERY))
    for r in results:
        print("  %-14s %-26s %s" % (r["config"], r["verdict"], r["evidence"]))
    sys.stdout.flush()
    return results


def print_startup(rows, runs):
    """Start-up rows again in milliseconds, with the fastest single start of each configuration
    (less sensitive to other processes than the medians on a shared machine)."""
    mine = [r for r in rows if startup_classes(r["workload"]) is not None]
    if not mine:
        return
    print("\nstart-up (spawn to main's line): median of the runs' median starts (their range), "
          "and the fastest start of all:")
    fastest = {}
    for run in runs:
        key = (run["workload"], run["config"])
        fastest[key] = min([fastest.get(key, float("inf"))] + run.get("starts_ns", []))
    for r in mine:
        best = fastest[(r["workload"], r["config"])]
        base = fastest.get((r["workload"], BASELINE))
        print("  %-14s %-12s %8.1f ms (%.1f..%.1f)%s  fastest %.1f ms%s" % (
            r["workload"], r["config"], r["median_ns_per_op"] / 1e6, r["min_ns_per_op"] / 1e6,
            r["max_ns_per_op"] / 1e6,
            ", %.3fx none, paired %.3fx" % (r["ratio"], r["paired_ratio"])
            if r["ratio"] is not None and r["config"] != BASELINE else "",
            best / 1e6, ", %.3fx none" % (best / base) if base and r["config"] != BASELINE else ""))
    sys.stdout.flush()


def measure_table(args, classes, work):
    """Memory per tracked block: a JVM keeps N Unsafe blocks live with sample=0, and its exit
    report says how big the live table was; also how long that report took to write."""
    n = args.table_blocks
    run_dir = os.path.join(work, "table")
    os.makedirs(run_dir)
    out = os.path.join(run_dir, "report-%p.json")
    cmd = [os.path.join(args.java_home, "bin", "java"),
           "-agentpath:%s=output=%s,sample=0,native=off" % (args.agent, out)] + JVM_FLAGS + [
           "-cp", classpath(classes), "KeepBlocks", str(n)]
    p = subprocess.run(cmd, capture_output=True, text=True, env=clean_env(args.preload))
    if p.returncode != 0:
        raise BenchError("KeepBlocks exited %d:\n%s" % (p.returncode, tail(p.stderr)))
    report = json.load(open(glob.glob(os.path.join(run_dir, "report-*.json"))[0]))
    agent = report["agent"]
    tracked = agent["tracked_blocks"]
    print("\nlive table with %d blocks tracked (sample=0): %d bytes of tables = %.1f bytes per "
          "block, plus %d bytes of retired tables (%.1f per block)" % (
              tracked, agent["live_table_bytes"], agent["live_table_bytes"] / max(1, tracked),
              agent["live_table_retired_bytes"], agent["live_table_retired_bytes"] / max(1, tracked)))
    return {"blocks": tracked, "table_bytes": agent["live_table_bytes"],
            "retired_bytes": agent["live_table_retired_bytes"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--agent", required=True, help="libleakbridge.so")
    ap.add_argument("--java-home", required=True, help="JDK to run (and compile Bench.java) with")
    ap.add_argument("--workloads", default=",".join(DEFAULT_WORKLOADS),
                    help="comma-separated (default %(default)s)")
    ap.add_argument("--configs", default=",".join(DEFAULT_CONFIGS),
                    help="comma-separated subset of %s, and of the other tools %s (default "
                    "%%(default)s)" % (", ".join(CONFIGS), ", ".join(PEERS)))
    ap.add_argument("--alt-agent", action="append", default=[],
                    help="another libleakbridge.so: every agent configuration also runs with it "
                    "(as CONFIG%s, CONFIG%s2, ... in the order given), interleaved with the "
                    "others; may be repeated" % (ALT_SUFFIX, ALT_SUFFIX))
    ap.add_argument("--reps", type=int, default=5, help="JVMs per workload and configuration")
    ap.add_argument("--seconds", type=float, default=3.0, help="timed phase of each JVM")
    ap.add_argument("--warmup", type=float, default=2.0, help="warm-up phase of each JVM")
    ap.add_argument("--preload", help="LD_PRELOAD for every run, e.g. jemalloc's libjemalloc.so.2")
    ap.add_argument("--classes", help="compiled Bench classes (default: compile into a temp dir)")
    ap.add_argument("--json", help="write the raw numbers here")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (reports, logs)")
    ap.add_argument("--table-blocks", type=int, default=1000000,
                    help="also measure the live table's memory with this many blocks (0: skip)")
    ap.add_argument("--native-lib-dir", default=os.path.join(os.getcwd(), "tests", "bench", "native"),
                    help="directory of libbenchnative.so (jni-malloc-churn)")
    ap.add_argument("--leak-check", action="store_true",
                    help="after the runs, run %s once per configuration and say whether each "
                    "tool found its leak, and with which frames" % LEAK_WORKLOAD)
    ap.add_argument("--startup-starts", type=int, default=5,
                    help="JVM starts per measurement of a startup-N workload (default %(default)s)")
    ap.add_argument("--dry-run", action="store_true",
                    help="check the arguments and say what would run, then stop (the docs test "
                    "runs every benchmark command of docs/performance.md this way); the other "
                    "tools' programs need not be installed")
    args = ap.parse_args()

    workloads = [w for w in args.workloads.split(",") if w]
    configs = [c for c in args.configs.split(",") if c]
    bad = [c for c in configs if c not in CONFIGS and c not in PEERS]
    if bad or not configs or not workloads or args.reps < 1 or args.seconds <= 0 or args.warmup < 0:
        ap.error("bad --configs %s, --workloads, --reps, --seconds or --warmup" % bad)
    with open(os.path.join(JAVA_SOURCES, "Bench.java")) as f:
        known = set(re.findall(r'WORKLOADS\.put\("([^"]+)"', f.read()))
    unknown = [w for w in workloads
               if startup_classes(w) is None and split_threads(w)[0] not in known]
    if unknown:
        ap.error("unknown workloads %s (Bench.java has %s; also WORKLOAD-Nt and startup-N)" % (
            ",".join(unknown), ",".join(sorted(known))))
    if args.startup_starts < 1 or any(startup_classes(w) == 0 for w in workloads):
        ap.error("bad --startup-starts or startup-0")
    if any(startup_classes(w) is not None for w in workloads) and any(c in PEERS for c in configs):
        ap.error("startup-N runs the agent's configurations only, not %s" % ", ".join(PEERS))
    if "heaptrack" in configs and not shutil.which("heaptrack") and not args.dry_run:
        ap.error("no heaptrack on the PATH (Debian package heaptrack)")
    if ("jemalloc-prof" in configs and args.leak_check and not shutil.which("jeprof") and
            not args.dry_run):
        ap.error("no jeprof on the PATH (Debian package libjemalloc-dev)")
    if BASELINE in configs:  # the baseline first, so its row comes first in the table
        configs = [BASELINE] + [c for c in configs if c != BASELINE]
    java = os.path.join(args.java_home, "bin", "java")
    if not os.access(java, os.X_OK):
        ap.error("no java at %s" % java)
    args.agent = os.path.abspath(args.agent)
    args.alt_agent = [os.path.abspath(a) for a in args.alt_agent]
    for i, alt in enumerate(args.alt_agent):
        if not os.path.isfile(alt):
            ap.error("no agent at %s" % alt)
        configs += [c + alt_label(i) for c in configs
                    if "@" not in c and CONFIGS.get(c) is not None]
    if args.preload and not os.path.isfile(args.preload):
        ap.error("no library at %s" % args.preload)
    if any(CONFIGS.get(base_config(c)) is not None for c in configs) and not os.path.isfile(args.agent):
        ap.error("no agent at %s" % args.agent)

    if args.dry_run:
        print("dry run: %d JVMs: workloads %s, configurations %s, %d each" % (
            len(workloads) * len(configs) * args.reps, ",".join(workloads), ",".join(configs),
            args.reps))
        return 0

    work = tempfile.mkdtemp(prefix="lbbench-")
    try:
        if args.classes:
            classes = os.path.abspath(args.classes)
        else:
            classes = os.path.join(work, "classes")
            os.makedirs(classes)
            compile_bench(args.java_home, classes)
        args.startup_jars = {}
        for w in workloads:
            if startup_classes(w) is not None:
                log("generating %d classes and their jar for %s" % (startup_classes(w), w))
                args.startup_jars[w] = build_startup_jar(args.java_home, work, startup_classes(w))

        started = datetime.datetime.now(datetime.timezone.utc)
        header = [
            "leakbridge overhead benchmark, %s" % started.strftime("%Y-%m-%d %H:%M:%S UTC"),
            "jdk:      %s" % jdk_version(java),
            "cpu:      %s (%d online)" % (cpu_model(), os.cpu_count() or 0),
            "agent:    %s" % args.agent,
        ] + ["alt:      %s (configurations *%s)" % (a, alt_label(i))
             for i, a in enumerate(args.alt_agent)] + [
            "jvm:      %s" % " ".join(JVM_FLAGS),
            "malloc:   %s" % ("LD_PRELOAD=" + args.preload if args.preload else "the C library's"),
            "runs:     %d reps x %d configs x %d workloads, each %gs warm-up + %gs timed, "
            "configs interleaved round-robin" % (args.reps, len(configs), len(workloads),
                                                 args.warmup, args.seconds),
            "command:  %s" % shlex.join([sys.executable] + sys.argv),
        ] + ["startup:  %s: %d generated classes in a jar, loaded by name by main; one op = one "
             "JVM start, spawn to main's line; %d starts per run, the median reported" % (
                 w, startup_classes(w), args.startup_starts)
             for w in workloads if startup_classes(w) is not None]
        total = args.reps * len(workloads) * len(configs)
        log("benchmark: %d runs of about %gs each (start-up runs: %d JVM starts each)" % (
            total, args.warmup + args.seconds + 0.5, args.startup_starts))
        runs, n, t_start = [], 0, time.monotonic()
        for rep in range(args.reps):
            for w in workloads:
                # Rotate the order every repetition so no configuration always runs first.
                k = rep % len(configs)
                for c in configs[k:] + configs[:k]:
                    run = run_one(args, classes, work, w, c, rep)
                    runs.append(run)
                    n += 1
                    left = (time.monotonic() - t_start) / n * (total - n)
                    log("[%2d/%d] %-16s %-9s rep %d: %10.1f ns/op  others %.2f cores  (%.0fs left)"
                        % (n, total, w, c, rep + 1, run["ns_per_op"], run["others_cores"], left))

        rows = summarize(runs, workloads, configs)
        print_table(header, rows)
        print_startup(rows, runs)
        print_side_by_side(rows, workloads, configs)
        print_scaling(rows)
        comparison = compare_agents(runs, workloads, configs) if args.alt_agent else None
        if comparison:
            print_comparison(comparison)
        busy = [r["others_cores"] for r in runs]
        noisy = [r for r in runs if r["others_cores"] > BUSY_OTHERS_WARN]
        print("\nother processes kept %.2f..%.2f cores busy during the runs (median %.2f)" % (
            min(busy), max(busy), statistics.median(busy)))
        if noisy:
            print("WARNING: %d of %d runs shared the machine with more than %.2f busy cores: "
                  "their numbers are suspect (%s)" % (
                      len(noisy), len(runs), BUSY_OTHERS_WARN,
                      ", ".join("%s/%s#%d" % (r["workload"], r["config"], r["rep"])
                                for r in noisy[:8]) + (", ..." if len(noisy) > 8 else "")))
        memory = measure_table(args, classes, work) if args.table_blocks else None
        leaks = leak_check(args, classes, work, configs) if args.leak_check else None
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"header": header, "started": started.isoformat(),
                           "jvm_flags": JVM_FLAGS, "preload": args.preload, "argv": sys.argv, "summary": rows,
                           "runs": runs, "live_table": memory,
                           "alt_agent": args.alt_agent, "agent_vs_alt": comparison,
                           "side_by_side": side_by_side(rows, workloads, configs),
                           "scaling": scaling(rows), "leak_check": leaks}, f, indent=1)
                f.write("\n")
    except BenchError as e:
        print("bench: ERROR: %s" % e, file=sys.stderr)
        print("bench: work directory kept: %s" % work, file=sys.stderr)
        return 1
    if args.keep:
        log("work directory: %s" % work)
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
