"""Chains of allocateMemory + reallocateMemory: only the one chain that is kept is live, as one
block at its final size (5003 rounded to 5008); the freed chains leave nothing."""
import lbtest
from lbtest import check


def test(env):
    env.run("UnsafeReallocChain", options="sample=0")
    report = env.report()
    kept = lbtest.sites_with_method(report, "UnsafeReallocChain", "growAndKeep")
    check(len(kept) == 1, "expected one live site in growAndKeep, got %s" % [lbtest.describe(s) for s in kept])
    site = kept[0]
    print("site:", lbtest.describe(site))
    check(site["kind"] == "unsafe", "kind %r" % site["kind"])
    check(site["live_count"] == 1 and site["live_bytes"] == 5008,
          "expected 1 block of 5008 bytes, got %d in %d" % (site["live_bytes"], site["live_count"]))
    names = lbtest.java_frames(site)
    check(names[0] == ("jdk.internal.misc.Unsafe", "reallocateMemory0"),
          "the last realloc made the live block, leaf is %s" % (names[0],))
    freed = lbtest.sites_with_method(report, "UnsafeReallocChain", "growAndFree")
    check(not freed, "freed chains still live: %s" % [lbtest.describe(s) for s in freed])
    check(report["totals"]["allocated_count"] - report["totals"]["freed_count"]
          == report["totals"]["live_count"], "totals: live != allocated - freed")


if __name__ == "__main__":
    lbtest.main(test)
