"""leakbridge check, the CI gate, on a real report of NativeKeep (10 malloc'd blocks of 1237
bytes kept by hold_blocks, 3 mappings of 3 pages kept by map_regions): exit 1 with a
LeakSanitizer-like block per site (bytes, blocks, the mixed stack with file:line), the summary
and the suppressions used; exit 0 once suppressed or under --max-bytes; --kind, --status,
--junit; exit 2 for a bad suppressions file."""
import os
import xml.etree.ElementTree as ET

import clitest
from clitest import check, line_with

KEEP, BLOCK, MAPS = 10, 1237, 3


def suppressions(env, name, text):
    path = os.path.join(env.work, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def test(env):
    path, report = clitest.run_report(env, "keep", "NativeKeep", ["keep", KEEP, "map", MAPS])
    held = clitest.site_with_symbol(report, "hold_blocks")
    mapped = clitest.site_with_symbol(report, "map_regions")
    check(held["live_bytes"] == KEEP * BLOCK, "hold_blocks site holds %d B" % held["live_bytes"])
    total = held["live_bytes"] + mapped["live_bytes"]

    out = clitest.run(["check", path], expect=1).stdout
    head = line_with(out, "malloc leak of %d byte(s)" % held["live_bytes"])
    check("in %d block(s), status %s" % (KEEP, held["status"]) in head, head)
    block = out[out.index(head):]
    check("#0 hold_blocks+0x" in block and "/libleakkeep.so+0x" in block, "native frame")
    check("#1 Java_NativeKeep_keep+0x" in block, "JNI frame")
    check("#3 NativeKeep.leakNative (NativeKeep.java:" in block, "Java frame with its line")
    line_with(out, "mmap leak of %d byte(s)" % mapped["live_bytes"], "in %d block(s)" % MAPS)
    summary = line_with(out, "SUMMARY: leakbridge:")
    check("%d byte(s)" % total in summary and "at 2 site(s) over the limit of 0 B" in summary,
          summary)

    sup = suppressions(env, "maps.supp", "# mappings are fine\nleak:map_regions\n\n")
    out = clitest.run(["check", path, "--suppressions", sup], expect=1).stdout
    check("mmap leak" not in out, "suppressed site printed")
    summary = line_with(out, "SUMMARY:")
    check("%d byte(s)" % held["live_bytes"] in summary and "1 site(s) with" in summary, summary)
    used = line_with(out, "map_regions")
    check(used.split() == ["1", str(mapped["live_bytes"]), "map_regions"],
          "suppressions used: %r" % used)

    # Glob and anchors, against class.method, symbol and module path.
    sup = suppressions(env, "all.supp", "leak:^NativeKeep.leak*\nleak:libleakkeep.so$\n")
    out = clitest.run(["check", path, "--suppressions", sup], expect=0).stdout
    check("within the limit" in line_with(out, "SUMMARY:"), "not clean")
    check(line_with(out, "^NativeKeep.leak*").split()[0] == "1", "pattern 1 used once")
    check(line_with(out, "libleakkeep.so$").split()[0] == "1", "pattern 2 used once")
    sup = suppressions(env, "nomatch.supp", "leak:^leakNative\nleak:NativeKeep.mapNat$\n")
    out = clitest.run(["check", path, "--suppressions", sup], expect=1).stdout
    check("Suppressions used" not in out, "an anchored pattern matched wrongly")

    clitest.run(["check", path, "--max-bytes", total], expect=0)
    clitest.run(["check", path, "--max-bytes", total - 1], expect=1)
    out = clitest.run(["check", path, "--kind", "mmap"], expect=1).stdout
    check("malloc leak" not in out and "mmap leak" in out, "--kind mmap")
    statuses = {s["status"] for s in report["sites"]}
    clitest.run(["check", path, "--status", "leak-suspect"],
                expect=1 if "leak-suspect" in statuses else 0)

    junit = os.path.join(env.work, "junit.xml")
    sup = suppressions(env, "maps.supp", "leak:map_regions\n")
    clitest.run(["check", path, "--suppressions", sup, "--junit", junit], expect=1)
    suite = ET.parse(junit).getroot().find("testsuite")
    cases = suite.findall("testcase")
    check(len(cases) == len(report["sites"]), "%d test cases" % len(cases))
    check(suite.get("failures") == "1" and suite.get("skipped") == "1", suite.attrib)
    failed = [c for c in cases if c.find("failure") is not None][0]
    check("hold_blocks" in failed.get("name") and "hold_blocks+0x" in failed.find("failure").text,
          "failed case %s" % failed.attrib)
    skipped = [c for c in cases if c.find("skipped") is not None][0]
    check("map_regions" in skipped.find("skipped").get("message"), "skip message")

    bad = suppressions(env, "bad.supp", "leak:ok\nrace:foo\n")
    err = clitest.run(["check", path, "--suppressions", bad], expect=2).stderr
    check("bad.supp: line 2: expected leak:PATTERN" in err, "message %r" % err)
    err = clitest.run(["check", path, "--max-bytes", "lots"], expect=2).stderr
    check("--max-bytes 'lots'" in err, "message %r" % err)


if __name__ == "__main__":
    clitest.main(test)
