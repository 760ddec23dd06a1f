"""A program keeps 37 direct buffers of 1001 bytes: the report has exactly one direct_buffer
site for them, 37 blocks of 1008 bytes (Unsafe rounds to 8), naming the program's method;
the agent reports its own memory (arena_bytes, which covers its live table)."""
import lbtest
from lbtest import check

COUNT, CAPACITY, ALLOCATED = 37, 1001, 1008


def test(env):
    env.run("DirectBuffersKept", [COUNT, CAPACITY], options="sample=0")
    report = env.report()
    check(report["reason"] == "exit", "reason %r" % report["reason"])
    check(report["sampling"]["estimated"] is False, "sample=0 must give exact figures")
    sites = lbtest.sites_with_method(report, "DirectBuffersKept", "keepBuffers")
    check(len(sites) == 1, "expected one site in keepBuffers, got %s" % [lbtest.describe(s) for s in sites])
    site = sites[0]
    print("site:", lbtest.describe(site))
    check(site["kind"] == "direct_buffer", "kind %r" % site["kind"])
    check(site["live_count"] == COUNT, "live_count %d" % site["live_count"])
    check(site["live_bytes"] == COUNT * ALLOCATED, "live_bytes %d" % site["live_bytes"])
    check(site["allocated_count"] == COUNT and site["freed_count"] == 0, "allocated/freed")
    frames = lbtest.java_frames(site)
    check(("java.nio.DirectByteBuffer", "<init>") in frames, "no DirectByteBuffer.<init> frame")
    check(frames[0] == ("jdk.internal.misc.Unsafe", "allocateMemory0"), "leaf %s" % (frames[0],))
    user = [f for f in site["frames"] if f.get("class") == "DirectBuffersKept"]
    check(user[0]["method"] == "keepBuffers" and user[0].get("file") == "DirectBuffersKept.java"
          and user[0].get("line", 0) > 0, "user frame %s" % user[0])
    agent = report["agent"]
    check(agent["tracked_blocks"] >= COUNT and agent["arena_bytes"] >=
          agent["live_table_bytes"] + agent["live_table_retired_bytes"] > 0,
          "the agent's own memory: %s" % agent)
    by_kind = report["totals"]["by_kind"]["direct_buffer"]
    check(by_kind["live_bytes"] >= COUNT * ALLOCATED, "totals.by_kind.direct_buffer too small")
    check(report["sites"] == sorted(report["sites"], key=lambda s: -s["live_bytes"]),
          "sites not sorted by live_bytes")


if __name__ == "__main__":
    lbtest.main(test)
