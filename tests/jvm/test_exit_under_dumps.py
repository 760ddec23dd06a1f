"""Every exit gets an exit report (issue 16): with gc=on and interval=100ms the dumper thread is
almost always in a dump, most of it in a forced GC and the wait for frees after it; SIGTERM at a
random moment must still end the JVM with one complete exit report (valid against the schema,
reason exit, the highest number of the run, the kept buffers in it, no temporary file left, a
number missing only where the exit report says it overtook that dump),
and the exit must not be delayed by more than the exit report's own time (its "report written
... (exit) in N ms" line): from SIGTERM to the process's end takes at most that, plus the
slowest exit of the same program without the agent in the same test (the JVM's own shutdown:
0.3-0.4 s, most of it HotSpot waiting for threads in native code, here the main thread reading
stdin), plus a margin for a loaded machine. Under every collector the JDK has: Serial,
Parallel, G1, ZGC and Shenandoah (under ZGC, and Shenandoah on JDK 17, a forced GC in progress
when the JVM stopped its collector threads never returned, and the exit report used to wait
10 s for it and then give up).

In the suite: a few runs per collector and one without the agent, several JVMs at a time. The
campaign of docs/reliability.md is this script with --runs 100 (--jobs, --collectors, --seed
as wanted); it prints a line of figures per collector."""
import argparse
import concurrent.futures
import os
import random
import shlex
import statistics
import subprocess
import sys
import time

import lbtest
from lbtest import check

COLLECTORS = ("SerialGC", "ParallelGC", "G1GC", "ZGC", "ShenandoahGC")
OPTIONS = "sample=0,gc=on,interval=100ms"
KEPT = 16
# Beyond the exit report and the JVM's own shutdown: scheduling on a loaded machine. A dump
# stuck in a forced GC delayed the exit by 10 s.
MARGIN_S = 1.5

campaign = argparse.ArgumentParser(add_help=False)
campaign.add_argument("--runs", type=int, default=3, help="SIGTERMs per collector")
campaign.add_argument("--jobs", type=int, default=3, help="JVMs at a time")
campaign.add_argument("--collectors", default=",".join(COLLECTORS))
campaign.add_argument("--seed", type=int, default=None)
ARGS, rest = campaign.parse_known_args()
sys.argv = [sys.argv[0]] + rest


SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def check_documented_campaign():
    """docs/reliability.md's campaign is this script with 100 runs, options it takes."""
    text = open(os.path.join(SOURCE, "docs", "reliability.md")).read()
    lines = [line.strip().rstrip("\\").strip() for line in text.splitlines()]
    start = [i for i, line in enumerate(lines) if "test_exit_under_dumps.py" in line]
    check(len(start) == 1, "%d campaign commands in reliability.md" % len(start))
    words = shlex.split(" ".join(lines[start[0]:start[0] + 3]).split(";")[0])
    words = words[words.index("tests/jvm/test_exit_under_dumps.py") + 1:]
    known, rest = campaign.parse_known_args(words)
    check(known.runs == 100, "the documented campaign has %d runs" % known.runs)
    for option in ("--agent", "--java-home", "--classes", "--schema"):
        check(option in rest, "the documented campaign lacks %s" % option)


def available(env, gc):
    p = subprocess.run([env.java, "-XX:+Use" + gc, "-version"], capture_output=True, text=True)
    return p.returncode == 0


