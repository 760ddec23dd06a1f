"""Dumps while four threads churn direct buffers and zstd streams, with gc=on so that each
dump also forces a GC: jcmd dumps back to back and interval dumps every 200 ms. No crash,
every report valid and complete, the JVM exits 0, and once the churn has stopped a dump shows
nothing the churn allocated left live. (A live dump waits for reference processing itself; the
exit report runs no Java code and only waits for frees to go quiet, which a starved Cleaner
thread on a busy machine could outlast.)"""
import time

import lbtest
from lbtest import check


def test(env):
    s = lbtest.Session(env, "concurrent", options="sample=0,gc=on,interval=200ms")
    try:
        s.do("churn 4")
        for _ in range(6):
            s.jcmd("JVMTI.data_dump")
        s.dump()
        s.wait_reports(8)  # 7 jcmd dumps and at least one interval dump
        s.do("stop")
        s.dump()
        after = s.dump()  # asked for after the previous one was written: after the stop
        # Dumps asked for earlier may still be waiting their turn; one still waiting at exit is
        # given up for the exit report (reliability.md), so wait for all nine first.
        deadline = time.time() + 120
        while len(s.jcmd_reports()) < 9 and time.time() < deadline:
            time.sleep(0.05)
        s.quit()
    finally:
        s.kill()
    reports = [s.env.load(p) for p in s.report_paths()]  # each one validated
    print("gc waits:", [r["gc"].get("wait_ms") for r in reports])
    reasons = [r["reason"] for r in reports]
    print("reasons:", reasons)
    check(reasons.count("jcmd") == 9, "%d jcmd reports for 9 jcmd dumps" % reasons.count("jcmd"))
    check("interval" in reasons, "no interval report")
    check(reasons[-1] == "exit", "last report: %s" % reasons[-1])
    # Numbered without a gap but for a dump the exit report overtook (it says so).
    lbtest.check_numbers([r["sequence"] for r in reports], s.stderr_text(), "concurrent")
    churned = [x for r in reports for x in lbtest.sites_with_method(r, "LiveDumps", "churn")]
    check(churned, "no report shows the churn")
    for site in lbtest.sites_with_method(after, "LiveDumps", "churn"):
        check(site["live_bytes"] == 0, "after the churn stopped: %s" % lbtest.describe_native(site))


if __name__ == "__main__":
    lbtest.main(test)
