"""Memory a JNI library mallocs is malloc's: MemoryGrow keeps 100,000 blocks of 1237 bytes
(118 MiB, written) through libleakkeep.so between two jcmd dumps, recorded exactly (sample=0).
The malloc region's RSS grows by at least 100 MiB, its in_use_bytes (mallinfo2) by at least
115 MiB, its tracked_bytes (leakbridge's malloc sites) by exactly the blocks, and no other
region grows by more than 20 MiB; at most 10% of RSS is unexplained."""
import lbtest
import memtest
from lbtest import check
from memtest import MIB

COUNT, SIZE = 100000, 1237


def test(env):
    before, after, out, _ = memtest.around(env, "native", "native %d" % COUNT, options="sample=0")
    check("kept %d" % COUNT in out, "MemoryGrow kept %s" % out)
    blocks = COUNT * SIZE
    mal = memtest.region(after, "malloc")
    check(mal["allocator"] == "glibc", "allocator %r" % mal["allocator"])
    grown = memtest.grew(before, after, "malloc")
    print("malloc grew %.1f MiB for %.1f MiB of blocks" % (grown / MIB, blocks / MIB))
    check(grown >= 100 * MIB, "malloc's RSS grew %.1f MiB" % (grown / MIB))
    in_use = memtest.grew(before, after, "malloc", "in_use_bytes")
    check(in_use >= 115 * MIB, "in_use_bytes grew %.1f MiB" % (in_use / MIB))
    tracked = memtest.grew(before, after, "malloc", "tracked_bytes")
    check(tracked == blocks, "tracked_bytes grew %d, the blocks are %d" % (tracked, blocks))
    for name in memtest.REGIONS:
        if name not in ("malloc", "other"):
            d = memtest.grew(before, after, name)
            check(d <= 20 * MIB, "%s grew %.1f MiB with malloc" % (name, d / MIB))


if __name__ == "__main__":
    lbtest.main(test)
