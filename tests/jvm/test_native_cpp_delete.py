"""Every C++ new is matched by its delete: 3,000 rounds of new/delete, new[]/delete[], nothrow,
aligned (align_val_t) and sized-delete variants leave no live site, with sample=0, while 5
arrays kept in the same run are reported exactly and the totals count every allocation."""
import lbtest
from lbtest import check

KEEP, ROUNDS = 5, 3000


def test(env):
    p, report = lbtest.run_report(env, "cppdel", "CppLeak", ["arrays", KEEP, "churn", ROUNDS],
                                  options="sample=0")
    made = int(lbtest.stdout_value(p, "allocations"))
    kept = lbtest.sites_with_symbol(report, "hold_arrays", exact=False)
    check(len(kept) == 1 and kept[0]["live_count"] == KEEP,
          "the %d kept arrays are not reported: %s" % (KEEP, [lbtest.describe_native(s) for s in kept]))
    live = lbtest.sites_with_symbol(report, "churn_cpp", exact=False)
    check(not live, "deleted objects reported live: %s" % [lbtest.describe_native(s) for s in live])
    t = report["totals"]
    print("totals:", {k: t[k] for k in ("live_count", "allocated_count", "freed_count")})
    check(t["allocated_count"] >= KEEP + made,
          "only %d allocations recorded, the program made %d" % (t["allocated_count"], KEEP + made))
    check(t["freed_count"] >= made, "only %d frees recorded of %d" % (t["freed_count"], made))
    check(t["live_count"] == t["allocated_count"] - t["freed_count"], "live != allocated - freed")


if __name__ == "__main__":
    lbtest.main(test)
