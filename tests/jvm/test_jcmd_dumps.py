"""Two jcmd JVMTI.data_dump in a running JVM give two valid reports (reason jcmd, %n
numbered), and the second shows how much the leaking site grew between them: 100 kept
ZstdInputStreamNoFinalizer before the first dump, 150 more before the second. SIGQUIT
writes a third, and the JVM goes on (its thread dump is printed as usual)."""
import os
import signal

import lbtest
from lbtest import check


def stream_site(report):
    sites = [s for s in lbtest.sites_with_symbol(report, "ZSTD_createDStream")
             if ("LiveDumps", "keepStreams") in lbtest.java_frames(s)]
    check(len(sites) == 1, "expected one keepStreams site, found %d" % len(sites))
    return sites[0]


def test(env):
    s = lbtest.Session(env, "jcmd")
    try:
        s.do("zstd-keep 100")
        first = s.dump()
        s.do("zstd-keep 150")
        second = s.dump()
        os.kill(s.pid, signal.SIGQUIT)
        third = s.wait_reports(3)[-1]
        s.do("zstd-keep 1")
        s.quit()
    finally:
        s.kill()
    check(len(s.report_paths()) == 4, "expected 3 dumps and the exit report, found %s"
          % s.report_paths())
    check(third["reason"] == "jcmd" and third["sequence"] == 3, "SIGQUIT report: %s %d" % (
        third["reason"], third["sequence"]))
    check([first["reason"], second["reason"]] == ["jcmd", "jcmd"], "reasons %s %s" % (
        first["reason"], second["reason"]))
    check((first["sequence"], second["sequence"]) == (1, 2), "sequences %d, %d" % (
        first["sequence"], second["sequence"]))
    check(s.report_paths()[0].endswith("report-1.json"), "first file %s" % s.report_paths()[0])
    check("previous_sequence" not in first, "the first report has a previous_sequence")
    check(second.get("previous_sequence") == 1, "second report's previous_sequence %r" %
          second.get("previous_sequence"))
    a, b = stream_site(first), stream_site(second)
    print("first:", lbtest.describe_native(a))
    print("second:", lbtest.describe_native(b), b.get("growth"))
    check(a["id"] == b["id"], "the site changed its id between dumps")
    check("growth" not in a, "growth in the first report: %s" % a.get("growth"))
    check(a["live_count"] == 100, "first dump: %d streams live, 100 kept" % a["live_count"])
    check(b["live_count"] == 250, "second dump: %d streams live, 250 kept" % b["live_count"])
    g = b["growth"]
    check(g["count"] == 150, "growth of %d blocks, 150 streams were opened" % g["count"])
    check(g["bytes"] == b["live_bytes"] - a["live_bytes"], "growth %d B, live went %d -> %d" % (
        g["bytes"], a["live_bytes"], b["live_bytes"]))
    check(g["streak"] == 1, "streak %d after one growing interval" % g["streak"])
    age = b["age"]
    check(age["oldest_ms"] >= age["p50_ms"] >= 0, "ages %s" % age)


if __name__ == "__main__":
    lbtest.main(test)
