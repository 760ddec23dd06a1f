"""interval=1s writes a report every second (reason interval) while the JVM runs, numbered
in order, each after the first saying how much the sites grew since the previous one."""
import time

import lbtest
from lbtest import check


def test(env):
    s = lbtest.Session(env, "interval", options="sample=0,interval=1s")
    try:
        s.do("dbb-keep 10 65536")
        reports = s.wait_reports(1, timeout=10)
        s.do("dbb-keep 10 65536")
        reports = s.wait_reports(3, timeout=10)
        s.quit()
    finally:
        s.kill()
    reports = [s.env.load(p) for p in s.report_paths()]
    interval = [r for r in reports if r["reason"] == "interval"]
    check(len(interval) >= 3, "%d interval reports" % len(interval))
    check(reports[-1]["reason"] == "exit", "the last report is %s" % reports[-1]["reason"])
    # Numbered in order, without a gap but for an interval dump the exit overtook, which it names.
    lbtest.check_numbers([r["sequence"] for r in reports], s.stderr_text(), "interval")
    times = [r["uptime_ms"] for r in interval]
    print("interval reports at uptime", times)
    check(800 <= times[0] <= 2500, "first interval report at %d ms, expected about 1000" % times[0])
    # The agent keeps to its schedule (a late dump does not delay the next ones), so each report
    # is judged against the first, not its neighbour: one late dump on a busy machine is
    # followed by an early-looking gap, and that is the schedule working.
    for i, t in enumerate(times[1:], 1):
        check(abs((t - times[0]) - 1000 * i) <= 600,
              "interval report %d at +%d ms after the first, expected about %d" % (
                  i, t - times[0], 1000 * i))
    grew = [r for r in interval[1:] for site in r["sites"]
            if site["kind"] == "direct_buffer" and site.get("growth", {}).get("count") == 10]
    check(grew, "no interval report shows the second 10 buffers as growth")
    for r in interval[1:]:
        check(r.get("previous_sequence") == r["sequence"] - 1, "report %d: previous_sequence %r"
              % (r["sequence"], r.get("previous_sequence")))


if __name__ == "__main__":
    lbtest.main(test)
