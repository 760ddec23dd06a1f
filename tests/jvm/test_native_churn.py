"""Four Java threads each run 4,000 rounds of the whole malloc family (malloc, calloc, realloc,
posix_memalign, aligned_alloc, memalign, strdup, strndup), anonymous mmap/munmap, blocks freed
by another library and frees of blocks glibc made internally, everything freed: with sample=0
no live site is left in the churning libraries, every allocation is counted, and the totals
add up (live = allocated - freed)."""
import os

import lbtest
from lbtest import check

THREADS, ROUNDS = 4, 4000
CHURN_SYMBOLS = ("churn_round", "churn_rounds", "Java_NativeChurn_churn", "leakfree_make",
                 "leakfree_release")


def test(env):
    p, report = lbtest.run_report(env, "churn", "NativeChurn", [THREADS, ROUNDS], options="sample=0")
    made = int(lbtest.stdout_value(p, "allocations"))
    check(made >= THREADS * ROUNDS * 10, "the program made only %d allocations" % made)

    for symbol in CHURN_SYMBOLS:
        live = lbtest.sites_with_symbol(report, symbol)
        check(not live, "freed churn left live sites (%s): %s" % (
            symbol, [lbtest.describe_native(s) for s in live[:5]]))
    churn_libs = ("libleakchurn.so", "libleakfree.so")
    live = [s for s in report["sites"]
            if any(os.path.basename(f["module"] or "") in churn_libs for f in lbtest.native_frames(s))]
    check(not live, "live sites in the churning libraries: %s"
          % [lbtest.describe_native(s) for s in live[:5]])
    live = lbtest.sites_with_method(report, "NativeChurn", "churnNative")
    check(not live, "live sites under NativeChurn.churnNative: %s"
          % [lbtest.describe_native(s) for s in live[:5]])

    t = report["totals"]
    print("allocations made %d; totals: %s" % (
        made, {k: t[k] for k in ("live_bytes", "live_count", "allocated_count", "freed_count")}))
    check(t["allocated_count"] >= made, "only %d allocations recorded, the program made %d" % (
        t["allocated_count"], made))
    check(t["freed_count"] >= made, "only %d frees recorded of %d" % (t["freed_count"], made))
    check(t["live_count"] == t["allocated_count"] - t["freed_count"], "live != allocated - freed")
    check(t["live_bytes"] == sum(s["live_bytes"] for s in report["sites"]), "live_bytes != sum of sites")
    check(t["live_count"] == sum(s["live_count"] for s in report["sites"]), "live_count != sum of sites")
    kinds = t["by_kind"]
    check(t["live_bytes"] == sum(k["live_bytes"] for k in kinds.values()), "by_kind does not add up")
    ours = lbtest.agent_frames(report)
    check(not ours, "frames of the agent itself in the report: %s" % ours[:3])


if __name__ == "__main__":
    lbtest.main(test)
