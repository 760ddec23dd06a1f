"""leakbridge merge of three real reports (two runs of ZstdLeak keeping 100 and 200 streams,
one of NativeKeep): a valid report (the schema), the stream site once with the sum of both
runs' blocks and inputs 2, totals summed, and the other commands read it; a site's growth is
the sum of its inputs' with the longest streak."""
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
    check("in 2 merged reports" in line_with(check_out, "leak of %d byte(s)" % stream["live_bytes"]),
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

    stdout = clitest.run(["merge", a_path]).stdout
    check(json.loads(stdout)["format"] == "leakbridge-report", "merge to stdout")
    err = clitest.run(["merge", a_path, os.path.join(env.work, "missing.json"), "-o", out],
                      expect=2).stderr
    check("missing.json" in err, "message %r" % err)


if __name__ == "__main__":
    clitest.main(test)
