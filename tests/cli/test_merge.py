"""leakbridge merge of three real reports (two runs of ZstdLeak keeping 100 and 200 streams,
one of NativeKeep): a valid report (the schema), the stream site once with the sum of both
runs' blocks and inputs 2, totals summed, and the other commands read it; a site's growth is
the sum of its inputs' with the longest streak; leak_window is there when every input has one,
decidable when every input's is.

Several dumps of two JVMs (LiveDumps, 20 more streams before each of 3 dumps, then the exit
report): merge keeps the exit report of each JVM (60 streams each, 120 in all, where adding up
every dump would give 240), with one line on stderr naming the 6 reports left out;
--all-dumps merges all 8.

-o to a target that is not a regular file (/dev/stdout, a FIFO) writes it as it is.

Memory sections: the merged report's has every region's RSS and summable figures summed (in
use, free, tracked bytes, arenas, threads, heap sizes, other's parts), the unexplained rest and
the RSS summed, exact only where every input's is; findings once each with the number of
inputs that had it (a merge of a merge adds them up); differing collectors listed; a figure
not every input has, nmt and memory_limit dropped; no section when an input has none; a sum
past 64 bits refused."""
import copy
import json
import os
import threading

import clitest
from clitest import check, line_with


def test(env):
    a_path, a = clitest.zstd_report(env, "a", 100)
    b_path, b = clitest.zstd_report(env, "b", 200)
    k_path, k = clitest.run_report(env, "keep", "NativeKeep", ["keep", 10])
    out = os.path.join(env.work, "merged.json")
    clitest.run(["merge", a_path, b_path, k_path, "-o", out])
    merged = env.load(out)  # validates against docs/report.schema.json

    check(merged["merged"]["inputs"] == 3, "merged.inputs %r" % merged["merged"])
    check([r["path"] for r in merged["merged"]["reports"]] == [a_path, b_path, k_path],
          "merged.reports %r" % merged["merged"]["reports"])
    stream = clitest.site_with_symbol(merged, "ZSTD_createDStream")
    sa, sb = (clitest.site_with_symbol(r, "ZSTD_createDStream") for r in (a, b))
    check(stream["live_count"] == sa["live_count"] + sb["live_count"] == 300,
          "stream site holds %d blocks" % stream["live_count"])
    check(stream["live_bytes"] == sa["live_bytes"] + sb["live_bytes"], "bytes not summed")
    check(stream["inputs"] == 2, "stream site inputs %r" % stream.get("inputs"))
    check(clitest.site_with_symbol(merged, "hold_blocks")["inputs"] == 1, "hold_blocks inputs")
    for field in ("live_bytes", "live_count", "allocated_bytes", "freed_count"):
        check(merged["totals"][field] == sum(r["totals"][field] for r in (a, b, k)),
              "totals.%s not summed" % field)
    check(merged["totals"]["live_bytes"] == sum(s["live_bytes"] for s in merged["sites"]),
          "totals.live_bytes is not the sum over sites")
    check(merged["sites"] == sorted(merged["sites"], key=lambda s: -s["live_bytes"]), "order")
    check([s["id"] for s in merged["sites"]] == list(range(1, len(merged["sites"]) + 1)), "ids")
    paths = [m["path"] for m in merged["modules"]]
    check(len(paths) == len(set((m["path"], m["build_id"]) for m in merged["modules"])),
          "a module listed twice")

    top = clitest.run(["top", out]).stdout
    check("merged from 3 reports" in top, "top does not say the report is merged")
    line_with(top, clitest.human(stream["live_bytes"]), " 300 ", "ZSTD_createDStream")
    check_out = clitest.run(["check", out], expect=1).stdout
    check("in 2 merged reports" in line_with(check_out, "leak of %d bytes" % stream["live_bytes"]),
          "check does not say the site was in 2 reports")

    memory_sums(merged, (a, b, k))
    crafted_memory(env, a, b, k_path)

    # Merging the merged report with another: inputs add up.
    again = os.path.join(env.work, "again.json")
    clitest.run(["merge", out, a_path, "-o", again])
    twice = env.load(again)
    check(twice["merged"]["inputs"] == 4, "inputs of a merge of a merge %r" % twice["merged"])
    check(clitest.site_with_symbol(twice, "ZSTD_createDStream")["inputs"] == 3, "site inputs")

    # A target that is not a regular file is written as it is, never renamed over: -o
    # /dev/stdout (a pipe here) prints the report and /dev/stdout stays a link; a FIFO's reader
    # gets the report.
    before = os.lstat("/dev/stdout")
    printed = clitest.run(["merge", a_path, b_path, k_path, "-o", "/dev/stdout"]).stdout
    check(json.loads(printed) == merged, "merge -o /dev/stdout printed another report")
    after = os.lstat("/dev/stdout")
    check((after.st_ino, after.st_mode) == (before.st_ino, before.st_mode), "/dev/stdout replaced")
    fifo = os.path.join(env.work, "fifo")
    os.mkfifo(fifo)
    read = {}
    reader = threading.Thread(target=lambda: read.update(text=open(fifo).read()))
    reader.start()
    clitest.run(["merge", a_path, b_path, k_path, "-o", fifo])
    reader.join(60)
    check(os.path.exists(fifo) and not os.path.isfile(fifo), "the FIFO was replaced by a file")
    check(json.loads(read.get("text", "null")) == merged, "the FIFO's reader got another report")

    # growth: each input's change since its own previous report, summed; the longest streak.
    def with_growth(report, name, bytes_, count, streak):
        r = json.loads(json.dumps(report))
        clitest.site_with_symbol(r, "ZSTD_createDStream")["growth"] = {
            "bytes": bytes_, "count": count, "streak": streak}
        return clitest.write_report(env, name, r)
    ga, gb = with_growth(a, "ga.json", 1000, 2, 1), with_growth(b, "gb.json", -400, -1, 3)
    grown = os.path.join(env.work, "grown.json")
    clitest.run(["merge", ga, gb, k_path, "-o", grown])
    g = env.load(grown)
    check(clitest.site_with_symbol(g, "ZSTD_createDStream").get("growth") ==
          {"bytes": 600, "count": 1, "streak": 3},
          "merged growth %r" % clitest.site_with_symbol(g, "ZSTD_createDStream").get("growth"))
    check("growth" not in clitest.site_with_symbol(g, "hold_blocks"),
          "a site without growth in its inputs got some")

    # leak_window: kept when every input has one.
    short = {"window_ms": 10000, "observed_ms": 700, "reports": 1, "decidable": False}
    long_run = {"window_ms": 20000, "observed_ms": 900000, "reports": 4, "decidable": True}

    def with_window(report, name, window):
        r = copy.deepcopy(report)
        r["leak_window"] = window
        return clitest.write_report(env, name, r)
    wa, wb = with_window(a, "wa.json", long_run), with_window(b, "wb.json", short)
    windowed = os.path.join(env.work, "windowed.json")
    clitest.run(["merge", wa, wb, "-o", windowed])
    check(env.load(windowed).get("leak_window") == {"window_ms": 20000, "observed_ms": 700,
                                                    "reports": 1, "decidable": False},
          "merged leak_window %r" % env.load(windowed).get("leak_window"))
    clitest.run(["merge", wa, with_window(b, "wb2.json", long_run), "-o", windowed])
    check(env.load(windowed)["leak_window"] == long_run, "two decidable inputs")
    older = copy.deepcopy(b)  # a report of an agent before 0.2, which had no leak_window
    older.pop("leak_window", None)
    clitest.run(["merge", wa, clitest.write_report(env, "older.json", older), "-o", windowed])
    check("leak_window" not in env.load(windowed), "leak_window of an input without one")

    several_dumps(env)

    stdout = clitest.run(["merge", a_path]).stdout
    check(json.loads(stdout)["format"] == "leakbridge-report", "merge to stdout")
    err = clitest.run(["merge", a_path, os.path.join(env.work, "missing.json"), "-o", out],
                      expect=2).stderr
    check("missing.json" in err, "message %r" % err)
    # A figure merge refuses: one line naming it, no second line about writing, no file.
    bad = copy.deepcopy(b)
    bad["totals"]["by_kind"]["malloc"] = 5
    bad_path = clitest.write_report(env, "bad-totals.json", bad)
    refused = os.path.join(env.work, "refused.json")
    err = clitest.run(["merge", "--all-dumps", a_path, bad_path, "-o", refused], expect=2).stderr
    check(err.strip().splitlines() == [
        "leakbridge: %s: totals.by_kind.malloc: expected an object" % bad_path] and
          not os.path.exists(refused), "merge of invalid totals: %r" % err)


