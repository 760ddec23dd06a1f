"""Under jemalloc (LD_PRELOAD) malloc's figures are jemalloc's: the malloc region says
allocator jemalloc with its stats (mallctl after an epoch refresh). MemoryGrow keeps 100,000
blocks of 1237 bytes (118 MiB) through libleakkeep.so between two jcmd dumps: in_use_bytes
(stats.allocated) grows by at least 115 MiB, the region's RSS (stats.resident) by at least
100 MiB, tracked_bytes by exactly the blocks, and at most 10% of RSS is unexplained. Then 16
threads fragment and free 300 MiB: RSS stays explained, the malloc region being jemalloc's
resident bytes, or nearly (stats.resident is an upper bound; how much of the freed memory jemalloc has purged by then depends on its decay
clock, so its growth is not checked)."""
import os

import lbtest
import memtest
from lbtest import check
from memtest import MIB

COUNT, SIZE = 100000, 1237


def test(env):
    if not os.path.isfile(lbtest.JEMALLOC):
        lbtest.skip("%s missing: apt-get install libjemalloc2" % lbtest.JEMALLOC)
    (before, after, fragmented), _, _ = memtest.steps(
        env, "jemalloc", ["native %d" % COUNT, "fragment 16 5000 50"], options="sample=0",
        env_vars={"LD_PRELOAD": lbtest.JEMALLOC})
    mal = memtest.region(after, "malloc")
    check(mal["allocator"] == "jemalloc", "allocator %r" % mal["allocator"])
    check("jemalloc" in mal and mal["jemalloc"]["resident"] > 0, "no jemalloc stats: %s" % mal)
    check(mal["arenas"] >= 1, "arenas %r" % mal["arenas"])
    in_use = memtest.grew(before, after, "malloc", "in_use_bytes")
    grown = memtest.grew(before, after, "malloc")
    tracked = memtest.grew(before, after, "malloc", "tracked_bytes")
    print("in use +%.1f MiB, rss +%.1f MiB, tracked +%.1f MiB" % (
        in_use / MIB, grown / MIB, tracked / MIB))
    check(in_use >= 115 * MIB, "in_use_bytes grew %.1f MiB" % (in_use / MIB))
    check(grown >= 100 * MIB, "malloc's RSS grew %.1f MiB" % (grown / MIB))
    check(tracked == COUNT * SIZE, "tracked_bytes grew %d" % tracked)
    for label, report in (("after the blocks", after), ("after fragmenting", fragmented)):
        # stats.resident is a maximum (it counts pages jemalloc maps whether or not they were
        # touched), taken from the anonymous memory left: all of it, or all that is left.
        mal = memtest.region(report, "malloc")
        resident = mal["jemalloc"]["resident"]
        check(resident * 0.97 <= mal["rss_bytes"] <= resident,
              "%s: malloc's RSS %d is not jemalloc's resident %d (or within 3%% below it)" % (
                  label, mal["rss_bytes"], resident))


if __name__ == "__main__":
    lbtest.main(test)
