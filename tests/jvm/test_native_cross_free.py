"""Blocks that die in another library than the one that made them are not leaks: libleakkeep
mallocs 2,000 blocks that libleakfree (its DT_NEEDED dependency) frees, and frees 2,000 blocks
libleakfree malloc'd. With sample=0 none of them is left live, while 5 blocks kept in the same
run are reported exactly, and the totals count every allocation."""
import lbtest
from lbtest import check

KEEP, PAIRS = 5, 2000
FREED_ELSEWHERE = ("hand_off_blocks", "take_back_blocks", "leakfree_make", "leakfree_release")


def test(env):
    p, report = lbtest.run_report(env, "cross", "NativeKeep", ["keep", KEEP, "handoff", PAIRS],
                                  options="sample=0")
    check("handoff %d" % (2 * PAIRS) in p.stdout, "the program did not hand blocks off")

    kept = lbtest.sites_with_symbol(report, "hold_blocks")
    check(len(kept) == 1 and kept[0]["live_count"] == KEEP,
          "the %d kept blocks are not reported: %s" % (KEEP, [lbtest.describe_native(s) for s in kept]))

    for symbol in FREED_ELSEWHERE:
        live = lbtest.sites_with_symbol(report, symbol)
        check(not live, "blocks freed by the other library reported live (%s): %s" % (
            symbol, [lbtest.describe_native(s) for s in live]))

    t = report["totals"]
    print("totals:", {k: t[k] for k in ("live_count", "allocated_count", "freed_count")})
    check(t["allocated_count"] >= KEEP + 2 * PAIRS,
          "only %d allocations recorded, the program made %d" % (t["allocated_count"], KEEP + 2 * PAIRS))
    check(t["freed_count"] >= 2 * PAIRS, "only %d frees recorded" % t["freed_count"])
    check(t["live_count"] == t["allocated_count"] - t["freed_count"], "live != allocated - freed")


if __name__ == "__main__":
    lbtest.main(test)
