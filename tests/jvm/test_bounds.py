"""The agent's memory is bounded, and the report says what the bounds did (docs/options.md:
max_sites, max_memory, report_sites; docs/report-format.md#bounds).

ManySites makes 300 Unsafe blocks and 300 malloc'd blocks (libleakkeep.so), each at a Java stack
of its own, with sample=0:
- without bounds, 300 malloc sites of their own, nothing folded;
- with max_sites=100 the stacks past 100 sites fold into one overflow site per kind and module:
  the 300 malloc blocks at libleakkeep.so's, the Unsafe ones at the module-less one; the totals
  are the same as without bounds (nothing dropped), and the folded stacks are counted;
- with report_sites=20 the report lists 20 sites plus the overflow sites and sums up the rest:
  listed + summarized = totals;
- an overflow site that keeps growing is leak-suspect like any site;
- with max_memory=2m the arena stops there (a chunk more for overflow sites), and blocks the
  live table had no room for are counted untracked: malloc's live + untracked = what was kept;
- a dump gives back the memory it built the report in: the JVM's RSS after three dumps of
  10,000 sites (a 45 MB report) grows by less than a quarter of the report."""
import os
import re
import subprocess
import time

import lbtest
from lbtest import check

KEEP_SIZE = 1237  # libleakkeep.so's hold_blocks
UNSAFE_SIZE = 4099  # ManySites


def run(env, tag, options, args):
    p, report = lbtest.run_report(env, tag, "ManySites", args, options="sample=0," + options)
    check("kept unsafe=%s native=%s" % (args[1], args[3] if len(args) > 3 else 0) in p.stdout,
          "ManySites did not finish its work: %r" % p.stdout)
    return p, report


def overflow(report, kind):
    found = [o for o in report["bounds"]["overflow_sites"] if o["kind"] == kind]
    return found


def keep_module(env):
    return os.path.realpath(lbtest.native_lib(env, "libleakkeep.so"))


def hold_sites(report):
    return lbtest.sites_with_symbol(report, "hold_blocks")


def unbounded(env):
    _, r = run(env, "unbounded", "max_sites=0,report_sites=0", ["unsafe", 300, "native", 300])
    b = r["bounds"]
    check(b["reached"] == [] and b["overflow_sites"] == [] and b["folded_stacks"] == 0,
          "nothing should fold without bounds: %s" % b)
    check(len(hold_sites(r)) == 300, "expected 300 distinct hold_blocks sites, found %d" %
          len(hold_sites(r)))
    malloc = r["totals"]["by_kind"]["malloc"]
    check(malloc == {"live_bytes": 300 * KEEP_SIZE, "live_count": 300},
          "malloc totals without bounds: %s" % malloc)
    return r


def folded(env, unbounded_report):
    p, r = run(env, "folded", "max_sites=100,report_sites=20", ["unsafe", 300, "native", 300])
    b = r["bounds"]
    check(b["max_sites"] == 100 and b["report_sites"] == 20 and b["reached"] == ["max_sites"],
          "bounds: %s" % {k: b[k] for k in ("max_sites", "report_sites", "reached")})
    # The line options.md shows, word for word, for max_sites=100.
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs",
                           "options.md")) as f:
        said = [l for l in f.read().splitlines() if l.startswith("leakbridge: max_sites=")]
    check(len(said) == 1, "options.md shows %d max_sites lines" % len(said))
    check(said[0].replace("max_sites=50000", "max_sites=100") in p.stderr.splitlines(),
          "the agent did not say what options.md shows: %r" % p.stderr[-800:])
    # Site ids past 100 are overflow sites only.
    ids = {o["site"] for o in b["overflow_sites"]}
    check(r["totals"]["sites_seen"] <= 100 + len(ids), "%d sites seen with max_sites=100" %
          r["totals"]["sites_seen"])
    # The malloc'd blocks: every stack came after the 100th site, all folded at the library's.
    module = keep_module(env)
    mine = [o for o in overflow(r, "malloc") if o["module"] and
            os.path.realpath(o["module"]) == module]
    check(len(mine) == 1, "one malloc overflow site for %s expected: %s" % (module,
                                                                              b["overflow_sites"]))
    o = mine[0]
    check(o["live_count"] == 300 and o["live_bytes"] == 300 * KEEP_SIZE and
          o["folded_allocations"] == 300, "libleakkeep's overflow site: %s" % o)
    check(270 <= o["folded_stacks"] <= 300, "300 distinct stacks estimated as %d" %
          o["folded_stacks"])
    check(not hold_sites(r), "a hold_blocks site of its own past max_sites")
    # Nothing dropped: the totals are those of the run without bounds.
    for kind in ("malloc", "unsafe"):
        got, want = r["totals"]["by_kind"][kind], unbounded_report["totals"]["by_kind"][kind]
        if kind == "malloc":
            check(got == want, "malloc totals %s, without bounds %s" % (got, want))
        else:  # the JDK's own Unsafe blocks may differ from run to run
            check(got["live_bytes"] >= 300 * UNSAFE_SIZE, "unsafe totals %s" % got)
    java = [o for o in overflow(r, "unsafe") if o["module"] is None]
    check(len(java) == 1 and java[0]["live_count"] >= 200,
          "the Unsafe stacks past 100 sites fold into one overflow site without a module: %s" %
          b["overflow_sites"])
    listed = {s["id"]: s for s in r["sites"]}
    check(o["site"] in listed and listed[o["site"]]["overflow"]["module"] == o["module"] and
          listed[o["site"]]["frames"] == [], "the overflow site is listed as a site")
    # report_sites: 20 listed besides the overflow sites, the rest summed up, nothing lost.
    plain = [s for s in r["sites"] if "overflow" not in s]
    check(len(plain) <= 20, "%d sites listed with report_sites=20" % len(plain))
    sm = b["summarized"]
    live_listed = [s for s in r["sites"] if s["live_count"] or s["live_bytes"]]
    check(sm["sites"] > 0 and sm["sites"] + len(live_listed) == r["totals"]["sites"],
          "summarized %d + listed %d != %d sites" % (sm["sites"], len(live_listed),
                                                     r["totals"]["sites"]))
    for key in ("live_bytes", "live_count"):
        total = sum(s[key] for s in r["sites"]) + sm[key]
        check(total == r["totals"][key], "%s: listed + summarized %d, totals %d" % (
            key, total, r["totals"][key]))
    by_kind = sum(k["live_bytes"] for k in sm["by_kind"].values())
    check(by_kind == sm["live_bytes"], "summarized by kind %d != %d" % (by_kind, sm["live_bytes"]))
    smallest = min(s["live_bytes"] for s in plain)
    check(sm["live_bytes"] <= smallest * sm["sites"],
          "the summed-up sites hold more than the smallest listed one: not the largest listed")