def several_dumps(env):
    """Two JVMs, each with three dumps and its exit report: the latest of each is merged."""
    paths, exits = [], []
    for tag in ("tm-1", "tm-2"):
        reports = clitest.live_dumps(env, tag, [["zstd-keep 20"]] * 3)
        paths += reports
        exits.append(reports[-1])
    out = os.path.join(env.work, "job.json")
    p = clitest.run(["merge"] + paths + ["-o", out])
    job = env.load(out)
    check([r["path"] for r in job["merged"]["reports"]] == exits and
          job["merged"]["inputs"] == 2, "merged %s" % job["merged"])
    streams = [x for x in clitest.lbtest.sites_with_symbol(job, "ZSTD_createDStream")
               if ("LiveDumps", "keepStreams") in clitest.lbtest.java_frames(x)]
    check(len(streams) == 1 and streams[0]["live_count"] == 120 and streams[0]["inputs"] == 2,
          "kept streams %s" % [(x["live_count"], x["inputs"]) for x in streams])
    lines = p.stderr.strip().splitlines()
    check(len(lines) == 1 and lines[0].startswith(
        "leakbridge merge: merging the latest report of each JVM; left out 6 earlier reports: ")
          and lines[0].endswith(" and 2 more (--all-dumps merges every report)"),
          "stderr %r" % p.stderr)
    check(all(path in lines[0] for path in paths[:3]), "tm-1's dumps not named: %r" % lines[0])
    check(not any(e in lines[0] for e in exits), "an exit report left out: %r" % lines[0])

    every = os.path.join(env.work, "every.json")
    p = clitest.run(["merge", "--all-dumps"] + paths + ["-o", every])
    check(p.stderr == "", "--all-dumps left something out: %r" % p.stderr)
    all_dumps = env.load(every)
    streams = [x for x in clitest.lbtest.sites_with_symbol(all_dumps, "ZSTD_createDStream")
               if ("LiveDumps", "keepStreams") in clitest.lbtest.java_frames(x)]
    check(all_dumps["merged"]["inputs"] == 8 and streams[0]["live_count"] == 2 * (20 + 40 + 60 + 60),
          "--all-dumps: inputs %d, %d streams" % (all_dumps["merged"]["inputs"],
                                                 streams[0]["live_count"]))


