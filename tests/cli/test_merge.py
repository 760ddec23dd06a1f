"""leakbridge merge of three real reports (two runs of ZstdLeak keeping 100 and 200 streams,
one of NativeKeep): a valid report (the schema), the stream site once with the sum of both
runs' blocks and inputs 2, totals summed, and the other commands read it; a site's growth is
the sum of its inputs' with the longest streak; leak_window is there when every input has one,
decidable when every input's is.

Several dumps of two JVMs (LiveDumps, 20 more streams before each of 3 dumps, then the exit
report): merge keeps the exit report of each JVM (60 streams each, 120 in all, where adding up
every dump would give 240), with one line on stderr naming the 6 reports left out;
--all-dumps merges all 8."""
import copy
import json
import os

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

    # Merging the merged report with another: inputs add up.
    again = os.path.join(env.work, "again.json")
    clitest.run(["merge", out, a_path, "-o", again])
    twice = env.load(again)
    check(twice["merged"]["inputs"] == 4, "inputs of a merge of a merge %r" % twice["merged"])
    check(clitest.site_with_symbol(twice, "ZSTD_createDStream")["inputs"] == 3, "site inputs")

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


if __name__ == "__main__":
    clitest.main(test)
