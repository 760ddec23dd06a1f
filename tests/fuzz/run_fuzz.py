"""Fuzzes the report reader (fuzz_report.c, libFuzzer) for a fixed time, starting from real
reports the agent writes in this test (direct buffers, JNI malloc and mmap, zstd streams) and
a merged one. Fails on a crash, a leak or a sanitizer report; skips if the fuzzer could not be
built (no clang with libFuzzer: apt-get install clang libclang-rt-14-dev). Arguments: those of
tests/jvm/lbtest.py; $LB_FUZZER is the fuzzer, $LB_FUZZ_SECONDS how long (default 20)."""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
import clitest  # noqa: E402
from clitest import check  # noqa: E402

FUZZER = os.environ.get("LB_FUZZER", "")
SECONDS = int(os.environ.get("LB_FUZZ_SECONDS", "20"))


def test(env):
    if not os.path.isfile(FUZZER):
        clitest.lbtest.skip("no fuzzer at %r: clang with libFuzzer is not installed" % FUZZER)
    corpus = os.path.join(env.work, "corpus")
    os.makedirs(corpus)
    seeds = [clitest.run_report(env, "dbb", "DirectBuffersKept", [3, 1001])[0],
             clitest.run_report(env, "keep", "NativeKeep", ["keep", 2, "map", 1])[0],
             clitest.zstd_report(env, "zstd", 3)[0]]
    merged = os.path.join(env.work, "merged.json")
    clitest.run(["merge"] + seeds + ["-o", merged])
    for i, seed in enumerate(seeds + [merged]):
        shutil.copy(seed, os.path.join(corpus, "seed-%d.json" % i))
    dictionary = os.path.join(os.path.dirname(os.path.abspath(__file__)), "report.dict")
    cmd = [FUZZER, corpus, "-dict=" + dictionary, "-max_total_time=%d" % SECONDS,
           "-timeout=10", "-rss_limit_mb=2048", "-max_len=65536", "-print_final_stats=1",
           "-artifact_prefix=" + env.work + "/"]
    print("$ " + " ".join(cmd), flush=True)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=SECONDS + 120)
    sys.stdout.write(p.stderr[-6000:])
    check(p.returncode == 0, "the fuzzer found a failure (exit %d); the input is in %s" % (
        p.returncode, env.work))
    runs = [l for l in p.stderr.splitlines() if l.startswith("stat::number_of_executed_units")]
    check(runs and int(runs[0].split()[-1]) > 1000, "the fuzzer hardly ran: %s" % runs)


if __name__ == "__main__":
    clitest.main(test)
