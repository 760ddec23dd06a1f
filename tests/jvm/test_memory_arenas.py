"""Freed memory glibc keeps is named: 16 native threads each malloc 5,000 blocks of 4 KiB and
free all but every 50th (about 310 MiB freed between kept blocks, which the arenas cannot give
back). Between two jcmd dumps the malloc region's RSS grows by at least 250 MiB, free_bytes
(mallinfo2's fordblks) by at least 250 MiB, in_use_bytes by less than 30 MiB, there are at
least 8 arenas, and the finding malloc-free-held appears (it was not there before) saying how
much and in how many arenas; at most 10% of RSS is unexplained."""
import lbtest
import memtest
from lbtest import check
from memtest import MIB


def test(env):
    before, after, _, _ = memtest.around(env, "arenas", "fragment 16 5000 50")
    check("malloc-free-held" not in memtest.codes(before), "malloc-free-held before anything")
    mal = memtest.region(after, "malloc")
    grown = memtest.grew(before, after, "malloc")
    free = memtest.grew(before, after, "malloc", "free_bytes")
    in_use = memtest.grew(before, after, "malloc", "in_use_bytes")
    print("malloc rss +%.1f MiB, free +%.1f MiB, in use +%.1f MiB, %d arenas" % (
        grown / MIB, free / MIB, in_use / MIB, mal["arenas"]))
    check(grown >= 250 * MIB, "malloc's RSS grew %.1f MiB" % (grown / MIB))
    check(free >= 250 * MIB, "free_bytes grew %.1f MiB" % (free / MIB))
    check(in_use < 30 * MIB, "in_use_bytes grew %.1f MiB" % (in_use / MIB))
    check(mal["arenas"] >= 8, "arenas %d" % mal["arenas"])
    found = [f for f in after["memory"]["findings"] if f["code"] == "malloc-free-held"]
    check(len(found) == 1, "findings %s" % memtest.codes(after))
    f = found[0]
    check("glibc arenas" in f["message"] and "MALLOC_ARENA_MAX" in f["message"],
          "message %r" % f["message"])
    check(f["figures"]["free_bytes"] == mal["free_bytes"] and
          f["figures"]["arenas"] == mal["arenas"], "figures %s" % f["figures"])


if __name__ == "__main__":
    lbtest.main(test)
