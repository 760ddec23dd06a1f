"""With the default sample interval, the zstd-jni leak of 8,000 streams (the field report's
order of magnitude: 770 MB of native memory) is still the top site,
named by ZSTD_createDStream, and its estimated live bytes are within 20% of the exact figure
measured with sample=0 in the same test."""
import lbtest
from lbtest import check

STREAMS = 8000


def test(env):
    # Each stream also holds a ~128 KB Java input buffer: give the heap room for 8,000.
    heap = ["-Xmx1536m"]
    p, exact = lbtest.run_zstd(env, "exact", ["leak", STREAMS], jvm_args=heap)
    true_bytes = lbtest.check_zstd_top_site(exact, STREAMS)["live_bytes"]

    p, sampled = lbtest.run_zstd(env, "sampled", ["leak", STREAMS], options="", jvm_args=heap)
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
    # At the default 2 MiB mean a ~96 KB block is sampled with p = 1 - exp(-96/2048) = 4.6%:
    # about 360 samples, a relative standard error of sqrt((1-p)/(n p)) = 5.1%, so 20% is
    # nearly four standard errors.
    check(abs(est - true_bytes) <= 0.20 * true_bytes, "estimate off by more than 20%")


if __name__ == "__main__":
    lbtest.main(test)
