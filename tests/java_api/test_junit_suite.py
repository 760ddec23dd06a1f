"""Issue 6's suite: the JUnit platform console launcher (Debian's junit5) runs
suite.NativeLeakSuiteTest under the agent with sample=0. Exactly the two leaking tests fail:
leaksDirectBuffer with the DirectByteBuffer frames down to the test method, leaksZstdStream with
ZSTD_createDStream in libzstd under ZstdInputStreamNoFinalizer.<init>; each message names only
its own test's allocations. The test that closes everything, the one whose leak is suppressed
and the one whose memory comes from a static initializer pass."""
import jtest
from jtest import check

EXPECTED = {
    "leaksDirectBuffer": "failed",
    "leaksZstdStream": "failed",
    "closesEverything": "passed",
    "leaksInSuppressedPlace": "passed",
    "classInitializerIsNotCounted": "passed",
}


def frame_lines(message):
    return [line.strip() for line in message.splitlines() if line.strip().startswith("#")]


def test(env):
    p, results = env.junit("suite", ["--select-class", "suite.NativeLeakSuiteTest"],
                           agent_options="sample=0,output=%s/report-%%n.json" % env.work)
    check(p.returncode == 1, "the launcher exited %d, expected 1 (tests failed)" % p.returncode)
    got = {name: status for name, (status, _) in results.items()}
    check(got == EXPECTED, "test results %s, expected %s" % (got, EXPECTED))

    direct = results["leaksDirectBuffer"][1]
    check("native memory leaked by suite.NativeLeakSuiteTest.leaksDirectBuffer(): 262144 bytes in"
          " 1 block at 1 site" in direct, "leaksDirectBuffer's message: %s" % direct[:300])
    lines = frame_lines(direct)
    for want in ("#0 J jdk.internal.misc.Unsafe.allocateMemory0(",
                 "J java.nio.DirectByteBuffer.<init>(DirectByteBuffer.java:",
                 "J suite.NativeLeakSuiteTest.leaksDirectBuffer(NativeLeakSuiteTest.java:"):
        check(any(want in line for line in lines), "no frame %r in %s" % (want, lines))
    check("(direct_buffer)" in direct, "kind missing: %s" % direct[:300])

    zstd = results["leaksZstdStream"][1]
    check("native memory leaked by suite.NativeLeakSuiteTest.leaksZstdStream():" in zstd,
          "leaksZstdStream's message: %s" % zstd[:300])
    lines = frame_lines(zstd)
    check(any(line.startswith("#0 N ZSTD_createDStream (/usr/lib/x86_64-linux-gnu/libzstd.so.1")
              for line in lines), "no ZSTD_createDStream leaf frame in %s" % lines)
    for want in ("J com.github.luben.zstd.ZstdInputStreamNoFinalizer.<init>(",
                 "J suite.NativeLeakSuiteTest.leaksZstdStream(NativeLeakSuiteTest.java:"):
        check(any(want in line for line in lines), "no frame %r in %s" % (want, lines))
    check("(malloc)" in zstd, "kind missing: %s" % zstd[:300])

    # Each failure is about its own test only.
    check("leaksZstdStream" not in direct and "LegacyPageCache" not in direct,
          "leaksDirectBuffer's message names other tests' allocations")
    check("leaksDirectBuffer" not in zstd and "LegacyPageCache" not in zstd
          and "DirectByteBuffer" not in zstd, "leaksZstdStream's message names other allocations")
    # The suppressed leak was seen, and suppressed by its pattern.
    check("131072 bytes (direct_buffer) by leak:suite.LegacyPageCache.fill" in p.stdout,
          "the launcher's output does not show the suppressed leak's report entry")
    # The JVM's exit report shows the leaks the tests left, so the agent was really there.
    report = env.report()
    check(jtest.lbtest.sites_with_method(report, "suite.NativeLeakSuiteTest", "leaksDirectBuffer"),
          "the exit report has no leaksDirectBuffer site")


if __name__ == "__main__":
    jtest.main(test)
