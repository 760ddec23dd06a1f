"""A bad option stops the JVM at start, and stderr names the option and what was expected.
An unwritable output path does not: the program runs, a line at start says why (so a JVM that
is killed before its first dump has still told), and the failed dump says it again. An output
ending in '/' is a directory the reports go into under the default name."""
import glob
import os

import lbtest
from lbtest import check

BAD = {
    "sample=banana": ["sample", "size"],
    "interval=5": ["interval", "duration"],
    "depth=0": ["depth"],
    "colour=red": ["colour", "known"],
    "gc=on,gc=off": ["gc", "twice"],
    "native=maybe": ["native", "on"],
    "output=": ["output"],
}


def test(env):
    for options, words in BAD.items():
        p = env.run("DirectBuffersKept", [1, 8], options="output=/tmp/never-%p.json," + options
                    if not options.startswith("output") else options, expect_exit=None)
        check(p.returncode != 0, "JVM started with %r" % options)
        ours = [l for l in p.stderr.splitlines() if l.startswith("leakbridge: ")]
        check(len(ours) == 1, "expected one leakbridge line for %r, got %s" % (options, ours))
        for w in words:
            check(w in ours[0], "%r: %r does not mention %r" % (options, ours[0], w))
        check("kept" not in p.stdout, "the program ran despite %r" % options)

    missing = os.path.join(env.work, "no-such-dir", "r.json")
    p = env.run("DirectBuffersKept", [3, 8], options="output=" + missing)
    ours = [l for l in p.stderr.splitlines() if l.startswith("leakbridge: ")]
    print("stderr lines:", ours)
    check(len(ours) == 2, "expected a line at start and one at the dump: %s" % ours)
    check(ours[0] == "leakbridge: reports cannot be written to %s (No such file or directory): "
          "the JVM runs on, and each dump tries again" % os.path.dirname(missing),
          "first line: %r" % ours[0])
    check("cannot write report to " + missing in ours[1], "dump line: %r" % ours[1])
    check("kept 3" in p.stdout, "the program did not run to the end")
    check(not os.path.exists(os.path.dirname(missing)), "a directory was created")

    # A directory without the '/': said at start too.
    p = env.run("DirectBuffersKept", [3, 8], options="output=" + env.work)
    ours = [l for l in p.stderr.splitlines() if l.startswith("leakbridge: ")]
    check(ours and "is a directory" in ours[0] and "end it with '/'" in ours[0],
          "a directory as output: %s" % ours)

    # With the '/': the reports go into it under the default name.
    into = os.path.join(env.work, "into")
    os.mkdir(into)
    p = env.run("DirectBuffersKept", [3, 8], options="output=%s/,sample=0" % into)
    written = glob.glob(os.path.join(into, "leakbridge-*-1.json"))
    check(len(written) == 1, "reports in %s: %s" % (into, os.listdir(into)))
    report = env.load(written[0])
    check(os.path.basename(written[0]) == "leakbridge-%d-1.json" % report["pid"],
          "file %s for pid %d" % (written[0], report["pid"]))
    check(report["options"]["output"] == into + "/leakbridge-%p-%n.json",
          "options.output %r" % report["options"]["output"])


if __name__ == "__main__":
    lbtest.main(test)
