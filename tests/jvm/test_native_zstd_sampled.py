"""With the default sample interval, the zstd-jni leak of 2,000 streams is still the top site,
named by ZSTD_createDStream, and its estimated live bytes are within 20% of the exact figure
measured with sample=0 in the same test."""
import lbtest
from lbtest import check

STREAMS = 2000


def test(env):
    p, exact = lbtest.run_zstd(env, "exact", ["leak", STREAMS])
    true_bytes = lbtest.check_zstd_top_site(exact, STREAMS)["live_bytes"]

    p, sampled = lbtest.run_zstd(env, "sampled", ["leak", STREAMS], options="")
    check(sampled["sampling"]["estimated"] is True, "a sampled report must say its figures are estimates")
    check(sampled["sites"], "no site at all")
    top = sampled["sites"][0]
    print("top site:", lbtest.describe_native(top))
    check(lbtest.has_symbol(top, "ZSTD_createDStream"),
          "no ZSTD_createDStream frame in the top sampled site: %s" % lbtest.describe_native(top))
    check(("ZstdLeak", "openStreams") in lbtest.java_frames(top), "no ZstdLeak.openStreams frame")
    est = top["live_bytes"]
    print("true %d bytes, estimated %d (%.1f%%)" % (
        true_bytes, est, 100.0 * (est - true_bytes) / true_bytes))
    # About 340 of the ~96 KB blocks are sampled at the default 512 KiB mean: the relative
    # standard error is about 5%, so 20% is four standard errors.
    check(abs(est - true_bytes) <= 0.20 * true_bytes, "estimate off by more than 20%")


if __name__ == "__main__":
    lbtest.main(test)
