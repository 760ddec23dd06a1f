"""Closed zstd streams are not leaks: 2,000 ZstdInputStreamNoFinalizer opened, read and closed
leave (almost) no live ZSTD_createDStream block under ZstdLeak.closeStreams, with sample=0,
while the 3 streams the same run keeps open are reported exactly."""
import lbtest
from lbtest import check

STREAMS, KEEP = 2000, 3


def test(env):
    p, report = lbtest.run_zstd(env, "close", ["close", STREAMS, KEEP])
    check("kept %d" % KEEP in p.stdout, "the program did not run to the end")
    kept = lbtest.zstd_stream_sites(report, "openStreams")
    check(sum(s["live_count"] for s in kept) == KEEP,
          "the %d open streams are not reported exactly: %s" % (
              KEEP, [lbtest.describe_native(s) for s in kept]))
    closed = lbtest.zstd_stream_sites(report, "closeStreams")
    live = sum(s["live_count"] for s in closed)
    print("live blocks of closed streams: %d" % live)
    check(live < 10, "closed streams still live: %s" % [lbtest.describe_native(s) for s in closed])
    t = report["totals"]
    check(t["allocated_count"] >= STREAMS + KEEP, "only %d allocations recorded" % t["allocated_count"])


if __name__ == "__main__":
    lbtest.main(test)