def memory_sums(merged, inputs):
    m = merged["memory"]
    for key in ("rss_bytes", "unexplained_bytes", "mappings"):
        check(m[key] == sum(r["memory"][key] for r in inputs), "memory.%s not summed" % key)
    names = [g["name"] for g in inputs[0]["memory"]["regions"]]
    check([g["name"] for g in m["regions"]] == names, "regions %s" % m["regions"])
    check(sum(g["rss_bytes"] for g in m["regions"]) + m["unexplained_bytes"] == m["rss_bytes"],
          "the merged regions do not add up to the merged RSS")
    for name, keys in (("java_heap", ("rss_bytes", "used_bytes", "committed_bytes",
                                      "max_bytes", "reserved_bytes")),
                       ("metaspace", ("rss_bytes", "committed_bytes", "used_bytes")),
                       ("code_cache", ("rss_bytes",)),
                       ("thread_stacks", ("rss_bytes", "count", "located")),
                       ("malloc", ("rss_bytes", "in_use_bytes", "free_bytes", "tracked_bytes",
                                   "arenas")),
                       ("mapped_files", ("rss_bytes", "cds_rss_bytes")),
                       ("other", ("rss_bytes",))):
        g = clitest.region(merged, name)
        for key in keys:
            check(g[key] == sum(clitest.region(r, name)[key] for r in inputs),
                  "%s.%s not summed: %r" % (name, key, g[key]))
        check(g["exact"] == all(clitest.region(r, name)["exact"] for r in inputs),
              "%s.exact %r" % (name, g["exact"]))
    parts = {}
    for r in inputs:
        for p in clitest.region(r, "other")["parts"]:
            parts[p["name"]] = parts.get(p["name"], 0) + p["rss_bytes"]
    check({p["name"]: p["rss_bytes"] for p in clitest.region(merged, "other")["parts"]} == parts,
          "other's parts not summed")
    check(clitest.region(merged, "java_heap")["collector"] ==
          clitest.region(inputs[0], "java_heap")["collector"] and
          clitest.region(merged, "malloc")["allocator"] == "glibc", "strings alike are kept")
    check("memory_limit" not in merged, "memory_limit is one process's")


