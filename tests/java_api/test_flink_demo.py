"""java/demo/flink-demo.sh, as a user runs it (with the existing build): three source tasks,
one report each, and `leakbridge diff -v` between them shows 200 more blocks per task at the
site whose stack names HeapBytesDecompressor.decompress and ZSTD_createDStream."""
import os
import re

import jtest
from jtest import check


def test(env):
    jtest.require_cli(env, "diff")
    out = os.path.join(env.work, "demo")
    p = env.execute([os.path.join(env.source_dir, "java", "demo", "flink-demo.sh"), out],
                    expect_exit=0, timeout=200, env={
                        "LB_SKIP_SETUP": "1", "LB_BUILD": os.path.dirname(env.agent),
                        "JDK": env.java_home})
    for t in (1, 2, 3):
        report = env.load(os.path.join(out, "task-%d.json" % t))
        check(report["reason"] == "api", "task-%d.json: reason %s" % (t, report["reason"]))
        sites = [s for s in report["sites"]
                 if ("HeapBytesDecompressor", "decompress") in jtest.lbtest.java_frames(s)]
        check(len(sites) == 1 and sites[0]["live_count"] == 200 * t,
              "task-%d.json: decompressor sites %s" % (t, [jtest.lbtest.describe(s) for s in sites]))
    diffs = p.stdout.split("demo: leakbridge diff")[1:]
    check(len(diffs) == 2, "expected two diffs")
    for d in diffs:
        check(re.search(r"\+18\.\d MiB\s+\+200\s", d), "no +200 blocks growth row: %s" % d[:600])
        check("HeapBytesDecompressor.decompress" in d and "ZSTD_createDStream" in d,
              "the diff does not name the decompressor's method and the zstd call")


if __name__ == "__main__":
    jtest.main(test)
