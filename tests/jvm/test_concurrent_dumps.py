"""Dumps while four threads churn direct buffers and zstd streams, with gc=on so that each
dump also forces a GC: jcmd dumps back to back and interval dumps every 200 ms. No crash,
every report valid and complete, the JVM exits 0, and at exit nothing the churn allocated
is left live."""
import lbtest
from lbtest import check


def test(env):
    s = lbtest.Session(env, "concurrent", options="sample=0,gc=on,interval=200ms")
    try:
        s.do("churn 4")
        for _ in range(6):
            s.jcmd("JVMTI.data_dump")
        s.dump()
        reports = s.wait_reports(8)  # 7 jcmd dumps and at least one interval dump
        s.do("stop")
        s.quit()
    finally:
        s.kill()
    reports = [s.env.load(p) for p in s.report_paths()]  # each one validated
    print("gc waits:", [r["gc"].get("wait_ms") for r in reports])
    reasons = [r["reason"] for r in reports]
    print("reasons:", reasons)
    check(reasons.count("jcmd") == 7, "%d jcmd reports for 7 jcmd dumps" % reasons.count("jcmd"))
    check("interval" in reasons, "no interval report")
    check(reasons[-1] == "exit", "last report: %s" % reasons[-1])
    check(sorted(r["sequence"] for r in reports) == list(range(1, len(reports) + 1)),
          "sequences %s" % [r["sequence"] for r in reports])
    churned = [x for r in reports for x in lbtest.sites_with_method(r, "LiveDumps", "churn")]
    check(churned, "no report shows the churn")
    for site in lbtest.sites_with_method(reports[-1], "LiveDumps", "churn"):
        check(site["live_bytes"] == 0, "after the churn stopped: %s" % lbtest.describe_native(site))


if __name__ == "__main__":
    lbtest.main(test)
