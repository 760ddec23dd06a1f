"""With the default sample interval, the estimate of 3,000 kept direct buffers (about 81 MB)
is within 10% of the truth, the report says the figures are estimates, and small churn that
is freed leaves no estimated live bytes behind."""
import lbtest
from lbtest import check

COUNT = 3000


def test(env):
    env.run("DirectBuffersSampled", [COUNT])
    report = env.report()
    check(report["sampling"]["estimated"] is True and report["options"]["sample"] > 0,
          "a sampled report must say its figures are estimates")
    true_bytes = sum(65536 if i % 3 == 0 else 8192 for i in range(COUNT))
    sites = lbtest.sites_with_method(report, "DirectBuffersSampled", "keepMixed")
    est = sum(s["live_bytes"] for s in sites)
    print("true %d bytes, estimated %d (%.1f%%) in %d sites" % (
        true_bytes, est, 100.0 * (est - true_bytes) / true_bytes, len(sites)))
    # About 1,400 samples are expected at the default 512 KiB mean: the relative standard
    # error is about 3%, so 10% is more than three standard errors.
    check(abs(est - true_bytes) <= 0.10 * true_bytes, "estimate off by more than 10%")
    check(all(s["kind"] == "direct_buffer" for s in sites), "kinds %s" % [s["kind"] for s in sites])
    churn = lbtest.sites_with_method(report, "DirectBuffersSampled", "churnSmall")
    check(not churn, "freed churn left sites: %s" % [lbtest.describe(s) for s in churn])


if __name__ == "__main__":
    lbtest.main(test)