def grows_in_overflow(env):
    """A leak at new stacks past max_sites: the overflow site grows and is leak-suspect."""
    r = env.load(lbtest.growing_overflow(env))
    check(r["reason"] == "exit", "the last report is %s" % r["reason"])
    java = [s for s in r["sites"] if "overflow" in s and s["overflow"]["module"] is None and
            s["kind"] == "unsafe"]
    check(len(java) == 1, "no Unsafe overflow site: %s" % r["bounds"]["overflow_sites"])
    site = java[0]
    check(r["leak_window"]["decidable"], "the run should hold a verdict: %s" % r["leak_window"])
    check(site["status"] == "leak-suspect" and site["status_rule"] == "growing",
          "the growing overflow site is %s (%s)" % (site["status"], site.get("status_rule")))


def memory_bound(env):
    """2,000 sites fill most of 2 MiB; then 30,000 blocks at one stack need a larger live table
    than the rest allows."""
    p, r = run(env, "memory", "max_memory=2m,report_sites=50", ["unsafe", 2000, "keep", 30000])
    b, agent = r["bounds"], r["agent"]
    check("max_memory" in b["reached"], "max_memory=2m not reached: %s" % b["reached"])
    check(agent["arena_bytes"] <= (2 << 20) + (2 << 20),
          "the arena mapped %d bytes with max_memory=2m" % agent["arena_bytes"])
    check("max_memory=2.0 MiB reached" in p.stderr, "the agent did not say max_memory was reached")
    malloc = r["totals"]["by_kind"]["malloc"]
    check(b["untracked_count"] > 0 and malloc["live_count"] < 30000,
          "no block left untracked: %s, malloc %s" % (b, malloc))
    # Every block is live or untracked (the few besides ours: the JDK's own at the edge).
    both = malloc["live_count"] + b["untracked_count"]
    check(30000 <= both <= 30100, "malloc live %d + untracked %d blocks, 30,000 kept" % (
        malloc["live_count"], b["untracked_count"]))
    check(malloc["live_bytes"] + b["untracked_bytes"] >= 30000 * KEEP_SIZE,
          "malloc live + untracked bytes below what was kept")


def rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1)) / 1024.0


def dumps_give_back(env):
    out = os.path.join(env.work, "rss")
    os.makedirs(out)
    cmd = [env.java, "-Xmx512m", "-agentpath:%s=output=%s,sample=0,report_sites=0" % (
        env.agent, os.path.join(out, "r-%n.json")), "-cp", env.classes, "ManySites",
        "unsafe", "10000", "wait", "0"]
    print("$ " + " ".join(cmd), flush=True)
    jvm = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        line = jvm.stdout.readline()
        check(line.startswith("ready pid="), "ManySites did not start: %r" % line)
        pid = int(line.split("=")[1])
        before = rss_mb(pid)
        sizes, after = [], []
        for n in range(1, 4):
            subprocess.run([os.path.join(env.java_home, "bin", "jcmd"), str(pid),
                            "JVMTI.data_dump"], capture_output=True, timeout=120, check=True)
            path = os.path.join(out, "r-%d.json" % n)
            deadline = time.time() + 60
            while not os.path.exists(path) and time.time() < deadline:
                time.sleep(0.05)
            check(os.path.exists(path), "dump %d not written" % n)
            sizes.append(os.path.getsize(path) / 1e6)
            # The memory is given back once the report is in place: wait for it (a loaded
            # machine may take its time), at most 10 s.
            deadline = time.time() + 10
            while rss_mb(pid) - before >= sizes[0] / 4 and time.time() < deadline:
                time.sleep(0.1)
            after.append(rss_mb(pid))
        print("RSS %.0f MB before, %s after each dump; reports %s MB" % (
            before, ["%.0f" % a for a in after], ["%.0f" % s for s in sizes]))
        check(sizes[0] > 30, "the report is too small to tell: %.1f MB" % sizes[0])
        check(after[-1] - before < sizes[0] / 4, "RSS grew by %.0f MB over three dumps of a "
              "%.0f MB report: the dump kept what it built" % (after[-1] - before, sizes[0]))
    finally:
        jvm.stdin.close()
        jvm.wait(timeout=120)
    check(jvm.returncode == 0, "ManySites exited %d" % jvm.returncode)


def timed(what, *args):
    start = time.time()
    result = what(*args)
    print("%s: %.1f s" % (what.__name__, time.time() - start), flush=True)
    return result


def test(env):
    r = timed(unbounded, env)
    timed(folded, env, r)
    timed(grows_in_overflow, env)
    timed(memory_bound, env)
    timed(dumps_give_back, env)


lbtest.main(test)
