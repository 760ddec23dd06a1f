"""Sampled at a 64 KiB mean, the estimate of 3,000 kept direct buffers (about 82 MB) is within
12% of the truth, the report says the figures are estimates, and small churn that is freed
leaves no estimated live bytes behind."""
import lbtest
from lbtest import check

COUNT = 3000


def test(env):
    env.run("DirectBuffersSampled", [COUNT], options="sample=64k")
    report = env.report()
    check(report["sampling"]["estimated"] is True and report["options"]["sample"] > 0,
          "a sampled report must say its figures are estimates")
    true_bytes = sum(65536 if i % 3 == 0 else 8192 for i in range(COUNT))
    sites = lbtest.sites_with_method(report, "DirectBuffersSampled", "keepMixed")
    est = sum(s["live_bytes"] for s in sites)
    print("true %d bytes, estimated %d (%.1f%%) in %d sites" % (
        true_bytes, est, 100.0 * (est - true_bytes) / true_bytes, len(sites)))
    # Expected samples: 1,000 x p(64 KiB) + 2,000 x p(8 KiB), p(s) = 1 - exp(-s/64 KiB), about
    # 870; the standard error of the byte estimate, sqrt(sum s^2 (1-p)/p), is 2.3% of the
    # total, so 12% is more than five standard errors.
    check(abs(est - true_bytes) <= 0.12 * true_bytes, "estimate off by more than 12%")
    check(all(s["kind"] == "direct_buffer" for s in sites), "kinds %s" % [s["kind"] for s in sites])
    churn = lbtest.sites_with_method(report, "DirectBuffersSampled", "churnSmall")
    check(not churn, "freed churn left sites: %s" % [lbtest.describe(s) for s in churn])


if __name__ == "__main__":
    lbtest.main(test)
