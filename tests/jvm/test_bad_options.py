"""A bad option stops the JVM at start, and stderr names the option and what was expected.
An unwritable output path does not: the program runs and one error line says why."""
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
    check(any("no-such-dir" in l for l in ours), "no error line naming the path: %s" % ours)
    check("kept 3" in p.stdout, "the program did not run to the end")
    check(not os.path.exists(os.path.dirname(missing)), "a directory was created")


if __name__ == "__main__":
    lbtest.main(test)