def crafted_memory(env, a, b, k_path):
    held = {"code": "malloc-free-held", "message": "RSS grows but nothing leaks: 300.0 MiB of "
            "freed memory is held in 16 glibc arenas", "figures": {"free_bytes": 314572800}}
    many = {"code": "many-threads", "message": "2021 threads hold 52.7 MiB in their stacks",
            "figures": {"count": 2021}}
    fa = clitest.with_memory(a, findings=[held, many], regions={"malloc": {"jvm_bytes": 1000}})
    fb = clitest.with_memory(b, findings=[held], regions={"java_heap": {
        "collector": "Parallel", "exact": False}})
    for r in (fa, fb):
        r["memory"]["nmt"] = {"mode": "summary", "malloc_bytes": 1000, "categories": []}
    pa, pb = (clitest.write_report(env, n, r) for n, r in (("fa.json", fa), ("fb.json", fb)))
    out = os.path.join(env.work, "findings.json")
    clitest.run(["merge", pa, pb, k_path, "-o", out])
    m = env.load(out)["memory"]
    check(m["findings"] == [dict(held, inputs=2), dict(many, inputs=1)],
          "merged findings %s" % m["findings"])
    check(clitest.region({"memory": m}, "java_heap")["collector"] == "G1, Parallel",
          "collectors %r" % clitest.region({"memory": m}, "java_heap")["collector"])
    check("jvm_bytes" not in clitest.region({"memory": m}, "malloc"),
          "a figure of one input's kept")
    two = os.path.join(env.work, "two.json")
    clitest.run(["merge", pa, pb, "-o", two])
    check("nmt" not in env.load(two)["memory"], "nmt kept")
    check(clitest.region({"memory": m}, "java_heap")["exact"] is False,
          "java_heap exact, where one input's is not")
    top = clitest.run(["top", out]).stdout
    check("\nfinding malloc-free-held, in 2 of 3 reports: %s\n" % held["message"] in top,
          "top of the merged findings:\n" + top)
    again = os.path.join(env.work, "findings-again.json")
    clitest.run(["merge", out, pa, "-o", again])
    check([f["inputs"] for f in env.load(again)["memory"]["findings"]] == [3, 2],
          "findings of a merge of a merge")

    older = {key: v for key, v in b.items() if key != "memory"}
    none = os.path.join(env.work, "no-memory.json")
    clitest.run(["merge", pa, clitest.write_report(env, "older.json", older), "-o", none])
    check("memory" not in env.load(none), "memory of an input without one")
    check("\nno memory section (not every merged report had one: agent before 0.2)\n" in
          clitest.run(["top", none]).stdout, "top of a merged report without memory")

    huge = clitest.with_memory(a, unexplained=2 ** 62)
    big = clitest.write_report(env, "huge.json", huge)
    err = clitest.run(["merge", "--all-dumps", big, big], expect=2).stderr
    check(err.strip().splitlines() == [
        "leakbridge: %s: memory.rss_bytes: the merged figure does not fit in 64 bits" % big],
        "merge past 64 bits: %r" % err)


if __name__ == "__main__":
    clitest.main(test)
