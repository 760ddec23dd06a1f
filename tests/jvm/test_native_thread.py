"""A pthread the JVM does not know keeps 47 blocks of 2311 bytes and exits: with sample=0 one
malloc site holds exactly those blocks, its stack is native only (thread_hold_blocks <-
thread_main, no Java frames), and the JVM exits normally."""
import os

import lbtest
from lbtest import check

COUNT, SIZE = 47, 2311


def test(env):
    lib = os.path.realpath(lbtest.native_lib(env, "libleakthread.so"))
    p, report = lbtest.run_report(env, "thread", "NativeThreadLeak", [COUNT], options="sample=0")
    check("kept %d" % COUNT in p.stdout, "the native thread did not keep %d blocks" % COUNT)

    sites = lbtest.sites_with_symbol(report, "thread_hold_blocks")
    check(len(sites) == 1, "expected one site with thread_hold_blocks, got %s (malloc sites: %s)" % (
        [lbtest.describe_native(s) for s in sites],
        [lbtest.describe_native(s) for s in report["sites"] if s["kind"] == "malloc"][:5]))
    site = sites[0]
    print("site:", lbtest.describe_native(site))
    check(site["kind"] == "malloc", "kind %r" % site["kind"])
    check(site["live_count"] == COUNT and site["live_bytes"] == COUNT * SIZE,
          "expected %d blocks, %d bytes; got %d, %d" % (COUNT, COUNT * SIZE, site["live_count"],
                                                      site["live_bytes"]))
    lbtest.check_native_frame(report, site["frames"][0], "thread_hold_blocks", lib)
    lbtest.check_native_frame(report, site["frames"][1], "thread_main", lib)
    check(all(f["type"] == "native" for f in site["frames"]),
          "a thread the JVM does not know has no Java frames: %s" % lbtest.describe_native(site))
    ours = lbtest.agent_frames(report)
    check(not ours, "frames of the agent itself in the report: %s" % ours[:3])


if __name__ == "__main__":
    lbtest.main(test)
