"""Four threads make 100,000 Unsafe allocate/free pairs each and drop 2,000 direct buffers each,
which the GC and their Cleaners free: no live site is left from the churn, and the totals
add up (live = allocated - freed)."""
import lbtest
from lbtest import check

THREADS, PAIRS, BUFFERS = 4, 100000, 2000


def test(env):
    env.run("BalancedChurn", [THREADS, PAIRS, BUFFERS], options="sample=0")
    report = env.report()
    for method in ("unsafePairs", "droppedBuffers"):
        live = lbtest.sites_with_method(report, "BalancedChurn", method)
        check(not live, "churn left live sites: %s" % [lbtest.describe(s) for s in live])
    t = report["totals"]
    print("totals:", {k: t[k] for k in ("live_bytes", "live_count", "allocated_count", "freed_count")})
    check(t["allocated_count"] >= THREADS * (PAIRS + BUFFERS),
          "only %d allocations recorded" % t["allocated_count"])
    check(t["live_count"] == t["allocated_count"] - t["freed_count"], "live != allocated - freed")
    check(t["live_bytes"] == sum(s["live_bytes"] for s in report["sites"]), "live_bytes != sum of sites")
    kinds = t["by_kind"]
    check(t["live_bytes"] == sum(k["live_bytes"] for k in kinds.values()), "by_kind does not add up")


if __name__ == "__main__":
    lbtest.main(test)