def one_run(env, gc, i, wait_s, agent=True):
    """Starts LiveDumps under gc, keeps buffers, churns, sends SIGTERM after wait_s; returns
    (delay from SIGTERM to the end, the exit report's own s, abandoned dumps, reports), or,
    without the agent, (delay,)."""
    s = lbtest.Session(env, "%s-%d%s" % (gc, i, "" if agent else "-bare"), options=OPTIONS,
                       agent=agent, jvm_args=["-XX:+Use" + gc])
    try:
        s.do("dbb-keep %d 4096" % KEPT)
        s.do("churn 1")
        time.sleep(wait_s)
    except BaseException:
        s.kill()
        raise
    code, delay, err = s.terminate()
    where = "%s run %d%s (SIGTERM %.2f s after start)" % (gc, i, "" if agent else " without agent",
                                                          wait_s)
    check(code == 143, "%s: exit code %d, expected 143; stderr: %s" % (where, code, err[-2000:]))
    if not agent:
        print("%s: exit %.3f s after SIGTERM" % (where, delay), flush=True)
        return (delay,)
    written, own_s = lbtest.exit_report_written(err, where)
    leftovers = [f for f in os.listdir(s.dir) if ".tmp" in f]
    check(not leftovers, "%s: temporary files left: %s" % (where, leftovers))
    reports = [env.load(p) for p in s.report_paths()]  # each validated against the schema
    exits = [r for r in reports if r["reason"] == "exit"]
    check(len(exits) == 1, "%s: %d exit reports in %s" % (where, len(exits), s.dir))
    last = exits[0]
    check(os.path.realpath(written) == os.path.realpath(
        os.path.join(s.dir, "report-%d.json" % last["sequence"])),
        "%s: the exit report is %s, numbered %d" % (where, written, last["sequence"]))
    check(last is reports[-1], "%s: the exit report is not the last" % where)
    abandoned = len(lbtest.check_numbers([r["sequence"] for r in reports], err, where))
    kept = sum(x["live_count"] for x in lbtest.sites_with_method(last, "LiveDumps", "keepBuffers"))
    check(kept >= KEPT, "%s: %d kept buffers in the exit report, %d kept" % (where, kept, KEPT))
    print("%s: exit %.3f s after SIGTERM, exit report %.3f s, %d interval reports before, "
          "%d dump abandoned" % (where, delay, own_s, len(reports) - 1, abandoned), flush=True)
    return delay, own_s, abandoned, len(reports)


def test(env):
    check_documented_campaign()
    seed = ARGS.seed if ARGS.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    print("seed %d (--seed %d repeats these moments)" % (seed, seed))
    wanted = [g for g in ARGS.collectors.split(",") if g]
    check(all(g in COLLECTORS for g in wanted), "collectors are among %s" % (COLLECTORS,))
    collectors = [g for g in wanted if available(env, g)]
    print("collectors on %s: %s" % (env.jdk, ", ".join(collectors)))
    check("G1GC" not in wanted or "G1GC" in collectors, "G1 not available")
    bare = max(1, ARGS.runs // 10)
    jobs = [(gc, i, rng.uniform(0.3, 2.0)) for gc in collectors for i in range(ARGS.runs)]
    jobs += [(gc, i, rng.uniform(0.3, 2.0), False) for gc in collectors for i in range(bare)]
    rng.shuffle(jobs)
    results = {gc: [] for gc in collectors}
    baseline = {gc: [] for gc in collectors}
    failures = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=ARGS.jobs) as pool:
        futures = {pool.submit(one_run, env, *job): job for job in jobs}
        for f in concurrent.futures.as_completed(futures):
            job = futures[f]
            try:
                (results if len(job) == 3 else baseline)[job[0]].append(f.result())
            except lbtest.Failure as e:
                failures.append(str(e))
    print("collector     runs  complete  exit delay max / median  exit report max  "
          "past the report max / median  without agent max / median  abandoned dumps")
    late = []
    for gc in collectors:
        r = results[gc]
        delays = [x[0] for x in r] or [0]
        past = [x[0] - x[1] for x in r] or [0]
        bare_delays = [x[0] for x in baseline[gc]] or [0]
        shutdown = max(bare_delays)
        print("%-12s  %4d  %8d  %8.3f s / %.3f s  %13.3f s  %16.3f s / %.3f s  %15.3f s / %.3f s"
              "  %15d" % (gc, ARGS.runs, len(r), max(delays), statistics.median(delays),
                          max([x[1] for x in r] or [0]), max(past), statistics.median(past),
                          shutdown, statistics.median(bare_delays), sum(x[2] for x in r)))
        late += ["%s: the exit took %.2f s after SIGTERM, the exit report %.2f s of it, %.2f s "
                 "without the agent" % (gc, x[0], x[1], shutdown)
                 for x in r if x[0] > x[1] + shutdown + MARGIN_S]
    check(not failures, "%d of %d runs failed: %s" % (len(failures), len(jobs),
                                                      " | ".join(failures[:3])))
    check(len(results) == len(collectors) and all(baseline.values()), "a run is missing")
    check(not late, "%d exits delayed: %s" % (len(late), " | ".join(late[:3])))


if __name__ == "__main__":
    lbtest.main(test)
