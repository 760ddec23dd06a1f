"""leakbridge check and top on reports the agent's bounds shaped (docs/options.md: max_sites,
report_sites): a leak hidden in an overflow site still fails check, which names the site's
module and its folded stacks; the sites summed up past report_sites count in check (by kind),
so a limit that the listed sites alone stay within is still exceeded; top and check say in one
line what the bounds did."""
import os

import clitest
import lbtest
from clitest import check, line_with


def growing_overflow(env):
    """Distinct stacks past max_sites=50 keep growing: the overflow site is leak-suspect."""
    path = lbtest.growing_overflow(env)
    report = env.load(path)
    site = [s for s in report["sites"] if "overflow" in s][0]
    check(site["status"] == "leak-suspect", "the overflow site is %s" % site["status"])
    p = clitest.run(["check", path, "--status", "leak-suspect"], expect=1)
    line_with(p.stdout, "unsafe leak of %d bytes" % site["live_bytes"], "leak-suspect")
    line_with(p.stdout, "an overflow site: ~%d stacks of Java code folded here" %
              site["overflow"]["folded_stacks"])
    line_with(p.stdout, "bounds: ~", "folded into", "max_sites=50")

    # Merged with itself (as of two JVMs): still one overflow site, twice what it holds, still
    # failing check with its module and folded stacks.
    merged = os.path.join(env.work, "grow-merged.json")
    clitest.run(["merge", "--all-dumps", path, path, "-o", merged])
    m = env.load(merged)
    over = [s for s in m["sites"] if "overflow" in s]
    check(len(over) == 1 and over[0]["live_bytes"] == 2 * site["live_bytes"] and
          over[0]["overflow"]["module"] == site["overflow"]["module"] and
          over[0]["overflow"]["folded_stacks"] == 2 * site["overflow"]["folded_stacks"],
          "merged overflow sites: %s" % [(s["live_bytes"], s["overflow"]) for s in over])
    p = clitest.run(["check", merged, "--status", "leak-suspect"], expect=1)
    line_with(p.stdout, "an overflow site: ~%d stacks of Java code folded here" %
              (2 * site["overflow"]["folded_stacks"]))


def summed_up(env):
    """300 Unsafe blocks at 300 stacks, 20 listed: check --kind unsafe with a limit just above
    what the listed sites hold still fails, for the 280 others."""
    path, report = clitest.run_report(env, "summed", "ManySites", ["unsafe", 300],
                                      options="sample=0,report_sites=20")
    sm = report["bounds"]["summarized"]
    check(sm["sites"] >= 250 and sm["by_kind"]["unsafe"]["live_bytes"] > 0,
          "summarized: %s" % sm)
    listed = sum(s["live_bytes"] for s in report["sites"] if s["kind"] == "unsafe")
    p = clitest.run(["check", path, "--kind", "unsafe", "--max-bytes", listed], expect=1)
    line_with(p.stdout, "SUMMARY", "over the limit")
    line_with(p.stdout, "bounds:", "summed up past report_sites=20",
              "summed-up sites with")
    # The same limit over malloc only: the summed-up Unsafe sites do not count there.
    clitest.run(["check", path, "--kind", "malloc", "--max-bytes", "1g"], expect=0)
    # --status leak-suspect: every leak-suspect site is listed, the summed-up ones are not.
    p = clitest.run(["check", path, "--status", "leak-suspect,live", "--kind", "unsafe",
                     "--max-bytes", listed], expect=1)
    out = clitest.run(["top", path]).stdout
    line_with(out, "bounds:", "%d sites with" % sm["sites"], "report_sites=20")
    j = clitest.run(["check", path, "--kind", "unsafe", "--max-bytes", listed, "--json"],
                    expect=1).stdout
    check('"summarized_sites": %d' % sm["by_kind"]["unsafe"]["sites"] in j or
          '"summarized_sites":%d' % sm["by_kind"]["unsafe"]["sites"] in j,
          "check --json lacks summarized_sites")

    # A merge keeps the summed-up sites: check on the merge of two such reports still fails
    # a limit that the merged listed sites alone stay within.
    merged = os.path.join(env.work, "summed-merged.json")
    clitest.run(["merge", "--all-dumps", path, path, "-o", merged])
    msm = env.load(merged)["bounds"]["summarized"]
    check(msm["sites"] == 2 * sm["sites"] and msm["by_kind"]["unsafe"]["live_bytes"] ==
          2 * sm["by_kind"]["unsafe"]["live_bytes"], "merged summarized: %s" % msm)
    p = clitest.run(["check", merged, "--kind", "unsafe", "--max-bytes", 2 * listed], expect=1)
    line_with(p.stdout, "SUMMARY", "over the limit")


def test(env):
    growing_overflow(env)
    summed_up(env)


lbtest.main(test)
