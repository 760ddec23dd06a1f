"""gc=on: before each dump the agent forces a GC and waits for reference processing, then
classifies each site. Unclosed ZstdInputStream (freed by its finalizer) and direct buffers
dropped but not yet collected are gc-deferred; ZstdInputStreamNoFinalizer kept reachable and
growing over three dumps spanning the leak window (1 s here) is leak-suspect, and nothing else
is."""
import time

import lbtest
from lbtest import check


def site_of(report, method, symbol=None):
    found = [s for s in report["sites"] if ("LiveDumps", method) in lbtest.java_frames(s)
             and (symbol is None or lbtest.has_symbol(s, symbol))]
    check(len(found) == 1, "expected one %s site, found %d: %s" % (
        method, len(found), [lbtest.describe_native(s) for s in found]))
    return found[0]


def test(env):
    s = lbtest.Session(env, "gc", options="sample=0,gc=on,leak_window=1s")
    try:
        dumps = []
        for step in range(3):
            s.do("zstd-keep 100")
            if step == 2:
                s.do("zstd-drop 300")
                s.do("dbb-drop 64 1048576")
            dumps.append(s.dump())
            time.sleep(0.6)  # three dumps over more than the window: a baseline for the last
        s.quit()
    finally:
        s.kill()
    last = dumps[-1]
    gc = last["gc"]
    print("gc:", gc)
    check(gc["forced"], "no GC was forced before the dump")
    check(gc["cycles"] >= 3, "%d GC cycles counted after 3 forced GCs" % gc["cycles"])

    kept = site_of(last, "keepStreams", "ZSTD_createDStream")
    print("kept:", lbtest.describe_native(kept), kept.get("growth"), kept.get("status_rule"))
    check(kept["live_count"] == 300, "%d kept streams live, 300 kept" % kept["live_count"])
    check(kept["status"] == "leak-suspect" and kept["status_rule"] == "growing",
          "kept streams: %s by %s" % (kept["status"], kept.get("status_rule")))
    check(kept["age"]["gcs_survived_max"] >= 2, "oldest kept stream survived %d GCs" %
          kept["age"]["gcs_survived_max"])

    dropped = site_of(last, "dropStreams", "ZSTD_createDStream")
    print("dropped:", lbtest.describe_native(dropped), dropped.get("gc_released"))
    check(dropped["status"] == "gc-deferred" and dropped["status_rule"] == "forced-gc-released",
          "dropped finalizable streams: %s by %s" % (dropped["status"],
                                                     dropped.get("status_rule")))
    # GCs the allocations themselves caused may have released some before the dump did.
    check(dropped["gc_released"]["count"] > 0, "the forced GC released no dropped stream")
    check(dropped["live_count"] == 0, "%d dropped streams still live after the forced GC" %
          dropped["live_count"])

    buffers = site_of(last, "dropBuffers")
    print("buffers:", lbtest.describe(buffers), buffers.get("gc_released"))
    check(buffers["kind"] == "direct_buffer", "dropBuffers site kind %s" % buffers["kind"])
    check(buffers["status"] == "gc-deferred", "dropped direct buffers are %s" % buffers["status"])
    # The kept streams also hold their decompression buffers (ZSTD_decompressStream under
    # keepStreams): leaks too. Nothing else is.
    for site in last["sites"]:
        if site["status"] == "leak-suspect":
            check(("LiveDumps", "keepStreams") in lbtest.java_frames(site),
                  "also leak-suspect: %s" % lbtest.describe_native(site))


if __name__ == "__main__":
    lbtest.main(test)
